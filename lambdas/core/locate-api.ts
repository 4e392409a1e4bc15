/**
 * Alpaca's `/v1/locates` API over the locate book (core locates.ts), the rules only (pure; the
 * handler lambdas/order-api/locates.ts reads and writes): what the official SDK
 * (`@alpacahq/alpaca-trade-api` 4.x, `trading.LocatesApi`) sends and reads.
 * - `POST /v1/locates`: `limit_price`, the most the request accepts to pay per share;
 * - `GET /v1/locates`: `{locates, next_page_token}`, newest first (`created_at`, then `id`,
 *   descending: the SDK's order), filtered by `status`, `symbol` and the New York trading day
 *   (`start`, `end`), paged by `limit` and `page_token` (the id of the last locate of a page);
 * - `GET /v1/locates/quotes?symbols=`: what the borrow desk can lend now, and its fee.
 * A symbol a locate cannot be asked for (not listed, easy to borrow, not shortable) is refused the
 * same way by both: 422 on POST, an entry of `errors` on quotes.
 */
import type { Asset } from './asset.js';
import { isCalendarDate } from './calendar.js';
import { formatNanos, type Nanos, ONE, parseNanos } from './decimal.js';
import { type FieldError, fieldError } from './field-error.js';
import {
  LOCATE_FEE_PER_SHARE,
  type LocateBook,
  type LocateRecord,
  locateJson,
  locateStatusAt,
} from './locates.js';
import { TICKER_SYMBOL } from './ticker.js';

/**
 * `limit_price` of a locate request: the most it accepts to pay per share (USD), a non-negative
 * decimal string or number (Alpaca's SDK sends a string); absent or null: any fee. Kept as its
 * canonical decimal ("0.050" is "0.05").
 */
export function locateLimitPriceOf(
  value: unknown,
):
  | { readonly ok: true; readonly limitPrice: string | undefined }
  | { readonly ok: false; readonly errors: FieldError[] } {
  if (value === undefined || value === null) return { ok: true, limitPrice: undefined };
  const text =
    typeof value === 'string'
      ? value
      : typeof value === 'number' && Number.isFinite(value)
        ? String(value)
        : null;
  const parsed = text === null ? null : parseNanos(text);
  if (typeof parsed === 'bigint') return { ok: true, limitPrice: formatNanos(parsed) };
  const got = text === null ? (JSON.stringify(value) ?? String(value)) : `"${text}"`;
  const message =
    parsed === 'too_precise'
      ? `must have at most 9 decimal places, got ${got}`
      : `must be a non-negative decimal string (the most to pay per share, USD), got ${got}`;
  return {
    ok: false,
    errors: [fieldError(parsed === 'too_precise' ? 'too_precise' : 'invalid_value', 'limit_price', message)],
  };
}

export const LOCATE_LIST_PARAMETERS = ['page_token', 'limit', 'status', 'symbol', 'start', 'end'] as const;
export const LOCATES_PAGE_DEFAULT = 100;
export const LOCATES_PAGE_MAX = 500;
const LOCATE_STATUSES = ['active', 'expired', 'rejected'] as const;
export type LocateListStatus = (typeof LOCATE_STATUSES)[number];

export interface LocateListQuery {
  readonly pageToken?: string;
  readonly limit: number;
  readonly status?: LocateListStatus;
  readonly symbol?: string;
  /** `YYYY-MM-DD`: the first New York trading day listed (inclusive). */
  readonly start?: string;
  /** `YYYY-MM-DD`: the last New York trading day listed (inclusive). */
  readonly end?: string;
}

/**
 * `GET /v1/locates`' query (parameters other than LOCATE_LIST_PARAMETERS are the caller's check:
 * http.ts `unknownParameters`). An empty value is a bad value, not "no filter".
 */
export function parseLocateListQuery(
  q: Readonly<Record<string, string | undefined>>,
):
  | { readonly ok: true; readonly query: LocateListQuery }
  | { readonly ok: false; readonly errors: FieldError[] } {
  const errors: FieldError[] = [];
  let limit = LOCATES_PAGE_DEFAULT;
  if (q.limit !== undefined) {
    const n = /^\d{1,4}$/.test(q.limit) ? Number(q.limit) : Number.NaN;
    if (n >= 1 && n <= LOCATES_PAGE_MAX) limit = n;
    else
      errors.push(
        fieldError(
          'invalid_value',
          'limit',
          `must be a whole number from 1 to ${LOCATES_PAGE_MAX}, got "${q.limit}"`,
        ),
      );
  }
  const status = q.status;
  if (status !== undefined && !(LOCATE_STATUSES as readonly string[]).includes(status))
    errors.push(
      fieldError('invalid_value', 'status', `must be one of active, expired, rejected, got "${status}"`),
    );
  // Checked before upper-casing: `ß` is no ticker, though its upper case `SS` is one.
  const symbol = q.symbol?.toUpperCase();
  if (q.symbol !== undefined && !TICKER_SYMBOL.test(q.symbol))
    errors.push(fieldError('invalid_value', 'symbol', 'must be a ticker symbol'));
  for (const name of ['start', 'end'] as const) {
    const v = q[name];
    if (v !== undefined && !isCalendarDate(v))
      errors.push(fieldError('invalid_value', name, `must be a date YYYY-MM-DD, got "${v}"`));
  }
  if (errors.length === 0 && q.start !== undefined && q.end !== undefined && q.end < q.start)
    errors.push(fieldError('invalid_value', 'end', `must not be before start (${q.start}), got "${q.end}"`));
  if (q.page_token !== undefined && q.page_token === '')
    errors.push(fieldError('invalid_value', 'page_token', 'must be a next_page_token of this list, got ""'));
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    query: {
      limit,
      ...(q.page_token === undefined ? {} : { pageToken: q.page_token }),
      ...(status === undefined ? {} : { status: status as LocateListStatus }),
      ...(symbol === undefined ? {} : { symbol }),
      ...(q.start === undefined ? {} : { start: q.start }),
      ...(q.end === undefined ? {} : { end: q.end }),
    },
  };
}

/** Newest first: `created_at` descending, `id` descending between equal times (Alpaca's order). */
function newestFirst(a: LocateRecord, b: LocateRecord): number {
  if (a.createdAt !== b.createdAt) return a.createdAt < b.createdAt ? 1 : -1;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/**
 * One page of `GET /v1/locates`: `{locates, next_page_token}`. The page token is the id of the
 * last locate a page listed (opaque to the client); the next page lists what comes after it, in
 * the same order, with the same filters. A token that names no locate of the book is a 400 (the
 * book keeps the last LOCATES_KEPT locates: a token older than those names none).
 * `start`/`end` select by the locate's New York trading day (`trading_day`, the New York date of
 * `created_at`), both inclusive.
 */
export function locatePage(
  book: LocateBook,
  query: LocateListQuery,
  now: number,
):
  | {
      readonly ok: true;
      readonly body: { locates: Record<string, unknown>[]; next_page_token: string | null };
    }
  | { readonly ok: false; readonly errors: FieldError[] } {
  let sorted = [...book.locates].sort(newestFirst);
  if (query.pageToken !== undefined) {
    const at = sorted.findIndex((l) => l.id === query.pageToken);
    if (at < 0)
      return {
        ok: false,
        errors: [
          fieldError(
            'invalid_value',
            'page_token',
            `is not a next_page_token of this account's locates, got "${query.pageToken}"`,
          ),
        ],
      };
    sorted = sorted.slice(at + 1);
  }
  const matching = sorted.filter(
    (l) =>
      (query.symbol === undefined || l.symbol === query.symbol) &&
      (query.status === undefined || locateStatusAt(l, now) === query.status) &&
      (query.start === undefined || l.tradingDay >= query.start) &&
      (query.end === undefined || l.tradingDay <= query.end),
  );
  const page = matching.slice(0, query.limit);
  const more = matching.length > page.length;
  return {
    ok: true,
    body: {
      locates: page.map((l) => locateJson(book, l, now)),
      next_page_token: more ? (page[page.length - 1]?.id ?? null) : null,
    },
  };
}

/** The most symbols one `GET /v1/locates/quotes` quotes. */
export const LOCATE_QUOTE_SYMBOLS_MAX = 100;

/** `symbols` of `GET /v1/locates/quotes`: comma-separated tickers, upper-cased, each once, in order. */
export function parseLocateQuoteSymbols(
  text: string | undefined,
): { readonly ok: true; readonly symbols: string[] } | { readonly ok: false; readonly errors: FieldError[] } {
  if (text === undefined) return { ok: false, errors: [fieldError('required', 'symbols', 'is required')] };
  const given = text.split(',').map((s) => s.trim());
  const bad = given.find((s) => !TICKER_SYMBOL.test(s));
  const items = given.map((s) => s.toUpperCase());
  if (bad !== undefined)
    return {
      ok: false,
      errors: [
        fieldError('invalid_value', 'symbols', `must be comma-separated ticker symbols, got "${bad}"`),
      ],
    };
  const symbols = [...new Set(items)];
  if (symbols.length > LOCATE_QUOTE_SYMBOLS_MAX)
    return {
      ok: false,
      errors: [
        fieldError(
          'invalid_value',
          'symbols',
          `at most ${LOCATE_QUOTE_SYMBOLS_MAX} symbols, got ${symbols.length}`,
        ),
      ],
    };
  return { ok: true, symbols };
}

/**
 * Why a locate cannot be asked for `symbol` (null: it can), with the code of Alpaca's
 * `LocateQuoteErrorCodeEnum`: not in the asset master `symbol_not_found`; easy to borrow (its short
 * sales need none) `easy_to_borrow`; not shortable `threshold_security`, the one code of Alpaca's
 * for a symbol its short sales are restricted on (the message says what the OMS knows: not shortable).
 */
export function locateRefusalOf(
  symbol: string,
  asset: Pick<Asset, 'shortable' | 'easyToBorrow'> | null,
): {
  readonly code: 'symbol_not_found' | 'easy_to_borrow' | 'threshold_security';
  readonly message: string;
} | null {
  if (asset === null)
    return { code: 'symbol_not_found', message: `${symbol} is not listed in the asset master` };
  if (!asset.shortable) return { code: 'threshold_security', message: `${symbol} is not shortable` };
  if (asset.easyToBorrow)
    return { code: 'easy_to_borrow', message: `${symbol} is easy to borrow; its short sales need no locate` };
  return null;
}

/**
 * A symbol's locate quote (Alpaca's `LocateQuote`): `available_qty`, the whole shares the borrow
 * desk can lend now; `price`, the fee per share ("0": the desk charges none), left out when it has
 * nothing to lend (as Alpaca does); `quoted_at`.
 */
export function locateQuoteOf(
  symbol: string,
  available: Nanos,
  now: number,
): { symbol: string; available_qty: number; price?: string; quoted_at: string } {
  const qty = available > 0n ? Number(available / ONE) : 0;
  return {
    symbol,
    available_qty: qty,
    ...(qty > 0 ? { price: LOCATE_FEE_PER_SHARE } : {}),
    quoted_at: new Date(now).toISOString(),
  };
}
