/**
 * Algorithmic parents (`advanced_instructions`: TWAP, VWAP, Iceberg, plugins): an order that never
 * goes to the venue itself. Its workflow waits for each slice time and asks `algoStep` what to do;
 * a release places an ordinary child order, linked to the parent (contingency `algo`), in the
 * same transaction as the parent's `OrderSliceDecided`. The group coordinator mirrors the
 * children's fills onto the parent, records their closing (`reconcileAlgo`), asks `algoStep`
 * again when a child closes (an iceberg's next clip), and carries out a cancel of the parent:
 * cancel the open children, then confirm the parent's cancel. Pure: time, quote and volume come in.
 */
import {
  type AlgoRegistry,
  algoParamsFromSpec,
  builtInAlgorithms,
  decideFor,
  planFor,
} from './algos/index.js';
import type { ChildOutcome, QuoteSnapshot } from './algos/plugin.js';
import { formatNanos, type Nanos, nanos } from './decimal.js';
import type { Contingency } from './events.js';
import { isSettled, type OrderCommand, type OrderState, statusOf } from './order.js';
import type { OrderSpec, TimeInForce } from './order-request.js';

export interface AlgoStepInput {
  readonly trigger: 'slice' | 'child_closed';
  /** The slice whose time came (`slice`), or the latest due one (`child_closed`; -1 before the first). */
  readonly sliceIndex: number;
  readonly now: number;
  readonly quote: QuoteSnapshot | null;
  /** The symbol's cumulative market volume now, when the market data has it. */
  readonly cumulativeVolume: Nanos | null;
  readonly closedChild: ChildOutcome | null;
  /** The id the child gets if one is released (the caller's; kept in the event). */
  readonly childOrderId: string;
  /** Epoch ms the window ends when the order gives no end_time (the session close of its day). */
  readonly defaultEndTime: number;
  readonly registry?: AlgoRegistry;
}

export interface AlgoStep {
  /** The parent's command (`decideSlice`), or null when there is nothing to record. */
  readonly command: Extract<OrderCommand, { type: 'decideSlice' }> | null;
  /** The child to place with it (a release). */
  readonly child: {
    readonly orderId: string;
    readonly spec: OrderSpec;
    readonly contingency: Contingency;
  } | null;
}

/** Leaves of the open children as the parent knows them: what works at the venue. */
export function workingQtyOf(parent: OrderState): Nanos {
  let working = 0n;
  for (const c of parent.algo?.children.values() ?? []) if (c.open) working += c.qty - c.filled;
  return working;
}

/**
 * The child order an algorithm's release (or a split's allocation, lambdas/orders/order-routing.ts)
 * stands for: the parent's symbol and side; extended hours only when asked (an algorithm's never).
 */
export function childSpecOf(
  parent: OrderState,
  child: {
    qty: Nanos;
    type: 'market' | 'limit';
    limitPrice: Nanos | null;
    timeInForce: TimeInForce;
    extendedHours?: boolean;
  },
): OrderSpec {
  return {
    symbol: parent.spec.symbol,
    qty: formatNanos(child.qty),
    notional: null,
    side: parent.spec.side,
    type: child.type,
    timeInForce: child.timeInForce,
    limitPrice: child.limitPrice === null ? null : formatNanos(child.limitPrice),
    stopPrice: null,
    trailPrice: null,
    trailPercent: null,
    extendedHours: child.extendedHours ?? false,
    clientOrderId: null,
    orderClass: 'simple',
    takeProfit: null,
    stopLoss: null,
    positionIntent: parent.spec.positionIntent,
    advancedInstructions: null,
  };
}

/** What the parent's algorithm decides now, as the parent's command and the child to place. */
export function algoStep(parent: OrderState, input: AlgoStepInput): AlgoStep {
  const none: AlgoStep = { command: null, child: null };
  const algo = parent.algo;
  if (algo === null || algo.done || isSettled(parent) || parent.cancelRequest !== 'none') return none;
  if (parent.phase !== 'working') return none;
  if (input.trigger === 'slice' && algo.decidedSlices.has(input.sliceIndex)) return none;
  const registry = input.registry ?? builtInAlgorithms;
  const params = algoParamsFromSpec(parent.spec, {
    orderId: parent.orderId,
    // The acceptance time anchors the window: every step recomputes the same plan.
    now: Date.parse(parent.createdAt),
    defaultEndTime: input.defaultEndTime,
  });
  if (!params.ok) {
    return {
      command: {
        type: 'decideSlice',
        trigger: input.trigger,
        sliceIndex: input.sliceIndex,
        decision: 'done',
        reason: 'window_closed',
      },
      child: null,
    };
  }
  const plan = planFor(registry, params.params);
  const mark = algo.volumeMark === null ? null : nanos(algo.volumeMark);
  const volume = input.cumulativeVolume;
  const observedVolume = volume === null ? 0n : mark === null ? 0n : volume > mark ? volume - mark : 0n;
  const decision = decideFor(registry, {
    params: params.params,
    plan,
    event: input.trigger,
    sliceIndex: input.sliceIndex,
    now: input.now,
    filledQty: parent.filledQty,
    workingQty: workingQtyOf(parent),
    quote: input.quote,
    observedVolume,
    closedChild: input.closedChild,
  });
  const base = {
    type: 'decideSlice' as const,
    trigger: input.trigger,
    sliceIndex: input.sliceIndex,
    ...(volume === null ? {} : { volumeMark: formatNanos(volume) }),
  };
  switch (decision.kind) {
    case 'wait':
      // A child's close that changes nothing is not worth an event; a slice is (the audit trail).
      return input.trigger === 'slice' ? { command: { ...base, decision: 'wait' }, child: null } : none;
    case 'done':
      return { command: { ...base, decision: 'done', reason: decision.reason }, child: null };
    case 'release':
      return {
        command: {
          ...base,
          decision: 'release',
          childOrderId: input.childOrderId,
          qty: formatNanos(decision.child.qty),
        },
        child: {
          orderId: input.childOrderId,
          spec: childSpecOf(parent, decision.child),
          contingency: {
            groupId: parent.orderId,
            orderClass: 'algo',
            role: 'algo_child',
            parentOrderId: parent.orderId,
            legOrderIds: [],
            held: false,
          },
        },
      };
  }
}

export type AlgoAction =
  /** Mirror a child's fill onto the parent (its execId, once). */
  | {
      readonly kind: 'mirrorFill';
      readonly childOrderId: string;
      readonly execId: string;
      readonly lastQty: string;
      readonly lastPx: string;
      /** Where the child executed, its fee and liquidity (the parent's TCA reads them). */
      readonly venue?: string;
      readonly fee?: string;
      readonly liquidity?: 'added' | 'removed';
    }
  /**
   * A split order (smart order routing) whose children are all closed short of its quantity: the
   * OMS cancels the remainder (`ROUTED_CHILDREN_CLOSED`), keeping the fills.
   */
  | { readonly kind: 'cancelRoutedRemainder' }
  /**
   * A split order whose latest children have all closed, one or more of them rejected by its venue,
   * short of its quantity, with routings left (`MAX_ROUTING_ROUNDS`): its remainder is routed again,
   * away from the venues that rejected it (`rejectedBy`).
   */
  | { readonly kind: 'rerouteRemainder'; readonly qty: string; readonly rejectedBy: readonly string[] }
  /** Record that a child closed (after its fills are mirrored); then ask the algorithm again. */
  | {
      readonly kind: 'closeChild';
      readonly childOrderId: string;
      readonly outcome: ChildOutcome;
      readonly filledQty: string;
    }
  /** The parent is being canceled (or its window closed): cancel an open child. */
  | { readonly kind: 'cancelChild'; readonly childOrderId: string }
  /** Every child is closed and the parent's cancel is outstanding: confirm it. */
  | { readonly kind: 'confirmParentCancel' };

const OUTCOME_OF: Readonly<Record<string, ChildOutcome>> = {
  filled: 'filled',
  canceled: 'canceled',
  expired: 'expired',
  rejected: 'rejected',
  done_for_day: 'expired',
};

/**
 * What the coordinator must do for an algorithmic parent, from its state and its children's
 * (`children`: the states of the children the parent released, by id). Repeating an action is
 * harmless: a fill already mirrored is recognised by its execId, a closed child stays closed.
 */
/** Who asks for a split order's remainder to be canceled when its children closed short of it. */
export const ROUTED_CHILDREN_CLOSED = 'oms:routing:children_closed';

export function reconcileAlgo(parent: OrderState, children: ReadonlyMap<string, OrderState>): AlgoAction[] {
  const algo = parent.algo;
  if (algo === null) return [];
  const actions: AlgoAction[] = [];
  let openChildren = 0;
  for (const [childOrderId, known] of algo.children) {
    const child = children.get(childOrderId);
    if (child === undefined) {
      if (known.open) openChildren++;
      continue;
    }
    let mirrored = known.filled;
    for (const [execId, x] of child.executions) {
      if (!x.applied || parent.executions.has(execId)) continue;
      actions.push({
        kind: 'mirrorFill',
        childOrderId,
        execId,
        lastQty: x.lastQty,
        lastPx: x.lastPx,
        ...(x.venue === undefined ? {} : { venue: x.venue }),
        ...(x.fee === undefined ? {} : { fee: x.fee }),
        ...(x.liquidity === undefined ? {} : { liquidity: x.liquidity }),
      });
      mirrored += nanos(x.lastQty);
    }
    if (!known.open) continue;
    if (isSettled(child) && mirrored === child.filledQty) {
      const outcome = OUTCOME_OF[statusOf(child)] ?? 'canceled';
      actions.push({ kind: 'closeChild', childOrderId, outcome, filledQty: formatNanos(child.filledQty) });
      continue;
    }
    openChildren++;
    if (parent.cancelRequest !== 'none' && child.cancelRequest === 'none' && child.phase !== 'held') {
      actions.push({ kind: 'cancelChild', childOrderId });
    }
  }
  // Confirmed once every child is closed in the parent's own record (fills mirrored, closes
  // recorded: those actions come first, and the next event runs this again).
  const settling = actions.some((a) => a.kind === 'closeChild' || a.kind === 'mirrorFill');
  if (!isSettled(parent) && parent.cancelRequest !== 'none' && openChildren === 0 && !settling) {
    actions.push({ kind: 'confirmParentCancel' });
  }
  // A split order's children are its whole quantity: when they are all closed, so is it, unless
  // a venue rejected some of them: that remainder is routed again, a bounded number of times.
  if (
    parent.routing?.split === true &&
    !isSettled(parent) &&
    parent.cancelRequest === 'none' &&
    openChildren === 0 &&
    !settling
  ) {
    const reroute = rerouteOf(parent);
    actions.push(reroute ?? { kind: 'cancelRoutedRemainder' });
  }
  return actions;
}

/**
 * How many times a split order is routed in all (its first routing, then re-routes of what its
 * venues rejected). Each re-route avoids the venues that rejected the order; with none left it
 * records a decision with no allocation and the remainder is canceled.
 */
export const MAX_ROUTING_ROUNDS = 3;

function rerouteOf(parent: OrderState): AlgoAction | null {
  const routing = parent.routing;
  const algo = parent.algo;
  if (routing === null || algo === null || parent.qty === null) return null;
  if ((routing.rounds ?? 1) >= MAX_ROUTING_ROUNDS) return null;
  const remainder = parent.qty - parent.filledQty;
  const latest = routing.lastRound ?? [];
  if (remainder <= 0n || !latest.some((id) => algo.children.get(id)?.outcome === 'rejected')) return null;
  // Every venue that rejected one of its children, in any round.
  const rejectedBy = new Set<string>();
  for (const c of algo.children.values())
    if (c.outcome === 'rejected' && c.venue !== undefined) rejectedBy.add(c.venue);
  return { kind: 'rerouteRemainder', qty: formatNanos(remainder), rejectedBy: [...rejectedBy].sort() };
}
