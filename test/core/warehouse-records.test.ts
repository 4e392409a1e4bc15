import {
  WAREHOUSE_COLUMNS,
  WAREHOUSE_TABLES,
  type WarehouseBusEvent,
  warehouseRowOf,
  warehouseRowsOf,
} from '../../lambdas/core/warehouse-records.js';

const metadata = {
  eventId: 'o-1:1',
  orderId: 'o-1',
  accountId: 'acct-1',
  seq: 1,
  schemaVersion: 1,
  occurredAt: '2026-03-02T14:31:05.123Z',
  correlationId: 'corr-1',
  causationId: 'cause-1',
};
const bus = (detailType: string, data: unknown, meta: Partial<typeof metadata> = {}): WarehouseBusEvent => ({
  source: 'stockbot.oms',
  'detail-type': detailType,
  detail: { metadata: { ...metadata, ...meta }, data },
});

const submitted = bus('OrderSubmitted', {
  accountId: 'acct-1',
  clientOrderId: 'bot-42',
  order: {
    symbol: 'AAPL',
    qty: '10',
    notional: null,
    side: 'buy',
    type: 'limit',
    timeInForce: 'day',
    limitPrice: '187.25',
    stopPrice: null,
    trailPrice: null,
    trailPercent: null,
    extendedHours: false,
    clientOrderId: 'bot-42',
    orderClass: 'simple',
    takeProfit: null,
    stopLoss: null,
    positionIntent: null,
    advancedInstructions: {
      algorithm: 'TWAP',
      displayQty: null,
      startTime: null,
      endTime: null,
      maxPercentage: null,
    },
  },
  replaces: null,
  carriedFilledQty: '0',
  carriedFilledValue: '0',
});
const fill = (type: string, extra: Record<string, unknown> = {}) =>
  bus(
    type,
    {
      execId: 'o-1:1',
      lastQty: '4',
      lastPx: '187.2',
      venue: 'SIMX',
      filledQty: '10',
      leavesQty: '0',
      filledAvgPrice: '187.21',
      ...extra,
    },
    { eventId: 'o-1:3', seq: 3 },
  );

describe('warehouseRowOf: orders', () => {
  test('OrderSubmitted carries the order terms; decimals stay text; the timestamp is UTC for the Hive deserializer', () => {
    const m = warehouseRowOf('orders', submitted);
    expect(m).toEqual({
      kind: 'row',
      table: 'orders',
      date: '2026-03-02',
      row: expect.objectContaining({
        event_id: 'o-1:1',
        event_type: 'OrderSubmitted',
        order_id: 'o-1',
        account_id: 'acct-1',
        seq: 1,
        occurred_at: '2026-03-02 14:31:05.123',
        status: 'pending_new',
        client_order_id: 'bot-42',
        symbol: 'AAPL',
        side: 'buy',
        order_type: 'limit',
        time_in_force: 'day',
        qty: '10',
        notional: null,
        limit_price: '187.25',
        extended_hours: false,
        order_class: 'simple',
        algorithm: 'TWAP',
        correlation_id: 'corr-1',
        filled_qty: null,
      }),
    });
  });

  test('every row has exactly the table columns, in order', () => {
    for (const table of WAREHOUSE_TABLES) {
      const event =
        table === 'tca' ? bus('OrderTcaRecorded', {}) : table === 'orders' ? submitted : fill('OrderFilled');
      const m = warehouseRowOf(table, event);
      if (m.kind !== 'row') throw new Error(`no row for ${table}`);
      expect(Object.keys(m.row)).toEqual(WAREHOUSE_COLUMNS[table].map((c) => c.name));
    }
  });

  test.each([
    [
      'OrderFilled',
      {
        execId: 'x',
        lastQty: '1',
        lastPx: '2',
        venue: null,
        filledQty: '10',
        leavesQty: '0',
        filledAvgPrice: '2.5',
      },
      { status: 'filled', filled_qty: '10', filled_avg_price: '2.5', reason: null },
    ],
    [
      'OrderCanceled',
      { reason: 'user_requested', solicited: true },
      { status: 'canceled', reason: 'user_requested' },
    ],
    ['OrderExpired', {}, { status: 'expired', reason: null }],
    [
      'OrderRejected',
      { reason: 'risk: max_order_qty' },
      { status: 'rejected', reason: 'risk: max_order_qty' },
    ],
    ['OrderReplaced', { replacementOrderId: 'o-2' }, { status: 'replaced' }],
  ])('closing event %s -> final status', (type, data, expected) => {
    const m = warehouseRowOf('orders', bus(type, data));
    expect(m).toMatchObject({ kind: 'row', row: { ...expected, event_type: type, symbol: null } });
  });

  test('the partition is the New York trading date, not the UTC date', () => {
    // 21:30 on Mar 2 in New York is 02:30 UTC on Mar 3.
    const m = warehouseRowOf('orders', bus('OrderExpired', {}, { occurredAt: '2026-03-03T02:30:00.000Z' }));
    expect(m).toMatchObject({
      kind: 'row',
      date: '2026-03-02',
      row: { occurred_at: '2026-03-03 02:30:00.000' },
    });
  });

  test('a held leg of a bracket is submitted held, with its group', () => {
    const held = bus('OrderSubmitted', {
      ...(submitted.detail as { data: Record<string, unknown> }).data,
      contingency: {
        groupId: 'g-1',
        orderClass: 'bracket',
        role: 'take_profit',
        parentOrderId: 'g-1',
        legOrderIds: [],
        held: true,
      },
    });
    expect(warehouseRowOf('orders', held)).toMatchObject({
      row: { status: 'held', group_id: 'g-1', parent_order_id: 'g-1', leg_role: 'take_profit' },
    });
  });
});

describe('warehouseRowOf: executions', () => {
  test('a fill: last qty and price, the order after it; the optional fee, liquidity and NBBO', () => {
    expect(
      warehouseRowOf('executions', fill('OrderPartiallyFilled', { leavesQty: '6', filledQty: '4' })),
    ).toMatchObject({
      kind: 'row',
      row: {
        exec_id: 'o-1:1',
        last_qty: '4',
        last_px: '187.2',
        venue: 'SIMX',
        leaves_qty: '6',
        is_final: false,
        fee: null,
        liquidity: null,
        bid: null,
        ask: null,
      },
    });
    expect(
      warehouseRowOf(
        'executions',
        fill('OrderFilled', { fee: '-0.0020', liquidity: 'added', bid: '187.19', ask: '187.21' }),
      ),
    ).toMatchObject({
      row: { is_final: true, fee: '-0.0020', liquidity: 'added', bid: '187.19', ask: '187.21' },
    });
  });

  test('an OrderFilled is a row of orders AND of executions; an OrderAccepted of neither', () => {
    expect(warehouseRowsOf(fill('OrderFilled')).map((m) => m.kind === 'row' && m.table)).toEqual([
      'orders',
      'executions',
    ]);
    expect(warehouseRowsOf(bus('OrderAccepted', { venueOrderId: 'v' }))).toEqual([]);
  });
});

describe('warehouseRowOf: tca', () => {
  test('named measures as numbers, and the whole data as JSON so nothing is lost', () => {
    const data = {
      symbol: 'AAPL',
      side: 'buy',
      arrivalSlippageBps: '3.25',
      // The shape core order-tca.ts records (OrderTcaRecord).
      implementationShortfall: { total: { usd: '4.5', bps: 4.5 }, delay: { usd: '1', bps: 1 } },
      benchmarks: { vwap: { price: '10', slippageBps: -2.5 }, twap: null },
      fillRate: 1,
      venues: [{ venue: 'SIMX', qty: '1' }],
    };
    const m = warehouseRowOf('tca', bus('OrderTcaRecorded', data));
    expect(m).toMatchObject({
      kind: 'row',
      row: {
        symbol: 'AAPL',
        side: 'buy',
        arrival_slippage_bps: 3.25,
        is_total_bps: 4.5,
        fill_rate: 1,
        vwap_slippage_bps: -2.5,
      },
    });
    if (m.kind === 'row') expect(JSON.parse(m.row.data as string)).toEqual(data);
  });
});

describe('warehouseRowOf: what is not a row', () => {
  test.each<[string, WarehouseBusEvent]>([
    ['another source', { ...fill('OrderFilled'), source: 'stockbot.venue' }],
    ['a detail-type the table does not take', bus('OrderAccepted', {})],
    ['no detail-type', { source: 'stockbot.oms', detail: {} }],
  ])('%s: skip', (_name, event) => {
    expect(warehouseRowOf('executions', event)).toEqual({ kind: 'skip' });
  });

  test.each<[string, WarehouseBusEvent, RegExp]>([
    [
      'no metadata',
      { source: 'stockbot.oms', 'detail-type': 'OrderExpired', detail: { data: {} } },
      /metadata/,
    ],
    ['a bad occurredAt', bus('OrderExpired', {}, { occurredAt: 'yesterday' }), /occurredAt/],
    ['a fractional seq', bus('OrderExpired', {}, { seq: 1.5 }), /seq/],
    [
      'a price that is not a decimal',
      bus('OrderFilled', { execId: 'x', lastQty: '1', lastPx: '1e3' }),
      /lastPx/,
    ],
    ['an OrderSubmitted without its order', bus('OrderSubmitted', {}), /order/],
  ])('%s: invalid, with the field named', (_name, event, reason) => {
    const table = event['detail-type'] === 'OrderFilled' ? 'executions' : 'orders';
    const m = warehouseRowOf(table, event);
    expect(m.kind).toBe('invalid');
    if (m.kind === 'invalid') expect(m.reason).toMatch(reason);
  });

  test('liquidity other than added/removed is invalid', () => {
    expect(warehouseRowOf('executions', fill('OrderFilled', { liquidity: 'maker' })).kind).toBe('invalid');
  });
});
