/**
 * The order stream consumer (issue 12: one function instead of the projector, the signaller and
 * the publisher reading the stream each): all three run on a batch, the publisher only up to the
 * first record the others failed (so a retry publishes nothing twice), and the earliest failure
 * of the three is reported.
 */
import './env.js';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { SendTaskSuccessCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler } from '../../lambdas/stream-consumers/order-stream.js';
import { limitOrder, OrderBook } from '../core/order-book.js';
import { eventsOf, insertRecord, serveEventStore, storeOf, streamEvent } from './records.js';

const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
const eb = mockClient(EventBridgeClient);

const published = () =>
  eb
    .commandCalls(PutEventsCommand)
    .flatMap((c) => (c.args[0].input.Entries ?? []) as PutEventsRequestEntry[])
    .map((e) => (JSON.parse(e.Detail ?? '{}') as { metadata: { eventId: string } }).metadata.eventId);

function world(book: OrderBook, startFails: ReadonlySet<string> = new Set()) {
  serveEventStore(ddb, storeOf(book));
  ddb.on(GetCommand).resolves({});
  ddb.on(PutCommand).resolves({});
  sfn.on(StartExecutionCommand).callsFake((input: { name: string }) => {
    if (startFails.has(input.name))
      throw Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    return { executionArn: 'arn:x', startDate: new Date() };
  });
  sfn.on(SendTaskSuccessCommand).resolves({});
  eb.on(PutEventsCommand).callsFake((input: { Entries: unknown[] }) => ({
    FailedEntryCount: 0,
    Entries: input.Entries.map(() => ({ EventId: 'bus-id' })),
  }));
}

beforeEach(() => {
  ddb.reset();
  sfn.reset();
  eb.reset();
});

function twoOrders() {
  const book = new OrderBook();
  book.submit('a', limitOrder({ qty: '10' }));
  book.submit('b', limitOrder({ qty: '10' }));
  return { book, events: [...eventsOf(book, 'a'), ...eventsOf(book, 'b')] };
}

test('one batch: the view written, the workflow started, the event published, from the environment', async () => {
  const { book, events } = twoOrders();
  world(book);
  const result = await handler(streamEvent(events.map((e) => insertRecord(e))));
  expect(result.batchItemFailures).toEqual([]);
  expect(ddb.commandCalls(PutCommand).map((c) => c.args[0].input.TableName)).toEqual(['orders', 'orders']);
  expect(
    sfn
      .commandCalls(StartExecutionCommand)
      .map((c) => c.args[0].input.name)
      .sort(),
  ).toEqual(['a', 'b']);
  expect(published()).toEqual(events.map((e) => e.eventId));
  expect(eb.commandCalls(PutEventsCommand)[0]?.args[0].input.Entries?.[0]?.EventBusName).toBe('oms-bus');
});

test('a record the signaller failed: the earlier ones are published, it and the later ones are not (the retry publishes them once)', async () => {
  const { book, events } = twoOrders();
  world(book, new Set(['b']));
  const records = events.map((e) => insertRecord(e));
  const result = await handler(streamEvent(records));
  expect(result.batchItemFailures).toEqual([{ itemIdentifier: records[1]?.dynamodb?.SequenceNumber }]);
  expect(published()).toEqual([events[0]?.eventId]);
  // Lambda resumes at the failed record.
  world(book);
  eb.resetHistory();
  expect((await handler(streamEvent(records.slice(1)))).batchItemFailures).toEqual([]);
  expect(published()).toEqual([events[1]?.eventId]);
});

test('the publisher failing is reported too (earliest of the three)', async () => {
  const { book, events } = twoOrders();
  world(book);
  eb.on(PutEventsCommand).rejects(Object.assign(new Error('down'), { name: 'InternalException' }));
  const records = events.map((e) => insertRecord(e));
  const result = await handler(streamEvent(records));
  expect(result.batchItemFailures).toEqual([{ itemIdentifier: records[0]?.dynamodb?.SequenceNumber }]);
});
