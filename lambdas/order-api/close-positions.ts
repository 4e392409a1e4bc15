/**
 * Closing positions, Alpaca's (issue 13):
 * - `DELETE /v2/positions/{symbol_or_asset_id}`: places the closing order (market, day, the other
 *   side, `position_intent` buy_to_close / sell_to_close) for the whole position, or `qty` shares,
 *   or `percentage` (0 < p <= 100, rounded down to the nano) of it; answers the order (200), 404
 *   when the account holds no position in the symbol, 422 naming `qty`/`percentage` when they are
 *   invalid, both given, or above the position; 403 "insufficient qty available for order" when
 *   it is more than the position's qty_available, which earlier closes not yet in the read model
 *   also hold (core position-close.ts; concurrent closes: one is placed). The order goes through
 *   the same path and pre-trade risk as POST /v2/orders.
 * - `DELETE /v2/positions`: one closing order per position, answered with Alpaca's 207 list
 *   `{symbol, status, body}` (body: the order, or `{code, message}`). With `cancel_orders=true` every
 *   open order of the account is asked to cancel first (as DELETE /v2/orders/{id} does), and risk
 *   does not count them as holding the position (their cancels are in flight: should one fill
 *   first, the closing order may leave the account short, as at Alpaca).
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import {
  type CloseAvailability,
  closeAvailability,
  type FieldError,
  fieldError,
  formatNanos,
  insufficientQtyMessage,
  type Nanos,
  ONE,
  parseNanos,
  parseSigned9,
} from '../core/index.js';
import { ledgerOf, ledgerPk } from '../orders/account-ledger.js';
import {
  closingClaimsPut,
  holdingOrderOf,
  readClaimedViews,
  readClosingClaims,
} from '../orders/closing-claims.js';
import { ORDERS_INDEX } from '../orders/order-view-indexes.js';
import { type PlaceOrderResult, placeOrder } from '../orders/orders-service.js';
import { queryViews } from '../orders/risk-context.js';
import { ENV, requiredEnv } from '../platform/config.js';
import { dynamo } from '../platform/dynamo.js';
import { marketData } from '../platform/market-data.js';
import { logger } from '../platform/observability.js';
import { type AccountBook, loadAccountBook, symbolOf } from './account-book.js';
import { API_ERROR, apiError, fieldErrors, json } from './api-response.js';
import { apiHandler, notFound, placeOrderResponse } from './http.js';
import { eventStore } from './orders-access.js';
import type { Principal } from './principal.js';
import { requestCancelOfLiveOrder } from './request-cancel.js';

/** How long a close with `cancel_orders=true` waits for a replace awaiting the venue (ms, in turn). */
const CLOSE_REPLACE_WAIT_MS: readonly number[] = [100, 200, 400, 800, 1600];

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

/** Reads one close attempt decides on, in the order that keeps every lag on the safe side. */
async function closeAvailabilityOf(
  accountId: string,
  symbol: string,
  excluding: readonly string[],
  now: number,
) {
  const idempotency = requiredEnv(ENV.idempotencyTable);
  const [claims, open] = await Promise.all([
    readClosingClaims(dynamo, idempotency, accountId, symbol),
    queryViews(dynamo, {
      IndexName: ORDERS_INDEX.byAccountOpen,
      KeyConditionExpression: 'openInAccount = :k',
      ExpressionAttributeValues: { ':k': accountId },
    }),
  ]);
  const claimedViews =
    claims.claims.length === 0
      ? new Map()
      : await readClaimedViews(
          dynamo,
          requiredEnv(ENV.ordersTable),
          claims.claims.map((c) => c.orderId),
        );
  // The ledger last: the position keeper applies a fill before the order's view shows it, so a
  // fill the views above no longer hold is in the ledger read now (core position-close.ts).
  const ledgerItem = await dynamo.send(
    new GetCommand({
      TableName: requiredEnv(ENV.accountsTable),
      Key: { pk: ledgerPk(accountId) },
      ConsistentRead: true,
    }),
  );
  const position = ledgerOf(ledgerItem.Item).positions[symbol];
  if (position === undefined) return null;
  const held = parseSigned9(position.qty);
  const availability = closeAvailability({
    position: held,
    claims: claims.claims,
    claimedViews,
    openOrders: open
      .filter((v) => v.symbol.toUpperCase() === symbol)
      .map((v) => holdingOrderOf({ orderId: v.id, side: v.side, qty: v.qty, filledQty: v.filled_qty }, true)),
    excluding: new Set(excluding),
    now,
  });
  return { held, claims, availability };
}

/**
 * Alpaca's refusal of a close beyond the position's qty_available (403, 40310000), with the
 * numbers it answers along.
 */
function insufficientQty(symbol: string, requested: Nanos, a: CloseAvailability) {
  return apiError(403, API_ERROR.riskRefused, insufficientQtyMessage(requested, a.available), {
    symbol,
    requested: formatNanos(requested),
    available: formatNanos(a.available),
    existing_qty: formatNanos(a.size),
    held_for_orders: formatNanos(a.held),
  });
}

/** Attempts of one close against concurrent closes of the same position (each re-reads). */
const CLOSE_ATTEMPTS = 5;

async function closeOne(
  principal: Principal,
  requestId: string,
  symbol: string,
  query: Query,
  excluding: readonly string[] = [],
): Promise<APIGatewayProxyStructuredResultV2> {
  let result: PlaceOrderResult | undefined;
  for (let attempt = 1; attempt <= CLOSE_ATTEMPTS; attempt++) {
    const now = Date.now();
    const read = await closeAvailabilityOf(principal.accountId, symbol, excluding, now);
    if (read === null) return notFound('position');
    const qty = closingQty(read.held, query);
    if (!qty.ok) return fieldErrors(qty.errors);
    const { availability } = read;
    if (qty.qty > availability.available) return insufficientQty(symbol, qty.qty, availability);
    result = await placeOrder({
      accountId: principal.accountId,
      body: closingBody(symbol, read.held, qty.qty),
      requestId,
      now,
      source: 'api',
      closesPosition: true,
      ...(excluding.length === 0 ? {} : { excludingOpenOrders: excluding }),
      closingClaims: (orderId) =>
        closingClaimsPut(
          requiredEnv(ENV.idempotencyTable),
          principal.accountId,
          symbol,
          read.claims,
          availability.claims,
          { orderId, side: availability.side, qty: qty.qty, placedAt: now },
        ),
    });
    if (result.kind !== 'closing_claims_changed') break;
  }
  return placeOrderResponse(result as PlaceOrderResult);
}

async function closeAll(book: AccountBook, principal: Principal, requestId: string, query: Query) {
  const cancelOrders = query.cancel_orders;
  if (cancelOrders !== undefined && cancelOrders !== 'true' && cancelOrders !== 'false')
    return fieldErrors([fieldError('invalid_value', 'cancel_orders', 'must be true or false')], 400);
  const canceled: string[] = [];
  if (cancelOrders === 'true') {
    for (const o of book.open) {
      // The order or, when a PATCH replaced it, its replacement (a replace awaiting the venue is
      // waited for, briefly: left live, it holds its qty, and the close is capped by it).
      const outcome = await requestCancelOfLiveOrder(
        eventStore(),
        o.id,
        principal,
        requestId,
        CLOSE_REPLACE_WAIT_MS,
      );
      if (outcome.kind === 'replace_outstanding')
        logger.warn('close all: an order with a replace awaiting the venue is left open', { orderId: o.id });
      else
        canceled.push(
          o.id,
          ...(outcome.kind === 'cancel_requested' && outcome.orderId !== o.id ? [outcome.orderId] : []),
        );
    }
  }
  const out = [];
  for (const symbol of Object.keys(book.ledger.positions).sort()) {
    const r = await closeOne(principal, `${requestId}:${symbol}`, symbol, {}, canceled);
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
    return closeOne(principal, requestId, symbol, query);
  },
  { trades: true },
);
