/**
 * Execution-quality and best-execution reports: pure aggregations over closed orders' executions
 * (one `OrderExecutionRecord` per order and venue it was routed to, built from the order's TCA by
 * `executionRecordOf`). Exact decimals as in tca.ts: prices and per-share amounts are canonical
 * decimal strings (averages rounded half-even at the 9th decimal); ratios are numbers (fill rate to
 * 4 dp), percentages numbers to 2 dp (E/Q among them, `effectiveOverQuotedPct`, as the rule and the
 * SEC staff's summary report express it), times ms to 2 dp. Nothing measurable: null.
 *
 * The execution-quality report follows SEC Rule 605 (17 CFR 242.605, as amended by Release
 * 34-99679, "Disclosure of Order Execution Information", 89 FR 26428, Apr. 15 2024): one row per
 * venue (the market center) x order type x order size, with the rule's share-weighted measures
 * (average signed effective and quoted spread, E/Q as a percentage, shares price-improved / at the
 * quote, the average amount per share of price improvement over the improved shares and, apart, of
 * disimprovement over the shares executed outside the quote, average time to execution, measured
 * in ms and share-weighted as the 2024 amendments require).
 * - Order types, in the spirit of the rule's categories: `market`; `marketable_limit` (a buy limit
 *   at or above the national best offer at order receipt, a sell limit at or below the national
 *   best bid); `non_marketable_limit` (the rest of the limit orders); `other` (orders with stop
 *   prices, which the amended rule reports in categories of their own, and limit orders whose
 *   marketability is unknown for want of an arrival quote). The amended rule also separates
 *   marketable IOC and beyond-the-midpoint limit orders; the OMS does not (yet) draw those lines.
 * - Order size: the amended rule categorizes by notional dollar value (and by fractional / odd-lot
 *   / round-lot). The buckets here, by notional = qty x the NBBO midpoint at order receipt (else
 *   the limit price), are the SEC staff's summary-report categories (https://github.com/sec-gov/oes):
 *   <$250, $250-<$1,000, $1,000-<$5,000, $5,000-<$10,000, $10,000-<$20,000, $20,000-<$50,000,
 *   $50,000-<$200,000, >=$200,000 (`NOTIONAL_BUCKETS`); `unknown` without a price. The lot-type
 *   split is not made.
 *
 * The best-execution report puts the venues side by side, per security and order type, with what a
 * FINRA Rule 5310 "regular and rigorous" review compares (Supplementary Material .09: at least
 * quarterly, on a security-by-security and type-of-order basis, the quality of the executions
 * obtained against what competing markets offer, considering price improvement opportunities, the
 * likelihood of execution, speed of execution and transaction costs;
 * https://www.finra.org/rules-guidance/rulebooks/finra-rules/5310): orders and shares routed, fill
 * rate, price improvement per share, effective spread, fees per share and time to fill.
 */
import { formatNanos, type Nanos, nanos, ONE, type Value18 } from './decimal.js';
import {
  divideSignedHalfEven,
  midOf,
  parseSignedNanos,
  rule605MeasuresOf,
  type Tca,
  type TcaQuote,
  type TcaSide,
} from './tca.js';

export type Rule605OrderType = 'market' | 'marketable_limit' | 'non_marketable_limit' | 'other';

const ORDER_TYPES: readonly Rule605OrderType[] = [
  'market',
  'marketable_limit',
  'non_marketable_limit',
  'other',
];

/** Notional size buckets: each holds notionals below `below` (and at or above the previous one). */
export const NOTIONAL_BUCKETS: readonly { readonly label: string; readonly below: Nanos | null }[] = [
  { label: '<250', below: 250n * ONE },
  { label: '250-<1000', below: 1_000n * ONE },
  { label: '1000-<5000', below: 5_000n * ONE },
  { label: '5000-<10000', below: 10_000n * ONE },
  { label: '10000-<20000', below: 20_000n * ONE },
  { label: '20000-<50000', below: 50_000n * ONE },
  { label: '50000-<200000', below: 200_000n * ONE },
  { label: '>=200000', below: null },
];
const UNKNOWN_SIZE = 'unknown';

export interface ExecutionRecordFill {
  readonly qty: Nanos;
  readonly price: Nanos;
  readonly at: number;
  readonly venue: string | null;
  readonly fee: Nanos;
  /** The NBBO the Rule 605 measures are taken against (the TCA's reference quote); null: unmeasured. */
  readonly quote: TcaQuote | null;
}

/** One order (or one venue's part of a routed order) as the reports read it. */
export interface OrderExecutionRecord {
  readonly orderId: string;
  readonly symbol: string;
  /** The venue the order was routed to; null: not routed (or not known). */
  readonly venue: string | null;
  /** The order's type as the API takes it (market, limit, stop, stop_limit, trailing_stop). */
  readonly type: string;
  readonly side: TcaSide;
  readonly qty: Nanos;
  readonly limitPrice: Nanos | null;
  /** The NBBO at order receipt. */
  readonly arrival: TcaQuote | null;
  readonly acceptedAt: number;
  readonly fills: readonly ExecutionRecordFill[];
}

function quoteOf(q: { readonly bid: string; readonly ask: string } | null): TcaQuote | null {
  return q === null ? null : { bid: nanos(q.bid), ask: nanos(q.ask) };
}

/**
 * The record of an order from its TCA and what the TCA does not carry (the order's identity, type,
 * limit price and acceptance time). `venue` defaults to the one venue the fills executed on (null
 * when there are none or several: give it, or build one record per venue's child order).
 */
export function executionRecordOf(
  tca: Tca,
  order: {
    readonly orderId: string;
    readonly symbol: string;
    readonly type: string;
    readonly limitPrice: string | null;
    readonly acceptedAt: number;
    readonly venue?: string | null;
  },
): OrderExecutionRecord {
  const fillVenues = new Set(tca.executions.map((e) => e.venue));
  const onlyVenue = fillVenues.size === 1 ? ([...fillVenues][0] ?? null) : null;
  return {
    orderId: order.orderId,
    symbol: order.symbol,
    venue: order.venue === undefined ? onlyVenue : order.venue,
    type: order.type,
    side: tca.side,
    qty: nanos(tca.orderQty),
    limitPrice: order.limitPrice === null ? null : nanos(order.limitPrice),
    arrival: quoteOf(tca.arrival),
    acceptedAt: order.acceptedAt,
    fills: tca.executions.map((e) => ({
      qty: nanos(e.qty),
      price: nanos(e.price),
      at: e.at,
      venue: e.venue,
      fee: parseSignedNanos(e.fee) ?? 0n,
      quote: quoteOf(e.referenceQuote),
    })),
  };
}

/** The order's Rule 605-style type (see the module comment). */
export function rule605OrderTypeOf(
  type: string,
  side: TcaSide,
  limitPrice: Nanos | null,
  arrival: TcaQuote | null,
): Rule605OrderType {
  if (type === 'market') return 'market';
  if (type !== 'limit' || limitPrice === null || arrival === null) return 'other';
  const marketable = side === 'buy' ? limitPrice >= arrival.ask : limitPrice <= arrival.bid;
  return marketable ? 'marketable_limit' : 'non_marketable_limit';
}

/** The notional size bucket of `qty` at `price` (null price: 'unknown'). */
export function notionalBucketOf(qty: Nanos, price: Nanos | null): string {
  if (price === null) return UNKNOWN_SIZE;
  const notional: Value18 = qty * price;
  for (const b of NOTIONAL_BUCKETS) if (b.below === null || notional < b.below * ONE) return b.label;
  return UNKNOWN_SIZE; // not reached: the last bucket is open
}

function sizeBucketOfRecord(r: OrderExecutionRecord): string {
  return notionalBucketOf(r.qty, r.arrival !== null ? midOf(r.arrival) : r.limitPrice);
}

// ---------------------------------------------------------------------------------------------
// Accumulation

interface Stats {
  orders: number;
  shares: Nanos;
  filled: Nanos;
  fees: Nanos;
  /** Share-weighted sums over measured (quoted) fills, scale 18. */
  measured: Nanos;
  effective: Value18;
  quoted: Value18;
  /** Net price improvement (improvement less disimprovement). */
  improvement: Value18;
  /** Improvement over the improved shares; disimprovement (positive) over the outside-quote ones. */
  improvedAmount: Value18;
  outsideAmount: Value18;
  improved: Nanos;
  atQuote: Nanos;
  outside: Nanos;
  /** sum of qty x ms from acceptance, over all fills (scale 9). */
  timeWeighted: bigint;
  /** Orders with a fill, and their summed ms to the first fill. */
  ordersFilled: number;
  firstFillMs: number;
}

function emptyStats(): Stats {
  return {
    orders: 0,
    shares: 0n,
    filled: 0n,
    fees: 0n,
    measured: 0n,
    effective: 0n,
    quoted: 0n,
    improvement: 0n,
    improvedAmount: 0n,
    outsideAmount: 0n,
    improved: 0n,
    atQuote: 0n,
    outside: 0n,
    timeWeighted: 0n,
    ordersFilled: 0,
    firstFillMs: 0,
  };
}

function add(st: Stats, r: OrderExecutionRecord): void {
  st.orders += 1;
  st.shares += r.qty;
  let first: number | null = null;
  for (const f of r.fills) {
    st.filled += f.qty;
    st.fees += f.fee;
    const ms = f.at - r.acceptedAt;
    st.timeWeighted += f.qty * BigInt(Math.round(ms));
    if (first === null || ms < first) first = ms;
    if (f.quote === null) continue;
    const m = rule605MeasuresOf(r.side, f.price, f.quote);
    st.measured += f.qty;
    st.effective += f.qty * m.signedEffectiveSpread;
    st.quoted += f.qty * m.quotedSpread;
    st.improvement += f.qty * m.priceImprovement;
    if (m.outcome === 'improved') {
      st.improved += f.qty;
      st.improvedAmount += f.qty * m.priceImprovement;
    } else if (m.outcome === 'at_quote') st.atQuote += f.qty;
    else {
      st.outside += f.qty;
      st.outsideAmount -= f.qty * m.priceImprovement;
    }
  }
  if (first !== null) {
    st.ordersFilled += 1;
    st.firstFillMs += first;
  }
}

function ratio4(num: bigint, den: bigint): number | null {
  return den > 0n ? Number(divideSignedHalfEven(num * 10_000n, den)) / 10_000 : null;
}

function percent(num: bigint, den: bigint): number | null {
  return den > 0n ? Number(divideSignedHalfEven(num * 10_000n, den)) / 100 : null;
}

function avgPrice(sum: Value18, qty: Nanos): string | null {
  return qty > 0n ? formatNanos(divideSignedHalfEven(sum, qty)) : null;
}

function ms2(sum: bigint, qty: Nanos): number | null {
  return qty > 0n ? Number(divideSignedHalfEven(sum * 100n, qty)) / 100 : null;
}

function compareVenue(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return a < b ? -1 : 1;
}

// ---------------------------------------------------------------------------------------------
// Execution-quality report (Rule 605 style)

export interface ExecutionQualityRow {
  readonly venue: string | null;
  readonly orderType: Rule605OrderType;
  readonly sizeBucket: string;
  readonly orders: number;
  /** Shares of the orders (covered shares). */
  readonly shares: string;
  readonly filledShares: string;
  /** filled / shares, 4 dp. */
  readonly fillRate: number | null;
  /** Share-weighted, signed as Rule 605 defines it (negative when fills beat the midpoint). */
  readonly avgEffectiveSpread: string | null;
  readonly avgQuotedSpread: string | null;
  /** avg effective spread / avg quoted spread as a percentage, 2 dp (100: the quoted spread). */
  readonly effectiveOverQuotedPct: number | null;
  /** % of the measured (quoted) executed shares that were price-improved, 2 dp. */
  readonly pctSharesPriceImproved: number | null;
  /** Share-weighted average amount per share the price-improved shares were improved by. */
  readonly avgImprovementPerImprovedShare: string | null;
  /** % of the measured executed shares at the quote or better, 2 dp. */
  readonly pctSharesAtOrBetterThanQuote: number | null;
  /** Share-weighted average amount per share the shares executed outside the quote were outside it
   * by (a positive amount). */
  readonly avgDisimprovementPerOutsideQuoteShare: string | null;
  /** Share-weighted ms from order receipt to execution, 2 dp. */
  readonly avgTimeToExecutionMs: number | null;
}

/** The CSV columns of the execution-quality report, in order. */
export const EXECUTION_QUALITY_COLUMNS: readonly (keyof ExecutionQualityRow)[] = [
  'venue',
  'orderType',
  'sizeBucket',
  'orders',
  'shares',
  'filledShares',
  'fillRate',
  'avgEffectiveSpread',
  'avgQuotedSpread',
  'effectiveOverQuotedPct',
  'pctSharesPriceImproved',
  'avgImprovementPerImprovedShare',
  'pctSharesAtOrBetterThanQuote',
  'avgDisimprovementPerOutsideQuoteShare',
  'avgTimeToExecutionMs',
];

const SIZE_ORDER = [...NOTIONAL_BUCKETS.map((b) => b.label), UNKNOWN_SIZE];

/**
 * One row per venue x order type x notional size bucket that has orders, sorted by venue (null
 * last), order type (market, marketable limit, non-marketable limit, other) and size.
 */
export function executionQualityReport(orders: readonly OrderExecutionRecord[]): ExecutionQualityRow[] {
  const groups = new Map<string, { venue: string | null; type: Rule605OrderType; size: string; st: Stats }>();
  for (const r of orders) {
    const type = rule605OrderTypeOf(r.type, r.side, r.limitPrice, r.arrival);
    const size = sizeBucketOfRecord(r);
    const key = JSON.stringify([r.venue, type, size]);
    let g = groups.get(key);
    if (g === undefined) {
      g = { venue: r.venue, type, size, st: emptyStats() };
      groups.set(key, g);
    }
    add(g.st, r);
  }
  return [...groups.values()]
    .sort(
      (a, b) =>
        compareVenue(a.venue, b.venue) ||
        ORDER_TYPES.indexOf(a.type) - ORDER_TYPES.indexOf(b.type) ||
        SIZE_ORDER.indexOf(a.size) - SIZE_ORDER.indexOf(b.size),
    )
    .map(({ venue, type, size, st }) => ({
      venue,
      orderType: type,
      sizeBucket: size,
      orders: st.orders,
      shares: formatNanos(st.shares),
      filledShares: formatNanos(st.filled),
      fillRate: ratio4(st.filled, st.shares),
      avgEffectiveSpread: avgPrice(st.effective, st.measured),
      avgQuotedSpread: avgPrice(st.quoted, st.measured),
      effectiveOverQuotedPct: percent(st.effective, st.quoted),
      pctSharesPriceImproved: percent(st.improved, st.measured),
      avgImprovementPerImprovedShare: avgPrice(st.improvedAmount, st.improved),
      pctSharesAtOrBetterThanQuote: percent(st.improved + st.atQuote, st.measured),
      avgDisimprovementPerOutsideQuoteShare: avgPrice(st.outsideAmount, st.outside),
      avgTimeToExecutionMs: ms2(st.timeWeighted, st.filled),
    }));
}

// ---------------------------------------------------------------------------------------------
// Best-execution report (FINRA Rule 5310 review evidence)

export interface BestExecutionVenueRow {
  readonly venue: string | null;
  readonly orders: number;
  readonly sharesRouted: string;
  readonly filledShares: string;
  readonly fillRate: number | null;
  /** Share-weighted price improvement per share (negative: outside the quote on balance). */
  readonly avgPriceImprovement: string | null;
  readonly pctSharesPriceImproved: number | null;
  /** Share-weighted signed effective spread. */
  readonly avgEffectiveSpread: string | null;
  /** Fees net of rebates per filled share. */
  readonly feesPerShare: string | null;
  /** Mean over the filled orders of the ms from acceptance to their first fill, 2 dp. */
  readonly avgTimeToFirstFillMs: number | null;
  /** Share-weighted ms from acceptance to execution, 2 dp. */
  readonly avgTimeToExecutionMs: number | null;
}

export interface BestExecutionGroup {
  readonly symbol: string;
  readonly orderType: Rule605OrderType;
  /** The venues side by side, sorted by name (null last). */
  readonly venues: readonly BestExecutionVenueRow[];
}

/** Per security and order type, the venues' execution quality side by side (see the module). */
export function bestExecutionReport(orders: readonly OrderExecutionRecord[]): BestExecutionGroup[] {
  const groups = new Map<
    string,
    { symbol: string; type: Rule605OrderType; venues: Map<string | null, Stats> }
  >();
  for (const r of orders) {
    const type = rule605OrderTypeOf(r.type, r.side, r.limitPrice, r.arrival);
    const key = JSON.stringify([r.symbol, type]);
    let g = groups.get(key);
    if (g === undefined) {
      g = { symbol: r.symbol, type, venues: new Map() };
      groups.set(key, g);
    }
    let st = g.venues.get(r.venue);
    if (st === undefined) {
      st = emptyStats();
      g.venues.set(r.venue, st);
    }
    add(st, r);
  }
  return [...groups.values()]
    .sort(
      (a, b) =>
        (a.symbol < b.symbol ? -1 : a.symbol > b.symbol ? 1 : 0) ||
        ORDER_TYPES.indexOf(a.type) - ORDER_TYPES.indexOf(b.type),
    )
    .map((g) => ({
      symbol: g.symbol,
      orderType: g.type,
      venues: [...g.venues.entries()]
        .sort(([a], [b]) => compareVenue(a, b))
        .map(([venue, st]) => ({
          venue,
          orders: st.orders,
          sharesRouted: formatNanos(st.shares),
          filledShares: formatNanos(st.filled),
          fillRate: ratio4(st.filled, st.shares),
          avgPriceImprovement: avgPrice(st.improvement, st.measured),
          pctSharesPriceImproved: percent(st.improved, st.measured),
          avgEffectiveSpread: avgPrice(st.effective, st.measured),
          feesPerShare: st.filled > 0n ? formatNanos(divideSignedHalfEven(st.fees * ONE, st.filled)) : null,
          avgTimeToFirstFillMs:
            st.ordersFilled > 0
              ? Number(
                  divideSignedHalfEven(BigInt(Math.round(st.firstFillMs)) * 100n, BigInt(st.ordersFilled)),
                ) / 100
              : null,
          avgTimeToExecutionMs: ms2(st.timeWeighted, st.filled),
        })),
    }));
}

// ---------------------------------------------------------------------------------------------
// CSV

/** One CSV field (RFC 4180): quoted when it holds a comma, a double quote, CR or LF; quotes doubled. */
function csvField(v: string | number | null): string {
  if (v === null) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * The execution-quality report as CSV (RFC 4180): a header row of `EXECUTION_QUALITY_COLUMNS`, then
 * one record per row in the same column order; CRLF after every record; null is an empty field.
 */
export function toCsv(rows: readonly ExecutionQualityRow[]): string {
  const lines = [EXECUTION_QUALITY_COLUMNS.join(',')];
  for (const row of rows) lines.push(EXECUTION_QUALITY_COLUMNS.map((c) => csvField(row[c])).join(','));
  return `${lines.join('\r\n')}\r\n`;
}
