/**
 * The shares an open order holds of a position (what a sell may still take of it, Alpaca's
 * `qty_available`), including an order sized in dollars (Alpaca's `notional`): it trades
 * notional / fill price shares, and a notional sell fills at the bid, not at the last trade. A probe
 * on an account that may not sell short: two notional market sells, placed at once, each valued at
 * the last trade, and counted as holding nothing while open (their qty is null), ended the account
 * short (4 of 4); a notional sell of the whole position at the last trade filled at the bid and sold
 * more shares than it held. So a notional sell is counted at the lower of the reference price and
 * the bid (a notional buy at the higher of the reference and the ask), rounded up to the nano.
 * A price that moves between the check and the fill still moves the shares it trades: no check
 * made before the fill can bound that.
 */
import { formatNanos, multiply, type Nanos, parseNanos, toValue18 } from './decimal.js';

/**
 * The price a notional order's shares are counted at: a sell at the lower of the reference price
 * and the bid, a buy at the higher of the reference and the ask; null when neither is known (or
 * not positive).
 */
export function notionalSharePrice(
  side: string,
  reference: Nanos | null,
  bid: Nanos | null,
  ask: Nanos | null,
) {
  const quoted = side === 'buy' ? ask : bid;
  const r = reference !== null && reference > 0n ? reference : null;
  const q = quoted !== null && quoted > 0n ? quoted : null;
  if (r === null || q === null) return r ?? q;
  // bigints: Math.min/max do not take them.
  const quoteIsFurther = side === 'buy' ? q > r : q < r;
  return quoteIsFurther ? q : r;
}

/** `notional` dollars in shares at `price` (positive), rounded up to the nano. */
export function notionalShares(notional: Nanos, price: Nanos): Nanos {
  return (toValue18(notional) + price - 1n) / price;
}

/** What the order is, as far as the shares it holds go (decimals as nanos). */
export interface HeldSharesInput {
  readonly qty: Nanos | null;
  readonly notional: Nanos | null;
  readonly filledQty: Nanos;
  /** The average price of its fills; null before any. */
  readonly filledAvgPrice: Nanos | null;
}

/**
 * Shares the open order still holds: a qty order its leaves; a notional order what is left of its
 * notional (less its fills' cost) at `price` (`notionalSharePrice`), rounded up. Null for a notional
 * order without a price: the caller cannot size it and must count it as holding everything.
 */
export function sharesStillHeld(order: HeldSharesInput, price: Nanos | null): Nanos | null {
  if (order.qty !== null) {
    const leaves = order.qty - order.filledQty;
    return leaves > 0n ? leaves : 0n;
  }
  if (order.notional === null) return 0n;
  const spent = order.filledAvgPrice === null ? 0n : multiply(order.filledQty, order.filledAvgPrice);
  const left = toValue18(order.notional) - spent;
  if (left <= 0n) return 0n;
  if (price === null) return null;
  return (left + price - 1n) / price;
}

/**
 * The reference an order of `side` is valued at when it trades at the market (core risk's buying
 * power and notional limits, a buy's claim, a notional sell's size): `notionalSharePrice` over the
 * reference price and the quote read with it (decimal text). A probe's market buy of 99 shares on
 * $10,000 of cash, checked at the last trade (100), filled at the ask (105): cash -395.
 */
export function tradingReferenceOf(
  side: string,
  referencePrice: string | null,
  quote: { readonly bid: string | null; readonly ask: string | null } | undefined,
): string | null {
  const d = (t: string | null | undefined) => {
    if (t === null || t === undefined) return null;
    const v = parseNanos(t);
    return typeof v === 'bigint' ? v : null;
  };
  const price = notionalSharePrice(side, d(referencePrice), d(quote?.bid), d(quote?.ask));
  return price === null ? null : formatNanos(price);
}
