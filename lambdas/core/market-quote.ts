/**
 * A quote as the OMS reads it (any source: the simulated market today, a feed or several venues'
 * books later) and the pure rules on quotes: the reference price risk checks against, a full quote
 * (bid, ask and last) for trigger checks and algorithm slices, the best bid and offer over sources.
 * The reader is the market data port (platform/market-data.ts).
 */
import { divideHalfEven, formatNanos, type Nanos, ONE, toValue18 } from './decimal.js';
import type { ShortSaleRestriction } from './short-sales.js';

/** A symbol's quote: each price positive or null (unreadable or absent), sizes likewise. */
export interface MarketQuote {
  readonly symbol: string;
  readonly bid: Nanos | null;
  readonly ask: Nanos | null;
  readonly last: Nanos | null;
  readonly bidSize: Nanos | null;
  readonly askSize: Nanos | null;
  /** Cumulative traded volume, when the source keeps one (zero before the first trade). */
  readonly volume: Nanos | null;
  /** Cumulative printed notional (size x price) up to `updatedAt`, when the source keeps one. */
  readonly notional?: Nanos;
  /** Cumulative mid x ms (its mid integrated over time) up to `updatedAt`, when the source keeps one. */
  readonly midMs?: Nanos;
  readonly updatedAt: string | null;
  /** The venue (or feed) the quote comes from; null for the one consolidated source. */
  readonly source: string | null;
  /** The previous session's closing price, when the source knows it. */
  readonly previousClose?: Nanos;
  /** An operator holds this quote (every venue shows it: core venues.ts). */
  readonly pinned?: boolean;
  /** The symbol's last Rule 201 short sale restriction, as the tape recorded it (core short-sales.ts). */
  readonly shortSaleRestriction?: ShortSaleRestriction;
}

/** The best bid and offer over several sources (one source: its own bid and ask). */
export interface BestBidOffer {
  readonly symbol: string;
  readonly bid: Nanos | null;
  readonly bidSource: string | null;
  readonly ask: Nanos | null;
  readonly askSource: string | null;
}

/** Bid, ask and last all readable: what a trigger check or an algorithm's slice needs. */
export function fullQuote(q: MarketQuote | null): { bid: Nanos; ask: Nanos; last: Nanos } | null {
  if (q === null || q.bid === null || q.ask === null || q.last === null) return null;
  return { bid: q.bid, ask: q.ask, last: q.last };
}

/** The reference price risk checks against: the last sale, else the bid/ask mid; null without. */
export function referencePriceOf(q: MarketQuote | null): string | null {
  if (q === null) return null;
  if (q.last !== null) return formatNanos(q.last);
  if (q.bid === null || q.ask === null) return null;
  return formatNanos(divideHalfEven(toValue18(q.bid + q.ask), 2n * ONE));
}

/** The best bid (highest) and offer (lowest) over `quotes` of one symbol. */
export function bestBidOfferOf(symbol: string, quotes: readonly MarketQuote[]): BestBidOffer {
  let best: BestBidOffer = { symbol, bid: null, bidSource: null, ask: null, askSource: null };
  for (const q of quotes) {
    if (q.bid !== null && (best.bid === null || q.bid > best.bid))
      best = { ...best, bid: q.bid, bidSource: q.source };
    if (q.ask !== null && (best.ask === null || q.ask < best.ask))
      best = { ...best, ask: q.ask, askSource: q.source };
  }
  return best;
}

/**
 * The tape's accumulators at time `at` (TCA's exact interval VWAP and TWAP: core tca.ts): the
 * cumulative volume and printed notional as of the quote, and its mid x ms integral carried on
 * from the quote's `updatedAt` to `at` at its mid (the mid holds until the next step). Exact when
 * `at` is not before the quote's step; a read that lands after a newer step is off by that step's
 * mid change over the interval in between. Each is null when the quote does not keep it (the mid
 * integral also needs both sides and `updatedAt`); the mark is null when it keeps none.
 */
export interface TapeMark {
  readonly volume: Nanos | null;
  readonly notional: Nanos | null;
  readonly midMs: Nanos | null;
}

export function tapeMarkOf(
  q: Pick<MarketQuote, 'bid' | 'ask' | 'volume' | 'notional' | 'midMs' | 'updatedAt'> | null,
  at: number,
): TapeMark | null {
  if (q === null) return null;
  const since = q.updatedAt === null ? Number.NaN : Date.parse(q.updatedAt);
  const midMs =
    q.midMs === undefined ||
    q.bid === null ||
    q.ask === null ||
    !Number.isFinite(since) ||
    !Number.isFinite(at)
      ? null
      : q.midMs + divideHalfEven((q.bid + q.ask) * BigInt(Math.round(at - since)), 2n);
  const notional = q.notional ?? null;
  if (q.volume === null && notional === null && midMs === null) return null;
  return { volume: q.volume, notional, midMs };
}
