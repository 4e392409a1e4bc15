import '../stream-consumers/env.js';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { intakeAnswerOf } from '../../lambdas/event-store/intake-answers.js';
import {
  eventsByOrder,
  partialBatchResponse,
  readRecords,
  type StreamItem,
  storedEventOf,
  streamHandler,
} from '../../lambdas/event-store/stream-records.js';
import { metrics } from '../../lambdas/platform/metrics.js';
import { limitOrder, OrderBook } from '../core/order-book.js';
import { eventsOf, image, insertRecord, nth, otherRecord, streamEvent } from '../stream-consumers/records.js';

function filledOrder(): OrderBook {
  const book = new OrderBook();
  book.submit('o1', limitOrder({ qty: '10', client_order_id: 'c-1' }));
  book.run('o1', { type: 'accept', venueOrderId: 'v1' });
  book.run('o1', { type: 'fill', execId: 'e1', lastQty: '4', lastPx: '10.01' });
  book.run('o1', { type: 'fill', execId: 'e2', lastQty: '6', lastPx: '9.99' });
  return book;
}

describe('stream records', () => {
  test('an INSERT image reads back as the stored event, numbers and nulls included', () => {
    const events = eventsOf(filledOrder(), 'o1');
    expect(events).toHaveLength(4);
    for (const e of events) expect(storedEventOf(insertRecord(e))).toEqual(e);
  });

  test('MODIFY and REMOVE are skipped, not failed; a malformed INSERT is a poison record', () => {
    const submitted = nth(eventsOf(filledOrder(), 'o1'), 0);
    const bad = insertRecord(submitted, '7');
    (bad.dynamodb as { NewImage: unknown }).NewImage = image({
      orderId: 'o1',
      seq: 0,
      type: 'OrderExploded',
    });
    const items = readRecords(
      streamEvent([
        otherRecord('MODIFY', '5'),
        otherRecord('REMOVE', '6'),
        bad,
        insertRecord(submitted, '8'),
      ]),
    );
    expect(items.map((i) => i.kind)).toEqual(['skipped', 'skipped', 'invalid', 'event']);
    expect(partialBatchResponse(items, new Set())).toEqual({ batchItemFailures: [{ itemIdentifier: '7' }] });
  });

  test('a record without SequenceNumber fails the whole batch (nothing could be reported)', () => {
    const r = insertRecord(nth(eventsOf(filledOrder(), 'o1'), 0));
    delete (r.dynamodb as { SequenceNumber?: string }).SequenceNumber;
    expect(() => readRecords(streamEvent([r]))).toThrow(/SequenceNumber/);
  });

  const item = (n: number): StreamItem => ({ kind: 'skipped', sequenceNumber: String(n) });
  test.each([
    [[], []],
    [[2], ['2']],
    [[3, 1, 2], ['1']],
    [[4], ['4']],
  ])('failed indexes %j report only the first: %j', (failed, expected) => {
    const items = [0, 1, 2, 3, 4].map(item);
    expect(
      partialBatchResponse(items, new Set(failed)).batchItemFailures.map((f) => f.itemIdentifier),
    ).toEqual(expected);
  });

  test('events are grouped by order, each in stream order, with their batch positions', () => {
    const book = filledOrder();
    book.submit('o2', limitOrder());
    const [a, b] = [eventsOf(book, 'o1'), eventsOf(book, 'o2')];
    const records = [nth(a, 0), nth(b, 0), nth(a, 1), nth(a, 2)].map((e) => insertRecord(e));
    const items = readRecords(streamEvent([...records, otherRecord('MODIFY')]));
    const groups = eventsByOrder(items);
    expect([...groups.keys()]).toEqual(['o1', 'o2']);
    expect(groups.get('o1')?.map((r) => [r.index, r.event.seq])).toEqual([
      [0, 1],
      [2, 2],
      [3, 3],
    ]);
    expect(groups.get('o2')?.map((r) => r.index)).toEqual([1]);
  });
});

describe('streamHandler: the shell every stream consumer shares', () => {
  const batch = { Records: [] } as DynamoDBStreamEvent;

  it.each([
    ['answers what the batch answers', async () => ({ batchItemFailures: [{ itemIdentifier: '7' }] })],
    [
      'lets a batch-wide failure through, so Lambda retries the batch',
      async (): Promise<DynamoDBBatchResponse> => {
        throw new Error('ENV missing');
      },
    ],
  ])('%s, and flushes the metrics either way', async (_name, processBatch) => {
    const flush = jest.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => metrics);
    try {
      const handler = streamHandler(processBatch);
      const expected = await processBatch().then(
        (r) => ({ ok: true as const, r }),
        (e: unknown) => ({ ok: false as const, e }),
      );
      flush.mockClear();
      if (expected.ok) await expect(handler(batch)).resolves.toEqual(expected.r);
      else await expect(handler(batch)).rejects.toThrow('ENV missing');
      expect(flush).toHaveBeenCalledTimes(1);
    } finally {
      flush.mockRestore();
    }
  });
});

describe("the intake's answers (event-store/intake-answers.ts)", () => {
  const answer = intakeAnswerOf(
    {
      requestId: null,
      eventId: 'evt-9',
      accountId: null,
      source: 'stockbot.strategy',
      code: 'sender_not_entitled',
      message: 'source: stockbot.strategy names no strategy',
    },
    Date.parse('2026-12-03T15:00:00.000Z'),
  );
  const record = (item: object, sequenceNumber: string): DynamoDBRecord => {
    const r = insertRecord(nth(eventsOf(filledOrder(), 'o1'), 0), sequenceNumber);
    (r.dynamodb as { NewImage: unknown }).NewImage = image(item);
    return r;
  };

  test.each<[string, object, StreamItem['kind']]>([
    ['an answer as stored', answer, 'answer'],
    ['an answer without its answer', { ...answer, answer: undefined }, 'invalid'],
    ['another type under intake#', { ...answer, type: 'OrderSubmitted' }, 'invalid'],
    ['a second seq under intake#', { ...answer, seq: 2 }, 'invalid'],
  ])('%s reads as %s', (_case, item, kind) => {
    const [read] = readRecords(streamEvent([record(item, '1')]));
    expect(read?.kind).toBe(kind);
    if (read?.kind === 'answer') expect(read.answer).toEqual(answer);
  });

  test('the order consumers pass an answer by: no order group holds it', () => {
    const items = readRecords(streamEvent([record(answer, '1')]));
    expect(eventsByOrder(items).size).toBe(0);
    expect(partialBatchResponse(items, new Set())).toEqual({ batchItemFailures: [] });
  });
});
