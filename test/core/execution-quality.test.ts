/**
 * Execution-quality (Rule 605 style) and best-execution (FINRA 5310 review) reports
 * (lambdas/core/execution-quality.ts), with expectations computed by hand in the comments.
 */
import {
  bestExecutionReport,
  type ExecutionQualityRow,
  type ExecutionRecordFill,
  executionQualityReport,
  executionRecordOf,
  nanos,
  notionalBucketOf,
  type OrderExecutionRecord,
  rule605OrderTypeOf,
  type TcaQuote,
  toCsv,
  transactionCostsOf,
} from '../../lambdas/core/index.js';

const T0 = Date.parse('2026-11-23T14:30:00Z');
const q = (bid: string, ask: string): TcaQuote => ({ bid: nanos(bid), ask: nanos(ask) });
/** The NBBO at every order's receipt below: mid 10.02, quoted spread 0.04. */
const NBBO = q('10', '10.04');

function f(
  qty: string,
  price: string,
  ms: number,
  fee: bigint,
  quote: TcaQuote | null = NBBO,
): ExecutionRecordFill {
  return { qty: nanos(qty), price: nanos(price), at: T0 + ms, venue: null, fee, quote };
}

function rec(
  over: Partial<OrderExecutionRecord> & Pick<OrderExecutionRecord, 'orderId'>,
): OrderExecutionRecord {
  return {
    symbol: 'ACME',
    venue: 'IEX',
    type: 'market',
    side: 'buy',
    qty: nanos('100'),
    limitPrice: null,
    arrival: NBBO,
    acceptedAt: T0,
    fills: [],
    ...over,
  };
}

const ORDERS: OrderExecutionRecord[] = [
  // A: market buy 100 @ 10.03 after 50 ms: eff 2 x 0.01 = 0.02, PI 10.04 - 10.03 = +0.01 (improved).
  rec({ orderId: 'A', fills: [f('100', '10.03', 50, nanos('0.3'))] }),
  // B: market buy 200 @ 10.04 after 150 ms: eff 0.04, PI 0 (at the quote).
  rec({ orderId: 'B', qty: nanos('200'), fills: [f('200', '10.04', 150, nanos('0.6'))] }),
  // C: market sell 100 @ 9.99 at ARCA after 20 ms: eff 2 x (10.02 - 9.99) = 0.06, PI 9.99 - 10 = -0.01.
  rec({ orderId: 'C', venue: 'ARCA', side: 'sell', fills: [f('100', '9.99', 20, nanos('0.3'))] }),
  // D: limit buy 300 @ 10.00 at ARCA (below the 10.04 offer: non-marketable), 100 filled at 10.00
  //    after 5 s, measured against the NBBO when it became executable, 9.99 x 10.01 (mid 10.00):
  //    eff 0, quoted 0.02, PI 10.01 - 10.00 = +0.01; a 0.2 rebate.
  rec({
    orderId: 'D',
    venue: 'ARCA',
    type: 'limit',
    qty: nanos('300'),
    limitPrice: nanos('10'),
    fills: [f('100', '10', 5000, -nanos('0.2'), q('9.99', '10.01'))],
  }),
  // E: limit sell 10 @ 10.00 at IEX (at the 10.00 bid: marketable), filled 10 @ 10.01 after 10 ms:
  //    eff 2 x (10.02 - 10.01) = 0.02, PI +0.01. Notional 10 x 10.02 = 100.20: under $250.
  rec({
    orderId: 'E',
    type: 'limit',
    side: 'sell',
    qty: nanos('10'),
    limitPrice: nanos('10'),
    fills: [f('10', '10.01', 10, 0n)],
  }),
  // F: stop buy 5,000 never routed, never filled: 'other', notional 50,100.
  rec({ orderId: 'F', venue: null, type: 'stop', qty: nanos('5000') }),
  // G: ABC market buy 50 with no arrival quote: size unknown; its fill has no quote: unmeasured.
  rec({ orderId: 'G', symbol: 'ABC', qty: nanos('50'), arrival: null, fills: [f('50', '5', 30, 0n, null)] }),
];

describe('rule605OrderTypeOf and notionalBucketOf', () => {
  it.each<[string, string, 'buy' | 'sell', string | null, TcaQuote | null, string]>([
    ['market', 'market', 'buy', null, NBBO, 'market'],
    ['buy limit at the offer', 'limit', 'buy', '10.04', NBBO, 'marketable_limit'],
    ['buy limit below the offer', 'limit', 'buy', '10.03', NBBO, 'non_marketable_limit'],
    ['sell limit at the bid', 'limit', 'sell', '10', NBBO, 'marketable_limit'],
    ['sell limit above the bid', 'limit', 'sell', '10.01', NBBO, 'non_marketable_limit'],
    ['limit without an arrival quote', 'limit', 'buy', '10', null, 'other'],
    ['stop limit', 'stop_limit', 'buy', '10.04', NBBO, 'other'],
    ['trailing stop', 'trailing_stop', 'sell', null, NBBO, 'other'],
  ])('%s', (_name, type, side, limit, arrival, expected) => {
    expect(rule605OrderTypeOf(type, side, limit === null ? null : nanos(limit), arrival)).toBe(expected);
  });

  it.each<[string, string, string | null, string]>([
    ['$249.99', '1', '249.99', '<250'],
    ['$250 exactly', '25', '10', '250-<1000'],
    ['$999.999999999', '1', '999.999999999', '250-<1000'],
    ['$1,000', '100', '10', '1000-<5000'],
    // The SEC staff's Rule 605 summary-report size categories (github.com/sec-gov/oes).
    ['$9,999.99', '999.999', '10', '5000-<10000'],
    ['$10,000', '1000', '10', '10000-<20000'],
    ['$19,999.99', '1999.999', '10', '10000-<20000'],
    ['$20,000', '2000', '10', '20000-<50000'],
    ['$49,999.99', '4999.999', '10', '20000-<50000'],
    ['$50,000', '5000', '10', '50000-<200000'],
    ['$199,999.99', '19999.999', '10', '50000-<200000'],
    ['$200,000', '20000', '10', '>=200000'],
    ['a fractional share', '0.5', '300', '<250'],
    ['no price', '100', null, 'unknown'],
  ])('%s', (_name, qty, price, expected) => {
    expect(notionalBucketOf(nanos(qty), price === null ? null : nanos(price))).toBe(expected);
  });
});

describe('executionQualityReport', () => {
  it('one row per venue x order type x size, hand-computed', () => {
    expect(executionQualityReport(ORDERS)).toEqual<ExecutionQualityRow[]>([
      {
        venue: 'ARCA',
        orderType: 'market',
        sizeBucket: '1000-<5000', // 100 x 10.02 = 1,002
        orders: 1,
        shares: '100',
        filledShares: '100',
        fillRate: 1,
        avgEffectiveSpread: '0.06',
        avgQuotedSpread: '0.04',
        effectiveOverQuotedPct: 150,
        pctSharesPriceImproved: 0,
        avgImprovementPerImprovedShare: null,
        pctSharesAtOrBetterThanQuote: 0,
        avgDisimprovementPerOutsideQuoteShare: '0.01',
        avgTimeToExecutionMs: 20,
      },
      {
        venue: 'ARCA',
        orderType: 'non_marketable_limit',
        sizeBucket: '1000-<5000', // 300 x 10.02 = 3,006
        orders: 1,
        shares: '300',
        filledShares: '100',
        fillRate: 0.3333,
        avgEffectiveSpread: '0',
        avgQuotedSpread: '0.02',
        effectiveOverQuotedPct: 0,
        pctSharesPriceImproved: 100,
        avgImprovementPerImprovedShare: '0.01',
        pctSharesAtOrBetterThanQuote: 100,
        avgDisimprovementPerOutsideQuoteShare: null,
        avgTimeToExecutionMs: 5000,
      },
      {
        // A + B: eff (100 x 0.02 + 200 x 0.04) / 300 = 0.0333..; E/Q 0.0333.. / 0.04 = 83.33%;
        // improved 100 of 300 shares, by 0.01 each; time (100 x 50 + 200 x 150) / 300 = 116.67 ms.
        venue: 'IEX',
        orderType: 'market',
        sizeBucket: '1000-<5000',
        orders: 2,
        shares: '300',
        filledShares: '300',
        fillRate: 1,
        avgEffectiveSpread: '0.033333333',
        avgQuotedSpread: '0.04',
        effectiveOverQuotedPct: 83.33,
        pctSharesPriceImproved: 33.33,
        avgImprovementPerImprovedShare: '0.01',
        pctSharesAtOrBetterThanQuote: 100,
        avgDisimprovementPerOutsideQuoteShare: null,
        avgTimeToExecutionMs: 116.67,
      },
      {
        venue: 'IEX',
        orderType: 'market',
        sizeBucket: 'unknown', // G: no arrival quote, no limit price
        orders: 1,
        shares: '50',
        filledShares: '50',
        fillRate: 1,
        avgEffectiveSpread: null,
        avgQuotedSpread: null,
        effectiveOverQuotedPct: null,
        pctSharesPriceImproved: null,
        avgImprovementPerImprovedShare: null,
        pctSharesAtOrBetterThanQuote: null,
        avgDisimprovementPerOutsideQuoteShare: null,
        avgTimeToExecutionMs: 30,
      },
      {
        venue: 'IEX',
        orderType: 'marketable_limit',
        sizeBucket: '<250',
        orders: 1,
        shares: '10',
        filledShares: '10',
        fillRate: 1,
        avgEffectiveSpread: '0.02',
        avgQuotedSpread: '0.04',
        effectiveOverQuotedPct: 50,
        pctSharesPriceImproved: 100,
        avgImprovementPerImprovedShare: '0.01',
        pctSharesAtOrBetterThanQuote: 100,
        avgDisimprovementPerOutsideQuoteShare: null,
        avgTimeToExecutionMs: 10,
      },
      {
        venue: null,
        orderType: 'other',
        sizeBucket: '50000-<200000',
        orders: 1,
        shares: '5000',
        filledShares: '0',
        fillRate: 0,
        avgEffectiveSpread: null,
        avgQuotedSpread: null,
        effectiveOverQuotedPct: null,
        pctSharesPriceImproved: null,
        avgImprovementPerImprovedShare: null,
        pctSharesAtOrBetterThanQuote: null,
        avgDisimprovementPerOutsideQuoteShare: null,
        avgTimeToExecutionMs: null,
      },
    ]);
  });

  // Rule 605 as amended (Release 34-99679, 89 FR 26428, Apr. 15 2024) and the SEC staff's summary
  // report spec (github.com/sec-gov/oes, AvgEFQPct): E/Q is the average effective spread over the
  // average quoted spread "expressed as a percentage"; the effective spread is signed (17 CFR
  // 242.600(b)(8)); price improvement is averaged over the improved shares and, apart, the amount
  // outside the quote over the shares executed outside it. One market order per case, NBBO
  // 10.00 x 10.04 (mid 10.02, quoted 0.04) at receipt.
  it.each<
    [
      string,
      'buy' | 'sell',
      [string, string][],
      Pick<
        ExecutionQualityRow,
        | 'avgEffectiveSpread'
        | 'effectiveOverQuotedPct'
        | 'pctSharesPriceImproved'
        | 'avgImprovementPerImprovedShare'
        | 'pctSharesAtOrBetterThanQuote'
        | 'avgDisimprovementPerOutsideQuoteShare'
      >,
    ]
  >([
    [
      // eff 2 x (10.02 - 10.03) = -0.02: E/Q -50%; improved by 10.03 - 10.00 = 0.03.
      'a sell above the mid: negative effective spread and E/Q',
      'sell',
      [['100', '10.03']],
      {
        avgEffectiveSpread: '-0.02',
        effectiveOverQuotedPct: -50,
        pctSharesPriceImproved: 100,
        avgImprovementPerImprovedShare: '0.03',
        pctSharesAtOrBetterThanQuote: 100,
        avgDisimprovementPerOutsideQuoteShare: null,
      },
    ],
    [
      // 100 @ 10.01 (eff -0.02, improved 0.03), 100 @ 10.04 (eff 0.04, at the offer), 200 @ 10.06
      // (eff 0.08, 0.02 outside): eff (-2 + 4 + 16) / 400 = 0.045, E/Q 112.5%; the net would be
      // (3 + 0 - 4) / 400 = -0.0025, which hides both.
      'a buy improved, at the quote and outside it',
      'buy',
      [
        ['100', '10.01'],
        ['100', '10.04'],
        ['200', '10.06'],
      ],
      {
        avgEffectiveSpread: '0.045',
        effectiveOverQuotedPct: 112.5,
        pctSharesPriceImproved: 25,
        avgImprovementPerImprovedShare: '0.03',
        pctSharesAtOrBetterThanQuote: 50,
        avgDisimprovementPerOutsideQuoteShare: '0.02',
      },
    ],
    [
      // outside by 0.01 (100) and 0.04 (100): (1 + 4) / 200 = 0.025; eff (6 + 12) / 200 = 0.09, 225%.
      'a sell only through the bid',
      'sell',
      [
        ['100', '9.99'],
        ['100', '9.96'],
      ],
      {
        avgEffectiveSpread: '0.09',
        effectiveOverQuotedPct: 225,
        pctSharesPriceImproved: 0,
        avgImprovementPerImprovedShare: null,
        pctSharesAtOrBetterThanQuote: 0,
        avgDisimprovementPerOutsideQuoteShare: '0.025',
      },
    ],
  ])('Rule 605 measures of a row: %s', (_name, side, fills, expected) => {
    const qty = String(fills.reduce((n, [fq]) => n + Number(fq), 0));
    const rows = executionQualityReport([
      rec({ orderId: 'R', side, qty: nanos(qty), fills: fills.map(([fq, p]) => f(fq, p, 10, 0n)) }),
    ]);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject(expected);
  });

  it('no orders: no rows', () => {
    expect(executionQualityReport([])).toEqual([]);
  });
});

describe('bestExecutionReport', () => {
  it('per security and order type, the venues side by side', () => {
    const report = bestExecutionReport(ORDERS);
    expect(report.map((g) => [g.symbol, g.orderType, g.venues.map((v) => v.venue)])).toEqual([
      ['ABC', 'market', ['IEX']],
      ['ACME', 'market', ['ARCA', 'IEX']],
      ['ACME', 'marketable_limit', ['IEX']],
      ['ACME', 'non_marketable_limit', ['ARCA']],
      ['ACME', 'other', [null]],
    ]);
    expect(report[1]?.venues).toEqual([
      {
        venue: 'ARCA',
        orders: 1,
        sharesRouted: '100',
        filledShares: '100',
        fillRate: 1,
        avgPriceImprovement: '-0.01',
        pctSharesPriceImproved: 0,
        avgEffectiveSpread: '0.06',
        feesPerShare: '0.003', // 0.30 / 100
        avgTimeToFirstFillMs: 20,
        avgTimeToExecutionMs: 20,
      },
      {
        // PI (100 x 0.01 + 200 x 0) / 300 = 0.00333..; fees 0.90 / 300 = 0.003;
        // first fills (50 + 150) / 2 = 100 ms.
        venue: 'IEX',
        orders: 2,
        sharesRouted: '300',
        filledShares: '300',
        fillRate: 1,
        avgPriceImprovement: '0.003333333',
        pctSharesPriceImproved: 33.33,
        avgEffectiveSpread: '0.033333333',
        feesPerShare: '0.003',
        avgTimeToFirstFillMs: 100,
        avgTimeToExecutionMs: 116.67,
      },
    ]);
    // The rebate makes the fees per share negative; the unfilled stop has nothing measurable.
    expect(report[3]?.venues[0]).toMatchObject({ feesPerShare: '-0.002', avgPriceImprovement: '0.01' });
    expect(report[4]?.venues[0]).toMatchObject({
      fillRate: 0,
      feesPerShare: null,
      avgTimeToFirstFillMs: null,
      avgPriceImprovement: null,
    });
    expect(report[0]?.venues[0]).toMatchObject({ avgPriceImprovement: null, feesPerShare: '0' });
  });
});

describe('executionRecordOf', () => {
  const tca = transactionCostsOf({
    side: 'buy',
    orderQty: nanos('300'),
    decisionPrice: null,
    arrival: NBBO,
    acceptedAt: T0,
    closedAt: T0 + 1000,
    closingPrice: nanos('10.02'),
    fills: [
      {
        execId: 'x1',
        qty: nanos('100'),
        price: nanos('10.03'),
        at: T0 + 50,
        venue: 'IEX',
        fee: -nanos('0.25'),
        liquidity: 'added',
        quote: null,
      },
    ],
    samples: [],
    algorithmic: false,
  });
  const order = { orderId: 'o1', symbol: 'ACME', type: 'limit', limitPrice: '10.03', acceptedAt: T0 };

  it('carries the fills with the NBBO their Rule 605 measures used, and the one venue', () => {
    expect(executionRecordOf(tca, order)).toEqual<OrderExecutionRecord>({
      orderId: 'o1',
      symbol: 'ACME',
      venue: 'IEX',
      type: 'limit',
      side: 'buy',
      qty: nanos('300'),
      limitPrice: nanos('10.03'),
      arrival: NBBO,
      acceptedAt: T0,
      fills: [
        {
          qty: nanos('100'),
          price: nanos('10.03'),
          at: T0 + 50,
          venue: 'IEX',
          fee: -nanos('0.25'),
          quote: NBBO,
        },
      ],
    });
  });

  it('a given venue wins; the report reads the record as the TCA measured it', () => {
    const r = executionRecordOf(tca, { ...order, venue: 'SOR' });
    expect(r.venue).toBe('SOR');
    expect(executionQualityReport([r])[0]).toMatchObject({
      venue: 'SOR',
      orderType: 'non_marketable_limit',
      avgEffectiveSpread: tca.rule605.avgEffectiveSpread,
      avgQuotedSpread: tca.rule605.avgQuotedSpread,
      avgImprovementPerImprovedShare: tca.rule605.avgImprovementPerImprovedShare,
      avgDisimprovementPerOutsideQuoteShare: tca.rule605.avgDisimprovementPerOutsideQuoteShare,
    });
  });
});

describe('toCsv', () => {
  it('header, stable column order, RFC 4180 quoting, CRLF, empty for null', () => {
    const [row] = executionQualityReport([
      rec({ orderId: 'Z', venue: 'DARK, "X"', fills: [f('100', '10.03', 50, 0n)] }),
    ]);
    if (row === undefined) throw new Error('no row');
    const unrouted = { ...row, venue: null, avgEffectiveSpread: null };
    expect(toCsv([row, unrouted])).toBe(
      'venue,orderType,sizeBucket,orders,shares,filledShares,fillRate,avgEffectiveSpread,avgQuotedSpread,' +
        'effectiveOverQuotedPct,pctSharesPriceImproved,avgImprovementPerImprovedShare,' +
        'pctSharesAtOrBetterThanQuote,avgDisimprovementPerOutsideQuoteShare,avgTimeToExecutionMs\r\n' +
        '"DARK, ""X""",market,1000-<5000,1,100,100,1,0.02,0.04,50,100,0.01,100,,50\r\n' +
        ',market,1000-<5000,1,100,100,1,,0.04,50,100,0.01,100,,50\r\n',
    );
  });

  it('no rows: the header alone', () => {
    expect(toCsv([]).split('\r\n')).toHaveLength(2);
  });
});
