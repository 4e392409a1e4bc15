/**
 * DELETE /v2/orders/{order_id}: request a cancel (204; the venue's answer comes back as events).
 * DELETE /v2/orders: request a cancel of every open order of the account (207, one entry each),
 * fanned out through the bus to the cancel-all worker (`cancel-all-request.ts`).
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { type AlpacaOrder, isOpen, toAlpacaOrder } from '../core/index.js';
import { OMS_CHILD_ROLE, ORDERS_INDEX } from '../orders/order-view-indexes.js';
import { orderDocuments, orderRolesByIndex } from '../orders/order-views.js';
import { accountOrdersNow, REPLACEMENT_HOPS, recentlyPlacedIds } from '../orders/recent-placements.js';
import { ENV, requiredEnv } from '../platform/config.js';
import { dynamo } from '../platform/dynamo.js';
import { logger } from '../platform/observability.js';
import { writeInTime } from '../platform/write-deadline.js';
import { API_ERROR, apiError, fieldErrors, json, noContent } from './api-response.js';
import { putCancelRequests } from './cancel-requests.js';
import { apiHandler, notFound, unknownParameters } from './http.js';
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
 * page per ~1 MB, then their documents from the table, read consistently: the index does not
 * project them, and lags the table), and those placed in the last minute (orders/recent-placements.ts:
 * a cancel-all sent a moment after an order was placed left that order live), as they are now: a
 * view behind its events is read from the event store instead (GET /v2/orders lists them so; a
 * cancel-all answered an order GET already showed canceled as `pending_cancel`). An
 * order a PATCH replaced is taken as the order that replaced it (`inPlaceOfReplaced`: replacements
 * are not placements of the minute).
 */
export async function openOrders(accountId: string, now = Date.now()): Promise<AlpacaOrder[]> {
  return (await openOrdersWithRoles(accountId, now)).orders;
}

/**
 * `openOrders`, and which of them are the OMS's own child orders (a split's, an algorithm's):
 * cancel-all asks them to cancel too (as it always did: their parent's cancel cancels them as well,
 * and a request to an order already canceling is a no-op), but its 207 lists the client's orders.
 */
export async function openOrdersWithRoles(
  accountId: string,
  now = Date.now(),
): Promise<{ orders: AlpacaOrder[]; omsChildren: ReadonlySet<string> }> {
  const table = requiredEnv(ENV.ordersTable);
  const [listed, recent] = await Promise.all([
    orderRolesByIndex(dynamo, table, {
      indexName: ORDERS_INDEX.byAccountOpen,
      keyCondition: 'openInAccount = :pk',
      values: { ':pk': accountId },
    }),
    recentlyPlacedIds(dynamo, requiredEnv(ENV.idempotencyTable), accountId, now),
  ]);
  const omsChildren = new Set(listed.filter((o) => o.role === OMS_CHILD_ROLE).map((o) => o.orderId));
  const ids = listed.map((o) => o.orderId);
  const fresh = new Set(recent);
  const older = ids.filter((id) => !fresh.has(id));
  const [documents, current] = await Promise.all([
    orderDocuments(dynamo, table, older, true),
    accountOrdersNow(dynamo, { orders: table, store: eventStore() }, accountId, recent),
  ]);
  const toCancel = (o: AlpacaOrder) => isOpen(o.status) || o.status === 'replaced';
  const orders = [
    ...older.flatMap((id) => {
      const order = documents.get(id);
      return order === undefined ? [] : [order];
    }),
    ...current,
  ].filter(toCancel);
  return { orders: await inPlaceOfReplaced(orders, accountId), omsChildren };
}

/**
 * Each replaced order (a PATCH of the last minute, or an index a stream hop behind) in the place
 * of the order that replaced it, along the chain, once: the order the cancel is for, and the one
 * the 207 names (it listed the replaced order, whose status stays `replaced`: a bot waiting for
 * each listed order to read `canceled` would wait forever). A chain that cannot be followed keeps the
 * replaced order: the worker cancels its replacement when it opens. One event-store read per
 * replacement, only for replaced orders.
 */
async function inPlaceOfReplaced(orders: readonly AlpacaOrder[], accountId: string): Promise<AlpacaOrder[]> {
  const byId = new Map(orders.map((o) => [o.id, o]));
  const out = new Map<string, AlpacaOrder>();
  for (const order of orders) {
    let current = order;
    for (
      let hop = 0;
      current.status === 'replaced' && current.replaced_by !== null && hop < REPLACEMENT_HOPS;
      hop++
    ) {
      const id = current.replaced_by;
      const known = byId.get(id);
      if (known !== undefined) {
        current = known;
        continue;
      }
      const { state } = await eventStore().loadState(id);
      if (state === undefined || state.accountId !== accountId) break;
      current = toAlpacaOrder(state);
    }
    if (isOpen(current.status) || current.status === 'replaced') out.set(current.id, current);
  }
  return [...out.values()];
}

/**
 * DELETE /v2/orders: one cancel request per open order onto the bus (the cancel-all worker cancels
 * each), answered at once with Alpaca's 207 list: per order `{id, status: 200, body}`, the body the
 * order as it will be (`pending_cancel`), or `{id, status: 500, body: {code, message}}` for an order
 * whose request could not be queued (the caller may DELETE it, or all, again: it is idempotent).
 */
async function cancelAll(principal: Principal, requestId: string) {
  const started = Date.now();
  const { orders, omsChildren } = await openOrdersWithRoles(principal.accountId);
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
  const out = orders
    .filter((o) => !omsChildren.has(o.id))
    .map((o) =>
      failed.has(o.id)
        ? { id: o.id, status: 500, body: { code: API_ERROR.internal, message: 'cancel not queued: retry' } }
        : { id: o.id, status: 200, body: { ...o, status: 'pending_cancel' } },
    );
  return json(207, out);
}

export const handler = apiHandler(
  'CancelOrder',
  async (event, principal, writeBy) => {
    const requestId = event.requestContext.requestId;
    // Neither route takes a parameter: one sent is refused, not ignored (`symbols` or `side` on the
    // cancel-all was read as "all"; a probe's `?qty=1` on one order's cancel canceled all of it).
    const unknown = unknownParameters(event.queryStringParameters ?? {}, []);
    if (unknown.length > 0) return fieldErrors(unknown, 400);
    if (event.routeKey === 'DELETE /v2/orders') return cancelAll(principal, requestId);
    const orderId = event.pathParameters?.order_id;
    if (event.routeKey !== 'DELETE /v2/orders/{order_id}' || !plausibleOrderId(orderId)) return notFound();
    const store = eventStore();
    const outcome = await requestCancel(store, orderId, principal, requestId, () =>
      writeInTime(writeBy, 'nothing was canceled'),
    );
    if (outcome.status === 404) {
      // Right after a PATCH its replacement is not an order yet: 422, not 404 (it exists).
      const original = await pendingReplacementOriginal(store, orderId, principal.accountId);
      if (original !== null)
        return apiError(422, API_ERROR.unprocessable, replacementNotOpenMessage('canceled', original));
    }
    // A cancel already asked (a retry, or DELETEs in parallel): the order is being canceled, as
    // asked, so the answer is 204 again, nothing appended (an SDK probe's retried DELETE got 422
    // `request outstanding` and could read it as a cancel that failed). A replace outstanding, or a
    // closed order, stays 422.
    if (
      outcome.status === 422 &&
      outcome.refusal === 'request_pending' &&
      outcome.state.cancelRequest !== 'none'
    )
      return noContent();
    return asResponse(outcome);
  },
  { trades: true },
);
