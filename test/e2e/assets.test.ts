/**
 * The asset master end to end (issue 13), against the shared local mode: the seeded list in
 * Alpaca's shape, one asset by symbol and by id (the id its orders show as `asset_id`), the
 * operator's controls (`PUT /local/assets`, and `PUT /local/market` listing a new symbol), and
 * pre-trade risk's refusals by the asset master with nothing written.
 */
import { type OmsHttp, type Order, type SharedOms, sharedTradingDayOms } from './harness.js';

jest.setTimeout(45_000);

let oms: SharedOms;
let http: OmsHttp;

beforeAll(async () => {
  ({ oms, http } = await sharedTradingDayOms());
}, 90_000);

afterAll(async () => {
  await oms?.stop();
});

interface Asset {
  readonly id: string;
  readonly class: string;
  readonly exchange: string;
  readonly symbol: string;
  readonly status: string;
  readonly tradable: boolean;
  readonly fractionable: boolean;
  readonly shortable: boolean;
  readonly easy_to_borrow: boolean;
  readonly attributes: string[];
}
interface Refusal {
  readonly code: number;
  readonly message: string;
  readonly refusals: { rule: string; limit: string; message: string }[];
}

const ordersOf = (symbol: string) =>
  http.expect<Order[]>(200, 'GET', `/v2/orders?status=all&symbols=${symbol}`);

it("lists the seeded master in Alpaca's shape, and filters it as Alpaca does", async () => {
  const all = await http.expect<Asset[]>(200, 'GET', '/v2/assets');
  const symbols = all.map((a) => a.symbol);
  for (const s of ['AAPL', 'MSFT', 'SPY', 'TSLA', 'NVDA', 'QQQ', 'BRK.A']) expect(symbols).toContain(s);
  expect(symbols).toEqual([...symbols].sort());
  expect(all.find((a) => a.symbol === 'SPY')).toMatchObject({
    class: 'us_equity',
    exchange: 'ARCA',
    status: 'active',
    tradable: true,
    fractionable: true,
    price_increment: '0.01',
  });

  const arca = await http.expect<Asset[]>(200, 'GET', '/v2/assets?status=active&exchange=ARCA');
  expect(arca.map((a) => a.symbol)).toContain('SPY');
  expect(arca.every((a) => a.exchange === 'ARCA' && a.status === 'active')).toBe(true);
  expect(await http.expect<Asset[]>(200, 'GET', '/v2/assets?asset_class=crypto')).toEqual([]);
  const bad = await http.request('GET', '/v2/assets?status=halted');
  expect(bad).toMatchObject({
    status: 400,
    body: { code: 40010001, message: expect.stringContaining('status:') },
  });
});

it('reads one asset by symbol and by id: the id its orders show as asset_id', async () => {
  await http.pinQuote('E2EAST', { bid: '20.00', ask: '20.02' });
  const bySymbol = await http.expect<Asset>(200, 'GET', '/v2/assets/e2east');
  expect(bySymbol).toMatchObject({ symbol: 'E2EAST', tradable: true, shortable: true, fractionable: true });
  const byId = await http.expect<Asset>(200, 'GET', `/v2/assets/${bySymbol.id}`);
  expect(byId).toEqual(bySymbol);
  const order = await http.submit({
    symbol: 'E2EAST',
    qty: '1',
    side: 'buy',
    type: 'market',
    time_in_force: 'day',
  });
  expect((order as Order & { asset_id: string }).asset_id).toBe(bySymbol.id);
  await http.untilStatus(order.id, 'filled');
  // Alpaca's symbol may be the asset ID (a probe's order by id was refused as no ticker symbol).
  const byAssetId = await http.submit({
    symbol: bySymbol.id.toUpperCase(),
    qty: '2',
    side: 'buy',
    type: 'market',
    time_in_force: 'day',
  });
  expect(byAssetId).toMatchObject({ symbol: 'E2EAST', asset_id: bySymbol.id });
  await http.untilStatus(byAssetId.id, 'filled');
  expect(
    await http.request('POST', '/v2/orders', {
      symbol: '00000000-0000-4000-8000-000000000000',
      qty: '1',
      side: 'buy',
      type: 'market',
      time_in_force: 'day',
    }),
  ).toMatchObject({
    status: 422,
    body: { code: 40010001, message: expect.stringMatching(/^symbol: asset .* not found$/) },
  });
});

it('an unknown symbol: 404 as an asset, and an order for it refused by unknown_asset with nothing written', async () => {
  const symbol = 'E2EUNLISTED';
  expect(await http.request('GET', `/v2/assets/${symbol}`)).toEqual({
    status: 404,
    body: { code: 40410000, message: 'asset not found' },
  });
  expect(await http.request('GET', '/v2/assets/00000000-0000-4000-8000-000000000000')).toMatchObject({
    status: 404,
  });
  const refused = await http.request<Refusal>('POST', '/v2/orders', {
    symbol,
    qty: '1',
    side: 'buy',
    type: 'market',
    time_in_force: 'day',
    client_order_id: `e2e-unlisted-${Date.now()}`,
  });
  // Alpaca answers an unknown asset 422 40010001, not a risk 403 (a probe's bot read 403 as buying power).
  expect(refused.status).toBe(422);
  expect(refused.body).toMatchObject({
    code: 40010001,
    message: `unknown_asset: ${symbol} is not listed in the asset master`,
  });
  // The one refusal: not also no_reference_price (an unknown symbol has no quote either).
  expect(refused.body.refusals.map((r) => r.rule)).toEqual(['unknown_asset']);
  expect(await ordersOf(symbol)).toEqual([]);
  // Refusing it listed nothing and quoted nothing.
  expect((await http.request('GET', `/local/market/${symbol}`)).status).toBe(404);
  expect((await http.request('GET', `/v2/assets/${symbol}`)).status).toBe(404);
});

it('an operator lists an asset (PUT /local/assets): not fractionable, then inactive, refuse what they must', async () => {
  const symbol = 'E2EWHOLE';
  const listed = await http.expect<Asset>(200, 'PUT', `/local/assets/${symbol}`, {
    name: 'Whole Shares Corp.',
    exchange: 'NYSE',
    fractionable: false,
  });
  expect(listed).toMatchObject({ symbol, exchange: 'NYSE', fractionable: false, min_trade_increment: '1' });
  await http.pinQuote(symbol, { bid: '50.00', ask: '50.02' });
  // Pinning the quote kept the operator's flags.
  expect(await http.expect<Asset>(200, 'GET', `/v2/assets/${symbol}`)).toMatchObject({ fractionable: false });

  const order = (over: Record<string, unknown>) =>
    http.request<Refusal>('POST', '/v2/orders', {
      symbol,
      side: 'buy',
      type: 'market',
      time_in_force: 'day',
      ...over,
    });
  const fractional = await order({ qty: '1.5' });
  expect(fractional).toMatchObject({
    status: 422,
    body: {
      code: 42210000,
      message: `asset_not_fractionable: ${symbol} is not fractionable: qty 1.5 is not a whole number of shares`,
    },
  });
  const notional = await order({ notional: '100' });
  expect(notional.body.refusals.map((r) => r.rule)).toEqual(['asset_not_fractionable']);
  const whole = await http.submit({ symbol, qty: '2', side: 'buy', type: 'market', time_in_force: 'day' });
  await http.untilStatus(whole.id, 'filled');

  await http.expect(200, 'PUT', `/local/assets/${symbol}`, { status: 'inactive' });
  const inactive = await order({ qty: '3' });
  expect(inactive).toMatchObject({
    status: 422,
    body: {
      code: 42210000,
      message: `asset_not_tradable: ${symbol} is not tradable: its status is inactive`,
    },
  });
  expect(
    (await http.expect<Asset[]>(200, 'GET', '/v2/assets?status=inactive')).map((a) => a.symbol),
  ).toContain(symbol);
  // Only the whole-share order was written.
  expect((await ordersOf(symbol)).map((o) => o.id)).toEqual([whole.id]);
});
