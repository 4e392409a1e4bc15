/**
 * The plans of the built-in algorithms: slice times, slice quantities, randomization bounds,
 * the volume-profile weighting of VWAP, and determinism (same seed, same plan).
 */
import fc from 'fast-check';
import { volumeProfilePercent as marketProfile } from '../../../lambdas/broker-gateway/simulated/market.js';
import {
  type AlgoParams,
  type AlgoPlan,
  builtInAlgorithms,
  cumulativeTarget,
  iceberg,
  MAX_SLICES,
  nominalTime,
  planFor,
  profileVolume,
  quantitiesFor,
  SLICE_MS,
  seededDraws,
  seedFromOrderId,
  sliceCount,
  twap,
  vwap,
} from '../../../lambdas/core/algos/index.js';
import { formatNanos, nanos, ONE } from '../../../lambdas/core/decimal.js';
import { newYorkToUtc } from '../../../lambdas/core/session.js';
import { volumeProfilePercent } from '../../../lambdas/core/volume-profile.js';

const MIN = 60_000;
/** Wednesday 4 March 2026, 09:30 New York: the open of a regular session. */
const OPEN = newYorkToUtc(2026, 3, 4, 9, 30);
const CLOSE = newYorkToUtc(2026, 3, 4, 16, 0);

function params(overrides: Partial<AlgoParams> = {}): AlgoParams {
  return {
    algorithm: 'TWAP',
    side: 'buy',
    qty: nanos('1000'),
    limitPrice: null,
    startTime: OPEN,
    endTime: OPEN + 60 * MIN,
    displayQty: null,
    maxPercentage: null,
    qtyJitter: null,
    timeJitter: null,
    seed: 7,
    ...overrides,
  };
}

const qtys = (plan: AlgoPlan) => plan.slices.map((s) => formatNanos(s.qty));
const times = (plan: AlgoPlan) => plan.slices.map((s) => (s.at - (plan.slices[0]?.at ?? 0)) / MIN);
/** A failed check inside a property (plain throws: thousands of expect() calls per run are slow). */
function must(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

const total = (plan: AlgoPlan) => plan.slices.reduce((s, x) => s + x.qty, 0n);

describe('TWAP plan: table', () => {
  test.each([
    {
      name: '10 shares over 10 minutes: one share a minute',
      p: { qty: nanos('10'), endTime: OPEN + 10 * MIN },
      qty: ['1', '1', '1', '1', '1', '1', '1', '1', '1', '1'],
      minutes: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    },
    {
      name: '5 shares over 10 minutes: no more slices than shares (one every 2 minutes)',
      p: { qty: nanos('5'), endTime: OPEN + 10 * MIN },
      qty: ['1', '1', '1', '1', '1'],
      minutes: [0, 2, 4, 6, 8],
    },
    {
      name: '5.5 shares: whole-share slices, the fraction goes with the last',
      p: { qty: nanos('5.5'), endTime: OPEN + 10 * MIN },
      qty: ['1', '1', '1', '1', '1.5'],
      minutes: [0, 2, 4, 6, 8],
    },
    {
      name: '10 shares over 3 minutes: floors of the cumulative target, the remainder last',
      p: { qty: nanos('10'), endTime: OPEN + 3 * MIN },
      qty: ['3', '3', '4'],
      minutes: [0, 1, 2],
    },
    {
      name: 'half a share: one slice at the start',
      p: { qty: nanos('0.5') },
      qty: ['0.5'],
      minutes: [0],
    },
    {
      name: 'a window under a minute: one slice',
      p: { qty: nanos('100'), endTime: OPEN + 20_000 },
      qty: ['100'],
      minutes: [0],
    },
  ])('$name', ({ p, qty, minutes }) => {
    const plan = planFor(builtInAlgorithms, params(p));
    expect(qtys(plan)).toEqual(qty);
    expect(times(plan)).toEqual(minutes);
  });

  test('a full session is 390 one-minute slices, the last (the catch-up) at 15:59', () => {
    const plan = planFor(builtInAlgorithms, params({ qty: nanos('100000'), endTime: CLOSE }));
    expect(plan.slices).toHaveLength(MAX_SLICES);
    expect(plan.slices.at(-1)?.at).toBe(CLOSE - MIN);
    expect(total(plan)).toBe(nanos('100000'));
  });

  test('a two-day window still has 390 slices, evenly spaced and longer than a minute', () => {
    const p = params({ qty: nanos('100000'), endTime: OPEN + 2 * 24 * 60 * MIN });
    const plan = planFor(builtInAlgorithms, p);
    expect(plan.slices).toHaveLength(MAX_SLICES);
    const gaps = plan.slices.slice(1).map((s, i) => s.at - (plan.slices[i]?.at ?? 0));
    expect(Math.min(...gaps)).toBeGreaterThan(SLICE_MS);
    expect(Math.max(...gaps) - Math.min(...gaps)).toBeLessThanOrEqual(1);
  });

  test('randomized: the same seed gives the same plan, another seed another', () => {
    const p = params({ qtyJitter: nanos('0.3'), timeJitter: nanos('0.4') });
    expect(twap.plan(p)).toEqual(twap.plan(p));
    expect(twap.plan({ ...p, seed: 8 })).not.toEqual(twap.plan(p));
    expect(twap.plan(p)).not.toEqual(twap.plan({ ...p, qtyJitter: null, timeJitter: null }));
  });

  test('the seed of an order id is stable and differs between neighbouring ids', () => {
    expect(seedFromOrderId('ord-1')).toBe(seedFromOrderId('ord-1'));
    expect(seedFromOrderId('ord-1')).not.toBe(seedFromOrderId('ord-2'));
    const draws = (seed: number) => Array.from({ length: 8 }, seededDraws(seed).bind(null, 1000));
    expect(draws(1)).toEqual(draws(1));
    expect(draws(1)).not.toEqual(draws(2));
  });
});

/** Arbitrary TWAP/VWAP parameters over a weekday (any start within the day, windows up to 8 h). */
const arbParams = (algorithm: 'TWAP' | 'VWAP') =>
  fc
    .record({
      startMinute: fc.integer({ min: 0, max: 24 * 60 - 1 }),
      startMs: fc.integer({ min: 0, max: MIN - 1 }),
      windowMs: fc.integer({ min: 1_000, max: 8 * 60 * MIN }),
      qty: fc.bigInt({ min: 1n, max: 10_000_000n * ONE }),
      qtyJitter: fc.option(fc.integer({ min: 1, max: 500 }), { nil: null }),
      timeJitter: fc.option(fc.integer({ min: 1, max: 500 }), { nil: null }),
      seed: fc.integer({ min: 0, max: 0xffffffff }),
    })
    .map(
      (r): AlgoParams =>
        params({
          algorithm,
          startTime: newYorkToUtc(2026, 3, 4, 0, 0) + r.startMinute * MIN + r.startMs,
          endTime: newYorkToUtc(2026, 3, 4, 0, 0) + r.startMinute * MIN + r.startMs + r.windowMs,
          qty: r.qty,
          // Jitter in thousandths, as the request allows (<= 3 dp, at most 0.5).
          qtyJitter: r.qtyJitter === null ? null : (BigInt(r.qtyJitter) * ONE) / 1000n,
          timeJitter: r.timeJitter === null ? null : (BigInt(r.timeJitter) * ONE) / 1000n,
          seed: r.seed,
        }),
    );

describe('TWAP and VWAP plans: properties', () => {
  for (const algorithm of ['TWAP', 'VWAP'] as const) {
    test(`${algorithm}: slices sum to the parent qty, times in the window and within time_jitter of their slot`, () => {
      fc.assert(
        fc.property(arbParams(algorithm), (p) => {
          const plan = planFor(builtInAlgorithms, p); // checks order, window, count, total <= qty
          expect(total(plan)).toBe(p.qty);
          const n = plan.slices.length;
          expect(n).toBe(sliceCount(p));
          const slot = Math.floor((p.endTime - p.startTime) / n);
          const bound = p.timeJitter === null ? 0 : (slot * Number(p.timeJitter)) / Number(ONE);
          plan.slices.forEach((s, i) => {
            must(s.at >= p.startTime && s.at < p.endTime, `slice ${i} at ${s.at} outside the window`);
            must(Math.abs(s.at - nominalTime(p, i, n)) <= bound, `slice ${i} moved beyond ${bound} ms`);
            // No slice but the last holds a fraction of a share.
            must(i === n - 1 || s.qty % ONE === 0n, `slice ${i} is ${formatNanos(s.qty)}`);
          });
        }),
        { numRuns: 300 },
      );
    });
  }

  test('TWAP: each slice is within qty_jitter of an equal share (plus the one-share rounding)', () => {
    fc.assert(
      fc.property(arbParams('TWAP'), (p) => {
        const plan = twap.plan(p);
        const n = BigInt(plan.slices.length);
        const q = p.qtyJitter ?? 0n;
        // Bounds at scale 18 to stay exact: share = qty / n, slice in [share (1 - q) - 1, share (1 + q) + 1].
        const share18 = (p.qty * ONE) / n;
        const low = (share18 * (ONE - q)) / ONE - ONE * ONE;
        const high = (share18 * (ONE + q)) / ONE + ONE * ONE;
        for (const s of plan.slices)
          must(s.qty * ONE >= low - ONE && s.qty * ONE <= high + ONE, `slice of ${formatNanos(s.qty)}`);
      }),
      { numRuns: 300 },
    );
  });

  test('TWAP without jitter: slice k releases floor(qty (k+1) / n) cumulatively, the last the rest', () => {
    fc.assert(
      fc.property(arbParams('TWAP'), (raw) => {
        const p = { ...raw, qtyJitter: null, timeJitter: null };
        const plan = twap.plan(p);
        const n = BigInt(plan.slices.length);
        plan.slices.forEach((_, k) => {
          const expected = k === plan.slices.length - 1 ? p.qty : ((p.qty * BigInt(k + 1)) / n / ONE) * ONE;
          must(cumulativeTarget(plan.slices, k) === expected, `slice ${k}: not ${formatNanos(expected)}`);
        });
      }),
      { numRuns: 300 },
    );
  });
});

describe('VWAP plan: weighted by the volume profile', () => {
  test('the core profile is the one the simulated market draws its sizes from', () => {
    expect(marketProfile).toBe(volumeProfilePercent);
  });

  test('a full session: slice k gets floor(qty x profile(09:30..k) / profile(session)) cumulatively', () => {
    const p = params({ algorithm: 'VWAP', qty: nanos('123457'), endTime: CLOSE });
    const plan = vwap.plan(p);
    const minutes = Array.from({ length: 390 }, (_, i) => volumeProfilePercent(OPEN + i * MIN));
    const all = BigInt(minutes.reduce((s, x) => s + x, 0));
    let upTo = 0n;
    plan.slices.forEach((s, k) => {
      upTo += BigInt(minutes[k] as number);
      expect(s.at).toBe(OPEN + k * MIN);
      const expected = k === 389 ? p.qty : ((p.qty * upTo) / all / ONE) * ONE;
      expect(cumulativeTarget(plan.slices, k)).toBe(expected);
    });
    // The U shape: the open and the close slices are about three times the midday slice.
    const first = plan.slices[0]?.qty ?? 0n;
    const midday = plan.slices[195]?.qty ?? 0n;
    expect(first * 10n).toBeGreaterThanOrEqual(midday * 28n);
    expect(first * 10n).toBeLessThanOrEqual(midday * 32n);
  });

  test('property: without jitter the slices are proportional to the profile over their slots (+-1 share)', () => {
    fc.assert(
      fc.property(arbParams('VWAP'), (raw) => {
        const p = { ...raw, qtyJitter: null, timeJitter: null };
        const plan = vwap.plan(p);
        const n = plan.slices.length;
        const weights = plan.slices.map((_, i) =>
          profileVolume(nominalTime(p, i, n), i === n - 1 ? p.endTime : nominalTime(p, i + 1, n)),
        );
        const w = weights.reduce((s, x) => s + x, 0n);
        plan.slices.forEach((s, i) => {
          const ideal18 = (p.qty * ONE * (weights[i] as bigint)) / w;
          const diff = s.qty * ONE - ideal18;
          must((diff < 0n ? -diff : diff) <= ONE * ONE, `slice ${i} of ${formatNanos(s.qty)} off its weight`);
        });
      }),
      { numRuns: 200 },
    );
  });

  test('profileVolume sums percent x ms over the minutes a slot covers', () => {
    const at = (m: number) => OPEN + m * MIN;
    expect(profileVolume(at(0), at(1))).toBe(300n * 60_000n);
    // Half of minute 0 and half of minute 1.
    const half =
      BigInt(volumeProfilePercent(at(0))) * 30_000n + BigInt(volumeProfilePercent(at(1))) * 30_000n;
    expect(profileVolume(at(0) + 30_000, at(1) + 30_000)).toBe(half);
    // Off session: a flat 50.
    const night = newYorkToUtc(2026, 3, 4, 2, 0);
    expect(profileVolume(night, night + 10 * MIN)).toBe(50n * 600_000n);
  });
});

describe('quantitiesFor', () => {
  test.each([
    { qty: '10', weights: [1n, 1n, 1n], expected: ['3', '3', '4'] },
    { qty: '10', weights: [0n, 1n, 0n], expected: ['0', '10', '0'] },
    { qty: '7.25', weights: [3n, 1n], expected: ['5', '2.25'] },
    { qty: '3', weights: [0n, 0n], expected: ['0', '3'] },
  ])('$qty over $weights', ({ qty, weights, expected }) => {
    expect(quantitiesFor(nanos(qty), weights).map(formatNanos)).toEqual(expected);
  });
});

describe('Iceberg plan', () => {
  test('everything due at the start, in one slice', () => {
    const p = params({ algorithm: 'ICEBERG', displayQty: nanos('100') });
    expect(iceberg.plan(p)).toEqual({ slices: [{ at: OPEN, qty: p.qty }] });
  });

  test('with max_percentage: one wake-up a minute over the window to re-measure volume', () => {
    const p = params({ algorithm: 'ICEBERG', displayQty: nanos('100'), maxPercentage: nanos('0.1') });
    const plan = planFor(builtInAlgorithms, p);
    expect(plan.slices).toHaveLength(60);
    expect(plan.slices[0]).toEqual({ at: OPEN, qty: p.qty });
    expect(plan.slices.slice(1).every((s, i) => s.qty === 0n && s.at === OPEN + (i + 1) * MIN)).toBe(true);
  });
});
