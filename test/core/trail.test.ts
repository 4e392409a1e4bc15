/** A trailing stop's high-water mark (Alpaca `hwm`), as the venue reports it moving. */
import {
  execute,
  type OrderCommand,
  type OrderState,
  toAlpacaOrder,
  validateOrderRequest,
} from '../../lambdas/core/index.js';

const T0 = Date.parse('2026-11-23T15:00:00Z');

function working(side: 'buy' | 'sell', type = 'trailing_stop'): OrderState {
  const v = validateOrderRequest(
    type === 'trailing_stop'
      ? { symbol: 'ACME', qty: '5', side, type, trail_price: '1', time_in_force: 'day' }
      : { symbol: 'ACME', qty: '5', side, type, stop_price: '9', time_in_force: 'day' },
    { now: T0 },
  );
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  const opened = execute(
    undefined,
    { type: 'submit', orderId: 'o', accountId: 'a', order: v.order },
    T0,
  ).state;
  return execute(opened, { type: 'accept' }, T0).state as OrderState;
}

function run(s: OrderState, commands: OrderCommand[]): OrderState {
  let state = s;
  for (const c of commands) {
    const r = execute(state, c, T0);
    if (!r.decision.ok) throw new Error(r.decision.refusal.message);
    state = r.state as OrderState;
  }
  return state;
}

// biome-ignore format: table
test.each([
  { case: 'a sell trails the high: only a higher mark moves it', side: 'sell' as const, marks: ['20', '21', '20.5', '22'], hwm: '22', events: 3 },
  { case: 'a buy trails the low: only a lower mark moves it', side: 'buy' as const, marks: ['20', '19.5', '19.8', '19'], hwm: '19', events: 3 },
  { case: 'a redelivered mark changes nothing', side: 'sell' as const, marks: ['20', '20', '20'], hwm: '20', events: 1 },
])('$case', ({ side, marks, hwm, events }) => {
  const before = working(side);
  const after = run(before, marks.map((m) => ({ type: 'moveTrail', hwm: m })));
  expect(after.hwm).toBe(hwm);
  expect(toAlpacaOrder(after).hwm).toBe(hwm);
  expect(after.seq - before.seq).toBe(events);
});

test('a triggered trailing stop keeps its mark; a stop order has none to move', () => {
  const triggered = run(working('sell'), [
    { type: 'moveTrail', hwm: '20' },
    { type: 'trigger', triggerPrice: '19' },
    { type: 'moveTrail', hwm: '25' },
  ]);
  expect(triggered.hwm).toBe('20');
  expect(execute(working('sell', 'stop'), { type: 'moveTrail', hwm: '20' }, T0).decision.ok).toBe(false);
  expect(execute(working('sell'), { type: 'moveTrail', hwm: '-1' }, T0).decision.ok).toBe(false);
});
