import fc from 'fast-check';
import {
  newYorkToUtc,
  nextSessionTime,
  outcomeTimeoutSeconds,
  remainingOutcomeSeconds,
  type TimeInForce,
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

  it('refuses a malformed session close', () => {
    expect(() => outcomeTimeoutSeconds('day', 0, '4pm')).toThrow(RangeError);
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
  });
});

describe('remainingOutcomeSeconds', () => {
  it('anchors the deadline to the submission and never goes below 1', () => {
    const submitted = at('2025-01-15T14:00:00Z');
    expect(remainingOutcomeSeconds('day', submitted, submitted + 3_600_000)).toBe(6 * H + 60);
    expect(remainingOutcomeSeconds('ioc', submitted, submitted + 3_600_000)).toBe(1);
  });
});
