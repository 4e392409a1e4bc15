import './env.js';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { assetIdOf, defaultAsset } from '../../lambdas/core/index.js';
import { handler } from '../../lambdas/order-api/create-order.js';
import { loadRiskInputs } from '../../lambdas/orders/risk-context.js';
import { marketData } from '../../lambdas/platform/market-data.js';
import { WriteContention } from '../../lambdas/platform/write-retry.js';
import { FakeDynamo } from './fake-dynamo.js';
import { ACCOUNT, apiEvent, LIMIT_BUY, parse, riskInputs, T0 } from './fixtures.js';

jest.mock('../../lambdas/orders/risk-context.js', () => ({ loadRiskInputs: jest.fn() }));
const risk = jest.mocked(loadRiskInputs);
const fake = new FakeDynamo();

const post = (o: Partial<Parameters<typeof apiEvent>[0]> = {}) =>
  handler(apiEvent({ routeKey: 'POST /v2/orders', body: LIMIT_BUY, ...o }));

beforeEach(() => {
  fake.reset();
  risk.mockReset();
  risk.mockResolvedValue(riskInputs());
  jest.spyOn(Date, 'now').mockReturnValue(T0);
});
afterEach(() => jest.restoreAllMocks());

describe('POST /v2/orders', () => {
  test('200 with the Alpaca order, pending_new', async () => {
    const res = await post({ body: { ...LIMIT_BUY, client_order_id: 'c-1' } });
    expect(res.statusCode).toBe(200);
    expect(parse(res.body)).toMatchObject({
      client_order_id: 'c-1',
      symbol: 'AAPL',
      qty: '10',
      filled_qty: '0',
      limit_price: '100',
      status: 'pending_new',
      created_at: new Date(T0).toISOString(),
    });
    expect(fake.table('events').size).toBe(1);
  });

  test.each<Record<string, string>>([{ qty: '9' }, { symbol: 'MSFT' }, { bogus: '' }])(
    'a query parameter (%o): 400 naming it, nothing written (the order is its body)',
    async (query) => {
      const res = await post({ query });
      expect(res.statusCode).toBe(400);
      expect(parse(res.body).message).toBe(
        `${Object.keys(query)[0]}: is not a parameter of this route (it takes none)`,
      );
      expect(fake.table('events').size).toBe(0);
    },
  );

  test('a base64-encoded body is decoded', async () => {
    const rawBody = Buffer.from(JSON.stringify(LIMIT_BUY)).toString('base64');
    const res = await post({ rawBody, isBase64Encoded: true });
    expect(res.statusCode).toBe(200);
  });

  test.each([
    { case: 'malformed JSON', rawBody: '{"symbol": ', status: 400, field: 'body: is not valid JSON' },
    {
      case: 'oversize body',
      rawBody: JSON.stringify({ ...LIMIT_BUY, client_order_id: 'x'.repeat(17000) }),
      status: 413,
      field: 'body: exceeds 16384 bytes',
    },
    {
      // A probe's body with symbol twice placed the second (JSON.parse keeps the last).
      case: 'a field given twice',
      rawBody:
        '{"symbol":"AAPL","qty":"1","side":"buy","type":"market","time_in_force":"day","symbol":"MSFT"}',
      status: 400,
      field: 'symbol: is given more than once',
    },
    {
      case: 'a null symbol (absent)',
      body: { ...LIMIT_BUY, symbol: null },
      status: 422,
      field: 'symbol',
    },
    {
      case: 'a __proto__ field (an unknown field, never a prototype)',
      rawBody:
        '{"symbol":"AAPL","qty":"1","side":"buy","type":"market","time_in_force":"day","__proto__":{"x":1}}',
      status: 422,
      field: '__proto__',
    },
    { case: 'a JSON array', body: [LIMIT_BUY], status: 422, field: 'body' },
    { case: 'a JSON string', body: 'buy AAPL', status: 422, field: 'body' },
    { case: 'JSON null', rawBody: 'null', status: 422, field: 'body' },
    { case: 'qty of the wrong type', body: { ...LIMIT_BUY, qty: true }, status: 422, field: 'qty' },
    { case: 'an unknown field', body: { ...LIMIT_BUY, leverage: 10 }, status: 422, field: 'leverage' },
    { case: 'a bad enum', body: { ...LIMIT_BUY, side: 'short' }, status: 422, field: 'side' },
    { case: 'a missing symbol', body: { ...LIMIT_BUY, symbol: undefined }, status: 422, field: 'symbol' },
    {
      case: 'limit without limit_price',
      body: { ...LIMIT_BUY, limit_price: undefined },
      status: 422,
      field: 'limit_price',
    },
    { case: 'qty and notional', body: { ...LIMIT_BUY, notional: '100' }, status: 422, field: 'notional' },
    {
      case: 'an off-tick price',
      body: { ...LIMIT_BUY, limit_price: '100.001' },
      status: 422,
      field: 'limit_price',
    },
    {
      case: 'a too long client_order_id',
      body: { ...LIMIT_BUY, client_order_id: 'x'.repeat(129) },
      status: 422,
      field: 'client_order_id',
    },
    {
      // The reference price is 100: the first stop would be at or below zero (a probe: -39.99).
      case: 'a sell trailing stop trailing by the whole price',
      body: {
        symbol: 'AAPL',
        qty: '1',
        side: 'sell',
        type: 'trailing_stop',
        trail_price: '100',
        time_in_force: 'gtc',
      },
      status: 422,
      field: 'trail_price',
    },
    // An algorithm's window past the order's life (core ValidationContext.expiresAt): T0 is
    // 2030-01-02 10:00 New York, the day order's session closes at 21:00Z, a gtc order lives 90 days.
    {
      case: 'a day TWAP ending after the session close',
      body: { ...LIMIT_BUY, advanced_instructions: { algorithm: 'TWAP', end_time: '2030-01-02T21:00:01Z' } },
      status: 422,
      field: 'advanced_instructions.end_time',
    },
    {
      case: 'a gtc TWAP ending in 9999',
      body: {
        ...LIMIT_BUY,
        time_in_force: 'gtc',
        advanced_instructions: { algorithm: 'TWAP', end_time: '9999-12-31T23:59:59Z' },
      },
      status: 422,
      field: 'advanced_instructions.end_time',
    },
    {
      case: 'a gtc TWAP starting after its 90 days',
      body: {
        ...LIMIT_BUY,
        time_in_force: 'gtc',
        advanced_instructions: { algorithm: 'TWAP', start_time: '2030-04-02T15:00:01Z' },
      },
      status: 422,
      field: 'advanced_instructions.start_time',
    },
    {
      case: 'a too long Idempotency-Key',
      headers: { 'idempotency-key': 'k'.repeat(256) },
      status: 400,
      field: 'Idempotency-Key',
    },
    // A hostile probe's "a<TAB>b" was accepted: the key is stored and logged as client_order_id is.
    {
      case: 'an Idempotency-Key with a tab',
      headers: { 'idempotency-key': 'a\tb' },
      status: 400,
      field: 'Idempotency-Key',
    },
    {
      case: 'an Idempotency-Key with an escape',
      headers: { 'idempotency-key': 'a\u001bb' },
      status: 400,
      field: 'Idempotency-Key',
    },
    // HTTP reads header bytes beyond ASCII as Latin-1: a probe's UTF-8 key was refused or stored garbled.
    {
      case: 'an Idempotency-Key beyond ASCII',
      headers: { 'idempotency-key': 'clé-1' },
      status: 400,
      field: 'Idempotency-Key',
    },
    // Sent twice, HTTP joins its values with a comma (a probe's retry with one key placed a second order).
    {
      case: 'an Idempotency-Key header sent twice',
      headers: { 'idempotency-key': 'K, K' },
      status: 400,
      field: 'Idempotency-Key',
    },
    {
      case: 'an Idempotency-Key ending in a space',
      headers: { 'idempotency-key': 'k ' },
      status: 400,
      field: 'Idempotency-Key',
    },
  ])('$case -> $status 40010001 naming $field, nothing written', async ({ status, field, ...o }) => {
    const res = await post(o);
    expect(res.statusCode).toBe(status);
    const body = parse(res.body);
    expect(body.code).toBe(40010001);
    expect(body.message).toContain(field);
    if (status === 422) expect(body.errors.map((e: { field: string }) => e.field)).toContain(field);
    expect(fake.writes()).toHaveLength(0);
  });

  // JSON numbers a double cannot hold: JSON.parse rounded them, and a probe placed 3 shares from
  // qty 2.9999999999999999 (core exactJsonNumberText: the exact value, refused by its decimals).
  test.each([
    ['qty', '"qty":2.9999999999999999,"type":"limit","limit_price":"100"'],
    ['limit_price', '"qty":"1","type":"limit","limit_price":100.000000000000000001'],
    ['notional', '"notional":10.0000000000000000001,"type":"market"'],
  ])('a %s number a double would round -> 422 naming its decimals, nothing written', async (field, terms) => {
    const res = await post({ rawBody: `{"symbol":"AAPL","side":"buy","time_in_force":"day",${terms}}` });
    expect(res.statusCode).toBe(422);
    expect(parse(res.body)).toMatchObject({
      code: 40010001,
      message: `${field}: has more than 9 decimal places`,
    });
    expect(fake.writes()).toHaveLength(0);
  });

  // A probe's bot sent Alpaca's optional fields as JSON nulls and got 422s; Alpaca's server reads
  // a null as the field absent (alpaca-py leaves them out), so does the OMS.
  test('optional fields sent as null read as absent: the order is placed as without them', async () => {
    const res = await post({
      body: {
        ...LIMIT_BUY,
        stop_price: null,
        notional: null,
        trail_price: null,
        order_class: null,
        take_profit: null,
        stop_loss: null,
        client_order_id: null,
        advanced_instructions: null,
        extended_hours: null,
      },
    });
    expect(res.statusCode).toBe(200);
    expect(parse(res.body)).toMatchObject({
      symbol: 'AAPL',
      qty: '10',
      limit_price: '100',
      order_class: 'simple',
    });
  });

  test('an algorithmic order is placed as a parent of its own group (no venue order: its schedule runs)', async () => {
    const res = await post({
      body: {
        ...LIMIT_BUY,
        advanced_instructions: {
          algorithm: 'TWAP',
          start_time: '2030-01-02T15:30:00Z',
          end_time: '2030-01-02T20:00:00Z',
        },
      },
    });
    expect(res.statusCode).toBe(200);
    const order = parse(res.body);
    expect(order).toMatchObject({ order_class: 'simple', status: 'pending_new', legs: null });
    const puts = (fake.mock.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? []).map(
      (i) => i.Put?.Item,
    );
    const submitted = puts.find((i) => i?.type === 'OrderSubmitted');
    expect(submitted?.groupId).toBe(order.id);
    expect((submitted?.data as { contingency?: unknown } | undefined)?.contingency).toMatchObject({
      orderClass: 'algo',
      role: 'algo_parent',
      groupId: order.id,
    });
  });

  test('a simple order, named so, is placed', async () => {
    expect((await post({ body: { ...LIMIT_BUY, order_class: 'simple' } })).statusCode).toBe(200);
  });

  // biome-ignore format: table
  test.each([
    { orderClass: 'bracket', extra: { take_profit: { limit_price: '110' }, stop_loss: { stop_price: '95' } },
      legs: [['take_profit', 'sell', 'limit', 'held'], ['stop_loss', 'sell', 'stop', 'held']] },
    { orderClass: 'oto', extra: { stop_loss: { stop_price: '95', limit_price: '94.5' } },
      legs: [['stop_loss', 'sell', 'stop_limit', 'held']] },
    { orderClass: 'oco', extra: { side: 'sell', time_in_force: 'gtc', limit_price: undefined,
        take_profit: { limit_price: '110' }, stop_loss: { stop_price: '95' } },
      legs: [['stop_loss', 'sell', 'stop', 'pending_new']] },
  ])('a $orderClass order is placed whole: root and legs in one transaction, legs in the response', async ({ orderClass, extra, legs }) => {
    const res = await post({ body: { ...LIMIT_BUY, order_class: orderClass, ...extra } });
    expect(res.statusCode).toBe(200);
    const order = parse(res.body);
    expect(order.order_class).toBe(orderClass);
    expect(order.legs.map((l: Record<string, string>) => [l.side, l.type, l.status])).toEqual(
      legs.map(([, side, type, status]) => [side, type, status]),
    );
    for (const l of order.legs) expect(l).toMatchObject({ order_class: orderClass, qty: '10', legs: null });
    const transactions = fake.mock.commandCalls(TransactWriteCommand);
    expect(transactions).toHaveLength(1);
    const puts = (transactions[0]?.args[0].input.TransactItems ?? []).map((i) => i.Put?.Item);
    const submitted = puts.filter((i) => i?.type === 'OrderSubmitted');
    expect(submitted.map((e) => e?.orderId)).toEqual([order.id, ...order.legs.map((l: { id: string }) => l.id)]);
    // Every member's event carries the group, for the coordinator's stream filter.
    expect(submitted.map((e) => e?.groupId)).toEqual(submitted.map(() => order.id));
    expect(submitted.map((e) => (e?.data as { contingency?: { role: string } } | undefined)?.contingency?.role)).toEqual([
      orderClass === 'oco' ? 'take_profit' : 'entry',
      ...legs.map(([role]) => role),
    ]);
  });

  // Alpaca's `symbol` is a symbol or an asset ID: a probe's order by AAPL's id was refused 422 as
  // no ticker symbol.
  test.each([
    ["AAPL's asset id, any case", (id: string) => id.toUpperCase(), 200, 'AAPL'],
    [
      'an asset id no asset has',
      () => '00000000-0000-5000-8000-000000000000',
      422,
      'symbol: asset 00000000-0000-5000-8000-000000000000 not found',
    ],
  ] as const)('symbol given as %s', async (_t, idOf, status, expected) => {
    const byId = jest
      .spyOn(marketData(), 'assetById')
      .mockImplementation(async (id) =>
        id.toLowerCase() === assetIdOf('AAPL') ? defaultAsset('AAPL') : null,
      );
    const res = await post({ body: { ...LIMIT_BUY, symbol: idOf(assetIdOf('AAPL')) } });
    expect(res.statusCode).toBe(status);
    if (status === 200) {
      expect(parse(res.body).symbol).toBe(expected);
      expect(risk.mock.calls[0]?.[1]).toMatchObject({ symbol: 'AAPL' });
    } else {
      expect(parse(res.body)).toMatchObject({ code: 40010001, message: expected });
      expect(fake.table('events').size).toBe(0);
    }
    expect(byId).toHaveBeenCalledTimes(1);
  });

  // A market entry's exits against the price it trades at (the reference, 100 here), at the POST as
  // the workflow checks them: a probe's three wrong-sided market brackets answered 200, then rejected.
  const marketBracket = (side: string, takeProfit: string, stopLoss: string) => ({
    symbol: 'AAPL',
    qty: '10',
    side,
    type: 'market',
    time_in_force: 'day',
    order_class: 'bracket',
    take_profit: { limit_price: takeProfit },
    stop_loss: { stop_price: stopLoss },
  });
  test.each([
    [
      'a buy whose take-profit is below the market',
      marketBracket('buy', '95', '90'),
      'take_profit.limit_price: must be above the entry reference price',
    ],
    [
      'a buy whose stop-loss is above the market',
      marketBracket('buy', '110', '105'),
      'stop_loss.stop_price: must be below the entry reference price',
    ],
    [
      'a sell whose take-profit is above the market',
      marketBracket('sell', '105', '110'),
      'take_profit.limit_price: must be below the entry reference price',
    ],
    ['a buy with both on their sides', marketBracket('buy', '110', '90'), null],
  ] as const)('market bracket: %s', async (_name, body, message) => {
    const res = await post({ body });
    if (message === null) {
      expect(res.statusCode).toBe(200);
      return;
    }
    expect(res.statusCode).toBe(422);
    expect(parse(res.body)).toMatchObject({ code: 40010001, message });
    expect(fake.table('events').size).toBe(0);
  });

  test('risk refusal -> 403 40310000 naming the rule and the limit', async () => {
    risk.mockResolvedValue(riskInputs({ restrictedSymbols: ['AAPL'] }));
    const res = await post();
    expect(res.statusCode).toBe(403);
    expect(parse(res.body)).toMatchObject({
      code: 40310000,
      message: 'restricted_symbol: AAPL is on the restricted list',
      refusals: [{ rule: 'restricted_symbol', limit: 'AAPL' }],
    });
    expect(fake.writes()).toHaveLength(0);
  });

  test('rate limited -> 429 42910000', async () => {
    risk.mockResolvedValue(riskInputs({ maxOrdersPerSecond: 1 }));
    expect((await post()).statusCode).toBe(200);
    const res = await post();
    expect(res.statusCode).toBe(429);
    expect(parse(res.body).code).toBe(42910000);
    // What Alpaca's SDKs pace by (a probe's 429s carried none).
    expect(res.headers).toMatchObject({
      'retry-after': '1',
      'x-ratelimit-limit': expect.stringMatching(/^\d+$/),
      'x-ratelimit-remaining': '0',
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 1),
    });
  });

  test('client_order_id retried -> 200 with the same order; reused for other terms -> 422 40010001 naming the field', async () => {
    const body = { ...LIMIT_BUY, client_order_id: 'c-1' };
    const first = parse((await post({ body })).body);
    const again = await post({ body });
    expect(again.statusCode).toBe(200);
    expect(parse(again.body)).toEqual(first);
    const other = await post({ body: { ...body, qty: '20' } });
    expect(other.statusCode).toBe(422);
    // Alpaca's code and words (bots match `client_order_id must be unique`); PATCH answers the same,
    // and like every 422 40010001 it lists the field (a property run found POST's without it).
    expect(parse(other.body)).toEqual({
      code: 40010001,
      message: 'client_order_id must be unique: already used for another order',
      errors: [
        {
          code: 'conflict',
          field: 'client_order_id',
          message: 'client_order_id must be unique: already used for another order',
        },
      ],
    });
    expect(fake.table('events').size).toBe(1);
  });

  test('Idempotency-Key (any header case): the retry gets the original order', async () => {
    const headers = { 'Idempotency-Key': 'k-1' };
    const first = parse((await post({ headers })).body);
    const again = parse((await post({ headers })).body);
    expect(again.id).toBe(first.id);
    expect(fake.table('idempotency').has(`idem#${ACCOUNT}#k-1`)).toBe(true);
  });

  test.each([
    { header: undefined, accountIds: 'acct-1,acct-2', status: 200, account: 'acct-1' },
    { header: 'acct-2', accountIds: 'acct-1,acct-2', status: 200, account: 'acct-2' },
    { header: 'acct-3', accountIds: 'acct-1,acct-2', status: 403, account: null },
  ])(
    'x-oms-account-id $header of [$accountIds] -> $status',
    async ({ header, accountIds, status, account }) => {
      const headers: Record<string, string> = header === undefined ? {} : { 'x-oms-account-id': header };
      const res = await post({ headers, accountIds });
      expect(res.statusCode).toBe(status);
      if (account !== null) expect(risk).toHaveBeenCalledWith(account, expect.anything(), T0);
      else
        expect(parse(res.body)).toMatchObject({
          code: 40310000,
          message: expect.stringContaining('x-oms-account-id'),
        });
    },
  );

  test('no authorizer context -> 401', async () => {
    const res = await post({ principalId: null });
    expect(res.statusCode).toBe(401);
    expect(parse(res.body).code).toBe(40110000);
  });

  test('an unexpected failure is a 500 without internals', async () => {
    risk.mockRejectedValue(new Error('market table unreachable'));
    const res = await post();
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('market table');
  });

  test('a write that kept losing its race (WriteContention) is a 503 with Retry-After, on any route the shell runs', async () => {
    risk.mockRejectedValue(new WriteContention('limits policy of the firm', 40));
    const res = await post();
    expect(res.statusCode).toBe(503);
    expect(res.headers).toMatchObject({ 'retry-after': '1' });
    expect(parse(res.body)).toMatchObject({
      code: 50310000,
      message: expect.stringMatching(
        /^limits policy of the firm: still conflicting after 40 attempts: .*retry/,
      ),
    });
  });
});
