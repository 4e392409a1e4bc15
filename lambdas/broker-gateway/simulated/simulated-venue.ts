/**
 * The simulated venue: a `Venue` whose book lives in VENUE_ORDERS_TABLE and whose market is the
 * seeded random walk in MARKET_TABLE. It answers with execution reports on the bus.
 *
 * Book item (pk `orderId` = the OMS order id, FIX ClOrdID): the order's terms, `filledQty`,
 * `status`, a `version` every write is conditional on (two matchers racing on one order: one
 * wins, the other reloads and matches again, so nothing fills twice), `reportSeq` (execIds are
 * `<orderId>:<n>`), and the sparse `restingSymbol` (set only while the order rests) that the
 * `byRestingSymbol` index lists for the market tick.
 *
 * Reports are written to the item's `outbox` in the same conditional write that changes the book,
 * then published, then the outbox is cleared. A crash or a failed PutEvents in between leaves the
 * outbox, which the next call on the order (a retry included) publishes first: same execIds, so the
 * OMS ignores any it already has. A book change and its reports are never separated. An item with
 * an outbox also carries the sparse `outboxPending` (when the reports were written), listed by the
 * `byOutboxPending` index: every market tick first publishes the outboxes still pending, so the
 * reports of an order nothing else touches again (a fill that closed it) are not stranded.
 *
 * Symbols starting with `REJ` are not traded here: a submission is answered `rejected`
 * (`unknown_symbol`), which lets tests and local mode exercise venue rejects.
 *
 * Venue controls (`venue-config.ts`, read once per call): latency before a submit/cancel/replace
 * is acted on, a cap on each fill's quantity, and `rejectNext` (the next submission is rejected
 * with `rejected_by_venue_control`; the flag is cleared in the same transaction that books the
 * rejected order, so two concurrent submissions never both take it).
 *
 * The market tick moves every symbol of MARKET_TABLE (a Scan: the table is small) and every symbol
 * with resting orders, except pinned quotes, which it holds; it matches resting orders against the
 * quote either way.
 * A cancel or replace of an order the venue has never seen is answered `unknown_order` and leaves
 * a tombstone, so a submission arriving after that answer is not booked.
 *
 * Auctions (auction.ts): an opg or cls order is booked with the auction it takes part in
 * (`auctionAt`) and rests untouched until then (an opg order arriving during a regular session is
 * rejected `auction_closed`). The first tick at or after an auction's time holds it, symbol by
 * symbol: one transaction writes the symbol's auction record (`auction#<venue>#<open|close>#<date>#<symbol>`,
 * only if absent) together with every participant's outcome (each conditional on its version),
 * so concurrent or retried ticks hold each symbol's auction exactly once and a cancel racing it
 * either lands first (the order is not in it) or loses. When every symbol is done, the day record
 * (`auction#<venue>#<open|close>#<date>`) tells later ticks the auction is over; an auction order
 * still resting after its auction (booked in the race with it, beyond the per-transaction limit,
 * or its auction missed by every tick) is then canceled `auction_unfilled`.
 */

import { setTimeout as sleepFor } from 'node:timers/promises';
import type { EventBridgeClient, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  dayOrderEndMs,
  divideHalfEven,
  feeOf,
  formatNanos,
  formatValue18,
  max,
  type Nanos,
  nanos,
  newYorkDate,
  type OrderType,
  PRIMARY_VENUE,
  parseNanos,
  parseValue18,
  type ReplaceChanges,
  sessionBoundsOn,
  signedNanos,
  VENUE_PROFILES,
  type VenueProfile,
  venueProfileOf,
  venueQuoteOf,
} from '../../core/index.js';
import {
  recordFillRates,
  restrictionAttributes,
  VENUE_HEALTH_KEY,
  venueHealthFromItem,
} from '../../platform/market-data.js';
import { priceMarkItems, writePriceMarks } from '../../platform/price-marks.js';
import { TransientError } from '../../platform/transient-errors.js';
import {
  EXECUTION_REPORT_DETAIL_TYPE,
  type ExecType,
  type ExecutionReport,
  TOO_LATE_TO_CANCEL,
  UNKNOWN_ORDER,
  VENUE_SOURCE,
} from '../execution-report.js';
import type { Venue, VenueExecution, VenueOrder, VenueOrderStatusReport, VenuePosition } from '../venue.js';
import {
  AUCTION_CLOSED,
  AUCTION_KINDS,
  AUCTION_LATE_MS,
  AUCTION_OF,
  AUCTION_TIME_IN_FORCE,
  AUCTION_UNFILLED,
  type AuctionKind,
  type AuctionSchedule,
  auctionFor,
  type DueAuction,
  dueAuctions,
  isAuctionOrder,
  uncross,
} from './auction.js';
import {
  accumulateTape,
  advanceQuote,
  hash32,
  isPinned,
  type Quote,
  type QuoteItem,
  quoteFromItem,
  quoteToItem,
  seedQuote,
  tapeAccumulatorsOf,
  tapeAttributes,
} from './market.js';
import { type BookOrder, type BookStatus, type Execution, type MatchLimits, match } from './matching.js';
import {
  REJECTED_BY_VENUE_CONTROL,
  readVenueConfig,
  type VenueConfig,
  venueConfigFromItem,
  venueConfigKey,
} from './venue-config.js';

export {
  MAX_LATENCY_MS,
  REJECTED_BY_VENUE_CONTROL,
  readVenueConfig,
  type VenueConfig,
  type VenueConfigInput,
  type VenueConfigItem,
  venueConfigItem,
} from './venue-config.js';

export const RESTING_SYMBOL_INDEX = 'byRestingSymbol';
export const OUTBOX_PENDING_INDEX = 'byOutboxPending';
export const UNKNOWN_SYMBOL = 'unknown_symbol';
export const UNSUPPORTED_ORDER_TYPE = 'unsupported_order_type';
/** The reason of a DAY order's `expired` report: its day (session) ended. */
export const DAY_ENDED = 'day_ended';
export const TOO_LATE_TO_REPLACE = 'too_late_to_replace';
/** The reason of a submission that reached a venue the market shows down. */
export const VENUE_UNAVAILABLE = 'venue_unavailable';

/** A simulated venue's book of a symbol: its profile's quote around the tape (core `venueQuoteOf`). */
export function bookQuoteOf(tape: Quote, venue: string, pinned: boolean): Quote {
  const profile = venueProfileOf(venue);
  if (profile === undefined || profile.primary) return tape;
  const q = venueQuoteOf({ ...tape, volume: null, source: null, updatedAt: tape.updatedAt }, profile, pinned);
  return {
    ...tape,
    bid: q.bid ?? tape.bid,
    ask: q.ask ?? tape.ask,
    bidSize: q.bidSize ?? tape.bidSize,
    askSize: q.askSize ?? tape.askSize,
  };
}
const MAX_ATTEMPTS = 8;
const PUT_EVENTS_BATCH = 10;
/**
 * Participants of one symbol's auction: one transaction (at most 100 items) holds the auction
 * record and every participant. Later-booked orders beyond this are canceled unexecuted.
 */
export const MAX_AUCTION_ORDERS = 99;
export const AUCTION_RECORD_PREFIX = 'auction#';

/** The key of an auction's day record (no symbol: the whole venue's auction) or of one symbol's. */
export function auctionRecordKey(venue: string, kind: AuctionKind, date: string, symbol?: string): string {
  return `${AUCTION_RECORD_PREFIX}${venue}#${kind}#${date}${symbol === undefined ? '' : `#${symbol}`}`;
}

/** What one symbol's auction did (a tick's result and log line list them). */
export interface AuctionPrint {
  readonly auction: AuctionKind;
  /** The New York trading day, `YYYY-MM-DD`. */
  readonly date: string;
  readonly symbol: string;
  /** The auction price (null: nothing could execute). */
  readonly price: string | null;
  /** Quantity crossed at the price. */
  readonly volume: string;
  /** The participating orders, in time priority. */
  readonly orders: readonly string[];
}

/** VENUE_ORDERS_TABLE item recording one symbol's auction (written with its participants' outcomes). */
export interface AuctionRecordItem extends AuctionPrint {
  readonly orderId: string;
  readonly kind: 'auction';
  readonly venue: string;
  readonly auctionAt: string;
  readonly heldAt: string;
  readonly buyQty: string;
  readonly sellQty: string;
  /** The quote the auction was held against. */
  readonly bid: string;
  readonly ask: string;
  readonly last: string;
}

/** What a market tick did: outboxes published (and failed again), symbols moved, orders matched. */
export interface TickResult {
  /** Pending outboxes found (and published, but for `outboxFailures`). */
  readonly outboxes: number;
  readonly outboxFailures: number;
  /** Symbols looked at: every MARKET_TABLE symbol plus those with resting orders. */
  readonly symbols: number;
  /** Symbols whose quote this tick advanced (sorted). */
  readonly moved: readonly string[];
  /** Pinned symbols, held as they are (sorted). */
  readonly held: readonly string[];
  /** MARKET_TABLE items that are not readable quotes, left alone with their orders (sorted). */
  readonly skipped: readonly string[];
  /** Resting orders looked at. */
  readonly orders: number;
  /** Orders that executed (fill, trigger or cancel) this tick, in matching order. */
  readonly matched: readonly string[];
  /** Fill reports this tick (auction fills included). */
  readonly fills: number;
  /** Auctions this tick held, one per symbol with participants. */
  readonly auctions: readonly AuctionPrint[];
}

/** A fill as the venue keeps it on the order's item (no extra write: it rides the fill's own). */
export interface VenueFillRecord {
  readonly execId: string;
  readonly lastQty: string;
  readonly lastPx: string;
  readonly transactTime: string;
}

/** The kind of a position booked at a venue outside any order (`positions()`). */
export const POSITION_ADJUSTMENT_KIND = 'position-adjustment';

/** VENUE_ORDERS_TABLE item `position-adjustment#<venue>#<id>`: a position booked outside any order. */
export interface PositionAdjustmentItem {
  readonly orderId: string;
  readonly kind: typeof POSITION_ADJUSTMENT_KIND;
  readonly venue: string;
  readonly accountId: string;
  readonly symbol: string;
  /** Signed canonical decimal text. */
  readonly qty: string;
  readonly at: string;
}

/** `unknown`: a tombstone for an id the venue answered `unknown_order` for. */
export type VenueOrderStatus = BookStatus | 'unknown';

/** The VENUE_ORDERS_TABLE item. Decimals as canonical text (`filledValue` at scale 18). */
export interface VenueOrderItem {
  readonly orderId: string;
  readonly venueOrderId: string;
  /** The simulated venue whose book holds it (absent on items booked before several venues: the primary's). */
  readonly venue?: string;
  readonly accountId: string;
  readonly symbol: string;
  readonly side: VenueOrder['side'];
  readonly type: VenueOrder['type'];
  readonly timeInForce: VenueOrder['timeInForce'];
  readonly qty: string | null;
  readonly notional: string | null;
  readonly limitPrice: string | null;
  readonly stopPrice: string | null;
  readonly trailPrice: string | null;
  readonly trailPercent: string | null;
  readonly filledQty: string;
  readonly filledValue: string;
  readonly triggered: boolean;
  readonly watermark: string | null;
  readonly status: VenueOrderStatus;
  /** Present only while the order rests (sparse key of `byRestingSymbol`). */
  readonly restingSymbol?: string;
  readonly replaces: string | null;
  readonly replacedBy: string | null;
  readonly reportSeq: number;
  readonly version: number;
  readonly outbox?: readonly ExecutionReport[];
  /** Every fill of this order at the venue, in order (the venue's own record: `executionsSince`). */
  readonly executions?: readonly VenueFillRecord[];
  /** Present only while `outbox` is (sparse key of `byOutboxPending`): when it was written. */
  readonly outboxPending?: string;
  /** opg / cls orders: the instant of the auction the order takes part in (ISO). */
  readonly auctionAt?: string;
  /**
   * DAY orders: when the order's day ends (ISO; the session close, or the post-market close with
   * extended hours). The first tick at or after it expires the order (`expired`) before matching.
   */
  readonly dayEndsAt?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface SimulatedVenueOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly eventBridge: EventBridgeClient;
  readonly venueOrdersTable: string;
  readonly marketTable: string;
  readonly eventBusName: string;
  readonly venueName: string;
  readonly now: () => number;
  /** How the venue waits out its configured latency (default: a timer). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** When the auctions are (session open/close, days, calendar); default: NYSE hours and holidays. */
  readonly schedule?: AuctionSchedule;
  /**
   * The order types this venue holds (OMS_VENUE_ORDER_TYPES; default all): another is rejected
   * `unsupported_order_type`. The OMS holds the trigger of a stop type missing here and sends the
   * order once triggered, so with a consistent setting the venue never sees one.
   */
  readonly orderTypes?: ReadonlySet<OrderType>;
  /**
   * The price marks table (platform/price-marks.ts): the market tick writes a minute and a daily
   * mark of every symbol it moved (a pinned one's pin wrote them). Absent: no marks are written.
   */
  readonly priceMarksTable?: string;
}

/**
 * One item to write: new (`expectedVersion` null) or replacing the version it was read at; or the
 * venue config's `rejectNext` flag to clear (only if still set), in the same transaction.
 */
type Write =
  | { readonly item: VenueOrderItem; readonly expectedVersion: number | null }
  | { readonly consumeRejectNext: true }
  | { readonly auctionRecord: AuctionRecordItem };

const itemWrites = (writes: readonly Write[]) => writes.flatMap((w) => ('item' in w ? [w] : []));

const dec = (v: string | null): Nanos | null => (v === null ? null : nanos(v));
const text = (v: Nanos | null): string | null => (v === null ? null : formatNanos(v));

export function bookOf(i: VenueOrderItem): BookOrder {
  return {
    orderId: i.orderId,
    symbol: i.symbol,
    side: i.side,
    type: i.type,
    timeInForce: i.timeInForce,
    qty: dec(i.qty),
    notional: dec(i.notional),
    limitPrice: dec(i.limitPrice),
    stopPrice: dec(i.stopPrice),
    trailPrice: dec(i.trailPrice),
    trailPercent: dec(i.trailPercent),
    filledQty: nanos(i.filledQty),
    filledValue: parseValue18(i.filledValue),
    triggered: i.triggered,
    watermark: dec(i.watermark),
    status: i.status === 'unknown' ? 'rejected' : i.status,
  };
}

/** The item with the book order's state (resting marker kept in step with the status). */
function withBook(i: VenueOrderItem, b: BookOrder, at: string): VenueOrderItem {
  const { restingSymbol: _, outbox: __, outboxPending: ___, ...rest } = i;
  return {
    ...rest,
    filledQty: formatNanos(b.filledQty),
    filledValue: formatValue18(b.filledValue),
    triggered: b.triggered,
    watermark: text(b.watermark),
    status: b.status,
    ...(b.status === 'open' ? { restingSymbol: i.symbol } : {}),
    updatedAt: at,
  };
}

/** Builds an order's reports with consecutive execIds. */
class Reporter {
  readonly reports: ExecutionReport[] = [];
  constructor(
    private readonly venue: string,
    private readonly item: Pick<VenueOrderItem, 'orderId' | 'venueOrderId' | 'reportSeq'>,
    private readonly at: string,
    /** The venue's fee schedule: each fill reports its fee and liquidity (FIX Commission, LastLiquidityInd). */
    private readonly fees: VenueProfile | null = null,
  ) {}

  /** Whether the fills now being reported add liquidity (the order rested) or remove it. */
  liquidity: 'added' | 'removed' = 'removed';

  get seq(): number {
    return this.item.reportSeq + this.reports.length;
  }

  add(execType: ExecType, cumQty: string, extra: Partial<ExecutionReport> = {}): void {
    this.reports.push({
      venue: this.venue,
      orderId: this.item.orderId,
      venueOrderId: this.item.venueOrderId,
      execId: `${this.item.orderId}:${this.seq + 1}`,
      execType,
      cumQty,
      ...extra,
      transactTime: this.at,
    });
  }

  execution(e: Execution, cumAfter: Nanos): void {
    const cum = formatNanos(cumAfter);
    if (e.kind === 'fill') {
      const costs =
        this.fees === null
          ? {}
          : {
              fee: formatNanos(
                feeOf(
                  e.qty,
                  this.liquidity === 'added' ? this.fees.makerFeePerShare : this.fees.takerFeePerShare,
                ),
              ),
              liquidity: this.liquidity,
            };
      this.add('fill', cum, { lastQty: formatNanos(e.qty), lastPx: formatNanos(e.px), ...costs });
    } else if (e.kind === 'canceled') this.add('canceled', cum, { reason: e.reason });
    else
      this.add('triggered', cum, {
        triggerPrice: formatNanos(e.triggerPrice),
        bid: formatNanos(e.bid),
        ask: formatNanos(e.ask),
      });
  }

  /** The item with these reports in its outbox and its counter advanced. */
  seal(i: VenueOrderItem, version: number): VenueOrderItem {
    const fills = this.reports
      .filter((r) => r.execType === 'fill')
      .map((r) => ({
        execId: r.execId,
        lastQty: r.lastQty as string,
        lastPx: r.lastPx as string,
        transactTime: r.transactTime,
      }));
    return {
      ...i,
      ...(fills.length > 0 ? { executions: [...(i.executions ?? []), ...fills] } : {}),
      reportSeq: this.seq,
      version,
      ...(this.reports.length > 0 ? { outbox: this.reports, outboxPending: this.at } : {}),
    };
  }
}

const compareText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The sparse index of resting orders (the stack defines it with this name: lib/broker-gateway.ts). */
export const RESTING_INDEX = 'byRestingSymbol';

/** What a status query answers for a stored venue order. */
function statusReportOf(i: VenueOrderItem): VenueOrderStatusReport {
  const filled = nanos(i.filledQty);
  return {
    orderId: i.orderId,
    venueOrderId: i.venueOrderId,
    symbol: i.symbol,
    side: i.side,
    status: i.status,
    qty: i.qty,
    filledQty: i.filledQty,
    avgPrice: filled > 0n ? formatNanos(divideHalfEven(parseValue18(i.filledValue), filled)) : null,
    updatedAt: i.updatedAt,
  };
}

/** The auction an auction order takes part in (an item booked before `auctionAt` existed: its booking). */
function auctionInstantOf(i: VenueOrderItem): number {
  return Date.parse(i.auctionAt ?? i.createdAt);
}

function isConditionFailure(err: unknown): boolean {
  const name = (err as { name?: string }).name;
  if (name === 'ConditionalCheckFailedException') return true;
  if (name !== 'TransactionCanceledException') return false;
  const reasons = (err as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.some((r) => r.Code === 'ConditionalCheckFailed');
}

/** A stored quote, or null for an item that is not one (hand-written, malformed). */
function readQuote(item: Record<string, unknown>): Quote | null {
  try {
    const q = quoteFromItem(item as unknown as QuoteItem);
    return typeof q.updatedAt === 'string' && q.bid > 0n && q.ask >= q.bid ? q : null;
  } catch {
    return null;
  }
}

export class SimulatedVenue implements Venue {
  readonly name: string;
  protected readonly schedule: AuctionSchedule;

  /** Its fees, latency, passive fill chance and book shape (core VENUE_PROFILES). */
  readonly profile: VenueProfile;

  constructor(protected readonly o: SimulatedVenueOptions) {
    this.name = o.venueName;
    this.schedule = o.schedule ?? {};
    this.profile = venueProfileOf(o.venueName) ?? { ...PRIMARY_VENUE, name: o.venueName };
  }

  /** This venue's behaviour controls (defaults when none are set). */
  config(): Promise<VenueConfig> {
    return this.configOf(this.name);
  }

  /** A simulated venue's controls (without a record, or a latency left out: its profile's latency). */
  protected configOf(venue: string): Promise<VenueConfig> {
    return readVenueConfig(this.o.doc, this.o.venueOrdersTable, venue);
  }

  protected reporter(
    item: Pick<VenueOrderItem, 'orderId' | 'venueOrderId' | 'reportSeq' | 'venue'>,
    at: string,
  ): Reporter {
    const venue = item.venue ?? this.name;
    return new Reporter(venue, item, at, venueProfileOf(venue) ?? this.profile);
  }

  /**
   * The symbol's tape quote and this venue's book of it (one read of the quote and the venues'
   * health; the quote seeded when the market has none), and whether the venue is down.
   */
  private async marketFor(symbol: string): Promise<{ book: Quote; down: boolean }> {
    return this.marketOf(symbol, (await this.readBook({ symbol })).market);
  }

  /**
   * One consistent BatchGetItem of what a request reads (issue 12: one request, not three): the
   * venue's controls (`config`), the order as booked (`orderId`), and the symbol's quote with the
   * venues' health (`symbol`; the health alone with `health`). Keys the service leaves unprocessed
   * are read again (a few times, then a transient error: the caller's retry).
   */
  private async readBook(want: {
    readonly config?: true;
    readonly orderId?: string;
    readonly symbol?: string;
    readonly health?: true;
  }): Promise<{
    readonly config: VenueConfig;
    readonly stored: VenueOrderItem | undefined;
    readonly market: readonly Record<string, unknown>[];
  }> {
    const venueKeys = [
      ...(want.config ? [venueConfigKey(this.name)] : []),
      ...(want.orderId === undefined ? [] : [{ orderId: want.orderId }]),
    ];
    const marketKeys = [
      ...(want.symbol === undefined ? [] : [{ symbol: want.symbol }]),
      ...(want.symbol !== undefined || want.health ? [{ symbol: VENUE_HEALTH_KEY }] : []),
    ];
    let request: Record<string, { Keys: Record<string, unknown>[]; ConsistentRead: true }> = {
      ...(venueKeys.length > 0
        ? { [this.o.venueOrdersTable]: { Keys: venueKeys, ConsistentRead: true } }
        : {}),
      ...(marketKeys.length > 0 ? { [this.o.marketTable]: { Keys: marketKeys, ConsistentRead: true } } : {}),
    };
    const venueItems: Record<string, unknown>[] = [];
    const market: Record<string, unknown>[] = [];
    for (let attempt = 1; Object.keys(request).length > 0; attempt++) {
      if (attempt > MAX_ATTEMPTS)
        throw new TransientError(`venue ${this.name}: reads left unprocessed`, 'UnprocessedKeys');
      const got = await this.o.doc.send(new BatchGetCommand({ RequestItems: request }));
      venueItems.push(...(got.Responses?.[this.o.venueOrdersTable] ?? []));
      market.push(...(got.Responses?.[this.o.marketTable] ?? []));
      request = (got.UnprocessedKeys ?? {}) as typeof request;
    }
    const configKey = venueConfigKey(this.name).orderId;
    return {
      config: venueConfigFromItem(
        this.name,
        venueItems.find((i) => i.orderId === configKey),
      ),
      stored: venueItems.find((i) => want.orderId !== undefined && i.orderId === want.orderId) as
        | VenueOrderItem
        | undefined,
      market,
    };
  }

  /** The symbol's book at this venue from the market items read (the quote seeded when the market has none). */
  private async marketOf(
    symbol: string,
    items: readonly Record<string, unknown>[],
  ): Promise<{ book: Quote; down: boolean }> {
    const item = items.find((i) => i.symbol === symbol);
    const tape =
      item === undefined ? await this.quoteOf(symbol) : quoteFromItem(item as unknown as QuoteItem);
    const pinned = item !== undefined && isPinned(item);
    return { book: bookQuoteOf(tape, this.name, pinned), down: this.downIn(items) };
  }

  /** Whether the venues' health among the market items read shows this venue down. */
  private downIn(items: readonly Record<string, unknown>[]): boolean {
    return (
      venueHealthFromItem(items.find((i) => i.symbol === VENUE_HEALTH_KEY)).get(this.name)?.down === true
    );
  }

  async submit(order: VenueOrder): Promise<void> {
    // The controls, the order as booked and the market in one read; after a configured latency the
    // order and the market are read again (the venue answers on what it sees then).
    const want = { orderId: order.orderId, symbol: order.symbol } as const;
    let read = await this.readBook({ config: true, ...want });
    let config = read.config;
    if (config.latencyMs > 0) {
      await (this.o.sleep ?? sleepFor)(config.latencyMs);
      read = await this.readBook(want);
    }
    const market = await this.marketOf(order.symbol, read.market);
    let attempt = 0;
    await this.mutateAfter(read, order.orderId, async (current, at) => {
      // Already booked (or answered): a repeated submit changes nothing and reports nothing.
      if (current !== undefined) return null;
      // A retry after a write conflict: the conflict may be another submission taking rejectNext.
      if (attempt++ > 0 && config.rejectNext) config = await this.config();
      const item = this.newItem(order, at);
      const r = this.reporter(item, at);
      // The venue is down: it refuses what reaches it (the router does not send there).
      if (market.down) {
        r.add('rejected', '0', { reason: VENUE_UNAVAILABLE });
        return [{ item: r.seal({ ...item, status: 'rejected' }, 1), expectedVersion: null }];
      }
      if (order.symbol.toUpperCase().startsWith('REJ')) {
        r.add('rejected', '0', { reason: UNKNOWN_SYMBOL });
        return [{ item: r.seal({ ...item, status: 'rejected' }, 1), expectedVersion: null }];
      }
      if (this.o.orderTypes !== undefined && !this.o.orderTypes.has(order.type)) {
        r.add('rejected', '0', { reason: UNSUPPORTED_ORDER_TYPE });
        return [{ item: r.seal({ ...item, status: 'rejected' }, 1), expectedVersion: null }];
      }
      // An auction order is booked for its auction; one that comes too late for any is refused
      // before the reject control is consulted, so the control is kept for an order it would change.
      let auctionAt: string | undefined;
      if (isAuctionOrder(order.timeInForce)) {
        const auction = auctionFor(order.timeInForce, Date.parse(at), this.schedule);
        if (auction === null) {
          r.add('rejected', '0', { reason: AUCTION_CLOSED });
          return [{ item: r.seal({ ...item, status: 'rejected' }, 1), expectedVersion: null }];
        }
        auctionAt = new Date(auction).toISOString();
      }
      if (config.rejectNext) {
        r.add('rejected', '0', { reason: REJECTED_BY_VENUE_CONTROL });
        return [
          { item: r.seal({ ...item, status: 'rejected' }, 1), expectedVersion: null },
          { consumeRejectNext: true },
        ];
      }
      r.add('new', '0');
      const quote = market.book;
      const booked = {
        ...item,
        restingSymbol: order.symbol,
        ...(auctionAt === undefined ? {} : { auctionAt }),
        ...(order.timeInForce === 'day'
          ? { dayEndsAt: this.dayEndOf(Date.parse(at), order.extendedHours) }
          : {}),
      };
      // An auction order rests untouched until its auction (`match` leaves it alone).
      const matched = this.matchItem(booked, quote, r, at, config);
      return [{ item: r.seal(matched.item, 1), expectedVersion: null }];
    });
  }

  async cancel(orderId: string, _reason: string): Promise<void> {
    // The controls, the order and the venues' health in one read (again after a configured latency).
    let read = await this.readBook({ config: true, orderId, health: true });
    if (read.config.latencyMs > 0) {
      await (this.o.sleep ?? sleepFor)(read.config.latencyMs);
      read = await this.readBook({ orderId, health: true });
    }
    // A venue that is down cannot be reached: the request is retried until it is back.
    if (this.downIn(read.market)) throw new TransientError(`venue ${this.name} is down`, 'VenueDown');
    await this.mutateAfter(read, orderId, async (current, at) => {
      if (current === undefined) return [this.tombstone(orderId, at, 'cancel_rejected')];
      // Already canceled, or already answered as unknown: nothing more to say.
      if (current.status === 'canceled' || current.status === 'unknown') return null;
      const r = this.reporter(current, at);
      const cum = current.filledQty;
      if (current.status !== 'open') {
        r.add('cancel_rejected', cum, { reason: TOO_LATE_TO_CANCEL });
        return [
          {
            item: r.seal({ ...current, updatedAt: at }, current.version + 1),
            expectedVersion: current.version,
          },
        ];
      }
      r.add('pending_cancel', cum);
      r.add('canceled', cum);
      const { restingSymbol: _, ...rest } = current;
      const item = r.seal({ ...rest, status: 'canceled', updatedAt: at }, current.version + 1);
      return [{ item, expectedVersion: current.version }];
    });
  }

  async replace(orderId: string, replacementOrderId: string, changes: ReplaceChanges): Promise<void> {
    // As a cancel: the controls, the order and the venues' health in one read.
    let read = await this.readBook({ config: true, orderId, health: true });
    const config = read.config;
    if (config.latencyMs > 0) {
      await (this.o.sleep ?? sleepFor)(config.latencyMs);
      read = await this.readBook({ orderId, health: true });
    }
    if (this.downIn(read.market)) throw new TransientError(`venue ${this.name} is down`, 'VenueDown');
    await this.mutateAfter(read, orderId, async (current, at) => {
      if (current === undefined) return [this.tombstone(orderId, at, 'replace_rejected')];
      if (current.replacedBy === replacementOrderId) return null; // already replaced: a retry
      const r = this.reporter(current, at);
      const refuse = (reason: string): Write[] => {
        r.add('replace_rejected', current.filledQty, { reason });
        return [
          {
            item: r.seal({ ...current, updatedAt: at }, current.version + 1),
            expectedVersion: current.version,
          },
        ];
      };
      if (current.status === 'unknown') return refuse(UNKNOWN_ORDER);
      if (current.status !== 'open') return refuse(TOO_LATE_TO_REPLACE);
      if (current.notional !== null) return refuse('notional_not_replaceable');
      // The replacement keeps the auction it was booked for; one that becomes an auction order
      // joins the next auction it may still enter (an opg during the session may not).
      const timeInForce = changes.timeInForce ?? current.timeInForce;
      let auctionAt: string | undefined;
      if (isAuctionOrder(timeInForce)) {
        const kept = timeInForce === current.timeInForce ? current.auctionAt : undefined;
        const auction = kept === undefined ? auctionFor(timeInForce, Date.parse(at), this.schedule) : null;
        if (kept === undefined && auction === null) return refuse(AUCTION_CLOSED);
        auctionAt = kept ?? new Date(auction as number).toISOString();
      }
      r.add('pending_replace', current.filledQty);
      r.add('replaced', current.filledQty);
      const { restingSymbol: _, ...rest } = current;
      const old = r.seal(
        { ...rest, status: 'replaced', replacedBy: replacementOrderId, updatedAt: at },
        current.version + 1,
      );
      // The replacement continues the venue order under the new ClOrdID, fills carried (FIX CumQty).
      const filled = nanos(current.filledQty);
      const qty = max(changes.qty === undefined ? nanos(current.qty as string) : nanos(changes.qty), filled);
      const { auctionAt: _previousAuction, dayEndsAt: previousDayEnd, ...terms } = rest;
      // A DAY order keeps its day; one that becomes a DAY order works until the next close.
      const dayEndsAt =
        timeInForce !== 'day' ? undefined : (previousDayEnd ?? this.dayEndOf(Date.parse(at), false));
      const base: VenueOrderItem = {
        ...terms,
        ...(auctionAt === undefined ? {} : { auctionAt }),
        ...(dayEndsAt === undefined ? {} : { dayEndsAt }),
        orderId: replacementOrderId,
        qty: formatNanos(qty),
        limitPrice: changes.limitPrice ?? current.limitPrice,
        stopPrice: changes.stopPrice ?? current.stopPrice,
        trailPrice: changes.trailPrice ?? (changes.trailPercent !== undefined ? null : current.trailPrice),
        trailPercent:
          changes.trailPercent ?? (changes.trailPrice !== undefined ? null : current.trailPercent),
        timeInForce,
        status: qty > filled ? 'open' : 'filled',
        ...(qty > filled ? { restingSymbol: current.symbol } : {}),
        replaces: orderId,
        replacedBy: null,
        reportSeq: 0,
        version: 0,
        createdAt: at,
        updatedAt: at,
      };
      const rr = this.reporter(base, at);
      const matched =
        base.status === 'open'
          ? this.matchItem(base, (await this.marketFor(base.symbol)).book, rr, at, config).item
          : base;
      return [
        { item: old, expectedVersion: current.version },
        { item: rr.seal(matched, 1), expectedVersion: null },
      ];
    });
  }

  /** The quote for a symbol, seeded (once, conditionally) when the market has none yet. */
  async quoteOf(symbol: string): Promise<Quote> {
    const TableName = this.o.marketTable;
    for (;;) {
      const got = await this.o.doc.send(new GetCommand({ TableName, Key: { symbol }, ConsistentRead: true }));
      if (got.Item !== undefined) return quoteFromItem(got.Item as QuoteItem);
      const seeded = seedQuote(symbol, this.o.now());
      try {
        await this.o.doc.send(
          new PutCommand({
            TableName,
            Item: quoteToItem(seeded),
            ConditionExpression: 'attribute_not_exists(symbol)',
          }),
        );
        return seeded;
      } catch (err) {
        if (!isConditionFailure(err)) throw err;
      }
    }
  }

  async orderStatus(orderId: string): Promise<VenueOrderStatusReport | null> {
    const item = await this.load(orderId);
    return item === undefined ? null : statusReportOf(item);
  }

  /** The resting orders: a scan of the sparse `byRestingSymbol` index (only open orders are in it). */
  async openOrders(): Promise<VenueOrderStatusReport[]> {
    const out: VenueOrderStatusReport[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.o.doc.send(
        new ScanCommand({
          TableName: this.o.venueOrdersTable,
          IndexName: RESTING_INDEX,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of (page.Items ?? []) as VenueOrderItem[]) {
        // The index is eventually consistent: read the order itself before saying it is open.
        const current = await this.load(item.orderId);
        if (current?.status === 'open' && this.holds(current)) out.push(statusReportOf(current));
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return out.sort((a, b) => compareText(a.orderId, b.orderId));
  }

  /**
   * The fills at or after `since`, oldest first: a scan of the orders updated since then (a fill
   * updates its order), their fill records filtered by time. For reconciliation, not the hot path.
   */
  async executionsSince(since: string): Promise<VenueExecution[]> {
    const out: VenueExecution[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.o.doc.send(
        new ScanCommand({
          TableName: this.o.venueOrdersTable,
          FilterExpression: 'updatedAt >= :since AND attribute_exists(executions)',
          ExpressionAttributeValues: { ':since': since },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of (page.Items ?? []) as VenueOrderItem[]) {
        if (!this.holds(item)) continue;
        for (const e of item.executions ?? []) {
          if (e.transactTime < since) continue;
          out.push({
            orderId: item.orderId,
            venueOrderId: item.venueOrderId,
            symbol: item.symbol,
            side: item.side,
            ...e,
          });
        }
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return out.sort((a, b) => compareText(a.transactTime, b.transactTime) || compareText(a.execId, b.execId));
  }

  /**
   * The accounts' positions at this venue: the net of its executions per account and symbol (buys
   * add, sells subtract; an execution carried onto a replacement counted once, by exec id), plus
   * the positions booked outside any order (`position-adjustment#` items: a transfer, a corporate
   * action, a busted trade, what the divergence control `adjust_position` books). A scan of the
   * book, like `executionsSince`: a simulator's answer; a broker answers one position query.
   */
  async positions(): Promise<VenuePosition[]> {
    const totals = new Map<string, { accountId: string; symbol: string; qty: Nanos; last: string | null }>();
    const add = (accountId: string, symbol: string, qty: Nanos, at: string) => {
      const key = `${accountId}\u0000${symbol}`;
      const t = totals.get(key) ?? { accountId, symbol, qty: 0n, last: null };
      t.qty += qty;
      if (t.last === null || at > t.last) t.last = at;
      totals.set(key, t);
    };
    const seen = new Set<string>();
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.o.doc.send(
        new ScanCommand({
          TableName: this.o.venueOrdersTable,
          FilterExpression: 'attribute_exists(executions) OR kind = :adjustment',
          ExpressionAttributeValues: { ':adjustment': POSITION_ADJUSTMENT_KIND },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const raw of page.Items ?? []) {
        if (raw.kind === POSITION_ADJUSTMENT_KIND) {
          const a = raw as PositionAdjustmentItem;
          if (a.venue === this.name) add(a.accountId, a.symbol, signedNanos(a.qty), a.at);
          continue;
        }
        const item = raw as VenueOrderItem;
        if (!this.holds(item)) continue;
        for (const e of item.executions ?? []) {
          if (seen.has(e.execId)) continue;
          seen.add(e.execId);
          const q = nanos(e.lastQty);
          add(item.accountId, item.symbol, item.side === 'buy' ? q : -q, e.transactTime);
        }
      }
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return [...totals.values()]
      .filter((t) => t.qty !== 0n)
      .map((t) => ({
        accountId: t.accountId,
        symbol: t.symbol,
        qty: formatNanos(t.qty),
        lastChangeAt: t.last,
      }))
      .sort((a, b) => compareText(a.accountId, b.accountId) || compareText(a.symbol, b.symbol));
  }

  /** Whether the order is in this venue's book (the simulated venues share one table). */
  private holds(item: Pick<VenueOrderItem, 'venue'>): boolean {
    return (item.venue ?? this.name) === this.name;
  }

  async load(orderId: string): Promise<VenueOrderItem | undefined> {
    const got = await this.o.doc.send(
      new GetCommand({ TableName: this.o.venueOrdersTable, Key: { orderId }, ConsistentRead: true }),
    );
    return got.Item as VenueOrderItem | undefined;
  }

  /** When a DAY order booked at `atMs` ends (core `dayOrderEndMs`, this venue's session settings). */
  private dayEndOf(atMs: number, extendedHours: boolean): string {
    const end = dayOrderEndMs(atMs, this.schedule.sessionClose, { ...this.schedule, extendedHours });
    return new Date(end).toISOString();
  }

  private newItem(order: VenueOrder, at: string): VenueOrderItem {
    return {
      orderId: order.orderId,
      venueOrderId: `${this.name}-${order.orderId}`,
      venue: this.name,
      accountId: order.accountId,
      symbol: order.symbol,
      side: order.side,
      type: order.type,
      timeInForce: order.timeInForce,
      qty: order.qty,
      notional: order.notional,
      limitPrice: order.limitPrice,
      stopPrice: order.stopPrice,
      trailPrice: order.trailPrice,
      trailPercent: order.trailPercent,
      filledQty: '0',
      filledValue: '0',
      triggered: false,
      watermark: null,
      status: 'open',
      replaces: null,
      replacedBy: null,
      reportSeq: 0,
      version: 0,
      createdAt: at,
      updatedAt: at,
    };
  }

  /** An id the venue does not know: answer `unknown_order` and remember having said so. */
  private tombstone(orderId: string, at: string, execType: 'cancel_rejected' | 'replace_rejected'): Write {
    const item: VenueOrderItem = {
      ...this.newItem(
        {
          orderId,
          accountId: '',
          symbol: '',
          side: 'buy',
          type: 'market',
          timeInForce: 'day',
          qty: null,
          notional: null,
          limitPrice: null,
          stopPrice: null,
          trailPrice: null,
          trailPercent: null,
          extendedHours: false,
        },
        at,
      ),
      status: 'unknown',
    };
    const r = this.reporter(item, at);
    r.add(execType, '0', { reason: UNKNOWN_ORDER });
    return { item: r.seal(item, 1), expectedVersion: null };
  }

  protected matchItem(
    item: VenueOrderItem,
    quote: Quote,
    r: Reporter,
    at: string,
    limits: MatchLimits,
  ): { item: VenueOrderItem; quote: Quote } {
    const result = match(bookOf(item), quote, limits);
    // A trailing stop's high-water mark moved without triggering: reported, the OMS keeps it (hwm).
    const mark = result.order.watermark === null ? null : formatNanos(result.order.watermark);
    if (mark !== null && mark !== item.watermark && !result.order.triggered) {
      r.add('trail_moved', item.filledQty, { hwm: mark });
    }
    let cum = nanos(item.filledQty);
    for (const e of result.executions) {
      if (e.kind === 'fill') cum += e.qty;
      r.execution(e, cum);
    }
    return { item: withBook(item, result.order, at), quote: result.quote };
  }

  /**
   * Read the order, publish any reports a previous call left in its outbox, decide the change,
   * write it conditionally (retrying on a concurrent writer), then publish its reports.
   */
  protected async mutate(
    orderId: string,
    decideChange: (current: VenueOrderItem | undefined, at: string) => Promise<Write[] | null>,
    preloaded?: { readonly stored: VenueOrderItem | undefined },
  ): Promise<void> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      // The first attempt decides on the order as the request's own read found it; a conflict reloads.
      const current =
        attempt === 1 && preloaded !== undefined
          ? await this.currentOf(preloaded.stored)
          : await this.loadCurrent(orderId);
      const writes = await decideChange(current, new Date(this.o.now()).toISOString());
      if (writes === null) return;
      try {
        await this.write(writes);
      } catch (err) {
        if (isConditionFailure(err)) continue;
        throw err;
      }
      for (const w of itemWrites(writes)) await this.flush(w.item);
      return;
    }
    throw new TransientError(`venue order ${orderId}: too many concurrent updates`, 'ConcurrentUpdate');
  }

  /** `mutate` deciding first on the order as `read` found it (consistently, in the same request). */
  private mutateAfter(
    read: { readonly stored: VenueOrderItem | undefined },
    orderId: string,
    decideChange: (current: VenueOrderItem | undefined, at: string) => Promise<Write[] | null>,
  ): Promise<void> {
    return this.mutate(orderId, decideChange, read);
  }

  /** The order as stored, after publishing (and clearing) any outbox an earlier call left. */
  protected async loadCurrent(orderId: string): Promise<VenueOrderItem | undefined> {
    return this.currentOf(await this.load(orderId));
  }

  /** `stored` after publishing (and clearing) any outbox an earlier call left on it. */
  private async currentOf(stored: VenueOrderItem | undefined): Promise<VenueOrderItem | undefined> {
    if (stored?.outbox === undefined) return stored;
    await this.flush(stored);
    const { outbox: _, outboxPending: __, ...rest } = stored;
    return rest;
  }

  protected async write(writes: readonly Write[]): Promise<void> {
    const TableName = this.o.venueOrdersTable;
    const records = writes.flatMap((w) =>
      'auctionRecord' in w
        ? [{ TableName, Item: w.auctionRecord, ConditionExpression: 'attribute_not_exists(orderId)' }]
        : [],
    );
    const puts = [
      ...records,
      ...itemWrites(writes).map((w) => ({
        TableName,
        Item: w.item,
        ...(w.expectedVersion === null
          ? { ConditionExpression: 'attribute_not_exists(orderId)' }
          : { ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': w.expectedVersion } }),
      })),
    ];
    const updates = writes.some((w) => 'consumeRejectNext' in w)
      ? [
          {
            TableName,
            Key: venueConfigKey(this.name),
            UpdateExpression: 'SET rejectNext = :f',
            ConditionExpression: 'rejectNext = :t',
            ExpressionAttributeValues: { ':f': false, ':t': true },
          },
        ]
      : [];
    const [only] = puts;
    if (puts.length === 1 && updates.length === 0 && only !== undefined)
      await this.o.doc.send(new PutCommand(only));
    else
      await this.o.doc.send(
        new TransactWriteCommand({
          TransactItems: [...puts.map((Put) => ({ Put })), ...updates.map((Update) => ({ Update }))],
        }),
      );
  }

  /** Publishes the item's outbox, then clears it unless the item has moved on meanwhile. */
  protected async flush(item: VenueOrderItem): Promise<void> {
    const reports = item.outbox ?? [];
    if (reports.length === 0) return;
    await this.publish(reports);
    try {
      await this.o.doc.send(
        new UpdateCommand({
          TableName: this.o.venueOrdersTable,
          Key: { orderId: item.orderId },
          UpdateExpression: 'REMOVE outbox, outboxPending',
          ConditionExpression: 'version = :v',
          ExpressionAttributeValues: { ':v': item.version },
        }),
      );
    } catch (err) {
      // A newer write replaced the item (and its outbox): nothing left to clear.
      if (!isConditionFailure(err)) throw err;
    }
  }

  private async publish(reports: readonly ExecutionReport[]): Promise<void> {
    for (let i = 0; i < reports.length; i += PUT_EVENTS_BATCH) {
      let entries = reports.slice(i, i + PUT_EVENTS_BATCH).map((r) => this.entryOf(r));
      for (let attempt = 1; entries.length > 0; attempt++) {
        const out = await this.o.eventBridge.send(new PutEventsCommand({ Entries: entries }));
        if ((out.FailedEntryCount ?? 0) === 0) break;
        const failed = entries.filter((_, k) => out.Entries?.[k]?.ErrorCode !== undefined);
        if (attempt >= 3)
          throw new TransientError(
            `PutEvents: ${failed.length} execution reports not published`,
            'PutEventsFailed',
          );
        entries = failed;
      }
    }
  }

  entryOf(r: ExecutionReport): PutEventsRequestEntry {
    return {
      EventBusName: this.o.eventBusName,
      Source: VENUE_SOURCE,
      DetailType: EXECUTION_REPORT_DETAIL_TYPE,
      Time: new Date(r.transactTime),
      Resources: [],
      Detail: JSON.stringify(r),
    };
  }
}

/**
 * A simulated venue that also steps the simulated market: the market tick (market-tick.ts, through
 * wiring's `simulatedMarket`) runs `tick` on the primary's. A class of its own so that the handlers
 * reaching a simulated venue through the `Venue` port do not carry the market step (issue 12: about
 * 10 KB of each bundle); its book, reports and controls are the venue's.
 */
export class SimulatedMarket extends SimulatedVenue {
  /** The last mark this market wrote per symbol and resolution (`<symbol> <prefix>` -> `<at>|<price>`). */
  private readonly marked = new Map<string, string>();

  /**
   * The market's price history at the tick's clock (platform/price-marks.ts): each symbol's marks
   * of this observation, its daily mark only on a session day up to the close (the day's last is
   * its close). A mark this market last wrote with the same key and price is not written again: a
   * held (pinned) quote writes a resolution's mark once per slot, not five items every tick. One
   * BatchWriteItem per 25 items.
   */
  private async writeMarks(
    table: string,
    observed: readonly { symbol: string; price: string }[],
    now: number,
  ) {
    const bounds = sessionBoundsOn(newYorkDate(now), this.schedule.sessionClose, this.schedule);
    const daily = bounds !== null && now <= bounds.coreEnd;
    const fresh = observed
      .flatMap((m) => priceMarkItems(m.symbol, m.price, now, daily))
      .filter(
        (item) => this.marked.get(`${item.symbol} ${item.at.slice(0, 2)}`) !== `${item.at}|${item.price}`,
      );
    if (fresh.length === 0) return;
    await writePriceMarks(this.o.doc, table, fresh);
    for (const item of fresh)
      this.marked.set(`${item.symbol} ${item.at.slice(0, 2)}`, `${item.at}|${item.price}`);
  }

  /**
   * One market step: publish the outboxes still pending (each on its own: one that fails stays
   * pending for the next tick); then, for every symbol in the market and every symbol with resting
   * orders (in symbol order), advance its quote unless it is pinned (a pinned quote is held as the
   * operator set it), hold the auctions that are due and not yet held for the symbol, and match
   * its resting orders against the quote in turn (each taking displayed size from the next; fills
   * capped by the venue's `maxFillQty`). Auction orders whose auction is over are canceled
   * (`auction_unfilled`). Last, with a price marks table, the price marks of every symbol moved or
   * held (its last after the step, at the tick's clock: `writeMarks`). Returns what it did.
   */
  async tick(): Promise<TickResult> {
    const outboxes = await this.publishPendingOutboxes();
    const config = await this.config();
    const configs = new Map<string, VenueConfig>([[this.name, config]]);
    for (const p of VENUE_PROFILES)
      if (!configs.has(p.name)) configs.set(p.name, await this.configOf(p.name));
    const now = this.o.now();
    const { pending, over } = await this.auctionsToHold(now);
    const market = await this.marketItems();
    // The venues' health rides in the market table: not a symbol to step.
    const health = venueHealthFromItem(market.get(VENUE_HEALTH_KEY));
    market.delete(VENUE_HEALTH_KEY);
    /** Resting orders the market reached per venue this step, and how many filled (fill rates). */
    const reached = new Map<string, { reached: number; filled: number }>();
    const bySymbol = await this.restingOrders();
    const symbols = [...new Set([...market.keys(), ...bySymbol.keys()])].sort();
    const moved: string[] = [];
    const held: string[] = [];
    const skipped: string[] = [];
    /** Each moved or held symbol's last after its step: the tick's price marks. */
    const marks: { symbol: string; price: string }[] = [];
    const matched: string[] = [];
    const auctions: AuctionPrint[] = [];
    let orders = 0;
    let fills = 0;
    for (const symbol of symbols) {
      const step = await this.stepQuote(symbol, market.get(symbol));
      if (step.outcome === 'moved') moved.push(symbol);
      else if (step.outcome === 'held') held.push(symbol);
      else if (step.outcome === 'skipped') skipped.push(symbol);
      if (step.quote === null) continue;
      if (step.outcome === 'moved' || step.outcome === 'held')
        marks.push({ symbol, price: formatNanos(step.quote.last) });
      let quote = step.quote;
      const tape = step.quote;
      const pinnedNow = isPinned(market.get(symbol) ?? {}) || step.outcome === 'held';
      /** Each venue's book of the symbol this step, its displayed size taken as orders match. */
      const books = new Map<string, Quote>();
      const bookFor = (venue: string): Quote => {
        let b = books.get(venue);
        if (b === undefined) {
          b = venue === this.name ? quote : bookQuoteOf(tape, venue, pinnedNow);
          books.set(venue, b);
        }
        return b;
      };
      const ids = bySymbol.get(symbol) ?? [];
      for (const auction of pending) {
        const done = await this.holdAuction(auction, symbol, ids, quote, config, over[auction.kind]);
        quote = done.quote;
        if (done.print === null) continue;
        auctions.push(done.print);
        matched.push(...done.print.orders);
        fills += done.fills;
      }
      for (const id of ids) {
        orders++;
        // What the attempt that was written did (a conflict reruns the decision).
        let written: readonly ExecutionReport[] = [];
        await this.mutate(id, async (current, at) => {
          written = [];
          if (current === undefined || current.status !== 'open') return null;
          const r = this.reporter(current, at);
          // Taken off the book before matching: a DAY order whose day is over (no fill after the
          // close), an auction order still resting after its auction (it did not execute there).
          const dayOver = current.dayEndsAt !== undefined && Date.parse(current.dayEndsAt) <= Date.parse(at);
          const auctionOver =
            isAuctionOrder(current.timeInForce) &&
            auctionInstantOf(current) <= over[AUCTION_OF[current.timeInForce]];
          if (dayOver || auctionOver) {
            if (dayOver) r.add('expired', current.filledQty, { reason: DAY_ENDED });
            else r.add('canceled', current.filledQty, { reason: AUCTION_UNFILLED });
            written = r.reports;
            const { restingSymbol: _, ...rest } = current;
            const item = r.seal({ ...rest, status: 'canceled', updatedAt: at }, current.version + 1);
            return [{ item, expectedVersion: current.version }];
          }
          // Resting until its auction: nothing happens to it before.
          if (isAuctionOrder(current.timeInForce)) return null;
          const venue = current.venue ?? this.name;
          // A venue that is down trades nothing: its book is frozen until it is back.
          if (health.get(venue)?.down === true) return null;
          const resting = current.type === 'limit' || (current.type === 'stop_limit' && current.triggered);
          r.liquidity = resting ? 'added' : 'removed';
          const result = this.matchItem(current, bookFor(venue), r, at, configs.get(venue) ?? config);
          const fills = r.reports.some((x) => x.execType === 'fill');
          if (resting && fills) {
            // Reached: it fills on this step with the venue's passive fill chance (else another
            // venue's order traded first; it keeps its place for the next step).
            const stats = reached.get(venue) ?? { reached: 0, filled: 0 };
            reached.set(venue, stats);
            stats.reached++;
            const chance = venueProfileOf(venue)?.passiveFillPercent ?? 100;
            if (hash32(`${current.orderId}|${at}`) % 100 >= chance) return null;
            stats.filled++;
          }
          books.set(venue, result.quote);
          if (venue === this.name) quote = result.quote;
          const changed = r.reports.length > 0 || result.item.watermark !== current.watermark;
          if (!changed) return null;
          written = r.reports;
          return [{ item: r.seal(result.item, current.version + 1), expectedVersion: current.version }];
        });
        if (written.length > 0) matched.push(id);
        fills += written.filter((x) => x.execType === 'fill').length;
      }
    }
    // Every symbol's part is done: later ticks skip the auction and cancel what is still resting for it.
    for (const auction of pending) await this.recordAuctionDay(auction, new Date(now).toISOString());
    await this.recordFillRates(health, reached);
    if (this.o.priceMarksTable !== undefined) await this.writeMarks(this.o.priceMarksTable, marks, now);
    return {
      ...outboxes,
      symbols: symbols.length,
      moved,
      held,
      skipped,
      orders,
      matched,
      fills,
      auctions,
    };
  }

  /**
   * Each venue's recent fill rate of resting orders the market reached, an exponentially weighted
   * average over steps (weight 0.2 for this step), in the venues' health item: one UpdateItem, and
   * none on a step that reached no resting order.
   */
  private async recordFillRates(
    health: ReadonlyMap<string, { readonly fillRate: number | null }>,
    reached: ReadonlyMap<string, { reached: number; filled: number }>,
  ): Promise<void> {
    const rates = new Map<string, number>();
    for (const [venue, s] of reached) {
      if (s.reached === 0) continue;
      const now = s.filled / s.reached;
      const before = health.get(venue)?.fillRate ?? (venueProfileOf(venue)?.passiveFillPercent ?? 100) / 100;
      rates.set(venue, Math.round((0.8 * before + 0.2 * now) * 10_000) / 10_000);
    }
    await recordFillRates(this.o.doc, this.o.marketTable, rates);
  }

  /**
   * The auctions due at `now` that are not over yet (`pending`: no day record), and per kind the
   * latest auction instant that is over (`over`): one with a day record, or one too late to hold.
   */
  private async auctionsToHold(
    now: number,
  ): Promise<{ pending: DueAuction[]; over: Record<AuctionKind, number> }> {
    const over = Object.fromEntries(AUCTION_KINDS.map((k) => [k, now - AUCTION_LATE_MS])) as Record<
      AuctionKind,
      number
    >;
    const pending: DueAuction[] = [];
    for (const auction of dueAuctions(now, this.schedule)) {
      const key = auctionRecordKey(this.name, auction.kind, auction.date);
      if ((await this.loadRecord(key)) === undefined) pending.push(auction);
      else over[auction.kind] = Math.max(over[auction.kind], auction.at);
    }
    return { pending, over };
  }

  /**
   * Holds one symbol's part of an auction: its auction orders booked for it execute at one price
   * (`uncross`), in one transaction with the symbol's auction record, which must not exist yet.
   * (Orders booked for an earlier auction, one that is over (`overThrough`), take no part: the
   * tick cancels them.) Another tick holding it first, or a cancel landing first,
   * fails the transaction: the auction is read again (held: nothing to do) or held anew without
   * the canceled order. Returns the print (null when the symbol had no participants or another
   * tick held it) and the quote with what the auction took from the displayed size.
   */
  private async holdAuction(
    auction: DueAuction,
    symbol: string,
    restingIds: readonly string[],
    quote: Quote,
    config: VenueConfig,
    overThrough: number,
  ): Promise<{ print: AuctionPrint | null; fills: number; quote: Quote }> {
    const key = auctionRecordKey(this.name, auction.kind, auction.date, symbol);
    const tif = AUCTION_TIME_IN_FORCE[auction.kind];
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      if ((await this.loadRecord(key)) !== undefined) return { print: null, fills: 0, quote };
      const participants: VenueOrderItem[] = [];
      for (const id of restingIds) {
        const current = await this.loadCurrent(id);
        if (current?.status !== 'open' || current.timeInForce !== tif) continue;
        const booked = auctionInstantOf(current);
        if (booked > overThrough && booked <= auction.at) participants.push(current);
      }
      if (participants.length === 0) return { print: null, fills: 0, quote };
      // Time priority: booking time (a replacement's is its own), then id; the overflow stays out.
      participants.sort((a, b) => compareText(a.createdAt, b.createdAt) || compareText(a.orderId, b.orderId));
      const taking = participants.slice(0, MAX_AUCTION_ORDERS);
      const at = new Date(this.o.now()).toISOString();
      const result = uncross(taking.map(bookOf), quote, config);
      const writes: Write[] = [];
      let fills = 0;
      taking.forEach((item, k) => {
        const outcome = result.outcomes[k];
        if (outcome === undefined) return;
        const r = this.reporter(item, at);
        let cum = nanos(item.filledQty);
        for (const e of outcome.executions) {
          if (e.kind === 'fill') {
            cum += e.qty;
            fills++;
          }
          r.execution(e, cum);
        }
        writes.push({
          item: r.seal(withBook(item, outcome.order, at), item.version + 1),
          expectedVersion: item.version,
        });
      });
      const print: AuctionPrint = {
        auction: auction.kind,
        date: auction.date,
        symbol,
        price: text(result.price),
        volume: formatNanos(result.volume),
        orders: taking.map((i) => i.orderId),
      };
      const record: AuctionRecordItem = {
        ...print,
        orderId: key,
        kind: 'auction',
        venue: this.name,
        auctionAt: new Date(auction.at).toISOString(),
        heldAt: at,
        buyQty: formatNanos(result.buyQty),
        sellQty: formatNanos(result.sellQty),
        bid: formatNanos(quote.bid),
        ask: formatNanos(quote.ask),
        last: formatNanos(quote.last),
      };
      try {
        await this.write([{ auctionRecord: record }, ...writes]);
      } catch (err) {
        if (isConditionFailure(err)) continue;
        throw err;
      }
      for (const w of itemWrites(writes)) await this.flush(w.item);
      return { print, fills, quote: result.quote };
    }
    throw new TransientError(`auction ${key}: too many concurrent updates`, 'ConcurrentUpdate');
  }

  /** The auction's day record: every symbol's part is done (a record already there is fine). */
  private async recordAuctionDay(auction: DueAuction, heldAt: string): Promise<void> {
    try {
      await this.o.doc.send(
        new PutCommand({
          TableName: this.o.venueOrdersTable,
          Item: {
            orderId: auctionRecordKey(this.name, auction.kind, auction.date),
            kind: 'auction-day',
            venue: this.name,
            auction: auction.kind,
            date: auction.date,
            auctionAt: new Date(auction.at).toISOString(),
            heldAt,
          },
          ConditionExpression: 'attribute_not_exists(orderId)',
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
  }

  private async loadRecord(key: string): Promise<Record<string, unknown> | undefined> {
    const got = await this.o.doc.send(
      new GetCommand({ TableName: this.o.venueOrdersTable, Key: { orderId: key }, ConsistentRead: true }),
    );
    return got.Item;
  }

  /**
   * The quote a symbol trades at this tick. A pinned quote is held. Otherwise the walk takes one
   * step, written only if the stored quote is still the one read (`updatedAt`): an operator pinning
   * it meanwhile, or a concurrent tick, wins, and its quote is used instead. A symbol with no quote
   * is seeded first; an unreadable item is left alone (`quote` null: its orders wait).
   */
  private async stepQuote(
    symbol: string,
    stored: Record<string, unknown> | undefined,
  ): Promise<{ outcome: 'moved' | 'held' | 'skipped' | 'raced'; quote: Quote | null }> {
    const TableName = this.o.marketTable;
    let item = stored;
    if (item === undefined) {
      await this.quoteOf(symbol); // seeds it
      item = await this.marketItem(symbol);
    }
    const current = item === undefined ? null : readQuote(item);
    if (item === undefined || current === null) return { outcome: 'skipped', quote: null };
    if (isPinned(item)) return { outcome: 'held', quote: current };
    const next = advanceQuote(current, this.o.now());
    const tape = accumulateTape(tapeAccumulatorsOf(item), current, Date.parse(next.updatedAt), next);
    try {
      await this.o.doc.send(
        new PutCommand({
          TableName,
          Item: { ...quoteToItem(next), ...tapeAttributes(tape), ...carriedFacts(item, next) },
          ConditionExpression: 'updatedAt = :u',
          ExpressionAttributeValues: { ':u': current.updatedAt },
        }),
      );
      return { outcome: 'moved', quote: next };
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
    }
    const now = await this.marketItem(symbol);
    const quote = now === undefined ? null : readQuote(now);
    if (now !== undefined && quote !== null && isPinned(now)) return { outcome: 'held', quote };
    return { outcome: 'raced', quote };
  }

  private async marketItem(symbol: string): Promise<Record<string, unknown> | undefined> {
    const got = await this.o.doc.send(
      new GetCommand({ TableName: this.o.marketTable, Key: { symbol }, ConsistentRead: true }),
    );
    return got.Item;
  }

  /** Every MARKET_TABLE item by symbol (a Scan: one item per traded symbol, a small table). */
  private async marketItems(): Promise<Map<string, Record<string, unknown>>> {
    const out = new Map<string, Record<string, unknown>>();
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.o.doc.send(
        new ScanCommand({ TableName: this.o.marketTable, ConsistentRead: true, ExclusiveStartKey: start }),
      );
      for (const i of page.Items ?? []) if (typeof i.symbol === 'string') out.set(i.symbol, i);
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return out;
  }

  /** Publishes the outbox of every order listed by the sparse `byOutboxPending` index. */
  async publishPendingOutboxes(): Promise<{ readonly outboxes: number; readonly outboxFailures: number }> {
    const ids = await this.indexedOrderIds(OUTBOX_PENDING_INDEX, 'outboxPending');
    let outboxFailures = 0;
    for (const id of ids) {
      try {
        // Loading the order publishes its outbox; deciding nothing writes nothing.
        await this.mutate(id, async () => null);
      } catch {
        outboxFailures++;
      }
    }
    return { outboxes: ids.length, outboxFailures };
  }

  /** Order ids resting per symbol, from the sparse index. */
  private async restingOrders(): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (const i of await this.scanIndex(RESTING_SYMBOL_INDEX, 'restingSymbol')) {
      const symbol = String(i.restingSymbol);
      out.set(symbol, [...(out.get(symbol) ?? []), String(i.orderId)]);
    }
    for (const ids of out.values()) ids.sort();
    return out;
  }

  private async indexedOrderIds(indexName: string, key: string): Promise<string[]> {
    return (await this.scanIndex(indexName, key)).map((i) => String(i.orderId)).sort();
  }

  /** Every entry of a sparse index (few: only resting orders, or only pending outboxes). */
  private async scanIndex(indexName: string, key: string): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.o.doc.send(
        new ScanCommand({
          TableName: this.o.venueOrdersTable,
          IndexName: indexName,
          ProjectionExpression: `orderId, ${key}`,
          ExclusiveStartKey: start,
        }),
      );
      out.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start !== undefined);
    return out;
  }
}

/**
 * What a walked quote keeps of the item it replaces: the previous close, and the Rule 201 short
 * sale restriction after the step's print (core short-sales.ts; a print 10% or more below the
 * previous close triggers it).
 */
function carriedFacts(
  item: Record<string, unknown>,
  next: Quote,
): { prevClose?: string; ssrTriggeredOn?: string; ssrUntil?: string } {
  const prevClose = typeof item.prevClose === 'string' ? parseNanos(item.prevClose) : null;
  const close = typeof prevClose === 'bigint' && prevClose > 0n ? prevClose : null;
  return {
    ...(close === null ? {} : { prevClose: formatNanos(close) }),
    ...restrictionAttributes(item, close, next.last, newYorkDate(Date.parse(next.updatedAt))),
  };
}
