/**
 * Position keeper: each execution of the batch -> the account's ledger (issue 13; core
 * positions.ts decides, ../orders/account-ledger.ts writes one transaction per execution).
 *
 * An execution is an `OrderPartiallyFilled` or `OrderFilled` of an order, never an algorithmic
 * parent's mirror of its child's fill (`childOrderId`: the child's own fill is the execution).
 * Symbol and side come from the order's state the projector rebuilt for the same batch (no read);
 * the projector runs the keeper before it writes the order's view, so an order a client reads as
 * filled has its fill in the position. An order's executions are applied one after another in
 * stream order; orders (of one account or not) in parallel, their races settled by the ledger's
 * conditions. A redelivered execution finds its applied marker and writes nothing. A failure
 * fails the order's records: no view is written and the shard resumes there.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  executionRelease,
  type LedgerExecution,
  type LedgerState,
  newYorkDate,
  type OrderState,
  parseNanos,
} from '../core/index.js';
import type { StoredEvent } from '../event-store/event-store.js';
import { errorName } from '../event-store/stream-records.js';
import { type AccountLedger, isLedgerExecution } from '../orders/account-ledger.js';
import { metrics } from '../platform/metrics.js';
import { logger } from '../platform/observability.js';

export interface PositionKeeperDeps {
  readonly ledger: AccountLedger;
  readonly nowSeconds: () => number;
  /** The ledger this environment last wrote per account (a hint: a stale one costs a retry). */
  readonly known?: Map<string, LedgerState>;
}

/**
 * The execution a fill event records, or null when the event is not an execution of its order.
 * `settledBefore`: the order had settled before it (its buying power claim's rest was given back).
 */
export function executionOf(
  e: StoredEvent,
  state: OrderState,
  settledBefore = false,
): LedgerExecution | null {
  if (!isLedgerExecution(e)) return null;
  const cumAfter = parseNanos(e.data.filledQty);
  const lastQty = parseNanos(e.data.lastQty);
  const buyingPowerRelease =
    typeof cumAfter === 'bigint' && typeof lastQty === 'bigint'
      ? executionRelease(state.buyingPowerClaim, cumAfter - lastQty, cumAfter, settledBefore)
      : 0;
  const parentOrderId = state.contingency?.role === 'algo_child' ? state.contingency.parentOrderId : null;
  return {
    orderId: e.orderId,
    ...(parentOrderId === null ? {} : { parentOrderId }),
    execId: e.data.execId,
    orderEventId: e.eventId,
    symbol: state.spec.symbol.toUpperCase(),
    side: state.spec.side,
    qty: e.data.lastQty,
    price: e.data.lastPx,
    transactionTime: e.occurredAt,
    cumQty: e.data.filledQty,
    leavesQty: e.data.leavesQty ?? '0',
    orderStatus: e.type === 'OrderFilled' ? 'filled' : 'partially_filled',
    sessionDate: newYorkDate(Date.parse(e.occurredAt)),
    ...(buyingPowerRelease > 0 ? { buyingPowerRelease } : {}),
  };
}

/**
 * Applies the executions among `events` (one order's, in stream order) to the account's ledger,
 * one after another. Throws when one cannot be applied (the caller fails the order's records).
 * Answers the signed position after each execution it applied, by `<orderId>#<execId>` (the
 * trade_updates' `position_qty`; a redelivered execution is not in it).
 */
export async function keepPositions(
  state: OrderState,
  events: readonly StoredEvent[],
  deps: PositionKeeperDeps,
  settledBefore: ReadonlySet<number> = new Set(),
): Promise<ReadonlyMap<string, string>> {
  const positions = new Map<string, string>();
  for (const e of events) {
    const execution = executionOf(e, state, settledBefore.has(e.seq));
    if (execution === null) continue;
    const accountId = e.accountId;
    try {
      const out = await deps.ledger.apply(
        accountId,
        execution,
        deps.nowSeconds(),
        deps.known?.get(accountId),
      );
      if (out.kind === 'applied') {
        deps.known?.set(accountId, out.ledger);
        positions.set(`${execution.orderId}#${execution.execId}`, out.event.data.qtyAfter);
        metrics.addMetric('PositionsChanged', MetricUnit.Count, 1);
      } else metrics.addMetric('ExecutionsAlreadyApplied', MetricUnit.Count, 1);
    } catch (err) {
      deps.known?.delete(accountId);
      logger.error('execution not applied to the position', {
        accountId,
        orderId: e.orderId,
        seq: e.seq,
        error: errorName(err),
        detail: String(err),
      });
      metrics.addMetric('ExecutionsNotApplied', MetricUnit.Count, 1);
      throw err;
    }
  }
  return positions;
}
