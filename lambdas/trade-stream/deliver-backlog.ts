/**
 * The trade_updates backlog worker (issue 14): consumer of the queue the `TradeUpdatesBacklogged`
 * rule feeds. The order stream consumer sends an account's updates itself for at most 2 s (its
 * shard waits for it); when listeners are still behind then (many connections, a burst of
 * updates), it hands the account over with that event. Here the account's listeners are caught up
 * for up to DELIVERY_BUDGET_MS, and handed over again (another event) if still behind, so a
 * backlog always has a sender until it is gone, never a sender past its timeout holding the lease.
 *
 * A record that fails (the table throttled, the bus refused) is retried by the queue (partial batch
 * failures), then dead-lettered, which Operations alarms on; the listeners' cursors in the table
 * make a redelivery send nothing twice.
 */
import { randomUUID } from 'node:crypto';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import * as z from 'zod/mini';
import { parseOrThrow } from '../core/zod-messages.js';
import { backlogHandOver, type DeliveryDeps, deliverOrHandOver } from '../orders/trade-update-stream.js';
import { ENV, requiredEnv } from '../platform/config.js';
import { managementApiConnections } from '../platform/connections.js';
import { dynamo } from '../platform/dynamo.js';
import { eventBridge } from '../platform/event-bridge.js';
import { metrics } from '../platform/metrics.js';
import { logger } from '../platform/observability.js';
import { processSqsBatch } from '../platform/sqs-batch.js';

/** Well inside the function's 60 s timeout: the lease is always given back by this invocation. */
export const DELIVERY_BUDGET_MS = 20_000;

const recordBody = z.object({ detail: z.object({ accountId: z.string().check(z.minLength(1)) }) });

export interface BacklogDeps {
  readonly delivery: DeliveryDeps;
  /** Hands the account over again (a `TradeUpdatesBacklogged` event). */
  readonly handOver: (accountId: string) => Promise<void>;
}

/** One account's backlog (a record's EventBridge event). Throws when it should be retried. */
export async function deliverBacklog(event: unknown, deps: BacklogDeps): Promise<void> {
  const { accountId } = parseOrThrow(recordBody, event).detail;
  const r = await deliverOrHandOver(deps.delivery, accountId, DELIVERY_BUDGET_MS, deps.handOver);
  logger.info('trade updates backlog delivered', { accountId, ...r });
}

const deps: BacklogDeps = {
  delivery: {
    doc: dynamo,
    table: requiredEnv(ENV.tradeStreamTable),
    connections: managementApiConnections(),
    now: Date.now,
    senderId: randomUUID(),
  },
  handOver: backlogHandOver(eventBridge, () => requiredEnv(ENV.eventBusName)),
};

async function deliverRecord(record: SQSRecord): Promise<void> {
  try {
    await deliverBacklog(JSON.parse(record.body), deps);
  } catch (err) {
    logger.error('trade updates backlog not delivered', { messageId: record.messageId, error: err as Error });
    throw err;
  }
}

/** The deployed handler: a batch of accounts' backlogs, answered with the failed records. */
export async function deliverBacklogBatch(event: SQSEvent, context?: Context): Promise<SQSBatchResponse> {
  try {
    return await processSqsBatch(event, deliverRecord, {
      ...(context ? { context } : {}),
      // Each record is its own account: they run together, a failure fails only its record.
      processInParallel: true,
    });
  } finally {
    metrics.publishStoredMetrics();
  }
}

export const handler = middy(deliverBacklogBatch).use(injectLambdaContext(logger));
