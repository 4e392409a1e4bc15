/**
 * How much of a position a closing order may take (DELETE /v2/positions, issue 13), as Alpaca
 * answers it: a close may not exceed the position's `qty_available`, the position less what open
 * orders on the closing side already hold; more is refused with 403 "insufficient qty available for
 * order (requested: N, available: M)". Closing twice would otherwise sell a long twice and leave
 * the account short (and a short bought back twice, long).
 *
 * The open-order listing the API reads follows the orders' events (a read model that lags the
 * write by a stream hop), so a close placed a moment ago may not be in it yet. Every closing order
 * therefore also records itself, in the transaction that places it, in the position's closing
 * claims (one item per account and symbol, written under an optimistic version): what holds the
 * position is then the union, by order id, of
 * - each claimed close: its own view, read consistently (open: its leaves; closed: nothing, and
 *   the claim is dropped), or, before the read model has it, the qty it was placed for;
 * - each other open order of the listing on the closing side: its leaves.
 * Read in this order (the position keeper applies a fill to the ledger before the order's view
 * shows it), every lag counts a fill twice, never not at all: a close is refused too soon, never
 * allowed past the position.
 */
import { insufficientQty } from './alpaca-refusals.js';
import { formatNanos, max, type Nanos, ONE } from './decimal.js';
import { notionalShares } from './held-shares.js';
import type { RiskRefusal } from './risk.js';

export type CloseSide = 'buy' | 'sell';

/** A closing order, as the position's closing claims recorded it when it was placed. */
export interface ClosingClaim {
  readonly orderId: string;
  readonly side: CloseSide;
  readonly qty: Nanos;
  /** Epoch milliseconds it was placed. */
  readonly placedAt: number;
  /**
   * A replacement (PATCH) claims its new leaves under its own id and names the order it replaces:
   * until the venue answers, either may execute, not both, so the pair holds the larger of the two
   * (as the read model's exposure counts a pending replace: core order.ts `exposureTermsOf`).
   */
  readonly supersedes?: string;
}

/** An order as the read model shows it now. */
export interface HoldingOrder {
  readonly orderId: string;
  readonly side: CloseSide;
  /**
   * The shares it still holds (never negative): a qty order's leaves, a notional order's notional
   * left at the price it trades at (core held-shares.ts `sharesStillHeld`). Null: a notional order
   * without a price to size it: it holds its claim's qty when claimed, else the whole position.
   */
  readonly leaves: Nanos | null;
  readonly open: boolean;
  /** How its holding adds to the others' (`heldTogether`); absent: on its own. */
  readonly relation?: HoldingRelation;
}

/**
 * What ties an open order's holding to another's, so that shares are not counted twice:
 * - `parentOrderId`: an algorithmic child (core algos), which works part of its parent's leaves:
 *   while the parent is counted, the child adds nothing; without its parent it counts alone.
 * - `exitGroup`: an exit leg of a bracket, OCO or OTO (take-profit, stop-loss), named by its group:
 *   the group's exits are alternatives, one of them executes and the others are canceled, so the
 *   group holds what its largest exit holds, not their sum (Alpaca counts an OCO's shares once).
 */
export interface HoldingRelation {
  readonly parentOrderId?: string;
  readonly exitGroup?: string;
}

/**
 * The shares held by open orders on one side, each counted once (`HoldingRelation`): the orders'
 * holdings (by order id) summed, but a child whose parent is among them not at all, and a group of
 * exits at its largest exit. Only ever less than or equal to the plain sum.
 */
export function heldTogether(
  holdings: ReadonlyMap<string, Nanos>,
  relations: ReadonlyMap<string, HoldingRelation>,
): Nanos {
  let held = 0n;
  const exits = new Map<string, Nanos>();
  for (const [orderId, shares] of holdings) {
    const relation = relations.get(orderId);
    if (relation?.parentOrderId !== undefined && holdings.has(relation.parentOrderId)) continue;
    if (relation?.exitGroup !== undefined) {
      exits.set(relation.exitGroup, max(exits.get(relation.exitGroup) ?? 0n, shares));
      continue;
    }
    held += shares;
  }
  for (const shares of exits.values()) held += shares;
  return held;
}

/**
 * The relation of an order (`HoldingRelation`) from what the read model keeps of it: its
 * contingency role, group and parent. Undefined: none.
 */
export function holdingRelationOf(order: {
  readonly contingencyRole?: string | null;
  readonly groupId?: string | null;
  readonly parentOrderId?: string | null;
}): HoldingRelation | undefined {
  const role = order.contingencyRole;
  if (role === 'algo_child' && typeof order.parentOrderId === 'string')
    return { parentOrderId: order.parentOrderId };
  if ((role === 'take_profit' || role === 'stop_loss') && typeof order.groupId === 'string')
    return { exitGroup: order.groupId };
  return undefined;
}

export interface CloseAvailabilityInput {
  /** The position, signed (long > 0), from the ledger read consistently. */
  readonly position: Nanos;
  readonly claims: readonly ClosingClaim[];
  /** Each claimed order's view read consistently; null: the read model has none yet. */
  readonly claimedViews: ReadonlyMap<string, HoldingOrder | null>;
  /** The account's open orders in the symbol, from the open listing (may lag). */
  readonly openOrders: readonly HoldingOrder[];
  /** Epoch milliseconds. */
  readonly now: number;
  /**
   * Orders whose holding is not counted (their claims are kept): a replace checks its order's new
   * leaves against what the others leave.
   */
  readonly exclude?: ReadonlySet<string>;
}

export interface CloseAvailability {
  /** The side a closing order takes: sell a long, buy a short. */
  readonly side: CloseSide;
  /** |position|. */
  readonly size: Nanos;
  /** What open orders on the closing side hold. */
  readonly held: Nanos;
  /** size - held, at least 0: Alpaca's qty_available. */
  readonly available: Nanos;
  /** The claims still to keep (those of closed orders dropped). */
  readonly claims: readonly ClosingClaim[];
}

/**
 * A claim whose order the read model has never shown after this long is of an order that is gone
 * from it (views are not kept forever): dropped rather than holding the position for good.
 */
export const CLOSING_CLAIM_UNSEEN_MS = 24 * 60 * 60 * 1000;

export function closeAvailability(input: CloseAvailabilityInput): CloseAvailability {
  const side: CloseSide = input.position < 0n ? 'buy' : 'sell';
  const size = input.position < 0n ? -input.position : input.position;
  const exclude = input.exclude ?? new Set<string>();
  // What each order holds on the closing side, by order id (the listing may repeat a claimed one).
  const holdings = new Map<string, Nanos>();
  const seen = new Set<string>();
  const claims: ClosingClaim[] = [];
  for (const claim of input.claims) {
    seen.add(claim.orderId);
    const view = input.claimedViews.get(claim.orderId) ?? null;
    if (view !== null && !view.open) continue;
    if (view === null && input.now - claim.placedAt > CLOSING_CLAIM_UNSEEN_MS) continue;
    claims.push(claim);
    if (exclude.has(claim.orderId)) continue;
    if ((view?.side ?? claim.side) !== side) continue;
    const leaves = view?.leaves ?? claim.qty;
    holdings.set(claim.orderId, leaves > 0n ? leaves : 0n);
  }
  for (const o of input.openOrders) {
    if (seen.has(o.orderId) || !o.open || exclude.has(o.orderId) || o.side !== side) continue;
    const leaves = o.leaves ?? size;
    holdings.set(o.orderId, leaves > 0n ? leaves : 0n);
  }
  // A replacement and the order it replaces, both still holding: the larger of the two.
  for (const claim of claims) {
    const own = claim.supersedes === undefined ? undefined : holdings.get(claim.supersedes);
    const replacement = holdings.get(claim.orderId);
    if (own === undefined || replacement === undefined || claim.supersedes === undefined) continue;
    holdings.set(claim.supersedes, max(own, replacement));
    holdings.delete(claim.orderId);
  }
  // Each share once: an algorithmic child under its parent, a group's exits at the largest.
  const relations = new Map<string, HoldingRelation>();
  for (const o of [...input.claimedViews.values(), ...input.openOrders])
    if (o?.relation !== undefined && !relations.has(o.orderId)) relations.set(o.orderId, o.relation);
  const held = heldTogether(holdings, relations);
  const available = size > held ? size - held : 0n;
  return { side, size, held, available, claims };
}

/**
 * The shares a sell takes: its qty, or its notional at `price` (held-shares.ts
 * `notionalSharePrice`: the lower of the reference and the bid), rounded up; null when a notional
 * sell has no price.
 */
export function sellSharesOf(
  order: { readonly qty: Nanos | null; readonly notional: Nanos | null },
  price: Nanos | null,
): Nanos | null {
  if (order.qty !== null) return order.qty;
  if (order.notional === null) return 0n;
  return price === null ? null : notionalShares(order.notional, price);
}

/**
 * The refusal of a sell past what the account can sell long (an account that may not sell short, or
 * `mayShort` while long: a long is not sold into a short): the short_sale rule's own words (core
 * risk.ts), from the availability read under the position's closing claims.
 */
export function noShortSaleRefusal(
  symbol: string,
  sellQty: Nanos,
  position: Nanos,
  a: Pick<CloseAvailability, 'held' | 'available'>,
  mayShort = false,
): RiskRefusal {
  return {
    rule: 'short_sale',
    limit: 'no short sales',
    message: `short_sale: sell of ${formatNanos(sellQty)} ${symbol.toUpperCase()} exceeds the ${formatNanos(a.available)} available to sell (position ${formatNanos(position)}, ${formatNanos(a.held)} held by open sell orders); ${mayShort ? 'a long is not sold into a short' : 'this account may not sell short'}`,
    alpaca: insufficientQty(symbol, sellQty, { available: a.available, position, held: a.held }),
  };
}

/**
 * A buy of a short past what it may cover (the short less what the account's other buys hold):
 * refused as Alpaca refuses it, `insufficient qty available for order` (its staff: "you can't sell
 * more shares than you have [...] The same is true for going from a short position to a long one",
 * alpaca-trade-api-python#129). Close the short first, then buy: a short is not bought into a long.
 */
export function shortCoverRefusal(
  symbol: string,
  buyQty: Nanos,
  position: Nanos,
  a: Pick<CloseAvailability, 'held' | 'available'>,
): RiskRefusal {
  return {
    rule: 'short_cover',
    limit: 'no buy through a short',
    message: `short_cover: buy of ${formatNanos(buyQty)} ${symbol.toUpperCase()} exceeds the ${formatNanos(a.available)} available to cover (position ${formatNanos(position)}, ${formatNanos(a.held)} held by open buy orders); a short is not bought into a long`,
    alpaca: insufficientQty(symbol, buyQty, { available: a.available, position, held: a.held }),
  };
}

/**
 * The qty a close of `percentage` (0 < p <= 100, nanos) of a position of `size` shares (unsigned)
 * takes. Alpaca: a percentage close "would only sell fractional if position is originally
 * fractional"; a position in whole shares is closed in whole shares, rounded down (a probe's 50% of
 * 3 shares sold 1.5 and left 1.5, and of a short 5 bought 2.5, leaving a fractional short). A
 * fractional position is rounded down to the nano. All of it at 100. Null: it closes nothing.
 */
export function percentageCloseQty(size: Nanos, percentage: Nanos): Nanos | null {
  if (percentage >= 100n * ONE) return size;
  const exact = (size * percentage) / (100n * ONE);
  const qty = size % ONE === 0n ? exact - (exact % ONE) : exact;
  return qty > 0n ? qty : null;
}

/**
 * Why a close of `qty` of a position of `held` (signed) is refused, or null. A short position is
 * closed in whole shares: a fractional buy would leave a fractional short, which Alpaca does not
 * allow (only long positions may be fractional; core risk refuses a fractional short sale).
 */
export function closeQtyRefusal(held: Nanos, qty: Nanos): string | null {
  if (held < 0n && qty % ONE !== 0n && qty !== -held)
    return `a short position is closed in whole shares (a fractional part would stay short), got ${formatNanos(qty)}`;
  return null;
}
