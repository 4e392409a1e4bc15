/**
 * Locates, Alpaca's `/v1/locates` as the official SDK (4.x `trading.LocatesApi`) calls it (Reg SHO
 * Rule 203(b)(1); core locates.ts and locate-api.ts decide, docs/compliance.md):
 * - `POST /v1/locates` `{"symbol", "qty", "all_or_none"?, "limit_price"?}` (qty in round lots of
 *   100; optional `Idempotency-Key` header: a retry answers the locate it made): asks the borrow desk
 *   (lambdas/orders/borrow-desk.ts) and records the answer, `active` (located_qty > 0, usable by the
 *   account's short sales of the symbol until the end of the New York day) or `rejected`;
 * - `GET /v1/locates?page_token=&limit=&status=&symbol=&start=&end=`: `{locates, next_page_token}`,
 *   the account's locates newest first;
 * - `GET /v1/locates/quotes?symbols=`: `{quotes, errors?}`, what the desk can lend now;
 * - `GET /v1/locates/{locate_id}`.
 * An easy-to-borrow symbol needs no locate, a symbol that is not shortable can have none: 422.
 */
import * as z from 'zod/mini';
import {
  IDEMPOTENCY_KEY_RULE,
  IDEMPOTENCY_KEY_TEXT,
  LOCATE_LIST_PARAMETERS,
  locateJson,
  locateLimitPriceOf,
  locatePage,
  locateQtyErrors,
  locateQuoteOf,
  locateRefusalOf,
  nanos,
  parseLocateListQuery,
  parseLocateQuoteSymbols,
  shapeIssueToFieldErrors,
  TICKER_SYMBOL,
} from '../core/index.js';
import '../core/zod-messages.js';
import { header } from '../orders/accounts.js';
import { deskAvailable } from '../orders/borrow-desk.js';
import { loadLocateBook } from '../orders/locate-book.js';
import { requestLocate } from '../orders/locate-requests.js';
import { ENV, requiredEnv } from '../platform/config.js';
import { dynamo } from '../platform/dynamo.js';
import { marketData } from '../platform/market-data.js';
import { API_ERROR, apiError, fieldErrors, json } from './api-response.js';
import { apiHandler, jsonBody, notFound, scopeRefusal, unknownParameters } from './http.js';

const requestSchema = z.strictObject({
  symbol: z.string().check(z.regex(TICKER_SYMBOL, 'must be a ticker symbol')),
  qty: z.union([z.string(), z.number()]),
  all_or_none: z.optional(z.boolean()),
  // Checked by core locateLimitPriceOf (a decimal string or number, or null).
  limit_price: z.optional(z.unknown()),
});

export const handler = apiHandler('Locates', async (event, principal) => {
  const table = requiredEnv(ENV.accountsTable);
  const now = Date.now();
  const accountId = principal.accountId;
  const query = event.queryStringParameters ?? {};
  if (event.routeKey === 'GET /v1/locates/quotes') {
    const unknown = unknownParameters(query, ['symbols']);
    if (unknown.length > 0) return fieldErrors(unknown, 400);
    const parsed = parseLocateQuoteSymbols(query.symbols);
    if (!parsed.ok) return fieldErrors(parsed.errors, 400);
    const answers = await Promise.all(
      parsed.symbols.map(async (symbol) => {
        const refusal = locateRefusalOf(symbol, await marketData().asset(symbol));
        if (refusal !== null) return { error: { symbol, ...refusal } };
        return { quote: locateQuoteOf(symbol, await deskAvailable(dynamo, table, symbol), Date.now()) };
      }),
    );
    const errors = answers.flatMap((a) => (a.error === undefined ? [] : [a.error]));
    return json(200, {
      quotes: answers.flatMap((a) => (a.quote === undefined ? [] : [a.quote])),
      ...(errors.length > 0 ? { errors } : {}),
    });
  }
  if (event.routeKey === 'GET /v1/locates/{locate_id}') {
    const book = await loadLocateBook(dynamo, table, accountId);
    const found = book.locates.find((l) => l.id === event.pathParameters?.locate_id);
    return found === undefined ? notFound('locate') : json(200, locateJson(book, found, now));
  }
  if (event.routeKey === 'GET /v1/locates') {
    const unknown = unknownParameters(query, LOCATE_LIST_PARAMETERS);
    if (unknown.length > 0) return fieldErrors(unknown, 400);
    const parsed = parseLocateListQuery(query);
    if (!parsed.ok) return fieldErrors(parsed.errors, 400);
    const page = locatePage(await loadLocateBook(dynamo, table, accountId), parsed.query, now);
    return page.ok ? json(200, page.body) : fieldErrors(page.errors, 400);
  }
  // A read-only key and an operator key each told what it is (a probe's operator key read "read-only").
  const notTrading = scopeRefusal(principal, { trades: true });
  if (notTrading !== null) return apiError(403, API_ERROR.riskRefused, notTrading);
  const body = jsonBody(event);
  if (!body.ok) return body.response;
  const parsed = requestSchema.safeParse(body.value, { reportInput: true });
  if (!parsed.success) return fieldErrors(parsed.error.issues.flatMap(shapeIssueToFieldErrors), 400);
  const qtyText = String(parsed.data.qty);
  const qtyErrors = locateQtyErrors(qtyText);
  if (qtyErrors.length > 0) return fieldErrors(qtyErrors, 400);
  const limit = locateLimitPriceOf(parsed.data.limit_price);
  if (!limit.ok) return fieldErrors(limit.errors, 400);
  const symbol = parsed.data.symbol.toUpperCase();
  const request = {
    symbol,
    qty: nanos(qtyText),
    allOrNone: parsed.data.all_or_none ?? false,
    ...(limit.limitPrice === undefined ? {} : { limitPrice: limit.limitPrice }),
  };
  const key = header(event.headers, 'idempotency-key');
  if (key !== undefined && !IDEMPOTENCY_KEY_TEXT.test(key))
    return apiError(400, API_ERROR.badRequest, `Idempotency-Key: ${IDEMPOTENCY_KEY_RULE}`);

  const refused = locateRefusalOf(symbol, await marketData().asset(symbol));
  if (refused !== null) return apiError(422, API_ERROR.unprocessable, `symbol: ${refused.message}`);
  // The desk's fee is LOCATE_FEE_PER_SHARE ("0"): every limit_price is met.

  // Still losing to concurrent requests after every round: apiHandler's 503, nothing recorded.
  const out = await requestLocate(dynamo, table, accountId, request, key, now);
  if (out.kind === 'key_reused')
    return apiError(422, API_ERROR.unprocessable, 'Idempotency-Key: already used for another locate request');
  return json(200, locateJson(out.book, out.locate, now));
});
