/**
 * Smart order routing: which venue(s) an order goes to, how much at each, at what price. Pure:
 * quotes, fees, health and the time come in; a decision comes out, holding everything it was made
 * from (the `OrderRouted` event records it whole, so any routing can be replayed and explained).
 *
 * The shared rules (`decideRoute`), whatever the policy:
 * - Eligibility first, each exclusion with its reason: a venue the market shows down (`venue_down`),
 *   one the OMS saw fail within `FAILURE_COOLDOWN_MS` (`failed_recently`: Reg NMS self-help in
 *   spirit), one that rejected a child of this order when its remainder is routed again
 *   (`rejected_this_order`), a non-primary venue for an auction order (`auction_at_primary_only`: opg and cls
 *   execute in the listing market's auction), and for a marketable order a venue with no price on
 *   the side it takes (`no_quote`) or whose price is through the order's limit (`beyond_limit`).
 * - Marketable: a market order, or a limit (stop-limit) order whose limit reaches the NBBO's far
 *   side. Anything else rests (stops wait for their trigger at the venue).
 * - The policy (a plugin, chosen per account) orders the eligible venues and allocates.
 * - The allocation is then checked (`checkAllocations`): never more than the order's quantity,
 *   never a venue that was excluded, never a price through the limit. A plugin cannot break them.
 * - No eligible venue: no allocation (`no_venue_available`), and the order is rejected with that
 *   reason rather than sent where it cannot trade.
 */
import { formatNanos, type Nanos, nanos, signedNanos } from '../decimal.js';
import type { OrderType, Side, TimeInForce } from '../order-request.js';

/** How long a venue the OMS saw fail is skipped. */
export const FAILURE_COOLDOWN_MS = 30_000;

/** A venue as the router sees it: its quote, fees, speed, recent fill rate, health. */
export interface VenueCandidate {
  readonly venue: string;
  readonly primary: boolean;
  /** Its quote; null prices when it shows none. */
  readonly bid: Nanos | null;
  readonly ask: Nanos | null;
  readonly bidSize: Nanos | null;
  readonly askSize: Nanos | null;
  /** Dollars per share (negative: a rebate). */
  readonly takerFee: Nanos;
  readonly makerFee: Nanos;
  readonly latencyMs: number;
  /** Recent share of resting orders the market reached that filled (0..1). */
  readonly fillRate: number;
  /** The market shows the venue down (its quote withdrawn). */
  readonly down: boolean;
  /** The last failure the OMS saw at the venue (epoch ms), if any. */
  readonly failedAt: number | null;
}

export interface RoutingRequest {
  readonly side: Side;
  readonly type: OrderType;
  readonly timeInForce: TimeInForce;
  readonly qty: Nanos | null;
  readonly notional: Nanos | null;
  /** The limit the order must not trade through (a limit or stop-limit order's). */
  readonly limitPrice: Nanos | null;
  /** A simple, top-level order: it may be split into child orders across venues. */
  readonly splittable: boolean;
  readonly now: number;
  readonly venues: readonly VenueCandidate[];
  /** Venues that rejected this order's children: a re-route of the remainder does not go back. */
  readonly rejectedBy?: readonly string[];
}

export type ExclusionReason =
  | 'venue_down'
  | 'failed_recently'
  | 'rejected_this_order'
  | 'auction_at_primary_only'
  | 'no_quote'
  | 'beyond_limit';

export interface Exclusion {
  readonly venue: string;
  readonly reason: ExclusionReason;
}

export interface Allocation {
  readonly venue: string;
  /** Shares sent there (null: a notional order, sent whole). */
  readonly qty: Nanos | null;
  readonly notional: Nanos | null;
  /** The child's limit (the order's own); null for a market order. */
  readonly limitPrice: Nanos | null;
  /** The price the venue shows for this quantity now (null: resting, or no quote). */
  readonly expectedPrice: Nanos | null;
  /** `take`: trades on arrival against the venue's displayed size; `post`: rests there. */
  readonly liquidity: 'take' | 'post';
}

/** What a policy sees: the request, whether it is marketable, and the eligible venues. */
export interface PolicyInput {
  readonly request: RoutingRequest;
  readonly marketable: boolean;
  /** Eligible venues, in input order. */
  readonly eligible: readonly VenueCandidate[];
}

export interface PolicyOutcome {
  readonly allocations: readonly Allocation[];
  /** Why these venues, in a sentence a reviewer reads. */
  readonly reason: string;
}

/** A routing policy: pure, deterministic, registered by name (accounts choose one). */
export interface RoutingPolicy {
  readonly name: string;
  readonly description: string;
  route(input: PolicyInput): PolicyOutcome;
}

export interface RoutingDecision {
  readonly policy: string;
  readonly marketable: boolean;
  readonly nbbo: { readonly bid: Nanos | null; readonly ask: Nanos | null };
  readonly allocations: readonly Allocation[];
  readonly excluded: readonly Exclusion[];
  readonly reason: string;
}

/** The side of the book an order takes: a buy lifts offers. */
export const takesAsk = (side: Side): boolean => side === 'buy';

/** The venue's price and size on the side the order takes. */
export function takeSideOf(v: VenueCandidate, side: Side): { price: Nanos | null; size: Nanos | null } {
  return takesAsk(side) ? { price: v.ask, size: v.askSize } : { price: v.bid, size: v.bidSize };
}

/** Through the limit: a buy above it, a sell below it. */
export function isThroughLimit(side: Side, price: Nanos, limit: Nanos | null): boolean {
  if (limit === null) return false;
  return takesAsk(side) ? price > limit : price < limit;
}

function nbboOf(venues: readonly VenueCandidate[]): { bid: Nanos | null; ask: Nanos | null } {
  let bid: Nanos | null = null;
  let ask: Nanos | null = null;
  for (const v of venues) {
    if (v.down) continue;
    if (v.bid !== null && (bid === null || v.bid > bid)) bid = v.bid;
    if (v.ask !== null && (ask === null || v.ask < ask)) ask = v.ask;
  }
  return { bid, ask };
}

/** Marketable now: a market order, or a limit order whose limit reaches the NBBO's far side. */
export function isMarketable(
  request: Pick<RoutingRequest, 'side' | 'type' | 'limitPrice'>,
  nbbo: { bid: Nanos | null; ask: Nanos | null },
): boolean {
  if (request.type === 'market') return true;
  if (request.type !== 'limit') return false;
  const far = takesAsk(request.side) ? nbbo.ask : nbbo.bid;
  if (far === null || request.limitPrice === null) return false;
  return !isThroughLimit(request.side, far, request.limitPrice);
}

/** Why `v` cannot take this order, or null when it can. */
function exclusionOf(
  request: RoutingRequest,
  marketable: boolean,
  v: VenueCandidate,
): ExclusionReason | null {
  if (v.down) return 'venue_down';
  if (v.failedAt !== null && request.now - v.failedAt < FAILURE_COOLDOWN_MS) return 'failed_recently';
  if (request.rejectedBy?.includes(v.venue) === true) return 'rejected_this_order';
  if ((request.timeInForce === 'opg' || request.timeInForce === 'cls') && !v.primary)
    return 'auction_at_primary_only';
  if (marketable) {
    const { price, size } = takeSideOf(v, request.side);
    if (price === null || size === null || size <= 0n) return 'no_quote';
    if (isThroughLimit(request.side, price, request.limitPrice)) return 'beyond_limit';
  }
  return null;
}

/** A policy's allocation broke a rule every routing keeps. */
export class RoutingContractViolation extends Error {
  constructor(policy: string, message: string) {
    super(`routing policy ${policy}: ${message}`);
    this.name = 'RoutingContractViolation';
  }
}

/** The rules no policy may break (the property tests hold every built-in policy to them too). */
export function checkAllocations(
  policy: string,
  request: RoutingRequest,
  eligible: readonly VenueCandidate[],
  allocations: readonly Allocation[],
): void {
  const names = new Set(eligible.map((v) => v.venue));
  let shares = 0n;
  let notional = 0n;
  const seen = new Set<string>();
  for (const a of allocations) {
    if (!names.has(a.venue)) throw new RoutingContractViolation(policy, `${a.venue} is not eligible`);
    if (seen.has(a.venue)) throw new RoutingContractViolation(policy, `${a.venue} allocated twice`);
    seen.add(a.venue);
    if (a.qty !== null) {
      if (a.qty <= 0n) throw new RoutingContractViolation(policy, `${a.venue}: quantity must be positive`);
      shares += a.qty;
    }
    if (a.notional !== null) notional += a.notional;
    if (a.limitPrice !== request.limitPrice && !(a.limitPrice === null && request.limitPrice === null))
      throw new RoutingContractViolation(policy, `${a.venue}: the child keeps the order's limit`);
    if (a.expectedPrice !== null && isThroughLimit(request.side, a.expectedPrice, request.limitPrice))
      throw new RoutingContractViolation(policy, `${a.venue}: routes through the limit`);
  }
  if (request.qty !== null && shares > request.qty)
    throw new RoutingContractViolation(policy, 'allocates more than the order quantity');
  if (request.qty !== null && allocations.length > 0 && shares !== request.qty)
    throw new RoutingContractViolation(policy, 'must allocate the whole order');
  if (request.notional !== null && allocations.length > 0 && notional !== request.notional)
    throw new RoutingContractViolation(policy, 'must allocate the whole notional');
  if (!request.splittable && allocations.length > 1)
    throw new RoutingContractViolation(policy, 'this order may not be split');
}

export interface PolicyRegistry {
  readonly names: readonly string[];
  get(name: string): RoutingPolicy | undefined;
  with(policy: RoutingPolicy): PolicyRegistry;
}

export function policyRegistry(policies: readonly RoutingPolicy[]): PolicyRegistry {
  const byName = new Map(policies.map((p) => [p.name, p]));
  return {
    names: [...byName.keys()],
    get: (name) => byName.get(name),
    with: (policy) => policyRegistry([...byName.values(), policy]),
  };
}

/** The routing decision for `request` under `policyName` (unknown policy: throws, a configuration error). */
export function decideRoute(
  request: RoutingRequest,
  policyName: string,
  registry: PolicyRegistry,
): RoutingDecision {
  const policy = registry.get(policyName);
  if (policy === undefined) throw new Error(`unknown routing policy ${policyName}`);
  const nbbo = nbboOf(request.venues);
  const marketable = isMarketable(request, nbbo);
  const excluded: Exclusion[] = [];
  const eligible: VenueCandidate[] = [];
  for (const v of request.venues) {
    const reason = exclusionOf(request, marketable, v);
    if (reason === null) eligible.push(v);
    else excluded.push({ venue: v.venue, reason });
  }
  if (eligible.length === 0)
    return { policy: policy.name, marketable, nbbo, allocations: [], excluded, reason: 'no_venue_available' };
  const outcome = policy.route({ request, marketable, eligible });
  checkAllocations(policy.name, request, eligible, outcome.allocations);
  return {
    policy: policy.name,
    marketable,
    nbbo,
    allocations: outcome.allocations,
    excluded,
    reason: outcome.reason,
  };
}

/** The decision as the `OrderRouted` event keeps it: decimals as canonical text. */
export interface RoutingDecisionRecord {
  readonly policy: string;
  readonly marketable: boolean;
  readonly nbbo: { readonly bid: string | null; readonly ask: string | null };
  readonly venues: readonly {
    readonly venue: string;
    readonly primary: boolean;
    readonly bid: string | null;
    readonly ask: string | null;
    readonly bidSize: string | null;
    readonly askSize: string | null;
    readonly takerFee: string;
    readonly makerFee: string;
    readonly latencyMs: number;
    readonly fillRate: number;
    readonly down: boolean;
    readonly failedAt: string | null;
  }[];
  readonly excluded: readonly Exclusion[];
  readonly allocations: readonly {
    readonly venue: string;
    readonly qty: string | null;
    readonly notional: string | null;
    readonly limitPrice: string | null;
    readonly expectedPrice: string | null;
    readonly liquidity: 'take' | 'post';
    /** The child order placed for it (a split order); null when the order itself goes there. */
    readonly childOrderId: string | null;
  }[];
  readonly reason: string;
  /**
   * Which routing of the order this is: absent for its first; 2, 3, ... for each re-route of a
   * split order's remainder after a child was rejected (core algo-parent.ts `reconcileAlgo`).
   */
  readonly round?: number;
}

const text = (v: Nanos | null): string | null => (v === null ? null : formatNanos(v));

/** The decision and its inputs as recorded (`childOrderIds`: one per allocation of a split order). */
export function routingRecordOf(
  request: RoutingRequest,
  decision: RoutingDecision,
  childOrderIds: readonly string[] | null,
): RoutingDecisionRecord {
  return {
    policy: decision.policy,
    marketable: decision.marketable,
    nbbo: { bid: text(decision.nbbo.bid), ask: text(decision.nbbo.ask) },
    venues: request.venues.map((v) => ({
      venue: v.venue,
      primary: v.primary,
      bid: text(v.bid),
      ask: text(v.ask),
      bidSize: text(v.bidSize),
      askSize: text(v.askSize),
      takerFee: formatNanos(v.takerFee),
      makerFee: formatNanos(v.makerFee),
      latencyMs: v.latencyMs,
      fillRate: v.fillRate,
      down: v.down,
      failedAt: v.failedAt === null ? null : new Date(v.failedAt).toISOString(),
    })),
    excluded: decision.excluded,
    allocations: decision.allocations.map((a, i) => ({
      venue: a.venue,
      qty: text(a.qty),
      notional: text(a.notional),
      limitPrice: text(a.limitPrice),
      expectedPrice: text(a.expectedPrice),
      liquidity: a.liquidity,
      childOrderId: childOrderIds?.[i] ?? null,
    })),
    reason: decision.reason,
  };
}

/** The request a recorded decision was made from (replaying a routing: `decideRoute` on it gives the same allocation). */
export function venueCandidatesOf(record: RoutingDecisionRecord): VenueCandidate[] {
  const n = (v: string | null) => (v === null ? null : nanos(v));
  return record.venues.map((v) => ({
    venue: v.venue,
    primary: v.primary,
    bid: n(v.bid),
    ask: n(v.ask),
    bidSize: n(v.bidSize),
    askSize: n(v.askSize),
    takerFee: signedNanos(v.takerFee),
    makerFee: signedNanos(v.makerFee),
    latencyMs: v.latencyMs,
    fillRate: v.fillRate,
    down: v.down,
    failedAt: v.failedAt === null ? null : Date.parse(v.failedAt),
  }));
}
