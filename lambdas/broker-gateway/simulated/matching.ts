/**
 * The simulated venue's matching rules: given one resting order and the current quote, what
 * executes now. Pure, exact decimals (nanos).
 *
 * - Market orders take the touch (buy at the ask, sell at the bid), at most the displayed size per
 *   step, so a large order fills over several steps.
 * - Limit orders execute when marketable, at the touch, which is the limit or better.
 * - Stop and stop-limit orders trigger when the last price crosses the stop (buy: last >= stop,
 *   sell: last <= stop), then work as market or limit in the same step. A trailing stop trails the
 *   best last price seen (high for a sell, low for a buy) by its price or percent.
 * - IOC executes what it can in this step and cancels the rest; FOK executes whole or is canceled.
 * - OPG and CLS orders rest untouched: they execute only in their auction (auction.ts).
 * - A venue's `maxFillQty` (venue controls) caps each fill: one fill per step of at most that much,
 *   so an order fills over several steps; a FOK larger than the cap is canceled.
 * - Notional orders buy `remaining notional / price`, truncated at 9 dp (never overspending), and
 *   are done when less than one cent is left to spend, as the core counts them.
 */
import {
  max,
  multiply,
  type Nanos,
  ONE,
  type OrderType,
  onTick,
  type Side,
  type TimeInForce,
  toValue18,
  type Value18,
} from '../../core/index.js';
import type { Quote } from './market.js';

export type BookStatus = 'open' | 'filled' | 'canceled' | 'replaced' | 'rejected';

export interface BookOrder {
  readonly orderId: string;
  readonly symbol: string;
  readonly side: Side;
  readonly type: OrderType;
  readonly timeInForce: TimeInForce;
  readonly qty: Nanos | null;
  readonly notional: Nanos | null;
  readonly limitPrice: Nanos | null;
  readonly stopPrice: Nanos | null;
  readonly trailPrice: Nanos | null;
  readonly trailPercent: Nanos | null;
  /** Filled so far (for a replacement: the chain's, FIX CumQty). */
  readonly filledQty: Nanos;
  /** Exact sum of qty x price of the fills (scale 18). */
  readonly filledValue: Value18;
  readonly triggered: boolean;
  /** Trailing stop: the best last price seen since it was booked. */
  readonly watermark: Nanos | null;
  readonly status: BookStatus;
}

export type Execution =
  | { readonly kind: 'triggered'; readonly triggerPrice: Nanos; readonly bid: Nanos; readonly ask: Nanos }
  | { readonly kind: 'fill'; readonly qty: Nanos; readonly px: Nanos }
  | { readonly kind: 'canceled'; readonly reason: CancelReason };

export type CancelReason = 'ioc_remainder' | 'fok_unfillable' | 'auction_unfilled';

export interface MatchResult {
  readonly order: BookOrder;
  readonly executions: readonly Execution[];
  /** The quote with the displayed size this order took removed (for the next order this step). */
  readonly quote: Quote;
}

/** One cent at scale 18: a notional order with less than this left is done. */
const CENT_18: Value18 = 10_000_000_000_000_000n;
const HUNDRED: Nanos = 100n * ONE;

const min = (a: Nanos, b: Nanos): Nanos => (a < b ? a : b);

const isConditional = (o: BookOrder) =>
  o.type === 'stop' || o.type === 'stop_limit' || o.type === 'trailing_stop';

/** The remaining quantity at `px`: for a notional order, what the money left buys (truncated). */
export function remainingQty(o: BookOrder, px: Nanos): Nanos {
  if (o.qty !== null) return o.qty > o.filledQty ? o.qty - o.filledQty : 0n;
  const money = toValue18(o.notional as Nanos) - o.filledValue;
  return money < CENT_18 ? 0n : money / px;
}

export function isComplete(o: BookOrder): boolean {
  if (o.qty !== null) return o.filledQty >= o.qty;
  return toValue18(o.notional as Nanos) - o.filledValue < CENT_18;
}

function trailingStopLevel(o: BookOrder, watermark: Nanos): Nanos {
  const up = o.side === 'buy';
  if (o.trailPrice !== null) return onTick(up ? watermark + o.trailPrice : watermark - o.trailPrice, up);
  const pct = o.trailPercent as Nanos;
  return onTick((watermark * (up ? HUNDRED + pct : HUNDRED - pct)) / HUNDRED, up);
}

/** Whether the stop triggers on this quote, and the order with its watermark moved. */
function checkTrigger(o: BookOrder, q: Quote): { order: BookOrder; crossed: boolean } {
  const buy = o.side === 'buy';
  if (o.type === 'trailing_stop') {
    const prev = o.watermark ?? q.last;
    const watermark = buy ? min(q.last, prev) : max(q.last, prev);
    const stop = trailingStopLevel(o, watermark);
    return { order: { ...o, watermark }, crossed: buy ? q.last >= stop : q.last <= stop };
  }
  const stop = o.stopPrice as Nanos;
  return { order: o, crossed: buy ? q.last >= stop : q.last <= stop };
}

/** Venue-wide limits on matching (from the venue's controls). */
export interface MatchLimits {
  /** No single fill is larger than this (null: the displayed size is the only bound). */
  readonly maxFillQty?: Nanos | null;
}

/**
 * What executes now for `order` against `quote`. Orders that are not open do nothing, and neither
 * do auction orders (opg, cls): they trade only in their auction (auction.ts).
 */
export function match(order: BookOrder, quote: Quote, limits: MatchLimits = {}): MatchResult {
  if (order.status !== 'open') return { order, executions: [], quote };
  if (order.timeInForce === 'opg' || order.timeInForce === 'cls') return { order, executions: [], quote };
  const executions: Execution[] = [];
  const immediate = order.timeInForce === 'ioc' || order.timeInForce === 'fok';
  const cancel = (o: BookOrder, reason: CancelReason, q: Quote): MatchResult => {
    executions.push({ kind: 'canceled', reason });
    return { order: { ...o, status: 'canceled' }, executions, quote: q };
  };
  let o = order;
  if (isConditional(o) && !o.triggered) {
    const t = checkTrigger(o, quote);
    o = t.order;
    if (!t.crossed) {
      if (!immediate) return { order: o, executions, quote };
      return cancel(o, o.timeInForce === 'fok' ? 'fok_unfillable' : 'ioc_remainder', quote);
    }
    o = { ...o, triggered: true };
    executions.push({ kind: 'triggered', triggerPrice: quote.last, bid: quote.bid, ask: quote.ask });
  }
  const buy = o.side === 'buy';
  const px = buy ? quote.ask : quote.bid;
  const displayed = buy ? quote.askSize : quote.bidSize;
  // A stop-limit trades as a limit once triggered; stop and trailing stop as market.
  const limit = o.type === 'limit' || o.type === 'stop_limit' ? o.limitPrice : null;
  const marketable = px > 0n && (limit === null || (buy ? px <= limit : px >= limit));
  const wanted = marketable ? remainingQty(o, px) : 0n;
  const cap = limits.maxFillQty ?? null;
  const bound = cap !== null && cap < displayed ? cap : displayed;
  const available = wanted < bound ? wanted : bound;
  if (o.timeInForce === 'fok' && (wanted === 0n || available < wanted))
    return cancel(o, 'fok_unfillable', quote);
  if (available > 0n) {
    executions.push({ kind: 'fill', qty: available, px });
    o = { ...o, filledQty: o.filledQty + available, filledValue: o.filledValue + multiply(available, px) };
  }
  const left = displayed - available;
  const after: Quote = buy ? { ...quote, askSize: left } : { ...quote, bidSize: left };
  if (isComplete(o)) return { order: { ...o, status: 'filled' }, executions, quote: after };
  if (immediate) return cancel(o, 'ioc_remainder', after);
  return { order: o, executions, quote: after };
}
