/**
 * Making a simulated venue diverge from the OMS on purpose (issue 16: "the simulated venues can be
 * made to diverge on purpose (a local control endpoint: drop the next report, invent a fill, forget
 * an order) so tests can prove each break is found, typed and repaired"). Local mode's
 * `POST /local/divergences/{venue}` applies one to one order of the venue's book, directly on its
 * VENUE_ORDERS_TABLE item, publishing no report: what the OMS would see if the venue's report had
 * been lost, or the venue had acted on its own.
 *
 * | action | the venue's book afterwards | the break reconciliation finds |
 * |---|---|---|
 * | `invent_fill` `{order_id, qty, price}` | a fill the venue executed and whose report was dropped | `MISSED_FILL` (repaired: applied) |
 * | `forget_order` `{order_id}` | the venue has no record of the order | `MISSING_AT_VENUE` (repaired when nothing executed: canceled) |
 * | `cancel_silently` `{order_id}` | the venue canceled the order, its report dropped | `STATUS_MISMATCH` (repaired: canceled keeping its fills) |
 * | `alter_fill` `{order_id, price}` | the venue's last execution of the order at another price | `FILL_ATTR_MISMATCH` (an operator's) |
 * | `drop_fill` `{order_id}` | the venue forgot its last execution of the order | `FILLED_QTY_MISMATCH` (an operator's) |
 * | `invent_order` `{order_id, symbol, side, qty, price}` | a resting order under an id the OMS never sent | `UNKNOWN_AT_OMS` (an operator's) |
 * | `adjust_position` `{account_id, symbol, qty}` | a position booked outside any order (signed qty: a transfer, a busted trade) | `POSITION_MISMATCH` (an operator's) |
 *
 * Pure: the control reads the item, this decides the new one, the control writes it conditionally
 * on the version it read.
 */
import { randomUUID } from 'node:crypto';
import {
  describeFieldErrors,
  type FieldError,
  fieldError,
  formatNanos,
  formatValue18,
  multiply,
  type Nanos,
  nanos,
  parseNanos,
  parseValue18,
} from '../../core/index.js';
import { positiveDecimal } from './market.js';
import {
  POSITION_ADJUSTMENT_KIND,
  type PositionAdjustmentItem,
  type VenueFillRecord,
  type VenueOrderItem,
} from './simulated-venue.js';

export const DIVERGENCE_ACTIONS = [
  'invent_fill',
  'forget_order',
  'cancel_silently',
  'alter_fill',
  'drop_fill',
  'invent_order',
  'adjust_position',
] as const;
export type DivergenceAction = (typeof DIVERGENCE_ACTIONS)[number];

export type Divergence =
  | { readonly action: 'invent_fill'; readonly orderId: string; readonly qty: Nanos; readonly price: Nanos }
  | { readonly action: 'forget_order' | 'cancel_silently' | 'drop_fill'; readonly orderId: string }
  | { readonly action: 'alter_fill'; readonly orderId: string; readonly price: Nanos }
  | {
      readonly action: 'invent_order';
      readonly orderId: string;
      readonly symbol: string;
      readonly side: 'buy' | 'sell';
      readonly qty: Nanos;
      readonly price: Nanos;
    }
  | {
      readonly action: 'adjust_position';
      /** The adjustment's own id (its item `position-adjustment#<venue>#<id>`). */
      readonly orderId: string;
      readonly accountId: string;
      readonly symbol: string;
      /** Signed. */
      readonly qty: Nanos;
    };

const FIELDS: Readonly<Record<DivergenceAction, readonly string[]>> = {
  invent_fill: ['order_id', 'qty', 'price'],
  forget_order: ['order_id'],
  cancel_silently: ['order_id'],
  alter_fill: ['order_id', 'price'],
  drop_fill: ['order_id'],
  invent_order: ['order_id', 'symbol', 'side', 'qty', 'price'],
  adjust_position: ['account_id', 'symbol', 'qty'],
};

export type ParsedDivergence =
  | { readonly ok: true; readonly divergence: Divergence }
  | { readonly ok: false; readonly message: string };

/** Validates an operator's request: errors name the field; unknown fields are refused. */
export function parseDivergence(body: Record<string, unknown>): ParsedDivergence {
  const errors: FieldError[] = [];
  const fail = (): ParsedDivergence => ({ ok: false, message: describeFieldErrors(errors) });
  const action = body.action;
  if (typeof action !== 'string' || !(DIVERGENCE_ACTIONS as readonly string[]).includes(action)) {
    errors.push(fieldError('invalid_value', 'action', `must be one of ${DIVERGENCE_ACTIONS.join(', ')}`));
    return fail();
  }
  const a = action as DivergenceAction;
  for (const key of Object.keys(body))
    if (key !== 'action' && !FIELDS[a].includes(key))
      errors.push(fieldError('unknown_field', key, `is not a field of ${a} (${FIELDS[a].join(', ')})`));
  if (a === 'adjust_position') return parseAdjustment(body, errors);
  const orderId = body.order_id;
  if (typeof orderId !== 'string' || orderId.length === 0 || orderId.length > 128)
    errors.push(fieldError('invalid_value', 'order_id', 'must be an order id (1-128 characters)'));
  const need = (field: 'qty' | 'price') =>
    FIELDS[a].includes(field) ? positiveDecimal(field, body[field], errors) : undefined;
  const qty = need('qty');
  const price = need('price');
  let symbol = '';
  let side: 'buy' | 'sell' = 'buy';
  if (a === 'invent_order') {
    if (typeof body.symbol !== 'string' || !/^[A-Za-z][A-Za-z0-9.]{0,15}$/.test(body.symbol))
      errors.push(fieldError('invalid_value', 'symbol', 'must be a symbol'));
    else symbol = body.symbol.toUpperCase();
    if (body.side !== 'buy' && body.side !== 'sell')
      errors.push(fieldError('invalid_value', 'side', 'must be buy or sell'));
    else side = body.side;
  }
  if (errors.length > 0) return fail();
  const id = orderId as string;
  switch (a) {
    case 'invent_fill':
      return { ok: true, divergence: { action: a, orderId: id, qty: qty as Nanos, price: price as Nanos } };
    case 'alter_fill':
      return { ok: true, divergence: { action: a, orderId: id, price: price as Nanos } };
    case 'invent_order':
      return {
        ok: true,
        divergence: { action: a, orderId: id, symbol, side, qty: qty as Nanos, price: price as Nanos },
      };
    default:
      return { ok: true, divergence: { action: a, orderId: id } };
  }
}

/** `adjust_position`: the account, the symbol and a signed, non-zero quantity. */
function parseAdjustment(body: Record<string, unknown>, errors: FieldError[]): ParsedDivergence {
  const accountId = body.account_id;
  if (typeof accountId !== 'string' || !/^[A-Za-z0-9._:-]{1,128}$/.test(accountId))
    errors.push(fieldError('invalid_value', 'account_id', 'must be 1 to 128 letters, digits or ._:-'));
  const symbol = body.symbol;
  if (typeof symbol !== 'string' || !/^[A-Za-z][A-Za-z0-9.]{0,15}$/.test(symbol))
    errors.push(fieldError('invalid_value', 'symbol', 'must be a symbol'));
  const text = body.qty;
  const negative = typeof text === 'string' && text.startsWith('-');
  const magnitude = typeof text === 'string' ? parseNanos(negative ? text.slice(1) : text) : 'not_a_decimal';
  if (typeof magnitude === 'string' || magnitude === 0n)
    errors.push(fieldError('invalid_value', 'qty', 'must be a non-zero decimal string, negative to reduce'));
  if (errors.length > 0) return { ok: false, message: describeFieldErrors(errors) };
  return {
    ok: true,
    divergence: {
      action: 'adjust_position',
      orderId: `${POSITION_ADJUSTMENT_KIND}#${randomUUID()}`,
      accountId: accountId as string,
      symbol: (symbol as string).toUpperCase(),
      qty: negative ? -(magnitude as Nanos) : (magnitude as Nanos),
    },
  };
}

export type DivergedItem =
  /** Write this item (conditional on the version read; absent before: on not existing). */
  | { readonly ok: true; readonly item: VenueOrderItem | PositionAdjustmentItem }
  /** Delete the item (conditional on the version read). */
  | { readonly ok: true; readonly delete: true }
  | { readonly ok: false; readonly status: 404 | 409; readonly message: string };

const sumFills = (fills: readonly VenueFillRecord[]) =>
  fills.reduce(
    (acc, f) => {
      const q = nanos(f.lastQty);
      return { qty: acc.qty + q, value: acc.value + multiply(q, nanos(f.lastPx)) };
    },
    { qty: 0n, value: 0n },
  );

/** The venue's item after the divergence (see the module table), or why it cannot apply. */
export function divergedItem(
  current: VenueOrderItem | undefined,
  d: Divergence,
  venue: string,
  at: string,
): DivergedItem {
  if (d.action === 'adjust_position') {
    if (current !== undefined) return { ok: false, status: 409, message: `${d.orderId} exists at the venue` };
    return {
      ok: true,
      item: {
        orderId: d.orderId,
        kind: POSITION_ADJUSTMENT_KIND,
        venue,
        accountId: d.accountId,
        symbol: d.symbol,
        qty: formatNanos(d.qty),
        at,
      },
    };
  }
  if (d.action === 'invent_order') {
    if (current !== undefined)
      return { ok: false, status: 409, message: `order_id: ${d.orderId} exists at the venue` };
    return {
      ok: true,
      item: {
        orderId: d.orderId,
        venueOrderId: `${venue}-invented-${d.orderId}`,
        venue,
        accountId: 'unknown',
        symbol: d.symbol,
        side: d.side,
        type: 'limit',
        timeInForce: 'gtc',
        qty: formatNanos(d.qty),
        notional: null,
        limitPrice: formatNanos(d.price),
        stopPrice: null,
        trailPrice: null,
        trailPercent: null,
        filledQty: '0',
        filledValue: '0',
        triggered: false,
        watermark: null,
        // Resting in the book like any limit order (openOrders lists the resting ones): it trades
        // when the market reaches its price, its reports naming an order the OMS never sent.
        status: 'open',
        restingSymbol: d.symbol,
        replaces: null,
        replacedBy: null,
        reportSeq: 0,
        version: 1,
        createdAt: at,
        updatedAt: at,
      },
    };
  }
  if (current === undefined || (current.venue ?? venue) !== venue || current.status === 'unknown')
    return { ok: false, status: 404, message: `order_id: the venue ${venue} has no order ${d.orderId}` };
  const bump = (item: VenueOrderItem): VenueOrderItem => ({
    ...item,
    version: current.version + 1,
    updatedAt: at,
  });
  const executions = current.executions ?? [];
  switch (d.action) {
    case 'forget_order':
      return { ok: true, delete: true };
    case 'cancel_silently': {
      if (current.status !== 'open')
        return {
          ok: false,
          status: 409,
          message: `order_id: ${d.orderId} is ${current.status} at the venue`,
        };
      const { restingSymbol: _, ...rest } = current;
      return { ok: true, item: bump({ ...rest, status: 'canceled' }) };
    }
    case 'invent_fill': {
      if (current.status !== 'open')
        return {
          ok: false,
          status: 409,
          message: `order_id: ${d.orderId} is ${current.status} at the venue`,
        };
      const filled = nanos(current.filledQty) + d.qty;
      const total = current.qty === null ? null : nanos(current.qty);
      if (total !== null && filled > total)
        return {
          ok: false,
          status: 409,
          message: `qty: more than the order's ${current.qty} would be filled`,
        };
      const fill: VenueFillRecord = {
        execId: `${current.orderId}:invented:${executions.length + 1}`,
        lastQty: formatNanos(d.qty),
        lastPx: formatNanos(d.price),
        transactTime: at,
      };
      const done = total !== null && filled === total;
      const { restingSymbol, ...rest } = current;
      return {
        ok: true,
        item: bump({
          ...(done ? rest : { ...rest, ...(restingSymbol === undefined ? {} : { restingSymbol }) }),
          filledQty: formatNanos(filled),
          filledValue: formatValue18(parseValue18(current.filledValue) + multiply(d.qty, d.price)),
          status: done ? 'filled' : 'open',
          executions: [...executions, fill],
        }),
      };
    }
    case 'alter_fill':
    case 'drop_fill': {
      const last = executions.at(-1);
      if (last === undefined)
        return { ok: false, status: 409, message: `order_id: ${d.orderId} has no execution at the venue` };
      const kept =
        d.action === 'alter_fill'
          ? [...executions.slice(0, -1), { ...last, lastPx: formatNanos(d.price) }]
          : executions.slice(0, -1);
      const sums = sumFills(kept);
      return {
        ok: true,
        item: bump({
          ...current,
          executions: kept,
          ...(d.action === 'drop_fill'
            ? { filledQty: formatNanos(sums.qty), filledValue: formatValue18(sums.value) }
            : { filledValue: formatValue18(sums.value) }),
        }),
      };
    }
  }
}
