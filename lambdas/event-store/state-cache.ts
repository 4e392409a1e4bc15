/**
 * The latest state of recently seen orders, per execution environment, for the stream consumers
 * (issue 12: the projector and the signaller re-queried the whole order for every batch).
 *
 * A stream batch carries an order's new events; the state after them is the fold of the order's
 * whole history. When the batch starts at seq 1, or continues exactly the state remembered here
 * (remembered seq = the batch's first seq - 1), that fold needs no read: events are immutable and
 * numbered without gaps, so the remembered state plus the batch IS the replay. Anything else (a
 * gap: another environment saw the events in between; a redelivery of older events; nothing
 * remembered) answers `undefined`, and the caller reads the store as before. Bounded (oldest
 * forgotten first), so memory stays flat whatever the number of orders.
 */
import { evolve, type OrderEvent, type OrderState } from '../core/index.js';

export class OrderStateCache {
  private readonly states = new Map<string, OrderState>();

  constructor(private readonly maxOrders = 10_000) {}

  /** The state after `events` (one order's, in seq order) when it can be folded without a read. */
  stateAfter(events: readonly OrderEvent[]): OrderState | undefined {
    const first = events[0];
    if (first === undefined) return undefined;
    let state: OrderState | undefined;
    if (first.seq !== 1) {
      state = this.states.get(first.orderId);
      if (state === undefined || state.seq !== first.seq - 1) return undefined;
    }
    for (const e of events) {
      if (e.seq !== (state?.seq ?? 0) + 1) return undefined;
      state = evolve(state, e);
    }
    return state;
  }

  /** The state before `events` when they continue what is remembered (or start the order). */
  stateBefore(events: readonly OrderEvent[]): { readonly state: OrderState | undefined } | undefined {
    const first = events[0];
    if (first === undefined) return undefined;
    if (first.seq === 1) return { state: undefined };
    const state = this.states.get(first.orderId);
    return state !== undefined && state.seq === first.seq - 1 ? { state } : undefined;
  }

  /** Remembers the order's state (a newer one only: a late, older state never replaces it). */
  remember(state: OrderState): void {
    const known = this.states.get(state.orderId);
    if (known !== undefined && known.seq >= state.seq) return;
    this.states.delete(state.orderId);
    this.states.set(state.orderId, state);
    if (this.states.size > this.maxOrders) {
      const oldest = this.states.keys().next().value;
      if (oldest !== undefined) this.states.delete(oldest);
    }
  }
}
