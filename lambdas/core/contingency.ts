/**
 * Contingent orders (Alpaca `order_class` bracket, oco, oto): a group of ordinary orders, each with
 * its own event stream and lifecycle, tied by a `Contingency` in their `OrderSubmitted`.
 *
 * - bracket: an entry, a take-profit limit and a stop-loss stop (or stop-limit) on the other side.
 *   The exits are held until the entry fills, then work sized to the filled quantity, one
 *   cancelling or reducing the other.
 * - oto: an entry and one exit, held until the entry fills.
 * - oco: two exits working at once (the request's take-profit limit order is the group's root, the
 *   stop-loss its leg); a fill on one reduces or cancels the other.
 *
 * What the group should do next is a pure function of its members' states (`reconcileGroup`). The
 * coordinator runs it after every event of any member and carries out the actions through the
 * members' own commands, so it converges whatever the order in which events arrive, and running it
 * twice does no harm: a resize or cancel already asked for is refused by the member itself
 * (`request_pending`), an activation by a member no longer held.
 */
import { formatNanos, type Nanos, nanos, parseNanos } from './decimal.js';
import type { Contingency, LegRole, ReplaceChanges } from './events.js';
import { type FieldError, fieldError } from './field-error.js';
import {
  cancelReasonOf,
  isClosedPhase,
  isSettled,
  isTriggeredHeldForGroup,
  type OrderState,
} from './order.js';
import type { OrderSpec, Side } from './order-request.js';

/** One order of a contingent order: its terms and its place in the group. */
export interface ContingentMember {
  readonly orderId: string;
  readonly spec: OrderSpec;
  /** Null for a simple order. */
  readonly contingency: Contingency | null;
}

const opposite = (side: Side): Side => (side === 'buy' ? 'sell' : 'buy');

/**
 * The terms every leg starts from: a simple order in its own right (so a resize is validated like
 * any replace), no client id of its own; the class it belongs to is in its `Contingency`.
 */
function legSpec(root: OrderSpec, side: Side): OrderSpec {
  return {
    ...root,
    side,
    orderClass: 'simple',
    notional: null,
    limitPrice: null,
    stopPrice: null,
    trailPrice: null,
    trailPercent: null,
    extendedHours: false,
    clientOrderId: null,
    takeProfit: null,
    stopLoss: null,
    positionIntent: null,
    advancedInstructions: null,
  };
}

/**
 * The orders a validated contingent request stands for, root first, with the ids given (one per
 * member: the root's, then the legs'). A simple order is one member with no contingency.
 * - bracket: entry (the request), take-profit limit, stop-loss; legs on the other side, held.
 * - oto: entry and its one exit, held.
 * - oco: the take-profit limit (the request: its type is limit at `take_profit.limit_price`) and
 *   the stop-loss, on the request's side, both working.
 */
export function contingentMembersOf(spec: OrderSpec, ids: readonly string[]): ContingentMember[] {
  const rootId = ids[0];
  if (rootId === undefined) throw new Error('contingentMembersOf: no order id');
  if (spec.orderClass === 'simple') return [{ orderId: rootId, spec, contingency: null }];
  const orderClass = spec.orderClass;
  const exitSide = orderClass === 'oco' ? spec.side : opposite(spec.side);
  const legs: { role: LegRole; spec: OrderSpec }[] = [];
  if (spec.takeProfit !== null && orderClass !== 'oco') {
    legs.push({
      role: 'take_profit',
      spec: { ...legSpec(spec, exitSide), type: 'limit', limitPrice: spec.takeProfit.limitPrice },
    });
  }
  if (spec.stopLoss !== null) {
    const { stopPrice, limitPrice } = spec.stopLoss;
    legs.push({
      role: 'stop_loss',
      spec: {
        ...legSpec(spec, exitSide),
        type: limitPrice === null ? 'stop' : 'stop_limit',
        stopPrice,
        limitPrice,
      },
    });
  }
  if (ids.length < legs.length + 1) throw new Error('contingentMembersOf: one id per member needed');
  const legIds = legs.map((_, i) => ids[i + 1] as string);
  const held = orderClass !== 'oco';
  const root: ContingentMember = {
    orderId: rootId,
    spec:
      orderClass === 'oco' ? { ...spec, limitPrice: spec.takeProfit?.limitPrice ?? spec.limitPrice } : spec,
    contingency: {
      groupId: rootId,
      orderClass,
      role: orderClass === 'oco' ? 'take_profit' : 'entry',
      parentOrderId: null,
      legOrderIds: legIds,
      held: false,
    },
  };
  return [
    root,
    ...legs.map((leg, i) => ({
      orderId: legIds[i] as string,
      spec: leg.spec,
      contingency: {
        groupId: rootId,
        orderClass,
        role: leg.role,
        parentOrderId: rootId,
        legOrderIds: [],
        held,
      },
    })),
  ];
}

/** How many orders a request places (1 for a simple order). */
export function memberCountOf(spec: OrderSpec): number {
  switch (spec.orderClass) {
    case 'simple':
      return 1;
    case 'bracket':
      return 3;
    case 'oto':
    case 'oco':
      return 2;
  }
}

/**
 * The group as it stands: each member's latest order (the head of its replacement chain; a head
 * still `replaced` when its replacement has not opened yet).
 */
export interface GroupStates {
  readonly orderClass: 'bracket' | 'oco' | 'oto';
  /** The entry of a bracket or OTO; null for an OCO. */
  readonly entry: OrderState | null;
  /** The exit orders (an OCO's root included), in the group's order. */
  readonly exits: readonly OrderState[];
  /** An OCO's quantity as first placed: the position its exits cover together. */
  readonly ocoQty: Nanos | null;
}

export type GroupAction =
  /** Release a held exit, sized to the position it protects. */
  | { readonly kind: 'activate'; readonly orderId: string; readonly qty: Nanos }
  /** Change a working exit's total quantity (fills included) to what it must cover now. */
  | { readonly kind: 'resize'; readonly orderId: string; readonly qty: Nanos }
  | { readonly kind: 'cancel'; readonly orderId: string; readonly reason: GroupCancelReason }
  /** The exits together filled more than the position: record it on the exit (once). */
  | {
      readonly kind: 'overExecution';
      readonly orderId: string;
      readonly positionQty: Nanos;
      readonly exitFilledQty: Nanos;
    };

export type GroupCancelReason = 'parent_unfilled' | 'position_covered' | 'group_canceled' | 'stop_triggered';

/**
 * Whether the client asked to cancel this exit (a cancel outstanding, or done, that the client
 * requested; not one the OMS asked for, and not a refused one).
 */
export function clientCanceled(x: OrderState): boolean {
  if (x.phase === 'canceled') return x.canceledReason === 'client_request';
  return (
    x.cancelRequest !== 'none' &&
    x.cancelRequestedBy !== null &&
    cancelReasonOf(x.cancelRequestedBy) === 'client_request'
  );
}

/** The position the exits cover: what the entry has filled, or the OCO's quantity. */
export function positionOf(g: GroupStates): Nanos {
  if (g.entry !== null) return g.entry.filledQty;
  return g.ocoQty ?? 0n;
}

/**
 * What the group must do now, from its members' states alone (see the module comment). Each
 * exit's target is the position less what the other exits filled; an exit works at its target,
 * is released at it, or is canceled when nothing is left for it. An exit with a request
 * outstanding, or not yet acknowledged by the venue, is left until its next event.
 */
export function reconcileGroup(g: GroupStates): GroupAction[] {
  // A head still `replaced` is a member whose replacement has not opened yet (the venue's `replaced`
  // closes it one write before the replacement opens): nothing is known until it opens, and its
  // opening runs this again. Read as closed, an entry lowered by PATCH looked done unfilled and its
  // exits were canceled (a probe), and an exit resized looked gone while its replacement opened.
  if ([g.entry, ...g.exits].some((x) => x?.phase === 'replaced')) return [];
  const actions: GroupAction[] = [];
  const position = positionOf(g);
  const exitFilled = g.exits.reduce((sum, x) => sum + x.filledQty, 0n);
  if (exitFilled > position) {
    for (const x of g.exits) {
      if (x.filledQty > 0n) {
        actions.push({
          kind: 'overExecution',
          orderId: x.orderId,
          positionQty: position,
          exitFilledQty: exitFilled,
        });
      }
    }
  }
  // The exits are one-cancels-other: the client canceling any one of them (an OCO's root included)
  // cancels the whole exit group, as Alpaca does. The entry is not an exit: canceling it leaves
  // its legs protecting what it filled.
  if (g.exits.some(clientCanceled)) {
    for (const x of g.exits) {
      if (isClosedPhase(x) || isSettled(x) || x.cancelRequest !== 'none') continue;
      // A replace outstanding (a resize) is left until its answer; the next event cancels it then.
      if (x.replaceRequest !== null) continue;
      actions.push({ kind: 'cancel', orderId: x.orderId, reason: 'group_canceled' });
    }
    return actions;
  }
  // A group's stop-loss triggered at the OMS (held, see order.ts `isTriggerHeldForGroup`): its
  // sibling exits are canceled first; only once none of them can execute any more is it sent, for
  // the position less what they filled, or canceled when they covered it. So at most one exit
  // executes past the position, whatever the venue's cancel latency.
  const triggered = g.exits.find((x) => isTriggeredHeldForGroup(x));
  if (triggered !== undefined) {
    const open = g.exits.filter((x) => x !== triggered && !isClosedPhase(x) && !isSettled(x));
    for (const x of open) {
      // A request outstanding (a cancel asked, a resize) is left until its answer: its next event
      // runs this again (a resize's replacement is then canceled in its turn).
      if (x.cancelRequest !== 'none' || x.replaceRequest !== null) continue;
      actions.push({ kind: 'cancel', orderId: x.orderId, reason: 'stop_triggered' });
    }
    if (open.length > 0) return actions;
    const target = position - (exitFilled - triggered.filledQty);
    const qty = triggered.qty !== null && target > triggered.qty ? triggered.qty : target;
    actions.push(
      target > triggered.filledQty
        ? { kind: 'activate', orderId: triggered.orderId, qty }
        : { kind: 'cancel', orderId: triggered.orderId, reason: 'position_covered' },
    );
    return actions;
  }
  // No more fills will come from an entry that is settled (filled, or closed).
  const entryDone = g.entry === null || isSettled(g.entry) || isClosedPhase(g.entry);
  for (const x of g.exits) {
    if (isClosedPhase(x) || isSettled(x)) continue;
    const target = position - (exitFilled - x.filledQty);
    if (x.phase === 'held') {
      if (position > 0n) {
        actions.push(
          target > 0n
            ? { kind: 'activate', orderId: x.orderId, qty: target }
            : { kind: 'cancel', orderId: x.orderId, reason: 'position_covered' },
        );
      } else if (entryDone) {
        actions.push({ kind: 'cancel', orderId: x.orderId, reason: 'parent_unfilled' });
      }
      continue;
    }
    // Working at the venue, or armed at the OMS (a stop the venue cannot hold): both are resized
    // or canceled as the position changes.
    const idle =
      (x.phase === 'working' || x.phase === 'armed') &&
      x.cancelRequest === 'none' &&
      x.replaceRequest === null;
    if (!idle) continue;
    if (target <= x.filledQty)
      actions.push({ kind: 'cancel', orderId: x.orderId, reason: 'position_covered' });
    else if (x.qty !== null && x.qty !== target)
      actions.push({ kind: 'resize', orderId: x.orderId, qty: target });
  }
  return actions;
}

/**
 * An exit the OMS replaced to resize it to its position (the group coordinator's `resize` changes
 * its qty alone, which a client may not change on an exit: `exitQtyChangeError`). To the client it
 * is still the leg it placed, worked now by its replacement: a PATCH or DELETE of its id acts on
 * that order (an SDK probe's bot kept its stop-loss id from the POST and could not move the stop
 * once the entry had filled in parts, each part resizing the exits under new ids).
 */
export function isResizedExit(s: OrderState): boolean {
  const c = s.contingency;
  const changes = s.replacementChanges;
  return (
    s.phase === 'replaced' &&
    s.replacedBy !== null &&
    c !== null &&
    (c.role === 'take_profit' || c.role === 'stop_loss') &&
    changes !== null &&
    Object.keys(changes).every((k) => k === 'qty')
  );
}

/** An OCO's quantity from its root's opening terms. */
export function ocoQtyOf(rootSpec: OrderSpec): Nanos | null {
  return rootSpec.qty === null ? null : nanos(rootSpec.qty);
}

/**
 * A client's replace may not change the qty of a contingent order's exit: a bracket's or OTO's
 * take-profit or stop-loss, either order of an OCO (its root, the take-profit, included). The OMS
 * sizes the exits to the position they cover (`reconcileGroup`): a probe's lowered take-profit was
 * resized back at once by the coordinator, under an id the client never placed, and a take-profit
 * of a bracket of 10 raised to 15 at a marketable price filled 15, the account left short 5. Its
 * prices may change (a marketable take-profit closes the position, the group intact). A qty equal
 * to the current one is no change. The coordinator's own resizes do not ask (order-api
 * replace-order.ts asks). Null: allowed.
 */
export function exitQtyChangeError(s: OrderState, changes: ReplaceChanges): FieldError | null {
  const c = s.contingency;
  if (c === null || (c.role !== 'take_profit' && c.role !== 'stop_loss') || changes.qty === undefined)
    return null;
  if (s.qty !== null && parseNanos(changes.qty) === s.qty) return null;
  const entry = c.orderClass === 'oco' ? '' : "change its entry's qty while it works, or ";
  return fieldError(
    'not_allowed',
    'qty',
    `cannot be changed on the ${c.role} exit of ${c.orderClass === 'bracket' ? 'a' : 'an'} ${c.orderClass} order (${formatNanos(s.qty ?? 0n)}): the OMS sizes its exits to the position they cover; ${entry}cancel the order and place a new one`,
  );
}
