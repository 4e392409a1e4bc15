/**
 * One order's cancel request, as the single-order DELETE, the cancel-all worker and the position
 * close ask it: a module of its own (no handler, no bus client), so a function that cancels one
 * order does not carry cancel-all's fan-out.
 */
import { type OrderState, type Refusal, toAlpacaOrder } from '../core/index.js';
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
  | { readonly status: 404 | 422; readonly body: { code: number; message: string } };

/**
 * Asks for the cancel of one order of the principal's account: 404 when it is not theirs, 422 when
 * the core refuses it. The single-order route and the cancel-all worker both call it.
 */
export async function requestCancel(
  store: EventStore,
  orderId: string,
  principal: Pick<Principal, 'accountId' | 'principalId'>,
  requestId: string,
): Promise<CancelOutcome> {
  const owned = await loadOwnedOrder(store, orderId, principal.accountId);
  if (owned === null) return { status: 404, body: { code: API_ERROR.notFound, message: 'order not found' } };
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
    return { status: 422, body: { code: API_ERROR.unprocessable, message } };
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
