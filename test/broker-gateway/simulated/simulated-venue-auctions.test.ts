/**
 * The simulated venue's auctions over the in-memory DynamoDB: opg / cls orders rest until their
 * auction, the first tick at or after it holds it once (also with concurrent ticks), and what does
 * not execute is canceled. NYSE hours: 2026-11-23 is a Monday, 09:30 New York = 14:30Z.
 */

import type { ExecutionReport } from '../../../lambdas/broker-gateway/execution-report.js';
import type { AuctionSchedule } from '../../../lambdas/broker-gateway/simulated/auction.js';
import { pinnedQuoteItem } from '../../../lambdas/broker-gateway/simulated/market.js';
import {
  auctionRecordKey,
  MAX_AUCTION_ORDERS,
  SimulatedMarket,
  type VenueOrderItem,
} from '../../../lambdas/broker-gateway/simulated/simulated-venue.js';
import type { VenueOrder } from '../../../lambdas/broker-gateway/venue.js';
import { type Nanos, nanos } from '../../../lambdas/core/index.js';
import { dynamo } from '../../../lambdas/platform/dynamo.js';
import { eventBridge } from '../../../lambdas/platform/event-bridge.js';
import { BusRecorder, FakeDynamo } from '../fake-aws.js';
import { venueOrder } from '../venue-order.js';

const PRE_OPEN = Date.parse('2026-11-23T14:00:00Z'); // 09:00 New York
const OPEN = Date.parse('2026-11-23T14:30:00Z');
const CLOSE = Date.parse('2026-11-23T21:00:00Z');
let db: FakeDynamo;
let bus: BusRecorder;
let clock: number;

function newVenue(schedule?: AuctionSchedule): SimulatedMarket {
  return new SimulatedMarket({
    doc: dynamo,
    eventBridge,
    venueOrdersTable: 'venue',
    marketTable: 'market',
    eventBusName: 'oms-bus',
    venueName: 'SIMX',
    now: () => clock,
    ...(schedule === undefined ? {} : { schedule }),
  });
}

/** A pinned quote: the tick holds it, so the auction price is what the test says. */
function pin(symbol: string, bid: string, ask: string, size = '100', last = ask): void {
  const built = pinnedQuoteItem(symbol, { bid, ask, last, bid_size: size, ask_size: size }, clock);
  if (!built.ok) throw new Error(built.message);
  db.put({ TableName: 'market', Item: built.item as unknown as Record<string, unknown> });
}

let ids = 0;
const order = (o: Partial<VenueOrder> = {}): VenueOrder =>
  venueOrder({ orderId: `o-${++ids}`, timeInForce: 'opg', ...o });

const book = (id: string) => db.get('venue', { orderId: id }) as VenueOrderItem | undefined;
/** Reports by execId (a republished report must equal the first), as `<id> <execType> <qty|reason>`. */
function reports(): string[] {
  const seen = new Map<string, ExecutionReport>();
  for (const r of bus.take<ExecutionReport>()) {
    const first = seen.get(r.execId);
    if (first === undefined) seen.set(r.execId, r);
    else expect(r).toEqual(first);
  }
  return [...seen.values()].map((r) =>
    [r.orderId, r.execType, r.lastQty === undefined ? (r.reason ?? '') : `${r.lastQty}@${r.lastPx}`]
      .join(' ')
      .trim(),
  );
}

let venue: SimulatedMarket;
beforeEach(() => {
  db = new FakeDynamo();
  db.install();
  bus = new BusRecorder();
  bus.install();
  clock = PRE_OPEN;
  ids = 0;
  venue = newVenue();
  pin('ACME', '9.99', '10.01');
});

describe('booking auction orders', () => {
  test('an opg order rests through the pre-open ticks, marketable or not, booked for the open', async () => {
    const o = order();
    await venue.submit(o);
    expect(reports()).toEqual(['o-1 new']);
    expect(book(o.orderId)).toMatchObject({
      status: 'open',
      restingSymbol: 'ACME',
      auctionAt: '2026-11-23T14:30:00.000Z',
    });
    clock = OPEN - 1000;
    expect(await venue.tick()).toMatchObject({ orders: 1, matched: [], fills: 0, auctions: [] });
    expect(reports()).toEqual([]);
  });

  test('a cls order booked before the open is for the close; it rests through the open and the session', async () => {
    await venue.submit(order({ timeInForce: 'cls', side: 'sell' }));
    expect(book('o-1')?.auctionAt).toBe('2026-11-23T21:00:00.000Z');
    clock = OPEN + 30_000;
    await venue.tick();
    clock = CLOSE - 60_000;
    await venue.tick();
    expect(reports()).toEqual(['o-1 new']);
    clock = CLOSE + 20_000;
    const tick = await venue.tick();
    expect(reports()).toEqual(['o-1 fill 10@9.99']);
    expect(tick.auctions).toEqual([
      { auction: 'close', date: '2026-11-23', symbol: 'ACME', price: '9.99', volume: '10', orders: ['o-1'] },
    ]);
  });

  test.each([
    ['at the open', OPEN, 'rejected auction_closed', undefined],
    ['during the session', OPEN + 3 * 3600_000, 'rejected auction_closed', undefined],
    ['after the close: the next open', CLOSE + 60_000, 'new', '2026-11-24T14:30:00.000Z'],
  ])('an opg order arriving %s', async (_name, now, answer, auctionAt) => {
    clock = now;
    await venue.submit(order());
    expect(reports()).toEqual([`o-1 ${answer}`]);
    expect(book('o-1')?.auctionAt).toBe(auctionAt);
  });

  test('the auction-closed refusal leaves the reject control for the next order it would change', async () => {
    db.put({
      TableName: 'venue',
      Item: { orderId: 'venue-config#SIMX', kind: 'venue-config', rejectNext: true },
    });
    clock = OPEN + 60_000;
    await venue.submit(order());
    await venue.submit(order({ timeInForce: 'day', type: 'limit', limitPrice: '9' }));
    expect(reports()).toEqual(['o-1 rejected auction_closed', 'o-2 rejected rejected_by_venue_control']);
  });

  test('a replace keeps the auction; turning a day order into opg during the session is refused', async () => {
    await venue.submit(order({ type: 'limit', limitPrice: '10.05' }));
    await venue.replace('o-1', 'r-1', { qty: '20' });
    expect(reports()).toEqual(['o-1 new', 'o-1 pending_replace', 'o-1 replaced']);
    expect(book('r-1')).toMatchObject({ status: 'open', qty: '20', auctionAt: '2026-11-23T14:30:00.000Z' });

    clock = OPEN + 60_000;
    await venue.submit(order({ orderId: 'd-1', timeInForce: 'day', type: 'limit', limitPrice: '9' }));
    await venue.replace('d-1', 'd-2', { timeInForce: 'opg' });
    expect(reports()).toEqual(['d-1 new', 'd-1 replace_rejected auction_closed']);
  });

  test('an opg order replaced into a day order trades at once', async () => {
    await venue.submit(order());
    await venue.replace('o-1', 'r-1', { timeInForce: 'day' });
    expect(reports()).toEqual(['o-1 new', 'o-1 pending_replace', 'o-1 replaced', 'r-1 fill 10@10.01']);
    expect(book('r-1')?.auctionAt).toBeUndefined();
  });
});

describe('the opening auction', () => {
  test('the first tick after the open holds it: one price, the unmarketable limit canceled, records written', async () => {
    await venue.submit(order({ qty: '30' })); // market buy
    await venue.submit(order({ qty: '5', type: 'limit', limitPrice: '9.50' })); // not marketable
    await venue.submit(order({ side: 'sell', qty: '10' })); // market sell
    await venue.submit(order({ timeInForce: 'day', type: 'limit', limitPrice: '9.00' })); // day: not in it
    reports();
    clock = OPEN + 45_000;
    const tick = await venue.tick();
    // 10.01: buys 30 vs the sell 10 + the ask 100: 30 cross (the most any price gives).
    expect(reports()).toEqual(['o-1 fill 30@10.01', 'o-2 canceled auction_unfilled', 'o-3 fill 10@10.01']);
    expect(tick).toMatchObject({
      matched: ['o-1', 'o-2', 'o-3'],
      fills: 2,
      auctions: [
        {
          auction: 'open',
          date: '2026-11-23',
          symbol: 'ACME',
          price: '10.01',
          volume: '30',
          orders: ['o-1', 'o-2', 'o-3'],
        },
      ],
    });
    expect(book('o-1')).toMatchObject({ status: 'filled', filledQty: '30' });
    expect(book('o-2')).toMatchObject({ status: 'canceled', filledQty: '0' });
    expect(book('o-2')?.restingSymbol).toBeUndefined();
    expect(book('o-4')).toMatchObject({ status: 'open', restingSymbol: 'ACME' });
    expect(
      db.get('venue', { orderId: auctionRecordKey('SIMX', 'open', '2026-11-23', 'ACME') }),
    ).toMatchObject({
      kind: 'auction',
      price: '10.01',
      volume: '30',
      buyQty: '30',
      sellQty: '110',
      auctionAt: '2026-11-23T14:30:00.000Z',
      bid: '9.99',
      ask: '10.01',
    });
    expect(db.get('venue', { orderId: auctionRecordKey('SIMX', 'open', '2026-11-23') })).toMatchObject({
      kind: 'auction-day',
      heldAt: new Date(OPEN + 45_000).toISOString(),
    });
    // Later ticks: the auction is over, nothing more happens to its orders.
    clock += 60_000;
    expect(await venue.tick()).toMatchObject({ auctions: [], matched: [] });
    expect(reports()).toEqual([]);
  });

  test('concurrent and repeated ticks hold it once: one record, one fill per order', async () => {
    for (let k = 0; k < 4; k++) await venue.submit(order({ qty: '40' }));
    reports();
    clock = OPEN + 1000;
    const ticks = await Promise.all([venue.tick(), venue.tick(), venue.tick()]);
    await venue.tick();
    expect(ticks.flatMap((t) => t.auctions)).toHaveLength(1);
    // 160 wanted, 100 offered at the ask: time priority fills o-1, o-2, then 20 of o-3.
    expect(reports().sort()).toEqual([
      'o-1 fill 40@10.01',
      'o-2 fill 40@10.01',
      'o-3 canceled auction_unfilled',
      'o-3 fill 20@10.01',
      'o-4 canceled auction_unfilled',
    ]);
    const total = ['o-1', 'o-2', 'o-3', 'o-4'].reduce(
      (a: Nanos, id) => a + nanos(book(id)?.filledQty ?? '0'),
      0n,
    );
    expect(total).toBe(nanos('100'));
    expect(db.items('venue').filter((i) => String(i.orderId).startsWith('auction#'))).toHaveLength(2);
  });

  test('each symbol has its own price', async () => {
    pin('BETA', '49.98', '50.02');
    await venue.submit(order());
    await venue.submit(order({ symbol: 'BETA', side: 'sell' }));
    clock = OPEN + 1000;
    const tick = await venue.tick();
    expect(tick.auctions.map((a) => [a.symbol, a.price])).toEqual([
      ['ACME', '10.01'],
      ['BETA', '49.98'],
    ]);
  });

  test('a cancel that lands while the auction is decided: decided again without the canceled order', async () => {
    await venue.submit(order({ qty: '80' }));
    await venue.submit(order({ qty: '80' }));
    reports();
    clock = OPEN + 1000;
    let raced = false;
    db.beforeWrite = (table, item) => {
      if (table !== 'venue' || raced || !String(item.orderId).startsWith('auction#SIMX#open#2026-11-23#'))
        return;
      raced = true;
      // The client's cancel of o-1 wins the race: the auction's transaction must fail.
      const o1 = book('o-1') as VenueOrderItem;
      const { restingSymbol: _, ...rest } = o1;
      db.put({ TableName: 'venue', Item: { ...rest, status: 'canceled', version: o1.version + 1 } });
      throw Object.assign(new Error('The conditional request failed'), {
        name: 'ConditionalCheckFailedException',
      });
    };
    const tick = await venue.tick();
    expect(raced).toBe(true);
    expect(tick.auctions[0]?.orders).toEqual(['o-2']);
    expect(reports()).toEqual(['o-2 fill 80@10.01']);
    expect(book('o-1')?.filledQty).toBe('0');
  });

  test('an opg order that missed its auction (booked in the race with it) is canceled by the next tick', async () => {
    clock = OPEN + 1000;
    await venue.tick(); // nothing to auction: the day record still says the open is over
    clock = OPEN - 100; // a submission that read its clock just before the open, written after the auction
    await venue.submit(order());
    clock = OPEN + 3000;
    expect(await venue.tick()).toMatchObject({ matched: ['o-1'], auctions: [] });
    expect(reports()).toEqual(['o-1 new', 'o-1 canceled auction_unfilled']);
  });

  test('an auction no tick held within 5 minutes is missed: its orders are canceled unexecuted', async () => {
    await venue.submit(order());
    clock = OPEN + 5 * 60_000;
    expect(await venue.tick()).toMatchObject({ matched: ['o-1'], fills: 0, auctions: [] });
    expect(reports()).toEqual(['o-1 new', 'o-1 canceled auction_unfilled']);
    expect(db.items('venue').filter((i) => String(i.orderId).startsWith('auction#'))).toEqual([]);
  });

  test('an order booked for an auction that was missed does not trade in the next one', async () => {
    await venue.submit(order()); // for Monday's open, which no tick holds
    clock = PRE_OPEN + 24 * 3600_000; // Tuesday 09:00
    await venue.submit(order({ qty: '20' }));
    clock = OPEN + 24 * 3600_000 + 1000;
    const tick = await venue.tick();
    expect(tick.auctions.map((a) => [a.date, a.orders])).toEqual([['2026-11-24', ['o-2']]]);
    expect(reports()).toEqual(['o-1 new', 'o-2 new', 'o-2 fill 20@10.01', 'o-1 canceled auction_unfilled']);
  });

  test(`at most ${MAX_AUCTION_ORDERS} orders of a symbol take part; the later-booked rest are canceled`, async () => {
    for (let k = 0; k <= MAX_AUCTION_ORDERS; k++) {
      clock = PRE_OPEN + k; // booking time decides who is in
      await venue.submit(order({ orderId: `o-${String(k).padStart(3, '0')}`, qty: '1' }));
    }
    reports();
    clock = OPEN + 1000;
    const first = await venue.tick();
    expect(first.auctions[0]?.orders).toHaveLength(MAX_AUCTION_ORDERS);
    expect(first.auctions[0]?.orders).not.toContain('o-099');
    clock += 2000;
    await venue.tick();
    expect(reports().filter((r) => r.startsWith('o-099'))).toEqual(['o-099 canceled auction_unfilled']);
  });

  test('the size the auction takes from the ask is gone for the day orders of the same tick', async () => {
    pin('ACME', '10.00', '10.05');
    await venue.submit(order({ qty: '100' }));
    await venue.submit(order({ timeInForce: 'day', type: 'limit', limitPrice: '10.01', qty: '50' }));
    reports();
    pin('ACME', '9.99', '10.01'); // the day order is marketable now, but the auction takes all 100
    clock = OPEN + 1000;
    await venue.tick();
    expect(reports()).toEqual(['o-1 fill 100@10.01']);
  });
});

describe('the closing auction follows the session settings', () => {
  test('an early close (day after Thanksgiving): the closing auction is at 13:00', async () => {
    clock = Date.parse('2026-11-27T15:00:00Z'); // 10:00
    pin('ACME', '9.99', '10.01');
    await venue.submit(order({ timeInForce: 'cls' }));
    expect(book('o-1')?.auctionAt).toBe('2026-11-27T18:00:00.000Z');
    clock = Date.parse('2026-11-27T18:00:30Z');
    expect((await venue.tick()).auctions.map((a) => [a.auction, a.date, a.price])).toEqual([
      ['close', '2026-11-27', '10.01'],
    ]);
  });

  test('a custom session (local mode): auctions at the configured open and close, any day', async () => {
    const sunday = Date.parse('2026-11-22T19:05:00Z'); // 14:05 New York, a Sunday
    venue = newVenue({
      sessionOpen: '14:05:30',
      sessionClose: '14:05:40',
      sessionDays: [0, 1, 2, 3, 4, 5, 6],
    });
    clock = sunday;
    await venue.submit(order());
    await venue.submit(order({ timeInForce: 'cls', side: 'sell' }));
    clock = sunday + 32_000;
    expect((await venue.tick()).auctions.map((a) => [a.auction, a.orders])).toEqual([['open', ['o-1']]]);
    clock = sunday + 41_000;
    expect((await venue.tick()).auctions.map((a) => [a.auction, a.orders])).toEqual([['close', ['o-2']]]);
    expect(reports()).toEqual(['o-1 new', 'o-2 new', 'o-1 fill 10@10.01', 'o-2 fill 10@9.99']);
  });
});
