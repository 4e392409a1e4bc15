/**
 * The pause of a writer that lost an optimistic write's race (core write-conflicts.ts): full
 * jitter, a uniform draw below a ceiling that doubles per lost race up to a cap.
 */
import fc from 'fast-check';
import { CONFLICT_BACKOFF_CAP_MS, conflictBackoffMs } from '../../lambdas/core/index.js';

describe('conflictBackoffMs', () => {
  it.each([
    [1, 0.999, 9],
    [2, 0.999, 19],
    [3, 0.5, 20],
    [10, 0.999, CONFLICT_BACKOFF_CAP_MS - 1],
    [1000, 0.999, CONFLICT_BACKOFF_CAP_MS - 1],
    [5, 0, 0],
  ])('after lost race %i with draw %d: %i ms', (attempt, draw, ms) => {
    expect(conflictBackoffMs(attempt, draw)).toBe(ms);
  });

  it('is a whole number of ms from 0 to the cap, and a larger draw never waits less', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100 }), fc.double({ min: 0, max: 1, noNaN: true }), (n, draw) => {
        const ms = conflictBackoffMs(n, draw);
        expect(Number.isInteger(ms)).toBe(true);
        expect(ms).toBeGreaterThanOrEqual(0);
        expect(ms).toBeLessThanOrEqual(CONFLICT_BACKOFF_CAP_MS);
        expect(conflictBackoffMs(n, Math.min(1, draw + 0.1))).toBeGreaterThanOrEqual(ms);
      }),
    );
  });
});
