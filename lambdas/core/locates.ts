/**
 * Locates (Reg SHO Rule 203(b)(1), 17 CFR 242.203(b)(1); core short-sales.ts): the account's
 * requests to borrow a hard-to-borrow symbol for a day, and what its short sales have used of
 * them. Pure: the borrow desk's answer, the ids and `now` are passed in.
 *
 * The account's locate book is ONE item (ACCOUNTS_TABLE `locates#<accountId>`, read with the
 * account's record by pre-trade risk at no extra request): per symbol the trading day and the
 * located shares still unused that day (`remaining`, whole shares), and the locates themselves
 * (newest last, the last `LOCATES_KEPT`). A short sale of the symbol takes its short part out of
 * `remaining` in the transaction that places the order (conditional on enough remaining), so two
 * concurrent shorts cannot both use the last located shares.
 *
 * Shaped like Alpaca's `/v1/locates`: a request names `symbol` and `qty` (round lots of 100, as
 * Alpaca asks) and optionally `all_or_none`; the answer is `active` (some or all located) or
 * `rejected` (nothing located); a locate is for the New York date it was granted on and is
 * `expired` after it (Alpaca ends it at 8:00 PM ET, when extended hours end; no session runs
 * between then and midnight, so the OMS keeps the date as the unit).
 */
import { formatNanos, type Nanos, ONE, parseNanos } from './decimal.js';
import { type FieldError, fieldError } from './field-error.js';
import { newYorkDate, newYorkToUtc } from './session.js';

export const LOCATE_ROUND_LOT: Nanos = 100n * ONE;
/** How many locates the book lists (older ones are dropped from the list; their day is over). */
export const LOCATES_KEPT = 100;

export type LocateStatus = 'active' | 'rejected';

/** One locate as kept in the book. */
export interface LocateRecord {
  readonly id: string;
  readonly symbol: string;
  readonly requestedQty: string;
  readonly locatedQty: string;
  readonly allOrNone: boolean;
  readonly status: LocateStatus;
  /** `YYYY-MM-DD` (New York): the day the located shares may be used. */
  readonly tradingDay: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  /** Why nothing was located (a rejected locate). */
  readonly rejectReason?: string;
  /** The request's `limit_price`: the most it accepts to pay per share (a canonical decimal). */
  readonly limitPrice?: string;
}

/** What a symbol's short sales may still use today. */
export interface SymbolLocates {
  readonly tradingDay: string;
  /** Whole located shares not yet used by a short sale that day. */
  readonly remaining: number;
}

export interface LocateBook {
  /** Bumped by every write (a locate granted, shares used): the book's optimistic lock. */
  readonly version: number;
  readonly symbols: Readonly<Record<string, SymbolLocates>>;
  readonly locates: readonly LocateRecord[];
}

export const EMPTY_LOCATE_BOOK: LocateBook = { version: 0, symbols: {}, locates: [] };

export interface LocateRequest {
  readonly symbol: string;
  readonly qty: Nanos;
  readonly allOrNone: boolean;
  /** The most the request accepts to pay per share (a canonical decimal); none: any fee. */
  readonly limitPrice?: string;
}

/** The request's own rules beyond its shape: a positive qty in round lots of 100 (Alpaca's). */
export function locateQtyErrors(qtyText: string): FieldError[] {
  const qty = parseNanos(qtyText);
  if (typeof qty !== 'bigint')
    return [fieldError('not_a_decimal', 'qty', `must be a whole number of shares, got "${qtyText}"`)];
  if (qty <= 0n) return [fieldError('not_positive', 'qty', `must be greater than 0, got "${qtyText}"`)];
  if (qty % LOCATE_ROUND_LOT !== 0n)
    return [fieldError('invalid_value', 'qty', `must be in round lots of 100 shares, got "${qtyText}"`)];
  return [];
}

/** The end of a locate's day: midnight New York after `tradingDay`. */
export function locateExpiry(tradingDay: string): string {
  const [y, m, d] = tradingDay.split('-').map(Number) as [number, number, number];
  return new Date(newYorkToUtc(y, m, d + 1, 0, 0)).toISOString();
}

/** The located shares of `symbol` the account's short sales may still use on `today` (0 when none). */
export function locatedRemaining(book: LocateBook, symbol: string, today: string): Nanos {
  const s = book.symbols[symbol.toUpperCase()];
  return s === undefined || s.tradingDay !== today ? 0n : BigInt(s.remaining) * ONE;
}

/**
 * The book after the borrow desk answered a request: `deskLocated` shares (what the desk could lend,
 * at most the request; all or nothing with `all_or_none`). Located shares add to the symbol's
 * remaining for today (a symbol's shares of an earlier day are gone: its locates expired).
 */
export function grantLocate(
  book: LocateBook,
  request: LocateRequest,
  deskLocated: Nanos,
  id: string,
  now: number,
): { readonly book: LocateBook; readonly locate: LocateRecord } {
  const today = newYorkDate(now);
  const symbol = request.symbol.toUpperCase();
  const located = deskLocated > request.qty ? request.qty : deskLocated < 0n ? 0n : deskLocated;
  const whole = located - (located % ONE);
  const granted = request.allOrNone && whole < request.qty ? 0n : whole;
  const locate: LocateRecord = {
    id,
    symbol,
    requestedQty: formatNanos(request.qty),
    locatedQty: formatNanos(granted),
    allOrNone: request.allOrNone,
    status: granted > 0n ? 'active' : 'rejected',
    tradingDay: today,
    createdAt: new Date(now).toISOString(),
    expiresAt: locateExpiry(today),
    ...(request.limitPrice === undefined ? {} : { limitPrice: request.limitPrice }),
    ...(granted > 0n
      ? {}
      : {
          rejectReason:
            deskLocated <= 0n
              ? `no ${symbol} shares available to borrow`
              : `only ${formatNanos(whole)} of ${formatNanos(request.qty)} ${symbol} shares available to borrow (all_or_none)`,
        }),
  };
  const before = locatedRemaining(book, symbol, today);
  const symbols =
    granted > 0n
      ? { ...book.symbols, [symbol]: { tradingDay: today, remaining: Number((before + granted) / ONE) } }
      : book.symbols;
  return {
    locate,
    book: { version: book.version + 1, symbols, locates: [...book.locates, locate].slice(-LOCATES_KEPT) },
  };
}

/**
 * The borrow desk's fee per share (USD). The simulated desk charges none: every `limit_price` is
 * met, and a locate shows `located_price` and `total_fee` "0".
 */
export const LOCATE_FEE_PER_SHARE = '0';

/**
 * A locate as Alpaca's `/v1/locates` shows it (the SDK's `LocateFromJSON`): `requested_qty` and
 * `located_qty` numbers (whole shares; 0 located when rejected), `limit_price` (the request's, or
 * null), `located_price` and `total_fee` (the fee per share and in all: "0", the desk charges none;
 * left out when rejected, as Alpaca does), `rejection_reason` (when rejected). Plus the OMS's
 * extensions `used_qty` (the located shares the account's short sales took, counted against its
 * locates of the day oldest first) and `trading_day`. `expired` once its day is over.
 */
export function locateJson(book: LocateBook, locate: LocateRecord, now: number): Record<string, unknown> {
  const located = locate.status === 'active';
  return {
    id: locate.id,
    symbol: locate.symbol,
    status: locateStatusAt(locate, now),
    requested_qty: shares(locate.requestedQty),
    located_qty: shares(locate.locatedQty),
    used_qty: Number(usedOf(book, locate) / ONE),
    all_or_none: locate.allOrNone,
    limit_price: locate.limitPrice ?? null,
    ...(located ? { located_price: LOCATE_FEE_PER_SHARE, total_fee: LOCATE_FEE_PER_SHARE } : {}),
    trading_day: locate.tradingDay,
    created_at: locate.createdAt,
    expires_at: locate.expiresAt,
    ...(locate.rejectReason === undefined ? {} : { rejection_reason: locate.rejectReason }),
  };
}

/** A locate's status at `now`: an active one is `expired` once its New York day is over. */
export function locateStatusAt(locate: LocateRecord, now: number): 'active' | 'expired' | 'rejected' {
  if (locate.status !== 'active') return locate.status;
  return locate.tradingDay !== newYorkDate(now) || now >= Date.parse(locate.expiresAt) ? 'expired' : 'active';
}

/** Whole shares as a JSON number (a locate is in round lots: its quantities are whole). */
const shares = (qty: string) => Number((parseNanos(qty) as Nanos) / ONE);

/** What the day's short sales used of `locate`: the symbol's used shares spread over its locates oldest first. */
function usedOf(book: LocateBook, locate: LocateRecord): Nanos {
  if (locate.status !== 'active') return 0n;
  const sameDay = book.locates.filter(
    (l) => l.status === 'active' && l.symbol === locate.symbol && l.tradingDay === locate.tradingDay,
  );
  const located = sameDay.reduce((sum, l) => sum + (parseNanos(l.locatedQty) as Nanos), 0n);
  const s = book.symbols[locate.symbol];
  const remaining = s !== undefined && s.tradingDay === locate.tradingDay ? BigInt(s.remaining) * ONE : 0n;
  let used = located > remaining ? located - remaining : 0n;
  for (const l of sameDay) {
    const own = parseNanos(l.locatedQty) as Nanos;
    const take = used < own ? used : own;
    if (l.id === locate.id) return take;
    used -= take;
  }
  return 0n;
}
