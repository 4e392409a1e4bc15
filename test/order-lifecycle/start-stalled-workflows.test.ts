/**
 * The stalled-workflow sweeper against a fake orders GSI (`byPendingNew`, honouring the key
 * condition, order and limit), a fake event store (GetItem of seq 1) and a mocked Step Functions.
 */
import '../stream-consumers/env.js';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient, StartExecutionCommand, type StartExecutionCommandInput } from '@aws-sdk/client-sfn';
import {
  DynamoDBDocumentClient,
  GetCommand,
  type GetCommandInput,
  QueryCommand,
  type QueryCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { StoredEvent } from '../../lambdas/event-store/event-store.js';
import {
  handler,
  MIN_AGE_MS,
  PENDING_NEW_INDEX,
  PER_SHARD_LIMIT,
  type SweeperDeps,
  startStalledWorkflows,
} from '../../lambdas/order-lifecycle/start-stalled-workflows.js';
import { orderViewItem } from '../../lambdas/orders/order-view-item.js';
import { type SignallerDeps, signalBatch } from '../../lambdas/stream-consumers/signaller.js';
import { limitOrder, OrderBook, T0 } from '../core/order-book.js';
import { eventsOf, insertsOf } from '../stream-consumers/records.js';

const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:order-lifecycle';
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const client = new SFNClient({ region: 'us-east-1' });

/** The sweep runs 10 minutes after T0 (when the book's orders were submitted). */
const NOW = T0 + 10 * 60_000;
const deps = (now = NOW): SweeperDeps => ({
  doc,
  sfn: client,
  ordersTable: 'orders',
  eventStoreTable: 'events',
  stateMachineArn: ARN,
  now: () => now,
});

type View = ReturnType<typeof orderViewItem>;
const awsError = (name: string) => Object.assign(new Error(name), { name });
const starts = () => sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);

/**
 * Orders of a book (their views as the projector writes them, createdAt shifted by `ageMs`
 * before NOW) served by a fake orders GSI and event store.
 */
function world(orders: { id: string; ageMs: number; commands?: 'accept' }[]) {
  const book = new OrderBook();
  const views: View[] = [];
  const store = new Map<string, StoredEvent[]>();
  for (const o of orders) {
    book.submit(o.id, limitOrder({ time_in_force: 'gtc', symbol: 'acme' }));
    if (o.commands === 'accept') book.run(o.id, { type: 'accept' });
    const createdAt = new Date(NOW - o.ageMs).toISOString();
    const events = eventsOf(book, o.id).map((e) => (e.seq === 1 ? { ...e, occurredAt: createdAt } : e));
    store.set(o.id, events);
    views.push(orderViewItem({ ...book.state(o.id), createdAt }));
  }
  ddb.on(QueryCommand).callsFake((input: QueryCommandInput) => {
    expect(input).toMatchObject({
      TableName: 'orders',
      IndexName: PENDING_NEW_INDEX,
      KeyConditionExpression: 'awaitingWorkflow = :pk AND createdKey < :cutoff',
      ScanIndexForward: true,
    });
    const values = input.ExpressionAttributeValues as { ':pk': string; ':cutoff': string };
    const items = views
      .filter((v) => v.awaitingWorkflow === values[':pk'] && v.createdKey < values[':cutoff'])
      .sort((a, b) => a.createdKey.localeCompare(b.createdKey))
      .slice(0, input.Limit)
      // KEYS_ONLY projection.
      .map((v) => ({ orderId: v.orderId, awaitingWorkflow: v.awaitingWorkflow, createdKey: v.createdKey }));
    return { Items: items };
  });
  ddb.on(GetCommand).callsFake((input: GetCommandInput) => {
    expect(input).toMatchObject({ TableName: 'events', ConsistentRead: true });
    const key = input.Key as { orderId: string; seq: number };
    return { Item: store.get(key.orderId)?.find((e) => e.seq === key.seq) };
  });
  sfn.on(StartExecutionCommand).callsFake(() => ({ executionArn: `${ARN}:x`, startDate: new Date(NOW) }));
  return { book, store };
}

beforeEach(() => {
  ddb.reset();
  sfn.reset();
});

describe('start-stalled-workflows', () => {
  test('restarts only orders pending_new for longer than a minute, as the signaller would start them', async () => {
    const { store } = world([
      { id: 'old-1', ageMs: 5 * 60_000 },
      { id: 'old-2', ageMs: MIN_AGE_MS + 1000 },
      { id: 'young', ageMs: MIN_AGE_MS - 1000 },
      { id: 'accepted', ageMs: 5 * 60_000, commands: 'accept' },
    ]);
    const result = await startStalledWorkflows(deps());
    expect(result).toEqual({ found: 2, outcomes: { restarted: 2, running: 0, ended: 0, failed: 0 } });
    const swept = starts();
    expect(swept.map((s) => s.name).sort()).toEqual(['old-1', 'old-2']);

    // The very request the signaller sends for the same OrderSubmitted: same name, same input bytes.
    sfn.resetHistory();
    const signaller: SignallerDeps = {
      doc,
      sfn: client,
      eventStoreTable: 'events',
      taskTokensTable: 'task-tokens',
      stateMachineArn: ARN,
    };
    for (const id of ['old-1', 'old-2']) {
      const submitted = (store.get(id) as StoredEvent[]).slice(0, 1);
      expect((await signalBatch(insertsOf(submitted), signaller)).batchItemFailures).toEqual([]);
    }
    const bySignaller = starts();
    const byName = (list: StartExecutionCommandInput[]) => Object.fromEntries(list.map((s) => [s.name, s]));
    expect(byName(swept)).toEqual(byName(bySignaller));
    expect(JSON.parse(String(swept[0]?.input))).toMatchObject({ symbol: 'ACME', timeInForce: 'gtc' });
  });

  test('queries every shard, oldest first, with the cutoff one minute back', async () => {
    world([]);
    await startStalledWorkflows(deps());
    const queries = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
    expect(queries.map((q) => q.ExpressionAttributeValues?.[':pk']).sort()).toEqual(
      Array.from({ length: 8 }, (_, i) => `pending_new#${i}`),
    );
    for (const q of queries) {
      expect(q.ExpressionAttributeValues?.[':cutoff']).toBe(new Date(NOW - MIN_AGE_MS).toISOString());
      expect(q.Limit).toBe(PER_SHARD_LIMIT);
    }
    expect(starts()).toEqual([]);
  });

  test.each<[string, () => void, keyof Awaited<ReturnType<typeof startStalledWorkflows>>['outcomes']]>([
    [
      'its execution is running (idempotent start: the original startDate)',
      () => sfn.on(StartExecutionCommand).resolves({ executionArn: 'x', startDate: new Date(NOW - 120_000) }),
      'running',
    ],
    [
      'its execution has ended (ExecutionAlreadyExists)',
      () => sfn.on(StartExecutionCommand).rejects(awsError('ExecutionAlreadyExists')),
      'ended',
    ],
    [
      'Step Functions is throttling',
      () => sfn.on(StartExecutionCommand).rejects(awsError('ThrottlingException')),
      'failed',
    ],
  ])('a stalled order is not counted as restarted when %s', async (_name, answer, outcome) => {
    world([{ id: 'o1', ageMs: 5 * 60_000 }]);
    answer();
    const result = await startStalledWorkflows(deps());
    expect(result.found).toBe(1);
    expect(result.outcomes[outcome]).toBe(1);
    expect(result.outcomes.restarted).toBe(0);
  });

  test('one order failing does not stop the others', async () => {
    world([
      { id: 'a', ageMs: 5 * 60_000 },
      { id: 'b', ageMs: 4 * 60_000 },
      { id: 'c', ageMs: 3 * 60_000 },
    ]);
    sfn.on(StartExecutionCommand, { name: 'b' }).rejects(awsError('ThrottlingException'));
    const result = await startStalledWorkflows(deps());
    expect(result.outcomes).toEqual({ restarted: 2, running: 0, ended: 0, failed: 1 });
  });

  test('an order without an OrderSubmitted at seq 1 is a failure, not a start with a made-up input', async () => {
    const { store } = world([{ id: 'o1', ageMs: 5 * 60_000 }]);
    store.set('o1', []);
    const result = await startStalledWorkflows(deps());
    expect(result.outcomes.failed).toBe(1);
    expect(starts()).toEqual([]);
  });

  test('the handler reads the orders table, the event store and the state machine from the environment', async () => {
    world([{ id: 'o1', ageMs: 5 * 60_000 }]);
    const clock = jest.spyOn(Date, 'now').mockReturnValue(NOW);
    const result = await handler({}).finally(() => clock.mockRestore());
    expect(result.outcomes.restarted).toBe(1);
    expect(starts()[0]?.stateMachineArn).toBe(process.env.ORDER_LIFECYCLE_STATE_MACHINE_ARN);
  });
});
