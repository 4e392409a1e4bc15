/**
 * The FIX session against its protocol peer (local/fix-exchange.ts), both on jspurefix over a
 * real TCP socket: orders, cancels and replaces answered, and the failures the peer provokes on
 * command (a dropped connection mid-fill, a skipped sequence number, a PossDup resend, a cancel
 * rejected), with the reports the OMS would receive checked for nothing lost or doubled. Sequence
 * numbers persist in a file store across a restart of the initiator.
 */
import 'reflect-metadata';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSessionStoreFactory } from 'jspurefix';
import type { ExecutionReport } from '../../../lambdas/broker-gateway/execution-report.js';
import { MemoryFixBook } from '../../../lambdas/broker-gateway/fix/fix-book.js';
import { FixInitiator } from '../../../lambdas/broker-gateway/fix/fix-session.js';
import { FixVenue } from '../../../lambdas/broker-gateway/fix/fix-venue.js';
import { FixVenueSession } from '../../../lambdas/broker-gateway/fix/fix-venue-session.js';
import type { VenueOrder } from '../../../lambdas/broker-gateway/venue.js';
import { FixExchange } from '../../../local/fix-exchange.js';
import { venueOrder } from '../venue-order.js';

jest.setTimeout(60_000);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => (typeof a === 'object' && a !== null ? resolve(a.port) : reject(new Error('no port'))));
    });
  });
}

// 30 s: on a loaded 2-core machine (load 40, CI 3x slower) a restart and a fill took over 15 s.
async function until<T>(what: string, f: () => T | undefined | false, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const order = (orderId: string, over: Partial<VenueOrder> = {}): VenueOrder =>
  venueOrder({ orderId, accountId: 'acc-1', symbol: 'AAPL', ...over });

interface Rig {
  exchange: FixExchange;
  book: MemoryFixBook;
  venue: FixVenue;
  reports: ExecutionReport[];
  initiator: FixInitiator;
  session: FixVenueSession;
  pump: () => Promise<void>;
  stopInitiator: () => Promise<void>;
  startInitiator: () => void;
}

async function rig(storeDir: string, port: number, exchange?: FixExchange): Promise<Rig> {
  const ex =
    exchange ?? new FixExchange({ port, senderCompId: 'EXCH', targetCompId: 'OMS', heartbeatSeconds: 5 });
  if (exchange === undefined) await ex.start();
  const book = new MemoryFixBook();
  const reports: ExecutionReport[] = [];
  const session = new FixVenueSession({
    venue: 'FIXA',
    book,
    publish: async (r) => {
      reports.push(...r);
    },
    now: Date.now,
  });
  const make = (): FixInitiator =>
    new FixInitiator({
      name: 'FIXA',
      host: '127.0.0.1',
      port,
      senderCompId: 'OMS',
      targetCompId: 'EXCH',
      heartbeatSeconds: 5,
      reconnectSeconds: 1,
      storeFactory: new FileSessionStoreFactory(storeDir),
      onMessage: (m) => session.onMessage(m),
      onLogon: () => session.onLogon(r.initiator),
    });
  const r: Rig = {
    exchange: ex,
    book,
    venue: new FixVenue('FIXA', book, Date.now),
    reports,
    initiator: make(),
    session,
    pump: async () => {
      await session.poll();
    },
    stopInitiator: async () => r.initiator.stop(),
    startInitiator: () => {
      r.initiator = make();
      r.initiator.start();
    },
  };
  r.initiator.start();
  await r.initiator.whenLoggedOn();
  return r;
}

/** `until`, pumping the session's queue between looks (a pump sends what is queued, once). */
async function untilPumped(rig: Rig, what: string, f: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await rig.pump();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const kinds = (reports: ExecutionReport[], orderId: string): string[] =>
  reports.filter((r) => r.orderId === orderId).map((r) => r.execType);

const filledQty = (reports: ExecutionReport[], orderId: string): number => {
  const seen = new Set<string>();
  let q = 0;
  for (const r of reports)
    if (r.orderId === orderId && r.execType === 'fill' && !seen.has(r.execId)) {
      seen.add(r.execId);
      q += Number(r.lastQty);
    }
  return q;
};

describe('FIX 4.4 session against the exchange peer', () => {
  let dir: string;
  let r: Rig;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fix-session-'));
    r = await rig(dir, await freePort());
  });

  afterAll(async () => {
    await r.initiator.stop();
    await r.exchange.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a market order is acknowledged and filled at the quote; the mirror answers the status query', async () => {
    r.exchange.setQuote('AAPL', 189.99, 190.01);
    await r.venue.submit(order('o-mkt'));
    await r.venue.submit(order('o-mkt')); // a retried submit books nothing twice
    await r.pump();
    await until('fill', () => kinds(r.reports, 'o-mkt').includes('fill'));
    expect(kinds(r.reports, 'o-mkt')).toEqual(['new', 'fill']);
    const fill = r.reports.find((x) => x.execType === 'fill');
    expect(fill).toMatchObject({
      venue: 'FIXA',
      lastQty: '10',
      lastPx: '190.01',
      cumQty: '10',
      liquidity: 'removed',
    });
    await until('mirror', async () => undefined);
  });

  it('status queries read the mirror: filled order, executions since', async () => {
    const st = await until('status', () => r.book.mirrors.get('fix#FIXA#o-mkt'));
    expect(st.status).toBe('filled');
    expect(await r.venue.orderStatus('o-mkt')).toMatchObject({
      status: 'filled',
      filledQty: '10',
      avgPrice: '190.01',
    });
    const execs = await r.venue.executionsSince('2000-01-01T00:00:00.000Z');
    expect(execs.filter((e) => e.orderId === 'o-mkt')).toHaveLength(1);
    expect(await r.venue.orderStatus('never-sent')).toBeNull();
  });

  it('a resting limit is canceled (pending_cancel, canceled); a cancel the venue rejects is cancel_rejected too_late', async () => {
    await r.venue.submit(order('o-lim', { type: 'limit', limitPrice: '150' }));
    await r.pump();
    await until('ack', () => kinds(r.reports, 'o-lim').includes('new'));
    expect((await r.venue.openOrders()).map((o) => o.orderId)).toContain('o-lim');
    r.exchange.misbehave.rejectNextCancel = true;
    await r.venue.cancel('o-lim', 'client');
    await r.pump();
    await until('cancel reject', () => kinds(r.reports, 'o-lim').includes('cancel_rejected'));
    expect(r.reports.find((x) => x.orderId === 'o-lim' && x.execType === 'cancel_rejected')?.reason).toBe(
      'too_late_to_cancel',
    );
  });

  it('a replace answers pending_replace then replaced (orderId the replaced order), and the replacement fills', async () => {
    await r.venue.replace('o-lim', 'o-lim-2', { qty: '4', limitPrice: '151' });
    await r.pump();
    await until('replaced', () => kinds(r.reports, 'o-lim').includes('replaced'));
    expect(kinds(r.reports, 'o-lim')).toEqual(['new', 'cancel_rejected', 'pending_replace', 'replaced']);
    expect(r.exchange.orders.get('V2')).toMatchObject({ qty: 4, price: 151 });
    r.exchange.fillResting('o-lim-2');
    await until('fill of the replacement', () => kinds(r.reports, 'o-lim-2').includes('fill'));
    expect(r.reports.find((x) => x.orderId === 'o-lim-2')).toMatchObject({
      lastQty: '4',
      lastPx: '151',
      cumQty: '4',
    });
    expect(await r.venue.orderStatus('o-lim')).toMatchObject({ status: 'replaced' });
    expect(await r.venue.orderStatus('o-lim-2')).toMatchObject({ status: 'filled', filledQty: '4' });
  });

  it('a cancel then succeeds; orders FIX 4.4 cannot carry are answered rejected without being sent', async () => {
    await r.venue.submit(order('o-c', { type: 'limit', limitPrice: '100' }));
    await r.venue.submit(order('o-trail', { type: 'trailing_stop', trailPercent: '1' }));
    await r.pump();
    await until('ack', () => kinds(r.reports, 'o-c').includes('new'));
    await r.venue.cancel('o-c', 'client');
    await r.venue.cancel('o-unknown', 'client');
    await r.pump();
    await until('canceled', () => kinds(r.reports, 'o-c').includes('canceled'));
    expect(kinds(r.reports, 'o-c')).toEqual(['new', 'pending_cancel', 'canceled']);
    expect(r.reports.find((x) => x.orderId === 'o-trail')).toMatchObject({
      execType: 'rejected',
      reason: 'unsupported_order_type',
    });
    expect(r.reports.find((x) => x.orderId === 'o-unknown')).toMatchObject({
      execType: 'cancel_rejected',
      reason: 'unknown_order',
    });
  });

  it('a skipped sequence number: the initiator asks for a resend and gets the missing fill (PossDup); nothing lost', async () => {
    await r.venue.submit(order('o-gap', { type: 'limit', limitPrice: '50', qty: '6' }));
    await r.pump();
    await until('ack', () => kinds(r.reports, 'o-gap').includes('new'));
    r.exchange.skipNext();
    r.exchange.fillResting('o-gap', 2); // swallowed on the wire
    r.exchange.fillResting('o-gap', 4); // reveals the gap
    await until('both fills', () => filledQty(r.reports, 'o-gap') === 6);
    // The resend covers everything after the gap (EndSeqNo 0): the 4 comes again, same ExecID.
    const fills = r.reports.filter((x) => x.orderId === 'o-gap' && x.execType === 'fill');
    const byExecId = new Map(fills.map((x) => [x.execId, x.lastQty]));
    expect([...byExecId.values()].sort()).toEqual(['2', '4']);
    expect(
      r.book.mirrors
        .get('fix#FIXA#o-gap')
        ?.executions.map((e) => e.lastQty)
        .sort(),
    ).toEqual(['2', '4']);
    expect(r.book.mirrors.get('fix#FIXA#o-gap')).toMatchObject({ status: 'filled', filledQty: '6' });
  });

  it('a PossDup resend delivers the same ExecIDs again: reports repeat with the same execId (the OMS applies them once)', async () => {
    await r.venue.submit(order('o-dup', { qty: '3' }));
    await r.pump();
    await until('fill', () => kinds(r.reports, 'o-dup').includes('fill'));
    const before = r.reports.filter((x) => x.orderId === 'o-dup').length;
    await r.exchange.resendLast(2);
    await until('resent', () => r.reports.filter((x) => x.orderId === 'o-dup').length === before + 2);
    const fills = r.reports.filter((x) => x.orderId === 'o-dup' && x.execType === 'fill');
    expect(fills).toHaveLength(2);
    expect(fills[0]?.execId).toBe(fills[1]?.execId);
    expect(filledQty(r.reports, 'o-dup')).toBe(3);
    const mirror = r.book.mirrors.get('fix#FIXA#o-dup');
    expect(mirror?.executions).toHaveLength(1);
  });

  it('the connection drops mid-fill: the initiator logs on again and the rest of the fill arrives once', async () => {
    const logons = r.exchange.logonCount;
    await r.venue.submit(order('o-drop', { type: 'limit', limitPrice: '40', qty: '10' }));
    await r.pump();
    await until('ack', () => kinds(r.reports, 'o-drop').includes('new'));
    r.exchange.misbehave.splitNextFill = true;
    r.exchange.fillResting('o-drop');
    await r.exchange.whenLoggedOn(logons + 1);
    await until('whole fill', () => filledQty(r.reports, 'o-drop') === 10);
    expect(
      r.reports.filter((x) => x.orderId === 'o-drop' && x.execType === 'fill').map((x) => x.lastQty),
    ).toEqual(['5', '5']);
    // After the logon the session asked for every order's status.
    await until('mass status request', () => r.exchange.received.filter((t) => t === 'AF').length >= 2);
  });

  it('a NewOrderSingle lost with the connection: at the next logon the session asks for the order, and the venue answers unknown', async () => {
    r.exchange.misbehave.loseNextOrder = true;
    await r.venue.submit(order('o-lost', { type: 'limit', limitPrice: '10' }));
    await r.pump();
    await until('the order sent (and lost)', () => !r.exchange.misbehave.loseNextOrder);
    expect(await r.venue.orderStatus('o-lost')).toMatchObject({ status: 'open' });
    const logons = r.exchange.logonCount;
    r.exchange.dropConnection();
    await r.exchange.whenLoggedOn(logons + 1);
    const st = await until('the status answer', () => {
      const m = r.book.mirrors.get('fix#FIXA#o-lost');
      return m?.status === 'unknown' ? m : undefined;
    });
    expect(st).toMatchObject({ status: 'unknown', filledQty: '0' });
    expect(kinds(r.reports, 'o-lost')).toEqual([]); // nothing published: the reconciler settles it
  });

  it('a Logon that reveals a sequence gap: nothing is sent until the venue answers the ResendRequest, then the queued order goes', async () => {
    await r.initiator.drained();
    await r.stopInitiator();
    // The exchange's Logon comes 3 ahead (as after a Logout reply never read), and it answers
    // the initiator's ResendRequest only when told: meanwhile an application message would make
    // it drop the connection (jspurefix's acceptor in HandleResendRequest).
    await until('the exchange saw the initiator go', () => !r.exchange.initiatorConnected);
    await r.exchange.skipSequenceNumbers(3);
    r.exchange.misbehave.holdNextResendRequest = true;
    const logons = r.exchange.logonCount;
    const sent = r.exchange.received.length;
    r.startInitiator();
    await r.exchange.whenLoggedOn(logons + 1);
    await until('the ResendRequest held', () => r.exchange.resendRequestHeld);
    await r.venue.submit(order('o-gap-logon', { qty: '2' }));
    for (let i = 0; i < 5; i++) {
      await r.pump();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(r.initiator.loggedOn).toBe(false);
    expect(r.exchange.received.slice(sent)).toEqual([]); // nothing: not the order, not the mass status request
    r.exchange.releaseResendRequest();
    await untilPumped(r, 'fill after the gap', () => kinds(r.reports, 'o-gap-logon').includes('fill'));
    expect(r.exchange.logonCount).toBe(logons + 1); // the session was never dropped
    // The mass status request, then the order (status requests of earlier tests' orders aside).
    expect(r.exchange.received.slice(sent).filter((t) => t !== 'H')).toEqual(['AF', 'D']);
    expect(filledQty(r.reports, 'o-gap-logon')).toBe(2);
  });

  it('sequence numbers persist across a restart of the initiator (no reset, no gap)', async () => {
    await r.initiator.drained();
    await r.stopInitiator();
    const seqFile = readdirSync(dir).find((f) => f.endsWith('.seqnums')) as string;
    const [sender, target] = readFileSync(join(dir, seqFile), 'utf8')
      .split(':')
      .map((s) => Number(s.trim()));
    expect(sender).toBeGreaterThan(5);
    expect(target).toBeGreaterThan(5);
    const logons = r.exchange.logonCount;
    r.startInitiator();
    await r.exchange.whenLoggedOn(logons + 1);
    await r.initiator.whenLoggedOn();
    await r.venue.submit(order('o-after', { qty: '1' }));
    // Pumped until it fills, as the session host polls: after a restart whose Logon came a
    // sequence number ahead (the exchange's Logout reply unread), the session recovers the gap
    // first and sends nothing meanwhile (a NewOrderSingle sent then was dropped by the peer).
    await untilPumped(r, 'fill after restart', () => kinds(r.reports, 'o-after').includes('fill'));
    // The store writes the file as the session goes (a read can meet a write in progress).
    await until('the sender number moved on', () => {
      const [sender2] = readFileSync(join(dir, seqFile), 'utf8')
        .split(':')
        .map((x) => Number(x.trim()));
      return (sender2 ?? 0) > (sender as number);
    });
  });
});
