/**
 * Applying one execution report to its order: the report's order command (`commandOf`) decided by
 * the core on the order's state and appended, with causationId = execId (what the report may do,
 * what it must wait for, and the replacement it opens: apply-execution-report.ts's header). Shared
 * by the report queue's consumer (apply-execution-report.ts), the in-flight check and
 * reconciliation (their own status queries' reports), so none of them imports another's handler.
 */

import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { executionReportRefusal, type ReportRefusal } from '../core/bus-trust.js';
import { decide, isClosedPhase, isFullyFilled, type OrderState } from '../core/index.js';
import {
  AppendConflict,
  type Appending,
  type CommandResult,
  type EventStore,
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
import { commandOf, type ExecutionReport, fillsOvertaken, LIVE_EXEC_TYPES } from './execution-report.js';

const idempotencyTable = () => requiredEnv(ENV.idempotencyTable);

/**
 * The report cannot apply yet; thrown so the delivery is retried. `overtakenFill`: a fill ahead of
 * an earlier one (`fillsOvertaken`), which the applier waits for only briefly: past its pauses it
 * applies the fill all the same (`acceptOvertakenFill`), since the quantities are right either way
 * and a fill held for the queue's visibility timeout would show the order short of it meanwhile.
 */
export class ReportOutOfOrder extends Error {
  override readonly name = 'ReportOutOfOrder';
  constructor(
    message: string,
    readonly overtakenFill = false,
  ) {
    super(message);
  }
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
  /** Apply a fill that overtook an earlier one (the applier's last pass, see `ReportOutOfOrder`). */
  readonly acceptOvertakenFill?: boolean;
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
    // Only reports from the bus wait for an overtaken fill: the in-flight check's and
    // reconciliation's come from the venue's own answer, in its order.
    const overtaken = fillsOvertaken(report, state.filledQty, isClosedPhase(state) || isFullyFilled(state));
    if (overtaken !== null) {
      const fill = report.execType === 'fill';
      if (!fill) throw new ReportOutOfOrder(overtaken);
      if (origin !== undefined && origin.acceptOvertakenFill !== true)
        throw new ReportOutOfOrder(overtaken, true);
      if (origin !== undefined)
        logger.warn('fill applied ahead of the fill it overtook', { execId, reason: overtaken });
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
    // replacement opens without the claim. The replace request claims the id itself now
    // (orders/replacements.ts), so only a replace requested before it did can meet this.
    logger.warn('replacement client order id already claimed', { replacementId });
    try {
      await store.append(events, meta);
    } catch (again) {
      if (!(again instanceof AppendConflict)) throw again;
    }
  }
}
