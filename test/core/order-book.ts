/**
 * Test harness: a handful of orders driven through the core as a venue session would, keeping
 * each order's events and state. A confirmed replace opens the replacement order, as the
 * wiring does after `OrderReplaced`.
 */
import {
  canceledQtyOf,
  type Decision,
  evolve,
  execute,
  formatNanos,
  leavesQtyOf,
  type OrderCommand,
  type OrderEvent,
  type OrderSpec,
  type OrderState,
  openReplacement,
  statusOf,
  validateOrderRequest,
} from '../../lambdas/core/index.js';

export const T0 = Date.parse('2026-11-23T14:30:00Z');

export function limitOrder(overrides: Record<string, unknown> = {}): OrderSpec {
  const v = validateOrderRequest(
    {
      symbol: 'ACME',
      qty: '10000',
      side: 'buy',
      type: 'limit',
      time_in_force: 'day',
      limit_price: '10',
      ...overrides,
    },
    { now: T0 },
  );
  if (!v.ok) throw new Error(`bad test order: ${JSON.stringify(v.errors)}`);
  return v.order;
}

export interface Snapshot {
  readonly status: string;
  readonly qty: string | null;
  readonly filled: string;
  readonly leaves: string | null;
  readonly canceled: string | null;
}

export function snapshot(s: OrderState): Snapshot {
  const leaves = leavesQtyOf(s);
  const canceled = canceledQtyOf(s);
  return {
    status: statusOf(s),
    qty: s.qty === null ? null : formatNanos(s.qty),
    filled: formatNanos(s.filledQty),
    leaves: leaves === null ? null : formatNanos(leaves),
    canceled: canceled === null ? null : formatNanos(canceled),
  };
}

export class OrderBook {
  readonly states = new Map<string, OrderState>();
  readonly events = new Map<string, OrderEvent[]>();
  private clock = T0;
  private execSeq = 0;

  /** Runs a command on an order; a confirmed replace also opens the replacement. */
  run(orderId: string, command: OrderCommand): Decision {
    this.clock += 1000;
    const { decision, state } = execute(this.states.get(orderId), command, this.clock);
    if (!decision.ok || state === undefined) return decision;
    this.record(orderId, state, decision.events);
    if (command.type === 'confirmReplace' && state.replacedBy !== null) {
      const opening = openReplacement(state, this.clock);
      const next = opening.reduce<OrderState | undefined>(evolve, undefined) as OrderState;
      this.record(state.replacedBy, next, opening);
    }
    return decision;
  }

  submit(orderId: string, order: OrderSpec, accountId = 'acct-1'): Decision {
    return this.run(orderId, { type: 'submit', orderId, accountId, order });
  }

  nextExecId(): string {
    this.execSeq += 1;
    return `exec-${this.execSeq}`;
  }

  state(orderId: string): OrderState {
    const s = this.states.get(orderId);
    if (s === undefined) throw new Error(`no order ${orderId}`);
    return s;
  }

  private record(orderId: string, state: OrderState, events: readonly OrderEvent[]): void {
    this.states.set(orderId, state);
    const list = this.events.get(orderId) ?? [];
    list.push(...events);
    this.events.set(orderId, list);
  }
}
