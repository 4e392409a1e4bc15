/**
 * Alpaca's v3 market clock and calendar through the unmodified Alpaca TypeScript SDK
 * (`@alpacahq/alpaca-trade-api` 4.x: `ClockApi.clock`, `CalendarApi.calendar`, what
 * `alpaca.trading.clock.clock()` and `alpaca.trading.calendar.calendar()` call, with `basePath`
 * pointed at local mode) against the shared local mode. The SDK parses every answer with its own
 * models (`ClockRespFromJSON`, `PublicCalendarRespFromJSON`: instants become `Date`s), so a field out
 * of Alpaca's shape fails here. The shared local mode has a session every day (no holidays), opening
 * at 09:30 New York and closing 12 hours after it started (so possibly before it opens: a core
 * through the night, as its v2 clock reads it).
 */
import { trading } from '@alpacahq/alpaca-trade-api';
import { type OmsHttp, type SharedOms, sharedTradingDayOms } from './harness.js';

jest.setTimeout(45_000);

let oms: SharedOms;
let http: OmsHttp;
let config: trading.Configuration;

beforeAll(async () => {
  ({ oms, http } = await sharedTradingDayOms());
  config = new trading.Configuration({
    basePath: oms.apiUrl,
    apiKey: (name: string) => (name === 'APCA-API-KEY-ID' ? oms.apiKeyId : oms.apiSecretKey),
  });
}, 90_000);

afterAll(async () => {
  await oms?.stop();
});

const newYorkDay = (t: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: 'America/New_York' }).format(t);
const newYorkClock = (t: Date | undefined) =>
  t === undefined
    ? undefined
    : new Intl.DateTimeFormat('en-GB', {
        timeZone: 'America/New_York',
        hour: '2-digit',
        minute: '2-digit',
      }).format(t);
const NYSE = { acronym: 'NYSE', mic: 'XNYS', name: 'New York Stock Exchange', timezone: 'America/New_York' };

it('the v3 clock of the NYSE now agrees with the v2 clock: core exactly when open, the same next open and close', async () => {
  const before = Date.now();
  const legacy = await new trading.ClockApi(config).legacyClock();
  const { clocks } = await new trading.ClockApi(config).clock();
  expect(clocks).toHaveLength(1);
  const [clock] = clocks as [trading.Clock];
  expect(clock.market).toEqual(NYSE);
  expect(clock.timestamp.getTime()).toBeGreaterThanOrEqual(before - 1000);
  expect(clock.timestamp.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
  expect(clock.isMarketDay).toBe(true); // a session every day here
  expect(['closed', 'pre', 'core', 'post']).toContain(clock.phase);
  expect(clock.phase === 'core').toBe(legacy.isOpen);
  expect(clock.nextMarketOpen.getTime()).toBe(legacy.nextOpen.getTime());
  expect(clock.nextMarketClose.getTime()).toBe(legacy.nextClose.getTime());
  expect(clock.phaseUntil.getTime()).toBeGreaterThan(clock.timestamp.getTime());
});

it('the v3 clock for several markets at a given time: one clock each, in the order named, at that time', async () => {
  const time = new Date('2026-11-26T17:00:00.000Z');
  const { clocks } = await new trading.ClockApi(config).clock({ markets: 'XNAS,NYSE', time });
  expect(clocks.map((c) => [c.market.acronym, c.market.mic, c.timestamp.toISOString()])).toEqual([
    ['NASDAQ', 'XNAS', time.toISOString()],
    ['NYSE', 'XNYS', time.toISOString()],
  ]);
  for (const c of clocks) {
    expect(c.nextMarketOpen.getTime()).toBeGreaterThan(time.getTime());
    expect(c.nextMarketClose.getTime()).toBeGreaterThan(time.getTime());
    expect(c.phaseUntil.getTime()).toBeGreaterThan(time.getTime());
  }
});

it('the v3 calendar over a range: every session day with its phases, each day its clock at the open agrees', async () => {
  const resp = await new trading.CalendarApi(config).calendar({
    market: trading.Market.Nyse,
    start: new Date('2026-11-25T00:00:00Z'),
    end: new Date('2026-11-30T00:00:00Z'),
  });
  expect(resp.market).toEqual(NYSE);
  expect(resp.calendar.map((d) => d.date.toISOString().slice(0, 10))).toEqual([
    '2026-11-25',
    '2026-11-26',
    '2026-11-27',
    '2026-11-28',
    '2026-11-29',
    '2026-11-30',
  ]);
  for (const day of resp.calendar) {
    const date = day.date.toISOString().slice(0, 10);
    expect(newYorkDay(day.coreStart)).toBe(date);
    expect(newYorkClock(day.coreStart)).toBe('09:30');
    expect(newYorkClock(day.preStart)).toBe('04:00');
    expect(day.preEnd?.getTime()).toBe(day.coreStart.getTime());
    expect(day.postStart?.getTime() ?? day.coreEnd.getTime()).toBe(day.coreEnd.getTime());
    expect(day.coreEnd.getTime()).toBeGreaterThan(day.coreStart.getTime());
    expect(day.lunchStart).toBeUndefined();
    // T+1: the next session day (every day here).
    expect(day.settlementDate?.getTime()).toBe(day.date.getTime() + 86_400_000);
  }
  // The clock at a day's open: core until that day's core end.
  const [first] = resp.calendar as [trading.CalendarDay];
  const { clocks } = await new trading.ClockApi(config).clock({ time: first.coreStart });
  expect([clocks[0]?.phase, clocks[0]?.phaseUntil.getTime()]).toEqual(['core', first.coreEnd.getTime()]);

  // timezone=UTC: the same instants, written in UTC.
  const utc = await new trading.CalendarApi(config).calendar({
    market: trading.Market.Xnys,
    start: new Date('2026-11-25T00:00:00Z'),
    end: new Date('2026-11-30T00:00:00Z'),
    timezone: trading.CalendarTimezoneEnum.Utc,
  });
  expect(utc.calendar.map((d) => [d.coreStart.getTime(), d.coreEnd.getTime()])).toEqual(
    resp.calendar.map((d) => [d.coreStart.getTime(), d.coreEnd.getTime()]),
  );
  const raw = await http.request('GET', '/v3/calendar/NYSE?start=2026-11-25&end=2026-11-25&timezone=UTC');
  expect(raw.body).toMatchObject({ calendar: [{ date: '2026-11-25', core_start: '2026-11-25T14:30:00Z' }] });
});

it('refusals: a market the OMS does not serve, or a bad parameter, is a 400 naming it (the SDK raises it)', async () => {
  await expect(
    new trading.CalendarApi(config).calendar({ market: trading.Market.Lse, start: new Date('2026-11-25') }),
  ).rejects.toMatchObject({ response: expect.objectContaining({ status: 400 }) });
  const usEquity = await http.request('GET', '/v3/calendar/us_equity');
  expect(usEquity.status).toBe(400);
  expect(usEquity.body).toMatchObject({
    code: 40010001,
    message: expect.stringContaining('market: "us_equity"'),
  });
  const bad = await http.request('GET', '/v3/clock?time=2026-11-25');
  expect(bad.status).toBe(400);
  expect(bad.body).toMatchObject({ code: 40010001, message: expect.stringContaining('time:') });
  const stranger = new trading.Configuration({ basePath: oms.apiUrl, apiKey: () => 'nobody' });
  await expect(new trading.ClockApi(stranger).clock()).rejects.toMatchObject({
    response: expect.objectContaining({ status: 401 }),
  });
});
