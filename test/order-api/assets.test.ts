/**
 * GET /v2/assets and GET /v2/assets/{symbol_or_asset_id} (lambdas/order-api/assets.ts, issue 13):
 * Alpaca's Asset fields and types, the list's filters and their checks, the lookup by symbol and by
 * id, and Alpaca's 404 for an asset the master does not list.
 */
import './env.js';
import { DynamoDBDocumentClient, GetCommand, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { applyAssetInput, assetIdOf } from '../../lambdas/core/index.js';
import { handler, parseAssetQuery } from '../../lambdas/order-api/assets.js';
import { assetToItem } from '../../lambdas/platform/market-data.js';
import { apiEvent, parse } from './fixtures.js';

const ddb = mockClient(DynamoDBDocumentClient);

function listed(symbol: string, input: Record<string, unknown> = {}) {
  const built = applyAssetInput(symbol, input, null);
  if (!built.ok) throw new Error(JSON.stringify(built.errors));
  return { ...assetToItem(built.asset) } as Record<string, unknown>;
}

const SPY = listed('SPY', { name: 'SPDR S&P 500 ETF Trust', exchange: 'ARCA', attributes: ['has_options'] });
const AAPL = listed('AAPL', {
  name: 'Apple Inc. Common Stock',
  attributes: ['has_options', 'fractional_eh_enabled'],
});
/** Unreadable: left out of the list (and read as not listed by risk). */
const BAD = { symbol: 'BAD', tradable: 'yes' };
const ITEMS: Record<string, unknown>[] = [
  SPY,
  AAPL,
  listed('BRK.A', { name: 'Berkshire Hathaway Inc. Class A', exchange: 'NYSE', fractionable: false }),
  listed('GONE', { status: 'inactive', tradable: false }),
  BAD,
];

beforeEach(() => {
  ddb.reset();
  ddb.on(ScanCommand, { TableName: 'assets' }).resolves({ Items: ITEMS });
});

const call = (
  routeKey: string,
  o: { query?: Record<string, string>; pathParameters?: Record<string, string> } = {},
) => handler(apiEvent({ routeKey, ...o }));
const symbols = (body: string | undefined) => (parse(body) as { symbol: string }[]).map((a) => a.symbol);

describe('GET /v2/assets', () => {
  it("every readable asset, sorted by symbol, in Alpaca's shape (numbers as Alpaca sends them)", async () => {
    const res = await call('GET /v2/assets');
    expect(res.statusCode).toBe(200);
    expect(symbols(res.body)).toEqual(['AAPL', 'BRK.A', 'GONE', 'SPY']);
    expect((parse(res.body) as unknown[])[0]).toEqual({
      id: assetIdOf('AAPL'),
      class: 'us_equity',
      exchange: 'NASDAQ',
      symbol: 'AAPL',
      name: 'Apple Inc. Common Stock',
      status: 'active',
      tradable: true,
      marginable: true,
      maintenance_margin_requirement: 30,
      margin_requirement_long: '30',
      margin_requirement_short: '30',
      shortable: true,
      easy_to_borrow: true,
      borrow_status: 'easy_to_borrow',
      fractionable: true,
      min_order_size: '0.000000001',
      min_trade_increment: '0.000000001',
      price_increment: '0.01',
      attributes: ['has_options', 'fractional_eh_enabled'],
    });
    // A non-fractionable asset trades in whole shares.
    expect((parse(res.body) as Record<string, unknown>[])[1]).toMatchObject({
      symbol: 'BRK.A',
      fractionable: false,
      min_order_size: '1',
      min_trade_increment: '1',
    });
  });

  it.each<[Record<string, string>, string[]]>([
    [{ status: 'active' }, ['AAPL', 'BRK.A', 'SPY']],
    [{ status: 'inactive' }, ['GONE']],
    [{ exchange: 'ARCA' }, ['SPY']],
    [{ exchange: 'nyse' }, ['BRK.A']],
    [{ asset_class: 'us_equity', status: 'active', exchange: 'NASDAQ' }, ['AAPL']],
    // Any of the attributes.
    [{ attributes: 'has_options' }, ['AAPL', 'SPY']],
    [{ attributes: 'fractional_eh_enabled,ipo' }, ['AAPL']],
    [{ attributes: '' }, ['AAPL', 'BRK.A', 'GONE', 'SPY']],
    // Alpaca's other classes: the master holds none (and is not read).
    [{ asset_class: 'crypto' }, []],
  ])('filters %j', async (query, expected) => {
    const res = await call('GET /v2/assets', { query });
    expect(res.statusCode).toBe(200);
    expect(symbols(res.body)).toEqual(expected);
    if (query.asset_class === 'crypto') expect(ddb.commandCalls(ScanCommand)).toHaveLength(0);
  });

  it.each<[Record<string, string>, string]>([
    [{ status: 'halted' }, 'status: must be one of active, inactive'],
    [{ asset_class: 'stocks' }, 'asset_class: must be one of us_equity'],
    [{ exchange: 'LSE' }, 'exchange: must be one of AMEX'],
    [{ attributes: 'has_options,shiny' }, 'attributes: "shiny" is not one of'],
  ])('a bad query %j is a 400 naming the parameter, nothing read', async (query, message) => {
    const res = await call('GET /v2/assets', { query });
    expect(res.statusCode).toBe(400);
    expect(parse(res.body)).toMatchObject({ code: 40010001, message: expect.stringContaining(message) });
    expect(ddb.calls()).toHaveLength(0);
  });

  it('reads every page of the table', async () => {
    ddb.reset();
    ddb
      .on(ScanCommand)
      .resolvesOnce({ Items: [listed('B')], LastEvaluatedKey: { symbol: 'B' } })
      .resolvesOnce({ Items: [listed('A')] });
    expect(symbols((await call('GET /v2/assets')).body)).toEqual(['A', 'B']);
  });

  it('parses the query as Alpaca documents it', () => {
    expect(parseAssetQuery(undefined)).toEqual({ ok: true, filter: { assetClass: 'us_equity' } });
  });
});

describe('GET /v2/assets/{symbol_or_asset_id}', () => {
  it('by symbol (any case): one GetItem', async () => {
    ddb.on(GetCommand, { TableName: 'assets', Key: { symbol: 'AAPL' } }).resolves({ Item: AAPL });
    const res = await call('GET /v2/assets/{symbol_or_asset_id}', {
      pathParameters: { symbol_or_asset_id: 'aapl' },
    });
    expect(res.statusCode).toBe(200);
    expect(parse(res.body)).toMatchObject({ symbol: 'AAPL', id: assetIdOf('AAPL'), class: 'us_equity' });
  });

  it('by asset id (any case): the byAssetId index', async () => {
    const id = assetIdOf('SPY');
    ddb.on(QueryCommand, { TableName: 'assets', IndexName: 'byAssetId' }).resolves({ Items: [SPY] });
    const res = await call('GET /v2/assets/{symbol_or_asset_id}', {
      pathParameters: { symbol_or_asset_id: id.toUpperCase() },
    });
    expect(res.statusCode).toBe(200);
    expect(parse(res.body)).toMatchObject({ symbol: 'SPY', id });
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input.ExpressionAttributeValues).toEqual({ ':id': id });
  });

  it.each([
    ['an unlisted symbol', 'NOPE', 1],
    ['an unknown id', '00000000-0000-4000-8000-000000000000', 1],
    ['an unreadable item', 'BAD', 1],
    ['neither a symbol nor an id (not read)', '$$$', 0],
  ])("%s: Alpaca's 404", async (_name, key, reads) => {
    ddb.on(GetCommand, { TableName: 'assets', Key: { symbol: 'BAD' } }).resolves({ Item: BAD });
    ddb.on(GetCommand).resolves({});
    ddb.on(QueryCommand).resolves({ Items: [] });
    const res = await call('GET /v2/assets/{symbol_or_asset_id}', {
      pathParameters: { symbol_or_asset_id: key },
    });
    expect(res.statusCode).toBe(404);
    expect(parse(res.body)).toEqual({ code: 40410000, message: 'asset not found' });
    expect(ddb.calls()).toHaveLength(reads);
  });

  it("an item whose stored id is not its symbol's (written by hand) is not found by that id", async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ ...AAPL, id: '11111111-1111-4111-8111-111111111111' }] });
    const res = await call('GET /v2/assets/{symbol_or_asset_id}', {
      pathParameters: { symbol_or_asset_id: '11111111-1111-4111-8111-111111111111' },
    });
    expect(res.statusCode).toBe(404);
  });

  it('needs an authenticated caller, like every route', async () => {
    const res = await handler(apiEvent({ routeKey: 'GET /v2/assets', principalId: null }));
    expect(res.statusCode).toBe(401);
  });
});
