/**
 * Conditional orders (issue 5) end to end against local mode: stop, stop-limit and trailing stop
 * orders held by the simulated venue (which supports them natively), triggered by quotes pinned
 * through `PUT /local/market/{symbol}`, and a stop price replaced while the order waits. The
 * Alpaca/FIX status sequence of each is asserted from its audit trail. See local-mode.test.ts for
 * the harness conventions.
 */
import {
  eventually,
  expectConsistentTrail,
  type OmsHttp,
  type SharedOms,
  sharedTradingDayOms,
} from './harness.js';

jest.setTimeout(60_000);

let oms: SharedOms;
let http: OmsHttp;

beforeAll(async () => {
  ({ oms, http } = await sharedTradingDayOms());
}, 90_000);

afterAll(async () => {
  await oms?.stop();
});

const types = async (id: string) => (await http.auditTrail(id)).map((e) => e.type);
const TRIGGERED_PATH = ['OrderSubmitted', 'OrderRouted', 'OrderAccepted', 'OrderTriggered', 'OrderFilled'];
/** A replacement continues its order at that order's venue: it is not routed again. */
const REPLACEMENT_TRIGGERED_PATH = ['OrderSubmitted', 'OrderAccepted', 'OrderTriggered', 'OrderFilled'];

it('stop buy: waits below its stop, triggers when the last trades through it, fills as a market order', async () => {
  await http.pinQuote('E2ESTP', { bid: '99.98', ask: '100.00', last: '100.00', ask_size: '1000' });
  const placed = await http.submit({
    symbol: 'E2ESTP',
    qty: '10',
    side: 'buy',
    type: 'stop',
    stop_price: '101.00',
    time_in_force: 'day',
  });
  await http.untilStatus(placed.id, 'new');
  await new Promise((r) => setTimeout(r, 2500)); // a market tick passes: still waiting
  expect((await http.order(placed.id)).status).toBe('new');

  await http.pinQuote('E2ESTP', { bid: '101.00', ask: '101.02', last: '101.01', ask_size: '1000' });
  const filled = await http.untilStatus(placed.id, 'filled');
  expect(filled).toMatchObject({ filled_qty: '10', filled_avg_price: '101.02' });
  const trail = await expectConsistentTrail(http, placed.id);
  expect(trail.map((e) => e.type)).toEqual(TRIGGERED_PATH);
  // The trigger is recorded with its price and the quote at the trigger.
  expect(trail[3]?.data).toEqual({ triggerPrice: '101.01', bid: '101', ask: '101.02' });
});

it('stop-limit sell: triggers on the way down, then trades as a limit order at or above its limit', async () => {
  await http.pinQuote('E2ESTL', { bid: '50.00', ask: '50.02', last: '50.01', bid_size: '1000' });
  const placed = await http.submit({
    symbol: 'E2ESTL',
    qty: '5',
    side: 'sell',
    type: 'stop_limit',
    stop_price: '49.50',
    limit_price: '49.40',
    time_in_force: 'gtc',
  });
  await http.untilStatus(placed.id, 'new');
  await http.pinQuote('E2ESTL', { bid: '49.45', ask: '49.47', last: '49.45', bid_size: '1000' });
  const filled = await http.untilStatus(placed.id, 'filled');
  expect(filled).toMatchObject({ filled_qty: '5', filled_avg_price: '49.45' });
  expect(await types(placed.id)).toEqual(TRIGGERED_PATH);
});

it('trailing stop sell: trails the high (hwm) by trail_price and triggers on the pullback', async () => {
  await http.pinQuote('E2ETRL', { bid: '19.99', ask: '20.01', last: '20.00', bid_size: '1000' });
  const placed = await http.submit({
    symbol: 'E2ETRL',
    qty: '8',
    side: 'sell',
    type: 'trailing_stop',
    trail_price: '1.00',
    time_in_force: 'day',
  });
  await http.untilStatus(placed.id, 'new');
  // Up to 22: the stop follows to 21; 20.50 would have triggered the original 19, not this one.
  await http.pinQuote('E2ETRL', { bid: '21.99', ask: '22.01', last: '22.00', bid_size: '1000' });
  await new Promise((r) => setTimeout(r, 2500));
  await http.pinQuote('E2ETRL', { bid: '21.49', ask: '21.51', last: '21.50', bid_size: '1000' });
  await new Promise((r) => setTimeout(r, 2500));
  expect((await http.order(placed.id)).status).toBe('new');
  await http.pinQuote('E2ETRL', { bid: '20.95', ask: '20.97', last: '20.96', bid_size: '1000' });
  const filled = await http.untilStatus(placed.id, 'filled');
  expect(filled).toMatchObject({ filled_qty: '8', filled_avg_price: '20.95' });
  // The high-water mark (Alpaca hwm) as it moved: 20 at booking, 22; 21.50 was no better.
  expect((filled as { hwm?: string }).hwm).toBe('22');
  const trail = await http.auditTrail(placed.id);
  expect(trail.filter((e) => e.type === 'OrderTrailMoved').map((e) => e.data.hwm)).toEqual(['20', '22']);
  const milestones = trail.filter((e) => e.type !== 'OrderTrailMoved');
  expect(milestones.map((e) => e.type)).toEqual(TRIGGERED_PATH);
  expect(milestones[3]?.data.triggerPrice).toBe('20.96');
});

it('replacing the stop price while the order waits: the replacement waits at the new stop and fills', async () => {
  await http.pinQuote('E2ESRP', { bid: '29.98', ask: '30.00', last: '30.00', ask_size: '1000' });
  const placed = await http.submit({
    symbol: 'E2ESRP',
    qty: '4',
    side: 'buy',
    type: 'stop',
    stop_price: '32.00',
    time_in_force: 'day',
  });
  await http.untilStatus(placed.id, 'new');
  const replacement = await http.replace(placed.id, { stop_price: '30.50' });
  await http.untilStatus(placed.id, 'replaced');
  expect((await http.untilStatus(replacement.id, 'new')).replaces).toBe(placed.id);
  // 30.60 is through the new stop, not the old one.
  await http.pinQuote('E2ESRP', { bid: '30.58', ask: '30.60', last: '30.60', ask_size: '1000' });
  const filled = await http.untilStatus(replacement.id, 'filled');
  expect(filled).toMatchObject({ filled_qty: '4', filled_avg_price: '30.6' });
  expect(await types(placed.id)).toEqual([
    'OrderSubmitted',
    'OrderRouted',
    'OrderAccepted',
    'OrderReplaceRequested',
    'OrderReplaceAcknowledged',
    'OrderReplaced',
  ]);
  expect(await types(replacement.id)).toEqual(REPLACEMENT_TRIGGERED_PATH);
});

// An SDK probe's sell stop at 105 on a 100 market filled at once at 100 (a buy stop at 95 and a
// sell stop-limit at 110 too, and a PATCH of a resting sell stop to 120): a stop the market has
// already reached is not the stop the client meant. Alpaca refuses it; so does the OMS, naming
// the field, placing and changing nothing (core trigger.ts stopReachedError).
it('a stop the market has already reached is refused, on POST and on PATCH, and nothing is placed or replaced', async () => {
  const symbol = 'E2ESWS';
  await http.pinQuote(symbol, {
    bid: '100.00',
    ask: '100.02',
    last: '100.01',
    ask_size: '1000',
    bid_size: '1000',
  });
  const refused: Array<[Record<string, unknown>, string]> = [
    [
      { side: 'sell', type: 'stop', stop_price: '105' },
      'stop_price: must be below the market price (100.01) for a sell stop: it would trigger at once',
    ],
    [
      { side: 'buy', type: 'stop', stop_price: '95' },
      'stop_price: must be above the market price (100.01) for a buy stop: it would trigger at once',
    ],
    [
      { side: 'sell', type: 'stop_limit', stop_price: '110', limit_price: '99' },
      'stop_price: must be below the market price (100.01) for a sell stop: it would trigger at once',
    ],
  ];
  const before = (await http.request<unknown[]>('GET', `/v2/orders?status=all&symbols=${symbol}`)).body
    .length;
  for (const [terms, message] of refused) {
    const res = await http.request<{ code: number; message: string }>('POST', '/v2/orders', {
      symbol,
      qty: '1',
      time_in_force: 'day',
      ...terms,
    });
    expect([res.status, res.body.code, res.body.message]).toEqual([422, 40010001, message]);
  }
  expect((await http.request<unknown[]>('GET', `/v2/orders?status=all&symbols=${symbol}`)).body).toHaveLength(
    before,
  );

  const resting = await http.submit({
    symbol,
    qty: '1',
    side: 'sell',
    type: 'stop',
    stop_price: '90',
    time_in_force: 'day',
  });
  await http.untilStatus(resting.id, 'new');
  const moved = await http.request<{ message: string }>('PATCH', `/v2/orders/${resting.id}`, {
    stop_price: '120',
  });
  expect([moved.status, moved.body.message]).toEqual([
    422,
    'stop_price: must be below the market price (100.01) for a sell stop: it would trigger at once',
  ]);
  expect(await http.order(resting.id)).toMatchObject({ status: 'new', stop_price: '90', filled_qty: '0' });
  await http.cancel(resting.id);
  await http.untilStatus(resting.id, 'canceled');
});

// A hostile probe repriced a triggered stop-limit resending its unchanged stop_price (as clients
// that send every field do) and was refused as a stop the market has reached: a stop the PATCH
// leaves where it was is not checked again.
it('a triggered stop-limit is repriced by a PATCH that resends its unchanged stop_price', async () => {
  const symbol = 'E2ESTR';
  await http.pinQuote(symbol, {
    bid: '49.99',
    ask: '50.01',
    last: '50.00',
    ask_size: '1000',
    bid_size: '1000',
  });
  const placed = await http.submit({
    symbol,
    qty: '1',
    side: 'sell',
    type: 'stop_limit',
    stop_price: '49.5',
    limit_price: '49.8',
    time_in_force: 'day',
  });
  await http.untilStatus(placed.id, 'new');
  // Through the stop: it triggers and rests as a sell limit at 49.80, above the market.
  await http.pinQuote(symbol, {
    bid: '49.38',
    ask: '49.40',
    last: '49.40',
    ask_size: '1000',
    bid_size: '1000',
  });
  await eventually(async () => expect(await types(placed.id)).toContain('OrderTriggered'), 30_000);
  const repriced = await http.replace(placed.id, { limit_price: '49.7', stop_price: '49.5' });
  expect(repriced).toMatchObject({ limit_price: '49.7', stop_price: '49.5' });
  await http.untilStatus(repriced.id, 'new', 30_000);
  await http.cancel(repriced.id);
  await http.untilStatus(repriced.id, 'canceled');
});
