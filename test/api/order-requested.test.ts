/** The bus path: OrderRequested -> placeOrder, idempotent on the event id. */
import './env.js';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { handler, type OrderRequestedEvent } from '../../lambdas/inbound/order-requested.js';
import { loadRiskInputs } from '../../lambdas/shared/risk-context.js';
import { FakeDynamo } from './fake-dynamo.js';
import { ACCOUNT, LIMIT_BUY, riskInputs, T0 } from './fixtures.js';

jest.mock('../../lambdas/shared/risk-context.js', () => ({ loadRiskInputs: jest.fn() }));
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

beforeEach(() => {
  fake.reset();
  risk.mockReset();
  risk.mockResolvedValue(riskInputs());
});

test('places the order; a redelivery of the same event gets the same order', async () => {
  const first = await handler(event({ accountId: ACCOUNT, order: LIMIT_BUY }));
  const again = await handler(event({ accountId: ACCOUNT, order: LIMIT_BUY }));
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
  const r = await handler(event(detail));
  expect(r?.kind).toBe(kind);
  expect(fake.writes()).toHaveLength(0);
});

test('a risk refusal is not thrown', async () => {
  risk.mockResolvedValue(riskInputs({ maxOrderQty: '1' }));
  expect((await handler(event({ accountId: ACCOUNT, order: LIMIT_BUY })))?.kind).toBe('risk_refused');
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
])('$case: thrown, so EventBridge retries', async ({ arrange }) => {
  arrange();
  await expect(handler(event({ accountId: ACCOUNT, order: LIMIT_BUY }))).rejects.toThrow();
});
