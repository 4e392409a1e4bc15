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
 * A cancel or replace of an order the venue has never seen is answered `unknown_order` and leaves
 * a tombstone, so a submission arriving after that answer is not booked.
 */

import type { EventBridgeClient, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  ScanCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  formatNanos,
  formatValue18,
  max,
  type Nanos,
  nanos,
  parseValue18,
  type ReplaceChanges,
} from '../core/index.js';
import { TransientError } from '../shared/transient-errors.js';
import {
  EXECUTION_REPORT_DETAIL_TYPE,
  type ExecType,
  type ExecutionReport,
  TOO_LATE_TO_CANCEL,
  UNKNOWN_ORDER,
  VENUE_SOURCE,
} from './execution-report.js';
import { advanceQuote, type Quote, type QuoteItem, quoteFromItem, quoteToItem, seedQuote } from './market.js';
import { type BookOrder, type BookStatus, type Execution, match } from './matching.js';
import type { Venue, VenueOrder } from './venue.js';

export const RESTING_SYMBOL_INDEX = 'byRestingSymbol';
export const OUTBOX_PENDING_INDEX = 'byOutboxPending';
export const UNKNOWN_SYMBOL = 'unknown_symbol';
export const TOO_LATE_TO_REPLACE = 'too_late_to_replace';
const MAX_ATTEMPTS = 8;
const PUT_EVENTS_BATCH = 10;

/** What a market tick did: outboxes published (and failed again), symbols moved, orders matched. */
export interface TickResult {
  readonly outboxes: number;
  readonly outboxFailures: number;
  readonly symbols: number;
  readonly orders: number;
}

/** `unknown`: a tombstone for an id the venue answered `unknown_order` for. */
export type VenueOrderStatus = BookStatus | 'unknown';

/** The VENUE_ORDERS_TABLE item. Decimals as canonical text (`filledValue` at scale 18). */
export interface VenueOrderItem {
  readonly orderId: string;
  readonly venueOrderId: string;
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
  /** Present only while `outbox` is (sparse key of `byOutboxPending`): when it was written. */
  readonly outboxPending?: string;
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
}

/** One item to write: new (`expectedVersion` null) or replacing the version it was read at. */
interface Write {
  readonly item: VenueOrderItem;
  readonly expectedVersion: number | null;
}

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
  ) {}

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
    if (e.kind === 'fill') this.add('fill', cum, { lastQty: formatNanos(e.qty), lastPx: formatNanos(e.px) });
    else if (e.kind === 'canceled') this.add('canceled', cum, { reason: e.reason });
    else
      this.add('triggered', cum, {
        triggerPrice: formatNanos(e.triggerPrice),
        bid: formatNanos(e.bid),
        ask: formatNanos(e.ask),
      });
  }

  /** The item with these reports in its outbox and its counter advanced. */
  seal(i: VenueOrderItem, version: number): VenueOrderItem {
    return {
      ...i,
      reportSeq: this.seq,
      version,
      ...(this.reports.length > 0 ? { outbox: this.reports, outboxPending: this.at } : {}),
    };
  }
}

function isConditionFailure(err: unknown): boolean {
  const name = (err as { name?: string }).name;
  if (name === 'ConditionalCheckFailedException') return true;
  if (name !== 'TransactionCanceledException') return false;
  const reasons = (err as { CancellationReasons?: { Code?: string }[] }).CancellationReasons ?? [];
  return reasons.some((r) => r.Code === 'ConditionalCheckFailed');
}

export class SimulatedVenue implements Venue {
  readonly name: string;

  constructor(private readonly o: SimulatedVenueOptions) {
    this.name = o.venueName;
  }

  async submit(order: VenueOrder): Promise<void> {
    await this.mutate(order.orderId, async (current, at) => {
      // Already booked (or answered): a repeated submit changes nothing and reports nothing.
      if (current !== undefined) return null;
      const item = this.newItem(order, at);
      const r = new Reporter(this.name, item, at);
      if (order.symbol.toUpperCase().startsWith('REJ')) {
        r.add('rejected', '0', { reason: UNKNOWN_SYMBOL });
        return [{ item: r.seal({ ...item, status: 'rejected' }, 1), expectedVersion: null }];
      }
      r.add('new', '0');
      const quote = await this.quoteOf(order.symbol);
      const matched = this.matchItem({ ...item, restingSymbol: order.symbol }, quote, r, at);
      return [{ item: r.seal(matched.item, 1), expectedVersion: null }];
    });
  }

  async cancel(orderId: string, _reason: string): Promise<void> {
    await this.mutate(orderId, async (current, at) => {
      if (current === undefined) return [this.tombstone(orderId, at, 'cancel_rejected')];
      // Already canceled, or already answered as unknown: nothing more to say.
      if (current.status === 'canceled' || current.status === 'unknown') return null;
      const r = new Reporter(this.name, current, at);
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
    await this.mutate(orderId, async (current, at) => {
      if (current === undefined) return [this.tombstone(orderId, at, 'replace_rejected')];
      if (current.replacedBy === replacementOrderId) return null; // already replaced: a retry
      const r = new Reporter(this.name, current, at);
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
      const base: VenueOrderItem = {
        ...rest,
        orderId: replacementOrderId,
        qty: formatNanos(qty),
        limitPrice: changes.limitPrice ?? current.limitPrice,
        stopPrice: changes.stopPrice ?? current.stopPrice,
        trailPrice: changes.trailPrice ?? (changes.trailPercent !== undefined ? null : current.trailPrice),
        trailPercent:
          changes.trailPercent ?? (changes.trailPrice !== undefined ? null : current.trailPercent),
        timeInForce: changes.timeInForce ?? current.timeInForce,
        status: qty > filled ? 'open' : 'filled',
        ...(qty > filled ? { restingSymbol: current.symbol } : {}),
        replaces: orderId,
        replacedBy: null,
        reportSeq: 0,
        version: 0,
        createdAt: at,
        updatedAt: at,
      };
      const rr = new Reporter(this.name, base, at);
      const matched =
        base.status === 'open' ? this.matchItem(base, await this.quoteOf(base.symbol), rr, at).item : base;
      return [
        { item: old, expectedVersion: current.version },
        { item: rr.seal(matched, 1), expectedVersion: null },
      ];
    });
  }

  /**
   * One market step: publish the outboxes still pending (each on its own: one that fails stays
   * pending for the next tick), advance the quote of every symbol with resting orders, then match
   * those orders against it in turn (each taking displayed size from the next). Returns what it did.
   */
  async tick(): Promise<TickResult> {
    const outboxes = await this.publishPendingOutboxes();
    const bySymbol = await this.restingOrders();
    let orders = 0;
    for (const [symbol, ids] of bySymbol) {
      let quote = advanceQuote(await this.quoteOf(symbol), this.o.now());
      await this.o.doc.send(new PutCommand({ TableName: this.o.marketTable, Item: quoteToItem(quote) }));
      for (const id of ids) {
        orders++;
        await this.mutate(id, async (current, at) => {
          if (current === undefined || current.status !== 'open') return null;
          const r = new Reporter(this.name, current, at);
          const matched = this.matchItem(current, quote, r, at);
          quote = matched.quote;
          const changed = r.reports.length > 0 || matched.item.watermark !== current.watermark;
          if (!changed) return null;
          return [{ item: r.seal(matched.item, current.version + 1), expectedVersion: current.version }];
        });
      }
    }
    return { ...outboxes, symbols: bySymbol.size, orders };
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

  async load(orderId: string): Promise<VenueOrderItem | undefined> {
    const got = await this.o.doc.send(
      new GetCommand({ TableName: this.o.venueOrdersTable, Key: { orderId }, ConsistentRead: true }),
    );
    return got.Item as VenueOrderItem | undefined;
  }

  private newItem(order: VenueOrder, at: string): VenueOrderItem {
    return {
      orderId: order.orderId,
      venueOrderId: `${this.name}-${order.orderId}`,
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
    const r = new Reporter(this.name, item, at);
    r.add(execType, '0', { reason: UNKNOWN_ORDER });
    return { item: r.seal(item, 1), expectedVersion: null };
  }

  private matchItem(
    item: VenueOrderItem,
    quote: Quote,
    r: Reporter,
    at: string,
  ): { item: VenueOrderItem; quote: Quote } {
    const result = match(bookOf(item), quote);
    let cum = nanos(item.filledQty);
    for (const e of result.executions) {
      if (e.kind === 'fill') cum += e.qty;
      r.execution(e, cum);
    }
    return { item: withBook(item, result.order, at), quote: result.quote };
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

  /**
   * Read the order, publish any reports a previous call left in its outbox, decide the change,
   * write it conditionally (retrying on a concurrent writer), then publish its reports.
   */
  private async mutate(
    orderId: string,
    decideChange: (current: VenueOrderItem | undefined, at: string) => Promise<Write[] | null>,
  ): Promise<void> {
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      const stored = await this.load(orderId);
      let current = stored;
      if (stored?.outbox !== undefined) {
        await this.flush(stored);
        const { outbox: _, outboxPending: __, ...rest } = stored;
        current = rest;
      }
      const writes = await decideChange(current, new Date(this.o.now()).toISOString());
      if (writes === null) return;
      try {
        await this.write(writes);
      } catch (err) {
        if (isConditionFailure(err)) continue;
        throw err;
      }
      for (const w of writes) await this.flush(w.item);
      return;
    }
    throw new TransientError(`venue order ${orderId}: too many concurrent updates`, 'ConcurrentUpdate');
  }

  private async write(writes: readonly Write[]): Promise<void> {
    const puts = writes.map((w) => ({
      TableName: this.o.venueOrdersTable,
      Item: w.item,
      ...(w.expectedVersion === null
        ? { ConditionExpression: 'attribute_not_exists(orderId)' }
        : { ConditionExpression: 'version = :v', ExpressionAttributeValues: { ':v': w.expectedVersion } }),
    }));
    const [only] = puts;
    if (puts.length === 1 && only !== undefined) await this.o.doc.send(new PutCommand(only));
    else await this.o.doc.send(new TransactWriteCommand({ TransactItems: puts.map((Put) => ({ Put })) }));
  }

  /** Publishes the item's outbox, then clears it unless the item has moved on meanwhile. */
  private async flush(item: VenueOrderItem): Promise<void> {
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
