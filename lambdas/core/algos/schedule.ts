/**
 * Building blocks of slice schedules, shared by the built-in algorithms (and free for custom
 * ones): how many slices a window gets, their nominal times, seeded randomization of times and
 * sizes within stated bounds, weights -> exact slice quantities, and the schedule-following
 * decision (`followSchedule`) that TWAP, VWAP and Iceberg all use.
 *
 * Quantity rules (written down in docs/algos.md):
 *  - Slice quantities come from cumulative targets rounded down to whole shares; the last slice's
 *    target is the parent qty itself, so it takes every rounding remainder and a fractional
 *    parent's fractional part. The plan's total is exactly the parent qty.
 *  - The number of slices never exceeds the whole shares of the parent (an even split then has
 *    at least one share per slice).
 */
import { type Nanos, ONE } from '../decimal.js';
import {
  type AlgoParams,
  type Decision,
  type DecisionInput,
  done,
  MAX_SLICES,
  type PlannedSlice,
  participationBudget,
  releaseLikeParent,
  SLICE_MS,
  WAIT,
  wholeShares,
} from './plugin.js';

/**
 * A small seeded generator (xorshift32 over a mixed seed); `next(n)` is a whole number in [0, n).
 * Plans only need reproducible, well spread draws, not cryptographic ones.
 */
export function seededDraws(seed: number): (n: number) => number {
  // Mix the seed so that neighbouring seeds (order ids differing in one character) diverge at once.
  let x = Math.imul((seed ^ 0x9e3779b9) >>> 0, 0x85ebca6b) >>> 0;
  x = (x ^ (x >>> 13)) >>> 0;
  if (x === 0) x = 0x6d2b79f5; // xorshift's one fixed point
  return (n: number) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

/** The plan seed of a parent order: FNV-1a of its id, so the same order always plans the same. */
export function seedFromOrderId(orderId: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < orderId.length; i++) {
    h ^= orderId.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * Slices for a window: one a minute, at most MAX_SLICES (a longer window gets longer slices), and
 * no more than the parent's whole shares (at least one).
 */
export function sliceCount(params: AlgoParams): number {
  const window = params.endTime - params.startTime;
  const byTime = Math.max(1, Math.ceil(window / SLICE_MS));
  const shares = params.qty / ONE;
  const byQty = shares < 1n ? 1 : shares > BigInt(MAX_SLICES) ? MAX_SLICES : Number(shares);
  return Math.min(byTime, MAX_SLICES, byQty);
}

/** Start of slot `i` of `n` equal slots over the window (whole ms). */
export function nominalTime(params: AlgoParams, i: number, n: number): number {
  return params.startTime + Math.floor((i * (params.endTime - params.startTime)) / n);
}

/** Resolution of a uniform draw in [-1, 1]: 2 * RESOLUTION + 1 equally likely steps. */
const RESOLUTION = 1_000_000;

/** `bound * u` for a uniform u in [-1, 1], truncated toward zero (so never beyond the bound). */
function jitterOf(draw: (n: number) => number, fraction: Nanos, scale: bigint): bigint {
  const u = BigInt(draw(2 * RESOLUTION + 1) - RESOLUTION);
  return (u * fraction * scale) / (BigInt(RESOLUTION) * ONE);
}

/**
 * The slice times: slot starts, each moved by at most `timeJitter` x the slot length, then held
 * inside the window (only the first can fall before the start). With jitter <= 0.5 the times
 * stay in slot order.
 */
export function sliceTimes(params: AlgoParams, n: number, draw: (n: number) => number): number[] {
  const slot = BigInt(Math.floor((params.endTime - params.startTime) / n));
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const nominal = nominalTime(params, i, n);
    const shift = params.timeJitter === null ? 0 : Number(jitterOf(draw, params.timeJitter, slot));
    times.push(Math.min(params.endTime, Math.max(params.startTime, nominal + shift)));
  }
  return times;
}

/**
 * Moves weight between neighbours (slices 0-1, 2-3, ...) by at most `qtyJitter` of the smaller
 * one: every slice stays within +-qtyJitter of its own weight and the total is unchanged, so the
 * randomized schedule still sums to the parent. An odd last slice keeps its weight.
 */
export function jitterWeights(
  weights: readonly bigint[],
  qtyJitter: Nanos | null,
  draw: (n: number) => number,
): bigint[] {
  const out = [...weights];
  if (qtyJitter === null) return out;
  for (let i = 0; i + 1 < out.length; i += 2) {
    const a = out[i] as bigint;
    const b = out[i + 1] as bigint;
    // (Math.min does not take bigints.)
    let smaller = a;
    if (b < a) smaller = b;
    const d = jitterOf(draw, qtyJitter, smaller);
    out[i] = a + d;
    out[i + 1] = b - d;
  }
  return out;
}

/**
 * Exact slice quantities for the weights: slice k's cumulative target is the parent qty x (the
 * weights up to k) / (all weights), rounded down to whole shares; the last target is the parent
 * qty. Quantities are the differences, so they are >= 0 and sum to the parent qty exactly.
 */
export function quantitiesFor(qty: Nanos, weights: readonly bigint[]): Nanos[] {
  const total = weights.reduce((s, w) => s + w, 0n);
  const out: Nanos[] = [];
  let cumulativeWeight = 0n;
  let previousTarget = 0n;
  weights.forEach((w, k) => {
    cumulativeWeight += w;
    // All weights zero (nothing expected to trade): the whole parent waits for the last slice.
    const target =
      k === weights.length - 1 ? qty : total === 0n ? 0n : wholeShares((qty * cumulativeWeight) / total);
    out.push(target - previousTarget);
    previousTarget = target;
  });
  return out;
}

/** Times and weights -> the plan's slices (weights randomized within `qtyJitter` first). */
export function buildSlices(params: AlgoParams, weights: readonly bigint[]): PlannedSlice[] {
  const draw = seededDraws(params.seed);
  // Times are drawn first and sizes second, always in this order: the same seed, the same plan.
  const times = sliceTimes(params, weights.length, draw);
  const quantities = quantitiesFor(params.qty, jitterWeights(weights, params.qtyJitter, draw));
  return times.map((at, i) => ({ at, qty: quantities[i] as Nanos }));
}

/** What the schedule wants released by slice `k` (inclusive): the sum of the planned quantities. */
export function cumulativeTarget(slices: readonly PlannedSlice[], k: number): Nanos {
  let sum = 0n;
  for (let i = 0; i <= k && i < slices.length; i++) sum += (slices[i] as PlannedSlice).qty;
  return sum;
}

/**
 * The decision every built-in makes, following its plan:
 *  - done when the parent is filled, or the window has ended;
 *  - at a slice: release what the schedule wants by now and is neither filled nor working, so a
 *    child's unfilled quantity that closed rolls forward into this slice, and the last slice (the
 *    catch-up) wants everything left;
 *  - when a child closes filled under a display_qty: replenish the same way right away (iceberg);
 *    otherwise a closed child's remainder waits for the next slice;
 *  - every release capped by display_qty (working + release) and by max_percentage of the volume
 *    observed since the previous decision (working + release), so the parent's instructions win
 *    over completing the schedule;
 *  - done once the last slice has passed with nothing working and nothing to release.
 */
export function followSchedule(input: DecisionInput): Decision {
  const { params, plan, filledQty, workingQty, now, event } = input;
  if (filledQty >= params.qty) return done('filled');
  if (now >= params.endTime) return done('window_closed');
  const last = plan.slices.length - 1;
  const k = Math.min(input.sliceIndex, last);
  if (k < 0) return WAIT;
  const replenish = event === 'slice' || (params.displayQty !== null && input.closedChild === 'filled');
  let qty = replenish ? cumulativeTarget(plan.slices, k) - filledQty - workingQty : 0n;
  if (params.displayQty !== null && qty > params.displayQty - workingQty)
    qty = params.displayQty - workingQty;
  const budget = participationBudget(params, input.observedVolume);
  if (budget !== null && qty > budget - workingQty) qty = budget - workingQty;
  if (qty > 0n) return releaseLikeParent(params, qty);
  if (k === last && workingQty === 0n) return done('schedule_complete');
  return WAIT;
}
