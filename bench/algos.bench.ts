/**
 * Algorithmic orders over a simulated session: TWAP, VWAP and Iceberg parents run from the open
 * (09:30 New York) to the close on a simulated clock that advances in the market's tick step
 * (1 s). Each tick the seeded market moves (`advanceQuote`), prints one trade at its last price for
 * the displayed size on that side (the tape the market VWAP and the observed volume come from),
 * due slices are decided, and the open child orders are matched by the venue's matching rules
 * (`match`, displayed size as the liquidity available); a child that closes wakes the algorithm.
 *
 * The session loop (`runSession`) knows nothing of any algorithm: it asks the registry for the
 * plan and for decisions, as the parent's workflow will, so the same algorithms can be driven by
 * local mode's real timers instead.
 *
 * Measures:
 *  - twap_schedule_err_ms: max |child release time - scheduled slice time| (the loop wakes on
 *    ticks, so a randomized slice time is kept to within one tick);
 *  - vwap_tracking_bps: |VWAP parent's average price - the market VWAP over its window| in bps;
 *  - iceberg_max_shown: the most an iceberg parent ever had working (shown) at once.
 * Last line: `algos-sim twap_schedule_err_ms=<n> vwap_tracking_bps=<n> iceberg_max_shown=<n>`, also
 * written to `<tmpdir>/oms-algos-sim.json` for bench/algos-local.bench.ts, which `npm run
 * bench:algos` runs next: it drives TWAP and Iceberg parents through local mode's real workflow
 * timers and prints the final `algos ...` line.
 * Targets: TWAP within 1000 ms, VWAP within 5 bps, iceberg never above its display_qty.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { advanceQuote, type Quote, seedQuote } from '../lambdas/broker-gateway/simulated/market.js';
import { type BookOrder, match } from '../lambdas/broker-gateway/simulated/matching.js';
import {
  type AlgoParams,
  type AlgoRegistry,
  builtInAlgorithms,
  type ChildOutcome,
  type DecisionInput,
  decideFor,
  planFor,
  seedFromOrderId,
} from '../lambdas/core/algos/index.js';
import { formatNanos, type Nanos, nanos, newYorkToUtc, ONE } from '../lambdas/core/index.js';

const TICK_MS = 1_000;
const SYMBOL = 'AAPL';
/** Wednesday 4 March 2026: a regular session, 09:30-16:00 New York. */
const OPEN = newYorkToUtc(2026, 3, 4, 9, 30);
const CLOSE = newYorkToUtc(2026, 3, 4, 16, 0);

interface SimChild {
  order: BookOrder;
  readonly releasedAt: number;
}

interface SessionResult {
  readonly label: string;
  readonly params: AlgoParams;
  readonly slices: number;
  readonly children: number;
  readonly filledQty: Nanos;
  /** Exact sum of qty x price of the parent's fills (scale 18). */
  readonly filledValue: bigint;
  /** The tape over the parent's window: sum of print size and of size x price (scale 18). */
  readonly marketVolume: Nanos;
  readonly marketValue: bigint;
  /** |release time - slice time| of every release made at a slice. */
  readonly scheduleErrorsMs: readonly number[];
  readonly maxShown: Nanos;
  /** Quantity of each child, in release order. */
  readonly clips: readonly Nanos[];
  /** Largest (working + release) / observed volume of a release, where max_percentage applies. */
  readonly maxParticipation: number;
  readonly decideNs: readonly number[];
  readonly ended: string;
}

/** One parent over the session, decided by `registry`'s algorithm, filled by the matching rules. */
function runSession(label: string, params: AlgoParams, registry: AlgoRegistry): SessionResult {
  const plan = planFor(registry, params);
  const children: SimChild[] = [];
  const scheduleErrorsMs: number[] = [];
  const decideNs: number[] = [];
  let market: Quote = seedQuote(SYMBOL, params.startTime);
  let filledQty = 0n;
  let filledValue = 0n;
  let marketVolume = 0n;
  let marketValue = 0n;
  let volumeSinceDecision = 0n;
  let nextSlice = 0;
  let maxShown = 0n;
  let maxParticipation = 0;
  let ended = 'window_closed';
  let finished = false;

  const working = () => children.reduce((s, c) => s + (c.order.status === 'open' ? leaves(c.order) : 0n), 0n);
  const ask = (event: DecisionInput['event'], now: number, closed: ChildOutcome | null): boolean => {
    const input: DecisionInput = {
      params,
      plan,
      event,
      sliceIndex: nextSlice - 1,
      now,
      filledQty,
      workingQty: working(),
      quote: { bid: market.bid, ask: market.ask, last: market.last },
      observedVolume: volumeSinceDecision,
      closedChild: closed,
    };
    const t0 = process.hrtime.bigint();
    const decision = decideFor(registry, input);
    decideNs.push(Number(process.hrtime.bigint() - t0));
    volumeSinceDecision = 0n;
    if (decision.kind === 'done') {
      ended = decision.reason;
      finished = true;
    } else if (decision.kind === 'release') {
      const { child } = decision;
      if (params.maxPercentage !== null && input.observedVolume > 0n)
        maxParticipation = Math.max(
          maxParticipation,
          Number(((input.workingQty + child.qty) * 1_000_000n) / input.observedVolume) / 1e6,
        );
      children.push({
        releasedAt: now,
        order: {
          orderId: `${label}-${children.length + 1}`,
          symbol: SYMBOL,
          side: params.side,
          type: child.type,
          timeInForce: child.timeInForce,
          qty: child.qty,
          notional: null,
          limitPrice: child.limitPrice,
          stopPrice: null,
          trailPrice: null,
          trailPercent: null,
          filledQty: 0n,
          filledValue: 0n,
          triggered: false,
          watermark: null,
          status: 'open',
        },
      });
      const shown = working();
      if (shown > maxShown) maxShown = shown;
    }
    return decision.kind === 'release';
  };

  for (let now = params.startTime; now < params.endTime && !finished; now += TICK_MS) {
    if (now > params.startTime) market = advanceQuote(market, now);
    // The tape: one print a tick at the last price, for the size displayed on that side.
    const printed = market.last === market.bid ? market.bidSize : market.askSize;
    marketVolume += printed;
    marketValue += printed * market.last;
    volumeSinceDecision += printed;

    while (!finished && nextSlice < plan.slices.length && (plan.slices[nextSlice]?.at ?? 0) <= now) {
      const at = plan.slices[nextSlice]?.at ?? now;
      nextSlice++;
      if (ask('slice', now, null)) scheduleErrorsMs.push(Math.abs(now - at));
    }

    // The venue: open children in release order take the displayed size this tick.
    let book = market;
    const closed: ChildOutcome[] = [];
    for (const c of children) {
      if (c.order.status !== 'open') continue;
      const r = match(c.order, book);
      book = r.quote;
      for (const e of r.executions) {
        if (e.kind !== 'fill') continue;
        filledQty += e.qty;
        filledValue += e.qty * e.px;
      }
      c.order = r.order;
      if (r.order.status === 'filled') closed.push('filled');
      else if (r.order.status === 'canceled') closed.push('canceled');
    }
    for (const outcome of closed) if (!finished) ask('child_closed', now, outcome);
  }

  return {
    label,
    params,
    slices: plan.slices.length,
    children: children.length,
    filledQty,
    filledValue,
    marketVolume,
    marketValue,
    scheduleErrorsMs,
    maxShown,
    clips: children.map((c) => c.order.qty ?? 0n),
    maxParticipation,
    decideNs,
    ended,
  };
}

function leaves(o: BookOrder): Nanos {
  return (o.qty ?? 0n) - o.filledQty;
}

/** Average price of a value (scale 18) over a quantity, as a Number of dollars (for printing). */
function avgPrice(value: bigint, qty: Nanos): number {
  return qty === 0n ? 0 : Number((value * 10_000n) / (qty * ONE)) / 10_000;
}

/** |a - b| / b in basis points, from exact averages (value18 / qty) cross-multiplied. */
function trackingBps(r: SessionResult): number {
  if (r.filledQty === 0n || r.marketVolume === 0n) return Number.NaN;
  const ours = r.filledValue * r.marketVolume;
  const theirs = r.marketValue * r.filledQty;
  const diff = ours > theirs ? ours - theirs : theirs - ours;
  return Number((diff * 1_000_000n) / theirs) / 100;
}

function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return 0;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
}

function params(label: string, overrides: Partial<AlgoParams>): AlgoParams {
  return {
    algorithm: 'TWAP',
    side: 'buy',
    qty: nanos('20000'),
    limitPrice: null,
    startTime: OPEN,
    endTime: CLOSE,
    displayQty: null,
    maxPercentage: null,
    qtyJitter: null,
    timeJitter: null,
    seed: seedFromOrderId(`bench-${label}`),
    ...overrides,
  };
}

const opening = seedQuote(SYMBOL, OPEN);
const runs = [
  runSession(
    'twap',
    params('twap', { qtyJitter: nanos('0.2'), timeJitter: nanos('0.3') }),
    builtInAlgorithms,
  ),
  runSession(
    'vwap',
    params('vwap', { algorithm: 'VWAP', qty: nanos('200000'), maxPercentage: nanos('0.1') }),
    builtInAlgorithms,
  ),
  runSession(
    'iceberg',
    params('iceberg', {
      algorithm: 'ICEBERG',
      // Not a multiple of the clip: the last clip is the 250 left.
      qty: nanos('20250'),
      displayQty: nanos('500'),
      // A buy limit 50 cents over the opening offer: each clip fills as the offer's displayed size allows.
      limitPrice: opening.ask + nanos('0.5'),
    }),
    builtInAlgorithms,
  ),
];

console.log(
  `node ${process.version}; ${SYMBOL} from ${new Date(OPEN).toISOString()} to ${new Date(CLOSE).toISOString()}, ` +
    `${TICK_MS} ms ticks`,
);
for (const r of runs) {
  const p = r.params;
  const caps = [
    p.displayQty === null ? null : `display_qty=${formatNanos(p.displayQty)}`,
    p.maxPercentage === null ? null : `max_percentage=${formatNanos(p.maxPercentage)}`,
    p.limitPrice === null ? null : `limit=${formatNanos(p.limitPrice)}`,
    p.qtyJitter === null ? null : `qty_jitter=${formatNanos(p.qtyJitter)}`,
    p.timeJitter === null ? null : `time_jitter=${formatNanos(p.timeJitter)}`,
  ].filter((x) => x !== null);
  console.log(
    `${p.algorithm.padEnd(7)} qty=${formatNanos(p.qty)} ${caps.join(' ')} | slices=${r.slices} children=${r.children} ` +
      `filled=${formatNanos(r.filledQty)} ended=${r.ended} avg_px=${avgPrice(r.filledValue, r.filledQty).toFixed(4)} ` +
      `market_vwap=${avgPrice(r.marketValue, r.marketVolume).toFixed(4)} vs_market_vwap_bps=${trackingBps(r).toFixed(2)} ` +
      `participation=${(Number((r.filledQty * 1_000_000n) / (r.marketVolume || 1n)) / 1e4).toFixed(2)}% ` +
      `max_release_participation=${r.maxParticipation.toFixed(3)} ` +
      `schedule_err_ms max=${Math.max(0, ...r.scheduleErrorsMs)} p50=${percentile(r.scheduleErrorsMs, 0.5)} ` +
      `max_shown=${formatNanos(r.maxShown)} last_child=${formatNanos(r.clips.at(-1) ?? 0n)} decide_us p50=${(percentile(r.decideNs, 0.5) / 1000).toFixed(1)} ` +
      `p99=${(percentile(r.decideNs, 0.99) / 1000).toFixed(1)} (${r.decideNs.length} calls)`,
  );
}
const [twapRun, vwapRun, icebergRun] = runs as [SessionResult, SessionResult, SessionResult];
const simulated = {
  twapScheduleErrMs: Math.max(0, ...twapRun.scheduleErrorsMs),
  vwapTrackingBps: Number(trackingBps(vwapRun).toFixed(2)),
  icebergMaxShown: formatNanos(icebergRun.maxShown),
};
console.log(
  `algos-sim twap_schedule_err_ms=${simulated.twapScheduleErrMs} ` +
    `vwap_tracking_bps=${simulated.vwapTrackingBps} iceberg_max_shown=${simulated.icebergMaxShown}`,
);
// bench/algos-local.bench.ts runs next (npm run bench:algos) and prints the final line with these.
writeFileSync(join(tmpdir(), 'oms-algos-sim.json'), JSON.stringify(simulated));
