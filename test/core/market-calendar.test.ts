/**
 * The market clock and calendar of `GET /v2/clock` and `GET /v2/calendar` (lambdas/core/market-calendar.ts,
 * issue 13): NYSE hours with early closes, Alpaca's field formats, settlement dates by SEC Rule 15c6-1
 * (T+1 from 2024-05-28) over NYSE and Federal Reserve holidays.
 */
import fc from 'fast-check';
import {
  bankOnlyHoliday,
  isTradingDay,
  MARKET_CALENDAR_FIRST_DATE,
  MARKET_CALENDAR_LAST_DATE,
  marketCalendar,
  marketClock,
  newYorkIso,
  settlementCycleDays,
  settlementDateOf,
} from '../../lambdas/core/index.js';

const at = (iso: string) => Date.parse(iso);

describe('marketClock', () => {
  it.each([
    // [case, now (UTC), is_open, next_open, next_close]
    [
      'a weekday before the open (winter, -05:00)',
      '2026-12-03T13:00:00Z',
      false,
      '2026-12-03T09:30:00.000-05:00',
      '2026-12-03T16:00:00.000-05:00',
    ],
    [
      'during the session: next open is tomorrow',
      '2026-12-03T15:00:00Z',
      true,
      '2026-12-04T09:30:00.000-05:00',
      '2026-12-03T16:00:00.000-05:00',
    ],
    [
      'Friday after the close: Monday',
      '2026-12-04T22:00:00Z',
      false,
      '2026-12-07T09:30:00.000-05:00',
      '2026-12-07T16:00:00.000-05:00',
    ],
    [
      'Thanksgiving (closed): the day after opens, and closes early at 13:00',
      '2026-11-26T15:00:00Z',
      false,
      '2026-11-27T09:30:00.000-05:00',
      '2026-11-27T13:00:00.000-05:00',
    ],
    [
      'summer time (-04:00), exactly at the open: open',
      '2026-07-01T13:30:00Z',
      true,
      '2026-07-02T09:30:00.000-04:00',
      '2026-07-01T16:00:00.000-04:00',
    ],
    [
      'exactly at the close: closed',
      '2026-07-01T20:00:00Z',
      false,
      '2026-07-02T09:30:00.000-04:00',
      '2026-07-02T16:00:00.000-04:00',
    ],
    [
      'July 2 2026: Independence Day is observed Friday July 3, so the next open is Monday',
      '2026-07-02T21:00:00Z',
      false,
      '2026-07-06T09:30:00.000-04:00',
      '2026-07-06T16:00:00.000-04:00',
    ],
  ])('%s', (_case, now, isOpen, nextOpen, nextClose) => {
    expect(marketClock(at(now))).toEqual({
      timestamp: newYorkIso(at(now)),
      is_open: isOpen,
      next_open: nextOpen,
      next_close: nextClose,
    });
  });

  it('follows the deployment: a custom close and every day a session day', () => {
    const everyDay = { sessionDays: [0, 1, 2, 3, 4, 5, 6] };
    // Thanksgiving and a Saturday trade when the week is custom (calendar none).
    expect(marketClock(at('2026-11-28T15:00:00Z'), '10:30', everyDay)).toMatchObject({
      is_open: true,
      next_close: '2026-11-28T10:30:00.000-05:00',
    });
  });

  it('the timestamp is the instant, in New York offset (RFC 3339)', () => {
    fc.assert(
      fc.property(fc.integer({ min: at('2000-01-01T00:00:00Z'), max: at('2099-12-01T00:00:00Z') }), (ms) => {
        const text = newYorkIso(ms);
        expect(text).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}-0[45]:00$/);
        expect(Date.parse(text)).toBe(ms);
      }),
    );
  });
});

describe('marketCalendar', () => {
  it("Thanksgiving week 2026, as Alpaca's calendar lists it (early close, settlement over the holiday)", () => {
    expect(marketCalendar('2026-11-25', '2026-11-30')).toEqual([
      {
        date: '2026-11-25',
        open: '09:30',
        close: '16:00',
        session_open: '0400',
        session_close: '2000',
        settlement_date: '2026-11-27',
      },
      {
        date: '2026-11-27',
        open: '09:30',
        close: '13:00',
        session_open: '0400',
        session_close: '1700',
        settlement_date: '2026-11-30',
      },
      {
        date: '2026-11-30',
        open: '09:30',
        close: '16:00',
        session_open: '0400',
        session_close: '2000',
        settlement_date: '2026-12-01',
      },
    ]);
  });

  it.each([
    // [rule, trade date, settlement date]
    ['T+1 from 2024-05-28', '2024-05-28', '2024-05-29'],
    ['T+2 on the last T+2 trade date (over Memorial Day)', '2024-05-24', '2024-05-29'],
    ['T+2 from 2017-09-05', '2017-09-05', '2017-09-07'],
    ['T+3 before 2017-09-05', '2017-09-01', '2017-09-07'],
    ['Columbus Day: the NYSE trades, banks do not settle', '2026-10-09', '2026-10-13'],
    ['Veterans Day on a Wednesday', '2026-11-10', '2026-11-12'],
    ['Veterans Day on a Sunday is observed Monday', '2029-11-09', '2029-11-13'],
    ['Veterans Day on a Saturday is not moved', '2028-11-10', '2028-11-13'],
    ['over a weekend', '2026-12-04', '2026-12-07'],
    ['over Christmas', '2026-12-24', '2026-12-28'],
  ])('settlement: %s', (_rule, trade, settlement) => {
    expect(settlementDateOf(trade)).toBe(settlement);
  });

  it('date_type SETTLEMENT lists the trading days that settle in the range', () => {
    expect(marketCalendar('2026-11-30', '2026-11-30', 'SETTLEMENT').map((d) => d.date)).toEqual([
      '2026-11-27',
    ]);
    // Nothing settles on Thanksgiving or on a Saturday.
    expect(marketCalendar('2026-11-26', '2026-11-26', 'SETTLEMENT')).toEqual([]);
  });

  it('a custom close shows on every day, early closes still cut it', () => {
    const days = marketCalendar('2026-11-25', '2026-11-27', 'TRADING', '15:00');
    expect(days.map((d) => [d.date, d.close])).toEqual([
      ['2026-11-25', '15:00'],
      ['2026-11-27', '13:00'],
    ]);
  });

  it('outside the dates it covers: a RangeError', () => {
    expect(() => marketCalendar('1999-12-31', '2000-01-05')).toThrow(RangeError);
    expect(() => marketCalendar('2099-12-01', '2100-01-05')).toThrow(RangeError);
    expect(marketCalendar(MARKET_CALENDAR_LAST_DATE, MARKET_CALENDAR_LAST_DATE)).toHaveLength(1);
    expect(marketCalendar(MARKET_CALENDAR_FIRST_DATE, '2000-01-03').map((d) => d.date)).toEqual([
      '2000-01-03',
    ]);
  });

  it('property: every listed day is an NYSE trading day, in order, settling on a later bank-open trading day', () => {
    const date = fc
      .integer({ min: at('2000-01-01T00:00:00Z'), max: at('2099-11-01T00:00:00Z') })
      .map((ms) => new Date(ms).toISOString().slice(0, 10));
    fc.assert(
      fc.property(date, fc.integer({ min: 0, max: 40 }), (start, span) => {
        const end = new Date(Date.parse(`${start}T00:00:00Z`) + span * 86_400_000).toISOString().slice(0, 10);
        const days = marketCalendar(start, end);
        const dates = days.map((d) => d.date);
        expect([...dates].sort()).toEqual(dates);
        expect(new Set(dates).size).toBe(dates.length);
        // Every trading day in the range is listed, and nothing else.
        for (let t = Date.parse(`${start}T00:00:00Z`); t <= Date.parse(`${end}T00:00:00Z`); t += 86_400_000) {
          const d = new Date(t);
          const trading = isTradingDay(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate());
          expect([d.toISOString().slice(0, 10), dates.includes(d.toISOString().slice(0, 10))]).toEqual([
            d.toISOString().slice(0, 10),
            trading,
          ]);
        }
        for (const day of days) {
          expect(day.settlement_date > day.date).toBe(true);
          const s = new Date(`${day.settlement_date}T00:00:00Z`);
          expect(isTradingDay(s.getUTCFullYear(), s.getUTCMonth() + 1, s.getUTCDate())).toBe(true);
          expect(bankOnlyHoliday(day.settlement_date)).toBeNull();
          expect(settlementCycleDays(day.date)).toBeGreaterThanOrEqual(1);
          expect(['16:00', '13:00']).toContain(day.close);
          expect(day.session_close).toBe(day.close === '13:00' ? '1700' : '2000');
        }
      }),
      { numRuns: 200 },
    );
  });

  it('a year has 250 to 253 trading days (2001 and 2012 lost days to closures)', () => {
    for (const year of [2019, 2024, 2025, 2026, 2030, 2050]) {
      const n = marketCalendar(`${year}-01-01`, `${year}-12-31`).length;
      expect([year, n >= 250 && n <= 253]).toEqual([year, true]);
    }
  });
});

describe('a custom session week (calendar none)', () => {
  it('one session day a week: every Monday is listed and settles on the session day cycle days later', () => {
    const mondays = { sessionDays: [1] };
    expect(marketCalendar('2026-11-01', '2026-11-30', 'TRADING', '16:00', mondays)).toEqual(
      ['2026-11-02', '2026-11-09', '2026-11-16', '2026-11-23', '2026-11-30'].map((date) => ({
        date,
        open: '09:30',
        close: '16:00',
        session_open: '0400',
        session_close: '2000',
        settlement_date: settlementDateOf(date, '16:00', mondays),
      })),
    );
    expect(settlementDateOf('2026-11-02', '16:00', mondays)).toBe('2026-11-09');
    // T+3 (2017): three Mondays later, past any look-ahead a five-day week needs.
    expect(marketCalendar('2017-01-02', '2017-01-02', 'TRADING', '16:00', mondays)[0]?.settlement_date).toBe(
      '2017-01-23',
    );
  });
});
