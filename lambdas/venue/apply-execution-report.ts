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
import { nanos, type OrderState, type OrderSubmitted, openReplacement } from '../core/index.js';
import { coidClaimId, REPLACEMENT_REQUEST_HASH } from '../shared/claims.js';
import { ENV, requiredEnv } from '../shared/config.js';
import { AppendConflict, type EventStore, runCommand } from '../shared/event-store.js';
import { logger } from '../shared/observability.js';
import {
  CLOSING_EXEC_TYPES,
  commandOf,
  type ExecutionReport,
  executionReportSchema,
} from './execution-report.js';
import { eventStore } from './wiring.js';

const idempotencyTable = () => requiredEnv(ENV.idempotencyTable);

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
  const opening = events[0] as OrderSubmitted;
  const replacementId = replaced.replacedBy as string;
  const meta = { accountId: replaced.accountId, correlationId: replacementId, causationId: execId };
  // The replacement's client order id is claimed with its opening events, so it is found by
  // client order id and cannot be reused for another order.
  const claim = {
    Put: {
      TableName: idempotencyTable(),
      Item: {
        id: coidClaimId(replaced.accountId, opening.data.clientOrderId),
        orderId: replacementId,
        requestHash: REPLACEMENT_REQUEST_HASH,
        accountId: replaced.accountId,
        createdAt: opening.occurredAt,
      },
      ConditionExpression: 'attribute_not_exists(id)',
    },
  };
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

export async function applyExecutionReport(event: EventBridgeEvent<string, unknown>): Promise<ApplyOutcome> {
  const report = executionReportSchema.parse(event.detail);
  logger.appendKeys({ orderId: report.orderId, execId: report.execId });
  const outcome = await applyReport(eventStore(), report, Date.now);
  logger.info('execution report processed', { execType: report.execType, outcome });
  return outcome;
}

export const handler = middy(applyExecutionReport).use(injectLambdaContext(logger));
