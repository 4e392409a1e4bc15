/**
 * Executions recorded on an order but not yet in the account's ledger, and the wait for them.
 *
 * GET /v2/orders/{id} reads the event store: a client sees `filled` as soon as the fill is
 * appended. The position keeper applies it to the ledger a stream hop later (before the order's
 * view shows it). A sell sent on the fill, a moment before the keeper ran, was checked against the
 * position without it: a no-short account's sell of shares it had just bought was refused
 * `short_sale` (CI saw it), a shorting account's was marked a short sale, a close answered 404.
 * Whoever answers what the positions and the account are first asks `awaitPendingExecutions`:
 * when an execution of the account is pending, it waits until the keeper applied it (its applied
 * marker, account-ledger.ts), then reads. Whoever is about to refuse or classify an order on the
 * ledger it read asks too, then reads again if the ledger moved since (`ledgerSeqOf`). An order
 * the ledger already allows reads nothing more.
 *
 * Candidates: the account's open orders (the read model's listing) and its placements of the last
 * minute (recent-placements.ts: the listing may not show them yet). A view that is closed has had
 * every fill applied (the keeper runs before the view is written), and so has an open one with no
 * event after its version (`viewsBehind`, one BatchGetItem); the others, and the orders without a
 * view yet, are read from the event store, and the applied markers of their executions of the
 * last `IN_FLIGHT_MS` looked up.
 */
import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { EventStore } from '../event-store/event-store.js';
import { batchGetItems } from '../platform/batch-get.js';
import { ENV, requiredEnv } from '../platform/config.js';
import { appliedMarkerId, isLedgerExecution, ledgerPk } from './account-ledger.js';
import { ORDERS_INDEX } from './order-view-indexes.js';
import { ordersAsTheyAreNow, recentlyPlacedIds } from './recent-placements.js';

/** How long a caller waits for the position keeper before it decides on the ledger as it is. */
export const PENDING_EXECUTIONS_WAIT_MS = 5_000;
const POLL_MS = 100;
/**
 * An execution recorded longer ago than this and still not applied is not on its way: the keeper
 * failed on it (an operator exception, its dead-letter queue), and nothing waits for it (else
 * every read of the account would wait its whole time for as long as it stays so).
 */
export const IN_FLIGHT_MS = 30_000;

export interface PendingExecutionsScope {
  /** Only orders in this symbol. */
  readonly symbol?: string;
  /** Only orders on this side (a long position grows by buys; cash by sells). */
  readonly side?: 'buy' | 'sell';
}

export interface PendingExecutionsDeps {
  readonly doc: DynamoDBDocumentClient;
  readonly store: EventStore;
  readonly tables: { readonly idempotency: string; readonly orders: string };
  readonly sleep: (ms: number) => Promise<void>;
  /** Milliseconds since the epoch, read each poll (the deadline). */
  readonly clock: () => number;
}

/** The deps of a handler: the tables from its environment, real time. */
export function pendingExecutionsDeps(doc: DynamoDBDocumentClient, store: EventStore): PendingExecutionsDeps {
  return {
    doc,
    store,
    tables: { idempotency: requiredEnv(ENV.idempotencyTable), orders: requiredEnv(ENV.ordersTable) },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    clock: Date.now,
  };
}

/**
 * `none`: none was pending;
 * `applied`: some were, and the keeper has applied them all now;
 * `timed_out`: some still are after `waitMs` (decide on what the ledger shows: the safe side).
 */
export type PendingExecutionsOutcome = 'none' | 'applied' | 'timed_out';

/** The applied-marker ids of the account's executions in scope that the event store has recorded. */
export async function recordedExecutionMarkers(
  deps: PendingExecutionsDeps,
  accountId: string,
  now: number,
  scope: PendingExecutionsScope,
): Promise<string[]> {
  const [listed, recent] = await Promise.all([
    openListing(deps, accountId),
    recentlyPlacedIds(deps.doc, deps.tables.idempotency, accountId, now),
  ]);
  const symbol = scope.symbol?.toUpperCase();
  const inScope = (o: { readonly symbol: string; readonly side: string }) =>
    (symbol === undefined || o.symbol.toUpperCase() === symbol) &&
    (scope.side === undefined || o.side === scope.side);
  const asked = [...new Set([...listed.filter(inScope).map((v) => v.orderId), ...recent])];
  // The views as they are (consistent): a closed one has had every fill applied (the keeper runs
  // before the view is written); an open one with no event after its version has nothing pending.
  const { loaded } = await ordersAsTheyAreNow(
    deps.doc,
    { orders: deps.tables.orders, store: deps.store },
    asked,
    {
      projection: ['symbol', 'side', 'openClosed'],
      mayBeBehind: (view) =>
        view.openClosed === 'open' && inScope({ symbol: String(view.symbol), side: String(view.side) }),
    },
  );
  const markers: string[] = [];
  const from = now - IN_FLIGHT_MS;
  for (const { state, events } of loaded) {
    if (state === undefined || state.accountId !== accountId || !inScope(state.spec)) continue;
    for (const e of events)
      if (isLedgerExecution(e) && Date.parse(e.occurredAt) >= from)
        markers.push(appliedMarkerId(e.orderId, e.data.execId));
  }
  return markers;
}

/** The account's open orders as the read model lists them: id, symbol, side. */
async function openListing(
  deps: PendingExecutionsDeps,
  accountId: string,
): Promise<{ orderId: string; symbol: string; side: string }[]> {
  const listed: { orderId: string; symbol: string; side: string }[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await deps.doc.send(
      new QueryCommand({
        TableName: deps.tables.orders,
        IndexName: ORDERS_INDEX.byAccountOpen,
        KeyConditionExpression: 'openInAccount = :k',
        ExpressionAttributeValues: { ':k': accountId },
        ProjectionExpression: 'orderId, #symbol, #side',
        ExpressionAttributeNames: { '#symbol': 'symbol', '#side': 'side' },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? [])
      listed.push({ orderId: String(item.orderId), symbol: String(item.symbol), side: String(item.side) });
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return listed;
}

/** Which of `markers` the position keeper has not written yet (consistent reads). */
async function unapplied(deps: PendingExecutionsDeps, markers: readonly string[]): Promise<string[]> {
  if (markers.length === 0) return [];
  const found = await batchGetItems(
    deps.doc,
    deps.tables.idempotency,
    markers.map((id) => ({ id })),
    { consistent: true, projection: 'id' },
  );
  const applied = new Set(found.map((i) => String(i.id)));
  return markers.filter((m) => !applied.has(m));
}

/**
 * Waits (up to `waitMs`) until the account's executions in scope recorded in the last
 * `IN_FLIGHT_MS` are in its ledger. A read of the ledger made after it has them. A read made
 * before it may not (one the keeper overtook meanwhile): `ledgerSeqOf` tells.
 */
export async function awaitPendingExecutions(
  deps: PendingExecutionsDeps,
  accountId: string,
  now: number,
  scope: PendingExecutionsScope,
  waitMs = PENDING_EXECUTIONS_WAIT_MS,
): Promise<PendingExecutionsOutcome> {
  let pending = await unapplied(deps, await recordedExecutionMarkers(deps, accountId, now, scope));
  if (pending.length === 0) return 'none';
  const deadline = deps.clock() + waitMs;
  while (deps.clock() < deadline) {
    await deps.sleep(POLL_MS);
    pending = await unapplied(deps, pending);
    if (pending.length === 0) return 'applied';
  }
  return 'timed_out';
}

/** The account's ledger seq now (consistent): a read at a lower one lacks an execution since. */
export async function ledgerSeqOf(
  doc: DynamoDBDocumentClient,
  accountsTable: string,
  accountId: string,
): Promise<number> {
  const out = await doc.send(
    new GetCommand({
      TableName: accountsTable,
      Key: { pk: ledgerPk(accountId) },
      ConsistentRead: true,
      ProjectionExpression: 'seq',
    }),
  );
  return Number(out.Item?.seq ?? 0);
}
