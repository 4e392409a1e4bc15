/**
 * Domain-core throughput on one core: full lifecycles of a limit order (validate the request,
 * submit, accept, three partial fills to filled), timed per command with hrtime.
 * Prints `domain-core lifecycles_per_s=<n> p99_command_us=<n>` as its last line.
 * Targets (2-core CI machine): >= 50,000 lifecycles/s, p99 <= 20 us per command.
 */
import { execute, type OrderCommand, type OrderState, validateOrderRequest } from '../lambdas/core/index.js';

const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 5000);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 1500);
const now = Date.parse('2026-11-23T15:00:00Z');
const request = {
  symbol: 'AAPL',
  qty: '300',
  side: 'buy',
  type: 'limit',
  time_in_force: 'day',
  limit_price: '187.25',
  client_order_id: 'bench',
};
const fills: OrderCommand[] = [
  { type: 'fill', execId: 'e1', lastQty: '100', lastPx: '187.25' },
  { type: 'fill', execId: 'e2', lastQty: '100', lastPx: '187.24' },
  { type: 'fill', execId: 'e3', lastQty: '100', lastPx: '187.2' },
];

/** One lifecycle; `timings` (if given) receives each command's duration in ns. */
function lifecycle(i: number, timings: Float64Array | null, offset: number): void {
  let t = process.hrtime.bigint();
  const mark = (k: number) => {
    if (timings === null) return;
    const t2 = process.hrtime.bigint();
    timings[offset + k] = Number(t2 - t);
    t = t2;
  };
  const v = validateOrderRequest(request, { now });
  if (!v.ok) throw new Error('bench request invalid');
  mark(0);
  let r = execute(undefined, { type: 'submit', orderId: `o${i}`, accountId: 'acc', order: v.order }, now);
  mark(1);
  r = execute(r.state, { type: 'accept', venueOrderId: 'v' }, now + 1);
  mark(2);
  let s = r.state as OrderState;
  for (let k = 0; k < fills.length; k++) {
    const f = execute(s, fills[k] as OrderCommand, now + 2 + k);
    if (!f.decision.ok) throw new Error('bench fill refused');
    s = f.state as OrderState;
    mark(3 + k);
  }
  if (s.filledQty !== 300_000_000_000n) throw new Error('bench order not filled');
}

const COMMANDS = 6;
function run(ms: number, timed: boolean): { lifecycles: number; seconds: number; timings: Float64Array } {
  const cap = 2_000_000;
  const timings = new Float64Array(timed ? cap * COMMANDS : 0);
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(ms) * 1_000_000n;
  let n = 0;
  while (process.hrtime.bigint() < deadline) {
    for (let j = 0; j < 100; j++, n++) lifecycle(n, timed && n < cap ? timings : null, n * COMMANDS);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return {
    lifecycles: n,
    seconds,
    timings: timed ? timings.subarray(0, Math.min(n, cap) * COMMANDS) : timings,
  };
}

run(WARMUP_MS, false);
// Throughput is measured untimed (no per-command clock reads); latency in a separate timed pass.
const throughput = run(DURATION_MS, false);
const latency = run(Math.max(1000, DURATION_MS / 2), true);
const sorted = Float64Array.from(latency.timings).sort();
const pct = (p: number) => (sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0) / 1000;
const perS = Math.round(throughput.lifecycles / throughput.seconds);
console.log(
  `node ${process.version}; ${throughput.lifecycles} lifecycles in ${throughput.seconds.toFixed(2)} s; ` +
    `command latency us: p50=${pct(0.5).toFixed(2)} p90=${pct(0.9).toFixed(2)} p99=${pct(0.99).toFixed(2)} p99.9=${pct(0.999).toFixed(2)}`,
);
console.log(`domain-core lifecycles_per_s=${perS} p99_command_us=${pct(0.99).toFixed(2)}`);
