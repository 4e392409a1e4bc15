/**
 * The order jest hands test files to its two workers (jest.config.js `testSequencer`).
 *
 * The e2e files that start their own local mode (docblock `@own-local-mode`: auctions, day-expiry,
 * held-stops, crash-recovery, per-order-budget) are the longest, and mostly wait on the clock. Jest's
 * default order on a fresh clone (no timing cache: largest file first) started two of them in the
 * last third of the run, and the suite's end waited on them alone (CI, stop 27: auctions 460-614 s,
 * day-expiry 550-627 s of 673 s). So: those first, longest first (by their known durations), then
 * every other file in jest's own order (previous durations when cached, else size).
 */
const { readFileSync } = require('node:fs');
const { basename } = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

/** Their durations on 2 cores (seconds, CI of stop 27), longest first: the order they start in. */
const OWN_LOCAL_MODE_ORDER = [
  'auctions.test.ts',
  'held-stops.test.ts',
  'crash-recovery.test.ts',
  'day-expiry.test.ts',
  'per-order-budget.test.ts',
];

function ownsLocalMode(path) {
  try {
    const head = readFileSync(path, 'utf8').slice(0, 4000);
    return /@own-local-mode\b/.test(head.slice(0, head.indexOf('*/') + 2));
  } catch {
    return false;
  }
}

class OwnLocalModeFirst extends Sequencer {
  sort(tests) {
    const rest = super.sort(tests);
    const own = rest.filter((t) => ownsLocalMode(t.path));
    const rank = (t) => {
      const i = OWN_LOCAL_MODE_ORDER.indexOf(basename(t.path));
      return i < 0 ? OWN_LOCAL_MODE_ORDER.length : i;
    };
    own.sort((a, b) => rank(a) - rank(b));
    return [...own, ...rest.filter((t) => !own.includes(t))];
  }
}

module.exports = OwnLocalModeFirst;
