/**
 * Stops the OMS holds (issue 5: "held natively when the venue supports the type; otherwise emulated
 * by the OMS from market data") end to end against local mode, with a venue that holds only market
 * and limit orders (`venueOrderTypes: 'market,limit'`; the simulated venue then rejects any other
 * type, so a stop reaching it would fail these tests). The order is armed (Alpaca `accepted`), the
 * held-trigger watcher triggers it from the quotes pinned through `PUT /local/market/{symbol}`, and
 * the workflow sends it as the type it trades as. See local-mode.test.ts for the harness conventions.
 *
 * Side by side with these tests, on the same local mode: the VWAP participation scenario
 * (fixtures/vwap-participation.ts), most of whose minute is its window's clock; started with the
 * local mode, reported by the last test. It trades symbols of its own, with limit children only.
 *
 * @own-local-mode (starts its own: runs alongside other files, see environment.js)
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { envValue, type LocalOms } from '../../local/oms-local.js';
import { LOCAL_REGION } from '../../local/types.js';
import { VWAP_PARTICIPATION, vwapParticipation } from './fixtures/vwap-participation.js';
import {
  eventually,
  expectConsistentTrail,
  expectWorkflowPath,
  type OmsHttp,
  type Order,
  OWN_OMS_START_BOUND_MS,
  startTradingDayOms,
} from './harness.js';

jest.setTimeout(90_000);

let oms: LocalOms;
let http: OmsHttp;
/** The VWAP scenario's tapes (MARKET_TABLE through DynamoDB Local). */
let doc: DynamoDBDocumentClient;
/** The VWAP scenario, started with the local mode (its failure is reported by its own test below). */
let vwap: Promise<void>;

beforeAll(async () => {
  ({ oms, http } = await startTradingDayOms({ venueOrderTypes: 'market,limit' }));
  doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: oms.dynamoDbEndpoint,
      region: LOCAL_REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
  vwap = vwapParticipation(http, { doc, marketTable: envValue(oms.topology, 'MARKET_TABLE') });
  vwap.catch(() => undefined); // awaited (and so reported) by its test below
}, OWN_OMS_START_BOUND_MS);

afterAll(async () => {
  await vwap?.catch(() => undefined);
  doc?.destroy();
  await oms?.stop();
});

const types = async (id: string) => (await http.auditTrail(id)).map((e) => e.type);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** A held stop's life: armed by the OMS, triggered by it, then an ordinary order at the venue. */
// Routed when it is sent, at its trigger (OrderRouted).
const HELD_PATH = [
  'OrderSubmitted',
  'OrderArmed',
  'OrderTriggered',
  'OrderRouted',
  'OrderAccepted',
  'OrderFilled',
];
const HELD_WORKFLOW = [
  'Accept order',
  'Route held order',
  'Hold until triggered',
  'Triggered?',
  'Route triggered order',
  'Submit and await outcome',
];

it('stop buy: held by the OMS (accepted) below its stop, triggered by the last trading through, filled as a market order', async () => {
  await http.pinQuote('E2EHSB', { bid: '99.98', ask: '100.00', last: '100.00', ask_size: '1000' });
  const placed = await http.submit({
    symbol: 'E2EHSB',
    qty: '10',
    side: 'buy',
    type: 'stop',
    stop_price: '101.00',
    time_in_force: 'day',
  });
  await http.untilStatus(placed.id, 'accepted');
  await pause(4500); // two watcher runs pass: still held
  expect((await http.order(placed.id)).status).toBe('accepted');
  expect(await types(placed.id)).toEqual(['OrderSubmitted', 'OrderArmed']);

  await http.pinQuote('E2EHSB', { bid: '101.00', ask: '101.02', last: '101.01', ask_size: '1000' });
  const filled = await http.untilStatus(placed.id, 'filled', 30_000);
  // The venue received a market order: it paid the ask. The order still reads as the stop it was.
  expect(filled).toMatchObject({
    type: 'stop',
    stop_price: '101',
    filled_qty: '10',
    filled_avg_price: '101.02',
  });
  const trail = await expectConsistentTrail(http, placed.id);
  expect(trail.map((e) => e.type)).toEqual(HELD_PATH);
  expect(trail[1]?.data).toEqual({ venue: 'SIMX' });
  // The trigger, recorded by the OMS: the last sale through the stop and the quote at that moment.
  expect(trail[2]?.data).toEqual({ triggerPrice: '101.01', bid: '101', ask: '101.02' });
  await expectWorkflowPath(http, placed.id, HELD_WORKFLOW);
});

it('trailing stop sell: the OMS keeps the high-water mark (hwm) and triggers on the pullback', async () => {
  await http.pinQuote('E2EHTR', { bid: '19.99', ask: '20.01', last: '20.00', bid_size: '1000' });
  const placed = await http.submit({
    symbol: 'E2EHTR',
    qty: '8',
    side: 'sell',
    type: 'trailing_stop',
    trail_price: '1.00',
    time_in_force: 'day',
  });
  await http.until(placed.id, (o) => expect(o).toMatchObject({ status: 'accepted', hwm: '20' }), 30_000);
  // Up to 22: the stop follows to 21; 21.50 is no better and does not reach it.
  await http.pinQuote('E2EHTR', { bid: '21.99', ask: '22.01', last: '22.00', bid_size: '1000' });
  await http.until(placed.id, (o) => expect(o.hwm).toBe('22'), 30_000);
  await http.pinQuote('E2EHTR', { bid: '21.49', ask: '21.51', last: '21.50', bid_size: '1000' });
  await pause(4500);
  expect((await http.order(placed.id)).status).toBe('accepted');
  await http.pinQuote('E2EHTR', { bid: '20.95', ask: '20.97', last: '20.96', bid_size: '1000' });
  const filled = await http.untilStatus(placed.id, 'filled', 30_000);
  expect(filled).toMatchObject({ filled_qty: '8', filled_avg_price: '20.95', hwm: '22' });
  const trail = await http.auditTrail(placed.id);
  expect(trail.filter((e) => e.type === 'OrderTrailMoved').map((e) => e.data.hwm)).toEqual(['20', '22']);
  const milestones = trail.filter((e) => e.type !== 'OrderTrailMoved');
  expect(milestones.map((e) => e.type)).toEqual(HELD_PATH);
  expect(milestones[2]?.data.triggerPrice).toBe('20.96');
});

it('replacing the stop price while held: replaced at once by the OMS, the replacement held at the new stop', async () => {
  await http.pinQuote('E2EHRP', { bid: '50.00', ask: '50.02', last: '50.01', bid_size: '1000' });
  const placed = await http.submit({
    symbol: 'E2EHRP',
    qty: '5',
    side: 'sell',
    type: 'stop_limit',
    stop_price: '48.00',
    limit_price: '47.90',
    time_in_force: 'gtc',
  });
  await http.untilStatus(placed.id, 'accepted');
  const replacement = await http.replace(placed.id, { stop_price: '49.50', limit_price: '49.40' });
  // Nothing to ask the venue: the original is replaced by the time the PATCH answers.
  expect((await http.order(placed.id)).status).toBe('replaced');
  expect((await http.untilStatus(replacement.id, 'accepted')).replaces).toBe(placed.id);
  // 49.45 is through the new stop (49.50), not the old one (48.00); the limit 49.40 lets it fill.
  await http.pinQuote('E2EHRP', { bid: '49.45', ask: '49.47', last: '49.45', bid_size: '1000' });
  const filled = await http.untilStatus(replacement.id, 'filled', 30_000);
  expect(filled).toMatchObject({
    type: 'stop_limit',
    stop_price: '49.5',
    filled_qty: '5',
    filled_avg_price: '49.45',
  });
  expect(await types(placed.id)).toEqual([
    'OrderSubmitted',
    'OrderArmed',
    'OrderReplaceRequested',
    'OrderReplaced',
  ]);
  expect(await types(replacement.id)).toEqual(HELD_PATH);
  // The original's workflow ended when it was replaced; the replacement's held and then sent it
  // (held like a new held stop: the replacement's acceptance throws its hold decision too).
  await expectWorkflowPath(http, replacement.id, HELD_WORKFLOW);
});

it('canceling a held stop closes it at once, and nothing reaches the venue', async () => {
  await http.pinQuote('E2EHCX', { bid: '10.00', ask: '10.02', last: '10.01' });
  const placed = await http.submit({
    symbol: 'E2EHCX',
    qty: '3',
    side: 'sell',
    type: 'stop',
    stop_price: '9.00',
    time_in_force: 'gtc',
  });
  await http.untilStatus(placed.id, 'accepted');
  await http.cancel(placed.id);
  const canceled = await http.untilStatus(placed.id, 'canceled');
  expect(canceled).toMatchObject({ filled_qty: '0' });
  expect(await types(placed.id)).toEqual(['OrderSubmitted', 'OrderArmed', 'OrderCanceled']);
  // Crossing the old stop afterwards triggers nothing.
  await http.pinQuote('E2EHCX', { bid: '8.90', ask: '8.92', last: '8.90' });
  await pause(4500);
  expect(await types(placed.id)).toEqual(['OrderSubmitted', 'OrderArmed', 'OrderCanceled']);
  await expectWorkflowPath(http, placed.id, [...HELD_WORKFLOW.slice(0, 4), 'Await outcome']);
});

it('bracket with a held stop-loss: armed when the entry fills, canceled at once when the take-profit fills', async () => {
  await http.pinQuote('E2EHBK', { bid: '99.98', ask: '100.00', ask_size: '1000', bid_size: '1000' });
  const placed = (await http.submit({
    symbol: 'E2EHBK',
    qty: '10',
    side: 'buy',
    type: 'limit',
    limit_price: '100.00',
    time_in_force: 'day',
    order_class: 'bracket',
    take_profit: { limit_price: '101.00' },
    stop_loss: { stop_price: '98.00' },
  })) as Order & { legs: Order[] | null };
  const [tp, sl] = placed.legs ?? [];
  if (tp === undefined || sl === undefined) throw new Error('a bracket has two legs');
  http.orders.add(tp.id);
  http.orders.add(sl.id);
  await http.untilStatus(placed.id, 'filled', 30_000);
  // The take-profit works at the venue; the stop-loss is held by the OMS (shown `held`, as Alpaca
  // shows a bracket's stop-loss), armed.
  await http.untilStatus(tp.id, 'new', 30_000);
  await eventually(async () => {
    expect((await http.order(sl.id)).status).toBe('held');
    expect((await http.auditTrail(sl.id)).map((e) => e.type)).toContain('OrderArmed');
  }, 30_000);

  await http.pinQuote('E2EHBK', { bid: '101.00', ask: '101.02', ask_size: '1000', bid_size: '1000' });
  await http.untilStatus(tp.id, 'filled', 30_000);
  const slCanceled = await http.untilStatus(sl.id, 'canceled', 30_000);
  expect(slCanceled.filled_qty).toBe('0');
  // Never sent: armed, then canceled by the group without asking the venue.
  expect(await types(sl.id)).toEqual(['OrderSubmitted', 'OrderActivated', 'OrderArmed', 'OrderCanceled']);
  // Crossing its stop afterwards sells nothing.
  await http.pinQuote('E2EHBK', {
    bid: '97.00',
    ask: '97.02',
    last: '97.00',
    ask_size: '1000',
    bid_size: '1000',
  });
  await pause(4500);
  expect((await http.order(sl.id)).status).toBe('canceled');
});

// Last: the other tests ran while its window's clock ran. Its bound counts from here; the scenario's
// own waits bound each step.
it(VWAP_PARTICIPATION, async () => {
  await vwap;
}, 240_000);
