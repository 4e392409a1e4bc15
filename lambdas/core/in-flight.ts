/**
 * An acknowledged cancel or replace is never lost (issue 16): what to do with a request that has
 * been outstanding longer than `IN_FLIGHT_THRESHOLD_MS`, from the order's state and the venue's
 * answer to a status query (FIX OrderStatusRequest). Pure: the broker gateway's in-flight check
 * (lambdas/broker-gateway/check-in-flight-requests.ts) asks the venue and carries it out.
 *
 * A request is lost when the message that carries it to the venue is (a queue or a process gone,
 * a delivery dead-lettered), or when the venue's answer is. The venue is the authority on what it
 * holds, so:
 * - it still holds the order open: the request never reached it, or it refused it silently: send
 *   it again (cancels and replaces are idempotent at the venue, keyed by ClOrdID);
 * - it has closed the order as asked (canceled, replaced) or on its own (expired): its answer was
 *   lost: apply that answer, as the report would have been applied;
 * - anything the OMS cannot settle safely on its own is a break for an operator: the venue never
 *   heard of an order the OMS thinks it accepted (`MISSING_AT_VENUE`), the venue has executed more
 *   than the OMS applied (`MISSED_FILL`: the fills must come first, and a status answer carries no
 *   execution ids) or less (`FILLED_QTY_MISMATCH`), or a status that does not answer the request
 *   (`STATUS_MISMATCH`: filled, rejected, or replaced while only a cancel was asked).
 * Orders without a venue order are left alone: an algorithmic or split parent (its children carry
 * their own requests), a stop the OMS holds (its cancel closes it at once), an order still
 * pending_new (the workflow owns it; the stalled-workflow sweeper restarts a lost one).
 */
import { type Nanos, parseNanos } from './decimal.js';
import { isSettled, type OrderState } from './order.js';

/** How long a cancel or replace may be outstanding before the venue is asked about it. */
export const IN_FLIGHT_THRESHOLD_MS = 15_000;

/** A venue's answer to a status query, as far as this rule reads it (null: it never heard of it). */
export interface VenueStatusAnswer {
  readonly status: 'open' | 'filled' | 'canceled' | 'replaced' | 'rejected' | 'expired' | 'unknown';
  /** FIX CumQty at the venue (the replace chain's, like the OMS's `filledQty`). */
  readonly filledQty: string;
}

export type InFlightBreak = 'MISSING_AT_VENUE' | 'MISSED_FILL' | 'FILLED_QTY_MISMATCH' | 'STATUS_MISMATCH';

export type InFlightResolution =
  /** Nothing outstanding, or not the venue's to answer. */
  | { readonly kind: 'none' }
  /** Outstanding for less than the threshold: the normal path may still answer it. */
  | { readonly kind: 'wait'; readonly ageMs: number }
  /** The venue still holds the order open: send the request again. */
  | { readonly kind: 'resend'; readonly request: 'cancel' | 'replace'; readonly ageMs: number }
  /** The venue has answered and the OMS missed it: apply that answer (an execution report's exec type). */
  | { readonly kind: 'apply'; readonly execType: 'canceled' | 'replaced' | 'expired'; readonly ageMs: number }
  /** Not safe to settle here: an operator's (or the reconciler's) to resolve. */
  | { readonly kind: 'break'; readonly type: InFlightBreak; readonly detail: string; readonly ageMs: number };

/** Whether the order has a cancel or replace outstanding that the venue should answer. */
export function hasRequestInFlight(state: OrderState): boolean {
  if (isSettled(state) || state.algo !== null) return false;
  if (state.armedFor !== null && !state.triggered) return false;
  return state.cancelRequest !== 'none' || state.replaceRequest !== null;
}

/** How long the outstanding request has been in flight at `now`; null when none is. */
export function requestAgeMs(state: OrderState, now: number): number | null {
  if (!hasRequestInFlight(state)) return null;
  const at = state.requestedAt === undefined ? Number.NaN : Date.parse(state.requestedAt);
  // An order stream recorded before `requestedAt` existed: its last change stands for it.
  const since = Number.isFinite(at) ? at : Date.parse(state.updatedAt);
  return Math.max(0, now - since);
}

const qty = (text: string): Nanos | null => {
  const v = parseNanos(text);
  return typeof v === 'bigint' ? v : null;
};

/** What to do with the order's outstanding request (see the module comment for every rule). */
export function inFlightResolutionOf(
  state: OrderState,
  venue: VenueStatusAnswer | null,
  now: number,
  thresholdMs: number = IN_FLIGHT_THRESHOLD_MS,
): InFlightResolution {
  const ageMs = requestAgeMs(state, now);
  if (ageMs === null || state.phase === 'pending_new') return { kind: 'none' };
  if (ageMs < thresholdMs) return { kind: 'wait', ageMs };
  const asked = state.cancelRequest !== 'none' ? 'cancel' : 'replace';
  const broken = (type: InFlightBreak, detail: string): InFlightResolution => ({
    kind: 'break',
    type,
    detail,
    ageMs,
  });
  if (venue === null || venue.status === 'unknown')
    return broken(
      'MISSING_AT_VENUE',
      `the venue does not know the order the OMS has working (${asked} outstanding)`,
    );
  const atVenue = qty(venue.filledQty);
  if (atVenue === null)
    return broken('STATUS_MISMATCH', `the venue's filled qty is unreadable: ${venue.filledQty}`);
  if (atVenue > state.filledQty)
    return broken('MISSED_FILL', `the venue has filled ${venue.filledQty}, the OMS has applied less`);
  if (atVenue < state.filledQty)
    return broken('FILLED_QTY_MISMATCH', `the venue has filled ${venue.filledQty}, the OMS has applied more`);
  switch (venue.status) {
    case 'open':
      return { kind: 'resend', request: asked, ageMs };
    case 'canceled':
      return { kind: 'apply', execType: 'canceled', ageMs };
    case 'expired':
      return { kind: 'apply', execType: 'expired', ageMs };
    case 'replaced':
      return state.replaceRequest !== null
        ? { kind: 'apply', execType: 'replaced', ageMs }
        : broken('STATUS_MISMATCH', 'the venue replaced the order; the OMS asked only to cancel it');
    case 'filled':
    case 'rejected':
      return broken(
        'STATUS_MISMATCH',
        `the venue shows the order ${venue.status} with a ${asked} outstanding`,
      );
  }
}
