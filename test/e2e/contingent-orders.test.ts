/**
 * Contingent orders (issue 5) end to end against local mode: bracket, OTO and OCO placed over
 * HTTP, traded by the simulated venue against pinned quotes, their legs activated, resized and
 * canceled by the group coordinator (stream consumer `OrderGroupCoordinator`). Each scenario trades its own
 * symbol. See local-mode.test.ts for the harness conventions.
 */
import {
  eventually,
  expectConsistentTrail,
  type OmsHttp,
  type Order,
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

type WithLegs = Order & { readonly order_class: string; readonly legs: (Order & { type: string })[] | null };

const types = async (id: string) => (await http.auditTrail(id)).map((e) => e.type);

/**
 * A sell OCO on `symbol` quoted at `bid`/`ask`: its take-profit (the root) and its stop-loss leg,
 * both working (`new`) when it returns.
 */
async function placeOco(
  symbol: string,
  quote: { bid: string; ask: string },
  o: { qty: string; tif: string; takeProfit: string; stopLoss: string },
): Promise<{ placed: WithLegs; sl: Order }> {
  await http.pinQuote(symbol, { ...quote, ask_size: '1000', bid_size: '1000' });
  const placed = (await http.submit({
    symbol,
    qty: o.qty,
    side: 'sell',
    type: 'limit',
    time_in_force: o.tif,
    order_class: 'oco',
    take_profit: { limit_price: o.takeProfit },
    stop_loss: { stop_price: o.stopLoss },
  })) as WithLegs;
  const sl = placed.legs?.[0];
  if (sl === undefined) throw new Error('an OCO has a stop-loss leg');
  http.orders.add(sl.id);
  await http.untilStatus(placed.id, 'new');
  await http.untilStatus(sl.id, 'new');
  return { placed, sl };
}

it('bracket: legs held, activated by the entry fill, the take-profit fills and the stop-loss is canceled', async () => {
  await http.pinQuote('E2EBRK', { bid: '99.98', ask: '100.00', ask_size: '1000', bid_size: '1000' });
  const placed = (await http.submit({
    symbol: 'E2EBRK',
    qty: '10',
    side: 'buy',
    type: 'limit',
    limit_price: '99.50', // rests below the ask
    time_in_force: 'day',
    order_class: 'bracket',
    take_profit: { limit_price: '101.00' },
    stop_loss: { stop_price: '98.00' },
  })) as WithLegs;
  expect(placed.order_class).toBe('bracket');
  const [tp, sl] = placed.legs ?? [];
  if (tp === undefined || sl === undefined) throw new Error('a bracket has two legs');
  expect([tp.type, sl.type, tp.status, sl.status]).toEqual(['limit', 'stop', 'held', 'held']);
  http.orders.add(tp.id);
  http.orders.add(sl.id);
  await http.untilStatus(placed.id, 'new');
  expect((await http.order(tp.id)).status).toBe('held');

  // The ask comes down to the entry's limit: the entry fills, the legs go to work for 10.
  await http.pinQuote('E2EBRK', { bid: '99.40', ask: '99.50', ask_size: '1000', bid_size: '1000' });
  await http.untilStatus(placed.id, 'filled');
  await http.untilStatus(tp.id, 'new');
  await http.untilStatus(sl.id, 'new');

  // The bid reaches the take-profit: it fills, and the stop-loss is canceled.
  await http.pinQuote('E2EBRK', { bid: '101.00', ask: '101.02', ask_size: '1000', bid_size: '1000' });
  const tpFilled = await http.untilStatus(tp.id, 'filled');
  expect(tpFilled).toMatchObject({ filled_qty: '10', filled_avg_price: '101' });
  const slCanceled = await http.untilStatus(sl.id, 'canceled');
  expect(slCanceled.filled_qty).toBe('0');

  expect(await types(tp.id)).toEqual([
    'OrderSubmitted',
    'OrderActivated',
    'OrderRouted',
    'OrderAccepted',
    'OrderFilled',
  ]);
  const slTrail = await types(sl.id);
  expect(slTrail.slice(0, 4)).toEqual(['OrderSubmitted', 'OrderActivated', 'OrderRouted', 'OrderAccepted']);
  expect(slTrail).toContain('OrderCancelRequested');
  expect(slTrail.at(-1)).toBe('OrderCanceled');
  for (const id of [placed.id, tp.id, sl.id]) await expectConsistentTrail(http, id);

  // The root shows its legs; a nested listing folds them in.
  const root = (await http.order(placed.id)) as WithLegs;
  expect(root.legs?.map((l) => [l.id, l.status])).toEqual([
    [tp.id, 'filled'],
    [sl.id, 'canceled'],
  ]);
  const listed = await http.expect<WithLegs[]>(
    200,
    'GET',
    '/v2/orders?status=all&nested=true&symbols=E2EBRK',
  );
  expect(listed.map((o) => [o.id, o.legs?.length])).toEqual([[placed.id, 2]]);
});

it('bracket: canceling the entry before any fill cancels the held legs', async () => {
  await http.pinQuote('E2EBRC', { bid: '49.98', ask: '50.00', ask_size: '1000' });
  const placed = (await http.submit({
    symbol: 'E2EBRC',
    qty: '5',
    side: 'buy',
    type: 'limit',
    limit_price: '49.00',
    time_in_force: 'day',
    order_class: 'bracket',
    take_profit: { limit_price: '52.00' },
    stop_loss: { stop_price: '47.00', limit_price: '46.90' },
  })) as WithLegs;
  const legs = placed.legs ?? [];
  await http.untilStatus(placed.id, 'new');
  await http.cancel(placed.id);
  await http.untilStatus(placed.id, 'canceled');
  for (const leg of legs) {
    http.orders.add(leg.id);
    await http.untilStatus(leg.id, 'canceled');
    // Never at the venue: canceled straight from held.
    expect(await types(leg.id)).toEqual(['OrderSubmitted', 'OrderCanceled']);
  }
});

it('oco: both exits work at once; the stop-loss triggers and fills, the take-profit is canceled', async () => {
  const { placed, sl } = await placeOco(
    'E2EOCO',
    { bid: '30.00', ask: '30.02' },
    {
      qty: '20',
      tif: 'day',
      takeProfit: '31.00',
      stopLoss: '29.00',
    },
  );

  await http.pinQuote('E2EOCO', { bid: '28.90', ask: '28.95', last: '28.95', bid_size: '1000' });
  const slFilled = await http.untilStatus(sl.id, 'filled');
  expect(slFilled).toMatchObject({ filled_qty: '20', filled_avg_price: '28.9' });
  await http.untilStatus(placed.id, 'canceled');
  expect(await types(sl.id)).toEqual([
    'OrderSubmitted',
    'OrderRouted',
    'OrderAccepted',
    'OrderTriggered',
    'OrderFilled',
  ]);
});

it('oco: both exits filling at the same instant is recorded as an over-execution on each', async () => {
  // The bid is through the take-profit and the last through the stop: each fills on arrival.
  await http.pinQuote('E2EOVX', { bid: '41.00', ask: '41.02', last: '39.00', bid_size: '1000' });
  const placed = (await http.submit({
    symbol: 'E2EOVX',
    qty: '7',
    side: 'sell',
    type: 'limit',
    time_in_force: 'day',
    order_class: 'oco',
    take_profit: { limit_price: '40.50' },
    stop_loss: { stop_price: '40.00' },
  })) as WithLegs;
  const sl = placed.legs?.[0];
  if (sl === undefined) throw new Error('an OCO has a stop-loss leg');
  http.orders.add(sl.id);
  await http.untilStatus(placed.id, 'filled');
  await http.untilStatus(sl.id, 'filled');
  for (const id of [placed.id, sl.id]) {
    await eventually(
      async () => {
        const exceptions = (await http.auditTrail(id)).filter((e) => e.type === 'OrderExceptionRecorded');
        expect(exceptions.map((e) => [e.data.stage, e.data.error])).toEqual([
          ['contingency', 'over_execution'],
        ]);
      },
      15_000,
      () => http.explain([placed.id, sl.id]),
    );
  }
});

it('oco: DELETE of the OCO cancels both legs at once (issue 11: the stop-loss stayed live and filled)', async () => {
  const { placed, sl } = await placeOco(
    'E2EOCX',
    { bid: '50.00', ask: '50.02' },
    {
      qty: '2',
      tif: 'gtc',
      takeProfit: '52.00',
      stopLoss: '48.00',
    },
  );

  await http.cancel(placed.id);
  // The DELETE's own work: the sibling's cancel is requested when it answers.
  expect((await types(sl.id)).includes('OrderCancelRequested')).toBe(true);
  await http.untilStatus(placed.id, 'canceled');
  await http.untilStatus(sl.id, 'canceled');
  const requested = (await http.auditTrail(sl.id)).find((e) => e.type === 'OrderCancelRequested');
  expect(requested?.data).toEqual({ requestedBy: 'oms:contingency:group_canceled' });
  // The market falls through the stop afterwards: nothing sells.
  await http.pinQuote('E2EOCX', { bid: '47.00', ask: '47.02', last: '47.00', bid_size: '1000' });
  await expectConsistentTrail(http, sl.id);
  expect((await http.order(sl.id)).filled_qty).toBe('0');
});

it('oco: the take-profit is repriced like any order; the replacement is readable at once and keeps the group', async () => {
  const { placed, sl } = await placeOco(
    'E2EOCR',
    { bid: '60.00', ask: '60.02' },
    {
      qty: '3',
      tif: 'gtc',
      takeProfit: '63.00',
      stopLoss: '57.00',
    },
  );

  const replacement = await http.replace(placed.id, {
    limit_price: '62.50',
    client_order_id: `ocr-${Date.now()}`,
  });
  expect(replacement).toMatchObject({ limit_price: '62.5', order_class: 'oco', replaces: placed.id });
  // Read-after-write: by id and by client order id, right after the PATCH (was 404 for 0.2-0.6 s).
  expect(await http.order(replacement.id)).toMatchObject({ id: replacement.id, limit_price: '62.5' });
  const byCoid = await http.expect<{ id: string }>(
    200,
    'GET',
    `/v2/orders:by_client_order_id?client_order_id=${encodeURIComponent(replacement.client_order_id)}`,
  );
  expect(byCoid.id).toBe(replacement.id);
  await http.untilStatus(replacement.id, 'new');
  await http.untilStatus(placed.id, 'replaced');

  // The bid reaches the new take-profit: it fills, and the stop-loss is canceled as its sibling.
  await http.pinQuote('E2EOCR', { bid: '62.50', ask: '62.52', bid_size: '1000', ask_size: '1000' });
  await http.untilStatus(replacement.id, 'filled');
  await http.untilStatus(sl.id, 'canceled');
});
