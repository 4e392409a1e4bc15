/**
 * Short sales under Regulation SHO (issue 16). Pure: exact decimals, New York dates passed in.
 *
 * Locates, 17 CFR 242.203(b)(1): "A broker or dealer may not accept a short sale order in an equity
 * security from another person, or effect a short sale in an equity security for its own account,
 * unless the broker or dealer has: (i) Borrowed the security, or entered into a bona-fide
 * arrangement to borrow the security; or (ii) Reasonable grounds to believe that the security can be
 * borrowed so that it can be delivered on the date delivery is due". An easy-to-borrow asset stands
 * as (ii) for every short (the asset master's `easy_to_borrow`, as Alpaca's ETB list); any other
 * shortable asset needs a locate the account holds for the day (`/v1/locates`, core locates.ts),
 * and the short part of the sale is taken out of it when the order is placed.
 *
 * Short sale price test, 17 CFR 242.201(b)(1): a trading center's procedures must "(i) Prevent the
 * execution or display of a short sale order of a covered security at a price that is less than or
 * equal to the current national best bid if the price of that covered security decreases by 10% or
 * more from the covered security's closing price as determined by the listing market for the
 * covered security as of the end of regular trading hours on the prior day; and (ii) Impose the
 * requirements of paragraph (b)(1)(i) of this section for the remainder of the day and the
 * following day when a national best bid for the covered security is calculated and disseminated".
 * The trigger is recorded where the tape prints (the symbol's market item, `restrictionAfterPrint`)
 * with the date it ends; an order placed while it is in effect meets `rule201Refusal`.
 */
import { isTradingDay } from './calendar.js';
import { formatNanos, type Nanos, ONE, parseNanos } from './decimal.js';
import type { OrderSpec } from './order-request.js';

/** A short sale restriction (Rule 201 circuit breaker): triggered on a New York date, in effect until another. */
export interface ShortSaleRestriction {
  /** `YYYY-MM-DD` (New York) the decline was printed. */
  readonly triggeredOn: string;
  /** `YYYY-MM-DD`: the last day it applies (the trading day after `triggeredOn`). */
  readonly until: string;
}

/** The trading day after `date` (`YYYY-MM-DD`): weekends and NYSE holidays skipped. */
export function nextTradingDate(date: string): string {
  let t = Date.parse(`${date}T12:00:00Z`);
  for (let guard = 0; guard < 15; guard++) {
    t += 86_400_000;
    const d = new Date(t);
    if (isTradingDay(d.getUTCFullYear(), d.getUTCMonth() + 1, d.getUTCDate()))
      return d.toISOString().slice(0, 10);
  }
  throw new RangeError(`no trading day within two weeks after ${date}`);
}

/** Rule 201(b)(1)(i)'s trigger: `price` is 10% or more below the prior day's close (exact: 10 x price <= 9 x close). */
export function circuitBreakerTriggered(previousClose: Nanos, price: Nanos): boolean {
  return previousClose > 0n && price > 0n && 10n * price <= 9n * previousClose;
}

/** Whether the restriction applies on `today` (`YYYY-MM-DD`, New York): from its trigger day to `until`. */
export function restrictionInEffect(r: ShortSaleRestriction | null | undefined, today: string): boolean {
  return r != null && r.triggeredOn <= today && today <= r.until;
}

/**
 * The restriction to keep on a symbol after the tape prints `price` on `today`: a new one (to the
 * next trading day) when the print triggers the circuit breaker and none was triggered today (a
 * decline on the restricted day after the trigger triggers it again, through the day after); else
 * the one it had. Without a previous close or a price nothing can trigger.
 */
export function restrictionAfterPrint(
  current: ShortSaleRestriction | null,
  previousClose: Nanos | null,
  price: Nanos | null,
  today: string,
): ShortSaleRestriction | null {
  if (current !== null && current.triggeredOn === today) return current;
  if (previousClose === null || price === null || !circuitBreakerTriggered(previousClose, price))
    return current;
  return { triggeredOn: today, until: nextTradingDate(today) };
}

/**
 * Rule 201's price test for a short sale while the restriction is in effect: the reason it is
 * refused, or null when it may go. A market order (and a stop or trailing stop, a market order once
 * triggered) would execute at the bid: refused. A limit (or stop-limit) order may go only priced
 * above the current national best bid; with no national best bid it cannot be shown to be, and is
 * refused (fail closed).
 */
export function rule201Refusal(
  order: OrderSpec,
  nationalBestBid: Nanos | null,
  r: ShortSaleRestriction,
): string | null {
  const when = `a short sale restriction is in effect (a decline of 10% or more from the previous close on ${r.triggeredOn}, through ${r.until})`;
  if (order.type === 'market' || order.type === 'stop' || order.type === 'trailing_stop')
    return `${when}: a ${order.type.replace('_', ' ')} short sale would execute at or below the national best bid; use a limit price above it`;
  const parsed = order.limitPrice === null ? null : parseNanos(order.limitPrice);
  const limit = typeof parsed === 'bigint' ? parsed : null;
  if (limit === null) return `${when}: the order has no limit price to test`;
  if (nationalBestBid === null) return `${when}: there is no national best bid to price the short sale above`;
  if (limit <= nationalBestBid)
    return `${when}: limit price ${formatNanos(limit)} is at or below the national best bid ${formatNanos(nationalBestBid)}`;
  return null;
}

/**
 * The shares a short part needs located: whole shares, rounded up (a locate covers whole shares;
 * a short of 100.5 needs 101 located).
 */
export function locateQtyOf(shortQty: Nanos): Nanos {
  const whole = (shortQty + ONE - 1n) / ONE;
  return whole * ONE;
}

/**
 * Rule 203(b)(1) for a hard-to-borrow asset: the reason the short is refused, or null when the
 * shares the account holds located for the symbol today (`located`) cover its short part.
 */
export function locateRefusal(symbol: string, shortQty: Nanos, located: Nanos): string | null {
  const need = locateQtyOf(shortQty);
  if (need <= located) return null;
  return `a short sale of ${formatNanos(shortQty)} ${symbol} needs ${formatNanos(need)} shares located (17 CFR 242.203(b)(1)); the account holds ${formatNanos(located)} located for today: request a locate (POST /v1/locates)`;
}
