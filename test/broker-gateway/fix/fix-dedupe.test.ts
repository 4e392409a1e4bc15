/**
 * A resent ExecutionReport is never applied twice (issue 17): an order routed to a FIX venue, its
 * reports produced by the FIX session from the exchange's messages (a fill, then the same fill
 * resent with PossDupFlag=Y), published and applied by the real applier over the in-memory AWS
 * fakes. The repeat carries the same execId and appends nothing.
 */
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { applyExecutionReport } from '../../../lambdas/broker-gateway/apply-execution-report.js';
import type { ExecutionReport } from '../../../lambdas/broker-gateway/execution-report.js';
import { type FixRequest, MemoryFixBook } from '../../../lambdas/broker-gateway/fix/fix-book.js';
import { FixVenueSession } from '../../../lambdas/broker-gateway/fix/fix-venue-session.js';
import { handler as submitHandler } from '../../../lambdas/broker-gateway/submit-to-venue.js';
import { EventStore } from '../../../lambdas/event-store/event-store.js';
import { dynamo } from '../../../lambdas/platform/dynamo.js';
import { logger } from '../../../lambdas/platform/observability.js';
import { BusRecorder, FakeDynamo } from '../fake-aws.js';
import { pinAcme, placeOrder } from '../orders-fixture.js';

const T0 = Date.parse('2026-11-23T14:30:00Z');
Object.assign(process.env, {
  EVENT_STORE_TABLE: 'events',
  VENUE_ORDERS_TABLE: 'venue',
  MARKET_TABLE: 'market',
  EVENT_BUS_NAME: 'oms-bus',
  IDEMPOTENCY_TABLE: 'idempotency',
  OMS_FIX_VENUES: JSON.stringify([
    {
      name: 'FIXA',
      host: '127.0.0.1',
      port: 9878,
      senderCompId: 'OMS',
      targetCompId: 'FIXA',
      takerFeePerShare: '0.0001',
    },
  ]),
});
logger.setLogLevel('SILENT');

afterAll(() => {
  delete process.env.OMS_FIX_VENUES;
});

const apply = (r: ExecutionReport) =>
  applyExecutionReport({
    'detail-type': 'ExecutionReport',
    source: 'stockbot.venue',
    detail: r,
  } as EventBridgeEvent<string, unknown>);

test('the PossDup copy of a fill is published with the same execId and applied once', async () => {
  const db = new FakeDynamo();
  db.install();
  new BusRecorder().install();
  pinAcme(db, T0);
  const store = new EventStore(dynamo, 'events');
  await placeOrder(store, 'o-1', { qty: '10', type: 'market' }, T0);

  // The workflow's submit task routes the order to FIXA and hands the request to the session host.
  const out = await submitHandler({ orderId: 'o-1' }, {} as Context);
  expect(out).toMatchObject({ orderId: 'o-1', venue: 'FIXA', submitted: true });
  const queued = db.items('venue').find((i) => String(i.orderId).startsWith('fix-req#FIXA#o-1#submit'));
  expect(queued).toMatchObject({ fixQueue: 'FIXA' });

  // The session host: takes the request, sends NewOrderSingle, and turns what comes back into reports.
  const book = new MemoryFixBook();
  await book.enqueue(queued?.request as FixRequest, new Date(T0).toISOString());
  const published: ExecutionReport[] = [];
  const sent: string[] = [];
  const session = new FixVenueSession({
    venue: 'FIXA',
    book,
    publish: async (r) => {
      published.push(...r);
    },
    now: () => T0,
  });
  session.onLogon({ loggedOn: true, send: (t) => sent.push(t) > 0 });
  expect(await session.poll()).toBe(1);
  expect(sent).toEqual(['AF', 'D']);
  const er = (execType: string, extra: Record<string, unknown>) => ({
    OrderID: 'V1',
    ClOrdID: 'o-1',
    ExecType: execType,
    Side: '1',
    TransactTime: new Date(T0 + 5),
    ...extra,
  });
  await session.onMessage({
    msgType: '8',
    seqNum: 2,
    possDup: false,
    body: er('0', { ExecID: 'X1', OrdStatus: '0', CumQty: 0 }),
  });
  const fill = er('F', {
    ExecID: 'X2',
    OrdStatus: '2',
    LastQty: 10,
    LastPx: 10.01,
    CumQty: 10,
    AvgPx: 10.01,
  });
  await session.onMessage({ msgType: '8', seqNum: 3, possDup: false, body: fill });
  await session.onMessage({ msgType: '8', seqNum: 3, possDup: true, body: fill }); // resent
  expect(published.map((r) => r.execId)).toEqual(['X1:2', 'X2:3', 'X2:3']);

  const outcomes: string[] = [];
  for (const r of published) outcomes.push(await apply(r));
  expect(outcomes[0]).toBe('applied');
  expect(outcomes[1]).toBe('applied');
  expect(outcomes[2]).not.toBe('applied');
  const events = await store.load('o-1');
  expect(events.filter((e) => e.type === 'OrderFilled')).toHaveLength(1);
  expect(events.at(-1)).toMatchObject({
    type: 'OrderFilled',
    data: { lastQty: '10', lastPx: '10.01', venue: 'FIXA' },
  });
  expect(book.mirrors.get('fix#FIXA#o-1')?.executions).toHaveLength(1);
});
