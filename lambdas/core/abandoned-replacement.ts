/**
 * The replacement a PATCH answered whose replace never happened: the venue refused it, or the
 * order filled or closed first. It never opens (no event of its own), yet its id was given out:
 * `GET /v2/orders/{id}` and the listings show it as PATCH answered it, `rejected` since the replace
 * ended (`failed_at`), `replaces` naming the order that traded. One derivation for both: the GET
 * reads it from the order's events, the projector writes it into the read model so the closed and
 * all listings have it (lambdas/orders/order-view-item.ts `rejectedReplacementViewItem`), and the
 * trade_updates stream sends it once as its `rejected` update (core trade-updates.ts
 * `rejectedReplacementUpdateOf`), after the update of the event of the order that ended the replace.
 */
import { replaceEndedWithout } from './buying-power-claims.js';
import type { OrderEvent } from './events.js';
import { evolve, isClosedPhase, isSettled, type OrderState, openReplacement, replay } from './order.js';
import { type AlpacaOrder, toAlpacaOrder } from './order-view.js';

export interface AbandonedReplacement {
  /** The replacement as PATCH answered it (`answeredReplacement` at the request). */
  readonly replacement: OrderState;
  /** When the replace ended without it: the event after which none was outstanding, or the order settled. */
  readonly endedAt: string;
}

/**
 * `replacementOrderId`'s replace, from the events of the order it was to replace: null when no
 * request of these events named it, the request is still outstanding, or the venue confirmed it.
 */
export function abandonedReplacement(
  events: readonly OrderEvent[],
  replacementOrderId: string,
): AbandonedReplacement | null {
  const at = events.findIndex(
    (e) => e.type === 'OrderReplaceRequested' && e.data.replacementOrderId === replacementOrderId,
  );
  const request = events[at];
  if (request === undefined) return null;
  let state = replay(events.slice(0, at + 1));
  const replacement = state === undefined ? null : answeredReplacement(state, Date.parse(request.occurredAt));
  if (state === undefined || replacement === null) return null;
  // The first event after which none is outstanding, or the order settled (filled or closed: the
  // venue can no longer confirm it), which may come before the venue's refusal.
  for (const e of events.slice(at + 1)) {
    state = evolve(state, e);
    if (state.replaceRequest === null || isSettled(state) || isClosedPhase(state))
      return state.replacedBy === replacementOrderId ? null : { replacement, endedAt: e.occurredAt };
  }
  return null;
}

/**
 * The replacement whose replace an event of the order ended without the order being replaced:
 * `before` (the state before the event) had a request outstanding and had not settled, and after it
 * none is outstanding or the order settled, not replaced. The trigger on which the projector writes
 * the replacement's `rejected` view and appends its `rejected` update; `abandonedReplacement` then
 * decides (null when the replacement opened after all). At most one event of an order names a given
 * replacement: after it, no request is outstanding or the order is settled.
 */
export function endedReplacementOf(before: OrderState | undefined, after: OrderState): string | null {
  const pending = before?.replaceRequest ?? null;
  if (before === undefined || pending === null) return null;
  const ended = replaceEndedWithout(
    { replaceRequest: pending, settled: isSettled(before) },
    { replaceRequest: after.replaceRequest, phase: after.phase, settled: isSettled(after) },
  );
  return ended ? pending.replacementOrderId : null;
}

/**
 * The replacement `s`'s outstanding replace request opens once the venue confirms it, as PATCH
 * answered it: core `previewPendingReplacement` (null when none is outstanding or the order has
 * settled), the venue's acknowledgement and confirmation folded in (`evolve`) rather than decided
 * (`execute`): for an outstanding request of an order not settled both are allowed, the same events,
 * and the decisions would bring the whole command model (its request schemas) into the stream
 * consumer's bundle, 36 KB over its limit.
 */
export function answeredReplacement(s: OrderState, now: number): OrderState | null {
  const request = s.replaceRequest;
  if (request === null || isSettled(s) || isClosedPhase(s)) return null;
  const occurredAt = new Date(now).toISOString();
  const next = (x: OrderState, type: OrderEvent['type'], data: object): OrderState =>
    evolve(x, { type, orderId: x.orderId, seq: x.seq + 1, occurredAt, data } as OrderEvent);
  const acknowledged = request.acknowledged ? s : next(s, 'OrderReplaceAcknowledged', {});
  const confirmed = next(acknowledged, 'OrderReplaced', { replacementOrderId: request.replacementOrderId });
  return replay(openReplacement(confirmed, now)) ?? null;
}

/** The abandoned replacement as an Alpaca order: `rejected` when the replace ended. */
export function rejectedReplacementOrder(abandoned: AbandonedReplacement): AlpacaOrder {
  const { replacement, endedAt } = abandoned;
  return { ...toAlpacaOrder(replacement), status: 'rejected', failed_at: endedAt, updated_at: endedAt };
}
