/**
 * The orders an account placed in the last minute, read consistently: the open listing is the read
 * model's index, a stream hop (and a GSI's lag) behind the placing transaction, so a cancel-all
 * sent a moment after an order was placed did not list it and left it live (the worst outcome of
 * a cancel). The placing transaction adds the order's id to the account's rate window of that
 * second (IDEMPOTENCY_TABLE `rate#<accountId>#<epochSecond>`, attribute `placed`, a string set:
 * the same item as the submit-rate slot, so no request is added; an account without a rate limit
 * writes it on its own), and whoever must see every open order (cancel-all, the kill switch, a
 * halt, close-all) adds the ids of the windows of the last `RECENT_PLACEMENTS_SECONDS` to the
 * listing's (`recentlyPlacedIds`), then reads what they are now (recent-views.ts `recentOpenViews`).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type AlpacaOrder, alpacaOrderFromStored, isOpen, toAlpacaOrder } from '../core/index.js';
import type { EventStore, TransactItem } from '../event-store/event-store.js';
import { batchGetItems } from '../platform/batch-get.js';
import { rateWindowId } from './claims.js';

/**
 * How many replacements a read of the last minute's orders follows from a replaced one (the
 * listing's, cancel-all's): a PATCH chain of that minute is shorter.
 */
export const REPLACEMENT_HOPS = 5;

/** How far back the windows are read: longer than the read model ever lags the placing transaction. */
export const RECENT_PLACEMENTS_SECONDS = 60;
/** A window is kept longer than it is read (DynamoDB deletes expired items late, never early). */
export const RATE_WINDOW_TTL_SECONDS = 2 * RECENT_PLACEMENTS_SECONDS;
/** One second more than now: the writer's clock may run ahead of the reader's. */
const CLOCK_SKEW_SECONDS = 1;

/**
 * The window's update as the placing transaction makes it: the ids of the order (and its group's
 * members) added to `placed`, one to `count`; with a rate `limit`, conditional on `count` being
 * below it (else the transaction fails: rate limited).
 */
export function rateWindowUpdate(
  table: string,
  accountId: string,
  orderIds: readonly string[],
  now: number,
  limit: number | null,
): NonNullable<TransactItem['Update']> {
  return windowUpdate(table, accountId, orderIds, now, true, limit);
}

/**
 * The window's update: the ids added to `placed`, `count` raised by one if `counted` (else created
 * at 0 if absent).
 */
function windowUpdate(
  table: string,
  accountId: string,
  orderIds: readonly string[],
  now: number,
  counted: boolean,
  limit: number | null,
): NonNullable<TransactItem['Update']> {
  const by = counted ? ':one' : ':zero';
  return {
    TableName: table,
    Key: { id: rateWindowId(accountId, Math.floor(now / 1000)) },
    UpdateExpression: `ADD #count ${by}, #placed :placed SET expiresAt = if_not_exists(expiresAt, :expiresAt)`,
    ...(limit === null ? {} : { ConditionExpression: 'attribute_not_exists(id) OR #count < :limit' }),
    ExpressionAttributeNames: { '#count': 'count', '#placed': 'placed' },
    ExpressionAttributeValues: {
      [by]: counted ? 1 : 0,
      ':placed': new Set(orderIds),
      ':expiresAt': Math.floor(now / 1000) + RATE_WINDOW_TTL_SECONDS,
      ...(limit === null ? {} : { ':limit': limit }),
    },
  };
}

/**
 * The window's update for an order that opens without a placement (a PATCH's replacement, which
 * the venue opens later): its id added to `placed`, `count` created at 0 if absent (a placement
 * of the same second then finds the count its rate limit compares) and not raised.
 */
export function recentPlacementUpdate(
  table: string,
  accountId: string,
  orderIds: readonly string[],
  now: number,
): NonNullable<TransactItem['Update']> {
  return windowUpdate(table, accountId, orderIds, now, false, null);
}

/** The ids of the orders the account placed from `RECENT_PLACEMENTS_SECONDS` before `now` (consistent). */
export async function recentlyPlacedIds(
  doc: DynamoDBDocumentClient,
  table: string,
  accountId: string,
  now: number,
): Promise<string[]> {
  const second = Math.floor(now / 1000);
  const keys = Array.from({ length: RECENT_PLACEMENTS_SECONDS + 1 + CLOCK_SKEW_SECONDS }, (_, i) => ({
    id: rateWindowId(accountId, second - RECENT_PLACEMENTS_SECONDS + i),
  }));
  const items = await batchGetItems(doc, table, keys, { consistent: true, projection: 'placed' });
  const ids = new Set<string>();
  for (const item of items) for (const id of (item.placed as Set<string> | undefined) ?? []) ids.add(id);
  return [...ids];
}

/**
 * Of views (`orderId`, `version`: the seq of the last event the projector applied), those whose
 * order has an event after it: a stream hop behind (a cancel or a fill GET /v2/orders/{id} already
 * shows). One BatchGetItem of each order's next event key (consistent), not a Query per order.
 */
export async function viewsBehind(
  doc: DynamoDBDocumentClient,
  store: EventStore,
  views: readonly { readonly orderId: string; readonly version: number }[],
): Promise<Set<string>> {
  if (views.length === 0) return new Set();
  const next = await batchGetItems(
    doc,
    store.tableName,
    views.map((v) => ({ orderId: v.orderId, seq: v.version + 1 })),
    { consistent: true, projection: 'orderId' },
  );
  return new Set(next.map((i) => String(i.orderId)));
}

/** Orders read from the event store at once (`ordersAsTheyAreNow`). */
const STORE_READS_AT_ONCE = 10;

/** An order's state and events, as the event store has them (`EventStore.loadState`). */
export type LoadedOrder = Awaited<ReturnType<EventStore['loadState']>>;

/** How a caller reads the views: what it needs of each, and which views may still change. */
export interface ViewRead {
  /** Attributes besides `orderId` and `version` (both always read). */
  readonly projection?: readonly string[];
  /** A view that may be a stream hop behind its events (an open one): checked with `viewsBehind`. */
  readonly mayBeBehind: (view: Record<string, unknown>) => boolean;
}

/**
 * `orderIds` as they are now (read-your-writes): each order's view read consistently, kept when it
 * is final or has no event after its version (`settled`); the orders without a view yet, or whose
 * view is behind its events, read from the event store (`loaded`, 10 at a time). A view is read
 * from the event store only when an event follows it: a listing polled in a loop would otherwise
 * read the event store once per recent order.
 */
export async function ordersAsTheyAreNow(
  doc: DynamoDBDocumentClient,
  tables: { readonly orders: string; readonly store: EventStore },
  orderIds: readonly string[],
  read: ViewRead,
): Promise<{ settled: Map<string, Record<string, unknown>>; loaded: LoadedOrder[] }> {
  const ids = [...new Set(orderIds)];
  if (ids.length === 0) return { settled: new Map(), loaded: [] };
  const attributes = ['orderId', 'version', ...(read.projection ?? [])];
  const names = Object.fromEntries(attributes.map((a, i) => [`#a${i}`, a]));
  const items = await batchGetItems(
    doc,
    tables.orders,
    ids.map((orderId) => ({ orderId })),
    { consistent: true, projection: Object.keys(names).join(', '), names },
  );
  const views = new Map(items.map((i) => [String(i.orderId), i]));
  const behind = await viewsBehind(
    doc,
    tables.store,
    items
      .filter(read.mayBeBehind)
      .map((i) => ({ orderId: String(i.orderId), version: Number(i.version ?? 0) })),
  );
  const settled = new Map<string, Record<string, unknown>>();
  const unsettled: string[] = [];
  for (const id of ids) {
    const view = views.get(id);
    if (view !== undefined && !behind.has(id)) settled.set(id, view);
    else unsettled.push(id);
  }
  const loaded: LoadedOrder[] = [];
  for (let i = 0; i < unsettled.length; i += STORE_READS_AT_ONCE) {
    loaded.push(
      ...(await Promise.all(
        unsettled.slice(i, i + STORE_READS_AT_ONCE).map((id) => tables.store.loadState(id)),
      )),
    );
  }
  return { settled, loaded };
}

/** The Alpaca order a view's `order` document holds. */
export const storedOrderOf = (view: Record<string, unknown>): AlpacaOrder =>
  alpacaOrderFromStored(view.order as Partial<AlpacaOrder>);

/**
 * `orderIds` of `accountId` as Alpaca orders (`ordersAsTheyAreNow` of their documents; an order of
 * another account is left out). `latest`: an open view an event follows is read from the event
 * store; else every view is taken as it is, and only the orders without one are.
 */
export async function accountOrdersNow(
  doc: DynamoDBDocumentClient,
  tables: { readonly orders: string; readonly store: EventStore },
  accountId: string,
  orderIds: readonly string[],
  latest = true,
): Promise<AlpacaOrder[]> {
  const { settled, loaded } = await ordersAsTheyAreNow(doc, tables, orderIds, {
    projection: ['order'],
    mayBeBehind: (view) => latest && isOpen(storedOrderOf(view).status),
  });
  return [
    ...[...settled.values()].map(storedOrderOf),
    ...loaded.flatMap(({ state }) =>
      state !== undefined && state.accountId === accountId ? [toAlpacaOrder(state)] : [],
    ),
  ];
}
