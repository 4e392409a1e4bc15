/**
 * From a validated order (`OrderSpec`) to the algorithm's `AlgoParams`: which registered
 * algorithm runs it, and its window and caps as exact numbers.
 *
 * Which algorithm:
 *  - `TWAP` and `VWAP` by name; `display_qty` on them caps what works at once (each slice then goes
 *    out in clips, replenished as they fill).
 *  - `DMA` with `display_qty` is an Iceberg (`ICEBERG`); plain `DMA` is no algorithm at all: the
 *    order goes to the venue as it is (null here).
 * Window: `start_time` (or the acceptance time, if later or absent) to `end_time` (or the caller's
 * default end: for a day order the session close).
 */
import { type Nanos, nanos } from '../decimal.js';
import type { OrderSpec } from '../order-request.js';
import type { AlgoParams } from './plugin.js';
import { seedFromOrderId } from './schedule.js';

export interface AlgoParamsContext {
  /** The parent order's id: seeds the plan, so a retried step plans the same slices. */
  readonly orderId: string;
  /** Epoch ms the parent was accepted: the earliest start. */
  readonly now: number;
  /** Epoch ms the window ends when the order gives no end_time (the session close for day orders). */
  readonly defaultEndTime: number;
}

export type AlgoParamsResult =
  | { readonly ok: true; readonly params: AlgoParams }
  | { readonly ok: false; readonly reason: string };

/** The registry name that runs `spec`, or null when the order is not algorithmic (none, plain DMA). */
export function algorithmFor(spec: OrderSpec): string | null {
  const adv = spec.advancedInstructions;
  if (adv === null) return null;
  if (adv.algorithm === 'DMA') return adv.displayQty === null ? null : 'ICEBERG';
  return adv.algorithm;
}

const orNull = (text: string | null | undefined): Nanos | null =>
  text === null || text === undefined ? null : nanos(text);

export function algoParamsFromSpec(spec: OrderSpec, ctx: AlgoParamsContext): AlgoParamsResult {
  const algorithm = algorithmFor(spec);
  const adv = spec.advancedInstructions;
  if (algorithm === null || adv === null) return { ok: false, reason: 'not an algorithmic order' };
  if (spec.qty === null) return { ok: false, reason: 'algorithmic orders need qty' };
  const requestedStart = adv.startTime === null ? ctx.now : Date.parse(adv.startTime);
  const startTime = Math.max(requestedStart, ctx.now);
  const endTime = adv.endTime === null ? ctx.defaultEndTime : Date.parse(adv.endTime);
  if (!(endTime > startTime))
    return { ok: false, reason: `the window has ended (end ${new Date(endTime).toISOString()})` };
  return {
    ok: true,
    params: {
      algorithm,
      side: spec.side,
      qty: nanos(spec.qty),
      limitPrice: spec.type === 'limit' ? orNull(spec.limitPrice) : null,
      startTime,
      endTime,
      displayQty: orNull(adv.displayQty),
      maxPercentage: orNull(adv.maxPercentage),
      qtyJitter: orNull(adv.qtyJitter),
      timeJitter: orNull(adv.timeJitter),
      seed: seedFromOrderId(ctx.orderId),
    },
  };
}
