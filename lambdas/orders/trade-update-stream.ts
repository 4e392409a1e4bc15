/**
 * The trade_updates stream's storage and delivery (issue 14; core trade-updates.ts decides what
 * an order event sends). TRADE_STREAM_TABLE (pk string, sk number, no stream) holds:
 * - `updates#<accountId>`, sk = the account's stream sequence 1, 2, ...: each update as sent
 *   (the log a resuming client is replayed from);
 * - `head#<accountId>`, sk 0: `{head}`, the last sequence given (the append's condition);
 * - `listeners#<accountId>`, sk 0: `{listeners: {<connectionId>: <last seq sent>}, rev, lease}`:
 *   who listens and how far each got; `rev` counts the changes to the map (a listen, a leave, a
 *   sender's cursors), the lease makes one sender at a time per account;
 * - `conn#<connectionId>`, sk 0: an authenticated connection (principal, accounts, listening).
 *
 * Appending: the projector writes an order's updates in the same transaction as its view (the
 * view's version condition makes a redelivered event append nothing), at `head + 1 ...`, with the
 * head's condition `head = :known` (two orders of one account at once: the loser re-reads the head
 * and tries again, so the sequence has no gap and no duplicate).
 *
 * Delivering (`deliverPending`, run after each append and on each `listen`): take the account's
 * lease (only when someone listens), read the log after the lowest listener's cursor, post each
 * connection what it has not had in sequence order, move the cursors and give the lease back in
 * one write, then look at the log again: an update appended while the lease was held (its own
 * sender found the lease taken and left it to us) is sent in a next round. So every listener gets every update
 * after its cursor once, in order. A connection that answers 410 is dropped; one whose post fails
 * otherwise is closed (its client reconnects and resumes from its last `stream_seq`, so a failure
 * costs a reconnection, never a gap).
 *
 * The cursors' write replaces the whole map (`SET listeners = :map`), guarded by the lease and by
 * `rev`: its expression has the same size for 1 listener as for 1000. One SET per moved cursor
 * (`listeners.#c0 = :v0, ...`) passed DynamoDB's 4 KB expression limit at 239 moved cursors: the
 * write was refused, every cursor stayed unmoved and the lease taken until it lapsed, so later
 * updates reached nobody for 30 s, then the earlier ones were sent again. Not split into several writes
 * either: a sender that died between two of them would leave some cursors behind what their
 * connections received, and the next sender would send those again. A listen or a leave during the
 * round changes `rev`: the write fails, the sender reads the map again and moves only the cursors
 * still as it found them (a connection that left stays gone, one that came is kept), then writes
 * again (`cursorsAfterRound`). The map's size counts toward the item's 400 KB (1000 listeners with
 * API Gateway's 16-character connection ids: about 20 KB) and toward the request's substitution
 * values (2 MB at most), not toward the expression.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { type DynamoDBDocumentClient, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { TradeUpdate, UnsequencedTradeUpdate } from '../core/index.js';
import { isConditionalFailure, type TransactItem } from '../event-store/event-store.js';
import { ConnectionGone, type ConnectionPort } from '../platform/connections.js';
import { metrics } from '../platform/metrics.js';

export const updatesPk = (accountId: string): string => `updates#${accountId}`;
export const headPk = (accountId: string): string => `head#${accountId}`;
export const listenersPk = (accountId: string): string => `listeners#${accountId}`;
export const connectionPk = (connectionId: string): string => `conn#${connectionId}`;

/** How long a sender holds an account's lease at most (a crashed sender's lease lapses). */
export const LEASE_MS = 30_000;
/** Updates read per query when catching a listener up. */
export const REPLAY_PAGE = 200;
/**
 * Listeners one account may have: the listeners item stays far below DynamoDB's 400 KB (about 20 KB
 * with 1000 of API Gateway's 16-character connection ids), and the cursors' write has one size for any
 * number of them.
 */
export const MAX_LISTENERS_PER_ACCOUNT = 1000;

/** The frame a client receives for an update. */
export function tradeUpdateFrame(update: TradeUpdate): string {
  return JSON.stringify({ stream: 'trade_updates', data: update });
}

/** The items appending `updates` after `head` (one transaction with the order's view). */
export function appendItems(
  table: string,
  accountId: string,
  head: number,
  updates: readonly UnsequencedTradeUpdate[],
): { readonly items: TransactItem[]; readonly sequenced: TradeUpdate[] } {
  const sequenced = updates.map((u, i): TradeUpdate => ({ ...u, stream_seq: head + i + 1 }));
  const items: TransactItem[] = sequenced.map((u) => ({
    Put: {
      TableName: table,
      Item: { pk: updatesPk(accountId), sk: u.stream_seq, update: u },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  }));
  items.push({
    Update: {
      TableName: table,
      Key: { pk: headPk(accountId), sk: 0 },
      UpdateExpression: 'SET head = :next',
      ConditionExpression: head === 0 ? 'attribute_not_exists(head) OR head = :known' : 'head = :known',
      ExpressionAttributeValues: { ':next': head + updates.length, ':known': head },
    },
  });
  return { items, sequenced };
}

/** The account's last stream sequence (0 before its first update). */
export async function loadHead(
  doc: DynamoDBDocumentClient,
  table: string,
  accountId: string,
): Promise<number> {
  const out = await doc.send(
    new GetCommand({ TableName: table, Key: { pk: headPk(accountId), sk: 0 }, ConsistentRead: true }),
  );
  return Number(out.Item?.head ?? 0);
}

/** The account's updates after `afterSeq`, oldest first, at most `limit`. */
export async function updatesAfter(
  doc: DynamoDBDocumentClient,
  table: string,
  accountId: string,
  afterSeq: number,
  limit = REPLAY_PAGE,
): Promise<TradeUpdate[]> {
  const out = await doc.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND sk > :after',
      ExpressionAttributeValues: { ':pk': updatesPk(accountId), ':after': afterSeq },
      ConsistentRead: true,
      Limit: limit,
    }),
  );
  return (out.Items ?? []).map((i) => i.update as TradeUpdate);
}

export interface DeliveryDeps {
  readonly doc: DynamoDBDocumentClient;
  readonly table: string;
  readonly connections: ConnectionPort;
  /** Epoch ms. */
  readonly now: () => number;
  /** Names this sender in the lease. */
  readonly senderId: string;
}

export interface DeliveryResult {
  readonly framesSent: number;
  readonly connectionsDropped: number;
  /** False when another sender held the lease (it sends what this one would have). */
  readonly leased: boolean;
  /**
   * True when the time budget ran out with listeners still behind the log: the caller hands the
   * account over (`backlogEntry`), since no other sender will come until the next append.
   */
  readonly behind: boolean;
}

/** The bus event that hands an account's delivery over to the backlog worker (never an order event). */
export const BACKLOG_SOURCE = 'stockbot.oms.stream';
export const BACKLOG_DETAIL_TYPE = 'TradeUpdatesBacklogged';

/** Hands an account over to the backlog worker: one `TradeUpdatesBacklogged` event on the bus. */
export function backlogHandOver(
  bus: EventBridgeClient,
  eventBusName: () => string,
): (accountId: string) => Promise<void> {
  return async (accountId) => {
    const out = await bus.send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: eventBusName(),
            Source: BACKLOG_SOURCE,
            DetailType: BACKLOG_DETAIL_TYPE,
            Detail: JSON.stringify({ accountId }),
          },
        ],
      }),
    );
    if ((out.FailedEntryCount ?? 0) > 0)
      throw new Error(`backlog event refused: ${JSON.stringify(out.Entries)}`);
  };
}

/** The listeners item as a sender sees it: the cursors, and the revision they are at. */
interface ListenerMap {
  readonly listeners: Record<string, number>;
  /** Undefined for an item written before revisions were kept (its first change sets one). */
  readonly rev: number | undefined;
}

const listenerMapOf = (item: Record<string, unknown> | undefined): ListenerMap => ({
  listeners: (item?.listeners as Record<string, number> | undefined) ?? {},
  rev: item?.rev === undefined ? undefined : Number(item.rev),
});

/** What a round did to one connection: its new cursor, or gone (dropped from the listeners). */
export type RoundOutcome = number | 'gone';

/**
 * The listeners map after a round (pure): `current` (the map as it is now) with each connection
 * the round posted to at `found[id]` moved to its outcome. A connection no longer in `current`
 * left meanwhile and stays gone; one whose cursor changed meanwhile (it listened again from another
 * cursor) keeps the new one; one added meanwhile is kept as it is.
 */
export function cursorsAfterRound(
  found: Readonly<Record<string, number>>,
  current: Readonly<Record<string, number>>,
  outcomes: ReadonlyMap<string, RoundOutcome>,
): Record<string, number> {
  const next: Record<string, number> = {};
  for (const [id, cursor] of Object.entries(current)) {
    const outcome = outcomes.get(id);
    if (outcome === undefined || found[id] !== cursor) next[id] = cursor;
    else if (outcome !== 'gone') next[id] = outcome;
  }
  return next;
}

async function acquire(deps: DeliveryDeps, accountId: string): Promise<ListenerMap | null> {
  const now = deps.now();
  try {
    const out = await deps.doc.send(
      new UpdateCommand({
        TableName: deps.table,
        Key: { pk: listenersPk(accountId), sk: 0 },
        UpdateExpression: 'SET lease = :until, leaseOwner = :me',
        ConditionExpression: 'size(listeners) > :zero AND (attribute_not_exists(lease) OR lease < :now)',
        ExpressionAttributeValues: {
          ':until': now + LEASE_MS,
          ':me': deps.senderId,
          ':zero': 0,
          ':now': now,
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return listenerMapOf(out.Attributes);
  } catch (err) {
    // Nobody listens (or the listeners item does not exist), or another sender holds the lease.
    if (isConditionalFailure(err)) return null;
    throw err;
  }
}

/** Sends `updates` after `cursor` to one connection, in order; the new cursor, or 'gone'. */
async function sendTo(
  deps: DeliveryDeps,
  connectionId: string,
  cursor: number,
  updates: readonly TradeUpdate[],
  deadline: number,
): Promise<{ readonly cursor: number; readonly sent: number } | 'gone'> {
  let at = cursor;
  let sent = 0;
  for (const u of updates) {
    if (u.stream_seq <= at) continue;
    // Out of time: the cursor says how far this connection got; the next sender goes on from it.
    if (sent > 0 && deps.now() >= deadline) break;
    // A gap (the page ended before this connection's next update) waits for the next round.
    if (u.stream_seq !== at + 1) break;
    try {
      await deps.connections.post(connectionId, tradeUpdateFrame(u));
    } catch (err) {
      if (!(err instanceof ConnectionGone)) await deps.connections.close(connectionId).catch(() => undefined);
      return 'gone';
    }
    at = u.stream_seq;
    sent++;
  }
  return { cursor: at, sent };
}

/** Attempts at the cursors' write while listens and leaves keep changing the map (each one new). */
const CURSOR_WRITE_ATTEMPTS = 20;

/**
 * Moves the cursors the round moved and gives the lease back, in one write of constant expression
 * size (see the file's comment); the listeners after it, or null when the lease was taken over.
 */
async function writeCursors(
  deps: DeliveryDeps,
  accountId: string,
  found: ListenerMap,
  outcomes: ReadonlyMap<string, RoundOutcome>,
): Promise<Record<string, number> | null> {
  const key = { pk: listenersPk(accountId), sk: 0 };
  let seen = found;
  for (let attempt = 1; ; attempt++) {
    const listeners = cursorsAfterRound(found.listeners, seen.listeners, outcomes);
    try {
      const out = await deps.doc.send(
        new UpdateCommand({
          TableName: deps.table,
          Key: key,
          UpdateExpression: 'SET listeners = :listeners, rev = :next REMOVE lease, leaseOwner',
          ConditionExpression: `leaseOwner = :me AND ${seen.rev === undefined ? 'attribute_not_exists(rev)' : 'rev = :rev'}`,
          ExpressionAttributeValues: {
            ':listeners': listeners,
            ':next': (seen.rev ?? 0) + 1,
            ':me': deps.senderId,
            ...(seen.rev === undefined ? {} : { ':rev': seen.rev }),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return listenerMapOf(out.Attributes).listeners;
    } catch (err) {
      if (!isConditionalFailure(err)) throw err;
    }
    // Refused: the lease is another sender's now, or a connection listened or left meanwhile.
    const now = await deps.doc.send(
      new GetCommand({ TableName: deps.table, Key: key, ConsistentRead: true }),
    );
    if (now.Item?.leaseOwner !== deps.senderId) return null;
    if (attempt >= CURSOR_WRITE_ATTEMPTS)
      throw new Error(`listeners of ${accountId}: the map kept changing over ${attempt} cursor writes`);
    seen = listenerMapOf(now.Item);
  }
}

/**
 * Sends every listener of the account what it has not had yet (see the file's comment). Safe to
 * call from any number of senders at once; returns quickly when nobody listens (one request).
 * Gives the lease back after `budgetMs` at the latest (a round started goes to its end), so a slow
 * fan-out never holds it past its invocation; `behind` then asks the caller to hand over.
 */
export async function deliverPending(
  deps: DeliveryDeps,
  accountId: string,
  budgetMs = 20_000,
): Promise<DeliveryResult> {
  let framesSent = 0;
  let connectionsDropped = 0;
  const started = deps.now();
  for (let round = 0; ; round++) {
    // Out of time with listeners behind: released, and said so (the caller hands over).
    if (round > 0 && deps.now() - started >= budgetMs)
      return { framesSent, connectionsDropped, leased: true, behind: true };
    const found = await acquire(deps, accountId);
    if (found === null) return { framesSent, connectionsDropped, leased: round > 0, behind: false };
    const cursors = Object.entries(found.listeners);
    const lowest = Math.min(...cursors.map(([, c]) => c));
    const updates = cursors.length === 0 ? [] : await updatesAfter(deps.doc, deps.table, accountId, lowest);
    const deadline = started + budgetMs;
    const results = await Promise.all(
      cursors.map(
        async ([id, cursor]) => [id, cursor, await sendTo(deps, id, cursor, updates, deadline)] as const,
      ),
    );
    const outcomes = new Map<string, RoundOutcome>();
    for (const [id, cursor, r] of results) {
      if (r === 'gone') {
        outcomes.set(id, 'gone');
        connectionsDropped++;
      } else if (r.cursor !== cursor) {
        outcomes.set(id, r.cursor);
        framesSent += r.sent;
      }
    }
    const after = await writeCursors(deps, accountId, found, outcomes);
    // The lease lapsed and another sender took it over: it goes on from the cursors it found.
    if (after === null) return { framesSent, connectionsDropped, leased: true, behind: false };
    const cursorsAfter = Object.values(after);
    if (cursorsAfter.length === 0) break;
    const next = await updatesAfter(deps.doc, deps.table, accountId, Math.min(...cursorsAfter), 1);
    if (next.length === 0) break;
  }
  return { framesSent, connectionsDropped, leased: true, behind: false };
}

/**
 * `deliverPending` within `budgetMs`, then, when listeners are still behind, `handOver` (the
 * backlog worker goes on); what it sent, dropped and handed over counted in the metrics. The one
 * way every sender (order stream, backlog worker, listen) delivers.
 */
export async function deliverOrHandOver(
  deps: DeliveryDeps,
  accountId: string,
  budgetMs: number,
  handOver: (accountId: string) => Promise<void>,
): Promise<DeliveryResult> {
  const r = await deliverPending(deps, accountId, budgetMs);
  if (r.framesSent > 0) metrics.addMetric('TradeUpdatesSent', MetricUnit.Count, r.framesSent);
  if (r.connectionsDropped > 0)
    metrics.addMetric('StreamConnectionsDropped', MetricUnit.Count, r.connectionsDropped);
  if (r.behind) {
    metrics.addMetric('TradeUpdatesHandedOver', MetricUnit.Count, 1);
    await handOver(accountId);
  }
  return r;
}

/** Registers a listener of the account from `cursor` (creating the listeners item when needed). */
export async function addListener(
  doc: DynamoDBDocumentClient,
  table: string,
  accountId: string,
  connectionId: string,
  cursor: number,
): Promise<'added' | 'full'> {
  const key = { pk: listenersPk(accountId), sk: 0 };
  await doc.send(
    new UpdateCommand({
      TableName: table,
      Key: key,
      UpdateExpression: 'SET listeners = if_not_exists(listeners, :empty)',
      ExpressionAttributeValues: { ':empty': {} },
    }),
  );
  try {
    await doc.send(
      new UpdateCommand({
        TableName: table,
        Key: key,
        // `rev` moves: a sender's round that read the map before writes it again with this one.
        UpdateExpression: 'SET listeners.#c = :cursor ADD rev :one',
        ConditionExpression: 'attribute_exists(listeners.#c) OR size(listeners) < :max',
        ExpressionAttributeNames: { '#c': connectionId },
        ExpressionAttributeValues: { ':cursor': cursor, ':max': MAX_LISTENERS_PER_ACCOUNT, ':one': 1 },
      }),
    );
    return 'added';
  } catch (err) {
    if (isConditionalFailure(err)) return 'full';
    throw err;
  }
}

/** Removes a listener of the account (nothing when it is not one). */
export async function removeListener(
  doc: DynamoDBDocumentClient,
  table: string,
  accountId: string,
  connectionId: string,
): Promise<void> {
  try {
    await doc.send(
      new UpdateCommand({
        TableName: table,
        Key: { pk: listenersPk(accountId), sk: 0 },
        // `rev` moves: a sender's round that read the map before does not write this one back.
        UpdateExpression: 'REMOVE listeners.#c ADD rev :one',
        ConditionExpression: 'attribute_exists(listeners.#c)',
        ExpressionAttributeNames: { '#c': connectionId },
        ExpressionAttributeValues: { ':one': 1 },
      }),
    );
  } catch (err) {
    if (!isConditionalFailure(err)) throw err;
  }
}
