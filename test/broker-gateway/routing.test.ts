/**
 * Routing at submission (`Submit and await outcome`, lambdas/orders/order-routing.ts) over the
 * in-memory AWS fakes, with the three simulated venues: a split places its children in one write
 * and sends the parent nowhere, even when the task is retried; a venue down gets nothing; no venue
 * at all rejects the order and the task releases its own token; a venue that failed is recorded
 * and then skipped.
 */
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { submitToVenue } from '../../lambdas/broker-gateway/submit-to-venue.js';
import { decide, type OrderState, statusOf } from '../../lambdas/core/index.js';
import { EventStore } from '../../lambdas/event-store/event-store.js';
import { dynamo } from '../../lambdas/platform/dynamo.js';
import { VENUE_HEALTH_KEY, venueHealthFromItem } from '../../lambdas/platform/market-data.js';
import { logger } from '../../lambdas/platform/observability.js';
import { BusRecorder, FakeDynamo } from './fake-aws.js';
import { pinAcme, placeOrder as placeFixtureOrder } from './orders-fixture.js';

const T0 = Date.parse('2026-11-23T14:30:00Z');
Object.assign(process.env, {
  EVENT_STORE_TABLE: 'events',
  VENUE_ORDERS_TABLE: 'venue',
  MARKET_TABLE: 'market',
  EVENT_BUS_NAME: 'oms-bus',
  IDEMPOTENCY_TABLE: 'idempotency',
  TASK_TOKENS_TABLE: 'tokens',
});
logger.setLogLevel('SILENT');

let db: FakeDynamo;
let bus: BusRecorder;
const sfn = mockClient(SFNClient);
const store = new EventStore(dynamo, 'events');

beforeEach(() => {
  sfn.reset();
  sfn.on(SendTaskSuccessCommand).resolves({});
  db = new FakeDynamo();
  db.install();
  bus = new BusRecorder();
  bus.install();
  pinAcme(db, T0);
});

const placeOrder = (orderId: string, request: Record<string, unknown>) =>
  placeFixtureOrder(store, orderId, request, T0);

const stateOf = async (id: string) => (await store.loadState(id)).state as OrderState;
const types = async (id: string) => (await store.load(id)).map((e) => e.type);
const booked = () => db.items('venue').filter((i) => typeof i.venue === 'string');

test('a market order larger than the best venue: split in one write, the parent sent nowhere, a retried task sends nothing', async () => {
  await placeOrder('p-1', { qty: '250', type: 'market' });
  const out = await submitToVenue({ orderId: 'p-1' });
  expect(out).toEqual({ orderId: 'p-1', venue: null, submitted: false });
  expect(await types('p-1')).toEqual(['OrderSubmitted', 'OrderRouted', 'OrderAccepted']);
  const routed = (await store.load('p-1'))[1]?.data as unknown as {
    allocations: { venue: string; qty: string; childOrderId: string }[];
  };
  expect(routed.allocations[0]).toMatchObject({ venue: 'SIMX' });
  expect(routed.allocations.reduce((s, a) => s + Number(a.qty), 0)).toBe(250);
  for (const a of routed.allocations) {
    const child = await stateOf(a.childOrderId);
    expect(child).toMatchObject({
      venue: a.venue,
      contingency: { role: 'algo_child', parentOrderId: 'p-1' },
    });
  }
  // The parent's routing and its children were one transaction.
  const writes = db.items('events').filter((e) => e.type === 'OrderSubmitted' && e.orderId !== 'p-1');
  expect(writes).toHaveLength(routed.allocations.length);
  // Nothing reached a venue for the parent, then or on a retry of the task.
  expect(await submitToVenue({ orderId: 'p-1' })).toEqual({ orderId: 'p-1', venue: null, submitted: false });
  expect(booked().map((i) => i.orderId)).not.toContain('p-1');
  // Each child goes to its own venue, not routed again.
  for (const a of routed.allocations) {
    expect(await submitToVenue({ orderId: a.childOrderId })).toEqual({
      orderId: a.childOrderId,
      venue: a.venue,
      submitted: true,
    });
    expect(await types(a.childOrderId)).toEqual(['OrderSubmitted']);
  }
  expect(new Set(booked().map((i) => i.venue))).toEqual(new Set(routed.allocations.map((a) => a.venue)));
});

test('a venue down gets nothing; every venue down: rejected no_venue_available, the task releases its own token', async () => {
  db.put({ TableName: 'market', Item: { symbol: VENUE_HEALTH_KEY, 'down#SIMX': true } });
  // Small enough for one venue's odd lots: not split.
  await placeOrder('o-1', { qty: '10', type: 'market' });
  const out = await submitToVenue({ orderId: 'o-1' });
  expect(out.submitted).toBe(true);
  expect(out.venue).not.toBe('SIMX');
  const routed = (await store.load('o-1'))[1]?.data as unknown as { excluded: unknown[] };
  expect(routed.excluded).toEqual([{ venue: 'SIMX', reason: 'venue_down' }]);

  db.put({
    TableName: 'market',
    Item: { symbol: VENUE_HEALTH_KEY, 'down#SIMX': true, 'down#SIMY': true, 'down#SIMZ': true },
  });
  await placeOrder('o-2', { qty: '50', type: 'market' });
  const closed = await submitToVenue({ orderId: 'o-2', taskToken: 'tok-2', outcomeTimeoutSeconds: 60 });
  expect(closed).toMatchObject({ submitted: false, status: 'rejected', venue: null });
  expect(sfn.commandCalls(SendTaskSuccessCommand).map((c) => c.args[0].input.taskToken)).toEqual(['tok-2']);
  expect(await types('o-2')).toEqual(['OrderSubmitted', 'OrderRouted', 'OrderRejected']);
  expect((await stateOf('o-2')).failedAt).not.toBeNull();
  expect(statusOf(await stateOf('o-2'))).toBe('rejected');
  expect(booked().map((i) => i.orderId)).not.toContain('o-2');
});

test('a venue that fails a submission is recorded, and the next order does not go there', async () => {
  await placeOrder('o-1', { qty: '50', type: 'market' });
  // The venue's write fails once (its book is unreachable): the task fails, the failure is recorded.
  db.beforeWrite = (table) => {
    if (table === 'venue') {
      db.beforeWrite = undefined;
      throw Object.assign(new Error('venue book unreachable'), { name: 'InternalServerError' });
    }
  };
  await expect(submitToVenue({ orderId: 'o-1' })).rejects.toThrow();
  const health = venueHealthFromItem(db.get('market', { symbol: VENUE_HEALTH_KEY }));
  expect(health.get('SIMX')?.failedAt).toEqual(expect.any(String));
  await placeOrder('o-2', { qty: '60', type: 'market' });
  const out = await submitToVenue({ orderId: 'o-2' });
  expect(out.venue).not.toBe('SIMX');
  expect((await store.load('o-2'))[1]?.data).toMatchObject({
    excluded: [{ venue: 'SIMX', reason: 'failed_recently' }],
  });
});

test('an order with a cancel outstanding is neither routed nor sent: it is closed canceled, unsent (its cancel was forwarded nowhere)', async () => {
  // A probe: the cancel went to the default venue, the router sent the order to another, and it
  // stayed pending_cancel for good.
  await placeOrder('c-1', { qty: '250', type: 'market' });
  const d = decide(await stateOf('c-1'), { type: 'requestCancel', requestedBy: 'client' }, T0);
  if (!d.ok) throw new Error(d.refusal.message);
  await store.append(d.events, { accountId: 'acct-1', correlationId: 'c-1', causationId: 'req-2' });
  const out = await submitToVenue({ orderId: 'c-1' });
  expect(out).toEqual({ orderId: 'c-1', venue: null, submitted: false, status: 'canceled' });
  expect((await store.load('c-1')).map((e) => e.type)).toEqual([
    'OrderSubmitted',
    'OrderCancelRequested',
    'OrderCanceled',
  ]);
});
