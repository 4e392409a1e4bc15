/**
 * Bus rule target for OMS events the venue must act on: `OrderCancelRequested` (cancel),
 * `OrderReplaceRequested` (cancel/replace with the reserved replacement id) and `OrderExpired`
 * (the OMS closed the order: the venue drops it, as a cancel). The venue's answers come back as
 * execution reports; every call is idempotent, so a redelivered event is harmless.
 */

import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { z } from 'zod';
import { TIMES_IN_FORCE } from '../core/index.js';
import { logger } from '../shared/observability.js';
import { simulatedVenue } from './wiring.js';

const metadata = z.object({ orderId: z.string().min(1), eventId: z.string().optional() });
const changes = z.object({
  qty: z.string().optional(),
  limitPrice: z.string().optional(),
  stopPrice: z.string().optional(),
  trailPrice: z.string().optional(),
  trailPercent: z.string().optional(),
  timeInForce: z.enum(TIMES_IN_FORCE).optional(),
  clientOrderId: z.string().optional(),
});

const eventSchema = z.discriminatedUnion('detail-type', [
  z.object({
    'detail-type': z.literal('OrderCancelRequested'),
    detail: z.object({ metadata, data: z.object({ requestedBy: z.string() }) }),
  }),
  z.object({
    'detail-type': z.literal('OrderReplaceRequested'),
    detail: z.object({ metadata, data: z.object({ replacementOrderId: z.string().min(1), changes }) }),
  }),
  z.object({ 'detail-type': z.literal('OrderExpired'), detail: z.object({ metadata }) }),
]);

export async function forwardToVenue(event: EventBridgeEvent<string, unknown>): Promise<void> {
  const e = eventSchema.parse(event);
  const { orderId } = e.detail.metadata;
  const venue = simulatedVenue();
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

export const handler = middy(forwardToVenue).use(injectLambdaContext(logger));
