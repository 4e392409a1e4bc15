/**
 * DELETE /v2/orders/{order_id}: request a cancel (204; the venue's answer comes back as events).
 * DELETE /v2/orders: request a cancel of every open order of the account (207, one entry each),
 * fanned out through the bus to the cancel-all worker (`cancel-all-request.ts`).
 */
import { setTimeout as sleepFor } from 'node:timers/promises';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { type AlpacaOrder, isOpen, isResizedExit, type OrderState, toAlpacaOrder } from '../core/index.js';
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
import {
  awaitsReplace,
  type CancelOutcome,
  type ChainCancel,
  cancelAlongReplaces,
} from './request-cancel.js';

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
    const cancelFrom = (id: string, follow?: (s: OrderState) => boolean) =>
      cancelAlongReplaces(store, id, principal, requestId, {
        beforeWrite: () => writeInTime(writeBy, 'nothing was canceled'),
        ...(follow === undefined ? {} : { follow }),
      });
    // An exit the OMS resized is canceled as the order that now works it (core isResizedExit).
    const chain = await cancelFrom(orderId, isResizedExit);
    if (chain.outcome.status === 404 && chain.hops === 0) {
      // Right after a PATCH its replacement is not an order yet: the venue's answer to the replace
      // is waited for, then the order working it is canceled; still unanswered, 422 (it exists: not 404).
      const original = await pendingReplacementOriginal(store, orderId, principal.accountId);
      if (original === null) return asResponse(chain.outcome);
      return (
        (await afterReplaceAnswered(() => cancelFrom(original), writeBy)) ??
        apiError(422, API_ERROR.unprocessable, replacementNotOpenMessage('canceled', original))
      );
    }
    if (!awaitsReplace(chain)) return answerOf(chain);
    // A replace outstanding at the venue (of this order, or of one it was resized into, or a
    // resize's replacement confirmed a moment ago and not opened yet): the same wait.
    return (
      (await afterReplaceAnswered(() => cancelFrom(orderId), writeBy)) ??
      (chain.outcome.status === 404
        ? apiError(422, API_ERROR.unprocessable, replacementNotOpenMessage('canceled', orderId))
        : asResponse(chain.outcome))
    );
  },
  { trades: true },
);

/**
 * The answer to a cancel asked: 204 once asked, and again for a cancel already asked (a retry, or
 * DELETEs in parallel: the order is being canceled, as asked, nothing appended; an SDK probe's
 * retried DELETE got 422 `request outstanding` and could read it as a cancel that failed). A closed
 * order stays 422.
 */
function answerOf(chain: ChainCancel): APIGatewayProxyStructuredResultV2 {
  const o = chain.outcome;
  return o.status === 422 && o.refusal === 'request_pending' && o.state.cancelRequest !== 'none'
    ? noContent()
    : asResponse(o);
}

/**
 * How long a DELETE waits for the venue to answer a replace outstanding (ms between reads, 4.5 s in
 * all, never past the write deadline: half a 10 s function's time): a venue answers in well under a
 * second, and its answer takes a stream hop to be applied.
 */
export const REPLACE_ANSWER_WAITS_MS: readonly number[] = [
  50, 100, 150, 200, 300, 400, 500, 600, 700, 700, 800,
];

/**
 * The cancel of an order whose replace is outstanding at the venue, asked by a DELETE of the order
 * or of its replacement: the client's last word is "cancel", whatever the venue does with the
 * replace. Once the venue answers, `cancel` (along the chain of replaces from the order) asks it of
 * the order that works what was asked: the replacement when the venue replaced the order, else the
 * order itself (a replace refused, or overtaken: a DELETE of the replacement then cancels the order
 * it was to replace, which is still live, rather than answer that the replacement is `rejected` and
 * leave it working). Closed meanwhile (filled): that 422. Null when the venue has not answered
 * within the waits (the caller answers 422).
 */
async function afterReplaceAnswered(
  cancel: () => Promise<ChainCancel>,
  writeBy: number | undefined,
): Promise<APIGatewayProxyStructuredResultV2 | null> {
  for (const wait of REPLACE_ANSWER_WAITS_MS) {
    if (writeBy !== undefined && Date.now() + wait >= writeBy) return null;
    await sleepFor(wait);
    const chain = await cancel();
    if (!awaitsReplace(chain)) return answerOf(chain);
  }
  return null;
}
