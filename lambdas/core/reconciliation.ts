/**
 * Reconciliation with the venues (issue 16): what the OMS believes of an order, set against what
 * the venue that works it says (its status query and its executions), decided here, purely. The
 * broker gateway's reconciler (lambdas/broker-gateway/reconcile-venues.ts) asks every venue
 * through the venue port and carries the decisions out.
 *
 * Every difference is a typed break:
 * - `MISSED_FILL`: the venue executed something the OMS never applied (its report was lost, or the
 *   venue never sent one). Repaired by applying the venue's execution under the venue's own exec
 *   id, so the real report arriving later is a duplicate and changes nothing. A fill the venue
 *   shows in its cumulative quantity but not among its executions has no exec id: an operator's.
 * - `FILL_ATTR_MISMATCH`: an execution both sides know by its id, with another quantity or price.
 *   Never repaired automatically: which side is right is an operator's call.
 * - `FILLED_QTY_MISMATCH`: the OMS has applied more than the venue executed. An operator's.
 * - `MISSING_AT_VENUE`: the OMS works an order the venue never heard of (the single-order query
 *   confirms it: the caller asks the venue about this one order before deciding). Repaired by
 *   rejecting the order when nothing of it executed; with fills, an operator's.
 * - `STATUS_MISMATCH`: the venue closed an order the OMS still works (canceled, expired, rejected):
 *   repaired by applying the venue's close, the fills kept; or the venue still works an order the
 *   OMS has closed (a client's cancel the venue never acted on: the worst case, an order live
 *   after the client canceled it): repaired by canceling it at the venue. Anything else (the venue
 *   replaced it unasked, filled it short of its quantity) is an operator's.
 * - `UNKNOWN_AT_OMS`: the venue works an order under an id the OMS has no record of. Not canceled
 *   automatically: the OMS cannot tell whose it is; an operator's.
 * - `POSITION_MISMATCH`: the venue reports positions (a broker does; the simulated venues do not)
 *   that differ from the account's. An operator's.
 *
 * A replacement (FIX cancel/replace) continues its order: the venue's CumQty of it carries the fills
 * of the orders it replaces, and a venue may list their executions under the replacement's ClOrdID
 * too (the simulated venues do; a FIX session's mirror does not). The OMS applied them on the order
 * replaced and the replacement's filled qty carries them (`OrderSubmitted.carriedFilledQty`), with
 * no execution of its own: the caller gives them (`carriedExecutions`, from the replacement's
 * chain), and an execution the chain knows is compared as the order's own, never a `MISSED_FILL`
 * nor counted twice against the venue's CumQty.
 *
 * Not broken: an order in flight. One still `pending_new` (the workflow owns it; but see
 * `unacknowledgedLong`: one the venue's single-order query disowns is MISSING_AT_VENUE), one with a cancel
 * or replace outstanding (the in-flight check, core in-flight.ts, owns it), and one the OMS
 * changed less than the threshold ago (a report may still be on its way). Orders that have no
 * venue order of their own are not compared: an algorithmic or split parent (its children are),
 * a stop the OMS holds, a contingent leg still held.
 */
import type { BreakType } from './break-types.js';
import { formatNanos, type Nanos, parseNanos, signedNanos } from './decimal.js';
import { hasRequestInFlight, IN_FLIGHT_THRESHOLD_MS } from './in-flight.js';
import { type Execution, isSettled, type OrderState } from './order.js';

export { BREAK_REPAIRS, BREAK_TYPES, type BreakRepairKind, type BreakType } from './break-types.js';

/** How long after the OMS last changed an order a difference may still be a report in transit. */
export const RECONCILIATION_THRESHOLD_MS = IN_FLIGHT_THRESHOLD_MS;

/** The cancel reason of an order reconciliation closed because its venue has no record of it. */
export const MISSING_AT_VENUE_REASON = 'missing_at_venue';

/** One execution as the venue recorded it. */
export interface VenueFill {
  readonly execId: string;
  readonly lastQty: string;
  readonly lastPx: string;
  /** ISO instant. */
  readonly transactTime: string;
}

/** The venue's answer to a status query on one order (null: it never heard of it). */
export interface VenueOrderFacts {
  readonly venueOrderId: string;
  readonly status: 'open' | 'filled' | 'canceled' | 'replaced' | 'rejected' | 'expired' | 'unknown';
  /** FIX CumQty at the venue. */
  readonly filledQty: string;
}

export type BreakRepair =
  /** Apply the venue's execution as its report would have been applied (the venue's exec id). */
  | { readonly kind: 'apply_fill'; readonly fill: VenueFill }
  /**
   * Close the order as the venue has (its report lost), keeping its fills: `expired`, or
   * `canceled` with the reason. An order the venue acknowledged cannot be rejected afterwards (FIX
   * 4.4 state matrices: a rejection answers only a new order), so an acknowledged order the venue
   * has lost or rejected is canceled, unsolicited, with the reason saying why.
   */
  | { readonly kind: 'apply_close'; readonly execType: 'canceled' | 'expired'; readonly reason: string }
  /** Cancel the order at the venue: the OMS no longer works it. */
  | { readonly kind: 'cancel_at_venue' }
  /** Not safe to settle automatically: an open break for an operator. */
  | { readonly kind: 'none' };

export interface ReconciliationBreak {
  readonly type: BreakType;
  /** The OMS order id (FIX ClOrdID) the venue knows it by. */
  readonly orderId: string;
  /** Identifies the break on its order: recorded once, however many passes find it. */
  readonly key: string;
  readonly detail: string;
  readonly repair: BreakRepair;
}

export interface OrderReconciliationInput {
  /** The order id (FIX ClOrdID) the venue and the OMS know the order by. */
  readonly orderId: string;
  /** The OMS's order (undefined: the OMS has no record of this id). */
  readonly state: OrderState | undefined;
  /** The venue's status answer for it (null: the venue never heard of it). */
  readonly venue: VenueOrderFacts | null;
  /** The venue's executions of it since the reconciler's last pass. */
  readonly executions: readonly VenueFill[];
  readonly now: number;
  readonly thresholdMs?: number;
  /**
   * A replacement's: the executions the OMS applied on the orders it replaces, back to the first
   * (`carriedExecutionsOf`), by exec id. Its filled qty carries them; the venue may list them under
   * it. Absent: none (not a replacement, or the venue listed no execution it does not know itself).
   */
  readonly carriedExecutions?: ReadonlyMap<string, Execution>;
}

/**
 * Whether the caller must read the replacement's chain (`carriedExecutions`) before deciding: the
 * order replaces another and the venue lists an execution of it the order does not know itself.
 */
export function carriedExecutionsNeeded(state: OrderState, executions: readonly VenueFill[]): boolean {
  return state.replaces !== null && executions.some((f) => !state.executions.has(f.execId));
}

/** The executions of a replacement's chain (the orders it replaces, any order), by exec id. */
export function carriedExecutionsOf(chain: readonly OrderState[]): ReadonlyMap<string, Execution> {
  const out = new Map<string, Execution>();
  for (const s of chain) for (const [execId, e] of s.executions) out.set(execId, e);
  return out;
}

const dec = (text: string): Nanos | null => {
  const v = parseNanos(text);
  return typeof v === 'bigint' ? v : null;
};

/**
 * Whether the order is one to compare now: the venue works it as an order of its own and nothing
 * the OMS is doing about it may still be on its way.
 */
export function reconcilable(
  state: OrderState,
  now: number,
  thresholdMs = RECONCILIATION_THRESHOLD_MS,
): boolean {
  if (state.algo !== null || state.phase === 'held' || state.phase === 'pending_new') return false;
  if (state.phase === 'armed' || (state.armedFor !== null && !state.triggered)) return false;
  return settledFor(state, now, thresholdMs);
}

/** No cancel or replace outstanding, and unchanged at the OMS for at least the threshold. */
function settledFor(state: OrderState, now: number, thresholdMs: number): boolean {
  if (hasRequestInFlight(state)) return false;
  const changed = Date.parse(state.updatedAt);
  return !(Number.isFinite(changed) && now - changed < thresholdMs);
}

/**
 * A `pending_new` order unchanged for the threshold and never acknowledged, with no cancel or
 * replace outstanding: its NewOrderSingle may have been lost with a connection. The workflow waits
 * for its answer until the time in force ends; the reconciler asks the venue about it on its own
 * (a single-order query) and closes it when the venue answers that it has no such order
 * (issue 16: "an order the venue never received is [closed] after a targeted single-order query
 * confirms it"). A venue that has no answer (`null`: maybe not there yet, the request still
 * queued) or lists it changes nothing.
 */
export function unacknowledgedLong(
  state: OrderState,
  now: number,
  thresholdMs = RECONCILIATION_THRESHOLD_MS,
): boolean {
  return state.algo === null && state.phase === 'pending_new' && settledFor(state, now, thresholdMs);
}

/** The breaks of one order (see the module comment for every rule), in the order to act on them. */
export function reconcileOrder(input: OrderReconciliationInput): ReconciliationBreak[] {
  const { state, venue, executions, now } = input;
  if (state === undefined) {
    if (venue === null || venue.status !== 'open') return [];
    return [
      {
        type: 'UNKNOWN_AT_OMS',
        orderId: input.orderId,
        key: `UNKNOWN_AT_OMS|${venue.venueOrderId}`,
        detail: `the venue works order ${input.orderId} (venue order ${venue.venueOrderId}, filled ${venue.filledQty}) that the OMS has no record of`,
        repair: { kind: 'none' },
      },
    ];
  }
  if (unacknowledgedLong(state, now, input.thresholdMs))
    return venue?.status === 'unknown' && executions.length === 0
      ? [
          {
            type: 'MISSING_AT_VENUE',
            orderId: state.orderId,
            key: 'MISSING_AT_VENUE',
            detail: 'the venue has no record of the order the OMS sent it and never saw acknowledged',
            repair: { kind: 'apply_close', execType: 'canceled', reason: MISSING_AT_VENUE_REASON },
          },
        ]
      : [];
  if (!reconcilable(state, now, input.thresholdMs)) return [];
  const orderId = state.orderId;
  const out: ReconciliationBreak[] = [];
  const settled = isSettled(state);

  // Executions, one by one: the venue's exec id is the identity both sides share.
  let missed = 0n;
  for (const fill of executions) {
    // Its own, or carried: applied on an order it replaces, counted in its filled qty already.
    const seen = state.executions.get(fill.execId) ?? input.carriedExecutions?.get(fill.execId);
    const qty = dec(fill.lastQty);
    const px = dec(fill.lastPx);
    if (seen === undefined) {
      const closed = settled;
      // Counted either way: the venue's cumulative quantity includes it.
      if (qty !== null) missed += qty;
      out.push({
        type: 'MISSED_FILL',
        orderId,
        key: `MISSED_FILL|${fill.execId}`,
        detail: `the venue executed ${fill.lastQty} @ ${fill.lastPx} (${fill.execId}) that the OMS never applied${closed ? ' (the order is closed at the OMS)' : ''}`,
        repair: closed || qty === null || px === null ? { kind: 'none' } : { kind: 'apply_fill', fill },
      });
      continue;
    }
    if (!seen.applied) continue; // quarantined: already an operator's (OrderExecutionQuarantined)
    const sameQty = qty !== null && dec(seen.lastQty) === qty;
    const samePx = px !== null && dec(seen.lastPx) === px;
    if (!sameQty || !samePx)
      out.push({
        type: 'FILL_ATTR_MISMATCH',
        orderId,
        key: `FILL_ATTR_MISMATCH|${fill.execId}`,
        detail: `execution ${fill.execId}: the venue has ${fill.lastQty} @ ${fill.lastPx}, the OMS applied ${seen.lastQty} @ ${seen.lastPx}`,
        repair: { kind: 'none' },
      });
  }

  const omsFilled = state.filledQty + missed;
  if (venue === null || venue.status === 'unknown') {
    if (!settled)
      out.push({
        type: 'MISSING_AT_VENUE',
        orderId,
        key: 'MISSING_AT_VENUE',
        detail: `the venue has no record of the order the OMS works${omsFilled === 0n ? ' (nothing of it executed)' : ' (partly filled at the OMS)'}`,
        repair:
          omsFilled === 0n
            ? { kind: 'apply_close', execType: 'canceled', reason: MISSING_AT_VENUE_REASON }
            : { kind: 'none' },
      });
    return out;
  }

  const atVenue = dec(venue.filledQty);
  if (atVenue === null || atVenue < omsFilled) {
    out.push({
      type: 'FILLED_QTY_MISMATCH',
      orderId,
      key: 'FILLED_QTY_MISMATCH',
      detail: `the venue has filled ${venue.filledQty}, the OMS has applied more`,
      repair: { kind: 'none' },
    });
    return out;
  }
  if (atVenue > omsFilled) {
    out.push({
      type: 'MISSED_FILL',
      orderId,
      key: 'MISSED_FILL|cum_qty',
      detail: `the venue has filled ${venue.filledQty}, more than the OMS applied, in executions the venue did not list`,
      repair: { kind: 'none' },
    });
    return out;
  }

  if (settled) {
    if (venue.status === 'open')
      out.push({
        type: 'STATUS_MISMATCH',
        orderId,
        key: 'STATUS_MISMATCH|open_at_venue',
        detail: 'the venue still works an order the OMS has closed',
        repair: { kind: 'cancel_at_venue' },
      });
    return out;
  }
  switch (venue.status) {
    case 'open':
      return out;
    case 'canceled':
    case 'expired':
      out.push({
        type: 'STATUS_MISMATCH',
        orderId,
        key: `STATUS_MISMATCH|${venue.status}`,
        detail: `the venue has ${venue.status} the order the OMS still works`,
        repair: { kind: 'apply_close', execType: venue.status, reason: `venue_${venue.status}` },
      });
      return out;
    case 'rejected':
      out.push({
        type: 'STATUS_MISMATCH',
        orderId,
        key: 'STATUS_MISMATCH|rejected',
        detail: 'the venue has rejected the order the OMS still works',
        repair:
          omsFilled === 0n
            ? { kind: 'apply_close', execType: 'canceled', reason: 'venue_rejected' }
            : { kind: 'none' },
      });
      return out;
    case 'filled': {
      // The missed fills close it; a venue `filled` short of the order's quantity is not an answer.
      if (state.qty === null || omsFilled >= state.qty) return out;
      out.push({
        type: 'STATUS_MISMATCH',
        orderId,
        key: 'STATUS_MISMATCH|filled',
        detail: `the venue shows the order filled at ${venue.filledQty}, short of its quantity`,
        repair: { kind: 'none' },
      });
      return out;
    }
    case 'replaced':
      out.push({
        type: 'STATUS_MISMATCH',
        orderId,
        key: 'STATUS_MISMATCH|replaced',
        detail: 'the venue shows the order replaced; the OMS asked for no replace',
        repair: { kind: 'none' },
      });
      return out;
  }
  return out;
}

/** One account's position in one symbol, signed (short negative), canonical decimal text. */
export interface PositionFact {
  readonly accountId: string;
  readonly symbol: string;
  readonly qty: string;
}

/** A venue's position, with its latest change (ISO; null: undated). */
export interface VenuePositionFact extends PositionFact {
  readonly lastChangeAt: string | null;
}

export interface PositionReconciliationInput {
  /** Every venue's positions (the venues that report them: all of the OMS's, or the check is not made). */
  readonly venues: readonly (readonly VenuePositionFact[])[];
  /** The OMS's positions (its ledgers), non-zero ones. */
  readonly oms: readonly PositionFact[];
  /** Account and symbol pairs with an order the pass could not compare (in flight, failed): `<account>#<symbol>`. */
  readonly unsettled: ReadonlySet<string>;
  readonly now: number;
  readonly thresholdMs?: number;
}

/** A position that differs: the venues' total, the OMS's and the difference (venues - OMS). */
export interface PositionBreak {
  readonly type: 'POSITION_MISMATCH';
  readonly accountId: string;
  readonly symbol: string;
  readonly venueQty: string;
  readonly omsQty: string;
  /** Identifies the break: the same difference found again is the same break. */
  readonly key: string;
  readonly detail: string;
}

const signed = signedNanos;
const signedText = formatNanos;

/**
 * `POSITION_MISMATCH`: per account and symbol, the venues' positions summed (an account trades at
 * several venues) against the OMS's ledger. The position is what the executions add up to, so a
 * difference no order-level break explains is a position booked at the venue outside the OMS (a
 * transfer, a busted trade, a corporate action), or an execution applied on one side only
 * (quarantined at the OMS). Never safe to repair: an operator's (repair `none`).
 *
 * Not compared while it can still be moving: a pair with an order the pass could not compare
 * (`unsettled`), or whose venue position changed within twice the threshold (the execution's report
 * may still be on its way to the OMS's ledger).
 */
export function reconcilePositions(input: PositionReconciliationInput): PositionBreak[] {
  const thresholdMs = input.thresholdMs ?? RECONCILIATION_THRESHOLD_MS;
  const recentFrom = input.now - 2 * thresholdMs;
  const pairs = new Map<
    string,
    { accountId: string; symbol: string; venue: Nanos; oms: Nanos; recent: boolean }
  >();
  const pair = (p: PositionFact) => {
    const key = `${p.accountId}#${p.symbol}`;
    let entry = pairs.get(key);
    if (entry === undefined) {
      entry = { accountId: p.accountId, symbol: p.symbol, venue: 0n, oms: 0n, recent: false };
      pairs.set(key, entry);
    }
    return entry;
  };
  for (const venue of input.venues)
    for (const p of venue) {
      const entry = pair(p);
      entry.venue += signed(p.qty);
      if (p.lastChangeAt !== null && Date.parse(p.lastChangeAt) >= recentFrom) entry.recent = true;
    }
  for (const p of input.oms) pair(p).oms += signed(p.qty);
  const out: PositionBreak[] = [];
  for (const [key, e] of [...pairs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (e.venue === e.oms || e.recent || input.unsettled.has(key)) continue;
    const venueQty = signedText(e.venue);
    const omsQty = signedText(e.oms);
    out.push({
      type: 'POSITION_MISMATCH',
      accountId: e.accountId,
      symbol: e.symbol,
      venueQty,
      omsQty,
      key: `POSITION_MISMATCH#${key}#${venueQty}#${omsQty}`,
      detail: `position in ${e.symbol} of account ${e.accountId}: the venues hold ${venueQty}, the OMS ${omsQty} (difference ${signedText(e.venue - e.oms)})`,
    });
  }
  return out;
}
