/**
 * The venue handlers end to end over the in-memory AWS fakes: the workflow's submit task, the
 * bus rules forwarding cancel/replace, and the applier turning the venue's reports into events.
 */

import { PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, EventBridgeEvent, SQSEvent, SQSRecord } from 'aws-lambda';
import {
  applyExecutionReport,
  applyExecutionReports,
  applyInOrder,
  HELD_REPORT_PAUSES_MS,
  reportSequence,
} from '../../lambdas/broker-gateway/apply-execution-report.js';
import {
  applyReport,
  type BatchStates,
  ReportOutOfOrder,
} from '../../lambdas/broker-gateway/apply-report.js';
import { CANCEL_AT_VENUE_REQUESTED, GATEWAY_SOURCE } from '../../lambdas/broker-gateway/cancel-at-venue.js';
import type { ExecutionReport } from '../../lambdas/broker-gateway/execution-report.js';
import { forwardBatch, forwardToVenue } from '../../lambdas/broker-gateway/forward-to-venue.js';
import { handler as submitHandler, submitToVenue } from '../../lambdas/broker-gateway/submit-to-venue.js';
import { venueOrderOf } from '../../lambdas/broker-gateway/venue.js';
import { simulatedVenue } from '../../lambdas/broker-gateway/wiring.js';
import { nanos, type OrderCommand, type OrderState, statusOf } from '../../lambdas/core/index.js';
import { detailOf } from '../../lambdas/event-store/envelope.js';
import { EventStore, runCommand, type StoredEvent } from '../../lambdas/event-store/event-store.js';
import { routeToVenues, routingDeps } from '../../lambdas/orders/order-routing.js';
import { runReplaceCommand } from '../../lambdas/orders/replacements.js';
import { dynamo } from '../../lambdas/platform/dynamo.js';
import { marketData, VENUE_HEALTH_KEY } from '../../lambdas/platform/market-data.js';
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
});
logger.setLogLevel('SILENT');

let db: FakeDynamo;
let ddb: ReturnType<FakeDynamo['install']>;
let bus: BusRecorder;
const store = new EventStore(dynamo, 'events');

beforeEach(() => {
  db = new FakeDynamo();
  ddb = db.install();
  bus = new BusRecorder();
  bus.install();
  // Pinned: every venue shows this quote, and the router sends to the deepest (SIMX).
  pinAcme(db, T0);
  // These tests are of the gateway's mechanics at one venue: the other simulated venues are down,
  // so no order is split (test/broker-gateway/routing.test.ts covers several venues).
  db.put({ TableName: 'market', Item: { symbol: VENUE_HEALTH_KEY, 'down#SIMY': true, 'down#SIMZ': true } });
});

const placeOrder = (orderId: string, request: Record<string, unknown>) =>
  placeFixtureOrder(store, orderId, request, T0);

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
  expect(await types('o-1')).toEqual(['OrderSubmitted', 'OrderRouted', 'OrderAccepted', 'OrderFilled']);
  const filled = (await store.load('o-1'))[3] as StoredEvent;
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

describe('cancel before the venue acknowledged (issue 11, 1.2): the order ends canceled, never live', () => {
  // A probe's DELETE right after its POST went to the default venue while the router sent the
  // order to another: the first answered unknown_order (refused: the wrong venue), the second never
  // booked it, and the order stayed pending_cancel for good. An order not routed yet is at no venue:
  // forward-to-venue carries its cancel out itself, asking no venue, and its submission finds it closed.
  test('never routed: the cancel asks no venue; forward-to-venue closes it canceled, and the submission finds it closed', async () => {
    await placeOrder('o-1', { qty: '50', type: 'limit', limit_price: '9' });
    await command('o-1', { type: 'requestCancel', requestedBy: 'client-key' });
    expect(statusOf((await stateOf('o-1')) as never)).toBe('pending_cancel');
    await forwardToVenue(await lastOmsEvent('o-1'));
    expect(bus.take()).toEqual([]);
    expect(statusOf((await stateOf('o-1')) as never)).toBe('canceled');
    expect((await store.load('o-1')).at(-1)).toMatchObject({
      type: 'OrderCanceled',
      data: { reason: 'client_request', solicited: true },
    });
    // Redelivered: nothing more.
    await forwardToVenue(
      asBusEvent(
        'OrderCancelRequested',
        'stockbot.oms',
        detailOf((await store.load('o-1'))[1] as StoredEvent),
      ),
    );
    expect(await types('o-1')).toEqual(['OrderSubmitted', 'OrderCancelRequested', 'OrderCanceled']);
    expect(await submitToVenue({ orderId: 'o-1' })).toEqual({
      orderId: 'o-1',
      venue: null,
      submitted: false,
      status: 'canceled',
    });
    expect(bus.take()).toEqual([]);
  });

  test('never routed, and the submission comes first: it closes the order unsent (its cancel forwarded later changes nothing)', async () => {
    await placeOrder('o-1', { qty: '50', type: 'limit', limit_price: '9' });
    await command('o-1', { type: 'requestCancel', requestedBy: 'client-key' });
    const cancel = await lastOmsEvent('o-1');
    expect(await submitToVenue({ orderId: 'o-1' })).toMatchObject({ submitted: false, status: 'canceled' });
    await forwardToVenue(cancel);
    expect(bus.take()).toEqual([]);
    expect(await types('o-1')).toEqual(['OrderSubmitted', 'OrderCancelRequested', 'OrderCanceled']);
  });

  // A review: closing it only in the submission left orders whose submission never comes, an
  // OMS-held stop not armed yet (its arm is refused while a cancel is outstanding) and a workflow
  // step failing after the cancel, pending_cancel.
  test('a stop the OMS will hold, canceled before it is armed: closed canceled by forward-to-venue, no submission needed', async () => {
    await placeOrder('o-1', { qty: '5', type: 'stop', stop_price: '11' });
    await command('o-1', { type: 'requestCancel', requestedBy: 'client-key' });
    await forwardToVenue(await lastOmsEvent('o-1'));
    expect(bus.take()).toEqual([]);
    expect(statusOf((await stateOf('o-1')) as never)).toBe('canceled');
  });

  test('stale: the submission decided on the order before its cancel: the routing conflicts, and it is closed unsent', async () => {
    await placeOrder('o-1', { qty: '50', type: 'limit', limit_price: '9' });
    const before = await store.loadState('o-1');
    await command('o-1', { type: 'requestCancel', requestedBy: 'client-key' });
    expect(await routeToVenues(routingDeps(store, marketData()), 'o-1', undefined, before)).toEqual({
      kind: 'closed',
    });
    expect(await types('o-1')).toEqual(['OrderSubmitted', 'OrderCancelRequested', 'OrderCanceled']);
    expect(bus.take()).toEqual([]);
  });

  test("the OMS's own cancel of an order never sent (a step failed before routing) rejects it, as the venue's unknown_order would", async () => {
    await placeOrder('o-1', { qty: '50', type: 'limit', limit_price: '9' });
    await command('o-1', { type: 'requestCancel', requestedBy: 'oms' });
    await forwardToVenue(await lastOmsEvent('o-1'));
    expect(bus.take()).toEqual([]);
    expect(statusOf((await stateOf('o-1')) as never)).toBe('rejected');
    expect((await store.load('o-1')).at(-1)).toMatchObject({
      type: 'OrderRejected',
      data: { reason: 'unknown_order' },
    });
  });

  test('routed: the cancel reaches its venue before the submission: unknown_order -> canceled; the late submission is not booked', async () => {
    await placeOrder('o-1', { qty: '50', type: 'limit', limit_price: '9' });
    const routed = await routeToVenues(routingDeps(store, marketData()), 'o-1', undefined);
    expect(routed).toMatchObject({ kind: 'direct', venue: 'SIMX' });
    await command('o-1', { type: 'requestCancel', requestedBy: 'client-key' });
    await forwardToVenue(await lastOmsEvent('o-1'));
    const [report] = bus.take<ExecutionReport>();
    expect(report).toMatchObject({ execType: 'cancel_rejected', reason: 'unknown_order', venue: 'SIMX' });
    await apply(report as ExecutionReport);
    expect(statusOf((await stateOf('o-1')) as never)).toBe('canceled');
    // The submission in flight lands now, with the terms it read before the cancel.
    await simulatedVenue().submit(venueOrderOf((routed as { state: OrderState }).state));
    expect(bus.take()).toEqual([]);
    expect(statusOf((await stateOf('o-1')) as never)).toBe('canceled');
    expect(await submitToVenue({ orderId: 'o-1' })).toMatchObject({ submitted: false, status: 'canceled' });
  });

  test('race: the submission reaches the venue first: the cancel cancels it there (pending_cancel, canceled)', async () => {
    await placeOrder('o-1', { qty: '50', type: 'limit', limit_price: '9' });
    await submitToVenue({ orderId: 'o-1' });
    // The venue's `new` not applied yet: the order is pending_new at the OMS when the cancel comes.
    await command('o-1', { type: 'requestCancel', requestedBy: 'client-key' });
    await forwardToVenue(await lastOmsEvent('o-1'));
    const reports = bus.take<ExecutionReport>();
    expect(reports.map((r) => r.execType)).toEqual(['new', 'pending_cancel', 'canceled']);
    // The venue's reports may reach the OMS in any order across batches: the ack last.
    for (const r of [reports[1], reports[2], reports[0]]) await apply(r as ExecutionReport);
    expect(statusOf((await stateOf('o-1')) as never)).toBe('canceled');
  });

  /**
   * The applier's requests for a cancel at a venue (`CancelAtVenueRequested` on the bus: exactly
   * `expected`, nothing else), each delivered to forward-to-venue as the bus rule would.
   */
  async function forwardCancelsAtVenue(expected: Record<string, unknown>): Promise<void> {
    const entries = bus.entries.splice(0);
    expect(entries.map((e) => [e.Source, e.DetailType, e.EventBusName])).toEqual([
      [GATEWAY_SOURCE, CANCEL_AT_VENUE_REQUESTED, 'oms-bus'],
    ]);
    const detail = JSON.parse(entries[0]?.Detail as string);
    expect(detail).toEqual({ ...expected, reason: 'closed_at_oms' });
    await forwardToVenue(asBusEvent(CANCEL_AT_VENUE_REQUESTED, GATEWAY_SOURCE, detail));
  }

  /** A resting limit order canceled before its submission reached the venue (the venue answered unknown_order). */
  async function canceledBeforeTheVenueSawIt(orderId: string): Promise<void> {
    await placeOrder(orderId, { qty: '50', type: 'limit', limit_price: '9' });
    await routeToVenues(routingDeps(store, marketData()), orderId, undefined);
    await command(orderId, { type: 'requestCancel', requestedBy: 'client-key' });
    await forwardToVenue(await lastOmsEvent(orderId));
    for (const r of bus.take<ExecutionReport>()) await apply(r);
    expect(statusOf((await stateOf(orderId)) as never)).toBe('canceled');
  }

  test('a venue without tombstones books a submission after its unknown_order: the OMS cancels it there', async () => {
    await canceledBeforeTheVenueSawIt('o-1');
    // Such a venue forgets its answer: the late submission is booked and acknowledged.
    db.tables.get('venue')?.delete('o-1');
    await simulatedVenue().submit(venueOrderOf((await stateOf('o-1')) as never));
    const [ack] = bus.take<ExecutionReport>();
    expect(ack).toMatchObject({ execType: 'new' });
    // Its acknowledgement of an order the OMS closed asks forward-to-venue for a cancel there.
    expect(await apply(ack as ExecutionReport)).toBe('ignored');
    await forwardCancelsAtVenue({
      orderId: 'o-1',
      venue: 'SIMX',
      venueOrderId: 'SIMX-o-1',
      execId: (ack as ExecutionReport).execId,
    });
    const answers = bus.take<ExecutionReport>();
    expect(answers.map((r) => r.execType)).toEqual(['pending_cancel', 'canceled']);
    for (const r of answers) expect(await apply(r)).toBe('ignored');
    expect(statusOf((await stateOf('o-1')) as never)).toBe('canceled');
  });

  test('an order closed at the OMS that a venue other than the primary acknowledges late is canceled at THAT venue', async () => {
    // Canceled before it was routed: closed unsent, at no venue, so any venue's report names it.
    await placeOrder('o-1', { qty: '50', type: 'limit', limit_price: '9' });
    await command('o-1', { type: 'requestCancel', requestedBy: 'client-key' });
    await submitToVenue({ orderId: 'o-1' });
    expect(statusOf((await stateOf('o-1')) as never)).toBe('canceled');
    // SIMY acknowledges the order (a venue that booked it anyway): the cancel goes to SIMY, not the
    // primary (the book item forgotten, so the venue asked answers, naming itself).
    db.tables.get('venue')?.delete('o-1');
    db.put({ TableName: 'market', Item: { symbol: VENUE_HEALTH_KEY, 'down#SIMZ': true } });
    const ack = report('o-1:5', 'new', { venue: 'SIMY', venueOrderId: 'SIMY-o-1' });
    expect(await apply(ack)).toBe('ignored');
    await forwardCancelsAtVenue({ orderId: 'o-1', venue: 'SIMY', venueOrderId: 'SIMY-o-1', execId: 'o-1:5' });
    const answers = bus.take<ExecutionReport>();
    expect(answers.length).toBeGreaterThan(0);
    expect(new Set(answers.map((r) => r.venue))).toEqual(new Set(['SIMY']));
  });

  test('a fill report delivered again after the order was canceled (a catch-up repeats it) sends the venue nothing', async () => {
    await placeOrder('o-1', { qty: '50', type: 'limit', limit_price: '9' });
    await submitToVenue({ orderId: 'o-1', venue: 'SIMX' });
    const fill = report('o-1:9', 'fill', { lastQty: '5', lastPx: '9', cumQty: '5' });
    for (const r of bus.take<ExecutionReport>()) await apply(r);
    expect(await apply(fill)).toBe('applied');
    await command('o-1', { type: 'requestCancel', requestedBy: 'client' });
    expect(await apply(report('o-1:10', 'canceled', { cumQty: '5' }))).toBe('applied');
    bus.take();
    expect(await apply(fill)).not.toBe('applied');
    expect(bus.take()).toEqual([]);
  });

  test("the OMS's own cancel after a failed submission (exception path): unknown_order still rejects", async () => {
    await placeOrder('o-1', { qty: '50', type: 'limit', limit_price: '9' });
    await routeToVenues(routingDeps(store, marketData()), 'o-1', undefined);
    await command('o-1', { type: 'requestCancel', requestedBy: 'oms' });
    await forwardToVenue(await lastOmsEvent('o-1'));
    const [report] = bus.take<ExecutionReport>();
    await apply(report as ExecutionReport);
    expect(statusOf((await stateOf('o-1')) as never)).toBe('rejected');
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
    'OrderRouted',
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
    'OrderRouted',
    'OrderAccepted',
    'OrderPartiallyFilled',
    'OrderCanceled',
  ]);
});

test("a fill that overtook the fill before it (a broker's stream and its REST catch-up at once) waits for it: the fills are recorded in the venue's order", async () => {
  await placeOrder('o-1', { qty: '100', type: 'limit', limit_price: '9' });
  await submitToVenue({ orderId: 'o-1', venue: 'SIMX' });
  for (const r of bus.take<ExecutionReport>()) await apply(r);
  const first = report('o-1:7', 'fill', { lastQty: '40', lastPx: '9', cumQty: '40' });
  const second = report('o-1:8', 'fill', { lastQty: '40', lastPx: '9', cumQty: '80' });
  await expect(apply(second)).rejects.toBeInstanceOf(ReportOutOfOrder);
  expect(await apply(first)).toBe('applied');
  expect(await apply(second)).toBe('applied');
  const fills = (await store.load('o-1')).filter((e) => e.type === 'OrderPartiallyFilled');
  expect(fills.map((e) => [e.data.execId, e.data.filledQty])).toEqual([
    ['o-1:7', '40'],
    ['o-1:8', '80'],
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

test('replace at a venue that books the replacement as an order of its own (an Alpaca PATCH): the replacement works under that venue id, and its reports are applied', async () => {
  await placeOrder('o-1', { qty: '100', type: 'limit', limit_price: '9' });
  await submitToVenue({ orderId: 'o-1' });
  for (const r of bus.take<ExecutionReport>()) await apply(r);
  await command('o-1', {
    type: 'requestReplace',
    replacementOrderId: 'r-1',
    changes: { qty: '120' },
    requestedBy: 'client',
  });
  expect(await apply(report('o-1:7', 'pending_replace'))).toBe('applied');
  expect(await apply(report('o-1:8', 'replaced', { replacementVenueOrderId: 'SIMX-new-1' }))).toBe('applied');
  expect((await stateOf('r-1'))?.venueOrderId).toBe('SIMX-new-1');
  // The replacement's reports name its own id: applied; one naming the replaced order's id is not its venue's.
  const own = { orderId: 'r-1', venueOrderId: 'SIMX-new-1' };
  expect(await apply(report('r-1:1', 'fill', { ...own, lastQty: '20', lastPx: '9', cumQty: '20' }))).toBe(
    'applied',
  );
  expect(
    await apply(report('r-1:2', 'fill', { orderId: 'r-1', lastQty: '1', lastPx: '9', cumQty: '21' })),
  ).toBe('refused');
  await command('r-1', { type: 'requestCancel', requestedBy: 'client' });
  expect(await apply(report('r-1:3', 'canceled', { ...own, cumQty: '20' }))).toBe('applied');
  expect(await stateOf('r-1')).toMatchObject({ phase: 'canceled', filledQty: nanos('20') });
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

describe('a stop the OMS holds (the venue does not hold its type)', () => {
  const armedStop = async () => {
    await placeOrder('o-1', { qty: '5', type: 'stop', stop_price: '11' });
    await command('o-1', { type: 'arm', venue: 'SIMX' });
  };
  const event = async (orderId: string, type: string) => {
    const e = (await store.load(orderId)).find((x) => x.type === type) as StoredEvent;
    return asBusEvent(e.type, 'stockbot.oms', detailOf(e));
  };

  test('its expiry is the OMS own: not forwarded, the venue never hears of it', async () => {
    await armedStop();
    await command('o-1', { type: 'expire' });
    await forwardToVenue(await lastOmsEvent('o-1'));
    expect(bus.take()).toEqual([]);
    expect(db.get('venue', { orderId: 'o-1' })).toBeUndefined();
  });

  test('a replace replaces it at once: the replacement opens armed, claimed, in the same write; nothing is forwarded', async () => {
    await armedStop();
    const result = await runReplaceCommand(
      store,
      'o-1',
      {
        type: 'requestReplace',
        replacementOrderId: 'r-1',
        changes: { stopPrice: '10.5' },
        requestedBy: 'client',
      },
      () => ({ accountId: 'acct-1', correlationId: 'o-1', causationId: 'req' }),
      () => T0,
      'idempotency',
    );
    expect(result.clientOrderIdTaken).toBe(false);
    expect(await types('o-1')).toEqual([
      'OrderSubmitted',
      'OrderArmed',
      'OrderReplaceRequested',
      'OrderReplaced',
    ]);
    expect(await types('r-1')).toEqual(['OrderSubmitted', 'OrderArmed']);
    expect((await stateOf('r-1'))?.spec.stopPrice).toBe('10.5');
    expect(db.get('idempotency', { id: 'coid#acct-1#r-1' })).toMatchObject({ orderId: 'r-1' });
    await forwardToVenue(await event('o-1', 'OrderReplaceRequested'));
    expect(bus.take()).toEqual([]);
  });

  test('a replace whose client order id another order took meanwhile writes nothing', async () => {
    await armedStop();
    db.put({ TableName: 'idempotency', Item: { id: 'coid#acct-1#mine', orderId: 'other' } });
    const result = await runReplaceCommand(
      store,
      'o-1',
      {
        type: 'requestReplace',
        replacementOrderId: 'r-1',
        changes: { stopPrice: '10.5', clientOrderId: 'mine' },
        requestedBy: 'client',
      },
      () => ({ accountId: 'acct-1', correlationId: 'o-1', causationId: 'req' }),
      () => T0,
      'idempotency',
    );
    expect(result.clientOrderIdTaken).toBe(true);
    expect(await types('o-1')).toEqual(['OrderSubmitted', 'OrderArmed']);
    expect(await store.load('r-1')).toEqual([]);
  });

  test('once triggered it goes to the venue as a market order and fills; its cancel would be forwarded', async () => {
    await armedStop();
    await command('o-1', { type: 'trigger', triggerPrice: '11', bid: '10.99', ask: '11.01' });
    await submitToVenue({ orderId: 'o-1', venue: 'SIMX' });
    expect(db.get('venue', { orderId: 'o-1' })).toMatchObject({ type: 'market', stopPrice: null });
    for (const r of bus.take<ExecutionReport>()) await apply(r);
    expect(await types('o-1')).toEqual([
      'OrderSubmitted',
      'OrderArmed',
      'OrderTriggered',
      // Routed when it is sent: at its trigger.
      'OrderRouted',
      'OrderAccepted',
      'OrderFilled',
    ]);
  });
});

test('malformed reports and events are refused', async () => {
  await expect(apply({ execType: 'fill' } as ExecutionReport)).rejects.toThrow();
  await expect(
    forwardToVenue(asBusEvent('OrderCancelRequested', 'stockbot.oms', { data: {} })),
  ).rejects.toThrow();
});

/** An SQS record as the bus rule's queue delivers it: the body is the whole EventBridge event. */
const queued = (messageId: string, event: unknown): SQSRecord =>
  ({ messageId, body: typeof event === 'string' ? event : JSON.stringify(event) }) as SQSRecord;
const batch = (...records: SQSRecord[]): SQSEvent => ({ Records: records });
const reportRecord = (r: ExecutionReport) =>
  queued(r.execId, asBusEvent('ExecutionReport', 'stockbot.venue', r));
const failures = (out: { batchItemFailures: { itemIdentifier: string }[] }) =>
  out.batchItemFailures.map((f) => f.itemIdentifier).sort();

const AT = new Date(T0).toISOString();
const report = (
  execId: string,
  execType: ExecutionReport['execType'],
  extra: Partial<ExecutionReport> = {},
) =>
  ({
    venue: 'SIMX',
    orderId: execId.slice(0, execId.lastIndexOf(':')),
    venueOrderId: 'SIMX-o-1',
    execId,
    execType,
    transactTime: AT,
    ...extra,
  }) as ExecutionReport;

describe('execution report queue (SQS batch)', () => {
  test.each([
    ['o-1:7', 7],
    ['o-1:x', 0],
    ['a:b:12', 12],
  ])('reportSequence(%s) = %d', (execId, n) => {
    expect(reportSequence(execId)).toBe(n);
  });

  test('a shuffled batch applies in execId order: fills keep their sequence, nothing fails', async () => {
    await placeOrder('o-1', { qty: '100', type: 'limit', limit_price: '10' });
    const reports = [
      report('o-1:1', 'new', { cumQty: '0' }),
      report('o-1:2', 'fill', { lastQty: '10', lastPx: '10', cumQty: '10' }),
      report('o-1:3', 'fill', { lastQty: '20', lastPx: '9.99', cumQty: '30' }),
    ];
    const out = await applyExecutionReports(batch(...[...reports].reverse().map(reportRecord)));
    expect(failures(out)).toEqual([]);
    const applied = (await store.load('o-1')).slice(1);
    expect(applied.map((e) => [e.type, e.causationId])).toEqual([
      ['OrderAccepted', 'o-1:1'],
      ['OrderPartiallyFilled', 'o-1:2'],
      ['OrderPartiallyFilled', 'o-1:3'],
    ]);
  });

  test("a replacement's fill ahead of its `replaced` in one batch is applied after it", async () => {
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
    expect(reports.map((r) => r.execId)).toEqual(['o-1:3', 'o-1:4', 'r-1:1']);
    // Same transactTime; r-1:1 sorts first (n = 1) and is held until o-1:4 opened r-1.
    const out = await applyExecutionReports(batch(...reports.map(reportRecord)));
    expect(failures(out)).toEqual([]);
    expect(await types('r-1')).toEqual(['OrderSubmitted', 'OrderAccepted', 'OrderPartiallyFilled']);
  });

  test("a fill that overtook one that does not come in time is applied after the pauses (its quantity counts now), the other on arrival: nothing held for the queue's visibility timeout", async () => {
    await placeOrder('o-1', { qty: '100', type: 'limit', limit_price: '9' });
    await submitToVenue({ orderId: 'o-1', venue: 'SIMX' });
    for (const r of bus.take<ExecutionReport>()) await apply(r);
    const second = report('o-1:8', 'fill', { lastQty: '40', lastPx: '9', cumQty: '80' });
    const first = report('o-1:7', 'fill', { lastQty: '40', lastPx: '9', cumQty: '40' });
    expect(failures(await applyExecutionReports(batch(reportRecord(second))))).toEqual([]);
    expect(failures(await applyExecutionReports(batch(reportRecord(first))))).toEqual([]);
    const fills = (await store.load('o-1')).filter((e) => e.type === 'OrderPartiallyFilled');
    expect(fills.map((e) => [e.data.execId, e.data.lastQty, e.data.filledQty])).toEqual([
      ['o-1:8', '40', '40'],
      ['o-1:7', '40', '80'],
    ]);
  });

  test('a cancel ahead of its fills is never applied on the last pass: it fails, for the visibility timeout', async () => {
    await placeOrder('o-1', { qty: '100', type: 'limit', limit_price: '9' });
    await submitToVenue({ orderId: 'o-1', venue: 'SIMX' });
    for (const r of bus.take<ExecutionReport>()) await apply(r);
    const canceled = report('o-1:9', 'canceled', { cumQty: '40' });
    const out = await applyExecutionReports(batch(reportRecord(canceled)));
    expect(failures(out)).toEqual([reportRecord(canceled).messageId]);
    expect((await types('o-1')).at(-1)).toBe('OrderAccepted');
  });

  test('a report that cannot apply yet fails alone; the rest of the batch is applied', async () => {
    await placeOrder('o-1', { qty: '100', type: 'limit', limit_price: '10' });
    const out = await applyExecutionReports(
      batch(
        reportRecord(report('o-1:1', 'new', { cumQty: '0' })),
        reportRecord(report('r-9:1', 'fill', { lastQty: '1', lastPx: '10', cumQty: '1' })),
        queued('garbage', 'not json'),
        queued('not-a-report', asBusEvent('ExecutionReport', 'stockbot.venue', { execType: 'fill' })),
      ),
    );
    expect(failures(out)).toEqual(['garbage', 'not-a-report', 'r-9:1']);
    expect(await types('o-1')).toEqual(['OrderSubmitted', 'OrderAccepted']);
  });

  test('an unexpected error fails that report and the later ones of its order, not other orders', async () => {
    const seen: string[] = [];
    const failed = await applyInOrder(
      [
        { messageId: 'm-b3', report: report('b:3', 'fill') },
        { messageId: 'm-a1', report: report('a:1', 'new') },
        { messageId: 'm-b1', report: report('b:1', 'new') },
        { messageId: 'm-b2', report: report('b:2', 'fill') },
        { messageId: 'm-a2', report: report('a:2', 'fill') },
      ],
      async (r) => {
        seen.push(r.execId);
        if (r.execId === 'b:2') throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
        return 'applied';
      },
    );
    expect(seen).toEqual(['a:1', 'b:1', 'a:2', 'b:2']);
    expect(failed.sort()).toEqual(['m-b2', 'm-b3']);
  });

  test('held reports are tried again after each pause, then fail together', async () => {
    let calls = 0;
    const slept: number[] = [];
    const failed = await applyInOrder(
      [
        { messageId: 'm1', report: report('x:1', 'fill') },
        { messageId: 'm2', report: report('x:2', 'fill') },
      ],
      async () => {
        calls++;
        throw new ReportOutOfOrder('not yet');
      },
      async (ms) => {
        slept.push(ms);
      },
    );
    // x:2 waits behind x:1 on every pass; one pass before the pauses, one after each.
    expect(slept).toEqual([...HELD_REPORT_PAUSES_MS]);
    expect(calls).toBe(1 + HELD_REPORT_PAUSES_MS.length);
    expect(failed).toEqual(['m1', 'm2']);
  });

  test('a held report applies once its dependency lands during a pause (another invocation)', async () => {
    let acknowledged = false;
    const applied: string[] = [];
    const failed = await applyInOrder(
      [{ messageId: 'm-fill', report: report('y:2', 'fill') }],
      async (r) => {
        if (!acknowledged) throw new ReportOutOfOrder('before the acknowledgement');
        applied.push(r.execId);
        return 'applied';
      },
      async () => {
        acknowledged = true; // the concurrent batch with y:1 (new) was applied meanwhile
      },
    );
    expect(failed).toEqual([]);
    expect(applied).toEqual(['y:2']);
  });
});

describe('reads of the applier (issue 12): one query per order per batch, none after an append', () => {
  const eventQueries = () =>
    ddb.commandCalls(QueryCommand).filter((c) => c.args[0].input.TableName === 'events');
  const eventPuts = () => ddb.commandCalls(PutCommand).filter((c) => c.args[0].input.TableName === 'events');
  const now = () => T0;
  /** The order as stored now (read outside the counted calls). */
  const stored = async (orderId: string) => (await stateOf(orderId)) as OrderState;

  test("a batch's reports of one order read it once: each decides on the state the previous appended", async () => {
    await placeOrder('o-1', { qty: '100', type: 'limit', limit_price: '10' });
    await placeOrder('o-2', { qty: '5', type: 'limit', limit_price: '10' });
    ddb.resetHistory();
    const out = await applyExecutionReports(
      batch(
        ...[
          report('o-1:1', 'new', { cumQty: '0' }),
          report('o-2:1', 'new', { cumQty: '0' }),
          report('o-1:2', 'fill', { lastQty: '40', lastPx: '10', cumQty: '40' }),
          report('o-1:3', 'fill', { lastQty: '60', lastPx: '9.99', cumQty: '100' }),
        ].map(reportRecord),
      ),
    );
    expect(failures(out)).toEqual([]);
    // Two orders: two queries (was one per report before the append and one after), four appends.
    expect(eventQueries().map((c) => c.args[0].input.ExpressionAttributeValues?.[':id'])).toEqual([
      'o-1',
      'o-2',
    ]);
    expect(eventPuts()).toHaveLength(4);
    expect(await types('o-1')).toEqual([
      'OrderSubmitted',
      'OrderAccepted',
      'OrderPartiallyFilled',
      'OrderFilled',
    ]);
    expect(statusOf(await stored('o-1'))).toBe('filled');
  });

  test('the state an append leaves is the fold of the store: nothing is read back', async () => {
    await placeOrder('o-1', { qty: '100', type: 'limit', limit_price: '10' });
    const states: BatchStates = new Map();
    await applyReport(store, report('o-1:1', 'new'), now, undefined, states);
    await applyReport(store, report('o-1:2', 'fill', { lastQty: '1', lastPx: '10' }), now, undefined, states);
    expect(states.get('o-1')).toEqual(await stored('o-1'));
  });

  test('stale: another writer appended after the carried state; the append conflicts, the command is decided again on the store', async () => {
    await placeOrder('o-1', { qty: '100', type: 'limit', limit_price: '10' });
    const before = await stored('o-1');
    // The client's cancel lands between the batch's previous report and this one.
    await command('o-1', { type: 'requestCancel', requestedBy: 'client' });
    const states: BatchStates = new Map([['o-1', before]]);
    ddb.resetHistory();
    // On the carried state (no cancel asked) unknown_order would be a reject (issue 11: a bot
    // reading `rejected` resubmits); on the store it is the success of the client's cancel.
    const outcome = await applyReport(
      store,
      report('o-1:1', 'cancel_rejected', { reason: 'unknown_order' }),
      now,
      undefined,
      states,
    );
    expect(outcome).toBe('applied');
    // The conflict's reload only: the carried state cost no read.
    expect(eventQueries()).toHaveLength(1);
    expect(await types('o-1')).toEqual(['OrderSubmitted', 'OrderCancelRequested', 'OrderCanceled']);
    expect(states.get('o-1')).toEqual(await stored('o-1'));
  });

  test('stale: a refusal on the carried state is decided again on the store, never dropped', async () => {
    await placeOrder('o-1', { qty: '100', type: 'limit', limit_price: '10' });
    await command('o-1', { type: 'accept' });
    const before = await stored('o-1');
    await command('o-1', { type: 'requestCancel', requestedBy: 'client' });
    const states: BatchStates = new Map([['o-1', before]]);
    // On the carried state no cancel is outstanding (no_request_pending: the report would be
    // ignored and the order left pending_cancel); the store has the cancel it answers.
    const outcome = await applyReport(
      store,
      report('o-1:2', 'cancel_rejected', { reason: 'too_late_to_cancel' }),
      now,
      undefined,
      states,
    );
    expect(outcome).toBe('applied');
    expect((await types('o-1')).at(-1)).toBe('OrderCancelRejected');
    expect(states.get('o-1')?.cancelRequest).toBe('none');
  });

  test('stale: a hold on the carried state (fills not applied yet) is decided again on the store', async () => {
    await placeOrder('o-1', { qty: '100', type: 'market', time_in_force: 'ioc' });
    await command('o-1', { type: 'accept' });
    const before = await stored('o-1');
    // Another invocation applied the fill meanwhile.
    await command('o-1', { type: 'fill', execId: 'o-1:2', lastQty: '40', lastPx: '10' });
    const states: BatchStates = new Map([['o-1', before]]);
    const outcome = await applyReport(
      store,
      report('o-1:3', 'canceled', { reason: 'ioc_remainder', cumQty: '40' }),
      now,
      undefined,
      states,
    );
    expect(outcome).toBe('applied');
    expect((await types('o-1')).at(-1)).toBe('OrderCanceled');
  });

  test('a report that fails forgets the carried state: the next report of the order reads it again', async () => {
    await placeOrder('o-1', { qty: '100', type: 'limit', limit_price: '10' });
    const states: BatchStates = new Map();
    await applyReport(store, report('o-1:1', 'new'), now, undefined, states);
    await expect(
      applyReport(store, report('o-1:9', 'canceled', { cumQty: '5' }), now, undefined, states),
    ).rejects.toBeInstanceOf(ReportOutOfOrder);
    expect(states.has('o-1')).toBe(false);
  });
});

describe('forward-to-venue queue (SQS batch)', () => {
  test('forwards each event; a malformed record fails alone', async () => {
    await placeOrder('o-1', { qty: '50', type: 'limit', limit_price: '9' });
    await submitToVenue({ orderId: 'o-1' });
    for (const r of bus.take<ExecutionReport>()) await apply(r);
    await command('o-1', { type: 'requestCancel', requestedBy: 'client' });
    const out = await forwardBatch(
      batch(
        queued('bad', asBusEvent('OrderCancelRequested', 'stockbot.oms', { data: {} })),
        queued('cancel', await lastOmsEvent('o-1')),
      ),
    );
    expect(failures(out)).toEqual(['bad']);
    expect(db.get('venue', { orderId: 'o-1' })).toMatchObject({ status: 'canceled' });
    expect(bus.take<ExecutionReport>().map((r) => r.execType)).toEqual(['pending_cancel', 'canceled']);
  });

  test('a venue failure fails the record, so the queue delivers it again', async () => {
    await placeOrder('o-1', { qty: '50', type: 'limit', limit_price: '9' });
    await submitToVenue({ orderId: 'o-1' });
    bus.take();
    await command('o-1', { type: 'requestCancel', requestedBy: 'client' });
    const record = queued('cancel', await lastOmsEvent('o-1'));
    bus.failNext = 1;
    expect(failures(await forwardBatch(batch(record)))).toEqual(['cancel']);
    expect(failures(await forwardBatch(batch(record)))).toEqual([]);
    expect(bus.take<ExecutionReport>().map((r) => r.execType)).toEqual(['pending_cancel', 'canceled']);
  });
});

describe('reports only from the broker gateway (issue 16): a forged report changes nothing and is recorded', () => {
  /** A resting limit order at SIMX, acknowledged (venue order id SIMX-o-1), nothing filled. */
  async function resting() {
    await placeOrder('o-1', { qty: '10', type: 'limit', limit_price: '9' });
    await submitToVenue({ orderId: 'o-1' });
    for (const r of bus.take<ExecutionReport>()) expect(await apply(r)).toBe('applied');
    const state = (await stateOf('o-1')) as OrderState;
    expect(state).toMatchObject({ phase: 'working', venue: 'SIMX', venueOrderId: 'SIMX-o-1' });
    return store.load('o-1');
  }
  const forgedFill = (extra: Partial<ExecutionReport> = {}) =>
    report('o-1:99', 'fill', { lastQty: '2', lastPx: '0.01', cumQty: '2', ...extra });
  const refusals = () => bus.entries.filter((e) => e.DetailType === 'ExecutionReportRefused');

  test.each([
    ['another source', 'stockbot.strategy.momentum', {}, 'untrusted_source'],
    ['the gateway source, another venue', 'stockbot.venue', { venue: 'SIMY' }, 'wrong_venue'],
    [
      'the gateway source, a venue order id the venue never gave',
      'stockbot.venue',
      { venueOrderId: 'SIMX-forged' },
      'unknown_venue_order',
    ],
  ])('%s: refused (%s), the order unchanged', async (_case, source, extra, code) => {
    const before = await resting();
    const forged = forgedFill(extra as Partial<ExecutionReport>);
    expect(await applyExecutionReport(asBusEvent('ExecutionReport', source, forged))).toBe('refused');
    expect(await store.load('o-1')).toEqual(before);
    expect(refusals()).toHaveLength(1);
    expect(refusals()[0]).toMatchObject({ Source: 'stockbot.oms.gateway', EventBusName: 'oms-bus' });
    expect(JSON.parse(refusals()[0]?.Detail as string)).toMatchObject({
      orderId: 'o-1',
      execId: 'o-1:99',
      lastQty: '2',
      lastPx: '0.01',
      source,
      code,
    });
  });

  test('in a queue batch: the forged record is consumed (not retried), the venue’s own report beside it applied', async () => {
    await resting();
    const genuine = report('o-1:3', 'fill', {
      lastQty: '1',
      lastPx: '9',
      cumQty: '1',
      venueOrderId: 'SIMX-o-1',
    });
    const out = await applyExecutionReports(
      batch(
        queued('forged', asBusEvent('ExecutionReport', 'stockbot.strategy.x', forgedFill())),
        queued(
          'forged-id',
          asBusEvent('ExecutionReport', 'stockbot.venue', forgedFill({ venueOrderId: 'x' })),
        ),
        reportRecord(genuine),
      ),
    );
    expect(failures(out)).toEqual([]);
    expect((await stateOf('o-1'))?.filledQty).toBe(nanos('1'));
    expect(refusals().map((e) => JSON.parse(e.Detail as string).code)).toEqual([
      'untrusted_source',
      'unknown_venue_order',
    ]);
  });

  test('a refusal that cannot be published fails the record, so its retry records it', async () => {
    await resting();
    bus.failNext = 1;
    const out = await applyExecutionReports(
      batch(queued('forged', asBusEvent('ExecutionReport', 'stockbot.strategy.x', forgedFill()))),
    );
    expect(failures(out)).toEqual(['forged']);
    expect((await stateOf('o-1'))?.filledQty).toBe(0n);
  });
});
