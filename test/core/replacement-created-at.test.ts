/**
 * A replacement's created_at (and submitted_at) is when the replace was asked for, in every read:
 * the PATCH's answer, a read while the venue works the replace (core previewPendingReplacement),
 * and the replacement once the venue confirmed it (core openReplacement, what the applier appends).
 * An SDK probe read three different times for one replacement (answer, pending read, open order).
 */
import {
  execute,
  type OrderCommand,
  type OrderState,
  openReplacement,
  previewPendingReplacement,
  replay,
  toAlpacaOrder,
  validateOrderRequest,
} from '../../lambdas/core/index.js';

const T0 = Date.parse('2026-11-23T15:00:00Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

function placed(request: Record<string, string>): OrderState {
  const v = validateOrderRequest(request, { now: T0 });
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  return execute(undefined, { type: 'submit', orderId: 'o', accountId: 'a', order: v.order }, T0)
    .state as OrderState;
}

/** Each command at its own time (ms after T0). */
function run(s: OrderState, steps: ReadonlyArray<[number, OrderCommand]>): OrderState {
  let state = s;
  for (const [ms, c] of steps) {
    const r = execute(state, c, T0 + ms);
    if (!r.decision.ok) throw new Error(`${c.type}: ${r.decision.refusal.message}`);
    state = r.state as OrderState;
  }
  return state;
}

const LIMIT = {
  symbol: 'ACME',
  qty: '5',
  side: 'buy',
  type: 'limit',
  limit_price: '9',
  time_in_force: 'day',
};
const replace: OrderCommand = {
  type: 'requestReplace',
  replacementOrderId: 'r',
  changes: { limitPrice: '9.5' },
  requestedBy: 'client',
};

const times = (s: OrderState | null | undefined) => {
  const o = toAlpacaOrder(s as OrderState);
  return [o.created_at, o.submitted_at];
};

test.each([
  ['asked, not yet acknowledged', [] as Array<[number, OrderCommand]>, 3_500],
  [
    'acknowledged by the venue',
    [[3_000, { type: 'acknowledgeReplace' }]] as Array<[number, OrderCommand]>,
    3_500,
  ],
])(
  'a replace %s: the pending replacement reads as created at the request, at any later read',
  (_what, after, readAt) => {
    const asked = run(placed(LIMIT), [
      [1_000, { type: 'accept', venueOrderId: 'v' }],
      [2_000, replace],
      ...after,
    ]);
    expect(times(previewPendingReplacement(asked, T0 + readAt))).toEqual([at(2_000), at(2_000)]);
    expect(times(previewPendingReplacement(asked, T0 + 60_000))).toEqual([at(2_000), at(2_000)]);
  },
);

test('confirmed by the venue later: the replacement opens created at the request, not at the confirmation', () => {
  const replaced = run(placed(LIMIT), [
    [1_000, { type: 'accept', venueOrderId: 'v' }],
    [2_000, replace],
    [3_000, { type: 'acknowledgeReplace' }],
    [5_000, { type: 'confirmReplace' }],
  ]);
  const opening = openReplacement(replaced, T0 + 5_000);
  expect(opening[0]?.occurredAt).toBe(at(2_000));
  // What follows the opening happens at the confirmation.
  expect(opening.slice(1).every((e) => e.occurredAt === at(5_000))).toBe(true);
  expect(times(replay(opening))).toEqual([at(2_000), at(2_000)]);
});

test('a stop the OMS holds is replaced at once: created at the request', () => {
  const stop = {
    symbol: 'ACME',
    qty: '5',
    side: 'sell',
    type: 'stop',
    stop_price: '9',
    time_in_force: 'day',
  };
  const replaced = run(placed(stop), [
    [1_000, { type: 'arm', venue: 'SIMX' }],
    [2_000, { ...replace, changes: { stopPrice: '8.5' } } as OrderCommand],
  ]);
  expect(times(replay(openReplacement(replaced, T0 + 2_500)))).toEqual([at(2_000), at(2_000)]);
});
