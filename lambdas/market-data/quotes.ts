/**
 * A quote as the OMS reads it, and the ONE schema of the quote item in MARKET_TABLE: the simulated
 * market writes it (broker-gateway/simulated/market.ts), risk, algorithms and the held-trigger
 * watcher read it through the market data port (market-data.ts), never the item itself.
 */
import { z } from 'zod';
import { divideHalfEven, formatNanos, type Nanos, ONE, parseNanos, toValue18 } from '../core/index.js';

/** The MARKET_TABLE item: one per symbol, decimals as canonical text. */
export interface QuoteItem {
  readonly symbol: string;
  readonly bid: string;
  readonly ask: string;
  readonly last: string;
  readonly bidSize: string;
  readonly askSize: string;
  readonly updatedAt: string;
  /** Set by an operator: the market tick holds this quote (does not walk it) until it is set again. */
  readonly pinned?: boolean;
  /**
   * Cumulative traded volume of the tape: what algorithms measure participation against
   * (`max_percentage`). Absent until the first step.
   */
  readonly volume?: string;
}

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
  readonly updatedAt: string | null;
  /** The venue (or feed) the quote comes from; null for the one consolidated source. */
  readonly source: string | null;
}

/** The best bid and offer over several sources (one source: its own bid and ask). */
export interface BestBidOffer {
  readonly symbol: string;
  readonly bid: Nanos | null;
  readonly bidSource: string | null;
  readonly ask: Nanos | null;
  readonly askSource: string | null;
}

const decimal = z.union([z.string(), z.number()]).transform((v, ctx): Nanos | null => {
  const n = parseNanos(String(v));
  if (typeof n !== 'bigint') {
    ctx.addIssue({ code: 'custom', message: 'not a decimal' });
    return z.NEVER;
  }
  return n;
});
/** A price or size that is absent or unreadable reads as null; a non-positive one too. */
const positiveOrNull = decimal
  .optional()
  .catch(undefined)
  .transform((n) => (n === undefined || n === null || n <= 0n ? null : n));

/** A size or volume: zero is a reading (nothing displayed, nothing traded yet). */
const nonNegativeOrNull = decimal
  .optional()
  .catch(undefined)
  .transform((n) => (n === undefined || n === null || n < 0n ? null : n));

export const quoteItemSchema = z.object({
  symbol: z.string().min(1).optional().catch(undefined),
  bid: positiveOrNull,
  ask: positiveOrNull,
  last: positiveOrNull,
  bidSize: nonNegativeOrNull,
  askSize: nonNegativeOrNull,
  volume: nonNegativeOrNull,
  updatedAt: z.string().optional().catch(undefined),
});

/**
 * A stored item as a quote (`symbol`: the key it was read by, when the item lacks it); null when
 * there is no item, or no symbol to name it by.
 */
export function quoteFromItem(
  item: unknown,
  source: string | null = null,
  symbol?: string,
): MarketQuote | null {
  if (item === undefined || item === null) return null;
  const parsed = quoteItemSchema.safeParse(item);
  if (!parsed.success) return null;
  const q = parsed.data;
  const named = q.symbol ?? symbol;
  if (named === undefined) return null;
  return { ...q, symbol: named, updatedAt: q.updatedAt ?? null, source };
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
