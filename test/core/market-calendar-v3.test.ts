/**
 * Alpaca's v3 market clock and calendar for US equities (lambdas/core/market-calendar.ts): the phases
 * of a session day by the NYSE's hours (pre-market from 04:00, core 09:30-16:00, post-market to
 * 20:00, New York time), early closes at 13:00 with the late session to 17:00 (the day after
 * Thanksgiving, Christmas Eve, July 3 when a trading day), full holidays and unscheduled closures
 * (NYSE Rule 7.2, calendar.ts), and the deployment's session settings (session.ts).
 */
import fc from 'fast-check';
import {
  addDays,
  DEFAULT_CLOCK_MARKETS,
  MARKET_CALENDAR_FIRST_DATE,
  MARKET_CALENDAR_LAST_DATE,
  marketCalendarV3,
  marketClock,
  marketClockV3,
  marketPhaseAt,
  type PublicMarket,
  parseMarketCodes,
  parseRfc3339,
  type SessionOptions,
  usEquityMarket,
  v3CalendarRange,
} from '../../lambdas/core/index.js';

const at = (iso: string) => Date.parse(iso);
const NYSE = DEFAULT_CLOCK_MARKETS[0] as PublicMarket;

describe('marketPhaseAt: the phase of a US equity session day and when it ends', () => {
  it.each([
    // [rule, now, phase, phase_until (New York), is_market_day]
    [
      'a trading day before 04:00: closed until the pre-market',
      '2026-12-03T03:59:59-05:00',
      'closed',
      '2026-12-03T04:00:00-05:00',
      true,
    ],
    [
      '04:00 starts the pre-market (bounds inclusive at the start)',
      '2026-12-03T04:00:00-05:00',
      'pre',
      '2026-12-03T09:30:00-05:00',
      true,
    ],
    [
      'a millisecond before the open: still pre',
      '2026-12-03T09:29:59.999-05:00',
      'pre',
      '2026-12-03T09:30:00-05:00',
      true,
    ],
    ['09:30 opens the core session', '2026-12-03T09:30:00-05:00', 'core', '2026-12-03T16:00:00-05:00', true],
    [
      '16:00 closes it: post-market until 20:00',
      '2026-12-03T16:00:00-05:00',
      'post',
      '2026-12-03T20:00:00-05:00',
      true,
    ],
    [
      '20:00 ends the day: closed until the next day 04:00',
      '2026-12-03T20:00:00-05:00',
      'closed',
      '2026-12-04T04:00:00-05:00',
      true,
    ],
    [
      'Friday evening: closed over the weekend until Monday 04:00',
      '2026-12-04T21:00:00-05:00',
      'closed',
      '2026-12-07T04:00:00-05:00',
      true,
    ],
    [
      'a Saturday is no market day',
      '2026-12-05T12:00:00-05:00',
      'closed',
      '2026-12-07T04:00:00-05:00',
      false,
    ],
    [
      'Thanksgiving Day (a full holiday)',
      '2026-11-26T12:00:00-05:00',
      'closed',
      '2026-11-27T04:00:00-05:00',
      false,
    ],
    [
      'the day after Thanksgiving closes early at 13:00',
      '2026-11-27T12:59:00-05:00',
      'core',
      '2026-11-27T13:00:00-05:00',
      true,
    ],
    [
      'an early close: post-market from 13:00 to 17:00',
      '2026-11-27T13:00:00-05:00',
      'post',
      '2026-11-27T17:00:00-05:00',
      true,
    ],
    [
      'an early close: closed from 17:00',
      '2026-11-27T17:00:00-05:00',
      'closed',
      '2026-11-30T04:00:00-05:00',
      true,
    ],
    [
      'Christmas Eve closes early, Christmas Day is a holiday',
      '2026-12-24T17:30:00-05:00',
      'closed',
      '2026-12-28T04:00:00-05:00',
      true,
    ],
    [
      'July 3, 2025 (a Thursday) closes early',
      '2025-07-03T14:00:00-04:00',
      'post',
      '2025-07-03T17:00:00-04:00',
      true,
    ],
    [
      'July 4, 2026 is a Saturday: observed Friday July 3, so July 2 is a full day',
      '2026-07-02T16:30:00-04:00',
      'post',
      '2026-07-02T20:00:00-04:00',
      true,
    ],
    ['summer time (-04:00): core', '2026-07-01T09:30:00-04:00', 'core', '2026-07-01T16:00:00-04:00', true],
    [
      'across the change to summer time (Sunday 2026-03-08): Monday 04:00 is -04:00',
      '2026-03-06T20:00:00-05:00',
      'closed',
      '2026-03-09T04:00:00-04:00',
      true,
    ],
    [
      'an unscheduled closure (2025-01-09, national day of mourning)',
      '2025-01-09T10:00:00-05:00',
      'closed',
      '2025-01-10T04:00:00-05:00',
      false,
    ],
  ])('%s', (_rule, now, phase, until, isMarketDay) => {
    const clock = marketClockV3(NYSE, at(now));
    expect([clock.phase, clock.phase_until, clock.is_market_day]).toEqual([phase, until, isMarketDay]);
  });

  it.each<[string, string, string | undefined, SessionOptions, string, string]>([
    // [setting, now, close, options, phase, phase_until]
    [
      "the deployment's close (15:45): post from 15:45",
      '2026-12-03T15:50:00-05:00',
      '15:45',
      {},
      'post',
      '2026-12-03T20:00:00-05:00',
    ],
    [
      "the deployment's open (10:00): pre until 10:00",
      '2026-12-03T09:45:00-05:00',
      undefined,
      { sessionOpen: '10:00' },
      'pre',
      '2026-12-03T10:00:00-05:00',
    ],
    [
      'an open before 04:00 leaves no pre-market',
      '2026-12-03T02:00:00-05:00',
      undefined,
      { sessionOpen: '03:00' },
      'closed',
      '2026-12-03T03:00:00-05:00',
    ],
    [
      'a close after 20:00 leaves no post-market',
      '2026-12-03T20:30:00-05:00',
      '21:00',
      {},
      'core',
      '2026-12-03T21:00:00-05:00',
    ],
    [
      'a custom week without a holiday calendar: Saturday and Thanksgiving trade',
      '2026-11-26T12:00:00-05:00',
      undefined,
      { sessionDays: [0, 1, 2, 3, 4, 5, 6] },
      'core',
      '2026-11-26T16:00:00-05:00',
    ],
    [
      'an early close still cuts a later configured close to 13:00',
      '2026-11-27T13:30:00-05:00',
      '15:45',
      {},
      'post',
      '2026-11-27T17:00:00-05:00',
    ],
  ])('%s', (_setting, now, close, options, phase, until) => {
    const clock = marketClockV3(NYSE, at(now), close, options);
    expect([clock.phase, clock.phase_until]).toEqual([phase, until]);
  });

  it("answers Alpaca's clock fields: the instant to the millisecond, the next open and close strictly after it", () => {
    expect(marketClockV3(NYSE, at('2026-11-27T10:00:00.250-05:00'))).toEqual({
      market: { acronym: 'NYSE', mic: 'XNYS', name: 'New York Stock Exchange', timezone: 'America/New_York' },
      timestamp: '2026-11-27T10:00:00.250-05:00',
      is_market_day: true,
      next_market_open: '2026-11-30T09:30:00-05:00',
      next_market_close: '2026-11-27T13:00:00-05:00',
      phase: 'core',
      phase_until: '2026-11-27T13:00:00-05:00',
    });
  });

  it('agrees with the v2 clock at every instant: core exactly when open, the same next open and close; the phase ends after now', () => {
    const settings = fc.constantFrom<[string | undefined, SessionOptions]>(
      [undefined, {}],
      ['15:45', { sessionOpen: '10:00' }],
      ['13:30:30', { sessionDays: [0, 3, 6] }],
      // A close before the open (local mode's test setups): the core runs through the night.
      ['02:58', { sessionDays: [0, 1, 2, 3, 4, 5, 6] }],
      ['05:00', {}],
      ['14:00', { sessionOpen: '14:30', calendar: 'nyse' as const }],
      ['16:00', { sessionOpen: '14:00' }], // an early close (13:00) before this open
    );
    // From February 2000: a core through the night may have opened before the calendar's first date.
    const instant = fc.integer({ min: at('2000-02-01T05:00:00Z'), max: at('2099-12-31T04:00:00Z') });
    fc.assert(
      fc.property(instant, settings, (now, [close, options]) => {
        const v2 = marketClock(now, close, options);
        const v3 = marketClockV3(NYSE, now, close, options);
        expect(v3.phase === 'core').toBe(v2.is_open);
        expect(Date.parse(v3.next_market_open)).toBe(Date.parse(v2.next_open));
        expect(Date.parse(v3.next_market_close)).toBe(Date.parse(v2.next_close));
        expect(Date.parse(v3.phase_until)).toBeGreaterThan(now);
        expect(v3.phase).not.toBe('lunch');
        // The phase holds until phase_until and changes there.
        const until = Date.parse(v3.phase_until);
        expect(marketPhaseAt(until - 1, close, options).phase).toBe(v3.phase);
        expect(marketPhaseAt(until, close, options).phase).not.toBe(v3.phase);
      }),
      { numRuns: 300 },
    );
  });
});

describe('marketCalendarV3: the session days with their phase bounds', () => {
  it('Thanksgiving week 2026: a full day, the holiday left out, the early close to 13:00 with post to 17:00', () => {
    expect(marketCalendarV3('2026-11-25', '2026-11-30')).toEqual([
      {
        date: '2026-11-25',
        pre_start: '2026-11-25T04:00:00-05:00',
        pre_end: '2026-11-25T09:30:00-05:00',
        core_start: '2026-11-25T09:30:00-05:00',
        core_end: '2026-11-25T16:00:00-05:00',
        post_start: '2026-11-25T16:00:00-05:00',
        post_end: '2026-11-25T20:00:00-05:00',
        settlement_date: '2026-11-27',
      },
      {
        date: '2026-11-27',
        pre_start: '2026-11-27T04:00:00-05:00',
        pre_end: '2026-11-27T09:30:00-05:00',
        core_start: '2026-11-27T09:30:00-05:00',
        core_end: '2026-11-27T13:00:00-05:00',
        post_start: '2026-11-27T13:00:00-05:00',
        post_end: '2026-11-27T17:00:00-05:00',
        settlement_date: '2026-11-30',
      },
      {
        date: '2026-11-30',
        pre_start: '2026-11-30T04:00:00-05:00',
        pre_end: '2026-11-30T09:30:00-05:00',
        core_start: '2026-11-30T09:30:00-05:00',
        core_end: '2026-11-30T16:00:00-05:00',
        post_start: '2026-11-30T16:00:00-05:00',
        post_end: '2026-11-30T20:00:00-05:00',
        settlement_date: '2026-12-01',
      },
    ]);
  });

  it.each([
    // [rule, date, zone, core_start, core_end, post_end]
    [
      'winter, in New York',
      '2026-03-06',
      'market',
      '2026-03-06T09:30:00-05:00',
      '2026-03-06T16:00:00-05:00',
      '2026-03-06T20:00:00-05:00',
    ],
    [
      'summer time from 2026-03-08',
      '2026-03-09',
      'market',
      '2026-03-09T09:30:00-04:00',
      '2026-03-09T16:00:00-04:00',
      '2026-03-09T20:00:00-04:00',
    ],
    [
      'timezone=UTC, winter: 14:30Z-21:00Z, post to 01:00Z the next day',
      '2026-03-06',
      'UTC',
      '2026-03-06T14:30:00Z',
      '2026-03-06T21:00:00Z',
      '2026-03-07T01:00:00Z',
    ],
    [
      'timezone=UTC, summer: 13:30Z-20:00Z',
      '2026-03-09',
      'UTC',
      '2026-03-09T13:30:00Z',
      '2026-03-09T20:00:00Z',
      '2026-03-10T00:00:00Z',
    ],
    [
      'timezone=UTC, an early close: 18:00Z, post to 22:00Z',
      '2026-12-24',
      'UTC',
      '2026-12-24T14:30:00Z',
      '2026-12-24T18:00:00Z',
      '2026-12-24T22:00:00Z',
    ],
  ] as const)('%s', (_rule, date, zone, coreStart, coreEnd, postEnd) => {
    const [day] = marketCalendarV3(date, date, zone);
    expect(day).toMatchObject({ date, core_start: coreStart, core_end: coreEnd, post_end: postEnd });
  });

  it("follows the deployment's sessions; a phase that is empty is left out, and there is never a lunch", () => {
    const [day] = marketCalendarV3('2026-12-05', '2026-12-05', 'market', '20:00', {
      sessionOpen: '03:00',
      sessionDays: [6],
    });
    expect(day).toEqual({
      date: '2026-12-05',
      core_start: '2026-12-05T03:00:00-05:00',
      core_end: '2026-12-05T20:00:00-05:00',
      settlement_date: '2026-12-12',
    });
  });
});

describe('v3 parameters', () => {
  it.each([
    // [text, epoch ms or null]
    ['2026-12-03T14:30:00Z', at('2026-12-03T14:30:00Z')],
    ['2026-12-03t09:30:00.123456789-05:00', at('2026-12-03T14:30:00.123Z')],
    ['2026-12-03T14:30:00.5+00:00', at('2026-12-03T14:30:00.500Z')],
    ['2026-12-03T14:30Z', null], // seconds required
    ['2026-12-03T14:30:00', null], // an offset required
    ['2026-12-03', null],
    ['2026-02-30T10:00:00Z', null], // no such date (Date.parse would roll it to March 2)
    ['2026-12-03T24:00:00Z', null],
    ['2026-12-03T10:00:60Z', null],
    ['2026-12-03T10:00:00+24:00', null],
    ['1764772200000', null],
  ])('parseRfc3339(%j)', (text, expected) => {
    expect(parseRfc3339(text)).toBe(expected);
  });

  it.each([
    // [markets, the acronyms answered, or the refusal]
    ['NYSE', ['NYSE']],
    ['XNAS, NYSE', ['NASDAQ', 'NYSE']],
    ['NYSE,XNYS,NASDAQ', ['NYSE', 'NASDAQ']], // a MIC is the same market as its acronym
    ['LSE', 'LSE is not a market this OMS serves: it trades US equities (NYSE, XNYS, NASDAQ, XNAS)'],
    ['nyse', '"nyse" is not a market code: use NYSE, XNYS, NASDAQ, XNAS'], // Alpaca's codes are upper case
    ['us_equity', '"us_equity" is not a market code: use NYSE, XNYS, NASDAQ, XNAS'],
    ['NYSE,', 'must be market codes separated by commas, none empty'],
  ])('parseMarketCodes(%j)', (text, expected) => {
    const r = parseMarketCodes(text);
    expect(r.ok ? r.markets.map((m) => m.acronym) : r.message).toEqual(expected);
  });

  it('usEquityMarket: by acronym or MIC; not a prototype key', () => {
    expect(usEquityMarket('XNAS')).toMatchObject({ ok: true, market: { acronym: 'NASDAQ', mic: 'XNAS' } });
    expect(usEquityMarket('constructor').ok).toBe(false);
  });

  const TODAY = '2026-12-06';
  it.each([
    // [query, start, end] or [query, field, message]
    [{}, '2026-12-06', '2026-12-13'], // Alpaca: start today, end a week after start
    [{ start: '2026-01-01' }, '2026-01-01', '2026-01-08'],
    [{ end: '2026-12-31' }, '2026-12-06', '2026-12-31'],
    [{ start: '2099-12-30' }, '2099-12-30', '2099-12-31'], // the week stops at the calendar's end
    [{ start: '2000-01-01', end: '2029-12-31' }, '2000-01-01', '2029-12-31'], // 30 years less a day
    [
      { start: '2000-01-01', end: '2030-01-01' },
      'end',
      'end: must be less than 30 years after start (2000-01-01)',
    ],
    [{ start: '2026-12-10', end: '2026-12-09' }, 'start', 'start: must not be after end (2026-12-09)'],
    [{ end: '2026-12-01' }, 'end', 'end: must not be before start (not given: today, 2026-12-06)'],
    [
      { start: '2026-12-06T00:00:00Z' },
      'start',
      'start: must be a date (YYYY-MM-DD) from 2000-01-01 to 2099-12-31',
    ],
    [{ end: '2100-01-01' }, 'end', 'end: must be a date (YYYY-MM-DD) from 2000-01-01 to 2099-12-31'],
    [{ start: '2026-02-30' }, 'start', 'start: must be a date (YYYY-MM-DD) from 2000-01-01 to 2099-12-31'],
  ])('v3CalendarRange(%j)', (query, a, b) => {
    const r = v3CalendarRange(query, TODAY);
    if (r.ok) expect([r.start, r.end]).toEqual([a, b]);
    else expect(r.errors.map((e) => [e.field, e.message])).toEqual([[a, b]]);
  });

  it('v3CalendarRange names both bad dates at once', () => {
    const r = v3CalendarRange({ start: 'x', end: 'y' }, TODAY);
    expect(r.ok ? [] : r.errors.map((e) => e.field)).toEqual(['start', 'end']);
  });

  it('the calendar covers its dates and addDays crosses months and years', () => {
    expect([MARKET_CALENDAR_FIRST_DATE, MARKET_CALENDAR_LAST_DATE]).toEqual(['2000-01-01', '2099-12-31']);
    expect(addDays('2026-12-28', 7)).toBe('2027-01-04');
  });
});
