/**
 * test/sequencing/sequencer.js: the order jest hands files to its 2 workers. The files sharing the
 * one local mode run one at a time (a lock); a worker handed one while another runs waits, idle
 * (150 s of worker time in a 667 s run of npm test, docs/bench.md "npm test time").
 */
import fc from 'fast-check';

const { schedule, holdsSharedLock, SHARED_WARM_UP_S } = require('./sequencer.js') as {
  schedule: (items: Item[], workers?: number, warmUp?: number) => string[];
  holdsSharedLock: (relative: string, head: string) => boolean;
  SHARED_WARM_UP_S: number;
};

interface Item {
  readonly key: string;
  readonly seconds: number;
  readonly shared: boolean;
  /** An e2e file: it starts once the shared local mode is up, `warmUp` seconds in. */
  readonly e2e: boolean;
}

/**
 * Runs `order` as jest does (the next file to the first free worker): the waits (for the lock, or
 * for the shared local mode's warm-up), each with how many files that could have started at once
 * were still to come.
 */
function simulate(items: readonly Item[], order: readonly string[], workers = 2, warmUp = 0) {
  const byKey = new Map(items.map((i) => [i.key, i]));
  const free = Array.from({ length: workers }, () => 0);
  let lockFree = warmUp;
  const waits: { at: number; othersLeft: number }[] = [];
  order.forEach((key, n) => {
    const x = byKey.get(key) as Item;
    const w = free.indexOf(Math.min(...free));
    const now = free[w] as number;
    const start = Math.max(now, x.e2e ? warmUp : 0, x.shared ? lockFree : 0);
    const startsAtOnce = (k: string) => {
      const y = byKey.get(k) as Item;
      return !y.shared && (!y.e2e || warmUp <= now);
    };
    if (start > now) waits.push({ at: now, othersLeft: order.slice(n).filter(startsAtOnce).length });
    free[w] = start + x.seconds;
    if (x.shared) lockFree = free[w] as number;
  });
  return { makespan: Math.max(...free), waits };
}

test('the measured case: the default size order waited, the schedule does not', () => {
  const items: Item[] = [
    { key: 'e2e/a', seconds: 60, shared: true, e2e: true },
    { key: 'e2e/b', seconds: 50, shared: true, e2e: true },
    { key: 'e2e/own', seconds: 90, shared: false, e2e: true },
    { key: 'unit/x', seconds: 20, shared: false, e2e: false },
    { key: 'unit/y', seconds: 10, shared: false, e2e: false },
  ];
  // The two lock-holding files first (as by file size on a fresh clone): b waits 60 s for a.
  expect(simulate(items, ['e2e/a', 'e2e/b', 'e2e/own', 'unit/x', 'unit/y'])).toEqual({
    makespan: 150,
    waits: [{ at: 0, othersLeft: 3 }],
  });
  const order = schedule(items, 2, 0);
  expect(simulate(items, order)).toEqual({ makespan: 120, waits: [] });
});

test('while the shared local mode warms up, the workers take unit files, not an e2e file that would wait', () => {
  const items: Item[] = [
    { key: 'e2e/a', seconds: 60, shared: true, e2e: true },
    { key: 'e2e/own', seconds: 90, shared: false, e2e: true },
    { key: 'unit/x', seconds: 20, shared: false, e2e: false },
    { key: 'unit/y', seconds: 10, shared: false, e2e: false },
  ];
  // By size, both e2e files first: both workers idle for the warm-up with two unit files to run.
  expect(simulate(items, ['e2e/a', 'e2e/own', 'unit/x', 'unit/y'], 2, 15).waits).toEqual([
    { at: 0, othersLeft: 2 },
    { at: 0, othersLeft: 2 },
  ]);
  const order = schedule(items, 2, 15);
  expect(order.slice(0, 2).sort()).toEqual(['unit/x', 'unit/y']);
  // unit/y ends at 10: nothing but e2e files left, so that worker waits for the warm-up.
  expect(simulate(items, order, 2, 15)).toEqual({ makespan: 105, waits: [{ at: 10, othersLeft: 0 }] });
  expect(SHARED_WARM_UP_S).toBeGreaterThan(0);
});

test('property: a permutation of the files, and a worker waits for the lock only when nothing else is left', () => {
  // A lock-holding file is an e2e file; an e2e file may have its own local mode.
  const item = fc
    .record({ seconds: fc.integer({ min: 1, max: 120 }), shared: fc.boolean(), e2e: fc.boolean() })
    .map((d) => ({ ...d, e2e: d.e2e || d.shared }));
  fc.assert(
    fc.property(
      fc.array(item, { maxLength: 40 }),
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 0, max: 30 }),
      (drawn, workers, warmUp) => {
        const items = drawn.map((d, i) => ({ ...d, key: `f${i}` }));
        const order = schedule(items, workers, warmUp);
        expect([...order].sort()).toEqual(items.map((i) => i.key).sort());
        for (const wait of simulate(items, order, workers, warmUp).waits) expect(wait.othersLeft).toBe(0);
      },
    ),
  );
});

test.each([
  ['test/e2e/cancel-all.test.ts', '/** shared */', true],
  ['test/e2e/session-clock.test.ts', '/** @own-local-mode (starts its own) */', false],
  ['test/e2e/exceptions.test.ts', '/** @shared-without-lock */', false],
  // Its own local mode, then the shared one's lock (it waited 68 s for it in a run).
  ['test/e2e/alpaca-broker.test.ts', '/** @own-local-mode */ beforeAll(() => lockSharedOms());', true],
  ['test/dashboard/dashboard-page.test.ts', '/** the page */', true],
  ['test/dashboard/dashboard-infra.test.ts', '/** synth */', false],
  ['test/core/order.test.ts', '', false],
])('%s (text %j) holds the shared lock: %s', (file, head, holds) => {
  expect(holdsSharedLock(file, head)).toBe(holds);
});
