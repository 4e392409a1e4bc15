/**
 * `CancelAtVenueRequested` (source `stockbot.oms.gateway`): the execution report applier asks the
 * forward-to-venue consumer to cancel, at the venue that reported it, an order the OMS has closed
 * that a late report shows live there (a submission the venue booked after its cancel's
 * `unknown_order`, or after an expiry). The applier reaches no venue itself: it carries no venue
 * adapter and holds no venue's permissions; forward-to-venue, which sends the clients' cancels,
 * sends this one too. The cancel is idempotent at the venue, so a redelivered request is harmless;
 * one never put (the publish failed twice) is reconciliation's `STATUS_MISMATCH` repair.
 */
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import * as z from 'zod/mini';
import '../core/zod-messages.js';

/** The source of the gateway's own events (refused reports, venue cancels): an OMS source. */
export const GATEWAY_SOURCE = 'stockbot.oms.gateway';
export const CANCEL_AT_VENUE_REQUESTED = 'CancelAtVenueRequested';

/** Why the venue is asked: the OMS closed the order (canceled, rejected or expired). */
export const CLOSED_AT_OMS = 'closed_at_oms';

export const cancelAtVenueDetail = z.object({
  orderId: z.string().check(z.minLength(1)),
  /** The venue whose report showed the order live: the cancel goes there. */
  venue: z.string().check(z.minLength(1)),
  venueOrderId: z.optional(z.string()),
  /** The report that showed it live. */
  execId: z.string().check(z.minLength(1)),
  reason: z.literal(CLOSED_AT_OMS),
});
export type CancelAtVenueDetail = z.output<typeof cancelAtVenueDetail>;

export function cancelAtVenueEntry(busName: string, detail: CancelAtVenueDetail): PutEventsRequestEntry {
  return {
    EventBusName: busName,
    Source: GATEWAY_SOURCE,
    DetailType: CANCEL_AT_VENUE_REQUESTED,
    Detail: JSON.stringify(detail),
  };
}
