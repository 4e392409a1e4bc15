/**
 * Smart order routing versus one venue (issue 15): a simulated session of BENCH_ROUTING_ORDERS
 * (5000; or the first argument) orders over a few symbols, the same order stream routed by each
 * strategy, what each one paid. Pure and in-process (no local mode, no DynamoDB), deterministic for
 * a seed (BENCH_ROUTING_SEED, 15). Money is exact (core decimal.ts nanos); numbers become floats
 * only to be printed.
 *
 * - The tape: each symbol starts at `seedQuote` and walks with `advanceQuote` (the simulated
 *   market's own walk) every 0.5-1.5 s of simulated time from 09:30 New York, one order per step.
 *   Each venue's book is core `venueQuotesOf(tape)` (not pinned, every venue up): the primary
 *   (SIMX) shows the tape, SIMY and SIMZ a tick inside or outside it, with a share of its size.
 * - Orders (seeded): random symbol and side, 50-2000 shares, 70% market, 30% limit at the NBBO's
 *   far side or one tick through it (always marketable on arrival), day.
 * - Strategies: `best_price` (core router, splittable), `cheapest_fee` (core router),
 *   `best_single_venue` (best_price, not splittable) and the baseline `primary_only` (the whole
 *   order to SIMX, a policy plugged into the core registry, so its allocations are checked by the
 *   same rules; a limit SIMX shows no price within is not sent and counts unfilled).
 * - Execution of a child of q shares at a venue showing price p and size s on the side it takes:
 *   min(q, s) at p, then each further block of s shares one tick worse than the one before (the
 *   book behind the touch modelled as repeated copies of the touch); a limit child stops at its
 *   limit and the rest counts unfilled. Taker fee of the venue per filled share (`feeOf`).
 * - Measures, over filled shares: price improvement per share against the NBBO far side at arrival
 *   (buy: ask - price, sell: price - bid; negative: worse), fees, all-in cost against the arrival
 *   NBBO mid (price difference plus fees, $ per share and bps of the mid notional), fill rate, and
 *   the difference from `primary_only` (positive: cheaper than the baseline).
 *
 * Last line: one JSON object, `{"bench":"routing",...}`.
 */
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import {
  advanceQuote,
  hash32,
  type Quote,
  rng,
  seedQuote,
} from '../lambdas/broker-gateway/simulated/market.js';
import {
  type Allocation,
  builtInPolicies,
  decideRoute,
  divideHalfEven,
  feeOf,
  formatNanos,
  type MarketQuote,
  midpointOf,
  type Nanos,
  nationalBestBidOffer,
  ONE,
  PRIMARY_VENUE,
  type RoutingPolicy,
  type RoutingRequest,
  type Side,
  signedNanos,
  tickSizeFor,
  type Value18,
  VENUE_PROFILES,
  type VenueCandidate,
  type VenueProfile,
  venueQuotesOf,
} from '../lambdas/core/index.js';

const ORDERS = Number(process.argv[2] ?? process.env.BENCH_ROUTING_ORDERS ?? 5000);
const SEED = Number(process.env.BENCH_ROUTING_SEED ?? 15);
const SYMBOLS = ['AAPL', 'MSFT', 'NVDA', 'SPY'] as const;
/** Monday 2 June 2025, 09:30 New York (EDT): the session's open. */
const SESSION_START = Date.UTC(2025, 5, 2, 13, 30, 0);
if (!Number.isInteger(ORDERS) || ORDERS <= 0) throw new Error(`orders must be a positive integer: ${ORDERS}`);

/** The baseline as a routing policy: the whole order to the primary venue, whatever the others show. */
const primaryOnly: RoutingPolicy = {
  name: 'primary_only',
  description: 'the whole order to the primary venue (the baseline without routing)',
  route({ request, marketable, eligible }) {
    const primary = eligible.find((v) => v.primary);
    if (primary === undefined) return { allocations: [], reason: 'the primary venue cannot take it' };
    const price = request.side === 'buy' ? primary.ask : primary.bid;
    return {
      allocations: [
        {
          venue: primary.venue,
          qty: request.qty,
          notional: request.notional,
          limitPrice: request.limitPrice,
          expectedPrice: marketable ? price : null,
          liquidity: marketable ? 'take' : 'post',
        },
      ],
      reason: `whole order to ${primary.venue}`,
    };
  },
};
const registry = builtInPolicies.with(primaryOnly);

interface Strategy {
  readonly name: string;
  readonly policy: string;
  readonly splittable: boolean;
}
const STRATEGIES: readonly Strategy[] = [
  { name: 'best_price', policy: 'best_price', splittable: true },
  { name: 'cheapest_fee', policy: 'cheapest_fee', splittable: true },
  { name: 'best_single_venue', policy: 'best_price', splittable: false },
  { name: 'primary_only', policy: 'primary_only', splittable: true },
];
const BASELINE = 'primary_only';

/** Exact totals of one strategy over the session (shares and prices in nanos, products at scale 18). */
interface Totals {
  requested: Nanos;
  filled: Nanos;
  /** sum(qty x (far NBBO - price)) for buys, sum(qty x (price - far NBBO)) for sells. */
  improvement: Value18;
  fees: Nanos;
  /** sum(qty x (price - mid)) for buys, sum(qty x (mid - price)) for sells: the price part of the cost. */
  slippage: Value18;
  /** sum(qty x mid): what the filled shares were worth at arrival. */
  midNotional: Value18;
  children: number;
  splitOrders: number;
  unroutable: number;
  byVenue: Map<string, Nanos>;
}

const emptyTotals = (): Totals => ({
  requested: 0n,
  filled: 0n,
  improvement: 0n,
  fees: 0n,
  slippage: 0n,
  midNotional: 0n,
  children: 0,
  splitOrders: 0,
  unroutable: 0,
  byVenue: new Map(VENUE_PROFILES.map((p) => [p.name, 0n])),
});

/** `numerator / denominator` at scale 9, half-even, either sign of numerator. */
function signedDivide(numerator: Value18, denominator: Nanos): Nanos {
  return numerator < 0n ? -divideHalfEven(-numerator, denominator) : divideHalfEven(numerator, denominator);
}

const toNumber = (v: Nanos): number => Number(formatNanos(v));

/** The venues as the router sees them (orders/order-routing.ts `candidatesOf`, with every venue healthy). */
function candidatesOf(books: readonly MarketQuote[]): VenueCandidate[] {
  return VENUE_PROFILES.map((p) => {
    const q = books.find((b) => b.source === p.name) ?? null;
    return {
      venue: p.name,
      primary: p.primary,
      bid: q?.bid ?? null,
      ask: q?.ask ?? null,
      bidSize: q?.bidSize ?? null,
      askSize: q?.askSize ?? null,
      takerFee: signedNanos(p.takerFeePerShare),
      makerFee: signedNanos(p.makerFeePerShare),
      latencyMs: p.latencyMs,
      fillRate: p.passiveFillPercent / 100,
      down: false,
      failedAt: null,
    };
  });
}

const tapeOf = (q: Quote): MarketQuote => ({
  symbol: q.symbol,
  bid: q.bid,
  ask: q.ask,
  last: q.last,
  bidSize: q.bidSize,
  askSize: q.askSize,
  volume: null,
  updatedAt: q.updatedAt,
  source: null,
});

/** The fills of a child of `qty` at a venue showing `price` x `size`: block by block, one tick worse each. */
function walk(
  side: Side,
  qty: Nanos,
  price: Nanos,
  size: Nanos,
  limit: Nanos | null,
): { qty: Nanos; px: Nanos }[] {
  const fills: { qty: Nanos; px: Nanos }[] = [];
  let left = qty;
  let px = price;
  while (left > 0n && px > 0n) {
    if (limit !== null && (side === 'buy' ? px > limit : px < limit)) break;
    const take = left < size ? left : size;
    fills.push({ qty: take, px });
    left -= take;
    px = side === 'buy' ? px + tickSizeFor(px) : px - tickSizeFor(px - 1n);
  }
  return fills;
}

const profileOf = (name: string): VenueProfile => VENUE_PROFILES.find((p) => p.name === name) as VenueProfile;

function execute(
  t: Totals,
  side: Side,
  allocations: readonly Allocation[],
  candidates: readonly VenueCandidate[],
  farSide: Nanos,
  mid: Nanos,
  limit: Nanos | null,
): void {
  for (const a of allocations) {
    const v = candidates.find((c) => c.venue === a.venue) as VenueCandidate;
    const price = side === 'buy' ? v.ask : v.bid;
    const size = side === 'buy' ? v.askSize : v.bidSize;
    if (price === null || size === null || size <= 0n || a.qty === null) continue;
    let filled = 0n;
    for (const f of walk(side, a.qty, price, size, limit)) {
      filled += f.qty;
      t.improvement += f.qty * (side === 'buy' ? farSide - f.px : f.px - farSide);
      t.slippage += f.qty * (side === 'buy' ? f.px - mid : mid - f.px);
      t.midNotional += f.qty * mid;
    }
    t.filled += filled;
    t.fees += feeOf(filled, profileOf(a.venue).takerFeePerShare);
    t.byVenue.set(a.venue, (t.byVenue.get(a.venue) ?? 0n) + filled);
  }
}

interface Summary {
  readonly requestedShares: number;
  readonly filledShares: number;
  readonly fillRate: number;
  readonly improvementPerShare: number;
  readonly improvementUsd: number;
  readonly feesUsd: number;
  readonly feePerShare: number;
  readonly costPerShare: number;
  readonly costBps: number;
  readonly vsPrimaryPerShare: number;
  readonly vsPrimaryBps: number;
  readonly vsPrimaryUsd: number;
  readonly childOrders: number;
  readonly splitOrders: number;
  readonly unroutedOrders: number;
  readonly sharesByVenue: Record<string, number>;
}

/** Per share (scale 9) and bps (scale 9) of a strategy's totals. */
function rates(t: Totals): { improvement: Nanos; fee: Nanos; cost: Nanos; costBps: Nanos } {
  if (t.filled === 0n) return { improvement: 0n, fee: 0n, cost: 0n, costBps: 0n };
  const cost18 = t.slippage + t.fees * ONE;
  return {
    improvement: signedDivide(t.improvement, t.filled),
    fee: signedDivide(t.fees * ONE, t.filled),
    cost: signedDivide(cost18, t.filled),
    // cost / mid notional x 10,000, at scale 9: (cost18 x 10,000 x 1e9) / notional18.
    costBps: signedDivide(cost18 * 10_000n * ONE, t.midNotional),
  };
}

function summarize(t: Totals, base: Totals): Summary {
  const r = rates(t);
  const b = rates(base);
  const savedPerShare = b.cost - r.cost;
  return {
    requestedShares: toNumber(t.requested),
    filledShares: toNumber(t.filled),
    fillRate: Number((Number(t.filled) / Number(t.requested)).toFixed(6)),
    improvementPerShare: toNumber(r.improvement),
    improvementUsd: toNumber(signedDivide(t.improvement, ONE)),
    feesUsd: toNumber(t.fees),
    feePerShare: toNumber(r.fee),
    costPerShare: toNumber(r.cost),
    costBps: Number(toNumber(r.costBps).toFixed(4)),
    vsPrimaryPerShare: toNumber(savedPerShare),
    vsPrimaryBps: Number(toNumber(b.costBps - r.costBps).toFixed(4)),
    // What the per-share saving is worth over this strategy's filled shares.
    vsPrimaryUsd: toNumber(signedDivide(savedPerShare * t.filled, ONE)),
    childOrders: t.children,
    splitOrders: t.splitOrders,
    unroutedOrders: t.unroutable,
    sharesByVenue: Object.fromEntries([...t.byVenue].map(([k, v]) => [k, toNumber(v)])),
  };
}

type MarketOnly = Pick<
  Summary,
  | 'filledShares'
  | 'improvementPerShare'
  | 'feePerShare'
  | 'costPerShare'
  | 'costBps'
  | 'vsPrimaryPerShare'
  | 'vsPrimaryBps'
  | 'vsPrimaryUsd'
>;

function marketOnly(t: Totals, base: Totals): MarketOnly {
  const m = summarize(t, base);
  return {
    filledShares: m.filledShares,
    improvementPerShare: m.improvementPerShare,
    feePerShare: m.feePerShare,
    costPerShare: m.costPerShare,
    costBps: m.costBps,
    vsPrimaryPerShare: m.vsPrimaryPerShare,
    vsPrimaryBps: m.vsPrimaryBps,
    vsPrimaryUsd: m.vsPrimaryUsd,
  };
}

function main(): void {
  const loadAtStart = loadavg();
  const next = rng(SEED >>> 0 || hash32('routing'));
  const tapes = new Map<string, Quote>(SYMBOLS.map((s) => [s, seedQuote(s, SESSION_START)]));
  const totals = new Map(STRATEGIES.map((s) => [s.name, emptyTotals()]));
  // The market orders alone: every strategy fills them whole, so their costs compare share for share.
  const marketTotals = new Map(STRATEGIES.map((s) => [s.name, emptyTotals()]));
  let now = SESSION_START;
  let marketOrders = 0;
  const t0 = performance.now();
  for (let i = 0; i < ORDERS; i++) {
    now += 500 + next(1001);
    for (const [symbol, q] of tapes) tapes.set(symbol, advanceQuote(q, now));
    const symbol = SYMBOLS[next(SYMBOLS.length)] as string;
    const tape = tapes.get(symbol) as Quote;
    const books = venueQuotesOf(tapeOf(tape));
    const nbbo = nationalBestBidOffer(symbol, books);
    if (nbbo.bid === null || nbbo.ask === null) continue;
    const mid = midpointOf(nbbo.bid, nbbo.ask) as Nanos;
    const side: Side = next(2) === 0 ? 'buy' : 'sell';
    const qty = BigInt(50 + next(1951)) * ONE;
    const market = next(100) < 70;
    const far = side === 'buy' ? nbbo.ask : nbbo.bid;
    let limit: Nanos | null = null;
    if (market) marketOrders++;
    else {
      const through = next(2) === 1;
      limit = !through ? far : side === 'buy' ? far + tickSizeFor(far) : far - tickSizeFor(far - 1n);
    }
    const venues = candidatesOf(books);
    for (const s of STRATEGIES) {
      const t = totals.get(s.name) as Totals;
      const request: RoutingRequest = {
        side,
        type: market ? 'market' : 'limit',
        timeInForce: 'day',
        qty,
        notional: null,
        limitPrice: limit,
        splittable: s.splittable,
        now,
        venues,
      };
      const decision = decideRoute(request, s.policy, registry);
      const sets = market ? [t, marketTotals.get(s.name) as Totals] : [t];
      for (const u of sets) {
        u.requested += qty;
        u.children += decision.allocations.length;
        if (decision.allocations.length > 1) u.splitOrders++;
        if (decision.allocations.length === 0) u.unroutable++;
        execute(u, side, decision.allocations, venues, far, mid, limit);
      }
    }
  }
  const elapsedMs = performance.now() - t0;

  const base = totals.get(BASELINE) as Totals;
  const marketBase = marketTotals.get(BASELINE) as Totals;
  const summaries = Object.fromEntries(
    STRATEGIES.map((s) => [
      s.name,
      {
        ...summarize(totals.get(s.name) as Totals, base),
        marketOrdersOnly: marketOnly(marketTotals.get(s.name) as Totals, marketBase),
      },
    ]),
  ) as Record<string, Summary & { marketOrdersOnly: MarketOnly }>;

  const pad = (v: string, n: number) => v.padStart(n);
  const money = (v: number, digits = 4) => v.toFixed(digits);
  console.log(
    `routing: ${ORDERS} orders (${marketOrders} market, ${ORDERS - marketOrders} marketable limit) over ${SYMBOLS.join(', ')}, seed ${SEED}, ${new Date(SESSION_START).toISOString()} to ${new Date(now).toISOString()}`,
  );
  console.log(
    `venues: ${VENUE_PROFILES.map((p) => `${p.name}${p.primary ? ' (primary)' : ''} taker $${p.takerFeePerShare} size ${p.sizePercent}%`).join('; ')}`,
  );
  console.log('');
  console.log(
    `${'strategy'.padEnd(18)}${pad('filled', 11)}${pad('fill%', 8)}${pad('impr $/sh', 11)}${pad('fees $', 10)}${pad('fee $/sh', 10)}${pad('cost $/sh', 11)}${pad('cost bps', 10)}${pad('vs SIMX $/sh', 14)}${pad('vs SIMX bps', 13)}${pad('vs SIMX $', 11)}${pad('children', 10)}${pad('split', 7)}`,
  );
  for (const s of STRATEGIES) {
    const m = summaries[s.name] as Summary;
    console.log(
      `${s.name.padEnd(18)}${pad(String(m.filledShares), 11)}${pad((m.fillRate * 100).toFixed(2), 8)}${pad(money(m.improvementPerShare), 11)}${pad(money(m.feesUsd, 2), 10)}${pad(money(m.feePerShare), 10)}${pad(money(m.costPerShare), 11)}${pad(m.costBps.toFixed(3), 10)}${pad(money(m.vsPrimaryPerShare), 14)}${pad(m.vsPrimaryBps.toFixed(3), 13)}${pad(money(m.vsPrimaryUsd, 2), 11)}${pad(String(m.childOrders), 10)}${pad(String(m.splitOrders), 7)}`,
    );
  }
  console.log('');
  console.log(`market orders only (${marketOrders}; every strategy fills them whole):`);
  for (const s of STRATEGIES) {
    const m = (summaries[s.name] as { marketOrdersOnly: MarketOnly }).marketOrdersOnly;
    console.log(
      `${s.name.padEnd(18)}${pad(String(m.filledShares), 11)}${pad('', 8)}${pad(money(m.improvementPerShare), 11)}${pad('', 10)}${pad(money(m.feePerShare), 10)}${pad(money(m.costPerShare), 11)}${pad(m.costBps.toFixed(3), 10)}${pad(money(m.vsPrimaryPerShare), 14)}${pad(m.vsPrimaryBps.toFixed(3), 13)}${pad(money(m.vsPrimaryUsd, 2), 11)}`,
    );
  }
  console.log('');
  for (const s of STRATEGIES) {
    const m = summaries[s.name] as Summary;
    const shares = Object.entries(m.sharesByVenue)
      .map(([v, n]) => `${v} ${((100 * n) / Math.max(1, m.filledShares)).toFixed(1)}%`)
      .join(', ');
    console.log(`${s.name.padEnd(18)} filled shares by venue: ${shares}`);
  }
  console.log('');
  console.log(
    "impr: price improvement per filled share vs the NBBO far side at arrival (negative: worse); cost: price vs arrival mid plus fees, per filled share and in bps of the mid notional; vs SIMX: cost saved per share relative to primary_only (positive: cheaper), and that saving over the strategy's filled shares.",
  );
  const load = loadavg();
  console.log(
    `machine: ${cpus().length} cores, load average ${loadAtStart.map((n) => n.toFixed(2)).join(' ')} at start, ${load.map((n) => n.toFixed(2)).join(' ')} at end; node ${process.version}`,
  );
  const routed = ORDERS * STRATEGIES.length;
  console.log(
    `time: ${elapsedMs.toFixed(0)} ms for ${routed} routings and executions (${((routed / elapsedMs) * 1000).toFixed(0)} per s)`,
  );
  const best = summaries.best_price as Summary & { marketOrdersOnly: MarketOnly };
  console.log(
    JSON.stringify({
      bench: 'routing',
      orders: ORDERS,
      marketOrders,
      seed: SEED,
      symbols: SYMBOLS,
      primary: PRIMARY_VENUE.name,
      strategies: summaries,
      improvementVsPrimaryBps: best.vsPrimaryBps,
      improvementVsPrimaryPerShare: best.vsPrimaryPerShare,
      improvementVsPrimaryBpsMarketOrders: best.marketOrdersOnly.vsPrimaryBps,
      elapsedMs: Number(elapsedMs.toFixed(1)),
      loadavg: load.map((n) => Number(n.toFixed(2))),
      loadavgAtStart: loadAtStart.map((n) => Number(n.toFixed(2))),
      cores: cpus().length,
    }),
  );
}

main();
