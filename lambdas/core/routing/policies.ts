/**
 * The built-in routing policies (plugins of router.ts; an account picks one, default
 * `best_price`). Both are pure and deterministic: ties fall to a fixed order of keys, the venue
 * name last.
 *
 * `best_price` (best execution first):
 * - Marketable: venues by the price they show on the side the order takes (a buy: lowest ask),
 *   then deeper displayed size (fewer child orders, less of the order shown around), then the
 *   lower taker fee, then the lower latency. A splittable order takes each venue's displayed size
 *   in that order until it is done; what is left beyond every venue's displayed size goes to the
 *   best venue, where it works (a market order walks that book; a limit order rests at its
 *   limit). An order that may not be split goes whole to the best venue.
 * - Resting: where it is likeliest to fill net of fees: the lowest expected cost per share,
 *   `makerFee + (1 - fillRate) x half the NBBO spread` (a rebate lowers it; an order that does not
 *   fill pays the spread later to get done), then the higher fill rate.
 *
 * `cheapest_fee` (lowest explicit cost): the whole order to the venue with the lowest fee for
 * what it does (taker fee when marketable, maker fee when resting), among venues that can take
 * it without trading through its limit; price breaks ties. Never splits.
 */
import { divideHalfEven, type Nanos, ONE } from '../decimal.js';
import {
  type Allocation,
  type PolicyInput,
  type PolicyOutcome,
  policyRegistry,
  type RoutingPolicy,
  takeSideOf,
  takesAsk,
  type VenueCandidate,
} from './router.js';

const cmp = (a: Nanos, b: Nanos): number => (a < b ? -1 : a > b ? 1 : 0);

/** Better price first for the side the order takes (a buy: lower ask). */
function byTakePrice(input: PolicyInput) {
  const buy = takesAsk(input.request.side);
  return (a: VenueCandidate, b: VenueCandidate): number => {
    const pa = takeSideOf(a, input.request.side).price as Nanos;
    const pb = takeSideOf(b, input.request.side).price as Nanos;
    return buy ? cmp(pa, pb) : cmp(pb, pa);
  };
}

function bySizeDesc(input: PolicyInput) {
  return (a: VenueCandidate, b: VenueCandidate): number =>
    cmp(takeSideOf(b, input.request.side).size ?? 0n, takeSideOf(a, input.request.side).size ?? 0n);
}

const byName = (a: VenueCandidate, b: VenueCandidate): number =>
  a.venue < b.venue ? -1 : a.venue > b.venue ? 1 : 0;

function chain<T>(...comparators: ((a: T, b: T) => number)[]) {
  return (a: T, b: T): number => {
    for (const c of comparators) {
      const r = c(a, b);
      if (r !== 0) return r;
    }
    return 0;
  };
}

/** The expected cost per share of resting at `v`: its maker fee plus the spread paid when it does not fill. */
export function restingCostOf(v: VenueCandidate, halfSpread: Nanos): Nanos {
  const missPercent = BigInt(Math.round((1 - Math.min(1, Math.max(0, v.fillRate))) * 1_000_000));
  return v.makerFee + divideHalfEven(halfSpread * missPercent * ONE, 1_000_000n * ONE);
}

function halfSpreadOf(input: PolicyInput): Nanos {
  let bid: Nanos | null = null;
  let ask: Nanos | null = null;
  for (const v of input.request.venues) {
    if (v.down) continue;
    if (v.bid !== null && (bid === null || v.bid > bid)) bid = v.bid;
    if (v.ask !== null && (ask === null || v.ask < ask)) ask = v.ask;
  }
  if (bid === null || ask === null || ask <= bid) return 0n;
  return (ask - bid) / 2n;
}

function whole(input: PolicyInput, v: VenueCandidate, liquidity: 'take' | 'post'): Allocation {
  const { request } = input;
  return {
    venue: v.venue,
    qty: request.qty,
    notional: request.notional,
    limitPrice: request.limitPrice,
    expectedPrice: liquidity === 'take' ? takeSideOf(v, request.side).price : null,
    liquidity,
  };
}

export const bestPrice: RoutingPolicy = {
  name: 'best_price',
  description:
    'best displayed price first, split across venues by displayed size; resting orders where likeliest to fill net of fees',
  route(input: PolicyInput): PolicyOutcome {
    const { request } = input;
    if (!input.marketable) {
      const half = halfSpreadOf(input);
      const ranked = [...input.eligible].sort(
        chain(
          (a, b) => cmp(restingCostOf(a, half), restingCostOf(b, half)),
          (a, b) => b.fillRate - a.fillRate,
          byName,
        ),
      );
      const best = ranked[0] as VenueCandidate;
      return {
        allocations: [whole(input, best, 'post')],
        reason: `rests at ${best.venue}: lowest expected cost per share (maker fee, and the spread when it does not fill)`,
      };
    }
    const ranked = [...input.eligible].sort(
      chain(
        byTakePrice(input),
        bySizeDesc(input),
        (a, b) => cmp(a.takerFee, b.takerFee),
        (a, b) => a.latencyMs - b.latencyMs,
        byName,
      ),
    );
    const best = ranked[0] as VenueCandidate;
    if (!request.splittable || request.qty === null) {
      return {
        allocations: [whole(input, best, 'take')],
        reason: `whole order to ${best.venue}: best price`,
      };
    }
    let left = request.qty;
    const parts: { v: VenueCandidate; qty: Nanos }[] = [];
    for (const v of ranked) {
      if (left === 0n) break;
      const size = takeSideOf(v, request.side).size ?? 0n;
      const take = size < left ? size : left;
      if (take <= 0n) continue;
      parts.push({ v, qty: take });
      left -= take;
    }
    if (left > 0n) {
      const first = parts[0] as { v: VenueCandidate; qty: Nanos };
      first.qty += left;
    }
    const allocations = parts.map(({ v, qty }) => ({
      venue: v.venue,
      qty,
      notional: null,
      limitPrice: request.limitPrice,
      expectedPrice: takeSideOf(v, request.side).price,
      liquidity: 'take' as const,
    }));
    return {
      allocations,
      reason:
        allocations.length === 1
          ? `whole order to ${best.venue}: best price${left > 0n ? ', the rest of the market shows no more within the limit' : ''}`
          : `split over ${allocations.length} venues by price then displayed size; ${left > 0n ? 'the part beyond every displayed size works at the best venue' : 'each takes at most its displayed size'}`,
    };
  },
};

export const cheapestFee: RoutingPolicy = {
  name: 'cheapest_fee',
  description:
    'the whole order to the venue with the lowest fee for what it does (taker or maker), never through the limit',
  route(input: PolicyInput): PolicyOutcome {
    const fee = (v: VenueCandidate) => (input.marketable ? v.takerFee : v.makerFee);
    const ranked = [...input.eligible].sort(
      chain((a, b) => cmp(fee(a), fee(b)), ...(input.marketable ? [byTakePrice(input)] : []), byName),
    );
    const best = ranked[0] as VenueCandidate;
    return {
      allocations: [whole(input, best, input.marketable ? 'take' : 'post')],
      reason: `whole order to ${best.venue}: lowest ${input.marketable ? 'taker' : 'maker'} fee`,
    };
  },
};

export const ROUTING_POLICIES = [bestPrice, cheapestFee] as const;
export const DEFAULT_ROUTING_POLICY = 'best_price';
// Pure (it only indexes the policies by name): a bundle that does not route drops the policies.
export const builtInPolicies = /* @__PURE__ */ policyRegistry(ROUTING_POLICIES);
/**
 * The built-in policies' names, written out (test/core/routing.test.ts checks them against
 * ROUTING_POLICIES): an account's choice is validated against them (orders/risk-context.ts) without
 * loading the policies themselves (issue 12).
 */
export const ROUTING_POLICY_NAMES: readonly string[] = ['best_price', 'cheapest_fee'];
