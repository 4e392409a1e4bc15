/**
 * Stops the OMS holds for a venue that cannot (`armed`, Alpaca `accepted`): what each command does
 * to an armed order, its replacement, and what goes to the venue once it triggers.
 */
import fc from 'fast-check';
import { venueOrderOf } from '../../lambdas/broker-gateway/venue.js';
import {
  decideHeldTrigger,
  execute,
  type OrderCommand,
  type OrderEvent,
  type OrderState,
  openReplacement,
  replay,
  statusOf,
  toAlpacaOrder,
  validateOrderRequest,
} from '../../lambdas/core/index.js';

const T0 = Date.parse('2026-11-23T15:00:00Z');

const REQUESTS = {
  stop: { symbol: 'ACME', qty: '5', side: 'sell', type: 'stop', stop_price: '9', time_in_force: 'day' },
  stop_limit: {
    symbol: 'ACME',
    qty: '5',
    side: 'sell',
    type: 'stop_limit',
    stop_price: '9',
    limit_price: '8.9',
    time_in_force: 'gtc',
  },
  trailing_stop: {
    symbol: 'ACME',
    qty: '5',
    side: 'sell',
    type: 'trailing_stop',
    trail_price: '1',
    time_in_force: 'day',
  },
  limit: { symbol: 'ACME', qty: '5', side: 'buy', type: 'limit', limit_price: '9', time_in_force: 'day' },
} as const;

function submitted(kind: keyof typeof REQUESTS): OrderState {
  const v = validateOrderRequest(REQUESTS[kind], { now: T0 });
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  return execute(undefined, { type: 'submit', orderId: 'o', accountId: 'a', order: v.order }, T0)
    .state as OrderState;
}

function run(s: OrderState, commands: readonly OrderCommand[]): OrderState {
  let state = s;
  for (const c of commands) {
    const r = execute(state, c, T0);
    if (!r.decision.ok) throw new Error(`${c.type}: ${r.decision.refusal.message}`);
    state = r.state as OrderState;
  }
  return state;
}

const arm: OrderCommand = { type: 'arm', venue: 'SIMX' };
const armed = (kind: keyof typeof REQUESTS = 'stop') => run(submitted(kind), [arm]);
const events = (s: OrderState, c: OrderCommand) => {
  const r = execute(s, c, T0);
  return r.decision.ok ? r.decision.events.map((e) => e.type) : r.decision.refusal.code;
};

test('arming: a pending_new stop is held by the OMS, shown as accepted, not at the venue', () => {
  const s = armed();
  expect(s.phase).toBe('armed');
  expect(s.armedFor).toBe('SIMX');
  expect(statusOf(s)).toBe('accepted');
  expect(toAlpacaOrder(s).status).toBe('accepted');
  expect(toAlpacaOrder(s).leaves_qty).toBe('5');
});

// biome-ignore format: table
test.each([
  { case: 'arming again (a retried workflow step) appends nothing', state: () => armed(), command: arm, expected: [] },
  { case: 'a limit order has no trigger to hold', state: () => submitted('limit'), command: arm, expected: 'not_conditional' },
  { case: 'an order with a cancel outstanding is not armed', state: () => run(submitted('stop'), [{ type: 'requestCancel', requestedBy: 'client' }]), command: arm, expected: 'not_armable' },
  { case: 'an order at the venue is not armed', state: () => run(submitted('stop'), [{ type: 'accept' }]), command: arm, expected: 'not_armable' },
  { case: 'the trigger sends it on: pending_new, triggered', state: () => armed(), command: { type: 'trigger', triggerPrice: '8.99', bid: '8.98', ask: '9' }, expected: ['OrderTriggered'] },
  { case: 'a cancel closes it at once: nothing to ask the venue', state: () => armed(), command: { type: 'requestCancel', requestedBy: 'client' }, expected: ['OrderCanceled'] },
  { case: 'a replace replaces it at once', state: () => armed(), command: { type: 'requestReplace', replacementOrderId: 'r', changes: { stopPrice: '8.5' }, requestedBy: 'client' }, expected: ['OrderReplaceRequested', 'OrderReplaced'] },
  { case: 'its time in force ends: expired', state: () => armed(), command: { type: 'expire' }, expected: ['OrderExpired'] },
  { case: 'a failed workflow step cancels it (it is not at the venue)', state: () => armed(), command: { type: 'recordException', stage: 's', error: 'e', cause: 'c', reachedVenue: false }, expected: ['OrderExceptionRecorded', 'OrderCanceled'] },
  { case: 'a fill cannot reach an order the venue does not have', state: () => armed(), command: { type: 'fill', execId: 'x', lastQty: '1', lastPx: '9' }, expected: 'not_working' },
  { case: 'done for day applies to orders at the venue only', state: () => armed(), command: { type: 'doneForDay' }, expected: 'not_working' },
  { case: 'the trailing mark moves while armed', state: () => armed('trailing_stop'), command: { type: 'moveTrail', hwm: '10' }, expected: ['OrderTrailMoved'] },
])('$case', ({ state, command, expected }) => {
  expect(events(state(), command as OrderCommand)).toEqual(expected);
});

test('once triggered it goes to the venue as the type it trades as, without its trigger terms', () => {
  const trigger: OrderCommand = { type: 'trigger', triggerPrice: '8.99', bid: '8.98', ask: '9' };
  const stop = run(armed('stop'), [trigger]);
  expect(stop.phase).toBe('pending_new');
  expect(statusOf(stop)).toBe('pending_new');
  expect(venueOrderOf(stop)).toMatchObject({ type: 'market', stopPrice: null, limitPrice: null, qty: '5' });
  const stopLimit = run(armed('stop_limit'), [trigger]);
  expect(venueOrderOf(stopLimit)).toMatchObject({ type: 'limit', limitPrice: '8.9', stopPrice: null });
  const trailing = run(armed('trailing_stop'), [{ type: 'moveTrail', hwm: '10' }, trigger]);
  expect(venueOrderOf(trailing)).toMatchObject({ type: 'market', trailPrice: null, trailPercent: null });
  // A stop the venue holds goes as a stop.
  expect(venueOrderOf(submitted('stop'))).toMatchObject({ type: 'stop', stopPrice: '9' });
  // At the venue it is an ordinary working order.
  const working = run(stop, [{ type: 'accept', venueOrderId: 'v' }]);
  expect(statusOf(working)).toBe('new');
  expect(run(working, [{ type: 'fill', execId: 'x', lastQty: '5', lastPx: '8.98' }]).phase).toBe('working');
});

test('the replacement of an armed stop opens armed, with the new terms and the mark reached', () => {
  const replaced = run(armed('trailing_stop'), [
    { type: 'moveTrail', hwm: '12' },
    {
      type: 'requestReplace',
      replacementOrderId: 'r',
      changes: { trailPrice: '0.5' },
      requestedBy: 'client',
    },
  ]);
  expect(replaced.phase).toBe('replaced');
  const opening = openReplacement(replaced, T0);
  expect(opening.map((e) => e.type)).toEqual(['OrderSubmitted', 'OrderArmed', 'OrderTrailMoved']);
  const replacement = replay(opening) as OrderState;
  expect(statusOf(replacement)).toBe('accepted');
  expect(replacement.armedFor).toBe('SIMX');
  expect(replacement.hwm).toBe('12');
  expect(replacement.spec.trailPrice).toBe('0.5');
  expect(replacement.replaces).toBe('o');
});

test('a stop that triggered at the OMS and was then replaced at the venue opens working and triggered', () => {
  const atVenue = run(armed('stop_limit'), [
    { type: 'trigger', triggerPrice: '8.99' },
    { type: 'accept', venueOrderId: 'v' },
    {
      type: 'requestReplace',
      replacementOrderId: 'r',
      changes: { limitPrice: '8.8' },
      requestedBy: 'client',
    },
    { type: 'acknowledgeReplace' },
    { type: 'confirmReplace' },
  ]);
  const opening = openReplacement(atVenue, T0);
  expect(opening.map((e) => e.type)).toEqual(['OrderSubmitted', 'OrderAccepted', 'OrderTriggered']);
  expect(statusOf(replay(opening) as OrderState)).toBe('new');
});

/**
 * Whatever happens to an armed stop, it never fills, and never works at the venue, before it has
 * triggered; its quantities keep the FIX invariant throughout.
 */
test('property: an armed stop reaches the venue only through its trigger', () => {
  const command = fc.oneof(
    fc.constant<OrderCommand>({ type: 'trigger', triggerPrice: '8.99', bid: '8.98', ask: '9' }),
    fc.constant<OrderCommand>({ type: 'accept', venueOrderId: 'v' }),
    fc.constant<OrderCommand>({ type: 'requestCancel', requestedBy: 'client' }),
    fc.constant<OrderCommand>({ type: 'expire' }),
    fc.constant<OrderCommand>({ type: 'doneForDay' }),
    fc.constant<OrderCommand>(arm),
    fc.constantFrom('9.5', '10', '11').map((hwm): OrderCommand => ({ type: 'moveTrail', hwm })),
    fc
      .tuple(fc.integer({ min: 1, max: 9 }), fc.constantFrom('1', '2', '5'))
      .map(([n, qty]): OrderCommand => ({ type: 'fill', execId: `x${n}`, lastQty: qty, lastPx: '9' })),
  );
  fc.assert(
    fc.property(
      fc.constantFrom('stop', 'stop_limit', 'trailing_stop') as fc.Arbitrary<'stop'>,
      fc.array(command, { maxLength: 12 }),
      (kind, commands) => {
        let s = armed(kind);
        const seen: OrderEvent[] = [];
        for (const c of commands) {
          const r = execute(s, c, T0);
          if (r.decision.ok) seen.push(...r.decision.events);
          s = r.state as OrderState;
          if (!s.triggered) {
            expect(s.filledQty).toBe(0n);
            expect(['armed', 'canceled', 'expired']).toContain(s.phase);
          }
          const leaves = BigInt(toAlpacaOrder(s).leaves_qty ?? '0');
          expect(s.filledQty + leaves * 1_000_000_000n <= (s.qty as bigint)).toBe(true);
        }
        const firstFill = seen.findIndex(
          (e) => e.type === 'OrderPartiallyFilled' || e.type === 'OrderFilled',
        );
        const trigger = seen.findIndex((e) => e.type === 'OrderTriggered');
        if (firstFill >= 0) expect(trigger).toBeGreaterThanOrEqual(0);
        if (firstFill >= 0) expect(trigger).toBeLessThan(firstFill);
      },
    ),
  );
});

// biome-ignore format: table
test.each([
  { case: 'a trailing stop: the better mark and the trigger, one decision', kind: 'trailing_stop' as const, before: [{ type: 'moveTrail', hwm: '10' }], quote: { bid: '8.97', ask: '8.99', last: '8.98' }, expected: ['OrderTriggered'] },
  { case: 'a trailing stop: a new high moves the mark only', kind: 'trailing_stop' as const, before: [], quote: { bid: '11.99', ask: '12.01', last: '12' }, expected: ['OrderTrailMoved'] },
  { case: 'a stop: nothing to record above the stop', kind: 'stop' as const, before: [], quote: { bid: '9.49', ask: '9.51', last: '9.5' }, expected: [] },
  { case: 'a stop: triggers at the last through the stop', kind: 'stop' as const, before: [], quote: { bid: '8.99', ask: '9.01', last: '9' }, expected: ['OrderTriggered'] },
  { case: 'no longer armed (the view lagged): refused', kind: 'stop' as const, before: [{ type: 'requestCancel', requestedBy: 'client' }], quote: { bid: '8', ask: '8.02', last: '8' }, expected: 'not_armed' },
])('decideHeldTrigger: $case', ({ kind, before, quote, expected }) => {
  const s = run(armed(kind), before as OrderCommand[]);
  const d = decideHeldTrigger(s, quote, T0);
  expect(d.ok ? d.events.map((e) => e.type) : d.refusal.code).toEqual(expected);
  if (d.ok && d.events.length > 0) expect(d.events.map((e) => e.seq)).toEqual(d.events.map((_, i) => s.seq + i + 1));
});
