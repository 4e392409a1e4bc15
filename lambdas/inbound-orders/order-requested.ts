/**
 * Consumer of the inbound order queue (bus rule on `OrderRequested`, source `stockbot.strategy`,
 * -> SQS; each record's body is the EventBridge event): places the order the detail carries. The
 * event id is the idempotency key, so a redelivered event yields the same order. A request that can
 * never succeed (invalid, refused by risk, id reused) is logged and counted, not thrown: a retry
 * cannot fix it. Anything else throws: the record is reported as failed (Powertools batch, one
 * record at a time), retried alone after the queue's visibility timeout and finally dead-lettered.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import type { Context, EventBridgeEvent, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod/mini';
import { ACCOUNT_ID } from '../orders/accounts.js';
import { type PlaceOrderResult, placeOrder } from '../orders/orders-service.js';
import { logger, metrics } from '../platform/observability.js';
import '../core/zod-messages.js';

export const orderRequestedDetail = z.object({
  accountId: z.string().check(z.regex(ACCOUNT_ID)),
  order: z.unknown(),
});

export type OrderRequestedEvent = EventBridgeEvent<'OrderRequested', unknown>;

export class RetryableRejection extends Error {
  override name = 'RetryableRejection';
}

/** One `OrderRequested` event (the bus rule's event; tests and tools). */
export async function onOrderRequested(event: OrderRequestedEvent): Promise<PlaceOrderResult | null> {
  logger.appendKeys({ eventId: event.id, source: event.source });
  try {
    const detail = orderRequestedDetail.safeParse(event.detail);
    if (!detail.success) {
      logger.warn('OrderRequested ignored: detail is not {accountId, order}', {
        issues: detail.error.issues.map((i) => `${i.path.join('.') || 'detail'}: ${i.message}`),
      });
      metrics.addMetric('InboundOrderInvalid', 'Count', 1);
      return null;
    }
    const result = await placeOrder({
      accountId: detail.data.accountId,
      body: detail.data.order,
      idempotencyKey: `event:${event.id}`,
      requestId: event.id,
      now: Date.now(),
      source: 'bus',
    });
    switch (result.kind) {
      case 'created':
      case 'existing':
        logger.info('OrderRequested placed', { orderId: result.order.id, outcome: result.kind });
        metrics.addMetric(
          result.kind === 'created' ? 'InboundOrderPlaced' : 'InboundOrderDuplicate',
          'Count',
          1,
        );
        return result;
      case 'invalid':
        logger.warn('OrderRequested invalid', { errors: result.errors });
        metrics.addMetric('InboundOrderInvalid', 'Count', 1);
        return result;
      case 'risk_refused':
        logger.warn('OrderRequested refused by pre-trade risk', { refusals: result.refusals });
        metrics.addMetric('InboundOrderRiskRefused', 'Count', 1);
        return result;
      case 'conflict':
        logger.warn('OrderRequested conflicts with an earlier order', { message: result.message });
        metrics.addMetric('InboundOrderConflict', 'Count', 1);
        return result;
      case 'rate_limited':
        // The next second has room: let EventBridge retry.
        metrics.addMetric('InboundOrderRateLimited', 'Count', 1);
        throw new RetryableRejection(`rate limited (${result.limit}/s) for account ${detail.data.accountId}`);
    }
  } finally {
    metrics.publishStoredMetrics();
    logger.resetKeys();
  }
}

const processor = new BatchProcessor(EventType.SQS);

async function orderRequestedRecord(record: SQSRecord): Promise<void> {
  try {
    await onOrderRequested(JSON.parse(record.body) as OrderRequestedEvent);
  } catch (err) {
    logger.error('OrderRequested failed; the record will be retried', {
      messageId: record.messageId,
      error: err as Error,
    });
    throw err;
  }
}

/**
 * The deployed handler: an SQS batch of `OrderRequested` events, answered with the failed records.
 * Sequential: the log keys are per event, and one account's orders keep their order under its
 * rate limit.
 */
export async function handler(event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
  return processPartialResponse(event, orderRequestedRecord, processor, {
    ...(context ? { context } : {}),
    processInParallel: false,
    throwOnFullBatchFailure: false,
  });
}
