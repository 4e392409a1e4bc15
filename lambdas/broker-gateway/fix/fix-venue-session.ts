/**
 * One FIX venue as the venue session host runs it: the initiator session, the requests the OMS
 * queued (`FixBook`), the mirror of the orders sent, and the execution reports published on the
 * bus exactly as the simulated venue publishes them (source `stockbot.venue`).
 *
 * - Requests are taken (claimed) only while logged on, oldest first, and each is sent once: a
 *   claim is a conditional write, so two hosts never both send one. One the session cannot
 *   express in FIX 4.4 (a trailing stop, a notional order) is answered `rejected` at once; a
 *   cancel or replace for an order the session never sent is answered `unknown_order`.
 * - Inbound reports are handled one at a time in arrival order: the mirror is updated (fills kept
 *   once per ExecID), then the report is published. A resent report (PossDupFlag) is published
 *   again: its first publish may have failed; the OMS applies an ExecID once (docs/venues.md).
 * - On every logon, and periodically, the session asks OrderMassStatusRequest: the answers
 *   (ExecType I) refresh the mirror, so status queries see what the venue holds after a disconnect.
 */
import type { ExecutionReport } from '../execution-report.js';
import type { VenueOrder } from '../venue.js';
import type { FixBook, FixOrderMirror, FixRequest } from './fix-book.js';
import {
  cancelRejectOf,
  decimalOf,
  EXEC_TYPE_OF,
  executionReportOf,
  MSG,
  newOrderSingleOf,
  omsOrderIdOf,
  orderCancelReplaceRequestOf,
  orderCancelRequestOf,
  orderMassStatusRequestOf,
  orderStatusRequestOf,
  replacedTerms,
  type SentTerms,
  statusOf,
  unsendableReason,
} from './fix-mapping.js';
import type { FixInbound, FixObject } from './fix-session.js';

/** What the venue session needs of its FIX connection (the FixInitiator; a test can fake it). */
export interface FixConnection {
  readonly loggedOn: boolean;
  send(msgType: string, body: FixObject): boolean;
}

export interface FixVenueSessionOptions {
  readonly venue: string;
  readonly book: FixBook;
  /** Publishes reports on the bus (PutEvents in the host); throws when it could not. */
  readonly publish: (reports: readonly ExecutionReport[]) => Promise<void>;
  readonly now: () => number;
  readonly log?: (line: string) => void;
}

const terms = (o: VenueOrder): SentTerms => ({
  orderId: o.orderId,
  accountId: o.accountId,
  symbol: o.symbol,
  side: o.side,
  type: o.type,
  timeInForce: o.timeInForce,
  qty: o.qty ?? '0',
  limitPrice: o.limitPrice,
  stopPrice: o.stopPrice,
  venueOrderId: null,
});

export class FixVenueSession {
  private connection: FixConnection | null = null;
  private polling = false;
  private statusRequests = 0;

  constructor(private readonly o: FixVenueSessionOptions) {}

  get venue(): string {
    return this.o.venue;
  }

  private at(): string {
    return new Date(this.o.now()).toISOString();
  }

  private log(line: string): void {
    this.o.log?.(`[fix ${this.o.venue}] ${line}`);
  }

  /**
   * The connection logged on: ask for every order's status, and for each order sent and never
   * acknowledged (its NewOrderSingle may have been lost with the last connection), that order's
   * own status: a venue answers an order it never had `unknown` (OrderID NONE), which the
   * reconciler settles (MISSING_AT_VENUE: canceled, nothing of it executed). A mass status answer
   * lists only the orders the venue has, so without this the order, its mirror `open`, would wait
   * for an answer forever. Only orders sent before this logon are asked about: one a poll sends
   * meanwhile could be asked before its NewOrderSingle goes, and answered unknown although the
   * venue is about to book it. Resolves once those are asked.
   */
  onLogon(connection: FixConnection): Promise<void> {
    this.connection = connection;
    this.requestMassStatus();
    return this.askUnacknowledged(this.at());
  }

  /** Orders asked about at a logon, with their mirror's `updatedAt` then. */
  private readonly askedAbout = new Map<string, string>();

  private async askUnacknowledged(logonAt: string): Promise<void> {
    try {
      for (const m of await this.o.book.orders(this.o.venue)) {
        if (m.status !== 'open' || m.terms.venueOrderId !== null || m.updatedAt >= logonAt) continue;
        this.askedAbout.set(m.terms.orderId, m.updatedAt);
        await this.requestStatus(m.terms.orderId);
      }
    } catch (e) {
      this.log(`the status of unacknowledged orders was not asked: ${String(e)}`);
    }
  }

  /**
   * Asks the venue for the status of every order (OrderMassStatusRequest): the answers refresh the
   * mirror the status queries read. Sent at each logon and every OMS_FIX_MASS_STATUS_SECONDS by the
   * host. False when not logged on.
   */
  requestMassStatus(): boolean {
    const c = this.connection;
    if (c === null || !c.loggedOn) return false;
    return c.send(MSG.orderMassStatusRequest, orderMassStatusRequestOf(`mass-${this.o.now()}`));
  }

  /** Asks the venue for one order's status (the answer refreshes the mirror). */
  async requestStatus(orderId: string): Promise<boolean> {
    const m = await this.o.book.order(this.o.venue, orderId);
    if (m === undefined || this.connection === null) return false;
    return this.connection.send(
      MSG.orderStatusRequest,
      orderStatusRequestOf(m.terms, `st-${++this.statusRequests}`),
    );
  }

  /**
   * Sends what the OMS queued, oldest first; a no-op while not logged on. A request the session
   * could not send after taking it (the connection lost, or a sequence gap found, meanwhile: the
   * book's reads and writes come between the look and the send; or one of those failed) goes back
   * on the queue, and an order's mirror made for it goes with it: the next poll sends it as if for
   * the first time. Otherwise the order, taken off the queue and never sent, would wait for an
   * answer forever (the in-flight check settles cancels and replaces, not orders the venue never
   * had).
   */
  async poll(): Promise<number> {
    const c = this.connection;
    if (c === null || !c.loggedOn || this.polling) return 0;
    this.polling = true;
    let sent = 0;
    try {
      for (const q of await this.o.book.pending(this.o.venue)) {
        if (!c.loggedOn) break;
        if (!(await this.o.book.claim(q.key))) continue;
        let went: boolean;
        try {
          went = await this.send(c, q.request);
        } catch (e) {
          // The book's read or write failed before the send (nothing sent): as refused.
          this.log(`${q.request.kind} ${q.request.orderId} failed before it was sent: ${String(e)}`);
          went = false;
        }
        if (went) {
          sent++;
          continue;
        }
        if (q.request.kind === 'submit') await this.o.book.forgetOrder(q.request.venue, q.request.orderId);
        await this.o.book.release(q);
        this.log(`${q.request.kind} ${q.request.orderId} not sent: queued again`);
        break;
      }
    } finally {
      this.polling = false;
    }
    return sent;
  }

  private async answer(report: ExecutionReport): Promise<void> {
    await this.o.publish([report]);
  }

  /** Sends (or answers) one request; false when the connection could not take it (nothing sent). */
  private async send(c: FixConnection, r: FixRequest): Promise<boolean> {
    const at = this.at();
    const now = new Date(this.o.now());
    // The session's own answer to a request it does not send (the venue never sees the order).
    const refuse = (execId: string, execType: ExecutionReport['execType'], reason: string) =>
      this.answer({
        venue: r.venue,
        orderId: r.orderId,
        venueOrderId: r.orderId,
        execId,
        execType,
        reason,
        transactTime: at,
      });
    switch (r.kind) {
      case 'submit': {
        const existing = await this.o.book.order(r.venue, r.orderId);
        if (existing !== undefined) return true; // sent before: a ClOrdID goes out once
        const why = unsendableReason(r.order);
        const mirror: FixOrderMirror = {
          venue: r.venue,
          terms: terms(r.order),
          status: why === null ? 'open' : 'rejected',
          filledQty: '0',
          avgPrice: null,
          executions: [],
          pendingReplace: null,
          updatedAt: at,
        };
        await this.o.book.saveOrder(mirror);
        if (why !== null) {
          this.log(`refused ${r.orderId}: ${why}`);
          await refuse(`refused:${r.orderId}`, 'rejected', why);
          return true;
        }
        return c.send(MSG.newOrderSingle, newOrderSingleOf(r.order, now));
      }
      case 'cancel': {
        const m = await this.o.book.order(r.venue, r.orderId);
        if (m === undefined) {
          await refuse(`cxlrej:${r.orderId}~cxl`, 'cancel_rejected', 'unknown_order');
          return true;
        }
        return c.send(MSG.orderCancelRequest, orderCancelRequestOf(m.terms, now));
      }
      case 'replace': {
        const m = await this.o.book.order(r.venue, r.orderId);
        if (m === undefined) {
          await refuse(`cxlrej:${r.replacementOrderId}`, 'replace_rejected', 'unknown_order');
          return true;
        }
        const next = replacedTerms(m.terms, r.replacementOrderId, r.changes);
        await this.o.book.saveOrder({ ...m, pendingReplace: next, updatedAt: at });
        return c.send(MSG.orderCancelReplaceRequest, orderCancelReplaceRequestOf(m.terms, next, now));
      }
    }
  }

  /** An inbound application message (in order). */
  async onMessage(message: FixInbound): Promise<void> {
    const receivedAt = this.at();
    if (message.msgType === MSG.orderCancelReject) {
      const report = cancelRejectOf(this.o.venue, message.body, receivedAt, message.seqNum);
      const m = await this.o.book.order(this.o.venue, report.orderId);
      if (m?.pendingReplace !== null && m !== undefined && report.execType === 'replace_rejected')
        await this.o.book.saveOrder({ ...m, pendingReplace: null, updatedAt: receivedAt });
      await this.answer(report);
      return;
    }
    if (message.msgType !== MSG.executionReport) {
      this.log(`ignored message type ${message.msgType}`);
      return;
    }
    const er = message.body;
    const execType = EXEC_TYPE_OF[String(er.ExecType)];
    if (execType === null || execType === undefined) {
      if (String(er.ExecType) === 'I') await this.refresh(er, receivedAt);
      else this.log(`ExecType ${String(er.ExecType)} not applied (${String(er.ClOrdID)})`);
      return;
    }
    const report = executionReportOf(this.o.venue, er, receivedAt, message.seqNum);
    if (report === null) return;
    await this.mirror(er, report, receivedAt);
    await this.answer(report);
  }

  /** A status answer (ExecType I): refreshes the order's mirror, publishes nothing. */
  private async refresh(er: FixObject, at: string): Promise<void> {
    const clOrdId = String(er.ClOrdID ?? '');
    const m = await this.o.book.order(this.o.venue, clOrdId);
    if (m === undefined) return;
    const unknown = String(er.OrderID) === 'NONE';
    const asked = this.askedAbout.get(clOrdId);
    this.askedAbout.delete(clOrdId);
    // An order asked about at a logon whose mirror changed since (its acknowledgement came): the
    // venue's `unknown` is older than what the mirror knows.
    if (unknown && asked !== undefined && asked !== m.updatedAt) {
      this.log(`status answer unknown for ${clOrdId} ignored: its mirror changed since it was asked`);
      return;
    }
    await this.o.book.saveOrder({
      ...m,
      status: unknown ? 'unknown' : statusOf(er),
      filledQty: decimalOf(er.CumQty) ?? m.filledQty,
      avgPrice: Number(er.CumQty ?? 0) > 0 ? (decimalOf(er.AvgPx) ?? m.avgPrice) : m.avgPrice,
      updatedAt: at,
    });
  }

  private async mirror(er: FixObject, report: ExecutionReport, at: string): Promise<void> {
    const venue = this.o.venue;
    const clOrdId = String(er.ClOrdID ?? '');
    const orderId = omsOrderIdOf(
      report.execType,
      clOrdId,
      er.OrigClOrdID === undefined ? undefined : String(er.OrigClOrdID),
    );
    const m = await this.o.book.order(venue, orderId);
    if (m === undefined) {
      this.log(`report for an order this session never sent: ${clOrdId}`);
      return;
    }
    const venueOrderId = er.OrderID === undefined ? m.terms.venueOrderId : String(er.OrderID);
    const base: FixOrderMirror = {
      ...m,
      terms: { ...m.terms, venueOrderId },
      status: statusOf(er),
      filledQty: decimalOf(er.CumQty) ?? m.filledQty,
      avgPrice: Number(er.CumQty ?? 0) > 0 ? (decimalOf(er.AvgPx) ?? m.avgPrice) : m.avgPrice,
      updatedAt: at,
    };
    if (report.execType === 'fill') {
      const execution = {
        orderId: m.terms.orderId,
        venueOrderId: venueOrderId ?? m.terms.orderId,
        execId: report.execId,
        symbol: m.terms.symbol,
        side: m.terms.side,
        lastQty: report.lastQty as string,
        lastPx: report.lastPx as string,
        transactTime: report.transactTime,
      };
      const executions = m.executions.some((e) => e.execId === report.execId)
        ? m.executions
        : [...m.executions, execution];
      await this.o.book.saveOrder({ ...base, executions });
      return;
    }
    if (report.execType === 'pending_replace') {
      await this.o.book.saveOrder({ ...base, status: 'open' });
      return;
    }
    if (report.execType === 'replaced') {
      const next: SentTerms = { ...(m.pendingReplace ?? { ...m.terms, orderId: clOrdId }), venueOrderId };
      await this.o.book.saveOrder({ ...base, status: 'replaced', pendingReplace: null });
      await this.o.book.saveOrder({
        venue,
        terms: next,
        status: statusOf(er),
        filledQty: base.filledQty,
        avgPrice: base.avgPrice,
        executions: [],
        pendingReplace: null,
        updatedAt: at,
      });
      return;
    }
    await this.o.book.saveOrder(base);
  }
}
