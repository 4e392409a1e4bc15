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

import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, EventBridgeEvent, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod/mini';
import { isUnsent, TIMES_IN_FORCE } from '../core/index.js';
import { parseOrThrow } from '../core/zod-messages.js';
import { logger } from '../platform/observability.js';
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
async function whereIs(orderId: string): Promise<{ why: string | null; venue: string | null }> {
  const { state } = await eventStore().loadState(orderId);
  if (state?.algo != null)
    return { why: 'an algorithmic or split parent is not at a venue (its children are)', venue: null };
  if (state?.armedFor != null && !state.triggered)
    return { why: 'a stop the OMS held never reached the venue', venue: null };
  // Not routed yet: no venue holds it (the default venue is not where the router may send it). Its
  // submission finds the cancel and closes it unsent (core `unsentCancelClose`, order-routing.ts).
  if (state !== undefined && isUnsent(state))
    return { why: 'the order was never sent to a venue; its submission closes it unsent', venue: null };
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
  const { orderId } = e.detail.metadata;
  const { why, venue: at } = await whereIs(orderId);
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

const processor = new BatchProcessor(EventType.SQS);

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
  return processPartialResponse(event, forwardRecord, processor, {
    ...(context ? { context } : {}),
    processInParallel: false,
    throwOnFullBatchFailure: false,
  });
}

export const handler = middy(forwardBatch).use(injectLambdaContext(logger));
