/**
 * The trade_updates listener of one Alpaca venue: a long-lived process (local mode starts one per
 * configured Alpaca venue; on AWS the venue session host runs it, docs/venues.md). It
 * authenticates, listens to `trade_updates`, maps every message onto an ExecutionReport
 * (mapping.ts) and publishes it. After a disconnect it reconnects with backoff and, once
 * listening again (and every `pollIntervalMs` while it cannot connect), polls REST for what it
 * missed since the last event it saw (less a skew margin): the FILL activities, then the closing
 * reports of the orders that closed meanwhile (fills first, so no closing report overtakes a
 * fill). Which orders: those submitted since (Alpaca's `after` filters on the submission time),
 * and those it knew working (from the stream, and from the open list at the previous poll) that
 * the broker no longer lists open, each asked for by id: an order placed before the gap and
 * canceled, expired or replaced during it is reported too. A report it sends twice has the same
 * execId: the OMS applies it once.
 */
import WebSocket from 'ws';
import type { AlpacaVenueConfig } from '../../platform/alpaca-venues.js';
import type { ExecutionReport } from '../execution-report.js';
import type { AlpacaBrokerVenue, PublishReports } from './alpaca-venue.js';
import {
  type AlpacaOrderJson,
  type AlpacaTradeUpdate,
  closingReportOfOrder,
  reportOfTradeUpdate,
} from './mapping.js';

/** Alpaca order statuses after which the order does nothing more. */
const FINAL_STATUSES: ReadonlySet<string> = new Set([
  'filled',
  'canceled',
  'expired',
  'replaced',
  'rejected',
  'done_for_day',
]);

export interface ListenerOptions {
  readonly venue: AlpacaBrokerVenue;
  readonly config: AlpacaVenueConfig;
  readonly publish: PublishReports;
  readonly now?: () => number;
  readonly log?: (line: string) => void;
  /** First reconnect delay, doubled up to 30 s. */
  readonly reconnectDelayMs?: number;
  readonly pollIntervalMs?: number;
  /** How far before the last seen event the catch-up starts (clock skew between the two sides). */
  readonly skewMs?: number;
}

export class AlpacaTradeUpdatesListener {
  private socket: WebSocket | null = null;
  private stopped = false;
  private delay: number;
  private timer: NodeJS.Timeout | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  /** Epoch ms of the newest event seen (or of the start): the catch-up's lower bound. */
  private watermark: number;
  private chain: Promise<void> = Promise.resolve();
  /** Broker order ids last seen working (stream and polls): asked for by id when they leave the open list. */
  private readonly working = new Set<string>();
  /** Listening on the stream now. */
  listening = false;
  /** How many catch-ups ran (tests wait on it). */
  catchUps = 0;
  /** How many reports were published (stream and polling). */
  published = 0;

  constructor(private readonly o: ListenerOptions) {
    this.delay = o.reconnectDelayMs ?? 250;
    this.watermark = (o.now ?? Date.now)();
  }

  private log(line: string): void {
    (this.o.log ?? ((l: string) => console.log(l)))(`[alpaca ${this.o.config.name}] ${line}`);
  }

  start(): void {
    this.stopped = false;
    if (this.o.config.streamUrl === undefined) {
      this.startPolling();
      return;
    }
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.stopPolling();
    this.socket?.terminate();
    this.socket = null;
    await this.chain;
  }

  /** Drops the connection as a network failure would (tests; an operator's "reconnect"). */
  dropConnection(): void {
    this.socket?.terminate();
  }

  /** Serialises publishing: stream messages and catch-ups apply in arrival order. */
  private enqueue(work: () => Promise<void>): Promise<void> {
    this.chain = this.chain.then(work).catch((err: unknown) => {
      this.log(`publishing failed: ${(err as Error).message}`);
    });
    return this.chain;
  }

  private async emit(reports: readonly ExecutionReport[]): Promise<void> {
    if (reports.length === 0) return;
    await this.o.publish(reports);
    this.published += reports.length;
  }

  private connect(): void {
    if (this.stopped) return;
    const { config } = this.o;
    const ws = new WebSocket(config.streamUrl as string);
    this.socket = ws;
    ws.on('open', () => {
      config.credentials().then(
        (c) => {
          if (ws.readyState !== WebSocket.OPEN) return;
          ws.send(
            JSON.stringify({ action: 'authenticate', data: { key_id: c.keyId, secret_key: c.secret() } }),
          );
        },
        (err: unknown) => {
          // Its message names the venue and the secret, never the value; closing retries with backoff.
          this.log(`no credentials for the stream: ${(err as Error).message}`);
          ws.close();
        },
      );
    });
    ws.on('message', (raw) => this.onFrame(ws, raw.toString()));
    ws.on('error', (err) => this.log(`stream error: ${err.message}`));
    ws.on('close', () => {
      if (this.socket === ws) this.socket = null;
      this.listening = false;
      if (this.stopped) return;
      this.log(`stream closed; reconnecting in ${this.delay} ms (REST polling meanwhile)`);
      this.startPolling();
      this.timer = setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 30_000);
    });
  }

  private onFrame(ws: WebSocket, text: string): void {
    let frame: { stream?: string; data?: Record<string, unknown> };
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (frame.stream === 'authorization') {
      if (frame.data?.status === 'authorized')
        ws.send(JSON.stringify({ action: 'listen', data: { streams: ['trade_updates'] } }));
      else {
        this.log('stream authorization refused (check the key id and secret)');
        ws.close();
      }
      return;
    }
    if (frame.stream === 'listening') {
      this.listening = true;
      this.delay = this.o.reconnectDelayMs ?? 250;
      this.stopPolling();
      // Whatever happened while not listening (at start too: the watermark is the start time).
      void this.catchUp();
      return;
    }
    if (frame.stream === 'trade_updates' && frame.data !== undefined) {
      const update = frame.data as unknown as AlpacaTradeUpdate;
      void this.enqueue(async () => {
        const report = reportOfTradeUpdate(this.o.config.name, update);
        if (report !== null) await this.emit([report]);
        this.track(update.order);
        const at = Date.parse(update.timestamp);
        if (Number.isFinite(at) && at > this.watermark) this.watermark = at;
      });
    }
  }

  /** Keeps `working` in step with what an order's status says. */
  private track(order: AlpacaOrderJson): void {
    if (FINAL_STATUSES.has(order.status)) this.working.delete(order.id);
    else this.working.add(order.id);
  }

  /** REST polling: the fills and closing states since the watermark, published (fills first). */
  catchUp(): Promise<void> {
    return this.enqueue(async () => {
      const { venue } = this.o;
      const since = new Date(this.watermark - (this.o.skewMs ?? 5_000)).toISOString();
      const startedAt = (this.o.now ?? Date.now)();
      const fills = await venue.fillReportsSince(since);
      const submitted = await venue.ordersSubmittedSince(since);
      const open = await venue.openOrderJson();
      // Orders it knew working that are neither open now nor submitted since: closed meanwhile.
      const listed = new Set([...submitted, ...open].map((o) => o.id));
      const left: AlpacaOrderJson[] = [];
      for (const id of this.working) {
        if (listed.has(id)) continue;
        const order = await venue.orderById(id);
        if (order === null) this.working.delete(id);
        else left.push(order);
      }
      const orders = [...submitted, ...left];
      const closing = orders
        .map((o) => closingReportOfOrder(this.o.config.name, o))
        .filter((r): r is ExecutionReport => r !== null);
      await this.emit([...fills, ...closing]);
      for (const o of [...orders, ...open]) this.track(o);
      this.catchUps += 1;
      if (!this.listening && startedAt > this.watermark) this.watermark = startedAt;
    });
  }

  private startPolling(): void {
    if (this.pollTimer !== null) return;
    this.pollTimer = setInterval(() => void this.catchUp(), this.o.pollIntervalMs ?? 5_000);
  }

  private stopPolling(): void {
    if (this.pollTimer !== null) clearInterval(this.pollTimer);
    this.pollTimer = null;
  }
}
