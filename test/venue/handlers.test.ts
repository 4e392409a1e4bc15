/**
 * The venue handlers end to end over the in-memory AWS fakes: the workflow's submit task, the
 * bus rules forwarding cancel/replace, and the applier turning the venue's reports into events.
 */
import type { Context, EventBridgeEvent } from 'aws-lambda';
import {
  decide,
  nanos,
  type OrderCommand,
  statusOf,
  validateOrderRequest,
} from '../../lambdas/core/index.js';
import { dynamo } from '../../lambdas/shared/dynamo.js';
import { detailOf } from '../../lambdas/shared/envelope.js';
import { EventStore, runCommand, type StoredEvent } from '../../lambdas/shared/event-store.js';
import { logger } from '../../lambdas/shared/observability.js';
import { applyExecutionReport, ReportOutOfOrder } from '../../lambdas/venue/apply-execution-report.js';
import type { ExecutionReport } from '../../lambdas/venue/execution-report.js';
import { forwardToVenue } from '../../lambdas/venue/forward-to-venue.js';
import { quoteToItem } from '../../lambdas/venue/market.js';
import { handler as submitHandler, submitToVenue } from '../../lambdas/venue/submit-to-venue.js';
import { BusRecorder, FakeDynamo } from './fake-aws.js';

const T0 = Date.parse('2026-11-23T14:30:00Z');
Object.assign(process.env, {
  EVENT_STORE_TABLE: 'events',
  VENUE_ORDERS_TABLE: 'venue',
  MARKET_TABLE: 'market',
  EVENT_BUS_NAME: 'oms-bus',
  IDEMPOTENCY_TABLE: 'idempotency',
});
logger.setLogLevel('SILENT');

let db: FakeDynamo;
let bus: BusRecorder;
const store = new EventStore(dynamo, 'events');

beforeEach(() => {
  db = new FakeDynamo();
  db.install();
  bus = new BusRecorder();
  bus.install();
  db.put({
    TableName: 'market',
    Item: {
      ...quoteToItem({
        symbol: 'ACME',
        bid: nanos('9.99'),
        ask: nanos('10.01'),
        last: nanos('10'),
        bidSize: nanos('100'),
        askSize: nanos('100'),
        updatedAt: new Date(T0).toISOString(),
      }),
    },
  });
});

async function placeOrder(orderId: string, request: Record<string, unknown>): Promise<void> {
  const v = validateOrderRequest(
    { symbol: 'ACME', side: 'buy', time_in_force: 'day', ...request },
    { now: T0 },
  );
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  const d = decide(undefined, { type: 'submit', orderId, accountId: 'acct-1', order: v.order }, T0);
  if (!d.ok) throw new Error(d.refusal.message);
  await store.append(d.events, { accountId: 'acct-1', correlationId: orderId, causationId: 'req-1' });
}

const command = (orderId: string, c: OrderCommand) =>
  runCommand(
    store,
    orderId,
    c,
    () => ({ accountId: 'acct-1', correlationId: orderId, causationId: 'req' }),
    () => T0,
  );

const asBusEvent = (detailType: string, source: string, detail: unknown) =>
  ({ 'detail-type': detailType, source, detail }) as EventBridgeEvent<string, unknown>;

const apply = (r: ExecutionReport) =>
  applyExecutionReport(asBusEvent('ExecutionReport', 'stockbot.venue', r));

/** The last OMS event of the order, as the stream publisher would put it on the bus. */
async function lastOmsEvent(orderId: string) {
  const events = await store.load(orderId);
  const e = events[events.length - 1] as StoredEvent;
  return asBusEvent(e.type, 'stockbot.oms', detailOf(e));
}

const stateOf = async (orderId: string) => (await store.loadState(orderId)).state;
const types = async (orderId: string) => (await store.load(orderId)).map((e) => e.type);

test('submit task -> reports -> applied: the order fills; a redelivered report appends nothing', async () => {
  await placeOrder('o-1', { qty: '50', type: 'market' });
  const out = await submitHandler({ orderId: 'o-1', venue: 'SIMX' }, {} as Context);
  expect(out).toEqual({ orderId: 'o-1', venue: 'SIMX', submitted: true });
  const reports = bus.take<ExecutionReport>();
  for (const r of reports) expect(await apply(r)).toBe('applied');
  for (const r of reports) expect(await apply(r)).not.toBe('applied');
  expect(await types('o-1')).toEqual(['OrderSubmitted', 'OrderAccepted', 'OrderFilled']);
  const filled = (await store.load('o-1'))[2] as StoredEvent;
  expect(filled).toMatchObject({ causationId: 'o-1:2', data: { lastPx: '10.01', venue: 'SIMX' } });
  // A retried submit task does not book or report again.
  await submitToVenue({ orderId: 'o-1', venue: 'SIMX' });
  expect(bus.take()).toEqual([]);
});

test('submit task refuses an unknown venue and a missing order', async () => {
  await expect(submitToVenue({ orderId: 'o-1', venue: 'NYSE' })).rejects.toMatchObject({
    name: 'UnknownVenue',
  });
  await expect(submitToVenue({ orderId: 'nope', venue: 'SIMX' })).rejects.toMatchObject({
    name: 'OrderNotFound',
  });
});

test('cancel of an order the venue never got: unknown_order rejects it; a late submit is not sent', async () => {
  await placeOrder('o-1', { qty: '50', type: 'limit', limit_price: '9' });
  await command('o-1', { type: 'requestCancel', requestedBy: 'oms' });
  await forwardToVenue(await lastOmsEvent('o-1'));
  const [report] = bus.take<ExecutionReport>();
  expect(report).toMatchObject({ execType: 'cancel_rejected', reason: 'unknown_order' });
  await apply(report as ExecutionReport);
  expect(statusOf((await stateOf('o-1')) as never)).toBe('rejected');
  expect(await submitToVenue({ orderId: 'o-1' })).toEqual({
    orderId: 'o-1',
    venue: 'SIMX',
    submitted: false,
    status: 'rejected',
  });
});

test('cancel of a resting order: pending_cancel, canceled', async () => {
  await placeOrder('o-1', { qty: '50', type: 'limit', limit_price: '9' });
  await submitToVenue({ orderId: 'o-1', venue: 'SIMX' });
  for (const r of bus.take<ExecutionReport>()) await apply(r);
  await command('o-1', { type: 'requestCancel', requestedBy: 'client' });
  await forwardToVenue(await lastOmsEvent('o-1'));
  for (const r of bus.take<ExecutionReport>()) await apply(r);
  expect(await types('o-1')).toEqual([
    'OrderSubmitted',
    'OrderAccepted',
    'OrderCancelRequested',
    'OrderCancelAcknowledged',
    'OrderCanceled',
  ]);
});

test('a closing report that overtook its fills is retried, not applied', async () => {
  await placeOrder('o-1', { qty: '250', type: 'market', time_in_force: 'ioc' });
  await submitToVenue({ orderId: 'o-1' });
  const [accepted, fill, canceled] = bus.take<ExecutionReport>();
  expect(canceled).toMatchObject({ execType: 'canceled', reason: 'ioc_remainder', cumQty: '100' });
  await apply(accepted as ExecutionReport);
  await expect(apply(canceled as ExecutionReport)).rejects.toBeInstanceOf(ReportOutOfOrder);
  await apply(fill as ExecutionReport);
  await apply(canceled as ExecutionReport);
  expect(await types('o-1')).toEqual([
    'OrderSubmitted',
    'OrderAccepted',
    'OrderPartiallyFilled',
    'OrderCanceled',
  ]);
});

test('replace: replaced opens the replacement once; its fills wait for it', async () => {
  await placeOrder('o-1', { qty: '250', type: 'limit', limit_price: '10.01' });
  await submitToVenue({ orderId: 'o-1' });
  for (const r of bus.take<ExecutionReport>()) await apply(r);
  await command('o-1', {
    type: 'requestReplace',
    replacementOrderId: 'r-1',
    changes: { qty: '300', limitPrice: '10.02' },
    requestedBy: 'client',
  });
  await forwardToVenue(await lastOmsEvent('o-1'));
  const reports = bus.take<ExecutionReport>();
  expect(reports.map((r) => `${r.orderId} ${r.execType}`)).toEqual([
    'o-1 pending_replace',
    'o-1 replaced',
    'r-1 fill',
  ]);
  const [pending, replaced, fill] = reports as [ExecutionReport, ExecutionReport, ExecutionReport];
  await expect(apply(fill)).rejects.toBeInstanceOf(ReportOutOfOrder);
  await apply(pending);
  await apply(replaced);
  await apply(replaced); // redelivered: the replacement is not opened twice
  expect((await types('o-1')).slice(-1)).toEqual(['OrderReplaced']);
  expect(await types('r-1')).toEqual(['OrderSubmitted', 'OrderAccepted']);
  // Its client order id (its own id: the PATCH gave none) is claimed with its opening events.
  expect(db.get('idempotency', { id: 'coid#acct-1#r-1' })).toMatchObject({ orderId: 'r-1' });
  await apply(fill);
  const r1 = await stateOf('r-1');
  expect(r1 && statusOf(r1)).toBe('partially_filled');
  // The OMS and the venue book agree on the chain's CumQty.
  expect(r1?.filledQty).toBe(nanos('200'));
  expect(db.get('venue', { orderId: 'r-1' })).toMatchObject({ filledQty: '200', status: 'open' });
  expect((await store.load('r-1'))[0]).toMatchObject({ causationId: 'o-1:4', data: { replaces: 'o-1' } });
});

test('replace: a replacement whose client order id is taken still opens, without taking the claim', async () => {
  db.put({ TableName: 'idempotency', Item: { id: 'coid#acct-1#mine', orderId: 'other', requestHash: 'h' } });
  await placeOrder('o-1', { qty: '100', type: 'limit', limit_price: '9' });
  await submitToVenue({ orderId: 'o-1' });
  for (const r of bus.take<ExecutionReport>()) await apply(r);
  await command('o-1', {
    type: 'requestReplace',
    replacementOrderId: 'r-1',
    changes: { limitPrice: '9.01', clientOrderId: 'mine' },
    requestedBy: 'client',
  });
  await forwardToVenue(await lastOmsEvent('o-1'));
  for (const r of bus.take<ExecutionReport>()) await apply(r);
  expect(await types('r-1')).toEqual(['OrderSubmitted', 'OrderAccepted']);
  expect(db.get('idempotency', { id: 'coid#acct-1#mine' })).toMatchObject({ orderId: 'other' });
});

test('an expired order is dropped by the venue', async () => {
  await placeOrder('o-1', { qty: '50', type: 'limit', limit_price: '9' });
  await submitToVenue({ orderId: 'o-1' });
  for (const r of bus.take<ExecutionReport>()) await apply(r);
  await command('o-1', { type: 'expire' });
  await forwardToVenue(await lastOmsEvent('o-1'));
  expect(db.get('venue', { orderId: 'o-1' })).toMatchObject({ status: 'canceled' });
  for (const r of bus.take<ExecutionReport>()) expect(await apply(r)).toBe('ignored');
  expect((await types('o-1')).slice(-1)).toEqual(['OrderExpired']);
});

test('malformed reports and events are refused', async () => {
  await expect(apply({ execType: 'fill' } as ExecutionReport)).rejects.toThrow();
  await expect(
    forwardToVenue(asBusEvent('OrderCancelRequested', 'stockbot.oms', { data: {} })),
  ).rejects.toThrow();
});
