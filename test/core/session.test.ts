import fc from 'fast-check';
import { sessionOf } from '../../lambdas/core/calendar.js';
import {
  auctionEntryError,
  DEFAULT_GTC_MAX_AGE_DAYS,
  isInRegularSession,
  MAX_DAY_GRACE_SECONDS,
  MAX_GTC_MAX_AGE_DAYS,
  newYorkDate,
  newYorkIso,
  newYorkToUtc,
  nextSessionClose,
  nextSessionOpen,
  nextSessionTime,
  outcomeTimeoutSeconds,
  parseDayGraceSeconds,
  parseGtcMaxAgeDays,
  parseSessionCalendar,
  parseSessionDays,
  parseSessionTime,
  remainingOutcomeSeconds,
  type SessionCalendar,
  type TimeInForce,
  WEEKDAYS,
  zoneOffsetMs,
} from '../../lambdas/core/index.js';

const at = (iso: string) => Date.parse(iso);
const H = 3600;
const D = 24 * H;
const EVERY_DAY = [0, 1, 2, 3, 4, 5, 6];
const nyParts = new Intl.DateTimeFormat('en-US', {
  timeZone: 'America/New_York',
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
});
/** New York wall clock at `ms`: the date as [y, m, d] and the time as `HH:MM:SS`. */
function newYork(ms: number): { date: [number, number, number]; time: string } {
  const p: Record<string, string> = {};
  for (const part of nyParts.formatToParts(new Date(ms))) p[part.type] = part.value;
  return {
    date: [Number(p.year), Number(p.month), Number(p.day)],
    time: `${p.hour}:${p.minute}:${p.second}`,
  };
}

/** `zoneOffsetMs` as the tz database (Intl) has it: the wall clock read back as if UTC. */
function intlOffsetMs(ms: number): number {
  const { date, time } = newYork(ms);
  const [hh, mm, ss] = time.split(':').map(Number) as [number, number, number];
  return Date.UTC(date[0], date[1] - 1, date[2], hh, mm, ss) - Math.floor(ms / 1000) * 1000;
}

describe('the New York clock (US daylight time: 2nd Sunday of March to 1st of November since 2007, 15 U.S.C. 260a; 1st Sunday of April to last of October 1987-2006)', () => {
  it.each<[string, string, number, string]>([
    [
      'the last EST second before spring forward (02:00 EST = 07:00Z)',
      '2026-03-08T06:59:59.999Z',
      -5,
      '2026-03-08',
    ],
    ['spring forward: 03:00 EDT', '2026-03-08T07:00:00Z', -4, '2026-03-08'],
    [
      'the last EDT second before fall back (02:00 EDT = 06:00Z)',
      '2026-11-01T05:59:59.999Z',
      -4,
      '2026-11-01',
    ],
    ['fall back: 01:00 EST again', '2026-11-01T06:00:00Z', -5, '2026-11-01'],
    ['2007, the first year of the rule: March 11', '2007-03-11T07:00:00Z', -4, '2007-03-11'],
    ['2006, the rule before: still EST on March 12', '2006-03-12T12:00:00Z', -5, '2006-03-12'],
    ['2006: April 2, the first Sunday of April', '2006-04-02T07:00:00Z', -4, '2006-04-02'],
    ['2006: October 29, the last Sunday of October', '2006-10-29T06:00:00Z', -5, '2006-10-29'],
    ['midnight UTC on New Year is the evening before in New York', '2027-01-01T00:30:00Z', -5, '2026-12-31'],
    [
      'a March 1 whose first is a Sunday (2026-03-01 is a Sunday: 2nd Sunday the 8th)',
      '2026-03-07T12:00:00Z',
      -5,
      '2026-03-07',
    ],
  ])('%s', (_name, iso, hours, date) => {
    expect(zoneOffsetMs(at(iso))).toBe(hours * H * 1000);
    expect(newYorkDate(at(iso))).toBe(date);
    expect(zoneOffsetMs(at(iso))).toBe(intlOffsetMs(at(iso)));
  });

  it('agrees with the tz database (Intl) around every Sunday 02:00 of March, April, October and November, 1987 to 2199', () => {
    for (let year = 1987; year <= 2199; year++) {
      for (const month of [2, 3, 9, 10]) {
        for (let day = 1; day <= 31; day++) {
          const midnight = Date.UTC(year, month, day);
          if (new Date(midnight).getUTCMonth() !== month || new Date(midnight).getUTCDay() !== 0) continue;
          // Either side of 06:00Z and 07:00Z: the changes are at 07:00Z in spring, 06:00Z in autumn.
          for (const hour of [6, 7]) {
            const change = midnight + hour * H * 1000;
            for (const ms of [change - 1000, change])
              expect([ms, zoneOffsetMs(ms)]).toEqual([ms, intlOffsetMs(ms)]);
          }
        }
      }
    }
  }, 30_000);

  it('agrees with the tz database (Intl) at any instant from 1987 to 2199', () => {
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1987, 0, 1), max: Date.UTC(2199, 11, 31) }), (ms) => {
        expect(zoneOffsetMs(ms)).toBe(intlOffsetMs(ms));
        const { date, time } = newYork(ms);
        expect(newYorkDate(ms)).toBe(date.map((n, i) => String(n).padStart(i === 0 ? 4 : 2, '0')).join('-'));
        expect(newYorkIso(ms).slice(11, 19)).toBe(time);
      }),
      { numRuns: 3000 },
    );
  });

  it('an invalid instant is refused, as Intl refused it', () => {
    expect(() => zoneOffsetMs(Number.NaN)).toThrow(RangeError);
    expect(() => newYorkDate(9e15)).toThrow(RangeError);
  });
});

describe('outcomeTimeoutSeconds', () => {
  it.each<[string, TimeInForce, string, string | undefined, number]>([
    ['day, winter morning (EST, UTC-5)', 'day', '2025-01-15T14:00:00Z', undefined, 7 * H + 60],
    ['day, summer morning (EDT, UTC-4)', 'day', '2025-07-15T14:00:00Z', undefined, 6 * H + 60],
    ['day, after the close waits for the next day', 'day', '2025-07-15T20:30:00Z', undefined, 23.5 * H + 60],
    [
      'day, exactly at the close waits for the next day',
      'day',
      '2025-07-15T20:00:00Z',
      undefined,
      24 * H + 60,
    ],
    [
      'day, Friday evening waits for Monday',
      'day',
      '2025-07-18T22:00:00Z',
      undefined,
      (2 * 24 + 22) * H + 60,
    ],
    // 2025-03-09: clocks spring forward; Friday 20:00 EST -> Monday 16:00 EDT is one hour shorter.
    ['day, over the spring DST weekend', 'day', '2025-03-08T01:00:00Z', undefined, 67 * H + 60],
    // 2025-11-02: clocks fall back; Friday 17:00 EDT -> Monday 16:00 EST.
    ['day, over the autumn DST weekend', 'day', '2025-10-31T21:00:00Z', undefined, 72 * H + 60],
    ['day, a Saturday waits for Monday', 'day', '2025-07-19T16:00:00Z', undefined, (2 * 24 + 4) * H + 60],
    ['day, an early close', 'day', '2025-07-15T14:00:00Z', '13:00', 3 * H + 60],
    ['opg after the open waits for the next open', 'opg', '2025-07-15T14:00:00Z', undefined, 23.5 * H + 600],
    ['opg before the open', 'opg', '2025-01-15T13:00:00Z', undefined, 1.5 * H + 600],
    ['cls', 'cls', '2025-01-15T14:00:00Z', undefined, 7 * H + 600],
    ['ioc', 'ioc', '2025-01-15T14:00:00Z', undefined, 300],
    ['fok', 'fok', '2025-01-15T14:00:00Z', undefined, 300],
    ['gtc: 90 days', 'gtc', '2025-01-15T14:00:00Z', undefined, 90 * 24 * H],
  ])('%s', (_name, tif, submitted, close, expected) => {
    expect(outcomeTimeoutSeconds(tif, at(submitted), close)).toBe(expected);
  });

  it.each(['4pm', '16', '16:0', '24:00', '16:60', '16:00:60', '16:00:0', '16:00:00.5', ' 16:00'])(
    'refuses the malformed session close %p',
    (close) => {
      expect(() => outcomeTimeoutSeconds('day', 0, close)).toThrow(RangeError);
    },
  );

  it.each<[string, string, string, number, number]>([
    // Close to the second: a DAY order placed 5 s before a 15:59:30 close (EDT) waits 5 s + grace.
    ['seconds in the close', '2025-07-15T19:59:25Z', '15:59:30', 60, 65],
    ['no grace', '2025-07-15T19:59:25Z', '15:59:30', 0, 5],
    ['a custom grace', '2025-07-15T19:59:25Z', '15:59:30', 2, 7],
    ['HH:MM:00 is HH:MM', '2025-07-15T14:00:00Z', '16:00:00', 60, 6 * H + 60],
    // A sub-second remainder rounds up: the order never expires before the close.
    ['part of a second before the close', '2025-07-15T19:59:29.400Z', '15:59:30', 0, 1],
    ['at the close, the next day', '2025-07-15T19:59:30Z', '15:59:30', 0, 24 * H],
  ])('day: %s', (_name, submitted, close, grace, expected) => {
    expect(outcomeTimeoutSeconds('day', at(submitted), close, { dayGraceSeconds: grace })).toBe(expected);
  });

  it('the grace applies to day orders only', () => {
    const submitted = at('2025-01-15T14:00:00Z');
    const options = { dayGraceSeconds: 5 };
    expect(outcomeTimeoutSeconds('day', submitted, '16:00', options)).toBe(7 * H + 5);
    expect(outcomeTimeoutSeconds('cls', submitted, '16:00', options)).toBe(7 * H + 600);
    expect(outcomeTimeoutSeconds('opg', submitted, '16:00', options)).toBe(0.5 * H + 600);
    expect(outcomeTimeoutSeconds('ioc', submitted, '16:00', options)).toBe(300);
  });

  it.each([-1, 1.5, Number.NaN, MAX_DAY_GRACE_SECONDS + 1])('refuses the grace %p', (grace) => {
    expect(() => outcomeTimeoutSeconds('day', 0, '16:00', { dayGraceSeconds: grace })).toThrow(RangeError);
  });

  it.each<[string, string, readonly number[], number]>([
    ['Saturday with every day a session day', '2025-07-19T16:00:00Z', [0, 1, 2, 3, 4, 5, 6], 4 * H + 60],
    ['Saturday with weekday sessions waits for Monday', '2025-07-19T16:00:00Z', WEEKDAYS, 52 * H + 60],
    ['Tuesday after the close with Saturday only', '2025-07-15T20:30:00Z', [6], 3 * 24 * H + 23.5 * H + 60],
    [
      'Saturday after the close with Saturday only waits a week',
      '2025-07-19T20:30:00Z',
      [6],
      7 * 24 * H - 30 * 60 + 60,
    ],
  ])('day: session days, %s', (_name, submitted, days, expected) => {
    expect(outcomeTimeoutSeconds('day', at(submitted), '16:00', { sessionDays: days })).toBe(expected);
  });

  it('a day order placed seconds before the close waits exactly until it, on any day with daily sessions', () => {
    const everyDay = [0, 1, 2, 3, 4, 5, 6];
    const wallClock = new Intl.DateTimeFormat('en-US', {
      timeZone: 'America/New_York',
      hourCycle: 'h23',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    fc.assert(
      fc.property(
        fc.integer({ min: at('2024-01-01T00:00:00Z') / 1000, max: at('2027-12-31T00:00:00Z') / 1000 }),
        fc.integer({ min: 1, max: 3600 }),
        fc.integer({ min: 0, max: 120 }),
        (s, ahead, grace) => {
          const submitted = s * 1000;
          const close = wallClock.format(new Date(submitted + ahead * 1000));
          // A DST change can make the wall time `ahead` seconds later exist twice or not at all.
          fc.pre(zoneOffsetMs(submitted) === zoneOffsetMs(submitted + ahead * 1000));
          const t = outcomeTimeoutSeconds('day', submitted, close, {
            dayGraceSeconds: grace,
            sessionDays: everyDay,
          });
          expect(t).toBe(Math.max(1, ahead + grace));
        },
      ),
    );
  });

  it('a day order waits until the next NYSE close (16:00, 13:00 on an early close), plus the grace', () => {
    const instant = fc.integer({
      min: at('2024-01-01T00:00:00Z') / 1000,
      max: at('2027-12-31T00:00:00Z') / 1000,
    });
    fc.assert(
      fc.property(instant, fc.boolean(), (s, extendedHours) => {
        const submitted = s * 1000;
        const t = outcomeTimeoutSeconds('day', submitted, '16:00', { extendedHours });
        const deadline = submitted + (t - 60) * 1000;
        const { date, time } = newYork(deadline);
        const session = sessionOf(...date);
        expect(session).not.toBeNull();
        const end = (day: NonNullable<typeof session>) => (extendedHours ? day.postMarketClose : day.close);
        expect(time).toBe(`${end(session as NonNullable<typeof session>)}:00`);
        // It is the next one: every trading day from the submission's up to the deadline's ended before.
        const [y, m, d] = newYork(submitted).date;
        for (let add = 0; ; add++) {
          const day = new Date(Date.UTC(y, m - 1, d + add));
          const ymd: [number, number, number] = [
            day.getUTCFullYear(),
            day.getUTCMonth() + 1,
            day.getUTCDate(),
          ];
          if (ymd.join('-') === date.join('-')) break;
          const earlier = sessionOf(...ymd);
          if (earlier === null) continue;
          const [hh, mm] = end(earlier).split(':').map(Number) as [number, number];
          expect(newYorkToUtc(...ymd, hh, mm)).toBeLessThanOrEqual(submitted);
        }
        expect(t).toBeGreaterThan(60);
        // The longest wait: from July 3, 2025 at 13:00 over Independence Day and a weekend.
        expect(t).toBeLessThanOrEqual((4 * 24 + 3) * H + 60);
      }),
    );
  });
});

describe('outcomeTimeoutSeconds on the NYSE calendar', () => {
  // November: EST (UTC-5); April and July: EDT (UTC-4).
  it.each<[string, TimeInForce, string, number]>([
    ['day, the morning before Thanksgiving', 'day', '2025-11-26T15:00:00Z', 6 * H + 60],
    [
      'day, after the close before Thanksgiving waits for Black Friday 13:00',
      'day',
      '2025-11-26T22:00:00Z',
      44 * H + 60,
    ],
    ['day, on Thanksgiving waits for Black Friday 13:00', 'day', '2025-11-27T17:00:00Z', 25 * H + 60],
    ['day, Black Friday morning: the early close', 'day', '2025-11-28T15:00:00Z', 3 * H + 60],
    ['day, Black Friday after the early close waits for Monday', 'day', '2025-11-28T19:00:00Z', 74 * H + 60],
    ['day, Christmas Eve morning: the early close', 'day', '2025-12-24T15:00:00Z', 3 * H + 60],
    [
      'day, Christmas Eve after the early close waits for December 26',
      'day',
      '2025-12-24T19:00:00Z',
      50 * H + 60,
    ],
    ['day, on Christmas Day', 'day', '2025-12-25T17:00:00Z', 28 * H + 60],
    ['day, on Good Friday waits for Monday', 'day', '2025-04-18T16:00:00Z', 76 * H + 60],
    ['day, the evening before Good Friday waits for Monday', 'day', '2025-04-17T21:00:00Z', 95 * H + 60],
    [
      'day, a weekend before Martin Luther King, Jr. Day waits for Tuesday',
      'day',
      '2025-01-18T17:00:00Z',
      76 * H + 60,
    ],
    [
      'day, July 3 after the early close waits over Independence Day',
      'day',
      '2025-07-03T17:30:00Z',
      98.5 * H + 60,
    ],
    ["day, New Year's Eve after the close waits for January 2", 'day', '2025-12-31T22:00:00Z', 47 * H + 60],
    ['day, the evening before the Carter day of mourning', 'day', '2025-01-08T22:00:00Z', 47 * H + 60],
    [
      "opg, the morning before Thanksgiving waits for Friday's open",
      'opg',
      '2025-11-26T15:00:00Z',
      47.5 * H + 600,
    ],
    ['cls on Black Friday: the early closing auction', 'cls', '2025-11-28T15:00:00Z', 3 * H + 600],
    ['ioc on a holiday', 'ioc', '2025-12-25T17:00:00Z', 300],
  ])('%s', (_name, tif, submitted, expected) => {
    expect(outcomeTimeoutSeconds(tif, at(submitted))).toBe(expected);
  });

  it.each<[string, string, string, { calendar?: SessionCalendar; sessionDays?: readonly number[] }, number]>([
    [
      'a custom close after 13:00 becomes 13:00 on an early close',
      '2025-11-28T15:00:00Z',
      '15:45',
      {},
      3 * H + 60,
    ],
    ['a custom close before 13:00 stays', '2025-11-28T15:00:00Z', '12:30', {}, 2.5 * H + 60],
    [
      'no calendar: Black Friday closes at 16:00',
      '2025-11-28T15:00:00Z',
      '16:00',
      { calendar: 'none' },
      6 * H + 60,
    ],
    [
      'no calendar: Thanksgiving has a session',
      '2025-11-27T17:00:00Z',
      '16:00',
      { calendar: 'none' },
      4 * H + 60,
    ],
    // Local mode and the end-to-end tests: daily sessions, so no holiday gets in the way.
    [
      'daily sessions default to no calendar',
      '2025-11-27T17:00:00Z',
      '16:00',
      { sessionDays: EVERY_DAY },
      4 * H + 60,
    ],
    [
      'daily sessions with the NYSE calendar skip Thanksgiving',
      '2025-11-27T17:00:00Z',
      '16:00',
      { sessionDays: EVERY_DAY, calendar: 'nyse' },
      25 * H + 60,
    ],
    [
      'daily sessions with the NYSE calendar: a Saturday trades regular hours',
      '2025-11-29T17:00:00Z',
      '16:00',
      { sessionDays: EVERY_DAY, calendar: 'nyse' },
      4 * H + 60,
    ],
  ])('day: %s', (_name, submitted, close, options, expected) => {
    expect(outcomeTimeoutSeconds('day', at(submitted), close, options)).toBe(expected);
  });

  it('refuses an unknown calendar and a date past 2100 on the NYSE calendar', () => {
    const submitted = at('2025-07-15T14:00:00Z');
    expect(() =>
      outcomeTimeoutSeconds('day', submitted, '16:00', { calendar: 'lse' as SessionCalendar }),
    ).toThrow(RangeError);
    expect(() => outcomeTimeoutSeconds('day', at('2101-01-04T14:00:00Z'))).toThrow(RangeError);
    expect(outcomeTimeoutSeconds('day', at('2101-01-04T14:00:00Z'), '16:00', { calendar: 'none' })).toBe(
      7 * H + 60,
    );
  });
});

describe('outcomeTimeoutSeconds with extended hours', () => {
  it.each<[string, string, string, { calendar?: SessionCalendar; sessionDays?: readonly number[] }, number]>([
    ['in the regular session: until 20:00', '2025-07-15T14:00:00Z', '16:00', {}, 10 * H + 60],
    ['pre-market: until 20:00 the same day', '2025-07-15T09:00:00Z', '16:00', {}, 15 * H + 60],
    ['post-market: until 20:00 the same day', '2025-07-15T21:00:00Z', '16:00', {}, 3 * H + 60],
    ['after 20:00: the next day', '2025-07-16T01:00:00Z', '16:00', {}, 23 * H + 60],
    ['Black Friday: late trading ends at 17:00', '2025-11-28T15:00:00Z', '16:00', {}, 7 * H + 60],
    ['Black Friday after the early close', '2025-11-28T21:30:00Z', '16:00', {}, 30 * 60 + 60],
    ['a Friday evening waits for Monday 20:00', '2025-07-19T01:00:00Z', '16:00', {}, 71 * H + 60],
    // 2025-11-02: clocks fall back; Friday 21:00 EDT -> Monday 20:00 EST.
    ['over the autumn DST weekend', '2025-11-01T01:00:00Z', '16:00', {}, 72 * H + 60],
    // 2025-03-09: clocks spring forward; Friday 21:00 EST -> Monday 20:00 EDT.
    ['over the spring DST weekend', '2025-03-08T02:00:00Z', '16:00', {}, 70 * H + 60],
    [
      'a custom close later than 20:00 wins',
      '2025-07-19T16:00:00Z',
      '21:00',
      { sessionDays: EVERY_DAY },
      9 * H + 60,
    ],
    [
      'a custom close earlier than 16:00',
      '2025-07-19T16:00:00Z',
      '12:30',
      { sessionDays: EVERY_DAY },
      8 * H + 60,
    ],
  ])('day: %s', (_name, submitted, close, options, expected) => {
    expect(outcomeTimeoutSeconds('day', at(submitted), close, { ...options, extendedHours: true })).toBe(
      expected,
    );
  });

  it('applies to day orders only', () => {
    const submitted = at('2025-07-15T14:00:00Z');
    const extended = { extendedHours: true };
    expect(outcomeTimeoutSeconds('gtc', submitted, '16:00', extended)).toBe(90 * D);
    expect(outcomeTimeoutSeconds('cls', submitted, '16:00', extended)).toBe(6 * H + 600);
    expect(outcomeTimeoutSeconds('day', submitted, '16:00', { extendedHours: false })).toBe(6 * H + 60);
  });
});

describe('GTC maximum age', () => {
  it.each<[number | undefined, number]>([
    [undefined, DEFAULT_GTC_MAX_AGE_DAYS * D],
    [1, D],
    [30, 30 * D],
    [MAX_GTC_MAX_AGE_DAYS, MAX_GTC_MAX_AGE_DAYS * D],
  ])('%p days', (gtcMaxAgeDays, expected) => {
    const options = gtcMaxAgeDays === undefined ? {} : { gtcMaxAgeDays };
    expect(outcomeTimeoutSeconds('gtc', at('2025-01-15T14:00:00Z'), '16:00', options)).toBe(expected);
  });

  it('is anchored to the submission', () => {
    const submitted = at('2025-01-15T14:00:00Z');
    expect(
      remainingOutcomeSeconds('gtc', submitted, submitted + 2 * H * 1000, '16:00', { gtcMaxAgeDays: 1 }),
    ).toBe(22 * H);
  });

  it.each([0, -1, 1.5, Number.NaN, MAX_GTC_MAX_AGE_DAYS + 1, 3650])('refuses %p days', (gtcMaxAgeDays) => {
    expect(() =>
      outcomeTimeoutSeconds('gtc', at('2025-01-15T14:00:00Z'), '16:00', { gtcMaxAgeDays }),
    ).toThrow(RangeError);
  });
});

describe('New York time', () => {
  it.each([
    ['2025-01-15T12:00:00Z', -5],
    ['2025-07-15T12:00:00Z', -4],
    ['2025-03-09T06:59:59Z', -5],
    ['2025-03-09T07:00:00Z', -4],
    ['2025-11-02T05:59:59Z', -4],
    ['2025-11-02T06:00:00Z', -5],
  ])('offset at %s is %i h', (iso, hours) => {
    expect(zoneOffsetMs(at(iso))).toBe(hours * H * 1000);
  });

  it('converts wall-clock times on DST days', () => {
    expect(new Date(newYorkToUtc(2025, 3, 9, 16, 0)).toISOString()).toBe('2025-03-09T20:00:00.000Z');
    expect(new Date(newYorkToUtc(2025, 11, 2, 16, 0)).toISOString()).toBe('2025-11-02T21:00:00.000Z');
    expect(new Date(newYorkToUtc(2025, 3, 8, 9, 30)).toISOString()).toBe('2025-03-08T14:30:00.000Z');
  });

  it('finds the next weekday session time', () => {
    expect(new Date(nextSessionTime(at('2025-03-07T21:00:00Z'), '16:00')).toISOString()).toBe(
      '2025-03-10T20:00:00.000Z',
    );
    expect(new Date(nextSessionTime(at('2025-03-07T21:00:00Z'), '16:00:30', [6])).toISOString()).toBe(
      '2025-03-08T21:00:30.000Z',
    );
  });

  it('skips NYSE holidays by default, and not with daily sessions or no calendar', () => {
    const eveOfThanksgiving = at('2025-11-26T22:00:00Z');
    // The time is taken as given: 16:00 on Black Friday, no early close.
    expect(new Date(nextSessionTime(eveOfThanksgiving, '16:00')).toISOString()).toBe(
      '2025-11-28T21:00:00.000Z',
    );
    expect(new Date(nextSessionTime(eveOfThanksgiving, '16:00', undefined, 'none')).toISOString()).toBe(
      '2025-11-27T21:00:00.000Z',
    );
    expect(new Date(nextSessionTime(eveOfThanksgiving, '16:00', EVERY_DAY)).toISOString()).toBe(
      '2025-11-27T21:00:00.000Z',
    );
    expect(new Date(nextSessionTime(eveOfThanksgiving, '16:00', EVERY_DAY, 'nyse')).toISOString()).toBe(
      '2025-11-28T21:00:00.000Z',
    );
  });

  it('refuses a calendar without session days', () => {
    expect(() => nextSessionTime(0, '16:00', [])).toThrow(RangeError);
  });
});

describe('session settings', () => {
  it.each<[string, { hour: number; minute: number; second: number }]>([
    ['16:00', { hour: 16, minute: 0, second: 0 }],
    ['09:30:15', { hour: 9, minute: 30, second: 15 }],
    ['23:59:59', { hour: 23, minute: 59, second: 59 }],
    ['00:00', { hour: 0, minute: 0, second: 0 }],
  ])('reads the time %p', (text, expected) => {
    expect(parseSessionTime(text)).toEqual(expected);
  });

  it.each<[string, number | null]>([
    ['0', 0],
    ['60', 60],
    ['86400', 86400],
    ['86401', null],
    ['-1', null],
    ['1.5', null],
    ['', null],
    ['1e3', null],
    [' 5', null],
  ])('reads the grace %p', (text, expected) => {
    if (expected === null) expect(() => parseDayGraceSeconds(text)).toThrow(RangeError);
    else expect(parseDayGraceSeconds(text)).toBe(expected);
  });

  it.each<[string, readonly number[] | null]>([
    ['mon,tue,wed,thu,fri', [1, 2, 3, 4, 5]],
    ['Sat, SUN', [0, 6]],
    ['sun,mon,tue,wed,thu,fri,sat', [0, 1, 2, 3, 4, 5, 6]],
    ['', null],
    ['mon,,tue', null],
    ['monday', null],
    ['mon,mon', null],
  ])('reads the days %p', (text, expected) => {
    if (expected === null) expect(() => parseSessionDays(text)).toThrow(RangeError);
    else expect(parseSessionDays(text)).toEqual(expected);
  });
});

describe('calendar and GTC settings', () => {
  it.each<[string, SessionCalendar | null]>([
    ['nyse', 'nyse'],
    ['none', 'none'],
    ['NYSE', null],
    ['weekdays', null],
    [' nyse', null],
    ['', null],
  ])('reads the calendar %p', (text, expected) => {
    if (expected === null) expect(() => parseSessionCalendar(text)).toThrow(RangeError);
    else expect(parseSessionCalendar(text)).toBe(expected);
  });

  it.each<[string, number | null]>([
    ['90', 90],
    ['1', 1],
    ['364', 364],
    ['0', null],
    ['365', null],
    ['3650', null],
    ['-1', null],
    ['1.5', null],
    ['1e2', null],
    [' 5', null],
    ['', null],
  ])('reads the GTC maximum age %p', (text, expected) => {
    if (expected === null) expect(() => parseGtcMaxAgeDays(text)).toThrow(RangeError);
    else expect(parseGtcMaxAgeDays(text)).toBe(expected);
  });
});

describe('remainingOutcomeSeconds', () => {
  it('anchors the deadline to the submission and never goes below 1', () => {
    const submitted = at('2025-01-15T14:00:00Z');
    expect(remainingOutcomeSeconds('day', submitted, submitted + 3_600_000)).toBe(6 * H + 60);
    expect(remainingOutcomeSeconds('ioc', submitted, submitted + 3_600_000)).toBe(1);
    expect(
      remainingOutcomeSeconds('day', submitted, submitted + 3_000, '09:00:10', { dayGraceSeconds: 1 }),
    ).toBe(8);
  });
});

describe('the auctions: nextSessionOpen and nextSessionClose', () => {
  const iso = (ms: number) => new Date(ms).toISOString();
  it.each<[string, string, string]>([
    ['before the open: today', '2025-01-15T13:00:00Z', '2025-01-15T14:30:00.000Z'],
    ['at the open: the next day (strictly after)', '2025-01-15T14:30:00Z', '2025-01-16T14:30:00.000Z'],
    ['Friday afternoon: Monday', '2025-01-17T18:00:00Z', '2025-01-21T14:30:00.000Z'], // Mon 20th: MLK Day
    ['summer (EDT)', '2025-07-15T12:00:00Z', '2025-07-15T13:30:00.000Z'],
  ])('next open, %s', (_name, after, expected) => {
    expect(iso(nextSessionOpen(at(after)))).toBe(expected);
  });

  it('a configured open moves the opening auction, on the configured days', () => {
    expect(iso(nextSessionOpen(at('2025-01-15T13:00:00Z'), { sessionOpen: '10:00:15' }))).toBe(
      '2025-01-15T15:00:15.000Z',
    );
    // Saturday 2025-01-18 with sessions every day (and then no holiday calendar).
    expect(
      iso(nextSessionOpen(at('2025-01-18T12:00:00Z'), { sessionOpen: '08:00', sessionDays: EVERY_DAY })),
    ).toBe('2025-01-18T13:00:00.000Z');
  });

  it.each<[string, string, string, string]>([
    ['a regular day', '2025-01-15T14:00:00Z', '16:00', '2025-01-15T21:00:00.000Z'],
    ['at the close: the next day', '2025-01-15T21:00:00Z', '16:00', '2025-01-16T21:00:00.000Z'],
    [
      'the day after Thanksgiving closes at 13:00',
      '2025-11-28T14:00:00Z',
      '16:00',
      '2025-11-28T18:00:00.000Z',
    ],
    ['a custom close earlier than 13:00 stays', '2025-11-28T14:00:00Z', '12:30', '2025-11-28T17:30:00.000Z'],
    ['Thanksgiving itself has none', '2025-11-27T14:00:00Z', '16:00', '2025-11-28T18:00:00.000Z'],
  ])('next close, %s', (_name, after, close, expected) => {
    expect(iso(nextSessionClose(at(after), close))).toBe(expected);
  });

  it('the opg outcome deadline follows a configured open', () => {
    const submitted = at('2025-01-15T13:00:00Z'); // 08:00 New York
    expect(outcomeTimeoutSeconds('opg', submitted, '16:00', { sessionOpen: '09:45' })).toBe(1.75 * H + 600);
    expect(outcomeTimeoutSeconds('opg', submitted, '16:00')).toBe(1.5 * H + 600);
  });
});

describe('the regular session and opg entry', () => {
  // Monday 2026-11-23 (EST, UTC-5); Friday 2026-11-27 is an early close (13:00); Thursday 26 is Thanksgiving.
  // biome-ignore format: table
  test.each([
    ['before the open', '2026-11-23T14:29:59Z', false],
    ['at the open (the auction instant: too late for it)', '2026-11-23T14:30:00Z', true],
    ['mid-session', '2026-11-23T18:00:00Z', true],
    ['at the close', '2026-11-23T21:00:00Z', false],
    ['after the close', '2026-11-23T22:00:00Z', false],
    ['on a holiday at noon', '2026-11-26T17:00:00Z', false],
    ['after an early close', '2026-11-27T18:30:00Z', false],
    ['on a Saturday', '2026-11-28T17:00:00Z', false],
  ])('%s (%s): in session %s', (_case, at, inSession) => {
    expect(isInRegularSession(Date.parse(at))).toBe(inSession);
    const error = auctionEntryError('opg', Date.parse(at));
    expect(error === null).toBe(!inSession);
    if (error !== null) expect(error).toMatchObject({ code: 'not_allowed', field: 'time_in_force' });
    // Only opg is refused: a cls order joins today's close, day and gtc trade.
    for (const tif of ['cls', 'day', 'gtc', 'ioc'] as const) expect(auctionEntryError(tif, Date.parse(at))).toBeNull();
  });

  test('follows the session settings: a moved open and close, every day a session', () => {
    const options = { sessionOpen: '07:00', sessionDays: [0, 1, 2, 3, 4, 5, 6], calendar: 'none' as const };
    const saturday0800 = Date.parse('2026-11-28T13:00:00Z');
    expect(isInRegularSession(saturday0800, '09:00', options)).toBe(true);
    expect(isInRegularSession(saturday0800, '07:30', options)).toBe(false);
  });
});
