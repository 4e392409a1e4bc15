/**
 * Consumer of the execution report queue (bus rule on `ExecutionReport`, source `stockbot.venue`,
 * -> SQS; each record's body is the EventBridge event): runs each report's order command
 * (`commandOf`) with causationId = execId and appends what the core decides.
 *
 * - A batch is applied SEQUENTIALLY in a stable order (transactTime, then the per-order sequence n of
 *   the execId `<orderId>:<n>`), so the reports the venue published together apply in order. A
 *   report that must wait (`ReportOutOfOrder`) holds the later reports of its order in the batch;
 *   held reports get another pass while a pass makes progress (a replacement's fill waits for its
 *   `replaced` in the same batch). When a pass makes no progress, the held reports are tried again
 *   after short pauses (`HELD_REPORT_PAUSES_MS`): what they wait for is usually a report of the same
 *   venue call that another invocation is applying at that moment (the queue has no batching window,
 *   for latency). What still fails is reported as a batch item failure and comes
 *   back alone after the queue's visibility timeout (dead-letter queue after the max receives). An
 *   unexpected error fails that report and every later report of its order in the batch.
 * - A record whose body is not an execution report fails (it reaches the dead-letter queue).
 * - Reads (issue 12): a report decides on the order read once, consistently; the next report of the
 *   same order in the batch decides on the state the previous one appended (no read), which the
 *   append's condition proves current; anything but an append decided on it is decided again on a
 *   fresh read. Nothing is read back after an append: the state after it is the fold just made.
 *
 * - A redelivered or superseded report is refused or ignored by the core ("already done"): logged
 *   at info, success.
 * - A report that has overtaken what it depends on (the bus does not keep order) fails so the
 *   delivery is retried: an order whose stream does not exist yet (a replacement's first fill
 *   before its `replaced` was applied), a trigger before the acknowledgement, or a closing report
 *   whose CumQty is ahead of the fills applied (a cancel must not close the order before its
 *   fills, or they would be quarantined).
 * - `replaced`: after `OrderReplaced`, the replacement's opening events (core `openReplacement`)
 *   are appended to its own stream; an `AppendConflict` there means it is already open. The
 *   replacement works under the replaced order's venue id, or under `replacementVenueOrderId` when
 *   the report gives one (a venue that books the replacement as an order of its own: Alpaca).
 * - Trust (issue 16): a report from the bus is applied only when its event's source is the broker
 *   gateway's (`stockbot.venue`), and it names the venue the OMS sent the order to and the venue's
 *   own id of the order (core bus-trust.ts `executionReportRefusal`, decided on the state the report
 *   is decided on anyway: no read added). A refused report changes nothing on the order: it is
 *   logged at error, counted (`ExecutionReportsRefused`, alarmed) and published as
 *   `ExecutionReportRefused` (source `stockbot.oms.gateway`) for the operator; the record succeeds.
 *   The in-flight check's reports (the venue's own status query) do not come from the bus.
 */

import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import middy from '@middy/core';
import type { EventBridgeEvent, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { executionReportRefusal, type ReportRefusal } from '../core/bus-trust.js';
import { decide, nanos, type OrderState } from '../core/index.js';
import { parseOrThrow } from '../core/zod-messages.js';
import {
  AppendConflict,
  type Appending,
  type CommandResult,
  type EventStore,
  eventStore,
  runDecision,
} from '../event-store/event-store.js';
import { replacementOpening } from '../orders/replacements.js';
import { ENV, requiredEnv } from '../platform/config.js';
import { eventBridge } from '../platform/event-bridge.js';
import { metrics } from '../platform/metrics.js';
import { logger } from '../platform/observability.js';
import {
  type CancelAtVenueDetail,
  CLOSED_AT_OMS,
  cancelAtVenueEntry,
  GATEWAY_SOURCE,
} from './cancel-at-venue.js';
import {
  CLOSING_EXEC_TYPES,
  commandOf,
  type ExecutionReport,
  executionReportSchema,
  LIVE_EXEC_TYPES,
} from './execution-report.js';

const idempotencyTable = () => requiredEnv(ENV.idempotencyTable);

/** The report cannot apply yet; thrown so the delivery is retried. */
export class ReportOutOfOrder extends Error {
  override readonly name = 'ReportOutOfOrder';
}

export type ApplyOutcome = 'applied' | 'already_applied' | 'ignored' | 'refused';

/** Where the OMS's answers about refused reports come from (cancel-at-venue.ts), and their detail-type. */
export { GATEWAY_SOURCE };
export const EXECUTION_REPORT_REFUSED = 'ExecutionReportRefused';

/** The report may not be applied (core bus-trust.ts); thrown out of the decision, then recorded. */
export class ReportRefused extends Error {
  override readonly name = 'ReportRefused';
  constructor(readonly refusal: ReportRefusal) {
    super(refusal.message);
  }
}

/** Where a report came from: the bus event's source (absent: not from the bus). */
export interface ReportOriginEvent {
  readonly source: string;
}

/**
 * Records a refused report where an operator looks: the log (error), the metric
 * `ExecutionReportsRefused` (alarmed) and `ExecutionReportRefused` on the bus. A failed publish
 * throws, so the record comes back and the refusal is published on its retry.
 */
async function recordRefusal(report: ExecutionReport, source: string, refusal: ReportRefusal): Promise<void> {
  const detail = {
    orderId: report.orderId,
    execId: report.execId,
    execType: report.execType,
    venue: report.venue,
    venueOrderId: report.venueOrderId,
    ...(report.lastQty === undefined ? {} : { lastQty: report.lastQty }),
    ...(report.lastPx === undefined ? {} : { lastPx: report.lastPx }),
    source,
    code: refusal.code,
    message: refusal.message,
    refusedAt: new Date().toISOString(),
  };
  logger.error('execution report refused: not applied to the order', detail);
  metrics.addMetric('ExecutionReportsRefused', 'Count', 1);
  metrics.publishStoredMetrics();
  const out = await eventBridge.send(
    new PutEventsCommand({
      Entries: [
        {
          EventBusName: requiredEnv(ENV.eventBusName),
          Source: GATEWAY_SOURCE,
          DetailType: EXECUTION_REPORT_REFUSED,
          Detail: JSON.stringify(detail),
        },
      ],
    }),
  );
  if ((out.FailedEntryCount ?? 0) > 0)
    throw new Error(
      `${EXECUTION_REPORT_REFUSED} not published: ${out.Entries?.[0]?.ErrorMessage ?? 'failed'}`,
    );
}

/** Closed at the OMS by a cancel, reject or expiry: the venue must not hold it. */
const orphaned = (s: OrderState | undefined): boolean =>
  s !== undefined && (s.phase === 'canceled' || s.phase === 'rejected' || s.phase === 'expired');

/**
 * The states a batch's reports left their orders in (issue 12): the next report of the same order
 * in the batch decides on it instead of querying the order again. Per invocation, never across.
 */
export type BatchStates = Map<string, OrderState>;

/**
 * Asks forward-to-venue to cancel at the reporting venue an order the OMS has closed
 * (`CancelAtVenueRequested`, cancel-at-venue.ts); throws when it is not put, so the record fails.
 */
export async function requestCancelAtVenue(detail: CancelAtVenueDetail): Promise<void> {
  const out = await eventBridge.send(
    new PutEventsCommand({ Entries: [cancelAtVenueEntry(requiredEnv(ENV.eventBusName), detail)] }),
  );
  if ((out.FailedEntryCount ?? 0) > 0)
    throw new Error(`CancelAtVenueRequested not published: ${out.Entries?.[0]?.ErrorMessage ?? 'failed'}`);
}

/**
 * Applies one report. `cancelAtVenue` (the deployed handler's: `requestCancelAtVenue`) is asked
 * for a cancel when a report says an order the OMS has closed is live at the venue. `states`: the
 * state an earlier report of the batch left the order in, if any, and where this one leaves it.
 */
export async function applyReport(
  store: EventStore,
  report: ExecutionReport,
  now: () => number,
  cancelAtVenue?: (detail: CancelAtVenueDetail) => Promise<void>,
  states?: BatchStates,
  origin?: ReportOriginEvent,
): Promise<ApplyOutcome> {
  const { orderId, execId } = report;
  if (origin !== undefined) {
    // The source first: a report from anywhere but the gateway does not read the order.
    const refusal = executionReportRefusal({ ...report, source: origin.source }, null);
    if (refusal !== null) {
      await recordRefusal(report, origin.source, refusal);
      return 'refused';
    }
  }
  let result: CommandResult;
  try {
    result = await decideReport(store, report, now, states?.get(orderId), origin);
  } catch (err) {
    states?.delete(orderId);
    if (err instanceof ReportRefused && origin !== undefined) {
      await recordRefusal(report, origin.source, err.refusal);
      return 'refused';
    }
    throw err;
  }
  let outcome: ApplyOutcome = result.appended.length > 0 ? 'applied' : 'already_applied';
  if (!result.decision.ok) {
    const { code, message } = result.decision.refusal;
    if (code === 'not_working' && result.state?.phase === 'pending_new') {
      states?.delete(orderId);
      throw new ReportOutOfOrder(
        `${execId}: ${report.execType} before the venue's acknowledgement was applied`,
      );
    }
    logger.info('execution report not applicable (already done or superseded)', {
      execId,
      code,
      reason: message,
    });
    outcome = 'ignored';
  }
  if (result.state !== undefined) states?.set(orderId, result.state);
  if (
    cancelAtVenue !== undefined &&
    outcome !== 'already_applied' &&
    LIVE_EXEC_TYPES.has(report.execType) &&
    orphaned(result.state)
  ) {
    // The venue holds an order the OMS has closed (a submission that reached a venue after its
    // cancel's `unknown_order`, or after an expiry): cancel it there, through forward-to-venue.
    // Idempotent at the venue; its answers are no-ops for the closed order. A report applied before
    // (a fill repeated by a broker's REST catch-up after the order closed) says nothing new: nothing
    // is sent.
    logger.warn('order live at the venue but closed at the OMS: canceling it there', {
      orderId,
      execId,
      status: result.state?.phase,
    });
    await cancelAtVenue({
      orderId,
      venue: report.venue,
      venueOrderId: report.venueOrderId,
      execId,
      reason: CLOSED_AT_OMS,
    });
  }
  if (report.execType === 'replaced' && result.state?.phase === 'replaced') {
    await openReplacementStream(store, result.state, execId, now, report.replacementVenueOrderId);
  }
  return outcome;
}

/**
 * The report decided on the order's state and appended (a conflict reloads and decides again, the
 * command included, since it depends on the state). The state is read once, consistently, unless
 * `carried` (the state after this batch's previous report of the order) is given: it is trusted
 * only for an append, whose condition (the next seq does not exist yet) proves it was the latest;
 * a refusal, a no-op or a hold decided on it is decided again on the order as stored, since a
 * writer elsewhere (a cancel, the workflow, another batch) may have moved the order meanwhile.
 */
async function decideReport(
  store: EventStore,
  report: ExecutionReport,
  now: () => number,
  carried: OrderState | undefined,
  origin?: ReportOriginEvent,
): Promise<CommandResult> {
  const { orderId, execId } = report;
  const decideOn = (state: OrderState | undefined, at: number): Appending => {
    if (state === undefined)
      throw new ReportOutOfOrder(`${execId}: order ${orderId} is not in the event store yet`);
    if (origin !== undefined) {
      // Where the OMS sent the order, and the venue's id of it (issue 16): a report naming
      // another is not the venue's.
      const refusal = executionReportRefusal(
        { ...report, source: origin.source },
        { venue: state.venue, venueOrderId: state.venueOrderId },
      );
      if (refusal !== null) throw new ReportRefused(refusal);
    }
    if (CLOSING_EXEC_TYPES.has(report.execType) && report.cumQty !== undefined) {
      if (state.filledQty < nanos(report.cumQty)) {
        throw new ReportOutOfOrder(
          `${execId}: ${report.execType} at CumQty ${report.cumQty} overtook its fills`,
        );
      }
    }
    const command = commandOf(report, {
      acceptedByVenue: state.phase !== 'pending_new',
      cancelRequestedBy: state.cancelRequest === 'none' ? null : state.cancelRequestedBy,
    });
    return { decision: decide(state, command, at) };
  };
  const run = (loaded?: { readonly state: OrderState }) =>
    runDecision(
      store,
      orderId,
      decideOn,
      (s) => ({ accountId: s.accountId, correlationId: orderId, causationId: execId }),
      now,
      loaded === undefined ? {} : { loaded },
    );
  if (carried !== undefined) {
    try {
      const onCarried = await run({ state: carried });
      if (onCarried.appended.length > 0) return onCarried;
    } catch (err) {
      if (!(err instanceof ReportOutOfOrder)) throw err;
    }
  }
  return run();
}

async function openReplacementStream(
  store: EventStore,
  replaced: OrderState,
  execId: string,
  now: () => number,
  venueOrderId: string | undefined,
): Promise<void> {
  const { events, meta, claim } = replacementOpening(
    replaced,
    execId,
    now(),
    idempotencyTable(),
    venueOrderId,
  );
  const replacementId = replaced.replacedBy as string;
  try {
    await store.append(events, meta, [claim]);
  } catch (err) {
    if (!(err instanceof AppendConflict)) throw err;
    if (err.failedIndex !== events.length) {
      logger.info('replacement already opened', { orderId: replaced.orderId, replacementId });
      return;
    }
    // The id is claimed by another order: the venue has replaced the order all the same, so the
    // replacement opens without the claim (the PATCH checked the id; this is a race with a POST).
    logger.warn('replacement client order id already claimed', { replacementId });
    try {
      await store.append(events, meta);
    } catch (again) {
      if (!(again instanceof AppendConflict)) throw again;
    }
  }
}

/** Applies one report from the bus with its ids in the log keys. */
async function applyLogged(
  report: ExecutionReport,
  origin: ReportOriginEvent,
  states?: BatchStates,
): Promise<ApplyOutcome> {
  logger.appendKeys({ orderId: report.orderId, execId: report.execId });
  try {
    // A cancel for an order live at its venue but closed here goes to the venue that reported it.
    const outcome = await applyReport(eventStore(), report, Date.now, requestCancelAtVenue, states, origin);
    logger.info('execution report processed', { execType: report.execType, outcome });
    return outcome;
  } finally {
    logger.removeKeys(['orderId', 'execId']);
  }
}

/** One report as an EventBridge event (the bus rule's event; tests and tools). */
export async function applyExecutionReport(event: EventBridgeEvent<string, unknown>): Promise<ApplyOutcome> {
  return applyLogged(parseOrThrow(executionReportSchema, event.detail), { source: event.source });
}

/** The per-order sequence n of an execId `<orderId>:<n>` (0 for an id of another shape). */
export function reportSequence(execId: string): number {
  const n = Number(execId.slice(execId.lastIndexOf(':') + 1));
  return Number.isSafeInteger(n) && n > 0 ? n : 0;
}

interface QueuedReport {
  readonly messageId: string;
  readonly report: ExecutionReport;
  /** The bus event's source (issue 16: checked before the report is applied). */
  readonly source?: string;
}

/** Stable application order: transactTime, then the per-order sequence, then the message id. */
export function inApplicationOrder(items: readonly QueuedReport[]): QueuedReport[] {
  const key = (q: QueuedReport) => [Date.parse(q.report.transactTime), reportSequence(q.report.execId)];
  return [...items].sort((a, b) => {
    const [ta = 0, na = 0] = key(a);
    const [tb = 0, nb = 0] = key(b);
    return ta - tb || na - nb || (a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0);
  });
}

/**
 * Pauses before held reports are tried again in the same invocation (about 0.6 s in all, well inside
 * the 10 s timeout): cheaper than a trip through the visibility timeout for a dependency another
 * invocation applies a few milliseconds later.
 */
export const HELD_REPORT_PAUSES_MS: readonly number[] = [50, 150, 400];

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Applies a batch's reports one after the other (see the module comment); returns the message ids
 * that failed. `apply` is the single-report step and `sleep` the pause (both injected by tests).
 */
export async function applyInOrder(
  items: readonly QueuedReport[],
  apply: (report: ExecutionReport) => Promise<ApplyOutcome>,
  sleep: (ms: number) => Promise<void> = pause,
): Promise<string[]> {
  const failed: string[] = [];
  const failedOrders = new Set<string>();
  let pending = inApplicationOrder(items);
  let pauses = 0;
  for (;;) {
    const held: QueuedReport[] = [];
    const heldOrders = new Set<string>();
    let progress = false;
    for (const item of pending) {
      const { orderId, execId } = item.report;
      if (failedOrders.has(orderId)) {
        failed.push(item.messageId);
        continue;
      }
      if (heldOrders.has(orderId)) {
        held.push(item);
        continue;
      }
      try {
        await apply(item.report);
        progress = true;
      } catch (err) {
        if (err instanceof ReportOutOfOrder) {
          logger.info('execution report held', { orderId, execId, reason: err.message });
          held.push(item);
          heldOrders.add(orderId);
        } else {
          logger.error('execution report failed', { orderId, execId, error: err as Error });
          failed.push(item.messageId);
          failedOrders.add(orderId);
        }
      }
    }
    if (held.length === 0) return failed;
    if (!progress) {
      const wait = HELD_REPORT_PAUSES_MS[pauses++];
      if (wait === undefined) return [...failed, ...held.map((h) => h.messageId)];
      await sleep(wait);
    }
    pending = held;
  }
}

/** The report an SQS record carries (its body is the EventBridge event). Throws when it is not one. */
export function reportOf(record: SQSRecord): ExecutionReport {
  return queuedReportOf(record).report;
}

/** The report and its event's source. Throws when the record is not an execution report event. */
function queuedReportOf(record: SQSRecord): QueuedReport {
  const event = JSON.parse(record.body) as { detail?: unknown; source?: unknown };
  return {
    messageId: record.messageId,
    report: parseOrThrow(executionReportSchema, event.detail),
    source: typeof event.source === 'string' ? event.source : '',
  };
}

/** The deployed handler: an SQS batch of execution reports, answered with the failed records. */
export async function applyExecutionReports(event: SQSEvent): Promise<SQSBatchResponse> {
  const items: QueuedReport[] = [];
  const unreadable: string[] = [];
  for (const record of event.Records) {
    try {
      items.push(queuedReportOf(record));
    } catch (err) {
      logger.error('queue record is not an execution report', {
        messageId: record.messageId,
        error: err as Error,
      });
      unreadable.push(record.messageId);
    }
  }
  // The batch's reports of one order (a fill and its acknowledgement, a cancel's two answers) read
  // the order once: each decides on the state the previous one left (see `decideReport`).
  const states: BatchStates = new Map();
  const sources = new Map(items.map((i) => [i.report, i.source ?? '']));
  const failed = await applyInOrder(items, (report) =>
    applyLogged(report, { source: sources.get(report) ?? '' }, states),
  );
  return { batchItemFailures: [...unreadable, ...failed].map((itemIdentifier) => ({ itemIdentifier })) };
}

export const handler = middy(applyExecutionReports).use(injectLambdaContext(logger));
