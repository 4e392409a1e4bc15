/**
 * Group coordinator: the event store's stream -> the members of contingent orders (bracket, OCO,
 * OTO). Its event source mapping only passes events that carry a `groupId` (events of group
 * members). For each group in the batch it reads the members as they stand (consistent reads,
 * chain heads), asks the core what the group must do (`reconcileGroup`) and carries that out
 * through each member's own command:
 * - activate a held exit (`OrderActivated`: the signaller then starts its workflow);
 * - resize a working exit (`OrderReplaceRequested` with the new total qty: the normal replace path);
 * - cancel an exit (a held one closes at once; a working one through the venue);
 * - record an over-execution (both exits filled past the position) on each exit that filled.
 *
 * Running it again is harmless (a member refuses what it has already been asked), and every
 * member event runs it again, so the group converges whatever order its events arrive in. A
 * failure is reported at the group's first record in the batch, so the shard resumes there.
 */
import { randomUUID } from 'node:crypto';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { ChildOutcome } from '../core/algos/plugin.js';
import {
  type AlgoAction,
  formatNanos,
  type GroupAction,
  type OrderCommand,
  type OrderState,
  ROUTED_CHILDREN_CLOSED,
  reconcileAlgo,
  reconcileGroup,
} from '../core/index.js';
import { type EventStore, eventStore, runCommand } from '../event-store/event-store.js';
import {
  errorName,
  partialBatchResponse,
  readRecords,
  streamHandler,
} from '../event-store/stream-records.js';
import { type AlgoStepDeps, algoStepDeps, runAlgoStep } from '../orders/algo-orders.js';
import { COORDINATOR, loadGroup } from '../orders/contingent-groups.js';
import { rerouteRemainder, routingDeps } from '../orders/order-routing.js';
import { runReplaceCommand } from '../orders/replacements.js';
import { ENV, requiredEnv } from '../platform/config.js';
import { marketData } from '../platform/market-data.js';
import { metrics } from '../platform/metrics.js';
import { logger } from '../platform/observability.js';
import { sessionOptionsFromEnv } from '../platform/session-settings.js';

export function commandOf(action: GroupAction, newOrderId: () => string): OrderCommand {
  switch (action.kind) {
    case 'activate':
      return { type: 'activate', qty: formatNanos(action.qty) };
    case 'resize':
      return {
        type: 'requestReplace',
        replacementOrderId: newOrderId(),
        changes: { qty: formatNanos(action.qty) },
        requestedBy: COORDINATOR,
      };
    case 'cancel':
      return { type: 'requestCancel', requestedBy: `${COORDINATOR}:${action.reason}` };
    case 'overExecution':
      return {
        type: 'recordException',
        stage: 'contingency',
        error: 'over_execution',
        cause: `the exits filled ${formatNanos(action.exitFilledQty)} against a position of ${formatNanos(action.positionQty)}`,
        reachedVenue: true,
      };
  }
}

/**
 * Carries out an algorithmic parent's actions (`reconcileAlgo`) and its algorithm's reaction to
 * closed children, pass after pass while a pass changes something (a child's close can let the
 * parent's cancel be confirmed at once; the next event would too). At most `ALGO_PASSES`.
 */
async function coordinateAlgo(
  store: EventStore,
  parent: OrderState,
  causationId: string,
  now: () => number,
  algoDeps: () => AlgoStepDeps,
): Promise<number> {
  let done = 0;
  let current: OrderState | undefined = parent;
  for (let pass = 0; pass < ALGO_PASSES && current !== undefined; pass++) {
    const changed = await algoPass(store, current, causationId, now, algoDeps);
    if (changed === 0) break;
    done += changed;
    current = (await store.loadState(parent.orderId)).state;
  }
  return done;
}

/** Passes of `coordinateAlgo`: mirror and close, then confirm a cancel, with one to spare. */
const ALGO_PASSES = 3;

/** One pass of `reconcileAlgo` over the parent and its open children; returns what it appended. */
async function algoPass(
  store: EventStore,
  parent: OrderState,
  causationId: string,
  now: () => number,
  algoDeps: () => AlgoStepDeps,
): Promise<number> {
  const groupId = parent.orderId;
  const children = new Map<string, OrderState>();
  for (const [id, known] of parent.algo?.children ?? []) {
    if (!known.open) continue;
    const { state } = await store.loadState(id);
    if (state !== undefined) children.set(id, state);
  }
  const meta = (s: OrderState) => ({ accountId: s.accountId, correlationId: groupId, causationId });
  let done = 0;
  const closed: ChildOutcome[] = [];
  for (const a of reconcileAlgo(parent, children)) {
    if (a.kind === 'rerouteRemainder') {
      // Not a command on one order: a routing decision and the new children, in one write.
      const rerouted = await rerouteRemainder(routingDeps(store, algoDeps().market), groupId, a.rejectedBy);
      logger.info('split order remainder routed again', {
        groupId,
        qty: a.qty,
        rejectedBy: a.rejectedBy,
        rerouted,
      });
      if (rerouted.kind !== 'skipped') done++;
      continue;
    }
    const [orderId, command] = algoCommandOf(groupId, a);
    const result = await runCommand(store, orderId, command, meta, now);
    if (result.appended.length > 0) {
      done++;
      if (a.kind === 'closeChild') closed.push(a.outcome);
    }
  }
  // A child closed: the algorithm may act at once (an iceberg's next clip).
  for (const outcome of closed) {
    const { state } = await store.loadState(groupId);
    const latest = Math.max(-1, ...(state?.algo?.decidedSlices ?? []));
    const step = await runAlgoStep(algoDeps(), groupId, 'child_closed', latest, outcome);
    logger.info('algorithm after a child closed', { groupId, outcome, step });
  }
  return done;
}

/** The order an algo action is for, and the command it is (a re-route is carried out apart). */
function algoCommandOf(
  groupId: string,
  a: Exclude<AlgoAction, { kind: 'rerouteRemainder' }>,
): [string, OrderCommand] {
  switch (a.kind) {
    case 'mirrorFill':
      return [
        groupId,
        {
          type: 'fill',
          execId: a.execId,
          lastQty: a.lastQty,
          lastPx: a.lastPx,
          childOrderId: a.childOrderId,
          ...(a.venue === undefined ? {} : { venue: a.venue }),
          ...(a.fee === undefined ? {} : { fee: a.fee }),
          ...(a.liquidity === undefined ? {} : { liquidity: a.liquidity }),
        },
      ];
    case 'closeChild':
      return [
        groupId,
        { type: 'closeChild', childOrderId: a.childOrderId, outcome: a.outcome, filledQty: a.filledQty },
      ];
    case 'cancelChild':
      return [a.childOrderId, { type: 'requestCancel', requestedBy: `${COORDINATOR}:parent_canceled` }];
    case 'confirmParentCancel':
      return [groupId, { type: 'confirmCancel' }];
    case 'cancelRoutedRemainder':
      return [groupId, { type: 'requestCancel', requestedBy: ROUTED_CHILDREN_CLOSED }];
  }
}

/** Reconciles one group; returns how many actions were carried out (a refused one counts not). */
export async function coordinateGroup(
  store: EventStore,
  groupId: string,
  causationId: string,
  now: () => number = Date.now,
  newOrderId: () => string = randomUUID,
  algoDeps: () => AlgoStepDeps = () => algoStepDeps(store, marketData(), sessionOptionsFromEnv()),
): Promise<number> {
  const { state: root } = await store.loadState(groupId);
  if (root?.algo !== null && root?.algo !== undefined)
    return coordinateAlgo(store, root, causationId, now, algoDeps);
  const group = await loadGroup(store, groupId, root);
  if (group === undefined) throw new Error(`group ${groupId} has no root in the event store`);
  let done = 0;
  for (const action of reconcileGroup(group.states)) {
    const command = commandOf(action, newOrderId);
    const meta = (s: OrderState) => ({ accountId: s.accountId, correlationId: groupId, causationId });
    // A resize of a stop the OMS holds replaces it at once: the replacement opens in the same write.
    const result =
      command.type === 'requestReplace'
        ? await runReplaceCommand(
            store,
            action.orderId,
            command,
            meta,
            now,
            requiredEnv(ENV.idempotencyTable),
          )
        : await runCommand(store, action.orderId, command, meta, now);
    if (result.appended.length > 0) {
      done++;
      logger.info('contingent order action', { groupId, orderId: action.orderId, action: action.kind });
    } else if (!result.decision.ok) {
      logger.info('contingent order action refused by the member', {
        groupId,
        orderId: action.orderId,
        action: action.kind,
        refusal: result.decision.refusal.code,
      });
    }
  }
  return done;
}

export async function coordinateBatch(
  event: DynamoDBStreamEvent,
  store: EventStore,
): Promise<DynamoDBBatchResponse> {
  const items = readRecords(event);
  // Each group once, reconciled after the batch's last event of it (its first record is where a
  // failure makes the shard resume).
  const groups = new Map<string, { first: number; lastEventId: string }>();
  items.forEach((item, index) => {
    if (item.kind !== 'event' || item.event.groupId === undefined) return;
    const g = groups.get(item.event.groupId);
    groups.set(item.event.groupId, { first: g?.first ?? index, lastEventId: item.event.eventId });
  });
  const failed = new Set<number>();
  let actions = 0;
  await Promise.all(
    [...groups].map(async ([groupId, g]) => {
      try {
        actions += await coordinateGroup(store, groupId, g.lastEventId);
      } catch (err) {
        logger.error('coordinating a contingent order failed', { groupId, error: errorName(err) });
        failed.add(g.first);
      }
    }),
  );
  metrics.addMetric('ContingentActions', MetricUnit.Count, actions);
  metrics.addMetric('ContingentGroupsFailed', MetricUnit.Count, failed.size);
  return partialBatchResponse(items, failed);
}

export const handler = streamHandler((event) => coordinateBatch(event, eventStore()));
