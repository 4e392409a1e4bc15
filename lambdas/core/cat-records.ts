/**
 * The CAT-shaped regulatory export's records (issue 16, docs/compliance.md "CAT-shaped daily
 * export"): ONE pure mapping from an order event of the event store to the Consolidated Audit
 * Trail records it stands for, with CAT's event type codes and field names as the CAT Reporting
 * Technical Specifications for Industry Members (Equities) v4.0.0 r18 (2022-12-16) name them.
 *
 * "CAT-shaped", not a CAT submission: the records carry CAT's names and codes so a firm's CAT
 * submitter can take them over, but the OMS does not know everything CAT asks for (FDID accounts
 * in CAIS, representative order linkage, the firm's IMID per desk), and it writes JSON lines rather
 * than CAT's file naming and compression.
 *
 * What the OMS is, for CAT: an Industry Member that receives its strategies' orders (each a New
 * Order, MENO), routes them to venues (Order Route, MEOR), splits some into child orders (Child
 * Order, MECO: a smart-routed split's children and an algorithm's slices), modifies them (a
 * replace is a new order id with `priorOrderID`: Order Modified, MEOM) and cancels them (Order
 * Canceled, MEOC). Fills are the venues' executions of the orders it routed; the export writes one
 * Trade record (MEOT) per execution the OMS applied, naming the venue as the market centre. Under
 * CAT proper an exchange reports its own executions and an Industry Member reports MEOT only where
 * it executes itself, so a firm filing these records drops the MEOT rows of exchange executions;
 * the OMS keeps them because its audit of the day is incomplete without its fills (decision written
 * in docs/compliance.md).
 *
 * Which events are reportable, and as what, is the table CAT_EVENT_RULES: every event type of the
 * OMS appears there, reportable or not, with the reason.
 */
import type { Contingency, OrderEvent, OrderEventType, OrderRouted, OrderSubmitted } from './events.js';
import type { OrderSpec } from './order-request.js';
import { newYorkIso } from './session.js';

/** The specification the field names and codes follow. */
export const CAT_SPEC_VERSION =
  'CAT Reporting Technical Specifications for Industry Members v4.0.0 r18 (2022-12-16)';

export const CAT_EVENT_TYPES = ['MENO', 'MECO', 'MEOR', 'MEOM', 'MEOC', 'MEOT'] as const;
export type CatEventType = (typeof CAT_EVENT_TYPES)[number];

/** How an OMS event is reported: as which CAT events, or not at all, and why. */
export interface CatEventRule {
  readonly reportable: boolean;
  /** The CAT event types the event may produce (empty when not reportable). */
  readonly catTypes: readonly CatEventType[];
  readonly why: string;
}

/**
 * Every OMS event type, and whether it is a CAT reportable event. The rule text is the spec's
 * section on each event (v4.0.0 r18 section 4: New Order, Order Route, Order Modified, Order
 * Canceled, Child Order, Trade).
 */
export const CAT_EVENT_RULES: Readonly<Record<OrderEventType, CatEventRule>> = {
  OrderSubmitted: {
    reportable: true,
    catTypes: ['MENO', 'MEOM', 'MECO', 'MEOR'],
    why: 'receipt of an order: a New Order (MENO); a replacement is the Order Modified of the order it replaces (MEOM, priorOrderID); a split or algorithm child is a Child Order (MECO); one placed at a venue already (routedTo) is also routed there (MEOR)',
  },
  OrderRouted: {
    reportable: true,
    catTypes: ['MEOR'],
    why: 'the order sent to a venue: an Order Route per allocation the order itself takes (a split allocation is its child order, reported by the child)',
  },
  OrderPartiallyFilled: {
    reportable: true,
    catTypes: ['MEOT'],
    why: 'an execution: a Trade per venue execution (not the mirror of a child fill on its parent)',
  },
  OrderFilled: {
    reportable: true,
    catTypes: ['MEOT'],
    why: 'an execution: a Trade per venue execution (not the mirror of a child fill on its parent)',
  },
  OrderCanceled: {
    reportable: true,
    catTypes: ['MEOC'],
    why: 'the order canceled (in full or its remainder): an Order Canceled with cancelQty and initiator',
  },
  OrderActivated: {
    reportable: false,
    catTypes: [],
    why: 'a held exit going to work: received (MENO) with its entry; reported when it is routed',
  },
  OrderTrailMoved: {
    reportable: false,
    catTypes: [],
    why: "the venue's restated trailing stop: no order change by the firm",
  },
  OrderSliceDecided: {
    reportable: false,
    catTypes: [],
    why: "the algorithm's own schedule; its released child is a Child Order",
  },
  OrderChildClosed: {
    reportable: false,
    catTypes: [],
    why: "the parent's record of its child's end; the child's own events are reported",
  },
  OrderArmed: {
    reportable: false,
    catTypes: [],
    why: 'the OMS holds the stop: nothing leaves the firm until it triggers and is routed',
  },
  OrderAccepted: {
    reportable: false,
    catTypes: [],
    why: "the venue's acknowledgement: the venue reports its own receipt",
  },
  OrderRejected: {
    reportable: false,
    catTypes: [],
    why: 'refused by the OMS or the venue: no route, no modification, no execution',
  },
  OrderTriggered: {
    reportable: false,
    catTypes: [],
    why: "a stop's trigger: a change of state, not of the order's terms",
  },
  OrderExecutionQuarantined: {
    reportable: false,
    catTypes: [],
    why: 'not applied: an exception for an operator, reported if and when applied',
  },
  OrderCancelRequested: {
    reportable: false,
    catTypes: [],
    why: 'a request: the Order Canceled is reported when the cancel happens',
  },
  OrderCancelAcknowledged: {
    reportable: false,
    catTypes: [],
    why: "the venue's pending-cancel acknowledgement",
  },
  OrderCancelRejected: { reportable: false, catTypes: [], why: 'nothing was canceled' },
  OrderReplaceRequested: {
    reportable: false,
    catTypes: [],
    why: "a request: the replacement's OrderSubmitted is the Order Modified",
  },
  OrderReplaceAcknowledged: {
    reportable: false,
    catTypes: [],
    why: "the venue's pending-replace acknowledgement",
  },
  OrderReplaced: {
    reportable: false,
    catTypes: [],
    why: "the old order's end: reported once, as the replacement's Order Modified",
  },
  OrderReplaceRejected: { reportable: false, catTypes: [], why: 'nothing was modified' },
  OrderExpired: {
    reportable: false,
    catTypes: [],
    why: 'ended by its time in force, which the New Order already reported',
  },
  OrderDoneForDay: { reportable: false, catTypes: [], why: 'ended for the day by its time in force' },
  OrderRestated: {
    reportable: false,
    catTypes: [],
    why: "the venue's restatement, not a modification by the firm or its customer",
  },
  OrderExceptionRecorded: { reportable: false, catTypes: [], why: "an operator's record: no order handling" },
  OrderBreakFound: {
    reportable: false,
    catTypes: [],
    why: "reconciliation's record; its repair (a fill, a cancel) is reported as itself",
  },
  OrderExceptionResolved: { reportable: false, catTypes: [], why: "an operator's record: no order handling" },
};

/** What the mapping needs beyond the event: the firm's identifiers and the order's submission. */
export interface CatContext {
  /** The firm's CAT Reporter IMID (`oms:catReporterImid`). */
  readonly reporterImid: string;
  /** The order's account (the event store's `accountId`): CAT's firmDesignatedID. */
  readonly accountId: string;
  /** The order's own OrderSubmitted (its seq 1), for the terms later events do not repeat. */
  readonly submitted: OrderSubmitted;
  /** The submission of the order a replacement replaces (for priorOrderKeyDate), when known. */
  readonly priorSubmitted?: OrderSubmitted;
  /** The submission of a child order's parent (for parentOrderKeyDate), when known. */
  readonly parentSubmitted?: OrderSubmitted;
  /** The order's filled quantity before this event (its earlier fills and carried fills). */
  readonly filledQty?: string;
}

export type CatValue = string | number | boolean | null | CatRecord | readonly CatValue[];
export interface CatRecord {
  readonly [field: string]: CatValue;
}

/**
 * CAT's timestamp text, `YYYYMMDD HHMMSS.CCC`, in Eastern Time (the spec's timestamp format with
 * millisecond precision: the event store keeps milliseconds).
 */
export function catTimestamp(iso: string): string {
  const ms = Date.parse(iso);
  if (!Number.isFinite(ms)) throw new RangeError(`occurredAt ${iso} is not an ISO-8601 instant`);
  const local = newYorkIso(ms); // 2026-12-03T09:30:00.000-05:00
  return `${local.slice(0, 4)}${local.slice(5, 7)}${local.slice(8, 10)} ${local.slice(11, 13)}${local.slice(14, 16)}${local.slice(17, 23)}`;
}

/** CAT side: B buy, SL sell long, SS sell short (an opening sell is short; any other sell is long). */
export function catSide(order: Pick<OrderSpec, 'side' | 'positionIntent'>): 'B' | 'SL' | 'SS' {
  if (order.side === 'buy') return 'B';
  return order.positionIntent === 'sell_to_open' ? 'SS' : 'SL';
}

/** CAT orderType: MKT or LMT; stops carry their trigger in handlingInstructions. */
export function catOrderType(order: Pick<OrderSpec, 'type'>): 'MKT' | 'LMT' {
  return order.type === 'limit' || order.type === 'stop_limit' ? 'LMT' : 'MKT';
}

/**
 * CAT timeInForce (name=value pairs): DAY=<date> for day, opg and cls orders (their auction is a
 * handling instruction), GTC=<date of entry>, IOC, and FOK as IOC with the FOK handling instruction
 * (CAT has no FOK time in force).
 */
export function catTimeInForce(order: Pick<OrderSpec, 'timeInForce'>, keyDate: string): string {
  const date = keyDate.slice(0, 8);
  switch (order.timeInForce) {
    case 'gtc':
      return `GTC=${date}`;
    case 'ioc':
    case 'fok':
      return 'IOC';
    default:
      return `DAY=${date}`;
  }
}

/** CAT handlingInstructions, `|`-separated: stop triggers, auctions, all-or-none of FOK. */
export function catHandlingInstructions(order: OrderSpec): string | null {
  const out: string[] = [];
  if (order.stopPrice !== null) out.push(`Stop=${order.stopPrice}`);
  if (order.type === 'trailing_stop')
    out.push(order.trailPercent !== null ? `TrlStp=${order.trailPercent}%` : `TrlStp=${order.trailPrice}`);
  if (order.timeInForce === 'opg') out.push('OPEN');
  if (order.timeInForce === 'cls') out.push('CLOSE');
  if (order.timeInForce === 'fok') out.push('AON');
  return out.length === 0 ? null : out.join('|');
}

/** REG for regular hours only, ALL when extended hours are allowed. */
export function catTradingSession(order: Pick<OrderSpec, 'extendedHours'>): 'REG' | 'ALL' {
  return order.extendedHours ? 'ALL' : 'REG';
}

function base(type: CatEventType, event: OrderEvent, ctx: CatContext, part = 0) {
  return {
    actionType: 'NEW',
    // Unique for the event date and reporter: the event store's event id, and which of its records.
    firmROEID: `${catTimestamp(event.occurredAt).slice(0, 8)}_${event.orderId}:${event.seq}${part === 0 ? '' : `:${part}`}`,
    type,
    CATReporterIMID: ctx.reporterImid,
    symbol: ctx.submitted.data.order.symbol,
    eventTimestamp: catTimestamp(event.occurredAt),
    manualFlag: false,
  };
}

function orderTerms(order: OrderSpec, keyDate: string, qty: string | null) {
  return {
    side: catSide(order),
    price: order.limitPrice,
    quantity: qty,
    ...(order.notional === null ? {} : { notional: order.notional }),
    orderType: catOrderType(order),
    timeInForce: catTimeInForce(order, keyDate),
    tradingSession: catTradingSession(order),
    handlingInstructions: catHandlingInstructions(order),
  };
}

function routeRecord(
  event: OrderEvent,
  ctx: CatContext,
  route: { venue: string; qty: string | null; price: string | null; routedOrderID: string },
  part: number,
): CatRecord {
  const order = ctx.submitted.data.order;
  const keyDate = catTimestamp(ctx.submitted.occurredAt);
  return {
    ...base('MEOR', event, ctx, part),
    orderKeyDate: keyDate,
    orderID: event.orderId,
    senderIMID: ctx.reporterImid,
    destination: route.venue,
    destinationType: 'E',
    routedOrderID: route.routedOrderID,
    session: route.venue,
    ...orderTerms({ ...order, limitPrice: route.price ?? order.limitPrice }, keyDate, route.qty),
    affiliateFlag: false,
    isoInd: 'NA',
    routeRejectedFlag: false,
  };
}

function isChild(c: Contingency | undefined): c is Contingency {
  return c?.role === 'algo_child';
}

function submittedRecords(event: OrderSubmitted, ctx: CatContext): CatRecord[] {
  const order = event.data.order;
  const keyDate = catTimestamp(event.occurredAt);
  const common = {
    orderKeyDate: keyDate,
    orderID: event.orderId,
    ...orderTerms(order, keyDate, order.qty),
  };
  const out: CatRecord[] = [];
  const contingency = event.data.contingency;
  if (event.data.replaces !== null) {
    out.push({
      ...base('MEOM', event, ctx),
      ...common,
      priorOrderKeyDate:
        ctx.priorSubmitted === undefined ? null : catTimestamp(ctx.priorSubmitted.occurredAt),
      priorOrderID: event.data.replaces,
      initiator: 'C',
      leavesQty: order.qty === null ? null : subtractText(order.qty, event.data.carriedFilledQty),
      deptType: 'A',
    });
  } else if (isChild(contingency)) {
    out.push({
      ...base('MECO', event, ctx),
      ...common,
      parentOrderKeyDate:
        ctx.parentSubmitted === undefined ? null : catTimestamp(ctx.parentSubmitted.occurredAt),
      parentOrderID: contingency.parentOrderId,
      deptType: 'A',
    });
  } else {
    out.push({
      ...base('MENO', event, ctx),
      ...common,
      deptType: 'A',
      firmDesignatedID: ctx.accountId,
      accountHolderType: 'P',
      representativeInd: 'N',
      affiliateFlag: false,
      solicitationFlag: false,
      custDspIntrFlag: false,
    });
  }
  if (event.data.routedTo !== undefined) {
    out.push(
      routeRecord(
        event,
        ctx,
        { venue: event.data.routedTo, qty: order.qty, price: order.limitPrice, routedOrderID: event.orderId },
        1,
      ),
    );
  }
  return out;
}

function routedRecords(event: OrderRouted, ctx: CatContext): CatRecord[] {
  return event.data.allocations
    .filter((a) => a.childOrderId === null)
    .map((a, i) =>
      routeRecord(
        event,
        ctx,
        { venue: a.venue, qty: a.qty, price: a.limitPrice, routedOrderID: event.orderId },
        i,
      ),
    );
}

/** What the cancel took off: the order's quantity less its fills (null for a notional order). */
function canceledQty(ctx: CatContext): string | null {
  const qty = ctx.submitted.data.order.qty;
  return qty === null ? null : subtractText(qty, ctx.filledQty ?? ctx.submitted.data.carriedFilledQty);
}

/** a - b for canonical decimal text (exact: scaled BigInt). */
function subtractText(a: string, b: string): string {
  const scale = Math.max(decimals(a), decimals(b));
  const v = toScaled(a, scale) - toScaled(b, scale);
  return fromScaled(v, scale);
}
const decimals = (s: string) => (s.includes('.') ? (s.split('.')[1] as string).length : 0);
function toScaled(s: string, scale: number): bigint {
  const neg = s.startsWith('-');
  const [i, f = ''] = (neg ? s.slice(1) : s).split('.');
  const v = BigInt(`${i}${f.padEnd(scale, '0')}`);
  return neg ? -v : v;
}
function fromScaled(v: bigint, scale: number): string {
  const neg = v < 0n;
  const digits = (neg ? -v : v).toString().padStart(scale + 1, '0');
  const int = digits.slice(0, digits.length - scale);
  const frac = scale === 0 ? '' : digits.slice(digits.length - scale).replace(/0+$/, '');
  return `${neg ? '-' : ''}${int}${frac === '' ? '' : `.${frac}`}`;
}

/**
 * The CAT records of one order event, in order (empty when it is not reportable: CAT_EVENT_RULES).
 * Pure: the same event and context always give the same records, so the export can be recomputed
 * from the event store and compared byte for byte.
 */
export function catRecordsOf(event: OrderEvent, ctx: CatContext): CatRecord[] {
  if (!CAT_EVENT_RULES[event.type].reportable) return [];
  switch (event.type) {
    case 'OrderSubmitted':
      return submittedRecords(event, ctx);
    case 'OrderRouted':
      return routedRecords(event, ctx);
    case 'OrderPartiallyFilled':
    case 'OrderFilled': {
      // A parent's mirror of its child's fill: the child's own fill is the trade.
      if (event.data.childOrderId !== undefined) return [];
      const order = ctx.submitted.data.order;
      const side = catSide(order);
      const details = {
        orderKeyDate: catTimestamp(ctx.submitted.occurredAt),
        orderID: event.orderId,
        side,
        capacity: 'A',
        tradingSession: catTradingSession(order),
      };
      return [
        {
          ...base('MEOT', event, ctx),
          tradeKeyDate: catTimestamp(event.occurredAt),
          tradeID: event.data.execId,
          quantity: event.data.lastQty,
          price: event.data.lastPx,
          capacity: 'A',
          tapeTradeID: null,
          marketCenterID: event.data.venue,
          sideDetailsInd: side === 'B' ? 'BUY' : 'SELL',
          ...(side === 'B' ? { buyDetails: details } : { sellDetails: details }),
        },
      ];
    }
    case 'OrderCanceled': {
      return [
        {
          ...base('MEOC', event, ctx),
          orderKeyDate: catTimestamp(ctx.submitted.occurredAt),
          orderID: event.orderId,
          cancelQty: canceledQty(ctx),
          leavesQty: '0',
          // A cancel the client asked for is the customer's; any other (expiry at the venue, the
          // OMS's own: kill switch, a failed route) is the firm's.
          initiator: event.data.solicited ? 'C' : 'F',
        },
      ];
    }
    default:
      return [];
  }
}
