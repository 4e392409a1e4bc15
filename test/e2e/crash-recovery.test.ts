/**
 * An acknowledged cancel or replace is never lost (issue 16, first item), end to end: local mode
 * runs in a process of its own on a data directory; a cancel and a replace are accepted by the API
 * while the venue is slow to answer (so they are still on their way, in local mode's in-memory
 * queues, when it dies); the process is killed (SIGKILL: nothing flushed, its queues and workflows
 * gone) and started again on the same directory. The orders are canceled and replaced, once each.
 * One crash (a second one adds a restart, about 18 s of suite time, for nothing the first does not
 * show; the suite has a 10-minute budget).
 *
 * Two paths carry a request through such a restart, and this test holds the outcome whichever
 * does: local mode's stream pollers start again at the event store stream's trim horizon, so the
 * order stream re-publishes the request (subscribers dedupe by event id) while the stream still
 * holds it; and the in-flight check (core in-flight.ts, the broker gateway's
 * check-in-flight-requests.ts, run from start-up on) re-sends any request outstanding past its
 * threshold, or applies the venue's lost answer, from the venue's status query: the guarantee that
 * does not depend on the stream (on AWS a stream is not replayed; its records expire after 24 h).
 * test/broker-gateway/check-in-flight-requests.test.ts covers each of the check's resolutions.
 *
 * @own-local-mode (starts its own: runs alongside other files, see environment.js)
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { eventually, OmsHttp } from './harness.js';

jest.setTimeout(600_000);

const repoRoot = resolve(__dirname, '../..');
const dataDir = mkdtempSync(join(tmpdir(), 'oms-crash-'));
/** The threshold local mode runs the in-flight check with here (the default is 15 s). */
const THRESHOLD_MS = 3_000;
let child: ChildProcess | null = null;

/** Starts local mode in its own process group on `dataDir`; resolves when it is ready for orders. */
async function start(): Promise<OmsHttp> {
  const proc = spawn(
    join(repoRoot, 'node_modules/.bin/tsx'),
    ['test/e2e/fixtures/local-oms-process.ts', dataDir],
    {
      cwd: repoRoot,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, OMS_IN_FLIGHT_THRESHOLD_MS: String(THRESHOLD_MS) },
    },
  );
  child = proc;
  let out = '';
  let err = '';
  proc.stderr?.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-4000);
  });
  const ready = await new Promise<{ apiUrl: string; apiKeyId: string; apiSecretKey: string }>((ok, fail) => {
    proc.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith('READY '));
      if (line !== undefined) ok(JSON.parse(line.slice('READY '.length)));
    });
    proc.on('exit', (code) => fail(new Error(`local mode exited (${code}) before it was ready: ${err}`)));
  });
  return new OmsHttp(ready.apiUrl, ready.apiKeyId, ready.apiSecretKey);
}

/** DynamoDB Local processes still serving `dataDir` (its watchdog stops them once local mode is gone). */
function databaseAlive(): boolean {
  try {
    return (
      execFileSync('pgrep', ['-f', `dbPath ${dataDir}`])
        .toString()
        .trim() !== ''
    );
  } catch {
    return false; // pgrep: no match
  }
}

/** Kills local mode the hard way (the whole process group) and waits until its database is gone. */
async function crash(): Promise<void> {
  const pid = child?.pid;
  if (pid === undefined) throw new Error('local mode is not running');
  process.kill(-pid, 'SIGKILL');
  child = null;
  await eventually(async () => {
    if (databaseAlive()) throw new Error('DynamoDB Local still running');
  }, 30_000);
}

afterAll(async () => {
  if (child?.pid !== undefined) {
    process.kill(-child.pid, 'SIGKILL');
    await eventually(async () => {
      if (databaseAlive()) throw new Error('DynamoDB Local still running');
    }, 30_000).catch(() => undefined);
  }
  rmSync(dataDir, { recursive: true, force: true });
});

/** The venue an order rests at (its routing decision). */
async function venueOf(http: OmsHttp, orderId: string): Promise<string> {
  const routed = (await http.auditTrail(orderId)).find((e) => e.type === 'OrderRouted');
  const venue = (routed?.data as { allocations?: { venue: string }[] } | undefined)?.allocations?.[0]?.venue;
  if (venue === undefined) throw new Error(`${orderId} has no routing decision`);
  return venue;
}

const count = (trail: { type: string }[], type: string) => trail.filter((e) => e.type === type).length;

/**
 * Waits until the bus has delivered the order's `type` event: the publisher has marked it
 * published (a replay after a restart will not send it again), and the forward to the venue is
 * in local mode's memory only: the case that used to lose the request.
 */
async function published(http: OmsHttp, orderId: string, type: string): Promise<void> {
  await eventually(async () => {
    const events = await http.busEvents(orderId);
    if (!events.some((e) => e['detail-type'] === type)) throw new Error(`${type} not on the bus yet`);
  }, 30_000);
}

it('a cancel and a replace in flight when local mode is killed are carried out, once each, after it restarts', async () => {
  let http = await start();
  await http.pinQuote('CRASH', { bid: '30.00', ask: '30.02' });
  const resting = (price: string) =>
    http.submit({
      symbol: 'CRASH',
      qty: '10',
      side: 'buy',
      type: 'limit',
      limit_price: price,
      time_in_force: 'day',
    });
  const a = await resting('25');
  const b = await resting('25.5');
  for (const o of [a, b]) await http.untilStatus(o.id, 'new', 60_000);
  // The venues answer only after 5 s (the most a venue control allows): the requests below are
  // still on their way when the process dies.
  const venues = [...new Set([await venueOf(http, a.id), await venueOf(http, b.id)])];
  for (const v of venues) await http.expect(200, 'PUT', `/local/venues/${v}`, { latency_ms: 5_000 });

  await http.expect(204, 'DELETE', `/v2/orders/${a.id}`);
  const replaced = await http.expect<{ id: string }>(200, 'PATCH', `/v2/orders/${b.id}`, {
    limit_price: '26',
  });
  await published(http, a.id, 'OrderCancelRequested');
  await published(http, b.id, 'OrderReplaceRequested');
  await crash();

  http = await start();
  for (const v of venues) await http.expect(200, 'PUT', `/local/venues/${v}`, { latency_ms: 0 });
  await http.untilStatus(a.id, 'canceled', 120_000);
  await http.untilStatus(b.id, 'replaced', 120_000);
  const b2 = await http.untilStatus(replaced.id, 'new', 120_000);
  expect(b2).toMatchObject({ limit_price: '26', replaces: b.id });
  const [trailA, trailB] = [await http.auditTrail(a.id), await http.auditTrail(b.id)];
  expect(count(trailA, 'OrderCanceled')).toBe(1);
  expect(count(trailB, 'OrderReplaced')).toBe(1);
  // The replacement works at its new terms, with no request of its own outstanding.
  expect(count(await http.auditTrail(replaced.id), 'OrderCancelRequested')).toBe(0);

  // Nothing else was touched: no fill, no second order. (The listing reads the orders' views, which
  // follow the events the statuses above were read from: read it until the replacement is in it.)
  const all = await eventually(async () => {
    const listed = await http.expect<{ id: string; filled_qty: string }[]>(
      200,
      'GET',
      '/v2/orders?status=all&symbols=CRASH',
    );
    expect(listed.map((o) => o.id).sort()).toEqual([a.id, b.id, replaced.id].sort());
    return listed;
  }, 30_000);
  expect(all.every((o) => o.filled_qty === '0')).toBe(true);
});
