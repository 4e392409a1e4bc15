/**
 * Reading the event store's DynamoDB stream (NEW_IMAGE) and answering Lambda's event source
 * mapping with a partial batch response.
 *
 * The store is append-only, so only INSERTs are events; a MODIFY or REMOVE (an operator's hand
 * on the table) is logged and skipped. A record whose image is not a stored event is a poison
 * record: it is reported as failed, so after the mapping's retries it goes to the on-failure
 * destination instead of silently vanishing.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import * as z from 'zod/mini';
import { ORDER_EVENT_TYPES } from '../core/index.js';
import { parseOrThrow } from '../core/zod-messages.js';
import { metrics } from '../platform/metrics.js';
import { logger } from '../platform/observability.js';
import { POSITION_STREAM_PREFIX, type StoredEvent, type StoredPositionEvent } from './event-store.js';
import { INTAKE_STREAM_PREFIX, ORDER_REQUEST_REJECTED, type StoredIntakeAnswer } from './intake-answers.js';

/** The envelope of a stored event; `data` is the core's own output and is not re-validated here. */
const storedEventSchema = z.looseObject({
  type: z.enum(ORDER_EVENT_TYPES as [string, ...string[]]),
  orderId: z.string().check(z.minLength(1)),
  seq: z.int().check(z.minimum(1)),
  occurredAt: z.string().check(z.minLength(1)),
  data: z.record(z.string(), z.unknown()),
  accountId: z.string().check(z.minLength(1)),
  eventId: z.string().check(z.minLength(1)),
  schemaVersion: z.int().check(z.minimum(1)),
  correlationId: z.string(),
  causationId: z.string(),
});

/**
 * A PositionChanged of an account's position stream (partition `positions#<accountId>`, core
 * positions.ts): the publisher puts it on the bus; the order consumers pass it by.
 */
const storedPositionEventSchema = z.extend(storedEventSchema, {
  type: z.literal('PositionChanged'),
  orderId: z.string().check(z.startsWith(POSITION_STREAM_PREFIX)),
});

/**
 * The bus intake's answer to a refused request (partition `intake#<event id>`, intake-answers.ts):
 * the publisher puts it on the bus; the order consumers pass it by.
 */
const storedIntakeAnswerSchema = z.object({
  orderId: z.string().check(z.startsWith(INTAKE_STREAM_PREFIX)),
  seq: z.literal(1),
  type: z.literal(ORDER_REQUEST_REJECTED),
  eventId: z.string().check(z.minLength(1)),
  occurredAt: z.string().check(z.minLength(1)),
  answer: z.looseObject({ eventId: z.string(), source: z.string(), code: z.string() }),
});

/**
 * One stream record, read: an order event, an account's position event, the intake's answer to a
 * request, a record to skip, or a poison record.
 */
export type StreamItem =
  | { readonly kind: 'event'; readonly sequenceNumber: string; readonly event: StoredEvent }
  | { readonly kind: 'position'; readonly sequenceNumber: string; readonly event: StoredPositionEvent }
  | { readonly kind: 'answer'; readonly sequenceNumber: string; readonly answer: StoredIntakeAnswer }
  | { readonly kind: 'skipped'; readonly sequenceNumber: string }
  | { readonly kind: 'invalid'; readonly sequenceNumber: string; readonly error: string };

/** The stored item an INSERT carries; null for MODIFY/REMOVE. Throws on a malformed image. */
export function storedEventOf(
  record: DynamoDBRecord,
): StoredEvent | StoredPositionEvent | StoredIntakeAnswer | null {
  if (record.eventName !== 'INSERT') return null;
  const image = record.dynamodb?.NewImage;
  if (image === undefined) throw new Error('INSERT without NewImage (is the stream view NEW_IMAGE?)');
  const item = unmarshall(image as Record<string, AttributeValue>);
  if (typeof item.orderId === 'string' && item.orderId.startsWith(INTAKE_STREAM_PREFIX))
    return parseOrThrow(storedIntakeAnswerSchema, item) as unknown as StoredIntakeAnswer;
  if (item.type === 'PositionChanged')
    return parseOrThrow(storedPositionEventSchema, item) as unknown as StoredPositionEvent;
  return parseOrThrow(storedEventSchema, item) as unknown as StoredEvent;
}

function sequenceNumberOf(record: DynamoDBRecord): string {
  const n = record.dynamodb?.SequenceNumber;
  // Without it no failure could be reported for the record: fail the whole batch instead.
  if (n === undefined) throw new Error(`stream record ${record.eventID ?? '?'} has no SequenceNumber`);
  return n;
}

/** Reads every record of a batch, in stream order. */
export function readRecords(event: DynamoDBStreamEvent): StreamItem[] {
  return event.Records.map((record): StreamItem => {
    const sequenceNumber = sequenceNumberOf(record);
    try {
      const stored = storedEventOf(record);
      if (stored !== null && stored.type === ORDER_REQUEST_REJECTED)
        return { kind: 'answer', sequenceNumber, answer: stored as StoredIntakeAnswer };
      if (stored !== null && stored.type === 'PositionChanged')
        return { kind: 'position', sequenceNumber, event: stored };
      if (stored !== null) return { kind: 'event', sequenceNumber, event: stored as StoredEvent };
      logger.warn('ignoring a non-INSERT record of the append-only event store', {
        eventName: record.eventName,
        sequenceNumber,
        keys: record.dynamodb?.Keys,
      });
      return { kind: 'skipped', sequenceNumber };
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      logger.error('stream record is not a stored order event', { sequenceNumber, error });
      return { kind: 'invalid', sequenceNumber, error };
    }
  });
}

/** The events of a batch grouped by order, each group in stream order, groups by first appearance. */
export function eventsByOrder(
  items: readonly StreamItem[],
): Map<string, { readonly index: number; readonly event: StoredEvent }[]> {
  const groups = new Map<string, { index: number; event: StoredEvent }[]>();
  items.forEach((item, index) => {
    if (item.kind !== 'event') return;
    const group = groups.get(item.event.orderId) ?? [];
    group.push({ index, event: item.event });
    groups.set(item.event.orderId, group);
  });
  return groups;
}

/**
 * The partial batch response: the FIRST failed record only. Lambda resumes the shard from it, so
 * the records after it are delivered again (consumers are idempotent) and per-shard order holds.
 * Poison records count as failed.
 */
export function partialBatchResponse(
  items: readonly StreamItem[],
  failed: ReadonlySet<number>,
): DynamoDBBatchResponse {
  const first = items.findIndex((item, i) => item.kind === 'invalid' || failed.has(i));
  const item = items[first];
  return { batchItemFailures: item === undefined ? [] : [{ itemIdentifier: item.sequenceNumber }] };
}

/** The name of an AWS SDK error (`ConditionalCheckFailedException`, `ThrottlingException` ...). */
export function errorName(err: unknown): string {
  return typeof err === 'object' && err !== null && 'name' in err ? String(err.name) : 'Error';
}

/**
 * The shell every stream consumer shares: the invocation's context on the logger, the batch
 * processed by `processBatch` (which answers with a partial batch response and never throws for a
 * record), the metrics flushed whatever happens.
 */
export function streamHandler(
  processBatch: (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>,
): (event: DynamoDBStreamEvent, context?: Context) => Promise<DynamoDBBatchResponse> {
  return async (event, context) => {
    if (context !== undefined) logger.addContext(context);
    try {
      return await processBatch(event);
    } finally {
      metrics.publishStoredMetrics();
    }
  };
}
