/**
 * The order jest hands test files to its workers (jest.config.js `testSequencer`). The files that
 * share the one warmed local mode run one at a time, and at most two e2e files run at once
 * (test/e2e/environment.js): a worker given such a file while it cannot start waits, idle (150 s
 * of worker time in a 667 s run, docs/bench.md "npm test time"). This sequencer simulates the
 * workers on the files' measured durations (durations.json, from a jest JSON report:
 * `node scripts/test-durations.cjs <report.json>`) and orders the files so that a lock-holding file
 * comes up when the lock is free: the lock's chain is kept busy, and the other workers get the
 * longest other files meanwhile. A file missing from the table counts 30 s (e2e) or 2 s (unit); a
 * stale table only makes the order less good, never a test wrong.
 */
const { readFileSync } = require('node:fs');
const path = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

const ROOT = path.resolve(__dirname, '..', '..');
/** jest.config.js `maxWorkers` (a test checks that they agree). */
const WORKERS = 4;

/** Whether a file (repo-relative) is of the e2e project (jest.config.js). */
function isE2E(relative) {
  return /^test\/(e2e\/|dashboard\/dashboard-page\.test\.ts$)/.test(relative);
}

/**
 * The docblock pragmas of an e2e file that takes no lock when it starts (environment.js reads them
 * from here): it starts its own local mode, or touches nothing the other files share.
 */
const NO_LOCK_AT_SETUP = ['own-local-mode', 'shared-without-lock'];

/**
 * Whether a file takes the shared local mode's lock (test/e2e/environment.js's rule): an e2e file
 * unless it says `@own-local-mode` or `@shared-without-lock`, and a file with its own local mode
 * that takes the lock itself once that is up (`lockSharedOms()`, the Alpaca broker e2e: counted as
 * holding it throughout, or it waited 68 s for it in a run).
 */
function holdsSharedLock(relative, text) {
  if (!isE2E(relative)) return false;
  const said = NO_LOCK_AT_SETUP.some((pragma) => text.slice(0, 4000).includes(`@${pragma}`));
  return !said || text.includes('lockSharedOms(');
}

/**
 * Seconds from the start of a run until the shared local mode is up: the e2e project's globalSetup
 * starts it without waiting (test/e2e/global-setup.js) and every e2e file starts once it is
 * (environment.js). 13 s on a quiet 2-core machine; a unit file runs meanwhile.
 */
const SHARED_WARM_UP_S = 15;

/**
 * How many files with a local mode of their own (`@own-local-mode`) run at once: one, beside the
 * chain of files that hold the shared local mode's lock (one at a time, by the lock). So at most two
 * local modes trade at once, each taking a core while it works, and neither chain ever waits for
 * the other: a lock-holding file needs only the lock, an own file only this slot. (Until December 7,
 * 2026 both kinds took one of two common slots: own files held both while the lock was free, and
 * the lock's chain, the run's critical path, waited 57 s for a slot in one run.) A
 * `@shared-without-lock` file takes neither: it drives the shared local mode with ids of its own and
 * mostly waits on a clock (a queue's redeliveries). The other workers (jest.config.js `maxWorkers`)
 * run unit files meanwhile.
 */
const OWN_AT_ONCE = 1;

/**
 * The kinds of a file for the schedule: `shared` (holds the lock), `own` (takes the own slot: it
 * says `@own-local-mode`; the Alpaca broker e2e is both), or neither (a unit file, or an e2e file
 * without the lock that waits only for the shared local mode's warm-up).
 */
function ownsLocalMode(relative, text) {
  return isE2E(relative) && text.slice(0, 4000).includes(`@${NO_LOCK_AT_SETUP[0]}`);
}

/**
 * How many seconds before the lock (or the own slot) is planned to be free a worker may take the
 * next file that needs it, and wait: the plan is made on measured durations, and a file that runs
 * longer or shorter than its measure left the lock's chain idle while the worker that should have
 * carried it on ran a unit file (four gaps of 26-48 s in one run, 130 s in all). A worker waiting
 * for the lock is idle, hence the fourth worker (jest.config.js `maxWorkers`). 15 s: at 30 s the
 * waits held the unit files back until they ended the run (CI at cfa802b: the e2e files done at
 * 538 s, the unit files at 589 s); simulated on that run's durations, each file 25% faster or
 * slower at random, 15 s ends the run 481-522 s in, 30 s 526-556 s, 0 s 484-537 s.
 */
const LEAD_S = 15;

/**
 * Seconds from the start of a file with its own local mode that also drives the shared one (the
 * Alpaca broker e2e) to its `lockSharedOms()`: its own local mode's start. Planned so, the lock's
 * chain goes on while it starts (it took the lock 30 s in on December 7, 2026; counted as holding the
 * lock throughout, the chain stood idle those 30 s). Less than measured: an early ask waits a little.
 */
const LOCK_AFTER_OWN_START_S = 25;

/**
 * The order in which `workers` workers, each taking the next file when it is free, keep the lock
 * chain busy and wait least: a free worker takes the longest lock-holding file that can start
 * within `lead` seconds (it waits for the lock meanwhile), else the longest own file that can start
 * within `lead` (it waits for the slot), else the longest other file that can start at once (a unit
 * file; an e2e file once the shared local mode is up, `warmUp` seconds in), else the longest file
 * that is not lock-holding, else the next lock-holding one. A file that is both (own, and takes the
 * lock once its own local mode is up: `lockAfter` seconds in) may start that much before the lock is
 * free. `items`: `{ key, seconds, shared, own, e2e }`; returns the keys in order.
 */
function schedule(
  items,
  workers = WORKERS,
  warmUp = SHARED_WARM_UP_S,
  ownAtOnce = OWN_AT_ONCE,
  lead = LEAD_S,
  lockAfter = LOCK_AFTER_OWN_START_S,
) {
  const free = Array.from({ length: workers }, () => 0);
  const slots = Array.from({ length: ownAtOnce }, () => warmUp);
  const pending = [...items].sort((a, b) => b.seconds - a.seconds || (a.key < b.key ? -1 : 1));
  const order = [];
  let lockFree = warmUp;
  while (pending.length > 0) {
    const w = free.indexOf(Math.min(...free));
    const now = free[w];
    const slotFree = Math.min(...slots);
    // A file with its own local mode that drives the shared one too takes the lock once its own is up.
    const lockAt = (x) => (x.shared ? lockFree - (x.own ? lockAfter : 0) : 0);
    const startOf = (x) => Math.max(now, x.e2e ? warmUp : 0, x.own ? slotFree : 0, lockAt(x));
    const within = (x, seconds) => startOf(x) <= now + seconds;
    // A chain's next file that starts at once, before one taken ahead of the other chain's.
    let i = pending.findIndex((x) => x.shared && within(x, 0));
    if (i < 0) i = pending.findIndex((x) => x.own && within(x, 0));
    if (i < 0) i = pending.findIndex((x) => x.shared && within(x, lead));
    if (i < 0) i = pending.findIndex((x) => x.own && !x.shared && within(x, lead));
    if (i < 0) i = pending.findIndex((x) => !x.shared && within(x, 0));
    if (i < 0) i = pending.findIndex((x) => !x.shared);
    if (i < 0) i = 0;
    const [x] = pending.splice(i, 1);
    const start = startOf(x);
    free[w] = start + x.seconds;
    if (x.own) slots[slots.indexOf(slotFree)] = free[w];
    if (x.shared) lockFree = free[w];
    order.push(x.key);
  }
  return order;
}

function loadDurations() {
  try {
    return JSON.parse(readFileSync(path.join(__dirname, 'durations.json'), 'utf8'));
  } catch {
    return {};
  }
}

class SuiteSequencer extends Sequencer {
  sort(tests) {
    const durations = loadDurations();
    const byKey = new Map();
    const items = tests.map((test) => {
      const key = path.relative(ROOT, test.path).split(path.sep).join('/');
      byKey.set(key, test);
      let text = '';
      try {
        text = readFileSync(test.path, 'utf8');
      } catch {
        // unreadable: counted as a unit file
      }
      const e2e = isE2E(key);
      return {
        key,
        seconds: durations[key] ?? (e2e ? 30 : 2),
        shared: holdsSharedLock(key, text),
        own: ownsLocalMode(key, text),
        e2e,
      };
    });
    return schedule(items).map((key) => byKey.get(key));
  }
}

module.exports = SuiteSequencer;
module.exports.schedule = schedule;
module.exports.holdsSharedLock = holdsSharedLock;
module.exports.SHARED_WARM_UP_S = SHARED_WARM_UP_S;
module.exports.NO_LOCK_AT_SETUP = NO_LOCK_AT_SETUP;
module.exports.OWN_AT_ONCE = OWN_AT_ONCE;
module.exports.ownsLocalMode = ownsLocalMode;
module.exports.WORKERS = WORKERS;
module.exports.LEAD_S = LEAD_S;
module.exports.LOCK_AFTER_OWN_START_S = LOCK_AFTER_OWN_START_S;
