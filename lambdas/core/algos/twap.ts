/**
 * TWAP: the parent split into equal slices over [start_time, end_time], one a minute (at most
 * 390, no more than its whole shares). `qty_jitter` and `time_jitter` randomize each slice's size
 * and time within their stated bounds, seeded by the order id. A slice's unfilled quantity rolls
 * forward into the next slice; the last slice is the catch-up that releases everything left.
 */
import type { AlgoParams, AlgoPlan, AlgoPlugin } from './plugin.js';
import { buildSlices, followSchedule, sliceCount } from './schedule.js';

/** Equal weights; large enough that a randomized share is fine-grained. */
const EQUAL_WEIGHT = 1_000_000_000n;

export const twap: AlgoPlugin = {
  name: 'TWAP',
  description: 'equal slices over the window, optionally randomized; remainder rolls forward; final catch-up',
  plan(params: AlgoParams): AlgoPlan {
    const n = sliceCount(params);
    return {
      slices: buildSlices(
        params,
        Array.from({ length: n }, () => EQUAL_WEIGHT),
      ),
    };
  },
  decide: followSchedule,
};
