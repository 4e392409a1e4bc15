/**
 * Publisher: the event store's stream -> the OMS bus (source `stockbot.oms`, detail-type = event
 * type, detail = `{metadata, data}`).
 *
 * Whole-batch logic (not one record at a time): entries go out 10 per PutEvents call (and under
 * the 256 KB request limit); entries the bus reports failed (`FailedEntryCount`, per-entry
 * `ErrorCode`) are retried alone, with backoff, a few times; a call that throws is retried the
 * same way. What still fails is reported to Lambda as the FIRST failed record, so the shard
 * resumes there.
 *
 * Idempotent by event id: EventBridge has no deduplication, so the publisher keeps a marker
 * `pub#<eventId>` in IDEMPOTENCY_TABLE for every event it has put on the bus (TTL 7 days, well
 * past the stream's 24 h). Before PutEvents it reads the batch's markers (BatchGetItem,
 * consistent) and skips events already published; an event id twice in a batch goes out once;
 * after a successful entry it writes the marker (BatchWriteItem, unprocessed items retried). So a
 * redelivered record (a bisected or retried batch, records after a failed one) is not published
 * twice. What remains at-least-once: a crash or a failed marker write between PutEvents and the
 * marker, and a marker read that fails (the batch is then published without the check rather
 * than stalled). Subscribers still deduplicate on `detail.metadata.eventId` (= `orderId:seq`) and
 * order an order's events by `detail.metadata.seq` (the bus does not keep order).
 */

import { MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import { BatchGetCommand, BatchWriteCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { busEntryOf } from '../event-store/envelope.js';
import {
  errorName,
  partialBatchResponse,
  readRecords,
  type StreamItem,
  streamHandler,
} from '../event-store/stream-records.js';
import { ENV, requiredEnv } from '../platform/config.js';
import { dynamo } from '../platform/dynamo.js';
import { eventBridge } from '../platform/event-bridge.js';
import { logger, metrics } from '../platform/observability.js';

export const MAX_ENTRIES_PER_CALL = 10;
/** How long a published marker is kept: far longer than a record can be redelivered (24 h). */
export const MARKER_TTL_SECONDS = 7 * 24 * 60 * 60;
const MAX_KEYS_PER_BATCH_GET = 100;
const MAX_ITEMS_PER_BATCH_WRITE = 25;

/** The idempotency table's marker of a published event. */
export function publishedMarkerId(eventId: string): string {
  return `pub#${eventId}`;
}

export interface PublisherDeps {
  readonly bus: EventBridgeClient;
  readonly eventBusName: string;
  readonly doc: DynamoDBDocumentClient;
  readonly idempotencyTable: string;
  readonly now: () => number;
}
/** PutEvents' limit on the total size of one request's entries. */
export const MAX_REQUEST_BYTES = 256 * 1024;

export interface RetryPolicy {
  /** Attempts per entry, the first included. */
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly sleep: (ms: number) => Promise<void>;
}

export const DEFAULT_RETRY: RetryPolicy = {
  attempts: 4,
  baseDelayMs: 100,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** An entry's size as EventBridge counts it for the request limit. */
export function entrySize(e: PutEventsRequestEntry): number {
  const bytes = (s: string | undefined) => (s === undefined ? 0 : Buffer.byteLength(s, 'utf8'));
  return (
    (e.Time === undefined ? 0 : 14) +
    bytes(e.Source) +
    bytes(e.DetailType) +
    bytes(e.Detail) +
    (e.Resources ?? []).reduce((n, r) => n + bytes(r), 0)
  );
}

/** Splits entries (in order) into PutEvents calls: at most 10 each and within the size limit. */
export function chunkEntries<T extends { readonly entry: PutEventsRequestEntry }>(
  items: readonly T[],
): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let size = 0;
  for (const item of items) {
    const s = entrySize(item.entry);
    if (current.length === MAX_ENTRIES_PER_CALL || (current.length > 0 && size + s > MAX_REQUEST_BYTES)) {
      chunks.push(current);
      current = [];
      size = 0;
    }
    current.push(item);
    size += s;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

export interface PublishOutcome {
  /** Indexes (of the input) that are still not on the bus. */
  readonly failed: ReadonlySet<number>;
  readonly published: number;
  /** Entry failures seen across all attempts (retried ones included). */
  readonly entryFailures: number;
}

/** Puts the entries on the bus, retrying only what failed. */
export async function putEntries(
  client: EventBridgeClient,
  entries: readonly { readonly index: number; readonly entry: PutEventsRequestEntry }[],
  retry: RetryPolicy = DEFAULT_RETRY,
): Promise<PublishOutcome> {
  let pending = [...entries];
  let entryFailures = 0;
  let published = 0;
  for (let attempt = 1; attempt <= retry.attempts && pending.length > 0; attempt++) {
    if (attempt > 1) await retry.sleep(retry.baseDelayMs * 2 ** (attempt - 2));
    const stillFailing: typeof pending = [];
    for (const chunk of chunkEntries(pending)) {
      try {
        const out = await client.send(new PutEventsCommand({ Entries: chunk.map((c) => c.entry) }));
        const results = out.Entries ?? [];
        chunk.forEach((c, i) => {
          const r = results[i];
          // A result without an event id (or a missing result) is not a success.
          if (r?.EventId !== undefined && r.ErrorCode === undefined) {
            published++;
            return;
          }
          entryFailures++;
          stillFailing.push(c);
          logger.warn('PutEvents entry failed', {
            attempt,
            detailType: c.entry.DetailType,
            errorCode: r?.ErrorCode,
            errorMessage: r?.ErrorMessage,
          });
        });
      } catch (err) {
        entryFailures += chunk.length;
        stillFailing.push(...chunk);
        logger.warn('PutEvents call failed', { attempt, entries: chunk.length, error: errorName(err) });
      }
    }
    pending = stillFailing;
  }
  return { failed: new Set(pending.map((p) => p.index)), published, entryFailures };
}

function chunksOf<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/**
 * The event ids among `eventIds` that already have a published marker. Unprocessed keys are
 * retried; if the table cannot answer, the unanswered ids count as not published (the bus gets
 * them again rather than the shard stalling on the idempotency table).
 */
export async function alreadyPublished(
  deps: PublisherDeps,
  eventIds: readonly string[],
  retry: RetryPolicy = DEFAULT_RETRY,
): Promise<Set<string>> {
  const found = new Set<string>();
  for (const chunk of chunksOf(eventIds, MAX_KEYS_PER_BATCH_GET)) {
    let keys: Record<string, unknown>[] = chunk.map((id) => ({ id: publishedMarkerId(id) }));
    for (let attempt = 1; attempt <= retry.attempts && keys.length > 0; attempt++) {
      if (attempt > 1) await retry.sleep(retry.baseDelayMs * 2 ** (attempt - 2));
      try {
        const out = await deps.doc.send(
          new BatchGetCommand({
            RequestItems: {
              [deps.idempotencyTable]: { Keys: keys, ConsistentRead: true, ProjectionExpression: 'id' },
            },
          }),
        );
        for (const item of out.Responses?.[deps.idempotencyTable] ?? []) {
          const id = String(item.id);
          if (id.startsWith('pub#')) found.add(id.slice(4));
        }
        keys = out.UnprocessedKeys?.[deps.idempotencyTable]?.Keys ?? [];
      } catch (err) {
        logger.warn('reading published markers failed', { attempt, error: errorName(err) });
      }
    }
    if (keys.length > 0) {
      metrics.addMetric('PublishedMarkersUnread', MetricUnit.Count, keys.length);
      logger.warn('published markers not read; those events are published without the check', {
        unread: keys.length,
      });
    }
  }
  return found;
}

/** Writes the published markers of `eventIds`; returns how many could not be written. */
export async function markPublished(
  deps: PublisherDeps,
  eventIds: readonly string[],
  retry: RetryPolicy = DEFAULT_RETRY,
): Promise<number> {
  const nowMs = deps.now();
  const publishedAt = new Date(nowMs).toISOString();
  const expiresAt = Math.floor(nowMs / 1000) + MARKER_TTL_SECONDS;
  let unwritten = 0;
  for (const chunk of chunksOf(eventIds, MAX_ITEMS_PER_BATCH_WRITE)) {
    type WriteRequest = { PutRequest?: { Item: Record<string, unknown> } };
    let requests: WriteRequest[] = chunk.map((eventId) => ({
      PutRequest: { Item: { id: publishedMarkerId(eventId), publishedAt, expiresAt } },
    }));
    for (let attempt = 1; attempt <= retry.attempts && requests.length > 0; attempt++) {
      if (attempt > 1) await retry.sleep(retry.baseDelayMs * 2 ** (attempt - 2));
      try {
        const out = await deps.doc.send(
          new BatchWriteCommand({ RequestItems: { [deps.idempotencyTable]: requests } }),
        );
        requests = (out.UnprocessedItems?.[deps.idempotencyTable] ?? []) as WriteRequest[];
      } catch (err) {
        logger.warn('writing published markers failed', { attempt, error: errorName(err) });
      }
    }
    unwritten += requests.length;
  }
  return unwritten;
}

export async function publishBatch(
  event: DynamoDBStreamEvent,
  deps: PublisherDeps,
  retry: RetryPolicy = DEFAULT_RETRY,
): Promise<DynamoDBBatchResponse> {
  const items = readRecords(event);
  // The first record of each event id is the one published; a repeat shares its fate.
  const firstIndexOf = new Map<string, number>();
  items.forEach((item, index) => {
    if (item.kind === 'event' && !firstIndexOf.has(item.event.eventId))
      firstIndexOf.set(item.event.eventId, index);
  });
  const published = await alreadyPublished(deps, [...firstIndexOf.keys()], retry);
  const entries = [...firstIndexOf]
    .filter(([eventId]) => !published.has(eventId))
    .map(([, index]) => {
      const item = items[index] as Extract<StreamItem, { kind: 'event' }>;
      return { index, eventId: item.event.eventId, entry: busEntryOf(item.event, deps.eventBusName) };
    });
  const outcome = await putEntries(deps.bus, entries, retry);
  const unmarked = await markPublished(
    deps,
    entries.filter((e) => !outcome.failed.has(e.index)).map((e) => e.eventId),
    retry,
  );

  const failed = new Set<number>();
  items.forEach((item, index) => {
    if (item.kind !== 'event') return;
    if (outcome.failed.has(firstIndexOf.get(item.event.eventId) as number)) failed.add(index);
  });
  metrics.addMetric('EventsPublished', MetricUnit.Count, outcome.published);
  metrics.addMetric('EventsAlreadyPublished', MetricUnit.Count, published.size);
  metrics.addMetric('EntriesFailed', MetricUnit.Count, outcome.entryFailures);
  metrics.addMetric('EventsNotPublished', MetricUnit.Count, outcome.failed.size);
  metrics.addMetric('PublishedMarkersUnwritten', MetricUnit.Count, unmarked);
  if (unmarked > 0) {
    // Not a failure of the records: reporting them would publish them again for sure.
    logger.warn('published markers not written; a redelivery of those events would publish them again', {
      unmarked,
    });
  }
  const response = partialBatchResponse(items, failed);
  if (response.batchItemFailures.length > 0) {
    logger.error('events not published after retries; the shard resumes from the first', {
      notPublished: outcome.failed.size,
      resumeFrom: response.batchItemFailures[0]?.itemIdentifier,
    });
  }
  return response;
}

export const handler = streamHandler((event) =>
  publishBatch(event, {
    bus: eventBridge,
    eventBusName: requiredEnv(ENV.eventBusName),
    doc: dynamo,
    idempotencyTable: requiredEnv(ENV.idempotencyTable),
    now: Date.now,
  }),
);
