import fc from 'fast-check';
import {
  CALENDAR_FIRST_YEAR,
  CALENDAR_LAST_YEAR,
  closuresOf,
  EARLY_CLOSE,
  EARLY_POST_MARKET_CLOSE,
  earlyClosesOf,
  holidayName,
  isTradingDay,
  POST_MARKET_CLOSE,
  REGULAR_CLOSE,
  REGULAR_OPEN,
  sessionOf,
} from '../../lambdas/core/calendar.js';

const weekdayOf = (iso: string) => new Date(`${iso}T00:00:00Z`).getUTCDay();
const parts = (iso: string) => iso.split('-').map(Number) as [number, number, number];
const year = fc.integer({ min: CALENDAR_FIRST_YEAR, max: CALENDAR_LAST_YEAR });
/** Any date the calendar covers. */
const date = fc
  .integer({
    min: Date.UTC(CALENDAR_FIRST_YEAR, 0, 1) / 86_400_000,
    max: Date.UTC(CALENDAR_LAST_YEAR, 11, 31) / 86_400_000,
  })
  .map((days) => new Date(days * 86_400_000).toISOString().slice(0, 10));

/**
 * NYSE's published holidays and early closes (13:00), as NYSE Group announced them:
 * - 2019: https://www.wealthsimple.com/en-ca/learn/nyse-holidays (quotes NYSE's 2019 calendar)
 * - 2020-2021: https://mondovisione.com/media-and-resources/news/nyse-group-announces-2020-2021-and-2022-holiday-and-early-closings-calendar/
 * - 2022-2024: https://mondovisione.com/media-and-resources/news/nyse-group-announces-2022-2023-and-2024-holiday-and-early-closings-calendar/
 * - 2025-2027: https://mondovisione.com/media-and-resources/news/nyse-group-announces-2025-2026-and-2027-holiday-and-early-closings-calendar/
 * - 2028: https://mondovisione.com/media-and-resources/news/nyse-group-announces-2026-2027-and-2028-holiday-and-early-closings-calendar-20251223/
 * - 2025-01-09 (National Day of Mourning for President Carter, announced after the 2025 calendar):
 *   https://www.foxbusiness.com/markets/nyse-nasdaq-close-jan-9-national-day-mourning-following-death-jimmy-carter
 */
const PUBLISHED: readonly [number, readonly string[], readonly string[]][] = [
  [
    2019,
    ['01-01', '01-21', '02-18', '04-19', '05-27', '07-04', '09-02', '11-28', '12-25'],
    ['07-03', '11-29', '12-24'],
  ],
  [
    2020,
    ['01-01', '01-20', '02-17', '04-10', '05-25', '07-03', '09-07', '11-26', '12-25'],
    ['11-27', '12-24'],
  ],
  [2021, ['01-01', '01-18', '02-15', '04-02', '05-31', '07-05', '09-06', '11-25', '12-24'], ['11-26']],
  // 2022: New Year's Day fell on a Saturday: no holiday (NYSE Rule 7.2).
  [2022, ['01-17', '02-21', '04-15', '05-30', '06-20', '07-04', '09-05', '11-24', '12-26'], ['11-25']],
  [
    2023,
    ['01-02', '01-16', '02-20', '04-07', '05-29', '06-19', '07-04', '09-04', '11-23', '12-25'],
    ['07-03', '11-24'],
  ],
  [
    2024,
    ['01-01', '01-15', '02-19', '03-29', '05-27', '06-19', '07-04', '09-02', '11-28', '12-25'],
    ['07-03', '11-29', '12-24'],
  ],
  [
    2025,
    ['01-01', '01-09', '01-20', '02-17', '04-18', '05-26', '06-19', '07-04', '09-01', '11-27', '12-25'],
    ['07-03', '11-28', '12-24'],
  ],
  [
    2026,
    ['01-01', '01-19', '02-16', '04-03', '05-25', '06-19', '07-03', '09-07', '11-26', '12-25'],
    ['11-27', '12-24'],
  ],
  [
    2027,
    ['01-01', '01-18', '02-15', '03-26', '05-31', '06-18', '07-05', '09-06', '11-25', '12-24'],
    ['11-26'],
  ],
  // 2028: New Year's Day on a Saturday again.
  [
    2028,
    ['01-17', '02-21', '04-14', '05-29', '06-19', '07-04', '09-04', '11-23', '12-25'],
    ['07-03', '11-24'],
  ],
];

describe('NYSE calendar against the published lists', () => {
  it.each(PUBLISHED)('%i: closures', (y, closures) => {
    expect(closuresOf(y).map((c) => c.date)).toEqual(closures.map((md) => `${y}-${md}`));
    for (const md of closures) {
      const [, m, d] = parts(`${y}-${md}`);
      expect(isTradingDay(y, m, d)).toBe(false);
      expect(sessionOf(y, m, d)).toBeNull();
      expect(holidayName(y, m, d)).not.toBeNull();
    }
  });

  it.each(PUBLISHED)('%i: early closes at 13:00, late trading until 17:00', (y, _closures, early) => {
    expect(earlyClosesOf(y).map((c) => c.date)).toEqual(early.map((md) => `${y}-${md}`));
    for (const md of early) {
      const [, m, d] = parts(`${y}-${md}`);
      expect(sessionOf(y, m, d)).toMatchObject({
        open: REGULAR_OPEN,
        close: EARLY_CLOSE,
        postMarketClose: EARLY_POST_MARKET_CLOSE,
      });
    }
  });

  it.each<[string, string | null]>([
    ['2024-03-29', 'Good Friday'],
    ['2025-01-09', 'National Day of Mourning for President Jimmy Carter'],
    ['2026-07-03', 'Independence Day'],
    ['2027-06-18', 'Juneteenth National Independence Day'],
    ['2027-12-24', 'Christmas Day'],
    ['2023-01-02', "New Year's Day"],
    ['2024-11-28', 'Thanksgiving Day'],
    ['2024-01-15', 'Martin Luther King, Jr. Day'],
    ['2024-07-03', null], // an early close is a trading day
    ['2021-06-18', null], // Juneteenth became an exchange holiday in 2022
    ['2021-12-31', null], // Saturday New Year's Day 2022: the Friday before stays open
    ['2010-12-31', null], // the same in 2011
    ['2025-01-04', null], // a Saturday is no holiday, just no session
  ])('holidayName(%s) is %p', (iso, name) => {
    expect(holidayName(...parts(iso))).toBe(name);
  });

  it.each([
    '2001-09-11',
    '2001-09-12',
    '2001-09-13',
    '2001-09-14',
    '2004-06-11',
    '2007-01-02',
    '2012-10-29',
    '2012-10-30',
    '2018-12-05',
    '2025-01-09',
  ])('special closure %s', (iso) => {
    const [y] = parts(iso);
    expect(isTradingDay(...parts(iso))).toBe(false);
    expect(closuresOf(y).find((c) => c.date === iso)?.kind).toBe('special');
  });

  it.each([
    ['2004-12-24', 'Christmas Day'], // Saturday Christmas: the Friday before
    ['2010-07-05', 'Independence Day'], // Sunday: the Monday after
    ['2017-01-02', "New Year's Day"],
    ['2000-04-21', 'Good Friday'],
    ['2038-04-23', 'Good Friday'], // Easter at its latest, April 25
    ['2008-03-21', 'Good Friday'], // Easter on March 23
    ['2100-03-26', 'Good Friday'],
  ])('rule holiday %s (%s)', (iso, name) => {
    expect(holidayName(...parts(iso))).toBe(name);
  });

  it('a regular day: 09:30-16:00, late trading until 20:00', () => {
    expect(sessionOf(2025, 7, 15)).toEqual({
      open: REGULAR_OPEN,
      close: REGULAR_CLOSE,
      postMarketClose: POST_MARKET_CLOSE,
      earlyClose: null,
    });
    expect(sessionOf(2025, 11, 28)?.earlyClose).toBe('Day after Thanksgiving');
    expect(sessionOf(2025, 7, 19)).toBeNull(); // Saturday
  });

  it.each<[string, () => unknown]>([
    ['a year before 2000', () => isTradingDay(1999, 12, 31)],
    ['a year after 2100', () => sessionOf(2101, 1, 3)],
    ['a fractional year', () => closuresOf(2025.5)],
    ['February 29 of a common year', () => holidayName(2025, 2, 29)],
    ['month 13', () => isTradingDay(2025, 13, 1)],
    ['day 0', () => isTradingDay(2025, 1, 0)],
    ['early closes of 2101', () => earlyClosesOf(2101)],
  ])('refuses %s', (_name, call) => {
    expect(call).toThrow(RangeError);
  });
});

describe('NYSE calendar properties, 2000..2100', () => {
  it('10 rule holidays a year on weekdays, less Juneteenth before 2022 and New Year on a Saturday', () => {
    fc.assert(
      fc.property(year, (y) => {
        const rules = closuresOf(y).filter((c) => c.kind === 'holiday');
        const saturdayNewYear = new Date(Date.UTC(y, 0, 1)).getUTCDay() === 6;
        expect(rules).toHaveLength(10 - (y < 2022 ? 1 : 0) - (saturdayNewYear ? 1 : 0));
        expect(new Set(rules.map((c) => c.date)).size).toBe(rules.length);
        for (const c of rules) {
          expect(c.date.startsWith(`${y}-`)).toBe(true);
          expect([1, 2, 3, 4, 5]).toContain(weekdayOf(c.date));
        }
      }),
    );
  });

  it('Good Friday is a Friday in March or April; Thanksgiving a Thursday between the 22nd and the 28th', () => {
    fc.assert(
      fc.property(year, (y) => {
        const named = (name: string) => closuresOf(y).find((c) => c.name === name)?.date ?? '';
        const goodFriday = named('Good Friday');
        expect(weekdayOf(goodFriday)).toBe(5);
        expect(goodFriday >= `${y}-03-20` && goodFriday <= `${y}-04-23`).toBe(true);
        const thanksgiving = parts(named('Thanksgiving Day'));
        expect(weekdayOf(named('Thanksgiving Day'))).toBe(4);
        expect(thanksgiving[1]).toBe(11);
        expect(thanksgiving[2]).toBeGreaterThanOrEqual(22);
        expect(thanksgiving[2]).toBeLessThanOrEqual(28);
      }),
    );
  });

  it('no weekend day is a trading day, and a session exactly on trading days', () => {
    fc.assert(
      fc.property(date, (iso) => {
        const [y, m, d] = parts(iso);
        const weekend = weekdayOf(iso) === 0 || weekdayOf(iso) === 6;
        if (weekend) expect(isTradingDay(y, m, d)).toBe(false);
        expect(sessionOf(y, m, d) !== null).toBe(isTradingDay(y, m, d));
        // A closure is a weekday that does not trade; every other weekday trades.
        expect(holidayName(y, m, d) !== null).toBe(!weekend && !isTradingDay(y, m, d));
      }),
    );
  });

  it('early closes are trading days: the day after Thanksgiving every year, at most three a year', () => {
    fc.assert(
      fc.property(year, (y) => {
        const early = earlyClosesOf(y);
        expect(early.length).toBeGreaterThanOrEqual(1);
        expect(early.length).toBeLessThanOrEqual(3);
        expect(early.map((e) => e.name)).toContain('Day after Thanksgiving');
        for (const e of early) {
          const [, m, d] = parts(e.date);
          expect(isTradingDay(y, m, d)).toBe(true);
          expect(sessionOf(y, m, d)?.close).toBe(EARLY_CLOSE);
        }
      }),
    );
  });

  it('July 3 closes early exactly when July 4 falls Tuesday to Friday', () => {
    fc.assert(
      fc.property(year, (y) => {
        const july4 = new Date(Date.UTC(y, 6, 4)).getUTCDay();
        expect(earlyClosesOf(y).some((e) => e.date === `${y}-07-03`)).toBe(july4 >= 2 && july4 <= 5);
      }),
    );
  });

  it('the exchange is never closed more than four weekdays in a row (the longest: September 2001)', () => {
    let run = 0;
    let longest = 0;
    let longestEnd = '';
    for (
      let t = Date.UTC(CALENDAR_FIRST_YEAR, 0, 1);
      t <= Date.UTC(CALENDAR_LAST_YEAR, 11, 31);
      t += 86_400_000
    ) {
      const day = new Date(t);
      const weekday = day.getUTCDay();
      if (weekday === 0 || weekday === 6) continue;
      run = isTradingDay(day.getUTCFullYear(), day.getUTCMonth() + 1, day.getUTCDate()) ? 0 : run + 1;
      if (run > longest) [longest, longestEnd] = [run, day.toISOString().slice(0, 10)];
    }
    expect([longest, longestEnd]).toEqual([4, '2001-09-14']);
  });
});
