/**
 * The Broker Gateway: one interface every venue adapter implements (the simulated venue that ships
 * with the project, later an Alpaca broker adapter or a FIX session).
 *
 * Every call is idempotent, keyed by the OMS order id (FIX ClOrdID): a retried submit does not
 * book the order twice, a retried cancel or replace does not act twice. Calls only deliver the
 * request; the venue's answers come back asynchronously as `ExecutionReport`s on the bus.
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
