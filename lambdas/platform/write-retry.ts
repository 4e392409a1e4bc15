/**
 * The loop of an optimistic write (core write-conflicts.ts): read, decide, write over the version
 * read; a lost race reads and decides again after a jittered pause. Still losing after
 * CONFLICT_ATTEMPTS rounds: `WriteContention`, which the API answers 503 with `Retry-After`
 * (api-response.ts `busy`), never 500.
 */
import { CONFLICT_ATTEMPTS, conflictBackoffMs } from '../core/index.js';

/** What an attempt returns when it lost the race (the loop tries again). */
export const LOST_RACE: unique symbol = Symbol('lost race');

export class WriteContention extends Error {
  constructor(what: string, attempts: number) {
    super(`${what}: still conflicting after ${attempts} attempts`);
    this.name = 'WriteContention';
  }
}

const RACE_CODES: ReadonlySet<string | undefined> = new Set([
  undefined,
  'None',
  'ConditionalCheckFailed',
  'TransactionConflict',
]);

/**
 * A write refused because another write got there first: its condition failed (the version moved),
 * or a transaction was canceled by such a condition or by a concurrent transaction on its items.
 * A transaction canceled for anything else (a validation error, an item too large) is not one.
 */
export function isLostRace(err: unknown): boolean {
  const e = err as { name?: string; CancellationReasons?: readonly { Code?: string }[] } | null;
  if (e?.name === 'ConditionalCheckFailedException' || e?.name === 'TransactionConflictException')
    return true;
  if (e?.name !== 'TransactionCanceledException') return false;
  return (e.CancellationReasons ?? []).every((r) => RACE_CODES.has(r.Code));
}

/** Runs `attempt` until it returns something else than LOST_RACE, pausing between rounds. */
export async function untilWritten<T>(
  what: string,
  attempt: () => Promise<T | typeof LOST_RACE>,
  options: { readonly attempts?: number; readonly random?: () => number } = {},
): Promise<T> {
  const attempts = options.attempts ?? CONFLICT_ATTEMPTS;
  const random = options.random ?? Math.random;
  for (let n = 1; n <= attempts; n++) {
    const out = await attempt();
    if (out !== LOST_RACE) return out;
    if (n < attempts) await new Promise((r) => setTimeout(r, conflictBackoffMs(n, random())));
  }
  throw new WriteContention(what, attempts);
}
