/**
 * The Data Warehouse's rows (issue 15, docs/warehouse.md): ONE mapping from an OMS bus event to the
 * row of a warehouse table, used on AWS by the Firehose transformation function
 * (lambdas/data-warehouse/transform-records.ts) and locally by the same function under local mode's
 * Firehose stand-in, so the rows Athena and DuckDB read are the same. The tables' columns are
 * declared here too: the stack builds the Glue tables from them (lib/data-warehouse.ts) and local
 * mode writes its Parquet files with the Glue table's columns read back from the template.
 *
 * Row conventions (what Firehose's Hive JSON deserializer reads into the Glue columns):
 * - column names are lower snake_case (Glue and Athena fold names to lower case);
 * - decimals (quantities, prices, fees) stay canonical decimal text, read into `decimal(38,9)`:
 *   never binary floating point for money or quantity; TCA measures (basis points, ratios) are
 *   `double`;
 * - timestamps are UTC `yyyy-MM-dd HH:mm:ss.SSS` (what `java.sql.Timestamp.valueOf`, the Hive
 *   deserializer's default, parses, and what DuckDB casts to TIMESTAMP);
 * - the partition `date` is the New York trading date of `occurredAt` (`YYYY-MM-DD`), so a session,
 *   extended hours included, is one partition.
 */

import { newYorkDate } from './session.js';

export const WAREHOUSE_TABLES = ['orders', 'executions', 'tca'] as const;
export type WarehouseTable = (typeof WAREHOUSE_TABLES)[number];

/** The partition column of every table (a string `YYYY-MM-DD`, the S3 key `date=YYYY-MM-DD`). */
export const WAREHOUSE_PARTITION_KEY = 'date';

/** Glue (Hive) column types the tables use. */
export type WarehouseColumnType = 'string' | 'bigint' | 'double' | 'boolean' | 'timestamp' | 'decimal(38,9)';

export interface WarehouseColumn {
  readonly name: string;
  readonly type: WarehouseColumnType;
  readonly comment: string;
}

const DEC = 'decimal(38,9)' as const;
const col = (name: string, type: WarehouseColumnType, comment: string): WarehouseColumn => ({
  name,
  type,
  comment,
});

/** Columns every table starts with: the event's envelope. */
const ENVELOPE: readonly WarehouseColumn[] = [
  col('event_id', 'string', 'detail.metadata.eventId (dedupe on it: delivery is at least once)'),
  col('event_type', 'string', 'the detail-type'),
  col('order_id', 'string', 'detail.metadata.orderId'),
  col('account_id', 'string', 'detail.metadata.accountId'),
  col('seq', 'bigint', "the event's sequence number in its order's stream"),
  col('occurred_at', 'timestamp', 'detail.metadata.occurredAt, UTC'),
];

export const WAREHOUSE_COLUMNS: Readonly<Record<WarehouseTable, readonly WarehouseColumn[]>> = {
  orders: [
    ...ENVELOPE,
    col(
      'status',
      'string',
      'Alpaca status after the event: pending_new, filled, canceled, expired, rejected, replaced',
    ),
    col('client_order_id', 'string', 'OrderSubmitted only'),
    col('symbol', 'string', 'OrderSubmitted only (join closing rows on order_id)'),
    col('side', 'string', 'buy | sell'),
    col('order_type', 'string', 'market, limit, stop, stop_limit, trailing_stop'),
    col('time_in_force', 'string', 'day, gtc, opg, cls, ioc, fok'),
    col('qty', DEC, 'ordered quantity (null for a notional order)'),
    col('notional', DEC, 'ordered notional (null for a qty order)'),
    col('limit_price', DEC, ''),
    col('stop_price', DEC, ''),
    col('trail_price', DEC, ''),
    col('trail_percent', DEC, ''),
    col('extended_hours', 'boolean', ''),
    col('order_class', 'string', 'simple, bracket, oco, oto'),
    col('algorithm', 'string', 'advanced_instructions.algorithm (TWAP, VWAP, DMA)'),
    col('position_intent', 'string', ''),
    col('replaces', 'string', 'the order this one replaces'),
    col('group_id', 'string', 'contingent or algorithmic group root'),
    col('parent_order_id', 'string', "the leg's or algo child's parent"),
    col('leg_role', 'string', 'entry, take_profit, stop_loss, algo_parent, algo_child'),
    col('filled_qty', DEC, 'OrderFilled: the filled quantity'),
    col('filled_avg_price', DEC, 'OrderFilled: the average fill price'),
    col('reason', 'string', 'OrderRejected / OrderCanceled reason'),
    col('correlation_id', 'string', 'detail.metadata.correlationId'),
  ],
  executions: [
    ...ENVELOPE,
    col('exec_id', 'string', "the venue's execution id"),
    col('last_qty', DEC, 'quantity of this fill'),
    col('last_px', DEC, 'price of this fill'),
    col('venue', 'string', 'where it executed'),
    col('filled_qty', DEC, "the order's filled quantity after this fill"),
    col('leaves_qty', DEC, "the order's open quantity after this fill"),
    col('filled_avg_price', DEC, "the order's average price after this fill"),
    col('is_final', 'boolean', 'OrderFilled (the last fill)'),
    col('fee', DEC, 'signed: negative is a rebate'),
    col('liquidity', 'string', 'added | removed'),
    col('bid', DEC, 'NBBO bid at execution'),
    col('ask', DEC, 'NBBO ask at execution'),
    col('child_order_id', 'string', "an algorithmic parent's mirrored child fill"),
  ],
  tca: [
    ...ENVELOPE,
    col('symbol', 'string', ''),
    col('side', 'string', ''),
    col('arrival_mid', DEC, 'data.arrival.mid: the NBBO midpoint when the OMS accepted the order'),
    col('arrival_slippage_bps', 'double', 'data.arrivalSlippageBps'),
    col('is_total_bps', 'double', 'data.implementationShortfall.total.bps'),
    col('fill_rate', 'double', 'data.fillRate (0..1)'),
    col('vwap_slippage_bps', 'double', 'data.benchmarks.vwap.slippageBps'),
    col('data', 'string', 'the whole OrderTcaRecorded data as JSON (json_extract in DuckDB and Athena)'),
  ],
};

/** The detail-types each table takes (source `stockbot.oms`); the bus rules use these lists. */
export const WAREHOUSE_DETAIL_TYPES: Readonly<Record<WarehouseTable, readonly string[]>> = {
  orders: [
    'OrderSubmitted',
    'OrderFilled',
    'OrderCanceled',
    'OrderExpired',
    'OrderRejected',
    'OrderReplaced',
  ],
  executions: ['OrderPartiallyFilled', 'OrderFilled'],
  tca: ['OrderTcaRecorded'],
};

export const WAREHOUSE_SOURCE = 'stockbot.oms';

export type WarehouseValue = string | number | boolean | null;
export type WarehouseRow = Readonly<Record<string, WarehouseValue>>;

/** One event as the mapping reads it (an EventBridge event; other fields are ignored). */
export interface WarehouseBusEvent {
  readonly source?: unknown;
  readonly 'detail-type'?: unknown;
  readonly detail?: unknown;
}

export type WarehouseMapping =
  /** The row, and its partition's value. */
  | {
      readonly kind: 'row';
      readonly table: WarehouseTable;
      readonly date: string;
      readonly row: WarehouseRow;
    }
  /** Not an event of this table (the table's rule would not have sent it). */
  | { readonly kind: 'skip' }
  /** An event of this table that cannot be a row: it goes to the errors prefix, not silently away. */
  | { readonly kind: 'invalid'; readonly reason: string };

const CLOSING_STATUS: Readonly<Record<string, string>> = {
  OrderFilled: 'filled',
  OrderCanceled: 'canceled',
  OrderExpired: 'expired',
  OrderRejected: 'rejected',
  OrderReplaced: 'replaced',
};

const DECIMAL = /^-?\d+(\.\d+)?$/;
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

class Invalid extends Error {}

type Obj = Readonly<Record<string, unknown>>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function field(o: Obj, key: string, where: string): Obj {
  const v = o[key];
  if (!isObj(v)) throw new Invalid(`${where}.${key} is not an object`);
  return v;
}

function text(o: Obj, key: string, where: string): string {
  const v = o[key];
  if (typeof v !== 'string' || v === '') throw new Invalid(`${where}.${key} is not a non-empty string`);
  return v;
}

function optText(o: Obj, key: string, where: string): string | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string') throw new Invalid(`${where}.${key} is not a string`);
  return v;
}

/** Canonical decimal text (a JSON number is accepted and kept as its text), or null when absent. */
function optDecimal(o: Obj, key: string, where: string): string | null {
  const v = o[key];
  if (v === undefined || v === null) return null;
  const s = typeof v === 'number' && Number.isFinite(v) ? String(v) : v;
  if (typeof s !== 'string' || !DECIMAL.test(s)) throw new Invalid(`${where}.${key} is not a decimal`);
  return s;
}

/** A measure (basis points, ratio) as a number: a JSON number or decimal text; null when absent. */
function optMeasure(o: Obj | null, key: string, where: string): number | null {
  if (o === null) return null;
  const v = o[key];
  if (v === undefined || v === null) return null;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  if (typeof v === 'string' && DECIMAL.test(v)) return Number(v);
  throw new Invalid(`${where}.${key} is not a number`);
}

/** `2024-01-02T03:04:05.678Z` -> `2024-01-02 03:04:05.678` (UTC), and the instant. */
function utcTimestamp(iso: string, where: string): { text: string; ms: number } {
  const ms = ISO_INSTANT.test(iso) ? Date.parse(iso) : Number.NaN;
  if (!Number.isFinite(ms)) throw new Invalid(`${where} is not an ISO-8601 instant`);
  const t = new Date(ms).toISOString();
  return { text: `${t.slice(0, 10)} ${t.slice(11, 23)}`, ms };
}

function envelope(detailType: string, detail: Obj) {
  const m = field(detail, 'metadata', 'detail');
  const seq = m.seq;
  if (typeof seq !== 'number' || !Number.isSafeInteger(seq) || seq < 0)
    throw new Invalid('detail.metadata.seq is not a non-negative integer');
  const at = utcTimestamp(text(m, 'occurredAt', 'detail.metadata'), 'detail.metadata.occurredAt');
  return {
    date: newYorkDate(at.ms),
    correlationId: optText(m, 'correlationId', 'detail.metadata'),
    row: {
      event_id: text(m, 'eventId', 'detail.metadata'),
      event_type: detailType,
      order_id: text(m, 'orderId', 'detail.metadata'),
      account_id: text(m, 'accountId', 'detail.metadata'),
      seq,
      occurred_at: at.text,
    },
  };
}

function ordersRow(detailType: string, data: Obj): Record<string, WarehouseValue> {
  const row: Record<string, WarehouseValue> = {};
  if (detailType === 'OrderSubmitted') {
    const order = field(data, 'order', 'detail.data');
    const w = 'detail.data.order';
    const contingency = isObj(data.contingency) ? data.contingency : null;
    const advanced = isObj(order.advancedInstructions) ? order.advancedInstructions : null;
    const held = contingency?.held === true;
    Object.assign(row, {
      status: held ? 'held' : 'pending_new',
      client_order_id: optText(data, 'clientOrderId', 'detail.data'),
      symbol: text(order, 'symbol', w),
      side: text(order, 'side', w),
      order_type: text(order, 'type', w),
      time_in_force: text(order, 'timeInForce', w),
      qty: optDecimal(order, 'qty', w),
      notional: optDecimal(order, 'notional', w),
      limit_price: optDecimal(order, 'limitPrice', w),
      stop_price: optDecimal(order, 'stopPrice', w),
      trail_price: optDecimal(order, 'trailPrice', w),
      trail_percent: optDecimal(order, 'trailPercent', w),
      extended_hours: order.extendedHours === true,
      order_class: contingency?.orderClass === 'algo' ? 'algo' : optText(order, 'orderClass', w),
      algorithm: advanced === null ? null : optText(advanced, 'algorithm', `${w}.advancedInstructions`),
      position_intent: optText(order, 'positionIntent', w),
      replaces: optText(data, 'replaces', 'detail.data'),
      group_id: contingency === null ? null : optText(contingency, 'groupId', 'detail.data.contingency'),
      parent_order_id:
        contingency === null ? null : optText(contingency, 'parentOrderId', 'detail.data.contingency'),
      leg_role: contingency === null ? null : optText(contingency, 'role', 'detail.data.contingency'),
    });
    return row;
  }
  row.status = CLOSING_STATUS[detailType] ?? null;
  if (detailType === 'OrderFilled') {
    row.filled_qty = optDecimal(data, 'filledQty', 'detail.data');
    row.filled_avg_price = optDecimal(data, 'filledAvgPrice', 'detail.data');
  }
  if (detailType === 'OrderRejected' || detailType === 'OrderCanceled')
    row.reason = optText(data, 'reason', 'detail.data');
  return row;
}

function executionsRow(detailType: string, data: Obj): Record<string, WarehouseValue> {
  const w = 'detail.data';
  const liquidity = optText(data, 'liquidity', w);
  if (liquidity !== null && liquidity !== 'added' && liquidity !== 'removed')
    throw new Invalid(`${w}.liquidity is not 'added' or 'removed'`);
  return {
    exec_id: text(data, 'execId', w),
    last_qty: optDecimal(data, 'lastQty', w),
    last_px: optDecimal(data, 'lastPx', w),
    venue: optText(data, 'venue', w),
    filled_qty: optDecimal(data, 'filledQty', w),
    leaves_qty: optDecimal(data, 'leavesQty', w),
    filled_avg_price: optDecimal(data, 'filledAvgPrice', w),
    is_final: detailType === 'OrderFilled',
    fee: optDecimal(data, 'fee', w),
    liquidity,
    bid: optDecimal(data, 'bid', w),
    ask: optDecimal(data, 'ask', w),
    child_order_id: optText(data, 'childOrderId', w),
  };
}

function tcaRow(data: Obj): Record<string, WarehouseValue> {
  const w = 'detail.data';
  const shortfall = isObj(data.implementationShortfall) ? data.implementationShortfall : null;
  const total = shortfall !== null && isObj(shortfall.total) ? shortfall.total : null;
  const benchmarks = isObj(data.benchmarks) ? data.benchmarks : null;
  const vwap = benchmarks !== null && isObj(benchmarks.vwap) ? benchmarks.vwap : null;
  return {
    symbol: optText(data, 'symbol', w),
    side: optText(data, 'side', w),
    arrival_mid: isObj(data.arrival) ? optDecimal(data.arrival, 'mid', `${w}.arrival`) : null,
    arrival_slippage_bps: optMeasure(data, 'arrivalSlippageBps', w),
    is_total_bps: optMeasure(total, 'bps', `${w}.implementationShortfall.total`),
    fill_rate: optMeasure(data, 'fillRate', w),
    vwap_slippage_bps: optMeasure(vwap, 'slippageBps', `${w}.benchmarks.vwap`),
    data: JSON.stringify(data),
  };
}

/**
 * The row `event` makes in `table`: every column of the table present (null when the event has no
 * value for it), in the table's column order.
 */
export function warehouseRowOf(table: WarehouseTable, event: WarehouseBusEvent): WarehouseMapping {
  const detailType = event['detail-type'];
  if (
    event.source !== WAREHOUSE_SOURCE ||
    typeof detailType !== 'string' ||
    !WAREHOUSE_DETAIL_TYPES[table].includes(detailType)
  )
    return { kind: 'skip' };
  try {
    if (!isObj(event.detail)) throw new Invalid('detail is not an object');
    const env = envelope(detailType, event.detail);
    const data = event.detail.data === undefined ? {} : field(event.detail, 'data', 'detail');
    const specific =
      table === 'orders'
        ? { ...ordersRow(detailType, data), correlation_id: env.correlationId }
        : table === 'executions'
          ? executionsRow(detailType, data)
          : tcaRow(data);
    const all: Record<string, WarehouseValue> = { ...env.row, ...specific };
    const row: Record<string, WarehouseValue> = {};
    for (const c of WAREHOUSE_COLUMNS[table]) row[c.name] = all[c.name] ?? null;
    return { kind: 'row', table, date: env.date, row };
  } catch (e) {
    if (e instanceof Invalid) return { kind: 'invalid', reason: e.message };
    throw e;
  }
}

/** Every table's row of `event` (an OrderFilled is a row of `orders` and one of `executions`). */
export function warehouseRowsOf(event: WarehouseBusEvent): WarehouseMapping[] {
  return WAREHOUSE_TABLES.map((t) => warehouseRowOf(t, event)).filter((m) => m.kind !== 'skip');
}

export function isWarehouseTable(name: string): name is WarehouseTable {
  return (WAREHOUSE_TABLES as readonly string[]).includes(name);
}
