/**
 * Cancel requests on the bus for the cancel-all worker (cancel-all-request.ts, cancel-all-worker.ts):
 * `DELETE /v2/orders` puts one per open order; close-all puts one for an order whose replace still
 * awaited the venue when it gave up waiting (the worker waits for the venue's answer, then cancels
 * the order or its replacement).
 */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { ENV, requiredEnv } from '../platform/config.js';
import { eventBridge } from '../platform/event-bridge.js';
import { logger } from '../platform/observability.js';
import {
  CANCEL_REQUEST_DETAIL_TYPE,
  CANCEL_REQUEST_SOURCE,
  type CancelRequestDetail,
} from './cancel-all-request.js';
import type { Principal } from './principal.js';

/** PutEvents takes at most 10 entries; this many calls are in flight at once. */
const PUT_EVENTS_BATCH = 10;
const PUT_EVENTS_CONCURRENCY = 8;

/**
 * Puts one cancel request per order on the bus; returns the ids whose request is not on it (an
 * entry PutEvents refused twice, or a call that failed).
 */
export async function putCancelRequests(
  ids: readonly string[],
  principal: Pick<Principal, 'accountId' | 'principalId'>,
  requestId: string,
) {
  const entry = (orderId: string) => ({
    EventBusName: requiredEnv(ENV.eventBusName),
    Source: CANCEL_REQUEST_SOURCE,
    DetailType: CANCEL_REQUEST_DETAIL_TYPE,
    Detail: JSON.stringify({
      orderId,
      accountId: principal.accountId,
      requestedBy: principal.principalId,
      requestId,
    } satisfies CancelRequestDetail),
  });
  const batches: string[][] = [];
  for (let i = 0; i < ids.length; i += PUT_EVENTS_BATCH) batches.push(ids.slice(i, i + PUT_EVENTS_BATCH));
  const failed = new Set<string>();
  const putBatch = async (batch: readonly string[]) => {
    let pending = batch;
    for (let attempt = 0; attempt < 2 && pending.length > 0; attempt++) {
      try {
        const out = await eventBridge.send(new PutEventsCommand({ Entries: pending.map(entry) }));
        // Entries come back in request order; one with an ErrorCode was not put.
        pending = pending.filter((_, i) => out.Entries?.[i]?.ErrorCode !== undefined);
      } catch (err) {
        logger.warn('cancel-all: PutEvents failed', { error: err as Error, orders: pending.length });
      }
    }
    for (const id of pending) failed.add(id);
  };
  let next = 0;
  const lane = async () => {
    while (next < batches.length) await putBatch(batches[next++] as string[]);
  };
  await Promise.all(Array.from({ length: PUT_EVENTS_CONCURRENCY }, lane));
  return failed;
}
