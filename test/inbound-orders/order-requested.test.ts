/** The bus path: OrderRequested -> queue -> placeOrder, idempotent on the event id. */
import '../order-api/env.js';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import {
  handler,
  type OrderRequestedEvent,
  onOrderRequested,
} from '../../lambdas/inbound-orders/order-requested.js';
import { loadRiskInputs } from '../../lambdas/orders/risk-context.js';
import { FakeDynamo } from '../order-api/fake-dynamo.js';
import { ACCOUNT, LIMIT_BUY, riskInputs, T0 } from '../order-api/fixtures.js';

jest.mock('../../lambdas/orders/risk-context.js', () => ({ loadRiskInputs: jest.fn() }));
const risk = jest.mocked(loadRiskInputs);
const fake = new FakeDynamo();

const event = (detail: unknown, id = 'evt-1'): OrderRequestedEvent => ({
  id,
  version: '0',
  account: '123456789012',
  time: new Date(T0).toISOString(),
  region: 'us-east-1',
  resources: [],
  source: 'stockbot.strategy',
  'detail-type': 'OrderRequested',
  detail,
});

/** The queue's record: the body is the whole EventBridge event. */
const record = (body: unknown, messageId = 'm-1'): SQSRecord =>
  ({ messageId, body: typeof body === 'string' ? body : JSON.stringify(body) }) as SQSRecord;
const failedIds = async (...records: SQSRecord[]) =>
  (await handler({ Records: records })).batchItemFailures.map((f) => f.itemIdentifier);
const orderIds = () =>
  [...fake.table('events').values()].filter((e) => e.seq === 1).map((e) => e.orderId as string);

beforeEach(() => {
  fake.reset();
  risk.mockReset();
  risk.mockResolvedValue(riskInputs());
});

test('places the order; a redelivery of the same event gets the same order', async () => {
  const first = await onOrderRequested(event({ accountId: ACCOUNT, order: LIMIT_BUY }));
  const again = await onOrderRequested(event({ accountId: ACCOUNT, order: LIMIT_BUY }));
  expect(first?.kind).toBe('created');
  expect(again?.kind).toBe('existing');
  expect((again as { order: { id: string } }).order.id).toBe((first as { order: { id: string } }).order.id);
  expect(fake.table('idempotency').has(`idem#${ACCOUNT}#event:evt-1`)).toBe(true);
  expect(fake.table('events').get(`${(first as { order: { id: string } }).order.id}|1`)).toMatchObject({
    correlationId: 'evt-1',
  });
});

test.each([
  {
    case: 'an invalid order',
    detail: { accountId: ACCOUNT, order: { ...LIMIT_BUY, qty: '-1' } },
    kind: 'invalid',
  },
  { case: 'a detail without accountId', detail: { order: LIMIT_BUY }, kind: undefined },
  { case: 'a detail that is not an object', detail: 'nope', kind: undefined },
])('$case is recorded, not thrown (a retry cannot fix it), nothing written', async ({ detail, kind }) => {
  const r = await onOrderRequested(event(detail));
  expect(r?.kind).toBe(kind);
  expect(fake.writes()).toHaveLength(0);
});

test('a risk refusal is not thrown', async () => {
  risk.mockResolvedValue(riskInputs({ maxOrderQty: '1' }));
  expect((await onOrderRequested(event({ accountId: ACCOUNT, order: LIMIT_BUY })))?.kind).toBe(
    'risk_refused',
  );
});

test.each([
  { case: 'rate limited', arrange: () => risk.mockResolvedValue(riskInputs({ maxOrdersPerSecond: 0 })) },
  {
    case: 'DynamoDB failing',
    arrange: () =>
      fake.mock
        .on(TransactWriteCommand)
        .rejects(Object.assign(new Error('boom'), { name: 'InternalServerError' })),
  },
])('$case: thrown, so the queue delivers the event again', async ({ arrange }) => {
  arrange();
  await expect(onOrderRequested(event({ accountId: ACCOUNT, order: LIMIT_BUY }))).rejects.toThrow();
});

describe('queue handler (SQS batch)', () => {
  test('places each event once; a redelivered record (same event id) places nothing new', async () => {
    const first = record(event({ accountId: ACCOUNT, order: LIMIT_BUY }, 'evt-1'), 'm-1');
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
    const failing = record(event({ accountId: ACCOUNT, order: LIMIT_BUY }, 'evt-1'), 'm-1');
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

  test('an invalid order is consumed (not retried): a retry cannot fix it', async () => {
    expect(await failedIds(record(event({ accountId: ACCOUNT, order: { qty: '-1' } })))).toEqual([]);
    expect(fake.writes()).toHaveLength(0);
  });
});
