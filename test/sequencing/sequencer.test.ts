/**
 * test/sequencing/sequencer.js: the order jest hands files to its workers. The files sharing the
 * one local mode run one at a time (a lock), at most OWN_AT_ONCE files with a local mode of their
 * own run at once (a slot), and every e2e file waits for the shared local mode's warm-up; a worker handed a file that cannot start
 * waits, idle (150 s of worker time in a 667 s run of npm test, docs/bench.md "npm test time").
 */
import fc from 'fast-check';

const {
  schedule,
  holdsSharedLock,
  ownsLocalMode,
  SHARED_WARM_UP_S,
  OWN_AT_ONCE,
  WORKERS,
  LEAD_S,
  LOCK_AFTER_OWN_START_S,
} = require('./sequencer.js') as {
  schedule: (
    items: Item[],
    workers?: number,
    warmUp?: number,
    ownAtOnce?: number,
    lead?: number,
    lockAfter?: number,
  ) => string[];
  holdsSharedLock: (relative: string, head: string) => boolean;
  ownsLocalMode: (relative: string, head: string) => boolean;
  SHARED_WARM_UP_S: number;
  OWN_AT_ONCE: number;
  WORKERS: number;
  LEAD_S: number;
  LOCK_AFTER_OWN_START_S: number;
};

interface Item {
  readonly key: string;
  readonly seconds: number;
  readonly shared: boolean;
  /** A file with a local mode of its own: it takes one of `ownAtOnce` slots. */
  readonly own?: boolean;
  /** An e2e file: it starts once the shared local mode is up, `warmUp` seconds in. */
  readonly e2e: boolean;
}

/**
 * Runs `order` as jest and environment.js do (the next file to the first free worker; an e2e file
 * starts once the warm-up is over, an own file once one of `ownAtOnce` slots is free, a file sharing
 * the local mode once the lock is): the waits, each with how many files that could have started at
 * once were still to come.
 */
function simulate(
  items: readonly Item[],
  order: readonly string[],
  workers = 2,
  warmUp = 0,
  ownAtOnce = 1,
  lockAfter = 0,
) {
  const byKey = new Map(items.map((i) => [i.key, i]));
  const free = Array.from({ length: workers }, () => 0);
  const slots = Array.from({ length: ownAtOnce }, () => warmUp);
  let lockFree = warmUp;
  const waits: { at: number; othersLeft: number; seconds: number; ahead: boolean }[] = [];
  const starts = new Map<string, number>();
  order.forEach((key, n) => {
    const x = byKey.get(key) as Item;
    const w = free.indexOf(Math.min(...free));
    const now = free[w] as number;
    const slotFree = Math.min(...slots);
    // An own file that drives the shared local mode too takes the lock `lockAfter` seconds in.
    const lockAt = (y: Item) => (y.shared ? lockFree - (y.own ? lockAfter : 0) : 0);
    const startOf = (y: Item) => Math.max(now, y.e2e ? warmUp : 0, y.own ? slotFree : 0, lockAt(y));
    const start = startOf(x);
    const startsAtOnce = (k: string) => {
      const y = byKey.get(k) as Item;
      return !y.shared && startOf(y) <= now;
    };
    if (start > now)
      waits.push({
        at: now,
        othersLeft: order.slice(n).filter(startsAtOnce).length,
        seconds: start - now,
        // Taken ahead of the lock or the own slot (a planned wait, LEAD_S), not of the warm-up.
        ahead: (x.shared && start === lockAt(x)) || (x.own === true && start === slotFree),
      });
    starts.set(key, start);
    free[w] = start + x.seconds;
    if (x.own) slots[slots.indexOf(slotFree)] = free[w] as number;
    if (x.shared) lockFree = free[w] as number;
  });
  return { makespan: Math.max(...free), waits, starts };
}

test('the measured case: the default size order waited, the schedule does not', () => {
  const items: Item[] = [
    { key: 'e2e/a', seconds: 60, shared: true, e2e: true },
    { key: 'e2e/b', seconds: 50, shared: true, e2e: true },
    { key: 'e2e/own', seconds: 90, shared: false, own: true, e2e: true },
    { key: 'unit/x', seconds: 20, shared: false, e2e: false },
    { key: 'unit/y', seconds: 10, shared: false, e2e: false },
  ];
  // The two lock-holding files first (as by file size on a fresh clone): b waits 60 s for a.
  expect(simulate(items, ['e2e/a', 'e2e/b', 'e2e/own', 'unit/x', 'unit/y'])).toMatchObject({
    makespan: 150,
    waits: [{ at: 0, othersLeft: 3, seconds: 60, ahead: true }],
  });
  const order = schedule(items, 2, 0, 1, 0);
  expect(simulate(items, order)).toMatchObject({ makespan: 120, waits: [] });
});

test('while the shared local mode warms up, the workers take unit files, not an e2e file that would wait', () => {
  const items: Item[] = [
    { key: 'e2e/a', seconds: 60, shared: true, e2e: true },
    { key: 'e2e/own', seconds: 90, shared: false, own: true, e2e: true },
    { key: 'unit/x', seconds: 20, shared: false, e2e: false },
    { key: 'unit/y', seconds: 10, shared: false, e2e: false },
  ];
  // By size, both e2e files first: both workers idle for the warm-up with two unit files to run.
  expect(simulate(items, ['e2e/a', 'e2e/own', 'unit/x', 'unit/y'], 2, 15).waits).toEqual([
    { at: 0, othersLeft: 2, seconds: 15, ahead: true },
    { at: 0, othersLeft: 2, seconds: 15, ahead: true },
  ]);
  const order = schedule(items, 2, 15, 1, 0);
  expect(order.slice(0, 2).sort()).toEqual(['unit/x', 'unit/y']);
  // unit/y ends at 10: nothing but e2e files left, so that worker waits for the warm-up.
  expect(simulate(items, order, 2, 15)).toMatchObject({
    makespan: 105,
    waits: [{ at: 10, othersLeft: 0, seconds: 5, ahead: true }],
  });
});

test('property: a permutation of the files; a worker waits only for the lock or a slot it took ahead (at most `lead` seconds), or when nothing else is left', () => {
  // A lock-holding file is an e2e file, and so is an own one; one may be both (the Alpaca broker's).
  const item = fc
    .record({
      seconds: fc.integer({ min: 1, max: 120 }),
      shared: fc.boolean(),
      own: fc.boolean(),
      e2e: fc.boolean(),
    })
    .map((d) => ({ ...d, e2e: d.e2e || d.shared || d.own }));
  fc.assert(
    fc.property(
      fc.array(item, { maxLength: 40 }),
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 0, max: 30 }),
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 0, max: 40 }),
      fc.integer({ min: 0, max: 40 }),
      (drawn, workers, warmUp, ownAtOnce, lead, lockAfter) => {
        const items = drawn.map((d, i) => ({ ...d, key: `f${i}` }));
        const order = schedule(items, workers, warmUp, ownAtOnce, lead, lockAfter);
        expect([...order].sort()).toEqual(items.map((i) => i.key).sort());
        for (const wait of simulate(items, order, workers, warmUp, ownAtOnce, lockAfter).waits)
          if (wait.othersLeft > 0) expect(wait.ahead && wait.seconds <= lead).toBe(true);
      },
    ),
  );
});

test('taken ahead: the next lock-holding file waits for the lock on a spare worker, so a file that runs shorter than measured leaves no gap in the chain', () => {
  const planned: Item[] = [
    { key: 'e2e/a', seconds: 60, shared: true, e2e: true },
    { key: 'e2e/b', seconds: 50, shared: true, e2e: true },
    { key: 'unit/x', seconds: 40, shared: false, e2e: false },
    { key: 'unit/y', seconds: 45, shared: false, e2e: false },
    { key: 'unit/z', seconds: 80, shared: false, e2e: false },
    { key: 'unit/w', seconds: 30, shared: false, e2e: false },
  ];
  // a gives the lock back at 35 s, not 60 s (a measured run: gaps of 26-48 s in the chain).
  const ran = planned.map((i) => (i.key === 'e2e/a' ? { ...i, seconds: 35 } : i));
  const bStarts = (lead: number) => simulate(ran, schedule(planned, 3, 0, 1, lead), 3).starts.get('e2e/b');
  // Without lead, a's worker takes the unit file next in the plan; b waits for the next worker.
  expect(bStarts(0)).toBe(45);
  // With it, b was handed to a worker ahead of the lock: it starts when a gives it back.
  expect(bStarts(30)).toBe(35);
});

test('a file with its own local mode that takes the lock once that is up starts while the lock is still held, so the chain does not stand idle through its start', () => {
  const items: Item[] = [
    { key: 'e2e/a', seconds: 90, shared: true, e2e: true },
    { key: 'e2e/broker', seconds: 80, shared: true, own: true, e2e: true },
    { key: 'unit/x', seconds: 40, shared: false, e2e: false },
    { key: 'unit/y', seconds: 100, shared: false, e2e: false },
  ];
  // Its lock 30 s in: started at 60 s, it asks for the lock as a gives it back, at 90 s.
  const order = schedule(items, 3, 0, 1, 30, 30);
  expect(simulate(items, order, 3, 0, 1, 30).starts.get('e2e/broker')).toBe(60);
  // Counted as holding the lock from its start, it starts at 90 s and holds the lock's chain (idle
  // while it starts) 30 s longer.
  expect(simulate(items, schedule(items, 3, 0, 1, 30, 0), 3).starts.get('e2e/broker')).toBe(90);
});

test("a chain's next file that can start at once comes before one taken ahead of the other chain: the own slot is not left idle while a worker waits for the lock", () => {
  const items: Item[] = [
    { key: 'e2e/a', seconds: 40, shared: true, e2e: true },
    { key: 'e2e/b', seconds: 30, shared: true, e2e: true },
    { key: 'e2e/own1', seconds: 30, shared: false, own: true, e2e: true },
    { key: 'e2e/own2', seconds: 20, shared: false, own: true, e2e: true },
  ];
  // At 30 s own1 ends: own2 can start at once, b only at 40 s (taken ahead, it would wait 10 s
  // while the own slot stood idle, own2 then starting at 40 s).
  const order = schedule(items, 2, 0, 1, 15);
  expect(simulate(items, order, 2).starts.get('e2e/own2')).toBe(30);
});

test('3 workers: the lock chain never waits for the own local modes, which run one at a time beside it', () => {
  const items: Item[] = [
    { key: 'e2e/a', seconds: 60, shared: true, e2e: true },
    { key: 'e2e/b', seconds: 50, shared: true, e2e: true },
    { key: 'e2e/own1', seconds: 100, shared: false, own: true, e2e: true },
    { key: 'e2e/own2', seconds: 50, shared: false, own: true, e2e: true },
    { key: 'e2e/without-lock', seconds: 40, shared: false, e2e: true },
    { key: 'unit/x', seconds: 40, shared: false, e2e: false },
    { key: 'unit/y', seconds: 30, shared: false, e2e: false },
  ];
  // By size: own1 and own2 both come before b; own2 waits for own1's slot, holding a worker.
  const bySize = simulate(
    items,
    ['e2e/own1', 'e2e/a', 'e2e/own2', 'e2e/b', 'e2e/without-lock', 'unit/x', 'unit/y'],
    3,
  );
  expect(bySize.waits.length).toBeGreaterThan(0);
  const order = schedule(items, 3, 0, 1, 0);
  // The lock's chain: a then b, back to back from the start; the own files one after the other.
  expect(order.filter((k) => k === 'e2e/a' || k === 'e2e/b')).toEqual(['e2e/a', 'e2e/b']);
  expect(simulate(items, order, 3)).toMatchObject({ makespan: 150, waits: [] });
});

test('the sequencer plans for the workers jest.config.js gives, and one own local mode at a time', () => {
  const config = require('../../jest.config.js') as { maxWorkers: number };
  expect(WORKERS).toBe(config.maxWorkers);
  expect(OWN_AT_ONCE).toBe(1);
  expect(LEAD_S).toBeGreaterThan(0);
  expect(LOCK_AFTER_OWN_START_S).toBeGreaterThan(0);
  expect(SHARED_WARM_UP_S).toBeGreaterThan(0);
});

test.each([
  ['test/e2e/cancel-all.test.ts', '/** shared */', true, false],
  ['test/e2e/session-clock.test.ts', '/** @own-local-mode (starts its own) */', false, true],
  ['test/e2e/exceptions.test.ts', '/** @shared-without-lock */', false, false],
  // Its own local mode, then the shared one's lock (it waited 68 s for it in a run).
  ['test/e2e/alpaca-broker.test.ts', '/** @own-local-mode */ beforeAll(() => lockSharedOms());', true, true],
  ['test/dashboard/dashboard-page.test.ts', '/** the page */', true, false],
  ['test/dashboard/dashboard-infra.test.ts', '/** synth */', false, false],
  ['test/core/order.test.ts', '/** @own-local-mode in a unit file */', false, false],
])('%s (text %j) holds the shared lock: %s, takes the own slot: %s', (file, head, holds, own) => {
  expect(holdsSharedLock(file, head)).toBe(holds);
  expect(ownsLocalMode(file, head)).toBe(own);
});
