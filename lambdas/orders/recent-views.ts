/**
 * The account's orders placed in the last minute that the open listing does not show yet, as the
 * views risk reads (risk-context.ts `View`): read as they are now (recent-placements.ts), each with
 * its group keys as the projector will write them. Without the keys, a bracket's take-profit
 * replaced a moment before (opened by the venue, not projected yet) was counted as another sell
 * holding the shares by its stop-loss's PATCH, refused `insufficient qty` (a probe repriced both
 * exits at once): a group's members hold the same shares, one or the other executes.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type AlpacaOrder, isOpen, toAlpacaOrder } from '../core/index.js';
import type { EventStore } from '../event-store/event-store.js';
import { groupKeysOf } from './order-view-item.js';
import { ordersAsTheyAreNow, recentlyPlacedIds } from './recent-placements.js';
import { type View, viewOfItem } from './risk-context.js';

export interface RecentTables {
  readonly idempotency: string;
  readonly orders: string;
  readonly store: EventStore;
}

/** Open orders of the last minute not among `listed`: views taken as they are, else the event store. */
export async function recentOpenViews(
  doc: DynamoDBDocumentClient,
  tables: RecentTables,
  accountId: string,
  listed: readonly { readonly id: string }[],
  now: number,
): Promise<View[]> {
  const listedIds = new Set(listed.map((v) => v.id));
  const recent = await recentlyPlacedIds(doc, tables.idempotency, accountId, now);
  // A view is taken as it is (the ledger, read after, has the fills of one that closed since).
  const { settled, loaded } = await ordersAsTheyAreNow(
    doc,
    tables,
    recent.filter((id) => !listedIds.has(id)),
    { projection: ['order', 'parentOrderId', 'contingencyRole', 'groupId'], mayBeBehind: () => false },
  );
  const items = [
    ...settled.values(),
    ...loaded.flatMap(({ state }) =>
      state !== undefined && state.accountId === accountId
        ? [{ order: toAlpacaOrder(state), ...groupKeysOf(state) }]
        : [],
    ),
  ];
  return items.flatMap((item) => {
    const view = viewOfItem(item);
    return view !== null && isOpen(view.status as AlpacaOrder['status']) ? [view] : [];
  });
}

/** The sells of `recentOpenViews`: what a sell replace's risk read adds (risk-context `recentSells`). */
export async function recentSellViews(
  doc: DynamoDBDocumentClient,
  tables: RecentTables,
  accountId: string,
  listed: readonly View[],
  now: number,
): Promise<View[]> {
  return (await recentOpenViews(doc, tables, accountId, listed, now)).filter((v) => v.side === 'sell');
}
