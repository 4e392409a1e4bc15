/**
 * Short sales and day trading end to end (issue 16), through the HTTP API against the shared local
 * mode, each scenario on an account of its own:
 * - Reg SHO Rule 203(b)(1): a short of a hard-to-borrow symbol without a locate is refused; with one
 *   (POST /v1/locates, granted by the simulated borrow desk) accepted and filled, the located shares
 *   used; two concurrent shorts cannot both use the last located shares; a retried locate request
 *   (same Idempotency-Key) locates once; the wire shapes the Alpaca SDK 4.0.2's `LocatesApi` reads
 *   (`{locates, next_page_token}`, `limit_price`, `rejection_reason`, numbers for quantities,
 *   `/v1/locates/quotes`), and the unmodified SDK driving them;
 * - Rule 201: a print 10% below the previous close restricts shorts: market shorts and limits at or
 *   below the national best bid refused, a limit above it accepted;
 * - PDT (FINRA 4210, legacy mode, the local default): with equity under $25,000 the order that would
 *   make the 4th day trade in 5 business days is refused with Alpaca's message; `daytrade_count` and
 *   `pattern_day_trader` on GET /v2/account.
 */
import { randomUUID } from 'node:crypto';
import { trading } from '@alpacahq/alpaca-trade-api';
import { eventually, OmsHttp, type SharedOms, seedAccount, sharedTradingDayOms } from './harness.js';

jest.setTimeout(120_000);

type Json = Record<string, unknown>;
let oms: SharedOms;
let http: OmsHttp;

/** A symbol of its own for a test: `prefix` and four random letters (files share the market). */
const symbolOf = (prefix: string) =>
  `${prefix}${randomUUID()
    .slice(0, 4)
    .toUpperCase()
    .replace(/[^A-Z]/g, 'Q')}`;

async function trader(settings: Record<string, unknown>): Promise<OmsHttp> {
  const accountId = `e2e-shs-${randomUUID().slice(0, 8)}`;
  const keyId = `PK${randomUUID().replace(/-/g, '').slice(0, 18).toUpperCase()}`;
  const secret = randomUUID();
  await seedAccount(oms, { keyId, secret, accountId, settings });
  return new OmsHttp(oms.apiUrl, keyId, secret);
}

beforeAll(async () => {
  ({ oms, http } = await sharedTradingDayOms());
}, 90_000);

afterAll(async () => {
  await oms?.stop();
});

const HTB = 'E2EHTB';

it('a short of a hard-to-borrow symbol without a locate is refused; with one it is accepted and uses it', async () => {
  await http.pinQuote(HTB, { bid: '20.00', ask: '20.02', bid_size: '5000', ask_size: '5000' });
  await http.expect(200, 'PUT', `/local/assets/${HTB}`, { easy_to_borrow: false });
  await http.expect(200, 'PUT', `/local/borrow/${HTB}`, { available: 300 });
  const bot = await trader({ riskLimits: { maxOrdersPerSecond: 100, duplicateWindowSeconds: 0 } });
  const short = { symbol: HTB, qty: '100', side: 'sell', type: 'market', time_in_force: 'day' };

  const refused = await bot.request<Json>('POST', '/v2/orders', short);
  expect(refused.status).toBe(403);
  expect(refused.body.code).toBe(40310000);
  expect(refused.body.message).toBe(
    `locate_required: a short sale of 100 ${HTB} needs 100 shares located (17 CFR 242.203(b)(1)); the account holds 0 located for today: request a locate (POST /v1/locates)`,
  );
  expect(await bot.expect(200, 'GET', '/v2/orders?status=all')).toEqual([]);

  // Bad requests change nothing.
  const odd = await bot.request<Json>('POST', '/v1/locates', { symbol: HTB, qty: '150' });
  expect([odd.status, odd.body.message]).toEqual([
    400,
    'qty: must be in round lots of 100 shares, got "150"',
  ]);
  // Each message names its field once (a JSON 1e400 is Infinity: no finite number, like null).
  for (const [body, message] of [
    [{ symbol: HTB, qty: null }, 'qty: must be a decimal string or number'],
    [{ symbol: HTB }, 'qty: is required'],
    [{ symbol: '1X', qty: '100' }, 'symbol: must be a ticker symbol'],
    [{ symbol: HTB, qty: '100', lots: 1 }, 'lots: is not a known field'],
    [
      { symbol: HTB, qty: '100', limit_price: '-0.01' },
      'limit_price: must be a non-negative decimal string (the most to pay per share, USD), got "-0.01"',
    ],
  ] as const) {
    const bad = await bot.request<Json>('POST', '/v1/locates', body);
    expect([bad.status, bad.body.message]).toEqual([400, message]);
  }
  await http.pinQuote('E2EETB', { bid: '20.00', ask: '20.02' });
  const etb = await bot.request<Json>('POST', '/v1/locates', { symbol: 'E2EETB', qty: '100' });
  expect([etb.status, etb.body.message]).toEqual([
    422,
    'symbol: E2EETB is easy to borrow; its short sales need no locate',
  ]);

  const locate = await bot.expect<Json>(200, 'POST', '/v1/locates', { symbol: HTB, qty: '100' });
  expect(locate).toMatchObject({
    symbol: HTB,
    status: 'active',
    requested_qty: 100,
    located_qty: 100,
    used_qty: 0,
    limit_price: null,
    located_price: '0',
    total_fee: '0',
  });
  expect(await http.expect(200, 'GET', `/local/borrow/${HTB}`)).toEqual({ symbol: HTB, available: 200 });

  const placed = await bot.submit(short);
  await bot.untilStatus(placed.id, 'filled', 30_000);
  const used = await bot.expect<Json>(200, 'GET', `/v1/locates/${locate.id}`);
  expect(used).toMatchObject({ status: 'active', located_qty: 100, used_qty: 100 });
  await eventually(async () => {
    const p = await bot.request<Json>('GET', `/v2/positions/${HTB}`);
    if (p.body.qty !== '-100') throw new Error(`position ${JSON.stringify(p.body)}`);
  }, 30_000);

  // The located shares are used: one more share short is refused again.
  const again = await bot.request<Json>('POST', '/v2/orders', { ...short, qty: '1' });
  expect(again.status).toBe(403);
  expect(String(again.body.message)).toMatch(/^locate_required: /);
});

it('two concurrent shorts cannot both use the last located shares', async () => {
  const bot = await trader({ riskLimits: { maxOrdersPerSecond: 100, duplicateWindowSeconds: 0 } });
  await http.expect(200, 'PUT', `/local/borrow/${HTB}`, { available: 100 });
  await bot.expect(200, 'POST', '/v1/locates', { symbol: HTB, qty: '100' });
  const answers = await Promise.all(
    ['20.50', '20.60', '20.70'].map((limit) =>
      bot.request<Json>('POST', '/v2/orders', {
        symbol: HTB,
        qty: '100',
        side: 'sell',
        type: 'limit',
        limit_price: limit,
        time_in_force: 'day',
      }),
    ),
  );
  expect(answers.map((a) => a.status).sort()).toEqual([200, 403, 403]);
  for (const a of answers.filter((x) => x.status === 403))
    expect(String(a.body.message)).toMatch(/^locate_required: /);
  const {
    locates: [listed],
  } = await bot.expect<{ locates: Json[] }>(200, 'GET', `/v1/locates?symbol=${HTB}`);
  expect(listed).toMatchObject({ located_qty: 100, used_qty: 100 });
  // A filter that is no ticker (a hostile probe's empty `?symbol=` listed nothing, 200) is a 400.
  for (const q of ['symbol=', 'symbol=%24%24']) {
    const bad = await bot.request<Json>('GET', `/v1/locates?${q}`);
    expect([bad.status, bad.body.message]).toEqual([400, 'symbol: must be a ticker symbol']);
  }
  const winner = answers.find((a) => a.status === 200)?.body as { id: string };
  await bot.cancel(winner.id);
});

it('a retried locate request (same Idempotency-Key) locates once', async () => {
  const accountId = `e2e-shs-${randomUUID().slice(0, 8)}`;
  const keyId = `PK${randomUUID().replace(/-/g, '').slice(0, 18).toUpperCase()}`;
  const secret = randomUUID();
  await seedAccount(oms, { keyId, secret, accountId, settings: {} });
  await http.expect(200, 'PUT', `/local/borrow/${HTB}`, { available: 1000 });
  const post = async (body: Json) => {
    const res = await fetch(`${oms.apiUrl}/v1/locates`, {
      method: 'POST',
      headers: {
        'APCA-API-KEY-ID': keyId,
        'APCA-API-SECRET-KEY': secret,
        'content-type': 'application/json',
        'Idempotency-Key': 'retry-1',
      },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const first = await post({ symbol: HTB, qty: '200' });
  const retry = await post({ symbol: HTB, qty: '200' });
  expect([first.status, retry.status]).toEqual([200, 200]);
  expect(retry.body.id).toBe(first.body.id);
  expect(await http.expect(200, 'GET', `/local/borrow/${HTB}`)).toEqual({ symbol: HTB, available: 800 });
  const other = await post({ symbol: HTB, qty: '300' });
  expect([other.status, other.body.message]).toEqual([
    422,
    'Idempotency-Key: already used for another locate request',
  ]);
  const listed = await new OmsHttp(oms.apiUrl, keyId, secret).expect<Json>(200, 'GET', '/v1/locates');
  expect(listed).toEqual({ locates: [first.body], next_page_token: null });
});

it('the wire shapes the Alpaca SDK 4.0.2 LocatesApi reads: list, limit_price, rejection, quotes', async () => {
  const SYM = 'E2ELQ';
  await http.pinQuote(SYM, { bid: '20.00', ask: '20.02' });
  await http.expect(200, 'PUT', `/local/assets/${SYM}`, { easy_to_borrow: false });
  await http.expect(200, 'PUT', `/local/borrow/${SYM}`, { available: 300 });
  const bot = await trader({});

  // POST with the SDK's body (snake_case, limit_price a decimal string).
  const first = await bot.expect<Json>(200, 'POST', '/v1/locates', {
    symbol: SYM,
    qty: 200,
    all_or_none: false,
    limit_price: '0.05',
  });
  expect(first).toEqual({
    id: expect.any(String),
    symbol: SYM,
    status: 'active',
    requested_qty: 200,
    located_qty: 200,
    used_qty: 0,
    all_or_none: false,
    limit_price: '0.05',
    located_price: '0',
    total_fee: '0',
    trading_day: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
    created_at: expect.any(String),
    expires_at: expect.any(String),
  });
  // All or none of 200 with 100 left: rejected, Alpaca's rejection_reason, no price or fee.
  const second = await bot.expect<Json>(200, 'POST', '/v1/locates', {
    symbol: SYM,
    qty: 200,
    all_or_none: true,
  });
  expect(second).toMatchObject({
    status: 'rejected',
    requested_qty: 200,
    located_qty: 0,
    limit_price: null,
    rejection_reason: `only 100 of 200 ${SYM} shares available to borrow (all_or_none)`,
  });
  for (const field of ['located_price', 'total_fee', 'reject_reason'])
    expect(second).not.toHaveProperty(field);

  // The list: {locates, next_page_token}, newest first, paged by the token.
  const page1 = await bot.expect<Json>(200, 'GET', `/v1/locates?limit=1&symbol=${SYM}`);
  expect(page1).toEqual({ locates: [second], next_page_token: second.id });
  const page2 = await bot.expect<Json>(
    200,
    'GET',
    `/v1/locates?limit=1&symbol=${SYM}&page_token=${second.id}`,
  );
  expect(page2).toEqual({ locates: [first], next_page_token: null });
  const day = String(first.trading_day);
  const rejected = await bot.expect<Json>(200, 'GET', `/v1/locates?status=rejected&start=${day}&end=${day}`);
  expect(rejected).toEqual({ locates: [second], next_page_token: null });
  for (const [q, message] of [
    [
      'page_size=1',
      'page_size: is not a parameter of this route (it takes page_token, limit, status, symbol, start, end)',
    ],
    ['page_token=nope', 'page_token: is not a next_page_token of this account\'s locates, got "nope"'],
    ['limit=501', 'limit: must be a whole number from 1 to 500, got "501"'],
  ]) {
    const bad = await bot.request<Json>('GET', `/v1/locates?${q}`);
    expect([bad.status, bad.body.code, bad.body.message]).toEqual([400, 40010001, message]);
  }

  // Quotes: the route is not read as a locate id.
  await http.pinQuote('E2EETB', { bid: '20.00', ask: '20.02' });
  const quotes = await bot.expect<Json>(200, 'GET', `/v1/locates/quotes?symbols=${SYM},E2EETB,E2ENOPE`);
  expect(quotes).toEqual({
    quotes: [{ symbol: SYM, available_qty: 100, price: '0', quoted_at: expect.any(String) }],
    errors: [
      {
        symbol: 'E2EETB',
        code: 'easy_to_borrow',
        message: 'E2EETB is easy to borrow; its short sales need no locate',
      },
      { symbol: 'E2ENOPE', code: 'symbol_not_found', message: 'E2ENOPE is not listed in the asset master' },
    ],
  });
});

it('the unmodified Alpaca SDK 4.0.2 (trading.LocatesApi) creates, lists, reads and quotes locates', async () => {
  const SYM = 'E2ESDKL';
  await http.pinQuote(SYM, { bid: '20.00', ask: '20.02' });
  await http.expect(200, 'PUT', `/local/assets/${SYM}`, { easy_to_borrow: false });
  await http.expect(200, 'PUT', `/local/borrow/${SYM}`, { available: 500 });
  const accountId = `e2e-shs-${randomUUID().slice(0, 8)}`;
  const keyId = `PK${randomUUID().replace(/-/g, '').slice(0, 18).toUpperCase()}`;
  const secret = randomUUID();
  await seedAccount(oms, { keyId, secret, accountId, settings: {} });
  const api = new trading.LocatesApi(
    new trading.Configuration({
      basePath: oms.apiUrl,
      apiKey: (name: string) => (name === 'APCA-API-KEY-ID' ? keyId : secret),
    }),
  );

  const created = await api.createLocates({
    createLocateRequest: { symbol: SYM, qty: 300, allOrNone: false, limitPrice: '0.02' },
  });
  expect(created).toMatchObject({
    symbol: SYM,
    status: 'active',
    requestedQty: 300,
    locatedQty: 300,
    limitPrice: '0.02',
    locatedPrice: '0',
    totalFee: '0',
  });
  expect(created.createdAt.getTime()).toBeGreaterThan(0);
  expect(created.expiresAt?.getTime()).toBeGreaterThan(created.createdAt.getTime());
  const refused = await api.createLocates({
    createLocateRequest: { symbol: SYM, qty: 300, allOrNone: true },
  });
  expect(refused).toMatchObject({ status: 'rejected', locatedQty: 0 });
  expect(refused.rejectionReason).toMatch(/^only 200 of 300 /);

  const listed = await api.listLocates({ symbol: SYM, limit: 1 });
  expect(listed.locates.map((l) => l.id)).toEqual([refused.id]);
  expect(listed.nextPageToken).toBe(refused.id);
  const rest = await api.listLocates({ symbol: SYM, limit: 1, pageToken: listed.nextPageToken ?? '' });
  expect([rest.locates.map((l) => l.id), rest.nextPageToken]).toEqual([[created.id], null]);
  const active = await api.listLocates({ status: 'active' });
  expect(active.locates.map((l) => l.id)).toEqual([created.id]);

  expect(await api.getLocate({ locateId: created.id })).toEqual(created);

  const quotes = await api.listLocateQuotes({ symbols: `${SYM},E2ENOPE` });
  expect(quotes.quotes).toEqual([{ symbol: SYM, availableQty: 200, price: '0', quotedAt: expect.any(Date) }]);
  expect(quotes.errors).toEqual([
    { symbol: 'E2ENOPE', code: 'symbol_not_found', message: 'E2ENOPE is not listed in the asset master' },
  ]);
});

it('Rule 201: after a print 10% below the previous close, shorts must price above the national best bid', async () => {
  const SSR = 'E2ESSR';
  await http.pinQuote(SSR, {
    bid: '88.90',
    ask: '89.00',
    last: '89.00',
    prev_close: '100',
    bid_size: '5000',
    ask_size: '5000',
  });
  const market = await http.expect<Json>(200, 'GET', `/local/market/${SSR}`);
  expect(typeof market.ssrTriggeredOn).toBe('string');
  expect(typeof market.ssrUntil).toBe('string');
  const bot = await trader({ riskLimits: { maxOrdersPerSecond: 100, duplicateWindowSeconds: 0 } });
  const short = { symbol: SSR, qty: '10', side: 'sell', time_in_force: 'day' };

  const atMarket = await bot.request<Json>('POST', '/v2/orders', { ...short, type: 'market' });
  expect(atMarket.status).toBe(403);
  expect(String(atMarket.body.message)).toMatch(
    /^short_sale_restriction: a short sale restriction is in effect .*: a market short sale would execute at or below the national best bid/,
  );
  const atBid = await bot.request<Json>('POST', '/v2/orders', {
    ...short,
    type: 'limit',
    limit_price: '88.90',
  });
  expect(atBid.status).toBe(403);
  expect(String(atBid.body.message)).toMatch(/limit price 88.9 is at or below the national best bid 88.9$/);

  const above = await bot.submit({ ...short, type: 'limit', limit_price: '88.95' });
  await bot.untilStatus(above.id, 'new', 30_000);
  await bot.cancel(above.id);
  await bot.untilStatus(above.id, 'canceled', 30_000);

  // A long sale is no short sale: the restriction does not touch it, market or not.
  const bought = await bot.submit({
    symbol: SSR,
    qty: '5',
    side: 'buy',
    type: 'market',
    time_in_force: 'day',
  });
  await bot.untilStatus(bought.id, 'filled', 30_000);
  await eventually(async () => {
    const p = await bot.request<Json>('GET', `/v2/positions/${SSR}`);
    if (p.body.qty !== '5') throw new Error(`position ${JSON.stringify(p.body)}`);
  }, 30_000);
  const sold = await bot.submit({
    symbol: SSR,
    qty: '5',
    side: 'sell',
    type: 'market',
    time_in_force: 'day',
  });
  await bot.untilStatus(sold.id, 'filled', 30_000);
});

it('PDT (legacy FINRA 4210): under $25,000 the 4th day trade in 5 business days is refused with Alpaca’s message', async () => {
  const PDT = 'E2EPDT';
  await http.pinQuote(PDT, { bid: '10.00', ask: '10.01', bid_size: '5000', ask_size: '5000' });
  const bot = await trader({
    cash: '20000',
    multiplier: '2',
    riskLimits: { maxOrdersPerSecond: 100, duplicateWindowSeconds: 0 },
  });
  const order = (side: 'buy' | 'sell') => ({
    symbol: PDT,
    qty: '1',
    side,
    type: 'market',
    time_in_force: 'day',
  });
  const fill = async (side: 'buy' | 'sell') =>
    bot.untilStatus((await bot.submit(order(side))).id, 'filled', 30_000);
  const account = () => bot.expect<Json>(200, 'GET', '/v2/account');

  for (let trade = 1; trade <= 3; trade++) {
    await fill('buy');
    await fill('sell');
    await eventually(async () => {
      const a = await account();
      if (a.daytrade_count !== trade) throw new Error(`daytrade_count ${a.daytrade_count}, want ${trade}`);
    }, 30_000);
  }
  expect((await account()).pattern_day_trader).toBe(false);

  await fill('buy');
  await eventually(async () => {
    const p = await bot.request<Json>('GET', `/v2/positions/${PDT}`);
    if (p.body.qty !== '1') throw new Error(`position ${JSON.stringify(p.body)}`);
  }, 30_000);
  const refused = await bot.request<Json>('POST', '/v2/orders', order('sell'));
  expect(refused.status).toBe(403);
  expect(refused.body.code).toBe(40310000);
  expect(refused.body.message).toBe('trade denied due to pattern day trading protection');
  // Adding to the position is no day trade: allowed.
  await fill('buy');
  expect((await account()).daytrade_count).toBe(3);
});

// A probe (the Alpaca SDK, December 2026): long 4 behind an OTO's stop-loss of 4, a limit sell of 2
// was accepted marked short (sell_to_open), filled first, and the stop (marked long) then sold 4 of
// the 2 left: the account short 2, two shares sold short under a long mark (Reg SHO 200(g)). Alpaca
// refuses such a sell: a long is not sold through into a short, nor past what its other sells hold.
it("a sell of a long whose shares an OTO's stop-loss holds, or past the long, is refused with Alpaca's insufficient qty; from flat it sells short", async () => {
  const S = symbolOf('E2ELS');
  await http.pinQuote(S, { bid: '99.99', ask: '100.01', last: '100.00', prev_close: '100.00' });
  const bot = await trader({ riskLimits: { maxOrdersPerSecond: 100, duplicateWindowSeconds: 0 } });
  const oto = await bot.submit({
    symbol: S,
    qty: '4',
    side: 'buy',
    type: 'market',
    time_in_force: 'gtc',
    order_class: 'oto',
    stop_loss: { stop_price: '97' },
  });
  await bot.untilStatus(oto.id, 'filled', 30_000);
  await eventually(async () => {
    const p = (await bot.request<Json>('GET', `/v2/positions/${S}`)).body;
    expect([p.qty, p.qty_available]).toEqual(['4', '0']);
  }, 30_000);
  const sell = { symbol: S, side: 'sell', type: 'limit', limit_price: '104', time_in_force: 'gtc' };
  for (const [qty, available] of [
    ['2', '0'],
    ['6', '0'],
  ]) {
    const refused = await bot.request<Json>('POST', '/v2/orders', { ...sell, qty });
    expect([refused.status, refused.body.code, refused.body.message]).toEqual([
      403,
      40310000,
      `insufficient qty available for order (requested: ${qty}, available: ${available})`,
    ]);
  }
  // Nothing was placed: the stop-loss alone holds the long.
  const open = (await bot.request<Json[]>('GET', `/v2/orders?status=open&symbols=${S}`)).body;
  expect(open.map((o) => [o.side, o.qty, o.type])).toEqual([['sell', '4', 'stop']]);

  // The stop canceled, the long is available: a sell past it still does not go short in one order.
  await bot.cancel(String(open[0]?.id));
  await bot.untilStatus(String(open[0]?.id), 'canceled', 30_000);
  await eventually(async () => {
    const through = await bot.request<Json>('POST', '/v2/orders', { ...sell, qty: '5' });
    expect([through.status, through.body.message]).toEqual([
      403,
      'insufficient qty available for order (requested: 5, available: 4)',
    ]);
  }, 30_000);
  const closed = await bot.request<Json>('DELETE', `/v2/positions/${S}`);
  expect(closed.status).toBe(200);
  await bot.untilStatus(String(closed.body.id), 'filled', 30_000);
  await eventually(
    async () => expect((await bot.request('GET', `/v2/positions/${S}`)).status).toBe(404),
    30_000,
  );
  // Flat: a sell is a short sale, marked so.
  const short = await bot.submit({ ...sell, qty: '2' });
  expect((short as unknown as Json).position_intent).toBe('sell_to_open');
  await bot.cancel(short.id);
  await bot.untilStatus(short.id, 'canceled', 30_000);
});

// Alpaca's staff (alpaca-trade-api-python#129): a long is not sold into a short in one order, "the
// same is true for going from a short position to a long one". A probe's buy of more than its short
// was accepted, marked buy_to_close, and left the account long.
it("a buy past a short is refused with Alpaca's insufficient qty; the whole short is covered", async () => {
  const S = symbolOf('E2ESC');
  await http.pinQuote(S, { bid: '99.99', ask: '100.01', last: '100.00', prev_close: '100.00' });
  const bot = await trader({ riskLimits: { maxOrdersPerSecond: 100, duplicateWindowSeconds: 0 } });
  const short = await bot.submit({ symbol: S, qty: '3', side: 'sell', type: 'market', time_in_force: 'day' });
  await bot.untilStatus(short.id, 'filled', 30_000);
  await eventually(async () => {
    const p = (await bot.request<Json>('GET', `/v2/positions/${S}`)).body;
    expect([p.qty, p.side]).toEqual(['-3', 'short']);
  }, 30_000);
  const buy = { symbol: S, side: 'buy', type: 'market', time_in_force: 'day' };
  const through = await bot.request<Json>('POST', '/v2/orders', { ...buy, qty: '4' });
  expect([through.status, through.body.code, through.body.message]).toEqual([
    403,
    40310000,
    'insufficient qty available for order (requested: 4, available: 3)',
  ]);
  const cover = await bot.submit({ ...buy, qty: '3' });
  expect((cover as unknown as Json).position_intent).toBe('buy_to_close');
  await bot.untilStatus(cover.id, 'filled', 30_000);
  await eventually(
    async () => expect((await bot.request('GET', `/v2/positions/${S}`)).status).toBe(404),
    30_000,
  );
});

// Reg SHO Rule 200(g): a sale is marked long only for shares the seller owns. A PATCH raising a
// sell of a long past the long kept the order's sell_to_close, and the CAT export (which marks SS
// from sell_to_open) would have reported the short part as a long sale. Since December 2026 a long
// is not sold into a short in one order (Alpaca's insufficient qty; core risk `short_sale`): such a
// PATCH is refused and the order works on as it was.
it('a PATCH raising a sell past the long is refused with Alpaca insufficient qty, the order unchanged; one within the long stays sell_to_close', async () => {
  const S = symbolOf('E2EPI');
  await http.pinQuote(S, { bid: '50.00', ask: '50.02', last: '50.01', bid_size: '5000', ask_size: '5000' });
  const bot = await trader({ riskLimits: { maxOrdersPerSecond: 100, duplicateWindowSeconds: 0 } });
  const intent = (o: unknown) => (o as Json).position_intent;
  const bought = await bot.submit({
    symbol: S,
    qty: '10',
    side: 'buy',
    type: 'market',
    time_in_force: 'day',
  });
  await bot.untilStatus(bought.id, 'filled', 30_000);
  await eventually(
    async () => expect((await bot.request<Json>('GET', `/v2/positions/${S}`)).body.qty).toBe('10'),
    30_000,
  );
  const resting = { symbol: S, side: 'sell', type: 'limit', limit_price: '60', time_in_force: 'day' };
  const sell = await bot.submit({ ...resting, qty: '5' });
  expect(intent(sell)).toBe('sell_to_close');
  await bot.untilStatus(sell.id, 'new', 30_000);

  const within = await bot.replace(sell.id, { qty: '8' });
  expect(intent(within)).toBe('sell_to_close');
  expect(intent(await bot.untilStatus(within.id, 'new', 30_000))).toBe('sell_to_close');

  const past = await bot.request<Json>('PATCH', `/v2/orders/${within.id}`, { qty: '15' });
  expect([past.status, past.body.code, past.body.message]).toEqual([
    403,
    40310000,
    'insufficient qty available for order (requested: 15, available: 10)',
  ]);
  expect(await bot.order(within.id)).toMatchObject({
    status: 'new',
    qty: '8',
    position_intent: 'sell_to_close',
  });
  await bot.cancel(within.id);
  await bot.untilStatus(within.id, 'canceled', 30_000);
});
