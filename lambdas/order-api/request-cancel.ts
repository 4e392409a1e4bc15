/**
 * One order's cancel request, as the single-order DELETE, the cancel-all worker and the position
 * close ask it: a module of its own (no handler, no bus client), so a function that cancels one
 * order does not carry cancel-all's fan-out.
 */
import { setTimeout as sleepFor } from 'node:timers/promises';
import { type OrderState, type Refusal, type RefusalCode, toAlpacaOrder } from '../core/index.js';
import { type EventStore, runCommand } from '../event-store/event-store.js';
import { cancelRestOfExitGroup } from '../orders/contingent-groups.js';
import { logger } from '../platform/observability.js';
import { API_ERROR } from './api-response.js';
import { loadOwnedOrder } from './orders-access.js';
import type { Principal } from './principal.js';

/** A refusal's message without the command prefix the core puts on it ("requestCancel: ..."). */
export function reasonOf(refusal: Refusal): string {
  return refusal.message.replace(/^[A-Za-z]+: /, '');
}

export type CancelOutcome =
  | { readonly status: 200; readonly body: unknown }
  | { readonly status: 404; readonly body: { code: number; message: string } }
  | {
      readonly status: 422;
      readonly body: { code: number; message: string };
      /** Why the core refused, and the state it decided on (a replaced order's `replacedBy`). */
      readonly refusal: RefusalCode;
      readonly state: OrderState;
    };

/**
 * Asks for the cancel of one order of the principal's account: 404 when it is not theirs, 422 when
 * the core refuses it. The single-order route and the cancel-all worker both call it.
 */
export async function requestCancel(
  store: EventStore,
  orderId: string,
  principal: Pick<Principal, 'accountId' | 'principalId'>,
  requestId: string,
  /** Called right before the cancel is appended; throwing stops it (DELETE /v2/orders/{order_id}: platform/write-deadline.ts). */
  beforeWrite?: () => void,
): Promise<CancelOutcome> {
  const owned = await loadOwnedOrder(store, orderId, principal.accountId);
  if (owned === null) return { status: 404, body: { code: API_ERROR.notFound, message: 'order not found' } };
  beforeWrite?.();
  const meta = (s: OrderState) => ({
    accountId: s.accountId,
    correlationId: requestId,
    causationId: requestId,
  });
  const result = await runCommand(
    store,
    orderId,
    { type: 'requestCancel', requestedBy: principal.principalId },
    meta,
    Date.now,
    8,
    // Decided on the state just read (a concurrent append makes it reload): one read, not two.
    { state: owned.state },
  );
  if (!result.decision.ok) {
    const message = `order is not cancelable: ${reasonOf(result.decision.refusal)}`;
    return {
      status: 422,
      body: { code: API_ERROR.unprocessable, message },
      refusal: result.decision.refusal.code,
      state: result.state ?? owned.state,
    };
  }
  if (result.state?.contingency) {
    // An exit of an OCO or bracket: the rest of its exit group is canceled with it, now. The group
    // coordinator does the same from the stream, so a failure here leaves nothing live.
    try {
      await cancelRestOfExitGroup(store, result.state, meta, Date.now);
    } catch (err) {
      logger.warn('exit group cancel left to the group coordinator', { orderId, error: err as Error });
    }
  }
  return { status: 200, body: result.state === undefined ? null : toAlpacaOrder(result.state) };
}

/** How many replaces in a row a cancel follows (a chain longer than this is retried later). */
const MAX_REPLACE_HOPS = 8;

export type LiveOrderCancelOutcome =
  /** The cancel of `orderId` (the order asked for, or the replacement that now works it) is asked. */
  | { readonly kind: 'cancel_requested'; readonly orderId: string }
  /** Closed (filled, canceled, expired...) or a cancel already outstanding: nothing left to do. */
  | { readonly kind: 'not_cancelable'; readonly orderId: string; readonly reason: string }
  /** Not an order of the account. */
  | { readonly kind: 'not_found' }
  /**
   * A replace of `orderId` awaits the venue: the order cannot be canceled until the venue answers
   * (then either it is live again, or its replacement is): ask again shortly.
   */
  | { readonly kind: 'replace_outstanding'; readonly orderId: string };

/**
 * Cancels whatever order now works what `orderId` asked for: the order itself, or, when a PATCH
 * replaced it, its replacement (and so on down a chain of replaces). A cancel-all or a close with
 * `cancel_orders` reads its list of open orders from the read model, which can still show an order
 * its replace has just closed: canceling only that order would leave the replacement live.
 * A replace still awaiting the venue is asked again after each of `waits` (ms): the venue either
 * confirms the replace, and the replacement is canceled then, or refuses it, and the order is
 * canceled itself. Still awaiting after the last wait: `replace_outstanding` (the caller's to retry).
 */
export async function requestCancelOfLiveOrder(
  store: EventStore,
  orderId: string,
  principal: Pick<Principal, 'accountId' | 'principalId'>,
  requestId: string,
  waits: readonly number[] = [],
): Promise<LiveOrderCancelOutcome> {
  for (let attempt = 0; ; attempt++) {
    const chain = await cancelAlongReplaces(store, orderId, principal, requestId);
    const { outcome, orderId: id } = chain;
    if (outcome.status === 200) return { kind: 'cancel_requested', orderId: id };
    if (outcome.status === 404 && chain.hops === 0) return { kind: 'not_found' };
    const wait = waits[attempt];
    if (!awaitsReplace(chain))
      return { kind: 'not_cancelable', orderId: id, reason: (outcome.body as { message: string }).message };
    if (wait === undefined) return { kind: 'replace_outstanding', orderId: id };
    await sleepFor(wait);
  }
}

/** A cancel asked along a chain of replaces: the last order asked, and what came of it. */
export interface ChainCancel {
  readonly orderId: string;
  readonly outcome: CancelOutcome;
  readonly hops: number;
  /** The chain goes on past the hops followed (its end is asked again later). */
  readonly exhausted: boolean;
}

/** A replaced order's next in the chain: any replacement (a PATCH's or the OMS's own resize). */
const anyReplace = (s: OrderState) => s.phase === 'replaced' && s.replacedBy !== null;

/**
 * Asks the cancel of `orderId`, then of each replacement that `follow` says works on after the
 * order asked (default: any), at most MAX_REPLACE_HOPS orders in all.
 */
export async function cancelAlongReplaces(
  store: EventStore,
  orderId: string,
  principal: Pick<Principal, 'accountId' | 'principalId'>,
  requestId: string,
  options: { readonly follow?: (s: OrderState) => boolean; readonly beforeWrite?: () => void } = {},
): Promise<ChainCancel> {
  const follow = options.follow ?? anyReplace;
  let id = orderId;
  for (let hop = 0; ; hop++) {
    const outcome = await requestCancel(store, id, principal, requestId, options.beforeWrite);
    const next = outcome.status === 422 && follow(outcome.state) ? outcome.state.replacedBy : null;
    if (next === null || hop + 1 >= MAX_REPLACE_HOPS)
      return { orderId: id, outcome, hops: hop, exhausted: next !== null };
    id = next;
  }
}

/**
 * The venue has not answered a replace yet: the last order asked is a replacement confirmed a
 * moment ago and not opened yet, or has a replace outstanding, or the chain goes on past the hops.
 */
export function awaitsReplace(c: ChainCancel): boolean {
  const o = c.outcome;
  return (
    (o.status === 404 && c.hops > 0) ||
    (o.status === 422 && o.refusal === 'request_pending' && o.state.replaceRequest !== null) ||
    c.exhausted
  );
}
