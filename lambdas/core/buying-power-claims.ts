/**
 * The account's buying power, race-free: open buy orders' reservations (the probe's defect: ten
 * concurrent market buys each read the same buying power and the same open orders, the read model
 * not yet showing the others, and together spent 180% of it).
 *
 * An account keeps what its open buy orders reserve, in whole cents (the item `open-buys#<accountId>`,
 * lambdas/orders/buying-power-reservations.ts: claims placed less settlements' rests, less what
 * executions gave back). A buy order placed while the account has a cash balance claims its
 * notional (`buyingPowerClaimOf`, valued at `valuationPriceOf`): the placing transaction adds it,
 * conditional on what is reserved before it being at most the buying power less the order and less
 * what older, unclaimed open buys reserve (`buyingPowerCeilingCents`), so of concurrent orders only
 * those that fit together pass. The claim is given back exactly once, in parts that never overlap:
 * - each execution gives back its share (`executionRelease`: claim x cumQty / qty, telescoping to
 *   the whole claim at the last share), in the ledger's own transaction for that execution, which
 *   also takes its cost off the cash: the two move together, and the execution's applied marker
 *   makes a redelivery give nothing back twice;
 * - when the order settles unfilled or partly filled (canceled, expired, rejected, replaced, done
 *   for a day order), the rest (`settlementRelease`), once: a marker keyed by the claim.
 * A notional order's claim is given back whole at its settlement (its executions give back
 * nothing: its cost is money, not shares). A replaced order gives its rest back like a canceled
 * one; its replacement, on new terms (a probe raised a claimed order's qty by PATCH and the rise
 * was counted nowhere), claims nothing and is valued from the read model at its own terms.
 * An order the router splits across venues gives its claim back whole when it is split
 * (`splitRelease`): its children execute, not it, and hold no claim; from then on the read model
 * values the parent's leaves, as it values an algorithmic parent's.
 *
 * A market order's claim is valued at the reference price the order was accepted at; it fills at
 * the market, so a fill above that price spends more than it reserved, as with any pre-trade check
 * of a market order (docs/domain.md).
 */

import { notionalCents } from './aggregate-limits.js';
import { type AlpacaRefusal, insufficientBuyingPower } from './alpaca-refusals.js';
import { formatNanos, type Nanos, parseNanos, type Value18 } from './decimal.js';

/** What an order reserves of its account's buying power (`OrderSubmitted.buyingPowerClaim`). */
export interface BuyingPowerClaim {
  /** The claim's key: the order that claimed it. */
  readonly id: string;
  /** Whole cents, the order's notional rounded up. */
  readonly cents: number;
  /** The qty the cents were valued for (the original order's); null for a notional order. */
  readonly qty: string | null;
  /**
   * A replacement's: the filled qty it opened with (FIX CumQty spans the chain: the fills of the
   * orders it replaced), which its own executions start after. Absent: 0.
   */
  readonly carried?: string;
}

/**
 * The claim of an order taking `notional` of the buying power (core risk `buyingPowerNotionalOf`:
 * a buy's opening part, a sell's short part); null when the order reserves nothing here: nothing
 * taken (a sell long, a buy to cover), an account without a cash balance (`buyingPower` null:
 * unlimited), no price to value it at (risk refused it already), or an algorithmic order (its
 * children work within what the parent was checked for; the read model counts the parent's leaves).
 */
export function buyingPowerClaimOf(input: {
  readonly qty: string | null;
  readonly notional: Value18 | null;
  readonly buyingPower: string | null;
  readonly algorithmic: boolean;
}): Omit<BuyingPowerClaim, 'id'> | null {
  if (input.buyingPower === null || !input.notional || input.algorithmic) return null;
  return { cents: notionalCents(input.notional), qty: input.qty };
}

/**
 * What the placing transaction requires of the account's total BEFORE the order: at most the
 * buying power less the unclaimed open buys less the order (whole cents: buying power rounded
 * down, the rest up). Negative: the order does not fit whatever the total.
 */
export function buyingPowerCeilingCents(
  buyingPower: string,
  unclaimedOpenBuys: string,
  addCents: number,
): number {
  return centsDown(buyingPower) - centsUp(unclaimedOpenBuys) - addCents;
}

/**
 * The placing transaction's ceiling as risk read the account (`buyingPowerCeilingCents`) plus what
 * it counted but sets aside (a replace's own order's rest: its new terms are checked in its place)
 * plus what executions had given back when the cash was read (the condition is on the claims'
 * `cents`, which executions never move).
 */
export function placingCeilingCents(input: {
  readonly buyingPower: string;
  readonly unclaimed: string;
  readonly setAsideCents: number;
  readonly releasedCents: number;
  readonly addCents: number;
}): number {
  return (
    buyingPowerCeilingCents(input.buyingPower, input.unclaimed, input.addCents) +
    input.setAsideCents +
    input.releasedCents
  );
}

/** What the claim still holds at `filledQty`: the claim less its executions' shares. */
export function claimRest(claim: BuyingPowerClaim, filledQty: Nanos): number {
  return claim.cents - releasedByExecutions(claim, filledQty);
}

/** The part of the claim the order's executions have given back at `filledQty`. */
export function releasedByExecutions(claim: BuyingPowerClaim, filledQty: Nanos): number {
  const basis = claim.qty === null ? null : parseNanos(claim.qty);
  if (typeof basis !== 'bigint' || basis <= 0n) return 0;
  const carried = claim.carried === undefined ? 0n : parseNanos(claim.carried);
  const own = filledQty - (typeof carried === 'bigint' ? carried : 0n);
  if (own <= 0n) return 0;
  if (own >= basis) return claim.cents;
  return Number((BigInt(claim.cents) * own) / basis);
}

/**
 * The claim a replacement opens with: its replace request's (null: none), from the fills it
 * carries (`filledQty` of the order it replaces when the venue confirmed).
 */
export function replacementClaimAt(
  claim: BuyingPowerClaim | null,
  filledQty: Nanos,
): BuyingPowerClaim | undefined {
  if (claim === null) return undefined;
  return filledQty > 0n ? { ...claim, carried: formatNanos(filledQty) } : claim;
}

/**
 * Whether the event between `before` and `after` ended a replace request without its replacement:
 * the order was not replaced and either the request ended (the venue refused it; the order was
 * canceled or expired first) or the order settled with the request still outstanding (filled first:
 * the venue may never answer a replace of a filled order; its refusal coming after that ends
 * nothing more). A request is never asked of a settled order. The one rule for the claim given back
 * (`abandonedReplaceClaim`) and the replacement shown `rejected` (core abandoned-replacement.ts).
 */
export function replaceEndedWithout(
  before: { readonly replaceRequest: unknown; readonly settled: boolean },
  after: { readonly replaceRequest: unknown; readonly phase: string; readonly settled: boolean },
): boolean {
  return (
    before.replaceRequest !== null &&
    !before.settled &&
    after.phase !== 'replaced' &&
    (after.replaceRequest === null || after.settled)
  );
}

/**
 * The claim a replace request made that its replacement will never hold, at the event that decides
 * it (`replaceEndedWithout`). Given back whole (the replacement never executed), once (the caller's
 * marker).
 */
export function abandonedReplaceClaim(
  before: {
    readonly replaceRequest: { readonly buyingPowerClaim?: BuyingPowerClaim } | null;
    readonly settled: boolean;
  },
  after: { readonly replaceRequest: unknown; readonly phase: string; readonly settled: boolean },
): BuyingPowerClaim | null {
  const claim = before.replaceRequest?.buyingPowerClaim;
  return claim !== undefined && replaceEndedWithout(before, after) ? claim : null;
}

/**
 * What one execution gives back, from the order's cumQty before it to after it (0 when the order
 * had settled before it: a late fill of a day order done for the day, whose rest was given back).
 */
export function executionRelease(
  claim: BuyingPowerClaim | null,
  cumBefore: Nanos,
  cumAfter: Nanos,
  settledBefore: boolean,
): number {
  if (claim === null || settledBefore) return 0;
  return releasedByExecutions(claim, cumAfter) - releasedByExecutions(claim, cumBefore);
}

/** The claim the order holds now: none once the router split it (`splitRelease` gave it back). */
export function heldBuyingPowerClaim(order: {
  readonly buyingPowerClaim: BuyingPowerClaim | null;
  readonly split: boolean;
}): BuyingPowerClaim | null {
  return order.split ? null : order.buyingPowerClaim;
}

/**
 * What the order gives back when the router splits it (`splitBefore`: it was split already, so
 * nothing): the claim less its own executions' shares (none: an order is split when first routed).
 */
export function splitRelease(
  order: {
    readonly buyingPowerClaim: BuyingPowerClaim | null;
    readonly split: boolean;
    readonly filledQty: Nanos;
  },
  splitBefore: boolean,
): number | null {
  const claim = order.buyingPowerClaim;
  if (claim === null || !order.split || splitBefore) return null;
  const rest = claimRest(claim, order.filledQty);
  return rest > 0 ? rest : null;
}

/**
 * What the order gives back when it settles (filled, canceled, expired, rejected, replaced, done
 * for a day order): the claim less its executions' shares; null when nothing is given back (no
 * claim, not settled, split: given back when it was split).
 */
export function settlementRelease(order: {
  readonly buyingPowerClaim: BuyingPowerClaim | null;
  readonly split?: boolean;
  readonly settled: boolean;
  readonly filledQty: Nanos;
}): number | null {
  const claim = order.split === true ? null : order.buyingPowerClaim;
  if (claim === null || !order.settled) return null;
  const rest = claimRest(claim, order.filledQty);
  return rest > 0 ? rest : null;
}

/** Whole cents as a decimal string of dollars (`12345` -> `123.45`). */
export function centsAsDollars(cents: number): string {
  return formatNanos(BigInt(cents) * 10_000_000n);
}

const CENT_NANOS = 10_000_000n;

/** A signed decimal's nanos (a buying power can be negative: a margin account under water). */
function nanosOf(text: string): bigint {
  const negative = text.startsWith('-');
  const v = parseNanos(negative ? text.slice(1) : text);
  if (typeof v !== 'bigint') throw new Error(`not a decimal: ${text}`);
  return negative ? -v : v;
}

function centsDown(text: string): number {
  const v = nanosOf(text);
  return Number(v >= 0n ? v / CENT_NANOS : -((-v + CENT_NANOS - 1n) / CENT_NANOS));
}

function centsUp(text: string): number {
  const v = nanosOf(text);
  return Number(v >= 0n ? (v + CENT_NANOS - 1n) / CENT_NANOS : -(-v / CENT_NANOS));
}

/**
 * The buying power refusal when the account's total had grown past the order's ceiling by the
 * time it was placed (concurrent orders took the buying power risk had read), citing what is
 * reserved now. Worded as core risk's `buying_power` rule words it.
 */
export function reservedBuyingPowerRefusal(input: {
  readonly buyingPower: string;
  readonly orderCents: number;
  readonly reservedCents: number;
  readonly unclaimed: string;
}): {
  readonly rule: 'buying_power';
  readonly limit: string;
  readonly message: string;
  readonly alpaca: AlpacaRefusal;
} {
  const open = formatNanos(nanosOf(centsAsDollars(input.reservedCents)) + nanosOf(input.unclaimed));
  return {
    rule: 'buying_power',
    limit: input.buyingPower,
    message: `buying_power: order notional ${centsAsDollars(input.orderCents)} plus open buy orders ${open} exceeds the buying power ${input.buyingPower}`,
    alpaca: insufficientBuyingPower(input.buyingPower, centsAsDollars(input.orderCents)),
  };
}
