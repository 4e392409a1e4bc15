/**
 * Consumer of the inbound order queue (bus rule on `OrderRequested`, sources `stockbot.strategy*`,
 * -> SQS; each record's body is the EventBridge event): places the order the detail carries.
 *
 * The sender (issue 16): the event's source must be `stockbot.strategy.<id>` and that strategy
 * entitled to `detail.accountId` (its `strategy#<id>` record in the accounts table, read in the
 * BatchGet that risk makes anyway); otherwise nothing is placed and the request is answered
 * `sender_not_entitled`, logged at error and counted (`InboundOrderSenderRefused`, alarmed). The
 * bus policy lets each strategy's principal put only its own source (docs/aws.md).
 *
 * Idempotency (issue 16): the producer's own `requestId` (scoped by its source) is the key, so a redelivered event AND a
 * producer's PutEvents retry (a new EventBridge event id, the same request) yield the same order. A
 * request without one must carry the order's `client_order_id` (claimed once per account: a retry
 * gets its order back); with neither it is refused (`requestId: required ...`), since nothing
 * could tell its retry from a second order.
 *
 * A request that can never succeed (invalid, refused by risk, id reused) is answered on the bus
 * with `OrderRequestRejected` (source `stockbot.oms.intake`: the request's ids, the account, a
 * stable code, the message naming the field or rule, the field errors or refusals), logged and
 * counted, not thrown: a retry cannot fix it. Anything else throws: the record is reported as
 * failed (Powertools batch, one record at a time), retried alone after the queue's visibility
 * timeout and finally dead-lettered.
 */
import type { Context, EventBridgeEvent, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod/mini';
import { parseJsonExactly, refusalsAsListed } from '../core/index.js';
import {
  intakeAnswerOf,
  type OrderRequestRejection,
  storeIntakeAnswer,
} from '../event-store/intake-answers.js';
import { ACCOUNT_ID } from '../orders/accounts.js';
import { withAssetSymbol } from '../orders/asset-symbol.js';
import { clientOrderRules, type PlaceOrderResult, placeOrder } from '../orders/orders-service.js';
import { ENV, requiredEnv } from '../platform/config.js';
import { dynamo } from '../platform/dynamo.js';
import { marketData } from '../platform/market-data.js';
import { metrics } from '../platform/metrics.js';
import { logger } from '../platform/observability.js';
import '../core/zod-messages.js';
import { processSqsBatch } from '../platform/sqs-batch.js';

export const orderRequestedDetail = z.object({
  accountId: z.string().check(z.regex(ACCOUNT_ID)),
  order: z.unknown(),
  /** The producer's own id of the request: its idempotency key (retries of it place one order). */
  requestId: z.optional(
    z
      .string()
      .check(z.regex(/^[A-Za-z0-9._:-]{1,128}$/, 'must be 1-128 letters, digits, ".", "_", ":" or "-"')),
  ),
});

export {
  INTAKE_SOURCE,
  ORDER_REQUEST_REJECTED,
  type OrderRequestRejection,
} from '../event-store/intake-answers.js';

/**
 * Answers the sender: the rejection is stored in the event store, whose stream's publisher puts
 * it on the bus (event-store/intake-answers.ts): once per request event, and durably: a failure to
 * store it throws, so the request's record is retried.
 */
async function answerRejected(rejection: OrderRequestRejection, now: number): Promise<void> {
  const stored = await storeIntakeAnswer(
    dynamo,
    requiredEnv(ENV.eventStoreTable),
    intakeAnswerOf(rejection, now),
  );
  if (stored === 'already_stored') logger.info('OrderRequestRejected was stored by an earlier delivery');
}

const clientOrderIdOf = (order: unknown): string | null => {
  const id = (order as { client_order_id?: unknown } | null)?.client_order_id;
  return typeof id === 'string' && id !== '' ? id : null;
};

export type OrderRequestedEvent = EventBridgeEvent<'OrderRequested', unknown>;

export class RetryableRejection extends Error {
  override name = 'RetryableRejection';
}

/** One `OrderRequested` event (the bus rule's event; tests and tools). */
export async function onOrderRequested(event: OrderRequestedEvent): Promise<PlaceOrderResult | null> {
  logger.appendKeys({ eventId: event.id, source: event.source });
  const now = Date.now();
  try {
    const raw = (event.detail ?? {}) as { accountId?: unknown; requestId?: unknown };
    const ids = {
      requestId: typeof raw.requestId === 'string' ? raw.requestId : null,
      eventId: event.id,
      accountId: typeof raw.accountId === 'string' ? raw.accountId : null,
      source: event.source,
    };
    const detail = orderRequestedDetail.safeParse(event.detail);
    if (!detail.success) {
      const issues = detail.error.issues.map((i) => `${i.path.join('.') || 'detail'}: ${i.message}`);
      logger.warn('OrderRequested refused: detail is not {accountId, order, requestId}', { issues });
      metrics.addMetric('InboundOrderInvalid', 'Count', 1);
      await answerRejected({ ...ids, code: 'invalid_request', message: issues.join('; ') }, now);
      return null;
    }
    const { requestId } = detail.data;
    if (requestId === undefined && clientOrderIdOf(detail.data.order) === null) {
      const message =
        "requestId: required when order.client_order_id is absent (a producer's PutEvents retry would otherwise place a second order)";
      logger.warn('OrderRequested refused', { reason: message });
      metrics.addMetric('InboundOrderInvalid', 'Count', 1);
      await answerRejected({ ...ids, code: 'invalid_request', message }, now);
      return null;
    }
    // An asset ID as the symbol names that asset's symbol, as on POST /v2/orders.
    const named = await withAssetSymbol(detail.data.order, marketData());
    if (!named.ok) {
      logger.warn('OrderRequested invalid', { errors: [named.error] });
      metrics.addMetric('InboundOrderInvalid', 'Count', 1);
      await answerRejected(
        { ...ids, code: 'invalid_request', message: named.error.message, errors: [named.error] },
        now,
      );
      return { kind: 'invalid', errors: [named.error] };
    }
    const result = await placeOrder({
      accountId: detail.data.accountId,
      body: named.request,
      // The producer's id: its retries (new EventBridge ids) and redeliveries place one order.
      // Without one, the client_order_id claim dedupes; the event id only catches redeliveries.
      // Scoped by the sender: two strategies numbering their requests alike do not collide.
      idempotencyKey: requestId === undefined ? `event:${event.id}` : `request:${event.source}:${requestId}`,
      requestId: event.id,
      now,
      source: 'bus',
      // Only a strategy entitled to the account may place for it (issue 16, core bus-trust.ts).
      sender: { source: event.source },
      ...clientOrderRules(now),
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
        await answerRejected(
          {
            ...ids,
            code: 'invalid_request',
            message: result.errors.map((e) => e.message).join('; '),
            errors: result.errors,
          },
          now,
        );
        return result;
      case 'risk_refused':
        logger.warn('OrderRequested refused by pre-trade risk', { refusals: result.refusals });
        metrics.addMetric('InboundOrderRiskRefused', 'Count', 1);
        await answerRejected(
          {
            ...ids,
            code: 'risk_refused',
            message: result.refusals[0]?.message ?? 'refused by pre-trade risk',
            refusals: refusalsAsListed(result.refusals),
          },
          now,
        );
        return result;
      case 'conflict':
        logger.warn('OrderRequested conflicts with an earlier order', { reason: result.message });
        metrics.addMetric('InboundOrderConflict', 'Count', 1);
        await answerRejected({ ...ids, code: 'conflict', message: result.message }, now);
        return result;
      case 'sender_refused':
        // Recorded: the log line, the metric (alarmed by Operations) and the answer on the bus.
        logger.error('OrderRequested refused: the sender may not trade the account', {
          reason: result.refusal.message,
        });
        metrics.addMetric('InboundOrderSenderRefused', 'Count', 1);
        await answerRejected({ ...ids, code: result.refusal.code, message: result.refusal.message }, now);
        return result;
      case 'rate_limited':
        // The next second has room: let EventBridge retry.
        metrics.addMetric('InboundOrderRateLimited', 'Count', 1);
        throw new RetryableRejection(`rate limited (${result.limit}/s) for account ${detail.data.accountId}`);
      case 'closing_claims_changed':
        // Lost its race to the position's other sells and closes: nothing written; EventBridge retries.
        throw new RetryableRejection(
          `the position's sells raced this one (account ${detail.data.accountId})`,
        );
    }
  } finally {
    metrics.publishStoredMetrics();
    logger.resetKeys();
  }
}

async function orderRequestedRecord(record: SQSRecord): Promise<void> {
  try {
    // A number in the request is its exact value, never rounded (core parseJsonExactly).
    await onOrderRequested(parseJsonExactly(record.body) as OrderRequestedEvent);
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
  return processSqsBatch(event, orderRequestedRecord, {
    ...(context ? { context } : {}),
    processInParallel: false,
  });
}
