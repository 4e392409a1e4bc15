/**
 * A FIX 4.4 initiator session on the jspurefix engine (docs/venues.md, "FIX 4.4 session").
 *
 * The engine does the session layer: Logon/Logout, Heartbeat and TestRequest, sequence numbers
 * kept in a session store (the data directory locally, DynamoDB on AWS: `storeFactory`), gap
 * detection with ResendRequest, SequenceReset-GapFill, PossDupFlag on resent messages, and
 * reconnecting after the transport drops (`resilient`). This class adds the application layer:
 * what is sent (`send`) and what comes back, handed to `onMessage` strictly one at a time in
 * arrival order (the next waits for the previous handler's promise).
 *
 * Resends: the session answers a venue's ResendRequest with gap fills only (`resendGapFillOnly`):
 * an order or cancel lost with the connection is not replayed blindly hours later; the OMS's
 * in-flight check asks the venue about it (OrderStatusRequest) instead.
 *
 * Runs in the venue session host (an always-on process), never in a Lambda function.
 */
import 'reflect-metadata';
import {
  AsciiSession,
  type EngineFactory,
  type IFixMsgStoreRecord,
  type IFixSessionStore,
  type IFixSessionStoreFactory,
  type IJsFixConfig,
  type ISessionDescription,
  JsFixWinstonLogFactory,
  type MsgView,
  SessionLauncher,
  SessionState,
  WinstonLogger,
} from 'jspurefix';

export type FixObject = Record<string, unknown>;

export interface FixInbound {
  readonly msgType: string;
  readonly body: FixObject;
  /** PossDupFlag (43): the venue resent this message (its first copy may have been seen). */
  readonly possDup: boolean;
  readonly seqNum: number;
}

export interface FixSessionOptions {
  /** The session's name in logs (the venue name). */
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly senderCompId: string;
  readonly targetCompId: string;
  readonly heartbeatSeconds?: number;
  /** Seconds between reconnect attempts after the transport dropped (default 1). */
  readonly reconnectSeconds?: number;
  /** Where sequence numbers live across restarts (a FileSessionStoreFactory locally). */
  readonly storeFactory: IFixSessionStoreFactory;
  /** Logon with ResetSeqNumFlag=Y (a new sequence each start): off for a persistent session. */
  readonly resetSeqNumOnLogon?: boolean;
  /** jspurefix log level (default warn). */
  readonly logLevel?: string;
  readonly onMessage: (message: FixInbound) => Promise<void>;
  readonly onLogon?: () => void;
  readonly onLogout?: () => void;
}

/**
 * A session store whose writes happen one after another, in call order. The engine persists
 * sequence numbers without waiting, and the file store writes its `.seqnums` file with a whole-file
 * write per change: two writes in flight can land out of order, leaving older numbers on disk (a
 * restart would then reuse a sequence number, and the venue drops the session). Reads and the
 * lifecycle pass straight through; `flush` waits for the writes.
 */
export class OrderedSessionStore implements IFixSessionStore {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly inner: IFixSessionStore) {}

  private queue<T>(write: () => Promise<T>): Promise<T> {
    const next = this.chain.catch(() => undefined).then(write);
    this.chain = next;
    return next;
  }

  get sessionId() {
    return this.inner.sessionId;
  }
  get senderSeqNum(): number {
    return this.inner.senderSeqNum;
  }
  get targetSeqNum(): number {
    return this.inner.targetSeqNum;
  }
  get creationTime(): Date {
    return this.inner.creationTime;
  }
  put(record: IFixMsgStoreRecord): Promise<void> {
    return this.queue(() => this.inner.put(record));
  }
  get(seqNum: number): Promise<IFixMsgStoreRecord | null> {
    return this.inner.get(seqNum);
  }
  getRange(from: number, to: number): Promise<IFixMsgStoreRecord[]> {
    return this.inner.getRange(from, to);
  }
  setSenderSeqNum(value: number): Promise<void> {
    return this.queue(() => this.inner.setSenderSeqNum(value));
  }
  setTargetSeqNum(value: number): Promise<void> {
    return this.queue(() => this.inner.setTargetSeqNum(value));
  }
  nextSenderSeqNum(): Promise<number> {
    return this.queue(() => this.inner.nextSenderSeqNum());
  }
  nextTargetSeqNum(): Promise<number> {
    return this.queue(() => this.inner.nextTargetSeqNum());
  }
  reset(): Promise<void> {
    return this.queue(() => this.inner.reset());
  }
  initialize(): Promise<void> {
    return this.inner.initialize();
  }
  async flush(): Promise<void> {
    await this.chain.catch(() => undefined);
    await this.inner.flush();
  }
  async dispose(): Promise<void> {
    await this.chain.catch(() => undefined);
    await this.inner.dispose();
  }
}

/** The engine's logger factory, one per level (winston to the console). */
const logFactories = new Map<string, JsFixWinstonLogFactory>();
function logFactory(level: string): JsFixWinstonLogFactory {
  let f = logFactories.get(level);
  if (f === undefined) {
    f = new JsFixWinstonLogFactory(WinstonLogger.consoleOptions(level));
    logFactories.set(level, f);
  }
  return f;
}

/** The QuickFIX FIX 4.4 dictionary shipped inside the jspurefix package. */
export const FIX44_DICTIONARY = 'data/FIX44.xml';

export function sessionDescription(o: {
  name: string;
  type: 'initiator' | 'acceptor';
  host: string;
  port: number;
  senderCompId: string;
  targetCompId: string;
  heartbeatSeconds: number;
  reconnectSeconds?: number;
  resetSeqNumOnLogon: boolean;
  resendGapFillOnly: boolean;
}): ISessionDescription {
  return {
    application: {
      name: o.name,
      type: o.type,
      protocol: 'ascii',
      dictionary: FIX44_DICTIONARY,
      tcp: { host: o.host, port: o.port },
      resilient: o.type === 'initiator',
      reconnectSeconds: o.reconnectSeconds ?? 1,
      recoveryAttemptSeconds: o.reconnectSeconds ?? 1,
      backoffFailConnectSeconds: o.reconnectSeconds ?? 1,
      connectTimeoutSeconds: 3600 * 24 * 365,
    },
    Name: o.name,
    SenderCompId: o.senderCompId,
    TargetCompID: o.targetCompId,
    ResetSeqNumFlag: o.resetSeqNumOnLogon,
    SenderSubID: '',
    TargetSubID: '',
    BeginString: 'FIX.4.4',
    Username: '',
    Password: '',
    HeartBtInt: o.heartbeatSeconds,
    store: { type: 'memory', resendGapFillOnly: o.resendGapFillOnly },
  } as unknown as ISessionDescription;
}

/** The application side of an initiator: hands inbound application messages on, in order. */
class OmsInitiatorSession extends AsciiSession {
  private chain: Promise<void> = Promise.resolve();

  constructor(
    config: IJsFixConfig,
    private readonly owner: FixInitiator,
  ) {
    super(config);
  }

  protected override onApplicationMsg(msgType: string, view: MsgView): void {
    const body = view.toObject() as FixObject;
    const header = (body.StandardHeader ?? {}) as FixObject;
    const message: FixInbound = {
      msgType,
      body,
      possDup: header.PossDupFlag === true || header.PossDupFlag === 'Y',
      seqNum: Number(header.MsgSeqNum),
    };
    this.chain = this.chain.then(() => this.owner.deliver(message));
  }

  protected override onLogon(_view: MsgView, _user: string, _password: string): boolean {
    return true;
  }

  protected override onReady(_view: MsgView): void {
    this.up = true;
    // Announced once the session may send (`ready`): a logon that found a sequence gap first
    // recovers it, then the owner's onLogon (the mass status request) and the queued requests go.
    // The first look comes after the engine has handled the whole Logon: it calls onReady before
    // it checks the Logon's sequence number and records the ResendRequest a gap makes it send.
    const announce = (): void => {
      if (!this.up) return;
      if (this.ready) this.owner.ready(this);
      else setTimeout(announce, 20);
    };
    setImmediate(announce);
  }

  protected override onStopped(_error?: Error): void {
    this.up = false;
    this.owner.lost(this);
  }

  protected override onDecoded(_msgType: string, _txt: string): void {}
  protected override onEncoded(_msgType: string, _txt: string): void {}

  /** Between onReady and onStopped. */
  up = false;

  /**
   * Logged on and not recovering a sequence gap, on either side: neither while this session
   * answers the venue's ResendRequest, nor while its own ResendRequest is unanswered (the engine's
   * resend manager holds it pending until the venue's gap fill or resent messages cover the
   * range, or its 30 s timeout). A venue answering a ResendRequest holds no application message
   * valid (jspurefix's `validStateApplicationMsg`), and a strict one drops the connection on one:
   * the exchange peer did ("msgType D received in state HandleResendRequest", right after a
   * restart whose Logon came a sequence number ahead), and the order, claimed and sent, was lost.
   * Requests wait in the queue for the next poll instead.
   */
  get ready(): boolean {
    const state = this.sessionState.state;
    return (
      this.up &&
      state !== SessionState.HandleResendRequest &&
      state !== SessionState.AwaitingProcessingResponseToResendRequest &&
      this.coordinator.pendingResendRequests.length === 0
    );
  }

  /**
   * Sends an application message when `ready`; false, nothing sent, otherwise (the connection
   * gone, or a sequence gap being recovered): the caller keeps the request for the next poll.
   */
  sendApp(msgType: string, body: FixObject): boolean {
    if (!this.ready) return false;
    this.send(msgType, body);
    return true;
  }

  /** Waits for the messages handed on so far to be handled. */
  drained(): Promise<void> {
    return this.chain;
  }
}

class Launcher extends SessionLauncher {
  constructor(
    description: ISessionDescription,
    private readonly make: (config: IJsFixConfig) => AsciiSession,
    private readonly storeFactory: IFixSessionStoreFactory,
    level: string,
  ) {
    super(description, null, logFactory(level));
  }

  protected override makeFactory(config: IJsFixConfig): EngineFactory {
    config.sessionStoreFactory = this.storeFactory;
    return { makeSession: (c: IJsFixConfig) => this.make(c) };
  }
}

/**
 * One FIX initiator: connects, logs on, reconnects after a drop (the same session, sequence
 * numbers carried on), until `stop`.
 */
export class FixInitiator {
  private session: OmsInitiatorSession | null = null;
  private launcher: Launcher | null = null;
  private running: Promise<boolean> | null = null;
  private readyWaiters: (() => void)[] = [];
  private readonly stores: IFixSessionStore[] = [];

  constructor(readonly options: FixSessionOptions) {}

  /** Connects (in the background); `whenLoggedOn` waits for the first logon. */
  start(): void {
    if (this.launcher !== null) return;
    const o = this.options;
    const description = sessionDescription({
      name: o.name,
      type: 'initiator',
      host: o.host,
      port: o.port,
      senderCompId: o.senderCompId,
      targetCompId: o.targetCompId,
      heartbeatSeconds: o.heartbeatSeconds ?? 30,
      ...(o.reconnectSeconds === undefined ? {} : { reconnectSeconds: o.reconnectSeconds }),
      resetSeqNumOnLogon: o.resetSeqNumOnLogon ?? false,
      resendGapFillOnly: true,
    });
    const stores = this.stores;
    const remembering: IFixSessionStoreFactory = {
      create(sessionId) {
        const store = new OrderedSessionStore(o.storeFactory.create(sessionId));
        stores.push(store);
        return store;
      },
    };
    this.launcher = new Launcher(
      description,
      (c) => new OmsInitiatorSession(c, this),
      remembering,
      o.logLevel ?? 'warn',
    );
    this.running = this.launcher.run().catch(() => false);
  }

  /** Logged on and able to send application messages (not recovering a sequence gap). */
  get loggedOn(): boolean {
    return this.session?.ready ?? false;
  }

  whenLoggedOn(): Promise<void> {
    if (this.loggedOn) return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /** Sends an application message; false when the session is not logged on (nothing sent). */
  send(msgType: string, body: FixObject): boolean {
    return this.session?.sendApp(msgType, body) ?? false;
  }

  /** Waits until every inbound message so far has been handled. */
  drained(): Promise<void> {
    return this.session?.drained() ?? Promise.resolve();
  }

  /**
   * Logs out and stops reconnecting, then flushes the session store: the engine persists sequence
   * numbers without waiting, and a restart must read the last ones (or the venue sees a sequence
   * number it already had and drops the session).
   */
  async stop(): Promise<void> {
    this.launcher?.stop();
    await this.running;
    await new Promise((r) => setTimeout(r, 50));
    for (const store of this.stores) {
      await store.flush();
      await store.dispose();
    }
  }

  /** @internal the session logged on. */
  ready(session: OmsInitiatorSession): void {
    this.session = session;
    const waiters = this.readyWaiters;
    this.readyWaiters = [];
    for (const w of waiters) w();
    this.options.onLogon?.();
  }

  /** @internal the session stopped (the transport dropped, or a logout). */
  lost(_session: OmsInitiatorSession): void {
    this.options.onLogout?.();
  }

  /** @internal an inbound application message, in order. */
  async deliver(message: FixInbound): Promise<void> {
    try {
      await this.options.onMessage(message);
    } catch (e) {
      console.error(
        `fix session ${this.options.name}: handling ${message.msgType} seq ${message.seqNum} failed`,
        e,
      );
    }
  }
}
