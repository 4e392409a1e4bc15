export { isSettled };

/**
 * Lifecycle milestones the order's workflow waits for. Pure: decided from replayed states only.
 *
 * An order is settled when nothing more will happen to it at the venue: its status is terminal
 * (filled, canceled, expired, rejected, replaced), or it is a day order done for the day (its
 * leaves went to 0, FIX D2; a GTC order done for the day works again next session). The closing
 * milestone is the event that takes the order from unsettled (or not yet existing) to settled;
 * there is at most one per order, since nothing moves a settled order back.
 */
import {
  evolve,
  isSettled,
  isTriggeredHeldForGroup,
  type OrderEvent,
  type OrderState,
  type OrderStatus,
  statusOf,
} from '../core/index.js';

export interface ClosingMilestone {
  readonly orderId: string;
  readonly seq: number;
  readonly status: OrderStatus;
}

/**
 * The closing milestone among `events` (the order's stream from seq 1, in order; or from
 * `initial`'s next seq on, `initial` being the fold of what came before), if any:
 * `{orderId, seq, status}` of the event that settled the order.
 */
export function closingMilestone(
  events: readonly OrderEvent[],
  initial?: OrderState,
): ClosingMilestone | null {
  let state: OrderState | undefined = initial;
  for (const e of events) {
    const before = state;
    state = evolve(state, e);
    if (isSettled(state) && (before === undefined || !isSettled(before))) {
      return { orderId: state.orderId, seq: state.seq, status: statusOf(state) };
    }
  }
  return null;
}

/**
 * The trigger of a stop the OMS held (`OrderTriggered` taking an `armed` order to pending_new; a
 * group's stop-loss, held on after its trigger until its sibling exits closed, gets there by its
 * `OrderActivated`), among `events` (the order's stream from seq 1, in order; or after `initial`,
 * as above), if any: the workflow's `Hold until triggered` waits for it, then sends the order to
 * the venue. At most one per order.
 */
export function heldTriggerFired(
  events: readonly OrderEvent[],
  initial?: OrderState,
): ClosingMilestone | null {
  let state: OrderState | undefined = initial;
  for (const e of events) {
    const before = state;
    state = evolve(state, e);
    const released =
      (e.type === 'OrderTriggered' && before?.phase === 'armed' && state.phase === 'pending_new') ||
      (e.type === 'OrderActivated' && before !== undefined && isTriggeredHeldForGroup(before));
    if (released) {
      return { orderId: state.orderId, seq: state.seq, status: statusOf(state) };
    }
  }
  return null;
}
