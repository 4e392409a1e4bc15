import './env.js';
import {
  EventBridgeClient,
  PutEventsCommand,
  type PutEventsRequestEntry,
  type PutEventsResultEntry,
} from '@aws-sdk/client-eventbridge';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { detailOf, OMS_SOURCE } from '../../lambdas/event-store/envelope.js';
import type { StoredEvent } from '../../lambdas/event-store/event-store.js';
import { INTAKE_SOURCE, intakeAnswerOf } from '../../lambdas/event-store/intake-answers.js';
import {
  chunkEntries,
  entrySize,
  MAX_REQUEST_BYTES,
  type PublisherDeps,
  publishBatch,
  type RetryPolicy,
} from '../../lambdas/stream-consumers/publisher.js';
import { limitOrder, OrderBook } from '../core/order-book.js';
import { eventsOf, insertRecord, otherRecord, streamEvent } from './records.js';

const eb = mockClient(EventBridgeClient);
const ddb = mockClient(DynamoDBDocumentClient);
const deps: PublisherDeps = {
  bus: new EventBridgeClient({ region: 'us-east-1' }),
  eventBusName: 'oms-bus',
};
const sleeps: number[] = [];
const retry: RetryPolicy = {
  attempts: 4,
  baseDelayMs: 100,
  sleep: async (ms) => {
    sleeps.push(ms);
  },
};

/** `n` events over a few orders, in stream order. */
function events(n: number): StoredEvent[] {
  const book = new OrderBook();
  const out: StoredEvent[] = [];
  for (let i = 0; out.length < n; i++) {
    const id = `o${i}`;
    book.submit(id, limitOrder({ qty: '100' }));
    book.run(id, { type: 'accept' });
    for (let f = 0; f < 3; f++) book.run(id, { type: 'fill', execId: `e${f}`, lastQty: '1', lastPx: '10' });
    out.push(...eventsOf(book, id));
  }
  return out.slice(0, n);
}

type PutInput = { Entries: PutEventsRequestEntry[] };
const calls = () => eb.commandCalls(PutEventsCommand).map((c) => (c.args[0].input as PutInput).Entries);
const eventIdOf = (entry: PutEventsRequestEntry) =>
  (JSON.parse(entry.Detail ?? '{}') as { metadata: { eventId: string } }).metadata.eventId;
const ok = (): PutEventsResultEntry => ({ EventId: 'bus-id' });
const failedEntry = (): PutEventsResultEntry => ({
  ErrorCode: 'ThrottlingException',
  ErrorMessage: 'slow down',
});

/** A bus that fails the entries whose event ids `fails(eventId, attempt)` names. */
function bus(fails: (eventId: string, attempt: number) => boolean): void {
  const attempts = new Map<string, number>();
  eb.on(PutEventsCommand).callsFake((input: PutInput) => {
    const results = input.Entries.map((entry) => {
      const id = eventIdOf(entry);
      const attempt = (attempts.get(id) ?? 0) + 1;
      attempts.set(id, attempt);
      return fails(id, attempt) ? failedEntry() : ok();
    });
    return { FailedEntryCount: results.filter((r) => r.ErrorCode !== undefined).length, Entries: results };
  });
}

beforeEach(() => {
  eb.reset();
  ddb.reset();
  sleeps.length = 0;
});

const run = (event: DynamoDBStreamEvent) => publishBatch(event, deps, retry);
const published = () => calls().flat().map(eventIdOf);

describe('publisher', () => {
  test('publishes each event as the bus envelope, 10 entries per call, in stream order', async () => {
    bus(() => false);
    const all = events(25);
    const result = await run(streamEvent(all.map((e) => insertRecord(e))));
    expect(result.batchItemFailures).toEqual([]);
    const sent = calls();
    expect(sent.map((entries) => entries.length)).toEqual([10, 10, 5]);
    const entries = sent.flat();
    expect(entries.map(eventIdOf)).toEqual(all.map((e) => e.eventId));
    const first = all[0] as StoredEvent;
    expect(entries[0]).toEqual({
      EventBusName: 'oms-bus',
      Source: OMS_SOURCE,
      DetailType: first.type,
      Time: new Date(first.occurredAt),
      Resources: [],
      Detail: JSON.stringify(detailOf(first)),
    });
    expect(sleeps).toEqual([]);
  });

  test('retries only the failed entries, with backoff, and then reports nothing', async () => {
    const all = events(12);
    const flaky = new Set([all[2]?.eventId, all[7]?.eventId, all[11]?.eventId]);
    // Two of them fail twice, one fails once.
    bus((id, attempt) => flaky.has(id) && attempt <= (id === all[7]?.eventId ? 1 : 2));
    const result = await run(streamEvent(all.map((e) => insertRecord(e))));
    expect(result.batchItemFailures).toEqual([]);
    const sent = calls().map((entries) => entries.map(eventIdOf));
    expect(sent.slice(0, 2).flat()).toEqual(all.map((e) => e.eventId));
    expect(sent.slice(2)).toEqual([
      [all[2]?.eventId, all[7]?.eventId, all[11]?.eventId],
      [all[2]?.eventId, all[11]?.eventId],
    ]);
    expect(sleeps).toEqual([100, 200]);
  });

  test.each([
    ['the earliest of several still-failing entries', [3, 8], 3],
    ['a failing entry in the last chunk', [11], 11],
  ])('reports %s as the one batch item failure', async (_name, failing, reported) => {
    const all = events(12);
    const records = all.map((e) => insertRecord(e));
    const bad = new Set(failing.map((i) => all[i]?.eventId));
    bus((id) => bad.has(id));
    const result = await run(streamEvent(records));
    expect(result.batchItemFailures).toEqual([
      { itemIdentifier: records[reported]?.dynamodb?.SequenceNumber },
    ]);
    // 4 attempts: the first sends everything, each retry only the failing entries.
    expect(
      calls()
        .slice(-3)
        .map((entries) => entries.map(eventIdOf)),
    ).toEqual(Array.from({ length: 3 }, () => [...bad]));
  });

  test('a PutEvents call that keeps throwing (throttled) is reported, not thrown', async () => {
    eb.on(PutEventsCommand).rejects(
      Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }),
    );
    const records = events(3).map((e) => insertRecord(e));
    const result = await run(streamEvent(records));
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: records[0]?.dynamodb?.SequenceNumber }]);
    expect(calls()).toHaveLength(4);
  });

  test('a call that throws once is retried whole', async () => {
    eb.on(PutEventsCommand)
      .rejectsOnce(Object.assign(new Error('boom'), { name: 'InternalException' }))
      .resolves({ FailedEntryCount: 0, Entries: [ok(), ok()] });
    const result = await run(streamEvent(events(2).map((e) => insertRecord(e))));
    expect(result.batchItemFailures).toEqual([]);
    expect(calls().map((c) => c.length)).toEqual([2, 2]);
  });

  test('at least once: a redelivered record is published again, and reads nothing from DynamoDB', async () => {
    bus(() => false);
    const all = events(4);
    const records = all.map((e) => insertRecord(e));
    expect((await run(streamEvent(records))).batchItemFailures).toEqual([]);
    expect(published()).toEqual(all.map((e) => e.eventId));
    // The batch again (a retry after a partial failure): subscribers dedupe on metadata.eventId.
    eb.resetHistory();
    expect((await run(streamEvent(records))).batchItemFailures).toEqual([]);
    expect(published()).toEqual(all.map((e) => e.eventId));
    // No "published" markers (issue 12: 4 requests and 3 write units of a market order).
    expect(ddb.calls()).toHaveLength(0);
  });

  test('the same event twice in one batch goes out once', async () => {
    bus(() => false);
    const [e] = events(1);
    const result = await run(streamEvent([insertRecord(e as StoredEvent), insertRecord(e as StoredEvent)]));
    expect(result.batchItemFailures).toEqual([]);
    expect(published()).toEqual([e?.eventId]);
  });

  test('a failed entry is reported; Lambda resumes there and it goes out', async () => {
    const all = events(3);
    const records = all.map((e) => insertRecord(e));
    bus((id) => id === all[1]?.eventId);
    const result = await run(streamEvent(records));
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: records[1]?.dynamodb?.SequenceNumber }]);
    bus(() => false);
    eb.resetHistory();
    expect((await run(streamEvent(records.slice(1)))).batchItemFailures).toEqual([]);
    // The failed one, and the one after it again (at least once).
    expect(published()).toEqual([all[1]?.eventId, all[2]?.eventId]);
  });

  test('MODIFY/REMOVE records are not published and do not fail the batch', async () => {
    bus(() => false);
    const [e] = events(1);
    const result = await run(
      streamEvent([otherRecord('MODIFY'), insertRecord(e as StoredEvent), otherRecord('REMOVE')]),
    );
    expect(result.batchItemFailures).toEqual([]);
    expect(calls().flat()).toHaveLength(1);
  });

  test('a batch of only skipped records makes no call', async () => {
    const result = await run(streamEvent([otherRecord('MODIFY')]));
    expect(result.batchItemFailures).toEqual([]);
    expect(calls()).toHaveLength(0);
  });

  test('chunks respect the 256 KB request limit as well as the 10 entries', () => {
    const big = (kb: number) => ({
      entry: { Source: OMS_SOURCE, DetailType: 'X', Detail: 'x'.repeat(kb * 1024) },
    });
    const sizes = chunkEntries([big(100), big(100), big(100), big(1), big(1)]).map((c) => c.length);
    expect(sizes).toEqual([2, 3]);
    for (const c of chunkEntries([big(100), big(100), big(100)])) {
      const bytes = c.reduce((n, i) => n + entrySize(i.entry), 0);
      expect(bytes).toBeLessThanOrEqual(MAX_REQUEST_BYTES);
    }
  });
});

describe("the intake's answers, stored beside the events (event-store/intake-answers.ts)", () => {
  const answer = intakeAnswerOf(
    {
      requestId: 'req-1',
      eventId: 'evt-1',
      accountId: 'acct-1',
      source: 'stockbot.strategy.momentum',
      code: 'invalid_request',
      message: 'qty: must be a positive number',
    },
    Date.parse('2026-12-03T15:00:00.000Z'),
  );
  const answerRecord = (sequenceNumber?: string) =>
    insertRecord(answer as unknown as StoredEvent, sequenceNumber);
  const idOf = (entry: PutEventsRequestEntry) =>
    entry.Source === INTAKE_SOURCE
      ? (JSON.parse(entry.Detail ?? '{}') as { eventId: string }).eventId
      : eventIdOf(entry);

  test('an answer goes out in stream order with the events, from stockbot.oms.intake, its detail the answer as stored; a repeat once', async () => {
    eb.on(PutEventsCommand).callsFake((input: PutInput) => ({
      FailedEntryCount: 0,
      Entries: input.Entries.map(ok),
    }));
    const [a, b] = events(2) as [StoredEvent, StoredEvent];
    const result = await run(streamEvent([insertRecord(a), answerRecord(), answerRecord(), insertRecord(b)]));
    expect(result.batchItemFailures).toEqual([]);
    const entries = calls().flat();
    expect(entries.map(idOf)).toEqual([a.eventId, 'evt-1', b.eventId]);
    const sent = entries[1] as PutEventsRequestEntry;
    expect({ ...sent, Detail: JSON.parse(sent.Detail ?? '') }).toEqual({
      EventBusName: 'oms-bus',
      Source: 'stockbot.oms.intake',
      DetailType: 'OrderRequestRejected',
      Time: new Date('2026-12-03T15:00:00.000Z'),
      Resources: [],
      Detail: answer.answer,
    });
  });

  test('an answer the bus keeps refusing is the batch item failure: the shard resumes there', async () => {
    eb.on(PutEventsCommand).callsFake((input: PutInput) => {
      const results = input.Entries.map((e) => (e.Source === INTAKE_SOURCE ? failedEntry() : ok()));
      return { FailedEntryCount: results.filter((r) => r.ErrorCode !== undefined).length, Entries: results };
    });
    const [a, b] = events(2) as [StoredEvent, StoredEvent];
    const result = await run(streamEvent([insertRecord(a, '1'), answerRecord('2'), insertRecord(b, '3')]));
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: '2' }]);
  });
});
