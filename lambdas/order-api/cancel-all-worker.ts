/**
 * The cancel-all worker: consumer of the queue the `CancelOrderRequested` rule feeds (each record's
 * body is the EventBridge event `DELETE /v2/orders` put, one per open order). Runs the same
 * `requestCancel` as `DELETE /v2/orders/{order_id}` for the principal that asked.
 *
 * Idempotent: a redelivered request, or an order that has closed or has a cancel outstanding
 * meanwhile, is a no-op (the core refuses it: 422 here, logged, success). An order a PATCH has
 * replaced has its replacement canceled; one whose replace awaits the venue is asked again once the
 * venue answers (waits, then the queue's redelivery). An order that is not the
 * account's (404) is logged and dropped. Anything else (throttling, a lost race that keeps
 * failing) fails that record alone (Powertools batch, partial batch failures): the queue delivers
 * it again, and after the max receives it lands in the dead-letter queue, which Operations alarms on.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod/mini';
import { parseOrThrow } from '../core/zod-messages.js';
import { logger } from '../platform/observability.js';
import { processSqsBatch } from '../platform/sqs-batch.js';
import { cancelRequestDetail } from './cancel-all-request.js';
import { eventStore } from './orders-access.js';
import { requestCancelOfLiveOrder } from './request-cancel.js';

const recordBody = z.object({ detail: cancelRequestDetail });

export type CancelRequestOutcome = 'cancel_requested' | 'not_cancelable' | 'not_found';

/**
 * How long the worker waits for a replace awaiting the venue before it leaves the request to the
 * queue's redelivery (ms, doubling): ~3.8 s in all, well inside the function's 10 s timeout. A
 * venue answers a replace in milliseconds to a second; one that does not is the in-flight
 * checker's, and the queue keeps asking (up to its max receives, then the dead-letter queue).
 */
export const REPLACE_WAIT_MS: readonly number[] = [250, 500, 1000, 2000];

/**
 * One cancel request (a record's EventBridge event). Throws when it should be retried: a replace
 * of the order still awaits the venue after the waits above (the record is redelivered). An order a
 * PATCH replaced meanwhile has its replacement canceled (`requestCancelOfLiveOrder`).
 */
export async function cancelOne(
  event: unknown,
  waits: readonly number[] = REPLACE_WAIT_MS,
): Promise<CancelRequestOutcome> {
  const { orderId, accountId, requestedBy, requestId } = parseOrThrow(recordBody, event).detail;
  const principal = { accountId, principalId: requestedBy };
  const outcome = await requestCancelOfLiveOrder(eventStore(), orderId, principal, requestId, waits);
  switch (outcome.kind) {
    case 'cancel_requested':
      logger.info('cancel-all: cancel requested', { orderId, canceledOrderId: outcome.orderId, requestId });
      return 'cancel_requested';
    case 'not_cancelable':
      // Closed, or a cancel already outstanding (a redelivery included): nothing left to do.
      logger.info('cancel-all: nothing to do', { orderId, requestId, reason: outcome.reason });
      return 'not_cancelable';
    case 'not_found':
      logger.warn('cancel-all: order not found for the account', { orderId, accountId, requestId });
      return 'not_found';
    case 'replace_outstanding':
      throw new ReplaceAwaitingVenue(outcome.orderId);
  }
}

/** The designed retry: the record fails, SQS delivers it again once the venue answered the replace. */
export class ReplaceAwaitingVenue extends Error {
  override readonly name = 'ReplaceAwaitingVenue';
  constructor(orderId: string) {
    super(`order ${orderId} has a replace awaiting the venue: its cancel is asked again`);
  }
}

async function cancelRecord(record: SQSRecord): Promise<void> {
  try {
    await cancelOne(JSON.parse(record.body));
  } catch (err) {
    // A replace awaiting the venue is the designed retry, not a failure an operator must look at.
    if (err instanceof ReplaceAwaitingVenue)
      logger.info('cancel-all: asked again after the replace', {
        messageId: record.messageId,
        reason: err.message,
      });
    else
      logger.error('cancel-all: cancel request failed', { messageId: record.messageId, error: err as Error });
    throw err;
  }
}

/** The deployed handler: a batch of cancel requests, answered with the failed records. */
export async function cancelAllBatch(event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
  return processSqsBatch(event, cancelRecord, {
    ...(context ? { context } : {}),
    // Each record is its own order: they run together, a failure fails only its record.
    processInParallel: true,
  });
}

export const handler = middy(cancelAllBatch).use(injectLambdaContext(logger));
