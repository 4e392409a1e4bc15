import type { ExecutionReport } from '../../../lambdas/broker-gateway/execution-report.js';
import { pinnedQuoteItem, quoteToItem, seedQuote } from '../../../lambdas/broker-gateway/simulated/market.js';
import { match } from '../../../lambdas/broker-gateway/simulated/matching.js';
import {
  bookOf,
  SimulatedMarket,
  type VenueOrderItem,
} from '../../../lambdas/broker-gateway/simulated/simulated-venue.js';
import {
  defaultVenueConfig,
  MAX_LATENCY_MS,
  readVenueConfig,
  venueConfigFromItem,
  venueConfigItem,
  venueConfigKey,
} from '../../../lambdas/broker-gateway/simulated/venue-config.js';
import type { VenueOrder } from '../../../lambdas/broker-gateway/venue.js';
import { nanos } from '../../../lambdas/core/index.js';
import { dynamo } from '../../../lambdas/platform/dynamo.js';
import { eventBridge } from '../../../lambdas/platform/event-bridge.js';
import { BusRecorder, FakeDynamo } from '../fake-aws.js';
import { venueOrder } from '../venue-order.js';

const T0 = Date.parse('2026-11-23T17:45:00Z'); // 12:45 New York: volume profile 100%
let db: FakeDynamo;
let bus: BusRecorder;
let clock: number;
let slept: number[];

const newVenue = (sleep?: (ms: number) => Promise<void>) =>
  new SimulatedMarket({
    doc: dynamo,
    eventBridge,
    venueOrdersTable: 'venue',
    marketTable: 'market',
    eventBusName: 'oms-bus',
    venueName: 'SIMX',
    now: () => clock,
    ...(sleep === undefined ? {} : { sleep }),
  });

let venue: SimulatedMarket;

function pin(symbol: string, q: Record<string, unknown>): void {
  const built = pinnedQuoteItem(symbol, q, clock);
  if (!built.ok) throw new Error(built.message);
  db.put({ TableName: 'market', Item: { ...built.item } });
}

function configure(input: Record<string, unknown>): void {
  const built = venueConfigItem('SIMX', input, clock);
  if (!built.ok) throw new Error(built.message);
  db.put({ TableName: 'venue', Item: { ...built.item } });
}

const order = (o: Partial<VenueOrder> = {}): VenueOrder => venueOrder({ qty: '100', ...o });

const book = (id = 'o-1') => db.get('venue', { orderId: id }) as VenueOrderItem | undefined;
const fills = (rs: readonly ExecutionReport[]) =>
  rs.filter((r) => r.execType === 'fill').map((r) => r.lastQty);

beforeEach(() => {
  db = new FakeDynamo();
  db.install();
  bus = new BusRecorder();
  bus.install();
  clock = T0;
  slept = [];
  venue = newVenue(async (ms) => {
    slept.push(ms);
  });
});

describe('venueConfigItem', () => {
  test('builds the record; left-out settings take their defaults', () => {
    expect(venueConfigItem('SIMX', { latency_ms: 250, max_fill_qty: '300', reject_next: true }, T0)).toEqual({
      ok: true,
      item: {
        orderId: 'venue-config#SIMX',
        kind: 'venue-config',
        venue: 'SIMX',
        latencyMs: 250,
        maxFillQty: '300',
        rejectNext: true,
        updatedAt: new Date(T0).toISOString(),
      },
    });
    expect(venueConfigItem('SIMX', {}, T0)).toMatchObject({
      ok: true,
      item: { latencyMs: 0, maxFillQty: null, rejectNext: false },
    });
    expect(venueConfigItem('SIMX', { max_fill_qty: 12.5 }, T0)).toMatchObject({
      item: { maxFillQty: '12.5' },
    });
  });

  test.each([
    [{ latency_ms: MAX_LATENCY_MS + 1 }, `latency_ms: must be between 0 and ${MAX_LATENCY_MS}`],
    [{ latency_ms: -1 }, 'latency_ms: must be between 0 and'],
    [{ latency_ms: 1.5 }, 'latency_ms: must be a whole number of milliseconds'],
    [{ latency_ms: '100' }, 'latency_ms: must be a whole number of milliseconds'],
    [{ max_fill_qty: '0' }, 'max_fill_qty: must be greater than 0'],
    [{ max_fill_qty: 'all' }, 'max_fill_qty: must be a positive decimal'],
    [{ reject_next: 'yes' }, 'reject_next: must be true or false'],
    [{ rejectNext: true }, 'rejectNext: is not a venue setting'],
  ])('%j -> error naming the field', (input, message) => {
    const built = venueConfigItem('SIMX', input as never, T0);
    expect(built.ok).toBe(false);
    if (!built.ok) expect(built.message).toContain(message);
  });

  test('the venue id is checked', () => {
    const built = venueConfigItem('no spaces', {}, T0);
    expect(!built.ok && built.message).toContain('venue: must be a venue id');
  });

  test('reading: defaults without a record; a hand-written record is clamped', async () => {
    expect(await readVenueConfig(dynamo, 'venue', 'SIMX')).toEqual(defaultVenueConfig('SIMX'));
    expect(venueConfigFromItem('SIMX', { latencyMs: 60_000, maxFillQty: '0', rejectNext: 'yes' })).toEqual({
      venue: 'SIMX',
      latencyMs: MAX_LATENCY_MS,
      maxFillQty: null,
      rejectNext: false,
    });
    configure({ latency_ms: 5, max_fill_qty: '10' });
    expect(await readVenueConfig(dynamo, 'venue', 'SIMX')).toEqual({
      venue: 'SIMX',
      latencyMs: 5,
      maxFillQty: nanos('10'),
      rejectNext: false,
    });
    expect(await readVenueConfig(dynamo, 'venue', 'OTHER')).toEqual(defaultVenueConfig('OTHER'));
  });
});

describe('market tick: every symbol moves, pinned ones hold', () => {
  test('moves every unpinned MARKET_TABLE symbol (no resting orders needed); holds the pinned one', async () => {
    for (const s of ['ACME', 'ZETA'])
      db.put({ TableName: 'market', Item: { ...quoteToItem(seedQuote(s, T0)) } });
    pin('PINN', { bid: '20', ask: '20.05', last: '20.01' });
    const pinned = db.get('market', { symbol: 'PINN' });
    for (let i = 1; i <= 5; i++) {
      clock += 2_000;
      const before = db.get('market', { symbol: 'ACME' });
      const result = await venue.tick();
      expect(result).toMatchObject({
        symbols: 3,
        moved: ['ACME', 'ZETA'],
        held: ['PINN'],
        orders: 0,
        matched: [],
      });
      expect(db.get('market', { symbol: 'ACME' })?.updatedAt).toBe(new Date(clock).toISOString());
      expect(db.get('market', { symbol: 'ACME' })).not.toEqual(before);
      expect(db.get('market', { symbol: 'PINN' })).toEqual(pinned);
    }
  });

  test('same market, same time -> same quotes (deterministic tick)', async () => {
    const run = async () => {
      db.tables.clear();
      db.put({ TableName: 'market', Item: { ...quoteToItem(seedQuote('ACME', T0)) } });
      clock = T0;
      for (let i = 0; i < 10; i++) {
        clock += 2_000;
        await venue.tick();
      }
      return db.get('market', { symbol: 'ACME' });
    };
    expect(await run()).toEqual(await run());
  });

  test('a resting buy limit fills when a pinned ask crosses it, at the pinned ask', async () => {
    pin('ACME', { bid: '10.05', ask: '10.10', last: '10.08' });
    await venue.submit(order({ type: 'limit', limitPrice: '10', qty: '100' }));
    bus.take();
    for (let i = 0; i < 5; i++) {
      clock += 2_000;
      expect(await venue.tick()).toMatchObject({ held: ['ACME'], orders: 1, matched: [] });
    }
    expect(bus.take()).toEqual([]);
    pin('ACME', { bid: '9.97', ask: '9.99', last: '9.98', ask_size: '1000' });
    clock += 2_000;
    expect(await venue.tick()).toMatchObject({
      moved: [],
      held: ['ACME'],
      orders: 1,
      matched: ['o-1'],
      fills: 1,
    });
    expect(bus.take<ExecutionReport>()).toEqual([
      expect.objectContaining({ execType: 'fill', lastQty: '100', lastPx: '9.99', cumQty: '100' }),
    ]);
    expect(book()).toMatchObject({ status: 'filled' });
    expect(db.get('market', { symbol: 'ACME' })).toMatchObject({ bid: '9.97', ask: '9.99', pinned: true });
  });

  test('an operator pinning the quote while the tick walks it wins (conditional write)', async () => {
    db.put({ TableName: 'market', Item: { ...quoteToItem(seedQuote('ACME', T0)) } });
    const pinnedItem = pinnedQuoteItem('ACME', { bid: '50', ask: '50.01', last: '50' }, T0 + 1);
    if (!pinnedItem.ok) throw new Error(pinnedItem.message);
    db.beforeWrite = (table, item) => {
      if (table !== 'market' || item.pinned === true) return;
      db.beforeWrite = undefined;
      db.put({ TableName: 'market', Item: { ...pinnedItem.item } }); // lands between the scan and the put
      throw Object.assign(new Error('The conditional request failed'), {
        name: 'ConditionalCheckFailedException',
      });
    };
    await venue.submit(order({ type: 'limit', limitPrice: '1' })); // rests far below
    clock += 2_000;
    expect(await venue.tick()).toMatchObject({ moved: [], held: ['ACME'] });
    expect(db.get('market', { symbol: 'ACME' })).toEqual(pinnedItem.item);
  });

  test('an unreadable MARKET_TABLE item is skipped, not fatal', async () => {
    db.put({ TableName: 'market', Item: { symbol: 'JUNK', bid: 'n/a' } });
    db.put({ TableName: 'market', Item: { ...quoteToItem(seedQuote('ACME', T0)) } });
    clock += 2_000;
    expect(await venue.tick()).toMatchObject({ moved: ['ACME'], skipped: ['JUNK'] });
  });
});

describe('maxFillQty', () => {
  test.each([
    [null, ['1000'], 0],
    ['300', ['300', '300', '300', '100'], 3],
    ['250', ['250', '250', '250', '250'], 3],
    ['1000', ['1000'], 0],
    ['999.5', ['999.5', '0.5'], 1],
  ])('cap %s: a 1000-share market order fills %j over ticks', async (cap, expected, ticksNeeded) => {
    if (cap !== null) configure({ max_fill_qty: cap });
    pin('ACME', { bid: '10', ask: '10.01', last: '10', ask_size: '5000' });
    await venue.submit(order({ qty: '1000' }));
    for (let i = 0; i < 6; i++) {
      clock += 2_000;
      await venue.tick();
    }
    const reports = bus.take<ExecutionReport>();
    expect(fills(reports)).toEqual(expected);
    expect(reports.at(-1)?.cumQty).toBe('1000');
    expect(book()).toMatchObject({ status: 'filled', filledQty: '1000' });
    expect(expected.length - 1).toBe(ticksNeeded);
  });

  test('the cap applies to submit, replacement and tick alike; a smaller displayed size still bounds', async () => {
    configure({ max_fill_qty: '300' });
    pin('ACME', { bid: '10', ask: '10.01', last: '10', ask_size: '5000' });
    await venue.submit(order({ qty: '1000', type: 'limit', limitPrice: '10.01' }));
    await venue.replace('o-1', 'r-1', { qty: '1200' });
    clock += 2_000;
    await venue.tick();
    pin('ACME', { bid: '10', ask: '10.01', last: '10', ask_size: '200' });
    clock += 2_000;
    await venue.tick();
    expect(fills(bus.take())).toEqual(['300', '300', '300', '200']);
    expect(book('r-1')).toMatchObject({ status: 'open', filledQty: '1100' });
  });

  test.each([
    ['ioc', ['fill 300', 'canceled ioc_remainder']],
    ['fok', ['canceled fok_unfillable']],
    ['day', ['fill 300']],
  ] as const)('matching with a cap: %s', (tif, expected) => {
    const q = { ...seedQuote('ACME', T0), askSize: nanos('5000') };
    const item = {
      orderId: 'o-1',
      symbol: 'ACME',
      side: 'buy',
      type: 'market',
      timeInForce: tif,
      qty: '1000',
      notional: null,
      limitPrice: null,
      stopPrice: null,
      trailPrice: null,
      trailPercent: null,
      filledQty: '0',
      filledValue: '0',
      triggered: false,
      watermark: null,
      status: 'open',
    } as unknown as VenueOrderItem;
    const r = match(bookOf(item), q, { maxFillQty: nanos('300') });
    expect(
      r.executions.map((e) =>
        e.kind === 'fill'
          ? `fill ${e.qty / 1_000_000_000n}`
          : e.kind === 'canceled'
            ? `canceled ${e.reason}`
            : e.kind,
      ),
    ).toEqual(expected);
    if (tif === 'day') expect(r.quote.askSize).toBe(nanos('4700'));
  });
});

describe('rejectNext', () => {
  /** A sleep that releases its callers together once `n` have arrived: they all read the config first. */
  const barrier = (first: number) => {
    let n = first;
    const waiting: (() => void)[] = [];
    return async (ms: number) => {
      slept.push(ms);
      await new Promise<void>((resolve) => {
        waiting.push(resolve);
        if (waiting.length >= n) for (const w of waiting.splice(0)) w();
        n = 1; // once the first n are through, later callers pass at once
      });
    };
  };

  test.each([2, 5])(
    'of %i concurrent submissions exactly one is rejected; the flag is consumed',
    async (n) => {
      configure({ reject_next: true, latency_ms: 1 });
      pin('ACME', { bid: '10', ask: '10.01', last: '10', ask_size: '100000' });
      venue = newVenue(barrier(n));
      const ids = Array.from({ length: n }, (_, i) => `o-${i + 1}`);
      await Promise.all(ids.map((id) => venue.submit(order({ orderId: id }))));
      expect(slept).toEqual(ids.map(() => 1)); // all of them had read rejectNext = true
      const reports = bus.take<ExecutionReport>();
      const rejected = reports.filter((r) => r.execType === 'rejected');
      expect(rejected).toHaveLength(1);
      expect(rejected[0]?.reason).toBe('rejected_by_venue_control');
      expect(reports.filter((r) => r.execType === 'new')).toHaveLength(n - 1);
      expect(book(rejected[0]?.orderId)).toMatchObject({ status: 'rejected' });
      expect(db.get('venue', venueConfigKey('SIMX'))).toMatchObject({ rejectNext: false, latencyMs: 1 });
      await venue.submit(order({ orderId: 'later' }));
      expect(bus.take<ExecutionReport>().map((r) => r.execType)).toEqual(['new', 'fill']);
    },
  );

  test('a repeated submit of the rejected order takes no second reject', async () => {
    configure({ reject_next: true });
    await venue.submit(order());
    expect(bus.take<ExecutionReport>().map((r) => [r.execType, r.reason])).toEqual([
      ['rejected', 'rejected_by_venue_control'],
    ]);
    configure({ reject_next: true });
    await venue.submit(order()); // a retry of o-1: already answered
    expect(bus.take()).toEqual([]);
    expect(db.get('venue', venueConfigKey('SIMX'))).toMatchObject({ rejectNext: true });
    await venue.submit(order({ orderId: 'o-2' }));
    expect(bus.take<ExecutionReport>().map((r) => r.reason)).toEqual(['rejected_by_venue_control']);
  });

  test('REJ* symbols are rejected as unknown without taking the flag', async () => {
    configure({ reject_next: true });
    await venue.submit(order({ symbol: 'REJECTME' }));
    expect(bus.take<ExecutionReport>().map((r) => r.reason)).toEqual(['unknown_symbol']);
    expect(db.get('venue', venueConfigKey('SIMX'))).toMatchObject({ rejectNext: true });
  });
});

describe('latency', () => {
  test('no record: no wait', async () => {
    await venue.submit(order());
    await venue.cancel('o-1', 'client');
    expect(slept).toEqual([]);
  });

  test('submit, cancel and replace wait the configured latency, read once per call; the tick does not', async () => {
    configure({ latency_ms: 250 });
    await venue.submit(order({ type: 'limit', limitPrice: '1' }));
    await venue.replace('o-1', 'r-1', { limitPrice: '2' });
    await venue.cancel('r-1', 'client');
    await venue.tick();
    expect(slept).toEqual([250, 250, 250]);
  });

  test('the venue answers after the delay (real timer, small value)', async () => {
    configure({ latency_ms: 60 });
    venue = newVenue();
    const started = performance.now();
    await venue.submit(order());
    expect(performance.now() - started).toBeGreaterThanOrEqual(55);
    expect(bus.take<ExecutionReport>().map((r) => r.execType)).toEqual(['new', 'fill']);
  });

  test('reports are stamped when the venue acts, after the delay', async () => {
    configure({ latency_ms: 400 });
    venue = newVenue(async (ms) => {
      clock += ms;
    });
    await venue.submit(order());
    expect(bus.take<ExecutionReport>()[0]?.transactTime).toBe(new Date(T0 + 400).toISOString());
  });
});
