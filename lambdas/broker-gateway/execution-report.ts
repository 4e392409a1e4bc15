/**
 * Execution reports: what a venue says about an order (FIX ExecutionReport 35=8 and
 * OrderCancelReject 35=9, flattened), and the one pure mapping onto the order's commands.
 *
 * On the bus: source `stockbot.venue`, detail-type `ExecutionReport`, detail = the report.
 * `execId` is unique per report and stable across redelivery, so the core ignores a repeat.
 */
import * as z from 'zod/mini';
import { formatNanos, nanos, type OrderCommand } from '../core/index.js';
import '../core/zod-messages.js';

export const VENUE_SOURCE = 'stockbot.venue';
export const EXECUTION_REPORT_DETAIL_TYPE = 'ExecutionReport';

export const EXEC_TYPES = [
  'new',
  'rejected',
  'fill',
  'pending_cancel',
  'canceled',
  'cancel_rejected',
  'pending_replace',
  'replaced',
  'replace_rejected',
  'expired',
  'done_for_day',
  'triggered',
  /** A trailing stop's high-water mark moved (`hwm`); the order keeps waiting. */
  'trail_moved',
] as const;
export type ExecType = (typeof EXEC_TYPES)[number];

/** Reasons a venue gives when it refuses a cancel or replace (FIX CxlRejReason 0, 1). */
export const UNKNOWN_ORDER = 'unknown_order';
export const TOO_LATE_TO_CANCEL = 'too_late_to_cancel';

// The schemas below are built once when the module loads, as any constant; the pure IIFE
// around each only lets a bundle that never reads one leave it (and the zod it needs) out:
// esbuild keeps a top-level call otherwise, for side effects it cannot rule out (issue 12).
const decimal = /* @__PURE__ */ (() =>
  z.string().check(z.regex(/^\d{1,20}(\.\d{1,9})?$/, 'must be a plain decimal (<= 9 dp)')))();

export const executionReportSchema = /* @__PURE__ */ (() =>
  z
    .object({
      venue: z.string().check(z.minLength(1)),
      /** The OMS order id (FIX ClOrdID); for a replace, the order being replaced (OrigClOrdID). */
      orderId: z.string().check(z.minLength(1)),
      /**
       * The venue's own id for the order (FIX OrderID); stable across a replace at a FIX venue. A
       * venue that books the replacement as an order of its own (an Alpaca PATCH) names its id with
       * `replaced` (`replacementVenueOrderId`), and the replacement's reports carry that one.
       */
      venueOrderId: z.string().check(z.minLength(1)),
      /** With `replaced`: the replacement's own venue id, when the venue gave it one (Alpaca). */
      replacementVenueOrderId: z.optional(z.string().check(z.minLength(1))),
      /** `<orderId>:<n>`: unique per report, the same on redelivery. */
      execId: z.string().check(z.minLength(1)),
      execType: z.enum(EXEC_TYPES),
      lastQty: z.optional(decimal),
      lastPx: z.optional(decimal),
      /** With `fill`: the venue's fee for it (FIX Commission 12; negative: a rebate). */
      fee: z.optional(
        z
          .string()
          .check(z.regex(/^-?(0|[1-9]\d{0,19})(\.\d{0,8}[1-9])?$/, 'must be a canonical decimal (<= 9 dp)')),
      ),
      /** With `fill`: FIX LastLiquidityInd (851): the order added liquidity (rested) or removed it. */
      liquidity: z.optional(z.enum(['added', 'removed'])),
      triggerPrice: z.optional(decimal),
      /** With `trail_moved`: the new high-water mark. */
      hwm: z.optional(decimal),
      /** The quote when a stop triggered. */
      bid: z.optional(decimal),
      ask: z.optional(decimal),
      /**
       * FIX CumQty after this report (the replace chain's, like the core's `filledQty`). Lets the
       * applier hold a closing report until the fills before it have been applied.
       */
      cumQty: z.optional(decimal),
      reason: z.optional(z.string().check(z.minLength(1))),
      transactTime: z.iso.datetime({ offset: true }),
    })
    .check(
      z.superRefine((r, ctx) => {
        const need = (field: 'lastQty' | 'lastPx' | 'triggerPrice' | 'hwm') => {
          if (r[field] === undefined)
            ctx.addIssue({ code: 'custom', path: [field], message: `required for execType ${r.execType}` });
        };
        if (r.execType === 'fill') {
          need('lastQty');
          need('lastPx');
        }
        if (r.execType === 'triggered') need('triggerPrice');
        if (r.execType === 'trail_moved') need('hwm');
      }),
    ))();

export type ExecutionReport = z.infer<typeof executionReportSchema>;

/** Reports that close the order or move its quantities: they must not overtake earlier fills. */
export const CLOSING_EXEC_TYPES: ReadonlySet<ExecType> = new Set([
  'canceled',
  'replaced',
  'expired',
  'done_for_day',
]);

/**
 * Why `report` must wait for fills of its order the OMS has not applied yet, or null. Its CumQty
 * (the venue's cumulative quantity after it, the replace chain's like the core's `filledQty`) is
 * ahead of what the order has applied (`filledQty`, nanos):
 * - a closing report (canceled, replaced, expired, done_for_day) ahead of the fills: closing first
 *   would quarantine them;
 * - a fill ahead of the fills plus its own quantity: an earlier fill was overtaken on the way (the
 *   bus does not keep order, and a broker's fills may come by its stream and by its REST catch-up
 *   at once); applied now, the order's fills would be recorded out of the venue's order, each
 *   under the other's cumulative quantity.
 * Only while the order is live (`closed` false): a fill after the close or the last fill is the
 * core's to quarantine.
 * A venue that reports no CumQty, or a smaller one (a venue's own share of a routed split), never
 * waits.
 */
export function fillsOvertaken(report: ExecutionReport, filledQty: bigint, closed: boolean): string | null {
  if (report.cumQty === undefined) return null;
  const cum = nanos(report.cumQty);
  if (CLOSING_EXEC_TYPES.has(report.execType) && filledQty < cum)
    return `${report.execId}: ${report.execType} at CumQty ${report.cumQty} overtook its fills`;
  if (
    report.execType === 'fill' &&
    !closed &&
    report.lastQty !== undefined &&
    filledQty + nanos(report.lastQty) < cum
  )
    return `${report.execId}: fill at CumQty ${report.cumQty} overtook an earlier fill (${formatNanos(filledQty)} applied)`;
  return null;
}

/** What the applier knows of the OMS order when it maps a report. */
export interface OrderAtVenue {
  /** The OMS has seen the venue take the order (acknowledged or executed). */
  readonly acceptedByVenue: boolean;
  /** Who asked for the cancel outstanding on the order; null when none is. */
  readonly cancelRequestedBy: string | null;
}

/** The OMS's own cancel after a workflow step failed for good (core `decideException`). */
const EXCEPTION_CANCEL = 'oms';

/** Reports that say the order is live at the venue (booked, executing or trailing). */
export const LIVE_EXEC_TYPES: ReadonlySet<ExecType> = new Set(['new', 'fill', 'triggered', 'trail_moved']);

/**
 * The order command a report stands for.
 *
 * A `cancel_rejected` with reason `unknown_order` for an order the venue never accepted: the venue
 * is the authority on what it holds, and it says it holds no order with this ClOrdID; with no
 * acknowledgement and no execution seen, nothing can have traded. The simulated venue also
 * remembers that answer (a tombstone), so a submission that arrives later is not booked (and a
 * venue that books it anyway is sent a cancel by the applier when its acknowledgement arrives).
 * - A cancel someone asked for (a client, a group, an algorithm) has then succeeded: `confirmCancel`,
 *   so the order ends `canceled` as Alpaca shows it (issue 11: a bot reading `rejected` resubmits).
 * - The OMS's own cancel after a failed submission (`requestedBy: 'oms'`): the order was never
 *   placed, `reject` (`unknown_order`); resubmitting it is right.
 * Once the venue has accepted the order, the same answer is only a refused cancel.
 */
export function commandOf(report: ExecutionReport, order: OrderAtVenue): OrderCommand {
  switch (report.execType) {
    case 'new':
      return { type: 'accept', venueOrderId: report.venueOrderId };
    case 'rejected':
      return { type: 'reject', reason: report.reason ?? 'venue_rejected' };
    case 'fill':
      return {
        type: 'fill',
        execId: report.execId,
        lastQty: report.lastQty as string,
        lastPx: report.lastPx as string,
        venue: report.venue,
        ...(report.fee === undefined ? {} : { fee: report.fee }),
        ...(report.liquidity === undefined ? {} : { liquidity: report.liquidity }),
      };
    case 'pending_cancel':
      return { type: 'acknowledgeCancel' };
    case 'canceled':
      return report.reason === undefined
        ? { type: 'confirmCancel' }
        : { type: 'confirmCancel', reason: report.reason };
    case 'cancel_rejected':
      if (report.reason === UNKNOWN_ORDER && !order.acceptedByVenue) {
        const by = order.cancelRequestedBy;
        if (by !== null && by !== EXCEPTION_CANCEL) return { type: 'confirmCancel' };
        return { type: 'reject', reason: UNKNOWN_ORDER };
      }
      return { type: 'rejectCancel', reason: report.reason ?? 'cancel_rejected' };
    case 'pending_replace':
      return { type: 'acknowledgeReplace' };
    case 'replaced':
      return { type: 'confirmReplace' };
    case 'replace_rejected':
      return { type: 'rejectReplace', reason: report.reason ?? 'replace_rejected' };
    case 'expired':
      return { type: 'expire' };
    case 'done_for_day':
      return { type: 'doneForDay' };
    case 'trail_moved':
      return { type: 'moveTrail', hwm: report.hwm as string };
    case 'triggered': {
      const { triggerPrice, bid, ask } = report;
      return {
        type: 'trigger',
        triggerPrice: triggerPrice as string,
        ...(bid === undefined ? {} : { bid }),
        ...(ask === undefined ? {} : { ask }),
      };
    }
  }
}
