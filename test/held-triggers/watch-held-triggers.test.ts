/**
 * The held-trigger watcher against a small in-memory DynamoDB behind aws-sdk-client-mock: the
 * orders read model's sparse `byArmedSymbol` index (Scan, paged), the market (BatchGetItem) and the
 * event store (consistent Query; conditional Put and TransactWrite, as DynamoDB refuses them).
 */
import '../stream-consumers/env.js';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  type BatchGetCommandInput,
  DynamoDBDocumentClient,
  PutCommand,
  type PutCommandInput,
  QueryCommand,
  type QueryCommandInput,
  ScanCommand,
  type ScanCommandInput,
  TransactWriteCommand,
  type TransactWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { evolve, type OrderState } from '../../lambdas/core/index.js';
import { EventStore, type StoredEvent } from '../../lambdas/event-store/event-store.js';
import {
  ARMED_INDEX,
  HeldTriggerFailures,
  handler,
  type WatchDeps,
  type WatchSummary,
  watchHeldTriggers,
} from '../../lambdas/held-triggers/watch-held-triggers.js';
import { type OrderViewItem, orderViewItem } from '../../lambdas/orders/order-view-item.js';
import { TableMarketData } from '../../lambdas/platform/market-data.js';
import { limitOrder, OrderBook, T0 } from '../core/order-book.js';
import { storeOf } from '../stream-consumers/records.js';

process.env.MARKET_TABLE = 'market';

const ddb = mockClient(DynamoDBDocumentClient);
const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const NOW = T0 + 60 * 60_000;
const deps = (causationId = 'watch-held-triggers:run-1'): WatchDeps => ({
  doc,
  store: new EventStore(doc, 'events'),
  ordersTable: 'orders',
  market: new TableMarketData(doc, 'market'),
  now: () => NOW,
  causationId,
});

type Item = Record<string, unknown>;
const awsError = (name: string, extra: object = {}) => Object.assign(new Error(name), { name, ...extra });
const tick = () => new Promise((r) => setImmediate(r));
/** Scan page size of the fake index, small so that pagination is exercised. */
const PAGE = 2;

/** The tables: `store` (events per order), `index` (the byArmedSymbol items), `market` (quotes). */
class World {
  store = new Map<string, StoredEvent[]>();
  index: OrderViewItem[] = [];
  readonly market = new Map<string, Item>();
  /** Orders whose event-store reads fail. */
  readonly failing = new Set<string>();
  /** Symbols the next BatchGetItem leaves unprocessed once. */
  readonly unprocessedOnce = new Set<string>();

  constructor(readonly book = new OrderBook()) {
    ddb.on(ScanCommand).callsFake((input: ScanCommandInput) => {
      expect(input).toMatchObject({ TableName: 'orders', IndexName: ARMED_INDEX });
      const from = (input.ExclusiveStartKey?.page as number | undefined) ?? 0;
      const items = this.index.slice(from, from + PAGE).map((v) => structuredClone(v));
      const more = from + PAGE < this.index.length;
      return { Items: items, ...(more ? { LastEvaluatedKey: { page: from + PAGE } } : {}) };
    });
    ddb.on(BatchGetCommand).callsFake((input: BatchGetCommandInput) => {
      const keys = (input.RequestItems?.market?.Keys ?? []) as { symbol: string }[];
      expect(keys.length).toBeLessThanOrEqual(100);
      const later = keys.filter((k) => this.unprocessedOnce.delete(k.symbol));
      const now = keys.filter((k) => !later.includes(k));
      const found = now.map((k) => this.market.get(k.symbol)).filter((i): i is Item => i !== undefined);
      return {
        Responses: { market: found.map((i) => structuredClone(i)) },
        ...(later.length > 0 ? { UnprocessedKeys: { market: { Keys: later } } } : {}),
      };
    });
    ddb.on(QueryCommand).callsFake(async (input: QueryCommandInput) => {
      expect(input).toMatchObject({ TableName: 'events', ConsistentRead: true });
      const id = input.ExpressionAttributeValues?.[':id'] as string;
      const items = structuredClone(this.store.get(id) ?? []);
      await tick(); // answers a little later: concurrent watchers both read before either writes
      if (this.failing.has(id)) throw awsError('ProvisionedThroughputExceededException');
      return { Items: items };
    });
    ddb.on(PutCommand).callsFake((input: PutCommandInput) => {
      this.putAll([input]);
      return {};
    });
    ddb.on(TransactWriteCommand).callsFake((input: TransactWriteCommandInput) => {
      const puts = (input.TransactItems ?? []).map((t) => t.Put as PutCommandInput);
      const taken = puts.findIndex((p) => this.exists(p.Item as StoredEvent));
      if (taken >= 0)
        throw awsError('TransactionCanceledException', {
          CancellationReasons: puts.map((_, i) => ({
            Code: i === taken ? 'ConditionalCheckFailed' : 'None',
          })),
        });
      this.putAll(puts);
      return {};
    });
  }

  private exists(e: StoredEvent): boolean {
    return (this.store.get(e.orderId) ?? []).some((x) => x.seq === e.seq);
  }

  private putAll(puts: PutCommandInput[]): void {
    for (const p of puts) {
      expect(p).toMatchObject({ TableName: 'events', ConditionExpression: 'attribute_not_exists(orderId)' });
      const e = p.Item as StoredEvent;
      if (this.exists(e)) throw awsError('ConditionalCheckFailedException');
      this.store.set(e.orderId, [...(this.store.get(e.orderId) ?? []), structuredClone(e)]);
    }
  }

  /** An armed stop in the book (default: a day sell stop at 9 on ACME). */
  arm(id: string, order: Record<string, unknown> = {}): this {
    const spec = { type: 'stop', side: 'sell', stop_price: '9', limit_price: undefined, ...order };
    this.book.submit(id, limitOrder(spec));
    expect(this.book.run(id, { type: 'arm', venue: 'NOSTOPS' }).ok).toBe(true);
    return this;
  }

  quote(symbol: string, last: string, bid = last, ask = last): this {
    this.market.set(symbol, { symbol, bid, ask, last, bidSize: '100', askSize: '100' });
    return this;
  }

  /** The store as the book has it, and the index as the projector would write it from the store. */
  sync(): this {
    this.store = storeOf(this.book);
    return this.project();
  }

  /** The index rebuilt from the store (the projector caught up). */
  project(): this {
    this.index = [...this.store.keys()]
      .map((id) => orderViewItem(this.state(id)))
      .filter((v) => v.armedSymbol !== undefined);
    return this;
  }

  state(id: string): OrderState {
    return (this.store.get(id) ?? []).reduce<OrderState | undefined>(evolve, undefined) as OrderState;
  }

  /** Events appended to an order since `seq`. */
  after(id: string, seq: number): StoredEvent[] {
    return (this.store.get(id) ?? []).filter((e) => e.seq > seq);
  }
}

const summary = (s: Partial<WatchSummary>): WatchSummary => ({
  armed: 0,
  triggered: 0,
  trailMoved: 0,
  canceled: 0,
  skipped: 0,
  failed: 0,
  ...s,
});
const writes = () => ddb.commandCalls(PutCommand).length + ddb.commandCalls(TransactWriteCommand).length;

beforeEach(() => ddb.reset());

describe('watchHeldTriggers', () => {
  test('an armed sell stop triggers when the last reaches the stop; above it nothing more is read', async () => {
    const w = new World().arm('s1').sync().quote('ACME', '9.01');
    let r = await watchHeldTriggers(deps());
    expect(r).toEqual({ summary: summary({ armed: 1 }), failures: [] });
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
    expect(writes()).toBe(0);

    w.quote('ACME', '9', '8.99', '9.01');
    r = await watchHeldTriggers(deps());
    expect(r).toEqual({ summary: summary({ armed: 1, triggered: 1 }), failures: [] });
    expect(w.after('s1', 2)).toEqual([
      expect.objectContaining({
        type: 'OrderTriggered',
        seq: 3,
        occurredAt: new Date(NOW).toISOString(),
        data: { triggerPrice: '9', bid: '8.99', ask: '9.01' },
        accountId: 'acct-1',
        correlationId: 's1',
        causationId: 'watch-held-triggers:run-1',
      }),
    ]);
    expect(w.state('s1')).toMatchObject({ phase: 'pending_new', triggered: true, triggerPrice: '9' });
  });

  test('a buy stop-limit triggers at or above its stop', async () => {
    const w = new World()
      .arm('b1', { side: 'buy', type: 'stop_limit', stop_price: '12', limit_price: '12.5', symbol: 'xyz' })
      .sync()
      .quote('XYZ', '12.01');
    expect((await watchHeldTriggers(deps())).summary).toEqual(summary({ armed: 1, triggered: 1 }));
    expect(w.after('b1', 2).map((e) => [e.type, e.data])).toEqual([
      ['OrderTriggered', { triggerPrice: '12.01', bid: '12.01', ask: '12.01' }],
    ]);
  });

  test('a trailing stop: its mark moves with the market, then it triggers at the trailing level', async () => {
    const w = new World()
      .arm('t1', { type: 'trailing_stop', trail_price: '1', stop_price: undefined })
      .sync();
    const run = async (last: string) => {
      w.quote('ACME', last);
      const r = await watchHeldTriggers(deps());
      w.project();
      return r.summary;
    };
    expect(await run('10')).toEqual(summary({ armed: 1, trailMoved: 1 }));
    expect(await run('10.5')).toEqual(summary({ armed: 1, trailMoved: 1 }));
    expect(await run('9.6')).toEqual(summary({ armed: 1 })); // above 10.5 - 1
    expect(await run('9.5')).toEqual(summary({ armed: 1, triggered: 1 }));
    expect(w.after('t1', 2).map((e) => [e.type, e.data])).toEqual([
      ['OrderTrailMoved', { hwm: '10' }],
      ['OrderTrailMoved', { hwm: '10.5' }],
      ['OrderTriggered', { triggerPrice: '9.5', bid: '9.5', ask: '9.5' }],
    ]);
    // Triggered: the projector takes it out of the index, so the next run has nothing to watch.
    expect(await run('9')).toEqual(summary({}));
  });

  test('the event store decides, not a lagging view: the mark the store holds sets the level', async () => {
    const w = new World().arm('t1', { type: 'trailing_stop', trail_price: '1', stop_price: undefined });
    w.sync(); // the view has no mark yet
    w.book.run('t1', { type: 'moveTrail', hwm: '10.5' });
    w.store = storeOf(w.book); // the store has one, the projector has not caught up
    w.quote('ACME', '9.5');
    // On the view this quote would only set the first mark (9.5); on the store it triggers.
    expect((await watchHeldTriggers(deps())).summary).toEqual(summary({ armed: 1, triggered: 1 }));
    expect(w.after('t1', 3).map((e) => e.type)).toEqual(['OrderTriggered']);
  });

  test('a stale view of an order that is no longer armed is skipped, without a write or an error', async () => {
    const w = new World().arm('closed').arm('triggered').sync();
    w.book.run('closed', { type: 'requestCancel', requestedBy: 'client' });
    w.book.run('triggered', { type: 'trigger', triggerPrice: '8.9', bid: '8.9', ask: '8.9' });
    w.store = storeOf(w.book); // the index still lists both as armed
    w.quote('ACME', '8');
    const r = await watchHeldTriggers(deps());
    expect(r).toEqual({ summary: summary({ armed: 2, skipped: 2 }), failures: [] });
    expect(writes()).toBe(0);
    await expect(handler({})).resolves.toEqual(summary({ armed: 2, skipped: 2 }));
  });

  test.each([
    ['ioc', 'ioc_remainder'],
    ['fok', 'fok_unfillable'],
  ])('an armed %s stop that does not trigger on its first check is canceled (%s)', async (tif, reason) => {
    const w = new World()
      .arm('x', { time_in_force: tif })
      .arm('limit', {
        time_in_force: tif,
        type: 'stop_limit',
        limit_price: '8.5',
        side: 'buy',
        stop_price: '10',
      })
      .arm('hit', { time_in_force: tif, stop_price: '10' })
      .sync()
      .quote('ACME', '9.5');
    expect((await watchHeldTriggers(deps())).summary).toEqual(
      summary({ armed: 3, canceled: 2, triggered: 1 }),
    );
    for (const id of ['x', 'limit'])
      expect(w.after(id, 2).map((e) => [e.type, e.data])).toEqual([
        ['OrderCanceled', { reason, solicited: false }],
      ]);
    expect(w.after('hit', 2).map((e) => e.type)).toEqual(['OrderTriggered']);
  });

  test('a stale IOC view of a triggered order is not canceled', async () => {
    const w = new World().arm('x', { time_in_force: 'ioc' }).sync();
    w.book.run('x', { type: 'trigger', triggerPrice: '8.9', bid: '8.9', ask: '8.9' });
    w.store = storeOf(w.book);
    w.quote('ACME', '9.5');
    expect((await watchHeldTriggers(deps())).summary).toEqual(summary({ armed: 1, skipped: 1 }));
    expect(w.state('x')).toMatchObject({ phase: 'pending_new', triggered: true });
  });

  test('one failing order does not stop another; the run then fails, naming it', async () => {
    const w = new World().arm('bad').arm('good').sync().quote('ACME', '8');
    w.failing.add('bad');
    const r = await watchHeldTriggers(deps());
    expect(r.summary).toEqual(summary({ armed: 2, triggered: 1, failed: 1 }));
    expect(r.failures).toEqual([{ orderId: 'bad', error: expect.stringContaining('ProvisionedThroughput') }]);
    expect(w.after('good', 2).map((e) => e.type)).toEqual(['OrderTriggered']);

    // The handler: the others are recorded, then it throws so the invocation shows as an error.
    const again = new World()
      .arm('bad')
      .arm('good2', { symbol: 'xyz' })
      .sync()
      .quote('ACME', '8')
      .quote('XYZ', '8');
    again.failing.add('bad');
    await expect(handler({})).rejects.toThrow(HeldTriggerFailures);
    await expect(handler({})).rejects.toThrow(/1 held trigger check\(s\) failed: bad/);
    expect(again.after('good2', 2).map((e) => e.type)).toEqual(['OrderTriggered']);
  });

  test('a malformed index item is a failure of its own', async () => {
    const w = new World().arm('good').sync().quote('ACME', '8');
    w.index.push({ ...(w.index[0] as OrderViewItem), orderId: 'odd', order: { type: 'stop' } as never });
    const r = await watchHeldTriggers(deps());
    expect(r.summary).toEqual(summary({ armed: 2, triggered: 1, failed: 1 }));
    expect(r.failures).toEqual([{ orderId: 'odd', error: expect.stringContaining('malformed view item') }]);
  });

  test('a symbol without a readable quote is skipped; the others are checked', async () => {
    const w = new World()
      .arm('a', { symbol: 'acme' })
      .arm('n', { symbol: 'none' })
      .arm('u', { symbol: 'odd' })
      .sync()
      .quote('ACME', '8')
      .quote('ODD', 'not-a-price');
    const r = await watchHeldTriggers(deps());
    expect(r).toEqual({ summary: summary({ armed: 3, triggered: 1, skipped: 2 }), failures: [] });
    expect(w.after('n', 2)).toEqual([]);
    expect(w.after('u', 2)).toEqual([]);
  });

  test('two watchers at once never record a trigger twice', async () => {
    const w = new World().arm('s1').sync().quote('ACME', '8.5');
    const [a, b] = await Promise.all([watchHeldTriggers(deps('w:a')), watchHeldTriggers(deps('w:b'))]);
    expect(w.after('s1', 2).map((e) => e.type)).toEqual(['OrderTriggered']);
    // Both decided on the armed order and tried to append seq 3; the store took one.
    expect(ddb.commandCalls(PutCommand).map((c) => c.args[0].input.Item?.seq)).toEqual([3, 3]);
    expect([a.summary, b.summary]).toEqual(
      expect.arrayContaining([summary({ armed: 1, triggered: 1 }), summary({ armed: 1, skipped: 1 })]),
    );
  });

  test('the whole index is read (paged), each symbol quoted once per run (unprocessed keys retried)', async () => {
    const w = new World();
    for (const [id, symbol] of [
      ['a1', 'aaa'],
      ['a2', 'aaa'],
      ['b1', 'bbb'],
      ['c1', 'ccc'],
      ['c2', 'ccc'],
    ])
      w.arm(id as string, { symbol });
    w.sync().quote('AAA', '8').quote('BBB', '8').quote('CCC', '8');
    w.unprocessedOnce.add('BBB');
    const r = await watchHeldTriggers(deps());
    expect(r.summary).toEqual(summary({ armed: 5, triggered: 5 }));
    expect(ddb.commandCalls(ScanCommand)).toHaveLength(3);
    const asked = ddb
      .commandCalls(BatchGetCommand)
      .map((c) => (c.args[0].input.RequestItems?.market?.Keys ?? []).map((k) => k.symbol).sort());
    expect(asked).toEqual([['AAA', 'BBB', 'CCC'], ['BBB']]);
  });

  test('nothing armed: one scan, nothing else', async () => {
    new World().sync();
    expect(await handler({})).toEqual(summary({}));
    expect(ddb.commandCalls(BatchGetCommand)).toHaveLength(0);
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
  });
});
