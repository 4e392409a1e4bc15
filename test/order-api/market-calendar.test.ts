/** GET /v2/clock and GET /v2/calendar (lambdas/order-api/market-calendar.ts, issue 13): Alpaca's shapes, the query's checks. */
import './env.js';
import fc from 'fast-check';
import { handler, parseCalendarParams } from '../../lambdas/order-api/market-calendar.js';
import { apiEvent, parse } from './fixtures.js';

const NOW = Date.parse('2026-11-27T15:00:00Z'); // the day after Thanksgiving, 10:00 New York
afterEach(() => {
  jest.restoreAllMocks();
  delete process.env.OMS_SESSION_CLOSE;
});
const call = (routeKey: string, query?: Record<string, string>) => {
  jest.spyOn(Date, 'now').mockReturnValue(NOW);
  return handler(apiEvent({ routeKey, ...(query ? { query } : {}) }));
};

describe('GET /v2/clock', () => {
  it("answers Alpaca's fields for now: open, closing early at 13:00", async () => {
    const res = await call('GET /v2/clock');
    expect(res.statusCode).toBe(200);
    expect(parse(res.body)).toEqual({
      timestamp: '2026-11-27T10:00:00.000-05:00',
      is_open: true,
      next_open: '2026-11-30T09:30:00.000-05:00',
      next_close: '2026-11-27T13:00:00.000-05:00',
    });
  });

  it("follows the deployment's close (OMS_SESSION_CLOSE)", async () => {
    process.env.OMS_SESSION_CLOSE = '09:45';
    expect(parse((await call('GET /v2/clock')).body)).toMatchObject({
      is_open: false,
      next_close: '2026-11-30T09:45:00.000-05:00',
    });
  });

  it('needs an authenticated caller, like every route', async () => {
    jest.spyOn(Date, 'now').mockReturnValue(NOW);
    const res = await handler(apiEvent({ routeKey: 'GET /v2/clock', principalId: null }));
    expect(res.statusCode).toBe(401);
  });
});

describe('GET /v2/calendar', () => {
  it('the days in the range, with their hours and settlement dates', async () => {
    const res = await call('GET /v2/calendar', { start: '2026-11-25', end: '2026-11-27' });
    expect(res.statusCode).toBe(200);
    expect(parse(res.body)).toEqual([
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
    ]);
  });

  it.each([
    // [query, start, end, date type]
    [{}, '2000-01-01', '2029-12-31', 'TRADING'],
    [{ start: '2026-01-01' }, '2026-01-01', '2029-12-31', 'TRADING'],
    // No end, a start past the default end: to that start's year end, not refused as after an end
    // the client never sent (a probe's start=2099-12-31).
    [{ start: '2099-12-31' }, '2099-12-31', '2099-12-31', 'TRADING'],
    [{ start: '2040-06-01' }, '2040-06-01', '2040-12-31', 'TRADING'],
    // A timestamp's date as written: the Alpaca SDK sends a JS Date (midnight UTC) as toISOString().
    [
      { start: '2026-01-02T00:00:00.000Z', end: '2026-01-03T23:30:00-05:00' },
      '2026-01-02',
      '2026-01-03',
      'TRADING',
    ],
    [
      { start: '2026-01-05', end: '2026-01-05', date_type: 'settlement' },
      '2026-01-05',
      '2026-01-05',
      'SETTLEMENT',
    ],
  ])('query %j -> %s..%s %s', (query, start, end, dateType) => {
    expect(parseCalendarParams(query as Record<string, string>, NOW)).toEqual({
      ok: true,
      params: { start, end, dateType },
    });
  });

  it.each([
    ['start', { start: 'yesterday' }],
    ['start', { start: '2026-02-30' }],
    ['start', { start: '1999-12-31' }],
    ['end', { end: '2100-01-01' }],
    ['end', { end: '2026-13-01' }],
    ['end', { end: '2026-02-30T00:00:00Z' }],
    ['date_type', { date_type: 'CALENDAR' }],
    ['start', { start: '2026-02-01', end: '2026-01-01' }],
  ])('bad %s (%j): 400 naming it', async (field, query) => {
    const res = await call('GET /v2/calendar', query);
    expect(res.statusCode).toBe(400);
    expect(parse(res.body)).toMatchObject({ code: 40010001, message: expect.stringContaining(`${field}:`) });
  });

  it('the default range lists every trading day from 2000 to three years ahead, within the response limits', async () => {
    const res = await call('GET /v2/calendar');
    const days = parse(res.body) as { date: string }[];
    expect(days[0]?.date).toBe('2000-01-03');
    expect(days.at(-1)?.date).toBe('2029-12-31');
    // Lambda answers at most 6 MB: the default listing stays far below.
    expect(Buffer.byteLength(res.body ?? '')).toBeLessThan(2_000_000);
  });
});

describe('hostile queries', () => {
  it('any start, end and date_type: 200 or a 400 naming the parameter, never a 500', async () => {
    jest.spyOn(Date, 'now').mockReturnValue(NOW);
    const text = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'grapheme', maxLength: 12 }),
      fc
        .date({
          min: new Date('1990-01-01T00:00:00Z'),
          max: new Date('2110-01-01T00:00:00Z'),
          noInvalidDate: true,
        })
        .map((d) => d.toISOString()),
      fc
        .date({
          min: new Date('1990-01-01T00:00:00Z'),
          max: new Date('2110-01-01T00:00:00Z'),
          noInvalidDate: true,
        })
        .map((d) => d.toISOString().slice(0, 10)),
      fc.constantFrom('', 'TRADING', 'settlement', '2026-02-29', '0000-00-00', '2026-01-01T25:00:00Z'),
    );
    await fc.assert(
      fc.asyncProperty(
        fc.record({ start: text, end: text, date_type: text }, { requiredKeys: [] }),
        async (query) => {
          const res = await handler(
            apiEvent({ routeKey: 'GET /v2/calendar', query: query as Record<string, string> }),
          );
          if (res.statusCode === 200) {
            expect(Array.isArray(parse(res.body))).toBe(true);
            return;
          }
          expect(res.statusCode).toBe(400);
          expect(parse(res.body).message).toMatch(/^(start|end|date_type): /);
        },
      ),
      { numRuns: 150 },
    );
  });
});
