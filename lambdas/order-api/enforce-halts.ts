/**
 * Halt enforcement (EventBridge schedule, every minute; local mode every 2 s): a HALT stays in
 * force on the orders, not only on new requests (issue 16; SEC Rule 15c3-5(c)(1)).
 *
 * The operator's `PUT .../trading-state` HALTED sweeps the scope's open orders once. Two orders
 * escaped that sweep: one accepted in the instant before the HALT, not yet in the read model when
 * the sweep listed it, and the replacement of an order whose replace was outstanding (a cancel is
 * refused while a replace is pending). Each run reads the firm's controls (one strongly consistent
 * GetItem: the firm's state and `haltedAccounts`, kept in the transaction of every account's change)
 * and, only while something is HALTED (core `haltScopeOf`), asks to cancel what is still open in
 * the halted accounts (core `ordersToCancelUnderHalt`) through the cancel-all machinery
 * (`CancelOrderRequested` on the bus, the cancel-all worker; idempotent). Nothing on an order's
 * path: with nothing halted, a run costs one GetItem.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { haltScopeOf, ordersToCancelUnderHalt } from '../core/index.js';
import {
  allAccountIds,
  FIRM_CONTROLS_PK,
  firmTradingStateOf,
  haltedAccountsOf,
} from '../orders/trading-controls.js';
import { ENV, requiredEnv } from '../platform/config.js';
import { dynamo } from '../platform/dynamo.js';
import { metrics } from '../platform/metrics.js';
import { logger } from '../platform/observability.js';
import { openOrders } from './cancel-order.js';
import { putCancelRequests } from './cancel-requests.js';

/** Who the cancels are requested by (the order's trail and the cancel request name it). */
export const HALT_ENFORCEMENT_PRINCIPAL = 'oms:halt-enforcement';

export interface HaltEnforcementDeps {
  readonly doc: DynamoDBDocumentClient;
  readonly accountsTable: string;
  readonly openOrders: (accountId: string) => Promise<readonly { id: string; status: string }[]>;
  /** Returns the ids whose request could not be queued. */
  readonly putCancelRequests: (
    ids: readonly string[],
    principal: { accountId: string; principalId: string },
    requestId: string,
  ) => Promise<ReadonlySet<string>>;
  readonly now: () => number;
}

export interface HaltEnforcementResult {
  /** `firm`, `accounts`, or `none` when nothing is halted. */
  readonly scope: 'firm' | 'accounts' | 'none';
  readonly accounts: number;
  /** Open orders asked to cancel (queued on the bus). */
  readonly requested: number;
  /** Ids whose cancel request could not be queued (the next run tries again). */
  readonly notQueued: number;
}

export async function enforceHalts(deps: HaltEnforcementDeps): Promise<HaltEnforcementResult> {
  const got = await deps.doc.send(
    new GetCommand({ TableName: deps.accountsTable, Key: { pk: FIRM_CONTROLS_PK }, ConsistentRead: true }),
  );
  const firm = firmTradingStateOf(got.Item);
  // An unreadable firm state refuses every order at the API (fail closed); here it cancels nothing
  // on its own: the operator's state is unknown, and canceling every account's orders on a
  // corrupted item would be a second failure. It is logged as an error.
  if (!firm.ok) {
    logger.error('halt enforcement: the firm controls are unreadable', { problem: firm.problem });
    return { scope: 'none', accounts: 0, requested: 0, notQueued: 0 };
  }
  const scope = haltScopeOf(firm.record, haltedAccountsOf(got.Item));
  if (scope === null) return { scope: 'none', accounts: 0, requested: 0, notQueued: 0 };
  const accountIds =
    scope.scope === 'firm' ? await allAccountIds(deps.doc, deps.accountsTable) : scope.accountIds;
  const requestId = `halt-enforcement:${new Date(deps.now()).toISOString()}`;
  let requested = 0;
  let notQueued = 0;
  for (const accountId of accountIds) {
    const ids = ordersToCancelUnderHalt(await deps.openOrders(accountId));
    if (ids.length === 0) continue;
    const failed = await deps.putCancelRequests(
      ids,
      { accountId, principalId: HALT_ENFORCEMENT_PRINCIPAL },
      requestId,
    );
    requested += ids.length - failed.size;
    notQueued += failed.size;
    logger.warn('halt enforcement: open orders of a halted account asked to cancel', {
      accountId,
      orderIds: ids,
      notQueued: [...failed],
    });
  }
  return { scope: scope.scope, accounts: accountIds.length, requested, notQueued };
}

export async function handler(_event: unknown, context?: Context): Promise<HaltEnforcementResult> {
  if (context !== undefined) logger.addContext(context);
  try {
    const result = await enforceHalts({
      doc: dynamo,
      accountsTable: requiredEnv(ENV.accountsTable),
      openOrders,
      putCancelRequests,
      now: Date.now,
    });
    metrics.addMetric('HaltEnforcementCancels', MetricUnit.Count, result.requested);
    metrics.addMetric('HaltEnforcementNotQueued', MetricUnit.Count, result.notQueued);
    return result;
  } finally {
    metrics.publishStoredMetrics();
  }
}
