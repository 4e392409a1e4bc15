import { BatchGetCommand, BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { ExecutionReport } from '../../../lambdas/broker-gateway/execution-report.js';
import { quoteToItem } from '../../../lambdas/broker-gateway/simulated/market.js';
import {
  SimulatedMarket,
  type SimulatedVenueOptions,
  type VenueOrderItem,
} from '../../../lambdas/broker-gateway/simulated/simulated-venue.js';
import type { VenueOrder } from '../../../lambdas/broker-gateway/venue.js';
import { type Nanos, nanos } from '../../../lambdas/core/index.js';
import { dynamo } from '../../../lambdas/platform/dynamo.js';
import { eventBridge } from '../../../lambdas/platform/event-bridge.js';
import { BusRecorder, FakeDynamo } from '../fake-aws.js';
import { venueOrder } from '../venue-order.js';

const T0 = Date.parse('2026-11-23T14:30:00Z');
let db: FakeDynamo;
let ddb: ReturnType<FakeDynamo['install']>;
let bus: BusRecorder;
let venue: SimulatedMarket;
let clock: number;

function setQuote(bid: string, ask: string, last: string, size = '100'): void {
  db.put({
    TableName: 'market',
    Item: {
      ...quoteToItem({
        symbol: 'ACME',
        bid: nanos(bid),
        ask: nanos(ask),
        last: nanos(last),
        bidSize: nanos(size),
        askSize: nanos(size),
        updatedAt: new Date(clock).toISOString(),
      }),
    },
  });
}

const order = (o: Partial<VenueOrder> = {}): VenueOrder => venueOrder({ qty: '50', ...o });

const book = (id = 'o-1') => db.get('venue', { orderId: id }) as VenueOrderItem | undefined;
/** Reports by execId: a redelivered report must be identical to the first (the OMS ignores it). */
function distinct(rs: readonly ExecutionReport[]): ExecutionReport[] {
  const seen = new Map<string, ExecutionReport>();
  for (const r of rs) {
    const first = seen.get(r.execId);
    if (first === undefined) seen.set(r.execId, r);
    else expect(r).toEqual(first);
  }
  return [...seen.values()];
}
const summary = (rs: readonly ExecutionReport[]) =>
  rs.map((r) => [r.execId, r.execType, r.lastQty ?? r.reason ?? r.cumQty ?? ''].join(' '));

beforeEach(() => {
  db = new FakeDynamo();
  ddb = db.install();
  bus = new BusRecorder();
  bus.install();
  clock = T0;
  venue = newMarket();
  setQuote('9.99', '10.01', '10');
});

/** The SIMX market over the fake tables, at the test's clock (with `extra` options). */
const newMarket = (extra: Partial<SimulatedVenueOptions> = {}) =>
  new SimulatedMarket({
    doc: dynamo,
    eventBridge,
    venueOrdersTable: 'venue',
    marketTable: 'market',
    eventBusName: 'oms-bus',
    venueName: 'SIMX',
    now: () => clock,
    ...extra,
  });

describe('what a request costs the venue (issue 12: one read per request)', () => {
  const commands = () => ddb.calls().map((c) => (c.args[0] as object).constructor.name);
  const setLatency = (latencyMs: number) =>
    db.put({
      TableName: 'venue',
      Item: {
        orderId: 'venue-config#SIMX',
        kind: 'venue-config',
        venue: 'SIMX',
        latencyMs,
        maxFillQty: null,
        rejectNext: false,
        updatedAt: new Date(T0).toISOString(),
      },
    });
  const resting = () => order({ type: 'limit', limitPrice: '9' });

  test.each([
    [
      'a market order filled at once: the controls, the order and the market in one read',
      0,
      async () => venue.submit(order()),
      ['BatchGetCommand', 'PutCommand', 'UpdateCommand'],
    ],
    [
      'the same with a configured latency: the order and the market read again after it',
      5,
      async () => venue.submit(order()),
      ['BatchGetCommand', 'BatchGetCommand', 'PutCommand', 'UpdateCommand'],
    ],
    [
      'a cancel of a resting order: the controls, the order and the health in one read',
      0,
      async () => {
        await venue.submit(resting());
        ddb.resetHistory();
        await venue.cancel('o-1', 'client');
      },
      ['BatchGetCommand', 'PutCommand', 'UpdateCommand'],
    ],
    [
      'a replace of a resting order: one read, then the replacement’s market',
      0,
      async () => {
        await venue.submit(resting());
        ddb.resetHistory();
        await venue.replace('o-1', 'o-2', { limitPrice: '8' });
      },
      ['BatchGetCommand', 'BatchGetCommand', 'TransactWriteCommand', 'UpdateCommand'],
    ],
    [
      'a repeated submit: one read, nothing written',
      0,
      async () => {
        await venue.submit(order());
        ddb.resetHistory();
        await venue.submit(order());
      },
      ['BatchGetCommand'],
    ],
  ])('%s', async (_name, latencyMs, request, expected) => {
    if (latencyMs > 0) setLatency(latencyMs);
    ddb.resetHistory();
    await request();
    expect(commands()).toEqual(expected);
  });

  test('keys the read left unprocessed are read again, and only those', async () => {
    let first = true;
    ddb.on(BatchGetCommand).callsFake((i) => {
      const requested = i.RequestItems as Record<string, { Keys: Record<string, unknown>[] }>;
      const Responses: Record<string, unknown[]> = {};
      for (const [table, { Keys }] of Object.entries(requested))
        Responses[table] = Keys.map((k) => db.get(table, k)).filter((x) => x !== undefined);
      if (!first) return { Responses, UnprocessedKeys: {} };
      first = false;
      // The service leaves the market's keys for another call.
      const { market, ...rest } = Responses;
      return { Responses: rest, UnprocessedKeys: { market: requested.market } };
    });
    await venue.submit(order());
    const reads = ddb
      .commandCalls(BatchGetCommand)
      .map((c) => Object.keys(c.args[0].input.RequestItems ?? {}));
    expect(reads).toEqual([['venue', 'market'], ['market']]);
    expect(book()?.status).toBe('filled');
  });
});

describe('submit', () => {
  test('new, then executions against the quote; PutEvents entries in the contract shape', async () => {
    await venue.submit(order());
    expect(bus.entries[0]).toMatchObject({
      EventBusName: 'oms-bus',
      Source: 'stockbot.venue',
      DetailType: 'ExecutionReport',
      Time: new Date(T0),
    });
    const reports = bus.take<ExecutionReport>();
    expect(reports[1]).toEqual({
      venue: 'SIMX',
      orderId: 'o-1',
      venueOrderId: 'SIMX-o-1',
      execId: 'o-1:2',
      execType: 'fill',
      lastQty: '50',
      // SIMX's taker fee, $0.0030 a share (core VENUE_PROFILES): the order took the offer.
      fee: '0.15',
      liquidity: 'removed',
      lastPx: '10.01',
      cumQty: '50',
      transactTime: '2026-11-23T14:30:00.000Z',
    });
    expect(summary(reports)).toEqual(['o-1:1 new 0', 'o-1:2 fill 50']);
    expect(book()).toMatchObject({ status: 'filled', filledQty: '50', reportSeq: 2 });
    expect(book()?.restingSymbol).toBeUndefined();
    expect(book()?.outbox).toBeUndefined();
    expect(book()?.outboxPending).toBeUndefined();
  });

  test('a large order fills the displayed size and rests (sparse resting marker)', async () => {
    await venue.submit(order({ qty: '250' }));
    expect(summary(bus.take())).toEqual(['o-1:1 new 0', 'o-1:2 fill 100']);
    expect(book()).toMatchObject({ status: 'open', filledQty: '100', restingSymbol: 'ACME' });
  });

  test('a repeated submit books nothing and reports nothing', async () => {
    await venue.submit(order({ type: 'limit', limitPrice: '9' }));
    expect(bus.take()).toHaveLength(1);
    await venue.submit(order({ type: 'limit', limitPrice: '9' }));
    expect(bus.take()).toEqual([]);
  });

  test('ConditionalCheckFailed on a submit that raced another: no second `new`', async () => {
    await venue.submit(order({ type: 'limit', limitPrice: '9' }));
    bus.take();
    db.staleNextGet.add('venue'); // this caller reads before the other's write is visible to it
    await venue.submit(order({ type: 'limit', limitPrice: '9' }));
    expect(bus.take()).toEqual([]);
    expect(book()?.version).toBe(1);
  });

  test('concurrent submits: one `new` (the loser may republish the same reports, never new ones)', async () => {
    await Promise.all([venue.submit(order({ qty: '250' })), venue.submit(order({ qty: '250' }))]);
    expect(summary(distinct(bus.take()))).toEqual(['o-1:1 new 0', 'o-1:2 fill 100']);
  });

  test('REJ* symbols are not traded: rejected, and a repeat changes nothing', async () => {
    await venue.submit(order({ symbol: 'REJECTME' }));
    await venue.submit(order({ symbol: 'REJECTME' }));
    expect(summary(bus.take())).toEqual(['o-1:1 rejected unknown_symbol']);
    expect(book()?.status).toBe('rejected');
  });

  test('a venue without stop orders rejects one (unsupported_order_type); market and limit trade', async () => {
    venue = newMarket({ orderTypes: new Set(['market', 'limit']) });
    await venue.submit(order({ type: 'stop', stopPrice: '11' }));
    expect(summary(bus.take())).toEqual(['o-1:1 rejected unsupported_order_type']);
    await venue.submit(order({ orderId: 'o-2', type: 'limit', limitPrice: '10.01' }));
    expect(summary(bus.take())).toEqual(['o-2:1 new 0', 'o-2:2 fill 50']);
  });

  test('a missing quote is seeded (once) from the market model', async () => {
    await venue.submit(order({ symbol: 'NEWCO', type: 'limit', limitPrice: '1' }));
    expect(db.get('market', { symbol: 'NEWCO' })).toMatchObject({ symbol: 'NEWCO' });
  });

  test('reports survive a failed PutEvents: the retry publishes the same execIds', async () => {
    bus.failNext = 1;
    await expect(venue.submit(order())).rejects.toThrow('EventBridge unavailable');
    expect(book()?.outbox?.map((r) => r.execId)).toEqual(['o-1:1', 'o-1:2']);
    expect(book()?.outboxPending).toBe(new Date(T0).toISOString());
    await venue.submit(order());
    expect(summary(bus.take())).toEqual(['o-1:1 new 0', 'o-1:2 fill 50']);
    expect(book()?.outbox).toBeUndefined();
    expect(book()?.outboxPending).toBeUndefined();
  });
});

describe('cancel', () => {
  test('resting order: pending_cancel then canceled; a repeat says nothing more', async () => {
    await venue.submit(order({ type: 'limit', limitPrice: '9' }));
    bus.take();
    await venue.cancel('o-1', 'client');
    await venue.cancel('o-1', 'client');
    expect(summary(bus.take())).toEqual(['o-1:2 pending_cancel 0', 'o-1:3 canceled 0']);
    expect(book()?.status).toBe('canceled');
    expect(book()?.restingSymbol).toBeUndefined();
  });

  test('filled order: too_late_to_cancel', async () => {
    await venue.submit(order());
    bus.take();
    await venue.cancel('o-1', 'client');
    expect(summary(bus.take())).toEqual(['o-1:3 cancel_rejected too_late_to_cancel']);
  });

  test('unknown order: unknown_order, and a later submit is not booked', async () => {
    await venue.cancel('o-1', 'oms');
    expect(summary(bus.take())).toEqual(['o-1:1 cancel_rejected unknown_order']);
    await venue.submit(order());
    await venue.cancel('o-1', 'oms');
    expect(bus.take()).toEqual([]);
    expect(book()?.status).toBe('unknown');
  });
});

describe('replace', () => {
  test('pending_replace, replaced; the replacement carries the fills and trades at once', async () => {
    await venue.submit(order({ qty: '250', type: 'limit', limitPrice: '10.01' }));
    bus.take();
    setQuote('10.01', '10.03', '10.02');
    await venue.replace('o-1', 'r-1', { qty: '300', limitPrice: '10.05' });
    expect(summary(bus.take())).toEqual([
      'o-1:3 pending_replace 100',
      'o-1:4 replaced 100',
      'r-1:1 fill 100',
    ]);
    expect(book()).toMatchObject({ status: 'replaced', replacedBy: 'r-1' });
    expect(book('r-1')).toMatchObject({
      status: 'open',
      qty: '300',
      limitPrice: '10.05',
      filledQty: '200',
      venueOrderId: 'SIMX-o-1',
      replaces: 'o-1',
      restingSymbol: 'ACME',
    });
    await venue.replace('o-1', 'r-1', { qty: '300', limitPrice: '10.05' });
    expect(bus.take()).toEqual([]);
  });

  test('new qty at or below the filled qty: the replacement is filled (FIX D11)', async () => {
    await venue.submit(order({ qty: '250', type: 'limit', limitPrice: '10.01' }));
    await venue.replace('o-1', 'r-1', { qty: '80' });
    expect(book('r-1')).toMatchObject({ status: 'filled', qty: '100', filledQty: '100' });
    expect(book('r-1')?.restingSymbol).toBeUndefined();
  });

  test.each([
    ['closed order', 'too_late_to_replace'],
    ['unknown order', 'unknown_order'],
  ])('%s: replace_rejected %s', async (name, reason) => {
    if (name === 'closed order') await venue.submit(order());
    bus.take();
    await venue.replace('o-1', 'r-1', { qty: '80' });
    expect(bus.take<ExecutionReport>().map((r) => [r.execType, r.reason])).toEqual([
      ['replace_rejected', reason],
    ]);
    expect(book('r-1')).toBeUndefined();
  });
});

describe('market tick', () => {
  // T0 is Monday 2026-11-23 09:30 New York; the NYSE close is 16:00 (21:00Z), the post-market 20:00.
  test('a DAY order is expired at the first tick at or after the close, before matching; GTC rests on', async () => {
    const CLOSE = Date.parse('2026-11-23T21:00:00Z');
    await venue.submit(order({ type: 'limit', limitPrice: '9' }));
    await venue.submit(order({ orderId: 'o-2', type: 'limit', limitPrice: '9', timeInForce: 'gtc' }));
    await venue.submit(order({ orderId: 'o-3', type: 'limit', limitPrice: '9', extendedHours: true }));
    expect(book()?.dayEndsAt).toBe(new Date(CLOSE).toISOString());
    expect(db.get('venue', { orderId: 'o-3' })?.dayEndsAt).toBe('2026-11-24T01:00:00.000Z');
    bus.take();
    clock = CLOSE - 1000;
    await venue.tick();
    expect(bus.take<ExecutionReport>().filter((r) => r.execType === 'expired')).toEqual([]);
    // At the close the quote crosses the limits: the DAY order's day is over, it does not fill.
    db.put({
      TableName: 'market',
      Item: {
        ...quoteToItem({
          symbol: 'ACME',
          bid: nanos('8.49'),
          ask: nanos('8.51'),
          last: nanos('8.5'),
          bidSize: nanos('100'),
          askSize: nanos('100'),
          updatedAt: new Date(CLOSE - 1000).toISOString(),
        }),
        pinned: true,
      },
    });
    clock = CLOSE;
    await venue.tick();
    const reports = bus.take<ExecutionReport>();
    expect(summary(reports.filter((r) => r.orderId === 'o-1'))).toEqual(['o-1:2 expired day_ended']);
    expect(book()).toMatchObject({ status: 'canceled', filledQty: '0' });
    expect(book()?.restingSymbol).toBeUndefined();
    // The GTC and the extended-hours DAY order trade on.
    expect(reports.filter((r) => r.orderId !== 'o-1').map((r) => [r.orderId, r.execType])).toEqual([
      ['o-2', 'fill'],
      ['o-3', 'fill'],
    ]);
  });

  test("a replace keeps a DAY order's day; one turned into DAY gets the next close", async () => {
    await venue.submit(order({ type: 'limit', limitPrice: '9', timeInForce: 'gtc' }));
    await venue.replace('o-1', 'r-1', { timeInForce: 'day' });
    expect(db.get('venue', { orderId: 'r-1' })?.dayEndsAt).toBe('2026-11-23T21:00:00.000Z');
    clock += 3600_000;
    await venue.replace('r-1', 'r-2', { limitPrice: '9.1' });
    expect(db.get('venue', { orderId: 'r-2' })?.dayEndsAt).toBe('2026-11-23T21:00:00.000Z');
    await venue.replace('r-2', 'r-3', { timeInForce: 'gtc' });
    expect(db.get('venue', { orderId: 'r-3' })?.dayEndsAt).toBeUndefined();
  });

  test('advances the quote and matches resting orders; closed orders are left alone', async () => {
    await venue.submit(order({ type: 'limit', limitPrice: '10' }));
    await venue.submit(order({ orderId: 'o-2', type: 'limit', limitPrice: '9' }));
    await venue.cancel('o-2', 'client');
    bus.take();
    setQuote('9.88', '9.9', '9.89'); // the walk moves at most 3 ticks, the spread at most 3: ask < 10
    clock += 60_000;
    expect(await venue.tick()).toEqual({
      outboxes: 0,
      outboxFailures: 0,
      symbols: 1,
      moved: ['ACME'],
      held: [],
      skipped: [],
      orders: 1,
      matched: ['o-1'],
      fills: 1,
      auctions: [],
    });
    const reports = bus.take<ExecutionReport>();
    expect(reports.map((r) => r.execId)).toEqual(['o-1:2']);
    expect(nanos(reports[0]?.lastPx as string) <= nanos('10')).toBe(true);
    expect(db.get('market', { symbol: 'ACME' })?.updatedAt).toBe(new Date(clock).toISOString());
  });

  test('a trailing stop: each better mark is reported (trail_moved, hwm), a worse one is not, then it triggers', async () => {
    const pin = (last: string) =>
      db.put({
        TableName: 'market',
        Item: {
          ...quoteToItem({
            symbol: 'ACME',
            bid: nanos(last) - nanos('0.01'),
            ask: nanos(last) + nanos('0.01'),
            last: nanos(last),
            bidSize: nanos('100'),
            askSize: nanos('100'),
            updatedAt: new Date(clock).toISOString(),
          }),
          pinned: true,
        },
      });
    pin('10');
    await venue.submit(order({ side: 'sell', type: 'trailing_stop', trailPrice: '1', qty: '5' }));
    for (const last of ['10', '10.5', '10.2', '11', '10.01', '9.99']) {
      pin(last);
      clock += 1000;
      await venue.tick();
    }
    const reports = distinct(bus.take<ExecutionReport>());
    expect(reports.map((r) => (r.execType === 'trail_moved' ? `hwm ${r.hwm}` : r.execType))).toEqual([
      'new',
      'hwm 10',
      'hwm 10.5',
      'hwm 11',
      'triggered',
      'fill',
    ]);
  });

  test("marks every symbol it moved or held (its last after the step, a mark per resolution), the day's only up to the close; a mark it already wrote is not written again; none without the table", async () => {
    const marked = newMarket({ priceMarksTable: 'priceMarks' });
    // HELD is pinned (held as set), BAD is unreadable (skipped: no mark).
    db.put({
      TableName: 'market',
      Item: {
        ...quoteToItem({
          symbol: 'HELD',
          bid: nanos('20'),
          ask: nanos('20.1'),
          last: nanos('20.05'),
          bidSize: nanos('100'),
          askSize: nanos('100'),
          updatedAt: new Date(clock).toISOString(),
        }),
        pinned: true,
      },
    });
    db.put({
      TableName: 'market',
      Item: { symbol: 'BAD', bid: 'x', updatedAt: new Date(clock).toISOString() },
    });
    const itemsWritten = () =>
      ddb.commandCalls(BatchWriteCommand).flatMap((c) => c.args[0].input.RequestItems?.priceMarks ?? [])
        .length;
    // Monday 2026-11-23, 10:30:20 New York: in the session.
    clock = Date.parse('2026-11-23T15:30:20Z');
    expect(await marked.tick()).toMatchObject({ moved: ['ACME'], held: ['HELD'], skipped: ['BAD'] });
    const acme = db.get('market', { symbol: 'ACME' })?.last as string;
    const expiresAt = Math.floor(clock / 1000) + 35 * 86_400;
    const marksOf = (symbol: string) =>
      db
        .items('priceMarks')
        .filter((i) => i.symbol === symbol)
        .map((i) => [i.at, i.price, i.expiresAt])
        .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
    const five = (price: string) => [
      ['d#2026-11-23', price, undefined],
      ['f#2026-11-23T15:30Z', price, expiresAt],
      ['h#2026-11-23T15:00Z', price, expiresAt],
      ['m#2026-11-23T15:30Z', price, expiresAt],
      ['q#2026-11-23T15:30Z', price, expiresAt],
    ];
    expect(marksOf('ACME')).toEqual(five(acme));
    expect(marksOf('HELD')).toEqual(five('20.05'));
    expect(itemsWritten()).toBe(10);
    // 20 s later, the same slots: ACME moved (its five marks again, at its new last), HELD did not
    // (nothing written for it).
    clock += 20_000;
    await marked.tick();
    const moved = db.get('market', { symbol: 'ACME' })?.last as string;
    expect(marksOf('ACME').map((m) => m[1])).toEqual([moved, moved, moved, moved, moved]);
    expect(itemsWritten()).toBe(15);
    // 16:30 New York, after the close: the day's mark stays the close's.
    clock = Date.parse('2026-11-23T21:30:00Z');
    await marked.tick();
    const late = db.get('market', { symbol: 'ACME' })?.last as string;
    expect(db.get('priceMarks', { symbol: 'ACME', at: 'd#2026-11-23' })?.price).toBe(moved);
    expect(db.get('priceMarks', { symbol: 'ACME', at: 'm#2026-11-23T21:30Z' })?.price).toBe(late);
    expect(db.get('priceMarks', { symbol: 'HELD', at: 'm#2026-11-23T21:30Z' })?.price).toBe('20.05');
    // The venue without the table (a function not given it) writes none.
    const before = db.items('priceMarks').length;
    clock += 60_000;
    await venue.tick();
    expect(db.items('priceMarks')).toHaveLength(before);
  });

  test('each step of the walk prints on the tape: the market item keeps the cumulative volume', async () => {
    clock += 60_000;
    await venue.tick();
    const first = nanos(db.get('market', { symbol: 'ACME' })?.volume as string);
    expect(first > 0n).toBe(true);
    clock += 60_000;
    await venue.tick();
    expect(nanos(db.get('market', { symbol: 'ACME' })?.volume as string) > first).toBe(true);
  });

  test('concurrent matchers never double-fill (version check)', async () => {
    await venue.submit(order({ qty: '1000', type: 'limit', limitPrice: '20' }));
    clock += 60_000;
    await Promise.all([venue.tick(), venue.tick(), venue.tick()]);
    const fills = distinct(bus.details<ExecutionReport>()).filter((r) => r.execType === 'fill');
    expect(fills.length).toBeGreaterThan(1);
    const total = fills.reduce((a: Nanos, r) => a + nanos(r.lastQty as string), 0n);
    expect(book()?.filledQty).toBe(String(total / 1_000_000_000n));
    expect(total <= nanos('1000')).toBe(true);
  });

  test('a fill whose PutEvents failed is published by the next tick (the order no longer rests)', async () => {
    await venue.submit(order({ type: 'limit', limitPrice: '10' }));
    bus.take();
    setQuote('9.88', '9.9', '9.89');
    clock += 60_000;
    bus.failNext = 1;
    await expect(venue.tick()).rejects.toThrow('EventBridge unavailable');
    expect(bus.take()).toEqual([]);
    // Filled: no longer resting, so only the pending-outbox marker brings it back.
    expect(book()).toMatchObject({ status: 'filled', outboxPending: new Date(clock).toISOString() });
    expect(book()?.restingSymbol).toBeUndefined();
    clock += 60_000;
    expect(await venue.tick()).toMatchObject({ outboxes: 1, outboxFailures: 0, orders: 0, matched: [] });
    expect(summary(bus.take())).toEqual(['o-1:2 fill 50']);
    expect(book()?.outbox).toBeUndefined();
    expect(book()?.outboxPending).toBeUndefined();
    expect(await venue.tick()).toMatchObject({ outboxes: 0, outboxFailures: 0, orders: 0, matched: [] });
    expect(bus.take()).toEqual([]);
  });

  test('an outbox that fails again stays pending and does not stop the others or the matching', async () => {
    bus.failNext = 2;
    await expect(venue.submit(order())).rejects.toThrow();
    await expect(venue.cancel('o-2', 'oms')).rejects.toThrow();
    await venue.submit(order({ orderId: 'o-3', type: 'limit', limitPrice: '9' }));
    bus.take();
    bus.failNext = 1; // the sweep publishes o-1 first (ids in order): it fails, o-2 goes out
    clock += 60_000;
    expect(await venue.tick()).toMatchObject({ outboxes: 2, outboxFailures: 1, symbols: 1, orders: 1 });
    expect(summary(bus.take())).toEqual(['o-2:1 cancel_rejected unknown_order']);
    expect(book('o-1')?.outboxPending).toBeDefined();
    expect(book('o-2')?.outboxPending).toBeUndefined();
    await venue.tick();
    expect(summary(bus.take())).toEqual(['o-1:1 new 0', 'o-1:2 fill 50']);
  });
});

describe('status queries (the Venue port: orderStatus, openOrders, executionsSince; issue 11)', () => {
  test('one order: its status, cum qty and average price; null for an id the venue never saw', async () => {
    await venue.submit(order({ qty: '250' })); // fills the displayed 100 at 10.01 and rests
    expect(await venue.orderStatus('o-1')).toEqual({
      orderId: 'o-1',
      venueOrderId: 'SIMX-o-1',
      symbol: 'ACME',
      side: 'buy',
      status: 'open',
      qty: '250',
      filledQty: '100',
      avgPrice: '10.01',
      updatedAt: new Date(T0).toISOString(),
    });
    expect(await venue.orderStatus('nope')).toBeNull();
    // A cancel of an unknown id leaves a tombstone: the venue says so.
    await venue.cancel('ghost', 'client');
    expect(await venue.orderStatus('ghost')).toMatchObject({
      status: 'unknown',
      filledQty: '0',
      avgPrice: null,
    });
  });

  test('open orders: exactly those resting now (filled, canceled and unknown ones are not)', async () => {
    await venue.submit(order({ orderId: 'o-1', type: 'limit', limitPrice: '9' })); // rests
    await venue.submit(order({ orderId: 'o-2', qty: '10' })); // fills at once
    await venue.submit(order({ orderId: 'o-3', type: 'limit', limitPrice: '9.5' })); // rests
    await venue.submit(order({ orderId: 'o-4', type: 'limit', limitPrice: '9.1' }));
    await venue.cancel('o-4', 'client');
    await venue.cancel('ghost', 'client');
    expect((await venue.openOrders()).map((o) => [o.orderId, o.status])).toEqual([
      ['o-1', 'open'],
      ['o-3', 'open'],
    ]);
  });

  test('executions since a time: every fill at or after it, oldest first, as reported on the bus', async () => {
    await venue.submit(order({ orderId: 'o-1', qty: '250' })); // 100 at T0
    clock = T0 + 60_000;
    await venue.submit(order({ orderId: 'o-2', qty: '30', side: 'sell' })); // 30 at T0+60s
    const fills = distinct(bus.take<ExecutionReport>()).filter((r) => r.execType === 'fill');
    const all = await venue.executionsSince(new Date(T0).toISOString());
    expect(all.map((e) => [e.orderId, e.execId, e.side, e.lastQty, e.lastPx, e.transactTime])).toEqual(
      fills.map((r) => [
        r.orderId,
        r.execId,
        r.orderId === 'o-1' ? 'buy' : 'sell',
        r.lastQty,
        r.lastPx,
        r.transactTime,
      ]),
    );
    expect((await venue.executionsSince(new Date(T0 + 1).toISOString())).map((e) => e.orderId)).toEqual([
      'o-2',
    ]);
    expect(await venue.executionsSince(new Date(T0 + 120_000).toISOString())).toEqual([]);
  });
});
