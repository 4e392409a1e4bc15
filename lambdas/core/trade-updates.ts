/**
 * Trade updates (issue 14): what Alpaca's `trade_updates` stream says about an order event.
 *
 * One update per event that changes what an Alpaca client knows about its order, named with
 * Alpaca's event names (docs.alpaca.markets "Websocket Streaming", trade_updates events):
 *
 * | order event | update event |
 * |---|---|
 * | OrderAccepted, OrderArmed (the OMS holds the stop) | `new` |
 * | OrderPartiallyFilled / OrderFilled | `partial_fill` / `fill` (with the execution's own price and qty) |
 * | OrderAccepted of a replacement that opens filled (FIX D11/D12) | `fill`, `qty` 0 (no execution of its own) |
 * | OrderCanceled, OrderExpired, OrderDoneForDay, OrderReplaced, OrderRejected | `canceled`, `expired`, `done_for_day`, `replaced`, `rejected` |
 * | OrderCancelRequested / OrderReplaceRequested | `pending_cancel` / `pending_replace` |
 * | OrderCancelRejected / OrderReplaceRejected | `order_cancel_rejected` / `order_replace_rejected` |
 * | an event that ends a replace without its replacement (refused, or the order filled or closed first) | also `rejected` for the replacement (after the order's own update; `rejectedReplacementUpdateOf`) |
 *
 * Not sent: the venue's acceptance of an order whose cancel was asked before it (it stays
 * `pending_cancel`: never back to `new`), `OrderSubmitted` (the OMS's pending_new lasts until the venue accepts, a few
 * milliseconds; Alpaca's stream opens an order with `new` too), `OrderActivated` (a held leg, or a
 * held stop once triggered, goes to the venue: back to pending_new until the venue's `new`; sent
 * as `new` too, a probe's stop-loss leg read new(pending_new), new(accepted), new(pending_new),
 * new(new): one status went back), acknowledgements of a request
 * (the order is still pending_cancel/pending_replace), trail moves, triggers, slice decisions,
 * restatements, quarantined executions and recorded exceptions (nothing an Alpaca client models).
 * An algorithmic child order is the OMS's own: its updates are not sent; its parent's mirror of
 * each child fill is (the parent is the order the client placed).
 */
import { type AbandonedReplacement, rejectedReplacementOrder } from './abandoned-replacement.js';
import { nameBasedUuid } from './asset.js';
import type { OrderEvent } from './events.js';
import type { OrderState } from './order.js';
import { type AlpacaOrder, toAlpacaOrder } from './order-view.js';
import { isOpen, type OrderStatus } from './status.js';

export const TRADE_UPDATE_EVENTS = [
  'new',
  'fill',
  'partial_fill',
  'canceled',
  'expired',
  'done_for_day',
  'replaced',
  'rejected',
  'pending_cancel',
  'pending_replace',
  'order_cancel_rejected',
  'order_replace_rejected',
] as const;
export type TradeUpdateEvent = (typeof TRADE_UPDATE_EVENTS)[number];

const EVENT_OF: Partial<Record<OrderEvent['type'], TradeUpdateEvent>> = {
  OrderAccepted: 'new',
  OrderArmed: 'new',
  OrderPartiallyFilled: 'partial_fill',
  OrderFilled: 'fill',
  OrderCanceled: 'canceled',
  OrderExpired: 'expired',
  OrderDoneForDay: 'done_for_day',
  OrderReplaced: 'replaced',
  OrderRejected: 'rejected',
  OrderCancelRequested: 'pending_cancel',
  OrderReplaceRequested: 'pending_replace',
  OrderCancelRejected: 'order_cancel_rejected',
  OrderReplaceRejected: 'order_replace_rejected',
};

/** The Alpaca event name an order event is sent as, or null when it is not sent. */
export function tradeUpdateEventOf(type: OrderEvent['type']): TradeUpdateEvent | null {
  return EVENT_OF[type] ?? null;
}

/** Alpaca's `trade_updates` data, plus the account's stream sequence (the resume cursor, an extension). */
export interface TradeUpdate {
  readonly event: TradeUpdateEvent;
  /** The order after the event (Alpaca order JSON, without legs). */
  readonly order: AlpacaOrder;
  readonly timestamp: string;
  /**
   * On fills: the execution's id (a UUID, as Alpaca's and as alpaca-py's model requires: derived
   * from the OMS's own execution id, `executionUuidOf`), its own price and quantity, the signed
   * position after it; `oms_execution_id` (extension) is the id the order's events show.
   */
  readonly execution_id?: string;
  readonly oms_execution_id?: string;
  readonly price?: string;
  readonly qty?: string;
  readonly position_qty?: string;
  /** The account's stream sequence, 1, 2, ... without gaps (extension). */
  readonly stream_seq: number;
  /** Extension: which account the update is for (a key may trade several). */
  readonly account_id: string;
}

/** An update before the account's sequence is given to it. */
export type UnsequencedTradeUpdate = Omit<TradeUpdate, 'stream_seq'>;

/** True for the orders whose updates the stream never sends (an algorithmic parent's children). */
export function isInternalOrder(state: Pick<OrderState, 'contingency'>): boolean {
  return state.contingency?.orderClass === 'algo' && state.contingency.role === 'algo_child';
}

/**
 * The update an event of an order sends, given the order's state right after the event, or null.
 * `positionQty`: the signed position of the order's symbol after the execution (fills only).
 */
export function tradeUpdateOf(
  event: OrderEvent,
  stateAfter: OrderState,
  accountId: string,
  positionQty: string | null,
): UnsequencedTradeUpdate | null {
  if (isInternalOrder(stateAfter)) return null;
  const name = tradeUpdateEventOf(event.type);
  if (name === null) return null;
  // The venue's acceptance of an order whose cancel was asked before it (the client was sent
  // `pending_cancel`, and the order stays so): not sent, the next update is the cancel's outcome (a
  // probe's frames went pending_cancel, new, canceled, and a bot reads `new` as its cancel dropped).
  if (
    event.type === 'OrderAccepted' &&
    stateAfter.cancelBeforeAccept === true &&
    stateAfter.cancelRequest !== 'none'
  )
    return null;
  const order = toAlpacaOrder(stateAfter);
  const base = {
    event: name,
    order: pendingShownAs(name, order),
    timestamp: event.occurredAt,
    account_id: accountId,
  };
  // A replacement that opens already filled (its order filled up to the new qty while the venue
  // worked the replace; FIX D11/D12) ends there: `fill`, not `new`, so a bot waiting for its terminal
  // update gets one (a probe waited forever). No execution of its own: `qty` 0 (its fills were sent
  // on the order it replaced, and summing fill quantities stays right), `price` the order's average.
  if (event.type === 'OrderAccepted' && order.status === 'filled') {
    return {
      ...base,
      event: 'fill',
      execution_id: executionUuidOf(event.orderId, OPENED_FILLED),
      price: order.filled_avg_price ?? '0',
      qty: '0',
      ...(positionQty === null ? {} : { position_qty: positionQty }),
    };
  }
  if (event.type !== 'OrderFilled' && event.type !== 'OrderPartiallyFilled') return base;
  return {
    ...base,
    execution_id: executionUuidOf(event.data.childOrderId ?? event.orderId, event.data.execId),
    oms_execution_id: event.data.execId,
    price: event.data.lastPx,
    qty: event.data.lastQty,
    ...(positionQty === null ? {} : { position_qty: positionQty }),
  };
}

/**
 * The `rejected` update of a replacement a PATCH answered whose replace ended without it (the venue
 * refused it, or the order filled or closed first; core abandoned-replacement.ts): its `order` the
 * document `GET /v2/orders/{id}` shows for it (`rejectedReplacementOrder`), its `timestamp` when the
 * replace ended. The replacement has no events of its own, so nothing else would ever be sent under
 * its id, and a bot waiting for its terminal update (the id PATCH answered, `accepted`) waited
 * forever (a probe's stream read new, pending_replace, fill, order_replace_rejected for the order and
 * nothing for its replacement). Sent once, after the update of the order's event that ended the
 * replace (the projector appends both in the same transaction as the order's view).
 */
export function rejectedReplacementUpdateOf(
  abandoned: AbandonedReplacement,
  accountId: string,
): UnsequencedTradeUpdate | null {
  if (isInternalOrder(abandoned.replacement)) return null;
  return {
    event: 'rejected',
    order: rejectedReplacementOrder(abandoned),
    timestamp: abandoned.endedAt,
    account_id: accountId,
  };
}

/**
 * A `pending_cancel` or `pending_replace` update shows its order in that status, as Alpaca's frames
 * do (a probe's frames read `pending_cancel` with `order.status: "new"`). The order's own status
 * stays the FIX one (`statusOf`: pending once the venue acknowledges the request, D3/D4), so
 * `GET /v2/orders/{id}` may still read `new` a moment after the frame.
 */
function pendingShownAs(event: TradeUpdateEvent, order: AlpacaOrder): AlpacaOrder {
  if (event !== 'pending_cancel' && event !== 'pending_replace') return order;
  return isOpen(order.status as OrderStatus) ? { ...order, status: event } : order;
}

/** The execution id of a replacement's `fill` update when it opens already filled (none executed). */
export const OPENED_FILLED = 'opened-filled';

/** The UUID a trade update names an execution by: a pure function of the order and its exec id. */
export function executionUuidOf(orderId: string, execId: string): string {
  return nameBasedUuid(`stockbot.oms/execution/${orderId}/${execId}`);
}
