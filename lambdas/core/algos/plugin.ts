/**
 * The algorithm plugin interface: what TWAP, VWAP and Iceberg are written against, and what a
 * custom algorithm implements to run inside the parent order's workflow.
 *
 * A parent order's workflow (Step Functions) works in two phases, and a plugin has one pure
 * function for each:
 *  - `plan(params)`: once, up front, the slice times (epoch ms) the workflow waits for, each with
 *    the quantity the schedule intends for it. Deterministic: randomness comes from `params.seed`,
 *    time from `params.startTime`/`params.endTime`; no clock, no Math.random. The workflow can
 *    recompute the same plan at any step from the same params.
 *  - `decide(input)`: at each slice time and whenever one of the parent's child orders closes,
 *    what to do now, from the parent's state: release a child order, wait, or stop.
 *
 * The parent's own instructions (display_qty, max_percentage, the limit price, the quantity) are
 * enforced on every plugin by `checkDecision`, which the registry applies to whatever a plugin
 * returns: a custom plugin cannot show more than display_qty or overfill the parent.
 */
import { formatNanos, isOnTick, type Nanos, ONE } from '../decimal.js';
import type { Side } from '../order-request.js';

/** At most one slice a minute... */
export const SLICE_MS = 60_000;
/** ...and at most a full regular session of them (the workflow's worst case: 390 Wait + Task pairs). */
export const MAX_SLICES = 390;

/** The parent order as an algorithm sees it: exact decimals (nanos), times in epoch ms. */
export interface AlgoParams {
  /** Registry name of the algorithm (`TWAP`, `VWAP`, `ICEBERG`, or a custom one). */
  readonly algorithm: string;
  readonly side: Side;
  /** The parent's total quantity (> 0). */
  readonly qty: Nanos;
  /** The parent's limit price; null for a market parent. Children never trade through it. */
  readonly limitPrice: Nanos | null;
  /** The window: slices lie in [startTime, endTime]; nothing is released from endTime on. */
  readonly startTime: number;
  readonly endTime: number;
  /** Most quantity working at the venue at once (iceberg clip); null: no cap. */
  readonly displayQty: Nanos | null;
  /** Participation cap as a fraction (0.1 = 10%) of the market volume observed between decisions. */
  readonly maxPercentage: Nanos | null;
  /** Slice size randomization: each slice's share deviates by at most this fraction (0..0.5). */
  readonly qtyJitter: Nanos | null;
  /** Slice time randomization: each slice time deviates by at most this fraction of the interval. */
  readonly timeJitter: Nanos | null;
  /** Seed of the plan's randomness (uint32; from the parent order id: `seedFromOrderId`). */
  readonly seed: number;
}

/** One scheduled wake-up of the workflow. */
export interface PlannedSlice {
  /** Epoch ms: the workflow's Wait ends here and calls `decide` with this slice's index. */
  readonly at: number;
  /** Quantity the schedule intends for this slice (may be 0; the plan's total <= parent qty). */
  readonly qty: Nanos;
}

export interface AlgoPlan {
  /** Non-empty, times non-decreasing, within the window, at most MAX_SLICES. */
  readonly slices: readonly PlannedSlice[];
}

/** The latest quote of the symbol (what the market tick stores). */
export interface QuoteSnapshot {
  readonly bid: Nanos;
  readonly ask: Nanos;
  readonly last: Nanos;
}

/** How a child order ended; given with `event: 'child_closed'`. */
export type ChildOutcome = 'filled' | 'canceled' | 'expired' | 'rejected';

/** Everything `decide` may look at. */
export interface DecisionInput {
  readonly params: AlgoParams;
  /** The plan `plan(params)` returned (the caller keeps it or recomputes it). */
  readonly plan: AlgoPlan;
  /** Why the workflow asks: a slice time came, or a child order closed. */
  readonly event: 'slice' | 'child_closed';
  /** The latest slice whose time has come (0-based); -1 before the first. */
  readonly sliceIndex: number;
  readonly now: number;
  /** Filled over all children so far. */
  readonly filledQty: Nanos;
  /** Leaves of the open children: what is working (and shown) at the venue now. */
  readonly workingQty: Nanos;
  readonly quote: QuoteSnapshot | null;
  /**
   * Market volume traded in the symbol since the previous decision; 0 for the first, which is at
   * the parent's start (nothing has traded since). So a capped parent releases nothing at its
   * first decision: a one-slice window (60 s or less) with `max_percentage` releases nothing.
   */
  readonly observedVolume: Nanos;
  /** With `event: 'child_closed'`: how that child ended. */
  readonly closedChild: ChildOutcome | null;
}

/** The child order to send now: an ordinary order on the parent's side, linked to the parent. */
export interface ChildOrderInstruction {
  readonly qty: Nanos;
  readonly type: 'market' | 'limit';
  /** Set exactly for `limit`. */
  readonly limitPrice: Nanos | null;
  readonly timeInForce: 'day' | 'ioc';
}

export type DoneReason =
  /** The parent is fully filled. */
  | 'filled'
  /** The window has ended; whatever works is the workflow's to cancel. */
  | 'window_closed'
  /** Every slice has passed, nothing works and nothing more will be released. */
  | 'schedule_complete';

export type Decision =
  | { readonly kind: 'release'; readonly child: ChildOrderInstruction }
  | { readonly kind: 'wait' }
  | { readonly kind: 'done'; readonly reason: DoneReason };

/** An algorithm: a name and two pure functions. */
export interface AlgoPlugin {
  /** Upper-case registry name; what `params.algorithm` refers to. */
  readonly name: string;
  /** One line for operators and the docs. */
  readonly description: string;
  plan(params: AlgoParams): AlgoPlan;
  decide(input: DecisionInput): Decision;
}

export const WAIT: Decision = { kind: 'wait' };

export function done(reason: DoneReason): Decision {
  return { kind: 'done', reason };
}

/**
 * A child of `qty` priced as the parent: a market parent sends market children, a limit parent
 * limit children at its limit. Day orders: a child keeps working until it fills or the workflow
 * cancels it, so what it has not filled yet still counts as working (not rolled forward twice).
 */
export function releaseLikeParent(params: AlgoParams, qty: Nanos): Decision {
  return {
    kind: 'release',
    child: {
      qty,
      type: params.limitPrice === null ? 'market' : 'limit',
      limitPrice: params.limitPrice,
      timeInForce: 'day',
    },
  };
}

/** Rounds down to whole shares: children are whole shares except a fractional parent's remainder. */
export function wholeShares(q: Nanos): Nanos {
  return q - (q % ONE);
}

/**
 * The participation budget of one decision: `maxPercentage` of the observed volume, in whole
 * shares; null when the parent sets no cap.
 */
export function participationBudget(params: AlgoParams, observedVolume: Nanos): Nanos | null {
  if (params.maxPercentage === null) return null;
  return wholeShares((params.maxPercentage * observedVolume) / ONE);
}

export class AlgoContractError extends Error {
  override readonly name = 'AlgoContractError';
}

/**
 * Checks a plan against the contract: 1..MAX_SLICES slices, times non-decreasing inside
 * [startTime, endTime], quantities >= 0 summing to at most the parent qty. Throws
 * `AlgoContractError` naming the algorithm and the broken rule.
 */
export function checkPlan(params: AlgoParams, plan: AlgoPlan): AlgoPlan {
  const fail = (why: string): never => {
    throw new AlgoContractError(`${params.algorithm} plan: ${why}`);
  };
  const n = plan.slices.length;
  if (n === 0 || n > MAX_SLICES) fail(`has ${n} slices; 1..${MAX_SLICES} allowed`);
  let total = 0n;
  let previous = params.startTime;
  plan.slices.forEach((s, i) => {
    if (!Number.isSafeInteger(s.at)) fail(`slice ${i} time is not whole epoch ms`);
    if (s.at < previous) fail(`slice ${i} at ${s.at} is before ${previous}`);
    if (s.at > params.endTime) fail(`slice ${i} at ${s.at} is after the end ${params.endTime}`);
    if (s.qty < 0n) fail(`slice ${i} qty is negative`);
    previous = s.at;
    total += s.qty;
  });
  if (total > params.qty)
    fail(`slices total ${formatNanos(total)}, more than the parent's ${formatNanos(params.qty)}`);
  return plan;
}

/**
 * Checks a decision against the parent's instructions, whatever the plugin: a release is
 * positive, keeps filled + working within the parent qty, keeps working within display_qty, stays
 * within the participation budget, is not sent after the window, and never prices through the
 * parent's limit. Throws `AlgoContractError`.
 */
export function checkDecision(input: DecisionInput, decision: Decision): Decision {
  if (decision.kind !== 'release') return decision;
  const { params, filledQty, workingQty } = input;
  const { qty, type, limitPrice } = decision.child;
  const fail = (why: string): never => {
    throw new AlgoContractError(`${params.algorithm} release of ${formatNanos(qty)}: ${why}`);
  };
  if (qty <= 0n) fail('a child quantity must be positive');
  const open = params.qty - filledQty - workingQty;
  if (qty > open) fail(`only ${formatNanos(open)} is neither filled nor working`);
  if (params.displayQty !== null && workingQty + qty > params.displayQty)
    fail(`${formatNanos(workingQty)} already works; display_qty is ${formatNanos(params.displayQty)}`);
  const budget = participationBudget(params, input.observedVolume);
  if (budget !== null && workingQty + qty > budget)
    fail(`participation budget is ${formatNanos(budget)} with ${formatNanos(workingQty)} working`);
  if (input.now >= params.endTime) fail('the window has ended');
  if (type === 'market') {
    if (limitPrice !== null) fail('a market child has no limit price');
    if (params.limitPrice !== null) fail('a limit parent sends limit children only');
  } else {
    if (limitPrice === null || limitPrice <= 0n || !isOnTick(limitPrice))
      fail('a limit child needs a positive limit price on the tick grid');
    const through =
      params.limitPrice !== null &&
      (params.side === 'buy'
        ? (limitPrice as Nanos) > params.limitPrice
        : (limitPrice as Nanos) < params.limitPrice);
    if (through) fail(`limit ${formatNanos(limitPrice as Nanos)} trades through the parent's limit`);
  }
  return decision;
}

/** One slice as the workflow's Map state iterates it: JSON only (no bigint), a Wait's timestamp. */
export interface SliceItem {
  readonly index: number;
  /** ISO 8601 UTC: the Wait state's `TimestampPath`. */
  readonly at: string;
  /** Canonical decimal text. */
  readonly qty: string;
}

/**
 * The plan as the workflow's Map items. The decision step does not need them back: it recomputes
 * the plan from the params (same seed, same plan) and is told the slice index.
 */
export function sliceItems(plan: AlgoPlan): SliceItem[] {
  return plan.slices.map((s, index) => ({
    index,
    at: new Date(s.at).toISOString(),
    qty: formatNanos(s.qty),
  }));
}
