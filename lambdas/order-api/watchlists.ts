/**
 * Watchlists, Alpaca's `/v2/watchlists` as its SDKs call it (4.x `trading.WatchlistsApi`; core
 * watchlists.ts decides, lambdas/orders/watchlists.ts stores):
 * - `GET /v2/watchlists`: the account's watchlists, oldest first, without their assets;
 * - `POST /v2/watchlists` `{"name", "symbols"?}`: a new one;
 * - `GET`, `PUT` `{"name"?, "symbols"?}`, `POST` `{"symbol"}` (add one), `DELETE` of
 *   `/v2/watchlists/{watchlist_id}`, and the same four of `/v2/watchlists:by_name?name=`;
 * - `DELETE /v2/watchlists/{watchlist_id}/{symbol}`: one symbol out.
 * A watchlist is answered with its `assets`, the asset master's Alpaca assets in its order. A bad
 * body or query is a 400 naming the field; a name taken, a symbol the asset master does not list,
 * given twice or already in: 422 naming it; an unknown watchlist: 404. Writes need a key with scope
 * trade.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod/mini';
import {
  addWatchlistSymbol,
  createWatchlist,
  deleteWatchlist,
  type FieldError,
  fieldError,
  findWatchlist,
  removeWatchlistSymbol,
  shapeIssueToFieldErrors,
  toAlpacaAsset,
  updateWatchlist,
  type Watchlist,
  type WatchlistOutcome,
  type WatchlistRef,
  watchlistJson,
  watchlistNameErrors,
  watchlistSymbolOf,
  watchlistSymbolsOf,
} from '../core/index.js';
import '../core/zod-messages.js';
import { changeWatchlists, readWatchlists } from '../orders/watchlists.js';
import { ENV, requiredEnv } from '../platform/config.js';
import { dynamo } from '../platform/dynamo.js';
import { marketData } from '../platform/market-data.js';
import { API_ERROR, apiError, fieldErrors, json, noContent } from './api-response.js';
import { apiHandler, jsonBody, notFound, repeatedParameter, unknownParameters } from './http.js';
import type { ApiEvent, Principal } from './principal.js';

// The shapes; the values are checked by core (watchlistNameErrors, watchlistSymbolsOf), which name
// each bad one.
const createSchema = z.strictObject({ name: z.unknown(), symbols: z.optional(z.unknown()) });
const updateSchema = z.strictObject({ name: z.optional(z.unknown()), symbols: z.optional(z.unknown()) });
const addSchema = z.strictObject({ symbol: z.unknown() });

const WRITES_NEED_TRADE = 'changing watchlists needs a key with scope trade';

type Response = APIGatewayProxyStructuredResultV2;

/** A watchlist with its assets (the symbols the asset master no longer lists are left out). */
async function withAssets(w: Watchlist, accountId: string): Promise<Response> {
  const assets = await marketData().assetsOf(w.symbols);
  return json(
    200,
    watchlistJson(
      w,
      accountId,
      w.symbols.flatMap((s) => {
        const a = assets.get(s);
        return a === undefined ? [] : [toAlpacaAsset(a)];
      }),
    ),
  );
}

/** The symbols of `symbols` the asset master lists (one read, none when there are none). */
async function listedOf(symbols: readonly string[]): Promise<ReadonlySet<string>> {
  return symbols.length === 0 ? new Set() : new Set((await marketData().assetsOf(symbols)).keys());
}

/** The body's fields, the shape checked (400 naming a field it does not take). */
function bodyOf<T>(
  event: ApiEvent,
  schema: z.ZodMiniType<T>,
): { ok: true; value: T } | { ok: false; response: Response } {
  const body = jsonBody(event);
  if (!body.ok) return body;
  const parsed = schema.safeParse(body.value ?? {}, { reportInput: true });
  if (!parsed.success)
    return { ok: false, response: fieldErrors(parsed.error.issues.flatMap(shapeIssueToFieldErrors), 400) };
  return { ok: true, value: parsed.data };
}

/** A deleted watchlist is 204; a changed or unchanged one is answered whole. */
async function answer(out: WatchlistOutcome, accountId: string): Promise<Response> {
  switch (out.kind) {
    case 'not_found':
      return notFound(out.what === 'symbol' ? 'symbol in watchlist' : 'watchlist');
    case 'refused':
      return fieldErrors(out.errors, 422);
    case 'unchanged':
      return withAssets(out.watchlist, accountId);
    case 'changed':
      return out.watchlist === null ? noContent() : withAssets(out.watchlist, accountId);
  }
}

async function create(event: ApiEvent, principal: Principal, now: string): Promise<Response> {
  const body = bodyOf(event, createSchema);
  if (!body.ok) return body.response;
  const errors: FieldError[] = watchlistNameErrors(body.value.name);
  const symbols = watchlistSymbolsOf(body.value.symbols);
  if (!symbols.ok) errors.push(...symbols.errors);
  if (errors.length > 0 || !symbols.ok) return fieldErrors(errors, 400);
  const request = { id: randomUUID(), name: body.value.name as string, symbols: symbols.symbols ?? [] };
  const listed = await listedOf(request.symbols);
  const table = requiredEnv(ENV.accountsTable);
  return answer(
    await changeWatchlists(dynamo, table, principal.accountId, (all) =>
      createWatchlist(all, request, listed, now),
    ),
    principal.accountId,
  );
}

async function change(
  event: ApiEvent,
  principal: Principal,
  ref: WatchlistRef,
  now: string,
): Promise<Response> {
  const table = requiredEnv(ENV.accountsTable);
  const accountId = principal.accountId;
  const method = event.routeKey.split(' ')[0];
  if (method === 'DELETE') {
    const symbol = event.pathParameters?.symbol;
    const out = await changeWatchlists(dynamo, table, accountId, (all) =>
      symbol === undefined ? deleteWatchlist(all, ref) : removeWatchlistSymbol(all, ref, symbol, now),
    );
    return answer(out, accountId);
  }
  if (method === 'POST') {
    const body = bodyOf(event, addSchema);
    if (!body.ok) return body.response;
    const one = watchlistSymbolOf(body.value.symbol, 'symbol');
    if (!one.ok) return fieldErrors([one.error], 400);
    const listed = await listedOf([one.symbol]);
    return answer(
      await changeWatchlists(dynamo, table, accountId, (all) =>
        addWatchlistSymbol(all, ref, one.symbol, listed, now),
      ),
      accountId,
    );
  }
  // PUT
  const body = bodyOf(event, updateSchema);
  if (!body.ok) return body.response;
  const name = body.value.name;
  const errors: FieldError[] = name === undefined || name === null ? [] : watchlistNameErrors(name);
  const symbols = watchlistSymbolsOf(body.value.symbols);
  if (!symbols.ok) errors.push(...symbols.errors);
  if (errors.length > 0 || !symbols.ok) return fieldErrors(errors, 400);
  const update = {
    ...(typeof name === 'string' ? { name } : {}),
    ...(symbols.symbols === undefined ? {} : { symbols: symbols.symbols }),
  };
  const listed = await listedOf(symbols.symbols ?? []);
  return answer(
    await changeWatchlists(dynamo, table, accountId, (all) => updateWatchlist(all, ref, update, listed, now)),
    accountId,
  );
}

/** The watchlist a route names: its path's id, or `:by_name`'s `name` (400 when missing or bad). */
function refOf(event: ApiEvent): { ok: true; ref: WatchlistRef } | { ok: false; errors: FieldError[] } {
  if (!event.routeKey.includes(':by_name'))
    return { ok: true, ref: { id: event.pathParameters?.watchlist_id ?? '' } };
  const query = event.queryStringParameters ?? {};
  const unknown = unknownParameters(query, ['name']);
  if (unknown.length > 0) return { ok: false, errors: unknown };
  // One name: a repeated one, joined by a comma, could be another watchlist's, which a DELETE would delete.
  const repeated = repeatedParameter(event, 'name', 'one watchlist at a time');
  if (repeated.length > 0) return { ok: false, errors: repeated };
  const name = query.name;
  if (name === undefined)
    return { ok: false, errors: [fieldError('required', 'name', 'is required (the watchlist name)')] };
  const errors = watchlistNameErrors(name);
  return errors.length > 0 ? { ok: false, errors } : { ok: true, ref: { name } };
}

/** The routes this function answers (as `routed` names them); any other method or path is a 404. */
const ROUTES = new Set([
  'GET /v2/watchlists',
  'POST /v2/watchlists',
  ...['GET', 'PUT', 'POST', 'DELETE'].flatMap((m) => [
    `${m} /v2/watchlists/{watchlist_id}`,
    `${m} /v2/watchlists:by_name`,
  ]),
  'DELETE /v2/watchlists/{watchlist_id}/{symbol}',
]);

const answerRoute = apiHandler(
  'Watchlists',
  async (event, principal) => {
    const route = event.routeKey;
    if (!ROUTES.has(route)) return notFound('endpoint');
    const now = new Date().toISOString();
    const accountId = principal.accountId;
    const reads = route.startsWith('GET ');
    if (!route.includes(':by_name')) {
      const unknown = unknownParameters(event.queryStringParameters ?? {}, []);
      if (unknown.length > 0) return fieldErrors(unknown, 400);
    }
    if (!reads && principal.scope !== 'trade')
      return apiError(
        403,
        API_ERROR.riskRefused,
        `forbidden: this API key has scope ${principal.scope}; ${WRITES_NEED_TRADE}`,
      );
    if (route === 'GET /v2/watchlists') {
      const { watchlists } = await readWatchlists(dynamo, requiredEnv(ENV.accountsTable), accountId);
      return json(
        200,
        watchlists.map((w) => watchlistJson(w, accountId)),
      );
    }
    if (route === 'POST /v2/watchlists') return create(event, principal, now);
    const ref = refOf(event);
    if (!ref.ok) return fieldErrors(ref.errors, 400);
    if (reads) {
      const { watchlists } = await readWatchlists(dynamo, requiredEnv(ENV.accountsTable), accountId);
      const found = findWatchlist(watchlists, ref.ref);
      return found === null ? notFound('watchlist') : withAssets(found, accountId);
    }
    return change(event, principal, ref.ref, now);
  },
  { writeQuery: ['name'] },
);

/**
 * The route as the handler reads it. The stack routes `ANY /v2/watchlists`, `ANY
 * /v2/watchlists/{proxy+}` and `ANY /v2/watchlists:by_name` here (three routes, not eleven: the
 * stack is near CloudFormation's 500 resources); the method and the path's parts are named as
 * Alpaca's routes name them, and everything else (`apiHandler`'s checks of a DELETE's body and a
 * write's query included) reads them so.
 */
export function routed(event: ApiEvent): ApiEvent {
  const method = (event.requestContext?.http?.method ?? event.routeKey.split(' ')[0] ?? '').toUpperCase();
  if (event.routeKey.endsWith(':by_name')) return { ...event, routeKey: `${method} /v2/watchlists:by_name` };
  const proxy = event.pathParameters?.proxy;
  if (proxy === undefined) return { ...event, routeKey: `${method} /v2/watchlists` };
  const [id = '', ...rest] = proxy.split('/');
  if (id === '') return { ...event, routeKey: `${method} /v2/watchlists/{proxy+}` };
  if (rest.length === 0)
    return {
      ...event,
      routeKey: `${method} /v2/watchlists/{watchlist_id}`,
      pathParameters: { watchlist_id: id },
    };
  return {
    ...event,
    routeKey: `${method} /v2/watchlists/{watchlist_id}/{symbol}`,
    pathParameters: { watchlist_id: id, symbol: rest.join('/') },
  };
}

export const handler = (event: ApiEvent, context?: Parameters<typeof answerRoute>[1]) =>
  answerRoute(routed(event), context);
