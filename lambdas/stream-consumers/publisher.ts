/**
 * Publisher: the event store's stream -> the OMS bus (source `stockbot.oms`, detail-type = event
 * type, detail = `{metadata, data}`), and the bus intake's answers (source `stockbot.oms.intake`,
 * detail = the answer; event-store/intake-answers.ts).
 *
 * Whole-batch logic (not one record at a time): entries go out 10 per PutEvents call (and under
 * the 256 KB request limit); entries the bus reports failed (`FailedEntryCount`, per-entry
 * `ErrorCode`) are retried alone, with backoff, a few times; a call that throws is retried the
 * same way. What still fails is reported to Lambda as the FIRST failed record, so the shard
 * resumes there. An event id twice in one batch goes out once.
 *
 * At least once, like EventBridge's own delivery to its targets: each event is put once on the
 * normal path; a record delivered again (the records after a failed one, a retried or bisected
 * batch) is put again. Subscribers deduplicate on `detail.metadata.eventId` (= `orderId:seq`) and
 * order an order's events by `detail.metadata.seq` (the bus does not keep order). Until issue 12
 * the publisher kept a "published" marker per event (a BatchGetItem and a BatchWriteItem per
 * batch: 4 DynamoDB requests and 3 write units of a filled market order) to skip such
 * redeliveries; it no longer does: the markers halved nothing subscribers could rely on (a crash
 * between PutEvents and the marker re-sent anyway), and they kept a replay of the stream from
 * re-sending what a subscriber missed.
 */
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  type EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
} from '@aws-sdk/client-eventbridge';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { busEntryOf } from '../event-store/envelope.js';
import { intakeBusEntryOf } from '../event-store/intake-answers.js';
import {
  errorName,
  partialBatchResponse,
  readRecords,
  type StreamItem,
} from '../event-store/stream-records.js';
import { metrics } from '../platform/metrics.js';
import { logger } from '../platform/observability.js';

export const MAX_ENTRIES_PER_CALL = 10;

export interface PublisherDeps {
  readonly bus: EventBridgeClient;
  readonly eventBusName: string;
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

/** What goes on the bus from the store: order and position events, the intake's answers. */
function publishedIdOf(item: StreamItem): string | null {
  if (item.kind === 'event' || item.kind === 'position') return item.event.eventId;
  if (item.kind === 'answer') return item.answer.eventId;
  return null;
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
    const id = publishedIdOf(item);
    if (id !== null && !firstIndexOf.has(id)) firstIndexOf.set(id, index);
  });
  const entries = [...firstIndexOf].map(([, index]) => {
    const item = items[index] as Extract<StreamItem, { kind: 'event' | 'position' | 'answer' }>;
    const entry =
      item.kind === 'answer'
        ? intakeBusEntryOf(item.answer, deps.eventBusName)
        : busEntryOf(item.event, deps.eventBusName);
    return { index, entry };
  });
  const outcome = await putEntries(deps.bus, entries, retry);

  const failed = new Set<number>();
  items.forEach((item, index) => {
    const id = publishedIdOf(item);
    if (id !== null && outcome.failed.has(firstIndexOf.get(id) as number)) failed.add(index);
  });
  metrics.addMetric('EventsPublished', MetricUnit.Count, outcome.published);
  metrics.addMetric('EntriesFailed', MetricUnit.Count, outcome.entryFailures);
  metrics.addMetric('EventsNotPublished', MetricUnit.Count, outcome.failed.size);
  const response = partialBatchResponse(items, failed);
  if (response.batchItemFailures.length > 0) {
    logger.error('events not published after retries; the shard resumes from the first', {
      notPublished: outcome.failed.size,
      resumeFrom: response.batchItemFailures[0]?.itemIdentifier,
    });
  }
  return response;
}
