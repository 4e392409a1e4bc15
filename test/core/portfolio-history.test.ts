/**
 * Portfolio history's rules (core portfolio-history.ts; README `GET /v2/account/portfolio/history`,
 * Alpaca's "Get Account Portfolio History"): the query's defaults and refusals, the windows each
 * `timeframe` and `intraday_reporting` give, the equity of an instant (opening cash + the executions'
 * cash flow + each position at its price in force), and the P&L against each base. Property: trades
 * at an unchanging price leave equity at the opening cash at every instant.
 */
import fc from 'fast-check';
import {
  dailyMarkInForce,
  dollars,
  equityAt,
  executionsCover,
  markInForce,
  marksPerSymbol,
  minuteMarkInForce,
  type PortfolioHistoryQuery,
  type PositionChanged,
  parsePortfolioHistoryQuery,
  portfolioBaseInstants,
  portfolioHistoryJson,
  portfolioValuationStart,
  portfolioWindows,
  previousSessionDate,
} from '../../lambdas/core/index.js';

/** Monday 7 December 2026, 17:50 New York (22:50 UTC): after the close. */
const NOW = Date.parse('2026-12-07T22:50:00Z');
const ny = (wall: string) => Date.parse(`${wall}-05:00`);
const DAY = 86_400_000;

describe('the query (Alpaca defaults; a 400 naming the parameter)', () => {
  test.each([
    [
      'no parameter: 1M of daily windows to now',
      {},
      {
        startMs: Date.parse('2026-11-07T22:50:00Z'),
        endMs: NOW,
        timeframe: '1D',
        reporting: 'market_hours',
        pnlReset: 'per_day',
      },
    ],
    ['1D: minutes', { period: '1D' }, { startMs: NOW - DAY, endMs: NOW, timeframe: '1Min' }],
    [
      '1W: 15 minutes (7 days is not under 7)',
      { period: '1W' },
      { startMs: NOW - 7 * DAY, timeframe: '15Min' },
    ],
    ['6D: minutes', { period: '6d' }, { timeframe: '1Min' }],
    ['2A: daily', { period: '2A' }, { startMs: Date.parse('2024-12-07T22:50:00Z'), timeframe: '1D' }],
    ['an end later than now is now', { end: '2027-01-01T00:00:00Z', period: '1D' }, { endMs: NOW }],
    [
      'start and end',
      { start: '2026-12-07T14:30:00Z', end: '2026-12-07T21:00:00Z' },
      {
        startMs: Date.parse('2026-12-07T14:30:00Z'),
        endMs: Date.parse('2026-12-07T21:00:00Z'),
        timeframe: '1Min',
      },
    ],
    [
      'start and period',
      { start: '2026-12-01T00:00:00Z', period: '2D' },
      { startMs: Date.parse('2026-12-01T00:00:00Z'), endMs: Date.parse('2026-12-03T00:00:00Z') },
    ],
    [
      'date_end: to the end of that New York day',
      { date_end: '2026-12-04', period: '1D' },
      { endMs: ny('2026-12-05T00:00:00'), startMs: ny('2026-12-04T00:00:00') },
    ],
    ['extended_hours=true', { extended_hours: 'true' }, { reporting: 'extended_hours' }],
    [
      'intraday_reporting wins over extended_hours',
      { extended_hours: 'true', intraday_reporting: 'continuous' },
      { reporting: 'continuous' },
    ],
    ['pnl_reset', { pnl_reset: 'no_reset' }, { pnlReset: 'no_reset' }],
    [
      'cashflow_types listed once, upper case',
      { cashflow_types: 'div, DIV,fee' },
      { cashflowTypes: ['DIV', 'FEE'] },
    ],
    ['cashflow_types ALL and NONE list none', { cashflow_types: 'ALL' }, { cashflowTypes: [] }],
    ["alpaca-py's extended_hours=True", { extended_hours: 'True' }, { reporting: 'extended_hours' }],
  ])('%s', (_name, params, expected) => {
    const parsed = parsePortfolioHistoryQuery(params as Record<string, string>, NOW);
    expect(parsed).toEqual({ ok: true, query: expect.objectContaining(expected) });
  });

  test.each([
    [{ period: '0D' }, 'period: must be a number (1 to 9999) and a unit D, W, M or A, such as 1D or 3M'],
    [{ period: '1Y' }, 'period:'],
    [{ period: '1D1' }, 'period:'],
    [{ timeframe: '2Min' }, 'timeframe: must be one of 1Min, 5Min, 15Min, 1H, 1D'],
    [{ timeframe: '1min' }, 'timeframe:'],
    [{ period: '2M', timeframe: '1H' }, 'timeframe: must be 1D for a window longer than 31 days'],
    [
      { intraday_reporting: 'always' },
      'intraday_reporting: must be one of market_hours, extended_hours, continuous',
    ],
    [{ pnl_reset: 'weekly' }, 'pnl_reset: must be one of per_day, no_reset'],
    [{ extended_hours: 'yes' }, 'extended_hours: must be true or false'],
    [{ start: '2026-12-01' }, 'start: must be an RFC 3339 timestamp'],
    [{ end: 'yesterday' }, 'end: must be an RFC 3339 timestamp'],
    [{ date_end: '2026-02-30' }, 'date_end: must be a date (YYYY-MM-DD)'],
    [{ date_end: '2026-12-04', end: '2026-12-04T20:00:00Z' }, 'date_end: is not taken with end'],
    [
      { start: '2026-12-01T00:00:00Z', end: '2026-12-02T00:00:00Z', period: '1D' },
      'period: is not taken with both start and end',
    ],
    [{ start: '2026-12-02T00:00:00Z', end: '2026-12-01T00:00:00Z' }, 'start: must be before the window ends'],
    [{ start: '2027-01-01T00:00:00Z' }, 'start: must be before the window ends'],
    [{ period: '11A' }, 'period: makes a window longer than 3660 days'],
    [
      { start: '1999-12-01T00:00:00Z', end: '2000-01-10T00:00:00Z', timeframe: '1D' },
      'start: makes a window starting before 2000-01-01',
    ],
    [{ end: '2000-01-10T00:00:00Z', period: '1M' }, 'end: makes a window starting before 2000-01-01'],
    [{ date_end: '2000-01-03', period: '1W' }, 'date_end: makes a window starting before 2000-01-01'],
    [
      { start: '2026-12-01T00:00:00Z', period: '1D', date_end: '2026-12-03' },
      'date_end: is not taken with both start and period',
    ],
  ])('%j is refused: %s', (params, message) => {
    const parsed = parsePortfolioHistoryQuery(params as Record<string, string>, NOW);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error.message.startsWith(message)).toBe(true);
  });
});

test('an intraday timeframe over a calendar month in a 31-day month (Alpaca: 30 days); not over 32 days', () => {
  const jan31 = Date.parse('2027-01-31T20:00:00Z');
  expect(parsePortfolioHistoryQuery({ period: '1M', timeframe: '15Min' }, jan31)).toMatchObject({
    ok: true,
    query: { startMs: Date.parse('2026-12-31T20:00:00Z'), timeframe: '15Min' },
  });
  expect(parsePortfolioHistoryQuery({ period: '32D', timeframe: '1H' }, jan31)).toMatchObject({
    ok: false,
    error: { field: 'timeframe' },
  });
});

const query = (q: Partial<PortfolioHistoryQuery>): PortfolioHistoryQuery => ({
  startMs: ny('2026-12-07T00:00:00'),
  endMs: ny('2026-12-07T23:59:00'),
  timeframe: '1Min',
  reporting: 'market_hours',
  pnlReset: 'per_day',
  cashflowTypes: [],
  ...q,
});

describe('the windows (left-labeled, valued at their end or at the request end)', () => {
  const iso = (ms: number) => new Date(ms).toISOString();
  test.each([
    [
      '1Min of market hours: 09:30 to 15:59',
      query({}),
      390,
      '2026-12-07T14:30:00.000Z',
      '2026-12-07T20:59:00.000Z',
    ],
    [
      '1Min of extended hours: 04:00 to 19:59',
      query({ reporting: 'extended_hours' }),
      960,
      '2026-12-07T09:00:00.000Z',
      '2026-12-08T00:59:00.000Z',
    ],
    [
      '1H continuous: from midnight New York to the end',
      query({ timeframe: '1H', reporting: 'continuous' }),
      24,
      '2026-12-07T05:00:00.000Z',
      '2026-12-08T04:00:00.000Z',
    ],
    [
      '5Min from 10:02 to 10:31: aligned',
      query({ timeframe: '5Min', startMs: ny('2026-12-07T10:02:00'), endMs: ny('2026-12-07T10:31:00') }),
      6,
      '2026-12-07T15:05:00.000Z',
      '2026-12-07T15:30:00.000Z',
    ],
    [
      'Saturday: no session, no window',
      query({ startMs: ny('2026-12-05T00:00:00'), endMs: ny('2026-12-05T23:00:00') }),
      0,
      undefined,
      undefined,
    ],
    [
      '1D over a week: the session days only',
      query({ timeframe: '1D', startMs: ny('2026-12-01T00:00:00'), endMs: ny('2026-12-08T12:00:00') }),
      6,
      '2026-12-01T05:00:00.000Z',
      '2026-12-08T05:00:00.000Z',
    ],
    [
      '1D continuous: every date',
      query({
        timeframe: '1D',
        reporting: 'continuous',
        startMs: ny('2026-12-01T00:00:00'),
        endMs: ny('2026-12-08T12:00:00'),
      }),
      8,
      '2026-12-01T05:00:00.000Z',
      '2026-12-08T05:00:00.000Z',
    ],
    [
      'Christmas 2026 (a Friday) is no session',
      query({ timeframe: '1D', startMs: ny('2026-12-24T00:00:00'), endMs: ny('2026-12-28T12:00:00') }),
      2,
      '2026-12-24T05:00:00.000Z',
      '2026-12-28T05:00:00.000Z',
    ],
  ])('%s', (_name, q, count, first, last) => {
    const windows = portfolioWindows(q);
    expect(windows).toHaveLength(count);
    expect(windows[0] && iso(windows[0].startMs)).toBe(first);
    expect(windows.at(-1) && iso((windows.at(-1) as { startMs: number }).startMs)).toBe(last);
    for (const w of windows) expect(w.valuedAtMs).toBeLessThanOrEqual(q.endMs);
  });

  test('the window the request ends in is valued at the request end; a day at its end', () => {
    const end = ny('2026-12-07T10:00:30');
    const minutes = portfolioWindows(query({ startMs: ny('2026-12-07T09:58:00'), endMs: end }));
    expect(minutes.map((w) => [w.startMs, w.valuedAtMs])).toEqual([
      [ny('2026-12-07T09:58:00'), ny('2026-12-07T09:59:00')],
      [ny('2026-12-07T09:59:00'), ny('2026-12-07T10:00:00')],
      [ny('2026-12-07T10:00:00'), end],
    ]);
    const days = portfolioWindows(query({ timeframe: '1D', startMs: ny('2026-12-04T00:00:00'), endMs: end }));
    expect(days.map((w) => [w.date, w.valuedAtMs])).toEqual([
      ['2026-12-04', ny('2026-12-05T00:00:00')],
      ['2026-12-07', end],
    ]);
  });

  test('a deployment whose sessions run every day (calendar none) reports Saturday', () => {
    const sessions = { options: { sessionDays: [0, 1, 2, 3, 4, 5, 6], calendar: 'none' as const } };
    const q = query({ startMs: ny('2026-12-05T00:00:00'), endMs: ny('2026-12-05T23:00:00') });
    expect(portfolioWindows(q, sessions)).toHaveLength(390);
    expect(previousSessionDate('2026-12-07', sessions)).toBe('2026-12-06');
    expect(previousSessionDate('2026-12-07')).toBe('2026-12-04');
    expect(previousSessionDate('2026-12-28')).toBe('2026-12-24');
  });
});

let seqOf = 0;
/** A PositionChanged of `symbol`: qty after, price, the account's cumulative cash flow after. */
function execution(
  at: number,
  symbol: string,
  qtyAfter: string,
  price: string,
  cashFlow: string,
  qtyBefore = '0',
): PositionChanged {
  seqOf += 1;
  return {
    type: 'PositionChanged',
    accountId: 'acct',
    seq: seqOf,
    occurredAt: new Date(at + 5).toISOString(),
    data: {
      orderId: `o${seqOf}`,
      execId: `e${seqOf}`,
      orderEventId: `o${seqOf}:2`,
      symbol,
      side: 'buy',
      qty: '1',
      price,
      transactionTime: new Date(at).toISOString(),
      cumQty: '1',
      leavesQty: '0',
      orderStatus: 'filled',
      sessionDate: '2026-12-07',
      qtyBefore,
      qtyAfter,
      avgEntryPrice: price,
      costBasis: '0',
      realizedPl: '0',
      cashFlow,
      dayTrade: false,
    } as PositionChanged['data'],
  };
}

describe('equity at an instant', () => {
  // 10,000 opening cash; buy 10 AAPL at 100 at 10:00; the market marks 101 in the 10:05 minute; a
  // short of 3 MSFT at 50 at 10:10; sell 5 AAPL at 102 at 10:30; a mark of 99 in the 10:20 minute
  // is older than that sale (the sale's price is in force after it).
  const executions = [
    execution(ny('2026-12-07T10:00:00'), 'AAPL', '10', '100', '-1000'),
    execution(ny('2026-12-07T10:10:00'), 'MSFT', '-3', '50', '-850'),
    execution(ny('2026-12-07T10:30:00'), 'AAPL', '5', '102', '-340', '10'),
  ];
  const marks = new Map([
    [
      'AAPL',
      [
        minuteMarkInForce(ny('2026-12-07T10:05:00'), '101'),
        minuteMarkInForce(ny('2026-12-07T10:20:00'), '99'),
        minuteMarkInForce(ny('2026-12-07T10:40:00'), '103.5'),
      ],
    ],
    ['MSFT', [minuteMarkInForce(ny('2026-12-07T10:15:00'), '48')]],
  ]);
  test.each([
    ['before any execution: the opening cash', '09:59:00', 10_000],
    ['at the buy: cash 9,000 + 10 at 100', '10:00:00', 10_000],
    ['the 10:05 mark is not in force before its minute ends', '10:05:59', 10_000],
    ['from 10:06: 10 at 101', '10:06:00', 10_010],
    ['the short: cash 9,150, 10 at 101, -3 at 50', '10:10:00', 10_010],
    ['MSFT marked 48 from 10:16: the short gained 6', '10:16:00', 10_016],
    ['AAPL 99 from 10:21', '10:21:00', 9_996],
    ['the sale at 102: cash 9,660, 5 at 102, -3 at 48', '10:30:00', 10_026],
    ['103.5 from 10:41', '10:41:00', 10_033.5],
  ])('%s', (_name, wall, expected) => {
    const [value] = equityAt([ny(`2026-12-07T${wall}`)], { openingCash: '10000', executions, marks });
    expect(dollars(value as bigint)).toBe(expected);
  });

  test('no opening cash configured counts as 0; the instants are valued in one pass', () => {
    const values = equityAt([ny('2026-12-07T09:00:00'), ny('2026-12-07T10:41:00')], {
      openingCash: null,
      executions,
      marks,
    });
    expect(values.map(dollars)).toEqual([0, 33.5]);
  });

  test('an execution booked after a later-timed one counts from its own time (a caller passing unbooked times)', () => {
    const later = execution(ny('2026-12-07T10:00:00'), 'IBM', '10', '100', '-1000');
    const earlier = execution(ny('2026-12-07T09:50:00'), 'IBM', '15', '100', '-1500', '10');
    const ibm = new Map([['IBM', [minuteMarkInForce(ny('2026-12-07T09:55:00'), '110')]]]);
    const values = equityAt([ny('2026-12-07T09:57:00'), ny('2026-12-07T10:00:00')], {
      openingCash: '10000',
      executions: [earlier, later],
      marks: ibm,
    });
    // 09:57: the earlier-timed 5 only (cash 9,500, 5 at 110); 10:00: both (cash 8,500, 15 at 100).
    expect(values.map(dollars)).toEqual([10_050, 10_000]);
  });

  test('property: trades at an unchanging price leave equity at the opening cash at every instant', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ buy: fc.boolean(), qty: fc.integer({ min: 1, max: 500 }) }), { maxLength: 30 }),
        fc.integer({ min: 1, max: 100_000 }).map((cents) => cents / 100),
        fc.array(fc.integer({ min: 0, max: 40 * 60 }), { minLength: 1, maxLength: 10 }),
        (trades, price, offsets) => {
          const t0 = ny('2026-12-07T10:00:00');
          let qty = 0;
          let cash = 0;
          const list = trades.map((t, i) => {
            const before = qty;
            qty += t.buy ? t.qty : -t.qty;
            cash += (t.buy ? -t.qty : t.qty) * Math.round(price * 100);
            return execution(
              t0 + i * 60_000,
              'SPY',
              String(qty),
              price.toFixed(2),
              (cash / 100).toFixed(2),
              String(before),
            );
          });
          const instants = offsets.map((o) => t0 + o * 1000).sort((a, b) => a - b);
          const marks = new Map([['SPY', [minuteMarkInForce(t0, price.toFixed(2))]]]);
          return equityAt(instants, { openingCash: '2500', executions: list, marks }).every(
            (v) => dollars(v) === 2500,
          );
        },
      ),
    );
  });
});

describe('a tail of the executions, read back from the ledger', () => {
  const t0 = ny('2026-12-07T10:00:00');
  /** A history of trades (one a minute) of three symbols, consistent: qty before/after, cash flow. */
  const historyOf = (trades: readonly { symbol: number; delta: number; cents: number }[]) => {
    const qty = new Map<string, number>();
    let cash = 0;
    seqOf = 0;
    return trades.map((t, i) => {
      const symbol = ['AAA', 'BBB', 'CCC'][t.symbol] as string;
      const before = qty.get(symbol) ?? 0;
      qty.set(symbol, before + t.delta);
      cash -= t.delta * t.cents;
      return execution(
        t0 + i * 60_000,
        symbol,
        String(before + t.delta),
        (t.cents / 100).toFixed(2),
        (cash / 100).toFixed(2),
        String(before),
      );
    });
  };
  const ledgerOf = (all: readonly PositionChanged[]) => {
    const qty = new Map<string, string>();
    for (const e of all) qty.set(e.data.symbol, e.data.qtyAfter);
    return { seq: all.length, qty: new Map([...qty].filter(([, q]) => q !== '0')) };
  };
  /** The newest-first pages a reader takes until `executionsCover` says enough. */
  const tailFor = (all: readonly PositionChanged[], fromMs: number, page: number) => {
    const newestFirst = [...all].reverse();
    const ledger = ledgerOf(all);
    let read = 0;
    do read = Math.min(all.length, read + page);
    while (read < all.length && !executionsCover(newestFirst.slice(0, read), ledger, fromMs));
    return newestFirst.slice(0, read);
  };

  test('property: from any instant on, the tail values every instant as the whole history does', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            symbol: fc.integer({ min: 0, max: 2 }),
            delta: fc.integer({ min: -50, max: 50 }).filter((d) => d !== 0),
            cents: fc.integer({ min: 100, max: 20_000 }),
          }),
          { minLength: 1, maxLength: 40 },
        ),
        fc.integer({ min: -5, max: 45 }),
        fc.integer({ min: 1, max: 7 }),
        fc.array(
          fc.record({
            minute: fc.integer({ min: -10, max: 50 }),
            cents: fc.integer({ min: 100, max: 20_000 }),
          }),
          { maxLength: 8 },
        ),
        (trades, fromMinute, page, marked) => {
          const all = historyOf(trades);
          const fromMs = t0 + fromMinute * 60_000 + 30_000;
          const marks = new Map(
            ['AAA', 'BBB'].map((s) => [
              s,
              marked.map((m) => minuteMarkInForce(t0 + m.minute * 60_000, (m.cents / 100).toFixed(2))),
            ]),
          );
          const instants = Array.from({ length: 12 }, (_, i) => fromMs + i * 5 * 60_000);
          const whole = equityAt(instants, { openingCash: '1000', executions: all, marks });
          const tail = tailFor(all, fromMs, page);
          const fromTail = equityAt(instants, {
            openingCash: '1000',
            executions: tail,
            ledger: ledgerOf(all),
            marks,
          });
          expect(fromTail).toEqual(whole);
        },
      ),
    );
  });

  test.each([
    ['no execution at all', [], 0, true],
    ['the oldest read is after the instant', [3, 2], ny('2026-12-07T10:00:30'), false],
    [
      'the oldest read is at or before it, but AAA (open then) has no trade in the tail',
      [3, 2],
      ny('2026-12-07T10:01:30'),
      false,
    ],
    ['reaching seq 1 is all of them', [3, 2, 1], ny('2026-12-07T09:00:00'), true],
  ])('executionsCover: %s', (_name, seqs, fromMs, expected) => {
    // AAA bought at 10:00 (seq 1), BBB bought at 10:01 (seq 2), BBB sold at 10:02 (seq 3).
    const all = historyOf([
      { symbol: 0, delta: 10, cents: 1000 },
      { symbol: 1, delta: 5, cents: 2000 },
      { symbol: 1, delta: -5, cents: 2100 },
    ]);
    const tail = (seqs as number[]).map((n) => all[n - 1] as PositionChanged);
    const ledger = seqs.length === 0 ? { seq: 0, qty: new Map() } : ledgerOf(all);
    expect(executionsCover(tail, ledger, fromMs as number)).toBe(expected);
  });
});

describe('the P&L base of each day (per_day) and the instant valuing starts at', () => {
  test.each([
    ['Monday: the Friday close', '2026-12-07', ny('2026-12-04T16:00:00')],
    [
      'the day after Christmas week-end: the 24th, an early close at 13:00',
      '2026-12-28',
      ny('2026-12-24T13:00:00'),
    ],
  ])('%s', (_name, date, expected) => {
    const q = query({ startMs: ny(`${date}T00:00:00`), endMs: ny(`${date}T12:00:00`) });
    const windows = portfolioWindows(q);
    expect(portfolioBaseInstants(q, windows).get(date)).toBe(expected);
    expect(portfolioValuationStart(q, windows)).toBe(expected);
  });

  test('no base for no_reset or 1D: valuing starts at the start', () => {
    for (const q of [query({ pnlReset: 'no_reset' }), query({ timeframe: '1D' })]) {
      expect(portfolioBaseInstants(q, portfolioWindows(q)).size).toBe(0);
      expect(portfolioValuationStart(q, portfolioWindows(q))).toBe(q.startMs);
    }
  });

  test('a deployment whose close is after midnight: the base at the midnight, not after the day began', () => {
    const sessions = {
      sessionClose: '02:00',
      options: { sessionDays: [0, 1, 2, 3, 4, 5, 6], calendar: 'none' as const },
    };
    const q = query({ reporting: 'continuous', timeframe: '1H' });
    const bases = portfolioBaseInstants(q, portfolioWindows(q, sessions), sessions);
    for (const [date, at] of bases) expect(at).toBeLessThanOrEqual(ny(`${date}T00:00:00`));
  });

  test.each([
    ['1Min', 60_000],
    ['5Min', 300_000],
    ['15Min', 900_000],
    ['1H', 3_600_000],
  ] as const)('a %s mark is in force from its slot end', (resolution, slot) => {
    expect(markInForce(resolution, ny('2026-12-07T10:00:00'), '1')).toEqual({
      fromMs: ny('2026-12-07T10:00:00') + slot,
      price: '1',
    });
    expect(marksPerSymbol(query({ timeframe: resolution }), ny('2026-12-07T00:00:00'))).toBe(
      Math.ceil((ny('2026-12-07T23:59:00') - ny('2026-12-07T00:00:00')) / slot) + 1,
    );
  });

  test('a daily mark (labeled at 00:00 UTC of its New York date) is in force from the end of that New York day', () => {
    expect(markInForce('1D', Date.parse('2026-12-04'), '1')).toEqual({
      fromMs: ny('2026-12-05T00:00:00'),
      price: '1',
    });
  });
});

describe('the response', () => {
  const t = (wall: string) => ny(`2026-12-07T${wall}`);
  // Bought 10 at 100 on Friday; marked 110 at Friday's close, 105 in Monday's 10:00 minute.
  const executions = [execution(ny('2026-12-04T15:00:00'), 'AAPL', '10', '100', '-1000')];
  const marks = new Map([
    [
      'AAPL',
      [
        dailyMarkInForce('2026-12-04', '110'),
        minuteMarkInForce(ny('2026-12-04T15:59:00'), '110'),
        minuteMarkInForce(t('10:00:00'), '105'),
      ],
    ],
  ]);
  const inputs = { openingCash: '5000', executions, marks };
  const q = query({ timeframe: '1H', reporting: 'continuous', startMs: t('09:00:00'), endMs: t('11:00:00') });

  test('per_day: against the day opening (Friday close), base_value_asof the session before', () => {
    const out = portfolioHistoryJson(q, portfolioWindows(q), inputs);
    expect(out).toEqual({
      timestamp: [t('09:00:00') / 1000, t('10:00:00') / 1000],
      equity: [5100, 5050],
      profit_loss: [0, -50],
      profit_loss_pct: [0, -0.009804],
      base_value: 5100,
      base_value_asof: '2026-12-04',
      timeframe: '1H',
      cashflow: {},
    });
  });

  test('no_reset: against the first point; cashflow types asked are listed as zeros', () => {
    const noReset = {
      ...q,
      pnlReset: 'no_reset' as const,
      startMs: ny('2026-12-04T14:00:00'),
      cashflowTypes: ['DIV'],
    };
    const out = portfolioHistoryJson(noReset, portfolioWindows(noReset), inputs);
    expect(out.base_value).toBe(5000);
    expect(out.base_value_asof).toBeUndefined();
    // Friday 14:00 valued at 15:00 (the buy at 100), 15:00 at 16:00 (the 15:59 mark of 110).
    expect(out.equity.slice(0, 3)).toEqual([5000, 5100, 5100]);
    expect(out.profit_loss.at(-1)).toBe(50);
    expect(out.cashflow).toEqual({ DIV: out.timestamp.map(() => 0) });
  });

  test('1D: the daily marks, against the first day whatever pnl_reset says', () => {
    const daily = query({ timeframe: '1D', startMs: ny('2026-12-03T00:00:00'), endMs: t('11:00:00') });
    const out = portfolioHistoryJson(daily, portfolioWindows(daily), inputs);
    expect(out.timestamp).toEqual([
      ny('2026-12-03T00:00:00') / 1000,
      ny('2026-12-04T00:00:00') / 1000,
      t('00:00:00') / 1000,
    ]);
    expect(out.equity).toEqual([5000, 5100, 5050]);
    expect(out.profit_loss).toEqual([0, 100, 50]);
    expect(out.base_value).toBe(5000);
    expect(out.base_value_asof).toBeUndefined();
  });

  test('an empty window list answers empty series', () => {
    const none = query({ startMs: ny('2026-12-05T00:00:00'), endMs: ny('2026-12-05T12:00:00') });
    expect(portfolioHistoryJson(none, [], inputs)).toEqual({
      timestamp: [],
      equity: [],
      profit_loss: [],
      profit_loss_pct: [],
      base_value: 0,
      timeframe: '1Min',
      cashflow: {},
    });
  });

  test.each([
    [(10n ** 16n * 5n) / 10n, 0],
    [(10n ** 16n * 15n) / 10n, 0.02],
    [-((10n ** 16n * 15n) / 10n), -0.02],
    [-((10n ** 16n * 25n) / 10n), -0.02],
    [123_456n * 10n ** 14n, 12.35],
  ])('dollars(%s) = %s (to the cent, half to even)', (v, expected) => {
    expect(dollars(v)).toBe(expected);
  });
});
