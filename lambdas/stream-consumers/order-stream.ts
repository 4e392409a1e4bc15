/**
 * Order stream: the ONE consumer of the event store's stream for every order event (issue 12;
 * the group coordinator, which sees only group members' events, is the other). It runs, on each
 * batch:
 * 1. the projector (-> the orders read model) and the signaller (-> the order's workflow) side by
 *    side; the projector runs the position keeper on each order before writing its view (-> the
 *    accounts' ledgers, issue 13: each execution once, with the symbol and side of the state it
 *    rebuilt, so no read; an order read as filled has its fill in the position);
 * 2. then the publisher (-> the bus), for the records before the first one any of them failed:
 *    the shard resumes at that record, so what comes after it is published on the retry, once.
 *    The PositionChanged events the keeper appends come back on the stream and are published by
 *    the same step (they are in the event store, under `positions#<accountId>`).
 * and answers with the earliest failed record of the three (partial batch response).
 *
 * Why one function instead of three: a filled market order's events reach the stream in 2-3
 * batches, so three consumers cost 6-9 invocations of its 14 (the budget is 8), and DynamoDB
 * Streams serves at most two simultaneous readers per shard without throttling (four consumers
 * read it before). The price: one IAM role holds the three consumers' permissions, and a slow
 * workflow call delays the bus by as much (the publisher waits for the signaller). Each part stays
 * idempotent on its own (projector: a version condition; signaller: named executions and used
 * tokens; publisher: subscribers dedupe on metadata.eventId).
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { LedgerState } from '../core/index.js';
import { OrderStateCache } from '../event-store/state-cache.js';
import { errorName, streamHandler } from '../event-store/stream-records.js';
import { AccountLedger } from '../orders/account-ledger.js';
import { backlogHandOver, type DeliveryDeps, deliverOrHandOver } from '../orders/trade-update-stream.js';
import { ENV, requiredEnv } from '../platform/config.js';
import { managementApiConnections } from '../platform/connections.js';
import { dynamo } from '../platform/dynamo.js';
import { eventBridge } from '../platform/event-bridge.js';
import { logger } from '../platform/observability.js';
import { stepFunctions } from '../platform/step-functions.js';
import { keepPositions, type PositionKeeperDeps } from './position-keeper.js';
import { type ProjectorDeps, projectBatch, type TradeUpdateLogDeps } from './projector.js';
import { type PublisherDeps, publishBatch } from './publisher.js';
import { type SignallerDeps, signalBatch } from './signaller.js';

export interface OrderStreamDeps {
  readonly projector: ProjectorDeps;
  readonly signaller: SignallerDeps;
  readonly publisher: PublisherDeps;
  readonly positions: PositionKeeperDeps;
  /** The trade_updates stream (issue 14): the log appended with the views, then sent to listeners. */
  readonly tradeUpdates?: Omit<TradeUpdateLogDeps, 'appended'> & { readonly delivery: DeliveryDeps };
}

/** How long the consumer sends updates itself before it hands an account to the backlog worker. */
export const INLINE_DELIVERY_BUDGET_MS = 2_000;

/**
 * Sends each account's new updates to its listeners, for at most INLINE_DELIVERY_BUDGET_MS (the
 * stream's shard waits for this invocation); an account still behind then goes to the backlog
 * worker (a `TradeUpdatesBacklogged` event, lambdas/trade-stream/deliver-backlog.ts). Never fails
 * the batch: the updates are in the log, and a listener that misses one (its connection closed)
 * resumes from its last stream_seq.
 */
async function deliverAll(
  accounts: ReadonlySet<string>,
  deps: DeliveryDeps,
  handOver: (accountId: string) => Promise<void>,
): Promise<void> {
  await Promise.all(
    [...accounts].map(async (accountId) => {
      try {
        await deliverOrHandOver(deps, accountId, INLINE_DELIVERY_BUDGET_MS, handOver);
      } catch (err) {
        logger.warn('trade updates not delivered now (the next append or listen retries)', {
          accountId,
          error: errorName(err),
          message: String(err),
        });
      }
    }),
  );
}

/** The index in the batch of the earliest reported record, or null. */
function earliest(event: DynamoDBStreamEvent, responses: readonly DynamoDBBatchResponse[]): number | null {
  const failed = new Set(responses.flatMap((r) => r.batchItemFailures.map((f) => f.itemIdentifier)));
  if (failed.size === 0) return null;
  const index = event.Records.findIndex((r) => failed.has(r.dynamodb?.SequenceNumber ?? ''));
  // An identifier not in the batch cannot be: fail the whole batch from its start.
  return index === -1 ? 0 : index;
}

export async function orderStreamBatch(
  event: DynamoDBStreamEvent,
  deps: OrderStreamDeps,
): Promise<DynamoDBBatchResponse> {
  const appended = new Set<string>();
  const [projected, signalled] = await Promise.all([
    projectBatch(event, {
      ...deps.projector,
      beforeWrite: (state, events) => keepPositions(state, events, deps.positions),
      ...(deps.tradeUpdates === undefined
        ? {}
        : { tradeUpdates: { ...deps.tradeUpdates, appended: (accountId) => appended.add(accountId) } }),
    }),
    signalBatch(event, deps.signaller),
  ]);
  const stop = earliest(event, [projected, signalled]);
  const toPublish = stop === null ? event : { Records: event.Records.slice(0, stop) };
  const [published] = await Promise.all([
    toPublish.Records.length === 0 ? { batchItemFailures: [] } : publishBatch(toPublish, deps.publisher),
    deps.tradeUpdates === undefined || appended.size === 0
      ? undefined
      : deliverAll(
          appended,
          deps.tradeUpdates.delivery,
          backlogHandOver(deps.publisher.bus, () => deps.publisher.eventBusName),
        ),
  ]);
  const first = earliest(event, [projected, signalled, published]);
  const record = first === null ? undefined : event.Records[first];
  return {
    batchItemFailures:
      record === undefined ? [] : [{ itemIdentifier: record.dynamodb?.SequenceNumber as string }],
  };
}

/** A Map that forgets its oldest entry beyond `limit` (insertion order; a set refreshes). */
class BoundedMap<K, V> extends Map<K, V> {
  constructor(private readonly limit: number) {
    super();
  }
  override set(key: K, value: V): this {
    if (this.has(key)) this.delete(key);
    super.set(key, value);
    if (this.size > this.limit) this.delete(this.keys().next().value as K);
    return this;
  }
}

// One state cache each: the projector remembers what it wrote, the signaller what it judged.
const projectorStates = new OrderStateCache();
const signallerStates = new OrderStateCache();
// The ledger this environment last wrote per account (bounded: a hint, not a source of truth).
const knownLedgers = new BoundedMap<string, LedgerState>(1000);
// The trade_updates log's head this environment last wrote per account (a hint too).
const knownHeads = new BoundedMap<string, number>(1000);
const ledger = new AccountLedger(dynamo, {
  events: requiredEnv(ENV.eventStoreTable),
  accounts: requiredEnv(ENV.accountsTable),
  idempotency: requiredEnv(ENV.idempotencyTable),
});
const connections = managementApiConnections();
const senderId = randomUUID();

export const handler = streamHandler((event) =>
  orderStreamBatch(event, {
    projector: {
      doc: dynamo,
      eventStoreTable: requiredEnv(ENV.eventStoreTable),
      ordersTable: requiredEnv(ENV.ordersTable),
      states: projectorStates,
    },
    signaller: {
      doc: dynamo,
      sfn: stepFunctions,
      eventStoreTable: requiredEnv(ENV.eventStoreTable),
      taskTokensTable: requiredEnv(ENV.taskTokensTable),
      stateMachineArn: requiredEnv(ENV.stateMachineArn),
      states: signallerStates,
    },
    publisher: { bus: eventBridge, eventBusName: requiredEnv(ENV.eventBusName) },
    positions: {
      ledger,
      nowSeconds: () => Math.floor(Date.now() / 1000),
      known: knownLedgers,
    },
    tradeUpdates: {
      table: requiredEnv(ENV.tradeStreamTable),
      heads: knownHeads,
      positionAfter: (orderId, execId) => ledger.positionAfter(orderId, execId),
      delivery: {
        doc: dynamo,
        table: requiredEnv(ENV.tradeStreamTable),
        connections,
        now: Date.now,
        senderId,
      },
    },
  }),
);
