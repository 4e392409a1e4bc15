/**
 * An order's TCA from its state (core order-tca.ts), slippage thresholds (core slippage.ts) and the
 * simulated venues' books (core venues.ts): table-driven, hand-computed.
 */
import fc from 'fast-check';
import {
  decide,
  evolve,
  executionRecordsOf,
  feeOf,
  isAnalysed,
  type MarketQuote,
  nanos,
  needsMarketAtClose,
  type OrderCommand,
  type OrderEvent,
  type OrderState,
  orderTcaOf,
  type RoutingDecisionRecord,
  rollingWindowOf,
  slippageBreachesOf,
  strategyTagOf,
  thresholdsFor,
  VENUE_PROFILES,
  venueQuoteOf,
  venueQuotesOf,
} from '../../lambdas/core/index.js';

const T0 = Date.parse('2026-12-04T15:00:00.000Z');

function run(
  commands: readonly OrderCommand[],
  spec: Record<string, unknown> = {},
  against: Record<string, unknown> = {},
): OrderState {
  let state: OrderState | undefined;
  let now = T0;
  const apply = (events: readonly OrderEvent[]) => {
    for (const e of events) state = evolve(state, e);
  };
  const submitted = decide(
    undefined,
    {
      type: 'submit',
      orderId: 'o-1',
      accountId: 'acct-1',
      order: {
        symbol: 'ACME',
        qty: '100',
        notional: null,
        side: 'buy',
        type: 'market',
        timeInForce: 'day',
        limitPrice: null,
        stopPrice: null,
        trailPrice: null,
        trailPercent: null,
        extendedHours: false,
        clientOrderId: null,
        orderClass: 'simple',
        takeProfit: null,
        stopLoss: null,
        positionIntent: null,
        advancedInstructions: null,
        ...spec,
      } as never,
      acceptedAgainst: {
        limits: {
          maxOrderQty: null,
          maxOrderNotional: null,
          priceCollarPercent: null,
          restrictedSymbols: [],
          duplicateWindowSeconds: null,
          maxOrdersPerSecond: null,
        },
        referencePrice: '10',
        buyingPower: null,
        quote: { bid: '9.99', ask: '10.01' },
        ...against,
      },
    },
    now,
  );
  if (!submitted.ok) throw new Error(submitted.refusal.message);
  apply(submitted.events);
  for (const c of commands) {
    now += 1000;
    const d = decide(state, c, now);
    if (!d.ok) throw new Error(`${c.type}: ${d.refusal.message}`);
    apply(d.events);
  }
  return state as OrderState;
}

const direct = (venue: string): OrderCommand => ({
  type: 'route',
  decision: {
    policy: 'best_price',
    marketable: true,
    nbbo: { bid: '9.99', ask: '10.01' },
    venues: [],
    excluded: [],
    allocations: [
      {
        venue,
        qty: '100',
        notional: null,
        limitPrice: null,
        expectedPrice: '10.01',
        liquidity: 'take',
        childOrderId: null,
      },
    ],
    reason: 'x',
  } satisfies RoutingDecisionRecord,
});
const fill = (execId: string, qty: string, px: string, venue: string, fee: string): OrderCommand => ({
  type: 'fill',
  execId,
  lastQty: qty,
  lastPx: px,
  venue,
  fee,
  liquidity: 'removed',
});

describe('orderTcaOf: an order closed, from its state', () => {
  test('a market buy filled at two prices at one venue: arrival slippage, shortfall parts, fees, venue mix (hand-computed)', () => {
    const state = run([
      direct('SIMX'),
      { type: 'accept' },
      fill('e1', '60', '10.01', 'SIMX', '0.18'),
      fill('e2', '40', '10.02', 'SIMX', '0.12'),
    ]);
    expect(needsMarketAtClose(state)).toBe(false);
    const tca = orderTcaOf(state, null);
    // avg = (60 x 10.01 + 40 x 10.02) / 100 = 10.014; mid 10.00; slippage 0.014 / 10 = 14 bps.
    expect(tca).toMatchObject({
      orderId: 'o-1',
      routing: 'direct',
      status: 'filled',
      arrival: { bid: '9.99', ask: '10.01', mid: '10' },
      decisionPrice: '10',
      decisionPriceSource: 'arrival_mid',
      avgPrice: '10.014',
      fillRate: 1,
      arrivalSlippageBps: 14,
      allocations: [{ venue: 'SIMX', qty: '100' }],
    });
    // Trading = 60 x 0.01 + 40 x 0.02 = 1.40; fees 0.30; delay and opportunity 0; total 1.70 of $1000 = 17 bps.
    expect(tca?.implementationShortfall).toMatchObject({
      total: { usd: '1.7', bps: 17 },
      trading: { usd: '1.4', bps: 14 },
      fees: { usd: '0.3', bps: 3 },
      opportunity: { usd: '0' },
    });
    expect(tca?.venues).toEqual([
      { venue: 'SIMX', qty: '100', shareOfFilled: 1, fees: '0.3', avgPrice: '10.014', fills: 2 },
    ]);
    expect(tca?.timings.timeToFirstFillMs).toBe(3000);
  });

  test('a client decision price: the delay is measured from it', () => {
    const state = run(
      [direct('SIMX'), { type: 'accept' }, fill('e1', '100', '10.01', 'SIMX', '0')],
      {},
      { decisionPrice: '9.95' },
    );
    const tca = orderTcaOf(state, null);
    // Delay = 100 x (10.00 - 9.95) = 5; trading = 100 x 0.01 = 1; paper 995: total 6.
    expect(tca).toMatchObject({ decisionPrice: '9.95', decisionPriceSource: 'client' });
    expect(tca?.implementationShortfall).toMatchObject({
      delay: { usd: '5' },
      trading: { usd: '1' },
      total: { usd: '6' },
    });
  });

  test('canceled after a partial fill: the market at the close values the rest (opportunity cost)', () => {
    const state = run([
      direct('SIMY'),
      { type: 'accept' },
      fill('e1', '30', '10.01', 'SIMY', '0.09'),
      { type: 'requestCancel', requestedBy: 'client' },
      { type: 'confirmCancel' },
    ]);
    expect(needsMarketAtClose(state)).toBe(true);
    const tca = orderTcaOf(state, { bid: nanos('10.09'), ask: nanos('10.11'), volume: null });
    // Opportunity = 70 x (10.10 - 10.00) = 7; trading 30 x 0.01 = 0.30; fees 0.09: total 7.39.
    expect(tca).toMatchObject({ status: 'canceled', fillRate: 0.3, filledQty: '30' });
    expect(tca?.implementationShortfall).toMatchObject({
      opportunity: { usd: '7' },
      trading: { usd: '0.3' },
      fees: { usd: '0.09' },
      total: { usd: '7.39' },
      closingPrice: '10.1',
    });
  });

  test('an open order, and a child of a split parent, have no TCA', () => {
    expect(orderTcaOf(run([direct('SIMX'), { type: 'accept' }]), null)).toBeNull();
    const child = run([], {}, {});
    const asChild: OrderState = {
      ...child,
      phase: 'canceled',
      contingency: {
        groupId: 'p',
        orderClass: 'algo',
        role: 'algo_child',
        parentOrderId: 'p',
        legOrderIds: [],
        held: false,
      },
    };
    expect(isAnalysed(asChild)).toBe(false);
    expect(orderTcaOf(asChild, null)).toBeNull();
  });

  test('a split order: one report record per venue it was sent to, with that venue fills', () => {
    const split: OrderCommand = {
      type: 'route',
      decision: {
        policy: 'best_price',
        marketable: true,
        nbbo: { bid: '9.99', ask: '10.01' },
        venues: [],
        excluded: [],
        allocations: [
          {
            venue: 'SIMX',
            qty: '70',
            notional: null,
            limitPrice: null,
            expectedPrice: '10.01',
            liquidity: 'take',
            childOrderId: 'c1',
          },
          {
            venue: 'SIMZ',
            qty: '30',
            notional: null,
            limitPrice: null,
            expectedPrice: '10.01',
            liquidity: 'take',
            childOrderId: 'c2',
          },
        ],
        reason: 'split',
      },
    };
    const state = run([
      split,
      { ...(fill('c1:2', '70', '10.01', 'SIMX', '0.21') as object), childOrderId: 'c1' } as OrderCommand,
      { ...(fill('c2:2', '30', '10.01', 'SIMZ', '0.03') as object), childOrderId: 'c2' } as OrderCommand,
    ]);
    const tca = orderTcaOf(state, null);
    expect(tca).toMatchObject({ routing: 'split', status: 'filled', fillRate: 1 });
    const records = executionRecordsOf(tca as NonNullable<typeof tca>);
    expect(records.map((r) => [r.venue, String(r.qty / 1_000_000_000n), r.fills.length])).toEqual([
      ['SIMX', '70', 1],
      ['SIMZ', '30', 1],
    ]);
  });
});

describe('slippage thresholds (core slippage.ts)', () => {
  test.each([
    ['no thresholds', undefined, 'momo:1', null],
    ['the account', { arrivalBps: 5 }, 'momo:1', { arrivalBps: 5, scope: 'account' }],
    [
      'a strategy overrides the account',
      { arrivalBps: 5, strategies: { momo: { shortfallBps: 20 } } },
      'momo:1',
      { shortfallBps: 20, scope: 'strategy:momo' },
    ],
    [
      'another strategy: the account',
      { arrivalBps: 5, strategies: { momo: { arrivalBps: 1 } } },
      'mr:1',
      { arrivalBps: 5, scope: 'account' },
    ],
    ['no tag (no colon)', { strategies: { momo: { arrivalBps: 1 } } }, 'momo-1', null],
  ])('%s', (_name, account, clientOrderId, expected) => {
    expect(thresholdsFor(account, clientOrderId)).toEqual(expected);
  });

  test('strategy tags', () => {
    expect([
      strategyTagOf('a:b:c'),
      strategyTagOf(':x'),
      strategyTagOf(null),
      strategyTagOf('plain'),
    ]).toEqual(['a', null, null, null]);
  });

  test.each([
    ['arrival beyond', 12, 20, { arrivalBps: 10, scope: 'account' }, ['arrival_slippage']],
    ['at the threshold: no breach', 10, 20, { arrivalBps: 10, scope: 'account' }, []],
    ['shortfall beyond', 1, 30.5, { shortfallBps: 30, scope: 'strategy:x' }, ['implementation_shortfall']],
    [
      'both',
      11,
      31,
      { arrivalBps: 10, shortfallBps: 30, scope: 'account' },
      ['arrival_slippage', 'implementation_shortfall'],
    ],
    [
      'an unknown measure never breaches',
      null,
      null,
      { arrivalBps: 0, shortfallBps: 0, scope: 'account' },
      [],
    ],
  ])('%s', (_name, arrival, shortfall, limits, measures) => {
    const breaches = slippageBreachesOf(
      {
        arrivalSlippageBps: arrival,
        implementationShortfall:
          shortfall === null ? null : ({ total: { usd: '1', bps: shortfall } } as never),
      },
      limits,
    );
    expect(breaches.map((b) => b.measure)).toEqual(measures);
  });
});

describe('the simulated venues books (core venues.ts)', () => {
  const tape = (
    bid: string,
    ask: string,
    size = '1000',
    updatedAt = '2026-12-04T15:00:00.000Z',
  ): MarketQuote => ({
    symbol: 'ACME',
    bid: nanos(bid),
    ask: nanos(ask),
    last: nanos(bid),
    bidSize: nanos(size),
    askSize: nanos(size),
    volume: null,
    updatedAt,
    source: null,
  });

  test('the primary venue quotes the tape; a pinned tape is every venue prices; a venue down quotes nothing', () => {
    const [x, y, z] = VENUE_PROFILES;
    const t = tape('10.00', '10.02');
    expect(venueQuoteOf(t, x as never)).toMatchObject({
      bid: t.bid,
      ask: t.ask,
      askSize: t.askSize,
      source: 'SIMX',
    });
    for (const p of [y, z])
      expect(venueQuoteOf(t, p as never, true)).toMatchObject({ bid: t.bid, ask: t.ask });
    expect(venueQuotesOf(t, new Map([['SIMY', { down: true, since: null }]])).map((q) => q.source)).toEqual([
      'SIMX',
      'SIMZ',
    ]);
  });

  test('property: every book is one tick around the tape at most, never crossed, sizes whole shares within their share', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 100, max: 50_000 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 0, max: 1e9 }),
        (bidCents, spread, lots, t) => {
          const bid = (bidCents / 100).toFixed(2);
          const ask = ((bidCents + spread) / 100).toFixed(2);
          const q = tape(bid, ask, String(lots * 100), new Date(T0 + t).toISOString());
          for (const v of venueQuotesOf(q)) {
            expect((v.bid as bigint) < (v.ask as bigint)).toBe(true);
            expect(Math.abs(Number((v.bid as bigint) - (q.bid as bigint)))).toBeLessThanOrEqual(10_000_000);
            expect(Math.abs(Number((v.ask as bigint) - (q.ask as bigint)))).toBeLessThanOrEqual(10_000_000);
            expect((v.askSize as bigint) % 1_000_000_000n).toBe(0n);
            expect(
              (v.askSize as bigint) <= ((q.askSize as bigint) * 3n) / 2n ||
                (v.askSize as bigint) === 1_000_000_000n,
            ).toBe(true);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  test.each([
    ['taker 0.0030 x 100', '100', '0.0030', '0.3'],
    ['a rebate is negative', '100', '-0.0020', '-0.2'],
    ['half-even at the nano-dollar: 0.000999999999 -> 0.001', '0.333333333', '0.003', '0.001'],
  ])('feeOf: %s', (_name, qty, rate, fee) => {
    const out = feeOf(nanos(qty), rate);
    expect(out < 0n ? `-${Number(-out) / 1e9}` : String(Number(out) / 1e9)).toBe(fee);
  });
});

describe('slippage over a rolling window (core slippage.ts rollingWindowOf)', () => {
  const w = { orders: 3, arrivalBps: 5, shortfallBps: 20 };
  const e = (orderId: string, arrivalBps: number | null, shortfallBps: number | null = null) => ({
    orderId,
    arrivalBps,
    shortfallBps,
  });
  test.each([
    ['not full yet: no breach however high', [e('a', 50)], e('b', 50), ['a', 'b'], []],
    [
      'full, average 6 > 5: arrival breach',
      [e('a', 4), e('b', 8)],
      e('c', 6),
      ['a', 'b', 'c'],
      ['arrival_slippage:6'],
    ],
    ['full, average at the threshold: none', [e('a', 5), e('b', 5)], e('c', 5), ['a', 'b', 'c'], []],
    [
      'the oldest leaves: average of the last three',
      [e('a', 90), e('b', 1), e('c', 1)],
      e('d', 1),
      ['b', 'c', 'd'],
      [],
    ],
    [
      'unknown measures are left out of the average',
      [e('a', null, 30), e('b', 7, 30)],
      e('c', 7, 30),
      ['a', 'b', 'c'],
      ['arrival_slippage:7', 'implementation_shortfall:30'],
    ],
  ])('%s', (_name, before, entry, ids, breaches) => {
    const out = rollingWindowOf(before, entry, w);
    expect(out.entries.map((x) => x.orderId)).toEqual(ids);
    expect(out.breaches.map((b) => `${b.measure}:${b.valueBps}`)).toEqual(breaches);
    for (const b of out.breaches) expect(b).toMatchObject({ scope: 'account:window', windowOrders: 3 });
  });

  test('a redelivered close is not counted twice', () => {
    const out = rollingWindowOf([e('a', 9), e('b', 9), e('c', 9)], e('c', 9), w);
    expect(out).toEqual({ entries: [e('a', 9), e('b', 9), e('c', 9)], breaches: [], added: false });
  });

  test('the window travels with the thresholds, whatever the strategy', () => {
    expect(thresholdsFor({ window: { orders: 500 } }, 'x:1')).toEqual({
      scope: 'account',
      window: { orders: 100 },
    });
    expect(thresholdsFor({ window: { orders: 3 }, strategies: { x: { arrivalBps: 1 } } }, 'x:1')).toEqual({
      arrivalBps: 1,
      scope: 'strategy:x',
      window: { orders: 3 },
    });
  });
});
