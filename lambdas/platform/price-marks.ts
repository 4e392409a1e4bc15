/**
 * The market's price history ("price marks"): what equity is marked to market at past times
 * (Alpaca's portfolio history). Whoever writes the tape writes a mark of each symbol's last price
 * per observation (the simulated market's tick, local mode's quote pin): a minute mark (kept 35
 * days) and a daily mark (kept; overwritten all day, so the day's last observation remains: its
 * close). The OMS reads them through `priceMarks`. Standalone functions, not a class: a bundle
 * carries only those it calls (issue 12).
 *
 * Item schema (PRICE_MARKS_TABLE: partition key `symbol` (S), sort key `at` (S)):
 * - minute mark `{symbol, at: 'm#YYYY-MM-DDTHH:MMZ' (the UTC minute observed), price, expiresAt}`
 *   (`expiresAt`: epoch seconds, the observation + 35 days: the table's TTL);
 * - daily mark `{symbol, at: 'd#YYYY-MM-DD' (the New York date observed), price}`.
 * Both key formats are fixed width, so their text order is their time order.
 */
import {
  BatchWriteCommand,
  type BatchWriteCommandOutput,
  type DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { newYorkDate } from '../core/index.js';
import { dynamo } from './dynamo.js';

export const PRICE_MARKS_TABLE_ENV = 'PRICE_MARKS_TABLE';

/** One mark of a symbol's price. */
export interface PriceMark {
  /** Epoch ms: the minute's start for a minute mark; for a daily mark 00:00 UTC of the New York date (`Date.parse(date)`). */
  readonly at: number;
  /** Canonical decimal text, as the quote's `last`. */
  readonly price: string;
}

export interface MinuteMarkItem {
  readonly symbol: string;
  readonly at: string;
  readonly price: string;
  readonly expiresAt: number;
}

export interface DayMarkItem {
  readonly symbol: string;
  readonly at: string;
  readonly price: string;
}

const MINUTE_PREFIX = 'm#';
const DAY_PREFIX = 'd#';
const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** How long a minute mark is kept (the table's TTL on `expiresAt`). */
const MINUTE_MARK_TTL_S = 35 * 86_400;
/** BatchWriteItem takes at most 25 items. */
const BATCH_WRITE_ITEMS = 25;
const MAX_ATTEMPTS = 8;
/** Symbols queried at once. */
const QUERY_CONCURRENCY = 8;

/** `m#YYYY-MM-DDTHH:MMZ`: the UTC minute of `ms`. */
const minuteKey = (ms: number): string => `${MINUTE_PREFIX}${new Date(ms).toISOString().slice(0, 16)}Z`;
/** `d#YYYY-MM-DD` of a UTC day start (the daily marks' `at` is the New York date's 00:00 UTC). */
const dayKeyOfUtc = (ms: number): string => `${DAY_PREFIX}${new Date(ms).toISOString().slice(0, 10)}`;

/** The two items one observation of `symbol` at `price` writes: its minute mark and its daily mark. */
export function priceMarkItems(
  symbol: string,
  price: string,
  observedAtMs: number,
): [MinuteMarkItem, DayMarkItem] {
  return [
    {
      symbol,
      at: minuteKey(observedAtMs),
      price,
      expiresAt: Math.floor(observedAtMs / 1000) + MINUTE_MARK_TTL_S,
    },
    { symbol, at: `${DAY_PREFIX}${newYorkDate(observedAtMs)}`, price },
  ];
}

type WriteRequests = NonNullable<BatchWriteCommandOutput['UnprocessedItems']>[string];

/**
 * Writes the marks of one observation (`observedAtMs`) of each symbol: BatchWriteItem, 25 items
 * a request, the items DynamoDB leaves unprocessed written again with a bounded backoff (a
 * persistent failure throws). A symbol given twice keeps its last price.
 */
export async function writePriceMarks(
  doc: DynamoDBDocumentClient,
  table: string,
  marks: readonly { readonly symbol: string; readonly price: string }[],
  observedAtMs: number,
): Promise<void> {
  // One request must not name a key twice.
  const bySymbol = new Map<string, string>();
  for (const m of marks) bySymbol.set(m.symbol, m.price);
  const items = [...bySymbol].flatMap(([symbol, price]) => priceMarkItems(symbol, price, observedAtMs));
  for (let i = 0; i < items.length; i += BATCH_WRITE_ITEMS) {
    let pending: WriteRequests | undefined = items
      .slice(i, i + BATCH_WRITE_ITEMS)
      .map((Item) => ({ PutRequest: { Item: { ...Item } } }));
    for (let attempt = 0; pending !== undefined && pending.length > 0; attempt++) {
      if (attempt >= MAX_ATTEMPTS) throw new Error('BatchWriteItem kept leaving price marks unprocessed');
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
      const out: BatchWriteCommandOutput = await doc.send(
        new BatchWriteCommand({ RequestItems: { [table]: pending } }),
      );
      pending = out.UnprocessedItems?.[table];
    }
  }
}

/** The first mark key at or after `ms` and the last at or before `toMs`, per resolution. */
function keyRange(fromMs: number, toMs: number, resolution: 'minute' | 'day'): [string, string] {
  if (resolution === 'minute')
    return [
      minuteKey(Math.ceil(fromMs / MINUTE_MS) * MINUTE_MS),
      minuteKey(Math.floor(toMs / MINUTE_MS) * MINUTE_MS),
    ];
  return [dayKeyOfUtc(Math.ceil(fromMs / DAY_MS) * DAY_MS), dayKeyOfUtc(Math.floor(toMs / DAY_MS) * DAY_MS)];
}

/** The mark of an item read (null when its key or price is not a mark's). */
function markOf(item: Record<string, unknown>, prefix: string): PriceMark | null {
  const key = item.at;
  const price = item.price;
  if (typeof key !== 'string' || typeof price !== 'string' || !key.startsWith(prefix)) return null;
  const text = key.slice(prefix.length);
  const at = Date.parse(prefix === MINUTE_PREFIX ? `${text.slice(0, -1)}:00Z` : text);
  return Number.isFinite(at) ? { at, price } : null;
}

async function marksOf(
  doc: DynamoDBDocumentClient,
  table: string,
  symbol: string,
  fromKey: string,
  toKey: string,
  prefix: string,
): Promise<PriceMark[]> {
  const read = {
    TableName: table,
    ProjectionExpression: '#at, price',
    ExpressionAttributeNames: { '#sy': 'symbol', '#at': 'at' },
  };
  // The last mark before the window (the value at its start). Keys below `m#` are `d#` ones:
  // an item of the other prefix means there is none.
  const before = await doc.send(
    new QueryCommand({
      ...read,
      KeyConditionExpression: '#sy = :s AND #at < :from',
      ExpressionAttributeValues: { ':s': symbol, ':from': fromKey },
      ScanIndexForward: false,
      Limit: 1,
    }),
  );
  const out: PriceMark[] = [];
  const first = before.Items?.[0] === undefined ? null : markOf(before.Items[0], prefix);
  if (first !== null) out.push(first);
  if (fromKey > toKey) return out; // no whole minute (day) inside the window
  let start: Record<string, unknown> | undefined;
  do {
    const page: QueryCommandOutput = await doc.send(
      new QueryCommand({
        ...read,
        KeyConditionExpression: '#sy = :s AND #at BETWEEN :from AND :to',
        ExpressionAttributeValues: { ':s': symbol, ':from': fromKey, ':to': toKey },
        ExclusiveStartKey: start,
      }),
    );
    for (const i of page.Items ?? []) {
      const m = markOf(i, prefix);
      if (m !== null) out.push(m);
    }
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return out;
}

/**
 * Per symbol, ascending by time: every mark of `resolution` with `at` in [fromMs, toMs], plus the
 * last mark before fromMs (so a caller can value the start of the window). A symbol without marks
 * maps to []. Queries (eventually consistent), up to 8 symbols at a time. Without `deps`: the
 * shared client and PRICE_MARKS_TABLE (unset: a rejection).
 */
export async function priceMarks(
  symbols: readonly string[],
  fromMs: number,
  toMs: number,
  resolution: 'minute' | 'day',
  deps?: { readonly doc: DynamoDBDocumentClient; readonly table: string },
): Promise<ReadonlyMap<string, readonly PriceMark[]>> {
  const table = deps?.table ?? process.env[PRICE_MARKS_TABLE_ENV];
  if (table === undefined || table === '')
    throw new Error(
      `price marks: environment variable ${PRICE_MARKS_TABLE_ENV} is not set (the function was not given the price marks table)`,
    );
  const doc = deps?.doc ?? dynamo;
  const [fromKey, toKey] = keyRange(fromMs, toMs, resolution);
  const prefix = resolution === 'minute' ? MINUTE_PREFIX : DAY_PREFIX;
  const unique = [...new Set(symbols)];
  const out = new Map<string, readonly PriceMark[]>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < unique.length) {
      const symbol = unique[next++] as string;
      out.set(symbol, await marksOf(doc, table, symbol, fromKey, toKey, prefix));
    }
  };
  await Promise.all(Array.from({ length: Math.min(QUERY_CONCURRENCY, unique.length) }, worker));
  // In the order asked.
  return new Map(unique.map((s) => [s, out.get(s) ?? []]));
}
