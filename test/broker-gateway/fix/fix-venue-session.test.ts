/**
 * The host side of a FIX venue without a socket (a fake connection): requests taken once, in
 * order, only while logged on; status answers (ExecType I) refresh the mirror the Venue port's
 * status queries read, and publish nothing.
 */
import type { ExecutionReport } from '../../../lambdas/broker-gateway/execution-report.js';
import { MemoryFixBook } from '../../../lambdas/broker-gateway/fix/fix-book.js';
import { FixVenue } from '../../../lambdas/broker-gateway/fix/fix-venue.js';
import { FixVenueSession } from '../../../lambdas/broker-gateway/fix/fix-venue-session.js';
import type { VenueOrder } from '../../../lambdas/broker-gateway/venue.js';
import { venueOrder } from '../venue-order.js';

const T0 = Date.parse('2026-12-04T15:00:00Z');
const order = (orderId: string): VenueOrder =>
  venueOrder({ orderId, accountId: 'acc', symbol: 'AAPL', type: 'limit', limitPrice: '100' });

function rig() {
  const book = new MemoryFixBook();
  const clock = { now: T0 };
  const published: ExecutionReport[] = [];
  const sent: { type: string; body: Record<string, unknown> }[] = [];
  let up = false;
  const connection = {
    get loggedOn() {
      return up;
    },
    send: (type: string, body: Record<string, unknown>) => {
      if (!up) return false;
      sent.push({ type, body });
      return true;
    },
  };
  const session = new FixVenueSession({
    venue: 'FIXA',
    book,
    publish: async (r) => {
      published.push(...r);
    },
    now: () => clock.now,
  });
  return {
    clock,
    book,
    published,
    sent,
    connection,
    session,
    venue: new FixVenue('FIXA', book, () => T0),
    setUp: (v: boolean) => (up = v),
  };
}

/** The venue's answer to a status request (ExecType I) about `clOrdId`. */
const statusAnswer = (session: FixVenueSession, clOrdId: string, extra: Record<string, unknown>) =>
  session.onMessage({
    msgType: '8',
    seqNum: 9,
    possDup: false,
    body: { ClOrdID: clOrdId, ExecID: 'S1', ExecType: 'I', Side: '1', ...extra },
  });
/** A status answer's fields for an order the venue never had. */
const NO_SUCH_ORDER = { OrderID: 'NONE', OrdStatus: '8', CumQty: 0 };

test('requests wait while the session is down and go out once, oldest first, after the logon', async () => {
  const r = rig();
  await r.venue.submit(order('o-1'));
  await r.venue.submit(order('o-2'));
  expect(await r.session.poll()).toBe(0); // never logged on
  r.setUp(true);
  r.session.onLogon(r.connection);
  expect(await r.session.poll()).toBe(2);
  expect(await r.session.poll()).toBe(0);
  expect(r.sent.map((m) => [m.type, m.body.ClOrdID ?? m.body.MassStatusReqID])).toEqual([
    ['AF', `mass-${T0}`],
    ['D', 'o-1'],
    ['D', 'o-2'],
  ]);
  r.setUp(false);
  expect(r.session.requestMassStatus()).toBe(false);
});

test('a status answer (ExecType I) refreshes the mirror and publishes nothing; an unknown order reads unknown', async () => {
  const r = rig();
  r.setUp(true);
  r.session.onLogon(r.connection);
  await r.venue.submit(order('o-1'));
  await r.venue.submit(order('o-2'));
  await r.session.poll();
  await statusAnswer(r.session, 'o-1', { OrderID: 'V1', OrdStatus: '1', CumQty: 4, AvgPx: 99.5 });
  await statusAnswer(r.session, 'o-2', NO_SUCH_ORDER);
  expect(r.published).toEqual([]);
  expect(await r.venue.orderStatus('o-1')).toMatchObject({
    status: 'open',
    filledQty: '4',
    avgPrice: '99.5',
  });
  expect(await r.venue.orderStatus('o-2')).toMatchObject({ status: 'unknown' });
  expect((await r.venue.openOrders()).map((o) => o.orderId)).toEqual(['o-1']);
  expect(await r.session.requestStatus('o-1')).toBe(true);
  expect(r.sent.at(-1)).toMatchObject({
    type: 'H',
    body: { ClOrdID: 'o-1', Instrument: { Symbol: 'AAPL' } },
  });
});

test.each([
  ['submit', 'D'],
  ['cancel', 'F'],
  ['replace', 'G'],
] as const)(
  'a %s the connection could not take after the poll took it goes back on the queue and out once at the next poll',
  async (kind, msgType) => {
    const r = rig();
    r.setUp(true);
    r.session.onLogon(r.connection);
    await r.venue.submit(order('o-1'));
    if (kind !== 'submit') {
      await r.session.poll();
      if (kind === 'cancel') await r.venue.cancel('o-1', 'client');
      else await r.venue.replace('o-1', 'o-1b', { qty: '5' });
    }
    // The connection still looks logged on when the poll looks, and refuses the send (it was lost,
    // or a sequence gap was found, while the poll read and wrote the book).
    let refuse = true;
    const send = r.connection.send;
    r.connection.send = (type, body) => {
      if (type !== 'AF' && refuse) {
        refuse = false;
        return false;
      }
      return send(type, body);
    };
    const before = r.sent.length;
    expect(await r.session.poll()).toBe(0);
    expect(r.sent.length).toBe(before);
    expect(await r.session.poll()).toBe(1);
    expect(await r.session.poll()).toBe(0);
    expect(r.sent.slice(before).map((m) => [m.type, m.body.ClOrdID])).toEqual([
      [msgType, kind === 'replace' ? 'o-1b' : kind === 'cancel' ? 'o-1~cxl' : 'o-1'],
    ]);
    expect(r.published).toEqual([]);
  },
);

test('at a logon, each order sent and never acknowledged is asked for on its own; a venue that never had it answers unknown', async () => {
  const r = rig();
  r.setUp(true);
  r.session.onLogon(r.connection);
  await r.venue.submit(order('o-lost'));
  await r.venue.submit(order('o-acked'));
  await r.session.poll();
  const acked = await r.book.order('FIXA', 'o-acked');
  if (acked === undefined) throw new Error('no mirror');
  await r.book.saveOrder({ ...acked, terms: { ...acked.terms, venueOrderId: 'V7' } });
  // The connection drops (the first NewOrderSingle lost on the wire) and logs on again.
  r.setUp(false);
  r.clock.now += 1_000;
  r.setUp(true);
  const before = r.sent.length;
  await r.session.onLogon(r.connection);
  expect(r.sent.slice(before).map((m) => [m.type, m.body.ClOrdID ?? m.body.MassStatusReqID])).toEqual([
    ['AF', `mass-${T0 + 1_000}`],
    ['H', 'o-lost'],
  ]);
  await statusAnswer(r.session, 'o-lost', NO_SUCH_ORDER);
  expect(await r.venue.orderStatus('o-lost')).toMatchObject({ status: 'unknown' });
  expect(r.published).toEqual([]);
});

test('at a logon, an order sent at or after it is not asked about, and an unknown answer older than what the mirror knows is ignored', async () => {
  const r = rig();
  r.setUp(true);
  r.session.onLogon(r.connection);
  await r.venue.submit(order('o-early'));
  await r.session.poll();
  r.clock.now += 1_000;
  await r.venue.submit(order('o-now'));
  await r.session.poll(); // its mirror is as new as the logon: a poll beside the logon's check
  const before = r.sent.length;
  await r.session.onLogon(r.connection);
  expect(r.sent.slice(before).map((m) => [m.type, m.body.ClOrdID ?? m.body.MassStatusReqID])).toEqual([
    ['AF', `mass-${T0 + 1_000}`],
    ['H', 'o-early'],
  ]);
  // Its acknowledgement comes before the answer (the mirror changed since it was asked).
  r.clock.now += 1_000;
  await r.session.onMessage({
    msgType: '8',
    seqNum: 20,
    possDup: false,
    body: {
      ClOrdID: 'o-early',
      OrderID: 'V9',
      ExecID: 'E1',
      ExecType: '0',
      OrdStatus: '0',
      Side: '1',
      LeavesQty: 10,
      CumQty: 0,
    },
  });
  await statusAnswer(r.session, 'o-early', NO_SUCH_ORDER);
  expect(await r.venue.orderStatus('o-early')).toMatchObject({ status: 'open', venueOrderId: 'V9' });
});

test('a request whose book read or write fails before the send goes back on the queue and out once at the next poll', async () => {
  const r = rig();
  r.setUp(true);
  r.session.onLogon(r.connection);
  await r.venue.submit(order('o-1'));
  const save = r.book.saveOrder.bind(r.book);
  r.book.saveOrder = async () => {
    r.book.saveOrder = save;
    throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
  };
  const before = r.sent.length;
  expect(await r.session.poll()).toBe(0);
  expect(r.sent.length).toBe(before);
  expect(await r.session.poll()).toBe(1);
  expect(await r.session.poll()).toBe(0);
  expect(r.sent.slice(before).map((m) => [m.type, m.body.ClOrdID])).toEqual([['D', 'o-1']]);
});
