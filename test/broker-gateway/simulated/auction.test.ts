import fc from 'fast-check';
import {
  AUCTION_LATE_MS,
  type AuctionSchedule,
  type AuctionTimeInForce,
  auctionFor,
  dueAuctions,
  uncross,
} from '../../../lambdas/broker-gateway/simulated/auction.js';
import type { Quote } from '../../../lambdas/broker-gateway/simulated/market.js';
import type { BookOrder, Execution } from '../../../lambdas/broker-gateway/simulated/matching.js';
import { formatNanos, type Nanos, nanos, newYorkDate, ONE } from '../../../lambdas/core/index.js';

const n = nanos;
const quote = (bid = '9.99', ask = '10.01', last = '10', bidSize = '100', askSize = '100'): Quote => ({
  symbol: 'ACME',
  bid: n(bid),
  ask: n(ask),
  last: n(last),
  bidSize: n(bidSize),
  askSize: n(askSize),
  updatedAt: '2026-11-23T14:30:00.000Z',
});

let seq = 0;
const order = (o: Partial<BookOrder> = {}): BookOrder => ({
  orderId: `o-${++seq}`,
  symbol: 'ACME',
  side: 'buy',
  type: 'market',
  timeInForce: 'opg',
  qty: n('10'),
  notional: null,
  limitPrice: null,
  stopPrice: null,
  trailPrice: null,
  trailPercent: null,
  filledQty: 0n,
  filledValue: 0n,
  triggered: false,
  watermark: null,
  status: 'open',
  ...o,
});
const buy = (qty: string, limit?: string, o: Partial<BookOrder> = {}) =>
  order({ qty: n(qty), ...(limit === undefined ? {} : { type: 'limit', limitPrice: n(limit) }), ...o });
const sell = (qty: string, limit?: string, o: Partial<BookOrder> = {}) =>
  buy(qty, limit, { side: 'sell', ...o });

const show = (e: Execution): string =>
  e.kind === 'fill'
    ? `fill ${formatNanos(e.qty)}@${formatNanos(e.px)}`
    : `${e.kind} ${'reason' in e ? e.reason : ''}`;

describe('uncross: one price for every participant of a symbol', () => {
  test.each<{
    name: string;
    participants: BookOrder[];
    quote?: Quote;
    cap?: string;
    price: string | null;
    volume: string;
    outcomes: string[][];
    sizes?: [string, string];
  }>([
    {
      name: 'a lone market buy takes the displayed ask',
      participants: [buy('10')],
      price: '10.01',
      volume: '10',
      outcomes: [['fill 10@10.01']],
      sizes: ['100', '90'],
    },
    {
      name: 'a lone market sell takes the displayed bid',
      participants: [sell('10')],
      price: '9.99',
      volume: '10',
      outcomes: [['fill 10@9.99']],
      sizes: ['90', '100'],
    },
    {
      name: 'a market buy larger than the ask size: fills the size, the rest is canceled',
      participants: [buy('150')],
      price: '10.01',
      volume: '100',
      outcomes: [['fill 100@10.01', 'canceled auction_unfilled']],
      sizes: ['100', '0'],
    },
    {
      name: 'balanced market orders cross at the last, where nothing is left over',
      participants: [buy('50'), sell('50')],
      price: '10',
      volume: '50',
      outcomes: [['fill 50@10'], ['fill 50@10']],
      sizes: ['100', '100'],
    },
    {
      name: 'buy imbalance beyond the ask: price at the ask, the later buy rationed',
      participants: [buy('100'), buy('100'), sell('50')],
      price: '10.01',
      volume: '150',
      outcomes: [['fill 100@10.01'], ['fill 50@10.01', 'canceled auction_unfilled'], ['fill 50@10.01']],
      sizes: ['100', '0'],
    },
    {
      name: 'a limit buy below the price: canceled without a fill',
      participants: [buy('10'), buy('5', '9.50')],
      price: '10.01',
      volume: '10',
      outcomes: [['fill 10@10.01'], ['canceled auction_unfilled']],
    },
    {
      name: 'a marketable limit buy trades at the auction price, better than its limit',
      participants: [buy('10', '10.05')],
      price: '10.01',
      volume: '10',
      outcomes: [['fill 10@10.01']],
    },
    {
      name: 'crossed limits: the price between them nearest the last sale',
      participants: [buy('100', '10.20'), sell('100', '9.80')],
      price: '10',
      volume: '100',
      outcomes: [['fill 100@10'], ['fill 100@10']],
    },
    {
      name: 'crossed limits away from the last: the price with least imbalance, then nearest the last',
      participants: [buy('100', '10.50'), sell('100', '10.40')],
      quote: quote('9.99', '10.01', '10', '100', '10'),
      // 10.01: 100 vs 10 (the ask) -> 10; 10.40: 100 vs 110 -> 100, imbalance 10; 10.50: the same
      // volume and imbalance, further from 10.
      price: '10.4',
      volume: '100',
      outcomes: [['fill 100@10.4'], ['fill 100@10.4']],
      sizes: ['100', '10'],
    },
    {
      name: 'no sellers at any price a buyer accepts: no trade, every order canceled',
      participants: [buy('10', '9'), buy('20', '9.5')],
      price: null,
      volume: '0',
      outcomes: [['canceled auction_unfilled'], ['canceled auction_unfilled']],
      sizes: ['100', '100'],
    },
    {
      name: 'price priority: the higher limit first, though booked later',
      participants: [buy('80', '10.01'), buy('80', '10.05')],
      price: '10.01',
      volume: '100',
      outcomes: [['fill 20@10.01', 'canceled auction_unfilled'], ['fill 80@10.01']],
    },
    {
      name: 'market orders before limits',
      participants: [buy('80', '10.05'), buy('80')],
      price: '10.01',
      volume: '100',
      outcomes: [['fill 20@10.01', 'canceled auction_unfilled'], ['fill 80@10.01']],
    },
    {
      name: 'at the price, the venue orders before the displayed bid',
      participants: [sell('50'), buy('30', '9.99')],
      price: '9.99',
      volume: '50',
      outcomes: [['fill 50@9.99'], ['fill 30@9.99']],
      sizes: ['80', '100'],
    },
    {
      name: 'the venue fill cap bounds each order; the rest is canceled',
      participants: [buy('50'), buy('50')],
      cap: '20',
      price: '10.01',
      volume: '40',
      outcomes: [
        ['fill 20@10.01', 'canceled auction_unfilled'],
        ['fill 20@10.01', 'canceled auction_unfilled'],
      ],
    },
    {
      name: 'a partly filled order (a replacement carrying fills) auctions its remainder',
      participants: [buy('50', undefined, { filledQty: n('20'), filledValue: n('20') * n('10') })],
      price: '10.01',
      volume: '30',
      outcomes: [['fill 30@10.01']],
    },
    {
      name: 'fractional quantities stay exact (the ask gives what the sell does not)',
      participants: [buy('0.123456789'), sell('0.000000001')],
      price: '10.01',
      volume: '0.123456789',
      outcomes: [['fill 0.123456789@10.01'], ['fill 0.000000001@10.01']],
      sizes: ['100', '99.876543212'],
    },
    {
      name: 'an order that is no longer open takes no part',
      participants: [buy('10', undefined, { status: 'canceled' }), sell('10')],
      price: '9.99',
      volume: '10',
      outcomes: [[], ['fill 10@9.99']],
    },
  ])('$name', ({ participants, quote: q, cap, price, volume, outcomes, sizes }) => {
    const result = uncross(participants, q ?? quote(), cap === undefined ? {} : { maxFillQty: n(cap) });
    expect(result.price === null ? null : formatNanos(result.price)).toBe(price);
    expect(formatNanos(result.volume)).toBe(volume);
    expect(result.outcomes.map((o) => o.executions.map(show))).toEqual(outcomes);
    if (sizes !== undefined)
      expect([formatNanos(result.quote.bidSize), formatNanos(result.quote.askSize)]).toEqual(sizes);
    // Every open participant leaves the auction done: filled, or canceled with what it got.
    for (const [k, o] of result.outcomes.entries()) {
      if (participants[k]?.status !== 'open') continue;
      expect(['filled', 'canceled']).toContain(o.order.status);
      if (o.order.status === 'filled') expect(o.order.filledQty).toBe(o.order.qty);
    }
  });

  test('the filled value is exact: qty x price at scale 18, added to what was there', () => {
    const carried = n('20') * n('10');
    const result = uncross([buy('50', undefined, { filledQty: n('20'), filledValue: carried })], quote());
    expect(result.outcomes[0]?.order).toMatchObject({
      filledQty: n('50'),
      filledValue: carried + n('30') * n('10.01'),
    });
  });
});

/** Whole cents between 9.50 and 10.50: the property tests' price grid. */
const cents = fc.integer({ min: 950, max: 1050 }).map((c) => BigInt(c) * (ONE / 100n));
const participantArb = fc.record({
  side: fc.constantFrom<'buy' | 'sell'>('buy', 'sell'),
  limit: fc.option(cents, { nil: null }),
  qty: fc.integer({ min: 1, max: 400 }).map((q) => BigInt(q) * ONE),
});
const quoteArb = fc
  .record({
    bid: cents,
    spread: fc.integer({ min: 0, max: 5 }).map((c) => BigInt(c) * (ONE / 100n)),
    lastOffset: fc.integer({ min: -3, max: 8 }).map((c) => BigInt(c) * (ONE / 100n)),
    bidSize: fc.integer({ min: 0, max: 500 }).map((q) => BigInt(q) * ONE),
    askSize: fc.integer({ min: 0, max: 500 }).map((q) => BigInt(q) * ONE),
  })
  .map(
    (r): Quote => ({
      symbol: 'ACME',
      bid: r.bid,
      ask: r.bid + r.spread,
      last: r.bid + r.lastOffset,
      bidSize: r.bidSize,
      askSize: r.askSize,
      updatedAt: '2026-11-23T14:30:00.000Z',
    }),
  );

describe('uncross: properties', () => {
  test('one price; both sides execute the same volume; limits respected; the volume is the most any price gives', () => {
    fc.assert(
      fc.property(fc.array(participantArb, { minLength: 1, maxLength: 8 }), quoteArb, (specs, q) => {
        const participants = specs.map((p) =>
          order({
            side: p.side,
            qty: p.qty,
            ...(p.limit === null ? {} : { type: 'limit' as const, limitPrice: p.limit }),
          }),
        );
        const result = uncross(participants, q);
        const fills = result.outcomes.flatMap((o, k) =>
          o.executions.flatMap((e) => (e.kind === 'fill' ? [{ e, p: participants[k] as BookOrder }] : [])),
        );
        for (const { e, p } of fills) {
          expect(e.px).toBe(result.price);
          if (p.limitPrice !== null)
            expect(p.side === 'buy' ? e.px <= p.limitPrice : e.px >= p.limitPrice).toBe(true);
        }
        const sum = (side: 'buy' | 'sell') =>
          fills
            .filter((f) => f.p.side === side)
            .reduce((a: Nanos, f) => a + (f.e.kind === 'fill' ? f.e.qty : 0n), 0n);
        const fromBid = q.bidSize - result.quote.bidSize;
        const fromAsk = q.askSize - result.quote.askSize;
        expect(fromBid >= 0n && fromAsk >= 0n).toBe(true);
        expect(sum('buy') + fromBid).toBe(result.volume);
        expect(sum('sell') + fromAsk).toBe(result.volume);
        for (const [k, o] of result.outcomes.entries()) {
          const p = participants[k] as BookOrder;
          expect(o.order.filledQty <= (p.qty as Nanos)).toBe(true);
          expect(o.order.status).toBe(o.order.filledQty === p.qty ? 'filled' : 'canceled');
        }
        // Brute force over every cent: no price executes more than the one chosen.
        let best = 0n;
        for (let c = 900n; c <= 1100n; c++) {
          const px = c * (ONE / 100n);
          let d = q.bid >= px ? q.bidSize : 0n;
          let s = q.ask <= px ? q.askSize : 0n;
          for (const p of participants) {
            const ok = p.limitPrice === null || (p.side === 'buy' ? px <= p.limitPrice : px >= p.limitPrice);
            if (!ok) continue;
            if (p.side === 'buy') d += p.qty as Nanos;
            else s += p.qty as Nanos;
          }
          const v = d < s ? d : s;
          if (v > best) best = v;
        }
        expect(result.volume).toBe(best);
        expect(result.price === null).toBe(best === 0n);
      }),
      { numRuns: 300 },
    );
  });
});

const at = (iso: string) => Date.parse(iso);
const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const EVERY_DAY = [0, 1, 2, 3, 4, 5, 6];
/** The default schedule: NYSE hours, days and holidays. */
const NYSE: AuctionSchedule = {};

describe('auctionFor: the auction an order arriving now joins', () => {
  // 2026-11-23 is a Monday (EST, UTC-5); Thursday 26 is Thanksgiving, Friday 27 closes at 13:00.
  // Every row names its schedule: jest hands a `done` callback to a test with more parameters than the row.
  test.each<[string, AuctionTimeInForce, string, string | null, AuctionSchedule]>([
    ['opg before the open: the open today', 'opg', '2026-11-23T13:00:00Z', '2026-11-23T14:30:00.000Z', NYSE],
    ['opg exactly at the open: too late (the session has begun)', 'opg', '2026-11-23T14:30:00Z', null, NYSE],
    ['opg during the session: refused', 'opg', '2026-11-23T17:00:00Z', null, NYSE],
    ['opg a second before the close: refused', 'opg', '2026-11-23T20:59:59Z', null, NYSE],
    ['opg at the close: the next open', 'opg', '2026-11-23T21:00:00Z', '2026-11-24T14:30:00.000Z', NYSE],
    ['opg in the evening: the next open', 'opg', '2026-11-24T00:30:00Z', '2026-11-24T14:30:00.000Z', NYSE],
    [
      'opg on Friday evening: the open on Monday',
      'opg',
      '2026-11-21T00:00:00Z',
      '2026-11-23T14:30:00.000Z',
      NYSE,
    ],
    [
      'opg on Thanksgiving (no session): the open on Friday',
      'opg',
      '2026-11-26T16:00:00Z',
      '2026-11-27T14:30:00.000Z',
      NYSE,
    ],
    [
      'opg after the early close: the open on Monday',
      'opg',
      '2026-11-27T18:30:00Z',
      '2026-11-30T14:30:00.000Z',
      NYSE,
    ],
    ['opg in summer (EDT, UTC-4)', 'opg', '2026-07-14T12:00:00Z', '2026-07-14T13:30:00.000Z', NYSE],
    [
      'cls during the session: the close today',
      'cls',
      '2026-11-23T17:00:00Z',
      '2026-11-23T21:00:00.000Z',
      NYSE,
    ],
    ['cls before the open: the close today', 'cls', '2026-11-23T13:00:00Z', '2026-11-23T21:00:00.000Z', NYSE],
    ['cls at the close: the next close', 'cls', '2026-11-23T21:00:00Z', '2026-11-24T21:00:00.000Z', NYSE],
    ['cls on the early-close day: 13:00', 'cls', '2026-11-27T15:00:00Z', '2026-11-27T18:00:00.000Z', NYSE],
    [
      'cls on Thanksgiving: the early close on Friday',
      'cls',
      '2026-11-26T16:00:00Z',
      '2026-11-27T18:00:00.000Z',
      NYSE,
    ],
    [
      'custom close 15:45: cls joins it',
      'cls',
      '2026-11-23T17:00:00Z',
      '2026-11-23T20:45:00.000Z',
      { sessionClose: '15:45' },
    ],
    [
      'custom open 10:00: opg at 09:45 still makes it',
      'opg',
      '2026-11-23T14:45:00Z',
      '2026-11-23T15:00:00.000Z',
      { sessionOpen: '10:00' },
    ],
    [
      'seconds-long session every day: opg before it',
      'opg',
      '2026-11-22T19:05:00Z',
      '2026-11-22T19:05:30.000Z',
      { sessionOpen: '14:05:30', sessionClose: '14:05:40', sessionDays: EVERY_DAY },
    ],
    [
      'seconds-long session: opg inside it is refused',
      'opg',
      '2026-11-22T19:05:35Z',
      null,
      { sessionOpen: '14:05:30', sessionClose: '14:05:40', sessionDays: EVERY_DAY },
    ],
    [
      'seconds-long session: cls inside it joins its close',
      'cls',
      '2026-11-22T19:05:35Z',
      '2026-11-22T19:05:40.000Z',
      { sessionOpen: '14:05:30', sessionClose: '14:05:40', sessionDays: EVERY_DAY },
    ],
    [
      'a session across midnight (open 23:59:50, close 00:00:10): opg inside it is refused',
      'opg',
      '2026-11-23T05:00:05Z',
      null,
      { sessionOpen: '23:59:50', sessionClose: '00:00:10', sessionDays: EVERY_DAY },
    ],
    [
      'a session across midnight: opg after its close joins the evening open',
      'opg',
      '2026-11-23T05:00:20Z',
      '2026-11-24T04:59:50.000Z',
      { sessionOpen: '23:59:50', sessionClose: '00:00:10', sessionDays: EVERY_DAY },
    ],
  ])('%s', (_name, tif, now, expected, schedule) => {
    expect(iso(auctionFor(tif, at(now), schedule))).toBe(expected);
  });
});

describe('dueAuctions: what a tick holds now', () => {
  test.each<[string, string, [string, string, string][], AuctionSchedule]>([
    ['a second before the open: nothing', '2026-11-23T14:29:59Z', [], NYSE],
    ['at the open', '2026-11-23T14:30:00Z', [['open', '2026-11-23', '2026-11-23T14:30:00.000Z']], NYSE],
    [
      'a minute after the open',
      '2026-11-23T14:31:00Z',
      [['open', '2026-11-23', '2026-11-23T14:30:00.000Z']],
      NYSE,
    ],
    [
      'just inside the lateness bound',
      '2026-11-23T14:34:59Z',
      [['open', '2026-11-23', '2026-11-23T14:30:00.000Z']],
      NYSE,
    ],
    ['at the lateness bound: missed', '2026-11-23T14:35:00Z', [], NYSE],
    ['after the close', '2026-11-23T21:00:30Z', [['close', '2026-11-23', '2026-11-23T21:00:00.000Z']], NYSE],
    ['Thanksgiving morning: nothing', '2026-11-26T14:31:00Z', [], NYSE],
    ['the early close', '2026-11-27T18:01:00Z', [['close', '2026-11-27', '2026-11-27T18:00:00.000Z']], NYSE],
    [
      'open and close seconds apart: both',
      '2026-11-22T19:05:45Z',
      [
        ['open', '2026-11-22', '2026-11-22T19:05:30.000Z'],
        ['close', '2026-11-22', '2026-11-22T19:05:40.000Z'],
      ],
      { sessionOpen: '14:05:30', sessionClose: '14:05:40', sessionDays: EVERY_DAY },
    ],
    [
      'the day is the one in New York, not in UTC (a 23:00 close is 04:00Z the next day)',
      '2026-11-24T04:00:10Z',
      [['close', '2026-11-23', '2026-11-24T04:00:00.000Z']],
      { sessionClose: '23:00' },
    ],
  ])('%s', (_name, now, expected, schedule) => {
    expect(dueAuctions(at(now), schedule).map((d) => [d.kind, d.date, iso(d.at)])).toEqual(expected);
  });

  test('the lateness bound is half the wait of the workflow after an auction (600 s)', () => {
    expect(AUCTION_LATE_MS).toBe(300_000);
  });

  test('newYorkDate follows the zone, DST included', () => {
    expect(newYorkDate(at('2026-07-01T03:59:59Z'))).toBe('2026-06-30');
    expect(newYorkDate(at('2026-07-01T04:00:00Z'))).toBe('2026-07-01');
    expect(newYorkDate(at('2026-01-01T04:59:59Z'))).toBe('2025-12-31');
  });
});
