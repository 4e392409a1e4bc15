/**
 * Stalled-workflow sweeper (EventBridge schedule, every minute): an order whose workflow never
 * started (the signaller's StartExecution kept failing and its stream record went to the
 * on-failure queue) would stay pending_new for ever. This finds orders still pending_new older
 * than MIN_AGE_MS through the sparse GSI `byPendingNew` of the orders read model (oldest first,
 * every shard) and starts their workflow with the SAME name and input the signaller uses
 * (`execution-input.ts`), read from the order's `OrderSubmitted` (seq 1, consistent read).
 *
 * StartExecution is idempotent for the same name and input, so an order that is merely slow
 * (its workflow running, the venue's acknowledgement not in yet) costs one call and nothing
 * happens: the answer's startDate predates the sweep. An execution that has ended while the
 * order is still pending_new answers `ExecutionAlreadyExists`: nothing to restart, logged for an
 * operator. Each restart is logged and counted (`WorkflowsRestarted`). A failure for one order
 * is logged and counted and does not stop the others; the next run tries again.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { SFNClient } from '@aws-sdk/client-sfn';
import { type DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import type { OrderEvent, OrderSubmitted } from '../core/index.js';
import { ORDERS_INDEX } from '../orders/order-view-indexes.js';
import { PENDING_NEW_SHARDS } from '../orders/order-view-item.js';
import { startOrderWorkflow } from '../orders/workflow-start.js';
import { ENV, requiredEnv } from '../platform/config.js';
import { dynamo } from '../platform/dynamo.js';
import { metrics } from '../platform/metrics.js';
import { logger } from '../platform/observability.js';
import { stepFunctions } from '../platform/step-functions.js';

/** How long an order may be pending_new before its workflow is presumed lost. */
export const MIN_AGE_MS = 60_000;
/** Orders taken per shard and run (oldest first); a larger backlog drains over the next runs. */
export const PER_SHARD_LIMIT = 25;
/** StartExecution calls in flight at once. */
const CONCURRENCY = 10;
/**
 * A start answered with a startDate this much before the sweep began found a running execution.
 * Generous against clock skew between this function and Step Functions.
 */
const RUNNING_SKEW_MS = 5_000;

export const PENDING_NEW_INDEX = ORDERS_INDEX.byPendingNew;

export interface SweeperDeps {
  readonly doc: DynamoDBDocumentClient;
  readonly sfn: SFNClient;
  readonly ordersTable: string;
  readonly eventStoreTable: string;
  readonly stateMachineArn: string;
  readonly now: () => number;
}

export type SweepOutcome = 'restarted' | 'running' | 'ended' | 'failed';

export interface SweepResult {
  readonly found: number;
  readonly outcomes: Readonly<Record<SweepOutcome, number>>;
}

const METRIC: Record<SweepOutcome, string> = {
  restarted: 'WorkflowsRestarted',
  running: 'StalledOrdersWorkflowRunning',
  ended: 'StalledOrdersWorkflowEnded',
  failed: 'WorkflowRestartsFailed',
};

/** Order ids of one shard that have been pending_new since before `cutoff` (ISO), oldest first. */
async function pendingSince(deps: SweeperDeps, shard: number, cutoff: string): Promise<string[]> {
  const out = await deps.doc.send(
    new QueryCommand({
      TableName: deps.ordersTable,
      IndexName: PENDING_NEW_INDEX,
      KeyConditionExpression: 'awaitingWorkflow = :pk AND createdKey < :cutoff',
      ExpressionAttributeValues: { ':pk': `pending_new#${shard}`, ':cutoff': cutoff },
      ScanIndexForward: true,
      Limit: PER_SHARD_LIMIT,
    }),
  );
  return (out.Items ?? []).map((i) => i.orderId).filter((id): id is string => typeof id === 'string');
}

async function eventAt(deps: SweeperDeps, orderId: string, seq: number): Promise<OrderEvent | undefined> {
  const out = await deps.doc.send(
    new GetCommand({ TableName: deps.eventStoreTable, Key: { orderId, seq }, ConsistentRead: true }),
  );
  return out.Item as OrderEvent | undefined;
}

/** The order's `OrderSubmitted`, and for an activated leg of a contingent order when it was activated. */
async function submittedEventOf(
  deps: SweeperDeps,
  orderId: string,
): Promise<{ submitted: OrderSubmitted; activatedAt?: string }> {
  const event = await eventAt(deps, orderId, 1);
  if (event?.type !== 'OrderSubmitted') throw new Error(`order ${orderId} has no OrderSubmitted at seq 1`);
  if (event.data.contingency?.held !== true) return { submitted: event };
  const activated = await eventAt(deps, orderId, 2);
  if (activated?.type !== 'OrderActivated')
    throw new Error(`held order ${orderId} has no OrderActivated at seq 2`);
  return { submitted: event, activatedAt: activated.occurredAt };
}

async function restart(deps: SweeperDeps, orderId: string, sweepStartedAt: number): Promise<SweepOutcome> {
  try {
    const { submitted, activatedAt } = await submittedEventOf(deps, orderId);
    const started = await startOrderWorkflow(deps.sfn, deps.stateMachineArn, submitted, activatedAt);
    if (started.kind === 'already_exists') {
      logger.warn('order still pending_new but its workflow has ended', { orderId });
      return 'ended';
    }
    const startedAt = started.startDate?.getTime();
    if (startedAt !== undefined && startedAt < sweepStartedAt - RUNNING_SKEW_MS) return 'running';
    logger.warn('restarted the workflow of a stalled order', {
      orderId,
      submittedAt: submitted.occurredAt,
    });
    return 'restarted';
  } catch (err) {
    logger.error('could not restart the workflow of a stalled order', {
      orderId,
      error: (err as { name?: unknown }).name,
      detail: String(err),
    });
    return 'failed';
  }
}

export async function startStalledWorkflows(deps: SweeperDeps): Promise<SweepResult> {
  const sweepStartedAt = deps.now();
  const cutoff = new Date(sweepStartedAt - MIN_AGE_MS).toISOString();
  const shards = Array.from({ length: PENDING_NEW_SHARDS }, (_, i) => i);
  const orderIds = [...new Set((await Promise.all(shards.map((s) => pendingSince(deps, s, cutoff)))).flat())];

  const outcomes: Record<SweepOutcome, number> = { restarted: 0, running: 0, ended: 0, failed: 0 };
  let next = 0;
  const worker = async () => {
    while (next < orderIds.length) {
      const orderId = orderIds[next++] as string;
      outcomes[await restart(deps, orderId, sweepStartedAt)]++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, orderIds.length) }, worker));
  return { found: orderIds.length, outcomes };
}

export async function handler(_event: unknown, context?: Context): Promise<SweepResult> {
  if (context !== undefined) logger.addContext(context);
  try {
    const result = await startStalledWorkflows({
      doc: dynamo,
      sfn: stepFunctions,
      ordersTable: requiredEnv(ENV.ordersTable),
      eventStoreTable: requiredEnv(ENV.eventStoreTable),
      stateMachineArn: requiredEnv(ENV.stateMachineArn),
      now: Date.now,
    });
    metrics.addMetric('StalledOrdersFound', MetricUnit.Count, result.found);
    for (const [outcome, n] of Object.entries(result.outcomes))
      metrics.addMetric(METRIC[outcome as SweepOutcome], MetricUnit.Count, n);
    if (result.found > 0) logger.info('stalled-workflow sweep', { ...result });
    return result;
  } finally {
    metrics.publishStoredMetrics();
  }
}
