/**
 * FIX 4.4 <-> the OMS's venue contract, pure (no I/O, no clock): the messages the session sends for
 * the Venue port's calls, and what an inbound ExecutionReport (35=8) or OrderCancelReject (35=9)
 * means as the OMS's `ExecutionReport` (docs/venues.md has the table).
 *
 * Objects are in the shape the FIX engine (jspurefix, the QuickFIX FIX44 dictionary) encodes and
 * decodes: field names, components (`Instrument`, `OrderQtyData`, `CommissionData`) nested.
 *
 * ClOrdIDs: a new order's is the OMS order id; a replace's is the replacement's OMS order id; a
 * cancel request's is the order id with CANCEL_SUFFIX (FIX wants a fresh ClOrdID per request, and
 * the venue echoes it on the cancel's reports: the suffix maps them back to the order).
 */
import type { ReplaceChanges } from '../../core/index.js';
import {
  type ExecType,
  type ExecutionReport,
  TOO_LATE_TO_CANCEL,
  UNKNOWN_ORDER,
} from '../execution-report.js';
import type { VenueOrder, VenueOrderStatusReport } from '../venue.js';

export const CANCEL_SUFFIX = '~cxl';

export const MSG = {
  newOrderSingle: 'D',
  orderCancelRequest: 'F',
  orderCancelReplaceRequest: 'G',
  orderStatusRequest: 'H',
  orderMassStatusRequest: 'AF',
  executionReport: '8',
  orderCancelReject: '9',
} as const;

/** FIX Side (54). */
const SIDE = { buy: '1', sell: '2' } as const;
/** FIX OrdType (40); a trailing stop has no plain FIX 4.4 OrdType (it needs PegInstructions): not sent. */
const ORD_TYPE: Record<string, string | undefined> = { market: '1', limit: '2', stop: '3', stop_limit: '4' };
/** FIX TimeInForce (59). */
const TIME_IN_FORCE: Record<string, string> = { day: '0', gtc: '1', opg: '2', ioc: '3', fok: '4', cls: '7' };

type Loose = Record<string, unknown>;

/** Why an order cannot be expressed in FIX 4.4 here (the session answers `rejected` with it), or null. */
export function unsendableReason(order: Pick<VenueOrder, 'type' | 'qty' | 'timeInForce'>): string | null {
  if (ORD_TYPE[order.type] === undefined) return 'unsupported_order_type';
  if (TIME_IN_FORCE[order.timeInForce] === undefined) return 'unsupported_time_in_force';
  if (order.qty === null) return 'notional_not_supported';
  return null;
}

/** NewOrderSingle (35=D) for a venue order (check `unsendableReason` first). */
export function newOrderSingleOf(order: VenueOrder, transactTime: Date): Loose {
  return {
    ClOrdID: order.orderId,
    Account: order.accountId,
    HandlInst: '1',
    Instrument: { Symbol: order.symbol },
    Side: SIDE[order.side],
    TransactTime: transactTime,
    OrderQtyData: { OrderQty: Number(order.qty) },
    OrdType: ORD_TYPE[order.type],
    ...(order.limitPrice === null ? {} : { Price: Number(order.limitPrice) }),
    ...(order.stopPrice === null ? {} : { StopPx: Number(order.stopPrice) }),
    TimeInForce: TIME_IN_FORCE[order.timeInForce],
  };
}

/** The terms the session remembers of an order it sent (to build its cancel and replace). */
export interface SentTerms {
  readonly orderId: string;
  readonly accountId: string;
  readonly symbol: string;
  readonly side: 'buy' | 'sell';
  readonly type: string;
  readonly timeInForce: string;
  readonly qty: string;
  readonly limitPrice: string | null;
  readonly stopPrice: string | null;
  readonly venueOrderId: string | null;
}

/** OrderCancelRequest (35=F). */
export function orderCancelRequestOf(terms: SentTerms, transactTime: Date): Loose {
  return {
    OrigClOrdID: terms.orderId,
    ClOrdID: `${terms.orderId}${CANCEL_SUFFIX}`,
    ...(terms.venueOrderId === null ? {} : { OrderID: terms.venueOrderId }),
    Account: terms.accountId,
    Instrument: { Symbol: terms.symbol },
    Side: SIDE[terms.side],
    TransactTime: transactTime,
    OrderQtyData: { OrderQty: Number(terms.qty) },
  };
}

/** The terms after a replace: the changes over the current terms. */
export function replacedTerms(
  terms: SentTerms,
  replacementOrderId: string,
  changes: ReplaceChanges,
): SentTerms {
  return {
    ...terms,
    orderId: replacementOrderId,
    qty: changes.qty ?? terms.qty,
    limitPrice: changes.limitPrice ?? terms.limitPrice,
    stopPrice: changes.stopPrice ?? terms.stopPrice,
    timeInForce: changes.timeInForce ?? terms.timeInForce,
  };
}

/** OrderCancelReplaceRequest (35=G): `next` is `replacedTerms(...)`. */
export function orderCancelReplaceRequestOf(current: SentTerms, next: SentTerms, transactTime: Date): Loose {
  return {
    ...(current.venueOrderId === null ? {} : { OrderID: current.venueOrderId }),
    OrigClOrdID: current.orderId,
    ClOrdID: next.orderId,
    Account: next.accountId,
    HandlInst: '1',
    Instrument: { Symbol: next.symbol },
    Side: SIDE[next.side],
    TransactTime: transactTime,
    OrderQtyData: { OrderQty: Number(next.qty) },
    OrdType: ORD_TYPE[next.type],
    ...(next.limitPrice === null ? {} : { Price: Number(next.limitPrice) }),
    ...(next.stopPrice === null ? {} : { StopPx: Number(next.stopPrice) }),
    TimeInForce: TIME_IN_FORCE[next.timeInForce] ?? '0',
  };
}

/** OrderStatusRequest (35=H) for one order. */
export function orderStatusRequestOf(
  terms: Pick<SentTerms, 'orderId' | 'symbol' | 'side'>,
  reqId: string,
): Loose {
  return {
    ClOrdID: terms.orderId,
    OrdStatusReqID: reqId,
    Instrument: { Symbol: terms.symbol },
    Side: SIDE[terms.side],
  };
}

/** OrderMassStatusRequest (35=AF), MassStatusReqType 7: every order of this session. */
export function orderMassStatusRequestOf(reqId: string): Loose {
  return { MassStatusReqID: reqId, MassStatusReqType: 7 };
}

/**
 * FIX ExecType (150) -> the OMS's exec type. `null`: the report is not an order event the OMS
 * applies (I = an order status answer, A pending new, 9 suspended, D restated, B calculated,
 * G/H trade correct/cancel: the session logs them; status answers refresh the mirror).
 * 1 and 2 (FIX 4.2's partial fill / fill) are read as F (trade), as many 4.4 venues still send them.
 */
export const EXEC_TYPE_OF: Readonly<Record<string, ExecType | null>> = {
  '0': 'new',
  '1': 'fill',
  '2': 'fill',
  F: 'fill',
  '3': 'done_for_day',
  '4': 'canceled',
  '5': 'replaced',
  '6': 'pending_cancel',
  '8': 'rejected',
  C: 'expired',
  E: 'pending_replace',
  /** FIX 5.0's "Triggered or activated by system", sent by 4.4 venues as an extension. */
  L: 'triggered',
  '7': null,
  '9': null,
  A: null,
  B: null,
  D: null,
  G: null,
  H: null,
  I: null,
};

/** FIX OrdStatus (39) -> the status a status query answers. */
export const ORD_STATUS_OF: Readonly<Record<string, VenueOrderStatusReport['status']>> = {
  '0': 'open',
  '1': 'open',
  '2': 'filled',
  '3': 'expired',
  '4': 'canceled',
  '5': 'replaced',
  '6': 'open',
  '7': 'open',
  '8': 'rejected',
  '9': 'open',
  A: 'open',
  B: 'open',
  C: 'expired',
  D: 'open',
  E: 'open',
};

/** FIX OrdRejReason (103) -> the OMS's reject reason. */
const ORD_REJ_REASON: Readonly<Record<string, string>> = {
  '0': 'broker_option',
  '1': 'unknown_symbol',
  '2': 'exchange_closed',
  '3': 'order_exceeds_limit',
  '4': 'too_late_to_enter',
  '5': 'unknown_order',
  '6': 'duplicate_order',
  '11': 'unsupported_order_characteristic',
  '13': 'incorrect_quantity',
  '99': 'other',
};

const str = (v: unknown): string | undefined => (v === undefined || v === null ? undefined : String(v));

/** A FIX number as a canonical decimal (at most 9 dp; no exponent), or undefined. */
export function decimalOf(v: unknown): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  const n = typeof v === 'number' ? v : Number(v);
  if (!Number.isFinite(n)) return undefined;
  const fixed = Math.abs(n)
    .toFixed(9)
    .replace(/\.?0+$/, '');
  return n < 0 && fixed !== '0' ? `-${fixed}` : fixed;
}

const isoOf = (v: unknown, fallback: string): string => {
  if (v instanceof Date && !Number.isNaN(v.getTime())) return v.toISOString();
  if (typeof v === 'string' && !Number.isNaN(Date.parse(v))) return new Date(v).toISOString();
  return fallback;
};

/** The OMS order id a report is about (see the file's note on ClOrdIDs). */
export function omsOrderIdOf(execType: ExecType, clOrdId: string, origClOrdId: string | undefined): string {
  if ((execType === 'replaced' || execType === 'pending_replace') && origClOrdId !== undefined)
    return origClOrdId;
  if (clOrdId.endsWith(CANCEL_SUFFIX)) return origClOrdId ?? clOrdId.slice(0, -CANCEL_SUFFIX.length);
  return clOrdId;
}

/**
 * The OMS execId of an inbound message: `<ExecID>:<MsgSeqNum>`. A resend (PossDupFlag) keeps
 * both, so the OMS applies the repeat once; the sequence number also orders the reports of one
 * millisecond in the applier (`reportSequence` reads the number after the last colon).
 */
export function execIdOf(execId: string, seqNum: number | undefined): string {
  return seqNum === undefined || !Number.isSafeInteger(seqNum) || seqNum <= 0
    ? execId
    : `${execId}:${seqNum}`;
}

/**
 * An inbound ExecutionReport (35=8) as the OMS's report; null for one the OMS does not apply
 * (`EXEC_TYPE_OF`). `receivedAt` stands in for a missing TransactTime; `seqNum` is the message's
 * MsgSeqNum (`execIdOf`).
 */
export function executionReportOf(
  venue: string,
  er: Loose,
  receivedAt: string,
  seqNum?: number,
): ExecutionReport | null {
  const execType = EXEC_TYPE_OF[String(er.ExecType)];
  if (execType === undefined || execType === null) return null;
  const clOrdId = str(er.ClOrdID) ?? '';
  const orderId = omsOrderIdOf(execType, clOrdId, str(er.OrigClOrdID));
  const commission = (er.CommissionData as Loose | undefined)?.Commission;
  const text = str(er.Text);
  const rejReason = str(er.OrdRejReason);
  const reason =
    execType === 'rejected'
      ? ((rejReason === undefined ? undefined : ORD_REJ_REASON[rejReason]) ?? text ?? 'venue_rejected')
      : text;
  const report: Record<string, unknown> = {
    venue,
    orderId,
    venueOrderId: str(er.OrderID) ?? orderId,
    execId: execIdOf(str(er.ExecID) ?? '', seqNum),
    execType,
    cumQty: decimalOf(er.CumQty),
    transactTime: isoOf(er.TransactTime, receivedAt),
  };
  if (execType === 'fill') {
    report.lastQty = decimalOf(er.LastQty);
    report.lastPx = decimalOf(er.LastPx);
    const fee = decimalOf(commission);
    if (fee !== undefined) report.fee = fee;
    const liq = str(er.LastLiquidityInd);
    if (liq === '1') report.liquidity = 'added';
    if (liq === '2') report.liquidity = 'removed';
  }
  if (execType === 'triggered') report.triggerPrice = decimalOf(er.StopPx);
  if (reason !== undefined && execType !== 'fill' && execType !== 'new') report.reason = reason;
  for (const k of Object.keys(report)) if (report[k] === undefined) delete report[k];
  return report as unknown as ExecutionReport;
}

/**
 * An inbound OrderCancelReject (35=9) as `cancel_rejected` / `replace_rejected` (CxlRejResponseTo
 * 1 / 2). CxlRejReason 1 (unknown order) is `unknown_order`, 0 (too late) `too_late_to_cancel`,
 * else the Text. The execId is `cxlrej:<ClOrdID>:<MsgSeqNum>` (stable on a resend).
 */
export function cancelRejectOf(
  venue: string,
  rej: Loose,
  receivedAt: string,
  seqNum?: number,
): ExecutionReport {
  const to = str(rej.CxlRejResponseTo);
  const execType: ExecType = to === '2' ? 'replace_rejected' : 'cancel_rejected';
  const code = str(rej.CxlRejReason);
  const reason =
    code === '1'
      ? UNKNOWN_ORDER
      : code === '0'
        ? TOO_LATE_TO_CANCEL
        : (str(rej.Text) ?? `${execType}_by_venue`);
  const clOrdId = str(rej.ClOrdID) ?? '';
  const orderId = str(rej.OrigClOrdID) ?? omsOrderIdOf(execType, clOrdId, undefined);
  const venueOrderId = str(rej.OrderID);
  return {
    venue,
    orderId,
    venueOrderId: venueOrderId === undefined || venueOrderId === 'NONE' ? orderId : venueOrderId,
    execId: execIdOf(`cxlrej:${clOrdId}`, seqNum),
    execType,
    reason,
    transactTime: isoOf(rej.TransactTime, receivedAt),
  };
}

/** A status answer (ExecType I, or any report) as the mirror's status of the order. */
export function statusOf(er: Loose): VenueOrderStatusReport['status'] {
  return ORD_STATUS_OF[String(er.OrdStatus)] ?? 'open';
}
