/**
 * The simulated market: one quote per symbol (bid, ask, last, displayed sizes) moving as a seeded
 * random walk on the symbol's tick grid. Pure and deterministic: the same symbol, quote and time
 * give the same next quote, so a retried market tick computes the same prices. Decimals are exact
 * nanos; the random numbers only pick whole tick counts and lot counts.
 */
import { formatNanos, type Nanos, nanos, ONE, tickSizeFor } from '../core/index.js';

export interface Quote {
  readonly symbol: string;
  readonly bid: Nanos;
  readonly ask: Nanos;
  readonly last: Nanos;
  readonly bidSize: Nanos;
  readonly askSize: Nanos;
  readonly updatedAt: string;
}

/** The MARKET_TABLE item: decimals as canonical text. */
export interface QuoteItem {
  readonly symbol: string;
  readonly bid: string;
  readonly ask: string;
  readonly last: string;
  readonly bidSize: string;
  readonly askSize: string;
  readonly updatedAt: string;
}

const LOT: Nanos = 100n * ONE;
const MIN_PRICE: Nanos = 10_000_000n; // $0.01
/** Largest move of the bid per step, in ticks. */
const MAX_STEP_TICKS = 3;
const MAX_SPREAD_TICKS = 3;
const MAX_LOTS = 10;

/** FNV-1a, 32 bit. */
export function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** mulberry32: a small seeded generator; `next(n)` is a whole number in [0, n). */
export function rng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n: number) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
}

function onTickDown(p: Nanos): Nanos {
  const q = p < MIN_PRICE ? MIN_PRICE : p;
  return q - (q % tickSizeFor(q));
}

function onTickUp(p: Nanos): Nanos {
  const r = p % tickSizeFor(p);
  return r === 0n ? p : p - r + tickSizeFor(p);
}

function shape(symbol: string, bid: Nanos, next: (n: number) => number, at: string): Quote {
  const b = onTickDown(bid);
  const ask = onTickUp(b + BigInt(1 + next(MAX_SPREAD_TICKS)) * tickSizeFor(b));
  return {
    symbol,
    bid: b,
    ask,
    last: next(2) === 0 ? b : ask,
    bidSize: BigInt(1 + next(MAX_LOTS)) * LOT,
    askSize: BigInt(1 + next(MAX_LOTS)) * LOT,
    updatedAt: at,
  };
}

/** The first quote of a symbol: a price between $20 and $500 chosen by the symbol alone. */
export function seedQuote(symbol: string, now: number): Quote {
  const next = rng(hash32(symbol));
  const dollars = BigInt(20 + next(480));
  const cents = BigInt(next(100));
  return shape(symbol, dollars * ONE + cents * 10_000_000n, next, new Date(now).toISOString());
}

/** One step of the walk: the bid moves up to 3 ticks either way, spread and sizes are redrawn. */
export function advanceQuote(q: Quote, now: number): Quote {
  const next = rng(hash32(`${q.symbol}|${q.updatedAt}|${now}`));
  const ticks = BigInt(next(2 * MAX_STEP_TICKS + 1) - MAX_STEP_TICKS);
  return shape(q.symbol, q.bid + ticks * tickSizeFor(q.bid), next, new Date(now).toISOString());
}

export function quoteToItem(q: Quote): QuoteItem {
  return {
    symbol: q.symbol,
    bid: formatNanos(q.bid),
    ask: formatNanos(q.ask),
    last: formatNanos(q.last),
    bidSize: formatNanos(q.bidSize),
    askSize: formatNanos(q.askSize),
    updatedAt: q.updatedAt,
  };
}

/** Reads an item (also one an operator wrote by hand to steer the market). */
export function quoteFromItem(i: QuoteItem): Quote {
  return {
    symbol: i.symbol,
    bid: nanos(String(i.bid)),
    ask: nanos(String(i.ask)),
    last: nanos(String(i.last)),
    bidSize: nanos(String(i.bidSize)),
    askSize: nanos(String(i.askSize)),
    updatedAt: i.updatedAt,
  };
}
