/**
 * Iceberg: the whole parent is due at once, but at most `display_qty` of it works (and shows) at
 * the venue at any time; each time the shown child fills, the next clip goes out, and the last
 * clip is what remains. Requested as `algorithm: DMA` with `display_qty` (docs/algos.md).
 *
 * With `max_percentage` the plan adds a wake-up a minute over the window, each re-measuring the
 * market volume, because a clip held back by the participation cap has no fill to wake it.
 */
import type { AlgoParams, AlgoPlan, AlgoPlugin } from './plugin.js';
import { followSchedule, nominalTime, sliceCount } from './schedule.js';

export const iceberg: AlgoPlugin = {
  name: 'ICEBERG',
  description: 'shows at most display_qty at a time, replenished as each clip fills',
  plan(params: AlgoParams): AlgoPlan {
    const first = { at: params.startTime, qty: params.qty };
    if (params.maxPercentage === null) return { slices: [first] };
    const n = sliceCount(params);
    const wakeUps = Array.from({ length: n - 1 }, (_, i) => ({ at: nominalTime(params, i + 1, n), qty: 0n }));
    return { slices: [first, ...wakeUps] };
  },
  decide: followSchedule,
};
