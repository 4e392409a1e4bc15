/**
 * Smart order routing against the stores (the workflow's `Submit and await outcome` runs it just
 * before the order is sent): the order's state (consistent read), the symbol across venues (one BatchGetItem: each
 * venue's quote and the venues' health, through the market-data port), the router's decision
 * (core routing/, pure), then ONE write: the order's `OrderRouted` (conditional on its next seq)
 * and, for a split, the parent's `OrderAccepted` and each child's `OrderSubmitted` (conditional on
 * not existing), in one transaction. A concurrent writer on the order makes it decide again on the
 * fresh state; a retried step finds the decision recorded and answers from it, so an order is
 * routed once and no child is placed twice.
 *
 * Orders that are not routed here: a split order's child and a replacement go where their
 * `routedTo` says (the parent's decision, the replaced order's venue); an order already closed
 * answers `closed`. No eligible venue: the decision is recorded with no allocation, and the order
 * is rejected `no_venue_available` in the same write (never sent where it cannot trade).
 */
import { randomUUID } from 'node:crypto';
import {
  builtInPolicies,
  type Contingency,
  childSpecOf,
  DEFAULT_ROUTING_POLICY,
  decide,
  decideRoute,
  evolve,
  isClosedPhase,
  nanos,
  type OrderEvent,
  type OrderState,
  type PolicyRegistry,
  type RoutingDecisionRecord,
  type RoutingRequest,
  routingRecordOf,
  signedNanos,
  unsentCancelClose,
  type VenueCandidate,
  workingTypeOf,
} from '../core/index.js';
import {
  AppendConflict,
  type EventStore,
  runDecision,
  type TransactItem,
} from '../event-store/event-store.js';
import { routableVenueProfiles } from '../platform/fix-venues.js';
import type { ConsolidatedQuote, MarketData } from '../platform/market-data.js';

/** The reason of an order no venue could take. */
export const NO_VENUE_AVAILABLE = 'no_venue_available';

export interface RoutingDeps {
  readonly store: EventStore;
  readonly market: MarketData;
  readonly now: () => number;
  readonly newOrderId: () => string;
  readonly registry?: PolicyRegistry;
}

export function routingDeps(store: EventStore, market: MarketData): RoutingDeps {
  return { store, market, now: Date.now, newOrderId: randomUUID };
}

export type RoutingOutcome =
  /** The order itself goes to `venue`; `state`: the order as the decision left it (read or written). */
  | { readonly kind: 'direct'; readonly venue: string; readonly state: OrderState }
  /** Split into child orders (each started by its own workflow); the parent only awaits its outcome. */
  | { readonly kind: 'split'; readonly children: readonly string[] }
  /** No venue could take it: rejected `no_venue_available`. */
  | { readonly kind: 'rejected'; readonly reason: string }
  /** Closed before it could be routed (canceled while it was being accepted). */
  | { readonly kind: 'closed' };

/** The outcome a recorded decision (or `routedTo`) stands for. */
function outcomeOf(state: OrderState): RoutingOutcome | null {
  if (state.routing !== null) {
    if (state.routing.split) return { kind: 'split', children: [...(state.algo?.children.keys() ?? [])] };
    const venue = state.routing.venues[0];
    return venue === undefined
      ? { kind: 'rejected', reason: NO_VENUE_AVAILABLE }
      : { kind: 'direct', venue, state };
  }
  if (state.venue !== null) return { kind: 'direct', venue: state.venue, state };
  if (isClosedPhase(state)) return { kind: 'closed' };
  return null;
}

/** The venues as the router sees them: each profile with its quote and health now. */
export function candidatesOf(market: ConsolidatedQuote): VenueCandidate[] {
  return routableVenueProfiles().map((p) => {
    const quote = market.venues.find((q) => q.source === p.name) ?? null;
    const health = market.health.get(p.name);
    const failedAt =
      health?.failedAt === null || health?.failedAt === undefined ? null : Date.parse(health.failedAt);
    return {
      venue: p.name,
      primary: p.primary,
      bid: quote?.bid ?? null,
      ask: quote?.ask ?? null,
      bidSize: quote?.bidSize ?? null,
      askSize: quote?.askSize ?? null,
      takerFee: signedNanos(p.takerFeePerShare),
      makerFee: signedNanos(p.makerFeePerShare),
      latencyMs: p.latencyMs,
      fillRate: health?.fillRate ?? p.passiveFillPercent / 100,
      down: health?.down ?? false,
      failedAt: Number.isFinite(failedAt) ? failedAt : null,
    };
  });
}

/** What the router is asked for this order (the type it trades as, its limit, whether it may split). */
export function routingRequestOf(
  state: OrderState,
  venues: readonly VenueCandidate[],
  now: number,
): RoutingRequest {
  const type = workingTypeOf(state);
  const { spec } = state;
  const limited = type === 'limit' || type === 'stop_limit';
  return {
    side: spec.side,
    type,
    timeInForce: spec.timeInForce,
    qty: state.qty === null ? null : state.qty - state.filledQty,
    notional: state.notional,
    limitPrice: limited && spec.limitPrice !== null ? nanos(spec.limitPrice) : null,
    // A simple order only (no bracket leg, no algorithm, no child), by quantity, not all-or-none,
    // and not one the client is canceling (its children would be placed only to be canceled).
    splittable:
      state.cancelRequest === 'none' &&
      state.contingency === null &&
      state.algo === null &&
      state.qty !== null &&
      state.filledQty === 0n &&
      spec.timeInForce !== 'fok',
    now,
    venues,
  };
}

/**
 * Routes the order (idempotent): records the decision and answers what to do with the order.
 * `policy`: the account's (from the order's acceptance), else the default; an unknown name falls
 * back to the default rather than strand the order (the decision records the policy used).
 */
export async function routeToVenues(
  deps: RoutingDeps,
  orderId: string,
  policy: string | undefined,
  /**
   * The order as the caller knows it (just loaded, or carried in the execution input): the first
   * attempt decides on it with no read; its append is conditional on the order's next seq, so an
   * order that moved on since makes the next attempt load it and decide again.
   */
  loaded?: { readonly state: OrderState | undefined },
  maxAttempts = 8,
): Promise<RoutingOutcome> {
  const registry = deps.registry ?? builtInPolicies;
  const policyName =
    policy !== undefined && registry.get(policy) !== undefined ? policy : DEFAULT_ROUTING_POLICY;
  for (let attempt = 1; ; attempt++) {
    const { state } = attempt === 1 && loaded !== undefined ? loaded : await deps.store.loadState(orderId);
    if (state === undefined) throw new Error(`route: order ${orderId} does not exist`);
    const known = outcomeOf(state);
    if (known !== null) return known;
    // Its cancel was asked before it went anywhere: not routed, not sent, closed here (canceled);
    // routed meanwhile by another writer, it is loaded again and answered from its decision.
    if (unsentCancelClose(state) !== null) {
      const after = await closeUnsentOrder(deps.store, orderId, `route:${orderId}`, deps.now);
      if (after === undefined || isClosedPhase(after)) return { kind: 'closed' };
      continue;
    }
    const market = await deps.market.consolidatedQuote(state.spec.symbol);
    const now = deps.now();
    const request = routingRequestOf(state, candidatesOf(market), now);
    const decision = decideRoute(request, policyName, registry);
    const split = decision.allocations.length > 1;
    const childIds = split ? decision.allocations.map(() => deps.newOrderId()) : null;
    const record = routingRecordOf(request, decision, childIds);
    const routed = decide(state, { type: 'route', decision: record }, now);
    if (!routed.ok) throw new Error(`${orderId}: ${routed.refusal.message}`);
    const events: OrderEvent[] = [...routed.events];
    const meta = { accountId: state.accountId, correlationId: orderId, causationId: `route:${orderId}` };
    const extra: TransactItem[] = [];
    if (decision.allocations.length === 0) {
      // Nothing can take it: rejected in the same write as the decision that says why.
      const after = routed.events.reduce<OrderState>((s, e) => evolve(s, e), state);
      const rejected = decide(after, { type: 'reject', reason: NO_VENUE_AVAILABLE }, now);
      if (!rejected.ok) throw new Error(`${orderId}: ${rejected.refusal.message}`);
      events.push(...rejected.events);
    }
    if (childIds !== null) extra.push(...childSubmissions(deps, state, record, now, meta));
    try {
      await deps.store.append(events, split ? { ...meta, groupId: orderId } : meta, extra);
    } catch (err) {
      if (err instanceof AppendConflict && attempt < maxAttempts) continue;
      throw err;
    }
    if (decision.allocations.length === 0) return { kind: 'rejected', reason: NO_VENUE_AVAILABLE };
    if (childIds !== null) return { kind: 'split', children: childIds };
    const after = routed.events.reduce<OrderState>((s, e) => evolve(s, e), state);
    return { kind: 'direct', venue: decision.allocations[0]?.venue as string, state: after };
  }
}

/**
 * Closes an order whose cancel was asked before it was ever sent (core `isUnsent`): no venue holds
 * it, so it is closed as a venue's `unknown_order` answer to that cancel would (core
 * `unsentCancelClose`: canceled; the OMS's own cancel after a failed step, rejected), appended only
 * while the order is still unsent. Its routing is appended on the same next seq, so one of the two
 * wins: an order routed first is answered as it is then (its cancel is then its venue's). Both the
 * submission (`routeToVenues`) and forward-to-venue call it, whichever comes first, so the order
 * never stays pending_cancel whatever else happens to its workflow. Answers the order's state after it.
 */
export async function closeUnsentOrder(
  store: EventStore,
  orderId: string,
  causationId: string,
  now: () => number,
): Promise<OrderState | undefined> {
  const result = await runDecision(
    store,
    orderId,
    (state, at) => {
      const close = state === undefined ? null : unsentCancelClose(state);
      return { decision: close === null ? { ok: true, events: [] } : decide(state, close, at) };
    },
    (s) => ({ accountId: s.accountId, correlationId: orderId, causationId }),
    now,
  );
  return result.state;
}

/** The `OrderSubmitted` of each child a decision places (each with its allocation's terms and venue). */
function childSubmissions(
  deps: RoutingDeps,
  parent: OrderState,
  record: RoutingDecisionRecord,
  now: number,
  meta: { accountId: string; correlationId: string; causationId: string },
): TransactItem[] {
  const orderId = parent.orderId;
  return record.allocations.flatMap((a) => {
    const childOrderId = a.childOrderId as string;
    const contingency: Contingency = {
      groupId: orderId,
      orderClass: 'algo',
      role: 'algo_child',
      parentOrderId: orderId,
      legOrderIds: [],
      held: false,
    };
    const submitted = decide(
      undefined,
      {
        type: 'submit',
        orderId: childOrderId,
        accountId: parent.accountId,
        // The parent's terms for the allocation's quantity (a triggered stop trades as what it now is).
        order: childSpecOf(parent, {
          qty: nanos(a.qty as string),
          type: workingTypeOf(parent) === 'limit' ? 'limit' : 'market',
          limitPrice: a.limitPrice === null ? null : nanos(a.limitPrice),
          timeInForce: parent.spec.timeInForce,
          extendedHours: parent.spec.extendedHours,
        }),
        contingency,
        routedTo: a.venue,
      },
      now,
    );
    if (!submitted.ok) throw new Error(`child of ${orderId}: ${submitted.refusal.message}`);
    return deps.store.putItems(submitted.events, { ...meta, groupId: orderId });
  });
}

export type RerouteOutcome =
  /** The remainder went to new children (each started by its own workflow). */
  | { readonly kind: 'rerouted'; readonly round: number; readonly children: readonly string[] }
  /** No venue could take it: the decision is recorded with no allocation (the remainder is then canceled). */
  | { readonly kind: 'no_venue'; readonly round: number }
  /** Nothing to do: the round is recorded already, or the order no longer wants it (core refusal). */
  | { readonly kind: 'skipped'; readonly reason: string };

/**
 * Routes a split order's remainder again after a venue rejected some of its children (core
 * algo-parent.ts `rerouteRemainder`): the same policy, the venues as they stand now, never back to
 * a venue that rejected the order. ONE write, like the first routing: the parent's `OrderRouted`
 * (its next round, conditional on its seq) and each new child's `OrderSubmitted`. A retry or a
 * concurrent coordinator finds the round recorded and places nothing twice.
 */
export async function rerouteRemainder(
  deps: RoutingDeps,
  orderId: string,
  rejectedBy: readonly string[],
  maxAttempts = 8,
): Promise<RerouteOutcome> {
  const registry = deps.registry ?? builtInPolicies;
  for (let attempt = 1; ; attempt++) {
    const { state } = await deps.store.loadState(orderId);
    if (state === undefined) throw new Error(`reroute: order ${orderId} does not exist`);
    if (state.routing === null || state.qty === null) return { kind: 'skipped', reason: 'not routed' };
    const round = (state.routing.rounds ?? 1) + 1;
    const policy = state.routing.policy;
    const policyName =
      policy !== undefined && registry.get(policy) !== undefined ? policy : DEFAULT_ROUTING_POLICY;
    const market = await deps.market.consolidatedQuote(state.spec.symbol);
    const now = deps.now();
    const request: RoutingRequest = {
      ...routingRequestOf(state, candidatesOf(market), now),
      // The remainder may split again over the venues left; its children are the parent's.
      splittable: true,
      rejectedBy,
    };
    const decision = decideRoute(request, policyName, registry);
    const childIds = decision.allocations.map(() => deps.newOrderId());
    const record: RoutingDecisionRecord = { ...routingRecordOf(request, decision, childIds), round };
    const routed = decide(state, { type: 'reroute', decision: record }, now);
    if (!routed.ok) return { kind: 'skipped', reason: routed.refusal.message };
    if (routed.events.length === 0) return { kind: 'skipped', reason: `round ${round - 1} is recorded` };
    const meta = {
      accountId: state.accountId,
      correlationId: orderId,
      causationId: `reroute:${orderId}:${round}`,
    };
    const extra = childSubmissions(deps, state, record, now, meta);
    try {
      await deps.store.append(routed.events, { ...meta, groupId: orderId }, extra);
    } catch (err) {
      if (err instanceof AppendConflict && attempt < maxAttempts) continue;
      throw err;
    }
    return childIds.length === 0
      ? { kind: 'no_venue', round }
      : { kind: 'rerouted', round, children: childIds };
  }
}
