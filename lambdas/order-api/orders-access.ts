/** Reading one order for a principal: from the event store (consistent), only if it is the account's. */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { isResizedExit, type OrderState } from '../core/index.js';
import { type EventStore, eventStore, type StoredEvent } from '../event-store/event-store.js';
import { pendingReplacementId } from '../orders/claims.js';
import { REPLACEMENT_HOPS } from '../orders/recent-placements.js';
import { ENV, requiredEnv } from '../platform/config.js';
import { dynamo } from '../platform/dynamo.js';
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
 * When `orderId` is not an order yet but the replacement a PATCH of one of the account's orders
 * reserved, still awaiting the venue (or confirmed, its opening not appended yet): that original
 * order, found through the replacement's pointer (orders/claims.ts `pendingReplacementId`); else
 * null (no pointer, another account's, or a replace the venue refused). GET shows such a
 * replacement as PATCH answered it; DELETE and PATCH on it answer 422 (it cannot be canceled or
 * replaced before it opens), not 404: it exists, and a 404 would tell a client that canceled it
 * that nothing is live.
 */
export async function replacedOriginalOf(
  store: EventStore,
  orderId: string,
  accountId: string,
): Promise<OwnedOrder | null> {
  const pointer = await dynamo.send(
    new GetCommand({
      TableName: requiredEnv(ENV.idempotencyTable),
      Key: { id: pendingReplacementId(orderId) },
      ConsistentRead: true,
    }),
  );
  const item = pointer.Item as { orderId?: string; accountId?: string } | undefined;
  if (item?.orderId === undefined || item.accountId !== accountId) return null;
  const original = await loadOwnedOrder(store, item.orderId, accountId);
  if (original === null) return null;
  const { replacedBy, replaceRequest } = original.state;
  return replacedBy === orderId || replaceRequest?.replacementOrderId === orderId ? original : null;
}

/**
 * The order that works what `owned` asked for when the OMS resized it (core `isResizedExit`): its
 * replacement, along the OMS's resizes (at most `REPLACEMENT_HOPS`); `owned` itself otherwise, or
 * when the next one has not opened yet. A replace the client asked for is not followed.
 */
export async function throughOmsResizes(
  store: EventStore,
  owned: OwnedOrder,
  accountId: string,
): Promise<OwnedOrder> {
  let current = owned;
  for (let hop = 0; hop < REPLACEMENT_HOPS && isResizedExit(current.state); hop++) {
    const next = await loadOwnedOrder(store, current.state.replacedBy as string, accountId);
    if (next === null) break;
    current = next;
  }
  return current;
}

/** The id of `replacedOriginalOf`, for the 422 of a DELETE or PATCH on the replacement. */
export async function pendingReplacementOriginal(
  store: EventStore,
  orderId: string,
  accountId: string,
): Promise<string | null> {
  return (await replacedOriginalOf(store, orderId, accountId))?.state.orderId ?? null;
}

/** 422 for a request on a replacement that has not opened yet (`pendingReplacementOriginal`). */
export function replacementNotOpenMessage(action: 'canceled' | 'replaced', originalId: string): string {
  return `order is not ${action === 'canceled' ? 'cancelable' : 'replaceable'}: it is the replacement of order ${originalId}, pending at the venue; retry once it opens`;
}

/**
 * Order ids are UUIDs here, but any id a client sends is looked up; only absurd ones are skipped
 * (empty, over 128 characters, or not valid Unicode, which DynamoDB cannot take as a key).
 */
export function plausibleOrderId(id: string | undefined): id is string {
  return id !== undefined && id.length > 0 && id.length <= 128 && !hasLoneSurrogate(id);
}
