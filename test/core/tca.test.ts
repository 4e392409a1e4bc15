/**
 * TCA of one closed order (lambdas/core/tca.ts): published worked examples of implementation
 * shortfall reproduced to the cent, hand-computed Rule 605 measures, VWAP/TWAP benchmarks, the
 * degenerate cases, and properties over random orders (fast-check).
 */
import fc from 'fast-check';
import {
  type MarketSample,
  min,
  nanos,
  ONE,
  rule605MeasuresOf,
  shortfallOf,
  type Tca,
  type TcaFill,
  type TcaInput,
  type TcaQuote,
  transactionCostsOf,
} from '../../lambdas/core/index.js';

const T0 = Date.parse('2026-11-23T14:30:00Z');

const q = (bid: string, ask: string): TcaQuote => ({ bid: nanos(bid), ask: nanos(ask) });

function fill(qty: string, price: string, extra: Partial<TcaFill> = {}): TcaFill {
  return {
    execId: `e-${qty}-${price}`,
    qty: nanos(qty),
    price: nanos(price),
    at: T0 + 1000,
    venue: 'SIM',
    fee: 0n,
    liquidity: 'removed',
    quote: null,
    ...extra,
  };
}

function input(over: Partial<TcaInput>): TcaInput {
  return {
    side: 'buy',
    orderQty: nanos('100'),
    decisionPrice: null,
    arrival: null,
    acceptedAt: T0,
    closedAt: T0 + 60_000,
    closingPrice: null,
    fills: [],
    samples: [],
    algorithmic: false,
    ...over,
  };
}

/** The shortfall's dollars and bps, as the JSON carries them. */
function shortfallTable(tca: Tca) {
  const is = tca.implementationShortfall;
  if (is === null) return null;
  return {
    paper: is.paperValue,
    delay: is.delay?.usd ?? null,
    trading: is.trading.usd,
    opportunity: is.opportunity?.usd ?? null,
    fees: is.fees.usd,
    total: is.total?.usd ?? null,
    bps: [
      is.delay?.bps ?? null,
      is.trading.bps,
      is.opportunity?.bps ?? null,
      is.fees.bps,
      is.total?.bps ?? null,
    ],
  };
}

describe('implementation shortfall: published worked examples, to the cent', () => {
  // Each example's prices map onto the TCA's inputs as the curriculum's decomposition does: the
  // "decision price" (usually the previous close) is the decision price; the "revised benchmark"
  // the executed shares' delay is measured to (the close of the day the order did not fill) is the
  // arrival mid; the cancellation price values the unexecuted shares (the closing price).
  it.each<[string, TcaInput, ReturnType<typeof shortfallTable>]>([
    [
      // CFA Institute curriculum, "Execution of Portfolio Decisions" (Level III), the $10.00 example:
      // decision price 10.00 for 1,000 shares; the next day's close 10.05 (delay benchmark); 700
      // shares bought at 10.07, commission $14; the rest cancelled at 10.08. Published: paper gain
      // (10.08 - 10.00) x 1,000 = $80, real gain (10.08 - 10.07) x 700 - 14 = -$7, shortfall $87;
      // delay 700/1,000 x (10.05 - 10.00)/10.00 = 0.35%.
      // https://www.analystforum.com/t/cfai-text-v6-r44-p26-benchmark-price-of-implementation-shortfall/50178
      // https://www.analystforum.com/t/implementation-shortfall/63141
      // By hand: delay 700 x 0.05 = 35, trading 700 x 0.02 = 14, opportunity 300 x 0.08 = 24,
      // fees 14; total 87 = 0.87% of the $10,000 paper portfolio.
      'CFA curriculum $10.00 example: $87 = 35 + 14 + 24 + 14',
      input({
        orderQty: nanos('1000'),
        decisionPrice: nanos('10'),
        arrival: q('10.04', '10.06'),
        closingPrice: nanos('10.08'),
        fills: [fill('700', '10.07', { fee: nanos('14') })],
      }),
      {
        paper: '10000',
        delay: '35',
        trading: '14',
        opportunity: '24',
        fees: '14',
        total: '87',
        bps: [35, 14, 24, 14, 87],
      },
    ],
    [
      // Gaodun CFA Level III question (https://www.gaodun.com/q/b03v1i): 1,000 shares decided at
      // the $40.00 close; not filled that day, close $40.04; 700 shares filled at $40.05,
      // commission $17; the rest cancelled at $40.08. Published components: explicit 17/40,000 =
      // 0.04%, realized (700/1000) x (40.05 - 40.04)/40 = 0.02%, delay (700/1000) x (40.04 - 40)/40
      // = 0.07%, missed trade (300/1000) x (40.08 - 40)/40 = 0.06%; total 0.19%.
      // By hand in dollars: 28 + 7 + 24 + 17 = 76 = 0.19% of $40,000 (the published 0.02% and
      // 0.04% are 0.0175% and 0.0425% rounded).
      'Gaodun CFA L3 $40.00 example: $76 = 0.19%',
      input({
        orderQty: nanos('1000'),
        decisionPrice: nanos('40'),
        arrival: q('40.03', '40.05'),
        closingPrice: nanos('40.08'),
        fills: [fill('700', '40.05', { fee: nanos('17') })],
      }),
      {
        paper: '40000',
        delay: '28',
        trading: '7',
        opportunity: '24',
        fees: '17',
        total: '76',
        bps: [7, 1.75, 6, 4.25, 19],
      },
    ],
    [
      // CFA Level III (CMS shares), quoted at
      // https://analystforum.com/t/trading-decision-price/137161 : close $75 when deciding to buy
      // 8,000; the day-2 limit order does not fill, close $75.75; day 3, 4,000 shares fill at $77
      // plus $1,500 commission; close $79, the rest cancelled. Published:
      // IS = (79 - 75) x 8,000 - ((79 - 77) x 4,000 - 1,500) = $25,500.
      // By hand: delay 4,000 x 0.75 = 3,000; trading 4,000 x 1.25 = 5,000; opportunity
      // 4,000 x 4 = 16,000; fees 1,500; of $600,000: 50 + 83.33 + 266.67 + 25 = 425 bps.
      'CFA L3 CMS example: $25,500',
      input({
        orderQty: nanos('8000'),
        decisionPrice: nanos('75'),
        arrival: q('75.74', '75.76'),
        closingPrice: nanos('79'),
        fills: [fill('4000', '77', { fee: nanos('1500') })],
      }),
      {
        paper: '600000',
        delay: '3000',
        trading: '5000',
        opportunity: '16000',
        fees: '1500',
        total: '25500',
        bps: [50, 83.33, 266.67, 25, 425],
      },
    ],
    [
      // Bloomberg Exam Prep CFA question (https://bloombergprep.com/practice/cfa/400/question/a84284/
      // pathway-portfolio-management-pw-portman-7-trade-strategy-and-execution-trade-cost-measurement-implementation-shortfall):
      // buy 4,000 decided at 16.24, placed at once and filled at 16.20, fee $38.50. Published:
      // 38.50 / (16.24 x 4,000) = 0.06% explicit, (16.20 - 16.24)/16.24 = -0.25% gain, total -0.19%.
      // By hand: -160 + 38.50 = -$121.50 = -18.70 bps of $64,960 (no delay: arrival = decision).
      'Bloomberg Exam Prep 16.24 example: -$121.50 (a gain)',
      input({
        orderQty: nanos('4000'),
        decisionPrice: nanos('16.24'),
        arrival: q('16.23', '16.25'),
        closingPrice: nanos('16.28'),
        fills: [fill('4000', '16.2', { fee: nanos('38.5') })],
      }),
      {
        paper: '64960',
        delay: '0',
        trading: '-160',
        opportunity: '0',
        fees: '38.5',
        total: '-121.5',
        bps: [0, -24.63, 0, 5.93, -18.7],
      },
    ],
    [
      // CFA Level III 2000 exam, question 28, a sell, quoted at
      // https://www.analystforum.com/t/implementation-shortfall-sell-order/52371 : sell 50,000 TRP
      // decided at $43.00; placed with the broker at $41.00; sold at $40.25, commission $0.05 a
      // share. Published: $2.80 a share (43 - 40.25 + 0.05), i.e. $140,000.
      // By hand: delay 50,000 x 2 = 100,000; trading 50,000 x 0.75 = 37,500; fees 2,500; of
      // $2,150,000: 465.12 + 174.42 + 11.63 bps, total 651.16 bps (each rounded on its own).
      'CFA L3 2000 Q28 sell: $140,000 ($2.80 a share)',
      input({
        side: 'sell',
        orderQty: nanos('50000'),
        decisionPrice: nanos('43'),
        arrival: q('40.99', '41.01'),
        closingPrice: nanos('38'),
        fills: [fill('50000', '40.25', { fee: nanos('2500') })],
      }),
      {
        paper: '2150000',
        delay: '100000',
        trading: '37500',
        opportunity: '0',
        fees: '2500',
        total: '140000',
        bps: [465.12, 174.42, 0, 11.63, 651.16],
      },
    ],
  ])('%s', (_name, tcaInput, expected) => {
    expect(shortfallTable(transactionCostsOf(tcaInput))).toEqual(expected);
  });
});

describe('Rule 605 measures of one execution (17 CFR 242.600(b)), by hand', () => {
  // NBBO 10.00 x 10.04: mid 10.02, quoted spread 0.04.
  const nbbo = q('10', '10.04');
  it.each<[string, 'buy' | 'sell', string, string, string, string, string]>([
    // side, price -> effective (2|p - mid|), signed effective, price improvement, outcome
    ['buy inside the spread', 'buy', '10.03', '0.02', '0.02', '0.01', 'improved'],
    ['buy at the offer', 'buy', '10.04', '0.04', '0.04', '0', 'at_quote'],
    ['buy through the offer', 'buy', '10.05', '0.06', '0.06', '-0.01', 'outside_quote'],
    ['buy below the mid (signed spread negative)', 'buy', '10.01', '0.02', '-0.02', '0.03', 'improved'],
    ['sell inside the spread', 'sell', '10.01', '0.02', '0.02', '0.01', 'improved'],
    ['sell at the bid', 'sell', '10', '0.04', '0.04', '0', 'at_quote'],
    ['sell through the bid', 'sell', '9.99', '0.06', '0.06', '-0.01', 'outside_quote'],
  ])('%s', (_name, side, price, effective, signed, improvement, outcome) => {
    const m = rule605MeasuresOf(side, nanos(price), nbbo);
    expect(m.effectiveSpread).toBe(nanos(effective));
    expect(m.signedEffectiveSpread).toBe(signed.startsWith('-') ? -nanos(signed.slice(1)) : nanos(signed));
    expect(m.quotedSpread).toBe(nanos('0.04'));
    expect(m.priceImprovement).toBe(
      improvement.startsWith('-') ? -nanos(improvement.slice(1)) : nanos(improvement),
    );
    expect(m.outcome).toBe(outcome);
  });

  it('order level: share-weighted over the fills, against the NBBO at order receipt', () => {
    // 100 @ 10.03 (eff 0.02, PI +0.01) and 300 @ 10.05 (eff 0.06, PI -0.01):
    // avg eff (2 + 18) / 400 = 0.05; E/Q 0.05 / 0.04 = 1.25; avg PI (1 - 3) / 400 = -0.005.
    const tca = transactionCostsOf(
      input({
        orderQty: nanos('400'),
        arrival: nbbo,
        fills: [fill('100', '10.03'), fill('300', '10.05', { at: T0 + 2500 })],
      }),
    );
    expect(tca.rule605).toEqual({
      quote: 'receipt',
      measuredQty: '400',
      avgEffectiveSpread: '0.05',
      avgSignedEffectiveSpread: '0.05',
      avgQuotedSpread: '0.04',
      effectiveOverQuoted: 1.25,
      avgPriceImprovement: '-0.005',
      avgImprovementPerImprovedShare: '0.01',
      avgDisimprovementPerOutsideQuoteShare: '0.01',
      improvedQty: '100',
      atQuoteQty: '0',
      outsideQuoteQty: '300',
    });
    expect(tca.executions.map((e) => [e.outcome, e.effectiveOverQuoted, e.msFromAcceptance])).toEqual([
      ['improved', 0.5, 1000],
      ['outside_quote', 1.5, 2500],
    ]);
    // Arrival slippage: avg 10.045 vs mid 10.02: 0.025 / 10.02 = 24.95 bps (24.9500998).
    expect(tca.avgPrice).toBe('10.045');
    expect(tca.arrivalSlippageBps).toBe(24.95);
  });

  // 17 CFR 242.600(b)(8) (as amended by Release 34-99679, 89 FR 26428, Apr. 15 2024): the average
  // effective spread is share-weighted over the SIGNED spread, buy 2 x (price - mid), sell
  // 2 x (mid - price), so fills beating the mid pull it down (below zero), not up. Rule 605 reports
  // price improvement and disimprovement apart: the average amount per share over the shares
  // executed with improvement, and over the shares executed outside the quote. NBBO 10.00 x 10.04
  // (mid 10.02, quoted 0.04) at receipt throughout.
  it.each<
    [
      string,
      'buy' | 'sell',
      [string, string][],
      {
        avgEffectiveSpread: string;
        effectiveOverQuoted: number;
        avgPriceImprovement: string;
        avgImprovementPerImprovedShare: string | null;
        avgDisimprovementPerOutsideQuoteShare: string | null;
      },
    ]
  >([
    [
      // signed (100 x -0.02 + 100 x 0.02) / 200 = 0 (the magnitudes would average 0.02);
      // improved: 100 @ 10.01 by 0.03, 100 @ 10.03 by 0.01: (3 + 1) / 200 = 0.02.
      'buy: one fill below the mid and one above cancel out',
      'buy',
      [
        ['100', '10.01'],
        ['100', '10.03'],
      ],
      {
        avgEffectiveSpread: '0',
        effectiveOverQuoted: 0,
        avgPriceImprovement: '0.02',
        avgImprovementPerImprovedShare: '0.02',
        avgDisimprovementPerOutsideQuoteShare: null,
      },
    ],
    [
      // signed 2 x (10.02 - 10.03) = -0.02 on every share: E/Q -0.5.
      'sell above the mid: a negative effective spread',
      'sell',
      [['100', '10.03']],
      {
        avgEffectiveSpread: '-0.02',
        effectiveOverQuoted: -0.5,
        avgPriceImprovement: '0.03',
        avgImprovementPerImprovedShare: '0.03',
        avgDisimprovementPerOutsideQuoteShare: null,
      },
    ],
    [
      // 100 improved by 0.01 (eff 0.02), 100 at the bid (eff 0.04), 200 at 9.98, 0.02 outside
      // (eff 0.08): signed (2 + 4 + 16) / 400 = 0.055; net PI (1 + 0 - 4) / 400 = -0.0075;
      // improved shares 0.01 each; outside shares 0.02 each (a positive amount).
      'sell: improved, at the quote and outside it, reported apart',
      'sell',
      [
        ['100', '10.01'],
        ['100', '10'],
        ['200', '9.98'],
      ],
      {
        avgEffectiveSpread: '0.055',
        effectiveOverQuoted: 1.375,
        avgPriceImprovement: '-0.0075',
        avgImprovementPerImprovedShare: '0.01',
        avgDisimprovementPerOutsideQuoteShare: '0.02',
      },
    ],
    [
      // outside by 0.01 (100) and 0.03 (300): (1 + 9) / 400 = 0.025; nothing improved.
      'buy through the offer only: disimprovement, no improvement average',
      'buy',
      [
        ['100', '10.05'],
        ['300', '10.07'],
      ],
      {
        avgEffectiveSpread: '0.09',
        effectiveOverQuoted: 2.25,
        avgPriceImprovement: '-0.025',
        avgImprovementPerImprovedShare: null,
        avgDisimprovementPerOutsideQuoteShare: '0.025',
      },
    ],
  ])('Rule 605 summary, %s', (_name, side, fills, expected) => {
    const tca = transactionCostsOf(
      input({
        side,
        orderQty: nanos(String(fills.reduce((n, [qty]) => n + Number(qty), 0))),
        arrival: nbbo,
        fills: fills.map(([qty, price], i) => fill(qty, price, { execId: `e${i}` })),
      }),
    );
    expect(tca.rule605).toMatchObject({
      ...expected,
      avgSignedEffectiveSpread: expected.avgEffectiveSpread,
    });
  });

  it("'execution' basis: each fill against its own NBBO; a fill without one is not measured", () => {
    const tca = transactionCostsOf(
      input({
        orderQty: nanos('200'),
        arrival: q('9', '9.02'),
        rule605Quote: 'execution',
        fills: [fill('100', '10.02', { quote: q('10', '10.04') }), fill('100', '10.5')],
      }),
    );
    expect(tca.rule605.measuredQty).toBe('100');
    expect(tca.rule605.avgPriceImprovement).toBe('0.02');
    expect(tca.executions[1]?.effectiveSpread).toBeNull();
    expect(tca.executions[1]?.outcome).toBeNull();
  });
});

describe('VWAP and TWAP benchmarks (algorithmic orders)', () => {
  // Samples: mid 10.00 (cum vol 1,000), +1s mid 10.02 (1,600), +3s mid 10.04 (1,800).
  // VWAP: 600 @ 10.01 and 200 @ 10.03 -> 8,012 / 800 = 10.015.
  // TWAP: 1s @ 10.01 and 2s @ 10.03 -> 30.07 / 3 = 10.023333333 (10.0233...).
  // Fills 100 @ 10.01 and 200 @ 10.03: avg 3,007 / 300 = 10.02333...
  // VWAP slippage (10.02333.. - 10.015) / 10.015 = 8.32 bps; TWAP slippage exactly 0.
  const samples = [
    { at: T0 + 3000, mid: nanos('10.04'), cumulativeVolume: nanos('1800') },
    { at: T0, mid: nanos('10'), cumulativeVolume: nanos('1000') },
    { at: T0 + 1000, mid: nanos('10.02'), cumulativeVolume: nanos('1600') },
  ];
  const fills = [fill('100', '10.01'), fill('200', '10.03')];

  it.each<[string, Partial<TcaInput>, Tca['benchmarks']]>([
    [
      'algorithmic buy',
      { algorithmic: true },
      {
        vwap: { price: '10.015', slippageBps: 8.32, basis: 'sampled_mids' },
        twap: { price: '10.023333333', slippageBps: 0, basis: 'sampled_mids' },
      },
    ],
    [
      'the same fills as a sell: the signs flip',
      { algorithmic: true, side: 'sell' },
      {
        vwap: { price: '10.015', slippageBps: -8.32, basis: 'sampled_mids' },
        twap: { price: '10.023333333', slippageBps: 0, basis: 'sampled_mids' },
      },
    ],
    ['not algorithmic: no benchmark', { algorithmic: false }, { vwap: null, twap: null }],
    [
      'one sample: no interval',
      { algorithmic: true, samples: samples.slice(0, 1) },
      { vwap: null, twap: null },
    ],
    [
      'no volumes: TWAP only',
      { algorithmic: true, samples: samples.map((s) => ({ ...s, cumulativeVolume: null })) },
      { vwap: null, twap: { price: '10.023333333', slippageBps: 0, basis: 'sampled_mids' } },
    ],
    ['no fills', { algorithmic: true, fills: [] }, { vwap: null, twap: null }],
  ])('%s', (_name, over, expected) => {
    const tca = transactionCostsOf(input({ orderQty: nanos('300'), samples, fills, ...over }));
    expect(tca.benchmarks).toEqual(expected);
  });
});

describe('VWAP and TWAP over the tape (exact: the tape keeps cumulative notional and mid x ms)', () => {
  // The tape between acceptance (T0) and close (T0 + 3s): mid 10.00 held 1s, then 10.02 held 2s;
  // prints 600 @ 10.01 and 200 @ 10.03. Accumulators at T0: volume 1,000, notional 10,000, mid x ms
  // 50,000. At close: volume 1,800, notional 10,000 + 6,006 + 2,006 = 18,012, mid x ms 50,000 +
  // 10,000 + 20,040 = 80,040 (the mid at close, 10.04, has been held for no time yet).
  // VWAP = 8,012 / 800 = 10.015; TWAP = 30,040 / 3,000 = 10.013333333.
  // Fills avg 3,007 / 300 = 10.023333...: VWAP slippage (10.02333.. - 10.015) / 10.015 = 8.32 bps;
  // TWAP (10.02333.. - 10.01333..) / 10.01333.. = 0.01 / 10.01333.. = 9.99 bps.
  // From the two endpoint mids alone (10.00 and 10.04) both benchmarks would read 10.02.
  const at = (ms: number, mid: string, volume: string, notional: string, midMs: string) => ({
    at: T0 + ms,
    mid: nanos(mid),
    cumulativeVolume: nanos(volume),
    cumulativeNotional: nanos(notional),
    cumulativeMidMs: nanos(midMs),
  });
  const arrival = at(0, '10', '1000', '10000', '50000');
  const close = at(3000, '10.04', '1800', '18012', '80040');
  const fills = [fill('100', '10.01'), fill('200', '10.03')];

  it.each<[string, MarketSample[], Tca['benchmarks']]>([
    [
      'acceptance and close carry the accumulators: the exact interval VWAP and TWAP',
      [arrival, close],
      {
        vwap: { price: '10.015', slippageBps: 8.32, basis: 'tape' },
        twap: { price: '10.013333333', slippageBps: 9.99, basis: 'tape' },
      },
    ],
    [
      'the close lacks them (an older feed): the mids stand in, and say so',
      [arrival, { ...close, cumulativeNotional: null, cumulativeMidMs: null }],
      {
        vwap: { price: '10.02', slippageBps: 3.33, basis: 'sampled_mids' },
        twap: { price: '10.02', slippageBps: 3.33, basis: 'sampled_mids' },
      },
    ],
    [
      'a feed reset (volume went down): VWAP skips the interval, TWAP still exact',
      [arrival, { ...close, cumulativeVolume: nanos('10') }],
      { vwap: null, twap: { price: '10.013333333', slippageBps: 9.99, basis: 'tape' } },
    ],
  ])('%s', (_name, samples, expected) => {
    const tca = transactionCostsOf(input({ orderQty: nanos('300'), samples, fills, algorithmic: true }));
    expect(tca.benchmarks).toEqual(expected);
  });
});

describe('degenerate orders: null measures, never NaN or a throw', () => {
  it('no fills and no arrival quote', () => {
    const tca = transactionCostsOf(input({}));
    expect(tca).toMatchObject({
      arrival: null,
      decisionPrice: null,
      decisionPriceSource: null,
      filledQty: '0',
      avgPrice: null,
      fillRate: 0,
      arrivalSlippageBps: null,
      implementationShortfall: null,
      executions: [],
      venues: [],
      timings: { timeToFirstFillMs: null, timeToCompletionMs: 60_000 },
    });
    expect(tca.rule605.avgEffectiveSpread).toBeNull();
    expect(JSON.stringify(tca)).not.toMatch(/NaN|Infinity/);
  });

  it('no fills with an arrival quote: the whole shortfall is opportunity cost', () => {
    // Decision = arrival mid 20.00; cancelled at 20.10: 100 x 0.10 = $10 = 50 bps of $2,000.
    const tca = transactionCostsOf(input({ arrival: q('19.99', '20.01'), closingPrice: nanos('20.1') }));
    expect(tca.decisionPriceSource).toBe('arrival_mid');
    expect(shortfallTable(tca)).toEqual({
      paper: '2000',
      delay: '0',
      trading: '0',
      opportunity: '10',
      fees: '0',
      total: '10',
      bps: [0, 0, 50, 0, 50],
    });
  });

  it('unexecuted qty without a closing price: opportunity and total unknown, the rest stands', () => {
    const tca = transactionCostsOf(
      input({ arrival: q('19.99', '20.01'), fills: [fill('50', '20.02', { fee: nanos('0.5') })] }),
    );
    expect(shortfallTable(tca)).toMatchObject({ trading: '1', fees: '0.5', opportunity: null, total: null });
  });

  it('a client decision price but no arrival quote: trading measured from the decision price', () => {
    const tca = transactionCostsOf(
      input({ decisionPrice: nanos('10'), closingPrice: nanos('11'), fills: [fill('100', '10.1')] }),
    );
    expect(tca.implementationShortfall).toMatchObject({
      tradingBenchmark: 'decision_price',
      delay: null,
      trading: { usd: '10', bps: 100 },
      total: { usd: '10', bps: 100 },
    });
    expect(tca.arrivalSlippageBps).toBeNull();
  });

  it('zero order qty: no fill rate, no bps', () => {
    const tca = transactionCostsOf(
      input({ orderQty: 0n, arrival: q('10', '10.02'), closingPrice: nanos('10') }),
    );
    expect(tca.fillRate).toBeNull();
    expect(tca.implementationShortfall?.total).toEqual({ usd: '0', bps: null });
  });

  it('a sell: receiving below the arrival mid is a positive slippage', () => {
    const tca = transactionCostsOf(
      input({ side: 'sell', arrival: q('49.98', '50.02'), fills: [fill('100', '49.95')] }),
    );
    // (50 - 49.95) / 50 = 10 bps.
    expect(tca.arrivalSlippageBps).toBe(10);
  });
});

describe('venue mix and timings', () => {
  it('per venue qty, share, fees and average price; first fill and completion times', () => {
    const tca = transactionCostsOf(
      input({
        orderQty: nanos('1000'),
        arrival: q('10', '10.02'),
        closedAt: T0 + 9000,
        fills: [
          fill('200', '10.02', { venue: 'ARCA', fee: nanos('0.6'), at: T0 + 1500 }),
          fill('300', '10.01', { venue: 'IEX', fee: nanos('0.27'), at: T0 + 800 }),
          fill('100', '10.03', { venue: 'ARCA', fee: -nanos('0.2'), at: T0 + 4000, liquidity: 'added' }),
          fill('100', '10.02', { venue: null, at: T0 + 5000 }),
        ],
      }),
    );
    // ARCA: 300, (2004 + 1003) / 300 = 10.023333333, fees 0.4; IEX 300 @ 10.01, fees 0.27.
    expect(tca.venues).toEqual([
      { venue: 'ARCA', qty: '300', shareOfFilled: 0.4286, fees: '0.4', avgPrice: '10.023333333', fills: 2 },
      { venue: 'IEX', qty: '300', shareOfFilled: 0.4286, fees: '0.27', avgPrice: '10.01', fills: 1 },
      { venue: null, qty: '100', shareOfFilled: 0.1429, fees: '0', avgPrice: '10.02', fills: 1 },
    ]);
    expect(tca.timings).toEqual({ timeToFirstFillMs: 800, timeToCompletionMs: 9000 });
    expect(tca.fillRate).toBe(0.7);
    expect(JSON.parse(JSON.stringify(tca))).toEqual(tca);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties

const cents = (lo: number, hi: number) =>
  fc.integer({ min: lo, max: hi }).map((c) => BigInt(c) * 10_000_000n);
const shares = (lo: number, hi: number) => fc.integer({ min: lo, max: hi }).map((n) => BigInt(n) * ONE);

/** A random closed buy or sell: prices $1-$200 in cents, up to 5 fills not exceeding the order. */
const orders = fc
  .record({
    side: fc.constantFrom<'buy' | 'sell'>('buy', 'sell'),
    orderQty: shares(1, 5000),
    decision: fc.option(cents(100, 20_000), { nil: null }),
    bid: cents(100, 20_000),
    spread: cents(0, 50),
    hasArrival: fc.boolean(),
    closing: fc.option(cents(100, 20_000), { nil: null }),
    fills: fc.array(fc.record({ qty: shares(1, 1000), price: cents(100, 20_000), fee: cents(-100, 500) }), {
      maxLength: 5,
    }),
  })
  .map((r): TcaInput => {
    let left = r.orderQty;
    const fills: TcaFill[] = [];
    for (const [i, f] of r.fills.entries()) {
      const qty = min(f.qty, left);
      if (qty === 0n) break;
      left -= qty;
      fills.push(fill('1', '1', { execId: `e${i}`, qty, price: f.price, fee: f.fee, at: T0 + i * 100 }));
    }
    return input({
      side: r.side,
      orderQty: r.orderQty,
      decisionPrice: r.decision,
      arrival: r.hasArrival ? { bid: r.bid, ask: r.bid + r.spread } : null,
      closingPrice: r.closing,
      fills,
    });
  });

describe('properties', () => {
  it('the parts sum exactly to the total, which is Perold paper return - real return', () => {
    fc.assert(
      fc.property(orders, (o) => {
        const is = shortfallOf(o);
        if (is === null) return;
        if (is.total === null) return;
        expect((is.delay ?? 0n) + is.trading + (is.opportunity ?? 0n) + is.fees).toBe(is.total);
        // Independently: value both portfolios at the closing price (any price does for a fully
        // filled order: it cancels out).
        const c = o.closingPrice ?? 0n;
        const d = o.decisionPrice ?? (o.arrival === null ? 0n : (o.arrival.bid + o.arrival.ask) / 2n);
        const s = o.side === 'buy' ? 1n : -1n;
        const filled = o.fills.reduce((a, f) => a + f.qty, 0n);
        const paid = o.fills.reduce((a, f) => a + f.qty * f.price, 0n);
        const fees = o.fills.reduce((a, f) => a + f.fee, 0n) * ONE;
        const paperReturn = s * (c - d) * o.orderQty;
        const realReturn = s * (c * filled - paid) - fees;
        // (prices are whole cents, so the arrival mid is exact and \`/ 2n\` above loses nothing)
        expect(is.total).toBe(paperReturn - realReturn);
      }),
    );
  });

  it('a buy filled entirely at the arrival mid, no fees, decision = arrival: zero shortfall', () => {
    fc.assert(
      fc.property(
        cents(100, 20_000),
        cents(0, 25),
        shares(1, 5000),
        fc.integer({ min: 1, max: 4 }),
        (bid, half, qty, n) => {
          const arrival = { bid, ask: bid + 2n * half };
          const mid = bid + half;
          const each = qty / BigInt(n);
          const fills = Array.from({ length: n }, (_, i) =>
            fill('1', '1', {
              execId: `e${i}`,
              qty: i === n - 1 ? qty - each * BigInt(n - 1) : each,
              price: mid,
            }),
          );
          const tca = transactionCostsOf(input({ orderQty: qty, arrival, fills, closingPrice: mid + ONE }));
          expect(tca.implementationShortfall?.total).toEqual({ usd: '0', bps: 0 });
          expect(tca.arrivalSlippageBps).toBe(0);
          expect(tca.fillRate).toBe(1);
        },
      ),
    );
  });

  it('a sell mirrored around a price costs what the buy costs', () => {
    const PIVOT = 500n * ONE; // prices stay below $200, so mirrored ones stay positive
    const mirror = (p: bigint) => 2n * PIVOT - p;
    fc.assert(
      fc.property(orders, (buy) => {
        const b = { ...buy, side: 'buy' as const };
        const sell: TcaInput = {
          ...b,
          side: 'sell',
          decisionPrice: b.decisionPrice === null ? null : mirror(b.decisionPrice),
          arrival: b.arrival === null ? null : { bid: mirror(b.arrival.ask), ask: mirror(b.arrival.bid) },
          closingPrice: b.closingPrice === null ? null : mirror(b.closingPrice),
          fills: b.fills.map((f) => ({ ...f, price: mirror(f.price) })),
        };
        const x = shortfallOf(b);
        const y = shortfallOf(sell);
        expect(y === null).toBe(x === null);
        if (x === null || y === null) return;
        expect([y.delay, y.trading, y.opportunity, y.fees, y.total]).toEqual([
          x.delay,
          x.trading,
          x.opportunity,
          x.fees,
          x.total,
        ]);
        const tb = transactionCostsOf(b);
        const ts = transactionCostsOf(sell);
        expect(ts.rule605).toEqual(tb.rule605);
        expect(ts.fillRate).toBe(tb.fillRate);
      }),
    );
  });

  it('the fill rate is in [0, 1] and nothing is NaN', () => {
    fc.assert(
      fc.property(orders, (o) => {
        const tca = transactionCostsOf(o);
        expect(tca.fillRate).not.toBeNull();
        expect(tca.fillRate).toBeGreaterThanOrEqual(0);
        expect(tca.fillRate).toBeLessThanOrEqual(1);
        expect(JSON.stringify(tca)).not.toMatch(/NaN|Infinity/);
      }),
    );
  });
});
