/**
 * Transaction cost analysis (TCA) of one closed order: pure, exact decimals, no clock (every time is
 * an epoch ms passed in). The lead wires it behind `/v2/orders/{id}/tca` and the reports
 * (execution-quality.ts); nothing here reads a table or the market.
 *
 * Conventions (the decisions a reader needs to trust the numbers):
 * - Money and prices are `Nanos` (scale 9); a price x quantity is a `Value18` (scale 18), exact.
 *   Dollar amounts in the result are canonical decimal strings. Implementation-shortfall dollars
 *   are printed exactly at scale 18 (no rounding), so the parts sum to the total to the last digit.
 *   Prices that are averages (average fill price, share-weighted spreads, VWAP, TWAP) are rounded
 *   half to even at the 9th decimal (`divideHalfEven`, decimal.ts' one rounding point).
 * - Basis points and ratios are JSON numbers, computed in exact integer arithmetic and rounded half
 *   to even at the last shown digit: bps to 0.01 bp, ratios (fill rate, share of qty, E/Q) to 4 dp.
 *   A measure that cannot be computed (no fills, no quote, zero quantity or price) is `null`: never
 *   NaN, never a throw.
 * - Signs: every cost is positive when it costs the investor. For a buy, paying above the benchmark
 *   is a cost; for a sell, receiving below it is. Internally `s` is +1 for a buy and -1 for a sell.
 * - The arrival mid is (bid + ask) / 2 rounded half-even to the nano (exact for prices on a tick).
 *
 * Implementation shortfall (Perold, "The Implementation Shortfall: Paper versus Reality", Journal of
 * Portfolio Management 14(3), 1988): the paper portfolio trades the whole order at the decision
 * price, free; the real one trades what it could at the prices it got and pays the fees. The
 * shortfall (paper return - real return, both valued at the closing price) splits into
 *   delay       = s x (arrival mid - decision price) x executed qty     (waiting to reach the market)
 *   trading     = s x sum((fill price - arrival mid) x fill qty)        (market impact and spread)
 *   opportunity = s x (closing price - decision price) x unexecuted qty (the part never traded)
 *   fees        = sum of fill fees (explicit; negative for a rebate)
 * and total = delay + trading + opportunity + fees exactly; the closing price cancels out on the
 * executed shares. bps are of the paper portfolio value, decision price x order qty (the convention
 * of the CFA Institute curriculum's worked examples, which test/core/tca.test.ts reproduces).
 * Without an arrival quote, delay is unknown (null) and trading is measured from the decision price,
 * so the parts still sum; without a closing price, an order with unexecuted qty has no opportunity
 * cost and so no total (null), the other parts stand.
 *
 * SEC Rule 605 measures per execution (17 CFR 242.600(b) definitions, Rule 605 as amended by
 * Release 34-99679, "Disclosure of Order Execution Information", 89 FR 26428, Apr. 15 2024):
 * - effective spread: for buy orders, double the difference between the execution price and the
 *   midpoint of the NBBO at the time of order receipt; for sell orders, double the difference between
 *   that midpoint and the execution price (`signedEffectiveSpread`; negative when the fill beat the
 *   mid). Per execution, `effectiveSpread` is its magnitude, 2 x |price - mid|; the order's
 *   `rule605.avgEffectiveSpread` is the share-weighted average of the SIGNED spread, as the rule
 *   reports it (`avgSignedEffectiveSpread` repeats it: TCAs recorded before the summary's average
 *   was signed carry that field with this meaning, where their `avgEffectiveSpread` was the
 *   magnitude's average).
 * - quoted spread: national best offer - national best bid at the same time.
 * - E/Q: effective spread over quoted spread (signed effective; null for a locked/crossed quote), a
 *   ratio here (1 = the quoted spread); the reports print it as the rule does, a percentage.
 * - price improvement per share: for buy orders, the amount by which the execution price is lower
 *   than the national best offer; for sell orders, the amount by which it is higher than the
 *   national best bid. > 0 improved, = 0 at the quote, < 0 outside the quote. The rule reports
 *   improvement and disimprovement apart: the share-weighted average amount per share over the
 *   shares executed with price improvement (`avgImprovementPerImprovedShare`), and the average
 *   amount per share by which the shares executed outside the quote were outside it
 *   (`avgDisimprovementPerOutsideQuoteShare`, a positive amount); `avgPriceImprovement` is the net
 *   over every measured share (the SEC staff's summary report nets them the same way).
 * The rule measures market and marketable orders from the NBBO at the time of order receipt (the
 * arrival quote, the default `rule605Quote: 'receipt'`); the 2024 amendments measure non-marketable
 * limit orders from the time they become executable, for which the fill's own quote is the closest
 * the OMS has (`rule605Quote: 'execution'`). No reference quote: the fill's measures are null.
 *
 * VWAP/TWAP benchmarks (only for `algorithmic` orders, which are the ones that aim at them), from
 * the market samples sorted by time. Each interval between consecutive samples counts:
 * - market VWAP: weight = its volume increment (later - earlier cumulative volume; a decrease,
 *   e.g. a feed reset, skips the interval). Its price: exact when both samples carry the tape's
 *   cumulative notional (sum of printed size x print price): notional increment / volume
 *   increment; else the mean of its two mids stands for the prints.
 * - TWAP: weight = its duration. Its price: exact when both samples carry the tape's cumulative
 *   mid-time integral (sum of mid x ms the mid was held): integral increment / duration; else the
 *   mean of its two mids (trapezoid rule).
 * `basis` says which: `tape` when every counted interval was exact, else `sampled_mids`. Samples at
 * the order's acceptance and close that carry the tape's accumulators give the exact VWAP/TWAP of
 * the market over the order's life, however much the market moved in between.
 * Slippage = s x (average fill price - benchmark) / benchmark, in bps. Null with no fills, fewer than
 * two usable samples, or zero volume/duration.
 */
import {
  divideHalfEven,
  formatNanos,
  formatValue18,
  min,
  type Nanos,
  ONE,
  parseNanos,
  toValue18,
  type Value18,
} from './decimal.js';

export type TcaSide = 'buy' | 'sell';

/** An NBBO: national best bid and offer. */
export interface TcaQuote {
  readonly bid: Nanos;
  readonly ask: Nanos;
}

export interface TcaFill {
  readonly execId: string;
  readonly qty: Nanos;
  readonly price: Nanos;
  /** Epoch ms of the execution. */
  readonly at: number;
  readonly venue: string | null;
  /** Total fee of this fill in dollars: positive paid, negative a rebate. */
  readonly fee: Nanos;
  readonly liquidity: 'added' | 'removed' | null;
  /** The NBBO at the time of the execution (null if unknown). */
  readonly quote: TcaQuote | null;
}

/** A market sample over the order's life (arrival, each fill, close). */
export interface MarketSample {
  readonly at: number;
  readonly mid: Nanos;
  /** The symbol's cumulative traded volume at `at`, when the source keeps one. */
  readonly cumulativeVolume: Nanos | null;
  /** The tape's cumulative printed notional (size x price) at `at`, when the source keeps one. */
  readonly cumulativeNotional?: Nanos | null;
  /** The tape's cumulative mid x ms (the integral of its mid over time) at `at`, when kept. */
  readonly cumulativeMidMs?: Nanos | null;
}

/** A benchmark's price, the fills' slippage against it, and how it was measured (module comment). */
export interface BenchmarkSlippage {
  readonly price: string;
  readonly slippageBps: number;
  readonly basis: 'tape' | 'sampled_mids';
}

export interface TcaInput {
  readonly side: TcaSide;
  /** The intended quantity (the paper portfolio's). */
  readonly orderQty: Nanos;
  /** The client's decision price; null: the arrival mid stands for it. */
  readonly decisionPrice: Nanos | null;
  /** The NBBO when the OMS accepted the order. */
  readonly arrival: TcaQuote | null;
  readonly acceptedAt: number;
  readonly closedAt: number;
  /** Price the unexecuted qty is valued at (the mid at close/cancel); null: unknown. */
  readonly closingPrice: Nanos | null;
  readonly fills: readonly TcaFill[];
  readonly samples: readonly MarketSample[];
  readonly algorithmic: boolean;
  /** Which NBBO the Rule 605 measures use (see the module comment); default 'receipt'. */
  readonly rule605Quote?: 'receipt' | 'execution';
}

/** A cost: exact dollars (canonical decimal) and bps of the paper portfolio value (null if zero). */
export interface TcaAmount {
  readonly usd: string;
  readonly bps: number | null;
}

export type QuoteOutcome = 'improved' | 'at_quote' | 'outside_quote';

export interface TcaExecution {
  readonly execId: string;
  readonly qty: string;
  readonly price: string;
  readonly at: number;
  /** ms from the order's acceptance to this execution. */
  readonly msFromAcceptance: number;
  readonly venue: string | null;
  readonly fee: string;
  readonly liquidity: 'added' | 'removed' | null;
  /** The NBBO the Rule 605 measures below are taken against; null: they are all null. */
  readonly referenceQuote: { readonly bid: string; readonly ask: string; readonly mid: string } | null;
  readonly effectiveSpread: string | null;
  readonly signedEffectiveSpread: string | null;
  readonly quotedSpread: string | null;
  readonly effectiveOverQuoted: number | null;
  readonly priceImprovement: string | null;
  readonly outcome: QuoteOutcome | null;
}

/** Share-weighted averages over the executions that have a reference quote. */
export interface Rule605Summary {
  readonly quote: 'receipt' | 'execution';
  /** Executed qty with a reference quote: the weight of every average below. */
  readonly measuredQty: string;
  /** Share-weighted SIGNED effective spread (17 CFR 242.600(b)): negative when fills beat the mid. */
  readonly avgEffectiveSpread: string | null;
  /** The same as `avgEffectiveSpread` (the field earlier TCAs carry the signed average in). */
  readonly avgSignedEffectiveSpread: string | null;
  readonly avgQuotedSpread: string | null;
  /** avg signed effective spread / avg quoted spread, a ratio (4 dp). */
  readonly effectiveOverQuoted: number | null;
  /** Net: improvement less disimprovement, per measured share. */
  readonly avgPriceImprovement: string | null;
  /** Per share executed with price improvement, the average amount it was improved by. */
  readonly avgImprovementPerImprovedShare: string | null;
  /** Per share executed outside the quote, the average amount it was outside by (positive). */
  readonly avgDisimprovementPerOutsideQuoteShare: string | null;
  readonly improvedQty: string;
  readonly atQuoteQty: string;
  readonly outsideQuoteQty: string;
}

export interface VenueMix {
  /** null: the fills did not say. */
  readonly venue: string | null;
  readonly qty: string;
  /** Share of the order's filled qty (4 dp). */
  readonly shareOfFilled: number | null;
  readonly fees: string;
  readonly avgPrice: string;
  readonly fills: number;
}

export interface Tca {
  readonly side: TcaSide;
  readonly orderQty: string;
  readonly arrival: { readonly bid: string; readonly ask: string; readonly mid: string } | null;
  /** The decision price used, and where it came from. */
  readonly decisionPrice: string | null;
  readonly decisionPriceSource: 'client' | 'arrival_mid' | null;
  readonly filledQty: string;
  readonly avgPrice: string | null;
  /** filled / order qty in [0, 1] (4 dp); an over-fill counts as 1. Null for a zero order qty. */
  readonly fillRate: number | null;
  /** s x (average fill price - arrival mid) / arrival mid, bps. */
  readonly arrivalSlippageBps: number | null;
  readonly implementationShortfall: {
    /** decision price x order qty. */
    readonly paperValue: string;
    readonly closingPrice: string | null;
    /** What the trading cost is measured from. */
    readonly tradingBenchmark: 'arrival_mid' | 'decision_price';
    readonly total: TcaAmount | null;
    readonly delay: TcaAmount | null;
    readonly trading: TcaAmount;
    readonly opportunity: TcaAmount | null;
    readonly fees: TcaAmount;
  } | null;
  readonly benchmarks: {
    readonly vwap: BenchmarkSlippage | null;
    readonly twap: BenchmarkSlippage | null;
  };
  readonly executions: readonly TcaExecution[];
  readonly rule605: Rule605Summary;
  readonly timings: {
    /** ms from acceptance to the first fill; null without fills. */
    readonly timeToFirstFillMs: number | null;
    /** closedAt - acceptedAt. */
    readonly timeToCompletionMs: number;
  };
  readonly venues: readonly VenueMix[];
}

/** The implementation shortfall's parts, exact at scale 18 (null where unknown; see the module). */
export interface ShortfallParts {
  readonly paperValue: Value18;
  readonly delay: Value18 | null;
  readonly trading: Value18;
  readonly opportunity: Value18 | null;
  readonly fees: Value18;
  readonly total: Value18 | null;
}

/** The Rule 605 measures of one execution against one NBBO (exact). */
export interface Rule605Measures {
  readonly mid: Nanos;
  readonly effectiveSpread: Nanos;
  readonly signedEffectiveSpread: Nanos;
  readonly quotedSpread: Nanos;
  readonly priceImprovement: Nanos;
  readonly outcome: QuoteOutcome;
}

// ---------------------------------------------------------------------------------------------
// Exact arithmetic helpers

/** n / d rounded half to even, for any sign of n and d > 0. */
export function divideSignedHalfEven(n: bigint, d: bigint): bigint {
  if (d <= 0n) throw new RangeError('division by a non-positive number');
  const negative = n < 0n;
  const a = negative ? -n : n;
  let q = a / d;
  const twice = (a % d) * 2n;
  if (twice > d || (twice === d && q % 2n === 1n)) q += 1n;
  return negative ? -q : q;
}

/** A signed scale-18 value, exactly. */
function formatSigned18(v: Value18): string {
  return v < 0n ? `-${formatValue18(-v)}` : formatValue18(v);
}

/** A signed decimal as `formatNanos` writes it ("-0.5"); null when it is not one. */
export function parseSignedNanos(text: string): Nanos | null {
  const negative = text.startsWith('-');
  const v = parseNanos(negative ? text.slice(1) : text);
  if (typeof v !== 'bigint') return null;
  return negative ? -v : v;
}

/** num / den in basis points, to 0.01 bp; null when den is not positive. */
function bps(num: bigint, den: bigint): number | null {
  if (den <= 0n) return null;
  return Number(divideSignedHalfEven(num * 1_000_000n, den)) / 100;
}

/** num / den to 4 dp; null when den is not positive. */
function ratio(num: bigint, den: bigint): number | null {
  if (den <= 0n) return null;
  return Number(divideSignedHalfEven(num * 10_000n, den)) / 10_000;
}

/** A share-weighted average (sum of qty x value at scale 18 over qty at scale 9), at scale 9. */
function average(weighted: Value18, qty: Nanos): Nanos {
  return divideSignedHalfEven(weighted, qty);
}

/** The NBBO midpoint, rounded half-even to the nano. */
export function midOf(q: TcaQuote): Nanos {
  return divideSignedHalfEven(q.bid + q.ask, 2n);
}

function sign(side: TcaSide): 1n | -1n {
  return side === 'buy' ? 1n : -1n;
}

/**
 * Rule 605 measures of an execution at `price` for an order on `side`, against the NBBO `quote`
 * (17 CFR 242.600(b): effective spread, price improvement; see the module comment). Exact: the
 * effective spread is |2 x price - (bid + ask)|, which needs no rounded mid.
 */
export function rule605MeasuresOf(side: TcaSide, price: Nanos, quote: TcaQuote): Rule605Measures {
  const s = sign(side);
  const signed = s * (2n * price - quote.bid - quote.ask);
  const improvement = side === 'buy' ? quote.ask - price : price - quote.bid;
  return {
    mid: midOf(quote),
    effectiveSpread: signed < 0n ? -signed : signed,
    signedEffectiveSpread: signed,
    quotedSpread: quote.ask - quote.bid,
    priceImprovement: improvement,
    outcome: improvement > 0n ? 'improved' : improvement === 0n ? 'at_quote' : 'outside_quote',
  };
}

// ---------------------------------------------------------------------------------------------
// Implementation shortfall

function filledOf(fills: readonly TcaFill[]): { qty: Nanos; notional: Value18; fees: Nanos } {
  let qty = 0n;
  let notional = 0n;
  let fees = 0n;
  for (const f of fills) {
    qty += f.qty;
    notional += f.qty * f.price;
    fees += f.fee;
  }
  return { qty, notional, fees };
}

/** The decision price the shortfall is measured from: the client's, else the arrival mid. */
function decisionOf(input: TcaInput): { price: Nanos; source: 'client' | 'arrival_mid' } | null {
  if (input.decisionPrice !== null) return { price: input.decisionPrice, source: 'client' };
  if (input.arrival !== null) return { price: midOf(input.arrival), source: 'arrival_mid' };
  return null;
}

/**
 * Perold's implementation shortfall of the order, exact (see the module comment); null without a
 * decision price (neither the client's nor an arrival quote).
 */
export function shortfallOf(input: TcaInput): ShortfallParts | null {
  const decision = decisionOf(input);
  if (decision === null) return null;
  const s = sign(input.side);
  const d = decision.price;
  const filled = filledOf(input.fills);
  const unfilled = input.orderQty > filled.qty ? input.orderQty - filled.qty : 0n;
  const arrivalMid = input.arrival === null ? null : midOf(input.arrival);
  const delay = arrivalMid === null ? null : s * (arrivalMid - d) * filled.qty;
  const tradingFrom = arrivalMid ?? d;
  const trading = s * (filled.notional - tradingFrom * filled.qty);
  const opportunity =
    unfilled === 0n ? 0n : input.closingPrice === null ? null : s * (input.closingPrice - d) * unfilled;
  const fees = toValue18(filled.fees);
  const total = opportunity === null ? null : (delay ?? 0n) + trading + opportunity + fees;
  return { paperValue: d * input.orderQty, delay, trading, opportunity, fees, total };
}

function amount(v: Value18, paper: Value18): TcaAmount {
  return { usd: formatSigned18(v), bps: bps(v, paper) };
}

// ---------------------------------------------------------------------------------------------
// Benchmarks

interface Benchmark {
  /** sum of weight x (mid1 + mid2): twice the weighted prices (scale 18). */
  readonly twiceWeighted: bigint;
  readonly weight: bigint;
  /** Every counted interval was priced from the tape's accumulators. */
  readonly exact: boolean;
}

/** An interval's weight (scale 9) and, when exact, its weighted price (weight x price, scale 18). */
type Interval = { readonly weight: bigint; readonly weighted: bigint | null } | null;

function intervals(
  samples: readonly MarketSample[],
  intervalOf: (a: MarketSample, b: MarketSample) => Interval,
): Benchmark | null {
  const sorted = [...samples].sort((a, b) => a.at - b.at);
  let twiceWeighted = 0n;
  let weight = 0n;
  let exact = true;
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1] as MarketSample;
    const b = sorted[i] as MarketSample;
    const w = intervalOf(a, b);
    if (w === null || w.weight <= 0n) continue;
    if (w.weighted !== null && w.weighted > 0n) twiceWeighted += 2n * w.weighted;
    else {
      twiceWeighted += w.weight * (a.mid + b.mid);
      exact = false;
    }
    weight += w.weight;
  }
  return weight > 0n ? { twiceWeighted, weight, exact } : null;
}

/** later - earlier of an accumulator both samples carry; null when either lacks it. */
function increment(a: Nanos | null | undefined, b: Nanos | null | undefined): bigint | null {
  return a === null || a === undefined || b === null || b === undefined ? null : b - a;
}

function vwapOf(samples: readonly MarketSample[]): Benchmark | null {
  return intervals(samples, (a, b) => {
    const volume = increment(a.cumulativeVolume, b.cumulativeVolume);
    if (volume === null) return null;
    const notional = increment(a.cumulativeNotional, b.cumulativeNotional);
    // notional is price x size at scale 9: lifted to scale 18 like weight x mid.
    return { weight: volume, weighted: notional === null ? null : notional * ONE };
  });
}

function twapOf(samples: readonly MarketSample[]): Benchmark | null {
  // The weight is a duration in ms, lifted to scale 9 so the price comes back at scale 9.
  return intervals(samples, (a, b) => {
    const ms = b.at - a.at;
    if (!Number.isFinite(ms)) return null;
    const integral = increment(a.cumulativeMidMs, b.cumulativeMidMs);
    return { weight: BigInt(Math.round(ms)) * ONE, weighted: integral === null ? null : integral * ONE };
  });
}

function benchmarkSlippage(
  side: TcaSide,
  filled: { qty: Nanos; notional: Value18 },
  b: Benchmark | null,
): BenchmarkSlippage | null {
  if (b === null || filled.qty <= 0n || b.twiceWeighted <= 0n) return null;
  // avg = notional / qty; benchmark = twiceWeighted / (2 weight);
  // (avg - benchmark) / benchmark = (notional x 2 weight - qty x twiceWeighted) / (qty x twiceWeighted)
  const num = sign(side) * (filled.notional * 2n * b.weight - filled.qty * b.twiceWeighted);
  const slippage = bps(num, filled.qty * b.twiceWeighted);
  if (slippage === null) return null;
  return {
    price: formatNanos(divideHalfEven(b.twiceWeighted, 2n * b.weight)),
    slippageBps: slippage,
    basis: b.exact ? 'tape' : 'sampled_mids',
  };
}

// ---------------------------------------------------------------------------------------------
// The TCA

function quoteJson(q: TcaQuote): { bid: string; ask: string; mid: string } {
  return { bid: formatNanos(q.bid), ask: formatNanos(q.ask), mid: formatNanos(midOf(q)) };
}

/** The transaction costs of one closed order (see the module comment for every definition). */
export function transactionCostsOf(input: TcaInput): Tca {
  const s = sign(input.side);
  const filled = filledOf(input.fills);
  const arrivalMid = input.arrival === null ? null : midOf(input.arrival);
  const decision = decisionOf(input);
  const quoteBasis = input.rule605Quote ?? 'receipt';

  const is = shortfallOf(input);
  const implementationShortfall =
    is === null || decision === null
      ? null
      : {
          paperValue: formatSigned18(is.paperValue),
          closingPrice: input.closingPrice === null ? null : formatNanos(input.closingPrice),
          tradingBenchmark: arrivalMid === null ? ('decision_price' as const) : ('arrival_mid' as const),
          total: is.total === null ? null : amount(is.total, is.paperValue),
          delay: is.delay === null ? null : amount(is.delay, is.paperValue),
          trading: amount(is.trading, is.paperValue),
          opportunity: is.opportunity === null ? null : amount(is.opportunity, is.paperValue),
          fees: amount(is.fees, is.paperValue),
        };

  // Rule 605, per execution and share-weighted over the order.
  let measuredQty = 0n;
  let sumSigned = 0n;
  let sumQuoted = 0n;
  let sumImprovement = 0n;
  let sumImproved = 0n;
  let sumDisimproved = 0n;
  let improvedQty = 0n;
  let atQuoteQty = 0n;
  let outsideQty = 0n;
  const executions: TcaExecution[] = input.fills.map((f) => {
    const ref = quoteBasis === 'receipt' ? input.arrival : f.quote;
    const m = ref === null ? null : rule605MeasuresOf(input.side, f.price, ref);
    if (m !== null) {
      measuredQty += f.qty;
      sumSigned += f.qty * m.signedEffectiveSpread;
      sumQuoted += f.qty * m.quotedSpread;
      sumImprovement += f.qty * m.priceImprovement;
      if (m.outcome === 'improved') {
        improvedQty += f.qty;
        sumImproved += f.qty * m.priceImprovement;
      } else if (m.outcome === 'at_quote') atQuoteQty += f.qty;
      else {
        outsideQty += f.qty;
        sumDisimproved -= f.qty * m.priceImprovement;
      }
    }
    return {
      execId: f.execId,
      qty: formatNanos(f.qty),
      price: formatNanos(f.price),
      at: f.at,
      msFromAcceptance: f.at - input.acceptedAt,
      venue: f.venue,
      fee: formatNanos(f.fee),
      liquidity: f.liquidity,
      referenceQuote: ref === null ? null : quoteJson(ref),
      effectiveSpread: m === null ? null : formatNanos(m.effectiveSpread),
      signedEffectiveSpread: m === null ? null : formatNanos(m.signedEffectiveSpread),
      quotedSpread: m === null ? null : formatNanos(m.quotedSpread),
      effectiveOverQuoted: m === null ? null : ratio(m.signedEffectiveSpread, m.quotedSpread),
      priceImprovement: m === null ? null : formatNanos(m.priceImprovement),
      outcome: m === null ? null : m.outcome,
    };
  });
  const measured = measuredQty > 0n;
  const rule605: Rule605Summary = {
    quote: quoteBasis,
    measuredQty: formatNanos(measuredQty),
    avgEffectiveSpread: measured ? formatNanos(average(sumSigned, measuredQty)) : null,
    avgSignedEffectiveSpread: measured ? formatNanos(average(sumSigned, measuredQty)) : null,
    avgQuotedSpread: measured ? formatNanos(average(sumQuoted, measuredQty)) : null,
    effectiveOverQuoted: measured ? ratio(sumSigned, sumQuoted) : null,
    avgPriceImprovement: measured ? formatNanos(average(sumImprovement, measuredQty)) : null,
    avgImprovementPerImprovedShare: improvedQty > 0n ? formatNanos(average(sumImproved, improvedQty)) : null,
    avgDisimprovementPerOutsideQuoteShare:
      outsideQty > 0n ? formatNanos(average(sumDisimproved, outsideQty)) : null,
    improvedQty: formatNanos(improvedQty),
    atQuoteQty: formatNanos(atQuoteQty),
    outsideQuoteQty: formatNanos(outsideQty),
  };

  // Venue mix, largest qty first, then by name (null last) for a stable order.
  const byVenue = new Map<string | null, { qty: Nanos; notional: Value18; fees: Nanos; fills: number }>();
  for (const f of input.fills) {
    const v = byVenue.get(f.venue) ?? { qty: 0n, notional: 0n, fees: 0n, fills: 0 };
    byVenue.set(f.venue, {
      qty: v.qty + f.qty,
      notional: v.notional + f.qty * f.price,
      fees: v.fees + f.fee,
      fills: v.fills + 1,
    });
  }
  const venues: VenueMix[] = [...byVenue.entries()]
    .filter(([, v]) => v.qty > 0n)
    .sort(([va, a], [vb, b]) =>
      a.qty !== b.qty
        ? a.qty > b.qty
          ? -1
          : 1
        : va === vb
          ? 0
          : va === null
            ? 1
            : vb === null
              ? -1
              : va < vb
                ? -1
                : 1,
    )
    .map(([venue, v]) => ({
      venue,
      qty: formatNanos(v.qty),
      shareOfFilled: ratio(v.qty, filled.qty),
      fees: formatNanos(v.fees),
      avgPrice: formatNanos(divideHalfEven(v.notional, v.qty)),
      fills: v.fills,
    }));

  const firstFillAt = input.fills.length === 0 ? null : Math.min(...input.fills.map((f) => f.at));
  const hasFills = filled.qty > 0n;
  const fillQty = min(filled.qty, input.orderQty);

  return {
    side: input.side,
    orderQty: formatNanos(input.orderQty),
    arrival: input.arrival === null ? null : quoteJson(input.arrival),
    decisionPrice: decision === null ? null : formatNanos(decision.price),
    decisionPriceSource: decision === null ? null : decision.source,
    filledQty: formatNanos(filled.qty),
    avgPrice: hasFills ? formatNanos(divideHalfEven(filled.notional, filled.qty)) : null,
    fillRate: ratio(fillQty, input.orderQty),
    arrivalSlippageBps:
      hasFills && arrivalMid !== null
        ? bps(s * (filled.notional - arrivalMid * filled.qty), arrivalMid * filled.qty)
        : null,
    implementationShortfall,
    benchmarks: {
      vwap: input.algorithmic ? benchmarkSlippage(input.side, filled, vwapOf(input.samples)) : null,
      twap: input.algorithmic ? benchmarkSlippage(input.side, filled, twapOf(input.samples)) : null,
    },
    executions,
    rule605,
    timings: {
      timeToFirstFillMs: firstFillAt === null ? null : firstFillAt - input.acceptedAt,
      timeToCompletionMs: input.closedAt - input.acceptedAt,
    },
    venues,
  };
}
