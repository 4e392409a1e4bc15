/**
 * A FIX 4.4 acceptor acting as an exchange: the protocol peer of the OMS's FIX session, on the
 * same engine (jspurefix). Local mode runs it as the demo FIX venue; the tests run it to prove the
 * session, and make it misbehave on command.
 *
 * Matching (simple, deterministic): each symbol has a fixed quote (`setQuote`, default bid 99.99
 * ask 100.01). A market order, or a limit at or through the far side, fills at once at the far
 * side; anything else rests (`fillResting` fills it at its limit). Stops rest untriggered.
 * Orders are answered New (150=0) first; cancels PendingCancel then Canceled; replaces
 * PendingReplace then Replaced (ClOrdID the replacement, OrigClOrdID the order), the venue's
 * OrderID kept across the chain and CumQty carried.
 *
 * Misbehaviour (`misbehave`):
 * - `splitNextFill`: the next fill goes out in two executions, and the connection drops between
 *   them (the second is sent after the initiator logs on again).
 * - `skipNext`: the next outbound message is stored and given a sequence number but never
 *   written: the initiator sees the gap on the next message and asks for a resend, which sends it
 *   again with PossDupFlag=Y.
 * - `resendLast(n)`: sends the last n application messages again with PossDupFlag=Y (a duplicate
 *   delivery the initiator must not apply twice).
 * - `rejectNextCancel`: the next cancel is answered OrderCancelReject (too late to cancel).
 * - `loseNextOrder`: the next NewOrderSingle is dropped unanswered (as if lost on the wire with a
 *   connection): the exchange never had the order.
 * - `holdNextResendRequest`: the next ResendRequest is held unanswered (the session stays in
 *   HandleResendRequest, where an application message makes it drop the connection, as jspurefix's
 *   acceptor does) until `releaseResendRequest()`.
 * - `skipSequenceNumbers(n)`: while no initiator is logged on, moves the exchange's next outbound
 *   sequence number n on (its next Logon reveals a gap of n, as after a Logout reply never read).
 * - `dropConnection()`: closes the socket now.
 */
import 'reflect-metadata';
import { connect } from 'node:net';
import { Transform, type TransformCallback } from 'node:stream';
import {
  AsciiSession,
  type EngineFactory,
  FixMsgStoreRecord,
  type IFixSessionStore,
  type IFixSessionStoreFactory,
  type IJsFixConfig,
  JsFixWinstonLogFactory,
  MemorySessionStore,
  type MsgTransport,
  type MsgView,
  type SessionId,
  SessionLauncher,
  SessionState,
  WinstonLogger,
} from 'jspurefix';
import { sessionDescription } from '../lambdas/broker-gateway/fix/fix-session.js';

type Loose = Record<string, unknown>;

export interface ExchangeOrder {
  clOrdId: string;
  readonly orderId: string;
  readonly symbol: string;
  readonly side: '1' | '2';
  ordType: string;
  qty: number;
  price: number | null;
  stopPx: number | null;
  tif: string;
  cumQty: number;
  notional: number;
  status: string;
  readonly chain: string[];
}

export interface FixExchangeOptions {
  readonly port: number;
  readonly host?: string;
  readonly senderCompId: string;
  readonly targetCompId: string;
  readonly heartbeatSeconds?: number;
  readonly logLevel?: string;
}

/** Session stores kept across connections, by session id (the exchange's own sequence numbers). */
class KeptStores implements IFixSessionStoreFactory {
  private readonly stores = new Map<string, IFixSessionStore>();
  /** Moves every kept session's next outbound sequence number n on. */
  async skip(n: number): Promise<void> {
    for (const s of this.stores.values()) await s.setSenderSeqNum(s.senderSeqNum + n);
  }
  create(sessionId: SessionId): IFixSessionStore {
    const key = sessionId.toString();
    let s = this.stores.get(key);
    if (s === undefined) {
      s = new MemorySessionStore(sessionId);
      this.stores.set(key, s);
    }
    return s;
  }
}

const SOH = String.fromCharCode(1);
/** An ExecutionReport or OrderCancelReject on the wire (the messages `skipNext` may swallow). */
const isExecutionMessage = (wire: string): boolean =>
  wire.includes(`${SOH}35=8${SOH}`) || wire.includes(`${SOH}35=9${SOH}`);

/** Resolves once something accepts connections on host:port (the acceptor is listening). */
async function listening(host: string, port: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host, port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`FIX exchange: nothing listens on ${host}:${port}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const round = (n: number): number => Math.round(n * 1e9) / 1e9;

class ExchangeSession extends AsciiSession {
  private dropNext = false;
  /** Sending PossDup copies (already stored under their sequence numbers). */
  private resending = false;
  private transportRef: MsgTransport | null = null;

  constructor(
    config: IJsFixConfig,
    private readonly exchange: FixExchange,
  ) {
    super(config);
  }

  override async run(transport: MsgTransport): Promise<number> {
    this.transportRef = transport;
    this.exchange.track(this);
    // Between the encoder and the socket: a filter that can swallow one message (skipNext).
    const writable = transport.duplex.writable;
    const encode = transport.transmitter.encodeStream;
    if (writable !== null && writable !== undefined) {
      encode.unpipe(writable);
      const filter = new Transform({
        transform: (chunk: Buffer, _enc: BufferEncoding, done: TransformCallback) => {
          if (this.dropNext && isExecutionMessage(chunk.toString('latin1'))) {
            this.dropNext = false;
            done();
            return;
          }
          done(null, chunk);
        },
      });
      encode.pipe(filter).pipe(writable);
    }
    return super.run(transport);
  }

  protected override onApplicationMsg(msgType: string, view: MsgView): void {
    this.exchange.received.push(msgType);
    this.exchange.handle(this, msgType, view.toObject() as Loose);
  }

  protected override onLogon(): boolean {
    return true;
  }

  /** Between onReady and onStopped. */
  up = false;

  protected override onReady(): void {
    this.up = true;
    this.exchange.attach(this);
  }

  protected override onStopped(): void {
    this.up = false;
    this.exchange.detach(this);
  }

  protected override onDecoded(): void {}
  protected override onEncoded(): void {}

  protected override txOnEncoded(msgType: string, data: string, hdr: Loose): void {
    super.txOnEncoded(msgType, data, hdr);
    const seqNum = hdr?.MsgSeqNum as number | undefined;
    if (
      seqNum !== undefined &&
      (msgType === '8' || msgType === '9') &&
      this.store !== null &&
      !this.resending
    ) {
      const body = this.bodies.shift();
      this.store.put(new FixMsgStoreRecord(msgType, new Date(), seqNum, body, data)).catch(() => undefined);
      this.exchange.sentAppSeqNums.push(seqNum);
    }
  }

  /** Bodies of the application messages sent and not yet encoded (stored for resends). */
  private readonly bodies: Loose[] = [];

  sendApp(msgType: string, body: Loose): void {
    this.bodies.push(body);
    this.send(msgType, body);
  }

  skipNextOnWire(): void {
    this.dropNext = true;
  }

  async resendLast(seqNums: number[]): Promise<void> {
    if (seqNums.length === 0) return;
    const records = await this.resender.getResendRequest(
      seqNums[0] as number,
      seqNums[seqNums.length - 1] as number,
    );
    this.resending = true;
    try {
      for (const r of records) if (r.obj && r.msgType !== '4') this.send(r.msgType, r.obj);
    } finally {
      this.resending = false;
    }
  }

  dropSocket(): void {
    this.transportRef?.duplex.destroy();
  }

  protected override onResendRequest(view: MsgView): void {
    if (!this.exchange.misbehave.holdNextResendRequest) {
      super.onResendRequest(view);
      return;
    }
    this.exchange.misbehave.holdNextResendRequest = false;
    this.setState(SessionState.HandleResendRequest);
    const held = view.clone();
    this.exchange.holdResendRequest(() => super.onResendRequest(held));
  }

  get active(): boolean {
    return this.up;
  }
}

class ExchangeLauncher extends SessionLauncher {
  constructor(
    options: FixExchangeOptions,
    private readonly exchange: FixExchange,
    private readonly stores: KeptStores,
  ) {
    super(
      null,
      sessionDescription({
        name: `exchange-${options.senderCompId}`,
        type: 'acceptor',
        host: options.host ?? '127.0.0.1',
        port: options.port,
        senderCompId: options.senderCompId,
        targetCompId: options.targetCompId,
        heartbeatSeconds: options.heartbeatSeconds ?? 30,
        resetSeqNumOnLogon: false,
        resendGapFillOnly: false,
      }),
      new JsFixWinstonLogFactory(WinstonLogger.consoleOptions(options.logLevel ?? 'error')),
    );
  }

  protected override makeFactory(config: IJsFixConfig): EngineFactory {
    config.sessionStoreFactory = this.stores;
    return { makeSession: (c: IJsFixConfig) => new ExchangeSession(c, this.exchange) };
  }
}

export class FixExchange {
  readonly orders = new Map<string, ExchangeOrder>();
  readonly quotes = new Map<string, { bid: number; ask: number }>();
  /** Inbound application message types, in order (what the exchange was asked). */
  readonly received: string[] = [];
  /** Sequence numbers of the application messages sent. */
  readonly sentAppSeqNums: number[] = [];
  readonly misbehave = {
    splitNextFill: false,
    rejectNextCancel: false,
    holdNextResendRequest: false,
    loseNextOrder: false,
  };
  private heldResendRequest: (() => void) | null = null;
  private readonly stores = new KeptStores();
  private session: ExchangeSession | null = null;
  private pendingAfterLogon: Loose[] = [];
  private launcher: ExchangeLauncher | null = null;
  private running: Promise<boolean> | null = null;
  private nextOrderId = 1;
  private nextExecId = 1;
  private logons = 0;
  private logonWaiters: { count: number; resolve: () => void }[] = [];

  constructor(readonly options: FixExchangeOptions) {}

  async start(): Promise<void> {
    this.launcher = new ExchangeLauncher(this.options, this, this.stores);
    this.running = this.launcher.run().catch(() => false);
    await listening(this.options.host ?? '127.0.0.1', this.options.port);
  }

  async stop(): Promise<void> {
    this.launcher?.stop();
    for (const s of this.sessions) {
      s.requestStop('exchange stopped');
      s.dropSocket();
    }
    await this.running;
  }

  /** Every session the listener has made (one per connection), to stop them all. */
  private readonly sessions = new Set<ExchangeSession>();

  /** @internal a connection's session began running. */
  track(session: ExchangeSession): void {
    this.sessions.add(session);
  }

  setQuote(symbol: string, bid: number, ask: number): void {
    this.quotes.set(symbol, { bid, ask });
  }

  /** Resolves once the initiator has logged on `count` times in all. */
  whenLoggedOn(count = 1): Promise<void> {
    if (this.logons >= count) return Promise.resolve();
    return new Promise((resolve) => this.logonWaiters.push({ count, resolve }));
  }

  get logonCount(): number {
    return this.logons;
  }

  /** Swallow the next outbound application message on the wire (a sequence gap). */
  skipNext(): void {
    this.session?.skipNextOnWire();
  }

  /** Send the last `n` application messages again with PossDupFlag=Y. */
  async resendLast(n: number): Promise<void> {
    await this.session?.resendLast(this.sentAppSeqNums.slice(-n));
  }

  dropConnection(): void {
    this.session?.dropSocket();
  }

  /** @internal a ResendRequest held (`misbehave.holdNextResendRequest`). */
  holdResendRequest(answer: () => void): void {
    this.heldResendRequest = answer;
  }

  /** A ResendRequest is held unanswered. */
  get resendRequestHeld(): boolean {
    return this.heldResendRequest !== null;
  }

  /** Answers the held ResendRequest. */
  releaseResendRequest(): void {
    const answer = this.heldResendRequest;
    this.heldResendRequest = null;
    answer?.();
  }

  /** An initiator is logged on (the session between its logon and its end). */
  get initiatorConnected(): boolean {
    return this.session?.active === true;
  }

  /** Moves the next outbound sequence number n on (only while no initiator is logged on). */
  async skipSequenceNumbers(n: number): Promise<void> {
    if (this.initiatorConnected) throw new Error('skipSequenceNumbers: an initiator is logged on');
    await this.stores.skip(n);
  }

  /** Fills a resting order (at its limit, else the quote's far side), `qty` default all left. */
  fillResting(clOrdId: string, qty?: number): void {
    const o = this.find(clOrdId);
    if (o === undefined) throw new Error(`no order ${clOrdId}`);
    const q = this.quoteOf(o.symbol);
    const px = o.price ?? (o.side === '1' ? q.ask : q.bid);
    this.execute(o, qty ?? round(o.qty - o.cumQty), px);
  }

  /**
   * Executes `qty` of a resting order without reporting it (a report lost on the way): only the
   * order's status (OrderStatusRequest, OrderMassStatusRequest) shows it, as CumQty.
   */
  fillUnreported(clOrdId: string, qty: number): void {
    const o = this.find(clOrdId);
    if (o === undefined) throw new Error(`no order ${clOrdId}`);
    const q = this.quoteOf(o.symbol);
    const px = o.price ?? (o.side === '1' ? q.ask : q.bid);
    const part = Math.min(qty, round(o.qty - o.cumQty));
    o.cumQty = round(o.cumQty + part);
    o.notional = round(o.notional + part * px);
    o.status = o.cumQty >= o.qty ? '2' : '1';
  }

  /** @internal */
  attach(session: ExchangeSession): void {
    this.session = session;
    this.logons++;
    for (const w of this.logonWaiters.filter((x) => x.count <= this.logons)) w.resolve();
    this.logonWaiters = this.logonWaiters.filter((x) => x.count > this.logons);
    const pending = this.pendingAfterLogon;
    this.pendingAfterLogon = [];
    for (const er of pending) this.emit('8', er);
  }

  /** @internal */
  detach(session: ExchangeSession): void {
    if (this.session === session) this.session = null;
  }

  private find(clOrdId: string): ExchangeOrder | undefined {
    for (const o of this.orders.values()) if (o.chain.includes(clOrdId)) return o;
    return undefined;
  }

  private quoteOf(symbol: string): { bid: number; ask: number } {
    return this.quotes.get(symbol) ?? { bid: 99.99, ask: 100.01 };
  }

  private emit(msgType: string, body: Loose): void {
    if (this.session?.active) this.session.sendApp(msgType, body);
    else if (msgType === '8') this.pendingAfterLogon.push(body);
  }

  private report(o: ExchangeOrder, execType: string, extra: Loose = {}): Loose {
    return {
      OrderID: o.orderId,
      ClOrdID: o.clOrdId,
      ExecID: `X${this.nextExecId++}`,
      ExecType: execType,
      OrdStatus: o.status,
      Instrument: { Symbol: o.symbol },
      Side: o.side,
      OrderQtyData: { OrderQty: o.qty },
      OrdType: o.ordType,
      ...(o.price === null ? {} : { Price: o.price }),
      LeavesQty: ['2', '4', '5', '8', 'C'].includes(o.status) ? 0 : round(o.qty - o.cumQty),
      CumQty: o.cumQty,
      AvgPx: o.cumQty === 0 ? 0 : round(o.notional / o.cumQty),
      TransactTime: new Date(),
      ...extra,
    };
  }

  private execute(o: ExchangeOrder, qty: number, px: number): void {
    if (qty <= 0) return;
    const parts =
      this.misbehave.splitNextFill && qty > 1
        ? [Math.floor(qty / 2), round(qty - Math.floor(qty / 2))]
        : [qty];
    const split = parts.length > 1;
    if (split) this.misbehave.splitNextFill = false;
    parts.forEach((part, i) => {
      o.cumQty = round(o.cumQty + part);
      o.notional = round(o.notional + part * px);
      o.status = o.cumQty >= o.qty ? '2' : '1';
      const er = this.report(o, 'F', {
        LastQty: part,
        LastPx: px,
        LastLiquidityInd: o.price === null ? '2' : '1',
      });
      if (split && i === 1) {
        // Mid-fill: the connection drops after the first execution; the second waits for the logon.
        this.session?.dropSocket();
        this.session = null;
        this.pendingAfterLogon.push(er);
      } else this.emit('8', er);
    });
  }

  private match(o: ExchangeOrder): void {
    if (o.status !== '0' && o.status !== '1') return;
    if (o.ordType === '3' || o.ordType === '4') return;
    const q = this.quoteOf(o.symbol);
    const far = o.side === '1' ? q.ask : q.bid;
    const marketable =
      o.ordType === '1' || (o.price !== null && (o.side === '1' ? o.price >= far : o.price <= far));
    if (marketable) this.execute(o, round(o.qty - o.cumQty), far);
    else if (o.tif === '3' || o.tif === '4') {
      o.status = '4';
      this.emit('8', this.report(o, '4', { Text: 'ioc_unfilled' }));
    }
  }

  /** @internal an inbound application message. */
  handle(_session: ExchangeSession, msgType: string, m: Loose): void {
    switch (msgType) {
      case 'D':
        this.onNewOrder(m);
        return;
      case 'F':
        this.onCancel(m);
        return;
      case 'G':
        this.onReplace(m);
        return;
      case 'H':
        this.onStatus(m);
        return;
      case 'AF':
        this.onMassStatus(m);
        return;
    }
  }

  private onNewOrder(m: Loose): void {
    if (this.misbehave.loseNextOrder) {
      this.misbehave.loseNextOrder = false;
      return;
    }
    const clOrdId = String(m.ClOrdID);
    if (this.find(clOrdId) !== undefined) return; // a duplicate ClOrdID: already booked
    const symbol = String((m.Instrument as Loose | undefined)?.Symbol ?? '');
    const o: ExchangeOrder = {
      clOrdId,
      orderId: `V${this.nextOrderId++}`,
      symbol,
      side: String(m.Side) === '2' ? '2' : '1',
      ordType: String(m.OrdType),
      qty: Number((m.OrderQtyData as Loose | undefined)?.OrderQty ?? 0),
      price: m.Price === undefined ? null : Number(m.Price),
      stopPx: m.StopPx === undefined ? null : Number(m.StopPx),
      tif: String(m.TimeInForce ?? '0'),
      cumQty: 0,
      notional: 0,
      status: '0',
      chain: [clOrdId],
    };
    this.orders.set(o.orderId, o);
    if (symbol.startsWith('REJ')) {
      o.status = '8';
      this.emit('8', this.report(o, '8', { OrdRejReason: '1', Text: 'unknown_symbol' }));
      return;
    }
    this.emit('8', this.report(o, '0'));
    this.match(o);
  }

  private cancelReject(m: Loose, responseTo: '1' | '2', reason: '0' | '1', o?: ExchangeOrder): void {
    this.emit('9', {
      OrderID: o?.orderId ?? 'NONE',
      ClOrdID: m.ClOrdID,
      OrigClOrdID: m.OrigClOrdID,
      OrdStatus: o?.status ?? '8',
      CxlRejResponseTo: responseTo,
      CxlRejReason: reason,
      TransactTime: new Date(),
    });
  }

  private onCancel(m: Loose): void {
    const o = this.find(String(m.OrigClOrdID));
    if (o === undefined) {
      this.cancelReject(m, '1', '1');
      return;
    }
    if (this.misbehave.rejectNextCancel || (o.status !== '0' && o.status !== '1')) {
      this.misbehave.rejectNextCancel = false;
      this.cancelReject(m, '1', '0', o);
      return;
    }
    const orig = o.clOrdId;
    o.status = '6';
    this.emit('8', this.report(o, '6', { ClOrdID: m.ClOrdID, OrigClOrdID: orig }));
    o.status = '4';
    this.emit('8', this.report(o, '4', { ClOrdID: m.ClOrdID, OrigClOrdID: orig }));
  }

  private onReplace(m: Loose): void {
    const o = this.find(String(m.OrigClOrdID));
    if (o === undefined) {
      this.cancelReject(m, '2', '1');
      return;
    }
    if (o.status !== '0' && o.status !== '1') {
      this.cancelReject(m, '2', '0', o);
      return;
    }
    const orig = o.clOrdId;
    const next = String(m.ClOrdID);
    const status = o.status;
    o.status = 'E';
    this.emit('8', this.report(o, 'E', { ClOrdID: next, OrigClOrdID: orig }));
    o.clOrdId = next;
    o.chain.push(next);
    o.qty = Number((m.OrderQtyData as Loose | undefined)?.OrderQty ?? o.qty);
    o.price = m.Price === undefined ? o.price : Number(m.Price);
    o.stopPx = m.StopPx === undefined ? o.stopPx : Number(m.StopPx);
    o.tif = String(m.TimeInForce ?? o.tif);
    o.status = o.cumQty >= o.qty ? '2' : status;
    this.emit('8', this.report(o, '5', { OrigClOrdID: orig }));
    this.match(o);
  }

  private statusReport(o: ExchangeOrder, extra: Loose): Loose {
    return this.report(o, 'I', extra);
  }

  private onStatus(m: Loose): void {
    const o = this.find(String(m.ClOrdID));
    if (o === undefined) {
      this.emit('8', {
        OrderID: 'NONE',
        ClOrdID: m.ClOrdID,
        ExecID: `X${this.nextExecId++}`,
        ExecType: 'I',
        OrdStatus: '8',
        OrdStatusReqID: m.OrdStatusReqID,
        Instrument: m.Instrument,
        Side: m.Side,
        LeavesQty: 0,
        CumQty: 0,
        AvgPx: 0,
        Text: 'unknown_order',
      });
      return;
    }
    this.emit('8', this.statusReport(o, { OrdStatusReqID: m.OrdStatusReqID, ClOrdID: String(m.ClOrdID) }));
  }

  private onMassStatus(m: Loose): void {
    const open = [...this.orders.values()].filter((o) => ['0', '1', '6', 'E'].includes(o.status));
    if (open.length === 0) {
      this.emit('8', {
        OrderID: 'NONE',
        ExecID: `X${this.nextExecId++}`,
        ExecType: 'I',
        OrdStatus: '4',
        MassStatusReqID: m.MassStatusReqID,
        TotNumReports: 0,
        LastRptRequested: true,
        Instrument: { Symbol: 'NONE' },
        Side: '1',
        LeavesQty: 0,
        CumQty: 0,
        AvgPx: 0,
      });
      return;
    }
    open.forEach((o, i) => {
      this.emit(
        '8',
        this.statusReport(o, {
          MassStatusReqID: m.MassStatusReqID,
          TotNumReports: open.length,
          LastRptRequested: i === open.length - 1,
        }),
      );
    });
  }
}
