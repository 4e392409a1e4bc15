/**
 * Slippage monitoring (issue 15): thresholds an account sets on its orders' execution costs, and
 * the breaches of a closed order's TCA. Pure.
 *
 * An account's record holds `slippageThresholds`: `{arrivalBps?, shortfallBps?}` for all its
 * orders, and `strategies: {<tag>: {...}}` for orders of a strategy. An order's strategy tag is
 * its client_order_id's prefix before the first `:` (`momo:2026-12-04-17` is strategy `momo`).
 * The thresholds that apply are resolved when the order is accepted and recorded on it
 * (`acceptedAgainst.slippageThresholds`), so the check at the close reads nothing.
 */
import { formatNanos, parseNanos } from './decimal.js';
import { type FieldError, fieldError } from './field-error.js';
import type { OrderTcaRecord } from './order-tca.js';

export interface SlippageLimits {
  /** Arrival slippage (bps, positive = cost) beyond which an order breaches. */
  readonly arrivalBps?: number;
  /** Implementation shortfall (bps of the paper portfolio) beyond which an order breaches. */
  readonly shortfallBps?: number;
}

/** Thresholds on the average over the account's last `orders` closed orders (a rolling window). */
export interface SlippageWindow extends SlippageLimits {
  readonly orders: number;
}

export interface AccountSlippageThresholds extends SlippageLimits {
  readonly strategies?: Readonly<Record<string, SlippageLimits>>;
  readonly window?: SlippageWindow;
}

/** What an order was accepted under: the limits and where they came from. */
export interface AppliedSlippageThresholds extends SlippageLimits {
  /** `account`, or `strategy:<tag>`. */
  readonly scope: string;
  /** The account's rolling window, when it set one (whatever the order's strategy). */
  readonly window?: SlippageWindow;
}

/** Most orders a rolling window holds. */
export const MAX_WINDOW_ORDERS = 100;

/** The strategy tag of a client order id (`momo:42` -> `momo`), or null. */
export function strategyTagOf(clientOrderId: string | null | undefined): string | null {
  if (clientOrderId === null || clientOrderId === undefined) return null;
  const i = clientOrderId.indexOf(':');
  return i > 0 ? clientOrderId.slice(0, i) : null;
}

/** The thresholds that apply to an order (its strategy's, else the account's); null: none. */
export function thresholdsFor(
  account: AccountSlippageThresholds | undefined,
  clientOrderId: string | null | undefined,
): AppliedSlippageThresholds | null {
  if (account === undefined) return null;
  const window =
    account.window !== undefined && account.window.orders >= 1
      ? {
          window: {
            ...account.window,
            orders: Math.min(MAX_WINDOW_ORDERS, Math.floor(account.window.orders)),
          },
        }
      : {};
  const tag = strategyTagOf(clientOrderId);
  const strategy = tag === null ? undefined : account.strategies?.[tag];
  if (strategy !== undefined && (strategy.arrivalBps !== undefined || strategy.shortfallBps !== undefined))
    return { ...strategy, scope: `strategy:${tag}`, ...window };
  if (account.arrivalBps === undefined && account.shortfallBps === undefined)
    return window.window === undefined ? null : { scope: 'account', ...window };
  return {
    ...(account.arrivalBps === undefined ? {} : { arrivalBps: account.arrivalBps }),
    ...(account.shortfallBps === undefined ? {} : { shortfallBps: account.shortfallBps }),
    scope: 'account',
    ...window,
  };
}

export interface SlippageBreach {
  readonly measure: 'arrival_slippage' | 'implementation_shortfall';
  /** Over a rolling window: the number of orders averaged (absent: this order alone). */
  readonly windowOrders?: number;
  readonly valueBps: number;
  readonly thresholdBps: number;
  readonly scope: string;
}

/** The measures of `tca` beyond `limits` (a cost above the threshold; an unknown measure never breaches). */
export function slippageBreachesOf(
  tca: Pick<OrderTcaRecord, 'arrivalSlippageBps' | 'implementationShortfall'>,
  limits: AppliedSlippageThresholds | null,
): SlippageBreach[] {
  if (limits === null) return [];
  const out: SlippageBreach[] = [];
  const arrival = tca.arrivalSlippageBps;
  if (limits.arrivalBps !== undefined && arrival !== null && arrival > limits.arrivalBps)
    out.push({
      measure: 'arrival_slippage',
      valueBps: arrival,
      thresholdBps: limits.arrivalBps,
      scope: limits.scope,
    });
  const shortfall = tca.implementationShortfall?.total?.bps ?? null;
  if (limits.shortfallBps !== undefined && shortfall !== null && shortfall > limits.shortfallBps)
    out.push({
      measure: 'implementation_shortfall',
      valueBps: shortfall,
      thresholdBps: limits.shortfallBps,
      scope: limits.scope,
    });
  return out;
}

/** The request field of the OMS's decision-price extension (not in Alpaca's order schema). */
export const DECISION_PRICE_FIELD = 'decision_price';

/**
 * Takes the OMS extension `decision_price` off an order request body (the price the client's
 * strategy decided at: TCA's paper portfolio and delay cost). Returns the body Alpaca's schema
 * validates, and the price as canonical text, or the field's error. Absent: null.
 */
export function takeDecisionPrice(body: unknown): {
  readonly body: unknown;
  readonly decisionPrice: string | null;
  readonly error: FieldError | null;
} {
  if (typeof body !== 'object' || body === null || Array.isArray(body) || !(DECISION_PRICE_FIELD in body))
    return { body, decisionPrice: null, error: null };
  const { [DECISION_PRICE_FIELD]: raw, ...rest } = body as Record<string, unknown>;
  if (raw === null || raw === undefined) return { body: rest, decisionPrice: null, error: null };
  const text = typeof raw === 'number' && Number.isFinite(raw) ? String(raw) : raw;
  const parsed = typeof text === 'string' ? parseNanos(text) : 'not_a_decimal';
  if (parsed === 'too_precise')
    return {
      body: rest,
      decisionPrice: null,
      error: fieldError('too_precise', DECISION_PRICE_FIELD, 'has more than 9 decimal places'),
    };
  if (typeof parsed !== 'bigint')
    return {
      body: rest,
      decisionPrice: null,
      error: fieldError('not_a_decimal', DECISION_PRICE_FIELD, 'must be a decimal price'),
    };
  if (parsed <= 0n)
    return {
      body: rest,
      decisionPrice: null,
      error: fieldError('not_positive', DECISION_PRICE_FIELD, 'must be positive'),
    };
  return { body: rest, decisionPrice: formatNanos(parsed), error: null };
}

/** One closed order's measures as a rolling window keeps them. */
export interface WindowEntry {
  readonly orderId: string;
  readonly arrivalBps: number | null;
  readonly shortfallBps: number | null;
}

/**
 * The account's window after `entry` (the last `size` orders, oldest first; an order already in
 * it is not added twice: a redelivered close) and the breaches of its averages, once the window is
 * full (a threshold on an average of fewer orders than asked would alarm on the first order).
 */
export function rollingWindowOf(
  before: readonly WindowEntry[],
  entry: WindowEntry,
  window: SlippageWindow,
): { readonly entries: WindowEntry[]; readonly breaches: SlippageBreach[]; readonly added: boolean } {
  if (before.some((e) => e.orderId === entry.orderId))
    return { entries: [...before], breaches: [], added: false };
  const entries = [...before, entry].slice(-window.orders);
  const breaches: SlippageBreach[] = [];
  if (entries.length < window.orders) return { entries, breaches, added: true };
  const average = (values: (number | null)[]): number | null => {
    const known = values.filter((v): v is number => v !== null);
    return known.length === 0
      ? null
      : Math.round((known.reduce((a, b) => a + b, 0) / known.length) * 100) / 100;
  };
  const arrival = average(entries.map((e) => e.arrivalBps));
  const shortfall = average(entries.map((e) => e.shortfallBps));
  const scope = 'account:window';
  if (window.arrivalBps !== undefined && arrival !== null && arrival > window.arrivalBps)
    breaches.push({
      measure: 'arrival_slippage',
      valueBps: arrival,
      thresholdBps: window.arrivalBps,
      scope,
      windowOrders: entries.length,
    });
  if (window.shortfallBps !== undefined && shortfall !== null && shortfall > window.shortfallBps)
    breaches.push({
      measure: 'implementation_shortfall',
      valueBps: shortfall,
      thresholdBps: window.shortfallBps,
      scope,
      windowOrders: entries.length,
    });
  return { entries, breaches, added: true };
}
