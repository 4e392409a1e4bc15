/**
 * Stream test helpers: orders driven through the core (`OrderBook`), their events stored as the
 * event store writes them, and DynamoDB stream records (INSERT, NEW_IMAGE) carrying them.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord, DynamoDBStreamEvent, AttributeValue as StreamValue } from 'aws-lambda';
import type { AwsStub } from 'aws-sdk-client-mock';
import type { OrderEvent } from '../../lambdas/core/index.js';
import { type StoredEvent, toStored } from '../../lambdas/event-store/event-store.js';
import type { OrderBook } from '../core/order-book.js';

export const META = { accountId: 'acct-1', correlationId: 'req-1', causationId: 'cause-1' };

export function stored(e: OrderEvent): StoredEvent {
  return toStored(e, META);
}

let sequence = 1000;

/** A DynamoDB image as the stream carries it (the SDK's and aws-lambda's AttributeValue types differ). */
export function image(item: object): Record<string, StreamValue> {
  return marshall(item, { removeUndefinedValues: true }) as unknown as Record<string, StreamValue>;
}

export function insertRecord(e: StoredEvent, sequenceNumber = String(++sequence)): DynamoDBRecord {
  return {
    eventID: `ev-${sequenceNumber}`,
    eventName: 'INSERT',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    dynamodb: {
      Keys: image({ orderId: e.orderId, seq: e.seq }),
      NewImage: image(e),
      SequenceNumber: sequenceNumber,
      StreamViewType: 'NEW_IMAGE',
    },
  };
}

export function otherRecord(
  eventName: 'MODIFY' | 'REMOVE',
  sequenceNumber = String(++sequence),
): DynamoDBRecord {
  return {
    eventID: `ev-${sequenceNumber}`,
    eventName,
    eventSource: 'aws:dynamodb',
    dynamodb: {
      Keys: image({ orderId: 'o-x', seq: 1 }),
      SequenceNumber: sequenceNumber,
      StreamViewType: 'NEW_IMAGE',
    },
  };
}

export function streamEvent(records: DynamoDBRecord[]): DynamoDBStreamEvent {
  return { Records: records };
}

export function insertsOf(events: readonly StoredEvent[]): DynamoDBStreamEvent {
  return streamEvent(events.map((e) => insertRecord(e)));
}

/** The stored events of every order of the book. */
export function storeOf(book: OrderBook): Map<string, StoredEvent[]> {
  return new Map([...book.events].map(([id, events]) => [id, events.map(stored)]));
}

/** Answers the event store's consistent Query from `store`. */
export function serveEventStore(
  // biome-ignore lint/suspicious/noExplicitAny: the stub's command types vary per client
  mock: AwsStub<any, any, any>,
  store: ReadonlyMap<string, readonly StoredEvent[]>,
): void {
  mock.on(QueryCommand).callsFake((input: { ExpressionAttributeValues: Record<string, string> }) => ({
    Items: [...(store.get(input.ExpressionAttributeValues[':id'] ?? '') ?? [])],
  }));
}

/** The stored events of one order of the book. */
export function eventsOf(book: OrderBook, orderId: string): StoredEvent[] {
  const events = book.events.get(orderId);
  if (events === undefined) throw new Error(`no order ${orderId} in the book`);
  return events.map(stored);
}

/** `list[i]`, which must exist. */
export function nth<T>(list: readonly T[], i: number): T {
  const v = list[i];
  if (v === undefined) throw new Error(`no element ${i} (length ${list.length})`);
  return v;
}
