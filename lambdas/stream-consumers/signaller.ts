/**
 * Signaller: the event store's stream -> the order's workflow.
 *
 * - `OrderSubmitted` starts the order's execution of the lifecycle state machine, named by the
 *   order id, with an input derived only from the event (a held leg of a contingent order starts
 *   on its `OrderActivated` instead, from both events): a redelivery sends the same request,
 *   which Step Functions answers with the running execution or `ExecutionAlreadyExists` (both
 *   success). Name and input come from `workflow/execution-input.ts`, shared with the sweeper
 *   that restarts a start lost here (`workflow/start-stalled-workflows.ts`).
 * - The closing milestone (the event that settles the order, see `milestones.ts`, decided from
 *   the replayed state) releases the task token the workflow's await-outcome step stored in
 *   TASK_TOKENS_TABLE: `SendTaskSuccess` with `{orderId, status, seq}`. The trigger of a stop the
 *   OMS held (`heldTriggerFired`: its `OrderTriggered`, or for a group's stop-loss held on after
 *   its trigger, its `OrderActivated`) releases the token of `Hold until triggered` (an item with
 *   `awaits: trigger`), never an outcome wait; a close while armed releases either. A token already used or
 *   gone (`TaskTimedOut`, `InvalidToken`, `TaskDoesNotExist`) is success. No token yet is fine:
 *   await-outcome stores its token first and then checks whether the order is already settled.
 *
 * Failures (throttling included) are reported per record, never thrown: the first failed record
 * of the batch is where the shard resumes.
 */

import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { evolve, type OrderActivated, type OrderState, type OrderSubmitted } from '../core/index.js';
import { EventStore, type StoredEvent } from '../event-store/event-store.js';
import type { OrderStateCache } from '../event-store/state-cache.js';
import {
  errorName,
  eventsByOrder,
  partialBatchResponse,
  readRecords,
} from '../event-store/stream-records.js';
import { startOrderWorkflow } from '../orders/workflow-start.js';
import { metrics } from '../platform/metrics.js';
import { logger } from '../platform/observability.js';
import { type ClosingMilestone, closingMilestone, heldTriggerFired } from './milestones.js';

export interface SignallerDeps {
  /** States of orders this environment has signalled (default: none remembered). */
  readonly states?: OrderStateCache;
  readonly doc: DynamoDBDocumentClient;
  readonly sfn: SFNClient;
  readonly eventStoreTable: string;
  readonly taskTokensTable: string;
  readonly stateMachineArn: string;
}

/** The execution's name and input are defined once, for the signaller and the sweeper alike. */
export { type ExecutionInput, executionInputOf } from '../orders/workflow-start.js';

const TOKEN_ALREADY_RELEASED = new Set(['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist']);

type Outcome = 'started' | 'already_started' | 'released' | 'already_released' | 'no_token';

const counts: Record<Outcome, string> = {
  started: 'ExecutionsStarted',
  already_started: 'ExecutionsAlreadyStarted',
  released: 'TokensReleased',
  already_released: 'TokensAlreadyReleased',
  no_token: 'TokensAbsent',
};

export async function startExecution(
  deps: SignallerDeps,
  e: OrderSubmitted,
  activatedAt?: string,
): Promise<Outcome> {
  const started = await startOrderWorkflow(deps.sfn, deps.stateMachineArn, e, activatedAt);
  return started.kind === 'started' ? 'started' : 'already_started';
}

/** A held leg's workflow starts when it is activated: its `OrderSubmitted` is read (seq 1). */
async function startActivated(deps: SignallerDeps, e: OrderActivated): Promise<Outcome> {
  const out = await deps.doc.send(
    new GetCommand({
      TableName: deps.eventStoreTable,
      Key: { orderId: e.orderId, seq: 1 },
      ConsistentRead: true,
    }),
  );
  const submitted = out.Item as OrderSubmitted | undefined;
  if (submitted?.type !== 'OrderSubmitted') throw new Error(`order ${e.orderId} has no OrderSubmitted`);
  return startExecution(deps, submitted, e.occurredAt);
}

/**
 * Releases the order's stored task token with the milestone. `onlyIfAwaiting`: release only a
 * token whose wait is for that (`awaits`; an item without it is an outcome wait).
 */
export async function releaseToken(
  deps: SignallerDeps,
  m: ClosingMilestone,
  onlyIfAwaiting?: 'trigger',
): Promise<Outcome> {
  const out = await deps.doc.send(
    new GetCommand({ TableName: deps.taskTokensTable, Key: { orderId: m.orderId }, ConsistentRead: true }),
  );
  const taskToken = out.Item?.taskToken;
  if (typeof taskToken !== 'string' || taskToken === '') return 'no_token';
  if (onlyIfAwaiting !== undefined && (out.Item?.awaits ?? 'outcome') !== onlyIfAwaiting) return 'no_token';
  try {
    await deps.sfn.send(
      new SendTaskSuccessCommand({
        taskToken,
        output: JSON.stringify({ orderId: m.orderId, status: m.status, seq: m.seq }),
      }),
    );
    return 'released';
  } catch (err) {
    if (TOKEN_ALREADY_RELEASED.has(errorName(err))) return 'already_released';
    throw err;
  }
}

/**
 * The milestone among the batch's records of one order that releases a wait: the closing one,
 * else a held trigger (`awaits: trigger` only). A batch that starts the order (a replacement can
 * open already filled, FIX D11), or continues the state this environment last saw
 * (`OrderStateCache`, issue 12), is judged from itself; anything else needs the order's history,
 * read consistently from the store.
 */
async function milestoneIn(
  deps: SignallerDeps,
  orderId: string,
  events: readonly StoredEvent[],
): Promise<{ milestone: ClosingMilestone; awaiting?: 'trigger' } | null> {
  const seqs = new Set(events.map((e) => e.seq));
  const known = deps.states?.stateBefore(events);
  if (known !== undefined && events.every((e, i) => e.seq === (events[0]?.seq ?? 0) + i)) {
    let after = known.state;
    for (const e of events) after = evolve(after, e);
    if (after !== undefined) deps.states?.remember(after);
    const closing = closingMilestone(events, known.state);
    if (closing !== null) return { milestone: closing };
    const trigger = heldTriggerFired(events, known.state);
    return trigger !== null ? { milestone: trigger, awaiting: 'trigger' } : null;
  }
  const history =
    events.length === 1 && events[0]?.type === 'OrderSubmitted'
      ? events
      : await new EventStore(deps.doc, deps.eventStoreTable).load(orderId);
  const last = history[history.length - 1]?.seq ?? 0;
  if (last < Math.max(...seqs))
    throw new Error(`event store has order ${orderId} at seq ${last}, behind the stream`);
  let final: OrderState | undefined;
  for (const e of history) final = evolve(final, e);
  if (final !== undefined) deps.states?.remember(final);
  const closing = closingMilestone(history);
  if (closing !== null && seqs.has(closing.seq)) return { milestone: closing };
  const trigger = heldTriggerFired(history);
  return trigger !== null && seqs.has(trigger.seq) ? { milestone: trigger, awaiting: 'trigger' } : null;
}

/** Signals one order's records, in order; returns the index of the first that failed, if any. */
async function signalOrder(
  deps: SignallerDeps,
  orderId: string,
  records: readonly { readonly index: number; readonly event: StoredEvent }[],
  tally: (o: Outcome) => void,
): Promise<number | null> {
  for (const { index, event } of records) {
    // A group's stop-loss activated after its trigger has its workflow already (`Hold until
    // triggered`): the activation releases that wait (`heldTriggerFired`), it starts nothing.
    const starts =
      (event.type === 'OrderSubmitted' && event.data.contingency?.held !== true) ||
      (event.type === 'OrderActivated' && event.data.afterTrigger !== true);
    if (!starts) continue;
    try {
      tally(
        await (event.type === 'OrderActivated'
          ? startActivated(deps, event)
          : startExecution(deps, event as OrderSubmitted)),
      );
    } catch (err) {
      logger.error('StartExecution failed', { orderId, error: errorName(err) });
      return index;
    }
  }
  let milestone: ClosingMilestone | null = null;
  try {
    const found = await milestoneIn(
      deps,
      orderId,
      records.map((r) => r.event),
    );
    milestone = found?.milestone ?? null;
    if (found !== null) tally(await releaseToken(deps, found.milestone, found.awaiting));
    return null;
  } catch (err) {
    logger.error('releasing the task token failed', { orderId, milestone, error: errorName(err) });
    const at = records.find((r) => r.event.seq === milestone?.seq) ?? records[0];
    return at?.index ?? null;
  }
}

export async function signalBatch(
  event: DynamoDBStreamEvent,
  deps: SignallerDeps,
): Promise<DynamoDBBatchResponse> {
  const items = readRecords(event);
  const failed = new Set<number>();
  const tallies = new Map<Outcome, number>();
  const tally = (o: Outcome) => tallies.set(o, (tallies.get(o) ?? 0) + 1);
  await Promise.all(
    [...eventsByOrder(items)].map(async ([orderId, records]) => {
      const index = await signalOrder(deps, orderId, records, tally);
      if (index !== null) failed.add(index);
    }),
  );
  for (const [outcome, n] of tallies) metrics.addMetric(counts[outcome], MetricUnit.Count, n);
  metrics.addMetric('SignalsFailed', MetricUnit.Count, failed.size);
  return partialBatchResponse(items, failed);
}
