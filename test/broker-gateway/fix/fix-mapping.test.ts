/**
 * The FIX 4.4 <-> OMS mapping (lambdas/broker-gateway/fix/fix-mapping.ts) as tables: every ExecType
 * to the report the OMS applies (or none), OrdStatus to the status queries' answer, the cancel
 * rejects, and the messages sent for the Venue port's calls.
 */
import { commandOf, executionReportSchema } from '../../../lambdas/broker-gateway/execution-report.js';
import {
  CANCEL_SUFFIX,
  cancelRejectOf,
  decimalOf,
  EXEC_TYPE_OF,
  executionReportOf,
  newOrderSingleOf,
  ORD_STATUS_OF,
  orderCancelReplaceRequestOf,
  orderCancelRequestOf,
  replacedTerms,
  type SentTerms,
  unsendableReason,
} from '../../../lambdas/broker-gateway/fix/fix-mapping.js';
import { venueOrder } from '../venue-order.js';

const AT = '2026-12-04T15:00:00.000Z';
const base = {
  OrderID: 'V7',
  ClOrdID: 'o-1',
  ExecID: 'E9',
  OrdStatus: '0',
  Side: '1',
  CumQty: 0,
  LeavesQty: 10,
  AvgPx: 0,
  TransactTime: new Date('2026-12-04T14:59:59.123Z'),
};

describe('ExecType (150) -> the OMS report and command', () => {
  test.each([
    ['0', { OrdStatus: '0' }, 'new', 'accept'],
    ['F', { OrdStatus: '1', LastQty: 4, LastPx: 101.25, CumQty: 4, AvgPx: 101.25 }, 'fill', 'fill'],
    ['1', { OrdStatus: '1', LastQty: 4, LastPx: 101.25, CumQty: 4 }, 'fill', 'fill'],
    ['2', { OrdStatus: '2', LastQty: 10, LastPx: 101.25, CumQty: 10 }, 'fill', 'fill'],
    ['3', { OrdStatus: '3', CumQty: 2 }, 'done_for_day', 'doneForDay'],
    [
      '4',
      { OrdStatus: '4', ClOrdID: `o-1${CANCEL_SUFFIX}`, OrigClOrdID: 'o-1' },
      'canceled',
      'confirmCancel',
    ],
    ['5', { OrdStatus: '0', ClOrdID: 'o-2', OrigClOrdID: 'o-1' }, 'replaced', 'confirmReplace'],
    [
      '6',
      { OrdStatus: '6', ClOrdID: `o-1${CANCEL_SUFFIX}`, OrigClOrdID: 'o-1' },
      'pending_cancel',
      'acknowledgeCancel',
    ],
    ['8', { OrdStatus: '8', OrdRejReason: '1' }, 'rejected', 'reject'],
    ['C', { OrdStatus: 'C' }, 'expired', 'expire'],
    ['E', { OrdStatus: 'E', ClOrdID: 'o-2', OrigClOrdID: 'o-1' }, 'pending_replace', 'acknowledgeReplace'],
    ['L', { OrdStatus: '0', StopPx: 99.5 }, 'triggered', 'trigger'],
  ])('ExecType %s -> %s', (execType, extra, expected, command) => {
    const report = executionReportOf('FIXA', { ...base, ExecType: execType, ...extra }, AT, 12);
    expect(report?.execType).toBe(expected);
    // Every mapped report passes the bus schema the applier parses with, and maps to a command.
    expect(executionReportSchema.safeParse(report).success).toBe(true);
    if (report === null) throw new Error('unmapped');
    expect(report.orderId).toBe('o-1');
    expect(report.execId).toBe('E9:12');
    expect(commandOf(report, { acceptedByVenue: true, cancelRequestedBy: 'client' }).type).toBe(command);
  });

  test.each(['7', '9', 'A', 'B', 'D', 'G', 'H', 'I'])('ExecType %s is not applied (null)', (execType) => {
    expect(EXEC_TYPE_OF[execType]).toBeNull();
    expect(executionReportOf('FIXA', { ...base, ExecType: execType }, AT, 3)).toBeNull();
  });

  test('a fill carries quantities as exact decimals, the fee and the liquidity flag', () => {
    const r = executionReportOf(
      'FIXA',
      {
        ...base,
        ExecType: 'F',
        OrdStatus: '1',
        LastQty: 0.5,
        LastPx: 187.1234,
        CumQty: 1.5,
        CommissionData: { Commission: -0.0025 },
        LastLiquidityInd: '1',
      },
      AT,
    );
    expect(r).toMatchObject({
      lastQty: '0.5',
      lastPx: '187.1234',
      cumQty: '1.5',
      fee: '-0.0025',
      liquidity: 'added',
      transactTime: '2026-12-04T14:59:59.123Z',
      venueOrderId: 'V7',
    });
  });

  test('a reject names its reason (OrdRejReason, else Text); a missing TransactTime is the receipt time', () => {
    const { TransactTime: _, ...noTime } = base;
    expect(
      executionReportOf('FIXA', { ...noTime, ExecType: '8', OrdStatus: '8', OrdRejReason: '2' }, AT),
    ).toMatchObject({
      reason: 'exchange_closed',
      transactTime: AT,
    });
    expect(
      executionReportOf('FIXA', { ...base, ExecType: '8', OrdStatus: '8', Text: 'halted' }, AT)?.reason,
    ).toBe('halted');
  });
});

describe('OrdStatus (39) -> the status queries answer', () => {
  test.each([
    ['0', 'open'],
    ['1', 'open'],
    ['2', 'filled'],
    ['3', 'expired'],
    ['4', 'canceled'],
    ['5', 'replaced'],
    ['6', 'open'],
    ['8', 'rejected'],
    ['A', 'open'],
    ['C', 'expired'],
    ['E', 'open'],
  ])('OrdStatus %s -> %s', (s, status) => {
    expect(ORD_STATUS_OF[s]).toBe(status);
  });
});

describe('OrderCancelReject (35=9)', () => {
  test.each([
    ['1', '1', 'cancel_rejected', 'unknown_order'],
    ['1', '0', 'cancel_rejected', 'too_late_to_cancel'],
    ['2', '0', 'replace_rejected', 'too_late_to_cancel'],
    ['2', '1', 'replace_rejected', 'unknown_order'],
  ])('CxlRejResponseTo %s, CxlRejReason %s -> %s %s', (to, reason, execType, why) => {
    const r = cancelRejectOf(
      'FIXA',
      {
        OrderID: 'NONE',
        ClOrdID: 'x',
        OrigClOrdID: 'o-1',
        OrdStatus: '8',
        CxlRejResponseTo: to,
        CxlRejReason: reason,
      },
      AT,
      40,
    );
    expect(r).toMatchObject({
      execType,
      reason: why,
      orderId: 'o-1',
      venueOrderId: 'o-1',
      execId: 'cxlrej:x:40',
    });
    expect(executionReportSchema.safeParse(r).success).toBe(true);
  });

  test('unknown_order on an order the venue never acknowledged confirms a client cancel (commandOf)', () => {
    const r = cancelRejectOf(
      'FIXA',
      { OrderID: 'NONE', ClOrdID: 'x', OrigClOrdID: 'o-1', CxlRejResponseTo: '1', CxlRejReason: '1' },
      AT,
    );
    expect(commandOf(r, { acceptedByVenue: false, cancelRequestedBy: 'client' }).type).toBe('confirmCancel');
  });
});

describe('messages sent', () => {
  const order = venueOrder({
    accountId: 'acc',
    symbol: 'MSFT',
    side: 'sell',
    type: 'stop_limit',
    timeInForce: 'gtc',
    qty: '12.5',
    limitPrice: '410.5',
    stopPrice: '411',
  });

  test('NewOrderSingle carries the terms in FIX codes', () => {
    expect(newOrderSingleOf(order, new Date(AT))).toMatchObject({
      ClOrdID: 'o-1',
      Account: 'acc',
      Instrument: { Symbol: 'MSFT' },
      Side: '2',
      OrderQtyData: { OrderQty: 12.5 },
      OrdType: '4',
      Price: 410.5,
      StopPx: 411,
      TimeInForce: '1',
    });
  });

  test.each([
    [{ type: 'trailing_stop' }, 'unsupported_order_type'],
    [{ qty: null, notional: '100' }, 'notional_not_supported'],
    [{}, null],
  ] as const)('unsendable %j -> %s', (over, why) => {
    expect(unsendableReason({ ...order, ...over })).toBe(why);
  });

  test('cancel and replace: fresh ClOrdIDs, OrigClOrdID the order, the venue OrderID when known', () => {
    const terms: SentTerms = {
      orderId: 'o-1',
      accountId: 'acc',
      symbol: 'MSFT',
      side: 'sell',
      type: 'limit',
      timeInForce: 'day',
      qty: '10',
      limitPrice: '400',
      stopPrice: null,
      venueOrderId: 'V3',
    };
    expect(orderCancelRequestOf(terms, new Date(AT))).toMatchObject({
      OrigClOrdID: 'o-1',
      ClOrdID: `o-1${CANCEL_SUFFIX}`,
      OrderID: 'V3',
    });
    const next = replacedTerms(terms, 'o-2', { qty: '6', limitPrice: '401' });
    expect(orderCancelReplaceRequestOf(terms, next, new Date(AT))).toMatchObject({
      OrigClOrdID: 'o-1',
      ClOrdID: 'o-2',
      OrderID: 'V3',
      OrderQtyData: { OrderQty: 6 },
      Price: 401,
      OrdType: '2',
    });
  });

  test.each([
    [0.1, '0.1'],
    [100, '100'],
    [1e-9, '0.000000001'],
    [-0.5, '-0.5'],
    ['12.30', '12.3'],
    [undefined, undefined],
  ])('decimalOf(%p) = %p', (v, out) => {
    expect(decimalOf(v)).toBe(out);
  });
});
