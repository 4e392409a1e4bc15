import fc from 'fast-check';
import {
  builtInPolicies,
  DEFAULT_ROUTING_POLICY,
  decideRoute,
  FAILURE_COOLDOWN_MS,
  isThroughLimit,
  type Nanos,
  policyRegistry,
  ROUTING_POLICIES,
  ROUTING_POLICY_NAMES,
  type RoutingPolicy,
  type RoutingRequest,
  routingRecordOf,
  signedNanos,
  type VenueCandidate,
  venueCandidatesOf,
} from '../../lambdas/core/index.js';

const NOW = Date.parse('2026-12-04T15:00:00Z');
const n = (v: string) => signedNanos(v);

function venue(name: string, over: Partial<VenueCandidate> = {}): VenueCandidate {
  return {
    venue: name,
    primary: name === 'SIMX',
    bid: n('99.99'),
    ask: n('100.01'),
    bidSize: n('300'),
    askSize: n('300'),
    takerFee: n('0.003'),
    makerFee: n('-0.002'),
    latencyMs: 0,
    fillRate: 1,
    down: false,
    failedAt: null,
    ...over,
  };
}

function request(over: Partial<RoutingRequest> = {}): RoutingRequest {
  return {
    side: 'buy',
    type: 'market',
    timeInForce: 'day',
    qty: n('100'),
    notional: null,
    limitPrice: null,
    splittable: true,
    now: NOW,
    venues: [
      venue('SIMX'),
      venue('SIMY', { askSize: n('200'), bidSize: n('200') }),
      venue('SIMZ', { askSize: n('100'), bidSize: n('100'), takerFee: n('0.001') }),
    ],
    ...over,
  };
}

const summary = (r: RoutingRequest, policy = 'best_price') => {
  const d = decideRoute(r, policy, builtInPolicies);
  return {
    allocations: d.allocations.map(
      (a) =>
        `${a.venue}:${a.qty === null ? `$${a.notional}` : String(a.qty / 1_000_000_000n)}:${a.liquidity}`,
    ),
    excluded: d.excluded.map((e) => `${e.venue}:${e.reason}`),
    reason: d.reason,
  };
};

describe('router: the shared rules and the built-in policies (docs/routing.md)', () => {
  test.each([
    [
      'market buy within the best venue size: whole to the best ask',
      request({ venues: [venue('SIMX'), venue('SIMY', { ask: n('100.00') })] }),
      'best_price',
      ['SIMY:100:take'],
      [],
    ],
    [
      'equal prices: the deeper book wins (fewer children)',
      request({ venues: [venue('SIMY', { askSize: n('200') }), venue('SIMX', { askSize: n('300') })] }),
      'best_price',
      ['SIMX:100:take'],
      [],
    ],
    [
      'larger than the best venue: split by price, each up to its displayed size',
      request({
        qty: n('700'),
        venues: [
          venue('SIMX', { ask: n('100.02'), askSize: n('300') }),
          venue('SIMY', { ask: n('100.01'), askSize: n('200') }),
          venue('SIMZ', { ask: n('100.00'), askSize: n('100') }),
        ],
      }),
      'best_price',
      ['SIMZ:200:take', 'SIMY:200:take', 'SIMX:300:take'],
      [],
    ],
    [
      'not splittable (a bracket entry, a child): whole to the best venue',
      request({
        qty: n('700'),
        splittable: false,
        venues: [venue('SIMX', { ask: n('100.02') }), venue('SIMZ', { ask: n('100.00'), askSize: n('100') })],
      }),
      'best_price',
      ['SIMZ:700:take'],
      [],
    ],
    [
      'marketable limit: a venue beyond the limit is excluded, nothing routes through it',
      request({
        type: 'limit',
        limitPrice: n('100.01'),
        qty: n('500'),
        venues: [
          venue('SIMX', { ask: n('100.02') }),
          venue('SIMY', { ask: n('100.01'), askSize: n('200') }),
          venue('SIMZ', { ask: n('100.00'), askSize: n('100') }),
        ],
      }),
      'best_price',
      ['SIMZ:300:take', 'SIMY:200:take'],
      ['SIMX:beyond_limit'],
    ],
    [
      'down and recently failed venues get nothing',
      request({
        venues: [
          venue('SIMX', { down: true }),
          venue('SIMY', { failedAt: NOW - 1000 }),
          venue('SIMZ', { failedAt: NOW - FAILURE_COOLDOWN_MS }),
        ],
      }),
      'best_price',
      ['SIMZ:100:take'],
      ['SIMX:venue_down', 'SIMY:failed_recently'],
    ],
    [
      'no eligible venue: no allocation, reason no_venue_available',
      request({ venues: [venue('SIMX', { down: true }), venue('SIMY', { askSize: n('0') })] }),
      'best_price',
      [],
      ['SIMX:venue_down', 'SIMY:no_quote'],
    ],
    [
      'auction orders go to the primary only',
      request({ timeInForce: 'opg', type: 'limit', limitPrice: n('90') }),
      'best_price',
      ['SIMX:100:post'],
      ['SIMY:auction_at_primary_only', 'SIMZ:auction_at_primary_only'],
    ],
    [
      'resting buy: lowest expected cost (maker fee + missed fills x half spread)',
      request({
        type: 'limit',
        limitPrice: n('99.00'),
        venues: [
          venue('SIMX', { makerFee: n('-0.002'), fillRate: 1 }),
          venue('SIMY', { makerFee: n('-0.0025'), fillRate: 0.7 }),
          venue('SIMZ', { makerFee: n('0.0005'), fillRate: 0.85 }),
        ],
      }),
      'best_price',
      ['SIMX:100:post'],
      [],
    ],
    [
      'resting, wide rebate gap: the rebate wins when fills are as likely',
      request({
        type: 'limit',
        limitPrice: n('99.00'),
        venues: [
          venue('SIMX', { makerFee: n('-0.002'), fillRate: 0.9 }),
          venue('SIMY', { makerFee: n('-0.0030'), fillRate: 0.9 }),
        ],
      }),
      'best_price',
      ['SIMY:100:post'],
      [],
    ],
    [
      'cheapest_fee, marketable: lowest taker fee, even at a worse price',
      request({ venues: [venue('SIMX', { ask: n('100.00') }), venue('SIMZ', { takerFee: n('0.001') })] }),
      'cheapest_fee',
      ['SIMZ:100:take'],
      [],
    ],
    [
      'cheapest_fee, resting: the best maker rebate',
      request({
        type: 'limit',
        limitPrice: n('99'),
        venues: [venue('SIMX'), venue('SIMY', { makerFee: n('-0.0025') })],
      }),
      'cheapest_fee',
      ['SIMY:100:post'],
      [],
    ],
    [
      'notional order: whole, never split',
      request({ qty: null, notional: n('50000') }),
      'best_price',
      ['SIMX:$50000000000000:take'],
      [],
    ],
    [
      'sell takes the highest bid',
      request({
        side: 'sell',
        venues: [venue('SIMX', { bid: n('99.98') }), venue('SIMY', { bid: n('99.99') })],
      }),
      'best_price',
      ['SIMY:100:take'],
      [],
    ],
  ])('%s', (_name, req, policy, allocations, excluded) => {
    const s = summary(req, policy);
    expect(s.allocations).toEqual(allocations);
    expect(s.excluded).toEqual(excluded);
  });

  test('an unknown policy is a configuration error, not a silent default', () => {
    expect(() => decideRoute(request(), 'fastest', builtInPolicies)).toThrow(
      'unknown routing policy fastest',
    );
  });

  test('a plugin cannot break the contract: more than the order, an excluded venue', () => {
    const greedy: RoutingPolicy = {
      name: 'greedy',
      description: 'sends double',
      route: ({ request: r }) => ({
        allocations: [
          {
            venue: 'SIMX',
            qty: (r.qty as Nanos) * 2n,
            notional: null,
            limitPrice: null,
            expectedPrice: null,
            liquidity: 'take',
          },
        ],
        reason: 'x',
      }),
    };
    const toDown: RoutingPolicy = {
      name: 'to_down',
      description: 'sends to a down venue',
      route: ({ request: r }) => ({
        allocations: [
          {
            venue: 'SIMY',
            qty: r.qty,
            notional: null,
            limitPrice: null,
            expectedPrice: null,
            liquidity: 'take',
          },
        ],
        reason: 'x',
      }),
    };
    const registry = builtInPolicies.with(greedy).with(toDown);
    expect(() => decideRoute(request(), 'greedy', registry)).toThrow('more than the order quantity');
    expect(() =>
      decideRoute(request({ venues: [venue('SIMX'), venue('SIMY', { down: true })] }), 'to_down', registry),
    ).toThrow('SIMY is not eligible');
  });

  test('a recorded decision replays to the same allocation', () => {
    const req = request({ qty: n('650') });
    const d = decideRoute(req, 'best_price', builtInPolicies);
    const record = routingRecordOf(req, d, ['c1', 'c2', 'c3']);
    const again = decideRoute({ ...req, venues: venueCandidatesOf(record) }, record.policy, builtInPolicies);
    expect(again).toEqual(d);
    expect(JSON.parse(JSON.stringify(record))).toEqual(record);
  });
});

// --- properties: every policy, any market ----------------------------------------------------

const cents = (lo: number, hi: number) =>
  fc.integer({ min: lo, max: hi }).map((c) => BigInt(c) * 10_000_000n);
const lots = fc.integer({ min: 0, max: 10 }).map((l) => BigInt(l) * 100n * 1_000_000_000n);

const candidate = (name: string) =>
  fc
    .record({
      bid: cents(9_000, 10_000),
      spread: cents(1, 20),
      bidSize: lots,
      askSize: lots,
      takerFee: fc.integer({ min: -10, max: 30 }).map((x) => BigInt(x) * 100_000n),
      makerFee: fc.integer({ min: -30, max: 10 }).map((x) => BigInt(x) * 100_000n),
      latencyMs: fc.integer({ min: 0, max: 50 }),
      fillRate: fc.double({ min: 0, max: 1, noNaN: true }),
      down: fc.boolean(),
      failedAgoMs: fc.option(fc.integer({ min: 0, max: 60_000 })),
    })
    .map(
      (r): VenueCandidate => ({
        venue: name,
        primary: name === 'SIMX',
        bid: r.bid,
        ask: r.bid + r.spread,
        bidSize: r.bidSize,
        askSize: r.askSize,
        takerFee: r.takerFee,
        makerFee: r.makerFee,
        latencyMs: r.latencyMs,
        fillRate: r.fillRate,
        down: r.down,
        failedAt: r.failedAgoMs === null ? null : NOW - r.failedAgoMs,
      }),
    );

const arbitraryRequest = fc
  .record({
    side: fc.constantFrom('buy' as const, 'sell' as const),
    type: fc.constantFrom('market' as const, 'limit' as const),
    timeInForce: fc.constantFrom('day' as const, 'gtc' as const, 'ioc' as const, 'opg' as const),
    qty: fc.integer({ min: 1, max: 5_000 }).map((q) => BigInt(q) * 1_000_000_000n),
    limit: cents(8_900, 10_100),
    splittable: fc.boolean(),
    venues: fc.tuple(candidate('SIMX'), candidate('SIMY'), candidate('SIMZ')),
    rejectedBy: fc.subarray(['SIMX', 'SIMY', 'SIMZ']),
  })
  .map(
    (r): RoutingRequest => ({
      side: r.side,
      type: r.type,
      timeInForce: r.timeInForce,
      qty: r.qty,
      notional: null,
      limitPrice: r.type === 'limit' ? r.limit : null,
      splittable: r.splittable,
      now: NOW,
      venues: r.venues,
      rejectedBy: r.rejectedBy,
    }),
  );

describe('router properties (every built-in policy)', () => {
  test('ROUTING_POLICY_NAMES names the built-in policies, in order, the default among them', () => {
    expect(ROUTING_POLICY_NAMES).toEqual(ROUTING_POLICIES.map((p) => p.name));
    expect(builtInPolicies.names).toEqual(ROUTING_POLICY_NAMES);
    expect(ROUTING_POLICY_NAMES).toContain(DEFAULT_ROUTING_POLICY);
  });

  test.each(ROUTING_POLICY_NAMES.map((p) => [p]))(
    '%s: never more than the order, never through the limit, never a down venue nor one that rejected the order',
    (policy) => {
      fc.assert(
        fc.property(arbitraryRequest, (req) => {
          const d = decideRoute(req, policy, builtInPolicies);
          const total = d.allocations.reduce((s, a) => s + (a.qty ?? 0n), 0n);
          expect(total <= (req.qty as Nanos)).toBe(true);
          if (d.allocations.length > 0) expect(total).toBe(req.qty);
          const byName = new Map(req.venues.map((v) => [v.venue, v]));
          for (const a of d.allocations) {
            const v = byName.get(a.venue) as VenueCandidate;
            expect(v.down).toBe(false);
            expect(req.rejectedBy).not.toContain(a.venue);
            if (v.failedAt !== null) expect(NOW - v.failedAt >= FAILURE_COOLDOWN_MS).toBe(true);
            if (a.expectedPrice !== null)
              expect(isThroughLimit(req.side, a.expectedPrice, req.limitPrice)).toBe(false);
            expect(a.limitPrice).toBe(req.limitPrice);
          }
          if (!req.splittable) expect(d.allocations.length <= 1).toBe(true);
          // Deterministic: the same inputs, the same decision.
          expect(decideRoute(req, policy, builtInPolicies)).toEqual(d);
        }),
        { numRuns: 500 },
      );
    },
  );

  test('best_price: a split order fills every venue it uses at its shown price first, best price first', () => {
    fc.assert(
      fc.property(arbitraryRequest, (req) => {
        const d = decideRoute(req, 'best_price', builtInPolicies);
        if (!d.marketable || d.allocations.length < 2) return;
        const prices = d.allocations.map((a) => a.expectedPrice as Nanos);
        for (let i = 1; i < prices.length; i++) {
          const better =
            req.side === 'buy'
              ? (prices[i - 1] as Nanos) <= (prices[i] as Nanos)
              : (prices[i - 1] as Nanos) >= (prices[i] as Nanos);
          expect(better).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('a registry is a value: adding a policy does not change the built-ins', () => {
    const extra = policyRegistry([]).with({
      name: 'x',
      description: 'x',
      route: () => ({ allocations: [], reason: 'x' }),
    });
    expect(extra.names).toEqual(['x']);
    expect(builtInPolicies.names).toEqual(['best_price', 'cheapest_fee']);
  });
});
