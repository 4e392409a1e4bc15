/**
 * The market's price history ("price marks"): what equity is marked to market at past times
 * (Alpaca's portfolio history). Whoever writes the tape writes marks of each symbol's last price per
 * observation (the simulated market's tick, local mode's quote pin), one per resolution a portfolio
 * history reads, each the last observation of its slot: a minute, five minutes, a quarter hour and
 * an hour (kept 35 days: intraday series cover at most 31), and the New York day's close (kept;
 * written only by observations of a session day up to its close, so its last is the close). A
 * reader reads the marks of its timeframe only: a month of 15-minute windows reads 2,976 marks a
 * symbol, not 44,640 minutes. Standalone functions, not a class: a bundle carries only those it
 * calls (issue 12).
 *
 * Item schema (PRICE_MARKS_TABLE: partition key `symbol` (S), sort key `at` (S)):
 * - intraday mark `{symbol, at: '<m|f|q|h>#YYYY-MM-DDTHH:MMZ' (the UTC start of its 1, 5, 15 or
 *   60 minute slot), price, expiresAt}` (`expiresAt`: epoch seconds, the observation + 35 days);
 * - daily mark `{symbol, at: 'd#YYYY-MM-DD' (the New York date observed), price}`.
 * Each prefix's keys are fixed width, so their text order is their time order, and the prefixes
 * keep each resolution's keys together.
 */
import {
  BatchWriteCommand,
  type BatchWriteCommandOutput,
  type DynamoDBDocumentClient,
  QueryCommand,
  type QueryCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import { newYorkDate, type PortfolioTimeframe, TIMEFRAME_MS } from '../core/index.js';
import { dynamo } from './dynamo.js';

export const PRICE_MARKS_TABLE_ENV = 'PRICE_MARKS_TABLE';

/** A resolution of marks: a portfolio history's timeframe. */
export type MarkResolution = PortfolioTimeframe;

/** One mark of a symbol's price. */
export interface PriceMark {
  /** Epoch ms: the slot's start for an intraday mark; for a daily mark 00:00 UTC of the New York date (`Date.parse(date)`). */
  readonly at: number;
  /** Canonical decimal text, as the quote's `last`. */
  readonly price: string;
}

/** A mark's item: `expiresAt` on intraday marks only. */
export interface PriceMarkItem {
  readonly symbol: string;
  readonly at: string;
  readonly price: string;
  readonly expiresAt?: number;
}

const PREFIX: Readonly<Record<MarkResolution, string>> = {
  '1Min': 'm#',
  '5Min': 'f#',
  '15Min': 'q#',
  '1H': 'h#',
  '1D': 'd#',
};
const DAY_PREFIX = 'd#';
const DAY_MS = 86_400_000;
/** How long an intraday mark is kept (the table's TTL on `expiresAt`). */
const INTRADAY_MARK_TTL_S = 35 * 86_400;
/** BatchWriteItem takes at most 25 items. */
const BATCH_WRITE_ITEMS = 25;
const MAX_ATTEMPTS = 8;
/** Symbols queried at once. */
const QUERY_CONCURRENCY = 8;

/** `<prefix>YYYY-MM-DDTHH:MMZ`: the UTC minute `ms` starts. */
const slotKey = (prefix: string, ms: number): string =>
  `${prefix}${new Date(ms).toISOString().slice(0, 16)}Z`;
/** `d#YYYY-MM-DD` of a UTC day start (the daily marks' `at` is the New York date's 00:00 UTC). */
const dayKeyOfUtc = (ms: number): string => `${DAY_PREFIX}${new Date(ms).toISOString().slice(0, 10)}`;

/**
 * The items one observation of `symbol` at `price` writes: a mark per intraday resolution (its
 * slot's), and, with `daily` (an observation of a session day up to its close), the day's.
 */
export function priceMarkItems(
  symbol: string,
  price: string,
  observedAtMs: number,
  daily: boolean,
): PriceMarkItem[] {
  const expiresAt = Math.floor(observedAtMs / 1000) + INTRADAY_MARK_TTL_S;
  const items: PriceMarkItem[] = Object.entries(TIMEFRAME_MS).map(([resolution, slot]) => ({
    symbol,
    at: slotKey(PREFIX[resolution as MarkResolution], Math.floor(observedAtMs / slot) * slot),
    price,
    expiresAt,
  }));
  if (daily) items.push({ symbol, at: `${DAY_PREFIX}${newYorkDate(observedAtMs)}`, price });
  return items;
}

type WriteRequests = NonNullable<BatchWriteCommandOutput['UnprocessedItems']>[string];

/**
 * Writes mark items: BatchWriteItem, 25 items a request, the items DynamoDB leaves unprocessed
 * written again with a bounded backoff (a persistent failure throws). A key given twice keeps its
 * last item (one request must not name a key twice).
 */
export async function writePriceMarks(
  doc: DynamoDBDocumentClient,
  table: string,
  marks: readonly PriceMarkItem[],
): Promise<void> {
  const byKey = new Map<string, PriceMarkItem>();
  for (const m of marks) byKey.set(`${m.symbol}\u0000${m.at}`, m);
  const items = [...byKey.values()];
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

/** The first mark key at or after `fromMs` and the last at or before `toMs`, of a resolution. */
function keyRange(fromMs: number, toMs: number, resolution: MarkResolution): [string, string] {
  if (resolution === '1D')
    return [
      dayKeyOfUtc(Math.ceil(fromMs / DAY_MS) * DAY_MS),
      dayKeyOfUtc(Math.floor(toMs / DAY_MS) * DAY_MS),
    ];
  const slot = TIMEFRAME_MS[resolution];
  const prefix = PREFIX[resolution];
  return [slotKey(prefix, Math.ceil(fromMs / slot) * slot), slotKey(prefix, Math.floor(toMs / slot) * slot)];
}

/** The mark of an item read (null when its key or price is not a mark of `prefix`). */
function markOf(item: Record<string, unknown>, prefix: string): PriceMark | null {
  const key = item.at;
  const price = item.price;
  if (typeof key !== 'string' || typeof price !== 'string' || !key.startsWith(prefix)) return null;
  const text = key.slice(prefix.length);
  const at = Date.parse(prefix === DAY_PREFIX ? text : `${text.slice(0, -1)}:00Z`);
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
  // The last mark before the window (the value at its start). The resolutions' keys lie apart by
  // prefix: an item of another prefix means there is none.
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
  if (fromKey > toKey) return out; // no whole slot (day) inside the window
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
  resolution: MarkResolution,
  deps?: { readonly doc: DynamoDBDocumentClient; readonly table: string },
): Promise<ReadonlyMap<string, readonly PriceMark[]>> {
  const table = deps?.table ?? process.env[PRICE_MARKS_TABLE_ENV];
  if (table === undefined || table === '')
    throw new Error(
      `price marks: environment variable ${PRICE_MARKS_TABLE_ENV} is not set (the function was not given the price marks table)`,
    );
  const doc = deps?.doc ?? dynamo;
  const [fromKey, toKey] = keyRange(fromMs, toMs, resolution);
  const prefix = PREFIX[resolution];
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
