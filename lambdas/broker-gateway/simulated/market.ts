/**
 * The simulated market: one quote per symbol (bid, ask, last, displayed sizes) moving as a seeded
 * random walk on the symbol's tick grid. Pure and deterministic: the same symbol, quote and time
 * give the same next quote, so a retried market tick computes the same prices. Decimals are exact
 * nanos; the random numbers only pick whole tick counts and lot counts.
 *
 * Displayed sizes follow an intraday volume profile (`volumeProfilePercent`): U-shaped over the
 * New York regular session, larger near the open and the close than at midday.
 *
 * An operator can pin a symbol's quote (`pinnedQuoteItem`, local mode's `PUT /local/market/{symbol}`):
 * the item carries `pinned: true` and the market tick holds it (no walk) until it is set again,
 * while still matching resting orders against it.
 */
import {
  describeFieldErrors,
  divideHalfEven,
  type FieldError,
  fieldError,
  formatNanos,
  min,
  type Nanos,
  nanos,
  ONE,
  parseNanos,
  TICKER_SYMBOL,
  tickSizeFor,
} from '../../core/index.js';
import { volumeProfilePercent } from '../../core/volume-profile.js';
import type { QuoteItem } from '../../platform/market-data.js';

// The profile lives in the core (the VWAP algorithm weights its slices by it); re-exported here,
// where the displayed sizes it shapes are drawn.
export {
  VOLUME_PROFILE_EDGE_PERCENT,
  VOLUME_PROFILE_MIDDAY_PERCENT,
  VOLUME_PROFILE_OFF_SESSION_PERCENT,
  volumeProfilePercent,
} from '../../core/volume-profile.js';

export interface Quote {
  readonly symbol: string;
  readonly bid: Nanos;
  readonly ask: Nanos;
  readonly last: Nanos;
  readonly bidSize: Nanos;
  readonly askSize: Nanos;
  readonly updatedAt: string;
}

// The MARKET_TABLE item: ONE schema, the market data port's (readers go through the port).
export type { QuoteItem };

/** A pinned MARKET_TABLE item, as `pinnedQuoteItem` builds it. */
export interface PinnedQuoteItem extends QuoteItem {
  readonly pinned: true;
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

/** `lots` round lots scaled by the volume profile at `now`: whole lots, at least one. */
export function profiledSize(lots: number, now: number): Nanos {
  const scaled = Math.max(1, Math.ceil((lots * volumeProfilePercent(now)) / 100));
  return BigInt(scaled) * LOT;
}

function shape(symbol: string, bid: Nanos, next: (n: number) => number, now: number): Quote {
  const b = onTickDown(bid);
  const ask = onTickUp(b + BigInt(1 + next(MAX_SPREAD_TICKS)) * tickSizeFor(b));
  return {
    symbol,
    bid: b,
    ask,
    last: next(2) === 0 ? b : ask,
    bidSize: profiledSize(1 + next(MAX_LOTS), now),
    askSize: profiledSize(1 + next(MAX_LOTS), now),
    updatedAt: new Date(now).toISOString(),
  };
}

/** The first quote of a symbol: a price between $20 and $500 chosen by the symbol alone. */
export function seedQuote(symbol: string, now: number): Quote {
  const next = rng(hash32(symbol));
  const dollars = BigInt(20 + next(480));
  const cents = BigInt(next(100));
  return shape(symbol, dollars * ONE + cents * 10_000_000n, next, now);
}

/**
 * One step of the walk: the bid moves up to 3 ticks either way, spread and sizes are redrawn
 * (sizes: 1-10 lots scaled by the volume profile at `now`).
 */
export function advanceQuote(q: Quote, now: number): Quote {
  const next = rng(hash32(`${q.symbol}|${q.updatedAt}|${now}`));
  const ticks = BigInt(next(2 * MAX_STEP_TICKS + 1) - MAX_STEP_TICKS);
  return shape(q.symbol, q.bid + ticks * tickSizeFor(q.bid), next, now);
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

/**
 * What one market step prints on the simulated tape: the displayed size on the side the last
 * moved to (an uptick lifts the offer, a downtick hits the bid), the smaller of the two when it
 * did not move. The same tape the algorithm benchmark uses.
 */
export function printedVolume(before: Quote, after: Quote): Nanos {
  if (after.last > before.last) return after.askSize;
  if (after.last < before.last) return after.bidSize;
  return min(after.bidSize, after.askSize);
}

/** The tape's accumulators an item carries (absent until the first step: zero). */
export interface TapeAccumulators {
  readonly volume: Nanos;
  readonly notional: Nanos;
  readonly midMs: Nanos;
}

/** An item's tape accumulators; an absent or unreadable one reads as zero. */
export function tapeAccumulatorsOf(item: { readonly [k: string]: unknown }): TapeAccumulators {
  const read = (v: unknown): Nanos => {
    const n = typeof v === 'string' ? parseNanos(v) : null;
    return typeof n === 'bigint' && n >= 0n ? n : 0n;
  };
  return { volume: read(item.volume), notional: read(item.notional), midMs: read(item.midMs) };
}

/**
 * The tape's accumulators after `before` held until `at` (its mid x the ms it held; TCA's exact
 * TWAP), and then `after`'s print, when there is one (its size at its last: the exact VWAP).
 */
export function accumulateTape(
  acc: TapeAccumulators,
  before: Quote,
  at: number,
  after: Quote | null,
): TapeAccumulators {
  const since = Date.parse(before.updatedAt);
  const held = Number.isFinite(since) && at > since ? BigInt(Math.round(at - since)) : 0n;
  const midMs = acc.midMs + divideHalfEven((before.bid + before.ask) * held, 2n);
  if (after === null) return { ...acc, midMs };
  const printed = printedVolume(before, after);
  return {
    volume: acc.volume + printed,
    notional: acc.notional + divideHalfEven(printed * after.last, ONE),
    midMs,
  };
}

/** The item attributes of the tape's accumulators. */
export function tapeAttributes(acc: TapeAccumulators): { volume: string; notional: string; midMs: string } {
  return {
    volume: formatNanos(acc.volume),
    notional: formatNanos(acc.notional),
    midMs: formatNanos(acc.midMs),
  };
}

/** Whether the item is pinned: the market tick holds it. */
export function isPinned(i: { readonly pinned?: unknown }): boolean {
  return i.pinned === true;
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

/** What an operator sends to pin a quote (JSON: decimals as strings or numbers). */
export interface PinnedQuoteInput {
  readonly bid?: unknown;
  readonly ask?: unknown;
  readonly last?: unknown;
  readonly bidSize?: unknown;
  readonly askSize?: unknown;
  readonly bid_size?: unknown;
  readonly ask_size?: unknown;
  /** The previous session's close (positions' `lastday_price`); optional. */
  readonly prev_close?: unknown;
  readonly prevClose?: unknown;
}

export type Built<T> =
  | { readonly ok: true; readonly item: T }
  | { readonly ok: false; readonly message: string; readonly errors: readonly FieldError[] };

/** Base displayed size of a pinned quote when none is given: 5 lots, scaled by the volume profile. */
export const PINNED_DEFAULT_LOTS = 5;
const PINNED_FIELDS = new Set([
  'bid',
  'ask',
  'last',
  'bidSize',
  'askSize',
  'bid_size',
  'ask_size',
  'prevClose',
  'prev_close',
]);

/** A positive decimal from JSON (string or finite number), or the error naming `field`. */
export function positiveDecimal(field: string, v: unknown, errors: FieldError[]): Nanos | undefined {
  const text = typeof v === 'string' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : null;
  if (text === null) {
    errors.push(fieldError('invalid_type', field, 'must be a positive decimal (a string such as "10.25")'));
    return undefined;
  }
  const parsed = parseNanos(text);
  if (parsed === 'too_precise') {
    errors.push(fieldError('too_precise', field, `must have at most 9 decimal places, got "${text}"`));
    return undefined;
  }
  if (parsed === 'not_a_decimal') {
    errors.push(fieldError('not_a_decimal', field, `must be a positive decimal, got "${text}"`));
    return undefined;
  }
  if (parsed <= 0n) {
    errors.push(fieldError('not_positive', field, `must be greater than 0, got "${text}"`));
    return undefined;
  }
  return parsed;
}

function price(field: string, v: unknown, errors: FieldError[]): Nanos | undefined {
  if (v === undefined || v === null) {
    errors.push(fieldError('required', field, 'is required'));
    return undefined;
  }
  const p = positiveDecimal(field, v, errors);
  if (p !== undefined && p % tickSizeFor(p) !== 0n) {
    const tick = formatNanos(tickSizeFor(p));
    errors.push(
      fieldError('off_tick', field, `must be a multiple of the tick size ${tick}, got "${formatNanos(p)}"`),
    );
    return undefined;
  }
  return p;
}

/**
 * Validates an operator's quote and builds the pinned MARKET_TABLE item (local mode's
 * `PUT /local/market/{symbol}`). `bid`, `ask`, `last` are required positive decimals on the tick
 * grid (0.01 from $1, 0.0001 below), `bid <= ask`; `bid_size`/`ask_size` (or `bidSize`/`askSize`)
 * are optional positive decimals, by default `PINNED_DEFAULT_LOTS` lots scaled by the volume
 * profile at `now`. The symbol is upper-cased. Errors name the field (`bid: must be ...`); unknown
 * fields are refused.
 */
export function pinnedQuoteItem(
  symbol: string,
  input: PinnedQuoteInput,
  now: number,
): Built<PinnedQuoteItem> {
  const errors: FieldError[] = [];
  if (typeof symbol !== 'string' || !TICKER_SYMBOL.test(symbol))
    errors.push(
      fieldError('invalid_value', 'symbol', 'must be a ticker symbol (letters, digits, ".", "-", "/")'),
    );
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    errors.push(fieldError('invalid_type', 'body', 'must be a JSON object with bid, ask and last'));
    return { ok: false, message: describeFieldErrors(errors), errors };
  }
  for (const key of Object.keys(input))
    if (!PINNED_FIELDS.has(key))
      errors.push(
        fieldError(
          'unknown_field',
          key,
          'is not a quote field (bid, ask, last, bid_size, ask_size, prev_close)',
        ),
      );
  const bid = price('bid', input.bid, errors);
  const ask = price('ask', input.ask, errors);
  const last = price('last', input.last, errors);
  const size = (snake: 'bid_size' | 'ask_size', camel: 'bidSize' | 'askSize'): Nanos | undefined => {
    if (input[snake] !== undefined && input[camel] !== undefined) {
      errors.push(fieldError('conflict', snake, `give ${snake} or ${camel}, not both`));
      return undefined;
    }
    const [field, v] = input[snake] !== undefined ? [snake, input[snake]] : [camel, input[camel]];
    if (v === undefined || v === null) return profiledSize(PINNED_DEFAULT_LOTS, now);
    return positiveDecimal(field, v, errors);
  };
  const bidSize = size('bid_size', 'bidSize');
  const askSize = size('ask_size', 'askSize');
  if (input.prev_close !== undefined && input.prevClose !== undefined)
    errors.push(fieldError('conflict', 'prev_close', 'give prev_close or prevClose, not both'));
  const prevCloseInput = input.prev_close ?? input.prevClose;
  const prevCloseField = input.prev_close !== undefined ? 'prev_close' : 'prevClose';
  const prevClose =
    prevCloseInput === undefined || prevCloseInput === null
      ? undefined
      : positiveDecimal(prevCloseField, prevCloseInput, errors);
  if (bid !== undefined && ask !== undefined && bid > ask)
    errors.push(
      fieldError(
        'wrong_side',
        'bid',
        `must not be above ask (bid ${formatNanos(bid)}, ask ${formatNanos(ask)})`,
      ),
    );
  if (
    errors.length > 0 ||
    bid === undefined ||
    ask === undefined ||
    last === undefined ||
    bidSize === undefined ||
    askSize === undefined
  )
    return { ok: false, message: describeFieldErrors(errors), errors };
  const quote: Quote = {
    symbol: symbol.toUpperCase(),
    bid,
    ask,
    last,
    bidSize,
    askSize,
    updatedAt: new Date(now).toISOString(),
  };
  return {
    ok: true,
    item: {
      ...quoteToItem(quote),
      pinned: true,
      ...(prevClose === undefined ? {} : { prevClose: formatNanos(prevClose) }),
    },
  };
}
