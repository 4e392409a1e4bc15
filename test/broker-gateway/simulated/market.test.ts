import fc from 'fast-check';
import {
  accumulateTape,
  advanceQuote,
  PINNED_DEFAULT_LOTS,
  pinnedQuoteItem,
  printedVolume,
  profiledSize,
  type Quote,
  seedQuote,
  type TapeAccumulators,
  tapeAccumulatorsOf,
  tapeAttributes,
  VOLUME_PROFILE_EDGE_PERCENT,
  VOLUME_PROFILE_MIDDAY_PERCENT,
  VOLUME_PROFILE_OFF_SESSION_PERCENT,
  volumeProfilePercent,
} from '../../../lambdas/broker-gateway/simulated/market.js';
import { nanos, newYorkToUtc, ONE, tapeMarkOf } from '../../../lambdas/core/index.js';

const LOT = 100n * ONE;
/** New York wall time on a given date (month 1..12). */
const ny = (y: number, m: number, d: number, hh: number, mm: number) => newYorkToUtc(y, m, d, hh, mm);
const isWeekday = (y: number, m: number, d: number) => {
  const wd = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  return wd !== 0 && wd !== 6;
};
/** Arbitrary weekday (2020-2030, every month: both sides of daylight saving). */
const weekday = fc
  .record({
    y: fc.integer({ min: 2020, max: 2030 }),
    m: fc.integer({ min: 1, max: 12 }),
    d: fc.integer({ min: 1, max: 28 }),
  })
  .filter(({ y, m, d }) => isWeekday(y, m, d));

describe('volume profile', () => {
  test.each([
    ['open (09:30, winter)', ny(2026, 1, 5, 9, 30), VOLUME_PROFILE_EDGE_PERCENT],
    ['open (09:30, summer)', ny(2026, 7, 6, 9, 30), VOLUME_PROFILE_EDGE_PERCENT],
    ['midday (12:45)', ny(2026, 3, 4, 12, 45), VOLUME_PROFILE_MIDDAY_PERCENT],
    ['last minute (15:59)', ny(2026, 3, 4, 15, 59), 298],
    ['pre-market (09:29)', ny(2026, 3, 4, 9, 29), VOLUME_PROFILE_OFF_SESSION_PERCENT],
    ['close (16:00)', ny(2026, 3, 4, 16, 0), VOLUME_PROFILE_OFF_SESSION_PERCENT],
    ['night (02:00)', ny(2026, 3, 4, 2, 0), VOLUME_PROFILE_OFF_SESSION_PERCENT],
    ['Saturday noon', ny(2026, 3, 7, 12, 0), VOLUME_PROFILE_OFF_SESSION_PERCENT],
    ['Sunday at the open time', ny(2026, 3, 8, 9, 30), VOLUME_PROFILE_OFF_SESSION_PERCENT],
  ])('%s', (_name, at, percent) => {
    expect(volumeProfilePercent(at)).toBe(percent);
  });

  test('U shape: the open and the close are larger than midday, every weekday of the year', () => {
    fc.assert(
      fc.property(
        weekday,
        fc.integer({ min: 0, max: 29 }),
        fc.integer({ min: 0, max: 120 }),
        ({ y, m, d }, edge, mid) => {
          const open = volumeProfilePercent(ny(y, m, d, 9, 30 + edge));
          const close = volumeProfilePercent(ny(y, m, d, 15, 59 - edge));
          const midday = volumeProfilePercent(ny(y, m, d, 11, 45 + mid)); // 11:45-13:45
          expect(open).toBeGreaterThan(midday);
          expect(close).toBeGreaterThan(midday);
        },
      ),
    );
  });

  test('falls from the open to 12:45 and rises to the close, symmetric about midday', () => {
    fc.assert(
      fc.property(weekday, fc.integer({ min: 1, max: 194 }), ({ y, m, d }, k) => {
        const open = ny(y, m, d, 9, 30);
        const at = (minutes: number) => volumeProfilePercent(open + minutes * 60_000);
        expect(at(k)).toBeLessThanOrEqual(at(k - 1)); // falling through the morning
        expect(at(195 + k)).toBeGreaterThanOrEqual(at(194 + k)); // rising to 15:59
        expect(at(k)).toBe(at(390 - k));
      }),
    );
  });

  test('pure function of time: within a minute it does not change', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2031, 0, 1) }), (t) => {
        const minute = t - (t % 60_000);
        expect(volumeProfilePercent(t)).toBe(volumeProfilePercent(minute));
        expect(volumeProfilePercent(t)).toBeGreaterThanOrEqual(VOLUME_PROFILE_OFF_SESSION_PERCENT);
        expect(volumeProfilePercent(t)).toBeLessThanOrEqual(VOLUME_PROFILE_EDGE_PERCENT);
      }),
    );
  });

  test('displayed sizes of the walk: whole lots within the profile-scaled range; more near the open', () => {
    const open = ny(2026, 3, 4, 9, 31);
    const midday = ny(2026, 3, 4, 12, 45);
    let openTotal = 0n;
    let middayTotal = 0n;
    for (let i = 0; i < 200; i++) {
      const q = seedQuote(`S${i}`, open - 60_000);
      for (const [at, pct] of [
        [open, volumeProfilePercent(open)],
        [midday, VOLUME_PROFILE_MIDDAY_PERCENT],
      ] as const) {
        const next = advanceQuote(q, at);
        for (const size of [next.bidSize, next.askSize]) {
          expect(size % LOT).toBe(0n);
          expect(size >= BigInt(Math.ceil(pct / 100)) * LOT).toBe(true);
          expect(size <= BigInt(Math.ceil((10 * pct) / 100)) * LOT).toBe(true);
        }
        if (at === open) openTotal += next.askSize + next.bidSize;
        else middayTotal += next.askSize + next.bidSize;
      }
    }
    expect(openTotal > 2n * middayTotal).toBe(true);
  });

  test('the walk stays deterministic: same symbol, quote and time -> same next quote', () => {
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 6 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        (sym, t) => {
          const q: Quote = seedQuote(sym, t);
          expect(advanceQuote(q, t + 60_000)).toEqual(advanceQuote(q, t + 60_000));
        },
      ),
    );
  });
});

describe('pinnedQuoteItem', () => {
  const now = ny(2026, 3, 4, 12, 45); // midday: profile 100%

  test('builds the pinned item: canonical decimals, upper-cased symbol, default sizes', () => {
    expect(pinnedQuoteItem('acme', { bid: '10.00', ask: 10.02, last: '10.01' }, now)).toEqual({
      ok: true,
      item: {
        symbol: 'ACME',
        bid: '10',
        ask: '10.02',
        last: '10.01',
        bidSize: String(PINNED_DEFAULT_LOTS * 100),
        askSize: String(PINNED_DEFAULT_LOTS * 100),
        updatedAt: new Date(now).toISOString(),
        pinned: true,
      },
    });
  });

  test('sizes: given (either spelling) or profile-scaled by the time', () => {
    const built = pinnedQuoteItem(
      'ACME',
      { bid: '1', ask: '1', last: '1', bid_size: '250', askSize: 7 },
      now,
    );
    expect(built.ok && [built.item.bidSize, built.item.askSize]).toEqual(['250', '7']);
    const atOpen = pinnedQuoteItem('ACME', { bid: '1', ask: '1', last: '1' }, ny(2026, 3, 4, 9, 30));
    expect(atOpen.ok && atOpen.item.askSize).toBe(
      String(profiledSize(PINNED_DEFAULT_LOTS, ny(2026, 3, 4, 9, 30)) / ONE),
    );
    expect(atOpen.ok && nanos(atOpen.item.askSize)).toBe(3n * BigInt(PINNED_DEFAULT_LOTS) * LOT);
  });

  test('sub-dollar prices on the 0.0001 grid', () => {
    const built = pinnedQuoteItem('PENNY', { bid: '0.5012', ask: '0.5013', last: '0.5012' }, now);
    expect(built.ok).toBe(true);
  });

  test.each([
    [{ ask: '10', last: '10' }, 'bid: is required'],
    [{ bid: 'abc', ask: '10', last: '10' }, 'bid: must be a positive decimal, got "abc"'],
    [{ bid: '-1', ask: '10', last: '10' }, 'bid: must be a positive decimal, got "-1"'],
    [{ bid: '0', ask: '10', last: '10' }, 'bid: must be greater than 0, got "0"'],
    [{ bid: true, ask: '10', last: '10' }, 'bid: must be a positive decimal (a string such as "10.25")'],
    [{ bid: '10', ask: '10.005', last: '10' }, 'ask: must be a multiple of the tick size 0.01, got "10.005"'],
    [
      { bid: '0.5', ask: '0.50005', last: '0.5' },
      'ask: must be a multiple of the tick size 0.0001, got "0.50005"',
    ],
    [{ bid: '10', ask: '10', last: '1.0000000001' }, 'last: must have at most 9 decimal places'],
    [{ bid: '10.02', ask: '10.01', last: '10' }, 'bid: must not be above ask (bid 10.02, ask 10.01)'],
    [{ bid: '10', ask: '10', last: '10', bid_size: '0' }, 'bid_size: must be greater than 0'],
    [{ bid: '10', ask: '10', last: '10', ask_size: 'lots' }, 'ask_size: must be a positive decimal'],
    [
      { bid: '10', ask: '10', last: '10', bid_size: '1', bidSize: '1' },
      'bid_size: give bid_size or bidSize, not both',
    ],
    [{ bid: '10', ask: '10', last: '10', price: '10' }, 'price: is not a quote field'],
  ])('%j -> 400 naming the field', (input, message) => {
    const built = pinnedQuoteItem('ACME', input as never, now);
    expect(built.ok).toBe(false);
    if (!built.ok) expect(built.message).toContain(message);
  });

  test('every error is reported, each naming its field', () => {
    const built = pinnedQuoteItem('1BAD', { bid: 'x', ask: '0' } as never, now);
    expect(built.ok).toBe(false);
    if (!built.ok) expect(built.errors.map((e) => e.field)).toEqual(['symbol', 'bid', 'ask', 'last']);
  });

  test('property: any valid on-tick bid <= ask builds an item that reads back as the same quote', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 1_000_000 }),
        fc.integer({ min: 0, max: 50 }),
        fc.integer({ min: 1, max: 100_000 }),
        (bidCents, spread, size) => {
          const cents = (c: number) => `${Math.floor(c / 100)}.${String(c % 100).padStart(2, '0')}`;
          const built = pinnedQuoteItem(
            'ACME',
            {
              bid: cents(bidCents),
              ask: cents(bidCents + spread),
              last: cents(bidCents),
              bid_size: String(size),
            },
            now,
          );
          expect(built.ok).toBe(true);
          if (built.ok) {
            expect(nanos(built.item.bid)).toBe(nanos(cents(bidCents)));
            expect(nanos(built.item.ask) >= nanos(built.item.bid)).toBe(true);
            expect(built.item.bidSize).toBe(String(size));
          }
        },
      ),
    );
  });
});

describe('the tape accumulators (TCA exact interval VWAP and TWAP: core tca.ts)', () => {
  const T = Date.parse('2026-12-04T15:00:00.000Z');
  const zero: TapeAccumulators = { volume: 0n, notional: 0n, midMs: 0n };
  const mid2 = (q: Quote) => q.bid + q.ask; // twice the mid, exact

  test('a walk: the notional and the mid integral between any two marks are the brute-force sums', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 5_000 }), { minLength: 2, maxLength: 40 }),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        fc.nat(),
        (gaps, a, b, offA, offB) => {
          // Walk the quote: step k at time t[k]; each item carries the accumulators to its step.
          const steps: { quote: Quote; acc: TapeAccumulators }[] = [];
          let t = T;
          let quote = seedQuote('ACME', t);
          let acc = zero;
          steps.push({ quote, acc });
          for (const gap of gaps) {
            t += gap;
            const next = advanceQuote(quote, t);
            acc = accumulateTape(acc, quote, t, next);
            quote = next;
            steps.push({ quote, acc });
          }
          // Two read times: within step i's life and step j's (j >= i), as the TCA reads them.
          const [i, j] = [a % steps.length, b % steps.length].sort((x, y) => x - y) as [number, number];
          const lifeOf = (k: number) => (k + 1 < steps.length ? (gaps[k] as number) : 1_000);
          const at = (k: number, off: number) =>
            Date.parse(steps[k]?.quote.updatedAt as string) + (off % lifeOf(k));
          const [ta, tc] = [at(i, offA), at(j, offB)];
          if (tc < ta) return;
          const mark = (k: number, when: number) => {
            const s = steps[k] as { quote: Quote; acc: TapeAccumulators };
            return tapeMarkOf(
              { ...s.quote, volume: s.acc.volume, notional: s.acc.notional, midMs: s.acc.midMs },
              when,
            );
          };
          const [ma, mc] = [mark(i, ta), mark(j, tc)];
          // Brute force: each step's mid over the part of its life inside [ta, tc]; each print after i up to j.
          let twiceMidMs = 0n;
          let notional = 0n;
          let volume = 0n;
          for (let k = 0; k < steps.length; k++) {
            const from = Date.parse(steps[k]?.quote.updatedAt as string);
            const to = k + 1 < steps.length ? Date.parse(steps[k + 1]?.quote.updatedAt as string) : Infinity;
            const overlap = Math.max(0, Math.min(to, tc) - Math.max(from, ta));
            twiceMidMs += mid2(steps[k]?.quote as Quote) * BigInt(overlap);
            if (k > i && k <= j) {
              const [before, after] = [steps[k - 1]?.quote as Quote, steps[k]?.quote as Quote];
              const printed = printedVolume(before, after);
              volume += printed;
              notional += (printed * after.last) / ONE;
            }
          }
          expect((mc?.midMs as bigint) - (ma?.midMs as bigint)).toBe(twiceMidMs / 2n);
          expect((mc?.volume as bigint) - (ma?.volume as bigint)).toBe(volume);
          expect((mc?.notional as bigint) - (ma?.notional as bigint)).toBe(notional);
        },
      ),
    );
  });

  test.each<[string, Record<string, unknown>, TapeAccumulators]>([
    ['a new item: zero', {}, zero],
    [
      'stored text',
      { volume: '1200', notional: '12000.5', midMs: '99.25' },
      {
        volume: nanos('1200'),
        notional: nanos('12000.5'),
        midMs: nanos('99.25'),
      },
    ],
    ['unreadable or negative: zero', { volume: 'x', notional: '-3', midMs: 7 }, zero],
  ])('tapeAccumulatorsOf: %s', (_name, item, expected) => {
    expect(tapeAccumulatorsOf(item)).toEqual(expected);
  });

  test('held without a print (a pin replacing the quote): only the mid integral moves', () => {
    const q: Quote = { ...seedQuote('ACME', T), bid: nanos('10'), ask: nanos('10.02') };
    const held = accumulateTape({ volume: nanos('5'), notional: nanos('50'), midMs: 0n }, q, T + 1500, null);
    // mid 10.01 for 1.5 s
    expect(tapeAttributes(held)).toEqual({ volume: '5', notional: '50', midMs: '15015' });
  });
});
