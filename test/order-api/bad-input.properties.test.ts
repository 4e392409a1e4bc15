/**
 * Bad input to the HTTP API (fast-check): whatever a client sends to any route (bodies that are
 * not JSON, JSON of every type, the real field names with wrong types, unknown fields, huge and
 * unicode strings, numbers such as 1e400 or -0, junk query strings, order ids of any shape, odd
 * headers), the answer is never a 5xx; a 4xx is Alpaca's `{code, message}` with a documented code;
 * a 4xx wrote nothing; and nothing sent to DynamoDB is text DynamoDB cannot store (the in-memory
 * fake would accept it, the real table would fail with a 500). Real orders of the account, one
 * per interesting state (an accepted limit buy first), are seeded so PATCH, DELETE and GET reach
 * past the lookup into the core's rules.
 */
import './env.js';
import {
  BatchWriteCommand,
  DeleteCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import fc from 'fast-check';
import { type OrderCommand, toAlpacaOrder } from '../../lambdas/core/index.js';
import { API_ERROR } from '../../lambdas/order-api/api-response.js';
import { handler as cancel } from '../../lambdas/order-api/cancel-order.js';
import { handler as create } from '../../lambdas/order-api/create-order.js';
import type { ApiEvent } from '../../lambdas/order-api/principal.js';
import { handler as query } from '../../lambdas/order-api/query-orders.js';
import { handler as replace } from '../../lambdas/order-api/replace-order.js';
import { loadRiskInputs } from '../../lambdas/orders/risk-context.js';
import { FakeDynamo } from './fake-dynamo.js';
import { ACCOUNT, apiEvent, LIMIT_BUY, OTHER_ACCOUNT, riskInputs, seedOrder, T0 } from './fixtures.js';

jest.mock('../../lambdas/orders/risk-context.js', () => ({ loadRiskInputs: jest.fn() }));
const risk = jest.mocked(loadRiskInputs);
const fake = new FakeDynamo();

const RUNS = 300;
/**
 * A property of RUNS handler calls is CPU-bound: 24 s in a CI run, 77 s on a machine also running
 * another suite, past jest's 30 s default. A test jest times out keeps running behind the next
 * one, whose write check then saw its writes (a PATCH "counterexample" no seed reproduced).
 */
jest.setTimeout(240_000);
const ORDER_ID = '3f1c2a9e-5b7d-4e61-9a0b-6c8d2e4f1a37';
const TRAILING_ID = '8a2b4c6d-1e3f-4a5b-8c7d-9e0f1a2b3c4d';
const FOREIGN_ID = 'c0ffee00-1111-4222-8333-944445555666';
const SEED_COID = 'seed-coid-1';
const accept = { type: 'accept', venueOrderId: 'v-1' } as const;
const fill = (execId: string, lastQty: string) => ({ type: 'fill', execId, lastQty, lastPx: '100' }) as const;

/**
 * The account's orders, one per interesting state, so PATCH and DELETE reach the core's refusals
 * as well as its happy paths. The first is the accepted limit buy the brief asks for.
 */
const SEEDED: readonly { id: string; body?: Record<string, unknown>; commands: readonly OrderCommand[] }[] = [
  { id: ORDER_ID, body: { ...LIMIT_BUY, client_order_id: SEED_COID }, commands: [accept] },
  {
    id: TRAILING_ID,
    body: {
      symbol: 'MSFT',
      qty: '5',
      side: 'sell',
      type: 'trailing_stop',
      time_in_force: 'gtc',
      trail_percent: '2',
    },
    commands: [accept],
  },
  { id: 'a0000000-0000-4000-8000-000000000001', commands: [] }, // pending_new
  { id: 'a0000000-0000-4000-8000-000000000002', commands: [accept, fill('f-1', '4')] }, // partially filled
  { id: 'a0000000-0000-4000-8000-000000000003', commands: [accept, fill('f-1', '10')] }, // filled
  {
    id: 'a0000000-0000-4000-8000-000000000004',
    commands: [accept, { type: 'requestCancel', requestedBy: 'bot-1' }],
  },
  {
    id: 'a0000000-0000-4000-8000-000000000005',
    commands: [accept, { type: 'requestCancel', requestedBy: 'bot-1' }, { type: 'confirmCancel' }],
  },
  {
    id: 'a0000000-0000-4000-8000-000000000006',
    body: { symbol: 'AAPL', notional: '500', side: 'buy', type: 'market', time_in_force: 'day' },
    commands: [accept],
  },
  {
    id: 'a0000000-0000-4000-8000-000000000007',
    body: {
      symbol: 'AAPL',
      qty: '3',
      side: 'sell',
      type: 'stop_limit',
      time_in_force: 'gtc',
      stop_price: '95',
      limit_price: '94',
    },
    commands: [accept],
  },
];
const SEEDED_IDS = SEEDED.map((o) => o.id);

/** Fresh tables with the seeded orders (no command recorded), as every run starts. */
function seedStore(): void {
  fake.reset();
  const [first, ...rest] = SEEDED.map((o) =>
    seedOrder(fake, o.id, { ...(o.body ? { body: o.body } : {}), commands: o.commands }),
  );
  seedOrder(fake, FOREIGN_ID, { accountId: OTHER_ACCOUNT, commands: [accept] });
  fake.put('idempotency', {
    id: `coid#${ACCOUNT}#${SEED_COID}`,
    orderId: ORDER_ID,
    requestHash: 'seeded',
    accountId: ACCOUNT,
  });
  fake.ordersQueryItems = [first, ...rest].map((o) => ({
    orderId: o?.orderId,
    createdKey: `${new Date(T0).toISOString()}#${o?.orderId}`,
    order: o && toAlpacaOrder(o),
  }));
}

const WRITE_COMMANDS = [PutCommand, UpdateCommand, TransactWriteCommand, DeleteCommand, BatchWriteCommand];
/** Every command that could change a table, by name (the fake's `writes()` omits Delete/BatchWrite). */
function writesSent(): string[] {
  return fake.mock
    .calls()
    .map((c) => c.args[0])
    .filter((cmd) => WRITE_COMMANDS.some((W) => cmd instanceof W))
    .map((cmd) => cmd.constructor.name);
}

/** A UTF-16 code unit that is half of a pair with no other half: it has no UTF-8 encoding. */
const LONE_SURROGATE = /\p{Cs}/u;
const KEY_ATTRIBUTES = ['id', 'orderId', 'pk'];
const PARTITION_KEY_MAX_BYTES = 2048;

/**
 * What reaches DynamoDB is storable: every string (keys and values, at any depth) is valid
 * Unicode (DynamoDB stores UTF-8, so an unpaired surrogate is refused or mangled there, while the
 * in-memory fake keeps it), and partition keys fit DynamoDB's 2048 bytes.
 */
function expectStorable(): void {
  for (const call of fake.mock.calls()) {
    const input = (call.args[0] as { input: unknown }).input;
    const stack: unknown[] = [input];
    while (stack.length > 0) {
      const v = stack.pop();
      if (typeof v === 'string') {
        if (LONE_SURROGATE.test(v))
          throw new Error(`unpaired surrogate sent to DynamoDB: ${JSON.stringify(v)}`);
      } else if (v !== null && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          if (LONE_SURROGATE.test(k))
            throw new Error(`unpaired surrogate in a DynamoDB attribute name: ${JSON.stringify(k)}`);
          if (KEY_ATTRIBUTES.includes(k) && typeof x === 'string') {
            expect(Buffer.byteLength(x, 'utf8')).toBeLessThanOrEqual(PARTITION_KEY_MAX_BYTES);
          }
          stack.push(x);
        }
      }
    }
  }
}

/**
 * What every response must be. 4xx bodies follow lambdas/order-api/api-response.ts: the code's first
 * three digits are the status, except `badRequest` (40010001), which docs/aws.md documents for
 * 400, 413 and 422; a 422 field-rule answer lists its errors as `{code, field, message}`.
 */
function expectSafe(res: APIGatewayProxyStructuredResultV2, label: string): void {
  const status = res.statusCode ?? 200;
  if (status >= 500) throw new Error(`${label}: ${status} ${res.body}`);
  expectStorable();
  if (status < 400) return;
  const body = JSON.parse(res.body ?? '') as Record<string, unknown>;
  expect(typeof body.code).toBe('number');
  expect(typeof body.message).toBe('string');
  expect((body.message as string).length).toBeGreaterThan(0);
  const code = body.code as number;
  if (code === API_ERROR.badRequest) expect([400, 413, 422]).toContain(status);
  else expect(Math.floor(code / 100000)).toBe(status);
  if (code === API_ERROR.badRequest && status === 422) {
    expect(Array.isArray(body.errors)).toBe(true);
    expect((body.errors as unknown[]).length).toBeGreaterThan(0);
    for (const e of body.errors as Record<string, unknown>[]) {
      expect([typeof e.code, typeof e.field, typeof e.message]).toEqual(['string', 'string', 'string']);
    }
  }
  expect(writesSent()).toEqual([]);
}

// ---------------------------------------------------------------------------------------------
// Generators

/** `arb` one time in `n`, else `otherwise`. */
const sometimes = <T, U>(arb: fc.Arbitrary<T>, n: number, otherwise: U): fc.Arbitrary<T | U> =>
  fc.oneof({ weight: n - 1, arbitrary: fc.constant(otherwise) }, { weight: 1, arbitrary: arb });

/** Raw JSON text fragments JSON.stringify cannot produce (1e400, -0, huge integers) and more. */
const rawScalar = fc.oneof(
  fc.constantFrom(
    '1e400',
    '-1e400',
    '1e-400',
    '-0',
    '0',
    '-1',
    '0.0000000001',
    '1e21',
    '123456789012345678901234567890',
    '9007199254740993',
    '1.5e-7',
    '"NaN"',
    '"Infinity"',
    '"-Infinity"',
    '"-0"',
    '"+10"',
    '" 10 "',
    '"1e3"',
    '"1e400"',
    '"0x10"',
    '"1_000"',
    '"١٠"',
    '"10.0000000001"',
    '"99999999999999999999999999999999999999"',
    '""',
    '"\\u0000"',
    '"\\ud800"',
    'null',
    'true',
    'false',
    '[]',
    '{}',
    '{"__proto__":{"polluted":true}}',
    '{"constructor":{"prototype":{}}}',
  ),
  fc.double().map((d) => (Number.isFinite(d) ? JSON.stringify(d) : '"NaN"')),
  fc.integer().map(String),
  fc.bigInt().map(String),
  fc.string({ unit: 'binary', maxLength: 40 }).map((s) => JSON.stringify(s)),
  fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => JSON.stringify(s)),
  fc.integer({ min: 129, max: 20_000 }).map((n) => JSON.stringify('A'.repeat(n))),
  fc.integer({ min: 1, max: 7000 }).map((n) => `${'['.repeat(n)}${']'.repeat(n)}`),
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
);

const POST_FIELDS = [
  'symbol',
  'qty',
  'notional',
  'side',
  'type',
  'time_in_force',
  'limit_price',
  'stop_price',
  'trail_price',
  'trail_percent',
  'extended_hours',
  'client_order_id',
  'order_class',
  'take_profit',
  'stop_loss',
  'position_intent',
  'advanced_instructions',
] as const;
const PATCH_FIELDS = [
  'qty',
  'time_in_force',
  'limit_price',
  'stop_price',
  'trail',
  'client_order_id',
] as const;

/** Plausible values per field, so some requests get past the shape check and reach deeper rules. */
const plausible: Record<string, readonly string[]> = {
  symbol: ['"AAPL"', '"aapl"', '"BRK.B"', '"A"', '"ZZZZZZZZZZZZZZZZZZZZZZ"'],
  qty: ['"10"', '5', '"0.000000001"', '"0"', '"-1"', '"10000.5"', '1e-9'],
  notional: ['"100"', '250.5', '"0"'],
  side: ['"buy"', '"sell"', '"BUY"', '"short"'],
  type: ['"market"', '"limit"', '"stop"', '"stop_limit"', '"trailing_stop"', '"iceberg"'],
  time_in_force: ['"day"', '"gtc"', '"opg"', '"cls"', '"ioc"', '"fok"', '"gtd"'],
  limit_price: ['"100"', '"99.99"', '100.0001', '"0"'],
  stop_price: ['"95"', '"101"', '0'],
  trail_price: ['"1"', '"0"'],
  trail_percent: ['"2"', '"100"', '"0"'],
  trail: ['"1"', '"2.5"', '"0"', '"-1"'],
  extended_hours: ['true', 'false', '"true"'],
  client_order_id: [`"${SEED_COID}"`, '"c-1"', '"   "', `"${'x'.repeat(128)}"`, `"${'x'.repeat(129)}"`],
  order_class: ['"simple"', '"bracket"', '"oco"', '"oto"', '""'],
  take_profit: ['{"limit_price":"110"}', '{"limit_price":1e400}', '{"stop_price":"1"}'],
  stop_loss: ['{"stop_price":"90"}', '{"stop_price":"90","limit_price":"89"}', '{"limit_price":"89"}'],
  position_intent: ['"buy_to_open"', '"sell_to_close"', '"hold"'],
  advanced_instructions: [
    '{"algorithm":"TWAP"}',
    '{"algorithm":"VWAP","start_time":"2030-01-02T15:00:00Z","end_time":"2030-01-02T14:00:00Z"}',
    '{"algorithm":"DMA","display_qty":"-1","max_percentage":"500"}',
  ],
};

/**
 * Text built from the awkward pieces of Unicode: unpaired surrogates (which no UTF-8 can carry),
 * astral pairs, combining marks, NUL, bidi controls, the non-character U+FFFF.
 */
const awkwardText = fc
  .array(
    fc.constantFrom(
      'a',
      '\ud800',
      '\udfff',
      '\ud83d',
      '😀',
      'e\u0301',
      '\u0000',
      '\u202e',
      '\uffff',
      '#',
      ',',
    ),
    {
      minLength: 1,
      maxLength: 12,
    },
  )
  .map((parts) => parts.join(''));
/** Any text a client may choose (unicode of every plane, unpaired surrogates included). */
const anyText = fc.oneof(
  awkwardText,
  fc.string({ unit: 'binary', minLength: 1, maxLength: 130 }),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }),
);
/** Fields whose value is free text: a valid request may carry any of it. */
const FREE_TEXT: Record<string, fc.Arbitrary<string>> = {
  client_order_id: anyText.map((t) => JSON.stringify(t)),
};

const fieldValue = (name: string) =>
  fc.oneof(
    { weight: 2, arbitrary: fc.constantFrom(...(plausible[name] ?? ['null'])) },
    { weight: 2, arbitrary: FREE_TEXT[name] ?? rawScalar },
    { weight: 3, arbitrary: rawScalar },
  );

const unknownKey = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.constantFrom('__proto__', 'constructor', 'prototype', 'id', 'status', 'qty ', 'QTY', 'legs', ''),
);

/** `{"k": <raw>, ...}` as text, keys in order (duplicates kept: JSON.parse keeps the last). */
const objectText = (entries: readonly (readonly [string, string])[]) =>
  `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;

/** A valid base request with up to two fields overridden, dropped, or joined by unknown ones. */
function mutatedObject(base: Record<string, unknown>, fields: readonly string[]) {
  const baseEntries = Object.entries(base).map(([k, v]) => [k, JSON.stringify(v)] as const);
  const override = fc.constantFrom(...fields).chain((f) => fieldValue(f).map((v) => [f, v] as const));
  return fc
    .record({
      overrides: fc.array(override, { minLength: 0, maxLength: 2 }),
      drop: sometimes(
        fc.subarray(Object.keys(base), { maxLength: Math.min(2, Object.keys(base).length) }),
        4,
        [] as string[],
      ),
      extra: sometimes(
        fc.array(fc.tuple(unknownKey, rawScalar), { minLength: 1, maxLength: 2 }),
        4,
        [] as [string, string][],
      ),
    })
    .map(({ overrides, drop, extra }) => {
      const kept = baseEntries.filter(([k]) => !drop.includes(k));
      const replaced = new Map<string, string>([...kept, ...overrides]);
      return objectText([...replaced.entries(), ...extra]);
    });
}

/** Objects of the real field names (any subset) carrying any values. */
const fieldsObject = (fields: readonly string[]) =>
  fc
    .uniqueArray(fc.constantFrom(...fields), { maxLength: fields.length })
    .chain((names) => fc.tuple(...names.map((n) => fieldValue(n).map((v) => [n, v] as const))))
    .map((entries) => objectText(entries));

interface Body {
  readonly body?: string;
  readonly isBase64Encoded: boolean;
}
const plain = (body: string | undefined): Body => ({ body, isBase64Encoded: false });

/** Hostile bodies for a write route whose fields are `fields`, based on the valid `base`. */
function hostileBody(base: Record<string, unknown>, fields: readonly string[]): fc.Arbitrary<Body> {
  const baseEntries = Object.entries(base).map(([k, v]) => [k, JSON.stringify(v)] as const);
  const freeText = fields.filter((f) => FREE_TEXT[f] !== undefined);
  // the valid request with a free-text field set to any text: it passes the shape check
  const withFreeText = fc
    .constantFrom(...(freeText.length > 0 ? freeText : ['client_order_id']))
    .chain((f) => (FREE_TEXT[f] ?? rawScalar).map((v) => objectText([...baseEntries, [f, v]])));
  const jsonText = fc.oneof(
    { weight: 4, arbitrary: mutatedObject(base, fields) },
    { weight: 1, arbitrary: fieldsObject(fields) },
    { weight: freeText.length > 0 ? 1 : 0, arbitrary: withFreeText },
  );
  return fc.oneof(
    { weight: 6, arbitrary: jsonText.map(plain) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(undefined, '', ' ', 'null', '[]', '{}', '{', '}', '"{}"', '\u0000')
        .map(plain),
    },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }).map(plain) },
    { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => plain(JSON.stringify(v))) },
    { weight: 1, arbitrary: rawScalar.map(plain) },
    // base64 of JSON (valid or not) and of random bytes; and "base64" that is not base64
    {
      weight: 2,
      arbitrary: jsonText.map((t) => ({
        body: Buffer.from(t, 'utf8').toString('base64'),
        isBase64Encoded: true,
      })),
    },
    {
      weight: 1,
      arbitrary: fc
        .uint8Array({ maxLength: 300 })
        .map((b) => ({ body: Buffer.from(b).toString('base64'), isBase64Encoded: true })),
    },
    { weight: 1, arbitrary: fc.string({ maxLength: 100 }).map((s) => ({ body: s, isBase64Encoded: true })) },
    // oversized: junk, and an otherwise valid object with a huge field
    {
      weight: 1,
      arbitrary: fc.integer({ min: 16 * 1024 - 50, max: 40_000 }).map((n) => plain('x'.repeat(n))),
    },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 16 * 1024 - 100, max: 24 * 1024 })
        .map((n) =>
          plain(
            objectText([
              ...Object.entries(base).map(([k, v]) => [k, JSON.stringify(v)] as const),
              ['pad', JSON.stringify('é'.repeat(n / 2))],
            ]),
          ),
        ),
    },
  );
}

const accountHeader = fc.constantFrom(
  ACCOUNT,
  OTHER_ACCOUNT,
  '',
  ' ',
  ` ${ACCOUNT} `,
  `${ACCOUNT},${OTHER_ACCOUNT}`,
  'ACCT-1',
  'acct-2',
);
const idempotencyKey = fc.oneof(
  fc.constantFrom('', ' ', 'k'),
  awkwardText,
  fc.string({ unit: 'binary', minLength: 0, maxLength: 300 }),
  fc.integer({ min: 250, max: 2000 }).map((n) => 'k'.repeat(n)),
  fc.integer({ min: 60, max: 70 }).map((n) => '😀'.repeat(n)),
);

/**
 * Random headers; now and then the Idempotency-Key (any spelling, odd lengths and characters) and
 * the account header (owned or not). Mostly benign, so the body's checks are reached too.
 */
const headers = fc
  .record({
    junk: fc.dictionary(
      fc.string({ minLength: 1, maxLength: 20 }),
      fc.string({ unit: 'binary', maxLength: 50 }),
      {
        maxKeys: 3,
      },
    ),
    idemName: fc.constantFrom('idempotency-key', 'Idempotency-Key', 'IDEMPOTENCY-KEY'),
    idem: sometimes(fc.oneof(fc.uuid(), idempotencyKey), 2, undefined),
    account: sometimes(accountHeader, 5, undefined),
  })
  .map(({ junk, idemName, idem, account }) => {
    const h: Record<string, string> = {};
    for (const [k, v] of Object.entries(junk)) {
      if (!['idempotency-key', 'x-oms-account-id'].includes(k.toLowerCase())) h[k] = v;
    }
    if (idem !== undefined) h[idemName] = idem;
    if (account !== undefined) h['x-oms-account-id'] = account;
    return h;
  });

/** The principal may hold the account alone or with another. */
const accountIds = fc.constantFrom(ACCOUNT, `${ACCOUNT},acct-2`, `acct-2,${ACCOUNT}`);

const orderId = fc.oneof(
  fc.constantFrom(
    ORDER_ID,
    TRAILING_ID,
    FOREIGN_ID,
    ORDER_ID.toUpperCase(),
    ` ${ORDER_ID}`,
    `${ORDER_ID}/events`,
    '',
    '..',
    '%00',
    'null',
    'undefined',
    '__proto__',
  ),
  fc.uuid(),
  awkwardText,
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.integer({ min: 120, max: 5000 }).map((n) => 'o'.repeat(n)),
);
const pathParameters = fc.option(
  fc
    .oneof({ weight: 2, arbitrary: fc.constantFrom(...SEEDED_IDS) }, { weight: 3, arbitrary: orderId })
    .map((id) => ({ order_id: id })),
  { nil: undefined, freq: 8 },
);

const queryValue = (valid: readonly string[]) =>
  fc.oneof(
    { weight: 8, arbitrary: fc.constantFrom(...valid, '') },
    // repeated keys arrive comma-joined in payload 2.0
    {
      weight: 1,
      arbitrary: fc.array(fc.constantFrom(...valid), { minLength: 2, maxLength: 3 }).map((a) => a.join(',')),
    },
    { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 60 }) },
    { weight: 1, arbitrary: fc.integer({ min: 1000, max: 20_000 }).map((n) => '9'.repeat(n)) },
  );

const LIST_KEYS: Record<string, readonly string[]> = {
  status: ['open', 'closed', 'all', 'OPEN', 'any'],
  limit: [
    '1',
    '50',
    '500',
    '501',
    '0',
    '-1',
    '1e2',
    '10.5',
    '0x10',
    '00010',
    '9999',
    ' 5',
    'NaN',
    'Infinity',
  ],
  after: [
    '2030-01-01',
    '2030-01-01T00:00:00Z',
    '2030-01-01T00:00:00.123456789+05:30',
    '0000-01-01T00:00+14:00',
    '9999-12-31T23:59:59-14:00',
    '2030-13-45',
    '2030-02-30',
    '1e12',
    'yesterday',
  ],
  until: [
    '2030-01-03',
    '2029-12-31T23:59:59Z',
    '0000-01-01',
    '9999-12-31T23:59:59.999999999Z',
    '2030-01-01T25:61',
  ],
  direction: ['asc', 'desc', 'ASC', 'up'],
  nested: ['true', 'false', '1', 'yes'],
  symbols: [
    'AAPL',
    'aapl,msft',
    'AAPL,,MSFT',
    ' AAPL ',
    'BRK.B',
    '1AAPL',
    Array.from({ length: 101 }, (_, i) => `S${i}`).join(','),
    '$',
  ],
  side: ['buy', 'sell', 'short', 'BUY'],
};

const listQuery = fc.option(
  fc
    .record(
      {
        known: fc.record(Object.fromEntries(Object.entries(LIST_KEYS).map(([k, v]) => [k, queryValue(v)])), {
          requiredKeys: [],
        }),
        junk: fc.dictionary(unknownKey, fc.string({ maxLength: 30 }), { maxKeys: 2 }),
      },
      { requiredKeys: ['known', 'junk'] },
    )
    .map(({ known, junk }) => ({ ...junk, ...known }) as Record<string, string>),
  { nil: undefined, freq: 10 },
);

const byCoidQuery = fc.option(
  fc
    .record(
      {
        client_order_id: fc.oneof(
          fc.constantFrom(
            SEED_COID,
            '',
            ' ',
            `${SEED_COID},${SEED_COID}`,
            'x'.repeat(128),
            'x'.repeat(129),
            '__proto__',
          ),
          awkwardText,
          fc.string({ unit: 'binary', maxLength: 150 }),
        ),
        junk: fc.string({ maxLength: 10 }),
      },
      { requiredKeys: [] },
    )
    .map((q) => q as Record<string, string>),
  { nil: undefined, freq: 10 },
);

function event(o: {
  routeKey: string;
  body?: Body;
  headers?: Record<string, string>;
  pathParameters?: Record<string, string>;
  query?: Record<string, string>;
  accountIds?: string;
}): ApiEvent {
  return apiEvent({
    routeKey: o.routeKey,
    ...(o.body?.body === undefined ? {} : { rawBody: o.body.body }),
    isBase64Encoded: o.body?.isBase64Encoded ?? false,
    ...(o.headers ? { headers: o.headers } : {}),
    ...(o.pathParameters ? { pathParameters: o.pathParameters } : {}),
    ...(o.query ? { query: o.query } : {}),
    ...(o.accountIds ? { accountIds: o.accountIds } : {}),
  });
}

const run = (fn: (e: ApiEvent) => Promise<APIGatewayProxyStructuredResultV2>, e: ApiEvent) => {
  seedStore();
  return fn(e);
};

beforeEach(() => {
  risk.mockReset();
  risk.mockResolvedValue(riskInputs());
  jest.spyOn(Date, 'now').mockReturnValue(T0 + 1000);
});
afterEach(() => jest.restoreAllMocks());

// ---------------------------------------------------------------------------------------------

describe('bad input never yields a 5xx, and a 4xx writes nothing', () => {
  test('POST /v2/orders', async () => {
    await fc.assert(
      fc.asyncProperty(hostileBody(LIMIT_BUY, POST_FIELDS), headers, accountIds, async (body, h, ids) => {
        const e = event({ routeKey: 'POST /v2/orders', body, headers: h, accountIds: ids });
        expectSafe(await run(create, e), 'POST');
      }),
      { numRuns: RUNS },
    );
  });

  test('PATCH /v2/orders/{order_id}, the seeded orders', async () => {
    const target = fc.oneof(
      fc.constantFrom(
        { id: ORDER_ID, base: { limit_price: '101' } },
        { id: ORDER_ID, base: { qty: '5', time_in_force: 'gtc' } },
        { id: TRAILING_ID, base: { trail: '1' } },
      ),
      fc
        .constantFrom(...SEEDED_IDS)
        .chain((id) =>
          fc
            .constantFrom({ qty: '2' }, { limit_price: '99' }, { stop_price: '96' }, { time_in_force: 'ioc' })
            .map((base) => ({ id, base })),
        ),
    );
    await fc.assert(
      fc.asyncProperty(
        target.chain((t) => fc.tuple(fc.constant(t.id), hostileBody(t.base, PATCH_FIELDS))),
        headers,
        async ([id, body], h) => {
          const e = event({
            routeKey: 'PATCH /v2/orders/{order_id}',
            body,
            headers: h,
            pathParameters: { order_id: id },
          });
          expectSafe(await run(replace, e), 'PATCH');
        },
      ),
      { numRuns: RUNS },
    );
  });

  test('PATCH /v2/orders/{order_id}, any order id', async () => {
    await fc.assert(
      fc.asyncProperty(
        pathParameters,
        hostileBody({ qty: '5' }, PATCH_FIELDS),
        headers,
        async (p, body, h) => {
          const e = event({
            routeKey: 'PATCH /v2/orders/{order_id}',
            body,
            headers: h,
            ...(p ? { pathParameters: p } : {}),
          });
          expectSafe(await run(replace, e), 'PATCH');
        },
      ),
      { numRuns: RUNS },
    );
  });

  test('DELETE /v2/orders/{order_id}', async () => {
    await fc.assert(
      fc.asyncProperty(
        pathParameters,
        headers,
        hostileBody({ reason: 'x' }, ['reason']),
        async (p, h, body) => {
          const e = event({
            routeKey: 'DELETE /v2/orders/{order_id}',
            body,
            headers: h,
            ...(p ? { pathParameters: p } : {}),
          });
          expectSafe(await run(cancel, e), 'DELETE');
        },
      ),
      { numRuns: RUNS },
    );
  });

  test('GET /v2/orders/{order_id} and /events', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('GET /v2/orders/{order_id}', 'GET /v2/orders/{order_id}/events'),
        pathParameters,
        headers,
        listQuery,
        async (routeKey, p, h, q) => {
          const e = event({
            routeKey,
            headers: h,
            ...(p ? { pathParameters: p } : {}),
            ...(q ? { query: q } : {}),
          });
          expectSafe(await run(query, e), routeKey);
        },
      ),
      { numRuns: RUNS },
    );
  });

  test('GET /v2/orders (list query strings)', async () => {
    await fc.assert(
      fc.asyncProperty(listQuery, headers, accountIds, async (q, h, ids) => {
        const e = event({
          routeKey: 'GET /v2/orders',
          headers: h,
          accountIds: ids,
          ...(q ? { query: q } : {}),
        });
        expectSafe(await run(query, e), 'GET list');
      }),
      { numRuns: RUNS },
    );
  });

  test('GET /v2/orders:by_client_order_id', async () => {
    await fc.assert(
      fc.asyncProperty(byCoidQuery, headers, async (q, h) => {
        const e = event({
          routeKey: 'GET /v2/orders:by_client_order_id',
          headers: h,
          ...(q ? { query: q } : {}),
        });
        expectSafe(await run(query, e), 'GET by coid');
      }),
      { numRuns: RUNS },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Counterexamples the properties found, kept as rows. Each sent an unpaired UTF-16 surrogate (a
// JSON `\ud800` escape) into a DynamoDB key or item: the in-memory fake stored it, DynamoDB
// cannot (it stores UTF-8), so the request would have been a 500 or a mangled claim key. They
// are now refused before any DynamoDB call.

const validOrder = (extra: Record<string, string>) =>
  objectText(Object.entries({ ...LIMIT_BUY, ...extra }).map(([k, v]) => [k, JSON.stringify(v)] as const));

describe('regressions: text that is not valid Unicode is refused before DynamoDB', () => {
  test.each([
    {
      name: 'POST client_order_id "\\ud800a" (was 200, claim key coid#acct-1#\\ud800a written)',
      handler: create,
      e: () =>
        event({ routeKey: 'POST /v2/orders', body: plain(validOrder({ client_order_id: '\ud800a' })) }),
      status: 400,
      field: 'client_order_id',
    },
    {
      name: 'POST an unpaired surrogate in a nested field',
      handler: create,
      e: () =>
        event({ routeKey: 'POST /v2/orders', body: plain(`{"take_profit":{"limit_price":"\\udc00"}}`) }),
      status: 400,
      field: 'take_profit.limit_price',
    },
    {
      name: 'POST an unpaired surrogate in a key',
      handler: create,
      e: () => event({ routeKey: 'POST /v2/orders', body: plain('{"\\ud800":1}') }),
      status: 400,
      field: 'body',
    },
    {
      name: 'POST Idempotency-Key "🔑-1" (an Idempotency-Key is ASCII: HTTP reads other bytes as Latin-1)',
      handler: create,
      e: () =>
        event({
          routeKey: 'POST /v2/orders',
          body: plain(validOrder({})),
          headers: { 'idempotency-key': '🔑-1' },
        }),
      status: 400,
      field: undefined,
    },
    {
      name: 'POST Idempotency-Key "k\\ud800"',
      handler: create,
      e: () =>
        event({
          routeKey: 'POST /v2/orders',
          body: plain(validOrder({})),
          headers: { 'idempotency-key': 'k\ud800' },
        }),
      status: 400,
      field: undefined,
    },
    {
      name: 'PATCH client_order_id "\\ud800a", base64 body (was 200, claim looked up and event appended)',
      handler: replace,
      e: () =>
        event({
          routeKey: 'PATCH /v2/orders/{order_id}',
          pathParameters: { order_id: ORDER_ID },
          body: {
            body: Buffer.from('{"qty":"5","time_in_force":"gtc","client_order_id":"\\ud800a"}').toString(
              'base64',
            ),
            isBase64Encoded: true,
          },
        }),
      status: 400,
      field: 'client_order_id',
    },
    {
      name: 'PATCH order id "\\ud83da" (was an event-store Query)',
      handler: replace,
      e: () =>
        event({
          routeKey: 'PATCH /v2/orders/{order_id}',
          pathParameters: { order_id: '\ud83da' },
          body: plain('{"qty":"5"}'),
        }),
      status: 404,
      field: undefined,
    },
    {
      name: 'DELETE order id "\\udfff"',
      handler: cancel,
      e: () => event({ routeKey: 'DELETE /v2/orders/{order_id}', pathParameters: { order_id: '\udfff' } }),
      status: 404,
      field: undefined,
    },
    {
      name: 'GET order id "\\ud800"',
      handler: query,
      e: () => event({ routeKey: 'GET /v2/orders/{order_id}', pathParameters: { order_id: '\ud800' } }),
      status: 404,
      field: undefined,
    },
    {
      name: 'GET events of order id "\\ud83da"',
      handler: query,
      e: () =>
        event({ routeKey: 'GET /v2/orders/{order_id}/events', pathParameters: { order_id: '\ud83da' } }),
      status: 404,
      field: undefined,
    },
    {
      name: 'GET by_client_order_id "\\udfffa" (was a GetItem on coid#acct-1#\\udfffa)',
      handler: query,
      e: () =>
        event({ routeKey: 'GET /v2/orders:by_client_order_id', query: { client_order_id: '\udfffa' } }),
      status: 400,
      field: 'client_order_id',
    },
    {
      // Issue 11: invalid UTF-8 was decoded to U+FFFD and the order placed with a mangled id.
      name: 'POST a body whose bytes are not UTF-8 (0xC3 0x28 inside client_order_id)',
      handler: create,
      e: () =>
        event({
          routeKey: 'POST /v2/orders',
          body: {
            body: Buffer.concat([
              Buffer.from(validOrder({ client_order_id: 'bot-' }).slice(0, -2)),
              Buffer.from([0xc3, 0x28]),
              Buffer.from('"}'),
            ]).toString('base64'),
            isBase64Encoded: true,
          },
        }),
      status: 400,
      field: undefined,
      message: 'body: is not valid UTF-8',
    },
    {
      name: 'PATCH a body whose bytes are not UTF-8 (a lone continuation byte 0x80)',
      handler: replace,
      e: () =>
        event({
          routeKey: 'PATCH /v2/orders/{order_id}',
          pathParameters: { order_id: ORDER_ID },
          body: {
            body: Buffer.concat([
              Buffer.from('{"client_order_id":"a'),
              Buffer.from([0x80]),
              Buffer.from('"}'),
            ]).toString('base64'),
            isBase64Encoded: true,
          },
        }),
      status: 400,
      field: undefined,
      message: 'body: is not valid UTF-8',
    },
  ])('$name', async ({ handler, e, status, field, message }) => {
    const res = await run(handler, e());
    expect(res.statusCode).toBe(status);
    const body = JSON.parse(res.body ?? '');
    expect(body.code).toBe(status === 404 ? API_ERROR.notFound : API_ERROR.badRequest);
    if (field !== undefined)
      expect(body.errors).toEqual([expect.objectContaining({ field, code: 'invalid_value' })]);
    if (message !== undefined) expect(body.message).toBe(message);
    expect(fake.mock.calls()).toEqual([]);
  });

  test('paired surrogates (astral characters) are valid text and still accepted', async () => {
    const res = await run(
      create,
      event({
        routeKey: 'POST /v2/orders',
        body: plain(validOrder({ client_order_id: 'bot-😀' })),
        headers: { 'Idempotency-Key': 'key 1' },
      }),
    );
    expect(res.statusCode).toBe(200);
    expect(JSON.parse(res.body ?? '').client_order_id).toBe('bot-😀');
    expect(fake.table('idempotency').has(`coid#${ACCOUNT}#bot-😀`)).toBe(true);
    expect(fake.table('idempotency').has(`idem#${ACCOUNT}#key 1`)).toBe(true);
    expectStorable();
  });
});
