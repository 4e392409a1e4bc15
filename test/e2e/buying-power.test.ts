/**
 * Buying power under concurrent orders, end to end: through the HTTP API, the placing transaction,
 * the order workflow, the venue, the event store's stream, the position keeper and the projector
 * (core buying-power-claims.ts). A probe's ten concurrent market buys on $102K of cash each read
 * the same buying power and no open orders (the read model a stream hop behind) and together
 * spent $285K. One cash account of its own, so nothing else moves its numbers.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { openBuysPk } from '../../lambdas/orders/buying-power-reservations.js';
import {
  CASH_10K,
  eventually,
  freshSymbol,
  newAccountClient,
  type OmsHttp,
  type SharedOms,
  sharedTradingDayOms,
  withLocalDynamo,
} from './harness.js';

jest.setTimeout(120_000);

let oms: SharedOms;
let http: OmsHttp;
let trader: OmsHttp;
const accountId = `e2e-bp-${randomUUID().slice(0, 8)}`;
const symbol = (tag: string) => freshSymbol('E2EBP', tag);

beforeAll(async () => {
  ({ oms, http } = await sharedTradingDayOms());
  trader = await newAccountClient(oms, accountId, CASH_10K);
}, 90_000);

afterAll(async () => {
  await oms?.stop();
});

type Json = Record<string, unknown>;

/** What the account's open buys reserve (`open-buys#<accountId>`), in cents: 0 once every order is done. */
async function reservedCents(account: string): Promise<number> {
  const out = await withLocalDynamo(oms, (doc) =>
    doc.send(
      new GetCommand({
        TableName: oms.accountsTable,
        Key: { pk: openBuysPk(account) },
        ConsistentRead: true,
      }),
    ),
  );
  // What the claims placed hold, less what their executions gave back (buying-power-reservations.ts).
  return Number(out.Item?.cents ?? 0) - Number(out.Item?.released ?? 0);
}
const account = (client = trader) => client.expect<Json>(200, 'GET', '/v2/account');
/** Until the open listing shows the orders (DELETE /v2/orders cancels what it lists: README). */
async function untilListedOpen(client: OmsHttp, ids: readonly string[]): Promise<void> {
  await eventually(async () => {
    const open = await client.expect<{ id: string }[]>(200, 'GET', '/v2/orders?status=open&limit=500');
    const missing = ids.filter((id) => !open.some((o) => o.id === id));
    if (missing.length > 0) throw new Error(`not listed open yet: ${missing.join(', ')}`);
  }, 30_000);
}

/** A margin account of $10,000 (2x: $20,000 of buying power) that may sell short; repeats allowed. */
const newMarginAccount = (tag: string) =>
  newAccountClient(oms, `e2e-bp${tag}-${randomUUID().slice(0, 8)}`, {
    cash: '10000',
    multiplier: '2',
    shortingEnabled: true,
    riskLimits: { maxOrdersPerSecond: 100, duplicateWindowSeconds: null },
  });
/** Cancels the account's resting orders (once listed: DELETE /v2/orders cancels what it lists). */
async function cancelResting(client: OmsHttp, orders: readonly { id: string }[]): Promise<void> {
  await untilListedOpen(
    client,
    orders.map((o) => o.id),
  );
  await client.expect(207, 'DELETE', '/v2/orders');
  for (const o of orders) await client.untilStatus(o.id, 'canceled', 30_000);
}
/** Closes the position (DELETE /v2/positions/{symbol}) and waits for its order to fill. */
async function closePosition(client: OmsHttp, symbol: string): Promise<void> {
  const close = await client.expect<{ id: string }>(200, 'DELETE', `/v2/positions/${symbol}`);
  client.orders.add(close.id);
  await client.untilStatus(close.id, 'filled', 30_000);
}

/** A day limit buy at 95 (the quote is pinned at 100: it rests). */
const restingBuy = (symbol: string, qty: string) => ({
  symbol,
  qty,
  side: 'buy',
  type: 'limit',
  limit_price: '95',
  time_in_force: 'day',
});

/** Places the order, or throws (for `eventually`: a claim given back a moment later). */
async function placedOrThrow(order: Json): Promise<{ id: string }> {
  const a = await trader.request<Json>('POST', '/v2/orders', order);
  if (a.status !== 200) throw new Error(`${a.status} ${JSON.stringify(a.body)}`);
  return a.body as { id: string };
}

it('ten concurrent buys of $2,700 on $10,000 of buying power: exactly three are placed, the rest refused 403 naming buying_power; canceling one frees its share; fills spend exactly what they reserved', async () => {
  const S = symbol('A');
  await http.pinQuote(S, { bid: '99.99', ask: '100.00', last: '100.00' });
  // Resting limit buys (30 at 90, the ask at 100): each reserves 2,700 and none fills.
  const buy = { symbol: S, qty: '30', side: 'buy', type: 'limit', limit_price: '90', time_in_force: 'day' };
  const answers = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      trader.request<Json>('POST', '/v2/orders', { ...buy, client_order_id: `bp-${accountId}-${i}` }),
    ),
  );
  const placed = answers.filter((a) => a.status === 200).map((a) => a.body as { id: string });
  const refused = answers.filter((a) => a.status !== 200);
  expect(placed).toHaveLength(3);
  for (const r of refused) {
    expect(r.status).toBe(403);
    // Alpaca's words at the top (bots match on them), the rule's own in refusals.
    expect((r.body as Json).message).toBe('insufficient buying power');
    expect(String(((r.body as Json).refusals as Json[])[0]?.message)).toMatch(
      /buying_power: order notional 2700 plus open buy orders/,
    );
  }
  for (const p of placed) trader.orders.add(p.id);

  // Canceling one gives its 2,700 back (once its cancel is projected): a fourth fits again, a fifth not.
  const [first] = placed as [{ id: string }];
  await trader.cancel(first.id);
  await trader.untilStatus(first.id, 'canceled');
  const fourth = await eventually(() => placedOrThrow(buy), 30_000);
  trader.orders.add(fourth.id);
  const fifth = await trader.request<Json>('POST', '/v2/orders', buy);
  expect(fifth.status).toBe(403);

  // The three resting buys fill at 90 (the market comes down to them): 8,100 spent, 1,900 of cash
  // left, and nothing reserved any more: a buy of exactly 1,900 fits, one of 1,900.01 does not.
  await http.pinQuote(S, { bid: '89.99', ask: '90.00', last: '90.00' });
  const open = [...placed.slice(1), fourth];
  for (const o of open) await trader.untilStatus(o.id, 'filled', 30_000);
  await eventually(async () => expect((await account()).cash).toBe('1900'), 30_000);
  const S2 = symbol('B');
  await http.pinQuote(S2, { bid: '18.99', ask: '19.00', last: '19.00' });
  const resting = (qty: string, price: string) => ({
    symbol: S2,
    qty,
    side: 'buy',
    type: 'limit',
    limit_price: price,
    time_in_force: 'day',
  });
  const tooMuch = await trader.request<Json>('POST', '/v2/orders', resting('1', '1900.01'));
  expect(tooMuch.status).toBe(403);
  const exact = await eventually(() => placedOrThrow(resting('100', '10')), 30_000);
  trader.orders.add(exact.id);
  const exactTwo = await trader.request<Json>('POST', '/v2/orders', resting('90', '10'));
  expect(exactTwo.status).toBe(200);
  trader.orders.add((exactTwo.body as { id: string }).id);
  const over = await trader.request<Json>('POST', '/v2/orders', resting('1', '0.01'));
  expect(over.status).toBe(403);
  // The two resting buys hold 1,900 between them; canceled, nothing is reserved any more (no leak).
  expect(await reservedCents(accountId)).toBe(190_000);
  await untilListedOpen(trader, [exact.id, (exactTwo.body as { id: string }).id]);
  await trader.expect(207, 'DELETE', '/v2/orders');
  await eventually(async () => expect(await reservedCents(accountId)).toBe(0), 30_000);
});

it('ten concurrent market buys of $2,500 on $10,000 of cash: exactly four are placed and filled, the cash ends at 0, never below', async () => {
  const bot = await newAccountClient(oms, `${accountId}-m`, CASH_10K);
  const S = symbol('C');
  await http.pinQuote(S, { bid: '9.99', ask: '10.00', last: '10.00' });
  const answers = await Promise.all(
    Array.from({ length: 10 }, () =>
      bot.request<Json>('POST', '/v2/orders', {
        symbol: S,
        qty: '250',
        side: 'buy',
        type: 'market',
        time_in_force: 'day',
      }),
    ),
  );
  const placed = answers.filter((a) => a.status === 200).map((a) => (a.body as { id: string }).id);
  expect(answers.filter((a) => a.status !== 200).map((a) => a.status)).toEqual([
    403, 403, 403, 403, 403, 403,
  ]);
  expect(placed).toHaveLength(4);
  for (const id of placed) {
    bot.orders.add(id);
    await bot.untilStatus(id, 'filled', 30_000);
  }
  await eventually(async () => expect((await account(bot)).cash).toBe('0'), 30_000);
  // Their fills gave every claim back with their cost.
  expect(await reservedCents(`${accountId}-m`)).toBe(0);
});

it("a buy the router splits across venues gives its claim back at the split; its children's fills spend the cash; nothing stays reserved", async () => {
  const splitAccount = `${accountId}-s`;
  const bot = await newAccountClient(oms, splitAccount, {
    cash: '50000',
    multiplier: '1',
    shortingEnabled: false,
  });
  const S = symbol('D');
  // Larger than the deepest venue shows (300): split over the venues (test/e2e/routing.test.ts).
  await http.pinQuote(S, { bid: '80.00', ask: '80.02', ask_size: '300', bid_size: '300' });
  const placed = await bot.submit({
    symbol: S,
    qty: '500',
    side: 'buy',
    type: 'market',
    time_in_force: 'day',
  });
  await bot.untilStatus(placed.id, 'filled', 30_000);
  const routed = (await bot.auditTrail(placed.id)).find((e) => e.type === 'OrderRouted');
  expect((routed?.data as { allocations: unknown[] } | undefined)?.allocations.length).toBeGreaterThan(1);
  await eventually(async () => expect((await account(bot)).cash).toBe('9990'), 30_000);
  await eventually(async () => expect(await reservedCents(splitAccount)).toBe(0), 30_000);
});

it('a PATCH that raises a resting buy is counted at its new terms (a later buy that no longer fits is refused); one that lowers it frees the difference', async () => {
  const bot = await newAccountClient(oms, `${accountId}-r`, CASH_10K);
  const S = symbol('E');
  await http.pinQuote(S, { bid: '99.99', ask: '100.00', last: '100.00' });
  const resting = (qty: string) => restingBuy(S, qty);
  const placed = await bot.submit(resting('10'));
  await bot.untilStatus(placed.id, 'new');
  // 10 -> 100 at 95: 9,500 of the 10,000; a buy of 90 at 95 (8,550) no longer fits.
  const raised = await bot.replace(placed.id, { qty: '100' });
  await bot.untilStatus(raised.id, 'new');
  const refused = await bot.request<Json>('POST', '/v2/orders', resting('90'));
  expect(refused.status).toBe(403);
  expect((refused.body as Json).message).toBe('insufficient buying power');
  // 100 -> 10: 950 held; the same buy fits (once the replaced order's claim is given back).
  const lowered = await bot.replace(raised.id, { qty: '10' });
  await bot.untilStatus(lowered.id, 'new');
  const fits = await eventually(async () => {
    const a = await bot.request<Json>('POST', '/v2/orders', resting('90'));
    if (a.status !== 200) throw new Error(`${a.status} ${JSON.stringify(a.body)}`);
    return a.body as { id: string };
  }, 30_000);
  bot.orders.add(fits.id);
  await untilListedOpen(bot, [lowered.id, fits.id]);
  await bot.expect(207, 'DELETE', '/v2/orders');
  await eventually(async () => expect(await reservedCents(`${accountId}-r`)).toBe(0), 30_000);
});

it("a buy placed while the venue still works a PATCH raising an order counts the new terms (the PATCH claimed them): refused; the claim is the replacement's once confirmed; nothing stays reserved", async () => {
  const acct = `${accountId}-p`;
  const bot = await newAccountClient(oms, acct, CASH_10K);
  const S = symbol('P');
  await http.pinQuote(S, { bid: '99.99', ask: '100.00', last: '100.00' });
  const resting = (qty: string) => restingBuy(S, qty);
  const placed = await bot.submit(resting('10'));
  await bot.untilStatus(placed.id, 'new');
  // The venue answers the replace 2 s later: the buy below is placed while it works it.
  await http.venue({ latency_ms: 2000 });
  let raised: { id: string };
  try {
    // 10 -> 100 at 95: 9,500 of the 10,000. Before the fix the buy saw only the 950 of the old
    // terms until the replacement opened, and 90 at 95 (8,550) was placed: 18,050 on 10,000.
    raised = await bot.replace(placed.id, { qty: '100' });
    const refused = await bot.request<Json>('POST', '/v2/orders', resting('90'));
    expect(refused.status).toBe(403);
    expect((refused.body as Json).message).toBe('insufficient buying power');
  } finally {
    await http.venue({ latency_ms: 0 });
  }
  await bot.untilStatus(raised.id, 'new');
  // Confirmed: the order's own 950 given back, the replacement holds the 9,500 its PATCH claimed.
  await eventually(async () => expect(await reservedCents(acct)).toBe(950_000), 30_000);
  await untilListedOpen(bot, [raised.id]);
  await bot.expect(207, 'DELETE', '/v2/orders');
  await eventually(async () => expect(await reservedCents(acct)).toBe(0), 30_000);
});

it('a PATCH raising an order and a buy sent at the same moment that do not fit together: one passes, the other is refused 403 buying_power (ten rounds)', async () => {
  const acct = `${accountId}-c`;
  const bot = await newAccountClient(oms, acct, CASH_10K);
  const S = symbol('C');
  await http.pinQuote(S, { bid: '99.99', ask: '100.00', last: '100.00' });
  const resting = (qty: string) => restingBuy(S, qty);
  for (let round = 0; round < 10; round++) {
    const placed = await bot.submit(resting('10'));
    await bot.untilStatus(placed.id, 'new');
    // 10 -> 100 (9,500) and a buy of 90 (8,550): each fits alone (with the 950 of the order).
    const [patch, buy] = await Promise.all([
      bot.request<Json>('PATCH', `/v2/orders/${placed.id}`, { qty: '100' }),
      bot.request<Json>('POST', '/v2/orders', resting('90')),
    ]);
    expect([patch.status, buy.status].sort()).toEqual([200, 403]);
    const refused = patch.status === 403 ? patch : buy;
    expect((refused.body as Json).message).toBe('insufficient buying power');
    const working = [patch, buy].flatMap((r) => (r.status === 200 ? [(r.body as { id: string }).id] : []));
    for (const id of working) {
      bot.orders.add(id);
      await bot.untilStatus(id, 'new');
    }
    await untilListedOpen(bot, working);
    await bot.expect(207, 'DELETE', '/v2/orders');
    await eventually(async () => expect(await reservedCents(acct)).toBe(0), 30_000);
  }
});

it('a sell placed while the venue works a PATCH raising a resting sell counts the new qty: an account that may not sell short never ends short', async () => {
  const acct = `${accountId}-q`;
  const bot = await newAccountClient(oms, acct, CASH_10K);
  const S = symbol('Q');
  await http.pinQuote(S, { bid: '9.99', ask: '10.00', last: '10.00' });
  await bot.holdLong(S, '50');
  const resting = await bot.submit({
    symbol: S,
    qty: '10',
    side: 'sell',
    type: 'limit',
    limit_price: '12',
    time_in_force: 'day',
  });
  await bot.untilStatus(resting.id, 'new', 30_000);
  await untilListedOpen(bot, [resting.id]);
  // The venue answers the replace 5 s later (the most a venue control allows): the sell of 40 is
  // placed while it works it.
  await http.venue({ latency_ms: 5000 });
  let raised: { id: string };
  let sell: { status: number; body: Json };
  try {
    raised = await bot.replace(resting.id, { qty: '30' });
    // Either may still execute: 30 of the 50 are held (qty_available 20 once the request is
    // projected), so 40 more would be a short sale. Before the fix only the 10 of the old terms
    // counted (qty_available stayed 40) and the sell filled: the account ended at -20.
    // (Seen while the replace is still pending: once confirmed, the replacement's own 30 count.)
    await eventually(async () => {
      const [p, original] = await Promise.all([
        bot.request<Json>('GET', `/v2/positions/${S}`),
        bot.expect<Json>(200, 'GET', `/v2/orders/${resting.id}`),
      ]);
      expect([p.body.qty_available, original.status === 'replaced']).toEqual(['20', false]);
    }, 30_000);
    sell = await bot.request<Json>('POST', '/v2/orders', {
      symbol: S,
      qty: '40',
      side: 'sell',
      type: 'market',
      time_in_force: 'day',
    });
  } finally {
    await http.venue({ latency_ms: 0 });
  }
  expect(sell.status).toBe(403);
  expect(String(sell.body.message)).toMatch(/^insufficient qty available for order /);
  expect(String((sell.body.refusals as Json[])[0]?.message)).toMatch(/short_sale/);
  // The replacement fills its 30 at 12.50: 20 left, not -20.
  await bot.untilStatus(raised.id, 'new', 30_000);
  await http.pinQuote(S, { bid: '12.50', ask: '12.51', last: '12.50' });
  await bot.untilStatus(raised.id, 'filled', 30_000);
  await eventually(async () => {
    const p = await bot.request<Json>('GET', `/v2/positions/${S}`);
    expect(p.body.qty).toBe('20');
  }, 30_000);
});

it('a PATCH raising a resting sell right after another sell was placed counts that sell: refused 403 short_sale, never short', async () => {
  const acct = `${accountId}-w`;
  const bot = await newAccountClient(oms, acct, CASH_10K);
  const S = symbol('W');
  await http.pinQuote(S, { bid: '9.99', ask: '10.00', last: '10.00' });
  await bot.holdLong(S, '50');
  const restingSell = (qty: string) => ({
    symbol: S,
    qty,
    side: 'sell',
    type: 'limit',
    limit_price: '12',
    time_in_force: 'day',
  });
  const first = await bot.submit(restingSell('10'));
  // Accepted by the venue (a PATCH of an order still pending_new is 422), and listed.
  await bot.untilStatus(first.id, 'new', 30_000);
  await untilListedOpen(bot, [first.id]);
  // 30 more, and at once the first raised to 30: 60 on a position of 50.
  const second = await bot.submit(restingSell('30'));
  const raised = await bot.request<Json>('PATCH', `/v2/orders/${first.id}`, { qty: '30' });
  expect(raised.status).toBe(403);
  expect(String(raised.body.message)).toMatch(/^insufficient qty available for order /);
  expect(String((raised.body.refusals as Json[])[0]?.message)).toMatch(/short_sale/);
  await bot.untilStatus(second.id, 'new', 30_000);
  await untilListedOpen(bot, [first.id, second.id]);
  await bot.expect(207, 'DELETE', '/v2/orders');
  await bot.untilStatus(first.id, 'canceled', 30_000);
  await bot.untilStatus(second.id, 'canceled', 30_000);
});

it('a PATCH raising a resting sell the moment a market sell is answered counts that sell (a replace is not re-checked later): refused, never short (three rounds)', async () => {
  for (let round = 0; round < 3; round++) {
    // An account and a symbol per round (the rounds' sells would be day trades: PDT).
    const bot = await newAccountClient(oms, `${accountId}-x${round}`, CASH_10K);
    const S = symbol('X');
    await http.pinQuote(S, { bid: '9.99', ask: '10.00', last: '10.00' });
    const position = async () => {
      const p = await bot.request<Json>('GET', `/v2/positions/${S}`);
      return p.status === 404 ? '0' : String(p.body.qty);
    };
    await bot.holdLong(S, '50');
    const resting = await bot.submit({
      symbol: S,
      qty: '10',
      side: 'sell',
      type: 'limit',
      limit_price: '12',
      time_in_force: 'day',
    });
    // Accepted by the venue (a PATCH of an order still pending_new is 422), and listed.
    await bot.untilStatus(resting.id, 'new', 30_000);
    await untilListedOpen(bot, [resting.id]);
    // 40 sold at market, and at once the resting 10 raised to 30: 70 on 50. A probe: both passed
    // (the sell not yet in the listing nor in the ledger) and the account ended at -20, 5 of 5.
    const sold = await bot.submit({
      symbol: S,
      qty: '40',
      side: 'sell',
      type: 'market',
      time_in_force: 'day',
    });
    const raised = await bot.request<Json>('PATCH', `/v2/orders/${resting.id}`, { qty: '30' });
    expect(raised.status).toBe(403);
    expect(String(raised.body.message)).toMatch(/^insufficient qty available for order /);
    expect(String((raised.body.refusals as Json[])[0]?.message)).toMatch(/short_sale/);
    await bot.untilStatus(sold.id, 'filled', 30_000);
    // The resting 10 sells at 12: flat, never short.
    await http.pinQuote(S, { bid: '12.50', ask: '12.51', last: '12.50' });
    await bot.untilStatus(resting.id, 'filled', 30_000);
    await eventually(async () => expect(await position()).toBe('0'), 30_000);
  }
});

it("GET /v2/account's buying_power counts an open buy stop as its claim does (at its stop, not the market): what it shows fits, more is refused", async () => {
  const acct = `${accountId}-v`;
  const bot = await newAccountClient(oms, acct, CASH_10K);
  const S = symbol('V');
  await http.pinQuote(S, { bid: '99.99', ask: '100.00', last: '100.00' });
  // 50 stopping at 110 with the market at 100: 5,500 reserved (a probe: the account showed 5,000
  // of room while the claim held 5,500, and a buy within what it showed was refused).
  const stop = await bot.submit({
    symbol: S,
    qty: '50',
    side: 'buy',
    type: 'stop',
    stop_price: '110',
    time_in_force: 'day',
  });
  await eventually(async () => expect((await account(bot)).buying_power).toBe('4500'), 30_000);
  const refused = await bot.request<Json>('POST', '/v2/orders', {
    ...restingBuy(S, '50'),
    limit_price: '90.01',
  });
  expect(refused.status).toBe(403);
  expect(refused.body.message).toBe('insufficient buying power');
  const fits = await bot.submit({ ...restingBuy(S, '50'), limit_price: '90' });
  await untilListedOpen(bot, [stop.id, fits.id]);
  await bot.expect(207, 'DELETE', '/v2/orders');
  await eventually(async () => expect(await reservedCents(acct)).toBe(0), 30_000);
});

it('a bracket buy on an account that may not sell short: once the entry fills, its exits work (they close what it opened), neither is rejected', async () => {
  const bot = await newAccountClient(oms, `${accountId}-b`, CASH_10K);
  const S = symbol('F');
  await http.pinQuote(S, { bid: '99.99', ask: '100.00', last: '100.00' });
  const entry = await bot.submit({
    symbol: S,
    qty: '7',
    side: 'buy',
    type: 'limit',
    limit_price: '100',
    time_in_force: 'gtc',
    order_class: 'bracket',
    take_profit: { limit_price: '130' },
    stop_loss: { stop_price: '70' },
  });
  await bot.untilStatus(entry.id, 'filled', 30_000);
  // Working: the take-profit at the venue (`new`), the stop-loss armed at the OMS (shown `held`, as
  // Alpaca shows a bracket's stop-loss; its trail says armed). Neither rejected.
  await eventually(async () => {
    const o = await bot.expect<Json>(200, 'GET', `/v2/orders/${entry.id}?nested=true`);
    const legs = (o.legs ?? []) as { id: string; status: string; type: string }[];
    const [tp, sl] = [legs.find((l) => l.type === 'limit'), legs.find((l) => l.type === 'stop')];
    if (tp === undefined || sl === undefined) throw new Error(`legs ${JSON.stringify(legs)}`);
    for (const leg of legs) bot.orders.add(leg.id);
    expect([tp.status, sl.status]).toEqual(['new', 'held']);
    expect((await bot.auditTrail(sl.id)).map((e) => e.type)).toContain('OrderArmed');
  }, 30_000);
});

// Prices an order trades at (core held-shares.ts): a market buy fills at the ask, a notional sell at
// the bid, and an open notional sell holds shares (a probe: cash -395; a no-short account short).
it('a market buy is valued at the ask it fills at: what does not fit at the ask is refused, and cash never goes below zero', async () => {
  const bot = await newAccountClient(oms, `${accountId}-k`, CASH_10K);
  const S = symbol('K');
  // A wide spread: last 100, ask 105. 99 at the ask is 10,395 (a probe: accepted, cash -395).
  await http.pinQuote(S, { bid: '95.00', ask: '105.00', last: '100.00' });
  const refused = await bot.request<Json>('POST', '/v2/orders', {
    symbol: S,
    qty: '99',
    side: 'buy',
    type: 'market',
    time_in_force: 'day',
  });
  expect(refused.status).toBe(403);
  expect(refused.body).toMatchObject({ message: 'insufficient buying power', cost_basis: '10395' });
  expect(String((refused.body.refusals as Json[])[0]?.message)).toMatch(/buying_power: order notional 10395/);
  const fits = await bot.submit({ symbol: S, qty: '95', side: 'buy', type: 'market', time_in_force: 'day' });
  await bot.untilStatus(fits.id, 'filled', 30_000);
  await eventually(async () => expect(Number((await account(bot)).cash)).toBeGreaterThanOrEqual(0), 30_000);
  await eventually(async () => expect(await reservedCents(`${accountId}-k`)).toBe(0), 30_000);
});

it('notional sells on an account that may not sell short: sized at the bid, an open one holds its shares (qty_available), and two at once never leave it short', async () => {
  for (let round = 0; round < 2; round++) {
    const acct = `${accountId}-n${round}`;
    const bot = await newAccountClient(oms, acct, CASH_10K);
    const S = symbol('N');
    await http.pinQuote(S, { bid: '99.99', ask: '100.00', last: '100.00' });
    const position = async () => {
      const p = await bot.request<Json>('GET', `/v2/positions/${S}`);
      return p.status === 404
        ? { qty: '0', qty_available: '0' }
        : (p.body as { qty: string; qty_available: string });
    };
    await bot.holdLong(S, '50');
    // The whole position's worth at the last trade is more than it holds at the bid (5000 / 99.99).
    const whole = await bot.request<Json>('POST', '/v2/orders', {
      symbol: S,
      notional: '5000',
      side: 'sell',
      type: 'market',
      time_in_force: 'day',
    });
    expect(whole.status).toBe(403);
    expect(String(whole.body.message)).toMatch(/^insufficient qty available for order /);
    expect(String((whole.body.refusals as Json[])[0]?.message)).toMatch(/short_sale: sell of 50.005000501/);
    if (round === 0) {
      // An open notional sell (the venues answer 3 s later) holds its shares: 3000 / 99.99 = 30.003...
      const venues = ['SIMX', 'SIMY', 'SIMZ'];
      let open: { id: string };
      try {
        for (const v of venues) await http.venue({ latency_ms: 3000 }, v);
        open = await bot.submit({
          symbol: S,
          notional: '3000',
          side: 'sell',
          type: 'market',
          time_in_force: 'day',
        });
        await untilListedOpen(bot, [open.id]);
        // qty_available counts the open sells the read model's open index lists: a stream hop after
        // the listing, which reads the orders of the minute as they are now (CI: 50 at first). The
        // next sell's own check counts it at once (below: refused).
        await eventually(async () => expect((await position()).qty_available).toBe('19.996999699'), 15_000);
        const more = await bot.request<Json>('POST', '/v2/orders', {
          symbol: S,
          qty: '20',
          side: 'sell',
          type: 'market',
          time_in_force: 'day',
        });
        expect(more.status).toBe(403);
        expect(String(more.body.message)).toMatch(/^insufficient qty available for order /);
        expect(String((more.body.refusals as Json[])[0]?.message)).toMatch(/short_sale/);
      } finally {
        for (const v of venues) await http.venue({ latency_ms: 0 }, v);
      }
      await bot.untilStatus(open.id, 'filled', 30_000);
    } else {
      // Two notional market sells at once, 3000 and 3001 (60 shares' worth on 50): never short.
      const sells = await Promise.all(
        ['3000', '3001'].map((notional) =>
          bot.request<Json>('POST', '/v2/orders', {
            symbol: S,
            notional,
            side: 'sell',
            type: 'market',
            time_in_force: 'day',
          }),
        ),
      );
      for (const s of sells)
        if (s.status === 200) {
          const id = String(s.body.id);
          await eventually(async () => {
            const o = await bot.expect<Json>(200, 'GET', `/v2/orders/${id}`);
            expect(['filled', 'rejected', 'canceled']).toContain(o.status);
          }, 30_000);
        }
    }
    // Settled: never short.
    await eventually(async () => {
      const open = await bot.expect<Json[]>(200, 'GET', '/v2/orders?status=open');
      expect(open).toHaveLength(0);
    }, 30_000);
    expect(Number((await position()).qty)).toBeGreaterThanOrEqual(0);
  }
});

// Alpaca, "Buying Power" (docs.alpaca.markets/docs/orders-at-alpaca): an opening short sale takes
// buying power at MAX(limit, 3% above the ask) x qty; a buy to cover takes none. A probe's four
// sells of 900 with no position on $19.8k of buying power were all placed (and filled: short $262k
// on $9.9k of equity), and the account at buying power 0 could not close its short (403).
it('short sales take buying power, race-free: ten concurrent resting shorts of $3,300 on a margin account place exactly what fits; a short that fills leaves buying power near 0, and closing it is not refused', async () => {
  const margin = await newMarginAccount('s');
  const buyingPower = Number((await account(margin)).buying_power);
  expect(buyingPower).toBeGreaterThan(3300);
  const S = symbol('S');
  await http.pinQuote(S, { bid: '99.98', ask: '100.02', last: '100.00' });
  // Resting above the market: each is valued at its limit, 30 x 110 = 3,300 (above 3% over the ask).
  const short = {
    symbol: S,
    qty: '30',
    side: 'sell',
    type: 'limit',
    limit_price: '110',
    time_in_force: 'day',
  };
  const answers = await Promise.all(
    Array.from({ length: 10 }, () => margin.request<Json>('POST', '/v2/orders', short)),
  );
  const placed = answers.filter((a) => a.status === 200).map((a) => a.body as { id: string });
  expect(placed).toHaveLength(Math.min(10, Math.floor(buyingPower / 3300)));
  for (const r of answers.filter((a) => a.status !== 200)) {
    expect([r.status, (r.body as Json).message]).toEqual([403, 'insufficient buying power']);
  }
  for (const p of placed) margin.orders.add(p.id);
  await cancelResting(margin, placed);

  // A market short that fits fills; what it leaves (its margin) is all but spent.
  const qty = Math.floor(buyingPower / 103.0206 / 1.02);
  const sold = await eventually(async () => {
    const a = await margin.request<Json>('POST', '/v2/orders', {
      symbol: S,
      qty: String(qty),
      side: 'sell',
      type: 'market',
      time_in_force: 'day',
    });
    if (a.status !== 200) throw new Error(`${a.status} ${JSON.stringify(a.body)}`);
    return a.body as { id: string };
  }, 30_000);
  margin.orders.add(sold.id);
  await margin.untilStatus(sold.id, 'filled', 30_000);
  await eventually(
    async () => expect(Number((await account(margin)).buying_power)).toBeLessThan(3300),
    30_000,
  );
  // More short is refused; closing the short (a buy to cover of its whole notional) is not.
  const more = await margin.request<Json>('POST', '/v2/orders', { ...short, qty: '31' });
  expect(more.status).toBe(403);
  // Covers sent at once: one covers the short, free; the others would open a long and are refused
  // (a probe's five were all placed and left the account long 400). Resting at 95, then canceled.
  const cover = {
    symbol: S,
    qty: String(qty),
    side: 'buy',
    type: 'limit',
    limit_price: '95',
    time_in_force: 'day',
  };
  const covers = await Promise.all(
    Array.from({ length: 5 }, () => margin.request<Json>('POST', '/v2/orders', cover)),
  );
  const covering = covers.filter((a) => a.status === 200).map((a) => a.body as { id: string });
  expect(covers.map((a) => a.status).sort()).toEqual([200, 403, 403, 403, 403]);
  for (const c of covering) margin.orders.add(c.id);
  await cancelResting(margin, covering);
  await closePosition(margin, S);
  await eventually(
    async () => expect(await margin.request('GET', `/v2/positions/${S}`)).toMatchObject({ status: 404 }),
    30_000,
  );
});

it('sells of a long sent at once count its shares once: one sells the long free, the others would open a short beyond the buying power and are refused (a probe: four sells of 100 on a long of 100 were all placed, short 300 at buying power 0)', async () => {
  const margin = await newMarginAccount('l');
  const S = symbol('L');
  await http.pinQuote(S, { bid: '99.98', ask: '100.02', last: '100.00' });
  const qty = String(Math.floor(Number((await account(margin)).buying_power) / 100.02 / 1.05));
  const bought = await margin.submit({ symbol: S, qty, side: 'buy', type: 'market', time_in_force: 'day' });
  await margin.untilStatus(bought.id, 'filled', 30_000);
  await eventually(
    async () => expect(Number((await account(margin)).buying_power)).toBeLessThan(2500),
    30_000,
  );
  // Resting above the market: the long part is free, a short part of `qty` x 110 does not fit.
  const sell = { symbol: S, qty, side: 'sell', type: 'limit', limit_price: '110', time_in_force: 'day' };
  const sells = await Promise.all(
    Array.from({ length: 4 }, () => margin.request<Json>('POST', '/v2/orders', sell)),
  );
  expect(sells.map((a) => a.status).sort()).toEqual([200, 403, 403, 403]);
  const placed = sells.filter((a) => a.status === 200).map((a) => a.body as { id: string });
  for (const p of placed) margin.orders.add(p.id);
  await cancelResting(margin, placed);
  await closePosition(margin, S);
});
