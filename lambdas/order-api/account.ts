/**
 * The account, its positions and its activities, Alpaca's (issue 13; numbers from core
 * account-view.ts, docs/domain.md "Positions and the account"):
 * - `GET /v2/account`;
 * - `GET /v2/positions` (by symbol), `GET /v2/positions/{symbol_or_asset_id}` (404 when flat);
 * - `GET /v2/account/activities[/{activity_type}]`: the account's executions as `FILL` activities
 *   (the only activity the OMS records; any other Alpaca type lists nothing), query `activity_types`
 *   (comma-separated), `date` / `after` / `until` (RFC 3339 or YYYY-MM-DD), `direction` (`desc`,
 *   default, or `asc`), `page_size` (1..100, default 100), `page_token` (an activity id of the
 *   account: the page continues after it; an id that is none of its activities is a 400);
 * - `GET`/`PATCH /v2/account/configurations`: the holder's preferences (core account-configurations.ts);
 * - `GET /v2/account/portfolio/history`: the account's equity over time (core portfolio-history.ts),
 *   from its executions and the market's recorded price marks (platform/price-marks.ts).
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  accountJson,
  activityId,
  assetIdOf,
  averageEntryPrice,
  clientOrderFillOf,
  configurationsJson,
  configurationsOf,
  dayTradesInWindow,
  executionsCover,
  fieldError,
  fillActivityJson,
  isAssetId,
  isCalendarDate,
  isPatternDayTrader,
  type LedgerQty,
  markInForce,
  markResolutionOf,
  marksPerSymbol,
  nanos,
  newYorkDate,
  PORTFOLIO_HISTORY_PARAMETERS,
  type PositionAsset,
  type PositionChanged,
  type PositionChanged as PositionEvent,
  type PriceInForce,
  parseConfigurationsPatch,
  parseNanos,
  parsePortfolioHistoryQuery,
  parseSigned9,
  portfolioHistoryJson,
  portfolioValuationStart,
  portfolioWindows,
  positionJson,
  seqOfActivityId,
  upperAscii,
  valueAccount,
} from '../core/index.js';
import { EventStore } from '../event-store/event-store.js';
import { patchAccountConfigurations } from '../orders/account-configurations.js';
import { positionEvents } from '../orders/account-ledger.js';
import { awaitPendingExecutions, pendingExecutionsDeps } from '../orders/pending-executions.js';
import { heldBy, pdtModeFromEnv } from '../orders/risk-context.js';
import { ENV, requiredEnv } from '../platform/config.js';
import { dynamo } from '../platform/dynamo.js';
import { marketData } from '../platform/market-data.js';
import { priceMarks } from '../platform/price-marks.js';
import { sessionCloseFromEnv, sessionOptionsFromEnv } from '../platform/session-settings.js';
import { type AccountBook, loadAccountBook, symbolOf } from './account-book.js';
import { API_ERROR, apiError, fieldErrors, json } from './api-response.js';
import { apiHandler, jsonBody, notFound, scopeRefusal, unknownParameters } from './http.js';

/** Alpaca's activity types (the SDK's `ActivityType`): any of them may be asked for. */
export const ACTIVITY_TYPES = new Set(
  'FILL TRANS MISC ACATC ACATS CFEE CGD CSD CSW DIV DIVCGL DIVCGS DIVFEE DIVFT DIVNRA DIVROC DIVTW DIVTXEX FEE INT INTNRA INTTW JNL JNLC JNLS MA NC OPASN OPCA OPCSH OPEXC OPEXP OPTRD PTC PTR REORG SC SSO SSP CIL SPIN SPLIT'.split(
    ' ',
  ),
);

/** What a position shows of its asset: the asset master's listing (an unlisted symbol: its id only). */
function positionAssetOf(book: AccountBook, symbol: string): PositionAsset {
  const asset = book.assets.get(symbol) ?? null;
  return asset === null
    ? { id: assetIdOf(symbol), exchange: '', marginable: false }
    : { id: asset.id, exchange: asset.exchange, marginable: asset.marginable };
}

function positionsOf(book: AccountBook, only?: string): Record<string, unknown>[] {
  return Object.entries(book.ledger.positions)
    .filter(([symbol]) => only === undefined || symbol === only)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([symbol, p]) => {
      // A long is held by open sells, a short by open buys.
      const side = p.qty.startsWith('-') ? 'buy' : 'sell';
      // A notional order that cannot be sized (no quote) holds the whole position.
      const size = parseNanos(p.qty.replace(/^-/, ''));
      const held = heldBy(
        book.open,
        symbol,
        side,
        book.sharePrices.get(symbol)?.[side] ?? null,
        typeof size === 'bigint' ? size : 0n,
      );
      return positionJson(
        symbol,
        p,
        book.prices.get(symbol) ?? { current: null, previousClose: null },
        book.sessionDate,
        positionAssetOf(book, symbol),
        held,
      );
    });
}

function accountOf(book: AccountBook, now: number): Record<string, unknown> {
  const valuation = valueAccount(
    book.settings,
    book.ledger,
    (s) => book.prices.get(s) ?? { current: null, previousClose: null },
    book.sessionDate,
  );
  const dayTrades = dayTradesInWindow(book.ledger, book.sessionDate);
  // Alpaca's `pattern_day_trader`: flagged, or designated by the legacy rule (issue 16).
  const settings = {
    ...book.settings,
    patternDayTrader: isPatternDayTrader(book.settings.patternDayTrader, pdtModeFromEnv(), dayTrades),
  };
  return accountJson(settings, book.ledger, valuation, nanos(book.reserved), dayTrades, newYorkDate(now));
}

const TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

type Query = Record<string, string | undefined>;

interface ActivityQuery {
  readonly types: ReadonlySet<string>;
  readonly descending: boolean;
  readonly pageSize: number;
  readonly afterSeq?: number;
  readonly beforeSeq?: number;
  /** The activity the page continues after (its seq is `afterSeq` or `beforeSeq`). */
  readonly pageToken?: string;
  readonly fromMs: number;
  readonly untilMs: number;
  /** `YYYY-MM-DD`: only executions of that New York date. */
  readonly onDate?: string;
}

/** What both activities routes take (the list route also `activity_types` and `category`). */
const ACTIVITY_PARAMETERS = ['direction', 'page_size', 'after', 'until', 'date', 'page_token'];
const ACTIVITY_CATEGORIES = ['trade_activity', 'non_trade_activity'];

/** The activities query, checked: every problem named by its parameter (400). */
export function parseActivityQuery(
  query: Query,
  pathType: string | undefined,
): { ok: true; q: ActivityQuery } | { ok: false; response: APIGatewayProxyStructuredResultV2 } {
  // Alpaca's parameters, and no other: an unknown one is refused, not ignored (a probe's
  // `activity_type=DIV`, a typo, listed fills).
  const errors = unknownParameters(query, [
    ...(pathType === undefined ? ['activity_types', 'category'] : []),
    ...ACTIVITY_PARAMETERS,
  ]);
  let types: Set<string>;
  if (pathType !== undefined) {
    types = new Set([upperAscii(pathType)]);
    if (!ACTIVITY_TYPES.has(upperAscii(pathType)))
      errors.push(fieldError('invalid_value', 'activity_type', `is not an activity type: ${pathType}`));
  } else {
    const listed = (query.activity_types ?? '')
      .split(',')
      .map((t) => upperAscii(t.trim()))
      .filter((t) => t !== '');
    const unknown = listed.filter((t) => !ACTIVITY_TYPES.has(t));
    if (unknown.length > 0)
      errors.push(
        fieldError('invalid_value', 'activity_types', `has unknown activity types: ${unknown.join(', ')}`),
      );
    // Alpaca's `category` (SDK 4's getAccountActivities sends it): `trade_activity` is the fills,
    // `non_trade_activity` every other type; not with `activity_types`. It listed fills whatever
    // it said (a probe).
    const category = query.category;
    if (category !== undefined && listed.length > 0)
      errors.push(fieldError('not_allowed', 'category', 'is not taken with activity_types'));
    else if (category !== undefined && !ACTIVITY_CATEGORIES.includes(category))
      errors.push(
        fieldError('invalid_value', 'category', `must be one of ${ACTIVITY_CATEGORIES.join(', ')}`),
      );
    types =
      category === 'non_trade_activity'
        ? new Set([...ACTIVITY_TYPES].filter((t) => t !== 'FILL'))
        : new Set(listed.length === 0 ? ['FILL'] : listed);
  }
  const direction = query.direction ?? 'desc';
  if (direction !== 'asc' && direction !== 'desc')
    errors.push(fieldError('invalid_value', 'direction', 'must be asc or desc'));
  const sizeText = query.page_size ?? '100';
  const pageSize = /^\d{1,3}$/.test(sizeText) ? Number(sizeText) : Number.NaN;
  if (!(pageSize >= 1 && pageSize <= 100))
    errors.push(fieldError('invalid_value', 'page_size', 'must be an integer from 1 to 100'));
  const time = (name: 'after' | 'until' | 'date'): number | undefined => {
    const text = query[name];
    if (text === undefined || text === '') return undefined;
    const ms = Date.parse(text.length === 10 ? `${text}T00:00:00Z` : text);
    // A day that does not exist (2026-02-30) is refused, not rolled over into the next month.
    if (!TIME.test(text) || Number.isNaN(ms) || !isCalendarDate(text.slice(0, 10))) {
      errors.push(fieldError('invalid_value', name, 'must be an RFC 3339 timestamp or a date (YYYY-MM-DD)'));
      return undefined;
    }
    return ms;
  };
  const after = time('after');
  // Date.parse drops the digits below the ms; activities are timed in whole ms. Both bounds are
  // exclusive: an `until` of .6900001 takes the activity at .690 in (a probe: it was left out), so
  // it rounds up to .691, as GET /v2/orders' does; dropping is right for `after`.
  const untilBelowMs = /[1-9]/.test(/\.\d{3}(\d+)/.exec(query.until ?? '')?.[1] ?? '');
  const untilToMs = time('until');
  const until = untilToMs !== undefined && untilBelowMs ? untilToMs + 1 : untilToMs;
  const date = time('date');
  if (after !== undefined && until !== undefined && after > until)
    errors.push(fieldError('out_of_range', 'until', 'must not be earlier than after'));
  const fromMs = after ?? Number.NEGATIVE_INFINITY;
  const untilMs = until ?? Number.POSITIVE_INFINITY;
  // `date`: the executions of that New York date (Alpaca's), within after/until when given too.
  const onDate = date === undefined ? undefined : (query.date as string).slice(0, 10);
  let afterSeq: number | undefined;
  let beforeSeq: number | undefined;
  const token = query.page_token;
  if (token !== undefined && token !== '') {
    const seq = seqOfActivityId(token);
    if (seq === null)
      errors.push(fieldError('invalid_value', 'page_token', 'is not an activity id of this account'));
    else if (direction === 'asc') afterSeq = seq;
    else beforeSeq = seq;
  }
  if (errors.length > 0) return { ok: false, response: fieldErrors(errors, 400) };
  return {
    ok: true,
    q: {
      types,
      descending: direction !== 'asc',
      pageSize,
      ...(afterSeq === undefined ? {} : { afterSeq }),
      ...(beforeSeq === undefined ? {} : { beforeSeq }),
      ...(afterSeq === undefined && beforeSeq === undefined ? {} : { pageToken: token }),
      fromMs,
      untilMs,
      ...(onDate === undefined ? {} : { onDate }),
    },
  };
}

/**
 * The FILL activities of `selected`: an execution of a child order the OMS placed names the client's
 * order with its numbers after it (core `clientOrderFillOf`; each parent's events read once).
 */
async function fillActivities(store: EventStore, selected: readonly PositionChanged[]): Promise<unknown[]> {
  const parents = new Map<string, Promise<Parameters<typeof clientOrderFillOf>[0]>>();
  const parentOf = (parentOrderId: string) => {
    let loading = parents.get(parentOrderId);
    if (loading === undefined) {
      loading = store
        .loadState(parentOrderId)
        .then(({ state, events }) =>
          state === undefined ? null : { events, qty: state.qty, filledQty: state.filledQty },
        );
      parents.set(parentOrderId, loading);
    }
    return loading;
  };
  return Promise.all(
    selected.map(async (e) =>
      e.data.parentOrderId === undefined
        ? fillActivityJson(e)
        : fillActivityJson(e, clientOrderFillOf(await parentOf(e.data.parentOrderId), e.data)),
    ),
  );
}

/**
 * Whether `token` is the id of one of the account's activities: the event at its seq, with its time.
 * A well-formed id that is not (past the last activity, another account's) names no position in the
 * account's list: a 400, not a page from wherever its number falls (a probe's far-future id listed
 * everything).
 */
async function isActivityOf(accountId: string, token: string): Promise<boolean> {
  const seq = seqOfActivityId(token);
  if (seq === null) return false;
  const [found] = await positionEvents(dynamo, requiredEnv(ENV.eventStoreTable), accountId, {
    afterSeq: seq - 1,
    beforeSeq: seq + 1,
    limit: 1,
  });
  return found !== undefined && activityId(found) === token;
}

async function activities(accountId: string, q: ActivityQuery): Promise<unknown[]> {
  if (!q.types.has('FILL')) return [];
  const eventsTable = requiredEnv(ENV.eventStoreTable);
  const out: PositionChanged[] = [];
  const store = new EventStore(dynamo, eventsTable);
  let afterSeq = q.afterSeq;
  let beforeSeq = q.beforeSeq;
  // Pages of the position stream in the asked direction, filtered by time, until the page is full.
  for (;;) {
    const events = await positionEvents(dynamo, eventsTable, accountId, {
      ...(afterSeq === undefined ? {} : { afterSeq }),
      ...(beforeSeq === undefined ? {} : { beforeSeq }),
      descending: q.descending,
      limit: 100,
    });
    for (const e of events) {
      const t = Date.parse(e.data.transactionTime);
      const inDay = q.onDate === undefined || newYorkDate(t) === q.onDate;
      if (t > q.fromMs && t < q.untilMs && inDay) out.push(e);
      if (out.length === q.pageSize) return fillActivities(store, out);
    }
    const last = events.at(-1);
    if (events.length < 100 || last === undefined) return fillActivities(store, out);
    if (q.descending) beforeSeq = last.seq;
    else afterSeq = last.seq;
  }
}

/** The account record's key. */
const accountKey = (accountId: string) => ({ pk: `account#${accountId}` });

/**
 * `GET /v2/account/configurations`: the holder's preferences over the defaults (core
 * account-configurations.ts); 403 `account_not_configured` for an account without a record, as
 * `GET /v2/account`.
 */
async function getConfigurations(accountId: string): Promise<APIGatewayProxyStructuredResultV2> {
  const got = await dynamo.send(
    new GetCommand({
      TableName: requiredEnv(ENV.accountsTable),
      Key: accountKey(accountId),
      ProjectionExpression: 'pk, configurations',
      ConsistentRead: true,
    }),
  );
  if (got.Item === undefined)
    return apiError(403, API_ERROR.riskRefused, `account_not_configured: account ${accountId} has no record`);
  return json(200, configurationsJson(configurationsOf(got.Item.configurations)));
}

/**
 * `PATCH /v2/account/configurations`: the fields sent change, the others stay; answered with all of
 * them. A trading key's (a read-only key gets 403). Concurrent PATCHes all land, field by field,
 * neither undoing the other's; one that changes nothing writes nothing (orders/account-configurations.ts).
 * In force on the next order (pre-trade risk reads the record it already reads).
 */
async function patchConfigurations(
  accountId: string,
  body: unknown,
): Promise<APIGatewayProxyStructuredResultV2> {
  const parsed = parseConfigurationsPatch(body);
  if (!parsed.ok) return fieldErrors(parsed.errors);
  // Still losing to concurrent PATCHes after every round: apiHandler's 503, nothing changed.
  const out = await patchAccountConfigurations(
    dynamo,
    requiredEnv(ENV.accountsTable),
    accountId,
    parsed.patch,
  );
  if (out.kind === 'not_found')
    return apiError(403, API_ERROR.riskRefused, `account_not_configured: account ${accountId} has no record`);
  return json(200, configurationsJson(out.configurations));
}

/**
 * `GET /v2/account/portfolio/history` (core portfolio-history.ts): the account's PositionChanged
 * events back from the ledger as far as the series values (`executionsBackTo`), the price marks of
 * the symbols held then at the timeframe's resolution, and, for a window ending now, the current
 * quotes (the last point is `GET /v2/account`'s equity). Reads: the account book, a Query per 200
 * executions read back, one or two Queries per symbol held.
 */
async function portfolioHistory(
  accountId: string,
  query: Readonly<Record<string, string | undefined>>,
  now: number,
): Promise<APIGatewayProxyStructuredResultV2> {
  const unknown = unknownParameters(query, [...PORTFOLIO_HISTORY_PARAMETERS]);
  if (unknown.length > 0) return fieldErrors(unknown, 400);
  const parsed = parsePortfolioHistoryQuery(query, now);
  if (!parsed.ok) return fieldErrors([parsed.error], 400);
  const q = parsed.query;
  const unlisted = q.cashflowTypes.filter((t) => !ACTIVITY_TYPES.has(t));
  if (unlisted.length > 0)
    return fieldErrors(
      [fieldError('invalid_value', 'cashflow_types', `has unknown activity types: ${unlisted.join(', ')}`)],
      400,
    );
  // The windows and the response's size are the query's: refused before any read.
  const sessions = { sessionClose: sessionCloseFromEnv(), options: sessionOptionsFromEnv() };
  const windows = portfolioWindows(q, sessions);
  const tooMany = responseLimitProblem(windows.length, q.cashflowTypes.length);
  if (tooMany !== null) return fieldErrors([tooMany], 400);
  await awaitPendingExecutions(pendingExecutionsDepsOf(), accountId, now, {});
  const loaded = await loadAccountBook(dynamo, marketData(), accountId, now);
  if (!loaded.ok) return apiError(403, API_ERROR.riskRefused, `account_not_configured: ${loaded.problem}`);
  const book = loaded.book;
  const resolution = markResolutionOf(q);
  // The earliest instant valued: the window's start, or a day's P&L base (the previous close).
  const from = portfolioValuationStart(q, windows, sessions);
  const ledger: LedgerQty = {
    seq: book.ledger.seq,
    qty: new Map(Object.entries(book.ledger.positions).map(([symbol, p]) => [symbol, p.qty])),
  };
  const executions = await executionsBackTo(accountId, ledger, from);
  // The symbols held at some instant valued: held at `from` (the ledger's positions, rolled back
  // over what was traded after it), or traded after it.
  const heldAtStart = new Map<string, bigint>();
  const traded = new Set<string>();
  for (const [symbol, qty] of ledger.qty) heldAtStart.set(symbol, parseSigned9(qty));
  for (const e of executions) {
    if (e.seq > ledger.seq || Date.parse(e.data.transactionTime) <= from) continue;
    traded.add(e.data.symbol);
    const change = parseSigned9(e.data.qtyAfter) - parseSigned9(e.data.qtyBefore);
    heldAtStart.set(e.data.symbol, (heldAtStart.get(e.data.symbol) ?? 0n) - change);
  }
  const symbols = [
    ...new Set([...[...heldAtStart].filter(([, qty]) => qty !== 0n).map(([s]) => s), ...traded]),
  ].sort();
  // A daily mark's `at` is its New York date at 00:00 UTC: from the start's date.
  const marksFrom = resolution === '1D' ? Math.min(from, Date.parse(newYorkDate(from))) : from;
  // The marks read: one a slot of the timeframe's own resolution a symbol held, at most.
  const perSymbol = marksPerSymbol(q, marksFrom);
  if (perSymbol * symbols.length > MAX_MARKS_READ)
    return fieldErrors(
      [
        fieldError(
          'out_of_range',
          'timeframe',
          `is too fine for this window with the account's ${symbols.length} positions (${perSymbol} price marks each; at most ${MAX_MARKS_READ} in all): ask a coarser timeframe or a shorter period`,
        ),
      ],
      400,
    );
  const recorded =
    symbols.length === 0 ? new Map() : await priceMarks(symbols, marksFrom, q.endMs, resolution);
  const marks = new Map<string, PriceInForce[]>();
  for (const symbol of symbols) {
    const list: PriceInForce[] = (recorded.get(symbol) ?? []).map((m: { at: number; price: string }) =>
      markInForce(resolution, m.at, m.price),
    );
    // A window ending now ends at today's price, as GET /v2/account values the position: the quote,
    // else (no quote) the position's average entry price.
    if (q.endMs === now) {
      const position = book.ledger.positions[symbol];
      const current =
        book.prices.get(symbol)?.current ?? (position === undefined ? null : averageEntryPrice(position));
      if (current !== null) list.push({ fromMs: now, price: current });
    }
    marks.set(symbol, list);
  }
  return json(
    200,
    portfolioHistoryJson(
      q,
      windows,
      { openingCash: book.settings.openingCash, executions, ledger, marks },
      sessions,
    ),
  );
}

/** Price marks a request may read (about 15 MB of Query pages, 8 symbols at a time). */
const MAX_MARKS_READ = 250_000;
/** Numbers a response may carry in its cashflow arrays (about 2 bytes each: under 1 MB). */
const MAX_CASHFLOW_NUMBERS = 400_000;

/** A 400 for a response that would carry too much: the windows times the cashflow types asked. */
function responseLimitProblem(windows: number, cashflowTypes: number) {
  return windows * cashflowTypes > MAX_CASHFLOW_NUMBERS
    ? fieldError(
        'out_of_range',
        'cashflow_types',
        `asks ${cashflowTypes} types of ${windows} windows each: at most ${MAX_CASHFLOW_NUMBERS} numbers (the OMS records no cash flow: each is 0)`,
      )
    : null;
}

/**
 * The account's PositionChanged events back from the ledger's (newest first, pages of 200) until
 * they cover `fromMs` (core `executionsCover`: the oldest read at or before it, and a trade of each
 * position open then): a request reads what its window needs, not the account's whole history.
 */
async function executionsBackTo(
  accountId: string,
  ledger: LedgerQty,
  fromMs: number,
): Promise<PositionEvent[]> {
  const eventsTable = requiredEnv(ENV.eventStoreTable);
  const out: PositionEvent[] = [];
  let beforeSeq = ledger.seq + 1;
  while (!executionsCover(out, ledger, fromMs)) {
    const page = await positionEvents(dynamo, eventsTable, accountId, {
      beforeSeq,
      descending: true,
      limit: 200,
      // Every event up to the ledger just read: the ledger is rolled back over them.
      consistent: true,
    });
    out.push(...page);
    const last = page.at(-1);
    if (last === undefined || page.length < 200) return out;
    beforeSeq = last.seq;
  }
  return out;
}

const pendingExecutionsDepsOf = () =>
  pendingExecutionsDeps(dynamo, new EventStore(dynamo, requiredEnv(ENV.eventStoreTable)));

export const handler = apiHandler('Account', async (event, principal) => {
  const now = Date.now();
  const route = event.routeKey;
  if (route === 'GET /v2/account/configurations') return getConfigurations(principal.accountId);
  if (route === 'PATCH /v2/account/configurations') {
    const refused = scopeRefusal(principal, { trades: true });
    if (refused !== null) return apiError(403, API_ERROR.riskRefused, refused);
    const body = jsonBody(event);
    if (!body.ok) return body.response;
    return patchConfigurations(principal.accountId, body.value);
  }
  if (route === 'GET /v2/account/activities' || route === 'GET /v2/account/activities/{activity_type}') {
    const parsed = parseActivityQuery(event.queryStringParameters ?? {}, event.pathParameters?.activity_type);
    if (!parsed.ok) return parsed.response;
    // A fill the client has seen is a FILL activity once the keeper has applied it.
    await awaitPendingExecutions(pendingExecutionsDepsOf(), principal.accountId, now, {});
    if (parsed.q.pageToken !== undefined && !(await isActivityOf(principal.accountId, parsed.q.pageToken)))
      return fieldErrors(
        [fieldError('invalid_value', 'page_token', 'is not an activity id of this account')],
        400,
      );
    return json(200, await activities(principal.accountId, parsed.q));
  }
  if (route === 'GET /v2/account/portfolio/history')
    return portfolioHistory(principal.accountId, event.queryStringParameters ?? {}, now);
  if (
    route !== 'GET /v2/account' &&
    route !== 'GET /v2/positions' &&
    route !== 'GET /v2/positions/{symbol_or_asset_id}'
  )
    return notFound('route');
  // They take no parameter: one sent is refused, not ignored (a probe's `GET /v2/positions?symbol=MSFT`
  // listed every position: a bot closing what it lists would have closed them all).
  const unknown = unknownParameters(event.queryStringParameters ?? {}, []);
  if (unknown.length > 0) return fieldErrors(unknown, 400);
  // The fills the client may have seen on its orders (GET /v2/orders reads the event store) and the
  // ledger may not have yet: waited for, then read (orders/pending-executions.ts). A position asked
  // by symbol waits for that symbol's only (by asset id, for all: the id is resolved on the ledger).
  const asked =
    route === 'GET /v2/positions/{symbol_or_asset_id}'
      ? (event.pathParameters?.symbol_or_asset_id ?? '')
      : null;
  await awaitPendingExecutions(
    pendingExecutionsDepsOf(),
    principal.accountId,
    now,
    asked === null || isAssetId(asked) ? {} : { symbol: asked },
  );
  const loaded = await loadAccountBook(dynamo, marketData(), principal.accountId, now);
  if (!loaded.ok) return apiError(403, API_ERROR.riskRefused, `account_not_configured: ${loaded.problem}`);
  const book = loaded.book;
  const symbol = asked === null ? undefined : symbolOf(book, asked);
  if (route === 'GET /v2/account') return json(200, accountOf(book, now));
  if (symbol === undefined) return json(200, positionsOf(book));
  const [position] = symbol === null ? [] : positionsOf(book, symbol);
  return position === undefined ? notFound('position') : json(200, position);
});
