/**
 * Alpaca's own answers to the pre-trade refusals it also makes (a 403, code 40310000): its words
 * and the fields it sends along, so bots that match on them work against the OMS too. The rules
 * keep their own words in each refusal's `message` (core risk.ts); the response lifts these to the
 * top level (`alpacaRiskAnswer`).
 */
import { formatNanos, type Nanos } from './decimal.js';
import type { RiskRefusal } from './risk.js';

/** Alpaca's words for a refusal and the fields it answers along. */
export interface AlpacaRefusal {
  readonly message: string;
  readonly fields: Readonly<Record<string, string>>;
}

/** Alpaca's refusal of a buy beyond the buying power: its words, what it cost and what there was. */
export function insufficientBuyingPower(buyingPower: string, costBasis: string): AlpacaRefusal {
  return {
    message: 'insufficient buying power',
    fields: { buying_power: buyingPower, cost_basis: costBasis },
  };
}

/** Alpaca's refusal of an order for more than the position's qty_available. */
export function insufficientQtyMessage(requested: Nanos, available: Nanos): string {
  return `insufficient qty available for order (requested: ${formatNanos(requested)}, available: ${formatNanos(available)})`;
}

/** Alpaca's refusal of a sell beyond the position's qty_available, with its numbers. */
export function insufficientQty(
  symbol: string,
  requested: Nanos,
  q: { readonly available: Nanos; readonly position: Nanos; readonly held: Nanos },
): AlpacaRefusal {
  return {
    message: insufficientQtyMessage(requested, q.available),
    fields: {
      symbol: symbol.toUpperCase(),
      requested: formatNanos(requested),
      available: formatNanos(q.available),
      existing_qty: formatNanos(q.position),
      held_for_orders: formatNanos(q.held),
    },
  };
}

/**
 * A 403 of pre-trade risk as Alpaca answers it: the first refusal's Alpaca words and fields where
 * it has them (else its own message), and every refusal as the rules word them.
 */
export function alpacaRiskAnswer(refusals: readonly RiskRefusal[]): {
  readonly message: string;
  readonly fields: Readonly<Record<string, unknown>>;
} {
  const first = refusals[0];
  const listed = refusalsAsListed(refusals);
  return {
    message: first?.alpaca?.message ?? first?.message ?? 'refused by pre-trade risk',
    fields: { ...(first?.alpaca?.fields ?? {}), refusals: listed },
  };
}

/** The refusals as the rules word them, without their Alpaca copy (every 403, 422 and bus answer). */
export function refusalsAsListed(refusals: readonly RiskRefusal[]): RiskRefusal[] {
  return refusals.map(({ alpaca: _alpaca, ...r }) => r);
}
