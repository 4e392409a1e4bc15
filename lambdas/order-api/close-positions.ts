/**
 * Closing positions, Alpaca's (issue 13):
 * - `DELETE /v2/positions/{symbol_or_asset_id}`: places the closing order (market, day, the other
 *   side, `position_intent` buy_to_close / sell_to_close) for the whole position, or `qty` shares,
 *   or `percentage` (0 < p <= 100, rounded down to the nano) of it; answers the order (200), 404
 *   when the account holds no position in the symbol, 422 naming `qty`/`percentage` when they are
 *   invalid, both given, or above the position. The order goes through the same path and pre-trade
 *   risk as POST /v2/orders.
 * - `DELETE /v2/positions`: one closing order per position, answered with Alpaca's 207 list
 *   `{symbol, status, body}` (body: the order, or `{code, message}`). With `cancel_orders=true` every
 *   open order of the account is asked to cancel first (as DELETE /v2/orders/{id} does), and risk
 *   does not count them as holding the position (their cancels are in flight: should one fill
 *   first, the closing order may leave the account short, as at Alpaca).
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  type FieldError,
  fieldError,
  formatNanos,
  type Nanos,
  ONE,
  parseNanos,
  parseSigned9,
} from '../core/index.js';
import { placeOrder } from '../orders/orders-service.js';
import { dynamo } from '../platform/dynamo.js';
import { marketData } from '../platform/market-data.js';
import { type AccountBook, loadAccountBook, symbolOf } from './account-book.js';
import { API_ERROR, apiError, fieldErrors, json } from './api-response.js';
import { apiHandler, notFound, placeOrderResponse } from './http.js';
import { eventStore } from './orders-access.js';
import type { Principal } from './principal.js';
import { requestCancel } from './request-cancel.js';

type Query = Record<string, string | undefined>;

function positive(name: string, text: string, errors: FieldError[]): Nanos | null {
  const v = parseNanos(text);
  if (typeof v !== 'bigint' || v <= 0n) {
    errors.push(fieldError('invalid_value', name, `must be a positive decimal, got "${text}"`));
    return null;
  }
  return v;
}

/** The qty to close of a position of `held` (signed), or the field errors. */
export function closingQty(
  held: Nanos,
  query: Query,
): { ok: true; qty: Nanos } | { ok: false; errors: FieldError[] } {
  const size = held < 0n ? -held : held;
  const errors: FieldError[] = [];
  const qtyText = query.qty;
  const pctText = query.percentage;
  if (qtyText !== undefined && pctText !== undefined) {
    errors.push(fieldError('conflict', 'qty', 'give qty or percentage, not both'));
    return { ok: false, errors };
  }
  if (qtyText !== undefined) {
    const qty = positive('qty', qtyText, errors);
    if (qty !== null && qty > size)
      errors.push(fieldError('invalid_value', 'qty', `must not exceed the position's ${formatNanos(size)}`));
    return errors.length > 0 || qty === null ? { ok: false, errors } : { ok: true, qty };
  }
  if (pctText !== undefined) {
    const pct = positive('percentage', pctText, errors);
    if (pct !== null && pct > 100n * ONE)
      errors.push(fieldError('invalid_value', 'percentage', 'must be at most 100'));
    if (errors.length > 0 || pct === null) return { ok: false, errors };
    // Rounded down to the nano: never more than the position.
    const qty = pct === 100n * ONE ? size : (size * pct) / (100n * ONE);
    if (qty <= 0n) {
      errors.push(fieldError('invalid_value', 'percentage', 'closes less than the smallest quantity'));
      return { ok: false, errors };
    }
    return { ok: true, qty };
  }
  return { ok: true, qty: size };
}

function closingBody(symbol: string, held: Nanos, qty: Nanos): Record<string, unknown> {
  return {
    symbol,
    qty: formatNanos(qty),
    side: held > 0n ? 'sell' : 'buy',
    type: 'market',
    time_in_force: 'day',
    position_intent: held > 0n ? 'sell_to_close' : 'buy_to_close',
  };
}

async function closeOne(
  book: AccountBook,
  principal: Principal,
  requestId: string,
  symbol: string,
  query: Query,
  excluding: readonly string[] = [],
): Promise<APIGatewayProxyStructuredResultV2> {
  const position = book.ledger.positions[symbol];
  if (position === undefined) return notFound('position');
  const held = parseSigned9(position.qty);
  const qty = closingQty(held, query);
  if (!qty.ok) return fieldErrors(qty.errors);
  const result = await placeOrder({
    accountId: principal.accountId,
    body: closingBody(symbol, held, qty.qty),
    requestId,
    now: Date.now(),
    source: 'api',
    closesPosition: true,
    ...(excluding.length === 0 ? {} : { excludingOpenOrders: excluding }),
  });
  return placeOrderResponse(result);
}

async function closeAll(book: AccountBook, principal: Principal, requestId: string, query: Query) {
  const cancelOrders = query.cancel_orders;
  if (cancelOrders !== undefined && cancelOrders !== 'true' && cancelOrders !== 'false')
    return fieldErrors([fieldError('invalid_value', 'cancel_orders', 'must be true or false')], 400);
  const canceled: string[] = [];
  if (cancelOrders === 'true') {
    for (const o of book.open) {
      await requestCancel(eventStore(), o.id, principal, requestId);
      canceled.push(o.id);
    }
  }
  const out = [];
  for (const symbol of Object.keys(book.ledger.positions).sort()) {
    const r = await closeOne(book, principal, `${requestId}:${symbol}`, symbol, {}, canceled);
    out.push({ symbol, status: r.statusCode ?? 200, body: JSON.parse(r.body ?? 'null') as unknown });
  }
  return json(207, out);
}

export const handler = apiHandler(
  'ClosePositions',
  async (event, principal) => {
    const loaded = await loadAccountBook(dynamo, marketData(), principal.accountId, Date.now());
    if (!loaded.ok) return apiError(403, API_ERROR.riskRefused, `account_not_configured: ${loaded.problem}`);
    const query = event.queryStringParameters ?? {};
    const requestId = event.requestContext.requestId;
    if (event.routeKey === 'DELETE /v2/positions') return closeAll(loaded.book, principal, requestId, query);
    const symbol = symbolOf(loaded.book, event.pathParameters?.symbol_or_asset_id ?? '');
    return closeOne(loaded.book, principal, requestId, symbol, query);
  },
  { trades: true },
);
