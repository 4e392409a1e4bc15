/**
 * Stops the OMS holds (lambdas/core/trigger.ts): which venues need it, the trailing level, what one
 * check of an armed order records, and that the emulation triggers exactly where the simulated
 * venue's matching (lambdas/broker-gateway/simulated/matching.ts) does for the same stop and the same prices.
 */
import fc from 'fast-check';
import type { Quote } from '../../lambdas/broker-gateway/simulated/market.js';
import { type BookOrder, match } from '../../lambdas/broker-gateway/simulated/matching.js';
import {
  checkHeldTrigger,
  formatNanos,
  type HeldTrigger,
  type HeldTriggerCommand,
  heldTriggerCommands,
  isTriggerHeldByOms,
  type Nanos,
  nanos,
  ORDER_TYPES,
  type OrderType,
  parseVenueOrderTypes,
  stopReachedError,
  type TimeInForce,
  trailBeyondPriceError,
  trailingStopLevel,
  triggerPriceError,
} from '../../lambdas/core/index.js';

const stop = (t: Partial<HeldTrigger> = {}): HeldTrigger => ({
  side: 'sell',
  type: 'stop',
  stopPrice: '95',
  trailPrice: null,
  trailPercent: null,
  hwm: null,
  ...t,
});
const trailing = (t: Partial<HeldTrigger> = {}): HeldTrigger =>
  stop({ type: 'trailing_stop', stopPrice: null, trailPrice: '2', ...t });
const at = (last: string, bid = '99.98', ask = '100.02') => ({ bid, ask, last });

describe('parseVenueOrderTypes', () => {
  test.each<[string, string[] | string]>([
    ['market,limit', ['limit', 'market']],
    [' market , limit,stop ,', ['limit', 'market', 'stop']],
    [ORDER_TYPES.join(','), [...ORDER_TYPES].sort()],
    ['market,limit,iceberg', 'unknown order type iceberg'],
    ['market,stop', 'must include market and limit'],
    ['', 'must include market and limit'],
  ])('%j', (text, expected) => {
    const parsed = parseVenueOrderTypes(text, 'oms:venueOrderTypes');
    if (typeof expected === 'string') {
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) {
        expect(parsed.error.field).toBe('oms:venueOrderTypes');
        expect(parsed.error.message).toContain(expected);
      }
    } else {
      expect(parsed.ok && [...parsed.types].sort()).toEqual(expected);
    }
  });
});

describe('trailBeyondPriceError: a sell trailing stop whose first stop would be at or below zero', () => {
  // biome-ignore format: a table
  const cases: [string, { type: string; side: string; trailPrice: string | null }, string | null, string | null][] = [
    ['sell, trail 50 on 10.01 (a probe: stop -39.99)', { type: 'trailing_stop', side: 'sell', trailPrice: '50' },    '10.01', 'trail_price: must be below the market price (10.01) for a sell trailing stop: its stop would be -39.99'],
    ['sell, trail equal to the price: stop 0',          { type: 'trailing_stop', side: 'sell', trailPrice: '10.01' }, '10.01', 'trail_price: must be below the market price (10.01) for a sell trailing stop: its stop would be 0'],
    ['sell, trail just below the price',                { type: 'trailing_stop', side: 'sell', trailPrice: '10' },    '10.01', null],
    ['buy, any trail (its stop is above the price)',    { type: 'trailing_stop', side: 'buy', trailPrice: '50' },     '10.01', null],
    ['sell, a percent trail (under 100 by its rule)',   { type: 'trailing_stop', side: 'sell', trailPrice: null },    '10.01', null],
    ['sell, no reference price: the venue decides',     { type: 'trailing_stop', side: 'sell', trailPrice: '50' },    null,    null],
    ['a stop, not trailing',                            { type: 'stop', side: 'sell', trailPrice: null },             '10.01', null],
  ];
  test.each(cases)('%s', (_what, order, reference, message) => {
    expect(trailBeyondPriceError(order, reference)?.message ?? null).toBe(message);
  });
});

type StopOrder = Parameters<typeof stopReachedError>[0];
const stopOrder = (o: Partial<StopOrder>): StopOrder => ({
  type: 'stop',
  side: 'sell',
  orderClass: 'simple',
  stopPrice: '95',
  stopLoss: null,
  ...o,
});

// Alpaca refuses a stop on the wrong side of the market ("stop price must not be greater than base
// price / 1.001" for a sell); the OMS refuses one the trigger rule above would trigger at once.
describe('stopReachedError: a stop the market has already reached would trigger at once', () => {
  // biome-ignore format: a table
  const cases: [string, Partial<StopOrder>, string | null, string | null][] = [
    ['sell stop above the market (a probe: 105 on 100, filled at 100)', { stopPrice: '105' },                       '100', 'stop_price: must be below the market price (100) for a sell stop: it would trigger at once'],
    ['sell stop at the market',                                      { stopPrice: '100' },                          '100', 'stop_price: must be below the market price (100) for a sell stop: it would trigger at once'],
    ['sell stop below the market',                                   { stopPrice: '99.99' },                        '100', null],
    ['buy stop below the market (a probe: 95 on 100)',               { side: 'buy', stopPrice: '95' },              '100', 'stop_price: must be above the market price (100) for a buy stop: it would trigger at once'],
    ['buy stop at the market',                                       { side: 'buy', stopPrice: '100' },             '100', 'stop_price: must be above the market price (100) for a buy stop: it would trigger at once'],
    ['buy stop above the market',                                    { side: 'buy', stopPrice: '100.01' },          '100', null],
    ['sell stop_limit, stop above the market (a probe: 110 / 99)',   { type: 'stop_limit', stopPrice: '110' },      '100', 'stop_price: must be below the market price (100) for a sell stop: it would trigger at once'],
    ['sell oco, its stop-loss above the market',                     { type: 'limit', orderClass: 'oco', stopPrice: null, stopLoss: { stopPrice: '101' } }, '100', 'stop_loss.stop_price: must be below the market price (100) for a sell stop: it would trigger at once'],
    ['sell oco, its stop-loss below the market',                     { type: 'limit', orderClass: 'oco', stopPrice: null, stopLoss: { stopPrice: '99' } },  '100', null],
    ['a bracket\'s stop-loss (checked against its entry instead)',   { type: 'market', orderClass: 'bracket', stopPrice: null, stopLoss: { stopPrice: '101' } }, '100', null],
    ['a limit order',                                                { type: 'limit', stopPrice: null },            '100', null],
    ['no reference price: the venue decides',                        { stopPrice: '105' },                          null,  null],
  ];
  test.each(cases)('%s', (_what, order, reference, message) => {
    expect(stopReachedError(stopOrder(order), reference)?.message ?? null).toBe(message);
  });

  const cents = fc.integer({ min: 1, max: 1_000_000 }).map((c) => formatNanos(nanos(String(c)) / 100n));
  it('refuses exactly the stops a held trigger would trigger on the reference price as the last sale', () => {
    fc.assert(
      fc.property(fc.constantFrom<'buy' | 'sell'>('buy', 'sell'), cents, cents, (side, stopPrice, last) => {
        const triggers = checkHeldTrigger(stop({ side, stopPrice }), at(last)).trigger !== null;
        expect(stopReachedError(stopOrder({ side, stopPrice }), last) !== null).toBe(triggers);
      }),
    );
  });

  it('triggerPriceError is the trail rule, then the stop rule', () => {
    const trail = { ...stopOrder({ type: 'trailing_stop', stopPrice: null }), trailPrice: '50' };
    expect(triggerPriceError(trail, '10.01')?.field).toBe('trail_price');
    expect(triggerPriceError({ ...stopOrder({ stopPrice: '11' }), trailPrice: null }, '10.01')?.field).toBe(
      'stop_price',
    );
    expect(triggerPriceError({ ...stopOrder({ stopPrice: '9' }), trailPrice: null }, '10.01')).toBeNull();
  });
});

describe('isTriggerHeldByOms', () => {
  const plain = new Set<OrderType>(['market', 'limit']);
  const all = new Set<OrderType>(ORDER_TYPES);
  const noTrailing = new Set<OrderType>(['market', 'limit', 'stop', 'stop_limit']);
  test.each<[OrderType, ReadonlySet<OrderType>, boolean]>([
    ['market', plain, false],
    ['limit', plain, false],
    ['stop', plain, true],
    ['stop_limit', plain, true],
    ['trailing_stop', plain, true],
    ['stop', all, false],
    ['trailing_stop', all, false],
    ['stop', noTrailing, false],
    ['trailing_stop', noTrailing, true],
  ])('%s at a venue holding %p: %p', (type, venue, held) => {
    expect(isTriggerHeldByOms(type, venue)).toBe(held);
  });
});

describe('trailingStopLevel', () => {
  test.each<[Partial<HeldTrigger>, string, string]>([
    [{ side: 'sell', trailPrice: '2' }, '100', '98'],
    [{ side: 'buy', trailPrice: '2' }, '100', '102'],
    [{ side: 'sell', trailPrice: null, trailPercent: '1.5' }, '100', '98.5'],
    [{ side: 'buy', trailPrice: null, trailPercent: '1.5' }, '100', '101.5'],
    // On its tick (Rule 612), away from the market: 33.33 x 97% = 32.3301, a sell's stop 32.33 ...
    [{ side: 'sell', trailPrice: null, trailPercent: '3' }, '33.33', '32.33'],
    // ... 33.33 x 103% = 34.3299, a buy's 34.33.
    [{ side: 'buy', trailPrice: null, trailPercent: '3' }, '33.33', '34.33'],
    // A sub-penny trail on a stock above $1 (a probe's 99.999): the tick is the level's, not the trail's.
    [{ side: 'sell', trailPrice: '0.001' }, '100', '99.99'],
    [{ side: 'buy', trailPrice: '0.001' }, '100', '100.01'],
    // Below $1 the tick is $0.0001: 0.5 x 98.5% = 0.4925 stands; 0.3333 x 101% = 0.336633 -> 0.3367.
    [{ side: 'sell', trailPrice: null, trailPercent: '1.5' }, '0.5', '0.4925'],
    [{ side: 'buy', trailPrice: null, trailPercent: '1' }, '0.3333', '0.3367'],
    // A buy's level rounded up across $1 lands on the next tick: 0.99 + 0.00995 = 0.99995 -> 1.
    [{ side: 'buy', trailPrice: '0.00995' }, '0.99', '1'],
  ])('%j at mark %s: %s', (t, mark, level) => {
    expect(formatNanos(trailingStopLevel(trailing(t), nanos(mark)))).toBe(level);
  });

  test('the level is on its tick, within one tick of the exact level away from the market, and any price on the tick crosses it where it crosses the exact level', () => {
    const cents = (c: bigint) => nanos('0.0001') * c; // prices in ten-thousandths of a dollar
    fc.assert(
      fc.property(
        fc.constantFrom<'buy' | 'sell'>('buy', 'sell'),
        fc.bigInt({ min: 2n, max: 5_000_000n }), // the mark, 0.0002 .. 500
        fc.oneof(
          fc.record({
            trailPrice: fc.bigInt({ min: 1n, max: 1_000_000n }).map((b) => formatNanos(b * 1_000n)),
          }),
          fc.record({
            trailPercent: fc
              .integer({ min: 1, max: 9_999 })
              .map((p) => formatNanos(nanos('0.01') * BigInt(p))),
          }),
        ),
        fc.bigInt({ min: 1n, max: 6_000_000n }), // a last sale, 0.0001 .. 600
        (side, markUnits, trail, lastUnits) => {
          const mark = cents(markUnits);
          const t = trailing({ side, trailPrice: null, trailPercent: null, ...trail });
          const level = trailingStopLevel(t, mark);
          const by = t.trailPrice !== null ? nanos(t.trailPrice) : null;
          const pct = t.trailPercent !== null ? nanos(t.trailPercent) : 0n;
          const hundred = nanos('100');
          const exact =
            by !== null
              ? side === 'buy'
                ? mark + by
                : mark - by
              : (mark * (side === 'buy' ? hundred + pct : hundred - pct)) / hundred;
          if (exact <= 0n) return; // a trail past the mark: a stop that never triggers
          const tick = level >= nanos('1') ? nanos('0.01') : nanos('0.0001');
          expect(level % tick).toBe(0n);
          if (side === 'sell') expect(exact - level >= 0n && exact - level < tick).toBe(true);
          else expect(level - exact >= 0n && level - exact <= nanos('0.01')).toBe(true);
          // A last on its tick:
          const last = cents(lastUnits);
          if (last % (last >= nanos('1') ? nanos('0.01') : nanos('0.0001')) !== 0n) return;
          if (side === 'sell') expect(last <= level).toBe(last <= exact);
          else expect(last >= level).toBe(last >= exact);
        },
      ),
      { numRuns: 2000 },
    );
  });

  test('a trailing stop without a positive trail is refused loudly', () => {
    expect(() => trailingStopLevel(trailing({ trailPrice: null }), nanos('100'))).toThrow(/trailPercent/);
    expect(() => trailingStopLevel(trailing({ trailPrice: '0' }), nanos('100'))).toThrow(/trailPrice/);
  });
});

describe('heldTriggerCommands: what one check records', () => {
  const trigger = (last: string, bid = '99.98', ask = '100.02'): HeldTriggerCommand => ({
    type: 'trigger',
    triggerPrice: last,
    bid,
    ask,
  });
  test.each<[string, HeldTrigger, TimeInForce, ReturnType<typeof at>, HeldTriggerCommand[]]>([
    ['sell stop above the stop: nothing', stop(), 'day', at('95.01'), []],
    ['sell stop at the stop: triggers at the last', stop(), 'day', at('95'), [trigger('95')]],
    ['sell stop through the stop', stop(), 'gtc', at('94.5'), [trigger('94.5')]],
    ['buy stop below the stop: nothing', stop({ side: 'buy', stopPrice: '105' }), 'day', at('104.99'), []],
    ['buy stop at the stop', stop({ side: 'buy', stopPrice: '105' }), 'day', at('105'), [trigger('105')]],
    ['stop-limit triggers on the stop alone', stop({ type: 'stop_limit' }), 'day', at('90'), [trigger('90')]],
    [
      'the trigger carries the quote',
      stop(),
      'day',
      at('94', '93.99', '94.03'),
      [trigger('94', '93.99', '94.03')],
    ],
    [
      'IOC stop not triggering: canceled',
      stop(),
      'ioc',
      at('96'),
      [{ type: 'confirmCancel', reason: 'ioc_remainder' }],
    ],
    [
      'FOK stop not triggering: canceled',
      stop(),
      'fok',
      at('96'),
      [{ type: 'confirmCancel', reason: 'fok_unfillable' }],
    ],
    ['IOC stop triggering: triggers', stop(), 'ioc', at('95'), [trigger('95')]],
    ['FOK stop triggering: triggers', stop(), 'fok', at('94'), [trigger('94')]],
    [
      'trailing stop, first quote: sets the mark',
      trailing(),
      'day',
      at('100'),
      [{ type: 'moveTrail', hwm: '100' }],
    ],
    [
      'sell trailing: a higher last moves the mark',
      trailing({ hwm: '100' }),
      'day',
      at('101'),
      [{ type: 'moveTrail', hwm: '101' }],
    ],
    [
      'sell trailing: a lower last above the level: nothing',
      trailing({ hwm: '100' }),
      'day',
      at('98.01'),
      [],
    ],
    ['sell trailing: at the level triggers', trailing({ hwm: '100' }), 'day', at('98'), [trigger('98')]],
    [
      'buy trailing: a lower last moves the mark',
      trailing({ side: 'buy', hwm: '100' }),
      'day',
      at('99'),
      [{ type: 'moveTrail', hwm: '99' }],
    ],
    [
      'buy trailing: at the level triggers',
      trailing({ side: 'buy', hwm: '100' }),
      'day',
      at('102'),
      [trigger('102')],
    ],
    [
      'percent trail',
      trailing({ trailPrice: null, trailPercent: '5', hwm: '100' }),
      'gtc',
      at('95'),
      [trigger('95')],
    ],
    ['canonical decimals', stop({ stopPrice: '95.00' }), 'day', at('94.500'), [trigger('94.5')]],
  ])('%s', (_name, t, tif, quote, expected) => {
    expect(heldTriggerCommands(t, tif, quote)).toEqual(expected);
  });

  test('a market or limit order has no trigger; a stop without a positive stop price is refused', () => {
    expect(() => heldTriggerCommands(stop({ type: 'limit' }), 'day', at('1'))).toThrow(/no trigger/);
    expect(() => checkHeldTrigger(stop({ stopPrice: null }), at('1'))).toThrow(/stopPrice/);
    expect(() => checkHeldTrigger(stop(), at('0'))).toThrow(/last/);
  });
});

describe('the emulated trigger agrees with the simulated venue', () => {
  const CENT = 10_000_000n;
  const quoteAt = (last: Nanos): Quote => ({
    symbol: 'ACME',
    bid: last - CENT > 0n ? last - CENT : last,
    ask: last + CENT,
    last,
    bidSize: nanos('1000'),
    askSize: nanos('1000'),
    updatedAt: '2026-11-23T14:30:00.000Z',
  });

  type Outcome = { step: number; triggered: string } | { step: number; canceled: string } | null;

  const scenario = fc.record({
    side: fc.constantFrom('buy' as const, 'sell' as const),
    type: fc.constantFrom('stop' as const, 'stop_limit' as const, 'trailing_stop' as const),
    timeInForce: fc.constantFrom<TimeInForce>('day', 'gtc', 'ioc', 'fok'),
    startCents: fc.integer({ min: 200, max: 20_000 }),
    stopOffsetCents: fc.integer({ min: -300, max: 300 }),
    trail: fc.oneof(
      fc.record({ price: fc.integer({ min: 1, max: 300 }) }),
      fc.record({ percent: fc.integer({ min: 1, max: 1_000 }) }), // hundredths of a percent
    ),
    steps: fc.array(fc.integer({ min: -60, max: 60 }), { minLength: 1, maxLength: 60 }),
  });

  test('same step, same trigger price, same untriggered IOC/FOK cancel, same trailing mark', () => {
    fc.assert(
      fc.property(scenario, (s) => {
        const lasts: Nanos[] = [];
        let cents = s.startCents;
        for (const d of s.steps) {
          cents = Math.max(1, cents + d);
          lasts.push(BigInt(cents) * CENT);
        }
        const stopPrice = BigInt(Math.max(1, s.startCents + s.stopOffsetCents)) * CENT;
        const trailPrice = 'price' in s.trail ? BigInt(s.trail.price) * CENT : null;
        const trailPercent = 'percent' in s.trail ? BigInt(s.trail.percent) * CENT : null;
        const trailingType = s.type === 'trailing_stop';

        const book: BookOrder = {
          orderId: 'o-1',
          symbol: 'ACME',
          side: s.side,
          type: s.type,
          timeInForce: s.timeInForce,
          qty: nanos('10'),
          notional: null,
          limitPrice: s.type === 'stop_limit' ? stopPrice : null,
          stopPrice: trailingType ? null : stopPrice,
          trailPrice: trailingType ? trailPrice : null,
          trailPercent: trailingType ? trailPercent : null,
          filledQty: 0n,
          filledValue: 0n,
          triggered: false,
          watermark: null,
          status: 'open',
        };
        let venue: Outcome = null;
        const venueMarks: (string | null)[] = [];
        let o = book;
        for (const [step, last] of lasts.entries()) {
          const r = match(o, quoteAt(last));
          const first = r.executions.find((e) => e.kind === 'triggered' || e.kind === 'canceled');
          if (first?.kind === 'triggered') venue = { step, triggered: formatNanos(first.triggerPrice) };
          else if (first?.kind === 'canceled') venue = { step, canceled: first.reason };
          if (venue !== null) break;
          o = r.order;
          venueMarks.push(o.watermark === null ? null : formatNanos(o.watermark));
        }

        const held: HeldTrigger = {
          side: s.side,
          type: s.type,
          stopPrice: book.stopPrice === null ? null : formatNanos(book.stopPrice),
          trailPrice: book.trailPrice === null ? null : formatNanos(book.trailPrice),
          trailPercent: book.trailPercent === null ? null : formatNanos(book.trailPercent),
          hwm: null,
        };
        let emulated: Outcome = null;
        const emulatedMarks: (string | null)[] = [];
        let hwm: string | null = null;
        for (const [step, last] of lasts.entries()) {
          const q = quoteAt(last);
          const quote = { bid: formatNanos(q.bid), ask: formatNanos(q.ask), last: formatNanos(q.last) };
          for (const c of heldTriggerCommands({ ...held, hwm }, s.timeInForce, quote)) {
            if (c.type === 'moveTrail') hwm = c.hwm;
            else if (c.type === 'trigger') emulated = { step, triggered: c.triggerPrice };
            else emulated = { step, canceled: c.reason };
          }
          if (emulated !== null) break;
          emulatedMarks.push(hwm);
        }

        expect(emulated).toEqual(venue);
        expect(emulatedMarks).toEqual(venueMarks);
      }),
      { numRuns: 500 },
    );
  });
});
