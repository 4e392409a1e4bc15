/**
 * The trade_updates stream in local mode (issue 14): local mode started in this process, WebSocket
 * clients in a worker thread (their parsing does not share the event loop that runs the OMS).
 *
 * 1. Latency: one client listens to the demo account; BENCH_STREAM_ORDERS (40) market orders are
 *    placed one after another; for each `fill` frame, the time from the fill's event-store write
 *    (the OrderFilled's `occurredAt`, stamped when the apply-execution handler decides the append,
 *    just before it writes) to the frame's arrival at the client: p50 / p99 / max.
 * 2. Fan-out: BENCH_STREAM_CLIENTS (100) clients listen to the same account while BENCH_STREAM_HTTP
 *    (4) HTTP clients place market orders for BENCH_SECONDS (15); frames received by all clients
 *    per second, each client's frames checked gapless (stream_seq), and the event-store-write to
 *    frame latency at the 100 clients (p50 / p99).
 *
 * One clock on both threads (`performance.timeOrigin + performance.now()`; `occurredAt` is
 * `Date.now()` of the same machine, ms resolution). Last line:
 * `stream fill_to_frame_p50_ms=<n> p99_ms=<n> fanout_clients=<n> fanout_frames_per_s=<n>
 * fanout_updates_per_s=<n> fanout_p99_ms=<n> gaps=<n> load_at_start=<n>`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import WebSocket from 'ws';
import { loadAverages } from './proc-cpu.js';
import { tradingDaySession } from './trading-day.js';

const now = (): number => performance.timeOrigin + performance.now();

interface WorkerInput {
  readonly streamUrl: string;
  readonly keyId: string;
  readonly secret: string;
  readonly clients: number;
}
type FromWorker =
  | { readonly type: 'listening' }
  | {
      readonly type: 'frame';
      readonly client: number;
      readonly seq: number;
      readonly event: string;
      readonly at: number;
      readonly latencyMs: number;
    }
  | { readonly type: 'gap'; readonly client: number; readonly expected: number; readonly got: number };

/** Worker: `clients` connections, authenticated and listening; reports every update. */
async function clientsWorker(input: WorkerInput): Promise<void> {
  const port = parentPort as NonNullable<typeof parentPort>;
  let ready = 0;
  const sockets: WebSocket[] = [];
  for (let c = 0; c < input.clients; c++) {
    const socket = new WebSocket(input.streamUrl);
    sockets.push(socket);
    let last = 0;
    socket.on('open', () =>
      socket.send(
        JSON.stringify({ action: 'authenticate', data: { key_id: input.keyId, secret_key: input.secret } }),
      ),
    );
    socket.on('message', (raw) => {
      const at = now();
      const frame = JSON.parse(String(raw)) as {
        stream: string;
        data: { status?: string; stream_seq: number; event: string; timestamp: string };
      };
      if (frame.stream === 'authorization' && frame.data.status === 'authorized')
        socket.send(JSON.stringify({ action: 'listen', data: { streams: ['trade_updates'] } }));
      else if (frame.stream === 'listening') {
        if (++ready === input.clients) port.postMessage({ type: 'listening' } satisfies FromWorker);
      } else if (frame.stream === 'trade_updates') {
        const { stream_seq: seq, event, timestamp } = frame.data;
        if (last !== 0 && seq !== last + 1)
          port.postMessage({ type: 'gap', client: c, expected: last + 1, got: seq } satisfies FromWorker);
        last = seq;
        port.postMessage({
          type: 'frame',
          client: c,
          seq,
          event,
          at,
          latencyMs: at - Date.parse(timestamp),
        } satisfies FromWorker);
      }
    });
  }
  port.on('message', (m) => {
    if (m === 'close') {
      for (const s of sockets) s.close();
      port.close();
    }
  });
}

const quantile = (sorted: readonly number[], q: number): number =>
  sorted.length === 0
    ? Number.NaN
    : (sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number);
const fmt = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');

async function main(): Promise<void> {
  const { startLocalOms } = await import('../local/oms-local.js');
  const orders = Number(process.env.BENCH_STREAM_ORDERS ?? 40);
  const fanClients = Number(process.env.BENCH_STREAM_CLIENTS ?? 100);
  const httpClients = Number(process.env.BENCH_STREAM_HTTP ?? 4);
  const seconds = Number(process.env.BENCH_SECONDS ?? 15);
  const loadAtStart = loadAverages()[0];
  const dir = mkdtempSync(join(tmpdir(), 'oms-stream-bench-'));
  const oms = await startLocalOms({
    port: 0,
    logFile: join(dir, 'handlers.log'),
    ...tradingDaySession(),
  });
  const streamUrl = oms.streamUrl;
  const place = async (n: number): Promise<boolean> => {
    const res = await fetch(`${oms.apiUrl}/v2/orders`, {
      method: 'POST',
      headers: {
        'APCA-API-KEY-ID': oms.apiKeyId,
        'APCA-API-SECRET-KEY': oms.apiSecretKey,
        'content-type': 'application/json',
      },
      body: JSON.stringify({
        symbol: ['AAPL', 'MSFT', 'SPY', 'TSLA', 'NVDA'][n % 5],
        qty: String(1 + (Math.floor(n / 5) % 200)),
        side: 'buy',
        type: 'market',
        time_in_force: 'day',
      }),
    });
    await res.text();
    return res.status === 200;
  };
  const startClients = async (clients: number) => {
    const worker = new Worker(__filename, {
      workerData: { streamUrl, keyId: oms.apiKeyId, secret: oms.apiSecretKey, clients } satisfies WorkerInput,
      execArgv: process.execArgv,
    });
    const messages: FromWorker[] = [];
    await new Promise<void>((resolve, reject) => {
      worker.on('error', reject);
      worker.on('message', (m: FromWorker) => {
        if (m.type === 'listening') resolve();
        else messages.push(m);
      });
    });
    return {
      messages,
      async stop() {
        worker.postMessage('close');
        await new Promise((r) => worker.once('exit', r));
      },
    };
  };
  const until = async (check: () => boolean, ms: number) => {
    const deadline = Date.now() + ms;
    while (!check() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  };
  try {
    // 1. Latency, one listener, orders one after another.
    const one = await startClients(1);
    let n = 0;
    for (let i = 0; i < orders; i++) {
      const fills = one.messages.filter((m) => m.type === 'frame' && m.event === 'fill').length;
      await place(n++);
      await until(
        () => one.messages.filter((m) => m.type === 'frame' && m.event === 'fill').length > fills,
        10_000,
      );
    }
    await one.stop();
    const fillLatency = one.messages
      .flatMap((m) => (m.type === 'frame' && m.event === 'fill' ? [m.latencyMs] : []))
      .sort((a, b) => a - b);
    console.log(
      `stream latency: ${fillLatency.length} fills, event-store write -> frame p50 ${fmt(quantile(fillLatency, 0.5))} ms, p99 ${fmt(quantile(fillLatency, 0.99))} ms, max ${fmt(fillLatency.at(-1) ?? Number.NaN)} ms`,
    );

    // 2. Fan-out to many listeners while orders flow.
    const many = await startClients(fanClients);
    const t0 = now();
    const deadline = Date.now() + seconds * 1000;
    let placed = 0;
    let refused = 0;
    await Promise.all(
      Array.from({ length: httpClients }, async () => {
        while (Date.now() < deadline) {
          if (await place(n++)) placed++;
          else refused++;
        }
      }),
    );
    // Drain: every client holds every update of the run (a market order: new + fill).
    const counts = () => {
      const c = new Array<number>(fanClients).fill(0);
      for (const m of many.messages) if (m.type === 'frame') c[m.client] = (c[m.client] ?? 0) + 1;
      return c;
    };
    await until(() => counts().every((x) => x >= placed * 2), 120_000);
    const perClientCounts = counts();
    const frames = many.messages.filter((m) => m.type === 'frame');
    // From the first order to the last frame at any client.
    const elapsed = (Math.max(...frames.map((m) => (m.type === 'frame' ? m.at : 0))) - t0) / 1000;
    const gaps = many.messages.filter((m) => m.type === 'gap').length;
    const perClient = frames.length / fanClients;
    const minPerClient = Math.min(...perClientCounts);
    const maxPerClient = Math.max(...perClientCounts);
    const latencies = frames.map((m) => (m.type === 'frame' ? m.latencyMs : 0)).sort((a, b) => a - b);
    await many.stop();
    const framesPerS = frames.length / elapsed;
    console.log(
      `stream fan-out: ${fanClients} clients, ${placed} orders (${refused} refused) by ${httpClients} HTTP clients in ${seconds} s; ${frames.length} frames (${perClient.toFixed(1)} per client, min ${minPerClient}, max ${maxPerClient}, expected ${placed * 2}) in ${elapsed.toFixed(1)} s (first order to last frame) = ${framesPerS.toFixed(0)} frames/s (${(framesPerS / fanClients).toFixed(1)} updates/s each); event-store write -> frame p50 ${fmt(quantile(latencies, 0.5))} ms, p99 ${fmt(quantile(latencies, 0.99))} ms; gaps ${gaps}`,
    );
    console.log(
      `stream fill_to_frame_p50_ms=${fmt(quantile(fillLatency, 0.5))} p99_ms=${fmt(quantile(fillLatency, 0.99))} fanout_clients=${fanClients} fanout_frames_per_s=${framesPerS.toFixed(0)} fanout_updates_per_s=${(framesPerS / fanClients).toFixed(1)} fanout_p99_ms=${fmt(quantile(latencies, 0.99))} gaps=${gaps} missing=${fanClients * placed * 2 - frames.length} load_at_start=${loadAtStart}`,
    );
  } finally {
    await oms.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (isMainThread) {
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
} else {
  void clientsWorker(workerData as WorkerInput);
}
