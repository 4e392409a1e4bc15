/**
 * In-flight check (EventBridge schedule, every minute; local mode runs it every few seconds, from
 * start-up on): an acknowledged cancel or replace is never lost (issue 16). A request travels
 * API -> event store -> bus -> queue -> forward-to-venue -> venue, and the venue's answer back; a
 * message lost on the way (a process killed with its in-memory queue, a delivery dead-lettered)
 * left the order `new` with the request outstanding, every later DELETE/PATCH refused, and the
 * order filling at its old terms.
 *
 * This finds requests outstanding longer than the threshold through the sparse GSI
 * `byRequestInFlight` of the orders read model (oldest first, every shard), asks the order's venue
 * for its status (the venue port's status query, FIX OrderStatusRequest) and does what the core
 * decides (core in-flight.ts `inFlightResolutionOf`):
 * - `resend`: the venue still holds the order open: the cancel or replace goes again (idempotent
 *   at the venue, keyed by ClOrdID); its answer comes back as usual;
 * - `apply`: the venue answered and the answer was lost: the answer is applied as its execution
 *   report would have been (`applyReport`: the same path, a replacement opened with it), under an
 *   exec id of its own (`<orderId>:in-flight:<execType>`); a real report arriving later finds the
 *   order closed and changes nothing;
 * - `break`: recorded on the order (`OrderExceptionRecorded`, stage `in_flight_check`, once per
 *   kind), logged and counted (`InFlightRequestBreaks`): an operator's.
 * A failure for one order is logged and counted and does not stop the others; the next run tries
 * again. Per order: nothing on the path of an order without a cancel or replace.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { type InFlightResolution, inFlightResolutionOf, type OrderState } from '../core/index.js';
import { type EventStore, runCommand } from '../event-store/event-store.js';
import { ORDERS_INDEX } from '../orders/order-view-indexes.js';
import { REQUEST_IN_FLIGHT_SHARDS } from '../orders/order-view-item.js';
import { ENV, requiredEnv } from '../platform/config.js';
import { dynamo } from '../platform/dynamo.js';
import { inFlightThresholdFromEnv } from '../platform/in-flight-settings.js';
import { metrics } from '../platform/metrics.js';
import { logger } from '../platform/observability.js';
import { applyReport } from './apply-report.js';
import type { ExecutionReport } from './execution-report.js';
import type { Venue } from './venue.js';
import { eventStore, venueFor } from './wiring.js';

/** Orders taken per shard and run (oldest first); a larger backlog drains over the next runs. */
export const PER_SHARD_LIMIT = 25;
/** The workflow stage a break is recorded under. */
export const IN_FLIGHT_STAGE = 'in_flight_check';

export interface InFlightCheckDeps {
  readonly doc: DynamoDBDocumentClient;
  readonly ordersTable: string;
  readonly store: EventStore;
  readonly venueFor: (name: string | undefined) => Pick<Venue, 'name' | 'cancel' | 'replace' | 'orderStatus'>;
  readonly now: () => number;
  readonly thresholdMs: number;
}

export type InFlightOutcome = InFlightResolution['kind'] | 'failed';

export interface InFlightCheckResult {
  readonly found: number;
  readonly outcomes: Readonly<Record<InFlightOutcome, number>>;
}

/** Order ids of one shard with a request outstanding since before `cutoff` (ISO), oldest first. */
async function requestsSince(deps: InFlightCheckDeps, shard: number, cutoff: string): Promise<string[]> {
  const out = await deps.doc.send(
    new QueryCommand({
      TableName: deps.ordersTable,
      IndexName: ORDERS_INDEX.byRequestInFlight,
      KeyConditionExpression: 'requestInFlight = :pk AND requestedAt < :cutoff',
      ExpressionAttributeValues: { ':pk': `request#${shard}`, ':cutoff': cutoff },
      ScanIndexForward: true,
      Limit: PER_SHARD_LIMIT,
    }),
  );
  return (out.Items ?? []).map((i) => i.orderId).filter((id): id is string => typeof id === 'string');
}

/** The venue's answer the OMS missed, as the report that would have carried it. */
function missedReport(
  state: OrderState,
  venue: string,
  venueOrderId: string,
  execType: 'canceled' | 'replaced' | 'expired',
  cumQty: string,
  at: string,
  replacedBy?: string,
): ExecutionReport {
  return {
    venue,
    orderId: state.orderId,
    venueOrderId,
    execId: `${state.orderId}:in-flight:${execType}`,
    execType,
    cumQty,
    transactTime: at,
    ...(execType === 'replaced' && replacedBy !== undefined ? { replacementVenueOrderId: replacedBy } : {}),
  };
}

/** Settles one order's outstanding request (see the module comment); never throws: `failed` is counted. */
export async function resolveInFlightRequest(
  deps: InFlightCheckDeps,
  orderId: string,
): Promise<InFlightOutcome> {
  try {
    const { state } = await deps.store.loadState(orderId);
    if (state === undefined) return 'none';
    const venue = deps.venueFor(state.venue ?? undefined);
    const status = await venue.orderStatus(orderId);
    const now = deps.now();
    const resolution = inFlightResolutionOf(state, status, now, deps.thresholdMs);
    const log = { orderId, venue: venue.name, resolution, venueStatus: status?.status ?? null };
    switch (resolution.kind) {
      case 'none':
      case 'wait':
        return resolution.kind;
      case 'resend':
        logger.warn('request in flight too long: sent to the venue again', log);
        if (resolution.request === 'cancel') await venue.cancel(orderId, state.cancelRequestedBy ?? 'client');
        else if (state.replaceRequest !== null)
          await venue.replace(orderId, state.replaceRequest.replacementOrderId, state.replaceRequest.changes);
        return 'resend';
      case 'apply': {
        logger.warn("request in flight too long: the venue's lost answer applied", log);
        const report = missedReport(
          state,
          venue.name,
          status?.venueOrderId ?? orderId,
          resolution.execType,
          status?.filledQty ?? '0',
          new Date(now).toISOString(),
          status?.replacedBy,
        );
        await applyReport(deps.store, report, deps.now);
        return 'apply';
      }
      case 'break': {
        logger.error('request in flight too long: a break for an operator', log);
        await runCommand(
          deps.store,
          orderId,
          {
            type: 'recordException',
            stage: IN_FLIGHT_STAGE,
            error: resolution.type,
            cause: resolution.detail,
            reachedVenue: true,
          },
          (s) => ({
            accountId: s.accountId,
            correlationId: orderId,
            causationId: `${IN_FLIGHT_STAGE}:${orderId}`,
          }),
          deps.now,
        );
        return 'break';
      }
    }
  } catch (err) {
    logger.error('in-flight check failed for an order', { orderId, error: err as Error });
    return 'failed';
  }
}

export async function checkInFlightRequests(deps: InFlightCheckDeps): Promise<InFlightCheckResult> {
  const cutoff = new Date(deps.now() - deps.thresholdMs).toISOString();
  const shards = Array.from({ length: REQUEST_IN_FLIGHT_SHARDS }, (_, i) => i);
  const orderIds = [
    ...new Set((await Promise.all(shards.map((s) => requestsSince(deps, s, cutoff)))).flat()),
  ];
  const outcomes: Record<InFlightOutcome, number> = {
    none: 0,
    wait: 0,
    resend: 0,
    apply: 0,
    break: 0,
    failed: 0,
  };
  // One order at a time: a handful per run, and each may call its venue.
  for (const orderId of orderIds) outcomes[await resolveInFlightRequest(deps, orderId)]++;
  return { found: orderIds.length, outcomes };
}

/** The threshold (`OMS_IN_FLIGHT_THRESHOLD_MS`, else the core's): one reader for every function. */
export const thresholdFromEnv = inFlightThresholdFromEnv;

export async function handler(_event: unknown, context?: Context): Promise<InFlightCheckResult> {
  if (context !== undefined) logger.addContext(context);
  try {
    const result = await checkInFlightRequests({
      doc: dynamo,
      ordersTable: requiredEnv(ENV.ordersTable),
      store: eventStore(),
      venueFor,
      now: Date.now,
      thresholdMs: thresholdFromEnv(),
    });
    metrics.addMetric('InFlightRequestsFound', MetricUnit.Count, result.found);
    metrics.addMetric('InFlightRequestsResent', MetricUnit.Count, result.outcomes.resend);
    metrics.addMetric('InFlightAnswersApplied', MetricUnit.Count, result.outcomes.apply);
    metrics.addMetric('InFlightRequestBreaks', MetricUnit.Count, result.outcomes.break);
    metrics.addMetric('InFlightChecksFailed', MetricUnit.Count, result.outcomes.failed);
    if (result.found > 0) logger.info('in-flight check', { ...result });
    return result;
  } finally {
    metrics.publishStoredMetrics();
  }
}
