/**
 * GET /v3/clock and GET /v3/calendar/{market} (lambdas/order-api/market-calendar.ts): Alpaca's v3
 * shapes for the US equity markets, the deployment's sessions, the parameters' checks (400
 * `40010001` naming `markets`, `time`, `market`, `start`, `end` or `timezone`).
 */
import './env.js';
import fc from 'fast-check';
import { handler } from '../../lambdas/order-api/market-calendar.js';
import { apiEvent, parse } from './fixtures.js';

const NOW = Date.parse('2026-11-27T15:00:00Z'); // the day after Thanksgiving, 10:00 New York
afterEach(() => {
  jest.restoreAllMocks();
  delete process.env.OMS_SESSION_CLOSE;
});
const clock = (query?: Record<string, string>) => {
  jest.spyOn(Date, 'now').mockReturnValue(NOW);
  return handler(apiEvent({ routeKey: 'GET /v3/clock', ...(query ? { query } : {}) }));
};
const calendar = (market: string, query?: Record<string, string>) => {
  jest.spyOn(Date, 'now').mockReturnValue(NOW);
  return handler(
    apiEvent({
      routeKey: 'GET /v3/calendar/{market}',
      pathParameters: { market },
      ...(query ? { query } : {}),
    }),
  );
};
const NYSE = { acronym: 'NYSE', mic: 'XNYS', name: 'New York Stock Exchange', timezone: 'America/New_York' };

describe('GET /v3/clock', () => {
  it('the NYSE now when no market is named: core, until the early close at 13:00', async () => {
    const res = await clock();
    expect(res.statusCode).toBe(200);
    expect(parse(res.body)).toEqual({
      clocks: [
        {
          market: NYSE,
          timestamp: '2026-11-27T10:00:00.000-05:00',
          is_market_day: true,
          next_market_open: '2026-11-30T09:30:00-05:00',
          next_market_close: '2026-11-27T13:00:00-05:00',
          phase: 'core',
          phase_until: '2026-11-27T13:00:00-05:00',
        },
      ],
    });
  });

  it('one clock per market named, in order; `time` instead of now; unknown parameters ignored', async () => {
    const res = await clock({ markets: 'XNAS,NYSE', time: '2026-11-26T12:00:00-05:00', feed: 'sip' });
    const body = parse(res.body) as {
      clocks: { market: { acronym: string }; phase: string; timestamp: string }[];
    };
    expect(body.clocks.map((c) => [c.market.acronym, c.phase, c.timestamp])).toEqual([
      ['NASDAQ', 'closed', '2026-11-26T12:00:00.000-05:00'],
      ['NYSE', 'closed', '2026-11-26T12:00:00.000-05:00'],
    ]);
  });

  it("follows the deployment's close (OMS_SESSION_CLOSE), as the v2 clock does", async () => {
    process.env.OMS_SESSION_CLOSE = '09:45';
    const body = parse((await clock({ markets: '' })).body) as { clocks: Record<string, unknown>[] };
    expect(body.clocks[0]).toMatchObject({ phase: 'post', phase_until: '2026-11-27T17:00:00-05:00' });
  });

  it.each([
    ['markets', { markets: 'LSE' }, 'markets: LSE is not a market this OMS serves'],
    ['markets', { markets: 'us_equity' }, 'markets: "us_equity" is not a market code'],
    ['markets', { markets: 'NYSE,,XNAS' }, 'markets: must be market codes separated by commas'],
    ['time', { time: 'now' }, 'time: must be an RFC 3339 date-time'],
    ['time', { time: '2026-11-27' }, 'time: must be an RFC 3339 date-time'],
    ['time', { time: '1999-12-31T12:00:00Z' }, 'time: must be an RFC 3339 date-time'],
  ])('a bad %s: 400 naming it', async (_field, query, message) => {
    const res = await clock(query);
    expect(res.statusCode).toBe(400);
    expect(parse(res.body)).toMatchObject({ code: 40010001, message: expect.stringContaining(message) });
  });
});

describe('GET /v3/calendar/{market}', () => {
  it('today to a week later by default, in the market timezone, with the market', async () => {
    const res = await calendar('XNYS');
    expect(res.statusCode).toBe(200);
    const body = parse(res.body) as { market: unknown; calendar: { date: string }[] };
    expect(body.market).toEqual(NYSE);
    expect(body.calendar.map((d) => d.date)).toEqual([
      '2026-11-27',
      '2026-11-30',
      '2026-12-01',
      '2026-12-02',
      '2026-12-03',
      '2026-12-04',
    ]);
    expect(body.calendar[0]).toEqual({
      date: '2026-11-27',
      pre_start: '2026-11-27T04:00:00-05:00',
      pre_end: '2026-11-27T09:30:00-05:00',
      core_start: '2026-11-27T09:30:00-05:00',
      core_end: '2026-11-27T13:00:00-05:00',
      post_start: '2026-11-27T13:00:00-05:00',
      post_end: '2026-11-27T17:00:00-05:00',
      settlement_date: '2026-11-30',
    });
  });

  it('timezone=UTC writes the instants in UTC; the market stays the market', async () => {
    const res = await calendar('NASDAQ', { start: '2026-12-24', end: '2026-12-28', timezone: 'UTC' });
    const body = parse(res.body) as {
      market: { acronym: string; timezone: string };
      calendar: Record<string, string>[];
    };
    expect(body.market).toMatchObject({ acronym: 'NASDAQ', mic: 'XNAS', timezone: 'America/New_York' });
    expect(body.calendar.map((d) => [d.date, d.core_end, d.post_end])).toEqual([
      ['2026-12-24', '2026-12-24T18:00:00Z', '2026-12-24T22:00:00Z'],
      ['2026-12-28', '2026-12-28T21:00:00Z', '2026-12-29T01:00:00Z'],
    ]);
  });

  it('thirty years less a day in one answer stays far below the response limits (Lambda: 6 MB)', async () => {
    const res = await calendar('NYSE', { start: '2000-01-01', end: '2029-12-31' });
    expect(res.statusCode).toBe(200);
    expect(Buffer.byteLength(res.body ?? '')).toBeLessThan(3_000_000);
  });

  it.each([
    ['market', 'us_equity', {}, 'market: "us_equity" is not a market code: use NYSE, XNYS, NASDAQ, XNAS'],
    ['market', 'OPRA', {}, 'market: OPRA is not a market this OMS serves'],
    ['start', 'NYSE', { start: '2026-11-27T00:00:00Z' }, 'start: must be a date (YYYY-MM-DD)'],
    ['end', 'NYSE', { end: '2100-01-01' }, 'end: must be a date (YYYY-MM-DD)'],
    ['start', 'NYSE', { start: '2026-12-02', end: '2026-12-01' }, 'start: must not be after end'],
    ['end', 'NYSE', { end: '2026-11-01' }, 'end: must not be before start (not given: today, 2026-11-27)'],
    [
      'end',
      'NYSE',
      { start: '2000-01-01', end: '2099-12-31' },
      'end: must be less than 30 years after start',
    ],
    [
      'timezone',
      'NYSE',
      { timezone: 'America/New_York' },
      "timezone: must be UTC, or left out for the market's own",
    ],
    ['timezone', 'NYSE', { timezone: 'utc' }, 'timezone: must be UTC'],
  ])('a bad %s: 400 naming it', async (_field, market, query, message) => {
    const res = await calendar(market, query);
    expect(res.statusCode).toBe(400);
    expect(parse(res.body)).toMatchObject({ code: 40010001, message: expect.stringContaining(message) });
  });

  it('every problem at once, each named', async () => {
    const res = await calendar('LSE', { start: 'x', timezone: 'EST' });
    expect(parse(res.body).message).toMatch(/^market: .*; timezone: .*; start: /);
  });
});

describe('hostile parameters', () => {
  it('any markets, time, market, start, end, timezone: 200 or a 400 naming the parameter, never a 500', async () => {
    jest.spyOn(Date, 'now').mockReturnValue(NOW);
    const text = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.constantFrom(
        '',
        'NYSE',
        'XNAS,NYSE',
        'UTC',
        '2026-02-29',
        '2026-12-01',
        '2026-12-03T14:30:00Z',
        'constructor',
        '__proto__',
      ),
      fc
        .date({
          min: new Date('1990-01-01T00:00:00Z'),
          max: new Date('2110-01-01T00:00:00Z'),
          noInvalidDate: true,
        })
        .map((d) => d.toISOString()),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.record({ markets: text, time: text }, { requiredKeys: [] }),
        text,
        fc.record({ start: text, end: text, timezone: text }, { requiredKeys: [] }),
        async (clockQuery, market, calendarQuery) => {
          const c = await handler(
            apiEvent({ routeKey: 'GET /v3/clock', query: clockQuery as Record<string, string> }),
          );
          if (c.statusCode !== 200) {
            expect(c.statusCode).toBe(400);
            expect(parse(c.body).message).toMatch(/^(markets|time): /);
          }
          const d = await handler(
            apiEvent({
              routeKey: 'GET /v3/calendar/{market}',
              pathParameters: { market },
              query: calendarQuery as Record<string, string>,
            }),
          );
          if (d.statusCode !== 200) {
            expect(d.statusCode).toBe(400);
            expect(parse(d.body).message).toMatch(/^(market|start|end|timezone): /);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
