/**
 * Position keeper: each execution of the batch -> the account's ledger (issue 13; core
 * positions.ts decides, ../orders/account-ledger.ts writes one transaction per execution).
 *
 * An execution is an `OrderPartiallyFilled` or `OrderFilled` of an order, never an algorithmic
 * parent's mirror of its child's fill (`childOrderId`: the child's own fill is the execution).
 * Symbol and side come from the order's state the projector rebuilt for the same batch (no read).
 * Accounts are kept in parallel, each account's executions one after another in stream order.
 * A redelivered execution finds its applied marker and writes nothing. A failure reports the
 * execution's record, so the shard resumes there (what follows is redelivered and deduplicated).
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { type LedgerExecution, type LedgerState, newYorkDate, type OrderState } from '../core/index.js';
import type { StoredEvent } from '../event-store/event-store.js';
import { errorName, partialBatchResponse, readRecords } from '../event-store/stream-records.js';
import type { AccountLedger } from '../orders/account-ledger.js';
import { logger, metrics } from '../platform/observability.js';

export interface PositionKeeperDeps {
  readonly ledger: AccountLedger;
  /** The state of each order of the batch, as the projector rebuilt it (undefined: not rebuilt). */
  readonly stateOf: (orderId: string) => OrderState | undefined;
  readonly nowSeconds: () => number;
  /** The ledger this environment last wrote per account (a hint: a stale one costs a retry). */
  readonly known?: Map<string, LedgerState>;
}

/** The execution a fill event records, or null when the event is not an execution of its order. */
export function executionOf(e: StoredEvent, state: OrderState): LedgerExecution | null {
  if (e.type !== 'OrderFilled' && e.type !== 'OrderPartiallyFilled') return null;
  if (e.data.childOrderId !== undefined) return null;
  return {
    orderId: e.orderId,
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
  };
}

export async function keepPositions(
  event: DynamoDBStreamEvent,
  deps: PositionKeeperDeps,
): Promise<DynamoDBBatchResponse> {
  const items = readRecords(event);
  const byAccount = new Map<string, { index: number; event: StoredEvent }[]>();
  items.forEach((item, index) => {
    if (item.kind !== 'event') return;
    const t = item.event.type;
    if (t !== 'OrderFilled' && t !== 'OrderPartiallyFilled') return;
    const list = byAccount.get(item.event.accountId) ?? [];
    list.push({ index, event: item.event });
    byAccount.set(item.event.accountId, list);
  });
  const failed = new Set<number>();
  let applied = 0;
  let duplicates = 0;
  await Promise.all(
    [...byAccount].map(async ([accountId, fills]) => {
      for (const { index, event: e } of fills) {
        try {
          const state = deps.stateOf(e.orderId);
          if (state === undefined) throw new Error(`order ${e.orderId} was not rebuilt in this batch`);
          const execution = executionOf(e, state);
          if (execution === null) continue;
          const out = await deps.ledger.apply(
            accountId,
            execution,
            deps.nowSeconds(),
            deps.known?.get(accountId),
          );
          if (out.kind === 'applied') {
            applied++;
            deps.known?.set(accountId, out.ledger);
          } else duplicates++;
        } catch (err) {
          deps.known?.delete(accountId);
          logger.error('execution not applied to the position', {
            accountId,
            orderId: e.orderId,
            seq: e.seq,
            error: errorName(err),
            message: String(err),
          });
          failed.add(index);
          return; // the shard resumes at this record: the account's later fills come again
        }
      }
    }),
  );
  metrics.addMetric('PositionsChanged', MetricUnit.Count, applied);
  metrics.addMetric('ExecutionsAlreadyApplied', MetricUnit.Count, duplicates);
  metrics.addMetric('ExecutionsNotApplied', MetricUnit.Count, failed.size);
  return partialBatchResponse(items, failed);
}
