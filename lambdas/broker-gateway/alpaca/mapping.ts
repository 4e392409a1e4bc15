/**
 * Alpaca -> OMS: the pure mapping of an Alpaca-compatible broker's `trade_updates` messages, order
 * JSON and FILL activities onto the OMS's `ExecutionReport`s and status-query answers
 * (docs/venues.md, "Alpaca broker": the mapping table).
 *
 * execIds are stable whichever way a report arrives (the stream, or the REST polling that fills a
 * gap after a disconnect), so the OMS's dedupe by execId drops the second copy:
 * - a fill: `<venue>:<alpaca order id>:fill:<cum qty after it>` (the order's cumulative quantity
 *   strictly grows with every fill; the stream's `order.filled_qty` and the FILL activity's
 *   `cum_qty` both carry it, Alpaca's stream `execution_id` and activity `id` are different ids);
 * - any other event: `<venue>:<alpaca order id>:<event>` (each happens once to an order), but the
 *   refusals of a cancel/replace, which can repeat: `...:<event>:<timestamp>`.
 */
import type { ExecType, ExecutionReport } from '../execution-report.js';
import { UNKNOWN_ORDER } from '../execution-report.js';
import type { VenueExecution, VenueOrderStatusReport } from '../venue.js';

/** The fields of Alpaca's order JSON the adapter reads. */
export interface AlpacaOrderJson {
  readonly id: string;
  readonly client_order_id: string;
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
  readonly status: string;
  readonly qty: string | null;
  readonly filled_qty: string;
  readonly filled_avg_price: string | null;
  readonly updated_at: string;
  readonly replaced_by?: string | null;
  readonly replaces?: string | null;
}

/** One `trade_updates` message's `data`. */
export interface AlpacaTradeUpdate {
  readonly event: string;
  readonly order: AlpacaOrderJson;
  readonly timestamp: string;
  readonly execution_id?: string;
  readonly price?: string;
  readonly qty?: string;
  readonly position_qty?: string;
}

/** One FILL activity (GET /v2/account/activities/FILL). */
export interface AlpacaFillActivity {
  readonly id: string;
  readonly activity_type: 'FILL';
  readonly transaction_time: string;
  readonly price: string;
  readonly qty: string;
  readonly side: 'buy' | 'sell';
  readonly symbol: string;
  readonly order_id: string;
  readonly cum_qty: string;
}

/** trade_updates event -> OMS ExecType; null: the event is not reported (see docs/venues.md). */
export const EXEC_TYPE_OF_EVENT: Readonly<Record<string, ExecType | null>> = {
  new: 'new',
  fill: 'fill',
  partial_fill: 'fill',
  canceled: 'canceled',
  expired: 'expired',
  done_for_day: 'done_for_day',
  replaced: 'replaced',
  rejected: 'rejected',
  pending_cancel: 'pending_cancel',
  pending_replace: 'pending_replace',
  order_cancel_rejected: 'cancel_rejected',
  order_replace_rejected: 'replace_rejected',
  // The order is still working as far as the OMS is concerned: nothing to report.
  pending_new: null,
  accepted: null,
  calculated: null,
  stopped: null,
  suspended: null,
  held: null,
  // A busted or corrected trade changes a fill after the fact: left to reconciliation
  // (FILL_MISMATCH), never applied automatically.
  trade_bust: null,
  trade_correct: null,
};

/** Canonical decimal text (the report schema's `decimal`): no sign, no exponent, no trailing zeros. */
export function canonicalDecimal(text: string): string {
  const m = /^(\d+)(?:\.(\d*))?$/.exec(text.trim());
  if (m === null) throw new Error(`not a plain decimal: ${text}`);
  const int = (m[1] as string).replace(/^0+(?=\d)/, '');
  const frac = (m[2] ?? '').replace(/0+$/, '').slice(0, 9);
  return frac === '' ? int : `${int}.${frac}`;
}

export function fillExecId(venue: string, alpacaOrderId: string, cumQty: string): string {
  return `${venue}:${alpacaOrderId}:fill:${canonicalDecimal(cumQty)}`;
}

const REPEATABLE: ReadonlySet<ExecType> = new Set(['cancel_rejected', 'replace_rejected']);

/** The ExecutionReport a trade update stands for; null when the event is not reported. */
export function reportOfTradeUpdate(venue: string, update: AlpacaTradeUpdate): ExecutionReport | null {
  const execType = EXEC_TYPE_OF_EVENT[update.event] ?? null;
  if (execType === null) return null;
  const { order } = update;
  // A replacement order's own `new`: the OMS booked the replacement with the `replaced` of the
  // order it replaces (the venue order continues under the new ClOrdID).
  if (execType === 'new' && order.replaces) return null;
  const base = {
    venue,
    orderId: order.client_order_id,
    venueOrderId: order.id,
    transactTime: update.timestamp,
    cumQty: canonicalDecimal(order.filled_qty),
  };
  if (execType === 'fill') {
    if (update.qty === undefined || update.price === undefined)
      throw new Error(`${update.event} without qty/price for order ${order.id}`);
    return {
      ...base,
      execType,
      execId: fillExecId(venue, order.id, order.filled_qty),
      lastQty: canonicalDecimal(update.qty),
      lastPx: canonicalDecimal(update.price),
    };
  }
  const suffix = REPEATABLE.has(execType) ? `:${update.timestamp}` : '';
  return {
    ...base,
    execType,
    execId: `${venue}:${order.id}:${execType}${suffix}`,
    ...(execType === 'rejected' ? { reason: 'venue_rejected' } : {}),
    ...replacementOf(execType, order),
  };
}

const CLOSING_OF_STATUS: Readonly<Record<string, ExecType | undefined>> = {
  canceled: 'canceled',
  expired: 'expired',
  done_for_day: 'done_for_day',
  replaced: 'replaced',
  rejected: 'rejected',
};

/** The terminal report an order's status implies (REST polling after a gap); null while it works. */
export function closingReportOfOrder(venue: string, order: AlpacaOrderJson): ExecutionReport | null {
  const execType = CLOSING_OF_STATUS[order.status];
  if (execType === undefined) return null;
  return {
    venue,
    orderId: order.client_order_id,
    venueOrderId: order.id,
    execId: `${venue}:${order.id}:${execType}`,
    execType,
    cumQty: canonicalDecimal(order.filled_qty),
    transactTime: order.updated_at,
    ...(execType === 'rejected' ? { reason: 'venue_rejected' } : {}),
    ...replacementOf(execType, order),
  };
}

/**
 * A PATCH makes a new Alpaca order (its own id, `replaces` the old one): the `replaced` report
 * names it, so the OMS's replacement works under it (its reports carry it, and the applier checks
 * the venue order id of every report).
 */
function replacementOf(execType: ExecType, order: AlpacaOrderJson): { replacementVenueOrderId?: string } {
  return execType === 'replaced' && typeof order.replaced_by === 'string' && order.replaced_by !== ''
    ? { replacementVenueOrderId: order.replaced_by }
    : {};
}

/** The fill report a FILL activity stands for (REST polling after a gap), given its order. */
export function fillReportOfActivity(
  venue: string,
  activity: AlpacaFillActivity,
  clientOrderId: string,
): ExecutionReport {
  return {
    venue,
    orderId: clientOrderId,
    venueOrderId: activity.order_id,
    execId: fillExecId(venue, activity.order_id, activity.cum_qty),
    execType: 'fill',
    lastQty: canonicalDecimal(activity.qty),
    lastPx: canonicalDecimal(activity.price),
    cumQty: canonicalDecimal(activity.cum_qty),
    transactTime: activity.transaction_time,
  };
}

const STATUS_OF: Readonly<Record<string, VenueOrderStatusReport['status']>> = {
  filled: 'filled',
  canceled: 'canceled',
  replaced: 'replaced',
  rejected: 'rejected',
  expired: 'expired',
  // Alpaca's done_for_day: the order will not trade again today; the OMS ends it (doneForDay).
  done_for_day: 'expired',
};

/** Alpaca order -> the Venue port's status answer (any non-final status is `open`). */
export function statusReportOf(order: AlpacaOrderJson): VenueOrderStatusReport {
  return {
    orderId: order.client_order_id,
    venueOrderId: order.id,
    symbol: order.symbol,
    side: order.side,
    status: STATUS_OF[order.status] ?? 'open',
    qty: order.qty === null ? null : canonicalDecimal(order.qty),
    filledQty: canonicalDecimal(order.filled_qty),
    avgPrice: order.filled_avg_price === null ? null : canonicalDecimal(order.filled_avg_price),
    updatedAt: order.updated_at,
    ...(typeof order.replaced_by === 'string' && order.replaced_by !== ''
      ? { replacedBy: order.replaced_by }
      : {}),
  };
}

/** A FILL activity -> the Venue port's execution, given its order's client order id. */
export function executionOfActivity(
  venue: string,
  activity: AlpacaFillActivity,
  clientOrderId: string,
): VenueExecution {
  return {
    orderId: clientOrderId,
    venueOrderId: activity.order_id,
    execId: fillExecId(venue, activity.order_id, activity.cum_qty),
    symbol: activity.symbol,
    side: activity.side,
    lastQty: canonicalDecimal(activity.qty),
    lastPx: canonicalDecimal(activity.price),
    transactTime: activity.transaction_time,
  };
}

export { UNKNOWN_ORDER };
