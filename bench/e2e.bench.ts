/**
 * End-to-end benchmark of local mode (issue 4): the whole OMS started in this process
 * (`startLocalOms`), driven over HTTP by N concurrent clients for a fixed time, each POSTing market
 * orders in a loop. Measured per order:
 * - ack latency: POST start -> response (200 with the order);
 * - accepted-event latency: POST start -> `OrderAccepted` of that order delivered to the bus
 *   (timestamped in-process with `LocalEventBridge.subscribe`).
 *
 * The HTTP clients run in a worker thread, so their own work does not share the event loop that
 * hosts the HTTP API, Step Functions, EventBridge, SQS and the stream pollers. Times on both sides
 * are `performance.timeOrigin + performance.now()` (one clock, sub-millisecond).
 *
 * Every order is a market buy, distinct within the duplicate-order window (symbol x qty walk
 * through 5 x 200 combinations), and the demo account allows 1000 orders/s.
 *
 * Environment: BENCH_CLIENTS (16), BENCH_SECONDS (20), BENCH_WARMUP_ORDERS (40),
 * BENCH_WARMUP_SECONDS (10: the clients' concurrent load before the timed run, not counted),
 * BENCH_DRAIN_SECONDS (10: how long to wait for the last orders' OrderAccepted),
 * BENCH_LOG_FILE (handler logs; default a temporary file, removed at the end),
 * BENCH_WORKERS_PER_FUNCTION, BENCH_STREAM_POLL_MS, BENCH_DDB_JVM_OPTS (space separated; `none` for
 * the JVM's own defaults): local-mode tuning knobs passed to `startLocalOms` when set.
 * Last line: `local-e2e orders_per_s=<n> p50_ack_ms=<n> p99_ack_ms=<n> p99_accepted_event_ms=<n>
 * cpu_ms_per_order=<n> accepted_per_s=<n> load_at_start=<n>`: CPU of this process (OMS and clients)
 * and of DynamoDB Local's JVM over the timed run per acknowledged order; OrderAccepted events (of
 * any order) on the bus within the timed run per second, what the whole OMS got through (orders_per_s
 * counts acknowledgements, which a saturated run gives faster than the rest keeps up: the lines
 * before say how many orders had no OrderAccepted at the drain's end); and the 1-minute load average
 * before local mode started (the lines before it have both processes' shares and the load at the
 * run's end).
 * Targets (2-core machine): issue 4's >= 200 orders/s, p99 ack <= 50 ms, p99 accepted event <= 250 ms;
 * issue 12's >= 40 orders/s at 16 clients and p99 ack <= 100 ms at 4 clients (docs/bench.md).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { loadAverages, ownCpuMs, processCpuMs } from './proc-cpu.js';

const SYMBOLS = ['AAPL', 'MSFT', 'SPY', 'TSLA', 'NVDA'] as const;
const QTYS = 200;

/** Absolute epoch ms with sub-ms resolution, comparable across threads. */
const now = (): number => performance.timeOrigin + performance.now();

interface ClientConfig {
  readonly apiUrl: string;
  readonly keyId: string;
  readonly secret: string;
  readonly clients: number;
  readonly durationMs: number;
  /** Orders placed (one by one) before the timed run; their results are not counted. */
  readonly warmupOrders: number;
  /**
   * Then this long at full concurrency (not counted): V8 keeps tiering up the SDK and handler code
   * of every Lambda worker's isolate for tens of seconds under load (thousands of Maglev and
   * TurboFan compilations), which a short run would otherwise count as the OMS's own cost.
   */
  readonly warmupMs: number;
}

/** Worker -> main. */
type ClientMessage =
  | { readonly type: 'warm'; readonly orders: number }
  | {
      readonly type: 'order';
      readonly start: number;
      readonly end: number;
      readonly status: number;
      readonly orderId: string | null;
      readonly error?: string;
    }
  | { readonly type: 'done' };

function orderBody(n: number): string {
  const symbol = SYMBOLS[n % SYMBOLS.length] as string;
  const qty = 1 + (Math.floor(n / SYMBOLS.length) % QTYS);
  return JSON.stringify({ symbol, qty: String(qty), side: 'buy', type: 'market', time_in_force: 'day' });
}

/**
 * Buys only: a market sell while the account's market buy of the symbol is still working is a
 * potential wash trade, which the OMS refuses (422, FINRA 5210; issue 16). The demo account's cash
 * is raised first (a local control) so that the run's buys never meet its buying power.
 */
const BENCH_CASH = '10000000000';

// ---------------------------------------------------------------------------------------------
// Client side (worker thread)

async function runClients(config: ClientConfig, post: (m: ClientMessage) => void): Promise<void> {
  const agent = new Agent({ keepAlive: true, maxSockets: config.clients });
  const url = new URL('/v2/orders', config.apiUrl);
  let n = 0;
  const postOrder = (): Promise<ClientMessage & { type: 'order' }> => {
    const body = orderBody(n++);
    const start = now();
    return new Promise((resolve) => {
      const req = request(
        url,
        {
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
            'APCA-API-KEY-ID': config.keyId,
            'APCA-API-SECRET-KEY': config.secret,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const end = now();
            const text = Buffer.concat(chunks).toString('utf8');
            let orderId: string | null = null;
            try {
              const id = (JSON.parse(text) as { id?: unknown }).id;
              if (typeof id === 'string') orderId = id;
            } catch {
              // not JSON: reported below
            }
            const status = res.statusCode ?? 0;
            resolve({
              type: 'order',
              start,
              end,
              status,
              orderId,
              ...(status === 200 ? {} : { error: text.slice(0, 300) }),
            });
          });
        },
      );
      req.on('error', (err) =>
        resolve({ type: 'order', start, end: now(), status: 0, orderId: null, error: String(err) }),
      );
      req.end(body);
    });
  };

  for (let i = 0; i < config.warmupOrders; i += 1) {
    const r = await postOrder();
    if (r.status !== 200) throw new Error(`warm-up order failed: ${r.status} ${r.error ?? ''}`);
  }
  let warmOrders = config.warmupOrders;
  const warmUntil = now() + config.warmupMs;
  await Promise.all(
    Array.from({ length: config.warmupMs > 0 ? config.clients : 0 }, async () => {
      while (now() < warmUntil) {
        const r = await postOrder();
        if (r.status !== 200) throw new Error(`warm-up order failed: ${r.status} ${r.error ?? ''}`);
        warmOrders += 1;
      }
    }),
  );
  post({ type: 'warm', orders: warmOrders });
  // Wait for the go signal (the main thread lets the warm-up orders settle first).
  await new Promise<void>((resolve) => parentPort?.once('message', () => resolve()));

  const deadline = now() + config.durationMs;
  await Promise.all(
    Array.from({ length: config.clients }, async () => {
      while (now() < deadline) post(await postOrder());
    }),
  );
  agent.destroy();
  post({ type: 'done' });
}

if (!isMainThread && (workerData as { e2eBenchClient?: boolean } | null)?.e2eBenchClient === true) {
  const config = (workerData as { config: ClientConfig }).config;
  runClients(config, (m) => parentPort?.postMessage(m)).catch((err: unknown) => {
    console.error('bench client failed:', err);
    process.exit(1);
  });
}

// ---------------------------------------------------------------------------------------------
// Main side

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}

const fmt = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : 'NaN');

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < 0) throw new Error(`${name} must be a non-negative number, got ${raw}`);
  return v;
}

async function main(): Promise<void> {
  // Imported here so the client worker does not load local mode.
  const { startLocalOms, DEMO_ACCOUNT_ID } = await import('../local/oms-local.js');
  const clients = Math.max(1, Math.floor(envNumber('BENCH_CLIENTS', 16)));
  const durationMs = envNumber('BENCH_SECONDS', 20) * 1000;
  const warmupOrders = Math.floor(envNumber('BENCH_WARMUP_ORDERS', 40));
  const warmupMs = envNumber('BENCH_WARMUP_SECONDS', 10) * 1000;
  const drainMs = envNumber('BENCH_DRAIN_SECONDS', 10) * 1000;
  // `BENCH_DDB_JVM_OPTS=none`: the JVM's own defaults instead of local mode's.
  const jvmEnv = process.env.BENCH_DDB_JVM_OPTS;
  const jvm = jvmEnv === 'none' ? [] : (jvmEnv ?? '').split(/\s+/).filter((o) => o !== '');
  const tuning = {
    ...(process.env.BENCH_WORKERS_PER_FUNCTION
      ? { maxWorkersPerFunction: envNumber('BENCH_WORKERS_PER_FUNCTION', 1) }
      : {}),
    ...(process.env.BENCH_STREAM_POLL_MS
      ? { streamPollIntervalMs: envNumber('BENCH_STREAM_POLL_MS', 100) }
      : {}),
    ...(jvmEnv === 'none' || jvm.length > 0 ? { dynamoDbJvmOptions: jvm } : {}),
  };

  const loadAtStart = loadAverages();
  const tmp = mkdtempSync(join(tmpdir(), 'oms-bench-e2e-'));
  const logFile = process.env.BENCH_LOG_FILE ?? join(tmp, 'handlers.log');
  const t0 = Date.now();
  const oms = await startLocalOms({ port: 0, logFile, ...tuning });
  let worker: Worker | undefined;
  try {
    console.log(
      `local-e2e: local mode up in ${((Date.now() - t0) / 1000).toFixed(1)} s at ${oms.apiUrl}; ` +
        `${clients} clients x ${durationMs / 1000} s, handler logs in ${logFile}`,
    );
    const w0 = Date.now();
    await oms.warmUp();
    console.log(`local-e2e: Lambda workers warmed up in ${((Date.now() - w0) / 1000).toFixed(1)} s`);

    /** OrderAccepted delivery time per order id. */
    const accepted = new Map<string, number>();
    /** Earlier hops, for the breakdown: OrderSubmitted on the bus, the venue's first report on the bus. */
    const submitted = new Map<string, number>();
    const venueReport = new Map<string, number>();
    const unsubscribe = oms.eventBridge.subscribe((event) => {
      const detail = event.detail as { metadata?: { orderId?: unknown }; orderId?: unknown };
      const type = event['detail-type'];
      const target =
        type === 'OrderAccepted'
          ? accepted
          : type === 'OrderSubmitted'
            ? submitted
            : type === 'ExecutionReport'
              ? venueReport
              : undefined;
      const orderId = type === 'ExecutionReport' ? detail.orderId : detail.metadata?.orderId;
      if (target !== undefined && typeof orderId === 'string' && !target.has(orderId)) {
        target.set(orderId, now());
      }
    });

    const orders: Array<{ start: number; end: number; orderId: string }> = [];
    const failures = new Map<string, number>();
    let runStart = 0;
    let runEnd = 0;
    /** CPU ms of this process (the OMS and the clients' thread) and of DynamoDB Local at the run's start and end. */
    const cpuAt = { start: [0, 0], end: [0, 0] };
    const cpuNow = () => [ownCpuMs(), processCpuMs(oms.dynamoDbPid)];
    let loadAtRunEnd = '';
    const cash = await fetch(`${oms.apiUrl}/local/accounts/${DEMO_ACCOUNT_ID}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ cash: BENCH_CASH }),
    });
    if (!cash.ok) throw new Error(`could not raise the demo account's cash: ${cash.status}`);
    const config: ClientConfig = {
      apiUrl: oms.apiUrl,
      keyId: oms.apiKeyId,
      secret: oms.apiSecretKey,
      clients,
      durationMs,
      warmupOrders,
      warmupMs,
    };
    const w = new Worker(__filename, {
      workerData: { e2eBenchClient: true, config },
      // The client is this TypeScript file: load it with tsx, as the Lambda workers are.
      execArgv: ['--import', pathToFileURL(createRequire(__filename).resolve('tsx')).href],
    });
    worker = w;
    const finished = new Promise<void>((resolve, reject) => {
      w.on('error', reject);
      w.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`client worker exited ${code}`))));
      w.on('message', (m: ClientMessage) => {
        switch (m.type) {
          case 'warm':
            void (async () => {
              // Let the warm-up orders reach the venue, so the run starts from a quiet system.
              const until = Date.now() + 5000 + warmupMs * 3;
              while (Date.now() < until && accepted.size < m.orders) await sleep(50);
              console.log(
                `local-e2e: warm-up ${warmupOrders} orders one by one, then ${m.orders - warmupOrders} from ` +
                  `${clients} clients in ${warmupMs / 1000} s; ${accepted.size} accepted; go`,
              );
              accepted.clear();
              submitted.clear();
              venueReport.clear();
              runStart = now();
              cpuAt.start = cpuNow();
              w.postMessage('go');
            })();
            return;
          case 'order':
            if (m.status === 200 && m.orderId !== null) {
              orders.push({ start: m.start, end: m.end, orderId: m.orderId });
            } else {
              const key = `${m.status} ${m.error ?? ''}`.slice(0, 200);
              failures.set(key, (failures.get(key) ?? 0) + 1);
            }
            return;
          case 'done':
            runEnd = now();
            cpuAt.end = cpuNow();
            loadAtRunEnd = loadAverages();
            return;
        }
      });
    });

    // Progress every 2 s: orders acknowledged and accepted in the last interval.
    let lastOrders = 0;
    let lastAccepted = 0;
    const progress = setInterval(() => {
      if (runStart === 0) return;
      const t = (now() - runStart) / 1000;
      const acks = orders.slice(lastOrders).map((o) => o.end - o.start);
      acks.sort((a, b) => a - b);
      const acc = accepted.size - lastAccepted;
      console.log(
        `local-e2e: t=${t.toFixed(0)}s acked=${orders.length} (+${acks.length}, ${(acks.length / 2).toFixed(0)}/s, ` +
          `p50 ${fmt(percentile(acks, 50))} ms, p99 ${fmt(percentile(acks, 99))} ms) ` +
          `accepted=${accepted.size} (+${acc}) failed=${[...failures.values()].reduce((a, b) => a + b, 0)}`,
      );
      lastOrders = orders.length;
      lastAccepted = accepted.size;
    }, 2000);
    try {
      await finished;
      worker = undefined;
      // Drain: wait for the last orders' OrderAccepted.
      const drainUntil = Date.now() + drainMs;
      const missing = () => orders.filter((o) => !accepted.has(o.orderId)).length;
      while (Date.now() < drainUntil && missing() > 0) await sleep(100);
    } finally {
      clearInterval(progress);
      unsubscribe();
    }

    const elapsedS = (runEnd - runStart) / 1000;
    const acks = orders.map((o) => o.end - o.start).sort((a, b) => a - b);
    // What the whole OMS got through in the timed run: OrderAccepted on the bus within it, of any
    // order (the warm-up's too). Acknowledgements alone overstate a saturated run: the API answers
    // faster than the stream, the workflow and the venue behind it, and the backlog grows.
    let acceptedInRun = 0;
    for (const at of accepted.values()) if (at >= runStart && at <= runEnd) acceptedInRun += 1;
    const acceptedLatencies: number[] = [];
    let notAccepted = 0;
    for (const o of orders) {
      const at = accepted.get(o.orderId);
      if (at === undefined) notAccepted += 1;
      else acceptedLatencies.push(at - o.start);
    }
    acceptedLatencies.sort((a, b) => a - b);
    // Where the time goes: each hop's latency from the previous one (orders that have both ends).
    const hop = (
      name: string,
      from: (o: (typeof orders)[0]) => number | undefined,
      to: Map<string, number>,
    ) => {
      const ds: number[] = [];
      for (const o of orders) {
        const a = from(o);
        const b = to.get(o.orderId);
        if (a !== undefined && b !== undefined) ds.push(b - a);
      }
      ds.sort((x, y) => x - y);
      return `${name} p50 ${fmt(percentile(ds, 50))} p99 ${fmt(percentile(ds, 99))}`;
    };
    console.log(
      `local-e2e: hops (ms): ${hop('POST->OrderSubmitted on bus', (o) => o.start, submitted)}; ` +
        `${hop('OrderSubmitted->venue report on bus', (o) => submitted.get(o.orderId), venueReport)}; ` +
        `${hop('venue report->OrderAccepted on bus', (o) => venueReport.get(o.orderId), accepted)}`,
    );
    for (const [what, count] of failures) console.log(`local-e2e: ${count} failed POSTs: ${what}`);
    console.log(
      `local-e2e: ${orders.length} orders acked in ${elapsedS.toFixed(1)} s; ` +
        `ack p50/p90/p99/max ${fmt(percentile(acks, 50))}/${fmt(percentile(acks, 90))}/${fmt(percentile(acks, 99))}/${fmt(acks.at(-1) ?? Number.NaN)} ms; ` +
        `accepted event p50/p90/p99/max ${fmt(percentile(acceptedLatencies, 50))}/${fmt(percentile(acceptedLatencies, 90))}/` +
        `${fmt(percentile(acceptedLatencies, 99))}/${fmt(acceptedLatencies.at(-1) ?? Number.NaN)} ms; ` +
        `${notAccepted} without OrderAccepted after ${drainMs / 1000} s (counted as missing, not in the percentiles)`,
    );
    // CPU per acknowledged order over the timed run: a figure less sensitive to other load on the
    // machine than orders/s. In a steady state the background work that leaves the window with the
    // last orders is about what entered it with the warm-up's. The OMS process includes the
    // clients' thread.
    const cpuPerOrder = (i: number) =>
      ((cpuAt.end[i] as number) - (cpuAt.start[i] as number)) / Math.max(1, orders.length);
    const perOrder = (i: number) => fmt(cpuPerOrder(i));
    console.log(
      `local-e2e: cpu per acked order over the run: oms process ${perOrder(0)} ms, dynamodb-local ${perOrder(1)} ms; ` +
        `load average at start ${loadAtStart}, at the end of the run ${loadAtRunEnd}`,
    );
    const cpuRunMs =
      (cpuAt.end[0] as number) -
      (cpuAt.start[0] as number) +
      (cpuAt.end[1] as number) -
      (cpuAt.start[1] as number);
    console.log(
      `local-e2e: ${acceptedInRun} OrderAccepted within the run: ${(acceptedInRun / elapsedS).toFixed(1)} accepted/s ` +
        `(${(orders.length / elapsedS).toFixed(1)} acked/s), cpu per accepted order ${fmt(cpuRunMs / Math.max(1, acceptedInRun))} ms`,
    );
    // An order with no OrderAccepted at all makes the accepted-event p99 meaningless: say so.
    const p99Accepted =
      notAccepted > orders.length / 100 ? Number.POSITIVE_INFINITY : percentile(acceptedLatencies, 99);
    console.log(
      `local-e2e orders_per_s=${(orders.length / elapsedS).toFixed(1)} p50_ack_ms=${fmt(percentile(acks, 50))} ` +
        `p99_ack_ms=${fmt(percentile(acks, 99))} p99_accepted_event_ms=${Number.isFinite(p99Accepted) ? fmt(p99Accepted) : 'inf'} ` +
        `cpu_ms_per_order=${fmt(cpuPerOrder(0) + cpuPerOrder(1))} accepted_per_s=${(acceptedInRun / elapsedS).toFixed(1)} ` +
        `load_at_start=${loadAtStart.split(' ')[0]}`,
    );
  } finally {
    if (worker !== undefined) await worker.terminate();
    await oms.stop();
    if (process.env.BENCH_LOG_FILE === undefined) rmSync(tmp, { recursive: true, force: true });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

if (isMainThread) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error('local-e2e failed:', err);
      process.exit(1);
    },
  );
}
