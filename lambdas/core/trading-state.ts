/**
 * The kill switch (issue 16; SEC Rule 15c3-5(c)(1) and (e): a broker-dealer with market access must
 * be able to prevent orders from being entered, and to stop trading, at once): a trading state per
 * account and one firm-wide, set by an operator.
 *
 * - `ACTIVE`: trading as usual.
 * - `REDUCING`: only orders that reduce a position: a sell no larger than the long position (less
 *   what the account's other open sells already hold), a buy no larger than the short position
 *   (less what its other open buys hold). A notional order is sized at the reference price (no
 *   price: refused, fail closed). A bracket or OTO is refused: its exit legs would open a position
 *   again. An OCO (exits only) reduces when its quantity does.
 * - `HALTED`: nothing new (also no closing order: the operator halts, then decides); the open
 *   orders are canceled at once (the operator endpoint's sweep, lambdas/order-api/trading-state.ts).
 *
 * The state in force for an account is the stricter of its own and the firm's (HALTED over
 * REDUCING over ACTIVE); the refusal names which one (the firm's on a tie). Pure: the states, the
 * position and the open orders' holds are read by the caller (lambdas/orders/risk-context.ts).
 */
import { formatNanos, type Nanos, parseNanos, toValue18 } from './decimal.js';
import type { OrderSpec } from './order-request.js';

export const TRADING_STATES = ['ACTIVE', 'REDUCING', 'HALTED'] as const;
export type TradingState = (typeof TRADING_STATES)[number];
export type TradingScope = 'firm' | 'account';

/** A trading state as recorded: what it is, why, who set it and when, and its version (0: never set). */
export interface TradingStateRecord {
  readonly state: TradingState;
  readonly reason: string;
  readonly changedBy: string;
  readonly changedAt: string;
  /** Increments on each change (1 = the first); 0 for a scope never set (ACTIVE). */
  readonly version: number;
}

/** A scope that was never set: ACTIVE, version 0. */
export const NEVER_SET: TradingStateRecord = {
  state: 'ACTIVE',
  reason: '',
  changedBy: '',
  changedAt: '',
  version: 0,
};

/** The states that apply to one account's order. Absent (null) = never set = ACTIVE. */
export interface TradingStates {
  readonly firm: TradingStateRecord | null;
  readonly account: TradingStateRecord | null;
}

const SEVERITY: Record<TradingState, number> = { ACTIVE: 0, REDUCING: 1, HALTED: 2 };

/** The state in force: the stricter of the firm's and the account's (the firm's on a tie). */
export function effectiveTradingState(states: TradingStates): {
  readonly scope: TradingScope;
  readonly record: TradingStateRecord;
} {
  const firm = states.firm ?? NEVER_SET;
  const account = states.account ?? NEVER_SET;
  return SEVERITY[account.state] > SEVERITY[firm.state]
    ? { scope: 'account', record: account }
    : { scope: 'firm', record: firm };
}

/** What the reducing rule reads besides the order. */
export interface PositionForReducing {
  /** The account's signed position in the order's symbol (short negative). */
  readonly positionQty: string;
  /** Qty the account's other open orders on the order's side still hold (leaves). */
  readonly heldSameSide: string;
  /** To size a notional order; null: no quote. */
  readonly referencePrice: string | null;
}

export type TradingStateRule = 'trading_halted' | 'reducing_only';

export interface TradingStateRefusal {
  readonly rule: TradingStateRule;
  /** The state in force and its scope, e.g. `HALTED (account acct-1, version 3)`. */
  readonly limit: string;
  readonly message: string;
}

function dec(text: string | null | undefined): Nanos | null {
  if (text === null || text === undefined) return null;
  const negative = text.startsWith('-');
  const v = parseNanos(negative ? text.slice(1) : text);
  return typeof v === 'bigint' ? (negative ? -v : v) : null;
}

function scopeText(scope: TradingScope, accountId: string): string {
  return scope === 'firm' ? 'firm-wide' : `for account ${accountId}`;
}

/**
 * Why the trading state refuses `order` of `accountId`, or null when it may go. `position` is
 * needed only under REDUCING; without it (not read) a REDUCING state refuses (fail closed).
 */
export function tradingStateRefusal(
  order: Pick<OrderSpec, 'symbol' | 'side' | 'qty' | 'notional' | 'orderClass'>,
  accountId: string,
  states: TradingStates,
  position: PositionForReducing | null,
): TradingStateRefusal | null {
  const { scope, record } = effectiveTradingState(states);
  if (record.state === 'ACTIVE') return null;
  const limit = `${record.state} (${scope === 'firm' ? 'firm' : `account ${accountId}`}, version ${record.version})`;
  const why =
    record.reason === '' ? '' : ` (${record.reason}; set by ${record.changedBy} at ${record.changedAt})`;
  const where = scopeText(scope, accountId);
  if (record.state === 'HALTED')
    return {
      rule: 'trading_halted',
      limit,
      message: `trading_halted: trading is HALTED ${where}${why}: no new orders are accepted`,
    };
  const refuse = (detail: string): TradingStateRefusal => ({
    rule: 'reducing_only',
    limit,
    message: `reducing_only: trading is REDUCING ${where}${why}: only orders that reduce a position are accepted; ${detail}`,
  });
  const symbol = order.symbol.toUpperCase();
  if (order.orderClass === 'bracket' || order.orderClass === 'oto')
    return refuse(`a ${order.orderClass} order's exit legs would open a position again`);
  if (position === null) return refuse(`the position in ${symbol} could not be read`);
  const qty = orderQty(order, position.referencePrice);
  if (qty === null) return refuse(`the notional order cannot be sized: no reference price for ${symbol}`);
  const held = dec(position.heldSameSide) ?? 0n;
  const signed = dec(position.positionQty) ?? 0n;
  // The side that reduces: a sell against a long position, a buy against a short one.
  const reducible = order.side === 'sell' ? (signed > 0n ? signed : 0n) : signed < 0n ? -signed : 0n;
  const available = reducible > held ? reducible - held : 0n;
  if (qty <= available) return null;
  const kind = order.side === 'sell' ? 'long' : 'short';
  return refuse(
    `${order.side} of ${formatNanos(qty)} ${symbol} exceeds the ${formatNanos(available)} it can reduce (position ${signed < 0n ? '-' : ''}${formatNanos(signed < 0n ? -signed : signed)}, ${formatNanos(held)} held by open ${order.side} orders; a ${order.side} reduces only a ${kind} position)`,
  );
}

/** The order's quantity: its qty, or its notional over the reference price rounded up; null without a price. */
function orderQty(order: Pick<OrderSpec, 'qty' | 'notional'>, referencePrice: string | null): Nanos | null {
  const qty = dec(order.qty);
  if (qty !== null) return qty;
  const notional = dec(order.notional);
  const reference = dec(referencePrice);
  if (notional === null || reference === null || reference <= 0n) return null;
  return (toValue18(notional) + reference - 1n) / reference;
}

/** The reason an operator gives: trimmed, 1 to 500 characters. */
export const TRADING_STATE_REASON_MAX = 500;

/** What an operator asks: a state for a scope, with a reason. */
export interface TradingStateChange {
  readonly state: TradingState;
  readonly reason: string;
  readonly changedBy: string;
  /** ISO time of the request (passed in: the core reads no clock). */
  readonly at: string;
}

/**
 * The change an operator's request makes to `current`: `unchanged` when it sets the state and the
 * reason already recorded (a retried request records nothing twice), else the next version.
 */
export function decideTradingStateChange(
  current: TradingStateRecord | null,
  change: TradingStateChange,
):
  | { readonly kind: 'unchanged'; readonly record: TradingStateRecord }
  | { readonly kind: 'changed'; readonly previous: TradingStateRecord; readonly record: TradingStateRecord } {
  const previous = current ?? NEVER_SET;
  if (previous.version > 0 && previous.state === change.state && previous.reason === change.reason)
    return { kind: 'unchanged', record: previous };
  return {
    kind: 'changed',
    previous,
    record: {
      state: change.state,
      reason: change.reason,
      changedBy: change.changedBy,
      changedAt: change.at,
      version: previous.version + 1,
    },
  };
}

/**
 * Whom a HALT in force still concerns (the halt enforcement's schedule, every minute: SEC Rule
 * 15c3-5(c)(1) asks that orders be stopped, not only that the operator's sweep was sent once).
 * The firm HALTED: every account; otherwise the accounts recorded HALTED (`haltedAccounts`, kept in
 * the same transaction as each account's state). Null: nothing is halted.
 */
export function haltScopeOf(
  firm: TradingStateRecord | null,
  haltedAccounts: readonly string[],
):
  | { readonly scope: 'firm' }
  | { readonly scope: 'accounts'; readonly accountIds: readonly string[] }
  | null {
  if (firm?.state === 'HALTED') return { scope: 'firm' };
  if (haltedAccounts.length === 0) return null;
  return { scope: 'accounts', accountIds: [...new Set(haltedAccounts)].sort() };
}

/**
 * Of a halted account's open orders, those to ask to cancel now: every one but an order whose
 * cancel is already requested (`pending_cancel`: the in-flight check sees that it arrives) and an
 * order whose replace is outstanding (`pending_replace`: a cancel is refused until the venue
 * answers; the next run cancels the order or its replacement). So an order accepted in the instant
 * before the HALT (not yet listed by the HALT's own sweep) and a replacement opened after it are
 * canceled by the next run.
 */
export function ordersToCancelUnderHalt(
  orders: readonly { readonly id: string; readonly status: string }[],
): string[] {
  return orders
    .filter((o) => o.status !== 'pending_cancel' && o.status !== 'pending_replace')
    .map((o) => o.id);
}
