import './env.js';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SendTaskSuccessCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { OrderCommand, OrderSpec } from '../../lambdas/core/index.js';
import { OrderStateCache } from '../../lambdas/event-store/state-cache.js';
import { type SignallerDeps, signalBatch } from '../../lambdas/stream-consumers/signaller.js';
import { limitOrder, OrderBook } from '../core/order-book.js';
import { eventsOf, insertRecord, insertsOf, nth, serveEventStore, storeOf, streamEvent } from './records.js';

const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
const ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:order-lifecycle';
const deps: SignallerDeps = {
  doc: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
  sfn: new SFNClient({ region: 'us-east-1' }),
  eventStoreTable: 'events',
  taskTokensTable: 'task-tokens',
  stateMachineArn: ARN,
};

const awsError = (name: string) => Object.assign(new Error(name), { name });
const starts = () => sfn.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);
const releases = () =>
  sfn.commandCalls(SendTaskSuccessCommand).map((c) => ({
    taskToken: c.args[0].input.taskToken,
    output: JSON.parse(c.args[0].input.output ?? 'null') as unknown,
  }));
const tokenReads = () => ddb.commandCalls(GetCommand).map((c) => c.args[0].input);

/** A workflow waiting on every order: its token is in the table. */
function world(book: OrderBook, tokens: Record<string, string> | 'every' = 'every') {
  serveEventStore(ddb, storeOf(book));
  ddb.on(GetCommand).callsFake((input: { Key: { orderId: string } }) => {
    const token = tokens === 'every' ? `token-${input.Key.orderId}` : tokens[input.Key.orderId];
    return token === undefined ? {} : { Item: { orderId: input.Key.orderId, taskToken: token } };
  });
  sfn.on(StartExecutionCommand).resolves({ executionArn: `${ARN}:x`, startDate: new Date() });
  sfn.on(SendTaskSuccessCommand).resolves({});
}

beforeEach(() => {
  ddb.reset();
  sfn.reset();
});

const fill = (execId: string, lastQty: string): OrderCommand => ({
  type: 'fill',
  execId,
  lastQty,
  lastPx: '10',
});
const day = () => limitOrder({ qty: '10' });
const gtc = () => limitOrder({ qty: '10', time_in_force: 'gtc' });
const cancelAcked: OrderCommand[] = [
  { type: 'requestCancel', requestedBy: 'client' },
  { type: 'acknowledgeCancel' },
];

function orderOf(spec: OrderSpec, commands: readonly OrderCommand[]): OrderBook {
  const book = new OrderBook();
  book.submit('o1', spec);
  for (const c of commands) expect(book.run('o1', c).ok).toBe(true);
  return book;
}

describe('signaller: starting the workflow', () => {
  test('OrderSubmitted starts the execution named by the order, with an input from the event alone', async () => {
    const book = orderOf(limitOrder({ symbol: 'acme', time_in_force: 'gtc' }), []);
    world(book);
    const batch = insertsOf(eventsOf(book, 'o1'));
    expect((await signalBatch(batch, deps)).batchItemFailures).toEqual([]);
    const submittedAt = nth(eventsOf(book, 'o1'), 0).occurredAt;
    expect(starts()).toEqual([
      {
        stateMachineArn: ARN,
        name: 'o1',
        input: JSON.stringify({
          orderId: 'o1',
          accountId: 'acct-1',
          symbol: 'ACME',
          orderType: 'limit',
          timeInForce: 'gtc',
          extendedHours: false,
          submittedAt,
          replacement: false,
        }),
      },
    ]);

    // A redelivery sends the very same request; ExecutionAlreadyExists is success.
    sfn.on(StartExecutionCommand).rejects(awsError('ExecutionAlreadyExists'));
    expect((await signalBatch(batch, deps)).batchItemFailures).toEqual([]);
    const [first, second] = starts();
    expect(second).toEqual(first);
    // A new order is not settled: no token is looked up.
    expect(tokenReads()).toEqual([]);
  });

  test('a replacement starts its own workflow, marked as a replacement', async () => {
    const book = orderOf(gtc(), [
      { type: 'accept' },
      { type: 'requestReplace', replacementOrderId: 'o2', changes: { qty: '20' }, requestedBy: 'client' },
      { type: 'confirmReplace' },
    ]);
    world(book);
    expect((await signalBatch(insertsOf(eventsOf(book, 'o2')), deps)).batchItemFailures).toEqual([]);
    expect(starts().map((s) => [s.name, JSON.parse(s.input ?? '{}').replacement])).toEqual([['o2', true]]);
  });
});

/** [scenario, order, commands after submit, the closing milestone's status (null: none)] */
const milestones: [string, () => OrderSpec, OrderCommand[], string | null][] = [
  ['filled', day, [{ type: 'accept' }, fill('e1', '4'), fill('e2', '6')], 'filled'],
  ['canceled', day, [{ type: 'accept' }, ...cancelAcked, { type: 'confirmCancel' }], 'canceled'],
  ['expired', day, [{ type: 'accept' }, fill('e1', '4'), { type: 'expire' }], 'expired'],
  ['rejected', day, [{ type: 'reject', reason: 'halted' }], 'rejected'],
  [
    'replaced',
    gtc,
    [
      { type: 'accept' },
      { type: 'requestReplace', replacementOrderId: 'o2', changes: { qty: '20' }, requestedBy: 'client' },
      { type: 'confirmReplace' },
    ],
    'replaced',
  ],
  ['done for day (day order)', day, [{ type: 'accept' }, { type: 'doneForDay' }], 'done_for_day'],
  ['done for day (GTC order: works again tomorrow)', gtc, [{ type: 'accept' }, { type: 'doneForDay' }], null],
  ['partially filled', day, [{ type: 'accept' }, fill('e1', '4')], null],
  [
    'filled during a pending cancel (FIX D5)',
    day,
    [{ type: 'accept' }, ...cancelAcked, fill('e1', '10')],
    null,
  ],
  [
    'cancel rejected after the fill',
    day,
    [{ type: 'accept' }, ...cancelAcked, fill('e1', '10'), { type: 'rejectCancel', reason: 'too late' }],
    'filled',
  ],
];

describe('signaller: releasing the workflow at the closing milestone', () => {
  test.each(milestones)('%s', async (_name, spec, commands, status) => {
    const book = orderOf(spec(), commands);
    world(book);
    const events = eventsOf(book, 'o1');
    // Delivered whole, and delivered one record per batch: the same single release.
    expect((await signalBatch(insertsOf(events), deps)).batchItemFailures).toEqual([]);
    for (const e of events) expect((await signalBatch(insertsOf([e]), deps)).batchItemFailures).toEqual([]);
    const seq = events.length;
    const expected =
      status === null ? [] : [{ taskToken: 'token-o1', output: { orderId: 'o1', status, seq } }];
    expect(releases()).toEqual([...expected, ...expected]);
    if (status !== null) {
      expect(tokenReads()[0]).toEqual({
        TableName: 'task-tokens',
        Key: { orderId: 'o1' },
        ConsistentRead: true,
      });
    }
  });

  test('a replacement that opens already filled (FIX D11) settles with its OrderSubmitted', async () => {
    const book = orderOf(gtc(), [
      { type: 'accept' },
      fill('e1', '6'),
      { type: 'requestReplace', replacementOrderId: 'o2', changes: { qty: '5' }, requestedBy: 'client' },
      { type: 'confirmReplace' },
    ]);
    world(book);
    const opening = eventsOf(book, 'o2');
    expect((await signalBatch(insertsOf([nth(opening, 0)]), deps)).batchItemFailures).toEqual([]);
    expect(releases()).toEqual([
      { taskToken: 'token-o2', output: { orderId: 'o2', status: 'filled', seq: 1 } },
    ]);
    // Judged from the event itself: no event store read for a lone OrderSubmitted.
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
  });

  test('events after the milestone release nothing', async () => {
    const book = orderOf(day(), [{ type: 'accept' }, fill('e1', '10'), fill('e2', '1')]);
    world(book);
    const events = eventsOf(book, 'o1');
    expect(nth(events, 3).type).toBe('OrderExecutionQuarantined');
    expect((await signalBatch(insertsOf([nth(events, 3)]), deps)).batchItemFailures).toEqual([]);
    expect(tokenReads()).toEqual([]);
  });

  test('no token yet: nothing to release, no failure (await-outcome checks after storing it)', async () => {
    const book = orderOf(day(), [{ type: 'reject', reason: 'halted' }]);
    world(book, {});
    expect((await signalBatch(insertsOf(eventsOf(book, 'o1')), deps)).batchItemFailures).toEqual([]);
    expect(tokenReads()).toHaveLength(1);
    expect(releases()).toEqual([]);
  });

  test.each(['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist'])(
    'a token already released (%s) is success',
    async (code) => {
      const book = orderOf(day(), [{ type: 'reject', reason: 'halted' }]);
      world(book);
      sfn.on(SendTaskSuccessCommand).rejects(awsError(code));
      expect((await signalBatch(insertsOf(eventsOf(book, 'o1')), deps)).batchItemFailures).toEqual([]);
      expect(releases()).toHaveLength(1);
    },
  );
});

describe('signaller: failures are reported per record, never thrown', () => {
  /** [failing call, index in the batch [a1, b1, a2, a3] of the record reported] */
  const cases: [string, () => void, number][] = [
    [
      'StartExecution',
      () => sfn.on(StartExecutionCommand, { name: 'b' }).rejects(awsError('ThrottlingException')),
      1,
    ],
    ['token GetItem', () => ddb.on(GetCommand).rejects(awsError('ThrottlingException')), 3],
    ['SendTaskSuccess', () => sfn.on(SendTaskSuccessCommand).rejects(awsError('ThrottlingException')), 3],
    [
      'event store Query',
      () => ddb.on(QueryCommand).rejects(awsError('ProvisionedThroughputExceededException')),
      0,
    ],
  ];
  test.each(cases)('%s throttled', async (_name, failCall, reported) => {
    const book = new OrderBook();
    book.submit('a', day());
    book.run('a', { type: 'accept' });
    book.run('a', fill('e1', '10'));
    book.submit('b', day());
    world(book);
    failCall();
    const [a, b] = [eventsOf(book, 'a'), eventsOf(book, 'b')];
    const records = [nth(a, 0), nth(b, 0), nth(a, 1), nth(a, 2)].map((e) => insertRecord(e));
    const result = await signalBatch(streamEvent(records), deps);
    expect(result.batchItemFailures).toEqual([
      { itemIdentifier: records[reported]?.dynamodb?.SequenceNumber },
    ]);
  });

  test('state cache (issue 12): a batch continuing what this environment saw is judged without a read', async () => {
    const book = orderOf(day(), [{ type: 'accept' }, fill('e1', '10')]);
    world(book);
    const all = eventsOf(book, 'o1');
    const cached = { ...deps, states: new OrderStateCache() };
    expect((await signalBatch(insertsOf(all.slice(0, 1)), cached)).batchItemFailures).toEqual([]);
    expect((await signalBatch(insertsOf(all.slice(1)), cached)).batchItemFailures).toEqual([]);
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
    // The closing milestone was found all the same: the token is released once.
    expect(tokenReads()).toHaveLength(1);
    // Without what came before (another environment saw it), the store is read.
    const fresh = { ...deps, states: new OrderStateCache() };
    expect((await signalBatch(insertsOf(all.slice(1)), fresh)).batchItemFailures).toEqual([]);
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(1);
  });
});

describe('signaller: a stop the OMS holds (Hold until triggered)', () => {
  const stop = () =>
    ({
      ...limitOrder({ qty: '10', time_in_force: 'gtc' }),
      type: 'stop',
      stopPrice: '9',
      limitPrice: null,
    }) as OrderSpec;
  const armedThenTriggered: OrderCommand[] = [
    { type: 'arm', venue: 'SIMX' },
    { type: 'trigger', triggerPrice: '8.99', bid: '8.98', ask: '9' },
  ];

  /** The token table holds a wait of kind `awaits` (absent: an item stored before kinds existed). */
  function waiting(book: OrderBook, awaits: 'trigger' | 'outcome' | undefined) {
    serveEventStore(ddb, storeOf(book));
    ddb.on(GetCommand).resolves({
      Item: { orderId: 'o1', taskToken: 'token-o1', ...(awaits === undefined ? {} : { awaits }) },
    });
    sfn.on(SendTaskSuccessCommand).resolves({});
  }

  test('the trigger releases the trigger wait with status pending_new (the workflow then sends it)', async () => {
    const book = orderOf(stop(), armedThenTriggered);
    waiting(book, 'trigger');
    const events = eventsOf(book, 'o1');
    expect((await signalBatch(insertsOf([nth(events, 2)]), deps)).batchItemFailures).toEqual([]);
    expect(releases()).toEqual([
      { taskToken: 'token-o1', output: { orderId: 'o1', status: 'pending_new', seq: 3 } },
    ]);
  });

  test.each(['outcome', undefined] as const)(
    'the trigger never releases an outcome wait (awaits: %s)',
    async (awaits) => {
      const book = orderOf(stop(), armedThenTriggered);
      waiting(book, awaits);
      expect((await signalBatch(insertsOf([nth(eventsOf(book, 'o1'), 2)]), deps)).batchItemFailures).toEqual(
        [],
      );
      expect(releases()).toEqual([]);
    },
  );

  test('a trigger at the venue (a stop the venue holds) releases nothing', async () => {
    const book = orderOf(stop(), [{ type: 'accept' }, { type: 'trigger', triggerPrice: '8.99' }]);
    waiting(book, 'trigger');
    expect((await signalBatch(insertsOf(eventsOf(book, 'o1')), deps)).batchItemFailures).toEqual([]);
    expect(releases()).toEqual([]);
  });

  // docs/domain.md "Contingent orders": an OCO's stop-loss triggers held for its group; it is sent
  // only when its sibling is closed, on its activation: that releases the wait, and starts nothing.
  test("a group's stop-loss: the trigger releases nothing; its activation releases the wait and starts no workflow", async () => {
    const book = new OrderBook();
    expect(
      book.run('o1', {
        type: 'submit',
        orderId: 'o1',
        accountId: 'acct-1',
        order: stop(),
        contingency: {
          groupId: 'tp',
          orderClass: 'oco',
          role: 'stop_loss',
          parentOrderId: 'tp',
          legOrderIds: [],
          held: false,
        },
      }).ok,
    ).toBe(true);
    for (const c of armedThenTriggered) expect(book.run('o1', c).ok).toBe(true);
    waiting(book, 'trigger');
    sfn.on(StartExecutionCommand).resolves({ executionArn: `${ARN}:x`, startDate: new Date() });
    const triggered = nth(eventsOf(book, 'o1'), 2);
    expect((await signalBatch(insertsOf([triggered]), deps)).batchItemFailures).toEqual([]);
    expect(releases()).toEqual([]);
    expect(book.run('o1', { type: 'activate', qty: '6' }).ok).toBe(true);
    const activated = nth(eventsOf(book, 'o1'), 3);
    expect(activated).toMatchObject({ type: 'OrderActivated', data: { qty: '6', afterTrigger: true } });
    waiting(book, 'trigger'); // the store as it is now
    expect((await signalBatch(insertsOf([activated]), deps)).batchItemFailures).toEqual([]);
    expect(releases()).toEqual([
      { taskToken: 'token-o1', output: { orderId: 'o1', status: 'pending_new', seq: 4 } },
    ]);
    expect(starts()).toEqual([]);
  });

  test('a cancel while armed releases the trigger wait with the closed status', async () => {
    const book = orderOf(stop(), [
      { type: 'arm', venue: 'SIMX' },
      { type: 'requestCancel', requestedBy: 'client' },
    ]);
    waiting(book, 'trigger');
    expect((await signalBatch(insertsOf([nth(eventsOf(book, 'o1'), 2)]), deps)).batchItemFailures).toEqual(
      [],
    );
    expect(releases()).toEqual([
      { taskToken: 'token-o1', output: { orderId: 'o1', status: 'canceled', seq: 3 } },
    ]);
  });
});
