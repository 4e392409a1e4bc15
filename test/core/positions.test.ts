/**
 * Positions by the average-cost method (core positions.ts; docs/domain.md "Positions and the
 * account"): table-driven scenarios, and properties over any sequence of executions.
 */
import fc from 'fast-check';
import {
  accountJson,
  alpacaAccountId,
  applyExecution,
  clientOrderFillOf,
  EMPTY_LEDGER,
  fillActivityJson,
  type LedgerExecution,
  type LedgerState,
  type PositionChanged,
  parseSigned9,
  parseSigned18,
  positionChangedDetailSchema,
  positionJson,
  valueAccount,
} from '../../lambdas/core/index.js';
import { detailOf } from '../../lambdas/event-store/envelope.js';
import { toStoredPositionEvent } from '../../lambdas/orders/account-ledger.js';

let n = 0;
function exec(
  side: 'buy' | 'sell',
  qty: string,
  price: string,
  over: Partial<LedgerExecution> = {},
): LedgerExecution {
  n++;
  return {
    orderId: `o-${n}`,
    execId: `x-${n}`,
    orderEventId: `o-${n}:3`,
    symbol: 'AAPL',
    side,
    qty,
    price,
    transactionTime: '2026-12-03T15:00:00.000Z',
    cumQty: qty,
    leavesQty: '0',
    orderStatus: 'filled',
    sessionDate: '2026-12-03',
    ...over,
  };
}

function fold(execs: readonly LedgerExecution[], start: LedgerState = EMPTY_LEDGER) {
  let ledger = start;
  const events = [];
  for (const e of execs) {
    const r = applyExecution(ledger, 'acc-1', e);
    ledger = r.ledger;
    events.push(r.event);
  }
  return { ledger, events };
}

describe('average-cost positions', () => {
  test.each([
    // [what, executions, qty, avg entry, cost basis, realized of the last, total realized, cash flow]
    ['a buy opens a long', [exec('buy', '5', '100')], '5', '100', '500', '0', '0', '-500'],
    ['buys average', [exec('buy', '10', '10'), exec('buy', '10', '12')], '20', '11', '220', '0', '0', '-220'],
    [
      'a partial sell realizes against the average',
      [exec('buy', '10', '10'), exec('buy', '10', '12'), exec('sell', '5', '15')],
      '15',
      '11',
      '165',
      '20',
      '20',
      '-145',
    ],
    [
      'a full sell closes at zero cost',
      [exec('buy', '3', '10'), exec('sell', '3', '9')],
      '0',
      null,
      '0',
      '-3',
      '-3',
      '-3',
    ],
    ['a sell opens a short', [exec('sell', '4', '50')], '-4', '50', '-200', '0', '0', '200'],
    [
      'covering a short realizes',
      [exec('sell', '4', '50'), exec('buy', '4', '45')],
      '0',
      null,
      '0',
      '20',
      '20',
      '20',
    ],
    [
      'a sell through zero closes the long and opens a short at its price',
      [exec('buy', '10', '10'), exec('sell', '15', '12')],
      '-5',
      '12',
      '-60',
      '20',
      '20',
      '80',
    ],
    [
      'fractional shares: cost removed pro rata, rounded half-even at scale 18',
      [exec('buy', '3', '10'), exec('buy', '0.5', '11'), exec('sell', '1', '12')],
      '2.5',
      '10.142857143',
      '25.357142857142857143',
      '1.857142857142857143',
      '1.857142857142857143',
      '-23.5',
    ],
  ])('%s', (_what, execs, qty, avg, cost, realizedLast, realizedTotal, cashFlow) => {
    const { ledger, events } = fold(execs);
    const last = events.at(-1)?.data;
    expect(last?.qtyAfter).toBe(qty);
    expect(last?.avgEntryPrice).toBe(avg);
    expect(last?.costBasis).toBe(cost);
    expect(last?.realizedPl).toBe(realizedLast);
    expect(ledger.cashFlow).toBe(cashFlow);
    const total = events.reduce((s, e) => s + parseSigned18(e.data.realizedPl), 0n);
    expect(total).toBe(parseSigned18(realizedTotal));
    if (qty === '0') expect(ledger.positions.AAPL).toBeUndefined();
    else expect(ledger.positions.AAPL?.qty).toBe(qty);
  });

  test('the account sequence numbers each change from 1 without gaps', () => {
    const { events } = fold([
      exec('buy', '1', '1'),
      exec('buy', '1', '1', { symbol: 'MSFT' }),
      exec('sell', '1', '2'),
    ]);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(events.map((e) => e.data.qtyBefore)).toEqual(['0', '0', '1']);
  });

  test('day trades (FINRA 4210(f)(8)(B)): a buy then a sell of the same security in one session, once per order', () => {
    const buy = exec('buy', '10', '10');
    const sellA = exec('sell', '4', '11');
    const sellB = { ...exec('sell', '6', '11'), orderId: sellA.orderId };
    const { ledger, events } = fold([buy, sellA, sellB]);
    expect(events.map((e) => e.data.dayTrade)).toEqual([false, true, true]);
    expect(ledger.dayTrades).toEqual([`2026-12-03:${sellA.orderId}`]);
    // Held overnight: a sale the next session is not a day trade.
    const next = fold([buy, exec('sell', '4', '11', { sessionDate: '2026-12-04' })]);
    expect(next.events[1]?.data.dayTrade).toBe(false);
  });
});

describe('properties over any executions', () => {
  const price = fc.integer({ min: 1, max: 100_000 }).map((c) => (c / 100).toFixed(2));
  const qty = fc.integer({ min: 1, max: 5_000 }).map((c) => (c / 10).toString());
  const execution = fc.record({
    side: fc.constantFrom('buy' as const, 'sell' as const),
    qty,
    price,
    symbol: fc.constantFrom('AAPL', 'MSFT'),
  });

  test('cash flow + cost basis - realized P&L = 0, and qty = the signed sum of executions', () => {
    fc.assert(
      fc.property(fc.array(execution, { maxLength: 40 }), (xs) => {
        const { ledger, events } = fold(xs.map((x) => exec(x.side, x.qty, x.price, { symbol: x.symbol })));
        const realized = events.reduce((s, e) => s + parseSigned18(e.data.realizedPl), 0n);
        const cost = Object.values(ledger.positions).reduce((s, p) => s + parseSigned18(p.costBasis), 0n);
        expect(parseSigned18(ledger.cashFlow) + cost - realized).toBe(0n);
        for (const symbol of ['AAPL', 'MSFT']) {
          const signed = xs
            .filter((x) => x.symbol === symbol)
            .reduce((s, x) => s + (x.side === 'buy' ? 1n : -1n) * parseSigned9(x.qty), 0n);
          expect(parseSigned9(ledger.positions[symbol]?.qty ?? '0')).toBe(signed);
        }
      }),
    );
  });

  test('the cost basis always has the sign of the position, and a flat position has none', () => {
    fc.assert(
      fc.property(fc.array(execution, { maxLength: 40 }), (xs) => {
        const { events } = fold(xs.map((x) => exec(x.side, x.qty, x.price, { symbol: x.symbol })));
        for (const e of events) {
          const q = parseSigned9(e.data.qtyAfter);
          const c = parseSigned18(e.data.costBasis);
          expect(q === 0n ? c === 0n : q > 0n === c > 0n).toBe(true);
        }
      }),
    );
  });
});

describe('the activities time (bookedTransactionTime)', () => {
  const at = (ms: number) => new Date(Date.parse('2026-12-03T15:00:00.000Z') + ms).toISOString();
  // biome-ignore format: a table
  test.each([
    ['the first execution keeps its time',             [0],          [at(0)]],
    ['in time order: each keeps its own',              [0, 5, 9],    [at(0), at(5), at(9)]],
    ['booked after a later one: 1 ms after it',        [10, 4],      [at(10), at(11)]],
    ['the same ms as the one before: 1 ms after it',   [7, 7, 7],    [at(7), at(8), at(9)]],
    ['after a clamp, a later time is its own again',   [10, 4, 50],  [at(10), at(11), at(50)]],
  ])('%s', (_case, offsets, times) => {
    const { events } = fold(offsets.map((ms) => exec('buy', '1', '10', { transactionTime: at(ms) })));
    expect(events.map((e) => e.data.transactionTime)).toEqual(times);
    expect(events.map((e) => e.occurredAt)).toEqual(times);
  });

  test('in booking order, times and activity ids strictly increase, whatever order the executions come in', () => {
    // A bot polling `after=<newest transaction_time seen>` (exclusive, as Alpaca's) or resuming after
    // the last id it processed misses nothing (a probe: 40 of 300 fills were listed after a later one).
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 5_000 }), { minLength: 1, maxLength: 40 }),
        (offsets) => {
          const { events, ledger } = fold(
            offsets.map((ms) => exec('buy', '1', '10', { transactionTime: at(ms) })),
          );
          for (let i = 1; i < events.length; i++) {
            const [prev, cur] = [events[i - 1], events[i]] as [PositionChanged, PositionChanged];
            expect(Date.parse(cur.data.transactionTime)).toBeGreaterThan(
              Date.parse(prev.data.transactionTime),
            );
            expect(String(fillActivityJson(cur).id) > String(fillActivityJson(prev).id)).toBe(true);
          }
          // Never earlier than the execution, and the ledger keeps the last for the next booking.
          events.forEach((e, i) => {
            expect(Date.parse(e.data.transactionTime)).toBeGreaterThanOrEqual(
              Date.parse(at(offsets[i] as number)),
            );
          });
          expect(ledger.lastTransactionTime).toBe(events.at(-1)?.data.transactionTime);
        },
      ),
    );
  });
});

describe('valuation (docs/domain.md: what a trader computes by hand)', () => {
  const settings = {
    accountId: 'acc-1',
    openingCash: '10000',
    multiplier: '1' as const,
    shortingEnabled: false,
    patternDayTrader: false,
    tradingBlocked: false,
    accountBlocked: false,
    createdAt: '2026-01-02T14:30:00.000Z',
  };
  const asset = { id: 'id-aapl', exchange: 'NASDAQ', marginable: true };

  test('buy 5 at 100 today, now 120 with the previous close at 119', () => {
    const { ledger } = fold([exec('buy', '5', '100')]);
    const p = positionJson(
      'AAPL',
      ledger.positions.AAPL as never,
      { current: '120', previousClose: '119' },
      '2026-12-03',
      asset,
      0n,
    );
    expect(p).toMatchObject({
      qty: '5',
      qty_available: '5',
      side: 'long',
      avg_entry_price: '100',
      market_value: '600',
      cost_basis: '500',
      unrealized_pl: '100',
      unrealized_plpc: '0.2',
      // Bought today: intraday P&L runs from the entry price, not the previous close.
      unrealized_intraday_pl: '100',
      unrealized_intraday_plpc: '0.2',
      current_price: '120',
      lastday_price: '119',
      change_today: '0.008403361',
    });
    const v = valueAccount(settings, ledger, () => ({ current: '120', previousClose: '119' }), '2026-12-03');
    const a = accountJson(settings, ledger, v, 0n, 0, '2026-12-03');
    expect(a).toMatchObject({
      cash: '9500',
      long_market_value: '600',
      short_market_value: '0',
      equity: '10100',
      last_equity: '10000',
      buying_power: '9500',
      trade_suspended_by_user: false,
    });
    // The holder's own suspension (`suspend_trade`) shows as Alpaca's `trade_suspended_by_user`.
    const suspended = { ...settings, tradingBlocked: true, tradeSuspendedByUser: true };
    expect(accountJson(suspended, ledger, v, 0n, 0, '2026-12-03')).toMatchObject({
      trading_blocked: true,
      trade_suspended_by_user: true,
    });
  });

  test('held overnight: intraday P&L runs from the previous close; open sells hold qty', () => {
    const { ledger } = fold([exec('buy', '10', '100', { sessionDate: '2026-12-02' })]);
    const p = positionJson(
      'AAPL',
      ledger.positions.AAPL as never,
      { current: '120', previousClose: '119' },
      '2026-12-03',
      asset,
      4n * 1_000_000_000n,
    );
    expect(p).toMatchObject({ unrealized_intraday_pl: '10', qty_available: '6', unrealized_pl: '200' });
  });

  test.each([
    // multiplier, positions' value, buying power before orders (docs/domain.md)
    ['1', '9500'], // cash
    ['2', '19600'], // 2 x (10100 - 50% of 600)
    ['4', '39800'], // 4 x (10100 - 25% of 600)
  ] as const)('buying power of a multiplier-%s account', (multiplier, bp) => {
    const { ledger } = fold([exec('buy', '5', '100')]);
    const v = valueAccount(
      { ...settings, multiplier },
      ledger,
      () => ({ current: '120', previousClose: '119' }),
      '2026-12-03',
    );
    const a = accountJson({ ...settings, multiplier }, ledger, v, 0n, 0, '2026-12-03');
    expect(a.buying_power).toBe(bp);
    // An open buy order reserves its notional.
    const reserved = accountJson(
      { ...settings, multiplier },
      ledger,
      v,
      1000n * 1_000_000_000n,
      0,
      '2026-12-03',
    );
    expect(reserved.buying_power).toBe(String(Number(bp) - 1000));
  });
});

/**
 * `last_equity` is the previous close's equity and `unrealized_intraday_pl` the session's unrealized
 * P&L (Alpaca's Account and Position objects). A hostile probe found both moved by what the session
 * realized: a round trip of the day (buy 10 at 100.01, sell at 109.99) raised last_equity by 99.80
 * (the flat position's session cash was dropped with it), and buying 10 at 100.01 then selling 5 at
 * 109.99 showed an intraday P&L of 99.85 where the 5 still held had gained 49.95.
 */
describe('the session: last_equity and unrealized intraday P&L (each realized P&L out of them)', () => {
  const settings = {
    accountId: 'acc-1',
    openingCash: '10000',
    multiplier: '2' as const,
    shortingEnabled: true,
    patternDayTrader: false,
    tradingBlocked: false,
    accountBlocked: false,
    createdAt: '2026-01-02T14:30:00.000Z',
  };
  const asset = { id: 'id-aapl', exchange: 'NASDAQ', marginable: true };
  const TODAY = '2026-12-03';
  const yesterday = { sessionDate: '2026-12-02' };
  const PRICES = { current: '110', previousClose: '105' };
  // biome-ignore format: a table
  test.each([
    // what, executions, last_equity, position's intraday P&L (null: flat)
    ['a round trip of the day: last_equity is the opening cash', [exec('buy', '10', '100.01'), exec('sell', '10', '109.99')], '10000', null],
    ['two round trips of the day', [exec('buy', '10', '100'), exec('sell', '10', '101'), exec('sell', '4', '102'), exec('buy', '4', '99')], '10000', null],
    ['bought today, half sold: the 5 held gained 5 x (110 - 100.01)', [exec('buy', '10', '100.01'), exec('sell', '5', '109.99')], '10000', '49.95'],
    ['carried 10 (close 105), all sold today: last_equity counts them at the close', [exec('buy', '10', '100', yesterday), exec('sell', '10', '108')], '10050', null],
    ['carried 10, sold, bought 4 again today: intraday from the new entry', [exec('buy', '10', '100', yesterday), exec('sell', '10', '108'), exec('buy', '4', '107')], '10050', '12'],
    ['carried 10, 4 sold today: the 6 left from the close', [exec('buy', '10', '100', yesterday), exec('sell', '4', '108')], '10050', '30'],
    ['carried 10, 5 more today at 106: 10 x 5 + 5 x 4', [exec('buy', '10', '100', yesterday), exec('buy', '5', '106')], '10050', '70'],
    ['carried 10, 15 more then 20 sold today: the 5 left, half carried half bought', [exec('buy', '10', '100', yesterday), exec('buy', '10', '106'), exec('sell', '15', '109')], '10050', '22.5'],
    ['long 10 flipped to short 5 today: the short from its entry', [exec('buy', '10', '100'), exec('sell', '15', '112')], '10000', '10'],
    ['carried short 10, covered today', [exec('sell', '10', '100', yesterday), exec('buy', '10', '104')], '9950', null],
  ] as const)('%s', (_what, execs, lastEquity, intraday) => {
    const { ledger } = fold(execs);
    const v = valueAccount(settings, ledger, () => PRICES, TODAY);
    expect(accountJson(settings, ledger, v, 0n, 0, TODAY).last_equity).toBe(lastEquity);
    const p = ledger.positions.AAPL;
    if (intraday === null) expect(p).toBeUndefined();
    else expect(positionJson('AAPL', p as never, PRICES, TODAY, asset, 0n).unrealized_intraday_pl).toBe(intraday);
  });

  test('any session: last_equity is the opening cash plus what was carried at the close; intraday P&L of a position opened today is its unrealized P&L', () => {
    const price = fc.integer({ min: 1, max: 100_000 }).map((c) => (c / 100).toFixed(2));
    const qty = fc.integer({ min: 1, max: 500 }).map(String);
    fc.assert(
      fc.property(
        fc.array(fc.record({ side: fc.constantFrom('buy' as const, 'sell' as const), qty, price }), {
          minLength: 1,
          maxLength: 10,
        }),
        (xs) => {
          const { ledger } = fold(xs.map((x) => exec(x.side, x.qty, x.price)));
          const v = valueAccount(settings, ledger, () => PRICES, TODAY);
          expect(accountJson(settings, ledger, v, 0n, 0, TODAY).last_equity).toBe('10000');
          const p = ledger.positions.AAPL;
          if (p !== undefined) {
            const json = positionJson('AAPL', p as never, PRICES, TODAY, asset, 0n);
            expect(json.unrealized_intraday_pl).toBe(json.unrealized_pl);
          }
        },
      ),
    );
  });
});

describe('the published contract', () => {
  test('every PositionChanged, as the bus carries it, conforms to the registry schema (any executions)', () => {
    const price = fc.integer({ min: 1, max: 100_000 }).map((c) => (c / 100).toFixed(2));
    const qty = fc.integer({ min: 1, max: 5_000 }).map((c) => (c / 10).toString());
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            side: fc.constantFrom('buy' as const, 'sell' as const),
            qty,
            price,
            child: fc.boolean(),
          }),
          { minLength: 1, maxLength: 12 },
        ),
        (xs) => {
          const { events } = fold(
            xs.map((x) => exec(x.side, x.qty, x.price, x.child ? { parentOrderId: 'parent-1' } : {})),
          );
          for (const e of events) {
            const parsed = positionChangedDetailSchema.safeParse(detailOf(toStoredPositionEvent(e)));
            expect(parsed.error?.issues ?? []).toEqual([]);
          }
        },
      ),
    );
  });
});

// Alpaca's account ids are UUIDs and alpaca-py's TradeAccount.id refuses anything else (a probe's
// GET /v2/account answered "demo-account"): the Account object's `id` is always a UUID.
describe('the Account object id (alpacaAccountId)', () => {
  const UUID_V = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
  // biome-ignore format: a table
  test.each([
    ['the local demo account: the same UUID everywhere, every release', 'demo-account', '322eace7-e7a3-555b-963e-efecb28c023c'],
    ['an account id that is a UUID: itself', '0f2b3a4c-5d6e-4f70-8a9b-0c1d2e3f4a5b', '0f2b3a4c-5d6e-4f70-8a9b-0c1d2e3f4a5b'],
    ['an upper-case UUID: lower-cased', '0F2B3A4C-5D6E-4F70-8A9B-0C1D2E3F4A5B', '0f2b3a4c-5d6e-4f70-8a9b-0c1d2e3f4a5b'],
  ])('%s', (_, accountId, id) => {
    expect(alpacaAccountId(accountId)).toBe(id);
  });

  test('any account id: a UUID (version 5 when derived), distinct ids distinct UUIDs', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.string({ minLength: 1 }), (a, b) => {
        const ia = alpacaAccountId(a);
        expect(ia).toMatch(UUID_V);
        if (!UUID_V.test(a.toLowerCase())) expect(ia[14]).toBe('5');
        if (a !== b && a.toLowerCase() !== b.toLowerCase()) expect(alpacaAccountId(b)).not.toBe(ia);
      }),
    );
  });
});

// A bot matches its FILL activities to the orders it placed: an execution of a child order the OMS
// placed for it (a split over venues, an algorithm's slice) names the client's order, with that
// order's cum_qty, leaves_qty and status after it (a probe's split order of 500 listed activities
// of two order ids it never saw).
describe('FILL activities of a child order name the client order (clientOrderFillOf)', () => {
  const N = (q: string) => parseSigned9(q);
  const mirror = (type: string, execId: string, filledQty: string, leavesQty: string | null) => ({
    type,
    data: { execId, childOrderId: 'child-1', filledQty, leavesQty },
  });
  // biome-ignore format: a table reads best one row a line
  test.each([
    ['mirrored, partly filled', [mirror('OrderPartiallyFilled', 'x-1', '300', '200')], '300', ['parent-1', '300', '200', 'partially_filled', 'partial_fill']],
    ['mirrored, the last fill', [mirror('OrderPartiallyFilled', 'x-0', '300', '200'), mirror('OrderFilled', 'x-1', '500', '0')], '300', ['parent-1', '500', '0', 'filled', 'fill']],
    ['another child\'s mirror only: not mirrored yet, the parent now plus this one', [{ type: 'OrderFilled', data: { execId: 'x-1', childOrderId: 'child-2', filledQty: '100', leavesQty: '400' } }], '100', ['parent-1', '300', '200', 'partially_filled', 'partial_fill']],
    ['not mirrored yet, completing the parent', [], '300', ['parent-1', '500', '0', 'filled', 'fill']],
  ] as const)('%s', (_t, parentEvents, parentFilled, [orderId, cum, leaves, status, type]) => {
    const e = fold([exec('buy', '200', '10', { orderId: 'child-1', execId: 'x-1', parentOrderId: 'parent-1', cumQty: '200', leavesQty: '0' })]).events[0];
    if (e === undefined) throw new Error('no event');
    const parent = { events: parentEvents, qty: N('500'), filledQty: N(parentFilled) };
    expect(fillActivityJson(e, clientOrderFillOf(parent, e.data))).toMatchObject({
      order_id: orderId,
      cum_qty: cum,
      leaves_qty: leaves,
      order_status: status,
      type,
      qty: '200',
      price: '10',
    });
  });

  test("the parent's events not found: the child's own numbers; an order of the client's own: its own", () => {
    const [child, own] = fold([
      exec('buy', '200', '10', {
        orderId: 'child-1',
        parentOrderId: 'parent-1',
        cumQty: '200',
        leavesQty: '0',
      }),
      exec('buy', '5', '10', {
        orderId: 'o-own',
        cumQty: '5',
        leavesQty: '5',
        orderStatus: 'partially_filled',
      }),
    ]).events;
    if (child === undefined || own === undefined) throw new Error('no events');
    expect(fillActivityJson(child, clientOrderFillOf(null, child.data))).toMatchObject({
      order_id: 'child-1',
      cum_qty: '200',
      order_status: 'filled',
    });
    expect(fillActivityJson(own)).toMatchObject({
      order_id: 'o-own',
      cum_qty: '5',
      leaves_qty: '5',
      type: 'partial_fill',
    });
  });
});
