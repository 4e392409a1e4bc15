/**
 * DELETE /v2/orders/{order_id}: request a cancel (204; the venue's answer comes back as events).
 * DELETE /v2/orders: request a cancel of every open order of the account (207, one entry each),
 * fanned out through the bus to the cancel-all worker (`cancel-all-request.ts`).
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { AlpacaOrder } from '../core/index.js';
import { ORDERS_INDEX } from '../orders/order-view-indexes.js';
import { orderDocuments, orderIdsByIndex } from '../orders/order-views.js';
import { openOrdersAmong, recentlyPlacedIds } from '../orders/recent-placements.js';
import { ENV, requiredEnv } from '../platform/config.js';
import { dynamo } from '../platform/dynamo.js';
import { logger } from '../platform/observability.js';
import { API_ERROR, apiError, json, noContent } from './api-response.js';
import { putCancelRequests } from './cancel-requests.js';
import { apiHandler, notFound } from './http.js';
import {
  eventStore,
  pendingReplacementOriginal,
  plausibleOrderId,
  replacementNotOpenMessage,
} from './orders-access.js';
import type { Principal } from './principal.js';
import { type CancelOutcome, requestCancel } from './request-cancel.js';

const asResponse = (o: CancelOutcome): APIGatewayProxyStructuredResultV2 =>
  o.status === 200 ? noContent() : apiError(o.status, o.body.code, o.body.message);

/**
 * The account's open orders: those the read model lists (their ids from `byAccountOpen`, one Query
 * page per ~1 MB, then their documents from the table: the index does not project them), and
 * those placed in the last minute that it does not list yet (orders/recent-placements.ts: a
 * cancel-all sent a moment after an order was placed left that order live).
 */
export async function openOrders(accountId: string, now = Date.now()): Promise<AlpacaOrder[]> {
  const table = requiredEnv(ENV.ordersTable);
  const [ids, recent] = await Promise.all([
    orderIdsByIndex(dynamo, table, {
      indexName: ORDERS_INDEX.byAccountOpen,
      keyCondition: 'openInAccount = :pk',
      values: { ':pk': accountId },
    }),
    recentlyPlacedIds(dynamo, requiredEnv(ENV.idempotencyTable), accountId, now),
  ]);
  const listed = new Set(ids);
  const [documents, unlisted] = await Promise.all([
    orderDocuments(dynamo, table, ids),
    openOrdersAmong(
      dynamo,
      table,
      eventStore(),
      accountId,
      recent.filter((id) => !listed.has(id)),
    ),
  ]);
  return [
    ...ids.flatMap((id) => {
      const order = documents.get(id);
      return order === undefined ? [] : [order];
    }),
    ...unlisted,
  ];
}

/**
 * DELETE /v2/orders: one cancel request per open order onto the bus (the cancel-all worker cancels
 * each), answered at once with Alpaca's 207 list: per order `{id, status: 200, body}`, the body the
 * order as it will be (`pending_cancel`), or `{id, status: 500, body: {code, message}}` for an order
 * whose request could not be queued (the caller may DELETE it, or all, again: it is idempotent).
 */
async function cancelAll(principal: Principal, requestId: string) {
  const started = Date.now();
  const orders = await openOrders(principal.accountId);
  const listed = Date.now();
  const failed = await putCancelRequests(
    orders.map((o) => o.id),
    principal,
    requestId,
  );
  logger.info('cancel-all: requests queued', {
    orders: orders.length,
    notQueued: failed.size,
    listMs: listed - started,
    queueMs: Date.now() - listed,
  });
  if (failed.size > 0) logger.error('cancel-all: requests not queued', { orders: [...failed] });
  const out = orders.map((o) =>
    failed.has(o.id)
      ? { id: o.id, status: 500, body: { code: API_ERROR.internal, message: 'cancel not queued: retry' } }
      : { id: o.id, status: 200, body: { ...o, status: 'pending_cancel' } },
  );
  return json(207, out);
}

export const handler = apiHandler(
  'CancelOrder',
  async (event, principal) => {
    const requestId = event.requestContext.requestId;
    if (event.routeKey === 'DELETE /v2/orders') return cancelAll(principal, requestId);
    const orderId = event.pathParameters?.order_id;
    if (event.routeKey !== 'DELETE /v2/orders/{order_id}' || !plausibleOrderId(orderId)) return notFound();
    const store = eventStore();
    const outcome = await requestCancel(store, orderId, principal, requestId);
    if (outcome.status === 404) {
      // Right after a PATCH its replacement is not an order yet: 422, not 404 (it exists).
      const original = await pendingReplacementOriginal(store, orderId, principal.accountId);
      if (original !== null)
        return apiError(422, API_ERROR.unprocessable, replacementNotOpenMessage('canceled', original));
    }
    return asResponse(outcome);
  },
  { trades: true },
);
