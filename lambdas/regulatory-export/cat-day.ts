/**
 * Reading one New York day from the event store, and writing or verifying its CAT-shaped export
 * (core cat-export.ts) in an object store: S3 on AWS (the WORM audit bucket), a directory locally.
 *
 * The read (docs/compliance.md "How a day is read"): the event store is keyed by order id and seq,
 * with no index by time, and adding one would cost a write on every event of every order. So the
 * job pays after the fact instead: one paginated Scan with a filter on `occurredAt` (the window of
 * the New York day, widened by 12 hours either side; the exact day is the core's `newYorkDate`),
 * projecting only the order id, finds the orders with events that day; then one Query per such
 * order reads its whole stream (its terms, what it replaces, its fills before the day). A Scan
 * reads the whole table (0.5 read units per 4 KB, eventually consistent): about $0.25 a day per
 * 4 GB of events at on-demand prices; past that, DynamoDB's incremental export to S3 (billed per GB
 * changed, not per GB stored) is the cheaper read and plugs in here.
 */
import { type DynamoDBDocumentClient, QueryCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import {
  buildCatDayExport,
  type CatDayExport,
  type CatOrderStream,
  type CatVerification,
  catKeys,
  manifestText,
  verifyCatDayExport,
} from '../core/cat-export.js';
import type { OrderEvent } from '../core/events.js';
import { INTAKE_STREAM_PREFIX } from '../event-store/intake-answers.js';

/** Where the export's objects go: S3 or a directory. */
export interface ObjectStore {
  /** The object's text, or null when there is none. */
  get(key: string): Promise<string | null>;
  put(key: string, text: string, contentType: string): Promise<void>;
}

export interface DaySource {
  readonly doc: DynamoDBDocumentClient;
  readonly eventStoreTable: string;
}

/** The event store's position streams and the intake's answers share the table; they are not orders. */
const POSITION_STREAM_PREFIX = 'positions#';
const HOUR_MS = 3_600_000;

type StoredItem = OrderEvent & Record<string, unknown> & { accountId?: string };

async function orderIdsWithEventsOn(src: DaySource, date: string): Promise<Set<string>> {
  const dayStartUtc = Date.parse(`${date}T00:00:00Z`);
  // New York is UTC-4 or UTC-5: its day lies inside [date 00:00Z, date+1 12:00Z).
  const from = new Date(dayStartUtc - 12 * HOUR_MS).toISOString();
  const to = new Date(dayStartUtc + 36 * HOUR_MS).toISOString();
  const ids = new Set<string>();
  let start: Record<string, unknown> | undefined;
  do {
    const page = await src.doc.send(
      new ScanCommand({
        TableName: src.eventStoreTable,
        ProjectionExpression: '#o',
        FilterExpression:
          '#t BETWEEN :from AND :to AND NOT begins_with(#o, :positions) AND NOT begins_with(#o, :intake)',
        ExpressionAttributeNames: { '#o': 'orderId', '#t': 'occurredAt' },
        ExpressionAttributeValues: {
          ':from': from,
          ':to': to,
          ':positions': POSITION_STREAM_PREFIX,
          ':intake': INTAKE_STREAM_PREFIX,
        },
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      }),
    );
    for (const item of page.Items ?? []) ids.add(String(item.orderId));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return ids;
}

async function orderStream(src: DaySource, orderId: string): Promise<StoredItem[]> {
  const items: StoredItem[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await src.doc.send(
      new QueryCommand({
        TableName: src.eventStoreTable,
        KeyConditionExpression: '#o = :o',
        ExpressionAttributeNames: { '#o': 'orderId' },
        ExpressionAttributeValues: { ':o': orderId },
        ...(start === undefined ? {} : { ExclusiveStartKey: start }),
      }),
    );
    items.push(...((page.Items ?? []) as StoredItem[]));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

/** Every stream the day's export needs: the orders with events that day, and those they replace. */
export async function readDay(
  src: DaySource,
  date: string,
): Promise<{ streams: Map<string, CatOrderStream>; stored: StoredItem[] }> {
  const streams = new Map<string, CatOrderStream>();
  const stored: StoredItem[] = [];
  const load = async (orderId: string, keep: boolean) => {
    const items = await orderStream(src, orderId);
    const first = items[0];
    if (first === undefined) return;
    streams.set(orderId, { accountId: String(first.accountId ?? ''), events: items });
    if (keep) stored.push(...items);
  };
  const ids = [...(await orderIdsWithEventsOn(src, date))].sort();
  const CONCURRENCY = 8;
  for (let i = 0; i < ids.length; i += CONCURRENCY)
    await Promise.all(ids.slice(i, i + CONCURRENCY).map((id) => load(id, true)));
  // A replacement's prior order (priorOrderKeyDate) and a child's parent (parentOrderKeyDate),
  // when they had no event that day themselves.
  for (const s of [...streams.values()]) {
    const first = s.events[0];
    if (first?.type !== 'OrderSubmitted') continue;
    for (const related of [first.data.replaces, first.data.contingency?.parentOrderId])
      if (typeof related === 'string' && !streams.has(related)) await load(related, false);
  }
  return { streams, stored };
}

export async function computeDay(src: DaySource, date: string, reporterImid: string): Promise<CatDayExport> {
  const { streams, stored } = await readDay(src, date);
  return buildCatDayExport({ date, reporterImid, streams, stored });
}

export interface ExportResult {
  readonly date: string;
  /** `written`: the objects were put; `unchanged`: the stored manifest is the recomputed one. */
  readonly status: 'written' | 'unchanged';
  readonly records: number;
  readonly events: number;
  readonly finalHash: string;
  readonly keys: ReturnType<typeof catKeys>;
}

/**
 * Exports a day. Idempotent: when the stored objects are the ones recomputed, nothing is written (a
 * retried or repeated run adds no object version). Otherwise archive and records are written
 * first and the manifest last, so a manifest never names a file not yet there. On the WORM bucket
 * an object is never overwritten: a new export of the same day (late events) is a new version,
 * and every earlier version stays, locked.
 */
export async function exportDay(
  src: DaySource,
  store: ObjectStore,
  date: string,
  reporterImid: string,
): Promise<ExportResult> {
  const day = await computeDay(src, date, reporterImid);
  const keys = catKeys(reporterImid, date);
  const text = manifestText(day.manifest);
  const summary = {
    date,
    records: day.manifest.records.count,
    events: day.manifest.archive.count,
    finalHash: day.manifest.records.chain.final,
    keys,
  };
  const stored = await Promise.all([
    store.get(keys.manifest),
    store.get(keys.records),
    store.get(keys.archive),
  ]);
  if (stored[0] === text && stored[1] === day.records && stored[2] === day.archive)
    return { ...summary, status: 'unchanged' };
  await store.put(keys.archive, day.archive, 'application/x-ndjson');
  await store.put(keys.records, day.records, 'application/x-ndjson');
  await store.put(keys.manifest, text, 'application/json');
  return { ...summary, status: 'written' };
}

/** Verifies the stored export of a day against its manifest and the event store now. */
export async function verifyDay(
  src: DaySource,
  store: ObjectStore,
  date: string,
  reporterImid: string,
): Promise<CatVerification & { readonly date: string; readonly records: number }> {
  const expected = await computeDay(src, date, reporterImid);
  const keys = catKeys(reporterImid, date);
  const [manifest, records, archive] = await Promise.all([
    store.get(keys.manifest),
    store.get(keys.records),
    store.get(keys.archive),
  ]);
  const result = verifyCatDayExport({ manifest, records, archive }, expected);
  return { ...result, date, records: expected.manifest.records.count };
}
