/**
 * The projector appends each order's trade updates with its view, in one transaction (issue 14),
 * against the real DynamoDB Local: a redelivered batch appends nothing, a batch delivered again
 * from an earlier record after the view moved on appends only what the view had not seen, and the
 * orders of one account projected at once share a gapless sequence with every update once; a replace
 * that ends without its replacement appends the replacement's `rejected` once, after the order's update.
 */
import './env.js';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { abandonedReplacement, rejectedReplacementOrder } from '../../lambdas/core/abandoned-replacement.js';
import { evolve, type OrderCommand, type OrderState, openReplacement } from '../../lambdas/core/index.js';
import type { StoredEvent } from '../../lambdas/event-store/event-store.js';
import { OrderStateCache } from '../../lambdas/event-store/state-cache.js';
import { updatesAfter } from '../../lambdas/orders/trade-update-stream.js';
import { type ProjectorDeps, projectBatch, projectOrder } from '../../lambdas/stream-consumers/projector.js';
import { limitOrder, OrderBook } from '../core/order-book.js';
import { dynamoDbLocalWith, table } from '../local/fixtures/dynamodb-tables.js';
import { insertsOf, stored } from './records.js';
import { splitDecision } from './split-decision.js';

const local = dynamoDbLocalWith([
  table('events', 'orderId', 'seq'),
  table('orders', 'orderId'),
  table('trade-stream', 'pk', 'sk'),
]);
let doc: DynamoDBDocumentClient;
beforeAll(() => {
  doc = local.doc;
});

let n = 0;
const store = (e: StoredEvent) => doc.send(new PutCommand({ TableName: 'events', Item: e }));
const deps = (states?: OrderStateCache): ProjectorDeps => ({
  doc,
  eventStoreTable: 'events',
  ordersTable: 'orders',
  ...(states === undefined ? {} : { states }),
  tradeUpdates: {
    table: 'trade-stream',
    heads: new Map(),
    positionAfter: async () => '7',
    positionNow: async () => '20',
  },
});

const accept: OrderCommand = { type: 'accept', venueOrderId: 'v' };
const fill = (execId: string, lastQty: string): OrderCommand => ({
  type: 'fill',
  execId,
  lastQty,
  lastPx: '10',
});

/** An order's stored events after the commands, written to the event store. */
async function orderWith(
  accountId: string,
  commands: readonly OrderCommand[],
  stored_ = Number.POSITIVE_INFINITY,
): Promise<StoredEvent[]> {
  const orderId = `o-${++n}`;
  const book = new OrderBook();
  book.submit(orderId, limitOrder({ qty: '100' }), accountId);
  for (const c of commands) book.run(orderId, c);
  const events = (book.events.get(orderId) ?? []).map((e) => ({ ...stored(e), accountId }));
  for (const e of events.slice(0, stored_)) await store(e);
  return events;
}

const sentEvents = async (accountId: string) =>
  (await updatesAfter(doc, 'trade-stream', accountId, 0, 1000)).map(
    (u) => `${u.stream_seq}:${u.order.id}:${u.event}`,
  );

test('a batch appends its updates once; delivered again it appends nothing', async () => {
  const account = `acc-${++n}`;
  const events = await orderWith(account, [accept, fill('a', '40'), fill('b', '60')]);
  const order = events[0]?.orderId as string;
  expect(await projectOrder(deps(), order, events.length, events)).toBe('written');
  expect(await sentEvents(account)).toEqual([`1:${order}:new`, `2:${order}:partial_fill`, `3:${order}:fill`]);
  expect(await projectOrder(deps(), order, events.length, events)).toBe('stale');
  expect(await projectOrder(deps(), order, events.length, events.slice(2))).toBe('stale');
  expect(await sentEvents(account)).toHaveLength(3);
  const [, , fillUpdate] = await updatesAfter(doc, 'trade-stream', account, 0, 10);
  expect(fillUpdate).toMatchObject({ oms_execution_id: 'b', qty: '60', price: '10', position_qty: '7' });
});

test("a split's fills, mirrored from its children, carry the position as the ledger has it now: the position right after each child's execution could run backwards along the order's updates (a probe: 2815, 3015, then 2844 for the last fill of a buy)", async () => {
  const account = `acc-${++n}`;
  const split: OrderCommand = { type: 'route', decision: splitDecision };
  const mirrored = (childOrderId: string, execId: string, lastQty: string): OrderCommand => ({
    type: 'fill',
    execId,
    lastQty,
    lastPx: '10',
    childOrderId,
  });
  const orderId = `o-${++n}`;
  const book = new OrderBook();
  book.submit(orderId, limitOrder({ qty: '10' }), account);
  for (const c of [split, mirrored('c1', 'c1:1', '6'), mirrored('c2', 'c2:1', '4')])
    expect(book.run(orderId, c).ok).toBe(true);
  const events = (book.events.get(orderId) ?? []).map((e) => ({ ...stored(e), accountId: account }));
  for (const e of events) await store(e);
  // The ledger applied c2's execution before c1's: right after c1's it was 16, after c2's 14.
  const asked: string[] = [];
  const ledger: ProjectorDeps = {
    ...deps(),
    tradeUpdates: {
      table: 'trade-stream',
      heads: new Map(),
      positionAfter: async (child) => (child === 'c1' ? '16' : '14'),
      positionNow: async (accountId, symbol) => {
        asked.push(`${accountId} ${symbol}`);
        return '16';
      },
    },
  };
  expect(await projectOrder(ledger, orderId, events.length, events)).toBe('written');
  const fills = (await updatesAfter(doc, 'trade-stream', account, 0, 10)).filter(
    (u) => u.execution_id !== undefined,
  );
  expect(fills.map((u) => [u.event, u.qty, u.position_qty])).toEqual([
    ['partial_fill', '6', '16'],
    ['fill', '4', '16'],
  ]);
  expect(asked).toEqual([`${account} ACME`, `${account} ACME`]);
});

test('delivered again from an earlier record after the view moved on: only the unseen events are sent', async () => {
  const account = `acc-${++n}`;
  // The store holds the order up to its partial fill when the first batch is projected.
  const events = await orderWith(account, [accept, fill('a', '40'), fill('b', '60')], 3);
  const order = events[0]?.orderId as string;
  expect(await projectOrder(deps(), order, 3, events.slice(0, 3))).toBe('written');
  // The fill is appended; the next batch comes again from the acceptance (a bisected retry).
  await store(events[3] as StoredEvent);
  expect(await projectOrder(deps(), order, 4, events.slice(1))).toBe('written');
  expect(await sentEvents(account)).toEqual([`1:${order}:new`, `2:${order}:partial_fill`, `3:${order}:fill`]);
});

test('orders of one account projected at once: one gapless sequence, every update once', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 2, maxLength: 6 }),
      async (plans) => {
        const account = `acc-${++n}`;
        const orders = await Promise.all(
          plans.map((fills) =>
            orderWith(account, [accept, ...Array.from({ length: fills }, (_, i) => fill(`x${i}`, '10'))]),
          ),
        );
        // Each order in two batches, every batch of every order concurrently, each writer with its own hints.
        await Promise.all(
          orders.flatMap((events) => {
            const cache = new OrderStateCache();
            const cut = Math.ceil(events.length / 2);
            const order = events[0]?.orderId as string;
            return [
              (async () => {
                await projectOrder(deps(cache), order, cut, events.slice(0, cut));
                await projectOrder(deps(cache), order, events.length, events.slice(cut));
              })(),
            ];
          }),
        );
        const sent = await updatesAfter(doc, 'trade-stream', account, 0, 1000);
        expect(sent.map((u) => u.stream_seq)).toEqual(sent.map((_, i) => i + 1));
        for (const [i, events] of orders.entries()) {
          const order = events[0]?.orderId as string;
          const mine = sent.filter((u) => u.order.id === order).map((u) => u.event);
          expect(mine).toEqual(['new', ...Array.from({ length: plans[i] as number }, () => 'partial_fill')]);
        }
      },
    ),
    { numRuns: 15 },
  );
}, 120_000);

test("a batch of one account's orders writes each order's view and updates once, without losing a race to its own batch", async () => {
  // Two accounts, several orders each, every order's events in ONE batch (as a busy bot's are).
  const accounts = [`acc-${++n}`, `acc-${++n}`];
  const orders = await Promise.all(
    accounts.flatMap((account) =>
      [1, 2, 0, 1, 2, 1].map((fills) =>
        orderWith(account, [accept, ...Array.from({ length: fills }, (_, i) => fill(`x${i}`, '10'))]),
      ),
    ),
  );
  const transactions: string[] = [];
  const counted = {
    send: (command: { constructor: { name: string } }) => {
      if (command.constructor.name === 'TransactWriteCommand') transactions.push('tx');
      return (doc.send as (c: unknown) => Promise<unknown>)(command);
    },
  } as unknown as DynamoDBDocumentClient;
  const response = await projectBatch(insertsOf(orders.flat()), { ...deps(), doc: counted });
  expect(response.batchItemFailures).toEqual([]);
  // One transaction per order: an order of the account never retried after another of its own.
  expect(transactions).toHaveLength(orders.length);
  for (const account of accounts) {
    const sent = await updatesAfter(doc, 'trade-stream', account, 0, 1000);
    expect(sent.map((u) => u.stream_seq)).toEqual(sent.map((_, i) => i + 1));
    expect(sent).toHaveLength(6 + 7); // a `new` per order, a partial fill per fill
  }
}, 60_000);

test('a replacement opening already filled is sent as its fill, with the position as the ledger has it now', async () => {
  // Its fills were its predecessor's (core trade-updates.ts): the position is read, not carried.
  const account = `acc-${++n}`;
  const book = new OrderBook();
  book.submit('o-orig', limitOrder({ qty: '100' }), account);
  for (const c of [
    accept,
    fill('a', '40'),
    { type: 'requestReplace', replacementOrderId: 'o-repl', changes: { qty: '50' }, requestedBy: 'client' },
    fill('b', '10'),
    { type: 'confirmReplace' },
  ] as OrderCommand[])
    book.run('o-orig', c);
  let original: OrderState | undefined;
  for (const e of book.events.get('o-orig') ?? []) original = evolve(original, e);
  const events = openReplacement(original as OrderState, Date.parse('2026-12-07T15:00:00Z')).map((e) => ({
    ...stored(e),
    accountId: account,
  }));
  for (const e of events) await store(e);
  expect(await projectOrder(deps(), 'o-repl', events.length, events)).toBe('written');
  const [update] = await updatesAfter(doc, 'trade-stream', account, 0, 10);
  expect(update).toMatchObject({ event: 'fill', qty: '0', position_qty: '20', order: { status: 'filled' } });
});

describe("a replace that ends without its replacement (a probe's bot waited forever for the id PATCH answered)", () => {
  const patch = (replacementOrderId: string): OrderCommand => ({
    type: 'requestReplace',
    replacementOrderId,
    changes: { limitPrice: '10.5' },
    requestedBy: 'client',
  });
  const refuse: OrderCommand = { type: 'rejectReplace', reason: 'too_late_to_replace' };
  /** The order filled while the venue worked its PATCH, then the venue refused the replace. */
  async function outrun(): Promise<{
    account: string;
    order: string;
    replacement: string;
    events: StoredEvent[];
  }> {
    const account = `acc-${++n}`;
    const replacement = `r-${++n}`;
    const events = await orderWith(account, [accept, patch(replacement), fill('a', '100'), refuse]);
    return { account, order: events[0]?.orderId as string, replacement, events };
  }
  const expected = (order: string, replacement: string) => [
    `1:${order}:new`,
    `2:${order}:pending_replace`,
    `3:${order}:fill`,
    `4:${replacement}:rejected`,
    `5:${order}:order_replace_rejected`,
  ];

  test('the replacement is sent rejected after the update of the event that ended it, as GET shows it; a redelivered batch sends it no second time', async () => {
    const { account, order, replacement, events } = await outrun();
    expect((await projectBatch(insertsOf(events), deps())).batchItemFailures).toEqual([]);
    expect(await sentEvents(account)).toEqual(expected(order, replacement));
    const rejected = (await updatesAfter(doc, 'trade-stream', account, 0, 10)).find(
      (u) => u.order.id === replacement,
    );
    const abandoned = abandonedReplacement(events, replacement);
    expect(rejected).toEqual({
      event: 'rejected',
      order: rejectedReplacementOrder(abandoned as NonNullable<typeof abandoned>),
      timestamp: events[3]?.occurredAt,
      stream_seq: 4,
      account_id: account,
    });
    // Redelivered whole, and from the fill's record on (a bisected retry): nothing appended.
    expect((await projectBatch(insertsOf(events), deps())).batchItemFailures).toEqual([]);
    expect((await projectBatch(insertsOf(events.slice(3)), deps())).batchItemFailures).toEqual([]);
    expect(await sentEvents(account)).toEqual(expected(order, replacement));
    // A replace the venue confirms sends no `rejected`: the replacement opens, its own events send its updates.
    const other = `acc-${++n}`;
    const confirmed = await orderWith(other, [accept, patch(`r-${++n}`), { type: 'confirmReplace' }]);
    const id = confirmed[0]?.orderId as string;
    expect((await projectBatch(insertsOf(confirmed), deps())).batchItemFailures).toEqual([]);
    expect(await sentEvents(other)).toEqual([`1:${id}:new`, `2:${id}:pending_replace`, `3:${id}:replaced`]);
  });

  test('from a cached state (the events of the order from the store): once, a redelivery with the cache sends nothing again', async () => {
    const { account, order, replacement, events } = await outrun();
    const cache = new OrderStateCache();
    // The PATCH in one batch, the fill and the refusal in the next (its steps start at the fill).
    expect(await projectOrder(deps(cache), order, 3, events.slice(0, 3))).toBe('written');
    expect(await projectOrder(deps(cache), order, events.length, events.slice(3))).toBe('written');
    expect(await sentEvents(account)).toEqual(expected(order, replacement));
    expect(await projectOrder(deps(cache), order, events.length, events.slice(3))).toBe('stale');
    expect(await projectOrder(deps(), order, events.length, events.slice(2))).toBe('stale');
    expect(await sentEvents(account)).toEqual(expected(order, replacement));
  });
});
