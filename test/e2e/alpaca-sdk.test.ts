/**
 * The unmodified Alpaca TypeScript SDK (`@alpacahq/alpaca-trade-api` 4.x, `trading.Configuration`
 * with `basePath` pointed at local mode) against the shared local mode (issue 13): the endpoints the
 * OMS serves besides orders, read the way a bot reads them. The SDK parses every answer with its
 * own models (dates become `Date`s, a missing required field is an error), so a field out of
 * Alpaca's shape fails here.
 */
import { randomUUID } from 'node:crypto';
import { trading } from '@alpacahq/alpaca-trade-api';
import { alpacaAccountId } from '../../lambdas/core/index.js';
import { eventually, OmsHttp, type SharedOms, seedAccount, sharedTradingDayOms } from './harness.js';

jest.setTimeout(45_000);

let oms: SharedOms;
let http: OmsHttp;
let config: trading.Configuration;

beforeAll(async () => {
  ({ oms, http } = await sharedTradingDayOms());
  config = new trading.Configuration({
    basePath: oms.apiUrl,
    apiKey: (name: string) => (name === 'APCA-API-KEY-ID' ? oms.apiKeyId : oms.apiSecretKey),
  });
}, 90_000);

afterAll(async () => {
  await oms?.stop();
});

/** `HH:MM` of an instant in New York. */
const newYorkClock = (t: Date) =>
  new Intl.DateTimeFormat('en-GB', {
    timeZone: 'America/New_York',
    hour: '2-digit',
    minute: '2-digit',
  }).format(t);
const newYorkDay = (t: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: 'America/New_York' }).format(t);

it('the clock and the calendar agree with each other and with the deployment (sessions every day here), at any time of day', async () => {
  const before = Date.now();
  const clock = await new trading.ClockApi(config).legacyClock();
  expect(clock.timestamp.getTime()).toBeGreaterThanOrEqual(before - 1000);
  expect(clock.timestamp.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
  // Open means inside a session, from an open to its close: the next close comes before the next
  // open exactly then (whether it is depends on the time of day the suite runs: the shared local
  // mode opens at 09:30 New York and closes 12 hours after it started).
  expect(clock.nextClose.getTime()).toBeGreaterThan(clock.timestamp.getTime());
  expect(clock.nextOpen.getTime()).toBeGreaterThan(clock.timestamp.getTime());
  expect(clock.isOpen).toBe(clock.nextOpen.getTime() > clock.nextClose.getTime());

  // The calendar row of the next close's day says the same close.
  const day = newYorkDay(clock.nextClose);
  const days = await new trading.CalendarApi(config).legacyCalendar({
    start: new Date(`${day}T00:00:00Z`),
    end: new Date(`${day}T00:00:00Z`),
  });
  expect(days).toHaveLength(1);
  expect(days[0]?.date.toISOString().slice(0, 10)).toBe(day);
  expect(days[0]?.close).toBe(newYorkClock(clock.nextClose));
  expect(days[0]?.sessionOpen).toBe('0400');
  expect(days[0]?.settlementDate.getTime()).toBeGreaterThan(days[0]?.date.getTime() ?? Number.NaN);
});

it('the calendar over a range: every session day of the deployment (every day here), in order', async () => {
  const days = await new trading.CalendarApi(config).legacyCalendar({
    start: new Date('2026-11-25T00:00:00Z'),
    end: new Date('2026-11-30T00:00:00Z'),
  });
  expect(days.map((d) => d.date.toISOString().slice(0, 10))).toEqual([
    '2026-11-25',
    '2026-11-26',
    '2026-11-27',
    '2026-11-28',
    '2026-11-29',
    '2026-11-30',
  ]);
  // T+1: the next session day.
  expect(days[0]?.settlementDate.toISOString().slice(0, 10)).toBe('2026-11-26');
});

it('refusals: a bad query is a 400 naming it, an unknown key a 401 (the SDK raises them)', async () => {
  const bad = await http.request('GET', '/v2/calendar?start=2026-02-30');
  expect(bad.status).toBe(400);
  expect(bad.body).toMatchObject({ code: 40010001, message: expect.stringContaining('start:') });

  const stranger = new trading.Configuration({ basePath: oms.apiUrl, apiKey: () => 'nobody' });
  await expect(new trading.ClockApi(stranger).legacyClock()).rejects.toMatchObject({
    response: expect.objectContaining({ status: 401 }),
  });
});

it('the account, positions, activities and closing positions, through the SDK (issue 13)', async () => {
  // An account of its own, so closing all positions closes only what this test opened.
  const accountId = `e2e-sdk-${randomUUID().slice(0, 8)}`;
  const keyId = `PK${randomUUID().replace(/-/g, '').slice(0, 18).toUpperCase()}`;
  const secret = randomUUID();
  await seedAccount(oms, { keyId, secret, accountId, settings: { cash: '50000', multiplier: '2' } });
  const own = new trading.Configuration({
    basePath: oms.apiUrl,
    apiKey: (name: string) => (name === 'APCA-API-KEY-ID' ? keyId : secret),
  });
  const trader = new OmsHttp(oms.apiUrl, keyId, secret);
  const symbols = ['E2ESDKA', 'E2ESDKB'];
  for (const symbol of symbols) {
    await http.pinQuote(symbol, { bid: '49.99', ask: '50.00', last: '50.00', prev_close: '48' });
    const o = await trader.submit({ symbol, qty: '4', side: 'buy', type: 'market', time_in_force: 'day' });
    await trader.untilStatus(o.id, 'filled');
  }
  const positionsApi = new trading.PositionsApi(own);
  // Read on the fills, with no wait: they are in the positions (README "A position right after its
  // fill").
  const positions = await positionsApi.getAllOpenPositions();
  expect(positions.map((p) => p.symbol)).toEqual(symbols);
  expect(positions[0]).toMatchObject({ qty: '4', avgEntryPrice: '50', costBasis: '200', lastdayPrice: '48' });
  const one = await positionsApi.getOpenPosition({ symbolOrAssetId: positions[0]?.assetId as string });
  expect(one.symbol).toBe('E2ESDKA');

  const account = await new trading.AccountsApi(own).getAccount();
  expect(account).toMatchObject({
    id: alpacaAccountId(accountId),
    status: 'ACTIVE',
    cash: '49600',
    multiplier: '2',
  });
  expect(account.createdAt).toBeInstanceOf(Date);

  const fills = await new trading.AccountActivitiesApi(own).getAccountActivitiesByActivityType({
    activityType: 'FILL',
  });
  expect(fills.map((f) => f.symbol)).toEqual([...symbols].reverse());
  const listed = await new trading.AccountActivitiesApi(own).getAccountActivities({
    activityTypes: ['FILL'],
  });
  expect(listed.map((f) => [f.activityType, f.symbol, f.qty, f.price])).toEqual([
    ['FILL', 'E2ESDKB', '4', '50'],
    ['FILL', 'E2ESDKA', '4', '50'],
  ]);
  expect(listed[0]?.transactionTime).toBeInstanceOf(Date);

  // Half of one position, then everything.
  const half = await positionsApi.deleteOpenPosition({ symbolOrAssetId: 'E2ESDKA', percentage: 50 });
  expect(half).toMatchObject({ symbol: 'E2ESDKA', qty: '2', side: 'sell' });
  await trader.untilStatus(half.id as string, 'filled');
  expect((await positionsApi.getOpenPosition({ symbolOrAssetId: 'E2ESDKA' })).qty).toBe('2');
  const closed = await positionsApi.deleteAllOpenPositions({ cancelOrders: true });
  expect(closed.map((c) => [c.symbol, c.status])).toEqual([
    ['E2ESDKA', 200],
    ['E2ESDKB', 200],
  ]);
  for (const c of closed) await trader.untilStatus(c.body?.id as string, 'filled');
  await eventually(async () => expect(await positionsApi.getAllOpenPositions()).toEqual([]), 20_000);
});

it('the order listing shows an order as POST answered it, a replaced one by its replacement, and a canceled one as canceled, at once (a probe: 7 of 8 just placed missing from status=open, 5 of 8 just canceled still listed open)', async () => {
  const S = 'E2ESDKL';
  await http.pinQuote(S, { bid: '49.99', ask: '50.00', last: '50.00' });
  const orders = new trading.OrdersApi(config);
  const ids = async (status: 'open' | 'closed') =>
    (await orders.getAllOrders({ status, symbols: S, limit: 500 })).map((o) => [o.id, o.status]);
  for (let round = 0; round < 5; round++) {
    // Another price each round: not a twin of the last (the duplicate rule).
    const placed = await http.submit({
      symbol: S,
      qty: '1',
      side: 'buy',
      type: 'limit',
      limit_price: String(40 + round),
      time_in_force: 'day',
    });
    expect((await ids('open')).map(([id]) => id)).toContain(placed.id);
    // Replaced: the replacement is listed as PATCH answered it, before the venue opens it (a probe:
    // missing from status=open for about 1.5 s, 4 of 4), and by itself once the original is replaced.
    await http.untilStatus(placed.id, 'new');
    const replacement = await http.replace(placed.id, { limit_price: String(30 + round) });
    expect((await ids('open')).map(([id]) => id)).toContain(replacement.id);
    await http.untilStatus(placed.id, 'replaced');
    const open = (await ids('open')).map(([id]) => id);
    expect([open.includes(replacement.id), open.includes(placed.id)]).toEqual([true, false]);
    await http.expect(204, 'DELETE', `/v2/orders/${replacement.id}`);
    await http.untilStatus(replacement.id, 'canceled');
    expect((await ids('open')).map(([id]) => id)).not.toContain(replacement.id);
    expect(await ids('closed')).toEqual(
      expect.arrayContaining([
        [replacement.id, 'canceled'],
        [placed.id, 'replaced'],
      ]),
    );
  }
});

it('paging the listing by order cursors (SDK 4 afterOrderId / beforeOrderId), each order once, in order; asset_class', async () => {
  // A probe: the cursors were ignored, so a paging loop got its first page again, every time.
  const S = 'E2ESDKP';
  await http.pinQuote(S, { bid: '49.99', ask: '50.00', last: '50.00' });
  const orders = new trading.OrdersApi(config);
  const placed: string[] = [];
  // At once: several may share a millisecond, which a cursor by time (`until`) could not page past.
  const submitted = await Promise.all(
    [0, 1, 2, 3, 4, 5, 6].map((i) =>
      http.submit({
        symbol: S,
        qty: '1',
        side: 'buy',
        type: 'limit',
        limit_price: String(30 + i),
        time_in_force: 'day',
      }),
    ),
  );
  for (const o of submitted) placed.push(o.id);
  const all = await eventually(async () => {
    const listed = await orders.getAllOrders({ status: 'all', symbols: S, limit: 500, direction: 'asc' });
    if (listed.length < placed.length) throw new Error(`listed ${listed.length} of ${placed.length}`);
    return listed.map((o) => o.id as string);
  }, 20_000);
  expect([...all].sort()).toEqual([...placed].sort());
  const walk = async (direction: 'asc' | 'desc') => {
    const seen: string[] = [];
    for (let page = 0; page < 10; page++) {
      const last = seen.at(-1);
      const cursor =
        last === undefined ? {} : direction === 'asc' ? { afterOrderId: last } : { beforeOrderId: last };
      const next = await orders.getAllOrders({ status: 'all', symbols: S, limit: 2, direction, ...cursor });
      if (next.length === 0) break;
      seen.push(...next.map((o) => o.id as string));
    }
    return seen;
  };
  expect(await walk('asc')).toEqual(all);
  expect(await walk('desc')).toEqual([...all].reverse());
  expect(await orders.getAllOrders({ status: 'all', symbols: S, assetClass: ['crypto'] })).toEqual([]);
  expect(
    await orders.getAllOrders({ status: 'all', symbols: S, assetClass: ['us_equity'], limit: 500 }),
  ).toHaveLength(placed.length);
  for (const id of placed) await http.expect(204, 'DELETE', `/v2/orders/${id}`);
});

it('assets: the list, one by symbol and by id, through the SDK (its models parse every asset)', async () => {
  const api = new trading.AssetsApi(config);
  const all = await api.getV2Assets();
  expect(all.length).toBeGreaterThan(10);
  const spy = all.find((a) => a.symbol === 'SPY');
  expect(spy).toMatchObject({
    _class: 'us_equity',
    exchange: 'ARCA',
    status: 'active',
    tradable: true,
    fractionable: true,
    shortable: true,
    easyToBorrow: true,
    minTradeIncrement: '0.000000001',
    priceIncrement: '0.01',
  });

  const filtered = await api.getV2Assets({ status: 'active', exchange: 'NYSE', attributes: ['has_options'] });
  expect(filtered.length).toBeGreaterThan(0);
  for (const a of filtered) {
    expect(a.exchange).toBe('NYSE');
    expect(a.attributes).toContain('has_options');
  }

  const brk = await api.getV2AssetsSymbolOrAssetId({ symbolOrAssetId: 'BRK.A' });
  expect(brk).toMatchObject({ symbol: 'BRK.A', fractionable: false, minOrderSize: '1' });
  expect(await api.getV2AssetsSymbolOrAssetId({ symbolOrAssetId: brk.id })).toEqual(brk);
  await expect(api.getV2AssetsSymbolOrAssetId({ symbolOrAssetId: 'E2ESDKNOSUCH' })).rejects.toMatchObject({
    response: expect.objectContaining({ status: 404 }),
  });
});

it('the account configurations through the SDK: suspend_trade, fractional_trading and max_margin_multiplier take effect on the next order', async () => {
  const accountId = `e2e-cfg-${randomUUID().slice(0, 8)}`;
  const keyId = `PK${randomUUID().replace(/-/g, '').slice(0, 18).toUpperCase()}`;
  const secret = randomUUID();
  await seedAccount(oms, { keyId, secret, accountId, settings: { cash: '10000', multiplier: '2' } });
  const own = new trading.Configuration({
    basePath: oms.apiUrl,
    apiKey: (name: string) => (name === 'APCA-API-KEY-ID' ? keyId : secret),
  });
  const trader = new OmsHttp(oms.apiUrl, keyId, secret);
  const configs = new trading.AccountConfigurationsApi(own);
  await http.pinQuote('E2ECFG', { bid: '9.99', ask: '10.00', last: '10.00' });
  const buy = (qty: string) => ({ symbol: 'E2ECFG', qty, side: 'buy', type: 'market', time_in_force: 'day' });

  expect(await configs.getAccountConfig()).toMatchObject({
    suspendTrade: false,
    noShorting: false,
    fractionalTrading: true,
    maxMarginMultiplier: '4',
    tradeConfirmEmail: 'all',
  });
  // Suspended: the next order is refused, the account shows it; a PATCH sends only what is set.
  expect(await configs.patchAccountConfig({ accountConfigurations: { suspendTrade: true } })).toMatchObject({
    suspendTrade: true,
    fractionalTrading: true,
  });
  expect((await new trading.AccountsApi(own).getAccount()).tradingBlocked).toBe(true);
  const suspended = await trader.request<{ code: number; message: string }>('POST', '/v2/orders', buy('1'));
  expect([suspended.status, suspended.body.message]).toEqual([
    403,
    expect.stringContaining('trading_blocked'),
  ]);

  // Fractional trading off, trading back on: whole shares trade, a fraction is refused.
  await configs.patchAccountConfig({
    accountConfigurations: { suspendTrade: false, fractionalTrading: false },
  });
  const fraction = await trader.request<{ message: string }>('POST', '/v2/orders', buy('0.5'));
  expect([fraction.status, fraction.body.message]).toEqual([
    403,
    expect.stringContaining('fractional_trading_disabled'),
  ]);
  const whole = await trader.submit(buy('1'));
  await trader.untilStatus(whole.id, 'filled');
  // The ledger and the open-orders index follow the fill asynchronously: wait until the account
  // shows the share bought and no order reserving buying power.
  await eventually(async () => {
    const settled = await new trading.AccountsApi(own).getAccount();
    expect([settled.cash, settled.nonMarginableBuyingPower]).toEqual(['9990', '9990']);
  }, 20_000);

  // The multiplier capped at 1: buying power is the cash, no longer twice it.
  await configs.patchAccountConfig({ accountConfigurations: { maxMarginMultiplier: '1' } });
  const account = await new trading.AccountsApi(own).getAccount();
  expect([account.multiplier, account.buyingPower, account.cash]).toEqual(['1', '9990', '9990']);

  // Bad input: 422 naming the field, nothing changed.
  const bad = await trader.request<{ code: number; message: string }>('PATCH', '/v2/account/configurations', {
    max_margin_multiplier: '3',
    suspend_trade: true,
  });
  expect([bad.status, bad.body.code]).toEqual([422, 40010001]);
  expect(bad.body.message).toContain('max_margin_multiplier');
  expect((await configs.getAccountConfig()).suspendTrade).toBe(false);
});

it('watchlists: the SDK creates, reads by id and by name, adds, removes, renames, lists and deletes one; bad input is refused and changes nothing', async () => {
  const api = new trading.WatchlistsApi(config);
  const name = `e2e ${randomUUID()}`;
  const created = await api.postWatchlist({ createWatchlistRequest: { name, symbols: ['aapl', 'MSFT'] } });
  // The account's Alpaca id, a UUID as GET /v2/account shows it (alpaca-py's model reads it as one).
  const account = await new trading.AccountsApi(config).getAccount();
  expect(created).toMatchObject({ name, accountId: account.id });
  expect(created.accountId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  expect(created.createdAt).toBeInstanceOf(Date);
  // The asset master's assets, parsed by the SDK's Asset model, in the watchlist's order.
  expect(created.assets?.map((a) => a.symbol)).toEqual(['AAPL', 'MSFT']);
  expect(created.assets?.[0]).toMatchObject({ _class: 'us_equity', tradable: true });

  const byName = await api.getWatchlistByName({ name });
  expect(byName.id).toBe(created.id);
  const added = await api.addAssetToWatchlist({
    watchlistId: created.id,
    addAssetToWatchlistRequest: { symbol: 'SPY' },
  });
  expect(added.assets?.map((a) => a.symbol)).toEqual(['AAPL', 'MSFT', 'SPY']);
  const removed = await api.removeAssetFromWatchlist({ watchlistId: created.id, symbol: 'msft' });
  expect(removed.assets?.map((a) => a.symbol)).toEqual(['AAPL', 'SPY']);
  const renamed = `${name} renamed`;
  const updated = await api.updateWatchlistByName({
    name,
    updateWatchlistRequest: { name: renamed, symbols: ['TSLA'] },
  });
  expect(updated).toMatchObject({ id: created.id, name: renamed });
  expect(updated.assets?.map((a) => a.symbol)).toEqual(['TSLA']);
  expect(updated.updatedAt.getTime()).toBeGreaterThanOrEqual(created.updatedAt.getTime());
  expect((await api.getWatchlists()).filter((w) => w.id === created.id)).toEqual([
    expect.objectContaining({ name: renamed }),
  ]);

  // Refused, each naming its field, and nothing changed: a name taken, a symbol not listed, a
  // symbol already in, a missing watchlist.
  const other = await api.postWatchlist({ createWatchlistRequest: { name: `${name} other` } });
  const taken = await http.request<{ code: number; message: string }>('PUT', `/v2/watchlists/${other.id}`, {
    name: renamed,
  });
  expect([taken.status, taken.body.code, taken.body.message]).toEqual([
    422,
    40010001,
    `name: a watchlist named ${JSON.stringify(renamed)} already exists`,
  ]);
  const unlisted = await http.request<{ message: string }>('POST', `/v2/watchlists/${created.id}`, {
    symbol: 'E2ESDKNOSUCH',
  });
  expect([unlisted.status, unlisted.body.message]).toEqual([422, 'symbol: asset E2ESDKNOSUCH not found']);
  const twice = await http.request<{ message: string }>('POST', `/v2/watchlists/${created.id}`, {
    symbol: 'tsla',
  });
  expect([twice.status, twice.body.message]).toEqual([422, 'symbol: TSLA is already in the watchlist']);
  const badBody = await http.request<{ message: string }>('POST', '/v2/watchlists', {
    name: '',
    symbols: 'AAPL',
  });
  expect([badBody.status, badBody.body.message]).toEqual([
    400,
    'name: must not be empty or only spaces; symbols: must be an array of symbols',
  ]);
  expect((await api.getWatchlistById({ watchlistId: created.id })).assets?.map((a) => a.symbol)).toEqual([
    'TSLA',
  ]);

  await api.deleteWatchlistById({ watchlistId: created.id });
  await api.deleteWatchlistByName({ name: `${name} other` });
  await expect(api.getWatchlistById({ watchlistId: created.id })).rejects.toMatchObject({
    response: expect.objectContaining({ status: 404 }),
  });
  expect((await api.getWatchlists()).filter((w) => w.name.startsWith(name))).toEqual([]);
});

it('watchlists: a read-only key reads them and may not change them; a parameter, body or path a route does not take is refused, nothing changed', async () => {
  const name = `e2e ro ${randomUUID()}`;
  const mine = await http.expect<{ id: string }>(200, 'POST', '/v2/watchlists', { name, symbols: ['SPY'] });
  const viewer = await http.withNewKey('demo-account', 'read_only');
  expect((await viewer.request('GET', `/v2/watchlists/${mine.id}`)).status).toBe(200);
  for (const [method, path, body] of [
    ['POST', '/v2/watchlists', { name: `${name} 2` }],
    ['POST', `/v2/watchlists/${mine.id}`, { symbol: 'AAPL' }],
    ['DELETE', `/v2/watchlists/${mine.id}`, undefined],
  ] as const) {
    const refused = await viewer.request<{ code: number; message: string }>(method, path, body);
    expect([refused.status, refused.body.code]).toEqual([403, 40310000]);
    expect(refused.body.message).toContain('changing watchlists needs a key with scope trade');
  }
  for (const [method, path, body, status, message] of [
    [
      'GET',
      '/v2/watchlists?name=x',
      undefined,
      400,
      'name: is not a parameter of this route (it takes none)',
    ],
    ['PUT', `/v2/watchlists/${mine.id}?symbols=AAPL`, { name }, 400, 'symbols: is not a parameter'],
    ['GET', '/v2/watchlists:by_name', undefined, 400, 'name: is required'],
    // A name given twice arrives joined by a comma: it could name another watchlist.
    [
      'DELETE',
      `/v2/watchlists:by_name?name=${encodeURIComponent(name)}&name=x`,
      undefined,
      400,
      'name: is given 2 times',
    ],
    ['PATCH', `/v2/watchlists/${mine.id}`, { name: 'x' }, 404, 'endpoint not found'],
    ['GET', `/v2/watchlists/${mine.id}/SPY/x`, undefined, 404, 'endpoint not found'],
    ['DELETE', `/v2/watchlists/${mine.id}/AAPL`, undefined, 404, 'symbol in watchlist not found'],
  ] as const) {
    const res = await http.request<{ message: string }>(method, path, body);
    expect([method, path, res.status]).toEqual([method, path, status]);
    expect(res.body.message).toContain(message);
  }
  expect(
    await http.expect<{ name: string; assets: { symbol: string }[] }>(
      200,
      'GET',
      `/v2/watchlists/${mine.id}`,
    ),
  ).toMatchObject({ name, assets: [{ symbol: 'SPY' }] });
  await http.expect(204, 'DELETE', `/v2/watchlists/${mine.id}`);
});

it('portfolio history through the SDK: the equity series ends at the account equity now, a price move shows in it, and a bad query is a 400 naming the parameter', async () => {
  const accountId = `e2e-ph-${randomUUID().slice(0, 8)}`;
  const keyId = `PK${randomUUID().replace(/-/g, '').slice(0, 18).toUpperCase()}`;
  const secret = randomUUID();
  await seedAccount(oms, { keyId, secret, accountId, settings: { cash: '10000', multiplier: '1' } });
  const trader = new OmsHttp(oms.apiUrl, keyId, secret);
  const own = new trading.Configuration({
    basePath: oms.apiUrl,
    apiKey: (name: string) => (name === 'APCA-API-KEY-ID' ? keyId : secret),
  });
  const history = new trading.PortfolioHistoryApi(own);
  const accounts = new trading.AccountsApi(own);
  const symbol = `PH${randomUUID()
    .replace(/[^A-Z]/gi, '')
    .slice(0, 4)
    .toUpperCase()}`;

  // Nothing traded yet: every point is the opening cash.
  const before = await history.getAccountPortfolioHistory({ period: '1D', intradayReporting: 'continuous' });
  expect(before.timeframe).toBe('1Min');
  expect(before.equity.length).toBeGreaterThan(1000);
  expect(new Set(before.equity)).toEqual(new Set([10000]));
  expect(before.timestamp.every((t, i) => i === 0 || t - (before.timestamp[i - 1] as number) === 60)).toBe(
    true,
  );

  await http.pinQuote(symbol, { bid: '99.99', ask: '100.00', last: '100.00' });
  const bought = await trader.submit({
    symbol,
    qty: '10',
    side: 'buy',
    type: 'market',
    time_in_force: 'day',
  });
  await trader.untilStatus(bought.id, 'filled');
  await http.pinQuote(symbol, { bid: '109.99', ask: '110.01', last: '110.00' });

  // The last point is the account's equity now: 9,000 cash and 10 at 110.
  await eventually(async () => {
    const equity = (await accounts.getAccount()).equity;
    const after = await history.getAccountPortfolioHistory({ period: '1D', intradayReporting: 'continuous' });
    expect([equity, after.equity.at(-1)]).toEqual(['10100', 10100]);
    // Against the day's opening equity (no trade before today): +100, +1%.
    expect([after.profitLoss.at(-1), after.profitLossPct.at(-1), after.baseValue]).toEqual([
      100, 0.01, 10000,
    ]);
    expect(after.baseValueAsof).toBeInstanceOf(Date);
  }, 20_000);

  // A daily series (the default: 1M) ends at the same equity, one point per session day.
  const daily = await history.getAccountPortfolioHistory();
  expect(daily.timeframe).toBe('1D');
  expect(daily.equity.at(-1)).toBe(10100);
  expect(daily.baseValueAsof).toBeUndefined();
  // A window that ended before the account traded: the opening cash.
  const earlier = await history.getAccountPortfolioHistory({
    start: new Date(Date.now() - 3 * 3600_000),
    end: new Date(Date.now() - 2 * 3600_000),
    timeframe: '15Min',
    intradayReporting: 'continuous',
  });
  expect(earlier.equity).toEqual([10000, 10000, 10000, 10000]);

  // Refusals: the SDK raises them; nothing is read.
  await expect(history.getAccountPortfolioHistory({ period: '2M', timeframe: '1H' })).rejects.toMatchObject({
    response: { status: 400 },
  });
  for (const [query, message] of [
    ['period=2M&timeframe=1H', 'timeframe: must be 1D for a window longer than 31 days'],
    ['period=1X', 'period: must be a number'],
    [
      'start=2026-01-01T00:00:00Z&end=2026-01-02T00:00:00Z&period=1D',
      'period: is not taken with both start and end',
    ],
    ['cashflow_types=DIV,NOPE', 'cashflow_types: has unknown activity types: NOPE'],
    ['symbol=SPY', 'symbol: is not a parameter'],
  ] as const) {
    const refused = await trader.request<{ code: number; message: string }>(
      'GET',
      `/v2/account/portfolio/history?${query}`,
    );
    expect([refused.status, refused.body.code]).toEqual([400, 40010001]);
    expect(refused.body.message).toContain(message);
  }
});
