/** POST /v2/orders: place an order (Alpaca v2 request body; optional Idempotency-Key header). */
import { IDEMPOTENCY_KEY_RULE, IDEMPOTENCY_KEY_TEXT } from '../core/index.js';
import { header } from '../orders/accounts.js';
import { withAssetSymbol } from '../orders/asset-symbol.js';
import { clientOrderRules, placeOrder } from '../orders/orders-service.js';
import { marketData } from '../platform/market-data.js';
import { writeInTime } from '../platform/write-deadline.js';
import { API_ERROR, apiError, fieldErrors } from './api-response.js';
import { apiHandler, jsonBody, placeOrderResponse } from './http.js';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

export const handler = apiHandler(
  'CreateOrder',
  async (event, principal, writeBy) => {
    const idempotencyKey = header(event.headers, IDEMPOTENCY_KEY_HEADER);
    // A control character (a probe's tab passed), or beyond ASCII (read as Latin-1): refused.
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY_TEXT.test(idempotencyKey))
      return apiError(400, API_ERROR.badRequest, `Idempotency-Key: ${IDEMPOTENCY_KEY_RULE}`);
    const body = jsonBody(event);
    if (!body.ok) return body.response;
    // Alpaca's `symbol` is a symbol or an asset ID (a probe's order by AAPL's id was refused as no ticker).
    const named = await withAssetSymbol(body.value, marketData());
    if (!named.ok) return fieldErrors([named.error]);
    const now = Date.now();
    const result = await placeOrder({
      accountId: principal.accountId,
      body: named.request,
      ...(idempotencyKey === undefined ? {} : { idempotencyKey }),
      requestId: event.requestContext.requestId,
      now,
      source: 'api',
      beforeWrite: () => writeInTime(writeBy, 'nothing was placed'),
      ...clientOrderRules(now),
    });
    return placeOrderResponse(result);
  },
  { trades: true },
);
