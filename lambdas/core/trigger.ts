/**
 * Stops the OMS holds itself ("emulated" stops): a venue that does not hold an order type natively
 * gets the order only once it has triggered, as the type it then trades as (a stop as market, a
 * stop-limit as limit). Until then the order is `armed` (Alpaca `accepted`) and the OMS watches the
 * market for its trigger. Pure: the watcher passes the quote in.
 *
 * The trigger rule is the simulated venue's (lambdas/broker-gateway/simulated/matching.ts), so a stop behaves the same
 * whoever holds it: a stop or stop-limit triggers when the last sale crosses the stop (buy: last >=
 * stop, sell: last <= stop); a trailing stop trails the best last sale seen since it was armed
 * (the highest for a sell, the lowest for a buy) by its trail price or percent, and triggers when
 * the last sale crosses that level. The trigger price is the last sale.
 */
import { formatNanos, type Nanos, ONE, onTick, parseNanos } from './decimal.js';
import { type FieldError, fieldError } from './field-error.js';
import { type Decision, decide, evolve, type OrderState, statusOf } from './order.js';
import { ORDER_TYPES, type OrderType, type Side, type TimeInForce } from './order-request.js';

const CONDITIONAL: ReadonlySet<OrderType> = new Set(['stop', 'stop_limit', 'trailing_stop']);

/** Order types that wait for a trigger, and so can be held by the OMS when a venue cannot. */
export function isConditionalType(type: OrderType): boolean {
  return CONDITIONAL.has(type);
}

/**
 * Whether the OMS holds the trigger of an order of `type` bound for a venue that holds
 * `venueTypes` natively. Market and limit orders always go to the venue as they are.
 */
export function isTriggerHeldByOms(type: OrderType, venueTypes: ReadonlySet<OrderType>): boolean {
  return isConditionalType(type) && !venueTypes.has(type);
}

/**
 * The order types a venue holds natively, from a setting: a comma-separated list of Alpaca order
 * types (`market,limit` for a venue without stops). Every venue takes market and limit orders.
 */
export function parseVenueOrderTypes(
  text: string,
  field = 'venue order types',
): { ok: true; types: ReadonlySet<OrderType> } | { ok: false; error: FieldError } {
  const names = text
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '');
  const unknown = names.filter((n) => !(ORDER_TYPES as readonly string[]).includes(n));
  if (unknown.length > 0)
    return {
      ok: false,
      error: fieldError(
        'invalid_value',
        field,
        `unknown order type ${unknown.join(', ')} (one of ${ORDER_TYPES.join(', ')})`,
      ),
    };
  const types = new Set(names as OrderType[]);
  if (!types.has('market') || !types.has('limit'))
    return { ok: false, error: fieldError('invalid_value', field, 'must include market and limit') };
  return { ok: true, types };
}

/** The terms a held trigger is watched by (decimals as text, as the order shows them). */
export interface HeldTrigger {
  readonly side: Side;
  readonly type: OrderType;
  readonly stopPrice: string | null;
  readonly trailPrice: string | null;
  readonly trailPercent: string | null;
  /** The trailing stop's mark so far (null: none yet, the first quote sets it). */
  readonly hwm: string | null;
}

export interface TriggerQuote {
  readonly bid: string;
  readonly ask: string;
  readonly last: string;
}

export interface TriggerCheck {
  /** A trailing stop's mark, when this quote improved it (record `OrderTrailMoved`). */
  readonly hwm: string | null;
  /** Set when the order triggers on this quote: the last sale, and the quote at the trigger. */
  readonly trigger: { readonly triggerPrice: string; readonly bid: string; readonly ask: string } | null;
}

const HUNDRED: Nanos = 100n * ONE;

function price(text: string | null, what: string): Nanos {
  const v = text === null ? null : parseNanos(text);
  if (typeof v !== 'bigint' || v <= 0n) throw new Error(`held trigger: ${what} must be a positive decimal`);
  return v;
}

/**
 * The stop level a trailing stop stands at for `mark` (sell: below it, buy: above it), on its tick
 * (Rule 612: $0.01, $0.0001 below $1), rounded away from the market: a sell's down, a buy's up. A
 * trail of 1.5 % or of $0.001 makes no sub-penny stop price; on prices on the tick it triggers
 * exactly where the unrounded level would.
 */
export function trailingStopLevel(t: HeldTrigger, mark: Nanos): Nanos {
  const buy = t.side === 'buy';
  let level: Nanos;
  if (t.trailPrice !== null) {
    const by = price(t.trailPrice, 'trailPrice');
    level = buy ? mark + by : mark - by;
  } else {
    const pct = price(t.trailPercent, 'trailPercent');
    level = (mark * (buy ? HUNDRED + pct : HUNDRED - pct)) / HUNDRED;
  }
  return onTick(level, buy);
}

/** What `quote` means for a held trigger: a moved mark, a trigger, both or neither. */
export function checkHeldTrigger(t: HeldTrigger, quote: TriggerQuote): TriggerCheck {
  if (!isConditionalType(t.type)) throw new Error(`held trigger: a ${t.type} order has no trigger`);
  const last = price(quote.last, 'last');
  const buy = t.side === 'buy';
  const crosses = (stop: Nanos) => (buy ? last >= stop : last <= stop);
  const at = { triggerPrice: formatNanos(last), bid: quote.bid, ask: quote.ask };
  if (t.type !== 'trailing_stop') {
    return { hwm: null, trigger: crosses(price(t.stopPrice, 'stopPrice')) ? at : null };
  }
  const before = t.hwm === null ? null : price(t.hwm, 'hwm');
  const better = before === null || (buy ? last < before : last > before);
  const mark = better ? last : (before as Nanos);
  return {
    hwm: better ? formatNanos(mark) : null,
    trigger: crosses(trailingStopLevel(t, mark)) ? at : null,
  };
}

/** What a check of an armed order records, in this order (core commands, see `order.ts`). */
export type HeldTriggerCommand =
  | { readonly type: 'moveTrail'; readonly hwm: string }
  | { readonly type: 'trigger'; readonly triggerPrice: string; readonly bid: string; readonly ask: string }
  | { readonly type: 'confirmCancel'; readonly reason: 'ioc_remainder' | 'fok_unfillable' };

/**
 * The commands one check of an armed order against `quote` yields: a trailing stop's improved mark
 * (`moveTrail`), then `trigger` when it triggers. An IOC or FOK stop that does not trigger is
 * canceled instead (`ioc_remainder` / `fok_unfillable`), as the venue cancels an untriggered IOC/FOK
 * stop when it books it: an armed IOC/FOK stop is only ever checked once (that check triggers or
 * cancels it), so no "first check" flag is needed. Nothing to record: an empty list.
 */
export function heldTriggerCommands(
  t: HeldTrigger,
  timeInForce: TimeInForce,
  quote: TriggerQuote,
): HeldTriggerCommand[] {
  const check = checkHeldTrigger(t, quote);
  if (check.trigger === null && (timeInForce === 'ioc' || timeInForce === 'fok'))
    return [{ type: 'confirmCancel', reason: timeInForce === 'fok' ? 'fok_unfillable' : 'ioc_remainder' }];
  const out: HeldTriggerCommand[] = [];
  if (check.hwm !== null) out.push({ type: 'moveTrail', hwm: check.hwm });
  if (check.trigger !== null) out.push({ type: 'trigger', ...check.trigger });
  return out;
}

/**
 * What `quote` means for an order the OMS holds, decided on its state: the events of
 * `heldTriggerCommands` (a moved mark, then the trigger; or the IOC/FOK cancel) as ONE decision, to
 * be appended together. Refused (`not_armed`) once the order is no longer armed: triggered,
 * canceled or replaced meanwhile. Nothing to record: no events.
 */
export function decideHeldTrigger(s: OrderState, quote: TriggerQuote, now: number): Decision {
  if (s.phase !== 'armed')
    return { ok: false, refusal: { code: 'not_armed', message: `held trigger: order is ${statusOf(s)}` } };
  const { side, type, stopPrice, trailPrice, trailPercent } = s.spec;
  const held: HeldTrigger = { side, type, stopPrice, trailPrice, trailPercent, hwm: s.hwm };
  const events: Extract<Decision, { ok: true }>['events'][number][] = [];
  let state = s;
  for (const command of heldTriggerCommands(held, s.spec.timeInForce, quote)) {
    const decision = decide(state, command, now);
    if (!decision.ok) return decision;
    for (const e of decision.events) {
      events.push(e);
      state = evolve(state, e);
    }
  }
  return { ok: true, events };
}

/**
 * A sell trailing stop trails the best price below it by `trail_price`: a trail at or above the
 * market (the reference price) puts its first stop at or below zero, where it can never trigger
 * (a probe: trail 50 on a 10.01 market, `stop_price: "-39.99"`, open and holding its qty). Refused
 * as bad input, naming `trail_price`; unknown without a reference price (the venue's own check).
 * A buy's stop (the best price plus the trail) and a percent trail (under 100) are always positive.
 */
export function trailBeyondPriceError(
  order: { readonly type: string; readonly side: string; readonly trailPrice: string | null },
  referencePrice: string | null,
): FieldError | null {
  if (order.type !== 'trailing_stop' || order.side !== 'sell' || order.trailPrice === null) return null;
  const trail = parseNanos(order.trailPrice);
  const reference = referencePrice === null ? null : parseNanos(referencePrice);
  if (typeof trail !== 'bigint' || typeof reference !== 'bigint' || trail < reference) return null;
  return fieldError(
    'out_of_range',
    'trail_price',
    `must be below the market price (${formatNanos(reference)}) for a sell trailing stop: its stop would be ${formatNanos(reference - trail)}`,
  );
}

/**
 * A stop (a `stop` or `stop_limit` order, an OCO's stop-loss) whose stop price the market has
 * already reached (a sell's at or above the reference price, a buy's at or below) would trigger at
 * once, by the trigger rule above, and trade as a market or limit order at the market: not the stop
 * the client meant (a probe's sell stop at 105 on a 100 market filled at 100 within 2 s). Refused as
 * bad input, naming the field, as Alpaca refuses it (`stop price must not be greater than base
 * price / 1.001` for a sell); unknown without a reference price (the venue's own check).
 */
export function stopReachedError(
  order: {
    readonly type: string;
    readonly side: string;
    readonly orderClass: string;
    readonly stopPrice: string | null;
    readonly stopLoss: { readonly stopPrice: string } | null;
  },
  referencePrice: string | null,
): FieldError | null {
  const [field, text] =
    order.type === 'stop' || order.type === 'stop_limit'
      ? ['stop_price', order.stopPrice]
      : order.orderClass === 'oco'
        ? ['stop_loss.stop_price', order.stopLoss?.stopPrice ?? null]
        : ['', null];
  const stop = text === null ? null : parseNanos(text);
  const reference = referencePrice === null ? null : parseNanos(referencePrice);
  if (typeof stop !== 'bigint' || typeof reference !== 'bigint') return null;
  const sell = order.side === 'sell';
  if (sell ? stop < reference : stop > reference) return null;
  return fieldError(
    'wrong_side',
    field,
    `must be ${sell ? 'below' : 'above'} the market price (${formatNanos(reference)}) for a ${order.side} stop: it would trigger at once`,
  );
}

/** A new order's trigger-price rules: a sell trail past its price, a stop the market has reached. */
export function triggerPriceError(
  order: Parameters<typeof trailBeyondPriceError>[0] & Parameters<typeof stopReachedError>[0],
  referencePrice: string | null,
): FieldError | null {
  return trailBeyondPriceError(order, referencePrice) ?? stopReachedError(order, referencePrice);
}
