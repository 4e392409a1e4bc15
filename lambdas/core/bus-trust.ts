/**
 * The bus as a trust boundary (issue 16): who may ask the OMS for an order on the bus, and whose
 * execution reports the OMS applies. Pure rules; the handlers read what they need and record the
 * refusal (docs/compliance.md "The bus as a trust boundary", docs/aws.md for the bus policy).
 *
 * An event delivered to a rule target does not carry the principal that called PutEvents, only
 * what the event says (`source`, `detail-type`, `account`) and the detail. So the identity the
 * consumers can rely on is the `source`, and the bus resource policy makes it one: each strategy's
 * principal may put only `stockbot.strategy.<its id>` (and no other principal that source), only
 * the broker gateway's roles may put `stockbot.venue`, only the OMS's own roles `stockbot.oms*`.
 * The consumers check again what the event says, since a policy is configuration: the intake maps
 * the strategy to the accounts it may trade (its entitlement, kept in the accounts table), the
 * execution report applier the source, the venue the order was sent to and the venue's own id.
 */

/** Every strategy's source starts with this; the rest is its id (`stockbot.strategy.<id>`). */
export const STRATEGY_SOURCE_PREFIX = 'stockbot.strategy.';
/** What a strategy id may look like (it is part of a source and of a table key). */
export const STRATEGY_ID = /^[a-z0-9][a-z0-9-]{0,62}$/;
/** The only source execution reports are taken from: the broker gateway's. */
export const VENUE_REPORT_SOURCE = 'stockbot.venue';
/** Sources only the OMS's own functions may put (`stockbot.oms`, `stockbot.oms.intake`, ...). */
export const OMS_SOURCE_PREFIX = 'stockbot.oms';

/** The strategy a source names, or null when it is not `stockbot.strategy.<id>`. */
export function strategyIdOf(source: string): string | null {
  if (!source.startsWith(STRATEGY_SOURCE_PREFIX)) return null;
  const id = source.slice(STRATEGY_SOURCE_PREFIX.length);
  return STRATEGY_ID.test(id) ? id : null;
}

/** What the accounts table says a strategy may trade (`strategy#<id>`). */
export interface StrategyEntitlement {
  readonly strategyId: string;
  readonly accountIds: readonly string[];
  readonly status: 'active' | 'revoked';
}

export interface SenderRefusal {
  readonly code: 'sender_not_entitled';
  readonly message: string;
}

/**
 * Whether the sender of an `OrderRequested` (its source) may trade `accountId`. `entitlement` is
 * the strategy's record (null: none). Rules, in order:
 * 1. the source must be `stockbot.strategy.<id>` (a bare `stockbot.strategy` names nobody);
 * 2. the strategy must have an entitlement record, and
 * 3. it must be active (an operator revokes a strategy by its record);
 * 4. the account must be one of the record's accounts.
 */
export function orderRequestSenderRefusal(
  source: string,
  accountId: string,
  entitlement: StrategyEntitlement | null,
): SenderRefusal | null {
  const refuse = (message: string): SenderRefusal => ({ code: 'sender_not_entitled', message });
  const strategyId = strategyIdOf(source);
  if (strategyId === null)
    return refuse(
      `source: ${source} names no strategy (expected ${STRATEGY_SOURCE_PREFIX}<id>, the id lowercase letters, digits and "-")`,
    );
  if (entitlement === null || entitlement.strategyId !== strategyId)
    return refuse(`source: strategy ${strategyId} is not entitled to trade any account`);
  if (entitlement.status !== 'active') return refuse(`source: strategy ${strategyId} is revoked`);
  if (!entitlement.accountIds.includes(accountId))
    return refuse(`accountId: strategy ${strategyId} is not entitled to trade account ${accountId}`);
  return null;
}

/** What the applier knows of an execution report's origin (the bus event around it). */
export interface ReportOrigin {
  /** The event's `source`. */
  readonly source: string;
  /** What the report says: the venue, and the venue's id of the order (FIX OrderID). */
  readonly venue: string;
  readonly venueOrderId: string;
}

/** What the OMS itself knows of where it sent the order. */
export interface OrderSentTo {
  /** The venue the order works at (its routing); null when not known (split, or never routed). */
  readonly venue: string | null;
  /** The venue's id of the order once the venue acknowledged it; null before. */
  readonly venueOrderId: string | null;
}

export type ReportRefusalCode = 'untrusted_source' | 'wrong_venue' | 'unknown_venue_order';

export interface ReportRefusal {
  readonly code: ReportRefusalCode;
  readonly message: string;
}

/**
 * Whether an execution report from the bus may be applied to the order. Rules, in order:
 * 1. it must come from the broker gateway's source, `stockbot.venue` (the bus rule admits only it;
 *    a report from anywhere else is refused even if a rule delivered it);
 * 2. it must name the venue the OMS sent the order to, once the OMS knows it;
 * 3. it must name the venue's own id of the order, once the venue has acknowledged it (a replace
 *    keeps the venue's id: the chain's reports all carry it).
 * `sentTo` null: only the source is checked (the order is not read for it, e.g. it does not exist).
 */
export function executionReportRefusal(
  origin: ReportOrigin,
  sentTo: OrderSentTo | null,
): ReportRefusal | null {
  if (origin.source !== VENUE_REPORT_SOURCE)
    return {
      code: 'untrusted_source',
      message: `source: execution reports are taken only from ${VENUE_REPORT_SOURCE}, not ${origin.source}`,
    };
  if (sentTo === null) return null;
  if (sentTo.venue !== null && origin.venue !== sentTo.venue)
    return {
      code: 'wrong_venue',
      message: `venue: the order was sent to ${sentTo.venue}, the report names ${origin.venue}`,
    };
  if (sentTo.venueOrderId !== null && origin.venueOrderId !== sentTo.venueOrderId)
    return {
      code: 'unknown_venue_order',
      message: `venueOrderId: the venue acknowledged the order as ${sentTo.venueOrderId}, the report names ${origin.venueOrderId}`,
    };
  return null;
}
