/**
 * Workflow task `Check pre-trade risk`: the authoritative re-check of a submitted order. Loads
 * the order from the event store, re-validates its terms, runs the built-in risk rules with the
 * account's current limits, exposure and recent orders, and on a refusal appends
 * `OrderRejected` with a reason naming every broken rule and its limit.
 * Idempotent: a retry after the rejection was appended finds the order rejected and says so.
 */
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import {
  checkPreTradeRisk,
  describeFieldErrors,
  type OrderSpec,
  type RiskRefusal,
  type RiskSnapshot,
  specToRequest,
  statusOf,
  validateOrderRequest,
} from '../core/index.js';
import { runCommand } from '../event-store/event-store.js';
import { loadRiskInputs } from '../orders/risk-context.js';
import { type CarriedRecheck, isExitLeg } from '../orders/workflow-start.js';
import { eventStore, OrderNotFound, parsePayload, workflowMeta } from '../orders/workflow-task.js';
import { ENV, optionalEnv } from '../platform/config.js';
import { logger } from '../platform/observability.js';
import { withTransientErrors } from '../platform/transient-errors.js';
import '../core/zod-messages.js';

const payload = z.looseObject({ orderId: z.string().check(z.minLength(1)) });

export interface RiskCheckResult {
  readonly decision: 'accepted' | 'rejected';
  /** Whether the external Risk Guardian must approve too (RISK_GUARDIAN_URL is configured). */
  readonly riskGuardian: boolean;
  readonly reason: string | null;
  readonly refusals: readonly RiskRefusal[];
}

/**
 * The re-check of one order (also the first half of `Accept order`, accept-order.ts). `task` names
 * the workflow step in the rejection's metadata. With `carried` (from the execution input's `submitted`,
 * lambdas/orders/workflow-start.ts `carriedRecheckOf`: the order's terms and what the API checked it against) it reads only the account's open orders;
 * without (an execution started before the input carried it), it loads the order and the account.
 * An order that closed meanwhile is checked all the same: the submission finds it closed and does
 * not send it.
 */
export async function recheckPreTradeRisk(
  orderId: string,
  context: Context | undefined,
  task = 'check-pre-trade-risk',
  carried?: CarriedRecheck,
): Promise<RiskCheckResult> {
  const riskGuardian = optionalEnv(ENV.riskGuardianUrl) !== undefined;
  let order: CheckedOrder;
  if (carried !== undefined) {
    order = {
      spec: carried.order,
      createdAt: carried.createdAt,
      accountId: carried.accountId,
      role: carried.contingencyRole,
      exitLeg: carried.exitLeg === true,
    };
  } else {
    const { state } = await eventStore().loadState(orderId);
    if (state === undefined) throw new OrderNotFound(orderId);
    if (state.phase !== 'pending_new') {
      // A retry after the rejection was written, or the order closed meanwhile: do not go on.
      return { decision: 'rejected', riskGuardian, reason: `order is ${statusOf(state)}`, refusals: [] };
    }
    order = {
      spec: state.spec,
      createdAt: state.createdAt,
      accountId: state.accountId,
      role: state.contingency?.role ?? null,
      exitLeg: isExitLeg(state.contingency),
    };
  }
  return checkAndRecord(orderId, order, context, task, riskGuardian, carried?.acceptedAgainst);
}

interface CheckedOrder {
  readonly spec: OrderSpec;
  readonly createdAt: string;
  readonly accountId: string;
  readonly role: string | null;
  readonly exitLeg: boolean;
}

async function checkAndRecord(
  orderId: string,
  order: CheckedOrder,
  context: Context | undefined,
  task: string,
  riskGuardian: boolean,
  snapshot: RiskSnapshot | undefined,
): Promise<RiskCheckResult> {
  // An algorithmic parent's child works within what the parent's check approved (its qty, its
  // limit): checked again alone, sibling clips would look like duplicates of each other.
  if (order.role === 'algo_child') return { decision: 'accepted', riskGuardian, reason: null, refusals: [] };
  // A bracket's or OTO's exit closes what its entry opened, and is sent when the entry fills:
  // re-checked against the snapshot of its placement (no position yet, its sibling exit holding the
  // same shares), an account that may not sell short had both exits rejected and its position left
  // unprotected (a probe). It was checked with its group when placed; Alpaca does not refuse it either.
  if (order.exitLeg) return { decision: 'accepted', riskGuardian, reason: null, refusals: [] };

  // The check is made as of the submission, so a retry decides the same way.
  const asOf = Date.parse(order.createdAt);
  const { limits, context: riskContext } = await loadRiskInputs(order.accountId, order.spec, asOf, {
    self: { orderId, createdAt: order.createdAt },
    ...(snapshot === undefined ? {} : { snapshot }),
  });
  const validation = validateOrderRequest(specToRequest(order.spec), {
    now: asOf,
    ...(riskContext.referencePrice === null ? {} : { referencePrice: riskContext.referencePrice }),
  });
  const refusals = checkPreTradeRisk(order.spec, limits, riskContext);
  const reasons = [
    ...(validation.ok ? [] : [`invalid order: ${describeFieldErrors(validation.errors)}`]),
    ...refusals.map((r) => r.message),
  ];
  if (reasons.length === 0) return { decision: 'accepted', riskGuardian, reason: null, refusals };

  const reason = reasons.join('; ');
  const result = await runCommand(
    eventStore(),
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
