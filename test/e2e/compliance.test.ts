/**
 * Compliance controls end to end (issue 16), through the HTTP API against the shared local mode,
 * on an account of its own so nothing else trades against it:
 * - wash-trade prevention: an order that could trade against the account's own resting order on
 *   the other side is refused as Alpaca refuses it (422, 42210000, "potential wash trade detected.
 *   use complex orders"), on placement and on a replace, and nothing is written;
 * - API key scopes: a read-only key reads and is refused on every route that trades;
 * - bus order requests: the producer's requestId makes its retries place one order; a refused
 *   request is answered with OrderRequestRejected;
 * - the bus as a trust boundary: a strategy places only for the accounts it is entitled to; a
 *   forged execution report (2 @ 0.01 on a resting order) is refused, recorded, and changes nothing.
 */
import { randomUUID } from 'node:crypto';
import {
  eventually,
  OmsHttp,
  putOnOmsBus,
  type SharedOms,
  seedAccount,
  sharedTradingDayOms,
} from './harness.js';

jest.setTimeout(90_000);

let oms: SharedOms;
let http: OmsHttp;
let trader: OmsHttp;
const accountId = `e2e-cmp-${randomUUID().slice(0, 8)}`;
const SYMBOL = 'E2EWASH';
/** The strategy entitled to `accountId`: its OrderRequested events carry its own source. */
const STRATEGY = `e2e-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  ({ oms, http } = await sharedTradingDayOms());
  const keyId = `PK${randomUUID().replace(/-/g, '').slice(0, 18).toUpperCase()}`;
  const secret = randomUUID();
  await seedAccount(oms, {
    keyId,
    secret,
    accountId,
    settings: { cash: '100000', multiplier: '1', shortingEnabled: false },
  });
  trader = new OmsHttp(oms.apiUrl, keyId, secret);
  await http.expect(200, 'PUT', `/local/strategies/${STRATEGY}`, { account_ids: [accountId] });
}, 90_000);

/** The account's orders of SYMBOL at `limitPrice`, once there is one (bus orders are placed asynchronously). */
const placedAt = (limitPrice: string) =>
  eventually(async () => {
    const list = await trader.expect<Json[]>(200, 'GET', `/v2/orders?status=all&symbols=${SYMBOL}&limit=500`);
    const found = list.filter((o) => o.limit_price === limitPrice);
    if (found.length === 0) throw new Error('not placed yet');
    return found;
  }, 30_000);

/** Puts one event on the OMS bus as a producer would; the bus must accept it. */
const putOnBus = (source: string, detailType: string, detail: unknown) =>
  putOnOmsBus(oms, [{ source, detailType, detail }]);

type BusEvent = { 'detail-type': string; source: string; detail: Json };

/** The first event delivered on the bus that `found` picks, waited for. */
function busEvent(found: (e: BusEvent) => boolean, query = ''): Promise<BusEvent> {
  return eventually(async () => {
    const delivered = await http.expect<BusEvent[]>(200, 'GET', `/local/events${query}`);
    const e = delivered.find(found);
    if (e === undefined) throw new Error('not on the bus yet');
    return e;
  }, 30_000);
}

afterAll(async () => {
  await oms?.stop();
});

type Json = Record<string, unknown>;
const WASH = { code: 42210000, message: 'potential wash trade detected. use complex orders' };

it('an order that could trade against the account’s own resting opposite order is refused as Alpaca does; one that cannot is accepted', async () => {
  await http.pinQuote(SYMBOL, { bid: '50.00', ask: '50.02', ask_size: '1000', bid_size: '1000' });
  const bought = await trader.submit({
    symbol: SYMBOL,
    qty: '10',
    side: 'buy',
    type: 'market',
    time_in_force: 'day',
  });
  await trader.untilStatus(bought.id, 'filled', 30_000);
  await eventually(async () => {
    const p = await trader.request<Json>('GET', `/v2/positions/${SYMBOL}`);
    if (p.body.qty !== '10') throw new Error(`position ${JSON.stringify(p.body)}`);
  }, 30_000);
  // A resting sell of the position, above the market.
  const sell = await trader.submit({
    symbol: SYMBOL,
    qty: '10',
    side: 'sell',
    type: 'limit',
    limit_price: '55',
    time_in_force: 'day',
  });
  await trader.untilStatus(sell.id, 'new', 30_000);
  const count = async () =>
    (await trader.request<Json[]>('GET', '/v2/orders?status=all&limit=500')).body.length;
  const before = await count();

  // A market buy could lift the account's own offer; so could a buy limit at or through 55.
  for (const order of [
    { type: 'market' },
    { type: 'limit', limit_price: '55' },
    { type: 'limit', limit_price: '55.01' },
  ]) {
    const refused = await trader.request<Json>('POST', '/v2/orders', {
      symbol: SYMBOL,
      qty: '1',
      side: 'buy',
      time_in_force: 'day',
      ...order,
    });
    expect({ status: refused.status, ...refused.body }).toMatchObject({ status: 422, ...WASH });
    expect(refused.body.refusals).toEqual([
      expect.objectContaining({ rule: 'wash_trade', message: expect.stringContaining(sell.id) }),
    ]);
  }
  expect(await count()).toBe(before);

  // Below the offer they cannot meet: accepted. Replaced up to the offer: refused, the order unchanged.
  const bid = await trader.submit({
    symbol: SYMBOL,
    qty: '1',
    side: 'buy',
    type: 'limit',
    limit_price: '49',
    time_in_force: 'day',
  });
  await trader.untilStatus(bid.id, 'new', 30_000);
  const replace = await trader.request<Json>('PATCH', `/v2/orders/${bid.id}`, { limit_price: '55.5' });
  expect({ status: replace.status, ...replace.body }).toMatchObject({ status: 422, ...WASH });
  expect(await trader.order(bid.id)).toMatchObject({ status: 'new', limit_price: '49' });

  for (const id of [bid.id, sell.id]) {
    await trader.expect(204, 'DELETE', `/v2/orders/${id}`);
    await trader.untilStatus(id, 'canceled', 30_000);
  }
  // Nothing rests on the other side any more: the market buy goes through.
  const after = await trader.submit({
    symbol: SYMBOL,
    qty: '1',
    side: 'buy',
    type: 'market',
    time_in_force: 'day',
  });
  await trader.untilStatus(after.id, 'filled', 30_000);
});

it('a read-only key reads the account’s orders and positions; placing, replacing or canceling is 403 and changes nothing', async () => {
  const keyId = `RO${randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase()}`;
  const secret = randomUUID();
  expect(
    await http.expect(200, 'PUT', `/local/keys/${keyId}`, {
      secret,
      account_id: accountId,
      scope: 'read_only',
    }),
  ).toMatchObject({ key_id: keyId, scope: 'read_only' });
  const viewer = new OmsHttp(oms.apiUrl, keyId, secret);
  const resting = await trader.submit({
    symbol: SYMBOL,
    qty: '1',
    side: 'buy',
    type: 'limit',
    limit_price: '40',
    time_in_force: 'day',
  });
  await trader.untilStatus(resting.id, 'new', 30_000);

  expect((await viewer.request('GET', `/v2/orders/${resting.id}`)).status).toBe(200);
  expect((await viewer.request('GET', '/v2/positions')).status).toBe(200);
  expect((await viewer.request('GET', '/v2/account')).status).toBe(200);
  const refused = [
    await viewer.request<Json>('POST', '/v2/orders', {
      symbol: SYMBOL,
      qty: '1',
      side: 'buy',
      type: 'market',
      time_in_force: 'day',
    }),
    await viewer.request<Json>('PATCH', `/v2/orders/${resting.id}`, { limit_price: '41' }),
    await viewer.request<Json>('DELETE', `/v2/orders/${resting.id}`),
    await viewer.request<Json>('DELETE', '/v2/orders'),
    await viewer.request<Json>('DELETE', '/v2/positions'),
  ];
  for (const r of refused)
    expect({ status: r.status, code: r.body.code }).toEqual({ status: 403, code: 40310000 });
  expect(await trader.order(resting.id)).toMatchObject({ status: 'new', limit_price: '40' });
  // Bad key settings are 400 naming the field; nothing issued.
  const bad = await http.request<Json>('PUT', `/local/keys/${keyId}X`, {
    secret,
    account_id: accountId,
    scope: 'admin',
  });
  expect({ status: bad.status, message: bad.body.message }).toEqual({
    status: 400,
    message: expect.stringContaining('scope'),
  });
  await trader.expect(204, 'DELETE', `/v2/orders/${resting.id}`);
});

it('a bus order request is placed once however often its producer retries it; a refused one is answered with OrderRequestRejected', async () => {
  const put = (detail: unknown) => putOnBus(`stockbot.strategy.${STRATEGY}`, 'OrderRequested', detail);
  const requestId = `req-${randomUUID()}`;
  const order = {
    symbol: SYMBOL,
    qty: '2',
    side: 'buy',
    type: 'limit',
    limit_price: '41',
    time_in_force: 'day',
  };
  // The producer sends, times out and sends again: two events, one request.
  await put({ accountId, order, requestId });
  await put({ accountId, order, requestId });
  const placed = await placedAt('41');
  const refusedId = `req-${randomUUID()}`;
  await put({ accountId, order: { ...order, qty: '-1' }, requestId: refusedId });
  const answer = await eventually(async () => {
    const delivered = await http.expect<{ 'detail-type': string; source: string; detail: Json }[]>(
      200,
      'GET',
      '/local/events',
    );
    const found = delivered.find(
      (e) => e['detail-type'] === 'OrderRequestRejected' && e.detail.requestId === refusedId,
    );
    if (found === undefined) throw new Error('no answer yet');
    return found;
  }, 30_000);
  expect(answer).toMatchObject({
    source: 'stockbot.oms.intake',
    detail: { accountId, code: 'invalid_request', errors: [expect.objectContaining({ field: 'qty' })] },
  });
  // The queue is consumed in order: once the later request is answered, both retries have been
  // handled, and there is still one order.
  const after = await trader.expect<Json[]>(200, 'GET', `/v2/orders?status=all&symbols=${SYMBOL}&limit=500`);
  expect(after.filter((o) => o.limit_price === '41').map((o) => o.id)).toEqual(placed.map((o) => o.id));
  await trader.expect(204, 'DELETE', `/v2/orders/${placed[0]?.id as string}`);
});

it('a strategy places bus orders only for the accounts it is entitled to; another is answered sender_not_entitled and places nothing', async () => {
  const order = {
    symbol: SYMBOL,
    qty: '1',
    side: 'buy',
    type: 'limit',
    limit_price: '39',
    time_in_force: 'day',
  };
  const stranger = `e2e-stranger-${randomUUID().slice(0, 8)}`;
  // Entitled, but to another account only.
  await http.expect(200, 'PUT', `/local/strategies/${stranger}`, { account_ids: ['someone-else'] });
  const refusedId = `req-${randomUUID()}`;
  const unknownId = `req-${randomUUID()}`;
  const placedId = `req-${randomUUID()}`;
  await putOnBus(`stockbot.strategy.${stranger}`, 'OrderRequested', {
    accountId,
    order,
    requestId: refusedId,
  });
  await putOnBus('stockbot.strategy.nobody-at-all', 'OrderRequested', {
    accountId,
    order,
    requestId: unknownId,
  });
  await putOnBus(`stockbot.strategy.${STRATEGY}`, 'OrderRequested', {
    accountId,
    order,
    requestId: placedId,
  });
  const rejected = (requestId: string) =>
    busEvent((e) => e['detail-type'] === 'OrderRequestRejected' && e.detail.requestId === requestId);
  expect(await rejected(refusedId)).toMatchObject({
    source: 'stockbot.oms.intake',
    detail: {
      accountId,
      source: `stockbot.strategy.${stranger}`,
      code: 'sender_not_entitled',
      message: `accountId: strategy ${stranger} is not entitled to trade account ${accountId}`,
    },
  });
  expect(await rejected(unknownId)).toMatchObject({
    detail: {
      code: 'sender_not_entitled',
      message: expect.stringContaining('nobody-at-all is not entitled'),
    },
  });
  // The entitled strategy's request is placed: one order at 39, and only one.
  const placed = await placedAt('39');
  expect(placed).toHaveLength(1);
  await trader.expect(204, 'DELETE', `/v2/orders/${placed[0]?.id as string}`);
});

it('a forged execution report (2 @ 0.01 on a resting order) is refused, recorded on the bus, and the order is unchanged', async () => {
  const symbol = 'E2ETRUST';
  await http.pinQuote(symbol, { bid: '50.00', ask: '50.02', ask_size: '1000', bid_size: '1000' });
  const resting = await trader.submit({
    symbol,
    qty: '5',
    side: 'buy',
    type: 'limit',
    limit_price: '40',
    time_in_force: 'day',
  });
  await trader.untilStatus(resting.id, 'new', 30_000);
  const accepted = await busEvent((e) => e['detail-type'] === 'OrderAccepted', `?order_id=${resting.id}`);
  const venueOrderId = (accepted.detail.data as Json).venueOrderId as string;
  const venue = venueOrderId.slice(0, venueOrderId.lastIndexOf(`-${resting.id}`));
  expect(venue).not.toBe('');
  const forged = (execId: string, o: Json = {}) => ({
    venue,
    orderId: resting.id,
    venueOrderId,
    execId: `${resting.id}:${execId}`,
    execType: 'fill',
    lastQty: '2',
    lastPx: '0.01',
    cumQty: '2',
    transactTime: new Date().toISOString(),
    ...o,
  });
  // From a strategy's source: no rule takes an ExecutionReport from it (and the applier would refuse it).
  await putOnBus(`stockbot.strategy.${STRATEGY}`, 'ExecutionReport', forged('901'));
  // From the gateway's source, but naming what the venue never said.
  await putOnBus('stockbot.venue', 'ExecutionReport', forged('902', { venueOrderId: `${venueOrderId}-x` }));
  await putOnBus('stockbot.venue', 'ExecutionReport', forged('903', { venue: 'NOT-A-VENUE' }));
  const refused = (execId: string) =>
    busEvent(
      (e) => e['detail-type'] === 'ExecutionReportRefused' && e.detail.execId === `${resting.id}:${execId}`,
    );
  expect(await refused('902')).toMatchObject({
    source: 'stockbot.oms.gateway',
    detail: { orderId: resting.id, code: 'unknown_venue_order', lastQty: '2', lastPx: '0.01' },
  });
  expect(await refused('903')).toMatchObject({ detail: { code: 'wrong_venue', venue: 'NOT-A-VENUE' } });
  expect(await trader.order(resting.id)).toMatchObject({
    status: 'new',
    filled_qty: '0',
    filled_avg_price: null,
  });
  const events = await http.expect<BusEvent[]>(200, 'GET', `/local/events?order_id=${resting.id}`);
  expect(events.map((e) => e['detail-type'])).not.toContain('OrderPartiallyFilled');
  await trader.expect(204, 'DELETE', `/v2/orders/${resting.id}`);
});
