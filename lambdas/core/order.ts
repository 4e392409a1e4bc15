/**
 * The order aggregate, event-sourced: `decide(state, command, now)` turns a command into events
 * (or a typed refusal that changes nothing), `evolve(state, event)` folds one event into the
 * state, and the state of an order is `replay(events)`. Pure: no I/O, time comes in as `now`.
 *
 * Quantities follow FIX: `leavesQty` is what is still working; it is `qty - filledQty` while the
 * order works and 0 once it is closed (canceled, expired, rejected, replaced, or done for a day
 * order). What closing took off the market is `canceledQty`, so in every state
 *   filledQty + leavesQty + canceledQty = qty
 * and while the order is open `filledQty + leavesQty = qty` (see docs/domain.md).
 */

import type { ExposureClaim } from './aggregate-limits.js';
import type { ChildOutcome } from './algos/plugin.js';
import type { BreakRepairKind, BreakType } from './break-types.js';
import { type BuyingPowerClaim, replacementClaimAt } from './buying-power-claims.js';
import {
  divideHalfEven,
  formatNanos,
  formatValue18,
  max,
  multiply,
  type Nanos,
  nanos,
  parseNanos,
  parseValue18,
  toValue18,
  type Value18,
} from './decimal.js';
import type { Contingency, OrderEvent, OrderSubmitted, QuarantineReason, ReplaceChanges } from './events.js';
import { describeFieldErrors, type FieldError, fieldError } from './field-error.js';
import {
  type OrderSpec,
  type OrderType,
  replaceTermErrors,
  specToRequest,
  validateOrderRequest,
} from './order-request.js';
import type { RiskSnapshot } from './risk.js';
import type { RoutingDecisionRecord } from './routing/router.js';
import type { AppliedSlippageThresholds } from './slippage.js';
import { isTerminal, type OrderStatus } from './status.js';

/** What kind of thing an operator has to act on (the exceptions view, `GET /v1/exceptions`). */
export type OpenExceptionKind = 'quarantined_execution' | 'workflow_exception' | 'reconciliation_break';

/** One exception of the order an operator has not resolved yet. */
export interface OpenException {
  readonly kind: OpenExceptionKind;
  /** What happened, for a person: the quarantine's reason, the stage and error, the break. */
  readonly detail: string;
  readonly raisedAt: string;
}

/** The order's unresolved exceptions (empty for a state without any). */
export function openExceptionsOf(s: OrderState): ReadonlyMap<string, OpenException> {
  return s.openExceptions ?? new Map();
}

/** Where the order is in its life, before pending requests and fills are taken into account. */
export type Phase =
  /** A contingent order's leg waiting for its parent to fill (Alpaca `held`); not at the venue. */
  | 'held'
  /**
   * A stop the OMS holds until it triggers (Alpaca `accepted`), because the venue it goes to does
   * not hold that order type; not at the venue. It triggers into `pending_new` and is then sent.
   */
  | 'armed'
  | 'pending_new'
  | 'working'
  | 'done_for_day'
  | 'canceled'
  | 'expired'
  | 'rejected'
  | 'replaced';

/** The phases after which nothing more happens to an order (a filled order stays `working`: filled is a quantity, not a phase). */
export const CLOSED_PHASES: ReadonlySet<Phase> = new Set(['canceled', 'expired', 'rejected', 'replaced']);

/** One cent at scale 18: a notional order with less than this left to spend is filled. */
const NOTIONAL_REMAINDER_18: Value18 = 10_000_000_000_000_000n;

export interface Execution {
  readonly lastQty: string;
  readonly lastPx: string;
  readonly applied: boolean;
  /** When it was applied (the fill event's time: TCA's timings). */
  readonly at?: string;
  /** Where it executed, its fee and liquidity, when the report said (a parent mirrors them). */
  readonly venue?: string;
  readonly fee?: string;
  readonly liquidity?: 'added' | 'removed';
}

/** The router's decision as the order keeps it (`OrderRouted`). */
export interface RoutingState {
  /** The venues it went to, in allocation order. */
  readonly venues: readonly string[];
  /** Split into child orders (the order itself is then at no venue: its children are). */
  readonly split: boolean;
  /** What each venue was sent (a split's children; the order itself when direct). */
  readonly allocations?: readonly { readonly venue: string; readonly qty: string | null }[];
  /** The policy that decided (a re-route uses it again). */
  readonly policy?: string;
  /** How many routings the order has had: 1, then one more per re-route of its remainder. */
  readonly rounds?: number;
  /** The children of the latest routing (a split order's). */
  readonly lastRound?: readonly string[];
}

export interface PendingReplace {
  readonly replacementOrderId: string;
  readonly changes: ReplaceChanges;
  readonly acknowledged: boolean;
  /** What the replacement reserves of the buying power, claimed with the request (PATCH). */
  readonly buyingPowerClaim?: BuyingPowerClaim;
}

/** A child order as its algorithmic parent knows it. */
export interface AlgoChild {
  readonly qty: Nanos;
  /** Mirrored fills so far. */
  readonly filled: Nanos;
  readonly open: boolean;
  /** How it closed (`OrderChildClosed`); absent while open. */
  readonly outcome?: ChildOutcome;
  /** The venue the router sent it to (a split order's child). */
  readonly venue?: string;
}

/** What an algorithmic parent keeps of its schedule and children. */
export interface AlgoState {
  /** Slice indexes already decided: a retried slice step decides nothing twice. */
  readonly decidedSlices: ReadonlySet<number>;
  /** The children in release order. */
  readonly children: ReadonlyMap<string, AlgoChild>;
  /** Cumulative market volume at the last decision (observed volume is measured from it). */
  readonly volumeMark: string | null;
  /** The algorithm said `done` (filled, window closed or schedule complete). */
  readonly done: boolean;
}

export interface OrderState {
  readonly orderId: string;
  readonly accountId: string;
  readonly clientOrderId: string;
  /** Sequence number of the last event folded in. */
  readonly seq: number;
  /** The order's terms as they stand (restatements applied). */
  readonly spec: OrderSpec;
  readonly qty: Nanos | null;
  readonly notional: Nanos | null;
  readonly phase: Phase;
  readonly filledQty: Nanos;
  /** Exact sum of lastQty x lastPx over applied fills (scale 18). */
  readonly filledValue: Value18;
  readonly triggered: boolean;
  /** The price at which a stop or trailing stop triggered. */
  readonly triggerPrice: string | null;
  /** A trailing stop's high-water mark (Alpaca `hwm`), as the venue (or the OMS) last saw it. */
  readonly hwm: string | null;
  /**
   * The venue an OMS-held stop goes to once it triggers (set by `OrderArmed`, kept afterwards);
   * null when the venue holds the trigger itself. The order is armed while its phase is `armed`.
   */
  readonly armedFor: string | null;
  readonly cancelRequest: 'none' | 'requested' | 'acknowledged';
  /**
   * The outstanding cancel was asked before the venue accepted the order (`pending_new`): shown
   * `pending_cancel` from then on, the venue's acceptance included (a probe's status went
   * pending_cancel, new, canceled). Absent otherwise.
   */
  readonly cancelBeforeAccept?: boolean;
  /** Who asked for the outstanding (or last) cancel (`OrderCancelRequested.requestedBy`). */
  readonly cancelRequestedBy: string | null;
  readonly replaceRequest: PendingReplace | null;
  /**
   * When the outstanding (or last) cancel or replace was asked for (ISO): how long it has been in
   * flight (core in-flight.ts). Absent on orders no one has asked to cancel or replace.
   */
  readonly requestedAt?: string;
  /** Every execution id seen, applied or quarantined: a redelivered report is recognised. */
  readonly executions: ReadonlyMap<string, Execution>;
  /** Quarantined reports by `execId|lastQty|lastPx`: a redelivered one is not recorded again. */
  readonly quarantinedReports: ReadonlySet<string>;
  readonly replaces: string | null;
  readonly replacedBy: string | null;
  /** Its place in a bracket, OCO or OTO order; null for a simple order. */
  readonly contingency: Contingency | null;
  /**
   * Present on an algorithmic parent (contingency role `algo_parent`), and on an order the router
   * split into child orders (`OrderRouted`): the same children, mirrored and closed the same way.
   */
  readonly algo: AlgoState | null;
  /** The venue the order itself works at (`OrderRouted`, or `routedTo`); null before routing or when split. */
  readonly venue: string | null;
  /** The routing decision; null until routed (a replacement, a child: never routed themselves). */
  readonly routing: RoutingState | null;
  /** The NBBO when the OMS accepted the order (TCA's arrival price); null when not recorded. */
  readonly arrival: {
    readonly bid: string | null;
    readonly ask: string | null;
    /** The tape's cumulative volume, printed notional and mid x ms then (core market-quote.ts `tapeMarkOf`). */
    readonly volume?: string;
    readonly notional?: string;
    readonly midMs?: string;
  } | null;
  /** The client's decision price (`decision_price`, an OMS extension); null when not given. */
  readonly decisionPrice: string | null;
  /** The slippage thresholds the order was accepted under (core slippage.ts); null: none. */
  readonly slippageThresholds: AppliedSlippageThresholds | null;
  /** The firm open-exposure claim it holds (core aggregate-limits.ts); null: none. */
  readonly exposureClaim: ExposureClaim | null;
  /** What it reserves of its account's buying power (core buying-power-claims.ts); null: nothing. */
  readonly buyingPowerClaim: BuyingPowerClaim | null;
  /** `stage|error` of every exception recorded: a retried record does not record it twice. */
  readonly recordedExceptions: ReadonlySet<string>;
  /**
   * What an operator still has to act on, by exception id (`<orderId>:<seq>` of the event that
   * raised it): a quarantined execution, a workflow exception, a reconciliation break left open.
   * `OrderExceptionResolved` removes one (issue 16: the exceptions view). Absent on states folded
   * before it existed: read through `openExceptionsOf`.
   */
  readonly openExceptions?: ReadonlyMap<string, OpenException>;
  /** The changes the replacement order takes over (kept once replaced, for `openReplacement`). */
  readonly replacementChanges: ReplaceChanges | null;
  /** The buying power claim its replace request made for the replacement (kept once replaced). */
  readonly replacementClaim?: BuyingPowerClaim | null;
  readonly venueOrderId: string | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly filledAt: string | null;
  readonly canceledAt: string | null;
  /** `OrderCanceled.reason` once canceled (`client_request`, an OMS part, `venue`, ...). */
  readonly canceledReason: string | null;
  readonly expiredAt: string | null;
  readonly failedAt: string | null;
  readonly replacedAt: string | null;
}

// ---------------------------------------------------------------------------------------------
// Derived views

export function isFullyFilled(s: OrderState): boolean {
  if (s.qty !== null) return s.filledQty >= s.qty;
  return toValue18(s.notional as Nanos) - s.filledValue < NOTIONAL_REMAINDER_18;
}

export function isClosedPhase(s: Pick<OrderState, 'phase'>): boolean {
  return CLOSED_PHASES.has(s.phase);
}

/**
 * Whether the OMS holds this order's trigger because of its group, whatever the venue holds: the
 * stop-loss of a bracket or OCO, whose group has another working exit (the take-profit). Two exits
 * resting at a venue at once can both execute before a cancel reaches it (one-cancels-other done
 * after the fact); so the stop is armed at the OMS, and once triggered it is held (phase `held`)
 * until no sibling can execute there, then sent for what is left (docs/domain.md "Contingent
 * orders", core contingency.ts `reconcileGroup`). An OTO's one exit has no sibling.
 */
export function isTriggerHeldForGroup(contingency: Contingency | null): boolean {
  return (
    contingency !== null &&
    contingency.role === 'stop_loss' &&
    (contingency.orderClass === 'bracket' || contingency.orderClass === 'oco')
  );
}

/** A group's stop-loss that triggered at the OMS and waits for its sibling exits to close. */
export function isTriggeredHeldForGroup(s: Pick<OrderState, 'phase' | 'triggered'>): boolean {
  return s.phase === 'held' && s.triggered;
}

/** Nothing more can happen to the order's quantities: closed, or filled. */
function isDone(s: OrderState): boolean {
  return isClosedPhase(s) || isFullyFilled(s);
}

/**
 * Alpaca status, with FIX precedence: pending requests outrank fills (FIX D4, D5, D7). A cancel
 * asked while `pending_new` shows `pending_cancel` at once, as Alpaca shows it.
 */
export function statusOf(s: OrderState): OrderStatus {
  switch (s.phase) {
    case 'canceled':
    case 'expired':
    case 'rejected':
    case 'replaced':
      return s.phase;
    default:
  }
  if (s.phase === 'held') return 'held';
  if (s.phase === 'armed') return 'accepted';
  if (s.cancelRequest === 'acknowledged') return 'pending_cancel';
  // Alpaca shows a cancel asked before the venue's acknowledgement at once: the venue may never
  // have seen the order, so no Pending Cancel ack will come (a working order waits for it, FIX D3/4).
  if (s.cancelRequest === 'requested' && s.phase === 'pending_new') return 'pending_cancel';
  if (s.replaceRequest?.acknowledged) return 'pending_replace';
  if (s.phase === 'done_for_day') return 'done_for_day';
  if (isFullyFilled(s)) return 'filled';
  // It stays so once the venue accepts (the cancel goes to the venue then): never back to `new`,
  // until the cancel's outcome or a fill of the whole order (a probe's fill frame read pending_cancel).
  if (s.cancelRequest === 'requested' && s.cancelBeforeAccept) return 'pending_cancel';
  if (s.phase === 'pending_new') return 'pending_new';
  return s.filledQty > 0n ? 'partially_filled' : 'new';
}

function stillWorking(s: OrderState): boolean {
  if (isClosedPhase(s)) return false;
  // A day order done for the day will not trade again (FIX D2); a GTC one keeps its leaves (D27).
  return !(s.phase === 'done_for_day' && s.spec.timeInForce === 'day');
}

/**
 * Nothing more will happen to the order at the venue: its status is terminal (filled, canceled,
 * expired, rejected, replaced), or it is a day order done for the day (FIX D2; a GTC order done
 * for the day works again next session). What the order's workflow waits for.
 */
export function isSettled(s: OrderState): boolean {
  const status = statusOf(s);
  return isTerminal(status) || (status === 'done_for_day' && s.spec.timeInForce === 'day');
}

/**
 * Whether the order was never sent to a venue: pending_new, not routed, at no venue (a child or a
 * replacement names its venue when it is placed; any other order is routed just before it is
 * sent). No venue holds such an order: a cancel of it has nowhere to go.
 */
export function isUnsent(s: OrderState): boolean {
  return s.phase === 'pending_new' && s.routing === null && s.venue === null;
}

/**
 * The command that closes an order whose cancel was asked before it was ever sent (`isUnsent`):
 * the submission does not send it, and closes it as a venue's `unknown_order` answer to that
 * cancel would (broker-gateway execution-report.ts): canceled, solicited; the OMS's own cancel
 * after a failed step (`requestedBy` `oms`) rejected. Null: not such an order. (A probe's DELETE
 * right after its POST went to the default venue while the router sent the order to another; the
 * order stayed pending_cancel for good.)
 */
export function unsentCancelClose(s: OrderState): OrderCommand | null {
  if (!isUnsent(s) || s.cancelRequest === 'none') return null;
  return s.cancelRequestedBy === 'oms'
    ? { type: 'reject', reason: 'unknown_order' }
    : { type: 'confirmCancel' };
}

/** FIX LeavesQty. Null for notional orders, whose remainder is money (`leavesNotionalOf`). */
export function leavesQtyOf(s: OrderState): Nanos | null {
  if (s.qty === null) return null;
  return stillWorking(s) && s.qty > s.filledQty ? s.qty - s.filledQty : 0n;
}

/** Quantity taken off the market without filling (FIX CxlQty). */
export function canceledQtyOf(s: OrderState): Nanos | null {
  if (s.qty === null) return null;
  return s.qty - s.filledQty - (leavesQtyOf(s) as Nanos);
}

/** For notional orders: money still to spend, at scale 18. */
export function leavesNotionalOf(s: OrderState): Value18 | null {
  if (s.notional === null) return null;
  return stillWorking(s) && !isFullyFilled(s) ? toValue18(s.notional) - s.filledValue : 0n;
}

/** Average fill price, exact sum / quantity rounded half-even at 9 dp; null before any fill. */
export function avgPriceOf(s: OrderState): Nanos | null {
  return s.filledQty > 0n ? divideHalfEven(s.filledValue, s.filledQty) : null;
}

/** The type the order trades as: a triggered stop is a market order, a triggered stop-limit a limit. */
export function workingTypeOf(s: OrderState): OrderType {
  if (!s.triggered) return s.spec.type;
  return s.spec.type === 'stop_limit' ? 'limit' : 'market';
}

// ---------------------------------------------------------------------------------------------
// Commands

export type OrderCommand =
  | {
      readonly type: 'submit';
      readonly orderId: string;
      readonly accountId: string;
      readonly order: OrderSpec;
      /** A member of a contingent order (see `contingentMembersOf`). */
      readonly contingency?: Contingency;
      /** What the API's pre-trade check read, recorded on the event (core `RiskSnapshot`). */
      readonly acceptedAgainst?: RiskSnapshot;
      /** The venue it goes to without routing of its own (a split order's child). */
      readonly routedTo?: string;
      /** The firm open-exposure claim made in the placing transaction (core aggregate-limits.ts). */
      readonly exposureClaim?: ExposureClaim;
      /** Its reservation of the account's buying power, made in the same transaction. */
      readonly buyingPowerClaim?: BuyingPowerClaim;
    }
  /** The venue (or the OMS, for a stop it holds) reports a trailing stop's new high-water mark. */
  | { readonly type: 'moveTrail'; readonly hwm: string }
  /** The OMS holds the stop's trigger: `venue` does not hold this order type (see `trigger.ts`). */
  | { readonly type: 'arm'; readonly venue: string }
  /**
   * The smart order router's decision (core routing/), recorded before the order is sent. Several
   * allocations split the order: each names its child (placed in the same transaction).
   */
  | { readonly type: 'route'; readonly decision: RoutingDecisionRecord }
  /**
   * A split order whose children have all closed, one or more rejected, short of its quantity:
   * its remainder routed again (`decision.round`: the next round), each allocation a new child.
   */
  | { readonly type: 'reroute'; readonly decision: RoutingDecisionRecord }
  /** Releases a held leg, sized to what it protects (at most its qty). */
  | { readonly type: 'activate'; readonly qty: string }
  | { readonly type: 'accept'; readonly venueOrderId?: string }
  | { readonly type: 'reject'; readonly reason: string }
  | {
      readonly type: 'trigger';
      readonly triggerPrice: string;
      readonly bid?: string;
      readonly ask?: string;
    }
  | {
      readonly type: 'fill';
      readonly execId: string;
      readonly lastQty: string;
      readonly lastPx: string;
      readonly venue?: string;
      /** The venue's fee (negative: a rebate) and liquidity indicator, when it reports them. */
      readonly fee?: string;
      readonly liquidity?: 'added' | 'removed';
      /** On an algorithmic parent: the child whose fill this mirrors. */
      readonly childOrderId?: string;
    }
  | {
      /** An algorithmic parent records its algorithm's decision (see `algo-parent.ts`). */
      readonly type: 'decideSlice';
      readonly trigger: 'slice' | 'child_closed';
      readonly sliceIndex: number;
      readonly decision: 'release' | 'wait' | 'done';
      readonly reason?: string;
      readonly childOrderId?: string;
      readonly qty?: string;
      readonly volumeMark?: string;
    }
  | {
      readonly type: 'closeChild';
      readonly childOrderId: string;
      readonly outcome: 'filled' | 'canceled' | 'expired' | 'rejected';
      readonly filledQty: string;
    }
  | { readonly type: 'requestCancel'; readonly requestedBy: string }
  | { readonly type: 'acknowledgeCancel' }
  | { readonly type: 'confirmCancel'; readonly reason?: string }
  | { readonly type: 'rejectCancel'; readonly reason: string }
  | {
      readonly type: 'requestReplace';
      readonly replacementOrderId: string;
      readonly changes: ReplaceChanges;
      readonly requestedBy: string;
      /** What the replacement reserves of the buying power, claimed in the request's transaction. */
      readonly buyingPowerClaim?: BuyingPowerClaim;
      /**
       * A client's replace (the API's PATCH): its qty must stay above what has filled
       * (`replaceQtyAtOrBelowFills`), decided on the state the request appends to, so a fill that
       * lands while the request is on its way is counted. The OMS's own replaces (a bracket's exits
       * following their entry) may bring an order to its fills, as FIX D11 allows.
       */
      readonly qtyAboveFills?: true;
    }
  | { readonly type: 'acknowledgeReplace' }
  | { readonly type: 'confirmReplace' }
  | { readonly type: 'rejectReplace'; readonly reason: string }
  | { readonly type: 'expire' }
  | { readonly type: 'doneForDay' }
  | {
      readonly type: 'restate';
      readonly reason: string;
      readonly qty?: string;
      readonly limitPrice?: string;
      readonly stopPrice?: string;
      readonly reopen?: boolean;
    }
  | {
      /** A workflow step failed for good: record it and put the order in a defined state. */
      readonly type: 'recordException';
      readonly stage: string;
      readonly error: string;
      readonly cause: string;
      /** Whether the order may have reached the venue (a submission was attempted). */
      readonly reachedVenue: boolean;
    }
  | {
      /** An operator resolved one of the order's open exceptions, saying why. */
      readonly type: 'resolveException';
      readonly exceptionId: string;
      readonly reason: string;
      readonly resolvedBy: string;
    }
  | {
      /** Reconciliation found a break on the order (core reconciliation.ts): recorded once per key. */
      readonly type: 'recordBreak';
      readonly breakType: BreakType;
      readonly key: string;
      readonly detail: string;
      readonly repair: BreakRepairKind;
    };

export type OrderCommandType = OrderCommand['type'];

export type RefusalCode =
  | 'order_exists'
  | 'order_not_found'
  | 'order_closed'
  | 'not_pending_new'
  | 'not_held'
  | 'not_armable'
  | 'not_armed'
  | 'not_algo_parent'
  | 'unknown_child'
  | 'not_conditional'
  | 'already_triggered'
  | 'not_working'
  | 'request_pending'
  | 'no_request_pending'
  | 'nothing_to_cancel'
  | 'invalid_execution'
  | 'not_replaceable'
  | 'invalid_replace'
  | 'invalid_restate'
  | 'invalid_routing'
  | 'exception_not_found';

export interface Refusal {
  readonly code: RefusalCode;
  readonly message: string;
  readonly fieldErrors?: readonly FieldError[];
}

export type Decision =
  | { readonly ok: true; readonly events: readonly OrderEvent[] }
  | { readonly ok: false; readonly refusal: Refusal };

/**
 * What an order's phase makes of a command, before the command's own rules (its quantities, the
 * requests outstanding, the order's type and terms), which `decide` applies when the phase allows it:
 * - `allow`: the phase allows it;
 * - `ignore`: accepted and nothing happens (a late or retried report, a retried step);
 * - `at_once`: the OMS does it itself, nothing is asked of the venue (the order is not there: a held
 *   leg or an armed stop is canceled at once, an armed stop replaced at once);
 * - `quarantine`: an execution on a closed order is recorded for an operator, never applied;
 * - a refusal code: refused whatever else holds.
 * Read a row against the FIX 4.4 order state change matrices (Vol 4 Appendix D; test/core/fix-matrices.test.ts):
 * a cancel or replace of a closed order is refused (D8's Cancel Reject), fills during a pending
 * request still apply (D4-D7), a replace before the venue's ack is refused (FIX B.1.d allows a cancel,
 * not a replace, of an unacknowledged order). test/core/command-phases.test.ts checks `decide` against
 * every cell.
 */
export type PhaseRule = 'allow' | 'ignore' | 'at_once' | 'quarantine' | RefusalCode;

/** The four closed phases answer every command alike. */
type PhaseRow = readonly [
  held: PhaseRule,
  armed: PhaseRule,
  pendingNew: PhaseRule,
  working: PhaseRule,
  doneForDay: PhaseRule,
  closed: PhaseRule,
];

// biome-ignore format: a table, one command a line
const PHASE_ROWS: { readonly [C in OrderCommandType]: PhaseRow } = {
  //                  held               armed              pending_new        working            done_for_day       closed (canceled, expired, rejected, replaced)
  submit:             ['order_exists',   'order_exists',    'order_exists',    'order_exists',    'order_exists',    'order_exists'],
  moveTrail:          ['allow',          'allow',           'allow',           'allow',           'allow',           'ignore'],
  arm:                ['not_armable',    'ignore',          'allow',           'not_armable',     'not_armable',     'not_armable'],
  route:              ['not_pending_new','not_pending_new', 'allow',           'ignore',          'not_pending_new', 'order_closed'],
  reroute:            ['not_working',    'not_working',     'not_working',     'allow',           'not_working',     'order_closed'],
  activate:           ['allow',          'not_held',        'not_held',        'not_held',        'not_held',        'not_held'],
  accept:             ['not_pending_new','not_pending_new', 'allow',           'not_pending_new', 'not_pending_new', 'not_pending_new'],
  reject:             ['not_pending_new','not_pending_new', 'allow',           'not_pending_new', 'not_pending_new', 'not_pending_new'],
  trigger:            ['not_working',    'allow',           'not_working',     'allow',           'not_working',     'order_closed'],
  fill:               ['not_working',    'not_working',     'allow',           'allow',           'allow',           'quarantine'],
  decideSlice:        ['not_working',    'not_working',     'not_working',     'allow',           'not_working',     'order_closed'],
  closeChild:         ['allow',          'allow',           'allow',           'allow',           'allow',           'allow'],
  requestCancel:      ['at_once',        'at_once',         'allow',           'allow',           'allow',           'order_closed'],
  acknowledgeCancel:  ['allow',          'allow',           'allow',           'allow',           'allow',           'order_closed'],
  confirmCancel:      ['allow',          'allow',           'allow',           'allow',           'allow',           'order_closed'],
  rejectCancel:       ['allow',          'allow',           'allow',           'allow',           'allow',           'allow'],
  requestReplace:     ['not_replaceable','at_once',         'not_replaceable', 'allow',           'allow',           'order_closed'],
  acknowledgeReplace: ['allow',          'allow',           'allow',           'allow',           'allow',           'order_closed'],
  confirmReplace:     ['allow',          'allow',           'allow',           'allow',           'allow',           'order_closed'],
  rejectReplace:      ['allow',          'allow',           'allow',           'allow',           'allow',           'allow'],
  expire:             ['allow',          'allow',           'allow',           'allow',           'allow',           'order_closed'],
  doneForDay:         ['not_working',    'not_working',     'not_working',     'allow',           'not_working',     'order_closed'],
  restate:            ['allow',          'allow',           'allow',           'allow',           'allow',           'order_closed'],
  recordException:    ['allow',          'allow',           'allow',           'allow',           'allow',           'allow'],
  resolveException:   ['allow',          'allow',           'allow',           'allow',           'allow',           'allow'],
  recordBreak:        ['allow',          'allow',           'allow',           'allow',           'allow',           'allow'],
};

const PHASE_COLUMN: Readonly<Record<Phase, number>> = {
  held: 0,
  armed: 1,
  pending_new: 2,
  working: 3,
  done_for_day: 4,
  canceled: 5,
  expired: 5,
  rejected: 5,
  replaced: 5,
};

/** The phase rule of `command` in `phase` (see `PhaseRule`). */
export function phaseRule(command: OrderCommandType, phase: Phase): PhaseRule {
  return PHASE_ROWS[command][PHASE_COLUMN[phase]] as PhaseRule;
}

const NOT_REFUSALS: ReadonlySet<PhaseRule> = new Set(['allow', 'ignore', 'at_once', 'quarantine']);

/** The refusal code of a rule, or null when the rule does not refuse. */
function barredBy(rule: PhaseRule): RefusalCode | null {
  return NOT_REFUSALS.has(rule) ? null : (rule as RefusalCode);
}

const refuse = (code: RefusalCode, message: string, fieldErrors?: readonly FieldError[]): Decision => ({
  ok: false,
  refusal: fieldErrors ? { code, message, fieldErrors } : { code, message },
});

type EventOf<T extends OrderEvent['type']> = Extract<OrderEvent, { type: T }>;

/** Decides what a command means for the order. `state` is undefined for an order not yet submitted. */
export function decide(state: OrderState | undefined, command: OrderCommand, now: number): Decision {
  const at = new Date(now).toISOString();
  if (command.type === 'submit') {
    if (state !== undefined)
      return refuse(
        barredBy(phaseRule('submit', state.phase)) ?? 'order_exists',
        `order ${state.orderId} already exists`,
      );
    return {
      ok: true,
      events: [
        submittedEvent(
          command.orderId,
          command.accountId,
          command.order,
          at,
          null,
          0n,
          0n,
          command.contingency,
          command.acceptedAgainst,
          command.routedTo,
          command.exposureClaim,
          command.buyingPowerClaim,
        ),
      ],
    };
  }
  if (state === undefined) return refuse('order_not_found', `${command.type}: the order does not exist`);
  const s = state;
  const one = <T extends OrderEvent['type']>(type: T, data: EventOf<T>['data']): Decision => ({
    ok: true,
    events: [{ type, orderId: s.orderId, seq: s.seq + 1, occurredAt: at, data } as unknown as OrderEvent],
  });
  const closed = () => refuse('order_closed', `${command.type}: order ${s.orderId} is ${statusOf(s)}`);
  // What the order's phase makes of the command (the table above); the command's own rules follow.
  const rule = phaseRule(command.type, s.phase);
  const barred = barredBy(rule);
  /** Refused by the phase: `order_closed` with the usual message, another code with `message`. */
  const refusedByPhase = (message: string): Decision | null =>
    barred === null ? null : barred === 'order_closed' ? closed() : refuse(barred, message);

  switch (command.type) {
    case 'moveTrail': {
      if (s.spec.type !== 'trailing_stop')
        return refuse('not_conditional', `moveTrail: a ${s.spec.type} order does not trail`);
      if (rule === 'ignore' || isFullyFilled(s) || s.triggered) return { ok: true, events: [] }; // a late report: nothing to move
      const hwm = positiveDecimal(command.hwm);
      if (hwm === null) return refuse('invalid_execution', 'moveTrail: hwm must be a positive decimal');
      // Only a better mark moves it (a redelivered or overtaken report changes nothing).
      const current = s.hwm === null ? null : nanos(s.hwm);
      const better = current === null || (s.spec.side === 'sell' ? hwm > current : hwm < current);
      return better ? one('OrderTrailMoved', { hwm: formatNanos(hwm) }) : { ok: true, events: [] };
    }

    case 'arm': {
      if (s.spec.type !== 'stop' && s.spec.type !== 'stop_limit' && s.spec.type !== 'trailing_stop')
        return refuse('not_conditional', `arm: a ${s.spec.type} order has no trigger`);
      if (rule === 'ignore') return { ok: true, events: [] }; // a retried step: armed already
      if (barred !== null || s.triggered || s.cancelRequest !== 'none' || s.replaceRequest !== null)
        return refuse('not_armable', `arm: order is ${statusOf(s)}${s.triggered ? ', triggered' : ''}`);
      if (command.venue === '') return refuse('not_armable', 'arm: the venue must be named');
      return one('OrderArmed', { venue: command.venue });
    }

    case 'route': {
      // A retried step: the decision is recorded already (the caller answers from it).
      if (rule === 'ignore' || s.routing !== null) return { ok: true, events: [] };
      if (barred !== null)
        return refusedByPhase(`route: order is ${statusOf(s)}, not pending_new`) as Decision;
      const d = command.decision;
      if (d.allocations.length > 1 && d.allocations.some((a) => a.childOrderId === null))
        return refuse('invalid_routing', 'route: every allocation of a split order names its child');
      if (d.allocations.length > 1 && (s.contingency !== null || s.algo !== null))
        return refuse('invalid_routing', 'route: only a simple order is split');
      const events: OrderEvent[] = [
        { type: 'OrderRouted', orderId: s.orderId, seq: s.seq + 1, occurredAt: at, data: d } as OrderEvent,
      ];
      // Split: the parent works through its children from now on (Alpaca `new`), as an algorithmic parent does.
      if (d.allocations.length > 1)
        events.push({
          type: 'OrderAccepted',
          orderId: s.orderId,
          seq: s.seq + 2,
          occurredAt: at,
          data: { venueOrderId: null },
        } as OrderEvent);
      return { ok: true, events };
    }

    case 'reroute': {
      const d = command.decision;
      const routing = s.routing;
      if (routing?.split !== true || s.algo === null)
        return refuse('invalid_routing', 'reroute: only a split order is routed again');
      const round = (routing.rounds ?? 1) + 1;
      // A retried step: this round is recorded already.
      if (d.round !== undefined && d.round < round) return { ok: true, events: [] };
      if (d.round !== round) return refuse('invalid_routing', `reroute: the next round is ${round}`);
      if (barred !== null || isFullyFilled(s)) return refusedByPhase('') ?? closed();
      if (s.cancelRequest !== 'none')
        return refuse('request_pending', 'reroute: the order is being canceled');
      if ([...s.algo.children.values()].some((c) => c.open))
        return refuse('invalid_routing', 'reroute: a child of the order is still open');
      if (d.allocations.some((a) => a.childOrderId === null || a.qty === null))
        return refuse('invalid_routing', 'reroute: every allocation names its child and its qty');
      const remainder = (s.qty ?? 0n) - s.filledQty;
      const sent = d.allocations.reduce((sum, a) => sum + nanos(a.qty as string), 0n);
      if (sent > remainder)
        return refuse(
          'invalid_routing',
          `reroute: allocates ${formatNanos(sent)}, the remainder is ${formatNanos(remainder)}`,
        );
      return one('OrderRouted', d);
    }

    case 'activate': {
      const notHeld = refusedByPhase(`activate: order is ${statusOf(s)}, not held`);
      if (notHeld !== null) return notHeld;
      const qty = positiveDecimal(command.qty);
      if (qty === null || s.qty === null || qty > s.qty) {
        return refuse('invalid_execution', 'activate: qty must be a positive decimal, at most the order qty');
      }
      // A triggered stop held for its group: its workflow waits to send it (no start).
      return one('OrderActivated', {
        qty: formatNanos(qty),
        ...(s.triggered ? { afterTrigger: true as const } : {}),
      });
    }

    case 'accept':
      return (
        refusedByPhase(`accept: order is ${statusOf(s)}, not pending_new`) ??
        one('OrderAccepted', { venueOrderId: command.venueOrderId ?? null })
      );

    case 'reject':
      return (
        refusedByPhase(`reject: order is ${statusOf(s)}, not pending_new`) ??
        one('OrderRejected', { reason: command.reason })
      );

    case 'trigger': {
      if (s.spec.type !== 'stop' && s.spec.type !== 'stop_limit' && s.spec.type !== 'trailing_stop') {
        return refuse('not_conditional', `trigger: a ${s.spec.type} order has no trigger`);
      }
      if (s.triggered) return refuse('already_triggered', 'trigger: the order has already triggered');
      if (barred === 'order_closed' || isFullyFilled(s)) return closed();
      // The venue triggers a stop it holds (working), the OMS one it holds (armed).
      const notWorking = refusedByPhase(`trigger: order is ${statusOf(s)}`);
      if (notWorking !== null) return notWorking;
      const price = positiveDecimal(command.triggerPrice);
      if (price === null)
        return refuse('invalid_execution', 'trigger: triggerPrice must be a positive decimal');
      const quote = (text: string | undefined, name: string): string | null | Decision => {
        if (text === undefined) return null;
        const v = positiveDecimal(text);
        return v === null
          ? refuse('invalid_execution', `trigger: ${name} must be a positive decimal`)
          : formatNanos(v);
      };
      const bid = quote(command.bid, 'bid');
      if (bid !== null && typeof bid !== 'string') return bid;
      const ask = quote(command.ask, 'ask');
      if (ask !== null && typeof ask !== 'string') return ask;
      // A group's stop-loss the OMS armed is held on until its sibling exits are closed.
      const heldForGroup = s.phase === 'armed' && isTriggerHeldForGroup(s.contingency);
      return one('OrderTriggered', {
        triggerPrice: formatNanos(price),
        bid,
        ask,
        ...(heldForGroup ? { heldForGroup: true as const } : {}),
      });
    }

    case 'fill':
      if (barred !== null)
        return refuse(
          barred,
          `fill: ${s.phase === 'held' ? 'a held leg' : 'an armed stop'} is not at the venue`,
        );
      if (command.childOrderId !== undefined && !s.algo?.children.has(command.childOrderId))
        return refuse('unknown_child', `fill: ${command.childOrderId} is not a child of this order`);
      return decideFill(s, command, one, rule === 'quarantine');

    case 'decideSlice':
      return decideSlice(s, command, one, barred);

    case 'closeChild': {
      const child = s.algo?.children.get(command.childOrderId);
      if (s.algo === null || child === undefined)
        return refuse('unknown_child', `closeChild: ${command.childOrderId} is not a child of this order`);
      if (!child.open) return { ok: true, events: [] };
      const filledQty = positiveOrZero(command.filledQty);
      if (filledQty === null || filledQty !== child.filled)
        return refuse('invalid_execution', 'closeChild: the child has fills not mirrored yet');
      return one('OrderChildClosed', {
        childOrderId: command.childOrderId,
        outcome: command.outcome,
        filledQty: formatNanos(filledQty),
      });
    }

    case 'requestCancel':
      if (barred !== null || isFullyFilled(s)) return refusedByPhase('') ?? closed();
      // A held leg or an armed stop is not at the venue: it is canceled at once.
      if (rule === 'at_once')
        return one('OrderCanceled', { reason: cancelReasonOf(command.requestedBy), solicited: true });
      if (s.cancelRequest !== 'none' || s.replaceRequest !== null) {
        return refuse('request_pending', `requestCancel: order is ${statusOf(s)} with a request outstanding`);
      }
      return one('OrderCancelRequested', { requestedBy: command.requestedBy });

    case 'acknowledgeCancel':
      if (s.cancelRequest !== 'requested')
        return refuse('no_request_pending', 'acknowledgeCancel: no cancel awaits acknowledgement');
      if (barred !== null || isFullyFilled(s)) return refusedByPhase('') ?? closed();
      return one('OrderCancelAcknowledged', {});

    case 'confirmCancel':
      if (barred !== null) return refusedByPhase('') ?? closed();
      if (isFullyFilled(s)) return refuse('nothing_to_cancel', 'confirmCancel: the order is fully filled');
      return one('OrderCanceled', {
        reason:
          command.reason ??
          (s.cancelRequest === 'none' ? 'venue' : cancelReasonOf(s.cancelRequestedBy ?? 'client')),
        solicited: s.cancelRequest !== 'none',
      });

    case 'rejectCancel':
      if (s.cancelRequest === 'none')
        return refuse('no_request_pending', 'rejectCancel: no cancel request is outstanding');
      return one('OrderCancelRejected', { reason: command.reason });

    case 'requestReplace':
      return decideReplaceRequest(s, command, now, one, closed, rule);

    case 'acknowledgeReplace':
      if (s.replaceRequest === null || s.replaceRequest.acknowledged) {
        return refuse('no_request_pending', 'acknowledgeReplace: no replace awaits acknowledgement');
      }
      if (barred !== null || isFullyFilled(s)) return refusedByPhase('') ?? closed();
      return one('OrderReplaceAcknowledged', {});

    case 'confirmReplace':
      if (s.replaceRequest === null)
        return refuse('no_request_pending', 'confirmReplace: no replace request is outstanding');
      if (barred !== null || isFullyFilled(s)) return refusedByPhase('') ?? closed();
      return one('OrderReplaced', { replacementOrderId: s.replaceRequest.replacementOrderId });

    case 'rejectReplace':
      if (s.replaceRequest === null)
        return refuse('no_request_pending', 'rejectReplace: no replace request is outstanding');
      return one('OrderReplaceRejected', { reason: command.reason });

    case 'expire':
      if (barred !== null || isFullyFilled(s)) return refusedByPhase('') ?? closed();
      return one('OrderExpired', {});

    case 'doneForDay': {
      if (barred === 'order_closed' || isFullyFilled(s)) return closed();
      const notWorking = refusedByPhase(`doneForDay: order is ${statusOf(s)}`);
      if (notWorking !== null) return notWorking;
      return one('OrderDoneForDay', {});
    }

    case 'restate':
      if (barred !== null) return refusedByPhase('') ?? closed();
      return decideRestate(s, command, one, closed);

    case 'recordException':
      return decideException(s, command, at);

    case 'resolveException':
      if (!openExceptionsOf(s).has(command.exceptionId))
        return refuse(
          'exception_not_found',
          `resolveException: order ${s.orderId} has no open exception ${command.exceptionId}`,
        );
      return one('OrderExceptionResolved', {
        exceptionId: command.exceptionId,
        reason: command.reason,
        resolvedBy: command.resolvedBy,
      });

    case 'recordBreak':
      // Recorded once: every later pass that finds the same break finds it recorded. A record
      // only: the repair, when there is one, is applied as its own command.
      if (s.recordedExceptions.has(breakKey(command.key))) return { ok: true, events: [] };
      return one('OrderBreakFound', {
        breakType: command.breakType,
        key: command.key,
        detail: command.detail,
        repair: command.repair,
      });
  }
}

/**
 * Why a requested cancel closed the order: the OMS's own requests say which part of the OMS asked
 * and why (`oms`, `oms:contingency:position_covered`, `oms:algo:schedule_ended`); anyone else's
 * (an API principal, a strategy on the bus) is `client_request`.
 */
export function cancelReasonOf(requestedBy: string): string {
  return requestedBy === 'oms' || requestedBy.startsWith('oms:') ? requestedBy : 'client_request';
}

/**
 * The exception is always recorded. An order the venue cannot have seen is rejected; one that
 * may be live there is canceled (the venue confirms, or rejects the cancel of an unknown order);
 * a closed order, or one with a request outstanding, is left as it is.
 */
function decideException(
  s: OrderState,
  c: Extract<OrderCommand, { type: 'recordException' }>,
  at: string,
): Decision {
  // Recorded once: a retried workflow step or a reconciliation run again finds it recorded.
  if (s.recordedExceptions.has(exceptionKey(c))) return { ok: true, events: [] };
  const events: OrderEvent[] = [];
  const add = <T extends OrderEvent['type']>(type: T, data: EventOf<T>['data']) =>
    events.push({
      type,
      orderId: s.orderId,
      seq: s.seq + events.length + 1,
      occurredAt: at,
      data,
    } as OrderEvent);
  add('OrderExceptionRecorded', {
    stage: c.stage,
    error: c.error,
    cause: c.cause,
    reachedVenue: c.reachedVenue,
  });
  const requestOutstanding = s.cancelRequest !== 'none' || s.replaceRequest !== null;
  if (s.phase === 'held' || s.phase === 'armed') {
    add('OrderCanceled', { reason: `exception in ${c.stage}: ${c.error}`, solicited: false });
  } else if (s.phase === 'pending_new' && !c.reachedVenue && !requestOutstanding) {
    add('OrderRejected', { reason: `exception in ${c.stage}: ${c.error}` });
  } else if (!isDone(s) && !requestOutstanding) {
    add('OrderCancelRequested', { requestedBy: 'oms' });
  }
  return { ok: true, events };
}

function positiveOrZero(text: string): Nanos | null {
  const v = parseNanos(text);
  return typeof v === 'bigint' && v >= 0n ? v : null;
}

function decideSlice(
  s: OrderState,
  c: Extract<OrderCommand, { type: 'decideSlice' }>,
  one: One,
  barred: RefusalCode | null,
): Decision {
  if (s.algo === null) return refuse('not_algo_parent', 'decideSlice: not an algorithmic parent');
  // Idempotent: a slice decided before (a retried step) decides nothing again.
  if (c.trigger === 'slice' && s.algo.decidedSlices.has(c.sliceIndex)) return { ok: true, events: [] };
  if (barred === 'order_closed' || isFullyFilled(s) || s.algo.done)
    return refuse('order_closed', `decideSlice: order is ${statusOf(s)}`);
  if (barred !== null) return refuse(barred, `decideSlice: order is ${statusOf(s)}`);
  if (s.cancelRequest !== 'none') return refuse('request_pending', 'decideSlice: a cancel is outstanding');
  let qty: Nanos | null = null;
  if (c.decision === 'release') {
    qty = c.qty === undefined ? null : positiveDecimal(c.qty);
    if (qty === null || c.childOrderId === undefined || s.algo.children.has(c.childOrderId))
      return refuse('invalid_execution', 'decideSlice: a release needs a new child id and a positive qty');
    let exposure = s.filledQty + qty;
    for (const child of s.algo.children.values()) if (child.open) exposure += child.qty - child.filled;
    if (s.qty !== null && exposure > s.qty)
      return refuse('invalid_execution', 'decideSlice: the release would work more than the parent qty');
  }
  return one('OrderSliceDecided', {
    trigger: c.trigger,
    sliceIndex: c.sliceIndex,
    decision: c.decision,
    reason: c.reason ?? null,
    childOrderId: c.decision === 'release' ? (c.childOrderId as string) : null,
    qty: qty === null ? null : formatNanos(qty),
    volumeMark: c.volumeMark ?? null,
  });
}

/** A reconciliation break's place among the order's recorded exceptions. */
function breakKey(key: string): string {
  return `reconciliation|${key}`;
}

/** The state with the event's exception open (its id: the event's `orderId:seq`). */
function raise(s: OrderState, e: OrderEvent, kind: OpenExceptionKind, detail: string): OrderState {
  const open = new Map(openExceptionsOf(s));
  open.set(`${e.orderId}:${e.seq}`, { kind, detail, raisedAt: e.occurredAt });
  return { ...s, openExceptions: open };
}

function exceptionKey(e: { readonly stage: string; readonly error: string }): string {
  return `${e.stage}|${e.error}`;
}

type One = <T extends OrderEvent['type']>(type: T, data: EventOf<T>['data']) => Decision;

function positiveDecimal(text: string): Nanos | null {
  const v = parseNanos(text);
  return typeof v === 'bigint' && v > 0n ? v : null;
}

function reportKey(r: {
  readonly execId: string;
  readonly lastQty: string;
  readonly lastPx: string;
}): string {
  return `${r.execId}|${r.lastQty}|${r.lastPx}`;
}

function decideFill(
  s: OrderState,
  c: Extract<OrderCommand, { type: 'fill' }>,
  one: One,
  onClosedOrder: boolean,
): Decision {
  const lastQty = positiveDecimal(c.lastQty);
  const lastPx = positiveDecimal(c.lastPx);
  if (c.execId.length === 0 || lastQty === null || lastPx === null) {
    return refuse(
      'invalid_execution',
      'fill: execId must be set and lastQty, lastPx positive decimals (<= 9 dp)',
    );
  }
  const qtyText = formatNanos(lastQty);
  const pxText = formatNanos(lastPx);
  const report = { execId: c.execId, lastQty: qtyText, lastPx: pxText, venue: c.venue ?? null };
  const costs = {
    ...(c.fee === undefined ? {} : { fee: c.fee }),
    ...(c.liquidity === undefined ? {} : { liquidity: c.liquidity }),
  };
  const seen = s.executions.get(c.execId);
  if (seen !== undefined) {
    // A redelivered report changes nothing (a quarantined one included); the same id with other
    // terms is an exception, recorded once however often it is redelivered.
    if (seen.lastQty === qtyText && seen.lastPx === pxText) return { ok: true, events: [] };
    if (s.quarantinedReports.has(reportKey(report))) return { ok: true, events: [] };
    return one('OrderExecutionQuarantined', { ...report, reason: 'conflicting_duplicate' });
  }
  const quarantine = (reason: QuarantineReason) => one('OrderExecutionQuarantined', { ...report, reason });
  if (onClosedOrder) return quarantine('order_closed');
  const filledQty = s.filledQty + lastQty;
  const filledValue = s.filledValue + multiply(lastQty, lastPx);
  if (s.qty !== null ? filledQty > s.qty : filledValue > toValue18(s.notional as Nanos))
    return quarantine('overfill');
  const after: OrderState = { ...s, filledQty, filledValue };
  const leaves = leavesQtyOf(after);
  return one(isFullyFilled(after) ? 'OrderFilled' : 'OrderPartiallyFilled', {
    ...report,
    ...costs,
    filledQty: formatNanos(filledQty),
    leavesQty: leaves === null ? null : formatNanos(leaves),
    filledAvgPrice: formatNanos(divideHalfEven(filledValue, filledQty)),
    ...(c.childOrderId === undefined ? {} : { childOrderId: c.childOrderId }),
  });
}

function decideReplaceRequest(
  s: OrderState,
  c: Extract<OrderCommand, { type: 'requestReplace' }>,
  now: number,
  one: One,
  closed: () => Decision,
  rule: PhaseRule,
): Decision {
  // A bad value is named first, as POST names it, whatever the order's state.
  const valueErrors = replaceTermErrors(c.changes);
  if (valueErrors.length > 0)
    return refuse('invalid_replace', `requestReplace: ${describeFieldErrors(valueErrors)}`, valueErrors);
  if (rule === 'order_closed' || isFullyFilled(s)) return closed();
  if (s.cancelRequest !== 'none' || s.replaceRequest !== null) {
    return refuse('request_pending', `requestReplace: order is ${statusOf(s)} with a request outstanding`);
  }
  const barred = barredBy(rule);
  if (barred !== null) {
    const why =
      s.phase === 'held'
        ? 'a held leg works only once its parent fills'
        : 'the venue has not accepted the order yet';
    return refuse(barred, `requestReplace: ${why}`);
  }
  if (s.notional !== null)
    return refuse('not_replaceable', 'requestReplace: notional orders cannot be replaced');
  // A split order works through its children at several venues (docs/routing.md): not an algorithm
  // to the client, who could not tell why it was refused so (a probe).
  if (s.algo !== null)
    return refuse(
      'not_replaceable',
      s.routing?.split === true
        ? 'requestReplace: an order the router split over venues cannot be replaced (cancel it and place a new order)'
        : 'requestReplace: an algorithmic order cannot be replaced (cancel it)',
    );
  if (s.triggered && s.spec.type !== 'trailing_stop' && c.changes.stopPrice !== undefined) {
    return refuse('not_replaceable', 'requestReplace: stop_price cannot change once the stop has triggered');
  }
  const changed = Object.values(c.changes).some((v) => v !== undefined);
  if (!changed) return refuse('invalid_replace', 'requestReplace: nothing to change');
  const atOrBelowFills = c.qtyAboveFills === true ? replaceQtyAtOrBelowFills(s, c.changes) : null;
  if (atOrBelowFills !== null)
    return refuse('invalid_replace', `requestReplace: ${describeFieldErrors([atOrBelowFills])}`, [
      atOrBelowFills,
    ]);
  // The replacement must be a valid order in its own right: run the full request rules on it.
  const merged = applyChanges(s.spec, c.changes);
  const checked = validateOrderRequest(specToRequest(merged), { now });
  if (!checked.ok) {
    return refuse(
      'invalid_replace',
      `requestReplace: ${describeFieldErrors(checked.errors)}`,
      checked.errors,
    );
  }
  // A bracket's or OTO's exits are sized to its entry: an entry raised past them filled 8 behind
  // exits of 5 that could then never activate (a probe: the position left without its stop).
  const entryQty = s.contingency?.role === 'entry' ? s.qty : null;
  if (entryQty !== null && checked.order.qty !== null && nanos(checked.order.qty) > entryQty) {
    const why = `cannot be raised on the entry of a ${s.contingency?.orderClass} order (${formatNanos(entryQty)}): its exits are sized to it; lower it, or cancel the order and place a new one`;
    return refuse('not_replaceable', `requestReplace: qty ${why}`, [fieldError('not_allowed', 'qty', why)]);
  }
  const requested = {
    replacementOrderId: c.replacementOrderId,
    changes: canonicalChanges(c.changes, checked.order),
    requestedBy: c.requestedBy,
    ...(c.buyingPowerClaim === undefined ? {} : { buyingPowerClaim: c.buyingPowerClaim }),
  };
  if (rule !== 'at_once') return one('OrderReplaceRequested', requested);
  // The OMS holds an armed stop: it replaces it at once, nothing to ask the venue. The replacement
  // opens armed in its turn (`openReplacement`).
  const at = new Date(now).toISOString();
  const next = (type: 'OrderReplaceRequested' | 'OrderReplaced', seq: number, data: object) =>
    ({ type, orderId: s.orderId, seq, occurredAt: at, data }) as OrderEvent;
  return {
    ok: true,
    events: [
      next('OrderReplaceRequested', s.seq + 1, requested),
      next('OrderReplaced', s.seq + 2, { replacementOrderId: c.replacementOrderId }),
    ],
  };
}

/**
 * A client's replace may not bring the qty (the order's whole qty, its fills included) to or below
 * what has filled. FIX allows it (D11: the replaced order is then filled, and the core opens such a
 * replacement already filled when a venue does it), but such a replacement has no fill of its own
 * and no trade update ends it: a probe's PATCH of {qty: 1} on an order 3 of 10 filled answered a
 * replacement of 3 that read `filled`, `filled_at` null, whose only frame was `new`. A client
 * stops the rest by canceling. Null: the qty is not changed, or stays above the fills.
 */
export function replaceQtyAtOrBelowFills(s: OrderState, changes: ReplaceChanges): FieldError | null {
  if (changes.qty === undefined || s.filledQty <= 0n) return null;
  const qty = parseNanos(changes.qty);
  if (typeof qty !== 'bigint' || qty > s.filledQty) return null;
  return fieldError(
    'out_of_range',
    'qty',
    `must be more than the ${formatNanos(s.filledQty)} already filled (qty is the order's whole quantity, its fills included); to stop the rest, cancel the order`,
  );
}

function applyChanges(spec: OrderSpec, ch: ReplaceChanges): OrderSpec {
  // An OCO's root IS its take-profit limit: repricing it moves the take-profit with it (Alpaca
  // replaces either exit of an OCO as any order; the rule "limit_price equals
  // take_profit.limit_price" is about placing one).
  const takeProfit =
    spec.orderClass === 'oco' && ch.limitPrice !== undefined && spec.takeProfit !== null
      ? { ...spec.takeProfit, limitPrice: ch.limitPrice }
      : spec.takeProfit;
  return {
    ...spec,
    takeProfit,
    qty: ch.qty ?? spec.qty,
    limitPrice: ch.limitPrice ?? spec.limitPrice,
    stopPrice: ch.stopPrice ?? spec.stopPrice,
    // A trailing stop trails by price or by percent: setting one clears the other.
    trailPrice: ch.trailPrice ?? (ch.trailPercent !== undefined ? null : spec.trailPrice),
    trailPercent: ch.trailPercent ?? (ch.trailPrice !== undefined ? null : spec.trailPercent),
    timeInForce: ch.timeInForce ?? spec.timeInForce,
    clientOrderId: ch.clientOrderId ?? null,
    positionIntent: ch.positionIntent ?? spec.positionIntent,
  };
}

/** The changes as validated, decimals in canonical text. */
function canonicalChanges(ch: ReplaceChanges, v: OrderSpec): ReplaceChanges {
  const out: { -readonly [K in keyof ReplaceChanges]: ReplaceChanges[K] } = {};
  if (ch.qty !== undefined) out.qty = v.qty as string;
  if (ch.limitPrice !== undefined) out.limitPrice = v.limitPrice as string;
  if (ch.stopPrice !== undefined) out.stopPrice = v.stopPrice as string;
  if (ch.trailPrice !== undefined) out.trailPrice = v.trailPrice as string;
  if (ch.trailPercent !== undefined) out.trailPercent = v.trailPercent as string;
  if (ch.timeInForce !== undefined) out.timeInForce = v.timeInForce;
  if (ch.clientOrderId !== undefined) out.clientOrderId = ch.clientOrderId;
  if (ch.positionIntent !== undefined) out.positionIntent = ch.positionIntent;
  return out;
}

function decideRestate(
  s: OrderState,
  c: Extract<OrderCommand, { type: 'restate' }>,
  one: One,
  closed: () => Decision,
): Decision {
  if (isDone(s)) return closed();
  const bad = (m: string) => refuse('invalid_restate', `restate: ${m}`);
  let qty: Nanos | null = null;
  if (c.qty !== undefined) {
    if (s.qty === null) return bad('a notional order has no qty to restate');
    qty = positiveDecimal(c.qty);
    if (qty === null) return bad('qty must be a positive decimal');
    if (qty < s.filledQty)
      return bad(`qty ${formatNanos(qty)} is below the filled ${formatNanos(s.filledQty)}`);
  }
  const price = (text: string | undefined, applies: boolean, field: string): Nanos | null | Decision => {
    if (text === undefined) return null;
    if (!applies) return bad(`${field} does not apply to a ${s.spec.type} order`);
    const v = positiveDecimal(text);
    return v === null ? bad(`${field} must be a positive decimal`) : v;
  };
  const limit = price(c.limitPrice, s.spec.limitPrice !== null, 'limitPrice');
  if (limit !== null && typeof limit !== 'bigint') return limit;
  const stop = price(c.stopPrice, s.spec.stopPrice !== null, 'stopPrice');
  if (stop !== null && typeof stop !== 'bigint') return stop;
  const reopen = c.reopen === true;
  if (reopen && (s.phase !== 'done_for_day' || s.spec.timeInForce === 'day')) {
    return bad('only a multi-day order that is done for the day can reopen');
  }
  if (qty === null && limit === null && stop === null && !reopen) return bad('nothing to restate');
  return one('OrderRestated', {
    reason: c.reason,
    qty: qty === null ? null : formatNanos(qty),
    limitPrice: limit === null ? null : formatNanos(limit),
    stopPrice: stop === null ? null : formatNanos(stop),
    reopened: reopen,
  });
}

function submittedEvent(
  orderId: string,
  accountId: string,
  order: OrderSpec,
  at: string,
  replaces: string | null,
  carriedQty: Nanos,
  carriedValue: Value18,
  contingency?: Contingency,
  acceptedAgainst?: RiskSnapshot,
  routedTo?: string,
  exposureClaim?: ExposureClaim,
  buyingPowerClaim?: BuyingPowerClaim,
): OrderSubmitted {
  return {
    type: 'OrderSubmitted',
    orderId,
    seq: 1,
    occurredAt: at,
    data: {
      accountId,
      clientOrderId: order.clientOrderId ?? orderId,
      order,
      replaces,
      carriedFilledQty: formatNanos(carriedQty),
      carriedFilledValue: formatValue18(carriedValue),
      ...(contingency === undefined ? {} : { contingency }),
      ...(acceptedAgainst === undefined ? {} : { acceptedAgainst }),
      ...(routedTo === undefined ? {} : { routedTo }),
      ...(exposureClaim === undefined ? {} : { exposureClaim }),
      ...(buyingPowerClaim === undefined ? {} : { buyingPowerClaim }),
    },
  };
}

/**
 * The replacement's opening events, once the venue confirmed the replace of `replaced`: the new
 * order carries the old one's fills (FIX CumQty spans the chain) and works at once. A new qty at
 * or below what has filled becomes the filled qty, so the replacement is filled (FIX D11, D12).
 * `venueOrderId`: the replacement's own id at the venue, when the venue gave it one.
 */
export function openReplacement(
  replaced: OrderState,
  now: number,
  venueOrderId?: string,
): readonly OrderEvent[] {
  if (replaced.phase !== 'replaced' || replaced.replacedBy === null || replaced.replacementChanges === null) {
    throw new Error(`order ${replaced.orderId} has not been replaced`);
  }
  const at = new Date(now).toISOString();
  const terms = applyChanges(replaced.spec, replaced.replacementChanges);
  const asked = nanos(terms.qty as string);
  const qty = max(asked, replaced.filledQty);
  const spec: OrderSpec = { ...terms, qty: formatNanos(qty) };
  const id = replaced.replacedBy;
  const from = replaced.orderId;
  const submitted = submittedEvent(
    id,
    replaced.accountId,
    spec,
    // Created when the replace was asked for (the PATCH's answer says so), whenever the venue
    // confirms it: its created_at never moves (an SDK probe read three, answer, pending, open).
    replaced.requestedAt ?? at,
    from,
    replaced.filledQty,
    replaced.filledValue,
    // The replacement takes its member's place in the group; it works, so it is not held.
    replaced.contingency === null ? undefined : { ...replaced.contingency, held: false },
    undefined,
    // It continues its order at that order's venue (cancels and replaces go there).
    replaced.venue ?? undefined,
    // And holds its order's firm open-exposure claim, given back when it settles.
    replaced.exposureClaim ?? undefined,
    // Not its order's buying power claim (the replaced order gives its rest back) but the one its
    // replace request made on its own terms, if any: its executions start after the fills it
    // carries (core buying-power-claims.ts).
    replacementClaimAt(replaced.replacementClaim ?? null, replaced.filledQty),
  );
  const follows = <T extends OrderEvent['type']>(type: T, data: EventOf<T>['data']) =>
    ({ type, orderId: id, seq: opening.length + 1, occurredAt: at, data }) as OrderEvent;
  const opening: OrderEvent[] = [submitted];
  // An armed stop was never at the venue: its replacement is armed in its turn (the OMS replaced it).
  const armedFor = replaced.armedFor !== null && !replaced.triggered ? replaced.armedFor : null;
  if (armedFor !== null) opening.push(follows('OrderArmed', { venue: armedFor }));
  // The venue's id of the order: the replaced order's (FIX: the venue order continues under the new
  // ClOrdID), unless the venue booked the replacement under an id of its own (`venueOrderId`: an
  // Alpaca PATCH makes a new order), which its reports then name.
  else opening.push(follows('OrderAccepted', { venueOrderId: venueOrderId ?? replaced.venueOrderId }));
  // A trailing stop keeps trailing from the mark it reached.
  if (replaced.hwm !== null && spec.type === 'trailing_stop' && !replaced.triggered)
    opening.push(follows('OrderTrailMoved', { hwm: replaced.hwm }));
  // A stop that has triggered stays triggered: its replacement trades at once, it does not wait again.
  if (replaced.triggered) {
    opening.push(
      follows('OrderTriggered', { triggerPrice: replaced.triggerPrice as string, bid: null, ask: null }),
    );
  }
  return opening;
}

// ---------------------------------------------------------------------------------------------
// Evolve

/** Folds one event into the state. Throws on a stream that is not this order's next event. */
export function evolve(state: OrderState | undefined, e: OrderEvent): OrderState {
  if (e.type === 'OrderSubmitted') {
    if (state !== undefined || e.seq !== 1)
      throw new Error(`OrderSubmitted must open the stream of ${e.orderId}`);
    return openState(e);
  }
  if (state === undefined) throw new Error(`${e.type} before OrderSubmitted for ${e.orderId}`);
  if (e.orderId !== state.orderId || e.seq !== state.seq + 1) {
    throw new Error(`event ${e.orderId}#${e.seq} does not follow ${state.orderId}#${state.seq}`);
  }
  const s: OrderState = { ...state, seq: e.seq, updatedAt: e.occurredAt };
  switch (e.type) {
    case 'OrderTrailMoved':
      return { ...s, hwm: e.data.hwm };
    case 'OrderSliceDecided': {
      const algo = s.algo as AlgoState;
      const d = e.data;
      const decidedSlices =
        d.trigger === 'slice' ? new Set(algo.decidedSlices).add(d.sliceIndex) : algo.decidedSlices;
      const children =
        d.decision === 'release' && d.childOrderId !== null && d.qty !== null
          ? new Map(algo.children).set(d.childOrderId, { qty: nanos(d.qty), filled: 0n, open: true })
          : algo.children;
      return {
        ...s,
        algo: {
          decidedSlices,
          children,
          volumeMark: d.volumeMark ?? algo.volumeMark,
          done: algo.done || d.decision === 'done',
        },
      };
    }
    case 'OrderChildClosed': {
      const algo = s.algo as AlgoState;
      const child = algo.children.get(e.data.childOrderId) as AlgoChild;
      const children = new Map(algo.children).set(e.data.childOrderId, {
        ...child,
        open: false,
        outcome: e.data.outcome,
      });
      return { ...s, algo: { ...algo, children } };
    }
    case 'OrderActivated': {
      const qty = nanos(e.data.qty);
      return { ...s, phase: 'pending_new', qty, spec: { ...s.spec, qty: e.data.qty } };
    }
    case 'OrderArmed':
      return { ...s, phase: 'armed', armedFor: e.data.venue };
    case 'OrderRouted': {
      const allocations = e.data.allocations;
      const lastRound = allocations.flatMap((a) => (a.childOrderId === null ? [] : [a.childOrderId]));
      if (e.data.round !== undefined && s.routing !== null && s.algo !== null) {
        // A re-route of a split order's remainder: more children, the same parent.
        const children = withRoutedChildren(s.algo.children, allocations);
        return {
          ...s,
          routing: {
            ...s.routing,
            venues: [...s.routing.venues, ...allocations.map((a) => a.venue)],
            allocations: [
              ...(s.routing.allocations ?? []),
              ...allocations.map((a) => ({ venue: a.venue, qty: a.qty })),
            ],
            rounds: e.data.round,
            lastRound,
          },
          algo: { ...s.algo, children },
        };
      }
      const split = allocations.length > 1;
      const routing = {
        venues: allocations.map((a) => a.venue),
        split,
        allocations: allocations.map((a) => ({ venue: a.venue, qty: a.qty })),
        policy: e.data.policy,
        rounds: 1,
        lastRound,
      };
      if (!split) return { ...s, routing, venue: allocations[0]?.venue ?? s.venue };
      const children = withRoutedChildren(new Map(), allocations);
      // Nothing more to release: the children are the whole order (the coordinator closes it with them).
      return {
        ...s,
        routing,
        venue: null,
        algo: { decidedSlices: new Set(), children, volumeMark: null, done: true },
      };
    }
    case 'OrderAccepted':
      return { ...s, phase: 'working', venueOrderId: e.data.venueOrderId };
    case 'OrderRejected':
      return { ...s, phase: 'rejected', failedAt: e.occurredAt, ...noRequests };
    case 'OrderTriggered':
      // An armed stop triggers at the OMS, which now sends it to the venue: pending_new; a group's
      // stop-loss is held on until its sibling exits are closed (then activated, or canceled).
      return {
        ...s,
        triggered: true,
        triggerPrice: e.data.triggerPrice,
        phase: s.phase === 'armed' ? (e.data.heldForGroup === true ? 'held' : 'pending_new') : s.phase,
      };
    case 'OrderPartiallyFilled':
    case 'OrderFilled': {
      const lastQty = nanos(e.data.lastQty);
      const lastPx = nanos(e.data.lastPx);
      const executions = new Map(s.executions).set(e.data.execId, {
        lastQty: e.data.lastQty,
        lastPx: e.data.lastPx,
        applied: true,
        at: e.occurredAt,
        ...(e.data.venue === null ? {} : { venue: e.data.venue }),
        ...(e.data.fee === undefined ? {} : { fee: e.data.fee }),
        ...(e.data.liquidity === undefined ? {} : { liquidity: e.data.liquidity }),
      });
      const childId = e.data.childOrderId;
      const child = childId === undefined ? undefined : s.algo?.children.get(childId);
      const algo =
        s.algo !== null && childId !== undefined && child !== undefined
          ? {
              ...s.algo,
              children: new Map(s.algo.children).set(childId, { ...child, filled: child.filled + lastQty }),
            }
          : s.algo;
      const next: OrderState = {
        ...s,
        algo,
        // A fill before the venue's acknowledgement implies it (FIX B.1.e crossing reports).
        phase: s.phase === 'pending_new' ? 'working' : s.phase,
        filledQty: s.filledQty + lastQty,
        filledValue: s.filledValue + multiply(lastQty, lastPx),
        executions,
      };
      return isFullyFilled(next) ? { ...next, filledAt: e.occurredAt } : next;
    }
    case 'OrderExecutionQuarantined': {
      const executions = new Map(s.executions);
      if (!executions.has(e.data.execId)) {
        executions.set(e.data.execId, { lastQty: e.data.lastQty, lastPx: e.data.lastPx, applied: false });
      }
      const quarantinedReports = new Set(s.quarantinedReports).add(reportKey(e.data));
      return raise(
        { ...s, executions, quarantinedReports },
        e,
        'quarantined_execution',
        `${e.data.reason}: ${e.data.lastQty} @ ${e.data.lastPx} (${e.data.execId})`,
      );
    }
    case 'OrderCancelRequested':
      return {
        ...s,
        cancelRequest: 'requested',
        cancelRequestedBy: e.data.requestedBy,
        requestedAt: e.occurredAt,
        cancelBeforeAccept: s.phase === 'pending_new',
      };
    case 'OrderCancelAcknowledged':
      return { ...s, cancelRequest: 'acknowledged' };
    case 'OrderCanceled':
      return {
        ...s,
        phase: 'canceled',
        canceledAt: e.occurredAt,
        canceledReason: e.data.reason,
        ...noRequests,
      };
    case 'OrderCancelRejected':
      return { ...s, cancelRequest: 'none' };
    case 'OrderReplaceRequested':
      return {
        ...s,
        requestedAt: e.occurredAt,
        replaceRequest: {
          replacementOrderId: e.data.replacementOrderId,
          changes: e.data.changes,
          acknowledged: false,
          ...(e.data.buyingPowerClaim === undefined ? {} : { buyingPowerClaim: e.data.buyingPowerClaim }),
        },
      };
    case 'OrderReplaceAcknowledged':
      return { ...s, replaceRequest: { ...(s.replaceRequest as PendingReplace), acknowledged: true } };
    case 'OrderReplaced':
      return {
        ...s,
        phase: 'replaced',
        replacedAt: e.occurredAt,
        replacedBy: e.data.replacementOrderId,
        replacementChanges: (s.replaceRequest as PendingReplace).changes,
        replacementClaim: (s.replaceRequest as PendingReplace).buyingPowerClaim ?? null,
        ...noRequests,
      };
    case 'OrderReplaceRejected':
      return { ...s, replaceRequest: null };
    case 'OrderExpired':
      return { ...s, phase: 'expired', expiredAt: e.occurredAt, ...noRequests };
    case 'OrderDoneForDay':
      return { ...s, phase: 'done_for_day' };
    case 'OrderExceptionRecorded':
      return raise(
        { ...s, recordedExceptions: new Set(s.recordedExceptions).add(exceptionKey(e.data)) },
        e,
        'workflow_exception',
        `${e.data.stage}: ${e.data.error}: ${e.data.cause}`,
      );
    case 'OrderBreakFound': {
      const next = { ...s, recordedExceptions: new Set(s.recordedExceptions).add(breakKey(e.data.key)) };
      // A repaired break is settled by its repair; one left open is an operator's.
      return e.data.repair === 'none'
        ? raise(next, e, 'reconciliation_break', `${e.data.breakType}: ${e.data.detail}`)
        : next;
    }
    case 'OrderExceptionResolved': {
      const open = new Map(openExceptionsOf(s));
      open.delete(e.data.exceptionId);
      return { ...s, openExceptions: open };
    }
    case 'OrderRestated': {
      const d = e.data;
      const spec: OrderSpec = {
        ...s.spec,
        qty: d.qty ?? s.spec.qty,
        limitPrice: d.limitPrice ?? s.spec.limitPrice,
        stopPrice: d.stopPrice ?? s.spec.stopPrice,
      };
      const restated: OrderState = {
        ...s,
        spec,
        qty: d.qty === null ? s.qty : nanos(d.qty),
        phase: d.reopened ? 'working' : s.phase,
      };
      return isFullyFilled(restated) && restated.filledAt === null
        ? { ...restated, filledAt: e.occurredAt }
        : restated;
    }
  }
}

const noRequests = { cancelRequest: 'none', replaceRequest: null } as const;

function openState(e: OrderSubmitted): OrderState {
  const { order } = e.data;
  const filledQty = nanos(e.data.carriedFilledQty);
  const filledValue = parseValue18(e.data.carriedFilledValue);
  return {
    orderId: e.orderId,
    accountId: e.data.accountId,
    clientOrderId: e.data.clientOrderId,
    seq: 1,
    spec: order,
    qty: order.qty === null ? null : nanos(order.qty),
    notional: order.notional === null ? null : nanos(order.notional),
    phase: e.data.contingency?.held === true ? 'held' : 'pending_new',
    filledQty,
    filledValue,
    triggered: false,
    triggerPrice: null,
    hwm: null,
    armedFor: null,
    cancelRequest: 'none',
    cancelRequestedBy: null,
    replaceRequest: null,
    executions: new Map(),
    quarantinedReports: new Set(),
    replaces: e.data.replaces,
    replacedBy: null,
    contingency: e.data.contingency ?? null,
    venue: e.data.routedTo ?? null,
    routing: null,
    arrival: e.data.acceptedAgainst?.quote ?? null,
    decisionPrice: e.data.acceptedAgainst?.decisionPrice ?? null,
    slippageThresholds: e.data.acceptedAgainst?.slippageThresholds ?? null,
    exposureClaim: e.data.exposureClaim ?? null,
    buyingPowerClaim: e.data.buyingPowerClaim ?? null,
    algo:
      e.data.contingency?.role === 'algo_parent'
        ? { decidedSlices: new Set(), children: new Map(), volumeMark: null, done: false }
        : null,
    recordedExceptions: new Set(),
    replacementChanges: null,
    venueOrderId: null,
    createdAt: e.occurredAt,
    updatedAt: e.occurredAt,
    filledAt: null,
    canceledAt: null,
    canceledReason: null,
    expiredAt: null,
    failedAt: null,
    replacedAt: null,
  };
}

/** The state after a whole stream: the order is a fold of its events. */
export function replay(events: readonly OrderEvent[]): OrderState | undefined {
  let s: OrderState | undefined;
  for (const e of events) s = evolve(s, e);
  return s;
}

/** `children` plus one open child per allocation of a routing decision (a split order's). */
function withRoutedChildren(
  children: ReadonlyMap<string, AlgoChild>,
  allocations: RoutingDecisionRecord['allocations'],
): Map<string, AlgoChild> {
  const out = new Map(children);
  for (const a of allocations)
    out.set(a.childOrderId as string, {
      qty: nanos(a.qty as string),
      filled: 0n,
      open: true,
      venue: a.venue,
    });
  return out;
}

/** Decides and folds in one step; the state is unchanged on a refusal. */
export function execute(
  state: OrderState | undefined,
  command: OrderCommand,
  now: number,
): { readonly decision: Decision; readonly state: OrderState | undefined } {
  const decision = decide(state, command, now);
  if (!decision.ok) return { decision, state };
  let s = state;
  for (const e of decision.events) s = evolve(s, e);
  return { decision, state: s };
}

/**
 * The qty and limit price the order may still execute up to, as risk and the position close count
 * what it holds: its own, or, while a replace is outstanding, the larger of its own and its
 * replacement's (until the venue answers, either may execute; a probe's sell placed while a PATCH
 * raising a resting sell awaited the venue counted only the old qty, and the account, which may
 * not sell short, ended short).
 */
export function exposureTermsOf(
  s: OrderState,
  own: { readonly qty: string | null; readonly limitPrice: string | null } = {
    qty: s.spec.qty,
    limitPrice: s.spec.limitPrice,
  },
): { readonly qty: string | null; readonly limitPrice: string | null } {
  const { qty, limitPrice } = own;
  const changes = s.replaceRequest?.changes;
  if (changes === undefined) return { qty, limitPrice };
  const larger = (a: string | null, b: string | undefined): string | null =>
    a === null || b === undefined ? a : formatNanos(max(nanos(a), nanos(b)));
  return { qty: larger(qty, changes.qty), limitPrice: larger(limitPrice, changes.limitPrice) };
}

/**
 * The replacement an outstanding replace request will open, as it will open once the venue
 * confirms (the core's own opening events, in memory): what `PATCH` answers, and what a `GET` of
 * the replacement's id shows until the venue's `replaced` opens it for real (read-after-write).
 * Null when no replace is outstanding or the venue could no longer confirm it. Also the
 * replacement of an order replaced at once (a held stop), from the replaced order's state.
 */
export function previewPendingReplacement(s: OrderState, now: number): OrderState | null {
  // Replaced at once (a stop the OMS held): the replacement opens from this very state.
  if (s.phase === 'replaced' && s.replacedBy !== null) return replay(openReplacement(s, now)) ?? null;
  // Filled or closed meanwhile: the venue can no longer confirm the replace.
  if (s.replaceRequest === null || isSettled(s) || isClosedPhase(s)) return null;
  let x: OrderState = s;
  const steps = s.replaceRequest.acknowledged
    ? (['confirmReplace'] as const)
    : (['acknowledgeReplace', 'confirmReplace'] as const);
  for (const type of steps) {
    const next = execute(x, { type }, now);
    if (!next.decision.ok || next.state === undefined) return null;
    x = next.state;
  }
  return replay(openReplacement(x, now)) ?? null;
}
