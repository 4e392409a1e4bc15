/**
 * DELETE /v2/orders/{order_id}: request a cancel (204; the venue's answer comes back as events).
 * DELETE /v2/orders: request a cancel of every open order of the account (207, one entry each).
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { type Refusal, toAlpacaOrder } from '../core/index.js';
import { type EventStore, runCommand } from '../event-store/event-store.js';
import { cancelRestOfExitGroup } from '../orders/contingent-groups.js';
import { ENV, requiredEnv } from '../platform/config.js';
import { dynamo } from '../platform/dynamo.js';
import { logger } from '../platform/observability.js';
import { API_ERROR, apiError, json, noContent } from './api-response.js';
import { apiHandler, notFound } from './http.js';
import { eventStore, loadOwnedOrder, plausibleOrderId } from './orders-access.js';
import type { Principal } from './principal.js';

/** A refusal's message without the command prefix the core puts on it ("requestCancel: ..."). */
export function reasonOf(refusal: Refusal): string {
  return refusal.message.replace(/^[A-Za-z]+: /, '');
}

type CancelOutcome =
  | { readonly status: 200; readonly body: unknown }
  | { readonly status: 404 | 422; readonly body: { code: number; message: string } };

async function requestCancel(
  store: EventStore,
  orderId: string,
  principal: Principal,
  requestId: string,
): Promise<CancelOutcome> {
  const owned = await loadOwnedOrder(store, orderId, principal.accountId);
  if (owned === null) return { status: 404, body: { code: API_ERROR.notFound, message: 'order not found' } };
  const result = await runCommand(
    store,
    orderId,
    { type: 'requestCancel', requestedBy: principal.principalId },
    (s) => ({ accountId: s.accountId, correlationId: requestId, causationId: requestId }),
    Date.now,
  );
  if (!result.decision.ok) {
    const message = `order is not cancelable: ${reasonOf(result.decision.refusal)}`;
    return { status: 422, body: { code: API_ERROR.unprocessable, message } };
  }
  if (result.state?.contingency) {
    // An exit of an OCO or bracket: the rest of its exit group is canceled with it, now. The group
    // coordinator does the same from the stream, so a failure here leaves nothing live.
    try {
      await cancelRestOfExitGroup(
        store,
        result.state,
        (s) => ({ accountId: s.accountId, correlationId: requestId, causationId: requestId }),
        Date.now,
      );
    } catch (err) {
      logger.warn('exit group cancel left to the group coordinator', { orderId, error: err as Error });
    }
  }
  return { status: 200, body: result.state === undefined ? null : toAlpacaOrder(result.state) };
}

const asResponse = (o: CancelOutcome): APIGatewayProxyStructuredResultV2 =>
  o.status === 200 ? noContent() : apiError(o.status, o.body.code, o.body.message);

async function openOrderIds(accountId: string): Promise<string[]> {
  const ids: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await dynamo.send(
      new QueryCommand({
        TableName: requiredEnv(ENV.ordersTable),
        IndexName: 'byAccountStatus',
        KeyConditionExpression: 'accountOpenClosed = :pk',
        ExpressionAttributeValues: { ':pk': `${accountId}#open` },
        ProjectionExpression: 'orderId',
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) ids.push(String(item.orderId));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return ids;
}

const CANCEL_ALL_CONCURRENCY = 10;

async function cancelAll(principal: Principal, requestId: string) {
  const store = eventStore();
  const ids = await openOrderIds(principal.accountId);
  const out: { id: string; status: number; body?: unknown }[] = [];
  for (let i = 0; i < ids.length; i += CANCEL_ALL_CONCURRENCY) {
    const batch = ids.slice(i, i + CANCEL_ALL_CONCURRENCY);
    const outcomes = await Promise.all(
      batch.map(async (id) => {
        try {
          return { id, ...(await requestCancel(store, id, principal, requestId)) };
        } catch {
          return { id, status: 500, body: { code: API_ERROR.internal, message: 'internal error' } };
        }
      }),
    );
    out.push(...outcomes);
  }
  return json(207, out);
}

export const handler = apiHandler('CancelOrder', async (event, principal) => {
  const requestId = event.requestContext.requestId;
  if (event.routeKey === 'DELETE /v2/orders') return cancelAll(principal, requestId);
  const orderId = event.pathParameters?.order_id;
  if (event.routeKey !== 'DELETE /v2/orders/{order_id}' || !plausibleOrderId(orderId)) return notFound();
  return asResponse(await requestCancel(eventStore(), orderId, principal, requestId));
});
