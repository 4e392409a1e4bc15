/**
 * Workflow task `Submit and await outcome` (`.waitForTaskToken`): input `{orderId, venue,
 * taskToken, outcomeTimeoutSeconds, next}`, output `{orderId, venue, submitted}` (the workflow waits for
 * the token, not for this output). The token is stored FIRST (`awaits: outcome`, where the
 * signaller finds it on the closing milestone: lambdas/orders/task-tokens.ts), so no milestone of
 * the order can pass the signaller before it. Then the order is loaded from the event store and
 * submitted to the venue (idempotent: a retried task does not book it twice). An order that
 * closed before submission (canceled or rejected while its checks ran) is not sent: `submitted:
 * false` with its status, and the task releases its own token with that status.
 * `next: await` (`Accept order`'s decision for a replacement, which the replace opened at its
 * venue already, or an order that closed meanwhile): nothing is sent; the task only waits, and
 * releases its own token at once when the order is settled (as `Await outcome` does). One state
 * serves both, so a replacement enters 2 states, as a new order does (issue 12).
 * Without a token (a direct call) it only submits.
 */

import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import * as z from 'zod/mini';
import {
  evolve,
  isClosedPhase,
  isSettled,
  type OrderState,
  type OrderSubmitted,
  statusOf,
} from '../core/index.js';
import { catchAs, parseOrThrow } from '../core/zod-messages.js';
import { routeToVenues, routingDeps } from '../orders/order-routing.js';
import { releaseOwnToken, storeTaskToken } from '../orders/task-tokens.js';
import { OrderNotFound } from '../orders/workflow-task.js';
import { marketData } from '../platform/market-data.js';
import { logger } from '../platform/observability.js';
import { withTransientErrors } from '../platform/transient-errors.js';
import type { Venue } from './venue.js';
import { venueOrderOf } from './venue.js';
import { eventStore, recordVenueFailure, UnknownVenue, venueFor } from './wiring.js';

const inputSchema = z.object({
  orderId: z.string().check(z.minLength(1)),
  // Null: the order is at no venue of its own (a split order: its children are).
  venue: z.optional(z.nullable(z.string().check(z.minLength(1)))),
  taskToken: z.optional(z.string().check(z.minLength(1))),
  outcomeTimeoutSeconds: z.optional(z.number().check(z.int(), z.positive())),
  // `Accept order`'s decision: absent (a direct call) means submit.
  next: z.optional(z.enum(['submit', 'await'])),
  // The execution input (`$$.Execution.Input`, lambdas/orders/workflow-start.ts): its `submitted`
  // is the order's OrderSubmitted (its `acceptedAgainst.routingPolicy` the account's routing policy;
  // absent, or unreadable: the default). Parsed loosely: the event is the OMS's own.
  execution: z.optional(
    z.looseObject({
      submitted: z.optional(
        z.looseObject({
          type: z.literal('OrderSubmitted'),
          orderId: z.string().check(z.minLength(1)),
          seq: z.literal(1),
          occurredAt: z.string(),
          data: z.looseObject({
            acceptedAgainst: z.optional(
              z.looseObject({ routingPolicy: z.optional(catchAs(z.string(), '')) }),
            ),
          }),
        }),
      ),
    }),
  ),
});

/** A workflow task error by name (`UnknownVenue`); an absent order is the shared `OrderNotFound`. */
export class VenueTaskError extends Error {
  constructor(name: 'UnknownVenue', message: string) {
    super(message);
    this.name = name;
  }
}

export interface SubmitResult {
  readonly orderId: string;
  /** The venue it went to (null: at no venue of its own, a split order). */
  readonly venue: string | null;
  readonly submitted: boolean;
  readonly status?: string;
}

function gatewayOf(name: string | undefined): Venue {
  try {
    return venueFor(name);
  } catch (err) {
    if (err instanceof UnknownVenue) throw new VenueTaskError('UnknownVenue', err.message);
    throw err;
  }
}

export async function submitToVenue(input: unknown): Promise<SubmitResult> {
  const {
    orderId,
    venue: requested,
    taskToken,
    outcomeTimeoutSeconds,
    next,
    execution,
  } = parseOrThrow(inputSchema, input);
  const carried = execution?.submitted as OrderSubmitted | undefined;
  const routingPolicy = carried?.data.acceptedAgainst?.routingPolicy || undefined;
  // A venue named in the input must exist here (a routing or configuration error fails loudly).
  if (requested !== undefined && requested !== null) gatewayOf(requested);
  if (taskToken !== undefined) {
    await storeTaskToken(orderId, taskToken, 'outcome', outcomeTimeoutSeconds, Date.now());
  }
  // A plain new order is routed from the OrderSubmitted its execution carries (issue 12: no read of
  // the event store). Safe when stale: the routing decision is appended only while the order is
  // still at that event (seq 1; the token was stored before), so an order canceled, rejected or
  // routed since makes the router load it and decide on what it is now. Any other order is loaded.
  const fromInput =
    taskToken !== undefined &&
    next !== 'await' &&
    carried !== undefined &&
    carried.orderId === orderId &&
    carried.data.replaces === null &&
    carried.data.contingency === undefined &&
    carried.data.routedTo === undefined;
  const loaded = fromInput ? { state: evolve(undefined, carried) } : await eventStore().loadState(orderId);
  let state = loaded.state;
  if (state === undefined) throw new OrderNotFound(orderId);
  // Not routed yet (and not a child or replacement, which go where `routedTo` says): the smart
  // order router decides now, and records it (lambdas/orders/order-routing.ts).
  if (
    next !== 'await' &&
    !isClosedPhase(state) &&
    (state.routing?.split === true || (state.routing === null && state.venue === null))
  ) {
    // A retried task of a split order finds it split: its children were placed, nothing to send.
    const routed =
      state.routing?.split === true
        ? ({ kind: 'split' } as const)
        : await routeToVenues(routingDeps(eventStore(), marketData()), orderId, routingPolicy, loaded);
    if (routed.kind !== 'direct') {
      // Split (its children go to their venues) or rejected (no venue could take it): nothing
      // to send; a settled order releases its own token, a split parent awaits its outcome.
      state = (await eventStore().loadState(orderId)).state as OrderState;
      if (!isSettled(state)) return { orderId, venue: null, submitted: false };
      const status = statusOf(state);
      if (taskToken !== undefined)
        await releaseOwnToken(orderId, taskToken, { orderId, status, seq: state.seq });
      return { orderId, venue: null, submitted: false, status };
    }
    state = { ...routed.state, venue: routed.venue };
  }
  // Where the order works: its routing decision (or `routedTo`), else the input's venue.
  const at = state.venue ?? requested ?? null;
  if (next === 'await') {
    // At its venue already: only the wait. Settled meanwhile: released here, nothing else will.
    if (!isSettled(state)) return { orderId, venue: at, submitted: false };
    const status = statusOf(state);
    if (taskToken !== undefined)
      await releaseOwnToken(orderId, taskToken, { orderId, status, seq: state.seq });
    return { orderId, venue: at, submitted: false, status };
  }
  if (isClosedPhase(state)) {
    const status = statusOf(state);
    logger.info('order closed before submission; not sent', { orderId, status });
    if (taskToken !== undefined)
      await releaseOwnToken(orderId, taskToken, { orderId, status, seq: state.seq });
    return { orderId, venue: at, submitted: false, status };
  }
  const venue = gatewayOf(at ?? undefined);
  try {
    await venue.submit(venueOrderOf(state));
  } catch (err) {
    // The router skips a venue that failed recently (its health item); the workflow retries.
    await recordVenueFailure(venue.name, new Date().toISOString()).catch((e: unknown) =>
      logger.warn('could not record the venue failure', { venue: venue.name, error: e as Error }),
    );
    throw err;
  }
  return { orderId, venue: venue.name, submitted: true };
}

// Transient failures (throttling, a busy venue book, an unpublished report) reach the workflow as
// `TransientError`, which its Retry covers.
export const handler = middy(withTransientErrors(submitToVenue)).use(injectLambdaContext(logger));
