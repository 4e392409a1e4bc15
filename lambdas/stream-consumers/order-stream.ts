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
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import {
  type AppliedSlippageThresholds,
  type LedgerState,
  type OrderTcaRecord,
  type SlippageBreach,
  type SlippageWindow,
  slippageBreachesOf,
  type WindowEntry,
} from '../core/index.js';
import { derivedBusEntryOf } from '../event-store/envelope.js';
import type { StoredEvent } from '../event-store/event-store.js';
import { OrderStateCache } from '../event-store/state-cache.js';
import { errorName, streamHandler } from '../event-store/stream-records.js';
import { AccountLedger } from '../orders/account-ledger.js';
import { recordInWindow } from '../orders/slippage-window.js';
import { backlogHandOver, type DeliveryDeps, deliverOrHandOver } from '../orders/trade-update-stream.js';
import { ENV, requiredEnv } from '../platform/config.js';
import { managementApiConnections } from '../platform/connections.js';
import { dynamo } from '../platform/dynamo.js';
import { eventBridge } from '../platform/event-bridge.js';
import { marketData } from '../platform/market-data.js';
import { metrics } from '../platform/metrics.js';
import { logger } from '../platform/observability.js';
import { stepFunctions } from '../platform/step-functions.js';
import { operatorExceptionsIn } from './operator-exceptions.js';
import { keepPositions, type PositionKeeperDeps } from './position-keeper.js';
import { type ProjectorDeps, projectBatch, type TcaDeps, type TradeUpdateLogDeps } from './projector.js';
import { type PublisherDeps, publishBatch, putEntries } from './publisher.js';

/** The bus event of a closed order's TCA (issue 15), and of a slippage threshold it breached. */
export const TCA_RECORDED = 'OrderTcaRecorded';
export const SLIPPAGE_THRESHOLD_BREACHED = 'SlippageThresholdBreached';

import { type SignallerDeps, signalBatch } from './signaller.js';

export interface OrderStreamDeps {
  readonly projector: ProjectorDeps;
  /** TCA at the close (issue 15): the market at the close; absent: no TCA. */
  readonly tca?: Pick<TcaDeps, 'marketAtClose'>;
  /** Accounts' rolling slippage windows (issue 15); absent: per-order thresholds only. */
  readonly slippageWindows?: SlippageWindowDeps;
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
          detail: String(err),
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

/** The bus events of the orders this batch closed: their TCA, and any slippage threshold breached. */
export function tcaEntriesOf(
  closed: readonly {
    tca: OrderTcaRecord;
    closing: StoredEvent;
    limits: AppliedSlippageThresholds | null;
    /** Breaches of the account's rolling window this close made (lambdas/orders/slippage-window.ts). */
    windowBreaches?: readonly SlippageBreach[];
  }[],
  eventBusName: string,
): PutEventsRequestEntry[] {
  const entries: PutEventsRequestEntry[] = [];
  for (const { tca, closing, limits, windowBreaches = [] } of closed) {
    const entry = (type: string, eventId: string, data: unknown) =>
      derivedBusEntryOf(closing, type, eventId, data, eventBusName);
    entries.push(entry(TCA_RECORDED, `${closing.orderId}:tca`, tca));
    for (const breach of [...slippageBreachesOf(tca, limits), ...windowBreaches])
      entries.push(
        entry(
          SLIPPAGE_THRESHOLD_BREACHED,
          `${closing.orderId}:slippage:${breach.measure}${breach.windowOrders === undefined ? '' : ':window'}`,
          {
            orderId: tca.orderId,
            symbol: tca.symbol,
            side: tca.side,
            ...breach,
          },
        ),
      );
  }
  return entries;
}

/**
 * Publishes the TCA events (best effort after retries: the TCA is on the order's view either way),
 * after adding each order to its account's rolling window when the account set one.
 */
async function publishTcas(
  closed: readonly { tca: OrderTcaRecord; closing: StoredEvent; limits: AppliedSlippageThresholds | null }[],
  deps: PublisherDeps,
  windows: SlippageWindowDeps | undefined,
): Promise<void> {
  if (closed.length === 0) return;
  const withWindows = [];
  for (const c of closed) {
    const window = c.limits?.window;
    let windowBreaches: SlippageBreach[] = [];
    if (window !== undefined && windows !== undefined) {
      try {
        windowBreaches = await windows.record(
          c.closing.accountId,
          {
            orderId: c.tca.orderId,
            arrivalBps: c.tca.arrivalSlippageBps,
            shortfallBps: c.tca.implementationShortfall?.total?.bps ?? null,
          },
          window,
        );
      } catch (err) {
        logger.error('slippage window not updated', { orderId: c.tca.orderId, error: errorName(err) });
      }
    }
    withWindows.push({ ...c, windowBreaches });
  }
  const entries = tcaEntriesOf(withWindows, deps.eventBusName);
  const breaches = entries.filter((e) => e.DetailType === SLIPPAGE_THRESHOLD_BREACHED).length;
  // The alarm on slippage (lib/stream-consumers.ts) watches this metric.
  metrics.addMetric('SlippageThresholdBreaches', MetricUnit.Count, breaches);
  const outcome = await putEntries(
    deps.bus,
    entries.map((entry, index) => ({ index, entry })),
  );
  if (outcome.failed.size > 0)
    logger.error('TCA events not published after retries (the TCA is on the order view)', {
      notPublished: outcome.failed.size,
    });
}

export interface SlippageWindowDeps {
  readonly record: (
    accountId: string,
    entry: WindowEntry,
    window: SlippageWindow,
  ) => Promise<SlippageBreach[]>;
}

export async function orderStreamBatch(
  event: DynamoDBStreamEvent,
  deps: OrderStreamDeps,
): Promise<DynamoDBBatchResponse> {
  const appended = new Set<string>();
  const closed: { tca: OrderTcaRecord; closing: StoredEvent; limits: AppliedSlippageThresholds | null }[] =
    [];
  const [projected, signalled] = await Promise.all([
    projectBatch(event, {
      ...deps.projector,
      ...(deps.tca === undefined
        ? {}
        : {
            tca: {
              marketAtClose: deps.tca.marketAtClose,
              closed: (tca, closing, limits) => closed.push({ tca, closing, limits }),
            },
          }),
      beforeWrite: (state, events, settledBefore) =>
        keepPositions(state, events, deps.positions, settledBefore),
      ...(deps.tradeUpdates === undefined
        ? {}
        : { tradeUpdates: { ...deps.tradeUpdates, appended: (accountId) => appended.add(accountId) } }),
    }),
    signalBatch(event, deps.signaller),
  ]);
  // The exceptions view's alarm (issue 16): events that leave an operator something to act on.
  metrics.addMetric('OperatorExceptionsRaised', MetricUnit.Count, operatorExceptionsIn(event));
  const stop = earliest(event, [projected, signalled]);
  const toPublish = stop === null ? event : { Records: event.Records.slice(0, stop) };
  const [published] = await Promise.all([
    toPublish.Records.length === 0 ? { batchItemFailures: [] } : publishBatch(toPublish, deps.publisher),
    publishTcas(closed, deps.publisher, deps.slippageWindows),
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

const market = marketData();

export const handler = streamHandler((event) =>
  orderStreamBatch(event, {
    slippageWindows: {
      record: (accountId, entry, window) =>
        recordInWindow(dynamo, requiredEnv(ENV.accountsTable), accountId, entry, window),
    },
    tca: {
      marketAtClose: async (symbol) => {
        const q = await market.quote(symbol);
        return q === null
          ? null
          : {
              bid: q.bid,
              ask: q.ask,
              volume: q.volume,
              ...(q.notional === undefined ? {} : { notional: q.notional }),
              ...(q.midMs === undefined ? {} : { midMs: q.midMs }),
              updatedAt: q.updatedAt,
            };
      },
    },
    projector: {
      doc: dynamo,
      eventStoreTable: requiredEnv(ENV.eventStoreTable),
      ordersTable: requiredEnv(ENV.ordersTable),
      states: projectorStates,
      exposureClaimsTable: requiredEnv(ENV.idempotencyTable),
      buyingPowerReservations: {
        accounts: requiredEnv(ENV.accountsTable),
        markers: requiredEnv(ENV.idempotencyTable),
      },
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
      positionNow: async (accountId, symbol) => (await ledger.load(accountId)).positions[symbol]?.qty ?? '0',
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
