/**
 * Parameters where a route reads them, or refused (order-api/http.ts `apiHandler`): a DELETE's in
 * the query (a body other than an empty one or `{}` is 400), a POST's, PUT's or PATCH's in the body
 * (a query parameter is 400). A probe's `{"qty":"1"}` on a position's close closed all of it, and
 * `PATCH /v2/account/configurations?suspend_trade=true` answered 200 and changed nothing.
 */
import './env.js';
import { handler as account } from '../../lambdas/order-api/account.js';
import { handler as assets } from '../../lambdas/order-api/assets.js';
import { apiHandler } from '../../lambdas/order-api/http.js';
import { apiEvent, parse } from './fixtures.js';

const reached = jest.fn(async () => ({ statusCode: 200, body: '{}' }));
const handler = apiHandler('Probe', reached);
beforeEach(() => reached.mockClear());

test.each<[string, { rawBody?: string; query?: Record<string, string> }, string | null]>([
  ['DELETE /v2/positions/{symbol_or_asset_id}', { rawBody: '{"qty":"1"}' }, 'body: a DELETE takes no body'],
  ['DELETE /v2/positions', { rawBody: 'symbol=SS' }, 'body: a DELETE takes no body'],
  ['DELETE /v2/orders/{order_id}', { rawBody: 'null' }, 'body: a DELETE takes no body'],
  ['DELETE /v2/positions', { rawBody: '{}' }, null],
  ['DELETE /v2/positions', { rawBody: '' }, null],
  ['DELETE /v2/positions', { query: { cancel_orders: 'true' } }, null],
  [
    'PATCH /v2/account/configurations',
    { query: { suspend_trade: 'true' } },
    'suspend_trade: is not a parameter',
  ],
  ['PUT /v1/trading-state', { query: { state: 'HALTED' } }, 'state: is not a parameter'],
  ['POST /v1/locates', { query: { qty: '200' } }, 'qty: is not a parameter'],
  ['POST /v2/orders', { rawBody: '{}' }, null],
  ['GET /v2/orders', { query: { status: 'open' } }, null],
])('%s %j: %s', async (routeKey, input, refusal) => {
  const res = await handler(apiEvent({ routeKey, ...input }));
  if (refusal === null) {
    expect(res.statusCode).toBe(200);
    expect(reached).toHaveBeenCalledTimes(1);
  } else {
    expect(res.statusCode).toBe(400);
    expect(parse(res.body as string).message).toMatch(
      new RegExp(`^${refusal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`),
    );
    expect(reached).not.toHaveBeenCalled();
  }
});

// A probe: `GET /v2/positions?symbol=MSFT` listed every position and `GET /v2/assets?symbols=AAPL`
// every asset (a bot closing what it lists would close them all). Refused before anything is read.
test.each<[string, (e: ReturnType<typeof apiEvent>) => Promise<unknown>, Record<string, string>, string]>([
  ['GET /v2/positions', (e) => account(e), { symbol: 'MSFT' }, 'symbol: is not a parameter of this route'],
  ['GET /v2/positions/{symbol_or_asset_id}', (e) => account(e), { qty: '1' }, 'qty: is not a parameter'],
  ['GET /v2/account', (e) => account(e), { foo: '1' }, 'foo: is not a parameter'],
  ['GET /v2/assets', (e) => assets(e), { symbols: 'AAPL' }, 'symbols: is not a parameter of this route'],
])('%s %j: 400 naming it', async (routeKey, handle, query, message) => {
  const res = (await handle(
    apiEvent({ routeKey, query, pathParameters: { symbol_or_asset_id: 'MSFT' } }),
  )) as {
    statusCode: number;
    body: string;
  };
  expect(res.statusCode).toBe(400);
  expect(parse(res.body).message).toContain(message);
});
