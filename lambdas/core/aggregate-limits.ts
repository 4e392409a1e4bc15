/**
 * Aggregate limits in versioned policies (issue 16; SEC Rule 15c3-5):
 * - (c)(1)(i): "Prevent the entry of orders that exceed appropriate pre-set credit or capital
 *   thresholds in the aggregate for each customer and the broker or dealer": a daily notional limit
 *   (the notional of the New York trading day's accepted orders, per account and firm-wide) and an
 *   open exposure limit (the notional of the account's open orders plus the new one);
 * - (c)(1)(ii): "Prevent the entry of erroneous orders, by rejecting orders that exceed appropriate
 *   price or size parameters, on an order-by-order basis": per symbol, a maximum order size and a
 *   price collar (tighter or looser than the account's general `max_order_qty` / `price_collar`);
 *   and a modify-rate limit (replaces per second per account: a runaway amend loop).
 *
 * A policy is a document per account and one firm-wide; every change is a new version (recorded as
 * `LimitsPolicyChanged`); every refusal cites its rule, the limit and the policy's version
 * (`policy_version`). A `null` limit is off; a policy never set has version 0 and no limits.
 * Pure: totals, open orders and prices are read by the caller; time is passed in.
 */
import {
  formatNanos,
  formatValue18,
  multiply,
  type Nanos,
  ONE,
  parseNanos,
  toValue18,
  type Value18,
} from './decimal.js';
import type { OrderSpec } from './order-request.js';

export interface SymbolLimits {
  /** The largest order in shares for this symbol. */
  readonly maxOrderQty?: string | null;
  /** A limit price at most this percent through the reference price. */
  readonly priceCollarPercent?: string | null;
}

export interface LimitsPolicy {
  readonly version: number;
  /** The notional of the trading day's accepted orders (New York day), at most. */
  readonly dailyNotional: string | null;
  /** The notional of the open orders plus the new order, at most (the account's, or the firm's). */
  readonly openExposure: string | null;
  /** Replaces (PATCH) per second per account, at most. */
  readonly modifiesPerSecond: number | null;
  /** By symbol (upper case). */
  readonly symbols: Readonly<Record<string, SymbolLimits>>;
  readonly changedBy: string;
  readonly changedAt: string;
}

/** A policy never set: no limits, version 0. */
export const NO_POLICY: LimitsPolicy = {
  version: 0,
  dailyNotional: null,
  openExposure: null,
  modifiesPerSecond: null,
  symbols: {},
  changedBy: '',
  changedAt: '',
};

export type PolicyScope = 'firm' | 'account';

export type AggregateRule =
  | 'daily_notional'
  | 'open_exposure'
  | 'symbol_max_qty'
  | 'symbol_price_collar'
  | 'modify_rate';

export interface PolicyRefusal {
  readonly rule: AggregateRule;
  readonly limit: string;
  readonly message: string;
  /** The version of the policy whose limit refused the order. */
  readonly policy_version: number;
  /** Whose policy: the account's or the firm's. */
  readonly policy_scope: PolicyScope;
}

function dec(text: string | null | undefined): Nanos | null {
  if (text === null || text === undefined) return null;
  const v = parseNanos(text);
  return typeof v === 'bigint' ? v : null;
}

const whose = (scope: PolicyScope) => (scope === 'firm' ? "the firm's" : "the account's");
const cite = (p: LimitsPolicy, scope: PolicyScope) => `${scope} policy version ${p.version}`;

/**
 * The order's notional (exact, scale 18): `notional`, else qty x its price (`valuationPriceOf`);
 * null without a price.
 */
export function orderNotionalOf(
  order: Partial<Pick<OrderSpec, 'side' | 'stopPrice' | 'trailPrice' | 'trailPercent'>> &
    Pick<OrderSpec, 'qty' | 'notional' | 'limitPrice'>,
  referencePrice: string | null,
): Value18 | null {
  const notional = dec(order.notional);
  if (notional !== null) return toValue18(notional);
  const qty = dec(order.qty);
  const price = valuationPriceOf(
    dec(order.limitPrice),
    dec(order.stopPrice ?? null),
    order.side,
    dec(referencePrice),
    trailOf(order),
  );
  return qty === null || price === null ? null : multiply(qty, price);
}

/** A trailing stop's trail (null: not one). */
export function trailOf(
  order: Partial<Pick<OrderSpec, 'trailPrice' | 'trailPercent'>>,
): { readonly price: Nanos | null; readonly percent: Nanos | null } | null {
  const price = dec(order.trailPrice ?? null);
  const percent = dec(order.trailPercent ?? null);
  return price === null && percent === null ? null : { price, percent };
}

/**
 * The price an order is valued at before it trades: its limit price; else, for a buy stop, the
 * higher of its stop and the reference price (it can only trade at or above its stop: a probe's
 * buy stop at 120 valued at the 100 reference filled at 120 and spent past the cash); else the
 * reference price.
 */
export function valuationPriceOf(
  limitPrice: Nanos | null,
  stopPrice: Nanos | null,
  side: string | undefined,
  reference: Nanos | null,
  trail: { readonly price: Nanos | null; readonly percent: Nanos | null } | null = null,
): Nanos | null {
  if (limitPrice !== null) return limitPrice;
  if (side === 'buy' && stopPrice !== null)
    return reference !== null && reference > stopPrice ? reference : stopPrice;
  // A trailing buy stop triggers at the lowest price since it was placed plus its trail, at most
  // the reference plus the trail (a probe's buy trailing 50 above a 100 market, valued at 100,
  // filled at 151 and spent past the cash).
  if (side === 'buy' && reference !== null && trail !== null) {
    if (trail.price !== null) return reference + trail.price;
    if (trail.percent !== null) {
      const scaled = reference * trail.percent;
      const per = 100n * ONE;
      return reference + (scaled + per - 1n) / per;
    }
  }
  return reference;
}

/**
 * (c)(1)(ii) per symbol: the order's size and limit price against the policy's limits for its
 * symbol. Stop prices are not collared (they price a future trigger, as in core risk.ts).
 */
export function symbolLimitRefusals(
  order: Pick<OrderSpec, 'symbol' | 'side' | 'type' | 'qty' | 'limitPrice'>,
  referencePrice: string | null,
  policy: LimitsPolicy,
  scope: PolicyScope,
): PolicyRefusal[] {
  const symbol = order.symbol.toUpperCase();
  const limits = policy.symbols[symbol];
  if (limits === undefined) return [];
  const out: PolicyRefusal[] = [];
  const qty = dec(order.qty);
  const maxQty = dec(limits.maxOrderQty);
  if (qty !== null && maxQty !== null && qty > maxQty)
    out.push({
      rule: 'symbol_max_qty',
      limit: limits.maxOrderQty as string,
      message: `symbol_max_qty: qty ${formatNanos(qty)} ${symbol} exceeds ${whose(scope)} limit ${limits.maxOrderQty} for ${symbol} (${cite(policy, scope)})`,
      policy_version: policy.version,
      policy_scope: scope,
    });
  const collar = dec(limits.priceCollarPercent);
  const limitPrice = dec(order.limitPrice);
  if (collar !== null && order.type === 'limit' && limitPrice !== null) {
    const reference = dec(referencePrice);
    const hundred = 100n * ONE;
    const through =
      reference === null
        ? true
        : order.side === 'buy'
          ? multiply(limitPrice, hundred) > multiply(reference, hundred + collar)
          : multiply(limitPrice, hundred) < multiply(reference, hundred > collar ? hundred - collar : 0n);
    if (through)
      out.push({
        rule: 'symbol_price_collar',
        limit: limits.priceCollarPercent as string,
        message:
          reference === null
            ? `symbol_price_collar: no reference price for ${symbol} to collar the limit price ${formatNanos(limitPrice)} (${cite(policy, scope)})`
            : `symbol_price_collar: limit price ${formatNanos(limitPrice)} is more than ${limits.priceCollarPercent}% ${order.side === 'buy' ? 'above' : 'below'} the reference price ${formatNanos(reference)} of ${symbol} (${cite(policy, scope)})`,
        policy_version: policy.version,
        policy_scope: scope,
      });
  }
  return out;
}

/**
 * (c)(1)(i) open exposure: the notional of the account's open orders (both sides) plus this order,
 * at most the limit. An order with no price to value it at is refused when the limit is set.
 */
export function openExposureRefusal(
  orderNotional: Value18 | null,
  openNotional: string,
  policy: LimitsPolicy,
  scope: PolicyScope,
): PolicyRefusal | null {
  const limit = dec(policy.openExposure);
  if (limit === null) return null;
  const open = dec(openNotional) ?? 0n;
  const refuse = (detail: string) => exposureRefusal(policy, scope, detail);
  if (orderNotional === null) return refuse('the order has no price to value its exposure at');
  const total = toValue18(open) + orderNotional;
  if (total <= toValue18(limit)) return null;
  return refuse(
    `order notional ${formatValue18(orderNotional)} plus open orders ${formatNanos(open)} is ${formatValue18(total)}, over ${whose(scope)} limit ${policy.openExposure}`,
  );
}

/**
 * (c)(1)(i) daily notional, decided in two steps so concurrent orders cannot overshoot: this
 * function says what the day's total may be BEFORE the order for it to pass (`ceilingCents`: the
 * limit less the order's notional), which the placing transaction makes its condition on the
 * stored total (lambdas/orders/orders-service.ts); an order larger than the whole limit is refused
 * at once. Totals are kept in whole cents (an order adds its notional rounded up to the cent, the
 * limit is rounded down: never undercounted), exact as integers up to $90 trillion.
 */
export function dailyNotionalClaim(
  orderNotional: Value18 | null,
  policy: LimitsPolicy,
  scope: PolicyScope,
  tradingDay: string,
): CentsClaim {
  return centsClaim(
    orderNotional,
    policy.dailyNotional,
    scope,
    'the order has no price to value it at',
    (detail) => dailyRefusal(policy, scope, tradingDay, detail),
  );
}

/** A claim on a running total kept in whole cents: a day total, or the firm's open exposure. */
export type CentsClaim =
  | { readonly kind: 'none' }
  | { readonly kind: 'claim'; readonly addCents: number; readonly ceilingCents: number }
  | { readonly kind: 'refused'; readonly refusal: PolicyRefusal };

/**
 * What the total may be before the order (`ceilingCents`: the limit less the order), or the
 * refusal of an order with no price or larger than the whole limit. The order's notional is
 * rounded up to the cent, the limit down: never undercounted.
 */
function centsClaim(
  orderNotional: Value18 | null,
  limitText: string | null,
  scope: PolicyScope,
  noPrice: string,
  refuse: (detail: string) => PolicyRefusal,
): CentsClaim {
  const limit = dec(limitText);
  if (limit === null) return { kind: 'none' };
  if (orderNotional === null) return { kind: 'refused', refusal: refuse(noPrice) };
  const addCents = BigInt(notionalCents(orderNotional));
  const limitCents = toValue18(limit) / CENT18;
  if (addCents > limitCents)
    return {
      kind: 'refused',
      refusal: refuse(
        `order notional ${centsText(addCents)} alone exceeds ${whose(scope)} limit ${limitText}`,
      ),
    };
  return { kind: 'claim', addCents: Number(addCents), ceilingCents: Number(limitCents - addCents) };
}

/**
 * (c)(1)(i) open exposure for the firm: the notional of the firm's open orders plus this order, at
 * most the firm policy's `open_exposure`. No query can sum every account's open orders per order,
 * so the firm keeps a running total, claimed like the day totals: this function says what the total
 * may be BEFORE the order (`ceilingCents`), the placing transaction makes that its condition and
 * adds the order (lambdas/orders/firm-exposure.ts), and the order gives its claim back when it
 * closes (`exposureClaimToRelease`). Whole cents, the order's rounded up, the limit down.
 */
export function firmOpenExposureClaim(orderNotional: Value18 | null, policy: LimitsPolicy): CentsClaim {
  return centsClaim(
    orderNotional,
    policy.openExposure,
    'firm',
    'the order has no price to value its exposure at',
    (detail) => exposureRefusal(policy, 'firm', detail),
  );
}

/** The refusal when the firm's open total was above the ceiling (the transaction's condition failed). */
export function firmOpenExposureRefusal(
  usedCents: number,
  addCents: number,
  policy: LimitsPolicy,
): PolicyRefusal {
  return exposureRefusal(
    policy,
    'firm',
    `order notional ${centsText(addCents)} plus the firm's open orders ${centsText(usedCents)} exceeds the firm's limit ${policy.openExposure}`,
  );
}

/** An `open_exposure` refusal citing the policy. */
function exposureRefusal(policy: LimitsPolicy, scope: PolicyScope, detail: string): PolicyRefusal {
  return {
    rule: 'open_exposure',
    limit: policy.openExposure as string,
    message: `open_exposure: ${detail} (${cite(policy, scope)})`,
    policy_version: policy.version,
    policy_scope: scope,
  };
}

/** The firm open-exposure claim an order holds (`OrderSubmitted.exposureClaim`). */
export interface ExposureClaim {
  /** The claim's key: the order that first claimed it (a replacement carries its original's). */
  readonly id: string;
  readonly cents: number;
}

/**
 * The claim an order gives back now: once it is settled (filled, canceled, expired, rejected, done
 * for a day order), never when it was replaced (its replacement carries the claim and gives it back
 * when it closes in turn). Null: nothing to give back.
 */
export function exposureClaimToRelease(order: {
  readonly exposureClaim: ExposureClaim | null;
  readonly settled: boolean;
  readonly status: string;
}): ExposureClaim | null {
  if (order.exposureClaim === null || !order.settled || order.status === 'replaced') return null;
  return order.exposureClaim;
}

/** One cent at scale 18. */
const CENT18 = 10n ** 16n;

/** A notional in whole cents, rounded up (what a day total adds: never undercounted). */
export function notionalCents(orderNotional: Value18): number {
  return Number((orderNotional + CENT18 - 1n) / CENT18);
}

/** Whole cents as dollars (`123456` -> `1234.56`). */
export function centsText(cents: bigint | number): string {
  const c = BigInt(cents);
  const whole = c / 100n;
  const part = c % 100n;
  return `${whole}.${part.toString().padStart(2, '0')}`;
}

/** The refusal when the stored day total was above the ceiling (the transaction's condition failed). */
export function dailyNotionalRefusal(
  usedCents: number,
  addCents: number,
  policy: LimitsPolicy,
  scope: PolicyScope,
  tradingDay: string,
): PolicyRefusal {
  return dailyRefusal(
    policy,
    scope,
    tradingDay,
    `order notional ${centsText(addCents)} plus the ${scope === 'firm' ? "firm's" : "account's"} accepted notional today ${centsText(usedCents)} exceeds ${whose(scope)} limit ${policy.dailyNotional}`,
  );
}

function dailyRefusal(policy: LimitsPolicy, scope: PolicyScope, day: string, detail: string): PolicyRefusal {
  return {
    rule: 'daily_notional',
    limit: policy.dailyNotional as string,
    message: `daily_notional: ${detail} (trading day ${day}, New York; ${cite(policy, scope)})`,
    policy_version: policy.version,
    policy_scope: scope,
  };
}

/** The modify-rate refusal (a 429 at the API: a counter, not the order, decides). */
export function modifyRateRefusal(policy: LimitsPolicy, scope: PolicyScope): PolicyRefusal {
  return {
    rule: 'modify_rate',
    limit: String(policy.modifiesPerSecond),
    message: `modify_rate: at most ${policy.modifiesPerSecond} replaces per second for this account (${cite(policy, scope)})`,
    policy_version: policy.version,
    policy_scope: scope,
  };
}

/** Every (c)(1) rule that the order alone decides, for the account's and the firm's policies. */
export function policyRefusals(
  order: Pick<OrderSpec, 'symbol' | 'side' | 'type' | 'qty' | 'notional' | 'limitPrice'>,
  referencePrice: string | null,
  policies: { readonly account: LimitsPolicy | null; readonly firm: LimitsPolicy | null },
  openNotional: string,
  /** What is left to trade (core risk.ts `workingSpecOf`): the open exposure it adds. */
  working: Pick<OrderSpec, 'side' | 'type' | 'qty' | 'notional' | 'limitPrice'> = order,
): PolicyRefusal[] {
  const out: PolicyRefusal[] = [];
  const notional = orderNotionalOf(working, referencePrice);
  for (const [scope, policy] of [
    ['account', policies.account],
    ['firm', policies.firm],
  ] as const) {
    if (policy === null) continue;
    out.push(...symbolLimitRefusals(order, referencePrice, policy, scope));
    // The account's open exposure sums its open orders; the firm's is a running total claimed in
    // the placing transaction (`firmOpenExposureClaim`).
    if (scope === 'account') {
      const exposure = openExposureRefusal(notional, openNotional, policy, scope);
      if (exposure !== null) out.push(exposure);
    }
  }
  return out;
}
