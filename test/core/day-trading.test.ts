/**
 * Pattern day trading (issue 16), FINRA Rule 4210(f)(8)(B): "(i) The term 'day trading' means the
 * purchasing and selling or the selling and purchasing of the same security on the same day in a
 * margin account"; "(ii) The term 'pattern day trader' means any customer who executes four or more
 * day trades within five business days"; (iv)(a) a pattern day trader "must maintain minimum equity
 * of $25,000 on any day in which the customer day trades".
 */
import {
  applyExecution,
  checkPreTradeRisk,
  type DayTradingInputs,
  dayTradesInWindow,
  EMPTY_LEDGER,
  isPatternDayTrader,
  type LedgerState,
  lastBusinessDays,
  nanos,
  type OrderSpec,
  parsePdtMode,
  pdtRefusal,
  validateOrderRequest,
  wouldDayTrade,
} from '../../lambdas/core/index.js';

const NOW = Date.parse('2026-12-03T15:00:00.000Z');
const TODAY = '2026-12-03';

let n = 0;
function exec(side: 'buy' | 'sell', qty: string, sessionDate: string, symbol = 'PDTX') {
  n++;
  return {
    orderId: `o-${n}`,
    execId: `e-${n}`,
    orderEventId: `o-${n}:3`,
    symbol,
    side,
    qty,
    price: '10',
    transactionTime: `${sessionDate}T15:00:00.000Z`,
    cumQty: qty,
    leavesQty: '0',
    orderStatus: 'filled' as const,
    sessionDate,
  };
}
function ledgerOf(execs: ReturnType<typeof exec>[]): LedgerState {
  return execs.reduce((l, e) => applyExecution(l, 'acc', e).ledger, EMPTY_LEDGER);
}
function spec(side: 'buy' | 'sell', symbol = 'PDTX'): OrderSpec {
  const v = validateOrderRequest(
    { symbol, side, type: 'market', qty: '1', time_in_force: 'day' },
    { now: NOW },
  );
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  return v.order;
}

describe('4210(f)(8)(B)(i): a day trade is a purchase and sale (or sale and purchase) of the same security the same day', () => {
  it.each<[string, ReturnType<typeof exec>[], 'buy' | 'sell', boolean]>([
    ['selling a long bought today', [exec('buy', '10', TODAY)], 'sell', true],
    ['covering a short sold today', [exec('sell', '10', TODAY)], 'buy', true],
    ['selling a long bought yesterday', [exec('buy', '10', '2026-12-02')], 'sell', false],
    ['adding to a long bought today', [exec('buy', '10', TODAY)], 'buy', false],
    ['no position', [], 'sell', false],
    [
      'selling a long carried overnight and only reduced today',
      [exec('buy', '10', '2026-12-02'), exec('sell', '2', TODAY)],
      'sell',
      false,
    ],
    [
      'selling a carried long that today added to',
      [exec('buy', '10', '2026-12-02'), exec('buy', '5', TODAY)],
      'sell',
      true,
    ],
  ])('%s', (_name, execs, side, expected) => {
    expect(wouldDayTrade(spec(side), ledgerOf(execs), TODAY)).toBe(expected);
  });
});

describe('4210(f)(8)(B)(ii): four or more day trades within five business days', () => {
  it('the window is the last five NYSE trading days (weekend and Thanksgiving skipped)', () => {
    expect(lastBusinessDays('2026-11-30')).toEqual([
      '2026-11-30',
      '2026-11-27',
      '2026-11-25',
      '2026-11-24',
      '2026-11-23',
    ]);
  });

  it('counts the ledger’s day trades inside the window only', () => {
    const trades = ['2026-11-25', '2026-11-27', '2026-12-01', '2026-12-02', TODAY].flatMap((d) => [
      exec('buy', '1', d),
      exec('sell', '1', d),
    ]);
    const ledger = ledgerOf(trades);
    expect(ledger.dayTrades).toHaveLength(5);
    // Window of 2026-12-03: 11-27, 11-30, 12-01, 12-02, 12-03 (11-25 is out).
    expect(dayTradesInWindow(ledger, TODAY)).toBe(4);
  });

  // A day trade made on a day without a session (local mode's simulated venue fills on any day)
  // counts with the days around it: in the window from the first of the five business days
  // through today. Without that, a weekend's day trades were in no window (daytrade_count 0).
  it.each<[string, string, string, number]>([
    ['a Saturday, on that Saturday', '2026-12-05', '2026-12-05', 1],
    ['a Saturday, on the Sunday after', '2026-12-05', '2026-12-06', 1],
    ['a Saturday, on the Monday after (window 12-01..12-07)', '2026-12-05', '2026-12-07', 1],
    ['a Saturday, a week later (window 12-07..12-11)', '2026-12-05', '2026-12-11', 0],
    ['Thanksgiving, on the Friday after', '2026-11-26', '2026-11-27', 1],
    ['a Friday, on the Saturday after', '2026-12-04', '2026-12-05', 1],
    ['a day after today is not counted', '2026-12-04', '2026-12-03', 0],
  ])('a day trade made on %s', (_name, madeOn, today, expected) => {
    const ledger = ledgerOf([exec('buy', '1', madeOn), exec('sell', '1', madeOn)]);
    expect(ledger.dayTrades).toHaveLength(1);
    expect(dayTradesInWindow(ledger, today)).toBe(expected);
  });

  it.each<[string, boolean, 'finra_4210_legacy' | 'none', number, boolean]>([
    ['4 day trades designate', false, 'finra_4210_legacy', 4, true],
    ['3 do not', false, 'finra_4210_legacy', 3, false],
    ['an operator’s flag does', true, 'none', 0, true],
    ['mode none designates nobody', false, 'none', 9, false],
  ])('pattern_day_trader: %s', (_name, flagged, mode, count, expected) => {
    expect(isPatternDayTrader(flagged, mode, count)).toBe(expected);
  });
});

describe('4210(f)(8)(B)(iv)(a): under $25,000 equity the 4th day trade in 5 business days is refused', () => {
  const base: DayTradingInputs = {
    mode: 'finra_4210_legacy',
    equity: nanos('24999.99'),
    dayTrades: 3,
    wouldDayTrade: true,
  };
  it.each<[string, Partial<DayTradingInputs>, boolean]>([
    ['the 4th day trade under $25,000: refused', {}, true],
    ['the 5th: refused', { dayTrades: 4 }, true],
    ['the 3rd: allowed', { dayTrades: 2 }, false],
    ['equity of exactly $25,000: allowed', { equity: nanos('25000') }, false],
    ['not a day trade: allowed', { wouldDayTrade: false }, false],
    ['mode none: allowed', { mode: 'none' }, false],
    ['an account without a cash balance (money not controlled): allowed', { equity: null }, false],
  ])('%s', (_name, over, refused) => {
    expect(pdtRefusal({ ...base, ...over }) !== null).toBe(refused);
  });

  it('in pre-trade risk the refusal carries Alpaca’s message', () => {
    const refusals = checkPreTradeRisk(
      spec('sell'),
      {
        maxOrderQty: null,
        maxOrderNotional: null,
        priceCollarPercent: null,
        restrictedSymbols: [],
        duplicateWindowSeconds: null,
        maxOrdersPerSecond: null,
      },
      {
        now: NOW,
        referencePrice: '10',
        asset: null,
        buyingPower: null,
        openBuyExposure: '0',
        recentOrders: [],
        accountProblem: null,
        dayTrading: base,
      },
    );
    expect(refusals.find((r) => r.rule === 'pattern_day_trader')?.message).toBe(
      'pattern_day_trader: trade denied due to pattern day trading protection (FINRA Rule 4210(f)(8)(B): this would be day trade 4 within 5 business days with equity under $25,000)',
    );
  });

  it.each<[string | undefined, string]>([
    [undefined, 'finra_4210_legacy'],
    ['none', 'none'],
    ['finra_4210_legacy', 'finra_4210_legacy'],
  ])('mode setting %s reads as %s', (text, mode) => {
    expect(parsePdtMode(text)).toBe(mode);
  });

  it('a mode that is not one is an error naming the setting', () => {
    expect(() => parsePdtMode('strict')).toThrow(
      'OMS_PDT_MODE: must be one of finra_4210_legacy, none, got "strict"',
    );
  });
});
