/**
 * The CAT-shaped daily export end to end (issue 16), against the shared local mode: orders placed,
 * filled, replaced and canceled through the HTTP API; the day exported on demand (POST
 * /local/regulatory-export, the export code the scheduled function runs on AWS) into the audit
 * directory; one record per reportable event of those orders with CAT's event types; the export
 * verifies, and a changed line makes verification fail (also through `npm run cat:verify`).
 */
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newYorkDate } from '../../lambdas/core/session.js';
import {
  type AuditEvent,
  eventually,
  type OmsHttp,
  putOnOmsBus,
  type SharedOms,
  sharedTradingDayOms,
} from './harness.js';

jest.setTimeout(120_000);

let oms: SharedOms;
let http: OmsHttp;
const SYMBOL = 'E2ECAT';

beforeAll(async () => {
  ({ oms, http } = await sharedTradingDayOms());
}, 90_000);

afterAll(async () => {
  await oms?.stop();
});

type Json = Record<string, unknown>;

async function control(path: string): Promise<Json> {
  const res = await fetch(`${oms.apiUrl}/local/${path}`, { method: 'POST' });
  const body = (await res.json()) as Json;
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/**
 * The CAT types docs/compliance.md says an order's events make (core CAT_EVENT_RULES), written out
 * independently of the mapping: what the export must contain for this order.
 */
function expectedTypes(trail: readonly AuditEvent[]): string[] {
  return trail.flatMap((e) => {
    const d = e.data as Json;
    switch (e.type) {
      case 'OrderSubmitted': {
        const role = (d.contingency as Json | undefined)?.role;
        const first = d.replaces != null ? 'MEOM' : role === 'algo_child' ? 'MECO' : 'MENO';
        return d.routedTo === undefined ? [first] : [first, 'MEOR'];
      }
      case 'OrderRouted':
        return (d.allocations as Json[]).filter((a) => a.childOrderId === null).map(() => 'MEOR');
      case 'OrderPartiallyFilled':
      case 'OrderFilled':
        return d.childOrderId === undefined ? ['MEOT'] : [];
      case 'OrderCanceled':
        return ['MEOC'];
      default:
        return [];
    }
  });
}

/** The order and the children it was split into, if any. */
async function withChildren(id: string): Promise<{ id: string; trail: AuditEvent[] }[]> {
  const trail = await http.auditTrail(id);
  const children = trail
    .filter((e) => e.type === 'OrderRouted')
    .flatMap((e) => ((e.data as Json).allocations as Json[]).map((a) => a.childOrderId))
    .filter((c): c is string => typeof c === 'string');
  const out = [{ id, trail }];
  for (const c of children) out.push({ id: c, trail: await http.auditTrail(c) });
  return out;
}

const orderOf = (r: Json): string =>
  (r.orderID ??
    (r.buyDetails as Json | undefined)?.orderID ??
    (r.sellDetails as Json | undefined)?.orderID) as string;

it("the day's export has one record per reportable event of the orders placed, and it verifies until a line is changed", async () => {
  await http.pinQuote(SYMBOL, { bid: '20.00', ask: '20.02', ask_size: '1000', bid_size: '1000' });
  // A market order that fills.
  const market = await http.submit({
    symbol: SYMBOL,
    qty: '5',
    side: 'buy',
    type: 'market',
    time_in_force: 'day',
  });
  await http.untilStatus(market.id, 'filled', 30_000);
  // A limit order that rests, is replaced, and whose replacement is canceled.
  const resting = await http.submit({
    symbol: SYMBOL,
    qty: '3',
    side: 'buy',
    type: 'limit',
    limit_price: '19.00',
    time_in_force: 'day',
  });
  await http.untilStatus(resting.id, 'new', 30_000);
  const replacement = await http.replace(resting.id, { qty: '4', limit_price: '19.10' });
  await http.untilStatus(replacement.id, 'new', 30_000);
  await http.untilStatus(resting.id, 'replaced', 30_000);
  await http.expect(204, 'DELETE', `/v2/orders/${replacement.id}`);
  await http.untilStatus(replacement.id, 'canceled', 30_000);
  // A bus order request refused that day: its answer is stored in the event store too.
  const refusedId = `req-${randomUUID()}`;
  await putOnOmsBus(oms, [
    {
      source: 'stockbot.strategy.nobody-at-all',
      detailType: 'OrderRequested',
      detail: {
        accountId: 'e2e-cat',
        order: { symbol: SYMBOL, qty: '1', side: 'buy' },
        requestId: refusedId,
      },
    },
  ]);
  await eventually(async () => {
    const delivered = await http.expect<{ 'detail-type': string; detail: Json }[]>(
      200,
      'GET',
      '/local/events',
    );
    if (
      !delivered.some((e) => e['detail-type'] === 'OrderRequestRejected' && e.detail.requestId === refusedId)
    )
      throw new Error('not answered yet');
  }, 30_000);

  const date = newYorkDate(Date.now());
  const exported = await control(`regulatory-export?date=${date}`);
  expect(exported).toMatchObject({ date, status: 'written' });
  const files = exported.files as { records: string; manifest: string; archive: string };
  const lines = readFileSync(files.records, 'utf8').split('\n').filter(Boolean);
  const records = lines.map((l) => JSON.parse(l) as Json);
  const manifest = JSON.parse(readFileSync(files.manifest, 'utf8')) as Json;
  expect((manifest.records as Json).count).toBe(lines.length);

  // One record per reportable event, of the CAT type the rules give, for every order involved.
  const orders = [
    ...(await withChildren(market.id)),
    ...(await withChildren(resting.id)),
    ...(await withChildren(replacement.id)),
  ];
  for (const o of orders) {
    const got = records.filter((r) => orderOf(r) === o.id).map((r) => r.type);
    expect({ order: o.id, types: got }).toEqual({ order: o.id, types: expectedTypes(o.trail) });
  }
  // What each order is, in CAT's terms.
  const of = (id: string) => records.filter((r) => orderOf(r) === id);
  expect(of(market.id)[0]).toMatchObject({
    type: 'MENO',
    symbol: SYMBOL,
    side: 'B',
    orderType: 'MKT',
    quantity: '5',
  });
  const marketIds = new Set((await withChildren(market.id)).map((o) => o.id));
  const traded = records.filter((r) => r.type === 'MEOT' && marketIds.has(orderOf(r)));
  expect(traded.reduce((s, r) => s + Number(r.quantity), 0)).toBe(5);
  expect(of(resting.id).map((r) => r.type)).toEqual(['MENO', 'MEOR']);
  expect(of(replacement.id)[0]).toMatchObject({
    type: 'MEOM',
    priorOrderID: resting.id,
    quantity: '4',
    price: '19.1',
  });
  expect(of(replacement.id).at(-1)).toMatchObject({ type: 'MEOC', cancelQty: '4', initiator: 'C' });
  // The archive holds the day's raw events, these orders' among them.
  const archive = readFileSync(files.archive, 'utf8');
  for (const o of orders) for (const e of o.trail) expect(archive).toContain(`"eventId":"${o.id}:${e.seq}"`);
  // The intake's answers (and the position streams) share the event store; they are not orders.
  expect(archive).not.toContain('intake#');

  // It verifies; exporting again writes nothing new.
  expect(await control(`regulatory-export/verify?date=${date}`)).toMatchObject({ ok: true, problems: [] });
  expect(await control(`regulatory-export?date=${date}`)).toMatchObject({ status: 'unchanged' });

  // A changed line is found, and named: the market order's trade at another price.
  const at = records.findIndex((r) => r.type === 'MEOT' && marketIds.has(orderOf(r)));
  const original = readFileSync(files.records, 'utf8');
  const tampered = lines.map((l, i) => (i === at ? l.replace(/"price":"[^"]*"/, '"price":"0.01"') : l));
  writeFileSync(files.records, tampered.map((l) => `${l}\n`).join(''));
  const failed = await control(`regulatory-export/verify?date=${date}`);
  expect(failed.ok).toBe(false);
  const problems = (failed.problems as string[]).join('\n');
  expect(problems).toMatch(/SHA-256 .* is not the manifest's/);
  expect(problems).toMatch(/hash chain ends in/);
  expect(problems).toMatch(new RegExp(`line ${at + 1} differs from the event store`));

  // The operator's command says the same and exits non-zero.
  const cli = spawnSync(
    process.execPath,
    [
      join(__dirname, '../../node_modules/tsx/dist/cli.mjs'),
      join(__dirname, '../../scripts/cat.ts'),
      'verify',
      '--date',
      date,
      '--url',
      oms.apiUrl,
    ],
    { encoding: 'utf8', timeout: 60_000 },
  );
  expect(cli.status).toBe(1);
  expect(cli.stderr).toMatch(new RegExp(`line ${at + 1} differs`));

  // Exporting again repairs the local copy (on AWS the bucket's lock forbids the change itself).
  expect(await control(`regulatory-export?date=${date}`)).toMatchObject({ status: 'written' });
  expect(readFileSync(files.records, 'utf8')).toBe(original);
  expect(await control(`regulatory-export/verify?date=${date}`)).toMatchObject({ ok: true });
});

it('a bad date is refused with a 400 naming it', async () => {
  const res = await fetch(`${oms.apiUrl}/local/regulatory-export?date=2026-02-30`, { method: 'POST' });
  expect(res.status).toBe(400);
  expect(await res.json()).toEqual({ code: 'invalid_query', message: 'date: must be a date YYYY-MM-DD' });
});
