import './env.js';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  PutCommand,
  type PutCommandInput,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import fc from 'fast-check';
import { isSettled, type OrderCommand, storedAlpacaOrder, toAlpacaOrder } from '../../lambdas/core/index.js';
import type { StoredEvent } from '../../lambdas/event-store/event-store.js';
import { OrderStateCache } from '../../lambdas/event-store/state-cache.js';
import {
  awaitingWorkflowKey,
  orderViewItem,
  PENDING_NEW_SHARDS,
  requestInFlightKey,
} from '../../lambdas/orders/order-view-item.js';
import { type ProjectorDeps, projectBatch } from '../../lambdas/stream-consumers/projector.js';
import { limitOrder, OrderBook } from '../core/order-book.js';
import { eventsOf, insertRecord, insertsOf, nth, storeOf, streamEvent } from './records.js';
import { splitDecision } from './split-decision.js';

const ddb = mockClient(DynamoDBDocumentClient);
const deps: ProjectorDeps = {
  doc: DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' })),
  eventStoreTable: 'events',
  ordersTable: 'orders',
};

type Item = Record<string, unknown>;
const conditionFailed = () =>
  Object.assign(new Error('The conditional request failed'), { name: 'ConditionalCheckFailedException' });

/** The event store (Query) and the orders table (Put honouring the projector's condition). */
function tables(store: Map<string, StoredEvent[]>, failing: ReadonlySet<string> = new Set()) {
  const views = new Map<string, Item>();
  ddb.on(QueryCommand).callsFake((input: { ExpressionAttributeValues: Record<string, string> }) => ({
    Items: [...(store.get(input.ExpressionAttributeValues[':id'] ?? '') ?? [])],
  }));
  ddb.on(PutCommand).callsFake((input: PutCommandInput) => {
    expect(input.TableName).toBe('orders');
    const item = input.Item as Item;
    if (failing.has(item.orderId as string)) {
      throw Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' });
    }
    const existing = views.get(item.orderId as string);
    // A replacement that never opened is written once (`writeRejectedReplacement`), any other view
    // only over an older one.
    if (input.ConditionExpression === 'attribute_not_exists(orderId)') {
      if (existing !== undefined) throw conditionFailed();
      views.set(item.orderId as string, item);
      return {};
    }
    expect(input.ConditionExpression).toBe('attribute_not_exists(orderId) OR version < :seq');
    const seq = input.ExpressionAttributeValues?.[':seq'] as number;
    if (existing !== undefined && !((existing.version as number) < seq)) throw conditionFailed();
    views.set(item.orderId as string, item);
    return {};
  });
  return views;
}

const puts = () => ddb.commandCalls(PutCommand).length;
const queries = () =>
  ddb.commandCalls(QueryCommand).map((c) => c.args[0].input.ExpressionAttributeValues?.[':id']);

beforeEach(() => ddb.reset());

const fill = (execId: string, lastQty: string): OrderCommand => ({
  type: 'fill',
  execId,
  lastQty,
  lastPx: '10',
});
const dayOrder = () => limitOrder({ qty: '10', symbol: 'acme', client_order_id: 'c-9' });
const gtcOrder = () => limitOrder({ qty: '10', time_in_force: 'gtc' });

/** [expected status, open/closed, order, commands after submit] */
const scenarios: [string, 'open' | 'closed', () => ReturnType<typeof limitOrder>, OrderCommand[]][] = [
  ['pending_new', 'open', dayOrder, []],
  ['new', 'open', dayOrder, [{ type: 'accept' }]],
  ['partially_filled', 'open', dayOrder, [{ type: 'accept' }, fill('e1', '4')]],
  ['filled', 'closed', dayOrder, [{ type: 'accept' }, fill('e1', '4'), fill('e2', '6')]],
  [
    'pending_cancel',
    'open',
    dayOrder,
    [{ type: 'accept' }, { type: 'requestCancel', requestedBy: 'client' }, { type: 'acknowledgeCancel' }],
  ],
  ['canceled', 'closed', dayOrder, [{ type: 'accept' }, { type: 'confirmCancel' }]],
  ['expired', 'closed', dayOrder, [{ type: 'accept' }, fill('e1', '1'), { type: 'expire' }]],
  ['rejected', 'closed', dayOrder, [{ type: 'reject', reason: 'halted' }]],
  ['done_for_day', 'open', gtcOrder, [{ type: 'accept' }, { type: 'doneForDay' }]],
  [
    'replaced',
    'closed',
    gtcOrder,
    [
      { type: 'accept' },
      { type: 'requestReplace', replacementOrderId: 'o2', changes: { qty: '20' }, requestedBy: 'client' },
      { type: 'confirmReplace' },
    ],
  ],
];

describe('projector', () => {
  test.each(scenarios)(
    'writes the %s view with the list keys (%s)',
    async (status, openClosed, order, commands) => {
      const book = new OrderBook();
      book.submit('o1', order(), 'acct-7');
      for (const c of commands) expect(book.run('o1', c).ok).toBe(true);
      const store = storeOf(book);
      const views = tables(store);
      const events = eventsOf(book, 'o1');
      const result = await projectBatch(insertsOf(events), deps);
      expect(result.batchItemFailures).toEqual([]);
      // One rebuild and one write per order, however many of its records the batch holds.
      expect(queries()).toEqual(['o1']);
      expect(puts()).toBe(1);
      const state = book.state('o1');
      expect(views.get('o1')).toEqual({
        orderId: 'o1',
        accountId: 'acct-7',
        clientOrderId: state.clientOrderId,
        symbol: 'ACME',
        side: 'buy',
        status,
        openClosed,
        createdAt: state.createdAt,
        createdKey: `${state.createdAt}#o1`,
        // The sparse key of byAccountOpen: only while open (issue 12: a close writes one index delete).
        ...(openClosed === 'open' ? { openInAccount: 'acct-7' } : {}),
        accountSymbol: 'acct-7#ACME',
        version: events.length,
        // Null fields left out (issue 12: a view item within one write unit); readers restore them.
        order: storedAlpacaOrder(toAlpacaOrder(state)),
        // What byAccountOpen projects for risk besides the item's own keys (issue 12).
        exposure: expect.objectContaining({ type: 'limit', filled_qty: toAlpacaOrder(state).filled_qty }),
        // The sweeper's sparse key: only while pending_new.
        ...(status === 'pending_new' ? { awaitingWorkflow: awaitingWorkflowKey('o1') } : {}),
        // The in-flight check's sparse key: only while a cancel or replace is outstanding (issue 16).
        ...(status === 'pending_cancel' || status === 'pending_replace'
          ? { requestInFlight: requestInFlightKey('o1'), requestedAt: state.requestedAt }
          : {}),
      });
    },
  );

  test('awaitingWorkflow is set while pending_new and gone once the order moves on', async () => {
    const book = new OrderBook();
    book.submit('o1', dayOrder());
    const views = tables(storeOf(book));
    expect((await projectBatch(insertsOf(eventsOf(book, 'o1')), deps)).batchItemFailures).toEqual([]);
    expect(views.get('o1')?.awaitingWorkflow).toMatch(/^pending_new#[0-7]$/);

    book.run('o1', { type: 'accept' });
    const later = tables(storeOf(book));
    later.set('o1', views.get('o1') as Item);
    expect((await projectBatch(insertsOf([nth(eventsOf(book, 'o1'), 1)]), deps)).batchItemFailures).toEqual(
      [],
    );
    // A whole-item Put: the attribute is not carried over, so the order leaves the sparse index.
    expect(later.get('o1')?.status).toBe('new');
    expect(later.get('o1')).not.toHaveProperty('awaitingWorkflow');
    const put = ddb.commandCalls(PutCommand).at(-1)?.args[0].input.Item as Item;
    expect(put).not.toHaveProperty('awaitingWorkflow');
  });

  test('armedSymbol is set while the OMS holds the stop and gone once it triggers or is canceled', async () => {
    const armedStop = () =>
      limitOrder({ type: 'stop', side: 'sell', symbol: 'acme', stop_price: '9', limit_price: undefined });
    const book = new OrderBook();
    for (const id of ['t', 'c']) {
      book.submit(id, armedStop());
      expect(book.run(id, { type: 'arm', venue: 'NOSTOPS' }).ok).toBe(true);
    }
    const views = tables(storeOf(book));
    const armed = [...eventsOf(book, 't'), ...eventsOf(book, 'c')];
    expect((await projectBatch(insertsOf(armed), deps)).batchItemFailures).toEqual([]);
    for (const id of ['t', 'c']) {
      expect(views.get(id)).toMatchObject({ status: 'accepted', armedSymbol: 'ACME' });
      // Not pending_new: the stalled-workflow sweeper leaves an armed stop alone.
      expect(views.get(id)).not.toHaveProperty('awaitingWorkflow');
    }

    expect(book.run('t', { type: 'trigger', triggerPrice: '8.99', bid: '8.98', ask: '9' }).ok).toBe(true);
    expect(book.run('c', { type: 'requestCancel', requestedBy: 'client' }).ok).toBe(true);
    const later = tables(storeOf(book));
    for (const id of ['t', 'c']) later.set(id, views.get(id) as Item);
    const moved = [nth(eventsOf(book, 't'), 2), nth(eventsOf(book, 'c'), 2)];
    expect((await projectBatch(insertsOf(moved), deps)).batchItemFailures).toEqual([]);
    // Whole-item Puts: the sparse key is not carried over, so both leave byArmedSymbol.
    expect(later.get('t')).toMatchObject({ status: 'pending_new' });
    expect(later.get('c')).toMatchObject({ status: 'canceled' });
    for (const id of ['t', 'c']) expect(later.get(id)).not.toHaveProperty('armedSymbol');
  });

  test('the pending_new key is stable per order and spreads orders over every shard', () => {
    const keys = Array.from({ length: 400 }, (_, i) => awaitingWorkflowKey(`order-${i}`));
    expect(new Set(keys)).toEqual(
      new Set(Array.from({ length: PENDING_NEW_SHARDS }, (_, i) => `pending_new#${i}`)),
    );
    expect(awaitingWorkflowKey('order-7')).toBe(keys[7]);
    for (let i = 0; i < PENDING_NEW_SHARDS; i++) {
      const n = keys.filter((k) => k === `pending_new#${i}`).length;
      expect(n).toBeGreaterThan(400 / PENDING_NEW_SHARDS / 2);
    }
  });

  test.each(scenarios.map(([status]) => status))('view of a %s order', (status) => {
    const [, , order, commands] = scenarios.find(([s]) => s === status) as (typeof scenarios)[number];
    const book = new OrderBook();
    book.submit('o1', order());
    for (const c of commands) book.run('o1', c);
    expect('awaitingWorkflow' in orderViewItem(book.state('o1'))).toBe(status === 'pending_new');
    expect(orderViewItem(book.state('o1'))).not.toHaveProperty('armedSymbol');
  });

  test('a stale or redelivered record is a no-op: the view never goes back', async () => {
    const book = new OrderBook();
    book.submit('o1', dayOrder());
    book.run('o1', { type: 'accept' });
    const views = tables(storeOf(book));
    const [submitted, accepted] = [nth(eventsOf(book, 'o1'), 0), nth(eventsOf(book, 'o1'), 1)];
    expect((await projectBatch(insertsOf([submitted, accepted]), deps)).batchItemFailures).toEqual([]);
    const written = views.get('o1');
    expect(written?.version).toBe(2);

    // The same records again, and the old one alone: the condition refuses, which is success.
    for (const batch of [[submitted, accepted], [submitted]]) {
      expect((await projectBatch(insertsOf(batch), deps)).batchItemFailures).toEqual([]);
      expect(views.get('o1')).toBe(written);
    }
    expect(puts()).toBe(3);
  });

  test('an old record delivered after the store moved on writes the newest view', async () => {
    const book = new OrderBook();
    book.submit('o1', dayOrder());
    const first = nth(eventsOf(book, 'o1'), 0);
    book.run('o1', { type: 'accept' });
    book.run('o1', fill('e1', '10'));
    const views = tables(storeOf(book));
    expect((await projectBatch(insertsOf([first]), deps)).batchItemFailures).toEqual([]);
    expect(views.get('o1')).toMatchObject({ version: 3, status: 'filled', openClosed: 'closed' });
  });

  test('orders fail independently; the first record of the failed order is reported', async () => {
    const book = new OrderBook();
    for (const id of ['a', 'b']) {
      book.submit(id, dayOrder());
      book.run(id, { type: 'accept' });
    }
    const views = tables(storeOf(book), new Set(['b']));
    const [a, b] = [eventsOf(book, 'a'), eventsOf(book, 'b')];
    const records = [nth(a, 0), nth(b, 0), nth(a, 1), nth(b, 1)].map((e) => insertRecord(e));
    const result = await projectBatch(streamEvent(records), deps);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: records[1]?.dynamodb?.SequenceNumber }]);
    expect(views.get('a')?.version).toBe(2);
    expect(views.has('b')).toBe(false);
  });

  test('a store behind the stream (or an order it does not have) is a failure, not a wrong view', async () => {
    const book = new OrderBook();
    book.submit('o1', dayOrder());
    book.run('o1', { type: 'accept' });
    const events = eventsOf(book, 'o1');
    const behind = new Map([['o1', events.slice(0, 1)]]);
    tables(behind);
    const records = events.map((e) => insertRecord(e));
    expect((await projectBatch(streamEvent(records), deps)).batchItemFailures).toEqual([
      { itemIdentifier: records[0]?.dynamodb?.SequenceNumber },
    ]);
    tables(new Map());
    expect((await projectBatch(streamEvent(records.slice(1)), deps)).batchItemFailures).toHaveLength(1);
    expect(puts()).toBe(0);
  });

  describe('the state cache (issue 12: a batch that continues the last view written needs no read)', () => {
    const later = (book: OrderBook) => {
      book.run('o1', { type: 'accept' });
      book.run('o1', fill('x1', '1'));
    };

    test('consecutive batches: the first starts the order, the next continues it; no read, the same views', async () => {
      const book = new OrderBook();
      book.submit('o1', dayOrder());
      const first = eventsOf(book, 'o1');
      later(book);
      const rest = eventsOf(book, 'o1').slice(first.length);
      const views = tables(storeOf(book));
      const cached = { ...deps, states: new OrderStateCache() };
      expect((await projectBatch(insertsOf(first), cached)).batchItemFailures).toEqual([]);
      expect((await projectBatch(insertsOf(rest), cached)).batchItemFailures).toEqual([]);
      expect(queries()).toEqual([]);
      expect(views.get('o1')?.order).toEqual(storedAlpacaOrder(toAlpacaOrder(book.state('o1'))));
    });

    test('a gap (another environment wrote the views in between) reads the store', async () => {
      const book = new OrderBook();
      book.submit('o1', dayOrder());
      later(book);
      const all = eventsOf(book, 'o1');
      const views = tables(storeOf(book));
      const cached = { ...deps, states: new OrderStateCache() };
      await projectBatch(insertsOf(all.slice(0, 1)), cached);
      // seq 2 went to another environment; this one sees seq 3 only.
      expect((await projectBatch(insertsOf(all.slice(2)), cached)).batchItemFailures).toEqual([]);
      expect(queries()).toEqual(['o1']);
      expect(views.get('o1')?.order).toEqual(storedAlpacaOrder(toAlpacaOrder(book.state('o1'))));
    });

    test('property: whatever the batches and redeliveries, the view is the fold of the whole stream', async () => {
      const book = new OrderBook();
      book.submit('o1', dayOrder());
      later(book);
      book.run('o1', fill('x2', '2'));
      const all = eventsOf(book, 'o1');
      await fc.assert(
        fc.asyncProperty(
          fc.array(fc.tuple(fc.nat(all.length - 1), fc.integer({ min: 1, max: 3 })), {
            minLength: 1,
            maxLength: 8,
          }),
          async (deliveries) => {
            ddb.reset();
            const views = tables(storeOf(book));
            const cached = { ...deps, states: new OrderStateCache() };
            // Batches of consecutive events from any point (redeliveries and overlaps included), then the tail.
            for (const [from, n] of [...deliveries, [0, all.length] as const]) {
              await projectBatch(insertsOf(all.slice(from, from + n)), cached);
            }
            expect(views.get('o1')?.order).toEqual(storedAlpacaOrder(toAlpacaOrder(book.state('o1'))));
            expect(views.get('o1')?.version).toBe(all.length);
          },
        ),
        { numRuns: 60 },
      );
    });
  });
});

/**
 * A replacement a PATCH answered whose replace never happened (a probe: GET /v2/orders/{id} read it
 * `rejected`, `replaces` the order, but no `status=closed` or `status=all` listing had it: the
 * listings are the read model's, and the id has no events of its own to project). The projector
 * writes its view, rejected and closed, when the order's events end the request without it.
 */
describe('the view of a replacement that never opened', () => {
  const patch: OrderCommand = {
    type: 'requestReplace',
    replacementOrderId: 'o2',
    changes: { limitPrice: '12', clientOrderId: 'c-2' },
    requestedBy: 'client',
  };
  // biome-ignore format: a table
  const ended: [string, OrderCommand[]][] = [
    ['the venue refused the replace',             [{ type: 'accept' }, patch, { type: 'rejectReplace', reason: 'too_late_to_replace' }]],
    ['the order filled while the venue worked it', [{ type: 'accept' }, patch, fill('e1', '10')]],
    ['filled, then refused (the fill ended it)',   [{ type: 'accept' }, patch, fill('e1', '10'), { type: 'rejectReplace', reason: 'too_late_to_replace' }]],
    ['refused after an acknowledgement',          [{ type: 'accept' }, patch, { type: 'acknowledgeReplace' }, fill('e1', '4'), { type: 'rejectReplace', reason: 'x' }]],
  ];

  /** The book after `commands`, and the event (its time) that ended the replace. */
  function scenario(commands: OrderCommand[]) {
    const book = new OrderBook();
    book.submit('o1', dayOrder(), 'acct-7');
    let endedAt: string | undefined;
    for (const c of commands) {
      const before = book.state('o1');
      expect(book.run('o1', c).ok).toBe(true);
      const after = book.state('o1');
      if (
        endedAt === undefined &&
        before.replaceRequest !== null &&
        (after.replaceRequest === null || isSettled(after))
      )
        endedAt = after.updatedAt;
    }
    const requestedAt = eventsOf(book, 'o1').find((e) => e.type === 'OrderReplaceRequested')?.occurredAt;
    return { book, endedAt, requestedAt };
  }

  test.each(ended)(
    '%s: listed rejected under closed and all, once however the records are delivered',
    async (_case, commands) => {
      const { book, endedAt, requestedAt } = scenario(commands);
      const events = eventsOf(book, 'o1');
      const deliveries = [...events.map((e) => [e]), events, [events.at(-1) as StoredEvent]];
      await fc.assert(
        fc.asyncProperty(fc.shuffledSubarray(deliveries, { minLength: 1 }), async (extra) => {
          ddb.reset();
          const views = tables(storeOf(book));
          for (const batch of [...deliveries, ...extra])
            expect((await projectBatch(insertsOf(batch), deps)).batchItemFailures).toEqual([]);
          const view = views.get('o2');
          expect(view).toMatchObject({
            orderId: 'o2',
            accountId: 'acct-7',
            clientOrderId: 'c-2',
            accountSymbol: 'acct-7#ACME',
            side: 'buy',
            status: 'rejected',
            openClosed: 'closed',
            // Placed when PATCH answered it: where the listings sort it.
            createdAt: requestedAt,
            createdKey: `${requestedAt}#o2`,
            version: 0,
            order: {
              id: 'o2',
              client_order_id: 'c-2',
              replaces: 'o1',
              limit_price: '12',
              status: 'rejected',
              failed_at: endedAt,
              updated_at: endedAt,
            },
          });
          // In no open or worklist index: it is closed.
          for (const sparse of [
            'openInAccount',
            'awaitingWorkflow',
            'requestInFlight',
            'armedSymbol',
            'exceptionOpen',
          ])
            expect(view).not.toHaveProperty(sparse);
          // Written once: later deliveries find it there.
          const stubs = ddb.commandCalls(PutCommand).filter((c) => c.args[0].input.Item?.orderId === 'o2');
          expect(stubs.length).toBeGreaterThanOrEqual(1);
          expect(
            stubs.every((c) => c.args[0].input.ConditionExpression === 'attribute_not_exists(orderId)'),
          ).toBe(true);
        }),
        { numRuns: 10 },
      );
    },
  );

  // biome-ignore format: a table
  test.each([
    ['the venue confirmed it (the replacement opens: its own events project it)', [{ type: 'accept' }, patch, { type: 'confirmReplace' }]],
    ['the venue works it still',                                                   [{ type: 'accept' }, patch, { type: 'acknowledgeReplace' }]],
    ['a fill while it is outstanding, the order still open',                       [{ type: 'accept' }, patch, fill('e1', '4')]],
  ] as [string, OrderCommand[]][])('%s: no view written for it from the order’s events', async (_case, commands) => {
    const { book } = scenario(commands);
    const views = tables(storeOf(book));
    expect((await projectBatch(insertsOf(eventsOf(book, 'o1')), deps)).batchItemFailures).toEqual([]);
    expect(views.has('o2')).toBe(false);
    expect(ddb.commandCalls(PutCommand).filter((c) => c.args[0].input.Item?.orderId === 'o2')).toHaveLength(0);
  });

  test('a batch continuing a cached state reads the order’s events to show the replacement as PATCH answered it', async () => {
    // The fill comes after the PATCH answered (carried fills 0): the view shows what PATCH answered.
    const { book, endedAt } = scenario([
      { type: 'accept' },
      patch,
      fill('e1', '4'),
      { type: 'rejectReplace', reason: 'x' },
    ]);
    const events = eventsOf(book, 'o1');
    const views = tables(storeOf(book));
    const cached: ProjectorDeps = { ...deps, states: new OrderStateCache() };
    expect((await projectBatch(insertsOf(events.slice(0, -1)), cached)).batchItemFailures).toEqual([]);
    expect(views.has('o2')).toBe(false);
    ddb.resetHistory();
    expect((await projectBatch(insertsOf(events.slice(-1)), cached)).batchItemFailures).toEqual([]);
    // One Query: the order's events (the cached state alone has not the request's moment).
    expect(queries()).toEqual(['o1']);
    expect(views.get('o2')).toMatchObject({
      status: 'rejected',
      order: { filled_qty: '0', status: 'rejected', failed_at: endedAt, replaces: 'o1' },
    });
  });

  test('a real view of the id is never overwritten; a failed write fails the order’s records (retried)', async () => {
    const { book } = scenario(ended[0]?.[1] as OrderCommand[]);
    const events = eventsOf(book, 'o1');
    const views = tables(storeOf(book));
    views.set('o2', { orderId: 'o2', version: 3, status: 'new' });
    expect((await projectBatch(insertsOf(events), deps)).batchItemFailures).toEqual([]);
    expect(views.get('o2')).toEqual({ orderId: 'o2', version: 3, status: 'new' });

    ddb.reset();
    const failing = tables(storeOf(book), new Set(['o2']));
    const records = events.map((e) => insertRecord(e));
    const result = await projectBatch(streamEvent(records), deps);
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: records[0]?.dynamodb?.SequenceNumber }]);
    expect(failing.has('o2')).toBe(false);
  });
});

describe('the firm open-exposure claim given back when the order settles (issue 16, 15c3-5(c)(1)(i))', () => {
  const claim = { id: 'o1', cents: 10_000 };
  /** The claims table: the claim item is the token; a second release finds it gone. */
  function claims(present: boolean) {
    const state = { present, released: 0 };
    ddb.on(TransactWriteCommand).callsFake((input: TransactWriteCommandInput) => {
      const [del, add] = input.TransactItems ?? [];
      expect(del?.Delete?.Key).toEqual({ id: 'open-exposure#claim#o1' });
      expect(add?.Update?.Key).toEqual({ id: 'open-exposure#firm' });
      if (!state.present)
        throw Object.assign(new Error('cancelled'), {
          name: 'TransactionCanceledException',
          CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }],
        });
      state.present = false;
      state.released -= add?.Update?.ExpressionAttributeValues?.[':release'] as number;
      return {};
    });
    return state;
  }
  const withClaims: ProjectorDeps = { ...deps, exposureClaimsTable: 'idempotency' };

  test.each([
    ['filled', dayOrder, [{ type: 'accept' }, fill('e1', '10')], 10_000],
    ['canceled', dayOrder, [{ type: 'accept' }, { type: 'confirmCancel' }], 10_000],
    ['rejected', dayOrder, [{ type: 'reject', reason: 'halted' }], 10_000],
    ['partially filled: still open, kept', dayOrder, [{ type: 'accept' }, fill('e1', '4')], 0],
    ['a gtc order done for the day: kept', gtcOrder, [{ type: 'accept' }, { type: 'doneForDay' }], 0],
    [
      'replaced: kept for the replacement',
      gtcOrder,
      [
        { type: 'accept' },
        { type: 'requestReplace', replacementOrderId: 'o2', changes: { qty: '20' }, requestedBy: 'client' },
        { type: 'confirmReplace' },
      ],
      0,
    ],
  ] as [string, () => ReturnType<typeof limitOrder>, OrderCommand[], number][])(
    '%s: given back once, however the records are delivered',
    async (_case, order, commands, expected) => {
      const book = new OrderBook();
      book.run('o1', {
        type: 'submit',
        orderId: 'o1',
        accountId: 'acct-7',
        order: order(),
        exposureClaim: claim,
      });
      for (const c of commands) expect(book.run('o1', c).ok).toBe(true);
      const events = eventsOf(book, 'o1');
      // One record per batch, then the whole stream again (a redelivery), then the last alone.
      const deliveries = [...events.map((e) => [e]), events, [events.at(-1) as StoredEvent]];
      await fc.assert(
        fc.asyncProperty(fc.shuffledSubarray(deliveries, { minLength: 1 }), async (extra) => {
          ddb.reset();
          tables(storeOf(book));
          const table = claims(true);
          for (const batch of [...deliveries, ...extra])
            expect((await projectBatch(insertsOf(batch), withClaims)).batchItemFailures).toEqual([]);
          expect(table.released).toBe(expected);
        }),
        { numRuns: 10 },
      );
    },
  );

  test('an order without a claim gives nothing back (no request)', async () => {
    const book = new OrderBook();
    book.submit('o1', dayOrder(), 'acct-7');
    book.run('o1', { type: 'accept' });
    book.run('o1', fill('e1', '10'));
    tables(storeOf(book));
    claims(true);
    expect((await projectBatch(insertsOf(eventsOf(book, 'o1')), withClaims)).batchItemFailures).toEqual([]);
    expect(ddb.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  test("a failing release fails the order's records (the batch is retried, the release with it)", async () => {
    const book = new OrderBook();
    book.run('o1', {
      type: 'submit',
      orderId: 'o1',
      accountId: 'acct-7',
      order: dayOrder(),
      exposureClaim: claim,
    });
    book.run('o1', { type: 'reject', reason: 'halted' });
    tables(storeOf(book));
    ddb
      .on(TransactWriteCommand)
      .rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    const r = await projectBatch(insertsOf(eventsOf(book, 'o1')), withClaims);
    expect(r.batchItemFailures).toHaveLength(1);
  });
});

describe('the rest of a buying power claim given back when the order settles (core buying-power-claims.ts)', () => {
  // 10 shares reserve 10,000 cents; each execution gives its share back in the ledger's transaction.
  const claim = { id: 'o1', cents: 10_000, qty: '10' };
  /** The reservations: the settled marker is the token; a second release finds it there. */
  function reservations(claimId = 'o1') {
    const state = { settled: false, released: 0, requests: 0 };
    ddb.on(TransactWriteCommand).callsFake((input: TransactWriteCommandInput) => {
      const [marker, total] = input.TransactItems ?? [];
      expect(marker?.Put?.Item?.id).toBe(`open-buys#settled#${claimId}`);
      expect(total?.Update?.Key).toEqual({ pk: 'open-buys#acct-7' });
      state.requests++;
      if (state.settled)
        throw Object.assign(new Error('cancelled'), {
          name: 'TransactionCanceledException',
          CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }],
        });
      state.settled = true;
      state.released -= total?.Update?.ExpressionAttributeValues?.[':release'] as number;
      return {};
    });
    return state;
  }
  const withReservations: ProjectorDeps = {
    ...deps,
    buyingPowerReservations: { accounts: 'accounts', markers: 'idempotency' },
  };

  // biome-ignore format: a table
  test.each([
    ['canceled unfilled: the whole claim',                dayOrder, [{ type: 'accept' }, { type: 'confirmCancel' }], 10_000],
    ['rejected: the whole claim',                         dayOrder, [{ type: 'reject', reason: 'halted' }], 10_000],
    ['canceled after 4 of 10 filled: the 6,000 left',     dayOrder, [{ type: 'accept' }, fill('e1', '4'), { type: 'confirmCancel' }], 6_000],
    ['a day order done for the day after 4 filled: 6,000', dayOrder, [{ type: 'accept' }, fill('e1', '4'), { type: 'doneForDay' }], 6_000],
    ['filled: nothing (its executions gave it all back)', dayOrder, [{ type: 'accept' }, fill('e1', '10')], 0],
    ['partially filled, still open: nothing yet',         dayOrder, [{ type: 'accept' }, fill('e1', '4')], 0],
    ['a gtc order done for the day: kept',                gtcOrder, [{ type: 'accept' }, { type: 'doneForDay' }], 0],
    // The replacement holds the claim its PATCH made, if any (the rows below), not this one.
    ['replaced: the whole claim',                         gtcOrder, [
      { type: 'accept' },
      { type: 'requestReplace', replacementOrderId: 'o2', changes: { qty: '20' }, requestedBy: 'client' },
      { type: 'confirmReplace' },
    ], 10_000],
    // Its children execute (they hold no claim): the parent gives its claim back whole at the split,
    // and nothing more when it closes with them.
    ['split across venues by the router: the whole claim, at the split', dayOrder, [
      { type: 'route', decision: splitDecision },
    ], 10_000],
    ['split, then canceled: the whole claim, once', dayOrder, [
      { type: 'route', decision: splitDecision },
      { type: 'requestCancel', requestedBy: 'client' },
      { type: 'confirmCancel' },
    ], 10_000],
  ] as [string, () => ReturnType<typeof limitOrder>, OrderCommand[], number][])(
    '%s, once however the records are delivered',
    async (_case, order, commands, expected) => {
      const book = new OrderBook();
      book.run('o1', {
        type: 'submit',
        orderId: 'o1',
        accountId: 'acct-7',
        order: order(),
        buyingPowerClaim: claim,
      });
      for (const c of commands) expect(book.run('o1', c).ok).toBe(true);
      const events = eventsOf(book, 'o1');
      const deliveries = [...events.map((e) => [e]), events, [events.at(-1) as StoredEvent]];
      await fc.assert(
        fc.asyncProperty(fc.shuffledSubarray(deliveries, { minLength: 1 }), async (extra) => {
          ddb.reset();
          tables(storeOf(book));
          const table = reservations();
          for (const batch of [...deliveries, ...extra])
            expect((await projectBatch(insertsOf(batch), withReservations)).batchItemFailures).toEqual([]);
          expect(table.released).toBe(expected);
          if (expected === 0) expect(table.requests).toBe(0);
        }),
        { numRuns: 10 },
      );
    },
  );

  // A PATCH of a buy claims for its replacement in the request's transaction (a buy placed while
  // the venue worked a replace raising an order counted only the old terms): the claim is the
  // replacement's once the venue confirms, given back whole if the replace never happens.
  const replaceClaim = { id: 'o2', cents: 12_000, qty: '10' };
  const patch: OrderCommand = {
    type: 'requestReplace',
    replacementOrderId: 'o2',
    changes: { limitPrice: '12' },
    requestedBy: 'client',
    buyingPowerClaim: replaceClaim,
  };
  // biome-ignore format: a table
  test.each([
    ['the venue refused the replace: the whole claim',           [{ type: 'accept' }, patch, { type: 'rejectReplace', reason: 'too late' }], 12_000],
    ['the order filled while the venue worked it: the whole claim', [{ type: 'accept' }, patch, fill('e1', '10')], 12_000],
    ['the venue confirmed it: kept (the replacement holds it)',  [{ type: 'accept' }, patch, { type: 'confirmReplace' }], 0],
    ['the venue works it still: kept',                           [{ type: 'accept' }, patch, { type: 'acknowledgeReplace' }], 0],
  ] as [string, OrderCommand[], number][])(
    "a PATCH's claim for its replacement: %s, once however the records are delivered",
    async (_case, commands, expected) => {
      const book = new OrderBook();
      // The order itself claimed nothing (placed before claims): only the PATCH's claim moves.
      book.run('o1', { type: 'submit', orderId: 'o1', accountId: 'acct-7', order: gtcOrder() });
      for (const c of commands) expect(book.run('o1', c).ok).toBe(true);
      const events = eventsOf(book, 'o1');
      const deliveries = [...events.map((e) => [e]), events, [events.at(-1) as StoredEvent]];
      await fc.assert(
        fc.asyncProperty(fc.shuffledSubarray(deliveries, { minLength: 1 }), async (extra) => {
          ddb.reset();
          tables(storeOf(book));
          const table = reservations('o2');
          for (const batch of [...deliveries, ...extra])
            expect((await projectBatch(insertsOf(batch), withReservations)).batchItemFailures).toEqual([]);
          expect(table.released).toBe(expected);
          if (expected === 0) expect(table.requests).toBe(0);
        }),
        { numRuns: 10 },
      );
    },
  );
});
