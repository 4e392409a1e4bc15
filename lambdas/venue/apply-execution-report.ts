/**
 * Bus rule target for `ExecutionReport` (source `stockbot.venue`): runs the report's order command
 * (`commandOf`) with causationId = execId and appends what the core decides.
 *
 * - A redelivered or superseded report is refused or ignored by the core ("already done"): logged
 *   at info, success.
 * - A report that has overtaken what it depends on (the bus does not keep order) fails so the
 *   delivery is retried: an order whose stream does not exist yet (a replacement's first fill
 *   before its `replaced` was applied), a trigger before the acknowledgement, or a closing report
 *   whose CumQty is ahead of the fills applied (a cancel must not close the order before its
 *   fills, or they would be quarantined).
 * - `replaced`: after `OrderReplaced`, the replacement's opening events (core `openReplacement`)
 *   are appended to its own stream; an `AppendConflict` there means it is already open.
 */

import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { EventBridgeEvent } from 'aws-lambda';
import { nanos, type OrderState, openReplacement } from '../core/index.js';
import { AppendConflict, type EventStore, runCommand } from '../shared/event-store.js';
import { logger } from '../shared/observability.js';
import {
  CLOSING_EXEC_TYPES,
  commandOf,
  type ExecutionReport,
  executionReportSchema,
} from './execution-report.js';
import { eventStore } from './wiring.js';

/** The report cannot apply yet; thrown so the delivery is retried. */
export class ReportOutOfOrder extends Error {
  override readonly name = 'ReportOutOfOrder';
}

export type ApplyOutcome = 'applied' | 'already_applied' | 'ignored';

export async function applyReport(
  store: EventStore,
  report: ExecutionReport,
  now: () => number,
): Promise<ApplyOutcome> {
  const { orderId, execId } = report;
  const { state } = await store.loadState(orderId);
  if (state === undefined)
    throw new ReportOutOfOrder(`${execId}: order ${orderId} is not in the event store yet`);
  if (CLOSING_EXEC_TYPES.has(report.execType) && report.cumQty !== undefined) {
    if (state.filledQty < nanos(report.cumQty)) {
      throw new ReportOutOfOrder(
        `${execId}: ${report.execType} at CumQty ${report.cumQty} overtook its fills`,
      );
    }
  }
  const command = commandOf(report, state.phase !== 'pending_new');
  const result = await runCommand(
    store,
    orderId,
    command,
    (s) => ({ accountId: s.accountId, correlationId: orderId, causationId: execId }),
    now,
  );
  let outcome: ApplyOutcome = result.appended.length > 0 ? 'applied' : 'already_applied';
  if (!result.decision.ok) {
    const { code, message } = result.decision.refusal;
    if (code === 'not_working' && result.state?.phase === 'pending_new') {
      throw new ReportOutOfOrder(
        `${execId}: ${report.execType} before the venue's acknowledgement was applied`,
      );
    }
    logger.info('execution report not applicable (already done or superseded)', { execId, code, message });
    outcome = 'ignored';
  }
  if (report.execType === 'replaced' && result.state?.phase === 'replaced') {
    await openReplacementStream(store, result.state, execId, now);
  }
  return outcome;
}

async function openReplacementStream(
  store: EventStore,
  replaced: OrderState,
  execId: string,
  now: () => number,
): Promise<void> {
  const events = openReplacement(replaced, now());
  const replacementId = replaced.replacedBy as string;
  try {
    await store.append(events, {
      accountId: replaced.accountId,
      correlationId: replacementId,
      causationId: execId,
    });
  } catch (err) {
    if (!(err instanceof AppendConflict)) throw err;
    logger.info('replacement already opened', { orderId: replaced.orderId, replacementId });
  }
}

export async function applyExecutionReport(event: EventBridgeEvent<string, unknown>): Promise<ApplyOutcome> {
  const report = executionReportSchema.parse(event.detail);
  logger.appendKeys({ orderId: report.orderId, execId: report.execId });
  const outcome = await applyReport(eventStore(), report, Date.now);
  logger.info('execution report processed', { execType: report.execType, outcome });
  return outcome;
}

export const handler = middy(applyExecutionReport).use(injectLambdaContext(logger));
