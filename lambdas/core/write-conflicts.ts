/**
 * Optimistic concurrency (a versioned item written only over the version read): a writer that lost
 * the race reads again and decides again, after a pause. The pause is "full jitter" (a uniform draw
 * up to an exponential ceiling, capped), so that many writers of one item spread out instead of
 * colliding again on the next round. Pure: the draw comes in, the caller sleeps.
 *
 * Sized so that 50 writers of one item at once, on a busy 2-core machine running DynamoDB Local,
 * all commit (test/orders/*.test.ts): at most CONFLICT_ATTEMPTS rounds, a pause of at most
 * CONFLICT_BACKOFF_CAP_MS (about 5 s of waiting in the worst case, well inside API Gateway's 29 s).
 */

export const CONFLICT_ATTEMPTS = 40;
const BASE_MS = 5;
export const CONFLICT_BACKOFF_CAP_MS = 250;

/** The pause (ms) after the `attempt`-th lost race (1-based); `draw` is uniform in [0, 1). */
export function conflictBackoffMs(attempt: number, draw: number): number {
  const ceiling = Math.min(CONFLICT_BACKOFF_CAP_MS, BASE_MS * 2 ** Math.min(attempt, 16));
  return Math.floor(Math.max(0, Math.min(draw, 1)) * ceiling);
}
