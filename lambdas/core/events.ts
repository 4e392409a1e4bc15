/**
 * Order events: immutable facts, one stream per order, numbered by `seq` from 1 without gaps.
 * `type` is the EventBridge detail-type (PascalCase, past tense). Decimals are canonical text so
 * an event is plain JSON from the core to DynamoDB to the bus.
 */

import type { ExposureClaim } from './aggregate-limits.js';
import type { BreakRepairKind, BreakType } from './break-types.js';
import type { BuyingPowerClaim } from './buying-power-claims.js';
import type { OrderSpec, TimeInForce } from './order-request.js';
import type { RiskSnapshot } from './risk.js';
import type { RoutingDecisionRecord } from './routing/router.js';

interface EventBase<T extends string, D> {
  readonly type: T;
  readonly orderId: string;
  readonly seq: number;
  /** ISO-8601 UTC, from the time passed into the command. */
  readonly occurredAt: string;
  readonly data: D;
}

export interface ReplaceChanges {
  /** New total order quantity (FIX semantics: fills so far count against it). */
  readonly qty?: string;
  readonly limitPrice?: string;
  readonly stopPrice?: string;
  readonly trailPrice?: string;
  readonly trailPercent?: string;
  readonly timeInForce?: TimeInForce;
  readonly clientOrderId?: string;
  /**
   * Set by the OMS, never by the client: a sell the PATCH raises past what closes the position
   * sells short and is marked so (`sell_to_open`, Reg SHO 200(g)), as a new order would be.
   */
  readonly positionIntent?: 'sell_to_open';
}

/** A contingent order's member: its place in the group (docs/domain.md, "Contingent orders"). */
export type LegRole = 'entry' | 'take_profit' | 'stop_loss' | 'algo_parent' | 'algo_child';

export interface Contingency {
  /** The group's root order id: a bracket's or OTO's entry, an OCO's take-profit order. */
  readonly groupId: string;
  /** `algo`: an algorithmic parent (advanced_instructions) and the child orders it releases. */
  readonly orderClass: 'bracket' | 'oco' | 'oto' | 'algo';
  readonly role: LegRole;
  /** The order whose fills this leg depends on (null for the root). */
  readonly parentOrderId: string | null;
  /** The root's legs, in request order (empty on a leg). */
  readonly legOrderIds: readonly string[];
  /** The leg waits (Alpaca `held`) until its parent has filled: a bracket's or OTO's exit. */
  readonly held: boolean;
}

export type OrderSubmitted = EventBase<
  'OrderSubmitted',
  {
    readonly accountId: string;
    readonly clientOrderId: string;
    readonly order: OrderSpec;
    /** The order this one replaces, and the fills it carries over from it (FIX CumQty spans the chain). */
    readonly replaces: string | null;
    readonly carriedFilledQty: string;
    /** Exact sum of qty x price of the carried fills (scale 18 text). */
    readonly carriedFilledValue: string;
    /** Present on the members of a bracket, OCO or OTO order (a replacement keeps its member's). */
    readonly contingency?: Contingency;
    /** What the API's pre-trade check read (core `RiskSnapshot`); absent on replacements. */
    readonly acceptedAgainst?: RiskSnapshot;
    /**
     * The venue the order goes to without a routing decision of its own: a smart-routed child's
     * allocation (its parent's `OrderRouted` explains it), a replacement's (it continues its
     * order at that venue). Absent: the order is routed when it is sent.
     */
    readonly routedTo?: string;
    /**
     * The firm open-exposure claim the order holds (issue 16, core aggregate-limits.ts): made in
     * the placing transaction while the firm's policy sets `open_exposure`, given back when the
     * order settles. A replacement carries its original's.
     */
    readonly exposureClaim?: ExposureClaim;
    /**
     * What the order reserves of its account's buying power (core buying-power-claims.ts): made in
     * the placing transaction, given back by its executions and at its settlement. A replacement
     * holds the claim its PATCH made (`OrderReplaceRequested.buyingPowerClaim`), if any.
     */
    readonly buyingPowerClaim?: BuyingPowerClaim;
  }
>;
/**
 * The smart order router's decision for the order (core routing/): the venues it saw (quotes,
 * sizes, fees, health), the ones it excluded and why, the policy, and the allocation. One
 * allocation without a child: the order itself goes there. Several: the order is split, and each
 * allocation names the child order placed for it in the same transaction.
 */
export type OrderRouted = EventBase<'OrderRouted', RoutingDecisionRecord>;
/**
 * An algorithmic parent's decision at a slice time or when a child closed (the algorithm's
 * `decide`): the audit trail of its schedule, and with `release` the child placed in the same
 * transaction.
 */
export type OrderSliceDecided = EventBase<
  'OrderSliceDecided',
  {
    readonly trigger: 'slice' | 'child_closed';
    readonly sliceIndex: number;
    readonly decision: 'release' | 'wait' | 'done';
    /** Why the schedule is done (`filled`, `window_closed`, `schedule_complete`). */
    readonly reason: string | null;
    readonly childOrderId: string | null;
    readonly qty: string | null;
    /** The symbol's cumulative market volume when decided: the next decision's observed volume starts here. */
    readonly volumeMark: string | null;
  }
>;
/** A child of an algorithmic parent closed; its fills were mirrored onto the parent before. */
export type OrderChildClosed = EventBase<
  'OrderChildClosed',
  {
    readonly childOrderId: string;
    readonly outcome: 'filled' | 'canceled' | 'expired' | 'rejected';
    readonly filledQty: string;
  }
>;
/**
 * A trailing stop's high-water mark moved (Alpaca `hwm`: the highest price since placement for a
 * sell, the lowest for a buy); the stop trails it by trail_price or trail_percent.
 */
export type OrderTrailMoved = EventBase<'OrderTrailMoved', { readonly hwm: string }>;
/**
 * A held leg goes to work (its parent filled), sized to what it protects. `afterTrigger`: a
 * group's stop-loss the OMS held after its trigger goes to the venue now that no sibling exit can
 * execute any more (docs/domain.md "Contingent orders"); its workflow is running already.
 */
export type OrderActivated = EventBase<
  'OrderActivated',
  { readonly qty: string; readonly afterTrigger?: true }
>;
/**
 * The OMS holds the order's trigger (Alpaca `accepted`): the venue it goes to does not hold this
 * order type natively, so the OMS watches the market and sends the order once it triggers.
 */
export type OrderArmed = EventBase<'OrderArmed', { readonly venue: string }>;
export type OrderAccepted = EventBase<'OrderAccepted', { readonly venueOrderId: string | null }>;
export type OrderRejected = EventBase<'OrderRejected', { readonly reason: string }>;
/**
 * A stop triggered. `heldForGroup`: the OMS held it (armed) as the stop-loss of a group with another
 * exit, and holds it on (phase `held`) until no sibling exit can execute: it is then activated for
 * what is left of the position, or canceled (core contingency.ts `reconcileGroup`).
 */
export type OrderTriggered = EventBase<
  'OrderTriggered',
  {
    readonly triggerPrice: string;
    readonly bid: string | null;
    readonly ask: string | null;
    readonly heldForGroup?: true;
  }
>;

interface FillData {
  readonly execId: string;
  readonly lastQty: string;
  readonly lastPx: string;
  readonly venue: string | null;
  /** The venue's fee for it (dollars, negative: a rebate; FIX Commission), when it says. */
  readonly fee?: string;
  /** FIX LastLiquidityInd: the execution added liquidity (the order rested) or removed it. */
  readonly liquidity?: 'added' | 'removed';
  /** The order after this fill (derived, carried for subscribers' convenience). */
  readonly filledQty: string;
  readonly leavesQty: string | null;
  readonly filledAvgPrice: string;
  /** On an algorithmic parent: the child order whose fill this mirrors. */
  readonly childOrderId?: string;
}
export type OrderPartiallyFilled = EventBase<'OrderPartiallyFilled', FillData>;
export type OrderFilled = EventBase<'OrderFilled', FillData>;

export type QuarantineReason = 'overfill' | 'order_closed' | 'conflicting_duplicate';
/** An execution report that was recorded but not applied: an exception for an operator. */
export type OrderExecutionQuarantined = EventBase<
  'OrderExecutionQuarantined',
  {
    readonly execId: string;
    readonly lastQty: string;
    readonly lastPx: string;
    readonly venue: string | null;
    readonly reason: QuarantineReason;
  }
>;

export type OrderCancelRequested = EventBase<'OrderCancelRequested', { readonly requestedBy: string }>;
export type OrderCancelAcknowledged = EventBase<'OrderCancelAcknowledged', Record<string, never>>;
export type OrderCanceled = EventBase<
  'OrderCanceled',
  { readonly reason: string; readonly solicited: boolean }
>;
export type OrderCancelRejected = EventBase<'OrderCancelRejected', { readonly reason: string }>;

export type OrderReplaceRequested = EventBase<
  'OrderReplaceRequested',
  {
    readonly replacementOrderId: string;
    readonly changes: ReplaceChanges;
    readonly requestedBy: string;
    /**
     * What the replacement reserves of the account's buying power (a PATCH of a buy: core
     * buying-power-claims.ts), claimed in the request's transaction; the replacement holds it once
     * the venue confirms, and it is given back whole if the replace never happens.
     */
    readonly buyingPowerClaim?: BuyingPowerClaim;
  }
>;
export type OrderReplaceAcknowledged = EventBase<'OrderReplaceAcknowledged', Record<string, never>>;
export type OrderReplaced = EventBase<'OrderReplaced', { readonly replacementOrderId: string }>;
export type OrderReplaceRejected = EventBase<'OrderReplaceRejected', { readonly reason: string }>;

export type OrderExpired = EventBase<'OrderExpired', Record<string, never>>;
export type OrderDoneForDay = EventBase<'OrderDoneForDay', Record<string, never>>;
export type OrderRestated = EventBase<
  'OrderRestated',
  {
    readonly reason: string;
    readonly qty: string | null;
    readonly limitPrice: string | null;
    readonly stopPrice: string | null;
    /** Back to work after done for day (a GTC order's next session). */
    readonly reopened: boolean;
  }
>;

/**
 * Something went wrong outside the order's own rules (a workflow step failed after its retries):
 * recorded for operators; the decision that goes with it (reject or cancel) is its own event.
 */
export type OrderExceptionRecorded = EventBase<
  'OrderExceptionRecorded',
  { readonly stage: string; readonly error: string; readonly cause: string; readonly reachedVenue: boolean }
>;

/**
 * Reconciliation found the OMS and the venue disagreeing about the order (core reconciliation.ts):
 * the break's type, what differs, and the repair decided for it (`none`: left open for an
 * operator). The repair's own effect is its own event (the missed fill applied, the close applied).
 */
export type OrderBreakFound = EventBase<
  'OrderBreakFound',
  {
    readonly breakType: BreakType;
    readonly key: string;
    readonly detail: string;
    readonly repair: BreakRepairKind;
  }
>;

/** An operator resolved one of the order's open exceptions (the exceptions view), saying why. */
export type OrderExceptionResolved = EventBase<
  'OrderExceptionResolved',
  { readonly exceptionId: string; readonly reason: string; readonly resolvedBy: string }
>;

export type OrderEvent =
  | OrderSubmitted
  | OrderActivated
  | OrderTrailMoved
  | OrderSliceDecided
  | OrderChildClosed
  | OrderArmed
  | OrderRouted
  | OrderAccepted
  | OrderRejected
  | OrderTriggered
  | OrderPartiallyFilled
  | OrderFilled
  | OrderExecutionQuarantined
  | OrderCancelRequested
  | OrderCancelAcknowledged
  | OrderCanceled
  | OrderCancelRejected
  | OrderReplaceRequested
  | OrderReplaceAcknowledged
  | OrderReplaced
  | OrderReplaceRejected
  | OrderExpired
  | OrderDoneForDay
  | OrderRestated
  | OrderExceptionRecorded
  | OrderBreakFound
  | OrderExceptionResolved;

export type OrderEventType = OrderEvent['type'];

/**
 * `metadata.schemaVersion` of the events (the event store writes it; the published contract,
 * core event-schemas.ts, describes this version).
 */
export const EVENT_SCHEMA_VERSION = 1;

/**
 * Every event type, in the order of the union above (the schemas of core event-schemas.ts list
 * them in this order too). Here, not derived from the schemas, so a module that only needs the
 * names (the event store's stream reader) does not load every event's zod schema (issue 12).
 */
const EVENT_TYPES = [
  'OrderSubmitted',
  'OrderActivated',
  'OrderTrailMoved',
  'OrderSliceDecided',
  'OrderChildClosed',
  'OrderArmed',
  'OrderRouted',
  'OrderAccepted',
  'OrderRejected',
  'OrderTriggered',
  'OrderPartiallyFilled',
  'OrderFilled',
  'OrderExecutionQuarantined',
  'OrderCancelRequested',
  'OrderCancelAcknowledged',
  'OrderCanceled',
  'OrderCancelRejected',
  'OrderReplaceRequested',
  'OrderReplaceAcknowledged',
  'OrderReplaced',
  'OrderReplaceRejected',
  'OrderExpired',
  'OrderDoneForDay',
  'OrderRestated',
  'OrderExceptionRecorded',
  'OrderBreakFound',
  'OrderExceptionResolved',
] as const satisfies readonly OrderEventType[];
export const ORDER_EVENT_TYPES: readonly OrderEventType[] = EVENT_TYPES;

/** `true` while ORDER_EVENT_TYPES names every event type; a type added to the union alone: `never`. */
type EveryEventTypeListed = [Exclude<OrderEventType, (typeof EVENT_TYPES)[number]>] extends [never]
  ? true
  : never;
true satisfies EveryEventTypeListed;

/** FIX ExecType (150, FIX 4.4 values) of the execution report an event corresponds to. */
export type FixExecType = '0' | '3' | '4' | '5' | '6' | '8' | 'A' | 'C' | 'D' | 'E' | 'F' | 'L';

/**
 * The FIX message each event stands for: an ExecutionReport with its ExecType, an
 * OrderCancelReject (35=9), or a request the buy side sends (no report of its own).
 */
export const FIX_MESSAGE_OF: Readonly<
  Record<
    OrderEventType,
    | { readonly msgType: '8'; readonly execType: FixExecType }
    | { readonly msgType: '9' | 'F' | 'G' | 'D' | null }
  >
> = {
  OrderSubmitted: { msgType: '8', execType: 'A' },
  // The OMS releases a held leg; the venue first hears of it as a NewOrderSingle.
  OrderActivated: { msgType: 'D' },
  // The venue restates the working stop of a trailing stop (FIX ExecType D, Restated).
  OrderTrailMoved: { msgType: '8', execType: 'D' },
  // The parent's own records: its children are the orders the venue sees.
  OrderSliceDecided: { msgType: null },
  OrderChildClosed: { msgType: null },
  // The OMS holds the stop itself: FIX ExecType A (pending new) until it triggers and is sent.
  OrderArmed: { msgType: '8', execType: 'A' },
  // The OMS's own routing record; the venue sees the NewOrderSingle(s) it leads to.
  OrderRouted: { msgType: null },
  OrderAccepted: { msgType: '8', execType: '0' },
  OrderRejected: { msgType: '8', execType: '8' },
  OrderTriggered: { msgType: '8', execType: 'L' },
  OrderPartiallyFilled: { msgType: '8', execType: 'F' },
  OrderFilled: { msgType: '8', execType: 'F' },
  // Not applied: reconciled by an operator, so no report goes out.
  OrderExecutionQuarantined: { msgType: null },
  OrderCancelRequested: { msgType: 'F' },
  OrderCancelAcknowledged: { msgType: '8', execType: '6' },
  OrderCanceled: { msgType: '8', execType: '4' },
  OrderCancelRejected: { msgType: '9' },
  OrderReplaceRequested: { msgType: 'G' },
  OrderReplaceAcknowledged: { msgType: '8', execType: 'E' },
  OrderReplaced: { msgType: '8', execType: '5' },
  OrderReplaceRejected: { msgType: '9' },
  OrderExpired: { msgType: '8', execType: 'C' },
  OrderDoneForDay: { msgType: '8', execType: '3' },
  OrderRestated: { msgType: '8', execType: 'D' },
  // An operator's record: no message goes to the venue or the client for it.
  OrderExceptionRecorded: { msgType: null },
  // Reconciliation's record: the repair, if any, is its own event.
  OrderBreakFound: { msgType: null },
  OrderExceptionResolved: { msgType: null },
};
