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
 * - `buying_power`: what the order takes of the buying power (`buyingPowerNotionalOf`: a buy's part
 *   beyond covering a short, a sell's short part) plus the notional reserved by the account's open
 *   buy orders exceeds the buying power (`null` buying power = unlimited). The buying power is the
 *   account's (core account-view.ts: cash for a cash account; margin accounts value their other
 *   positions at cost here), moved by every execution (issue 13).
 * - `trading_blocked`: the account's trading (or the whole account) is blocked: every order.
 * - `short_sale`: a sell larger than what the account can sell long (its position less what open
 *   sell orders already hold, Alpaca's `qty_available`) is a short sale; refused when the account
 *   may not sell short. Where it may, the order is accepted marked short (`shortSaleOf`, recorded on
 *   its OrderSubmitted as `acceptedAgainst.shortSale`). A notional sell is sized at the lower of the
 *   reference price and the bid (it fills at the bid; core held-shares.ts).
 * - `short_cover`: a buy of a short past what it may cover (the short less what open buys hold):
 *   a short is not bought into a long in one order (Alpaca's `insufficient qty available`). Decided
 *   under the position's closing claims (orders/position-availability.ts `closingPartOf`), so buys
 *   sent at once cannot each count the same short; core position-close.ts `shortCoverRefusal`.
 * - `asset_not_shortable`: a short sale (as above, on an account that may sell short) of an asset
 *   the asset master lists as not shortable (or hard to borrow when the account's locates were not
 *   read).
 * - `fractional_short_sale`: a short sale (as above, on an account that may sell short) whose short
 *   part is fractional, or a notional sell: Alpaca supports long fractional positions only ("short
 *   selling fractional shares is not supported", its Fractional Trading page).
 * - `locate_required`: a short sale of a hard-to-borrow asset whose short part the account's
 *   located shares for the day do not cover (Reg SHO Rule 203(b)(1), core short-sales.ts;
 *   easy-to-borrow assets stand as located). The placing transaction takes the shares.
 * - `short_sale_restriction`: a short sale while the symbol's Rule 201 restriction is in effect,
 *   not priced above the national best bid (core short-sales.ts).
 * - `pattern_day_trader`: the order would be the fourth day trade in five business days of an
 *   account with equity under $25,000, under the legacy FINRA 4210 mode (core day-trading.ts).
 * - `trading_halted` / `reducing_only`: the kill switch (core trading-state.ts): the account's or the
 *   firm's trading state is HALTED (nothing new), or REDUCING (only an order that reduces a position).
 * - `duplicate_order`: an order with the same symbol, side, qty/notional, type and prices (limit,
 *   stop, trail, exits) was created within the duplicate window (fat-finger / runaway-strategy guard).
 * - `no_reference_price`: a check that needs a price (notional of a priced-at-market order,
 *   collar, buying power) has no quote to use: fail closed rather than skip the control.
 *
 * The submit rate (`maxOrdersPerSecond`) is a limit of the account too, but it is enforced by
 * the API's rate-limit window (a 429), not here: it depends on a counter, not on the order.
 */

import {
  type AggregateRule,
  type LimitsPolicy,
  type PolicyScope,
  policyRefusals,
  trailOf,
  valuationPriceOf,
} from './aggregate-limits.js';
import { type AlpacaRefusal, insufficientBuyingPower } from './alpaca-refusals.js';
import type { AssetFacts } from './asset.js';
import { type DayTradingInputs, pdtRefusal } from './day-trading.js';
import {
  formatNanos,
  formatValue18,
  multiply,
  type Nanos,
  nanos,
  ONE,
  parseNanos,
  toValue18,
  type Value18,
} from './decimal.js';
import { notionalShares, tradingReferenceOf } from './held-shares.js';
import type { OrderSpec, PositionIntent } from './order-request.js';
import { noShortSaleRefusal } from './position-close.js';
import { newYorkDate } from './session.js';
import {
  locateQtyOf,
  locateRefusal,
  restrictionInEffect,
  rule201Refusal,
  type ShortSaleRestriction,
} from './short-sales.js';
import type { AppliedSlippageThresholds } from './slippage.js';
import { type TradingStateRule, type TradingStates, tradingStateRefusal } from './trading-state.js';

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
  /** The account's signed position in the symbol when the order was placed (issue 13). */
  readonly positionQty?: string;
  /** The account may sell short (issue 13). */
  readonly shortingEnabled?: boolean;
  /** The order was accepted as a short sale (issue 13). */
  readonly shortSale?: boolean;
  /** The located shares the order took when it was placed (Reg SHO 203(b)(1), issue 16). */
  readonly locatedQty?: string;
  /**
   * The asset master's facts on the symbol (null: not listed). Absent on orders placed before the
   * asset master existed: their re-check reads the asset (lambdas/orders/risk-context.ts).
   */
  readonly asset?: AssetFacts | null;
  /**
   * The symbol's bid and ask when the order was placed (the arrival quote: the dashboard's arrival
   * price and slippage; issue 15's TCA builds on it). Absent on orders placed before it was kept.
   */
  readonly quote?: { readonly bid: string | null; readonly ask: string | null; readonly volume?: string };
  /** The account's routing policy (core routing/); absent: `DEFAULT_ROUTING_POLICY`. */
  readonly routingPolicy?: string;
  /** The client's decision price (`decision_price`, an OMS extension): TCA's paper portfolio. */
  readonly decisionPrice?: string;
  /** The slippage thresholds that apply to the order (its strategy's or its account's; core slippage.ts). */
  readonly slippageThresholds?: AppliedSlippageThresholds;
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
  /** A stop's and a trailing stop's terms (absent: none): orders at other stops are not twins. */
  readonly stopPrice?: string | null;
  readonly trailPrice?: string | null;
  readonly trailPercent?: string | null;
  /** A bracket's, OTO's or OCO's exit prices (absent: none): other exits are another order. */
  readonly takeProfitLimitPrice?: string | null;
  readonly stopLossStopPrice?: string | null;
  readonly stopLossLimitPrice?: string | null;
  readonly createdAt: string;
}

export interface RiskContext {
  /** Epoch ms the check is made as of (the duplicate window ends here). */
  readonly now: number;
  /** The account the order is for (named in refusals that depend on it, e.g. the kill switch's). */
  readonly accountId?: string;
  readonly referencePrice: string | null;
  /** The quote the reference price came from, when it was read now (not on a re-check). */
  readonly quote?: { readonly bid: string | null; readonly ask: string | null; readonly volume?: string };
  /** The account's routing policy, when it chose one (recorded on the order for its routing). */
  readonly routingPolicy?: string;
  /** The slippage thresholds that apply to the order, when the account set some. */
  readonly slippageThresholds?: AppliedSlippageThresholds;
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
  /** The account's permissions (issue 13); absent = not controlled. */
  readonly account?: {
    readonly shortingEnabled: boolean;
    readonly tradingBlocked: boolean;
    /** The account holder's `fractional_trading` (core account-configurations.ts); absent = allowed. */
    readonly fractionalTrading?: boolean;
  };
  /** The account's signed position in the order's symbol; absent = not controlled (no short-sale rule). */
  readonly positionQty?: string;
  /** Qty of the symbol that the account's other open sell orders still hold. */
  readonly heldForSale?: string;
  /** Qty of the symbol that the account's other open buy orders still hold (the kill switch's REDUCING). */
  readonly heldForBuy?: string;
  /**
   * The account's and the firm's trading states (the kill switch, core trading-state.ts); absent =
   * not controlled (the workflow's re-check: a HALT's sweep cancels what was accepted before it).
   */
  readonly tradingStates?: TradingStates;
  /**
   * The account's and the firm's limits policies (core aggregate-limits.ts) and the notional of the
   * account's open orders, both sides (their open exposure); absent = not controlled.
   */
  readonly limitsPolicies?: { readonly account: LimitsPolicy | null; readonly firm: LimitsPolicy | null };
  readonly openNotional?: string;
  /**
   * The account's other open orders in the order's symbol on the other side (wash-trade
   * prevention); absent = not controlled.
   */
  readonly opposingOrders?: readonly OpposingOrder[];
  /**
   * Shares the account holds located for the order's symbol today and may still use (Reg SHO Rule
   * 203(b)(1), core locates.ts); absent = locates not read: a hard-to-borrow short is refused.
   */
  readonly locatedQty?: string;
  /** The symbol's Rule 201 short sale restriction (core short-sales.ts); absent or null: none. */
  readonly shortSaleRestriction?: ShortSaleRestriction | null;
  /** The account's pattern day trading inputs (core day-trading.ts); absent = not controlled. */
  readonly dayTrading?: DayTradingInputs;
  /**
   * A replacement's fills carried from the order it replaces (PATCH of a partly filled order: FIX
   * CumQty spans the chain). They are in the position and the cash already, so the checks of what
   * the order may still do (buying power, the account's open exposure, the short sale rules, the
   * kill switch's REDUCING) count only what is left to trade (`workingSpecOf`); the per-order size
   * limits (max_order_qty, max_order_notional, symbol_max_qty) still see the whole order. Absent
   * or 0: a new order.
   */
  readonly carriedFilledQty?: string;
}

/**
 * What the order may still trade: its qty less the fills it carries (a replacement's), never
 * below 0; the order itself when it carries none or is sized in dollars.
 */
export function workingSpecOf(order: OrderSpec, carriedFilledQty: string | undefined): OrderSpec {
  const carried = dec(carriedFilledQty ?? null);
  const qty = dec(order.qty);
  if (carried === null || carried <= 0n || qty === null) return order;
  return { ...order, qty: formatNanos(qty > carried ? qty - carried : 0n) };
}

/** An open order of the account on the other side of the same symbol. */
export interface OpposingOrder {
  readonly orderId: string;
  readonly type: string;
  readonly limitPrice: string | null;
  /** `opg` and `cls` orders trade only in their auction (an opening and a closing order never meet). */
  readonly timeInForce: string;
  /** A leg of a bracket, OCO or OTO (an exit of a complex order): not a wash-trade counterparty. */
  readonly complexLeg: boolean;
}

export type RiskRule =
  | 'account_not_configured'
  | 'unknown_asset'
  | 'asset_not_tradable'
  | 'asset_not_fractionable'
  | 'fractional_trading_disabled'
  | 'max_order_qty'
  | 'max_order_notional'
  | 'price_collar'
  | 'buying_power'
  | 'restricted_symbol'
  | 'duplicate_order'
  | 'no_reference_price'
  | 'trading_blocked'
  | 'short_sale'
  | 'short_cover'
  | 'asset_not_shortable'
  | 'fractional_short_sale'
  | 'locate_required'
  | 'short_sale_restriction'
  | 'pattern_day_trader'
  | 'wash_trade'
  | TradingStateRule
  | AggregateRule;

export interface RiskRefusal {
  readonly rule: RiskRule;
  /** The configured limit the order broke (as configured; `configured account` when there is none). */
  readonly limit: string;
  /** Names the rule and the limit: `max_order_qty: qty 5000 exceeds the limit 1000`. */
  readonly message: string;
  /** A limit of a versioned policy (core aggregate-limits.ts): its version and whose it is. */
  readonly policy_version?: number;
  readonly policy_scope?: PolicyScope;
  /**
   * Alpaca's own answer to this refusal, where Alpaca has one (a 403's top-level `message` and the
   * fields it sends along): `insufficient buying power` with `buying_power` and `cost_basis`;
   * `insufficient qty available for order (requested: N, available: M)` with `symbol`,
   * `requested`, `available`, `existing_qty` and `held_for_orders`. Bots match on these words (a
   * probe's sell with no position read `short_sale: sell of 5 MSFT exceeds ...`). The response
   * lifts it to the top level (`alpacaRiskAnswer`); `message` keeps the rule's own words.
   */
  readonly alpaca?: AlpacaRefusal;
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
 * their keys are equal: same symbol (any case), side, type, qty, notional and prices (limit, stop,
 * trail price, trail percent, and the exits' take-profit and stop-loss prices), as decimals: a
 * ladder of stops at different prices is not a twin (an SDK probe's sell stops at 95 and 90, and a
 * trail by price and one by percent, were refused). The submission claims it for the duplicate
 * window in the same transaction that places the order (lambdas/orders/orders-service.ts), so
 * concurrent twins cannot both pass.
 */
export function duplicateKeyOf(order: OrderSpec): string {
  return [
    order.symbol.toUpperCase(),
    order.side,
    order.type,
    canonicalDecimal(order.qty),
    canonicalDecimal(order.notional),
    canonicalDecimal(order.limitPrice),
    canonicalDecimal(order.stopPrice),
    canonicalDecimal(order.trailPrice),
    canonicalDecimal(order.trailPercent),
    canonicalDecimal(order.takeProfit?.limitPrice ?? null),
    canonicalDecimal(order.stopLoss?.stopPrice ?? null),
    canonicalDecimal(order.stopLoss?.limitPrice ?? null),
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
  const refuse = (rule: RiskRule, limit: string, detail: string, alpaca?: AlpacaRefusal) =>
    refusals.push({
      rule,
      limit,
      message: `${rule}: ${detail}`,
      ...(alpaca === undefined ? {} : { alpaca }),
    });
  const needsPrice: RiskRule[] = [];

  if (ctx.accountProblem !== null) {
    refuse('account_not_configured', 'configured account', ctx.accountProblem);
    return refusals;
  }

  const symbol = order.symbol.toUpperCase();
  // What is left to trade (a replacement's carried fills are in the position and the cash already).
  const working = workingSpecOf(order, ctx.carriedFilledQty);
  if (ctx.tradingStates !== undefined) {
    const held = order.side === 'sell' ? ctx.heldForSale : ctx.heldForBuy;
    const state = tradingStateRefusal(
      working,
      ctx.accountId ?? 'of the order',
      ctx.tradingStates,
      ctx.positionQty === undefined
        ? null
        : {
            positionQty: ctx.positionQty,
            heldSameSide: held ?? '0',
            // A notional order in shares at the price it trades at (held-shares.ts).
            referencePrice: tradingReferenceOf(order.side, ctx.referencePrice, ctx.quote),
          },
    );
    if (state !== null) refusals.push(state);
  }
  if (ctx.limitsPolicies !== undefined)
    refusals.push(
      ...policyRefusals(order, ctx.referencePrice, ctx.limitsPolicies, ctx.openNotional ?? '0', working),
    );
  if (ctx.account?.tradingBlocked === true)
    refuse('trading_blocked', 'trading allowed', 'trading is blocked for this account');
  const asset = ctx.asset;
  if (asset === null) refuse('unknown_asset', 'asset master', `${symbol} is not listed in the asset master`);
  else {
    if (asset.status !== 'active')
      refuse('asset_not_tradable', 'tradable', `${symbol} is not tradable: its status is ${asset.status}`);
    else if (!asset.tradable) refuse('asset_not_tradable', 'tradable', `${symbol} is not tradable`);
    const qty = dec(order.qty);
    const fractional =
      order.notional !== null
        ? `a notional order (${order.notional}) is for a fraction of a share`
        : qty !== null && qty % ONE !== 0n
          ? `qty ${formatNanos(qty)} is not a whole number of shares`
          : null;
    if (!asset.fractionable && fractional !== null)
      refuse('asset_not_fractionable', 'fractionable', `${symbol} is not fractionable: ${fractional}`);
    // The account holder turned fractional trading off (PATCH /v2/account/configurations).
    if (ctx.account?.fractionalTrading === false && fractional !== null)
      refuse(
        'fractional_trading_disabled',
        'fractional_trading',
        `fractional trading is disabled for this account (account configuration fractional_trading: false): ${fractional}`,
      );
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
  // Valued at the price it trades at the market: a buy at the ask, a sell at the bid (held-shares.ts).
  const tradingReference = dec(tradingReferenceOf(order.side, ctx.referencePrice, ctx.quote));
  const notional = orderNotional(order, limitPrice, tradingReference);

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

  // Only the part of an order that opens or adds to a position (`buyingPowerNotionalOf`).
  if (ctx.buyingPower !== null) {
    const taken = buyingPowerNotionalOf(working, ctx);
    const open = dec(ctx.openBuyExposure) ?? 0n;
    if (taken === null) needsPrice.push('buying_power');
    else if (taken > 0n && taken + toValue18(open) > toValue18(dec(ctx.buyingPower) ?? 0n)) {
      refuse(
        'buying_power',
        ctx.buyingPower,
        `order ${order.side === 'sell' ? 'short sale value' : 'notional'} ${formatValue18(taken)}${working === order ? '' : ` (the ${working.qty} left of ${order.qty}: the rest is filled)`} plus open buy orders ${formatNanos(open)} exceeds the buying power ${ctx.buyingPower}`,
        insufficientBuyingPower(ctx.buyingPower, formatValue18(taken)),
      );
    }
  }

  const short = shortSaleQty(working, ctx);
  if (short === 'no_price') needsPrice.push('short_sale');
  // A long is not sold through into a short in one order, nor sold past what its other sells hold
  // (Alpaca: close the long first; a probe's stop-loss of 4, placed long, sold 4 after a short-marked
  // sell of 2 had filled: 2 sold short under a long mark, Reg SHO 200(g)).
  else if (short !== null && (short.position > 0n || ctx.account?.shortingEnabled === false)) {
    // The words and Alpaca's answer the closing claims' read refuses with too (position-close.ts).
    refusals.push(
      noShortSaleRefusal(
        symbol,
        nanos(short.sellQty),
        short.position,
        { available: nanos(short.available), held: nanos(short.held) },
        ctx.account?.shortingEnabled !== false,
      ),
    );
  } else if (
    short !== null &&
    ctx.asset &&
    (!ctx.asset.shortable || (!ctx.asset.easyToBorrow && ctx.locatedQty === undefined))
  ) {
    refuse(
      'asset_not_shortable',
      'shortable, easy to borrow',
      `sell of ${short.sellQty} ${symbol} is a short sale and ${symbol} is ${ctx.asset.shortable ? 'hard to borrow (a locate is needed)' : 'not shortable'}`,
    );
  } else if (short !== null && (order.qty === null || short.shortQty % ONE !== 0n)) {
    refuse(
      'fractional_short_sale',
      'whole shares',
      `sell of ${short.sellQty} ${symbol} is a short sale of ${order.qty === null ? 'a notional' : 'a fractional'} qty: short sales are of whole shares (Alpaca: long fractional positions only)`,
    );
  } else if (short !== null && ctx.asset && !ctx.asset.easyToBorrow) {
    // Reg SHO Rule 203(b)(1) (core short-sales.ts): the short part must be located.
    const located = dec(ctx.locatedQty) ?? 0n;
    const missing = locateRefusal(symbol, short.shortQty, located);
    if (missing !== null) refuse('locate_required', 'located shares', missing);
  }
  // Reg SHO Rule 201 (core short-sales.ts): while the symbol's restriction is in effect.
  const restriction = ctx.shortSaleRestriction ?? null;
  if (
    short !== null &&
    short !== 'no_price' &&
    restriction !== null &&
    restrictionInEffect(restriction, newYorkDate(ctx.now))
  ) {
    const bid = dec(ctx.quote?.bid ?? null);
    const priceTest = rule201Refusal(order, bid, restriction);
    if (priceTest !== null) refuse('short_sale_restriction', 'above the national best bid', priceTest);
  }
  // FINRA Rule 4210(f)(8)(B) (core day-trading.ts), when the account's PDT mode controls it.
  const pdt = ctx.dayTrading === undefined ? null : pdtRefusal(ctx.dayTrading);
  if (pdt !== null) refuse('pattern_day_trader', 'pattern day trading protection', pdt);

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
        sameDecimal(r.limitPrice, order.limitPrice) &&
        sameDecimal(r.stopPrice ?? null, order.stopPrice) &&
        sameDecimal(r.trailPrice ?? null, order.trailPrice) &&
        sameDecimal(r.trailPercent ?? null, order.trailPercent) &&
        sameDecimal(r.takeProfitLimitPrice ?? null, order.takeProfit?.limitPrice ?? null) &&
        sameDecimal(r.stopLossStopPrice ?? null, order.stopLoss?.stopPrice ?? null) &&
        sameDecimal(r.stopLossLimitPrice ?? null, order.stopLoss?.limitPrice ?? null)
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

  const counterparty = washTradeCounterpartyOf(order, ctx.opposingOrders ?? []);
  if (counterparty !== null)
    refuse(
      'wash_trade',
      'no order against own resting orders',
      `${WASH_TRADE_MESSAGE} (the account's ${order.side === 'buy' ? 'sell' : 'buy'} order ${counterparty.orderId}${counterparty.limitPrice === null ? '' : ` at ${counterparty.limitPrice}`} could trade against it)`,
    );

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

/** What Alpaca answers an order it refuses as a potential wash trade. */
export const WASH_TRADE_MESSAGE = 'potential wash trade detected. use complex orders';

/**
 * Wash-trade prevention (FINRA Rule 5210 and its Supplementary Material .02: a firm's procedures
 * must prevent self-trades, orders of one account trading against each other), as Alpaca applies
 * it: an order that could execute against the account's own open order on the other side of the
 * same symbol is refused. It could when it trades at once or rests at a price that reaches the
 * other order: a market order against any resting opposite order; a limit order against an
 * opposite market order, or an opposite limit at or through its own (buy limit >= sell limit,
 * sell limit <= buy limit), in the same market: an opening-auction (opg) order meets only opg
 * orders, a closing-auction (cls) order only cls orders, the others each other. Not counted: stop orders on either side (not in the book until they
 * trigger), the exits of a bracket,
 * OCO or OTO, and a new bracket, OCO or OTO itself (Alpaca's advice, "use complex orders": a
 * position's entry and exits are one order). Returns the first such order, or null.
 */
export function washTradeCounterpartyOf(
  order: OrderSpec,
  opposing: readonly OpposingOrder[],
): OpposingOrder | null {
  // A complex order (bracket, OCO, OTO) is the way Alpaca points to: not refused.
  if (order.orderClass !== 'simple' || (order.type !== 'market' && order.type !== 'limit')) return null;
  const own = order.type === 'limit' ? dec(order.limitPrice) : null;
  const auctionOf = (tif: string) => (tif === 'opg' || tif === 'cls' ? tif : 'continuous');
  for (const o of opposing) {
    if (o.complexLeg || (o.type !== 'market' && o.type !== 'limit')) continue;
    if (auctionOf(o.timeInForce) !== auctionOf(order.timeInForce)) continue;
    if (order.type === 'market' || o.type === 'market') return o;
    const theirs = dec(o.limitPrice);
    if (own === null || theirs === null) continue;
    if (order.side === 'buy' ? own >= theirs : own <= theirs) return o;
  }
  return null;
}

/** The money the order commits, exact at scale 18; null when it has no price to value it at. */
function orderNotional(order: OrderSpec, limitPrice: Nanos | null, reference: Nanos | null): Value18 | null {
  const notional = dec(order.notional);
  if (notional !== null) return toValue18(notional);
  const qty = dec(order.qty);
  const price = valuationPriceOf(limitPrice, dec(order.stopPrice), order.side, reference, trailOf(order));
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

function signedDec(text: string | undefined): Nanos | null {
  if (text === undefined) return null;
  return text.startsWith('-') ? ((d) => (d === null ? null : -d))(dec(text.slice(1))) : dec(text);
}

/**
 * What an order takes of the account's buying power (Alpaca's "Buying Power": only an order that
 * opens or adds to a position is checked; a sell long or a buy to cover gives back nothing until it
 * executes): a buy's notional less the part that covers a short (the short less what open buys
 * hold); a sell's short part (`shortSaleQty`) at the greater of its limit and 3% above the ask (the
 * reference without one); 0 for a sell within the long position (or of a position not kept); null
 * without a price.
 */
export function buyingPowerNotionalOf(order: OrderSpec, ctx: RiskContext): Value18 | null {
  const position = signedDec(ctx.positionQty);
  if (order.side === 'sell') {
    const short = shortSaleQty(order, ctx);
    // An account that may not sell short is refused the short part by `short_sale` alone.
    if (short === null || ctx.account?.shortingEnabled === false) return 0n;
    if (short === 'no_price') return null;
    const ask = dec(ctx.quote?.ask ?? ctx.referencePrice);
    if (ask === null) return null;
    const marked = (ask * 103n + 99n) / 100n;
    const limit = dec(order.limitPrice);
    return multiply(short.shortQty, limit !== null && limit > marked ? limit : marked);
  }
  const price = dec(tradingReferenceOf('buy', ctx.referencePrice, ctx.quote));
  const notional = orderNotional(order, dec(order.limitPrice), price);
  if (notional === null || position === null || position >= 0n) return notional;
  const held = dec(ctx.heldForBuy) ?? 0n;
  const cover = -position > held ? -position - held : 0n;
  const qty = dec(order.qty);
  if (qty !== null) return qty > cover ? (notional * (qty - cover)) / qty : 0n;
  if (price === null) return null;
  const rest = notional - multiply(cover, price);
  return rest > 0n ? rest : 0n;
}

/**
 * The short part of a sell: null when the order is a buy, the account's position is not
 * controlled, or the sell fits in what it can sell long; `no_price` for a notional sell without a
 * reference price.
 */
function shortSaleQty(
  order: OrderSpec,
  ctx: RiskContext,
):
  | { sellQty: string; available: string; held: string; position: Nanos; shortQty: Nanos }
  | 'no_price'
  | null {
  if (order.side !== 'sell') return null;
  const position = signedDec(ctx.positionQty);
  if (position === null) return null;
  let qty = dec(order.qty);
  if (qty === null) {
    const notional = dec(order.notional);
    // At the lower of the reference and the bid: a notional sell fills at the bid (held-shares.ts).
    const price = dec(tradingReferenceOf('sell', ctx.referencePrice, ctx.quote));
    if (notional === null) return null;
    if (price === null || price === 0n) return 'no_price';
    qty = notionalShares(notional, price);
  }
  const held = dec(ctx.heldForSale) ?? 0n;
  const long = position > 0n ? position : 0n;
  const available = long > held ? long - held : 0n;
  if (qty <= available) return null;
  return {
    sellQty: formatNanos(qty),
    available: formatNanos(available),
    held: formatNanos(held),
    position,
    shortQty: qty - available,
  };
}

/**
 * The shares the order's short part takes out of the account's locates (Reg SHO Rule 203(b)(1)):
 * whole shares, rounded up; null when it takes none (not a short sale, or an easy-to-borrow asset).
 */
export function locateClaimOf(order: OrderSpec, ctx: RiskContext): Nanos | null {
  const short = shortSaleQty(order, ctx);
  if (short === null || short === 'no_price' || ctx.asset === null || ctx.asset.easyToBorrow) return null;
  return locateQtyOf(short.shortQty);
}

/**
 * The account's executions an order's decision must see applied before it is made final, or null.
 * The ledger the context was read from is a stream hop behind the fills a client already sees
 * (GET /v2/orders reads the event store): a sell placed on a buy's fill found no position. Decided
 * on the position: a sell beyond it (refused by a no-short account, the short sale rules, or
 * accepted and marked short) waits for the symbol's buys; a buy refused `buying_power` waits for
 * the account's sells (the cash their fills bring). Anything else is decided as read.
 */
export function executionsToAwaitOf(
  order: OrderSpec,
  refusals: readonly RiskRefusal[],
  ctx: RiskContext,
): { readonly symbol?: string; readonly side: 'buy' | 'sell' } | null {
  if (order.side === 'sell' && shortSaleOf(order, ctx)) return { symbol: order.symbol, side: 'buy' };
  if (order.side === 'buy' && refusals.some((r) => r.rule === 'buying_power')) return { side: 'sell' };
  return null;
}

/** Whether the order, accepted, is a short sale (a sell beyond what the account can sell long). */
export function shortSaleOf(order: OrderSpec, ctx: RiskContext): boolean {
  const short = shortSaleQty(order, ctx);
  return short !== null && short !== 'no_price';
}

/**
 * The `position_intent` an order is placed with: the client's, else what the position it is
 * accepted against makes it (Alpaca fills it in; a probe read null). A sell with a short part is
 * `sell_to_open`: Reg SHO Rule 200(g) marks it short, and the CAT export reports its side `SS`
 * from it (an unmarked short sale was reported `SL`, sell long). A buy of a short position is
 * `buy_to_close`. Null when the account's position is not controlled (not known).
 */
export function positionIntentOf(order: OrderSpec, ctx: RiskContext): PositionIntent | null {
  const position = signedDec(ctx.positionQty);
  // The position decides, not the client (a probe's `sell_to_close` of a short sale was reported
  // `SL`); a client's `sell_to_open` stays: marked short, never long by mistake.
  if (position === null || order.positionIntent === 'sell_to_open') return order.positionIntent;
  if (order.side === 'buy') return position < 0n ? 'buy_to_close' : 'buy_to_open';
  return shortSaleOf(order, ctx) ? 'sell_to_open' : 'sell_to_close';
}

/**
 * The intent of a bracket's or OTO's exit (`leg`), which works once its entry has filled: as
 * `positionIntentOf` on the position the entry leaves. A sell exit of a buy entry placed while short
 * sells short (a probe: short 5, a bracket buy of 2, its take-profit left the account short 5 and was
 * reported `SL`).
 */
export function exitPositionIntentOf(
  entry: OrderSpec,
  leg: OrderSpec,
  ctx: RiskContext,
): PositionIntent | null {
  const position = signedDec(ctx.positionQty);
  const qty = dec(entry.qty);
  if (position === null || qty === null) return positionIntentOf(leg, ctx);
  const after = position + (entry.side === 'buy' ? qty : -qty);
  const positionQty = after < 0n ? `-${formatNanos(-after)}` : formatNanos(after);
  return positionIntentOf(leg, { ...ctx, positionQty });
}
