/**
 * VWAP: slices weighted by the intraday volume profile (`volumeProfilePercent`, the U-shaped curve
 * the simulated market's sizes follow too), so the parent trades more near the open and the close
 * where the market does. Slice times, randomization, roll-forward and catch-up are TWAP's; with
 * `max_percentage` no release takes the parent's working quantity past that share of the market
 * volume observed since the previous decision, even at the catch-up (the cap wins: a VWAP can end
 * short of its qty when the market is too thin).
 */
import { volumeProfilePercent } from '../volume-profile.js';
import type { AlgoParams, AlgoPlan, AlgoPlugin } from './plugin.js';
import { buildSlices, followSchedule, nominalTime, sliceCount } from './schedule.js';

const MINUTE_MS = 60_000;
/** A slot longer than this many minutes is sampled at this many evenly spaced minutes. */
const MAX_SAMPLES_PER_SLOT = 30;

/**
 * The profile's volume over [from, to): the percent of each minute the slot covers times the
 * milliseconds it covers. Slots of a multi-day window are sampled rather than walked minute by
 * minute (the weight is then the mean sampled percent times the slot length).
 */
export function profileVolume(from: number, to: number): bigint {
  const minutes = (to - from) / MINUTE_MS;
  if (minutes > MAX_SAMPLES_PER_SLOT) {
    let sum = 0;
    for (let s = 0; s < MAX_SAMPLES_PER_SLOT; s++)
      sum += volumeProfilePercent(from + Math.floor(((s + 0.5) * (to - from)) / MAX_SAMPLES_PER_SLOT));
    return (BigInt(sum) * BigInt(to - from)) / BigInt(MAX_SAMPLES_PER_SLOT);
  }
  let weight = 0n;
  for (let t = from; t < to; ) {
    const minuteEnd = Math.min(to, (Math.floor(t / MINUTE_MS) + 1) * MINUTE_MS);
    weight += BigInt(volumeProfilePercent(t)) * BigInt(minuteEnd - t);
    t = minuteEnd;
  }
  return weight;
}

export const vwap: AlgoPlugin = {
  name: 'VWAP',
  description: 'slices weighted by the intraday volume profile; max_percentage caps participation',
  plan(params: AlgoParams): AlgoPlan {
    const n = sliceCount(params);
    const weights = Array.from({ length: n }, (_, i) =>
      profileVolume(nominalTime(params, i, n), i === n - 1 ? params.endTime : nominalTime(params, i + 1, n)),
    );
    return { slices: buildSlices(params, weights) };
  },
  decide: followSchedule,
};
