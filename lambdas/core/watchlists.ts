/**
 * Watchlists: an account's named lists of symbols, Alpaca's `/v2/watchlists` as its SDKs call it
 * (4.x `trading.WatchlistsApi`, alpaca-py's `TradingClient.*watchlist*`). Pure: the handler reads
 * the account's watchlists and the asset master, this module decides, the handler writes the result
 * over the version it read (lambdas/orders/watchlists.ts).
 *
 * Rules (Alpaca publishes no limits; these are the OMS's, in the README's route table):
 * - a name is 1 to 64 characters of printable text, not only spaces, unique within the account
 *   (compared exactly: the `:by_name` routes find a watchlist by it);
 * - a symbol is one the asset master lists (any status: a delisted symbol may be watched), kept in
 *   upper case, at most once in a watchlist, at most 200 in one;
 * - at most 100 watchlists per account (all of them are one DynamoDB item, under its 400 KB).
 * A change that changes nothing (the same name, the same symbols) writes nothing.
 */
import { alpacaAccountId } from './account-view.js';
import { upperAscii } from './ascii-case.js';
import { type FieldError, fieldError } from './field-error.js';
import { PRINTABLE_TEXT } from './order-request.js';
import { TICKER_SYMBOL } from './ticker.js';

export const WATCHLIST_NAME_MAX_LENGTH = 64;
export const SYMBOLS_PER_WATCHLIST = 200;
export const WATCHLISTS_PER_ACCOUNT = 100;

export interface Watchlist {
  readonly id: string;
  readonly name: string;
  /** Upper case, each once, in the order added. */
  readonly symbols: readonly string[];
  /** ISO-8601. */
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** How a route names its watchlist: by id (`/v2/watchlists/{id}`) or by name (`:by_name?name=`). */
export type WatchlistRef = { readonly id: string } | { readonly name: string };

export type WatchlistOutcome =
  /** `watchlists` is the account's list to write; `watchlist` the one changed (null: deleted). */
  | {
      readonly kind: 'changed';
      readonly watchlists: readonly Watchlist[];
      readonly watchlist: Watchlist | null;
    }
  | { readonly kind: 'unchanged'; readonly watchlist: Watchlist }
  /** 404: no such watchlist, or (removing one) a symbol the watchlist does not hold. */
  | { readonly kind: 'not_found'; readonly what: 'watchlist' | 'symbol' }
  /** 422: well-formed, but not possible with what the account holds or the asset master lists. */
  | { readonly kind: 'refused'; readonly errors: readonly FieldError[] };

/** A watchlist name as sent, checked (400 when it is not one). */
export function watchlistNameErrors(value: unknown): FieldError[] {
  const field = 'name';
  if (value === undefined || value === null) return [fieldError('required', field, 'is required')];
  if (typeof value !== 'string') return [fieldError('invalid_type', field, 'must be a string')];
  if (value.trim() === '') return [fieldError('required', field, 'must not be empty or only spaces')];
  if ([...value].length > WATCHLIST_NAME_MAX_LENGTH)
    return [fieldError('too_long', field, `must be at most ${WATCHLIST_NAME_MAX_LENGTH} characters`)];
  if (!PRINTABLE_TEXT.test(value))
    return [fieldError('invalid_value', field, 'must be printable text (no control characters)')];
  return [];
}

/** One symbol as sent (`symbol`, or `symbols[i]`): upper-cased, or the error naming it. */
export function watchlistSymbolOf(
  value: unknown,
  field: string,
): { ok: true; symbol: string } | { ok: false; error: FieldError } {
  if (typeof value !== 'string')
    return { ok: false, error: fieldError('invalid_type', field, 'must be a string') };
  if (!TICKER_SYMBOL.test(value))
    return {
      ok: false,
      error: fieldError('invalid_value', field, `${JSON.stringify(value)} is not a symbol`),
    };
  return { ok: true, symbol: upperAscii(value) };
}

/**
 * A list of symbols as sent (`symbols` of a create or a replace): upper-cased, in order; a symbol
 * given twice (in any case), more than 200, or one that is not a symbol is an error naming it.
 * Null or absent: none given.
 */
export function watchlistSymbolsOf(
  value: unknown,
): { ok: true; symbols: string[] | undefined } | { ok: false; errors: FieldError[] } {
  const field = 'symbols';
  if (value === undefined || value === null) return { ok: true, symbols: undefined };
  if (!Array.isArray(value))
    return { ok: false, errors: [fieldError('invalid_type', field, 'must be an array of symbols')] };
  if (value.length > SYMBOLS_PER_WATCHLIST)
    return {
      ok: false,
      errors: [
        fieldError(
          'out_of_range',
          field,
          `must hold at most ${SYMBOLS_PER_WATCHLIST} symbols (${value.length} given)`,
        ),
      ],
    };
  const errors: FieldError[] = [];
  const symbols: string[] = [];
  value.forEach((v, i) => {
    const one = watchlistSymbolOf(v, `${field}[${i}]`);
    if (!one.ok) errors.push(one.error);
    else if (symbols.includes(one.symbol))
      errors.push(fieldError('conflict', `${field}[${i}]`, `${one.symbol} is given twice`));
    else symbols.push(one.symbol);
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, symbols };
}

function indexOf(watchlists: readonly Watchlist[], ref: WatchlistRef): number {
  return 'id' in ref
    ? watchlists.findIndex((w) => w.id === ref.id.toLowerCase())
    : watchlists.findIndex((w) => w.name === ref.name);
}

export function findWatchlist(watchlists: readonly Watchlist[], ref: WatchlistRef): Watchlist | null {
  return watchlists[indexOf(watchlists, ref)] ?? null;
}

/** `decide` on the watchlist `ref` names (and its place in the list), or not found. */
function onWatchlist(
  watchlists: readonly Watchlist[],
  ref: WatchlistRef,
  decide: (current: Watchlist, at: number) => WatchlistOutcome,
): WatchlistOutcome {
  const at = indexOf(watchlists, ref);
  const current = watchlists[at];
  return current === undefined ? { kind: 'not_found', what: 'watchlist' } : decide(current, at);
}

/** The symbols the asset master does not list, each an error naming its field. */
function unlistedErrors(
  symbols: readonly string[],
  listed: ReadonlySet<string>,
  fieldOf: (i: number) => string,
): FieldError[] {
  return symbols.flatMap((s, i) =>
    listed.has(s) ? [] : [fieldError('invalid_value', fieldOf(i), `asset ${s} not found`)],
  );
}

function nameTakenErrors(
  watchlists: readonly Watchlist[],
  name: string,
  except: string | null,
): FieldError[] {
  return watchlists.some((w) => w.name === name && w.id !== except)
    ? [fieldError('conflict', 'name', `a watchlist named ${JSON.stringify(name)} already exists`)]
    : [];
}

/** POST /v2/watchlists: a new watchlist (`id` the new id, `now` ISO-8601). */
export function createWatchlist(
  watchlists: readonly Watchlist[],
  request: { readonly id: string; readonly name: string; readonly symbols: readonly string[] },
  listed: ReadonlySet<string>,
  now: string,
): WatchlistOutcome {
  const errors = [
    ...nameTakenErrors(watchlists, request.name, null),
    ...unlistedErrors(request.symbols, listed, (i) => `symbols[${i}]`),
  ];
  if (watchlists.length >= WATCHLISTS_PER_ACCOUNT)
    errors.push(
      fieldError(
        'out_of_range',
        'name',
        `an account holds at most ${WATCHLISTS_PER_ACCOUNT} watchlists; delete one first`,
      ),
    );
  if (errors.length > 0) return { kind: 'refused', errors };
  const watchlist: Watchlist = {
    id: request.id,
    name: request.name,
    symbols: [...request.symbols],
    createdAt: now,
    updatedAt: now,
  };
  return { kind: 'changed', watchlists: [...watchlists, watchlist], watchlist };
}

function replaced(watchlists: readonly Watchlist[], at: number, next: Watchlist | null): WatchlistOutcome {
  const list = [...watchlists];
  if (next === null) list.splice(at, 1);
  else list[at] = next;
  return { kind: 'changed', watchlists: list, watchlist: next };
}

/** PUT: a new name, new symbols (replacing them all), or both; what is not sent stays. */
export function updateWatchlist(
  watchlists: readonly Watchlist[],
  ref: WatchlistRef,
  change: { readonly name?: string; readonly symbols?: readonly string[] },
  listed: ReadonlySet<string>,
  now: string,
): WatchlistOutcome {
  return onWatchlist(watchlists, ref, (current, at) => {
    const name = change.name ?? current.name;
    const symbols = change.symbols ?? current.symbols;
    const errors = [
      ...nameTakenErrors(watchlists, name, current.id),
      ...(change.symbols === undefined ? [] : unlistedErrors(change.symbols, listed, (i) => `symbols[${i}]`)),
    ];
    if (errors.length > 0) return { kind: 'refused', errors };
    if (name === current.name && symbols.join(',') === current.symbols.join(','))
      return { kind: 'unchanged', watchlist: current };
    return replaced(watchlists, at, { ...current, name, symbols: [...symbols], updatedAt: now });
  });
}

/** POST /v2/watchlists/{id} `{"symbol"}`: the symbol appended. */
export function addWatchlistSymbol(
  watchlists: readonly Watchlist[],
  ref: WatchlistRef,
  symbol: string,
  listed: ReadonlySet<string>,
  now: string,
): WatchlistOutcome {
  return onWatchlist(watchlists, ref, (current, at) => {
    const errors = unlistedErrors([symbol], listed, () => 'symbol');
    if (current.symbols.includes(symbol))
      errors.push(fieldError('conflict', 'symbol', `${symbol} is already in the watchlist`));
    else if (current.symbols.length >= SYMBOLS_PER_WATCHLIST)
      errors.push(
        fieldError('out_of_range', 'symbol', `a watchlist holds at most ${SYMBOLS_PER_WATCHLIST} symbols`),
      );
    if (errors.length > 0) return { kind: 'refused', errors };
    return replaced(watchlists, at, { ...current, symbols: [...current.symbols, symbol], updatedAt: now });
  });
}

/** DELETE /v2/watchlists/{id}/{symbol}: the symbol taken out (any case); 404 when it is not in. */
export function removeWatchlistSymbol(
  watchlists: readonly Watchlist[],
  ref: WatchlistRef,
  symbol: string,
  now: string,
): WatchlistOutcome {
  return onWatchlist(watchlists, ref, (current, at) => {
    const upper = upperAscii(symbol);
    if (!current.symbols.includes(upper)) return { kind: 'not_found', what: 'symbol' };
    return replaced(watchlists, at, {
      ...current,
      symbols: current.symbols.filter((s) => s !== upper),
      updatedAt: now,
    });
  });
}

/** DELETE /v2/watchlists/{id}: gone. */
export function deleteWatchlist(watchlists: readonly Watchlist[], ref: WatchlistRef): WatchlistOutcome {
  return onWatchlist(watchlists, ref, (_current, at) => replaced(watchlists, at, null));
}

/**
 * Alpaca's Watchlist object: `account_id` the account's Alpaca id (a UUID, as `GET /v2/account`
 * shows it: alpaca-py reads it as one), `assets` (the asset master's Alpaca assets, in the
 * watchlist's order) when given, else without it, as `GET /v2/watchlists` lists them.
 */
export function watchlistJson<A>(
  w: Watchlist,
  accountId: string,
  assets?: readonly A[],
): Record<string, unknown> {
  return {
    id: w.id,
    account_id: alpacaAccountId(accountId),
    created_at: w.createdAt,
    updated_at: w.updatedAt,
    name: w.name,
    ...(assets === undefined ? {} : { assets }),
  };
}
