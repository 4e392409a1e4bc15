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
 */

import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { OrderState } from '../core/index.js';
import { EventStore, type StoredEvent } from '../event-store/event-store.js';
import type { OrderStateCache } from '../event-store/state-cache.js';
import {
  errorName,
  eventsByOrder,
  partialBatchResponse,
  readRecords,
} from '../event-store/stream-records.js';
import { orderViewItem } from '../orders/order-view-item.js';
import { logger, metrics } from '../platform/observability.js';

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
  readonly beforeWrite?: (state: OrderState, events: readonly StoredEvent[]) => Promise<void>;
}

export type ProjectionResult = 'written' | 'stale';

/** Rebuilds one order and writes its view unless an equal or newer one exists. */
export async function projectOrder(
  deps: ProjectorDeps,
  orderId: string,
  minSeq: number,
  batchEvents: readonly StoredEvent[] = [],
): Promise<ProjectionResult> {
  const state =
    deps.states?.stateAfter(batchEvents) ??
    (await new EventStore(deps.doc, deps.eventStoreTable).loadState(orderId)).state;
  if (state === undefined || state.seq < minSeq) {
    throw new Error(`event store has order ${orderId} at seq ${state?.seq ?? 0}, the stream at ${minSeq}`);
  }
  await deps.beforeWrite?.(state, batchEvents);
  const item = orderViewItem(state);
  try {
    await deps.doc.send(
      new PutCommand({
        TableName: deps.ordersTable,
        Item: item,
        ConditionExpression: 'attribute_not_exists(orderId) OR version < :seq',
        ExpressionAttributeValues: { ':seq': item.version },
      }),
    );
    deps.states?.remember(state);
    return 'written';
  } catch (err) {
    if (errorName(err) === 'ConditionalCheckFailedException') return 'stale';
    throw err;
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
  await Promise.all(
    [...eventsByOrder(items)].map(async ([orderId, records]) => {
      const minSeq = Math.max(...records.map((r) => r.event.seq));
      try {
        const batchEvents = records.map((r) => r.event);
        if ((await projectOrder(deps, orderId, minSeq, batchEvents)) === 'written') written++;
        else stale++;
      } catch (err) {
        logger.error('order view not updated', { orderId, error: errorName(err), message: String(err) });
        failed.add((records[0] as (typeof records)[number]).index);
      }
    }),
  );
  metrics.addMetric('ViewsWritten', MetricUnit.Count, written);
  metrics.addMetric('StaleViewsSkipped', MetricUnit.Count, stale);
  metrics.addMetric('ViewsFailed', MetricUnit.Count, failed.size);
  return partialBatchResponse(items, failed);
}
