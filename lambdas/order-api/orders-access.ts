/** Reading one order for a principal: from the event store (consistent), only if it is the account's. */
import type { OrderState } from '../core/index.js';
import { type EventStore, eventStore, type StoredEvent } from '../event-store/event-store.js';
import { hasLoneSurrogate } from './http.js';

/** The one event-store factory (event-store layer), re-exported for this folder's handlers. */
export { eventStore };

export interface OwnedOrder {
  readonly state: OrderState;
  readonly events: readonly StoredEvent[];
}

/** The order, or null when it does not exist or belongs to another account (both are 404). */
export async function loadOwnedOrder(
  store: EventStore,
  orderId: string,
  accountId: string,
): Promise<OwnedOrder | null> {
  const { state, events } = await store.loadState(orderId);
  if (state === undefined || state.accountId !== accountId) return null;
  return { state, events };
}

/**
 * Order ids are UUIDs here, but any id a client sends is looked up; only absurd ones are skipped
 * (empty, over 128 characters, or not valid Unicode, which DynamoDB cannot take as a key).
 */
export function plausibleOrderId(id: string | undefined): id is string {
  return id !== undefined && id.length > 0 && id.length <= 128 && !hasLoneSurrogate(id);
}
