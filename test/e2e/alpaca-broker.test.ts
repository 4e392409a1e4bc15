/**
 * An Alpaca broker venue end to end (issue 17): two local modes. "The broker" is a plain local
 * mode (this OMS serves Alpaca's Trading API and trade_updates stream); "the front" is configured
 * with an Alpaca venue ALPX pointing at the broker's URL (OMS_ALPACA_VENUES), cheapest on fees, so
 * its router sends there. Orders placed at the front are placed at the broker with
 * client_order_id = the front's order id; the broker's reports come back over its trade_updates
 * stream (the front's venue session host runs the listener). Both sides must agree order by order.
 *
 * @own-local-mode (starts its own: runs alongside other files, see environment.js)
 */
import type { LocalOms } from '../../local/oms-local.js';
import {
  eventually,
  type OmsHttp,
  type Order,
  OWN_OMS_START_BOUND_MS,
  startTradingDayOms,
} from './harness.js';

jest.setTimeout(60_000);

const SYMBOL = 'E2EALP';
let broker: { oms: LocalOms; http: OmsHttp };
let front: { oms: LocalOms; http: OmsHttp };

beforeAll(async () => {
  broker = await startTradingDayOms();
  await broker.http.pinQuote(SYMBOL, { bid: '49.99', ask: '50.01', bid_size: '1000', ask_size: '1000' });
  const alpacaVenues = JSON.stringify([
    {
      name: 'ALPX',
      baseUrl: broker.oms.apiUrl,
      streamUrl: `${broker.oms.apiUrl.replace(/^http/, 'ws')}/stream`,
      keyId: broker.oms.apiKeyId,
      secret: broker.oms.apiSecretKey,
      takerFeePerShare: '-0.0100',
      makerFeePerShare: '-0.0100',
    },
  ]);
  front = await startTradingDayOms({ alpacaVenues });
  await front.http.pinQuote(SYMBOL, { bid: '49.99', ask: '50.01', bid_size: '1000', ask_size: '1000' });
}, 2 * OWN_OMS_START_BOUND_MS);

afterAll(async () => {
  await front?.oms.stop();
  await broker?.oms.stop();
});

/** The broker's order for a front order (its client_order_id is the front's order id). */
const atBroker = (frontId: string) =>
  broker.http.expect<Order>(
    200,
    'GET',
    `/v2/orders:by_client_order_id?client_order_id=${encodeURIComponent(frontId)}`,
  );

async function agree(frontId: string, status: string): Promise<void> {
  await eventually(async () => {
    const f = await front.http.order(frontId);
    const b = await atBroker(frontId);
    if (f.status !== status || b.status !== status) throw new Error(`front ${f.status}, broker ${b.status}`);
    expect(f.filled_qty).toBe(b.filled_qty);
    expect(f.filled_avg_price ?? null).toBe(b.filled_avg_price ?? null);
  }, 30_000);
}

test('a market order is routed to ALPX, filled at the broker, and both sides agree', async () => {
  const o = await front.http.submit({
    symbol: SYMBOL,
    qty: '10',
    side: 'buy',
    type: 'market',
    time_in_force: 'day',
  });
  await agree(o.id, 'filled');
  const trail = await front.http.auditTrail(o.id);
  const routed = trail.find((e) => e.type === 'OrderRouted')?.data as { allocations: { venue: string }[] };
  expect(routed.allocations.map((a) => a.venue)).toEqual(['ALPX']);
  const fills = trail.filter((e) => e.type === 'OrderFilled' || e.type === 'OrderPartiallyFilled');
  expect(new Set(fills.map((e) => e.data.execId)).size).toBe(fills.length);
});

test('a resting limit order is canceled through the broker', async () => {
  const o = await front.http.submit({
    symbol: SYMBOL,
    qty: '5',
    side: 'buy',
    type: 'limit',
    limit_price: '45',
    time_in_force: 'day',
  });
  await agree(o.id, 'new');
  await front.http.cancel(o.id);
  await agree(o.id, 'canceled');
});

test('a resting limit order is replaced (PATCH) at the broker; both the old and the new order agree', async () => {
  const o = await front.http.submit({
    symbol: SYMBOL,
    qty: '5',
    side: 'buy',
    type: 'limit',
    limit_price: '44',
    time_in_force: 'day',
  });
  await agree(o.id, 'new');
  const r = await front.http.replace(o.id, { qty: '7', limit_price: '44.5' });
  await agree(o.id, 'replaced');
  await eventually(async () => {
    const b = await atBroker(r.id);
    expect(b).toMatchObject({ qty: '7', limit_price: '44.5', status: 'new' });
    expect((await front.http.order(r.id)).status).toBe('new');
  }, 30_000);
});
