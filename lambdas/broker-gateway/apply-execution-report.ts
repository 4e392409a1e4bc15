/**
 * Consumer of the execution report queue (bus rule on `ExecutionReport`, source `stockbot.venue`,
 * -> SQS; each record's body is the EventBridge event): runs each report's order command
 * (`commandOf`) with causationId = execId and appends what the core decides (one report:
 * apply-report.ts, which the in-flight check and reconciliation use too).
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
 *   fills, or they would be quarantined). A fill whose CumQty is ahead of the fills applied plus
 *   its own quantity (an earlier fill overtaken) is held through the pauses only, then applied on a
 *   last pass (logged at warn): in the venue's order when the earlier one lands meanwhile, and never
 *   kept out of the order's quantities for a visibility timeout.
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
import middy from '@middy/core';
import type { EventBridgeEvent, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { parseOrThrow } from '../core/zod-messages.js';
import { eventStore } from '../event-store/event-store.js';
import { logger } from '../platform/observability.js';
import {
  type ApplyOutcome,
  applyReport,
  type BatchStates,
  type ReportOriginEvent,
  ReportOutOfOrder,
  requestCancelAtVenue,
} from './apply-report.js';
import { type ExecutionReport, executionReportSchema } from './execution-report.js';

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
  apply: (report: ExecutionReport, acceptOvertakenFill: boolean) => Promise<ApplyOutcome>,
  sleep: (ms: number) => Promise<void> = pause,
): Promise<string[]> {
  const failed: string[] = [];
  const failedOrders = new Set<string>();
  let pending = inApplicationOrder(items);
  let pauses = 0;
  /** After the pauses: one more pass, fills held only for an overtaken fill applied as they are. */
  let lastPass = false;
  for (;;) {
    const held: QueuedReport[] = [];
    const heldOrders = new Set<string>();
    const overtakenFills = new Set<QueuedReport>();
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
        await apply(item.report, lastPass);
        progress = true;
      } catch (err) {
        if (err instanceof ReportOutOfOrder) {
          logger.info('execution report held', { orderId, execId, reason: err.message });
          held.push(item);
          heldOrders.add(orderId);
          if (err.overtakenFill) overtakenFills.add(item);
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
      if (wait === undefined) {
        if (lastPass || overtakenFills.size === 0) return [...failed, ...held.map((h) => h.messageId)];
        lastPass = true;
      } else await sleep(wait);
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
  const failed = await applyInOrder(items, (report, acceptOvertakenFill) =>
    applyLogged(report, { source: sources.get(report) ?? '', acceptOvertakenFill }, states),
  );
  return { batchItemFailures: [...unreadable, ...failed].map((itemIdentifier) => ({ itemIdentifier })) };
}

export const handler = middy(applyExecutionReports).use(injectLambdaContext(logger));
