/**
 * Workflow task `Check pre-trade risk`: the authoritative re-check of a submitted order. Loads
 * the order from the event store, re-validates its terms, runs the built-in risk rules with the
 * account's current limits, exposure and recent orders, and on a refusal appends
 * `OrderRejected` with a reason naming every broken rule and its limit.
 * Idempotent: a retry after the rejection was appended finds the order rejected and says so.
 */
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import {
  checkPreTradeRisk,
  describeFieldErrors,
  type RiskRefusal,
  specToRequest,
  statusOf,
  validateOrderRequest,
} from '../core/index.js';
import { runCommand } from '../event-store/event-store.js';
import { loadRiskInputs } from '../orders/risk-context.js';
import { eventStore, OrderNotFound, parsePayload, workflowMeta } from '../orders/workflow-task.js';
import { ENV, optionalEnv } from '../platform/config.js';
import { logger } from '../platform/observability.js';
import { withTransientErrors } from '../platform/transient-errors.js';

const payload = z.looseObject({ orderId: z.string().min(1) });

export interface RiskCheckResult {
  readonly decision: 'accepted' | 'rejected';
  /** Whether the external Risk Guardian must approve too (RISK_GUARDIAN_URL is configured). */
  readonly riskGuardian: boolean;
  readonly reason: string | null;
  readonly refusals: readonly RiskRefusal[];
}

/**
 * The re-check of one order (also the first half of `Accept order`, accept-order.ts). `task` names
 * the workflow step in the rejection's metadata.
 */
export async function recheckPreTradeRisk(
  orderId: string,
  context: Context | undefined,
  task = 'check-pre-trade-risk',
): Promise<RiskCheckResult> {
  const store = eventStore();
  const { state } = await store.loadState(orderId);
  if (state === undefined) throw new OrderNotFound(orderId);
  const riskGuardian = optionalEnv(ENV.riskGuardianUrl) !== undefined;
  if (state.phase !== 'pending_new') {
    // A retry after the rejection was written, or the order closed meanwhile: do not go on.
    return { decision: 'rejected', riskGuardian, reason: `order is ${statusOf(state)}`, refusals: [] };
  }

  // An algorithmic parent's child works within what the parent's check approved (its qty, its
  // limit): checked again alone, sibling clips would look like duplicates of each other.
  if (state.contingency?.role === 'algo_child')
    return { decision: 'accepted', riskGuardian, reason: null, refusals: [] };

  // The check is made as of the submission, so a retry decides the same way.
  const asOf = Date.parse(state.createdAt);
  const { limits, context: riskContext } = await loadRiskInputs(state.accountId, state.spec, asOf, {
    self: { orderId, createdAt: state.createdAt },
  });
  const validation = validateOrderRequest(specToRequest(state.spec), {
    now: asOf,
    ...(riskContext.referencePrice === null ? {} : { referencePrice: riskContext.referencePrice }),
  });
  const refusals = checkPreTradeRisk(state.spec, limits, riskContext);
  const reasons = [
    ...(validation.ok ? [] : [`invalid order: ${describeFieldErrors(validation.errors)}`]),
    ...refusals.map((r) => r.message),
  ];
  if (reasons.length === 0) return { decision: 'accepted', riskGuardian, reason: null, refusals };

  const reason = reasons.join('; ');
  const result = await runCommand(
    store,
    orderId,
    { type: 'reject', reason },
    workflowMeta(task, context),
    Date.now,
  );
  if (!result.decision.ok)
    logger.warn('rejection not recorded', { orderId, refusal: result.decision.refusal });
  logger.info('order refused by pre-trade risk', { orderId, reason });
  return { decision: 'rejected', riskGuardian, reason, refusals };
}

const runTask = async (event: unknown, context?: Context): Promise<RiskCheckResult> => {
  const { orderId } = parsePayload(payload, event, 'check-pre-trade-risk');
  return recheckPreTradeRisk(orderId, context);
};

/** Transient failures reach the state machine as `TransientError`, which its Retry covers. */
export const handler = withTransientErrors(runTask);
