/**
 * The order as the Alpaca Trading API v2 shows it (`GET /v2/orders/{id}`), derived from the
 * aggregate's state. Field names, enums and nulls follow Alpaca; decimals are strings. Two
 * fields go beyond Alpaca and are named so no Alpaca field is shadowed: `leaves_qty` and
 * `canceled_qty` (FIX LeavesQty and CxlQty).
 */
import { assetIdOf } from './asset.js';
import { formatNanos, parseNanos } from './decimal.js';
import {
  avgPriceOf,
  canceledQtyOf,
  isTriggerHeldForGroup,
  leavesQtyOf,
  type OrderState,
  statusOf,
} from './order.js';
import type { OrderStatus } from './status.js';
import { isOpen } from './status.js';
import { trailingStopLevel } from './trigger.js';

/**
 * The stop price an order shows. A trailing stop has none of its own: Alpaca shows its live stop,
 * the mark (`hwm`) less the trail for a sell, plus the trail for a buy; it is the exact level the
 * trigger is checked against (core `trailingStopLevel`), null until the first mark.
 */
export function shownStopPrice(s: OrderState): string | null {
  const spec = s.spec;
  if (spec.type !== 'trailing_stop' || s.hwm === null) return spec.stopPrice;
  const mark = parseNanos(s.hwm);
  if (typeof mark !== 'bigint') return spec.stopPrice;
  const level = trailingStopLevel(
    {
      side: spec.side,
      type: spec.type,
      stopPrice: null,
      trailPrice: spec.trailPrice,
      trailPercent: spec.trailPercent,
      hwm: s.hwm,
    },
    mark,
  );
  return formatNanos(level);
}

export interface AlpacaOrder {
  readonly id: string;
  readonly client_order_id: string;
  readonly created_at: string;
  readonly updated_at: string;
  readonly submitted_at: string;
  readonly filled_at: string | null;
  readonly expired_at: string | null;
  readonly canceled_at: string | null;
  readonly failed_at: string | null;
  readonly replaced_at: string | null;
  readonly replaced_by: string | null;
  readonly replaces: string | null;
  readonly asset_id: string;
  readonly symbol: string;
  readonly asset_class: 'us_equity';
  readonly notional: string | null;
  readonly qty: string | null;
  readonly filled_qty: string;
  readonly filled_avg_price: string | null;
  readonly order_class: string;
  readonly order_type: string;
  readonly type: string;
  readonly side: string;
  readonly position_intent: string | null;
  readonly time_in_force: string;
  readonly limit_price: string | null;
  readonly stop_price: string | null;
  readonly trail_price: string | null;
  readonly trail_percent: string | null;
  readonly hwm: string | null;
  readonly status: OrderStatus;
  readonly extended_hours: boolean;
  readonly legs: readonly AlpacaOrder[] | null;
  readonly leaves_qty: string | null;
  readonly canceled_qty: string | null;
}

/** The fields of an Alpaca order that may be null (every other one always has a value). */
export const NULLABLE_ALPACA_ORDER_FIELDS = [
  'filled_at',
  'expired_at',
  'canceled_at',
  'failed_at',
  'replaced_at',
  'replaced_by',
  'replaces',
  'notional',
  'qty',
  'filled_avg_price',
  'position_intent',
  'limit_price',
  'stop_price',
  'trail_price',
  'trail_percent',
  'hwm',
  'legs',
  'leaves_qty',
  'canceled_qty',
] as const satisfies readonly (keyof AlpacaOrder)[];

/**
 * An Alpaca order as the read model stores it: its null fields left out (about a fifth of the
 * document, which keeps a view item within one 1 KB write unit; issue 12).
 */
export function storedAlpacaOrder(order: AlpacaOrder): Partial<AlpacaOrder> {
  return Object.fromEntries(Object.entries(order).filter(([, v]) => v !== null)) as Partial<AlpacaOrder>;
}

/** The Alpaca order of a stored one: its left-out fields back, as null. */
export function alpacaOrderFromStored(stored: Partial<AlpacaOrder>): AlpacaOrder {
  const order: Record<string, unknown> = { ...stored };
  for (const field of NULLABLE_ALPACA_ORDER_FIELDS) order[field] ??= null;
  return order as unknown as AlpacaOrder;
}

/**
 * The status a client sees. A bracket's or OCO's stop-loss the OMS holds armed while its take-profit
 * works at the venue shows `held`, as Alpaca shows that leg (it is not at the venue); the order's
 * own status (core `statusOf`, what the workflow and the group's rules decide on) is `accepted`.
 */
export function shownStatusOf(s: OrderState): OrderStatus {
  const status = statusOf(s);
  return status === 'accepted' && isTriggerHeldForGroup(s.contingency) ? 'held' : status;
}

export function toAlpacaOrder(s: OrderState, legs: readonly AlpacaOrder[] | null = null): AlpacaOrder {
  const spec = s.spec;
  const avg = avgPriceOf(s);
  const leaves = leavesQtyOf(s);
  const canceled = canceledQtyOf(s);
  return {
    id: s.orderId,
    client_order_id: s.clientOrderId,
    created_at: s.createdAt,
    updated_at: s.updatedAt,
    submitted_at: s.createdAt,
    filled_at: s.filledAt,
    expired_at: s.expiredAt,
    canceled_at: s.canceledAt,
    failed_at: s.failedAt,
    replaced_at: s.replacedAt,
    replaced_by: s.replacedBy,
    replaces: s.replaces,
    asset_id: assetIdOf(spec.symbol),
    symbol: spec.symbol,
    asset_class: 'us_equity',
    notional: spec.notional,
    qty: s.qty === null ? null : formatNanos(s.qty),
    filled_qty: formatNanos(s.filledQty),
    filled_avg_price: avg === null ? null : formatNanos(avg),
    // A leg is a simple order in its own right; Alpaca shows it with its group's class.
    // (Alpaca has no class for algorithmic parents and children: they show as simple.)
    order_class:
      s.contingency === null || s.contingency.orderClass === 'algo'
        ? spec.orderClass
        : s.contingency.orderClass,
    order_type: spec.type,
    type: spec.type,
    side: spec.side,
    position_intent: spec.positionIntent,
    time_in_force: spec.timeInForce,
    limit_price: spec.limitPrice,
    stop_price: shownStopPrice(s),
    trail_price: spec.trailPrice,
    trail_percent: spec.trailPercent,
    hwm: s.hwm,
    status: shownStatusOf(s),
    extended_hours: spec.extendedHours,
    legs,
    leaves_qty: leaves === null ? null : formatNanos(leaves),
    canceled_qty: canceled === null ? null : formatNanos(canceled),
  };
}

/** `open` while the order can still trade or change; `closed` once its status is terminal. */
export function openClosedOf(status: OrderStatus): 'open' | 'closed' {
  return isOpen(status) ? 'open' : 'closed';
}
