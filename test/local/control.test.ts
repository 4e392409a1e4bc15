/**
 * The /local control endpoints under hostile paths: every one is a 4xx with a stable
 * `{code, message}` body naming what was wrong, and none reaches the store (nothing changes).
 */
import { BatchWriteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { assetIdOf } from '../../lambdas/core/index.js';
import { createLocalControl, type LocalControlDeps } from '../../local/control.js';

function fakeDeps() {
  const sent: unknown[] = [];
  const deps = {
    doc: {
      send: async (command: unknown) => {
        sent.push(command);
        return {};
      },
    },
    topology: {
      functions: [
        {
          environment: {
            MARKET_TABLE: 'local-market',
            VENUE_ORDERS_TABLE: 'local-venue',
            ASSETS_TABLE: 'local-assets',
            ACCOUNTS_TABLE: 'local-accounts',
            PRICE_MARKS_TABLE: 'local-price-marks',
          },
        },
      ],
      stateMachines: [{ arn: 'arn:aws:states:us-east-1:000000000000:stateMachine:orders' }],
    },
    stepFunctions: {
      executionArnFor: (sm: string, name: string) => `${sm}:${name}`,
      historyForConsole: async (arn: string) => {
        throw new Error(`ExecutionDoesNotExist: ${arn}`);
      },
    },
    eventBridge: { delivered: () => [] },
  } as unknown as LocalControlDeps;
  return { deps, sent };
}

const long = 'A'.repeat(2048);
const quote = JSON.stringify({ bid: '10', ask: '10.1', last: '10.05' });

// [method, path, body, status, code]
const HOSTILE: readonly [string, string, string, number, string][] = [
  ['GET', '/local/orders/%E0%A4%A', '', 400, 'invalid_path'],
  ['GET', '/local/market/%E0%A4%A', '', 400, 'invalid_path'],
  ['PUT', '/local/market/%E0%A4%A', quote, 400, 'invalid_path'],
  ['GET', '/local/executions/%', '', 400, 'invalid_path'],
  ['GET', `/local/market/${long}`, '', 400, 'invalid_path'],
  ['PUT', `/local/market/${long}`, quote, 400, 'invalid_path'],
  ['PUT', `/local/venues/${long}`, '{}', 400, 'invalid_path'],
  ['GET', `/local/executions/${long}`, '', 400, 'invalid_path'],
  ['GET', '/local/market/%00', '', 400, 'invalid_path'],
  ['GET', '/local/market/AAPL%0A', '', 400, 'invalid_path'],
  ['GET', '/local/market/AAPL/extra', '', 404, 'not_found'],
  ['GET', '/local/nowhere', '', 404, 'not_found'],
  ['DELETE', '/local/market/AAPL', '', 404, 'not_found'],
  ['PUT', '/local/market/AAPL', 'not json', 400, 'invalid_body'],
  ['PUT', '/local/venues/SIMX', '[1]', 400, 'invalid_body'],
  // Not a simulated venue: 404 for any setting, not only `down` (was 200, a venue-config#NOPE row written).
  ['PUT', '/local/venues/NOPE', '{}', 404, 'not_found'],
  ['PUT', '/local/venues/simx', '{"latency_ms":5}', 404, 'not_found'],
  ['PUT', '/local/venues/NOPE', '{"reject_next":true}', 404, 'not_found'],
  ['PUT', '/local/venues/NOPE', '{"down":true}', 404, 'not_found'],
  ['PUT', `/local/assets/${long}`, '{}', 400, 'invalid_path'],
  ['PUT', '/local/assets/%E0%A4%A', '{}', 400, 'invalid_path'],
  ['PUT', '/local/assets/AAPL', 'not json', 400, 'invalid_body'],
  ['GET', '/local/assets', '', 404, 'not_found'],
  // A path that is no ticker as sent, though its upper case is one: a probe delisted FF with
  // `PUT /local/assets/ﬀ`, and set SS's borrow with `ß` and `ſS`.
  ['PUT', '/local/assets/%EF%AC%80', '{"tradable":false}', 400, 'invalid_value'],
  ['PUT', '/local/borrow/%C3%9F', '{"available":5}', 400, 'invalid_value'],
  ['PUT', '/local/borrow/%C5%BFS', '{"available":5}', 400, 'invalid_value'],
  ['GET', '/local/borrow/%C3%9F', '', 400, 'invalid_value'],
  // An account id the OMS never reads (a probe's 3,000 characters: a 500, past DynamoDB's key size).
  [
    'PUT',
    '/local/keys/PKLONGACCOUNT01',
    JSON.stringify({ secret: 's'.repeat(16), account_id: long }),
    400,
    'invalid_body',
  ],
  [
    'PUT',
    '/local/keys/PKLONGACCOUNT01',
    JSON.stringify({ secret: 's'.repeat(16), account_id: 'a b' }),
    400,
    'invalid_body',
  ],
  // No stream in these deps: its routes are not there.
  ['GET', '/local/stream', '', 404, 'not_found'],
  ['POST', '/local/stream/disconnect', '', 404, 'not_found'],
];

describe('/local control: hostile paths answer 4xx {code, message} and change nothing', () => {
  const cases = HOSTILE.map(
    ([method, path, ...rest]) => [`${method} ${path.slice(0, 60)}`, method, path, ...rest] as const,
  );
  it.each(cases)('%s', async (_label, method, path, body, status, code) => {
    const { deps, sent } = fakeDeps();
    const control = createLocalControl(deps);
    const out = await control.handle({
      method,
      path,
      rawQueryString: '',
      headers: {},
      body: Buffer.from(body),
    });
    expect(out.statusCode).toBe(status);
    const parsed = JSON.parse(out.body.toString('utf8'));
    expect(parsed).toEqual({ code, message: expect.any(String) });
    expect(parsed.message.length).toBeLessThan(300); // names the problem, does not echo a 2 KB path
    expect(sent).toEqual([]);
  });

  it('an unexpected failure is a 500 with a fixed body, no internal error text', async () => {
    const { deps } = fakeDeps();
    (deps.doc as unknown as { send: () => Promise<never> }).send = async () => {
      throw new Error('ValidationException: secret internals at /home/x');
    };
    const out = await createLocalControl(deps).handle({
      method: 'GET',
      path: '/local/market/AAPL',
      rawQueryString: '',
      headers: {},
      body: Buffer.alloc(0),
    });
    expect(out.statusCode).toBe(500);
    expect(JSON.parse(out.body.toString('utf8'))).toEqual({
      code: 'internal_error',
      message: 'Internal Server Error',
    });
  });

  it('an ordinary quote read still answers', async () => {
    const { deps, sent } = fakeDeps();
    const out = await createLocalControl(deps).handle({
      method: 'GET',
      path: '/local/market/AAPL',
      rawQueryString: '',
      headers: {},
      body: Buffer.alloc(0),
    });
    expect(out.statusCode).toBe(404); // the fake store has no quote
    expect(JSON.parse(out.body.toString('utf8')).code).toBe('not_found');
    expect(sent).toHaveLength(1);
  });
});

describe('PUT /local/assets/{symbol}: the asset master, as an operator lists an asset', () => {
  const put = (deps: LocalControlDeps, path: string, body: unknown) =>
    createLocalControl(deps).handle({
      method: 'PUT',
      path,
      rawQueryString: '',
      headers: {},
      body: Buffer.from(JSON.stringify(body)),
    });
  const puts = (sent: unknown[]) =>
    sent.filter((c): c is PutCommand => c instanceof PutCommand).map((c) => c.input);

  it("lists a new symbol from Alpaca's field names over the defaults, and answers the Alpaca asset", async () => {
    const { deps, sent } = fakeDeps();
    const out = await put(deps, '/local/assets/xyz', {
      fractionable: false,
      easy_to_borrow: false,
      exchange: 'NYSE',
    });
    expect(out.statusCode).toBe(200);
    expect(JSON.parse(out.body.toString('utf8'))).toMatchObject({
      id: assetIdOf('XYZ'),
      symbol: 'XYZ',
      class: 'us_equity',
      exchange: 'NYSE',
      tradable: true,
      shortable: true,
      easy_to_borrow: false,
      fractionable: false,
      min_trade_increment: '1',
    });
    expect(puts(sent)).toEqual([
      {
        TableName: 'local-assets',
        Item: expect.objectContaining({ symbol: 'XYZ', id: assetIdOf('XYZ'), fractionable: false }),
      },
    ]);
  });

  it.each<[string, unknown, string]>([
    ['an unknown field', { tradeable: false }, 'tradeable: is not an asset field'],
    ['a flag that is not a boolean', { tradable: 'no' }, 'tradable: '],
    ['a status Alpaca does not have', { status: 'halted' }, 'status: '],
    ['another symbol in the body', { symbol: 'ABC' }, "symbol: must be the path's symbol XYZ"],
  ])('refuses %s with 400 invalid_body naming the field, writing nothing', async (_n, body, message) => {
    const { deps, sent } = fakeDeps();
    const out = await put(deps, '/local/assets/XYZ', body);
    expect(out.statusCode).toBe(400);
    expect(JSON.parse(out.body.toString('utf8'))).toEqual({
      code: 'invalid_body',
      message: expect.stringContaining(message),
    });
    expect(puts(sent)).toEqual([]);
  });

  it('PUT /local/market lists an unknown symbol as a default asset, never over a listed one', async () => {
    const { deps, sent } = fakeDeps();
    const out = await put(deps, '/local/market/e2enew', { bid: '10', ask: '10.1', last: '10.05' });
    expect(out.statusCode).toBe(200);
    expect(puts(sent)).toEqual([
      {
        TableName: 'local-assets',
        Item: expect.objectContaining({
          symbol: 'E2ENEW',
          tradable: true,
          shortable: true,
          fractionable: true,
        }),
        ConditionExpression: 'attribute_not_exists(symbol)',
      },
    ]);
  });

  it("PUT /local/market writes the pinned last as its intraday price marks at the pin (the day's close is the tick's to mark); none without the table", async () => {
    const at = Date.parse('2026-12-08T03:30:15Z'); // New York date 2026-12-07
    const now = jest.spyOn(Date, 'now').mockReturnValue(at);
    try {
      const batches = (sent: unknown[]) =>
        sent.filter((c): c is BatchWriteCommand => c instanceof BatchWriteCommand).map((c) => c.input);
      const { deps, sent } = fakeDeps();
      const out = await put(deps, '/local/market/acme', { bid: '10', ask: '10.1', last: '10.050' });
      expect(out.statusCode).toBe(200);
      const expiresAt = Math.floor(at / 1000) + 35 * 86_400;
      const mark = (key: string) => ({
        PutRequest: { Item: { symbol: 'ACME', at: key, price: '10.05', expiresAt } },
      });
      expect(batches(sent)).toEqual([
        {
          RequestItems: {
            'local-price-marks': [
              mark('m#2026-12-08T03:30Z'),
              mark('f#2026-12-08T03:30Z'),
              mark('q#2026-12-08T03:30Z'),
              mark('h#2026-12-08T03:00Z'),
            ],
          },
        },
      ]);
      const without = fakeDeps();
      delete (without.deps.topology.functions[0] as { environment: Record<string, string> }).environment
        .PRICE_MARKS_TABLE;
      expect(
        (await put(without.deps, '/local/market/ACME', { bid: '10', ask: '10.1', last: '10' })).statusCode,
      ).toBe(200);
      expect(batches(without.sent)).toEqual([]);
    } finally {
      now.mockRestore();
    }
  });
});

describe('PUT /local/strategies/{id}: a strategy’s entitlement (issue 16)', () => {
  const put = (deps: LocalControlDeps, path: string, body: unknown) =>
    createLocalControl(deps).handle({
      method: 'PUT',
      path,
      rawQueryString: '',
      headers: {},
      body: Buffer.from(JSON.stringify(body)),
    });
  const puts = (sent: unknown[]) =>
    sent.filter((c): c is PutCommand => c instanceof PutCommand).map((c) => c.input);

  it('writes the strategy#<id> record the intake reads, replacing it whole', async () => {
    const { deps, sent } = fakeDeps();
    const out = await put(deps, '/local/strategies/momentum', { account_ids: ['acct-1', 'acct-2'] });
    expect(out.statusCode).toBe(200);
    expect(puts(sent)).toEqual([
      {
        TableName: 'local-accounts',
        Item: expect.objectContaining({
          pk: 'strategy#momentum',
          accountIds: ['acct-1', 'acct-2'],
          status: 'active',
        }),
      },
    ]);
  });

  it.each<[string, string, unknown, string]>([
    ['an id the source cannot carry', '/local/strategies/Momentum', { account_ids: [] }, 'strategy id: '],
    [
      'no account list',
      '/local/strategies/momentum',
      { accounts: ['a'] },
      'accounts: is not an entitlement field',
    ],
    [
      'a status it does not have',
      '/local/strategies/momentum',
      { account_ids: [], status: 'paused' },
      'status: ',
    ],
  ])(
    'refuses %s with 400 invalid_body naming the field, writing nothing',
    async (_n, path, body, message) => {
      const { deps, sent } = fakeDeps();
      const out = await put(deps, path, body);
      expect(out.statusCode).toBe(400);
      expect(JSON.parse(out.body.toString('utf8'))).toEqual({
        code: 'invalid_body',
        message: expect.stringContaining(message),
      });
      expect(puts(sent)).toEqual([]);
    },
  );
});

describe("/local/stream: drops the trade_updates connections (one account's, or all), holds them down, resumes", () => {
  function withStream(listeners: Record<string, number>) {
    const { deps, sent } = fakeDeps();
    const open = new Set(['c1', 'c2', 'c3']);
    const calls: string[] = [];
    let holding = false;
    const stream = {
      connectionIds: () => [...open],
      drop: (ids?: readonly string[]) => {
        const gone = [...open].filter((c) => ids === undefined || ids.includes(c));
        for (const c of gone) open.delete(c);
        calls.push(`drop ${ids === undefined ? '*' : ids.join(',')}`);
        return gone.length;
      },
      hold: (h: boolean) => {
        holding = h;
        calls.push(`hold ${h}`);
      },
      get holding() {
        return holding;
      },
    };
    (deps.topology.functions[0] as { environment: Record<string, string> }).environment.TRADE_STREAM_TABLE =
      'local-stream';
    (deps.doc as unknown as { send: (c: unknown) => Promise<unknown> }).send = async (command) => {
      sent.push(command);
      return { Item: { pk: 'listeners#acct-1', sk: 0, listeners } };
    };
    const control = createLocalControl({ ...deps, stream });
    const call = async (method: string, path: string, body = '', query = '') => {
      const out = await control.handle({
        method,
        path,
        rawQueryString: query,
        headers: {},
        body: Buffer.from(body),
      });
      return { status: out.statusCode, body: JSON.parse(out.body.toString('utf8')) };
    };
    return { call, calls, sent };
  }

  it("drops only the account's listeners (closed ones ignored) and holds the stream down until resumed", async () => {
    const { call, calls, sent } = withStream({ c2: 5, gone: 7 });
    expect(await call('GET', '/local/stream', '', 'account_id=acct-1')).toEqual({
      status: 200,
      body: { holding: false, connections: 3, listening: ['c2'] },
    });
    expect((sent[0] as { input: unknown }).input).toMatchObject({
      TableName: 'local-stream',
      Key: { pk: 'listeners#acct-1', sk: 0 },
    });
    const dropped = await call('POST', '/local/stream/disconnect', '{"account_id":"acct-1","hold":true}');
    expect(dropped).toEqual({ status: 200, body: { dropped: 1, holding: true } });
    // Held before the drop: a client reconnecting at once is refused.
    expect(calls).toEqual(['hold true', 'drop c2']);
    expect(await call('POST', '/local/stream/resume')).toMatchObject({
      status: 200,
      body: { holding: false },
    });
    expect(await call('POST', '/local/stream/disconnect')).toEqual({
      status: 200,
      body: { dropped: 2, holding: false },
    });
  });

  it.each([
    ['not JSON', 'nope', /^body: /],
    ['an unknown setting', '{"everyone":true}', /^everyone: /],
    ['a bad account', '{"account_id":7}', /^account_id: /],
    ['a bad hold', '{"hold":"yes"}', /^hold: /],
  ])('%s is 400 naming it, nothing dropped', async (_name, body, message) => {
    const { call, calls } = withStream({});
    const out = await call('POST', '/local/stream/disconnect', body);
    expect(out).toEqual({
      status: 400,
      body: { code: 'invalid_body', message: expect.stringMatching(message) },
    });
    expect(calls).toEqual([]);
  });

  it('an account id past 128 characters is 400 naming it, nothing read or dropped (a probe: 2048 was a 500)', async () => {
    const { call, calls, sent } = withStream({});
    const long = 'a'.repeat(2048);
    expect(await call('GET', '/local/stream', '', `account_id=${long}`)).toEqual({
      status: 400,
      body: { code: 'invalid_query', message: 'account_id: must be at most 128 characters' },
    });
    expect(await call('POST', '/local/stream/disconnect', JSON.stringify({ account_id: long }))).toEqual({
      status: 400,
      body: { code: 'invalid_body', message: 'account_id: must be at most 128 characters' },
    });
    expect([calls, sent]).toEqual([[], []]);
  });

  it('another action is 404', async () => {
    const { call } = withStream({});
    expect((await call('POST', '/local/stream/explode')).status).toBe(404);
  });
});
