/**
 * Projector: the event store's stream -> the orders read model (ORDERS_TABLE).
 *
 * Records are grouped by order; each order in the batch is rebuilt once: from the batch itself
 * when it starts the order or continues the state this environment last wrote
 * (`OrderStateCache`, issue 12: no read), else from the event store (strongly consistent query,
 * so the state is at least as new as any record of the batch). Its view is written with `attribute_not_exists(orderId) OR version < :seq`. A failed condition
 * means an equal or newer view is already there (a redelivered or older record): success. So
 * the view never goes backwards, whatever the delivery order, and redelivery is harmless.
 * An order whose rebuild or write fails reports its first record of the batch as failed.
 * One account's orders are projected one after another (they share the account's ledger and
 * trade_updates head), different accounts' side by side.
 */

import { gzipSync } from 'node:zlib';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import {
  type AbandonedReplacement,
  abandonedReplacement,
  endedReplacementOf,
} from '../core/abandoned-replacement.js';
import {
  type AppliedSlippageThresholds,
  abandonedReplaceClaim,
  type BuyingPowerClaim,
  evolve,
  exposureClaimToRelease,
  isAnalysed,
  isSettled,
  type MarketAtClose,
  needsMarketAtClose,
  type OrderState,
  type OrderTcaRecord,
  orderTcaOf,
  rejectedReplacementUpdateOf,
  settlementRelease,
  splitRelease,
  statusOf,
  tradeUpdateEventOf,
  tradeUpdateOf,
  type UnsequencedTradeUpdate,
} from '../core/index.js';
import { cancellationCodes, EventStore, type StoredEvent } from '../event-store/event-store.js';
import type { OrderStateCache } from '../event-store/state-cache.js';
import {
  errorName,
  eventsByOrder,
  partialBatchResponse,
  readRecords,
} from '../event-store/stream-records.js';
import { releaseAtSettlement } from '../orders/buying-power-reservations.js';
import { releaseExposureClaim } from '../orders/firm-exposure.js';
import { orderViewItem, rejectedReplacementViewItem } from '../orders/order-view-item.js';
import { appendItems, loadHead } from '../orders/trade-update-stream.js';
import { metrics } from '../platform/metrics.js';
import { logger } from '../platform/observability.js';

export interface ProjectorDeps {
  readonly doc: DynamoDBDocumentClient;
  readonly eventStoreTable: string;
  readonly ordersTable: string;
  /** States this environment has written views of (default: none remembered). */
  readonly states?: OrderStateCache;
  /**
   * Runs on each order's rebuilt state and the batch's events of it BEFORE its view is written (the
   * position keeper, issue 13: a client that reads the order filled then finds the fill in the
   * position). A failure fails the order's records: no view is written, the batch is retried.
   */
  readonly beforeWrite?: (
    state: OrderState,
    events: readonly StoredEvent[],
    settledBefore: ReadonlySet<number>,
  ) => Promise<ReadonlyMap<string, string> | undefined>;
  /** The trade_updates log (absent: views only). */
  readonly tradeUpdates?: TradeUpdateLogDeps;
  /** Transaction cost analysis at the close (absent: none; issue 15). */
  readonly tca?: TcaDeps;
  /**
   * The table holding the firm's open-exposure claims (IDEMPOTENCY_TABLE, issue 16): an order that
   * settles in the batch gives its claim back (../orders/firm-exposure.ts). Absent: not given back.
   */
  readonly exposureClaimsTable?: string;
  /**
   * Where buying power reservations are kept (core buying-power-claims.ts): an order that settles
   * in the batch gives the rest of its claim back (../orders/buying-power-reservations.ts). Absent:
   * not given back.
   */
  readonly buyingPowerReservations?: { readonly accounts: string; readonly markers: string };
}

/**
 * TCA (issue 15): an order that closes has its TCA computed (core order-tca.ts) and kept on its
 * view (`GET /v2/orders/{id}/tca` reads it); the batch that closed it reports it once to
 * `closed`, which the stream consumer publishes as `OrderTcaRecorded`. The market at the close is
 * read (one GetItem) only for an order that did not fill whole or an algorithmic one.
 */
export interface TcaDeps {
  /** The tape's quote at the close (the market-data port). */
  readonly marketAtClose: (symbol: string) => Promise<MarketAtClose | null>;
  /** The order closed in this batch: its TCA, the event that closed it, its slippage thresholds. */
  readonly closed?: (
    tca: OrderTcaRecord,
    closing: StoredEvent,
    limits: AppliedSlippageThresholds | null,
  ) => void;
}

/** Events that change nothing the order's view shows (the Alpaca order, its listing keys). */
const VIEW_NEUTRAL: ReadonlySet<string> = new Set(['OrderRouted']);

/** The event in `steps` that settled the order, if the batch (from `fromSeq`) holds it. */
function closingEventOf(steps: readonly Step[], fromSeq: number): StoredEvent | undefined {
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i] as Step;
    const before = i === 0 ? undefined : (steps[i - 1] as Step).state;
    if (isSettled(step.state) && (before === undefined || !isSettled(before)) && step.event.seq >= fromSeq)
      return step.event;
  }
  return undefined;
}

export type ProjectionResult = 'written' | 'stale';

/**
 * The trade_updates stream's log (issue 14): each order event that sends an update is appended to
 * its account's log in the same transaction as the order's view (../orders/trade-update-stream.ts).
 */
export interface TradeUpdateLogDeps {
  readonly table: string;
  /** The head this environment last wrote per account (a hint: a stale one costs a retry). */
  readonly heads?: Map<string, number>;
  /** The signed position after an execution already applied (not by this batch), or null. */
  readonly positionAfter: (orderId: string, execId: string) => Promise<string | null>;
  /** The account's signed position of `symbol` as its ledger is now. */
  readonly positionNow: (accountId: string, symbol: string) => Promise<string>;
  /** Called once per account whose log grew (the stream consumer then delivers to its listeners). */
  readonly appended?: (accountId: string) => void;
}

/** Each event of the order with the state right after it, from `fromSeq` to the latest. */
interface Step {
  readonly event: StoredEvent;
  readonly state: OrderState;
  /** The order had settled before this event (a late fill of a day order done for the day). */
  readonly settledBefore: boolean;
  /** The router had split the order before this event. */
  readonly splitBefore: boolean;
  /** The claim of a replace request this event ended without a replacement (core `abandonedReplaceClaim`). */
  readonly abandonedClaim: BuyingPowerClaim | null;
  /**
   * The replacement of a replace request outstanding before this event that this event ended
   * (no longer outstanding, or the order settled) without the order being replaced: a replacement
   * that may never open (core `endedReplacementOf`; core `abandonedReplacement` decides), whose view
   * `writeRejectedReplacement` writes and whose `rejected` update follows this event's.
   */
  readonly endedReplacement: string | null;
}

const contiguous = (events: readonly StoredEvent[]): boolean =>
  events.every((e, i) => i === 0 || e.seq === (events[i - 1] as StoredEvent).seq + 1);

/** The order's steps from the batch alone when the cache allows, else from the store. */
async function rebuild(
  deps: ProjectorDeps,
  orderId: string,
  batchEvents: readonly StoredEvent[],
): Promise<Step[]> {
  const known = contiguous(batchEvents) ? deps.states?.stateBefore(batchEvents) : undefined;
  const events =
    known !== undefined ? batchEvents : await new EventStore(deps.doc, deps.eventStoreTable).load(orderId);
  let state = known?.state;
  const steps: Step[] = [];
  for (const e of events) {
    const settledBefore = state !== undefined && isSettled(state);
    const splitBefore = state?.routing?.split === true;
    const before = state;
    state = evolve(state, e);
    const abandonedClaim =
      before === undefined
        ? null
        : abandonedReplaceClaim(
            { replaceRequest: before.replaceRequest, settled: settledBefore },
            { replaceRequest: state.replaceRequest, phase: state.phase, settled: isSettled(state) },
          );
    const endedReplacement = endedReplacementOf(before, state);
    steps.push({ event: e, state, settledBefore, splitBefore, abandonedClaim, endedReplacement });
  }
  return steps;
}

const MAX_APPEND_ATTEMPTS = 12;

/**
 * The replacements the steps from `fromSeq` ended without (`Step.endedReplacement`) that never open,
 * by the seq of the event that ended each: their `rejected` views and updates. Only on that path: the
 * order's events from the store when the steps do not start at its first (a cached state).
 */
async function abandonedReplacementsOf(
  deps: ProjectorDeps,
  steps: readonly Step[],
  fromSeq: number,
): Promise<ReadonlyMap<number, AbandonedReplacement>> {
  const out = new Map<number, AbandonedReplacement>();
  const ending = steps.filter((s) => s.event.seq >= fromSeq && s.endedReplacement !== null);
  if (ending.length === 0) return out;
  const first = steps[0] as Step;
  const events =
    first.event.seq === 1
      ? steps.map((s) => s.event)
      : await new EventStore(deps.doc, deps.eventStoreTable).load(first.event.orderId);
  for (const step of ending) {
    const abandoned = abandonedReplacement(events, step.endedReplacement as string);
    if (abandoned !== null) out.set(step.event.seq, abandoned);
  }
  return out;
}

/**
 * The updates of the steps after `afterSeq` (positions of fills from this batch's executions or the
 * ledger); after the update of an event that ended a replace without its replacement, the
 * replacement's `rejected` (in the same transaction as the view: once, as the event's own).
 */
async function updatesOf(
  steps: readonly Step[],
  afterSeq: number,
  positions: ReadonlyMap<string, string>,
  log: TradeUpdateLogDeps,
  abandoned: ReadonlyMap<number, AbandonedReplacement>,
): Promise<UnsequencedTradeUpdate[]> {
  const out: UnsequencedTradeUpdate[] = [];
  for (const { event, state } of steps) {
    if (event.seq <= afterSeq) continue;
    const replacement = abandoned.get(event.seq);
    const rejected =
      replacement === undefined ? null : rejectedReplacementUpdateOf(replacement, event.accountId);
    if (tradeUpdateEventOf(event.type) === null) {
      if (rejected !== null) out.push(rejected);
      continue;
    }
    let position: string | null = null;
    if (event.type === 'OrderFilled' || event.type === 'OrderPartiallyFilled') {
      const executedBy = event.data.childOrderId ?? event.orderId;
      position =
        positions.get(`${executedBy}#${event.data.execId}`) ??
        (await log.positionAfter(executedBy, event.data.execId));
      // A split's or an algo's fill, mirrored from its child: the children execute at once, and the
      // ledger applies their executions in an order of its own, so the position right after this
      // one could run backwards along the order's updates (a probe: 2815, 3015, then 2844 for the
      // last fill of a buy, GET 3015). Once it is applied, the position as the ledger has it now:
      // it may already count the order's next fills, never misses this one.
      if (event.data.childOrderId !== undefined && position !== null)
        position = await log.positionNow(event.accountId, state.spec.symbol.toUpperCase());
    }
    // A replacement opening already filled is sent as its `fill` (core trade-updates.ts): with the
    // position as the ledger has it (its fills were its predecessor's; a read only in this case).
    if (event.type === 'OrderAccepted' && statusOf(state) === 'filled')
      position = await log.positionNow(event.accountId, state.spec.symbol.toUpperCase());
    const update = tradeUpdateOf(event, state, event.accountId, position);
    if (update !== null) out.push(update);
    if (rejected !== null) out.push(rejected);
  }
  return out;
}

/**
 * Rebuilds one order and writes its view unless an equal or newer one exists; an order that
 * settled in the batch then gives back its firm open-exposure claim (once: the claim's item is the
 * token; a redelivered batch finds it gone). A failure there fails the order's records, so the
 * batch is retried and the release with it.
 */
export async function projectOrder(
  deps: ProjectorDeps,
  orderId: string,
  minSeq: number,
  batchEvents: readonly StoredEvent[] = [],
): Promise<ProjectionResult> {
  const steps = await rebuild(deps, orderId, batchEvents);
  const state = steps.at(-1)?.state;
  if (state === undefined || state.seq < minSeq) {
    throw new Error(`event store has order ${orderId} at seq ${state?.seq ?? 0}, the stream at ${minSeq}`);
  }
  const fromSeq = batchEvents[0]?.seq ?? 0;
  const abandoned = await abandonedReplacementsOf(deps, steps, fromSeq);
  const result = await writeView(deps, steps, state, batchEvents, abandoned);
  const reservations = deps.buyingPowerReservations;
  // A replace request that ended without its replacement (the venue refused it, or the order closed
  // first) gives the replacement's claim back whole, once (keyed by the replacement's id).
  for (const step of steps) {
    if (step.event.seq < fromSeq || step.abandonedClaim === null || reservations === undefined) continue;
    await releaseAtSettlement(
      deps.doc,
      reservations,
      { accountId: state.accountId, claimId: step.abandonedClaim.id, cents: step.abandonedClaim.cents },
      Math.floor(Date.parse(step.event.occurredAt) / 1000),
    );
  }
  for (const replacement of abandoned.values()) await writeRejectedReplacement(deps, replacement);
  // Most orders hold no claim: nothing more is looked at.
  if (state.exposureClaim === null && state.buyingPowerClaim === null) return result;
  const closed = closingEventOf(steps, fromSeq) !== undefined;
  const table = deps.exposureClaimsTable;
  const exposure =
    table === undefined || !closed
      ? null
      : exposureClaimToRelease({
          exposureClaim: state.exposureClaim,
          settled: isSettled(state),
          status: statusOf(state),
        });
  if (table !== undefined && exposure !== null) await releaseExposureClaim(deps.doc, table, exposure);
  // The buying power claim: given back whole when the router split the order in this batch (its
  // children, which hold none, execute; the read model values its leaves from then on), else its
  // rest when the order settled in it (its executions gave back their shares with their cost).
  const splitting = steps.find((s) => s.event.seq >= fromSeq && s.state.routing?.split === true);
  const rest =
    splitting !== undefined
      ? splitRelease(
          {
            buyingPowerClaim: splitting.state.buyingPowerClaim,
            split: true,
            filledQty: splitting.state.filledQty,
          },
          splitting.splitBefore,
        )
      : closed
        ? settlementRelease({
            buyingPowerClaim: state.buyingPowerClaim,
            split: state.routing?.split === true,
            settled: isSettled(state),
            filledQty: state.filledQty,
          })
        : null;
  if (reservations !== undefined && rest !== null && state.buyingPowerClaim !== null) {
    await releaseAtSettlement(
      deps.doc,
      reservations,
      { accountId: state.accountId, claimId: state.buyingPowerClaim.id, cents: rest },
      Math.floor(Date.parse(state.updatedAt) / 1000),
    );
  }
  return result;
}

/**
 * The view of a replacement a PATCH answered whose replace ended without it (the venue refused it,
 * or the order filled or closed first): `rejected`, so the closed and all listings have the id GET
 * /v2/orders/{id} shows rejected (they are the read model's; the id has no events to project). Only
 * on that path: one Put. Written once (`attribute_not_exists`): a redelivery, or a real view
 * already there, leaves it.
 */
async function writeRejectedReplacement(deps: ProjectorDeps, abandoned: AbandonedReplacement): Promise<void> {
  try {
    await deps.doc.send(
      new PutCommand({
        TableName: deps.ordersTable,
        Item: rejectedReplacementViewItem(abandoned),
        ConditionExpression: 'attribute_not_exists(orderId)',
      }),
    );
  } catch (err) {
    if (errorName(err) !== 'ConditionalCheckFailedException') throw err;
  }
}

async function writeView(
  deps: ProjectorDeps,
  steps: readonly Step[],
  state: OrderState,
  batchEvents: readonly StoredEvent[],
  abandoned: ReadonlyMap<number, AbandonedReplacement>,
): Promise<ProjectionResult> {
  const orderId = state.orderId;
  const settledBefore = new Set(steps.filter((s) => s.settledBefore).map((s) => s.event.seq));
  const positions =
    (await deps.beforeWrite?.(state, batchEvents, settledBefore)) ?? new Map<string, string>();
  const log = deps.tradeUpdates;
  // The view's version before the batch, as far as this writer knows: the events after it send updates.
  let viewBefore = (batchEvents[0]?.seq ?? state.seq) - 1;
  // The TCA of a closed order, kept with its view (recomputed if a later event rewrites the view).
  let tca: OrderTcaRecord | null = null;
  if (deps.tca !== undefined && isAnalysed(state)) {
    const market = needsMarketAtClose(state) ? await deps.tca.marketAtClose(state.spec.symbol) : null;
    tca = orderTcaOf(state, market);
  }
  const closing = tca === null ? undefined : closingEventOf(steps, batchEvents[0]?.seq ?? 0);
  // Kept compressed (TCA JSON is 1-3 KB; gzip about a third): the closing write's units (issue 15).
  const tcaGz = tca === null ? undefined : gzipSync(JSON.stringify(tca));
  for (let attempt = 1; ; attempt++) {
    const item = tcaGz === undefined ? orderViewItem(state) : { ...orderViewItem(state), tcaGz };
    const updates = log === undefined ? [] : await updatesOf(steps, viewBefore, positions, log, abandoned);
    const accountId = state.accountId;
    // A batch that changes nothing a reader of the view sees (the routing decision alone) writes
    // nothing: the view's version may lag, which no condition minds (issue 15: no extra write).
    if (
      updates.length === 0 &&
      tca === null &&
      batchEvents.length > 0 &&
      batchEvents.every((e) => VIEW_NEUTRAL.has(e.type))
    ) {
      deps.states?.remember(state);
      return 'stale';
    }
    try {
      if (updates.length === 0 || log === undefined) {
        await deps.doc.send(
          new PutCommand({
            TableName: deps.ordersTable,
            Item: item,
            ConditionExpression: 'attribute_not_exists(orderId) OR version < :seq',
            ExpressionAttributeValues: { ':seq': item.version },
          }),
        );
      } else {
        const head = log.heads?.get(accountId) ?? (await loadHead(deps.doc, log.table, accountId));
        const { items } = appendItems(log.table, accountId, head, updates);
        try {
          await deps.doc.send(
            new TransactWriteCommand({
              TransactItems: [
                {
                  Put: {
                    TableName: deps.ordersTable,
                    Item: item,
                    ConditionExpression: 'attribute_not_exists(orderId) OR version <= :before',
                    ExpressionAttributeValues: { ':before': viewBefore },
                  },
                },
                ...items,
              ],
            }),
          );
          log.heads?.set(accountId, head + updates.length);
          log.appended?.(accountId);
        } catch (err) {
          const codes = cancellationCodes(err);
          if (codes === null || attempt >= MAX_APPEND_ATTEMPTS) throw err;
          log.heads?.delete(accountId);
          if (codes[0] === 'ConditionalCheckFailed') {
            // The view is further than this writer knew: send only what comes after it.
            const out = await deps.doc.send(
              new GetCommand({
                TableName: deps.ordersTable,
                Key: { orderId },
                ProjectionExpression: 'version',
                ConsistentRead: true,
              }),
            );
            // The condition failed, so the view is past `viewBefore`: the steps hold every event
            // after it (they start at the batch's first event), and only those after it are sent.
            const version = Number(out.Item?.version ?? 0);
            if (version >= state.seq) {
              if (tca !== null && closing !== undefined)
                deps.tca?.closed?.(tca, closing, state.slippageThresholds);
              return 'stale';
            }
            viewBefore = version;
          }
          // Otherwise another order of the account took the head (or a transaction crossed ours):
          // again, after a short random pause so that racing writers spread out.
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
          continue;
        }
      }
      deps.states?.remember(state);
      // Reported on a redelivered batch too (a stale view): the bus is at least once, its id the same.
      if (tca !== null && closing !== undefined) deps.tca?.closed?.(tca, closing, state.slippageThresholds);
      return 'written';
    } catch (err) {
      if (errorName(err) === 'ConditionalCheckFailedException') {
        if (tca !== null && closing !== undefined) deps.tca?.closed?.(tca, closing, state.slippageThresholds);
        return 'stale';
      }
      throw err;
    }
  }
}

export async function projectBatch(
  event: DynamoDBStreamEvent,
  deps: ProjectorDeps,
): Promise<DynamoDBBatchResponse> {
  const items = readRecords(event);
  const failed = new Set<number>();
  let written = 0;
  let stale = 0;
  // One account's orders one after another, accounts side by side: an account's orders share its
  // ledger item and its trade_updates head, and in parallel each of its writes raced the others'
  // (a conditional write lost, re-read, retried: quadratic in the account's orders in the batch).
  // One after another, each starts from the ledger and head the previous one wrote (cached).
  const byAccount = new Map<string, [string, { index: number; event: StoredEvent }[]][]>();
  for (const [orderId, records] of eventsByOrder(items)) {
    const accountId = (records[0] as (typeof records)[number]).event.accountId;
    const orders = byAccount.get(accountId) ?? [];
    orders.push([orderId, records]);
    byAccount.set(accountId, orders);
  }
  await Promise.all(
    [...byAccount.values()].map(async (orders) => {
      for (const [orderId, records] of orders) {
        const minSeq = Math.max(...records.map((r) => r.event.seq));
        try {
          const batchEvents = records.map((r) => r.event);
          if ((await projectOrder(deps, orderId, minSeq, batchEvents)) === 'written') written++;
          else stale++;
        } catch (err) {
          logger.error('order view not updated', { orderId, error: errorName(err), detail: String(err) });
          failed.add((records[0] as (typeof records)[number]).index);
        }
      }
    }),
  );
  metrics.addMetric('ViewsWritten', MetricUnit.Count, written);
  metrics.addMetric('StaleViewsSkipped', MetricUnit.Count, stale);
  metrics.addMetric('ViewsFailed', MetricUnit.Count, failed.size);
  return partialBatchResponse(items, failed);
}
