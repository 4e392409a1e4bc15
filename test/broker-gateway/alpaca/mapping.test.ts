import {
  canonicalDecimal,
  closingReportOfOrder,
  EXEC_TYPE_OF_EVENT,
  fillReportOfActivity,
  reportOfTradeUpdate,
  statusReportOf,
} from '../../../lambdas/broker-gateway/alpaca/mapping.js';
import { commandOf, executionReportSchema } from '../../../lambdas/broker-gateway/execution-report.js';
import { decide, evolve, type OrderState } from '../../../lambdas/core/index.js';
import { limitOrder, T0 } from '../../core/order-book.js';
import { ALPACA_ORDER, FILL_ACTIVITY, order, PARTIAL_FILL, update } from './fixtures.js';

const V = 'ALPX';

describe('trade_updates event -> ExecutionReport (Alpaca documented events)', () => {
  test.each([
    ['new', { status: 'new' }, 'new', 'confirm: accept'],
    ['canceled', { status: 'canceled' }, 'canceled', 'confirmCancel'],
    ['expired', { status: 'expired' }, 'expired', 'expire'],
    ['done_for_day', { status: 'done_for_day' }, 'done_for_day', 'doneForDay'],
    ['replaced', { status: 'replaced', replaced_by: 'x' }, 'replaced', 'confirmReplace'],
    ['rejected', { status: 'rejected' }, 'rejected', 'reject'],
    ['pending_cancel', { status: 'pending_cancel' }, 'pending_cancel', 'acknowledgeCancel'],
    ['pending_replace', { status: 'pending_replace' }, 'pending_replace', 'acknowledgeReplace'],
    ['order_cancel_rejected', { status: 'filled', filled_qty: '15' }, 'cancel_rejected', 'rejectCancel'],
    ['order_replace_rejected', { status: 'new' }, 'replace_rejected', 'rejectReplace'],
  ] as const)('%s -> %s', (event, over, execType, command) => {
    const r = reportOfTradeUpdate(V, update(event, over));
    expect(r).not.toBeNull();
    expect(executionReportSchema.safeParse(r).success).toBe(true);
    expect(r).toMatchObject({ venue: V, execType, orderId: 'oms-order-1', venueOrderId: ALPACA_ORDER.id });
    const cmd = commandOf(r as never, { acceptedByVenue: true, cancelRequestedBy: 'client' });
    expect(command).toContain(cmd.type);
  });

  test.each([
    'pending_new',
    'accepted',
    'calculated',
    'stopped',
    'suspended',
    'held',
    'trade_bust',
    'trade_correct',
    'something_new',
  ])('%s is not reported', (event) => {
    expect(reportOfTradeUpdate(V, update(event))).toBeNull();
  });

  test('every documented event has a row', () => {
    expect(Object.keys(EXEC_TYPE_OF_EVENT).sort()).toEqual(
      [
        'accepted',
        'calculated',
        'canceled',
        'done_for_day',
        'expired',
        'fill',
        'held',
        'new',
        'order_cancel_rejected',
        'order_replace_rejected',
        'partial_fill',
        'pending_cancel',
        'pending_new',
        'pending_replace',
        'rejected',
        'replaced',
        'stopped',
        'suspended',
        'trade_bust',
        'trade_correct',
      ].sort(),
    );
  });

  test("a replacement order's own `new` is not reported (the replaced order's `replaced` opens it)", () => {
    expect(reportOfTradeUpdate(V, update('new', { replaces: 'old-id' }))).toBeNull();
  });

  test("`replaced` names the replacement's own Alpaca id (a PATCH makes a new order), streamed or polled alike", () => {
    const over = { status: 'replaced', replaced_by: 'alp-new-2' } as const;
    const streamed = reportOfTradeUpdate(V, update('replaced', over));
    expect(streamed).toMatchObject({ execType: 'replaced', replacementVenueOrderId: 'alp-new-2' });
    expect(executionReportSchema.safeParse(streamed).success).toBe(true);
    expect(closingReportOfOrder(V, order(over))).toMatchObject({
      execId: streamed?.execId,
      replacementVenueOrderId: 'alp-new-2',
    });
    expect(statusReportOf(order(over)).replacedBy).toBe('alp-new-2');
    // Only `replaced` carries it.
    expect(reportOfTradeUpdate(V, update('canceled', { replaced_by: 'alp-new-2' }))).not.toHaveProperty(
      'replacementVenueOrderId',
    );
  });

  test('partial_fill -> fill with the execution price/qty, canonical decimals, cumQty', () => {
    expect(reportOfTradeUpdate(V, PARTIAL_FILL)).toEqual({
      venue: V,
      orderId: 'oms-order-1',
      venueOrderId: ALPACA_ORDER.id,
      execId: `${V}:${ALPACA_ORDER.id}:fill:5`,
      execType: 'fill',
      lastQty: '5',
      lastPx: '106.5',
      cumQty: '5',
      transactTime: PARTIAL_FILL.timestamp,
    });
  });

  test('a fill without price/qty is an error, not a silent zero', () => {
    expect(() => reportOfTradeUpdate(V, update('fill', { filled_qty: '15' }))).toThrow(/without qty\/price/);
  });

  test('refused cancels repeat with distinct execIds; other events are stable', () => {
    const a = reportOfTradeUpdate(
      V,
      update('order_cancel_rejected', {}, { timestamp: '2021-03-16T18:38:03Z' }),
    );
    const b = reportOfTradeUpdate(
      V,
      update('order_cancel_rejected', {}, { timestamp: '2021-03-16T18:38:04Z' }),
    );
    expect(a?.execId).not.toBe(b?.execId);
    expect(reportOfTradeUpdate(V, update('canceled'))?.execId).toBe(
      closingReportOfOrder(V, order({ status: 'canceled' }))?.execId,
    );
  });
});

describe('the stream and the REST polling fallback agree', () => {
  test('the FILL activity of a streamed fill has the same report (same execId)', () => {
    const streamed = reportOfTradeUpdate(V, PARTIAL_FILL);
    const polled = fillReportOfActivity(V, FILL_ACTIVITY, 'oms-order-1');
    expect(polled).toEqual(streamed);
  });

  test.each([
    ['new', null],
    ['partially_filled', null],
    ['pending_cancel', null],
    ['canceled', 'canceled'],
    ['expired', 'expired'],
    ['done_for_day', 'done_for_day'],
    ['replaced', 'replaced'],
    ['rejected', 'rejected'],
  ])('polled order status %s -> closing report %s', (status, execType) => {
    expect(closingReportOfOrder(V, order({ status }))?.execType ?? null).toBe(execType);
  });

  test('the OMS applies a fill delivered by both the stream and the poll once', () => {
    const now = T0;
    const submitted = decide(
      undefined,
      {
        type: 'submit',
        orderId: 'oms-order-1',
        accountId: 'a-1',
        order: limitOrder({ qty: '15', limit_price: '107' }),
      },
      now,
    );
    if (!submitted.ok) throw new Error('submit refused');
    let state = submitted.events.reduce<OrderState | undefined>((s, e) => evolve(s, e), undefined);
    const apply = (r: NonNullable<ReturnType<typeof reportOfTradeUpdate>>) => {
      const d = decide(state, commandOf(r, { acceptedByVenue: true, cancelRequestedBy: null }), now);
      if (!d.ok) throw new Error(d.refusal.message);
      state = d.events.reduce<OrderState | undefined>((s, e) => evolve(s, e), state);
      return d.events.length;
    };
    apply(reportOfTradeUpdate(V, update('new')) as never);
    expect(apply(reportOfTradeUpdate(V, PARTIAL_FILL) as never)).toBeGreaterThan(0);
    expect(apply(fillReportOfActivity(V, FILL_ACTIVITY, 'oms-order-1'))).toBe(0);
    expect(apply(reportOfTradeUpdate(V, PARTIAL_FILL) as never)).toBe(0);
    expect((state as OrderState).filledQty).toBe(5_000_000_000n);
  });
});

describe('status queries', () => {
  test.each([
    ['new', 'open'],
    ['accepted', 'open'],
    ['partially_filled', 'open'],
    ['pending_cancel', 'open'],
    ['held', 'open'],
    ['filled', 'filled'],
    ['canceled', 'canceled'],
    ['replaced', 'replaced'],
    ['rejected', 'rejected'],
    ['expired', 'expired'],
    ['done_for_day', 'expired'],
  ])('order status %s -> %s', (status, expected) => {
    expect(statusReportOf(order({ status, filled_qty: '5.000', filled_avg_price: '106.50' }))).toMatchObject({
      status: expected,
      orderId: 'oms-order-1',
      filledQty: '5',
      avgPrice: '106.5',
      qty: '15',
    });
  });

  test.each([
    ['0', '0'],
    ['007.50', '7.5'],
    ['10.000000000', '10'],
  ])('canonicalDecimal(%s) = %s', (a, b) => {
    expect(canonicalDecimal(a)).toBe(b);
  });
});
