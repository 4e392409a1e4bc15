/**
 * Test environment of the e2e project: node's, plus two rules. Files that drive the SHARED local
 * mode run one at a time (a lock); files that start their own (docblock pragma `@own-local-mode`)
 * run alongside them, OWN_AT_ONCE (1) at a time (a slot, a directory as the lock is). A
 * lock-holding file never waits for an own file's slot, nor an own file for the lock: the lock's
 * chain is the run's critical path (test/sequencing/sequencer.js).
 *
 * A file that uses the shared local mode without touching what the others share may say so
 * (`@shared-without-lock`): it takes no lock (test/e2e/exceptions.test.ts: its own poison
 * messages on a queue no other file dead-letters to, its own markers).
 *
 * Why: jest runs several files at once (jest.config.js `maxWorkers`), and the files sharing a local
 * mode share its venue controls (`http.venue({...})`), its market and its account (a cancel-all
 * cancels every open order of the account). A file takes an exclusive lock before its first hook
 * and gives it back after its last; the lock is a directory (mkdir is atomic) named after the shared
 * local mode's process, holding the owner's pid so that a lock left by a worker that died is taken
 * over rather than waited on for ever.
 *
 * A file with its own local mode that ALSO drives the shared one (the Alpaca broker e2e: its own
 * local mode routes to the shared one as its broker) takes the lock itself, once its own local
 * mode is up, with `lockSharedOms()` (harness.ts; the global `omsE2ELockShared` set here): its slow
 * start does not hold the other files back. The lock is given back at the file's end, or earlier
 * with `unlockSharedOms()`.
 */
const { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { TestEnvironment } = require('jest-environment-node');
// The pragmas' one list, which the test sequencer reads too (to order the files by the lock).
const { OWN_AT_ONCE, NO_LOCK_AT_SETUP } = require('../sequencing/sequencer.js');

const POLL_MS = 100;

/** The lock's directory, named after the shared local mode's process (global-setup.js). */
function lockDir() {
  return join(tmpdir(), `oms-e2e-shared-${process.env.OMS_E2E_SHARED_PID ?? 'none'}.lock`);
}

/** The directory of own-local-mode slot `i` (of OWN_AT_ONCE), named like the lock. */
function slotDir(i) {
  return join(tmpdir(), `oms-e2e-shared-${process.env.OMS_E2E_SHARED_PID ?? 'none'}.own-${i}.lock`);
}

/**
 * With OMS_E2E_TIMELINE naming a file, each e2e file appends when it starts, takes its slot or the
 * lock, and ends (JSON lines: file, event, ms since the epoch): where a run's e2e time went, waits
 * apart from work (docs/bench.md "npm test time").
 */
function mark(testPath, event) {
  const file = process.env.OMS_E2E_TIMELINE;
  if (file) appendFileSync(file, `${JSON.stringify({ file: testPath, event, at: Date.now() })}\n`);
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

function tryLock(dir) {
  try {
    mkdirSync(dir);
    writeFileSync(join(dir, 'owner'), String(process.pid));
    return true;
  } catch (error) {
    if (error.code !== 'EEXIST') throw error;
    let owner = Number.NaN;
    try {
      owner = Number(readFileSync(join(dir, 'owner'), 'utf8'));
    } catch {
      // Between the owner's mkdir and its write: not stale.
      return false;
    }
    if (Number.isInteger(owner) && owner > 0 && !alive(owner)) rmSync(dir, { recursive: true, force: true });
    return false;
  }
}

/** Waits until global-setup.js has written the shared local mode's outcome (ready or failed). */
async function sharedOutcome() {
  const file = process.env.OMS_E2E_SHARED_FILE;
  if (file === undefined) return;
  // global-setup.js writes the file within its own 300 s bound; a file's tests report the outcome.
  const deadline = Date.now() + 310_000;
  while (!existsSync(file) && Date.now() < deadline) await new Promise((r) => setTimeout(r, POLL_MS));
}

class E2EEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    const [ownLocalMode, sharedWithoutLock] = NO_LOCK_AT_SETUP;
    this.ownLocalMode = Object.hasOwn(context.docblockPragmas ?? {}, ownLocalMode);
    // A file that drives the shared local mode but touches nothing the others share (no venue
    // control, no market pin, no account-wide request; only messages and ids of its own) runs
    // alongside the others instead of holding them back while it waits on a clock.
    this.sharedWithoutLock = Object.hasOwn(context.docblockPragmas ?? {}, sharedWithoutLock);
    this.locked = false;
    this.testPath = context.testPath;
    if (this.ownLocalMode) this.global.omsE2ELockShared = () => this.lock();
    // Any file may give the lock back before its end (`unlockSharedOms()`), once what is left of it
    // touches nothing the others share (the Alpaca broker e2e's last scenario).
    this.global.omsE2EUnlockShared = () => this.unlock();
  }

  /** Takes one of the OWN_AT_ONCE slots: at most that many own local modes run at once. */
  async takeSlot() {
    for (;;) {
      for (let i = 0; i < OWN_AT_ONCE; i += 1) {
        if (tryLock(slotDir(i))) {
          this.slot = i;
          return;
        }
      }
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
  }

  giveSlotBack() {
    if (this.slot !== undefined) rmSync(slotDir(this.slot), { recursive: true, force: true });
    this.slot = undefined;
  }

  async lock() {
    if (this.locked) return;
    const dir = lockDir();
    while (!tryLock(dir)) await new Promise((r) => setTimeout(r, POLL_MS));
    this.locked = true;
    mark(this.testPath, 'locked');
  }

  unlock() {
    if (this.locked) {
      rmSync(lockDir(), { recursive: true, force: true });
      mark(this.testPath, 'unlocked');
    }
    this.locked = false;
  }

  async setup() {
    await super.setup();
    // The shared local mode starts while the first unit files run (global-setup.js): every e2e
    // file starts once it is up (or failed), so no file's hook waits out its timeout on it and a
    // file with its own local mode does not share the 2 cores with its warm-up.
    mark(this.testPath, 'start');
    await sharedOutcome();
    // An own local mode takes the slot (the Alpaca broker e2e takes the lock too, later, once its
    // own local mode is up); a file driving the shared local mode takes the lock; a file sharing it
    // without the lock takes neither.
    if (this.ownLocalMode) {
      await this.takeSlot();
      mark(this.testPath, 'slot');
    } else if (!this.sharedWithoutLock) await this.lock();
  }

  async teardown() {
    mark(this.testPath, 'end');
    this.unlock();
    this.giveSlotBack();
    await super.teardown();
  }
}

module.exports = E2EEnvironment;
