import fc from 'fast-check';
import {
  MAX_DAY_GRACE_SECONDS,
  newYorkToUtc,
  nextSessionTime,
  outcomeTimeoutSeconds,
  parseDayGraceSeconds,
  parseSessionDays,
  parseSessionTime,
  remainingOutcomeSeconds,
  type TimeInForce,
  WEEKDAYS,
  zoneOffsetMs,
} from '../../lambdas/core/index.js';

const at = (iso: string) => Date.parse(iso);
const H = 3600;

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

  it('a day order waits exactly until 16:00 New York on a weekday, plus the grace', () => {
    const instant = fc.integer({
      min: at('2024-01-01T00:00:00Z') / 1000,
      max: at('2027-12-31T00:00:00Z') / 1000,
    });
    fc.assert(
      fc.property(instant, (s) => {
        const submitted = s * 1000;
        const t = outcomeTimeoutSeconds('day', submitted);
        const deadline = submitted + (t - 60) * 1000;
        const wall = new Intl.DateTimeFormat('en-US', {
          timeZone: 'America/New_York',
          hourCycle: 'h23',
          weekday: 'short',
          hour: '2-digit',
          minute: '2-digit',
          second: '2-digit',
        }).format(new Date(deadline));
        expect(wall).toMatch(/^(Mon|Tue|Wed|Thu|Fri) 16:00:00$/);
        expect(t).toBeGreaterThan(60);
        expect(t).toBeLessThanOrEqual((3 * 24 + 1) * H + 60);
      }),
    );
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
