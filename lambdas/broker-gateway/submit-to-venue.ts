/**
 * Workflow task `Submit to venue`: input `{orderId, venue}`, output `{orderId, venue, submitted}`.
 * Loads the order from the event store and submits it to the venue (idempotent: a retried task
 * does not book it twice). An order that closed before submission (canceled or rejected while its
 * checks ran) is not sent: `submitted: false` with its status.
 */

import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { z } from 'zod';
import { isClosedPhase, statusOf } from '../core/index.js';
import { OrderNotFound } from '../orders/workflow-task.js';
import { logger } from '../platform/observability.js';
import { withTransientErrors } from '../platform/transient-errors.js';
import type { Venue } from './venue.js';
import { venueOrderOf } from './venue.js';
import { eventStore, UnknownVenue, venueFor } from './wiring.js';

const inputSchema = z.object({ orderId: z.string().min(1), venue: z.string().min(1).optional() });

/** A workflow task error by name (`UnknownVenue`); an absent order is the shared `OrderNotFound`. */
export class VenueTaskError extends Error {
  constructor(name: 'UnknownVenue', message: string) {
    super(message);
    this.name = name;
  }
}

export interface SubmitResult {
  readonly orderId: string;
  readonly venue: string;
  readonly submitted: boolean;
  readonly status?: string;
}

export async function submitToVenue(input: unknown): Promise<SubmitResult> {
  const { orderId, venue: requested } = inputSchema.parse(input);
  let venue: Venue;
  try {
    venue = venueFor(requested);
  } catch (err) {
    if (err instanceof UnknownVenue) throw new VenueTaskError('UnknownVenue', err.message);
    throw err;
  }
  const { state } = await eventStore().loadState(orderId);
  if (state === undefined) throw new OrderNotFound(orderId);
  if (isClosedPhase(state)) {
    logger.info('order closed before submission; not sent', { orderId, status: statusOf(state) });
    return { orderId, venue: venue.name, submitted: false, status: statusOf(state) };
  }
  await venue.submit(venueOrderOf(state));
  return { orderId, venue: venue.name, submitted: true };
}

// Transient failures (throttling, a busy venue book, an unpublished report) reach the workflow as
// `TransientError`, which its Retry covers.
export const handler = middy(withTransientErrors(submitToVenue)).use(injectLambdaContext(logger));
