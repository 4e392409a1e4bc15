/**
 * Built-in pre-trade risk (SEC 15c3-5 style controls): pure, exact decimals, every refusal
 * collected. The API runs it synchronously before writing an order (a refusal is 403
 * `40310000`, nothing written); the workflow re-runs it as the authoritative check.
 *
 * Rules (a `null` limit switches its rule off):
 * - `account_not_configured`: the account has no readable risk configuration (no record, or
 *   one that does not parse). Fail closed: the order is refused and no other rule is checked,
 *   since limits that were never configured cannot be enforced.
 * - `unknown_asset`: the asset master does not list the symbol (core asset.ts). It stands instead
 *   of `no_reference_price`: a symbol the OMS does not know has no quote either, and the one
 *   refusal says why.
 * - `asset_not_tradable`: the asset is listed inactive, or not tradable.
 * - `asset_not_fractionable`: a fractional qty, or a notional order, for an asset that trades in
 *   whole shares only.
 * - `restricted_symbol`: the symbol is on the account's restricted list (case-insensitive).
 * - `max_order_qty`: the order's qty exceeds the limit. Notional orders have no qty and are
 *   held by `max_order_notional` instead.
 * - `max_order_notional`: qty x (limit price, else the reference price), or the order's
 *   notional, exceeds the limit.
 * - `price_collar`: a limit order's limit price is more than N% through the reference price
 *   (a buy above reference x (1 + N/100), a sell below reference x (1 - N/100)). Stop-limit
 *   limits are not collared: they price a future trigger, not the market now.
 * - `buying_power`: a buy's notional plus the notional reserved by the account's open buy
 *   orders exceeds the buying power (`null` buying power = unlimited). Sells are not checked
 *   against holdings: positions are not modelled yet (no short-sale / locate controls either).
 * - `duplicate_order`: an order with the same symbol, side, qty/notional, type and limit price
 *   was created within the duplicate window (fat-finger / runaway-strategy guard).
 * - `no_reference_price`: a check that needs a price (notional of a priced-at-market order,
 *   collar, buying power) has no quote to use: fail closed rather than skip the control.
 *
 * The submit rate (`maxOrdersPerSecond`) is a limit of the account too, but it is enforced by
 * the API's rate-limit window (a 429), not here: it depends on a counter, not on the order.
 */
import type { AssetFacts } from './asset.js';
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

/**
 * What an order was accepted against at the API (recorded on its `OrderSubmitted` as
 * `acceptedAgainst`): the account's limits and buying power, and the reference price, as read
 * when the order was placed. The workflow's re-check runs as of the submission with these, so it
 * reads only what may have moved since (the account's open orders), not the account or the market
 * again (issue 12); the audit trail shows what the order was checked against.
 */
export interface RiskSnapshot {
  readonly limits: RiskLimits;
  readonly referencePrice: string | null;
  readonly buyingPower: string | null;
  /**
   * The asset master's facts on the symbol (null: not listed). Absent on orders placed before the
   * asset master existed: their re-check reads the asset (lambdas/orders/risk-context.ts).
   */
  readonly asset?: AssetFacts | null;
}

export interface RiskLimits {
  readonly maxOrderQty: string | null;
  readonly maxOrderNotional: string | null;
  readonly priceCollarPercent: string | null;
  readonly restrictedSymbols: readonly string[];
  readonly duplicateWindowSeconds: number | null;
  readonly maxOrdersPerSecond: number | null;
}

/**
 * Defaults for an account without its own limits: generous enough for a strategy bot, tight
 * enough to stop a fat finger (an extra zero) or a runaway loop.
 * - 10,000 shares and $1,000,000 per order;
 * - limit prices at most 10% through the reference price;
 * - no restricted symbols;
 * - an identical order within 2 seconds is a duplicate;
 * - at most 10 orders per second (enforced by the API's rate limit).
 */
export const DEFAULT_RISK_LIMITS: RiskLimits = {
  maxOrderQty: '10000',
  maxOrderNotional: '1000000',
  priceCollarPercent: '10',
  restrictedSymbols: [],
  duplicateWindowSeconds: 2,
  maxOrdersPerSecond: 10,
};

export interface RecentOrder {
  readonly symbol: string;
  readonly side: string;
  readonly qty: string | null;
  readonly notional: string | null;
  readonly type: string;
  readonly limitPrice: string | null;
  readonly createdAt: string;
}

export interface RiskContext {
  /** Epoch ms the check is made as of (the duplicate window ends here). */
  readonly now: number;
  readonly referencePrice: string | null;
  /** The asset master's facts on the order's symbol; null when the master does not list it. */
  readonly asset: AssetFacts | null;
  /** null = unlimited. */
  readonly buyingPower: string | null;
  /** Notional reserved by open buy orders. */
  readonly openBuyExposure: string;
  readonly recentOrders: readonly RecentOrder[];
  /**
   * Null when the account's risk configuration was found and read; otherwise what is wrong with
   * it (`no account record account#acc-1`), and every order of the account is refused.
   */
  readonly accountProblem: string | null;
}

export type RiskRule =
  | 'account_not_configured'
  | 'unknown_asset'
  | 'asset_not_tradable'
  | 'asset_not_fractionable'
  | 'max_order_qty'
  | 'max_order_notional'
  | 'price_collar'
  | 'buying_power'
  | 'restricted_symbol'
  | 'duplicate_order'
  | 'no_reference_price';

export interface RiskRefusal {
  readonly rule: RiskRule;
  /** The configured limit the order broke (as configured; `configured account` when there is none). */
  readonly limit: string;
  /** Names the rule and the limit: `max_order_qty: qty 5000 exceeds the limit 1000`. */
  readonly message: string;
}

const HUNDRED: Nanos = 100n * ONE;

/** A decimal the caller configured or stored; anything unreadable counts as absent. */
function dec(text: string | null | undefined): Nanos | null {
  if (text === null || text === undefined) return null;
  const v = parseNanos(text);
  return typeof v === 'bigint' ? v : null;
}

/** Same decimal value (so "10" and "10.0" are the same qty). */
function sameDecimal(a: string | null, b: string | null): boolean {
  if (a === null || b === null) return a === b;
  const x = dec(a);
  const y = dec(b);
  return x !== null && y !== null ? x === y : a === b;
}

/** A decimal in one canonical text (`1.50` and `1.5` alike), or the text itself when unreadable. */
function canonicalDecimal(a: string | null): string {
  if (a === null) return '';
  const x = dec(a);
  return x === null ? a : formatNanos(x);
}

/**
 * The duplicate rule's identity of an order: two orders are twins (`duplicate_order`) exactly when
 * their keys are equal: same symbol (any case), side, type, qty, notional and limit price, as
 * decimals. The submission claims it for the duplicate window in the same transaction that places
 * the order (lambdas/orders/orders-service.ts), so concurrent twins cannot both pass.
 */
export function duplicateKeyOf(order: OrderSpec): string {
  return [
    order.symbol.toUpperCase(),
    order.side,
    order.type,
    canonicalDecimal(order.qty),
    canonicalDecimal(order.notional),
    canonicalDecimal(order.limitPrice),
  ].join('|');
}

/** The refusal of a twin placed at `twinCreatedAt` within the window (same text as the rule's). */
export function duplicateRefusal(windowSeconds: number, twinCreatedAt: string): RiskRefusal {
  return {
    rule: 'duplicate_order',
    limit: String(windowSeconds),
    message: `duplicate_order: an identical order was submitted at ${twinCreatedAt}, within the window of ${windowSeconds} s`,
  };
}

/** Checks `order` against `limits` in `ctx`; an empty list means the order may go. */
export function checkPreTradeRisk(order: OrderSpec, limits: RiskLimits, ctx: RiskContext): RiskRefusal[] {
  const refusals: RiskRefusal[] = [];
  const refuse = (rule: RiskRule, limit: string, detail: string) =>
    refusals.push({ rule, limit, message: `${rule}: ${detail}` });
  const needsPrice: RiskRule[] = [];

  if (ctx.accountProblem !== null) {
    refuse('account_not_configured', 'configured account', ctx.accountProblem);
    return refusals;
  }

  const symbol = order.symbol.toUpperCase();
  const asset = ctx.asset;
  if (asset === null) refuse('unknown_asset', 'asset master', `${symbol} is not listed in the asset master`);
  else {
    if (asset.status !== 'active')
      refuse('asset_not_tradable', 'tradable', `${symbol} is not tradable: its status is ${asset.status}`);
    else if (!asset.tradable) refuse('asset_not_tradable', 'tradable', `${symbol} is not tradable`);
    if (!asset.fractionable) {
      const qty = dec(order.qty);
      const fractional =
        order.notional !== null
          ? `a notional order (${order.notional}) is for a fraction of a share`
          : qty !== null && qty % ONE !== 0n
            ? `qty ${formatNanos(qty)} is not a whole number of shares`
            : null;
      if (fractional !== null)
        refuse('asset_not_fractionable', 'fractionable', `${symbol} is not fractionable: ${fractional}`);
    }
  }
  const restricted = limits.restrictedSymbols.find((s) => s.toUpperCase() === symbol);
  if (restricted !== undefined)
    refuse('restricted_symbol', restricted, `${symbol} is on the restricted list`);

  const qty = dec(order.qty);
  const maxQty = dec(limits.maxOrderQty);
  if (qty !== null && maxQty !== null && qty > maxQty) {
    refuse(
      'max_order_qty',
      limits.maxOrderQty as string,
      `qty ${formatNanos(qty)} exceeds the limit ${limits.maxOrderQty}`,
    );
  }

  const reference = dec(ctx.referencePrice);
  const limitPrice = dec(order.limitPrice);
  const notional = orderNotional(order, limitPrice, reference);

  const maxNotional = dec(limits.maxOrderNotional);
  if (maxNotional !== null) {
    if (notional === null) needsPrice.push('max_order_notional');
    else if (notional > toValue18(maxNotional)) {
      refuse(
        'max_order_notional',
        limits.maxOrderNotional as string,
        `order notional ${formatValue18(notional)} exceeds the limit ${limits.maxOrderNotional}`,
      );
    }
  }

  const collar = dec(limits.priceCollarPercent);
  if (collar !== null && order.type === 'limit' && limitPrice !== null) {
    if (reference === null) needsPrice.push('price_collar');
    else if (isThroughCollar(order.side, limitPrice, reference, collar)) {
      const direction = order.side === 'buy' ? 'above' : 'below';
      refuse(
        'price_collar',
        limits.priceCollarPercent as string,
        `limit price ${formatNanos(limitPrice)} is more than ${limits.priceCollarPercent}% ${direction} the reference price ${formatNanos(reference)}`,
      );
    }
  }

  const buyingPower = dec(ctx.buyingPower);
  if (order.side === 'buy' && ctx.buyingPower !== null) {
    if (notional === null) needsPrice.push('buying_power');
    else {
      const open = dec(ctx.openBuyExposure) ?? 0n;
      const bp = buyingPower ?? 0n;
      if (notional + toValue18(open) > toValue18(bp)) {
        refuse(
          'buying_power',
          ctx.buyingPower,
          `order notional ${formatValue18(notional)} plus open buy orders ${formatNanos(open)} exceeds the buying power ${ctx.buyingPower}`,
        );
      }
    }
  }

  const window = limits.duplicateWindowSeconds;
  if (window !== null && window > 0) {
    const from = ctx.now - window * 1000;
    const twin = ctx.recentOrders.find((r) => {
      const at = Date.parse(r.createdAt);
      return (
        at >= from &&
        at <= ctx.now &&
        r.symbol.toUpperCase() === symbol &&
        r.side === order.side &&
        r.type === order.type &&
        sameDecimal(r.qty, order.qty) &&
        sameDecimal(r.notional, order.notional) &&
        sameDecimal(r.limitPrice, order.limitPrice)
      );
    });
    if (twin !== undefined) {
      refuse(
        'duplicate_order',
        String(window),
        `an identical order was submitted at ${twin.createdAt}, within the window of ${window} s`,
      );
    }
  }

  // An unknown symbol has no quote either: `unknown_asset` says why, once.
  if (needsPrice.length > 0 && asset !== null) {
    refuse(
      'no_reference_price',
      needsPrice.join(', '),
      `no reference price for ${symbol}; needed by ${needsPrice.join(', ')}`,
    );
  }
  return refusals;
}

/** The money the order commits, exact at scale 18; null when it has no price to value it at. */
function orderNotional(order: OrderSpec, limitPrice: Nanos | null, reference: Nanos | null): Value18 | null {
  const notional = dec(order.notional);
  if (notional !== null) return toValue18(notional);
  const qty = dec(order.qty);
  const price = limitPrice ?? reference;
  if (qty === null || price === null) return null;
  return multiply(qty, price);
}

/** Buy: limit > ref x (100 + N) / 100; sell: limit < ref x (100 - N) / 100 (exact, scale 18). */
function isThroughCollar(side: string, limitPrice: Nanos, reference: Nanos, percent: Nanos): boolean {
  const scaledLimit = multiply(limitPrice, HUNDRED);
  if (side === 'buy') return scaledLimit > multiply(reference, HUNDRED + percent);
  const floor = HUNDRED - percent;
  return scaledLimit < multiply(reference, floor > 0n ? floor : 0n);
}
