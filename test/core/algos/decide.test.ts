/**
 * The built-ins' decisions: table-driven scenarios (roll-forward, catch-up, caps, iceberg clips,
 * done reasons) and properties over whole simulated parents, where children fill and close at
 * random between slices and every decision is checked as it is made.
 */
import fc from 'fast-check';
import {
  type AlgoParams,
  type AlgoPlan,
  builtInAlgorithms,
  type ChildOutcome,
  checkDecision,
  cumulativeTarget,
  type Decision,
  type DecisionInput,
  decideFor,
  participationBudget,
  planFor,
} from '../../../lambdas/core/algos/index.js';
import { formatNanos, type Nanos, nanos, ONE } from '../../../lambdas/core/decimal.js';
import { newYorkToUtc } from '../../../lambdas/core/session.js';

const MIN = 60_000;
const OPEN = newYorkToUtc(2026, 3, 4, 9, 30);

function params(overrides: Partial<AlgoParams> = {}): AlgoParams {
  return {
    algorithm: 'TWAP',
    side: 'buy',
    qty: nanos('100'),
    limitPrice: null,
    startTime: OPEN,
    endTime: OPEN + 10 * MIN,
    displayQty: null,
    maxPercentage: null,
    qtyJitter: null,
    timeJitter: null,
    seed: 1,
    ...overrides,
  };
}

interface State {
  readonly sliceIndex: number;
  readonly filled?: string;
  readonly working?: string;
  readonly event?: 'slice' | 'child_closed';
  readonly closedChild?: ChildOutcome;
  readonly volume?: string;
  readonly now?: number;
}

function decideAt(p: AlgoParams, s: State): Decision {
  const plan = planFor(builtInAlgorithms, p);
  const at = plan.slices[Math.max(0, Math.min(s.sliceIndex, plan.slices.length - 1))]?.at ?? p.startTime;
  return decideFor(builtInAlgorithms, {
    params: p,
    plan,
    event: s.event ?? 'slice',
    sliceIndex: s.sliceIndex,
    now: s.now ?? at,
    filledQty: nanos(s.filled ?? '0'),
    workingQty: nanos(s.working ?? '0'),
    quote: null,
    observedVolume: nanos(s.volume ?? '0'),
    closedChild: s.closedChild ?? null,
  });
}

/** A decision in short: `release 10 market`, `release 10 limit 99.5`, `wait`, `done filled`. */
function show(d: Decision): string {
  if (d.kind === 'wait') return 'wait';
  if (d.kind === 'done') return `done ${d.reason}`;
  const c = d.child;
  const price = c.limitPrice === null ? '' : ` ${formatNanos(c.limitPrice)}`;
  return `release ${formatNanos(c.qty)} ${c.type}${price}`;
}

describe('TWAP decisions (100 shares, 10 one-minute slices of 10)', () => {
  test.each<[string, Partial<AlgoParams>, State, string]>([
    ['before the first slice: wait', {}, { sliceIndex: -1 }, 'wait'],
    ['slice 0: the first 10', {}, { sliceIndex: 0 }, 'release 10 market'],
    ['slice 3, on schedule: 10 more', {}, { sliceIndex: 3, filled: '30' }, 'release 10 market'],
    [
      'slice 3 with 4 of slice 2 still working: 40 due - 26 filled - 4 working',
      {},
      { sliceIndex: 3, filled: '26', working: '4' },
      'release 10 market',
    ],
    [
      'roll forward: slice 1 after slice 0 closed with 4 of 10 filled: 16',
      {},
      { sliceIndex: 1, filled: '4' },
      'release 16 market',
    ],
    [
      'ahead of schedule (all of slice 3 working): nothing',
      {},
      { sliceIndex: 3, filled: '20', working: '20' },
      'wait',
    ],
    [
      'catch-up: the last slice releases everything left',
      {},
      { sliceIndex: 9, filled: '37' },
      'release 63 market',
    ],
    [
      'catch-up with a child still working: the rest of it',
      {},
      { sliceIndex: 9, filled: '37', working: '10' },
      'release 53 market',
    ],
    [
      'a limit parent sends limit children at its limit',
      { limitPrice: nanos('99.5') },
      { sliceIndex: 0 },
      'release 10 limit 99.5',
    ],
    [
      'a child closed (no display_qty): its remainder waits for the next slice',
      {},
      { sliceIndex: 2, filled: '24', event: 'child_closed', closedChild: 'canceled' },
      'wait',
    ],
    [
      'a child closed after the last slice with nothing working: schedule complete',
      {},
      { sliceIndex: 9, filled: '96', event: 'child_closed', closedChild: 'canceled' },
      'done schedule_complete',
    ],
    ['filled: done', {}, { sliceIndex: 5, filled: '100' }, 'done filled'],
    [
      'the window has ended: done',
      {},
      { sliceIndex: 9, filled: '50', now: OPEN + 10 * MIN },
      'done window_closed',
    ],
    [
      'display_qty 4: a slice goes out 4 at a time',
      { displayQty: nanos('4') },
      { sliceIndex: 0 },
      'release 4 market',
    ],
    [
      'display_qty 4: a filled clip is replenished at once, up to the slice target',
      { displayQty: nanos('4') },
      { sliceIndex: 0, filled: '8', event: 'child_closed', closedChild: 'filled' },
      'release 2 market',
    ],
    [
      'display_qty 4: a canceled clip is not replenished until the next slice',
      { displayQty: nanos('4') },
      { sliceIndex: 0, filled: '2', event: 'child_closed', closedChild: 'canceled' },
      'wait',
    ],
    [
      'max_percentage 0.1 of 50 observed: at most 5',
      { maxPercentage: nanos('0.1') },
      { sliceIndex: 0, volume: '50' },
      'release 5 market',
    ],
    [
      'max_percentage counts what already works: 2 working, budget 5: 3 more',
      { maxPercentage: nanos('0.1') },
      { sliceIndex: 1, filled: '0', working: '2', volume: '59' },
      'release 3 market',
    ],
    [
      'max_percentage holds even the catch-up: the schedule ends short',
      { maxPercentage: nanos('0.1') },
      { sliceIndex: 9, filled: '80', volume: '9' },
      'done schedule_complete',
    ],
  ])('%s', (_name, p, s, expected) => {
    expect(show(decideAt(params(p), s))).toBe(expected);
  });

  test('a fractional parent: whole-share slices, the catch-up takes the fraction', () => {
    const p = params({ qty: nanos('10.25'), endTime: OPEN + 2 * MIN });
    expect(show(decideAt(p, { sliceIndex: 0 }))).toBe('release 5 market');
    expect(show(decideAt(p, { sliceIndex: 1, filled: '5' }))).toBe('release 5.25 market');
  });
});

describe('VWAP decisions', () => {
  const p = params({ algorithm: 'VWAP', qty: nanos('1000'), endTime: newYorkToUtc(2026, 3, 4, 16, 0) });

  test('the first slice at the open releases the open minute share of the profile', () => {
    const plan = planFor(builtInAlgorithms, p);
    expect(show(decideAt(p, { sliceIndex: 0 }))).toBe(
      `release ${formatNanos(plan.slices[0]?.qty ?? 0n)} market`,
    );
  });

  test('max_percentage with no volume observed yet: nothing now, it rolls forward', () => {
    const capped = { ...p, maxPercentage: nanos('0.05') };
    expect(show(decideAt(capped, { sliceIndex: 0, volume: '0' }))).toBe('wait');
    const plan = planFor(builtInAlgorithms, capped);
    const due = cumulativeTarget(plan.slices, 1);
    expect(show(decideAt(capped, { sliceIndex: 1, volume: '100000' }))).toBe(
      `release ${formatNanos(due)} market`,
    );
  });
});

describe('Iceberg decisions (1050 shares, display_qty 100)', () => {
  const p = params({ algorithm: 'ICEBERG', qty: nanos('1050'), displayQty: nanos('100') });
  test.each<[string, State, string]>([
    ['the start: the first clip', { sliceIndex: 0 }, 'release 100 market'],
    [
      'a clip filled: the next',
      { sliceIndex: 0, filled: '300', event: 'child_closed', closedChild: 'filled' },
      'release 100 market',
    ],
    [
      'the last clip is the remainder',
      { sliceIndex: 0, filled: '1000', event: 'child_closed', closedChild: 'filled' },
      'release 50 market',
    ],
    [
      'all filled',
      { sliceIndex: 0, filled: '1050', event: 'child_closed', closedChild: 'filled' },
      'done filled',
    ],
    [
      'a clip canceled: the iceberg stops',
      { sliceIndex: 0, filled: '120', event: 'child_closed', closedChild: 'canceled' },
      'done schedule_complete',
    ],
    [
      'never more than display_qty working',
      { sliceIndex: 0, filled: '300', working: '60', event: 'child_closed', closedChild: 'filled' },
      'release 40 market',
    ],
  ])('%s', (_name, s, expected) => {
    expect(show(decideAt(p, s))).toBe(expected);
  });
});

// ---------------------------------------------------------------------------------------------
// Whole parents: the slices come in order; between two slices the market moves a few steps, in
// each of which every open child fills some of its leaves or is canceled; closing children wake
// the algorithm. Every decision is checked as it is made.

interface Child {
  qty: Nanos;
  filled: Nanos;
  open: boolean;
}

interface MarketStep {
  /** Per mille of each open child's leaves that fills in this step. */
  readonly fillPermille: number;
  /** Whether the venue cancels the open children's leaves in this step (expiry, venue cancel). */
  readonly cancel: boolean;
  /** Market volume in this step, whole shares. */
  readonly volume: number;
}

interface Observed {
  readonly input: DecisionInput;
  readonly decision: Decision;
}

function runParent(p: AlgoParams, steps: readonly (readonly MarketStep[])[]): Observed[] {
  const plan: AlgoPlan = planFor(builtInAlgorithms, p);
  const children: Child[] = [];
  const seen: Observed[] = [];
  let volume = 0n;
  let finished = false;
  const filled = () => children.reduce((s, c) => s + c.filled, 0n);
  const working = () => children.reduce((s, c) => s + (c.open ? c.qty - c.filled : 0n), 0n);
  const ask = (event: 'slice' | 'child_closed', k: number, now: number, closed: ChildOutcome | null) => {
    if (finished) return;
    const input: DecisionInput = {
      params: p,
      plan,
      event,
      sliceIndex: k,
      now,
      filledQty: filled(),
      workingQty: working(),
      quote: null,
      observedVolume: volume,
      closedChild: closed,
    };
    const decision = decideFor(builtInAlgorithms, input); // throws on a contract breach
    seen.push({ input, decision });
    volume = 0n;
    if (decision.kind === 'release') children.push({ qty: decision.child.qty, filled: 0n, open: true });
    if (decision.kind === 'done') finished = true;
  };
  const last = plan.slices.length - 1;
  for (let j = 0; j < Math.max(plan.slices.length, steps.length); j++) {
    const k = Math.min(j, last);
    const now = (plan.slices[k] as { at: number }).at;
    if (j <= last) ask('slice', k, now, null);
    for (const step of steps[j] ?? []) {
      volume += BigInt(step.volume) * ONE;
      // By index: a clip released when another fills works in the same step.
      for (let i = 0; i < children.length; i++) {
        const c = children[i] as Child;
        if (!c.open) continue;
        if (step.cancel) {
          c.open = false;
          ask('child_closed', k, now, 'canceled');
          continue;
        }
        const leaves = c.qty - c.filled;
        c.filled += step.fillPermille === 1000 ? leaves : (leaves * BigInt(step.fillPermille)) / 1000n;
        if (c.filled === c.qty) {
          c.open = false;
          ask('child_closed', k, now, 'filled');
        }
      }
    }
  }
  return seen;
}

function atLeast(a: Nanos, b: Nanos): Nanos {
  return a > b ? a : b;
}

function atMost(a: Nanos, b: Nanos): Nanos {
  return a < b ? a : b;
}

function must(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

const marketStep = fc.record({
  fillPermille: fc.oneof(fc.constant(1000), fc.integer({ min: 0, max: 1000 })),
  cancel: fc.integer({ min: 0, max: 9 }).map((n) => n === 0),
  volume: fc.integer({ min: 0, max: 5000 }),
});
const steps = fc.array(fc.array(marketStep, { maxLength: 4 }), { maxLength: 400 });

const arbParent = fc
  .record({
    algorithm: fc.constantFrom('TWAP', 'VWAP', 'ICEBERG'),
    qty: fc.oneof(
      fc.integer({ min: 1, max: 50_000 }).map((n) => BigInt(n) * ONE),
      fc.bigInt({ min: 1n, max: 5_000n * ONE }),
    ),
    minutes: fc.integer({ min: 1, max: 390 }),
    limit: fc.option(fc.integer({ min: 100, max: 100_000 }), { nil: null }),
    display: fc.option(fc.integer({ min: 1, max: 2_000 }), { nil: null }),
    maxPercentage: fc.option(fc.integer({ min: 1, max: 999 }), { nil: null }),
    jitter: fc.option(fc.integer({ min: 1, max: 500 }), { nil: null }),
    seed: fc.integer({ min: 0, max: 0xffffffff }),
  })
  .map((r) =>
    params({
      algorithm: r.algorithm,
      qty: r.qty,
      endTime: OPEN + r.minutes * MIN,
      limitPrice: r.limit === null ? null : BigInt(r.limit) * 10_000_000n, // whole cents: on tick
      // At most ~200 clips a parent, so a run stays quick.
      displayQty:
        r.display === null && r.algorithm !== 'ICEBERG'
          ? null
          : atLeast(BigInt(r.display ?? 100) * ONE, r.qty / 200n),
      maxPercentage: r.maxPercentage === null ? null : (BigInt(r.maxPercentage) * ONE) / 1000n,
      qtyJitter: r.algorithm === 'ICEBERG' || r.jitter === null ? null : (BigInt(r.jitter) * ONE) / 1000n,
      timeJitter: r.algorithm === 'ICEBERG' || r.jitter === null ? null : (BigInt(r.jitter) * ONE) / 1000n,
      seed: r.seed,
    }),
  );

describe('whole parents: properties', () => {
  test('children never take filled + working past the parent, never 0, never beyond display_qty or max_percentage', () => {
    fc.assert(
      fc.property(arbParent, steps, (p, s) => {
        for (const { input, decision } of runParent(p, s)) {
          checkDecision(input, decision); // qty > 0, <= qty - filled - working, display, budget, limit
          if (decision.kind !== 'release') continue;
          const { qty } = decision.child;
          must(input.filledQty + input.workingQty + qty <= p.qty, 'past the parent qty');
          if (p.displayQty !== null)
            must(input.workingQty + qty <= p.displayQty, 'more than display_qty shown');
          const budget = participationBudget(p, input.observedVolume);
          if (budget !== null) must(input.workingQty + qty <= budget, 'past max_percentage');
          must((decision.child.type === 'limit') === (p.limitPrice !== null), 'child type unlike the parent');
        }
      }),
      { numRuns: 300 },
    );
  });

  test('uncapped TWAP/VWAP: each slice releases exactly what is due and neither filled nor working (roll-forward), the last everything left', () => {
    const uncapped = arbParent
      .filter((p) => p.algorithm !== 'ICEBERG')
      .map((p) => ({ ...p, displayQty: null, maxPercentage: null }));
    fc.assert(
      fc.property(uncapped, steps, (p, s) => {
        for (const { input, decision } of runParent(p, s)) {
          if (input.event !== 'slice') {
            must(decision.kind !== 'release', 'released on a child close without display_qty');
            continue;
          }
          const last = input.sliceIndex === input.plan.slices.length - 1;
          const target = last ? p.qty : cumulativeTarget(input.plan.slices, input.sliceIndex);
          const due = target - input.filledQty - input.workingQty;
          const released = decision.kind === 'release' ? decision.child.qty : 0n;
          must(
            released === (due > 0n ? due : 0n),
            `slice ${input.sliceIndex}: released ${released}, due ${due}`,
          );
        }
      }),
      { numRuns: 300 },
    );
  });

  test('iceberg: never more than display_qty shown; clips are display_qty but the last, which is the remainder', () => {
    const icebergs = arbParent.map((p) => ({
      ...p,
      algorithm: 'ICEBERG',
      displayQty: p.displayQty ?? atLeast(100n * ONE, p.qty / 200n),
      maxPercentage: null,
      qtyJitter: null,
      timeJitter: null,
    }));
    fc.assert(
      fc.property(icebergs, steps, (p, s) => {
        const display = p.displayQty as Nanos;
        for (const { input, decision } of runParent(p, s)) {
          must(input.workingQty <= display, 'more than display_qty working');
          if (decision.kind !== 'release') continue;
          const left = p.qty - input.filledQty - input.workingQty;
          const room = display - input.workingQty;
          must(decision.child.qty === atMost(left, room), `clip ${decision.child.qty}`);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('a parent whose children always fill ends filled (no caps), at or before its last slice', () => {
    const fills = fc.array(fc.constant([{ fillPermille: 1000, cancel: false, volume: 0 }]), {
      minLength: 400,
      maxLength: 400,
    });
    const plain = arbParent.map((p) => ({ ...p, maxPercentage: null }));
    fc.assert(
      fc.property(plain, fills, (p, s) => {
        const seen = runParent(p, s);
        const end = seen.at(-1)?.decision;
        must(end?.kind === 'done' && end.reason === 'filled', `ended with ${JSON.stringify(end)}`);
      }),
      { numRuns: 200 },
    );
  });
});
