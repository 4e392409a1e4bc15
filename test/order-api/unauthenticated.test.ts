/**
 * Every route answers a request the authorizer let through as unauthenticated with Alpaca's 401
 * `40110000`, before it reads or writes anything. (With simple responses, `isAuthorized: false`
 * would be API Gateway's own 403, so the authorizer passes `{authenticated: 'false', reason}`.)
 */
import './env.js';
import { handler as cancel } from '../../lambdas/order-api/cancel-order.js';
import { handler as create } from '../../lambdas/order-api/create-order.js';
import { scopeRefusal } from '../../lambdas/order-api/http.js';
import { handler as query } from '../../lambdas/order-api/query-orders.js';
import { handler as replace } from '../../lambdas/order-api/replace-order.js';
import { loadRiskInputs } from '../../lambdas/orders/risk-context.js';
import { FakeDynamo } from './fake-dynamo.js';
import { apiEvent, LIMIT_BUY, parse, riskInputs, seedOrder } from './fixtures.js';

jest.mock('../../lambdas/orders/risk-context.js', () => ({ loadRiskInputs: jest.fn() }));
const risk = jest.mocked(loadRiskInputs);
const fake = new FakeDynamo();
const ORDER_ID = '0b6f2c1e-3c4d-4e5f-8a9b-0c1d2e3f4a5b';

beforeEach(() => {
  fake.reset();
  risk.mockReset();
  risk.mockResolvedValue(riskInputs());
});

const routes = [
  { route: 'POST /v2/orders', handler: create, body: LIMIT_BUY },
  { route: 'GET /v2/orders', handler: query },
  { route: 'GET /v2/orders/{order_id}', handler: query, path: true },
  { route: 'GET /v2/orders:by_client_order_id', handler: query, q: { client_order_id: 'c-1' } },
  { route: 'GET /v2/orders/{order_id}/events', handler: query, path: true },
  { route: 'PATCH /v2/orders/{order_id}', handler: replace, path: true, body: { qty: '5' } },
  { route: 'DELETE /v2/orders/{order_id}', handler: cancel, path: true },
  { route: 'DELETE /v2/orders', handler: cancel },
] as const;

const contexts: { case: string; authorizer: Record<string, string> | undefined; message: string }[] = [
  {
    case: 'invalid credentials',
    authorizer: { authenticated: 'false', reason: 'invalid credentials' },
    message: 'request is not authorized: invalid credentials',
  },
  {
    case: 'missing credentials',
    authorizer: { authenticated: 'false', reason: 'missing credentials' },
    message: 'request is not authorized: missing credentials',
  },
  {
    case: 'a reason not meant for the caller',
    authorizer: { authenticated: 'false', reason: 'revoked key AK1' },
    message: 'request is not authorized',
  },
  {
    // A principal without the authenticated flag is not taken on trust.
    case: 'no authenticated flag',
    authorizer: { principalId: 'bot-1', accountIds: 'acct-1' },
    message: 'request is not authorized',
  },
  { case: 'no authorizer context', authorizer: undefined, message: 'request is not authorized' },
];

const eventFor = (r: (typeof routes)[number], auth: { authorizer?: Record<string, string> | undefined }) =>
  apiEvent({
    routeKey: r.route,
    ...('body' in r ? { body: r.body } : {}),
    ...('path' in r ? { pathParameters: { order_id: ORDER_ID } } : {}),
    ...('q' in r ? { query: r.q } : {}),
    ...('authorizer' in auth ? (auth.authorizer === undefined ? { principalId: null } : auth) : {}),
  });

async function expectUnauthorized(
  r: (typeof routes)[number],
  authorizer: Record<string, string> | undefined,
) {
  seedOrder(fake, ORDER_ID);
  const res = await r.handler(eventFor(r, { authorizer }));
  expect(res.statusCode).toBe(401);
  expect(fake.mock.calls()).toHaveLength(0);
  expect(risk).not.toHaveBeenCalled();
  return parse(res.body);
}

describe.each(routes)('$route', (r) => {
  test('unauthenticated -> 401 40110000, no table touched', async () => {
    expect(await expectUnauthorized(r, { authenticated: 'false', reason: 'invalid credentials' })).toEqual({
      code: 40110000,
      message: 'request is not authorized: invalid credentials',
    });
  });

  test('authenticated -> goes through', async () => {
    seedOrder(fake, ORDER_ID);
    const res = await r.handler(eventFor(r, {}));
    expect(res.statusCode).not.toBe(401);
    expect(res.statusCode).toBeLessThan(500);
  });
});

test.each(contexts)('$case -> 401 "$message"', async ({ authorizer, message }) => {
  expect(await expectUnauthorized(routes[0], authorizer)).toEqual({ code: 40110000, message });
});

/**
 * API key scopes (issue 16): a read-only key (or token) reads, and is refused with 403 `40310000`
 * on every route that places, replaces or cancels, before anything is read or written.
 */
describe('a read-only principal', () => {
  const readOnly = {
    authenticated: 'true',
    principalId: 'dashboard-1',
    accountIds: 'acct-1',
    scope: 'read_only',
  };
  const trades = new Set([
    'POST /v2/orders',
    'PATCH /v2/orders/{order_id}',
    'DELETE /v2/orders/{order_id}',
    'DELETE /v2/orders',
  ]);
  test.each(routes.map((r) => [r.route, r] as const))('%s', async (_route, r) => {
    seedOrder(fake, ORDER_ID);
    const before = fake.mock.calls().length;
    const res = await r.handler(eventFor(r, { authorizer: readOnly }));
    if (trades.has(r.route)) {
      expect({ status: res.statusCode, body: parse(res.body) }).toEqual({
        status: 403,
        body: { code: 40310000, message: expect.stringMatching(/^forbidden: this API key is read-only/) },
      });
      expect(fake.mock.calls()).toHaveLength(before);
      expect(risk).not.toHaveBeenCalled();
    } else expect(res.statusCode).not.toBe(403);
  });

  test.each(routes.filter((r) => trades.has(r.route)).map((r) => [r.route, r] as const))(
    'an operator key on %s -> 403 naming scope trade, nothing read or written',
    async (_route, r) => {
      seedOrder(fake, ORDER_ID);
      const before = fake.mock.calls().length;
      const operator = { ...readOnly, principalId: 'ops-1', scope: 'operator' };
      const res = await r.handler(eventFor(r, { authorizer: operator }));
      expect({ status: res.statusCode, body: parse(res.body) }).toEqual({
        status: 403,
        body: {
          code: 40310000,
          message: expect.stringMatching(/^forbidden: this API key is an operator key .* scope trade$/),
        },
      });
      expect(fake.mock.calls()).toHaveLength(before);
      expect(risk).not.toHaveBeenCalled();
    },
  );

  test('a context without a scope (an authorizer before scopes) still trades', async () => {
    const res = await create(
      eventFor(routes[0], {
        authorizer: { authenticated: 'true', principalId: 'bot-1', accountIds: 'acct-1' },
      }),
    );
    expect(res.statusCode).not.toBe(403);
  });
});

/**
 * Who may use which route (issue 16): the scope table of the handler shell. `trades` routes need
 * scope `trade`; `operator` routes (kill switch, policies, exceptions) need scope `operator`.
 */
describe('scopeRefusal', () => {
  const principal = (scope: 'trade' | 'read_only' | 'operator') => ({
    principalId: 'p',
    accountIds: ['acct-1'],
    accountId: 'acct-1',
    scope,
  });
  test.each([
    ['trade', {}, null],
    ['read_only', {}, null],
    ['operator', {}, null],
    ['trade', { trades: true }, null],
    ['read_only', { trades: true }, /^forbidden: this API key is read-only/],
    ['operator', { trades: true }, /^forbidden: this API key is an operator key/],
    ['operator', { operator: true }, null],
    [
      'trade',
      { operator: true },
      /^forbidden: this route needs an operator key \(scope operator\); this API key has scope trade$/,
    ],
    [
      'read_only',
      { operator: true },
      /^forbidden: this route needs an operator key \(scope operator\); this API key has scope read_only$/,
    ],
  ] as const)('scope %s on a route %j -> %p', (scope, options, expected) => {
    const refusal = scopeRefusal(principal(scope), options);
    if (expected === null) expect(refusal).toBeNull();
    else expect(refusal).toMatch(expected);
  });
});
