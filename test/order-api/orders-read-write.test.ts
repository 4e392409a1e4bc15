/** GET /v2/orders (GSIs), one order, by client order id, events; DELETE (one, all); PATCH. */
import './env.js';
import { QueryCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import {
  type AlpacaOrder,
  isClientOrderIdLength,
  orderRequestSchema,
  shortCoverRefusal,
} from '../../lambdas/core/index.js';
import { runCommand } from '../../lambdas/event-store/event-store.js';
import { handler as cancel } from '../../lambdas/order-api/cancel-order.js';
import { handler as create } from '../../lambdas/order-api/create-order.js';
import { eventStore } from '../../lambdas/order-api/orders-access.js';
import {
  assembleList,
  isListedBy,
  type ListParams,
  legsStandingAlone,
  type OrderViewItem,
  parseListParams,
  handler as query,
  withCurrentLegs,
} from '../../lambdas/order-api/query-orders.js';
import { handler as replace, replaceRequestSchema } from '../../lambdas/order-api/replace-order.js';
import { rateWindowId } from '../../lambdas/orders/claims.js';
import { closingClaimsId } from '../../lambdas/orders/closing-claims.js';
import type { GroupReader } from '../../lambdas/orders/contingent-groups.js';
import {
  closingPartOf,
  type NoShortSell,
  reducingOrderOf,
} from '../../lambdas/orders/position-availability.js';
import { loadRiskInputs } from '../../lambdas/orders/risk-context.js';
import { FakeDynamo } from './fake-dynamo.js';
import { ACCOUNT, apiEvent, LIMIT_BUY, OTHER_ACCOUNT, parse, riskInputs, seedOrder, T0 } from './fixtures.js';

jest.mock('../../lambdas/orders/risk-context.js', () => ({ loadRiskInputs: jest.fn() }));
const risk = jest.mocked(loadRiskInputs);
// The REDUCING read under the position's closing claims (its own tests: test/orders/position-availability.test.ts).
jest.mock('../../lambdas/orders/position-availability.js', () => ({
  ...jest.requireActual('../../lambdas/orders/position-availability.js'),
  reducingOrderOf: jest.fn(),
  closingPartOf: jest.fn(),
}));
const reducingRead = jest.mocked(reducingOrderOf);
const closingRead = jest.mocked(closingPartOf);
const fake = new FakeDynamo();
const accepted = [{ type: 'accept', venueOrderId: 'v-1' }] as const;

beforeEach(() => {
  fake.reset();
  risk.mockReset();
  risk.mockResolvedValue(riskInputs());
  jest.spyOn(Date, 'now').mockReturnValue(T0 + 1000);
});
afterEach(() => jest.restoreAllMocks());

const list = (q: Record<string, string | undefined> = {}) =>
  query(apiEvent({ routeKey: 'GET /v2/orders', query: q as Record<string, string> }));
const sentQueries = () => fake.mock.commandCalls(QueryCommand).map((c) => c.args[0].input);

/** Every listing query's filter: the OMS's own child orders are not listed (tested on DynamoDB Local: listing-children.test.ts). */
const NOT_OMS_CHILD = '(attribute_not_exists(#role) OR #role <> :omsChild)';

describe('GET /v2/orders', () => {
  const after = '2030-01-01T00:00:00.000Z';
  const until = '2030-01-03T00:00:00.000Z';
  test.each([
    // Open orders: the sparse open index, keyed by the account alone.
    { q: {}, index: 'byAccountOpen', pk: ['openInAccount', 'acct-1'], extra: {} },
    // Closed orders: every order of the account, kept by their documents' status (collectClosed).
    { q: { status: 'closed' }, index: 'byAccount', pk: ['accountId', 'acct-1'], extra: {} },
    {
      q: { status: 'all', direction: 'asc' },
      index: 'byAccount',
      pk: ['accountId', 'acct-1'],
      extra: { ScanIndexForward: true },
    },
    {
      q: { side: 'sell', limit: '5' },
      index: 'byAccountOpen',
      pk: ['openInAccount', 'acct-1'],
      extra: { FilterExpression: `${NOT_OMS_CHILD} AND #side = :side`, Limit: 5, ScanIndexForward: false },
    },
    {
      q: { after },
      index: 'byAccountOpen',
      pk: ['openInAccount', 'acct-1'],
      extra: { KeyConditionExpression: '#pk = :pk AND #k > :after' },
    },
    {
      q: { after, until, status: 'all' },
      index: 'byAccount',
      pk: ['accountId', 'acct-1'],
      extra: { KeyConditionExpression: '#pk = :pk AND #k BETWEEN :after AND :until' },
    },
    // Open orders of some symbols: still the one open index, the symbols as a filter.
    {
      q: { symbols: 'aapl,msft', status: 'open' },
      index: 'byAccountOpen',
      pk: ['openInAccount', 'acct-1'],
      extra: {
        FilterExpression: `${NOT_OMS_CHILD} AND #sym IN (:sym0, :sym1)`,
        ExpressionAttributeValues: expect.objectContaining({ ':sym0': 'AAPL', ':sym1': 'MSFT' }),
      },
    },
    {
      q: { symbols: 'aapl', status: 'closed' },
      index: 'byAccountSymbol',
      pk: ['accountSymbol', 'acct-1#AAPL'],
      extra: {},
    },
  ])('$q -> $index', async ({ q, index, pk, extra }) => {
    expect((await list(q)).statusCode).toBe(200);
    const [input] = sentQueries();
    expect(input).toMatchObject({ TableName: 'orders', IndexName: index, ...extra });
    expect(input?.ExpressionAttributeNames?.['#pk']).toBe(pk[0]);
    expect(input?.ExpressionAttributeValues?.[':pk']).toBe(pk[1]);
  });

  test('time bounds are exclusive: past every key of `after`, before every key of `until`', async () => {
    await list({ after: '2030-01-01T00:00:00Z', until: '2030-01-03T00:00:00+00:00' });
    const v = sentQueries()[0]?.ExpressionAttributeValues ?? {};
    const key = (at: string) => `${at}#0b9e5f38-aaaa-4bbb-8ccc-000000000000`;
    expect(key(after) > v[':after']).toBe(false);
    expect(key('2030-01-01T00:00:00.001Z') > v[':after']).toBe(true);
    expect(key(until) < v[':until']).toBe(false);
    expect(key('2030-01-02T23:59:59.999Z') < v[':until']).toBe(true);
  });

  test('a bound in year 10000 UTC is clamped to 9999-12-31T23:59:59.999Z; until below the ms rounds up', async () => {
    const res = await list({ status: 'all', after: '2020-01-01', until: '9999-12-31T23:59-12:00' });
    expect(res.statusCode).toBe(200);
    expect(sentQueries()[0]?.ExpressionAttributeValues).toMatchObject({
      ':after': '2020-01-01T00:00:00.000Z#\uffff',
      ':until': '9999-12-31T23:59:59.999Z#',
    });
    await list({ status: 'all', until: '2026-12-06T19:38:53.2170001Z' });
    expect(sentQueries()[1]?.ExpressionAttributeValues?.[':until']).toBe('2026-12-06T19:38:53.218Z#');
  });

  test('several symbols: one query each', async () => {
    await list({ symbols: 'AAPL,MSFT', status: 'all' });
    expect(sentQueries().map((q) => q.ExpressionAttributeValues?.[':pk'])).toEqual([
      'acct-1#AAPL',
      'acct-1#MSFT',
    ]);
    expect(sentQueries()[0]?.FilterExpression).toBe(NOT_OMS_CHILD);
  });

  test.each([
    ['status', 'pending'],
    ['limit', '0'],
    ['limit', '501'],
    ['limit', 'ten'],
    ['after', 'yesterday'],
    ['until', '2030-13-45'],
    // A day that does not exist: Date.parse rolls it over into March (a probe's 200).
    ['after', '2026-02-30'],
    ['until', '2026-04-31T10:00:00Z'],
    ['direction', 'up'],
    ['nested', 'yes'],
    ['symbols', 'AAPL,$$$'],
    ['side', 'short'],
    ['asset_class', 'us_equity,stocks'],
    ['after_order_id', '../x'],
    // An ignored filter lists every order (SDK probe, stop 42): a parameter the route does not take.
    ['symbol', 'AAPL'],
    ['qty_below', '5'],
    ['__proto__', '1'],
  ])('bad %s=%s -> 400 naming it, no query', async (name, value) => {
    const res = await list({ [name]: value });
    expect(res.statusCode).toBe(400);
    expect(parse(res.body)).toMatchObject({ code: 40010001, message: expect.stringContaining(name) });
    expect(sentQueries()).toHaveLength(0);
  });

  // alpaca-py's GetOrdersRequest(nested=True): requests writes Python's `True`.
  test.each([
    ['True', true],
    ['TRUE', true],
    ['true', true],
    ['False', false],
  ])('nested=%s reads as %s', (text, nested) => {
    const p = parseListParams({ nested: text as string });
    expect(p.ok ? p.params.nested : 'refused').toBe(nested);
  });

  // Alpaca's order cursors (SDK 4's afterOrderId / beforeOrderId) and asset_class: a probe's
  // `afterOrderId` paging loop got its first page again, the cursor order included, every time.
  test.each([
    [
      { after_order_id: 'o-1', before_order_id: 'o-2' },
      'before_order_id: give after_order_id or before_order_id, not both',
    ],
    [{ after_order_id: 'o-1', after: '2030-01-01' }, 'after_order_id: is not combined with after or until'],
    [{ before_order_id: 'o-1', until: '2030-01-01' }, 'before_order_id: is not combined with after or until'],
    // Compared as the instants written, below the ms too (the keys are whole ms).
    [
      { after: '2030-01-01T00:00:00.2170001Z', until: '2030-01-01T00:00:00.2170001Z' },
      'until: must be later than after',
    ],
    [
      { after: '2030-01-01T00:00:00.2170002Z', until: '2030-01-01T00:00:00.2170001Z' },
      'until: must be later than after',
    ],
  ])('%j -> 400, no query', async (q, message) => {
    const res = await list(q);
    expect([res.statusCode, parse(res.body).message]).toEqual([400, message]);
    expect(sentQueries()).toHaveLength(0);
  });

  test.each([
    ['after_order_id', '#k > :after', ':after'],
    ['before_order_id', '#k < :until', ':until'],
  ])(
    '%s: the orders placed after / before that order, exclusive of it (its createdKey)',
    async (name, condition, value) => {
      seedOrder(fake, 'o-1', { commands: accepted });
      expect((await list({ [name]: 'o-1', status: 'all' })).statusCode).toBe(200);
      const [input] = sentQueries().filter((q) => q.IndexName !== undefined);
      expect(input?.KeyConditionExpression).toBe(`#pk = :pk AND ${condition}`);
      // Exactly the cursor's key, with `>` / `<`: the cursor itself and no other order is left out.
      expect(input?.ExpressionAttributeValues?.[value]).toBe(`${new Date(T0).toISOString()}#o-1`);
    },
  );

  test.each(['after_order_id', 'before_order_id'])(
    '%s: an order id in upper case is the same UUID (RFC 9562), the cursor found',
    async (name) => {
      const id = '3f1c2a9e-5b7d-4e61-9a0b-6c8d2e4f1a37';
      seedOrder(fake, id, { commands: accepted });
      expect((await list({ [name]: id.toUpperCase(), status: 'all' })).statusCode).toBe(200);
      const [input] = sentQueries().filter((q) => q.IndexName !== undefined);
      expect(Object.values(input?.ExpressionAttributeValues ?? {})).toContain(
        `${new Date(T0).toISOString()}#${id}`,
      );
    },
  );

  test('an order cursor that is no order of the account -> 422 naming it, no listing', async () => {
    seedOrder(fake, 'o-1', { accountId: OTHER_ACCOUNT });
    for (const id of ['o-1', 'o-404']) {
      const res = await list({ after_order_id: id });
      expect([res.statusCode, parse(res.body).message]).toEqual([
        422,
        'after_order_id: is not an order of this account',
      ]);
    }
    expect(sentQueries().filter((q) => q.IndexName !== undefined)).toHaveLength(0);
  });

  // SDK 3.1.3 sends `symbols: ['AAPL', 'MSFT']` as `symbols[]=AAPL&symbols[]=MSFT` (joined by a
  // comma, as a repeated parameter is): it listed every order of the account (SDK probe, stop 42).
  test('symbols[] is read as symbols: one query each', async () => {
    await list({ 'symbols[]': 'AAPL,msft', status: 'all' });
    expect(sentQueries().map((q) => q.ExpressionAttributeValues?.[':pk'])).toEqual([
      'acct-1#AAPL',
      'acct-1#MSFT',
    ]);
  });

  test('asset_class: us_equity (or a list with it, or all) lists as without it; only other classes list nothing', async () => {
    fake.ordersQueryItems = [{ ...item('o1', '2030-01-01T00:00:01Z') }];
    for (const asset_class of ['us_equity', 'crypto,us_equity', 'all', 'treasury,all'])
      expect(parse((await list({ asset_class })).body)).toEqual([{ id: 'o1', legs: null }]);
    for (const asset_class of ['crypto,us_option', 'crypto_perp'])
      expect(parse((await list({ asset_class })).body)).toEqual([]);
  });

  const item = (orderId: string, at: string, parentOrderId?: string, groupId?: string): OrderViewItem => ({
    orderId,
    createdKey: `${at}#${orderId}`,
    ...(parentOrderId ? { parentOrderId } : {}),
    ...(groupId ? { groupId } : {}),
    order: { id: orderId, legs: null } as unknown as AlpacaOrder,
  });
  const params = (p: Partial<ListParams>): ListParams => ({
    status: 'all',
    limit: 50,
    after: null,
    until: null,
    direction: 'desc',
    nested: false,
    symbols: null,
    side: null,
    ...p,
  });

  test('results of several queries are merge-sorted by created time, then limited', () => {
    const a = [item('a1', '2030-01-01T00:00:03Z'), item('a2', '2030-01-01T00:00:01Z')];
    const b = [item('b1', '2030-01-01T00:00:02Z')];
    const ids = (list: OrderViewItem[]) => list.map((i) => i.orderId);
    expect(ids(assembleList([a, b], params({ limit: 2 })))).toEqual(['a1', 'b1']);
    expect(ids(assembleList([a, b], params({ direction: 'asc' })))).toEqual(['a2', 'b1', 'a1']);
  });

  /**
   * Nested listings (SDK probe, stop 41: `limit` counted legs, a leg replaced later came up
   * top-level on another page, a root's legs were those of its page): only the top level counts and
   * is listed, each root of a group with its legs as GET /v2/orders/{id} shows them (the reader's,
   * i.e. the event store's), an open leg of a closed root on its own in an open listing.
   */
  describe('nested', () => {
    const t = '2030-01-01T00:00:0';
    const o = (
      id: string,
      sec: number,
      extra: { parent?: string; group?: string; cls?: string; status?: string } = {},
    ): OrderViewItem => ({
      ...item(id, `${t}${sec}Z`, extra.parent, extra.group),
      order: {
        id,
        legs: null,
        order_class: extra.cls ?? 'simple',
        status: extra.status ?? 'new',
      } as unknown as AlpacaOrder,
    });
    // Bracket p (entry filled at 1 s): take-profit tp replaced at 5 s by tp2, stop-loss sl. Bracket
    // q (entry open, 3 s) with legs qtp, qsl. Bracket r replaced at 4 s by r2 (its group r).
    const p = o('p', 1, { cls: 'bracket', status: 'filled', group: 'p' });
    const tp = o('tp', 1, { parent: 'p', group: 'p', cls: 'bracket', status: 'replaced' });
    const sl = o('sl', 1, { parent: 'p', group: 'p', cls: 'bracket', status: 'held' });
    const tp2 = o('tp2', 5, { parent: 'p', group: 'p', cls: 'bracket' });
    const simple = o('s', 2);
    const q = o('q', 3, { cls: 'bracket', group: 'q' });
    const qtp = o('qtp', 3, { parent: 'q', group: 'q', cls: 'bracket', status: 'held' });
    const qsl = o('qsl', 3, { parent: 'q', group: 'q', cls: 'bracket', status: 'held' });
    const r = o('r', 0, { cls: 'oco', status: 'replaced', group: 'r' });
    const r2 = o('r2', 4, { cls: 'oco', group: 'r' });
    const rsl = o('rsl', 0, { parent: 'r', group: 'r', cls: 'oco', status: 'held' });
    const reader: GroupReader = {
      rootIsOpen: async (group) => group !== 'p',
      legsOf: async (root) =>
        (({ p: ['tp2', 'sl'], q: ['qtp', 'qsl'], r: ['rsl'], r2: ['rsl'] }) as Record<string, string[]>)[
          root
        ]?.map((id) => ({ id }) as AlpacaOrder) ?? [],
    };
    const listed = async (items: OrderViewItem[], p: Partial<ListParams>) => {
      const ps = params({ nested: true, ...p });
      const top = assembleList([items], ps, await legsStandingAlone(items, ps, reader));
      return (await withCurrentLegs(top, reader)).map((x) => [x.id, x.legs?.map((l) => l.id) ?? null]);
    };
    // biome-ignore format: a table
    const cases: [string, OrderViewItem[], Partial<ListParams>, (string | string[] | null)[][]][] = [
      ['all: roots with their legs as they are now (tp2, not the page\'s replaced tp), a simple order without',
        [tp2, r2, q, qtp, qsl, simple, p, tp, sl, r, rsl], {},
        [['r2', ['rsl']], ['q', ['qtp', 'qsl']], ['s', null], ['p', ['tp2', 'sl']], ['r', null]]],
      ['limit counts the top level only (was: the legs took the places of later roots)',
        [q, qtp, qsl, simple, p, tp, sl], { limit: 2 },
        [['q', ['qtp', 'qsl']], ['s', null]]],
      ['a leg whose root is beyond the limit is not listed: its root is, on the next page',
        [tp2, q, qtp, qsl, p, sl], { limit: 1 },
        [['q', ['qtp', 'qsl']]]],
      ['open: an open leg of a closed root stands alone (a live exit stays visible)',
        [tp2, r2, q, qtp, qsl, sl], { status: 'open' },
        [['tp2', null], ['r2', ['rsl']], ['q', ['qtp', 'qsl']], ['sl', null]]],
      ['open: the legs of an open root beyond the limit are not listed on their own',
        [r2, q, qtp, qsl, rsl], { status: 'open', limit: 1 },
        [['r2', ['rsl']]]],
      ['closed: a leg without its root in the listing is not listed',
        [tp, p, r], { status: 'closed' },
        [['p', ['tp2', 'sl']], ['r', null]]],
      ['ascending: the same top level, oldest first',
        [r, rsl, p, tp, sl, simple, q, qtp, qsl, r2, tp2], { direction: 'asc', limit: 3 },
        [['r', null], ['p', ['tp2', 'sl']], ['s', null]]],
    ];
    test.each(cases)('%s', async (_name, items, p, expected) => {
      expect(await listed(items, p)).toEqual(expected);
    });

    test('not nested: every order, replaced legs too', async () => {
      const items = [tp2, q, qtp, qsl, p, tp, sl];
      expect(assembleList([items], params({})).map((i) => i.orderId)).toEqual([
        'tp2',
        'qtp',
        'qsl',
        'q',
        'tp',
        'sl',
        'p',
      ]);
    });
  });

  test('status=closed: an open order the account index holds is not listed; pages are read until the limit is met', async () => {
    // The listing indexes do not project the status (a close writes none of them, issue 12): the
    // closed listing keeps the orders whose document is closed, reading on while the page fell short.
    const at = (i: number) => `2030-01-01T00:00:${String(10 + i)}Z`;
    const statuses = ['new', 'filled', 'partially_filled', 'canceled', 'accepted', 'expired', 'rejected'];
    fake.ordersQueryItems = statuses.map((status, i) => {
      const it = item(`o${i}`, at(i));
      return { ...it, order: { ...it.order, status } };
    });
    // Newest first, two items per Query page.
    const pages = [...fake.ordersQueryItems].reverse();
    fake.mock.on(QueryCommand).callsFake(async (input) => {
      const from = (input.ExclusiveStartKey?.n as number | undefined) ?? 0;
      const to = from + 2;
      return {
        Items: structuredClone(pages.slice(from, to)),
        ...(to < pages.length ? { LastEvaluatedKey: { n: to } } : {}),
      };
    });
    const ids = async (q: Record<string, string>) =>
      (parse((await list(q)).body) as { id: string }[]).map((o) => o.id);
    expect(await ids({ status: 'closed' })).toEqual(['o6', 'o5', 'o3', 'o1']);
    expect(await ids({ status: 'closed', limit: '3' })).toEqual(['o6', 'o5', 'o3']);
    // The whole listing read all four pages; limit 3 stopped after the second (o6 o5 | o4 o3).
    expect(sentQueries()).toHaveLength(4 + 2);
  });

  test('returns the stored Alpaca orders', async () => {
    fake.ordersQueryItems = [{ ...item('o1', '2030-01-01T00:00:01Z') }];
    expect(parse((await list()).body)).toEqual([{ id: 'o1', legs: null }]);
  });
});

describe('GET one order', () => {
  const get = (routeKey: string, o: Partial<Parameters<typeof apiEvent>[0]> = {}) =>
    query(apiEvent({ routeKey, pathParameters: { order_id: 'o-1' }, ...o }));

  test('by id, from the event store', async () => {
    seedOrder(fake, 'o-1', { commands: accepted });
    const res = await get('GET /v2/orders/{order_id}');
    expect(res.statusCode).toBe(200);
    expect(parse(res.body)).toMatchObject({ id: 'o-1', status: 'new' });
  });

  test.each(['GET /v2/orders/{order_id}', 'GET /v2/orders/{order_id}/events'])(
    '%s: another account’s order and an unknown id are 404',
    async (routeKey) => {
      seedOrder(fake, 'o-1', { accountId: OTHER_ACCOUNT });
      for (const order_id of ['o-1', 'nope']) {
        const res = await get(routeKey, { pathParameters: { order_id } });
        expect(res.statusCode).toBe(404);
        expect(parse(res.body).code).toBe(40410000);
      }
    },
  );

  test.each([
    { routeKey: 'GET /v2/orders/{order_id}', handler: query, status: 200 },
    { routeKey: 'GET /v2/orders/{order_id}/events', handler: query, status: 200 },
    { routeKey: 'DELETE /v2/orders/{order_id}', handler: cancel, status: 204 },
  ])(
    '$routeKey: the order id in upper case is the same UUID (RFC 9562), found',
    async ({ routeKey, handler, status }) => {
      const id = '3f1c2a9e-5b7d-4e61-9a0b-6c8d2e4f1a37';
      seedOrder(fake, id, { commands: accepted });
      const res = await handler(apiEvent({ routeKey, pathParameters: { order_id: id.toUpperCase() } }));
      expect(res.statusCode).toBe(status);
      if (status === 200 && routeKey === 'GET /v2/orders/{order_id}') expect(parse(res.body).id).toBe(id);
    },
  );

  const query_ = (rawQueryString: string, q: Record<string, string>) =>
    query({ ...apiEvent({ routeKey: 'GET /v2/orders:by_client_order_id', query: q }), rawQueryString });

  test('any other method or path ($default route): Alpaca 404 with its code, nothing read', async () => {
    // Issue 11: API Gateway answered {"message":"Not Found"} without a code.
    const res = await query(apiEvent({ routeKey: '$default' }));
    expect(res.statusCode).toBe(404);
    expect(parse(res.body)).toEqual({ code: 40410000, message: 'endpoint not found' });
    expect(fake.mock.calls()).toEqual([]);
  });

  // A probe: a repeated client_order_id was looked up joined (`c-7,x`, 404); `client_order_id[]`
  // read as "is required".
  test.each<[string, Record<string, string>, string]>([
    [
      'client_order_id=c-7&client_order_id=x',
      { client_order_id: 'c-7,x' },
      'client_order_id: is given 2 times (one order at a time)',
    ],
    [
      'client_order_id%5B%5D=c-7',
      { 'client_order_id[]': 'c-7' },
      'client_order_id[]: is not a parameter of this route (it takes client_order_id)',
    ],
  ])('by client order id, %s: 400 naming it', async (rawQueryString, query, message) => {
    seedOrder(fake, 'o-1', { body: { ...LIMIT_BUY, client_order_id: 'c-7' } });
    fake.put('idempotency', { id: `coid#${ACCOUNT}#c-7`, orderId: 'o-1', requestHash: 'h' });
    const res = await query_(rawQueryString, query);
    expect([res.statusCode, parse(res.body).message]).toEqual([400, message]);
  });

  test('by client order id, through the claim', async () => {
    seedOrder(fake, 'o-1', { body: { ...LIMIT_BUY, client_order_id: 'c-7' } });
    fake.put('idempotency', { id: `coid#${ACCOUNT}#c-7`, orderId: 'o-1', requestHash: 'h' });
    const res = await get('GET /v2/orders:by_client_order_id', { query: { client_order_id: 'c-7' } });
    expect(parse(res.body)).toMatchObject({ id: 'o-1', client_order_id: 'c-7' });
    expect(
      (await get('GET /v2/orders:by_client_order_id', { query: { client_order_id: 'c-8' } })).statusCode,
    ).toBe(404);
    expect((await get('GET /v2/orders:by_client_order_id', { query: {} })).statusCode).toBe(400);
    // Too long reads as POST's words, not `is required` (a probe's 5000 characters).
    for (const [id, message] of [
      ['x'.repeat(5000), 'client_order_id: must be at most 128 characters'],
      ['', 'client_order_id: is required (1 to 128 characters)'],
    ] as const) {
      const res = await get('GET /v2/orders:by_client_order_id', { query: { client_order_id: id } });
      expect([res.statusCode, parse(res.body).message]).toEqual([400, message]);
    }
  });

  test('one length rule for client order ids: POST, PATCH and GET by client order id agree (issue 11)', async () => {
    // GET counted UTF-16 units while POST counted code points: 65 to 128 emoji were accepted and
    // could never be looked up.
    const idText = fc
      .array(
        fc.oneof(fc.constantFrom('😀', '𝄞', 'a', 'é', '-'), fc.string({ unit: 'grapheme', maxLength: 1 })),
        {
          minLength: 1,
          maxLength: 200,
        },
      )
      .map((parts) => parts.join(''))
      .filter((id) => id.length > 0);
    await fc.assert(
      fc.asyncProperty(idText, async (id) => {
        const posted = orderRequestSchema.shape.client_order_id.safeParse(id).success;
        expect(replaceRequestSchema.shape.client_order_id.safeParse(id).success).toBe(posted);
        const res = await get('GET /v2/orders:by_client_order_id', { query: { client_order_id: id } });
        // No claim exists: an id POST accepts is looked up (404); one it refuses is refused here too.
        expect(res.statusCode).toBe(posted ? 404 : 400);
      }),
      { numRuns: 300 },
    );
    for (const [id, ok] of [
      ['😀'.repeat(64), true],
      ['😀'.repeat(65), true],
      ['😀'.repeat(128), true],
      ['😀'.repeat(129), false],
      ['a'.repeat(128), true],
      ['a'.repeat(129), false],
    ] as const) {
      expect([id.length, isClientOrderIdLength(id)]).toEqual([id.length, ok]);
      expect(orderRequestSchema.shape.client_order_id.safeParse(id).success).toBe(ok);
      const res = await get('GET /v2/orders:by_client_order_id', { query: { client_order_id: id } });
      expect([id.length, res.statusCode]).toEqual([id.length, ok ? 404 : 400]);
    }
  });

  test.each(['bot\t1', 'bot\u202e1', 'bot\u2028x'])(
    'an id POST refuses for a control character (%j) is refused by GET too, 400 naming it, not a 404',
    async (id) => {
      // A CI's property run drew such an id: POST 422, GET by client order id 404.
      expect(orderRequestSchema.shape.client_order_id.safeParse(id).success).toBe(false);
      const res = await get('GET /v2/orders:by_client_order_id', { query: { client_order_id: id } });
      expect([res.statusCode, parse(res.body).message]).toEqual([
        400,
        'client_order_id: must be printable Unicode text (no control characters)',
      ]);
    },
  );

  test('events, in sequence order, with their metadata', async () => {
    seedOrder(fake, 'o-1', { commands: [...accepted, { type: 'requestCancel', requestedBy: 'bot-1' }] });
    const body = parse((await get('GET /v2/orders/{order_id}/events')).body);
    expect(body.order_id).toBe('o-1');
    expect(body.events.map((e: { seq: number; type: string }) => [e.seq, e.type])).toEqual([
      [1, 'OrderSubmitted'],
      [2, 'OrderAccepted'],
      [3, 'OrderCancelRequested'],
    ]);
    expect(body.events[2]).toEqual({
      event_id: 'o-1:3',
      seq: 3,
      type: 'OrderCancelRequested',
      occurred_at: new Date(T0).toISOString(),
      data: { requestedBy: 'bot-1' },
      correlation_id: 'seed',
      causation_id: 'seed',
    });
  });
});

describe('DELETE /v2/orders/{order_id}', () => {
  const del = (order_id: string) =>
    cancel(apiEvent({ routeKey: 'DELETE /v2/orders/{order_id}', pathParameters: { order_id } }));
  const fill = { type: 'fill', execId: 'e1', lastQty: '10', lastPx: '100' } as const;

  test('204, and OrderCancelRequested by the principal is appended', async () => {
    seedOrder(fake, 'o-1', { commands: accepted });
    const res = await del('o-1');
    expect(res.statusCode).toBe(204);
    expect(fake.table('events').get('o-1|3')).toMatchObject({
      type: 'OrderCancelRequested',
      data: { requestedBy: 'bot-1' },
      correlationId: 'req-1',
    });
  });

  // A probe: `?qty=1` on a 5-share order's cancel answered 204 and canceled all of it.
  test.each<Record<string, string>>([{ qty: '1' }, { symbols: 'AAPL' }])(
    'a query parameter (%o): 400 naming it, nothing appended',
    async (query) => {
      seedOrder(fake, 'o-1', { commands: accepted });
      const before = fake.table('events').size;
      const res = await cancel(
        apiEvent({ routeKey: 'DELETE /v2/orders/{order_id}', pathParameters: { order_id: 'o-1' }, query }),
      );
      expect([res.statusCode, parse(res.body).message]).toEqual([
        400,
        `${Object.keys(query)[0]}: is not a parameter of this route (it takes none)`,
      ]);
      expect(fake.table('events').size).toBe(before);
    },
  );

  // SDK probe (stop 42): of 10 parallel DELETEs one got 204, nine 422 `request outstanding`.
  test('a cancel already asked (a retry) -> 204 again, nothing appended', async () => {
    seedOrder(fake, 'o-1', { commands: [...accepted, { type: 'requestCancel', requestedBy: 'x' }] });
    const before = fake.table('events').size;
    expect((await del('o-1')).statusCode).toBe(204);
    expect(fake.table('events').size).toBe(before);
  });

  test.each([
    // A replace outstanding: waited for (test/order-api/cancel-across-replace.test.ts).
    { case: 'filled', commands: [...accepted, fill], reason: 'filled' },
  ] as const)('$case -> 422 42210000', async ({ commands, reason }) => {
    seedOrder(fake, 'o-1', { commands });
    const before = fake.table('events').size;
    const res = await del('o-1');
    expect(res.statusCode).toBe(422);
    expect(parse(res.body)).toMatchObject({
      code: 42210000,
      message: expect.stringMatching(/^order is not cancelable: .*/),
    });
    expect(parse(res.body).message).toContain(reason);
    expect(fake.table('events').size).toBe(before);
  });

  test('another account’s order -> 404, nothing appended', async () => {
    seedOrder(fake, 'o-1', { accountId: OTHER_ACCOUNT });
    expect((await del('o-1')).statusCode).toBe(404);
    expect(fake.table('events').size).toBe(1);
  });
  // DELETE /v2/orders (the fan-out and its worker): test/order-api/cancel-all.test.ts
});

describe('PATCH /v2/orders/{order_id}', () => {
  const patch = (body: unknown, order_id = 'o-1') =>
    replace(apiEvent({ routeKey: 'PATCH /v2/orders/{order_id}', pathParameters: { order_id }, body }));

  // A probe's `PATCH ?qty=9` with a body changing the limit price: 200, its qty unchanged.
  test.each<Record<string, string>>([{ qty: '9' }, { limit_price: '1' }, { bogus: '' }])(
    'a query parameter (%o): 400 naming it, nothing appended',
    async (query) => {
      seedOrder(fake, 'o-1', { commands: accepted });
      const before = fake.table('events').size;
      const res = await replace(
        apiEvent({
          routeKey: 'PATCH /v2/orders/{order_id}',
          pathParameters: { order_id: 'o-1' },
          body: { limit_price: '101.50' },
          query,
        }),
      );
      expect(res.statusCode).toBe(400);
      expect(parse(res.body).message).toBe(
        `${Object.keys(query)[0]}: is not a parameter of this route (it takes none)`,
      );
      expect(fake.table('events').size).toBe(before);
    },
  );

  test('200 with the replacement as it will open; OrderReplaceRequested reserves its id', async () => {
    seedOrder(fake, 'o-1', { commands: accepted });
    const res = await patch({ qty: 20, limit_price: '101.50', client_order_id: 'c-2' });
    expect(res.statusCode).toBe(200);
    const order = parse(res.body);
    expect(order).toMatchObject({
      replaces: 'o-1',
      qty: '20',
      limit_price: '101.5',
      client_order_id: 'c-2',
      status: 'accepted',
    });
    expect(order.id).not.toBe('o-1');
    expect(fake.table('events').get('o-1|3')).toMatchObject({
      type: 'OrderReplaceRequested',
      data: {
        replacementOrderId: order.id,
        changes: { qty: '20', limitPrice: '101.5', clientOrderId: 'c-2' },
      },
    });
    // Not its own exposure, but every other order open now counts (the replacement skips the
    // workflow's as-of-submission re-check).
    expect(risk).toHaveBeenCalledWith(ACCOUNT, expect.objectContaining({ qty: '20' }), T0 + 1000, {
      // What the order holds of a buying power claim, from its state (it claimed none here).
      self: { orderId: 'o-1', createdAt: new Date(T0).toISOString(), heldCents: 0 },
      exposure: 'all',
    });
  });

  test('read-after-write: the replacement is found at once by id and by client order id (issue 11)', async () => {
    // It was a 404 until the venue's `replaced` opened it (0.2-0.6 s in local mode).
    seedOrder(fake, 'o-1', { commands: accepted });
    const given = parse((await patch({ limit_price: '101.50', client_order_id: 'c-2' })).body);
    seedOrder(fake, 'o-2', { body: { ...LIMIT_BUY, client_order_id: 'c-9' }, commands: accepted });
    // Without a client_order_id the replacement's is its own id.
    const generated = parse((await patch({ qty: 30 }, 'o-2')).body);
    const get = (routeKey: string, o: Partial<Parameters<typeof apiEvent>[0]>) =>
      query(apiEvent({ routeKey, ...o }));
    const byId = await get('GET /v2/orders/{order_id}', { pathParameters: { order_id: given.id } });
    expect([byId.statusCode, parse(byId.body)]).toEqual([200, given]);
    const byCoid = await get('GET /v2/orders:by_client_order_id', { query: { client_order_id: 'c-2' } });
    expect([byCoid.statusCode, parse(byCoid.body)]).toEqual([200, given]);
    const byOwnId = await get('GET /v2/orders:by_client_order_id', {
      query: { client_order_id: generated.client_order_id },
    });
    expect([generated.client_order_id, byOwnId.statusCode, parse(byOwnId.body)]).toEqual([
      generated.id,
      200,
      generated,
    ]);
    // Another account sees neither.
    const stranger = await get('GET /v2/orders/{order_id}', {
      pathParameters: { order_id: given.id },
      accountIds: OTHER_ACCOUNT,
    });
    expect(stranger.statusCode).toBe(404);
    // The venue refuses the replace: the replacement PATCH answered never opens; its id reads as
    // that replacement, rejected, naming the order that stays (not 404: a client could think it lost).
    await runCommand(
      eventStore(),
      'o-1',
      { type: 'rejectReplace', reason: 'too_late_to_replace' },
      (st) => ({ accountId: st.accountId, correlationId: 'r', causationId: 'r' }),
      () => T0 + 2000,
    );
    const after = await get('GET /v2/orders/{order_id}', { pathParameters: { order_id: given.id } });
    expect(after.statusCode).toBe(200);
    expect(parse(after.body)).toMatchObject({
      id: given.id,
      status: 'rejected',
      replaces: 'o-1',
      failed_at: new Date(T0 + 2000).toISOString(),
    });
    // Still none for another account.
    const strangerAfter = await get('GET /v2/orders/{order_id}', {
      pathParameters: { order_id: given.id },
      accountIds: OTHER_ACCOUNT,
    });
    expect(strangerAfter.statusCode).toBe(404);
  });

  test.each([
    ['the venue refused the replace', { type: 'rejectReplace', reason: 'too_late_to_replace' }, 'new'],
    ['the order filled first', { type: 'fill', execId: 'e-1', lastQty: '10', lastPx: '100' }, 'filled'],
  ] as const)(
    'a replacement that never opened (%s) is listed rejected under closed and all before its view is written, as GET shows it',
    async (_case, ending, originalStatus) => {
      // A probe: GET of the id read it rejected, no listing had it. Its view comes a stream hop
      // after the order's events (the projector's); in that hop the listing reads the minute's orders.
      seedOrder(fake, 'o-1', { commands: accepted });
      const given = parse((await patch({ limit_price: '101.50', client_order_id: 'c-2' })).body);
      await runCommand(
        eventStore(),
        'o-1',
        ending,
        (st) => ({ accountId: st.accountId, correlationId: 'r', causationId: 'r' }),
        () => T0 + 2000,
      );
      // The account's orders of the last minute, as the placing and the PATCH's transactions name
      // them (the fake keeps no `placed` set).
      fake.put('idempotency', {
        id: rateWindowId(ACCOUNT, Math.floor((T0 + 1000) / 1000)),
        placed: new Set(['o-1', given.id]),
      });
      const byId = parse(
        (
          await query(
            apiEvent({ routeKey: 'GET /v2/orders/{order_id}', pathParameters: { order_id: given.id } }),
          )
        ).body,
      );
      expect(byId).toMatchObject({ id: given.id, status: 'rejected', replaces: 'o-1' });
      const ids = async (status: string) =>
        (parse((await list({ status })).body) as unknown as AlpacaOrder[]).map((o) => [o.id, o.status]);
      const rejected = [given.id, 'rejected'];
      expect(await ids('closed')).toEqual(
        originalStatus === 'new' ? [rejected] : [rejected, ['o-1', 'filled']],
      );
      expect(await ids('all')).toEqual([rejected, ['o-1', originalStatus]]);
      expect(await ids('open')).toEqual(originalStatus === 'new' ? [['o-1', 'new']] : []);
      // Listed as GET answers it.
      const [listed] = (parse((await list({ status: 'closed' })).body) as unknown as AlpacaOrder[]).filter(
        (o) => o.id === given.id,
      );
      expect(listed).toEqual(byId);
    },
  );

  test('read-after-write between the venue’s `replaced` and the replacement’s opening: shown as it opens, never 404', async () => {
    // The applier appends OrderReplaced to the original, then the replacement's opening to its own
    // stream: a read between the two found the original replaced and no replacement (CI saw a 404).
    seedOrder(fake, 'o-1', { commands: accepted });
    const given = parse((await patch({ limit_price: '101.50', client_order_id: 'c-2' })).body);
    await runCommand(
      eventStore(),
      'o-1',
      { type: 'confirmReplace' },
      (st) => ({ accountId: st.accountId, correlationId: 'r', causationId: 'r' }),
      () => T0 + 2000,
    );
    expect(fake.table('events').has(`${given.id}|1`)).toBe(false);
    const get = (routeKey: string, o: Partial<Parameters<typeof apiEvent>[0]>) =>
      query(apiEvent({ routeKey, ...o }));
    for (const res of [
      await get('GET /v2/orders/{order_id}', { pathParameters: { order_id: given.id } }),
      await get('GET /v2/orders:by_client_order_id', { query: { client_order_id: 'c-2' } }),
    ]) {
      expect(res.statusCode).toBe(200);
      expect(parse(res.body)).toMatchObject({
        id: given.id,
        client_order_id: 'c-2',
        limit_price: '101.5',
        replaces: 'o-1',
        status: 'new',
      });
    }
  });

  /** A day sell trailing stop of 10 AAPL trailing as `trailBy` says, accepted. */
  const trailingSell = (trailBy: { trail_price?: string; trail_percent?: string }) =>
    seedOrder(fake, 'o-1', {
      body: {
        symbol: 'AAPL',
        qty: '10',
        side: 'sell',
        type: 'trailing_stop',
        time_in_force: 'day',
        ...trailBy,
      },
      commands: accepted,
    });

  test.each([
    { trailBy: { trail_percent: '5' }, changes: { trailPercent: '3' } },
    { trailBy: { trail_price: '2' }, changes: { trailPrice: '3' } },
  ])('trail maps to the way the order trails: $changes', async ({ trailBy, changes }) => {
    trailingSell(trailBy);
    expect((await patch({ trail: '3' })).statusCode).toBe(200);
    expect(fake.table('events').get('o-1|3')).toMatchObject({ data: { changes } });
  });

  test('a sell trail raised to the price it trails from (the market, 100) -> 422 naming trail, nothing appended', async () => {
    trailingSell({ trail_price: '2' });
    const res = await patch({ trail: '100' });
    expect(res.statusCode).toBe(422);
    expect(parse(res.body).message).toMatch(/^trail: must be below the market price \(100\)/);
    expect(parse(res.body).errors).toEqual([expect.objectContaining({ field: 'trail' })]);
    expect(fake.table('events').size).toBe(2);
  });

  // A probe found a bad `trail` answered as `trail_percent: ...` / `trail_price: ...`: fields the
  // client did not send (the core checks the trail as the order's own field).
  test.each([
    { trailBy: { trail_percent: '5' }, trail: '0' },
    { trailBy: { trail_percent: '5' }, trail: '100' },
    { trailBy: { trail_price: '2' }, trail: 'abc' },
    { trailBy: { trail_price: '2' }, trail: '1000' },
  ])(
    'a bad trail $trail on an order placed with $trailBy -> 422 naming trail',
    async ({ trailBy, trail }) => {
      trailingSell(trailBy);
      const res = await patch({ trail });
      expect(res.statusCode).toBe(422);
      const body = parse(res.body);
      expect(body).toMatchObject({ code: 40010001, message: expect.stringMatching(/^trail: /) });
      expect(body.errors).toEqual([expect.objectContaining({ field: 'trail' })]);
      expect(body.message).not.toMatch(/trail_p/);
      expect(fake.table('events').size).toBe(2);
    },
  );

  test.each([
    { case: 'an unknown field', body: { side: 'sell' }, status: 422, code: 40010001, text: 'side' },
    { case: 'trail on a limit order', body: { trail: '1' }, status: 422, code: 40010001, text: 'trail' },
    { case: 'a wrong type', body: { qty: [1] }, status: 422, code: 40010001, text: 'qty' },
    {
      case: 'an off-tick price',
      body: { limit_price: '100.001' },
      status: 422,
      code: 40010001,
      text: 'limit_price',
    },
    { case: 'nothing to change', body: {}, status: 422, code: 42210000, text: 'nothing to change' },
    // A probe: resending the order's terms placed a replacement each time (its place at the venue
    // lost); Alpaca refuses it too ("order parameters are not changed").
    {
      case: 'every term resent as it stands',
      body: { qty: '10.0', limit_price: 100, time_in_force: 'day' },
      status: 422,
      code: 42210000,
      text: 'nothing to change',
    },
    // A null reads as absent (as POST's): nothing to change either, not a type error.
    {
      case: 'only nulls',
      body: { qty: null, limit_price: null },
      status: 422,
      code: 42210000,
      text: 'nothing to change',
    },
  ])('$case -> $status $code', async ({ body, status, code, text }) => {
    seedOrder(fake, 'o-1', { commands: accepted });
    const res = await patch(body);
    expect(res.statusCode).toBe(status);
    expect(parse(res.body)).toMatchObject({ code, message: expect.stringContaining(text) });
    expect(fake.table('events').size).toBe(2);
  });

  test("the order's own client_order_id resent with its terms: nothing to change, not an id taken", async () => {
    const own = seedOrder(fake, 'o-1', { commands: accepted }).clientOrderId;
    const res = await patch({ qty: '10', limit_price: '100', client_order_id: own });
    expect([res.statusCode, parse(res.body).message]).toEqual([
      422,
      'order is not replaceable: nothing to change',
    ]);
    expect(fake.table('events').size).toBe(2);
  });

  test('a term resent as it stands beside one that changes: only the change is asked', async () => {
    seedOrder(fake, 'o-1', { commands: accepted });
    const res = await patch({ qty: '10', limit_price: '101', time_in_force: 'day' });
    expect(res.statusCode).toBe(200);
    expect(fake.table('events').get('o-1|3')).toMatchObject({
      type: 'OrderReplaceRequested',
      data: { changes: { limitPrice: '101' } },
    });
    const requested = fake.table('events').get('o-1|3')?.data as { changes: object } | undefined;
    expect(Object.keys(requested?.changes ?? {})).toEqual(['limitPrice']);
  });

  // A probe found PATCH and POST wording the same bad qty differently ("has the wrong type" against
  // "must be a decimal string or number"), and a negative or too long qty read "not a plain decimal".
  // biome-ignore format: a table
  test.each([
    ['1e400 (Infinity once parsed)', '1e400', 'qty: must be a decimal string or number'],
    ['a list', '[1]', 'qty: must be a decimal string or number'],
    ['a negative', '"-1"', 'qty: must be greater than 0'],
    ['a negative number', '-3', 'qty: must be greater than 0'],
    ['21 whole digits', '"123456789012345678901"', 'qty: is too large (at most 20 digits before the decimal point)'],
    ['an exponent in a string', '"1e5"', 'qty: must be a plain decimal such as "10" or "10.25"'],
    ['zero', '0', 'qty: must be greater than 0'],
  ])('qty %s: PATCH answers what POST answers (422 40010001), nothing appended', async (_, qty, message) => {
    seedOrder(fake, 'o-1', { commands: accepted });
    const posted = await create(
      apiEvent({ routeKey: 'POST /v2/orders', rawBody: `{"symbol":"AAPL","qty":${qty},"side":"buy","type":"limit","time_in_force":"day","limit_price":"100"}` }),
    );
    const patched = await replace(
      apiEvent({ routeKey: 'PATCH /v2/orders/{order_id}', pathParameters: { order_id: 'o-1' }, rawBody: `{"qty":${qty}}` }),
    );
    for (const res of [posted, patched]) {
      expect(res.statusCode).toBe(422);
      expect(parse(res.body)).toMatchObject({ code: 40010001, message });
    }
    expect(fake.table('events').size).toBe(2);
  });

  test('turning an order into opg during the session -> 422 naming time_in_force, nothing appended', async () => {
    seedOrder(fake, 'o-1', { commands: accepted });
    const now = jest.spyOn(Date, 'now').mockReturnValue(T0); // Wednesday 10:00 New York
    try {
      const res = await patch({ time_in_force: 'opg' });
      expect(res.statusCode).toBe(422);
      expect(parse(res.body)).toMatchObject({
        code: 40010001,
        message: expect.stringMatching(/^time_in_force: opg is not accepted during the regular session/),
      });
      expect(fake.table('events').size).toBe(2);
    } finally {
      now.mockRestore();
    }
  });

  test('a stop the OMS holds is replaced at once: its events and the armed replacement in one write', async () => {
    seedOrder(fake, 'o-1', {
      body: { symbol: 'AAPL', qty: '10', side: 'sell', type: 'stop', stop_price: '90', time_in_force: 'gtc' },
      commands: [{ type: 'arm', venue: 'SIMX' }],
    });
    const res = await patch({ stop_price: '92' });
    expect(res.statusCode).toBe(200);
    const order = parse(res.body);
    expect(order).toMatchObject({ replaces: 'o-1', stop_price: '92', status: 'accepted' });
    expect(fake.table('events').get('o-1|3')).toMatchObject({ type: 'OrderReplaceRequested' });
    expect(fake.table('events').get('o-1|4')).toMatchObject({
      type: 'OrderReplaced',
      data: { replacementOrderId: order.id },
    });
    expect(fake.table('events').get(`${order.id}|1`)).toMatchObject({ type: 'OrderSubmitted' });
    expect(fake.table('events').get(`${order.id}|2`)).toMatchObject({
      type: 'OrderArmed',
      data: { venue: 'SIMX' },
    });
    expect(fake.table('idempotency').get(`coid#${ACCOUNT}#${order.id}`)).toMatchObject({ orderId: order.id });
  });

  // A probe: a PATCH of an exit's qty answered 200, then the coordinator resized the
  // exit back under an id the bot never placed; a take-profit of a bracket of 10 raised to 15 at a
  // marketable 99 filled 15, the account left short 5. An exit's qty is the OMS's (core
  // contingency.ts `exitQtyChangeError`); its prices stay the client's.
  describe('an exit of a bracket, OCO or OTO: its qty may not change, its prices may', () => {
    const member = (
      orderClass: 'bracket' | 'oco' | 'oto',
      role: 'take_profit' | 'stop_loss',
      root = false,
    ) => ({
      groupId: root ? 'o-1' : 'g-1',
      orderClass,
      role,
      parentOrderId: root ? null : 'g-1',
      legOrderIds: root ? ['o-2'] : [],
      held: false,
    });
    const sellLimit = {
      symbol: 'AAPL',
      qty: '10',
      side: 'sell',
      type: 'limit',
      time_in_force: 'gtc',
      limit_price: '110',
    };
    const sellStop = {
      symbol: 'AAPL',
      qty: '10',
      side: 'sell',
      type: 'stop',
      time_in_force: 'gtc',
      stop_price: '90',
    };
    const ocoRoot = {
      ...sellLimit,
      order_class: 'oco',
      take_profit: { limit_price: '110' },
      stop_loss: { stop_price: '90' },
    };
    // A bracket's or OCO's stop-loss is armed at the OMS (core `isTriggerHeldForGroup`); the rest work at the venue.
    const armed = [{ type: 'arm', venue: 'SIMX' }] as const;
    // biome-ignore format: a table
    const exits = [
      { exit: "a bracket's take-profit", body: sellLimit, contingency: member('bracket', 'take_profit'), commands: accepted, price: { limit_price: '99' } },
      { exit: "a bracket's stop-loss",   body: sellStop,  contingency: member('bracket', 'stop_loss'),   commands: armed,    price: { stop_price: '91' } },
      { exit: "an OCO's root",           body: ocoRoot,   contingency: member('oco', 'take_profit', true), commands: accepted, price: { limit_price: '109' } },
      { exit: "an OCO's stop-loss",      body: sellStop,  contingency: member('oco', 'stop_loss'),       commands: armed,    price: { stop_price: '91' } },
      { exit: "an OTO's exit",           body: sellStop,  contingency: member('oto', 'stop_loss'),       commands: accepted, price: { stop_price: '91' } },
    ];
    // biome-ignore format: a table
    const changes = [
      { change: 'qty lowered',                   request: (_: object) => ({ qty: '5' }),           refused: true },
      { change: 'qty raised',                    request: (_: object) => ({ qty: '15' }),          refused: true },
      { change: 'qty raised, repriced',          request: (p: object) => ({ qty: '15', ...p }),    refused: true },
      { change: 'qty the same (10.0), repriced', request: (p: object) => ({ qty: '10.0', ...p }),  refused: false },
      { change: 'repriced only',                 request: (p: object) => p,                        refused: false },
    ];
    test.each(exits.flatMap((e) => changes.map((c) => ({ ...e, ...c }))))(
      '$exit, $change -> refused: $refused',
      async ({ body, contingency, commands, price, request, refused }) => {
        seedOrder(fake, 'o-1', { body, contingency, commands });
        const before = fake.table('events').size;
        const res = await patch(request(price));
        if (!refused) {
          expect(res.statusCode).toBe(200);
          expect(parse(res.body)).toMatchObject({ replaces: 'o-1', qty: '10' });
          return;
        }
        expect(res.statusCode).toBe(422);
        expect(parse(res.body)).toMatchObject({
          code: 40010001,
          message: expect.stringMatching(
            new RegExp(
              `^qty: cannot be changed on the ${contingency.role} exit of an? ${contingency.orderClass} order \\(10\\): the OMS sizes its exits to the position they cover; .*cancel the order and place a new one$`,
            ),
          ),
        });
        expect(fake.table('events').size).toBe(before);
      },
    );
  });

  test('not yet accepted by the venue -> 422 42210000', async () => {
    seedOrder(fake, 'o-1');
    const res = await patch({ qty: '5' });
    expect(parse(res.body)).toMatchObject({
      code: 42210000,
      message: expect.stringContaining('not replaceable'),
    });
  });

  test('a client_order_id already used -> 422 naming the field, nothing appended', async () => {
    seedOrder(fake, 'o-1', { commands: accepted });
    fake.put('idempotency', { id: `coid#${ACCOUNT}#taken`, orderId: 'o-9', requestHash: 'h' });
    const res = await patch({ limit_price: '101', client_order_id: 'taken' });
    expect(res.statusCode).toBe(422);
    expect(parse(res.body)).toMatchObject({
      code: 40010001,
      message: 'client_order_id must be unique: already used for another order',
      errors: [{ field: 'client_order_id' }],
    });
    expect(fake.table('events').size).toBe(2);
  });

  test('a client_order_id with a control character -> 422 naming the field, as POST; nothing appended', async () => {
    seedOrder(fake, 'o-1', { commands: accepted });
    const res = await patch({ client_order_id: 'bot-1\nforged line' });
    expect(res.statusCode).toBe(422);
    expect(parse(res.body)).toMatchObject({
      code: 40010001,
      message: 'client_order_id: must be printable Unicode text (no control characters)',
    });
    expect(fake.table('events').size).toBe(2);
  });

  test('the client_order_id is claimed by the replace request: two PATCHes and a POST naming it, at once, give one order that id', async () => {
    // A probe: the PATCH only read the id and the venue's confirmation claimed it later, so two
    // PATCHes and a POST naming one id while the venue worked the replaces all answered 200, and
    // three live orders shared it (GET by client order id found one of them).
    seedOrder(fake, 'o-1', { commands: accepted });
    seedOrder(fake, 'o-2', { body: { ...LIMIT_BUY, client_order_id: 'c-9' }, commands: accepted });
    const eventsBefore = fake.table('events').size;
    const answers = await Promise.all([
      patch({ qty: '2', client_order_id: 'shared' }, 'o-1'),
      patch({ qty: '2', client_order_id: 'shared' }, 'o-2'),
      create(apiEvent({ routeKey: 'POST /v2/orders', body: { ...LIMIT_BUY, client_order_id: 'shared' } })),
    ]);
    const ok = answers.filter((r) => r.statusCode === 200);
    expect(ok).toHaveLength(1);
    for (const refused of answers.filter((r) => r.statusCode !== 200)) {
      expect(refused.statusCode).toBe(422);
      expect(parse(refused.body)).toMatchObject({
        code: 40010001,
        message: 'client_order_id must be unique: already used for another order',
      });
    }
    // The claim names the one order that answered 200, and only its request wrote events.
    const winner = parse((ok[0] as { body: string }).body);
    expect(fake.table('idempotency').get(`coid#${ACCOUNT}#shared`)).toMatchObject({ orderId: winner.id });
    expect(fake.table('events').size - eventsBefore).toBe(1);
    const byCoid = await query(
      apiEvent({ routeKey: 'GET /v2/orders:by_client_order_id', query: { client_order_id: 'shared' } }),
    );
    expect(parse(byCoid.body)).toMatchObject({ id: winner.id, client_order_id: 'shared' });
  });

  test.each([
    ['below', '1'],
    ['equal to', '3'],
  ])('a qty %s what has filled (3 of 10) -> 422 naming qty, nothing appended', async (_t, qty) => {
    // A probe's replacement of 3 read `filled` with no fill of its own, and no trade update ended it.
    seedOrder(fake, 'o-1', {
      commands: [...accepted, { type: 'fill', execId: 'e1', lastQty: '3', lastPx: '100' }],
    });
    const before = fake.table('events').size;
    const res = await patch({ qty });
    expect(res.statusCode).toBe(422);
    expect(parse(res.body)).toMatchObject({
      code: 40010001,
      message: expect.stringMatching(/^qty: must be more than the 3 already filled .*cancel the order$/),
    });
    expect(fake.table('events').size).toBe(before);
  });

  test('a fill landing while the PATCH is on its way (3 of 10) is counted: qty 2 -> 422, only the fill appended', async () => {
    // The request read the order unfilled; its append conflicts with the fill's, and the order is
    // decided again as the fill left it (core `qtyAboveFills`), not replaced down to 2 of 3 filled.
    seedOrder(fake, 'o-1', { commands: accepted });
    const before = fake.table('events').size;
    const fill = { type: 'fill', execId: 'e1', lastQty: '3', lastPx: '100' } as const;
    fake.beforeNextTransactions.push(() => seedOrder(fake, 'o-1', { commands: [...accepted, fill] }));
    const res = await patch({ qty: '2' });
    expect(res.statusCode).toBe(422);
    expect(parse(res.body).message).toMatch(/^qty: must be more than the 3 already filled /);
    expect(fake.table('events').size).toBe(before + 1);
    expect(fake.table('idempotency').size).toBe(0);
  });

  /** The replacement's closing claim rode the first transaction, conditional on the claims read. */
  const expectClaimInFirstTransaction = (claimsId: string, claim: { side: string; qty: string }) => {
    const claimPut = fake.mock
      .commandCalls(TransactWriteCommand)[0]
      ?.args[0].input.TransactItems?.find((i) => i.Put?.Item?.id === claimsId);
    expect(claimPut?.Put).toMatchObject({
      ConditionExpression: 'attribute_not_exists(id)',
      Item: { claims: [{ ...claim, supersedes: 'o-1' }] },
    });
  };

  /** A PATCH of o-1's qty while a concurrent close of AAPL commits its claim between the PATCH's read and its write. */
  const patchAfterConcurrentClaim = async (qty: string) => {
    const claimsId = closingClaimsId(ACCOUNT, 'AAPL');
    fake.beforeNextTransactions.push(() => fake.put('idempotency', { id: claimsId, version: 1, claims: [] }));
    const before = fake.table('events').size;
    return { claimsId, before, res: await patch({ qty }) };
  };

  test('under REDUCING, a PATCH raising a sell is read under the closing claims, its claim in the replace; a sell committing first is read again and refuses it', async () => {
    // Long 10, a sell of 5 resting: a PATCH to 8 and a concurrent new sell of 5 each fit a read of
    // the position alone (a review: the PATCH was not serialized with the sell, 13 to sell of 10).
    seedOrder(fake, 'o-1', {
      body: { ...LIMIT_BUY, side: 'sell', qty: '5', limit_price: '150' },
      commands: accepted,
    });
    const reducing = {
      state: 'REDUCING',
      reason: 'drawdown',
      changedBy: 'ops',
      changedAt: new Date(T0).toISOString(),
      version: 1,
    } as const;
    risk.mockResolvedValue(
      riskInputs(
        {},
        { tradingStates: { firm: null, account: reducing }, positionQty: '10', heldForSale: '0' },
      ),
    );
    const fits = {
      kind: 'fits',
      shares: 8_000_000_000n,
      read: {
        position: 10_000_000_000n,
        claims: { version: 0, claims: [] },
        availability: {
          side: 'sell',
          size: 10_000_000_000n,
          held: 0n,
          available: 10_000_000_000n,
          claims: [],
        },
        ledgerSeq: 1,
        holdingOrderIds: [],
      },
    } as unknown as NoShortSell;
    const refusal = {
      rule: 'reducing_only',
      limit: 'REDUCING',
      message: 'reducing_only: sell of 8 exceeds the 5',
    } as const;
    reducingRead.mockReset().mockResolvedValueOnce(fits).mockResolvedValueOnce({ kind: 'refused', refusal });
    // The concurrent sell's claim commits between the PATCH's read and its transaction.
    const { claimsId, before, res } = await patchAfterConcurrentClaim('8');
    expect(res.statusCode).toBe(403);
    expect(parse(res.body).message).toContain('reducing_only');
    // Read as the replacement's 8 left to trade, the order itself (and what it replaced) not counted.
    expect(reducingRead).toHaveBeenCalledTimes(2);
    expect(reducingRead.mock.calls[0]?.[2]).toMatchObject({ side: 'sell', qty: '8' });
    expect(reducingRead.mock.calls[0]?.[4]).toMatchObject({
      states: { account: reducing },
      exclude: new Set(['o-1']),
    });
    // Its claim rode the replace's transaction, conditional on the claims read.
    expectClaimInFirstTransaction(claimsId, { side: 'sell', qty: '8' });
    expect(fake.table('events').size).toBe(before);
  });

  test('a PATCH raising a buy to cover is read under the closing claims; a cover committing first leaves it opening a long past buying power -> 403, nothing appended', async () => {
    // Short 10, a buy of 5 to cover resting, buying power $300: raised to 10 it only covers, free
    // (Alpaca: a cover takes no buying power). A concurrent cover of 10 counted the same short as
    // closing (left by the last stop: the PATCH read it outside the closing claims, and the account
    // ended long 10 with no buying power taken for it).
    seedOrder(fake, 'o-1', { body: { ...LIMIT_BUY, qty: '5' }, commands: accepted });
    risk.mockResolvedValue({
      ...riskInputs({}, { buyingPower: '300', positionQty: '-10', heldForBuy: '0' }),
      openBuys: { reservedCents: 0, setAsideCents: 0, releasedCents: 0, unclaimed: '0' },
    });
    const readOf = (shares: bigint, held: bigint) =>
      ({
        kind: 'fits',
        shares,
        read: {
          position: -10_000_000_000n,
          claims: { version: held === 0n ? 0 : 1, claims: [] },
          availability: {
            side: 'buy',
            size: 10_000_000_000n,
            held,
            available: 10_000_000_000n - held,
            claims: [],
          },
          ledgerSeq: 1,
          holdingOrderIds: [],
        },
      }) as unknown as NoShortSell;
    closingRead
      .mockReset()
      .mockResolvedValueOnce(readOf(10_000_000_000n, 0n))
      .mockResolvedValueOnce(readOf(0n, 10_000_000_000n));
    // The concurrent cover's claim commits between the PATCH's read and its transaction.
    const { claimsId, before, res } = await patchAfterConcurrentClaim('10');
    expect(res.statusCode).toBe(403);
    expect(parse(res.body).message).toBe('insufficient buying power');
    // Read as the replacement's 10 left to trade, the order itself not counted.
    expect(closingRead).toHaveBeenCalledTimes(2);
    expect(closingRead.mock.calls[0]?.[2]).toMatchObject({ side: 'buy', qty: 10_000_000_000n });
    expect(closingRead.mock.calls[0]?.[4]).toMatchObject({ exclude: new Set(['o-1']) });
    // Its closing claim rode the first transaction, conditional on the claims read.
    expectClaimInFirstTransaction(claimsId, { side: 'buy', qty: '10' });
    expect(fake.table('events').size).toBe(before);
  });

  test('a PATCH raising a buy of a short past the short -> 403 short_cover from the closing-claims read, buying power kept or not; nothing appended', async () => {
    // Short 10, a buy of 5 to cover resting, buying power not kept: raised to 12 it would go long 2.
    seedOrder(fake, 'o-1', { body: { ...LIMIT_BUY, qty: '5' }, commands: accepted });
    risk.mockResolvedValue(riskInputs({}, { positionQty: '-10', heldForBuy: '0' }));
    closingRead.mockReset().mockResolvedValueOnce({
      kind: 'refused',
      refusal: shortCoverRefusal('AAPL', 12_000_000_000n, -10_000_000_000n, {
        held: 0n,
        available: 10_000_000_000n,
      }),
    });
    const before = fake.table('events').size;
    const res = await patch({ qty: '12' });
    expect(res.statusCode).toBe(403);
    expect(parse(res.body).message).toBe(
      'insufficient qty available for order (requested: 12, available: 10)',
    );
    expect(closingRead).toHaveBeenCalledTimes(1);
    expect(closingRead.mock.calls[0]?.[2]).toMatchObject({ side: 'buy', qty: 12_000_000_000n });
    expect(fake.table('events').size).toBe(before);
  });

  test('risk re-check of the replaced terms -> 403, nothing appended', async () => {
    seedOrder(fake, 'o-1', { commands: accepted });
    risk.mockResolvedValue(riskInputs({ maxOrderQty: '15' }));
    const res = await patch({ qty: '20' });
    expect(res.statusCode).toBe(403);
    expect(parse(res.body)).toMatchObject({
      code: 40310000,
      message: expect.stringContaining('max_order_qty'),
    });
    expect(fake.table('events').size).toBe(2);
  });

  test('another account’s order -> 404', async () => {
    seedOrder(fake, 'o-1', { accountId: OTHER_ACCOUNT, commands: accepted });
    expect((await patch({ qty: '5' })).statusCode).toBe(404);
  });
});

/**
 * Which orders a listing selects (`isListedBy`): the account's orders of the last minute are read
 * as they are now and listed, or taken out, by the same rules the listing's queries and filters
 * apply (exclusive `after`/`until`, as the indexes' `createdKey` bounds).
 */
describe('isListedBy', () => {
  const at = '2026-12-07T15:00:00.000Z';
  const order = {
    id: 'o-1',
    created_at: at,
    symbol: 'acme',
    side: 'buy',
    status: 'new',
  } as unknown as AlpacaOrder;
  // biome-ignore format: a table
  test.each([
    ['open, by default',                      {},                                            order,                          true],
    ['a canceled order is not open',          {},                                            { ...order, status: 'canceled' }, false],
    ['a canceled order is closed',            { status: 'closed' },                          { ...order, status: 'canceled' }, true],
    ['an open order is not closed',           { status: 'closed' },                          order,                          false],
    ['all lists both',                        { status: 'all' },                             { ...order, status: 'filled' },  true],
    ['after is exclusive',                    { after: at },                                 order,                          false],
    ['until is exclusive',                    { until: at },                                 order,                          false],
    ['within after and until',                { after: '2026-12-07T14:00:00Z', until: '2026-12-07T16:00:00Z' }, order, true],
    // A bound in year 10000 UTC was written `+010000-...`, below every key (a probe: until listed
    // nothing, after everything, both together a 400); it is clamped to 9999-12-31T23:59:59.999Z.
    ['until in year 10000 UTC',               { until: '9999-12-31T23:59-12:00' },           order,                          true],
    ['after in year 10000 UTC',               { after: '9999-12-31T23:00-12:00' },           order,                          false],
    ['after 2020, until in year 10000 UTC',   { after: '2020-01-01', until: '9999-12-31T23:59-12:00' }, order,              true],
    ['after in year -1 UTC',                  { after: '0000-01-01T00:00+01:00' },           order,                          true],
    ['until in year -1 UTC',                  { until: '0000-01-01T00:00+01:00' },           order,                          false],
    // Below the ms: the order at .000 is before until .0000001 (was cut to .000, exclusive: left out).
    ['until 100 ns after it',                 { until: '2026-12-07T15:00:00.0000001Z' },     order,                          true],
    ['until 100 ns after it, another offset', { until: '2026-12-07T16:00:00.0000001+01:00' }, order,                         true],
    ['after 100 ns after it',                 { after: '2026-12-07T15:00:00.0000001Z' },     order,                          false],
    ['after 100 ns before it',                { after: '2026-12-07T14:59:59.9999999Z' },     order,                          true],
    ['until 100 ns before it',                { until: '2026-12-07T14:59:59.9999999Z' },     order,                          false],
    ['its symbol, any case',                  { symbols: 'ACME,OTHER' },                     order,                          true],
    ['another symbol',                        { symbols: 'OTHER' },                          order,                          false],
    ['another side',                          { side: 'sell' },                              order,                          false],
  ] as [string, Record<string, string>, AlpacaOrder, boolean][])('%s', (_, query, o, listed) => {
    const p = parseListParams(query);
    if (!p.ok) throw new Error(JSON.stringify(p.errors));
    expect(isListedBy(p.params, o)).toBe(listed);
  });
});
