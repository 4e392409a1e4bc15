/**
 * The `/v1/locates` routes as the official SDK 4.x calls them (lambdas/order-api/locates.ts; the
 * rules in core locate-api.ts): the list's `{locates, next_page_token}` and its parameters (one it
 * does not take is a 400 naming it), `limit_price` on POST (checked, stored, echoed), and
 * `GET /v1/locates/quotes` (the route before `{locate_id}`: a probe read "quotes" as a locate id).
 */
import './env.js';
import { DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { applyAssetInput, EMPTY_LOCATE_BOOK, grantLocate, nanos } from '../../lambdas/core/index.js';
import { OPERATOR_TRADES_MESSAGE, READ_ONLY_MESSAGE } from '../../lambdas/order-api/http.js';
import { handler } from '../../lambdas/order-api/locates.js';
import { assetToItem } from '../../lambdas/platform/market-data.js';
import { ACCOUNT, apiEvent, parse } from './fixtures.js';

const ddb = mockClient(DynamoDBDocumentClient);

const asset = (symbol: string, input: Record<string, unknown>) => {
  const built = applyAssetInput(symbol, input, null);
  if (!built.ok) throw new Error(JSON.stringify(built.errors));
  return { ...assetToItem(built.asset) } as Record<string, unknown>;
};
const ASSETS: Record<string, Record<string, unknown>> = {
  HTBX: asset('HTBX', { easy_to_borrow: false, shortable: true }),
  NONE: asset('NONE', { easy_to_borrow: false, shortable: true }),
  SPY: asset('SPY', {}),
  NOSH: asset('NOSH', { easy_to_borrow: false, shortable: false }),
};
const book = [1, 2, 3].reduce(
  (b, i) =>
    grantLocate(
      b,
      { symbol: 'HTBX', qty: nanos('100'), allOrNone: false },
      nanos('100'),
      `L${i}`,
      Date.now() - (10 - i) * 1000,
    ).book,
  EMPTY_LOCATE_BOOK,
);

beforeEach(() => {
  ddb.reset();
  ddb.on(GetCommand).callsFake((input: { TableName: string; Key: Record<string, string> }) => {
    if (input.TableName === 'assets') return { Item: ASSETS[input.Key.symbol as string] };
    if (input.Key.pk === `locates#${ACCOUNT}`) return { Item: { pk: input.Key.pk, ...book } };
    if (input.Key.pk === 'borrow-desk#HTBX') return { Item: { pk: input.Key.pk, available: 700 } };
    return {};
  });
  ddb.on(TransactWriteCommand).resolves({});
});

const call = async (routeKey: string, o: { query?: Record<string, string>; body?: unknown } = {}) => {
  const res = await handler(apiEvent({ routeKey, ...o }));
  return { status: res.statusCode, body: parse(res.body) as Record<string, unknown> };
};

describe('GET /v1/locates', () => {
  it('{locates, next_page_token}: newest first, paged by the token', async () => {
    const first = await call('GET /v1/locates', { query: { limit: '2' } });
    expect(first.status).toBe(200);
    expect((first.body.locates as { id: string }[]).map((l) => l.id)).toEqual(['L3', 'L2']);
    expect(first.body.next_page_token).toBe('L2');
    const next = await call('GET /v1/locates', { query: { limit: '2', page_token: 'L2' } });
    expect([(next.body.locates as { id: string }[]).map((l) => l.id), next.body.next_page_token]).toEqual([
      ['L1'],
      null,
    ]);
  });

  it.each<[Record<string, string>, string]>([
    [
      { after: '2026-01-01' },
      'after: is not a parameter of this route (it takes page_token, limit, status, symbol, start, end)',
    ],
    [{ page_token: 'L9' }, 'page_token: is not a next_page_token of this account\'s locates, got "L9"'],
    [{ limit: '0' }, 'limit: must be a whole number from 1 to 500, got "0"'],
    [{ status: 'open' }, 'status: must be one of active, expired, rejected, got "open"'],
    [{ start: '12/01/2026' }, 'start: must be a date YYYY-MM-DD, got "12/01/2026"'],
  ])('400 naming the parameter: %j', async (query, message) => {
    const res = await call('GET /v1/locates', { query });
    expect([res.status, res.body.code, res.body.message]).toEqual([400, 40010001, message]);
  });
});

describe('POST /v1/locates: limit_price', () => {
  it('stored and echoed (the desk charges nothing: any limit is met)', async () => {
    const res = await call('POST /v1/locates', { body: { symbol: 'HTBX', qty: 200, limit_price: '0.010' } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      symbol: 'HTBX',
      status: 'active',
      requested_qty: 200,
      located_qty: 200,
      limit_price: '0.01',
      located_price: '0',
      total_fee: '0',
    });
  });

  it.each<[unknown, string]>([
    ['-1', 'limit_price: must be a non-negative decimal string (the most to pay per share, USD), got "-1"'],
    [{}, 'limit_price: must be a non-negative decimal string (the most to pay per share, USD), got {}'],
  ])('a bad limit_price %j: 400 naming it, nothing asked', async (limit_price, message) => {
    const res = await call('POST /v1/locates', { body: { symbol: 'HTBX', qty: '100', limit_price } });
    expect([res.status, res.body.code, res.body.message]).toEqual([400, 40010001, message]);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });
});

describe('GET /v1/locates/quotes', () => {
  it('a quote per symbol the desk can be asked for; the others in errors with Alpaca’s codes', async () => {
    const res = await call('GET /v1/locates/quotes', { query: { symbols: 'htbx,NONE,SPY,NOSH,ZZZZ' } });
    expect(res.status).toBe(200);
    const quotes = res.body.quotes as Record<string, unknown>[];
    expect(quotes.map(({ quoted_at, ...q }) => q)).toEqual([
      { symbol: 'HTBX', available_qty: 700, price: '0' },
      { symbol: 'NONE', available_qty: 0 },
    ]);
    for (const q of quotes) expect(Number.isFinite(Date.parse(q.quoted_at as string))).toBe(true);
    expect(res.body.errors).toEqual([
      {
        symbol: 'SPY',
        code: 'easy_to_borrow',
        message: 'SPY is easy to borrow; its short sales need no locate',
      },
      { symbol: 'NOSH', code: 'threshold_security', message: 'NOSH is not shortable' },
      { symbol: 'ZZZZ', code: 'symbol_not_found', message: 'ZZZZ is not listed in the asset master' },
    ]);
  });

  it('no errors: the key is left out (Alpaca’s errors is optional)', async () => {
    const res = await call('GET /v1/locates/quotes', { query: { symbols: 'HTBX' } });
    expect(res.body).not.toHaveProperty('errors');
  });

  it.each<[Record<string, string>, string]>([
    [{}, 'symbols: is required'],
    [{ symbol: 'HTBX' }, 'symbol: is not a parameter of this route (it takes symbols)'],
    [{ symbols: 'A,,B' }, 'symbols: must be comma-separated ticker symbols, got ""'],
  ])('400 naming the parameter: %j', async (query, message) => {
    const res = await call('GET /v1/locates/quotes', { query });
    expect([res.status, res.body.code, res.body.message]).toEqual([400, 40010001, message]);
  });
});

// A probe: an operator key's POST was told "this API key is read-only".
describe('POST /v1/locates by a key that does not trade: 403 saying which key it is, nothing written', () => {
  it.each([
    ['read_only', READ_ONLY_MESSAGE],
    ['operator', OPERATOR_TRADES_MESSAGE],
  ])('scope %s', async (scope, message) => {
    const res = await handler(
      apiEvent({
        routeKey: 'POST /v1/locates',
        body: { symbol: 'HTBX', qty: '100' },
        authorizer: { authenticated: 'true', principalId: 'k', accountIds: ACCOUNT, scope },
      }),
    );
    expect([res.statusCode, parse(res.body)]).toEqual([403, { code: 40310000, message }]);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });
});
