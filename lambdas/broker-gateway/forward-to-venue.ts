/**
 * Consumer of the forward-to-venue queue (bus rule on OMS events the venue must act on -> SQS; each
 * record's body is the EventBridge event): `OrderCancelRequested` (cancel), `OrderReplaceRequested`
 * (cancel/replace with the reserved replacement id) and `OrderExpired` (the OMS closed the order:
 * the venue drops it, as a cancel). An order that was never at the venue is not forwarded: an
 * algorithmic parent (its children are; the group coordinator cancels them) and a stop the OMS
 * held and closed before it triggered (its replace or expiry was the OMS's own). Also the
 * applier's `CancelAtVenueRequested` (source `stockbot.oms.gateway`, cancel-at-venue.ts): a cancel,
 * at the venue that reported it, of an order the OMS has closed. The venue's answers come back as execution reports; every call
 * is idempotent, so a redelivered event is harmless. Records are processed one after the other
 * (Powertools batch, sequential: two requests on one order keep their order); a failed record is
 * reported alone and retried after the queue's visibility timeout.
 */

import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, EventBridgeEvent, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod/mini';
import {
  isClosedPhase,
  type OrderState,
  statusOf,
  TIMES_IN_FORCE,
  unsentCancelClose,
} from '../core/index.js';
import { parseOrThrow } from '../core/zod-messages.js';
import { closeUnsentOrder } from '../orders/order-routing.js';
import { logger } from '../platform/observability.js';
import { processSqsBatch } from '../platform/sqs-batch.js';
import { CANCEL_AT_VENUE_REQUESTED, cancelAtVenueDetail } from './cancel-at-venue.js';
import { eventStore, venueFor } from './wiring.js';

const metadata = z.object({ orderId: z.string().check(z.minLength(1)), eventId: z.optional(z.string()) });
const changes = z.object({
  qty: z.optional(z.string()),
  limitPrice: z.optional(z.string()),
  stopPrice: z.optional(z.string()),
  trailPrice: z.optional(z.string()),
  trailPercent: z.optional(z.string()),
  timeInForce: z.optional(z.enum(TIMES_IN_FORCE)),
  clientOrderId: z.optional(z.string()),
});

const eventSchema = z.discriminatedUnion('detail-type', [
  z.object({
    'detail-type': z.literal('OrderCancelRequested'),
    detail: z.object({ metadata, data: z.object({ requestedBy: z.string() }) }),
  }),
  z.object({
    'detail-type': z.literal('OrderReplaceRequested'),
    detail: z.object({
      metadata,
      data: z.object({ replacementOrderId: z.string().check(z.minLength(1)), changes }),
    }),
  }),
  z.object({ 'detail-type': z.literal('OrderExpired'), detail: z.object({ metadata }) }),
  z.object({ 'detail-type': z.literal(CANCEL_AT_VENUE_REQUESTED), detail: cancelAtVenueDetail }),
]);

/**
 * Why the order is not at a venue (so nothing is forwarded), or null when it may be there, with
 * the venue it works at (its routing decision; null before it was routed: the default venue).
 */
function whereOf(state: OrderState | undefined): { why: string | null; venue: string | null } {
  if (state?.algo != null)
    return { why: 'an algorithmic or split parent is not at a venue (its children are)', venue: null };
  if (state?.armedFor != null && !state.triggered)
    return { why: 'a stop the OMS held never reached the venue', venue: null };
  // Never routed (open or closed since): no venue holds it, and the default venue is not where the
  // router may send it. Every order sent is routed first, or placed with its venue (a child, a
  // replacement, an OMS-held stop that triggered and was routed then).
  if (state !== undefined && state.routing === null && state.venue === null)
    return { why: 'the order was never sent to a venue', venue: null };
  return { why: null, venue: state?.venue ?? null };
}

export async function forwardToVenue(event: EventBridgeEvent<string, unknown>): Promise<void> {
  const e = parseOrThrow(eventSchema, event);
  if (e['detail-type'] === CANCEL_AT_VENUE_REQUESTED) {
    // The venue reported the order live: it is there, whatever the OMS's state says.
    const { orderId, venue, execId, reason } = e.detail;
    logger.warn('canceling at the venue an order the OMS has closed', { orderId, venue, execId });
    return venueFor(venue).cancel(orderId, reason);
  }
  const { orderId, eventId } = e.detail.metadata;
  let { state } = await eventStore().loadState(orderId);
  if (
    e['detail-type'] === 'OrderCancelRequested' &&
    state !== undefined &&
    unsentCancelClose(state) !== null
  ) {
    // No venue holds it: closed here (a probe's cancel sent to a guessed venue left 2 of 10 stuck).
    state = await closeUnsentOrder(eventStore(), orderId, eventId ?? `forward:${orderId}`, Date.now);
    // Closed here, or by what won the race (routed and rejected, filled): nothing to ask a venue.
    if (state === undefined || isClosedPhase(state)) {
      logger.info('cancel of an order never sent: closed here', {
        orderId,
        status: state && statusOf(state),
      });
      return;
    }
  }
  const { why, venue: at } = whereOf(state);
  if (why !== null) {
    logger.info(`not forwarded: ${why}`, { orderId, eventType: e['detail-type'] });
    return;
  }
  const venue = venueFor(at ?? undefined);
  logger.info('forwarding to venue', { orderId, eventType: e['detail-type'], venue: venue.name });
  switch (e['detail-type']) {
    case 'OrderCancelRequested':
      return venue.cancel(orderId, e.detail.data.requestedBy);
    case 'OrderReplaceRequested':
      return venue.replace(orderId, e.detail.data.replacementOrderId, e.detail.data.changes);
    case 'OrderExpired':
      return venue.cancel(orderId, 'expired');
  }
}

async function forwardRecord(record: SQSRecord): Promise<void> {
  try {
    await forwardToVenue(JSON.parse(record.body) as EventBridgeEvent<string, unknown>);
  } catch (err) {
    logger.error('forward to venue failed', { messageId: record.messageId, error: err as Error });
    throw err;
  }
}

/** The deployed handler: an SQS batch of OMS events, answered with the failed records. */
export async function forwardBatch(event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
  return processSqsBatch(event, forwardRecord, {
    ...(context ? { context } : {}),
    processInParallel: false,
  });
}

export const handler = middy(forwardBatch).use(injectLambdaContext(logger));
