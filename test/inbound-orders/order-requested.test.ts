/**
 * The bus path: OrderRequested -> queue -> placeOrder, idempotent on the producer's request id
 * (issue 16: a producer's PutEvents retry is a new event id); a refused request is answered on the
 * bus with OrderRequestRejected, stored in the event store for its stream's publisher (the bus
 * entry checked here is the one the publisher makes of it: test/stream-consumers/publisher.test.ts).
 */
import '../order-api/env.js';
import { PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import { assetIdOf, defaultAsset } from '../../lambdas/core/index.js';
import {
  INTAKE_STREAM_PREFIX,
  intakeBusEntryOf,
  type StoredIntakeAnswer,
} from '../../lambdas/event-store/intake-answers.js';
import {
  handler,
  type OrderRequestedEvent,
  onOrderRequested,
} from '../../lambdas/inbound-orders/order-requested.js';
import { loadRiskInputs } from '../../lambdas/orders/risk-context.js';
import { marketData } from '../../lambdas/platform/market-data.js';
import { FakeDynamo } from '../order-api/fake-dynamo.js';
import { ACCOUNT, LIMIT_BUY, riskInputs, T0 } from '../order-api/fixtures.js';

jest.mock('../../lambdas/orders/risk-context.js', () => ({ loadRiskInputs: jest.fn() }));
const risk = jest.mocked(loadRiskInputs);
const fake = new FakeDynamo();

const event = (detail: unknown, id = 'evt-1', source = SOURCE): OrderRequestedEvent => ({
  id,
  version: '0',
  account: '123456789012',
  time: new Date(T0).toISOString(),
  region: 'us-east-1',
  resources: [],
  source,
  'detail-type': 'OrderRequested',
  detail,
});

/** The sender's source, and its entitlement to ACCOUNT (read with the account by loadRiskInputs). */
const SOURCE = 'stockbot.strategy.momentum';
const entitled = (
  inputs: ReturnType<typeof riskInputs>,
  accountIds: readonly string[] = [ACCOUNT],
  status: 'active' | 'revoked' = 'active',
) => ({ ...inputs, entitlement: { strategyId: 'momentum', accountIds, status } });

/** The queue's record: the body is the whole EventBridge event. */
const record = (body: unknown, messageId = 'm-1'): SQSRecord =>
  ({ messageId, body: typeof body === 'string' ? body : JSON.stringify(body) }) as SQSRecord;
const failedIds = async (...records: SQSRecord[]) =>
  (await handler({ Records: records })).batchItemFailures.map((f) => f.itemIdentifier);
const isAnswer = (item: Record<string, unknown>) => String(item.orderId).startsWith(INTAKE_STREAM_PREFIX);
const orderIds = () =>
  [...fake.table('events').values()]
    .filter((e) => e.seq === 1 && !isAnswer(e))
    .map((e) => e.orderId as string);
/** The answers stored, as the publisher puts them on the bus. */
const answered = () =>
  [...fake.table('events').values()].filter(isAnswer).map((item) => {
    const e = intakeBusEntryOf(item as unknown as StoredIntakeAnswer, 'oms-bus');
    return { source: e.Source, type: e.DetailType, detail: JSON.parse(e.Detail as string) };
  });
/** Writes other than the stored answers. */
const writesButAnswers = () =>
  fake.writes().filter((c) => {
    const input = (c as { args: [{ input: { Item?: Record<string, unknown> } }] }).args[0].input;
    return input.Item === undefined || !isAnswer(input.Item);
  });

beforeEach(() => {
  fake.reset();
  risk.mockReset();
  risk.mockResolvedValue(entitled(riskInputs()));
});

test('places the order; a redelivery (the same event) and a producer retry (a new event id, the same requestId) get the same order', async () => {
  const first = await onOrderRequested(event({ accountId: ACCOUNT, order: LIMIT_BUY, requestId: 'req-1' }));
  const again = await onOrderRequested(event({ accountId: ACCOUNT, order: LIMIT_BUY, requestId: 'req-1' }));
  const retried = await onOrderRequested(
    event({ accountId: ACCOUNT, order: LIMIT_BUY, requestId: 'req-1' }, 'evt-retry'),
  );
  expect(first?.kind).toBe('created');
  expect(again?.kind).toBe('existing');
  expect(retried?.kind).toBe('existing');
  expect((again as { order: { id: string } }).order.id).toBe((first as { order: { id: string } }).order.id);
  expect((retried as { order: { id: string } }).order.id).toBe((first as { order: { id: string } }).order.id);
  expect(orderIds()).toHaveLength(1);
  expect(fake.table('idempotency').has(`idem#${ACCOUNT}#request:${SOURCE}:req-1`)).toBe(true);
  expect(fake.table('events').get(`${(first as { order: { id: string } }).order.id}|1`)).toMatchObject({
    correlationId: 'evt-1',
  });
});

test.each([
  {
    case: 'an invalid order',
    detail: { accountId: ACCOUNT, order: { ...LIMIT_BUY, qty: '-1' }, requestId: 'req-1' },
    kind: 'invalid',
  },
  { case: 'a detail without accountId', detail: { order: LIMIT_BUY }, kind: undefined },
  { case: 'a detail that is not an object', detail: 'nope', kind: undefined },
])(
  '$case is answered, not thrown (a retry cannot fix it); nothing written but its answer',
  async ({ detail, kind }) => {
    const r = await onOrderRequested(event(detail));
    expect(r?.kind).toBe(kind);
    expect(writesButAnswers()).toHaveLength(0);
    expect(answered()).toEqual([expect.objectContaining({ type: 'OrderRequestRejected' })]);
  },
);

// An asset ID as the symbol names that asset, as on POST /v2/orders (last stop: the bus refused it).
test.each([
  { case: "AAPL's asset id", symbol: assetIdOf('AAPL'), kind: 'created', placed: 'AAPL' },
  {
    case: 'an asset id no asset has',
    symbol: '00000000-0000-5000-8000-000000000000',
    kind: 'invalid',
    placed: null,
  },
])('symbol given as $case', async ({ symbol, kind, placed }) => {
  jest
    .spyOn(marketData(), 'assetById')
    .mockImplementation(async (id) => (id.toLowerCase() === assetIdOf('AAPL') ? defaultAsset('AAPL') : null));
  const r = await onOrderRequested(
    event({ accountId: ACCOUNT, order: { ...LIMIT_BUY, symbol }, requestId: 'req-a' }),
  );
  expect(r?.kind).toBe(kind);
  if (placed !== null) {
    expect((r as { order: { symbol: string } }).order.symbol).toBe(placed);
    expect(answered()).toEqual([]);
  } else {
    expect(writesButAnswers()).toHaveLength(0);
    expect(answered()).toEqual([
      expect.objectContaining({
        type: 'OrderRequestRejected',
        detail: expect.objectContaining({
          code: 'invalid_request',
          message: `symbol: asset ${symbol} not found`,
        }),
      }),
    ]);
  }
});

test('a risk refusal is not thrown', async () => {
  risk.mockResolvedValue(entitled(riskInputs({ maxOrderQty: '1' })));
  expect(
    (await onOrderRequested(event({ accountId: ACCOUNT, order: LIMIT_BUY, requestId: 'req-1' })))?.kind,
  ).toBe('risk_refused');
});

test.each([
  {
    case: 'rate limited',
    arrange: () => risk.mockResolvedValue(entitled(riskInputs({ maxOrdersPerSecond: 0 }))),
  },
  {
    case: 'DynamoDB failing',
    arrange: () =>
      fake.mock
        .on(TransactWriteCommand)
        .rejects(Object.assign(new Error('boom'), { name: 'InternalServerError' })),
  },
])('$case: thrown, so the queue delivers the event again', async ({ arrange }) => {
  arrange();
  await expect(
    onOrderRequested(event({ accountId: ACCOUNT, order: LIMIT_BUY, requestId: 'req-1' })),
  ).rejects.toThrow();
});

describe('queue handler (SQS batch)', () => {
  test('places each event once; a redelivered record (same event id) places nothing new', async () => {
    const first = record(event({ accountId: ACCOUNT, order: LIMIT_BUY, requestId: 'req-1' }, 'evt-1'), 'm-1');
    const second = record(
      // Another qty: an identical order within 2 s would be a duplicate_order.
      event({ accountId: ACCOUNT, order: { ...LIMIT_BUY, qty: '11', client_order_id: 'other' } }, 'evt-2'),
      'm-2',
    );
    expect(await failedIds(first, second)).toEqual([]);
    expect(orderIds()).toHaveLength(2);
    expect(await failedIds(first)).toEqual([]);
    expect(orderIds()).toHaveLength(2);
  });

  test('a record that fails is reported alone; the others are placed', async () => {
    risk.mockRejectedValueOnce(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    const failing = record(
      event({ accountId: ACCOUNT, order: LIMIT_BUY, requestId: 'req-1' }, 'evt-1'),
      'm-1',
    );
    const fine = record(
      event({ accountId: ACCOUNT, order: { ...LIMIT_BUY, qty: '11', client_order_id: 'other' } }, 'evt-2'),
      'm-2',
    );
    expect(await failedIds(failing, fine, record('not json', 'm-3'))).toEqual(['m-1', 'm-3']);
    expect(orderIds()).toHaveLength(1);
    // The redelivery of the failed record places its order.
    expect(await failedIds(failing)).toEqual([]);
    expect(orderIds()).toHaveLength(2);
  });

  test('a qty number a double would round is refused by its decimals, never placed rounded (a review: 2.9999999999999999 placed 3)', async () => {
    const body = JSON.stringify(
      event({ accountId: ACCOUNT, order: { ...LIMIT_BUY, qty: 1 }, requestId: 'req-r' }),
    ).replace('"qty":1', '"qty":2.9999999999999999');
    expect(await failedIds(record(body))).toEqual([]);
    expect(orderIds()).toHaveLength(0);
    expect(JSON.stringify(answered())).toContain('qty: has more than 9 decimal places');
  });

  test('an invalid order is consumed (not retried): a retry cannot fix it', async () => {
    expect(
      await failedIds(record(event({ accountId: ACCOUNT, order: { qty: '-1' }, requestId: 'req-9' }))),
    ).toEqual([]);
    expect(writesButAnswers()).toHaveLength(0);
  });

  test('a redelivered refused request (the same event) is answered once', async () => {
    const refused = record(event({ accountId: ACCOUNT, order: { qty: '-1' }, requestId: 'req-9' }, 'evt-9'));
    expect(await failedIds(refused)).toEqual([]);
    expect(await failedIds(refused)).toEqual([]);
    expect(answered()).toEqual([
      expect.objectContaining({ detail: expect.objectContaining({ eventId: 'evt-9' }) }),
    ]);
  });

  test('an answer that cannot be stored fails the record: the queue delivers it again and it is answered then', async () => {
    const refused = record(event({ accountId: ACCOUNT, order: { qty: '-1' }, requestId: 'req-9' }, 'evt-9'));
    fake.mock
      .on(PutCommand)
      .rejectsOnce(Object.assign(new Error('throttled'), { name: 'ProvisionedThroughputExceededException' }));
    expect(await failedIds(refused)).toEqual(['m-1']);
    expect(answered()).toEqual([]);
    fake.reset();
    expect(await failedIds(refused)).toEqual([]);
    expect(answered()).toHaveLength(1);
  });
});

describe('OrderRequestRejected: a refused request is answered to its sender on the bus', () => {
  test.each([
    {
      case: 'neither requestId nor client_order_id: its retry could not be told from a second order',
      detail: { accountId: ACCOUNT, order: LIMIT_BUY },
      answer: {
        code: 'invalid_request',
        requestId: null,
        message: expect.stringMatching(/^requestId: required/),
      },
    },
    {
      case: 'an invalid order: the field errors',
      detail: { accountId: ACCOUNT, order: { ...LIMIT_BUY, qty: '-1' }, requestId: 'req-2' },
      answer: {
        code: 'invalid_request',
        requestId: 'req-2',
        errors: [expect.objectContaining({ field: 'qty' })],
      },
    },
    {
      // As POST: an algorithm's window past the order's life (core ValidationContext.expiresAt).
      case: 'a gtc TWAP ending in 9999: the field error',
      detail: {
        accountId: ACCOUNT,
        order: {
          ...LIMIT_BUY,
          time_in_force: 'gtc',
          advanced_instructions: { algorithm: 'TWAP', end_time: '9999-12-31T23:59:59Z' },
        },
        requestId: 'req-9',
      },
      answer: {
        code: 'invalid_request',
        requestId: 'req-9',
        errors: [expect.objectContaining({ field: 'advanced_instructions.end_time' })],
      },
    },
    {
      case: 'a bad requestId',
      detail: { accountId: ACCOUNT, order: LIMIT_BUY, requestId: 'no spaces allowed' },
      answer: { code: 'invalid_request', message: expect.stringContaining('requestId') },
    },
    {
      case: 'refused by risk: the refusals',
      detail: { accountId: ACCOUNT, order: LIMIT_BUY, requestId: 'req-3' },
      risk: { maxOrderQty: '1' },
      answer: {
        code: 'risk_refused',
        requestId: 'req-3',
        refusals: [expect.objectContaining({ rule: 'max_order_qty' })],
      },
    },
  ])('$case', async ({ detail, answer, ...o }) => {
    if ('risk' in o) risk.mockResolvedValue(entitled(riskInputs(o.risk)));
    await onOrderRequested(event(detail, 'evt-7'));
    expect(answered()).toEqual([
      {
        source: 'stockbot.oms.intake',
        type: 'OrderRequestRejected',
        detail: expect.objectContaining({ eventId: 'evt-7', accountId: ACCOUNT, ...answer }),
      },
    ]);
    expect(orderIds()).toHaveLength(0);
  });

  test('without requestId, the order’s client_order_id makes a producer retry safe: one order', async () => {
    const order = { ...LIMIT_BUY, client_order_id: 'strategy-7:abc' };
    await onOrderRequested(event({ accountId: ACCOUNT, order }, 'evt-a'));
    await onOrderRequested(event({ accountId: ACCOUNT, order }, 'evt-b'));
    expect(orderIds()).toHaveLength(1);
    expect(answered().filter((a) => a.detail.code !== 'conflict')).toEqual([]);
  });

  test('an accepted request is not answered with a rejection', async () => {
    await onOrderRequested(event({ accountId: ACCOUNT, order: LIMIT_BUY, requestId: 'req-ok' }));
    expect(answered()).toEqual([]);
  });
});

describe('the sender (issue 16): only a strategy entitled to the account places for it', () => {
  const rejections = () => answered().map((a) => a.detail);

  test.each([
    {
      case: 'an account not in the strategy’s entitlement',
      arrange: () => risk.mockResolvedValue(entitled(riskInputs(), ['someone-else'])),
      message: `accountId: strategy momentum is not entitled to trade account ${ACCOUNT}`,
    },
    {
      case: 'a revoked strategy',
      arrange: () => risk.mockResolvedValue(entitled(riskInputs(), [ACCOUNT], 'revoked')),
      message: 'source: strategy momentum is revoked',
    },
    {
      case: 'a strategy without an entitlement record',
      arrange: () => risk.mockResolvedValue({ ...riskInputs(), entitlement: null }),
      message: 'source: strategy momentum is not entitled to trade any account',
    },
    {
      case: 'the bare stockbot.strategy source (names nobody): nothing read at all',
      source: 'stockbot.strategy',
      arrange: () => undefined,
      message: 'source: stockbot.strategy names no strategy',
    },
  ])(
    '$case: refused, answered sender_not_entitled, nothing written but the answer',
    async ({ arrange, message, ...o }) => {
      arrange();
      const source = 'source' in o ? (o.source as string) : SOURCE;
      const r = await onOrderRequested(
        event({ accountId: ACCOUNT, order: LIMIT_BUY, requestId: 'req-x' }, 'evt-x', source),
      );
      expect(r?.kind).toBe('sender_refused');
      expect(writesButAnswers()).toHaveLength(0);
      expect(rejections()).toEqual([
        expect.objectContaining({
          code: 'sender_not_entitled',
          requestId: 'req-x',
          accountId: ACCOUNT,
          source,
          message: expect.stringContaining(message),
        }),
      ]);
      if (source === 'stockbot.strategy') expect(risk).not.toHaveBeenCalled();
      else
        expect(risk).toHaveBeenCalledWith(ACCOUNT, expect.anything(), expect.any(Number), {
          strategyId: 'momentum',
        });
    },
  );

  test('a retry of a placed request from a strategy no longer entitled places nothing and is refused', async () => {
    const placed = await onOrderRequested(
      event({ accountId: ACCOUNT, order: LIMIT_BUY, requestId: 'req-r' }),
    );
    expect(placed?.kind).toBe('created');
    risk.mockResolvedValue(entitled(riskInputs(), [ACCOUNT], 'revoked'));
    const retried = await onOrderRequested(
      event({ accountId: ACCOUNT, order: LIMIT_BUY, requestId: 'req-r' }, 'evt-r2'),
    );
    expect(retried?.kind).toBe('sender_refused');
    expect(orderIds()).toHaveLength(1);
  });

  test('two strategies numbering their requests alike place two orders (the key is scoped by the source)', async () => {
    const other = 'stockbot.strategy.meanrev';
    risk.mockImplementation(async (_a, _o, _n, options) => ({
      ...riskInputs(),
      entitlement: { strategyId: options?.strategyId as string, accountIds: [ACCOUNT], status: 'active' },
    }));
    await onOrderRequested(event({ accountId: ACCOUNT, order: LIMIT_BUY, requestId: 'req-1' }, 'e1'));
    await onOrderRequested(
      event({ accountId: ACCOUNT, order: { ...LIMIT_BUY, qty: '11' }, requestId: 'req-1' }, 'e2', other),
    );
    expect(orderIds()).toHaveLength(2);
  });
});
