/**
 * Locates, Alpaca's `/v1/locates` (Reg SHO Rule 203(b)(1); core locates.ts, docs/compliance.md):
 * - `POST /v1/locates` `{"symbol", "qty", "all_or_none"?}` (qty in round lots of 100; optional
 *   `Idempotency-Key` header: a retry answers the locate it made): asks the borrow desk
 *   (lambdas/orders/borrow-desk.ts) and records the answer, `active` (located_qty > 0, usable by the
 *   account's short sales of the symbol until the end of the New York day) or `rejected`;
 * - `GET /v1/locates[?symbol=]`: the account's locates, newest first;
 * - `GET /v1/locates/{locate_id}`.
 * An easy-to-borrow symbol needs no locate, a symbol that is not shortable can have none: 422.
 */
import * as z from 'zod/mini';
import {
  fieldError,
  IDEMPOTENCY_KEY_RULE,
  IDEMPOTENCY_KEY_TEXT,
  locateJson,
  locateQtyErrors,
  nanos,
  shapeIssueToFieldErrors,
} from '../core/index.js';
import '../core/zod-messages.js';
import { header } from '../orders/accounts.js';
import { loadLocateBook } from '../orders/locate-book.js';
import { requestLocate } from '../orders/locate-requests.js';
import { ENV, requiredEnv } from '../platform/config.js';
import { dynamo } from '../platform/dynamo.js';
import { marketData } from '../platform/market-data.js';
import { API_ERROR, apiError, fieldErrors, json } from './api-response.js';
import { apiHandler, jsonBody, notFound, READ_ONLY_MESSAGE } from './http.js';

const TICKER = /^[A-Za-z][A-Za-z0-9.\-/]{0,20}$/;

const requestSchema = z.strictObject({
  symbol: z.string().check(z.regex(TICKER, 'must be a ticker symbol')),
  qty: z.union([z.string(), z.number()]),
  all_or_none: z.optional(z.boolean()),
});

export const handler = apiHandler('Locates', async (event, principal) => {
  const table = requiredEnv(ENV.accountsTable);
  const now = Date.now();
  const accountId = principal.accountId;
  if (event.routeKey === 'GET /v1/locates' || event.routeKey === 'GET /v1/locates/{locate_id}') {
    const book = await loadLocateBook(dynamo, table, accountId);
    const id = event.pathParameters?.locate_id;
    if (id !== undefined) {
      const found = book.locates.find((l) => l.id === id);
      return found === undefined ? notFound('locate') : json(200, locateJson(book, found, now));
    }
    const symbol = event.queryStringParameters?.symbol?.toUpperCase();
    // `?symbol=` (empty) or not a ticker: a filter that matches nothing by mistake is a 400.
    if (symbol !== undefined && !TICKER.test(symbol))
      return fieldErrors([fieldError('invalid_value', 'symbol', 'must be a ticker symbol')], 400);
    return json(
      200,
      [...book.locates]
        .reverse()
        .filter((l) => symbol === undefined || l.symbol === symbol)
        .map((l) => locateJson(book, l, now)),
    );
  }
  if (principal.scope !== 'trade') return apiError(403, API_ERROR.riskRefused, READ_ONLY_MESSAGE);
  const body = jsonBody(event);
  if (!body.ok) return body.response;
  const parsed = requestSchema.safeParse(body.value, { reportInput: true });
  if (!parsed.success) return fieldErrors(parsed.error.issues.flatMap(shapeIssueToFieldErrors), 400);
  const qtyText = String(parsed.data.qty);
  const qtyErrors = locateQtyErrors(qtyText);
  if (qtyErrors.length > 0) return fieldErrors(qtyErrors, 400);
  const symbol = parsed.data.symbol.toUpperCase();
  const request = { symbol, qty: nanos(qtyText), allOrNone: parsed.data.all_or_none ?? false };
  const key = header(event.headers, 'idempotency-key');
  if (key !== undefined && !IDEMPOTENCY_KEY_TEXT.test(key))
    return apiError(400, API_ERROR.badRequest, `Idempotency-Key: ${IDEMPOTENCY_KEY_RULE}`);

  const asset = await marketData().asset(symbol);
  if (asset === null)
    return apiError(422, API_ERROR.unprocessable, `symbol: ${symbol} is not listed in the asset master`);
  if (!asset.shortable) return apiError(422, API_ERROR.unprocessable, `symbol: ${symbol} is not shortable`);
  if (asset.easyToBorrow)
    return apiError(
      422,
      API_ERROR.unprocessable,
      `symbol: ${symbol} is easy to borrow; its short sales need no locate`,
    );

  // Still losing to concurrent requests after every round: apiHandler's 503, nothing recorded.
  const out = await requestLocate(dynamo, table, accountId, request, key, now);
  if (out.kind === 'key_reused')
    return apiError(422, API_ERROR.unprocessable, 'Idempotency-Key: already used for another locate request');
  return json(200, locateJson(out.book, out.locate, now));
});
