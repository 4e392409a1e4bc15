/**
 * The Broker Gateway: one interface every venue adapter implements (the simulated venue that ships
 * with the project, later an Alpaca broker adapter or a FIX session).
 *
 * Every call is idempotent, keyed by the OMS order id (FIX ClOrdID): a retried submit does not
 * book the order twice, a retried cancel or replace does not act twice. Calls only deliver the
 * request; the venue's answers come back asynchronously as `ExecutionReport`s on the bus. The
 * status queries (one order, open orders, executions since a time) answer at once: what a broker
 * adapter and reconciliation ask a venue. Handlers get a venue only from `venueFor(name)`
 * (wiring.ts).
 */
import {
  type OrderState,
  type OrderType,
  type ReplaceChanges,
  type Side,
  type TimeInForce,
  workingTypeOf,
} from '../core/index.js';

/** What the venue needs to work an order: its terms, decimals in canonical text. */
export interface VenueOrder {
  /** The OMS order id, sent as the FIX ClOrdID. */
  readonly orderId: string;
  readonly accountId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly type: OrderType;
  readonly timeInForce: TimeInForce;
  readonly qty: string | null;
  readonly notional: string | null;
  readonly limitPrice: string | null;
  readonly stopPrice: string | null;
  readonly trailPrice: string | null;
  readonly trailPercent: string | null;
  readonly extendedHours: boolean;
}

/** What the venue says of one order it holds (or held): a status query's answer (FIX OrderStatusRequest). */
export interface VenueOrderStatusReport {
  /** The OMS order id (ClOrdID) the venue knows the order by. */
  readonly orderId: string;
  readonly venueOrderId: string;
  readonly symbol: string;
  readonly side: Side;
  /** `open` while it can trade; `unknown`: the venue answered `unknown_order` for this id. */
  readonly status: 'open' | 'filled' | 'canceled' | 'replaced' | 'rejected' | 'expired' | 'unknown';
  readonly qty: string | null;
  /** FIX CumQty. */
  readonly filledQty: string;
  /** FIX AvgPx; null before a fill. */
  readonly avgPrice: string | null;
  readonly updatedAt: string;
  /** A replaced order's replacement as the venue knows it (its own id), when it has one (Alpaca). */
  readonly replacedBy?: string;
}

/** One execution (a fill) as the venue recorded it: what reconciliation compares with the OMS. */
export interface VenueExecution {
  readonly orderId: string;
  readonly venueOrderId: string;
  readonly execId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly lastQty: string;
  readonly lastPx: string;
  /** ISO instant of the execution. */
  readonly transactTime: string;
}

/**
 * One account's position at the venue in one symbol, as the venue reports it (a broker's position
 * query; the simulated venues: the net of their executions): what reconciliation sets against the
 * OMS's ledger (`POSITION_MISMATCH`).
 */
export interface VenuePosition {
  readonly accountId: string;
  readonly symbol: string;
  /** Signed (short negative), canonical decimal text. */
  readonly qty: string;
  /** The latest execution (or adjustment) in it, ISO; null when none is dated. */
  readonly lastChangeAt: string | null;
}

export interface Venue {
  /** The venue id reports carry (`VENUE_NAME`). */
  readonly name: string;
  /** Books the order (FIX NewOrderSingle). Answered by `new` or `rejected`, then executions. */
  submit(order: VenueOrder): Promise<void>;
  /** FIX OrderCancelRequest. Answered by `pending_cancel` + `canceled`, or `cancel_rejected`. */
  cancel(orderId: string, reason: string): Promise<void>;
  /**
   * FIX OrderCancelReplaceRequest: `replacementOrderId` is the new ClOrdID, `changes.qty` the new
   * total quantity. Answered by `pending_replace` + `replaced`, or `replace_rejected`.
   */
  replace(orderId: string, replacementOrderId: string, changes: ReplaceChanges): Promise<void>;
  /** One order's status at the venue (by the OMS order id); null when the venue never heard of it. */
  orderStatus(orderId: string): Promise<VenueOrderStatusReport | null>;
  /** Every order open at the venue now (reconciliation's "what is live there"). */
  openOrders(): Promise<VenueOrderStatusReport[]>;
  /** Every execution at or after `since` (ISO instant), oldest first. */
  executionsSince(since: string): Promise<VenueExecution[]>;
  /**
   * Every position the venue holds for the OMS's accounts (non-zero ones). Absent: the venue does
   * not report positions (an exchange behind a FIX session), and reconciliation cannot compare them.
   */
  positions?(): Promise<VenuePosition[]>;
}

/**
 * The venue order for an OMS order, from its current state (restated terms included). A stop the
 * OMS held is sent once triggered, as the type it now trades as (a stop or trailing stop as a
 * market order, a stop-limit as a limit) and without its trigger terms.
 */
export function venueOrderOf(state: OrderState): VenueOrder {
  const { spec } = state;
  if (state.triggered && state.armedFor !== null) {
    return {
      ...venueOrderOf({ ...state, triggered: false, armedFor: null }),
      type: workingTypeOf(state),
      stopPrice: null,
      trailPrice: null,
      trailPercent: null,
    };
  }
  return {
    orderId: state.orderId,
    accountId: state.accountId,
    symbol: spec.symbol,
    side: spec.side,
    type: spec.type,
    timeInForce: spec.timeInForce,
    qty: spec.qty,
    notional: spec.notional,
    limitPrice: spec.limitPrice,
    stopPrice: spec.stopPrice,
    trailPrice: spec.trailPrice,
    trailPercent: spec.trailPercent,
    extendedHours: spec.extendedHours,
  };
}
