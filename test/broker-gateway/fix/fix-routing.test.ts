/**
 * A FIX venue of OMS_FIX_VENUES is a venue the router can choose (docs/routing.md, docs/venues.md):
 * it shows the tape's quote and size with its configured fees, and is excluded while it is down.
 */
import { builtInPolicies, decideRoute, nanos } from '../../../lambdas/core/index.js';
import { candidatesOf } from '../../../lambdas/orders/order-routing.js';
import { FIX_VENUES_ENV, fixVenueProfiles, parseFixVenues } from '../../../lambdas/platform/fix-venues.js';
import { consolidate, type VenueHealth } from '../../../lambdas/platform/market-data.js';

const FIXA = { name: 'FIXA', host: '127.0.0.1', port: 9878, senderCompId: 'OMS', targetCompId: 'FIXA' };
const tape = {
  symbol: 'ACME',
  bid: nanos('99.99'),
  ask: nanos('100.01'),
  last: nanos('100'),
  bidSize: nanos('500'),
  askSize: nanos('500'),
  volume: null,
  updatedAt: '2026-12-04T15:00:00.000Z',
  source: null,
  pinned: true,
};

const saved = process.env[FIX_VENUES_ENV];
afterEach(() => {
  if (saved === undefined) delete process.env[FIX_VENUES_ENV];
  else process.env[FIX_VENUES_ENV] = saved;
});

const request = (venues: ReturnType<typeof candidatesOf>) => ({
  side: 'buy' as const,
  type: 'market' as const,
  timeInForce: 'day' as const,
  qty: nanos('10'),
  notional: null,
  limitPrice: null,
  splittable: false,
  now: Date.parse('2026-12-04T15:00:01Z'),
  venues,
});

test('without OMS_FIX_VENUES the router sees only the simulated venues', () => {
  delete process.env[FIX_VENUES_ENV];
  expect(candidatesOf(consolidate('ACME', tape, new Map())).map((c) => c.venue)).toEqual([
    'SIMX',
    'SIMY',
    'SIMZ',
  ]);
});

test('a FIX venue shows the tape with its own fees; the cheapest fee takes the order there', () => {
  process.env[FIX_VENUES_ENV] = JSON.stringify([{ ...FIXA, takerFeePerShare: '0.0005' }]);
  const venues = candidatesOf(consolidate('ACME', tape, new Map()));
  const fix = venues.find((v) => v.venue === 'FIXA');
  expect(fix).toMatchObject({
    bid: nanos('99.99'),
    ask: nanos('100.01'),
    askSize: nanos('500'),
    primary: false,
  });
  const decision = decideRoute(request(venues), 'cheapest_fee', builtInPolicies);
  expect(decision.allocations.map((a) => a.venue)).toEqual(['FIXA']);
});

test('a FIX venue marked down (its session lost) is excluded', () => {
  process.env[FIX_VENUES_ENV] = JSON.stringify([{ ...FIXA, takerFeePerShare: '0.0005' }]);
  const health = new Map<string, VenueHealth>([
    ['FIXA', { down: true, since: '2026-12-04T14:00:00.000Z', failedAt: null, fillRate: null }],
  ]);
  const decision = decideRoute(
    request(candidatesOf(consolidate('ACME', tape, health))),
    'cheapest_fee',
    builtInPolicies,
  );
  expect(decision.allocations.map((a) => a.venue)).not.toContain('FIXA');
  expect(decision.excluded).toContainEqual({ venue: 'FIXA', reason: 'venue_down' });
});

test.each([
  ['not JSON', 'nope', /not JSON/],
  ['a bad name', JSON.stringify([{ ...FIXA, name: 'fix a' }]), /0\.name/],
  ['a bad port', JSON.stringify([{ ...FIXA, port: 70000 }]), /0\.port/],
  ['a duplicate', JSON.stringify([FIXA, FIXA]), /FIXA twice/],
])('OMS_FIX_VENUES with %s is refused naming the field', (_what, raw, message) => {
  expect(() => parseFixVenues(raw)).toThrow(message);
});

test('defaults: fees 0.0030 / -0.0020, 1 ms', () => {
  expect(fixVenueProfiles({ [FIX_VENUES_ENV]: JSON.stringify([FIXA]) })[0]).toMatchObject({
    takerFeePerShare: '0.0030',
    makerFeePerShare: '-0.0020',
    latencyMs: 1,
  });
});
