/**
 * The cancel-all worker: consumer of the queue the `CancelOrderRequested` rule feeds (each record's
 * body is the EventBridge event `DELETE /v2/orders` put, one per open order). Runs the same
 * `requestCancel` as `DELETE /v2/orders/{order_id}` for the principal that asked.
 *
 * Idempotent: a redelivered request, or an order that has closed or has a cancel outstanding
 * meanwhile, is a no-op (the core refuses it: 422 here, logged, success); an order that is not the
 * account's (404) is logged and dropped. Anything else (throttling, a lost race that keeps
 * failing) fails that record alone (Powertools batch, partial batch failures): the queue delivers
 * it again, and after the max receives it lands in the dead-letter queue, which Operations alarms on.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod/mini';
import { parseOrThrow } from '../core/zod-messages.js';
import { logger } from '../platform/observability.js';
import { cancelRequestDetail } from './cancel-all-request.js';
import { eventStore } from './orders-access.js';
import { requestCancel } from './request-cancel.js';

const recordBody = z.object({ detail: cancelRequestDetail });

export type CancelRequestOutcome = 'cancel_requested' | 'not_cancelable' | 'not_found';

/** One cancel request (a record's EventBridge event). Throws when it should be retried. */
export async function cancelOne(event: unknown): Promise<CancelRequestOutcome> {
  const { orderId, accountId, requestedBy, requestId } = parseOrThrow(recordBody, event).detail;
  const outcome = await requestCancel(
    eventStore(),
    orderId,
    { accountId, principalId: requestedBy },
    requestId,
  );
  switch (outcome.status) {
    case 200:
      logger.info('cancel-all: cancel requested', { orderId, requestId });
      return 'cancel_requested';
    case 422:
      // Closed, or a cancel already outstanding (a redelivery included): nothing left to do.
      logger.info('cancel-all: nothing to do', { orderId, requestId, reason: outcome.body.message });
      return 'not_cancelable';
    case 404:
      logger.warn('cancel-all: order not found for the account', { orderId, accountId, requestId });
      return 'not_found';
  }
}

const processor = new BatchProcessor(EventType.SQS);

async function cancelRecord(record: SQSRecord): Promise<void> {
  try {
    await cancelOne(JSON.parse(record.body));
  } catch (err) {
    logger.error('cancel-all: cancel request failed', { messageId: record.messageId, error: err as Error });
    throw err;
  }
}

/** The deployed handler: a batch of cancel requests, answered with the failed records. */
export async function cancelAllBatch(event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
  return processPartialResponse(event, cancelRecord, processor, {
    ...(context ? { context } : {}),
    // Each record is its own order: they run together, a failure fails only its record.
    processInParallel: true,
    throwOnFullBatchFailure: false,
  });
}

export const handler = middy(cancelAllBatch).use(injectLambdaContext(logger));
