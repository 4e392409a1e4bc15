/**
 * Order aggregate scenarios beyond the FIX matrices: executions (duplicates, overfills, late
 * fills), triggers, expiry, venue cancels, restatements, notional orders, the average price
 * rule, illegal commands, and the status / FIX mappings.
 */
import {
  avgPriceOf,
  FIX_MESSAGE_OF,
  FIX_ORD_STATUS,
  formatValue18,
  leavesNotionalOf,
  ORDER_STATUSES,
  type OrderCommand,
  type OrderEventType,
  type OrderState,
  type RefusalCode,
  replaceQtyAtOrBelowFills,
  TERMINAL_STATUSES,
  unsentCancelClose,
  validateOrderRequest,
  workingTypeOf,
} from '../../lambdas/core/index.js';
import { limitOrder, OrderBook, snapshot, T0 } from './order-book.js';

const fill = (execId: string, lastQty: string, lastPx = '10'): OrderCommand => ({
  type: 'fill',
  execId,
  lastQty,
  lastPx,
});
const accept: OrderCommand = { type: 'accept', venueOrderId: 'v-1' };

function bookWith(commands: readonly OrderCommand[], order = limitOrder({ qty: '100' })): OrderBook {
  const book = new OrderBook();
  book.submit('X', order);
  for (const c of commands) book.run('X', c);
  return book;
}

const lastEventTypes = (book: OrderBook, n: number) =>
  (book.events.get('X') ?? []).slice(-n).map((e) => e.type);

describe('executions', () => {
  // biome-ignore format: a table reads best one row a line
  test.each([
    // [title, commands after submit, expected last event types, status, filled, leaves]
    ['partial then full fill', [accept, fill('a', '40'), fill('b', '60')], ['OrderPartiallyFilled', 'OrderFilled'], 'filled', '100', '0'],
    ['a fill before the venue ack implies acceptance', [fill('a', '40')], ['OrderSubmitted', 'OrderPartiallyFilled'], 'partially_filled', '40', '60'],
    ['fractional fills add exactly', [accept, fill('a', '33.333333333'), fill('b', '66.666666667')], ['OrderPartiallyFilled', 'OrderFilled'], 'filled', '100', '0'],
    ['a redelivered execution is ignored', [accept, fill('a', '40'), fill('a', '40')], ['OrderAccepted', 'OrderPartiallyFilled'], 'partially_filled', '40', '60'],
    ['the same id with other terms is quarantined', [accept, fill('a', '40'), fill('a', '41')], ['OrderPartiallyFilled', 'OrderExecutionQuarantined'], 'partially_filled', '40', '60'],
    ['an overfill is quarantined, never applied', [accept, fill('a', '90'), fill('b', '20')], ['OrderPartiallyFilled', 'OrderExecutionQuarantined'], 'partially_filled', '90', '10'],
    ['a fill after cancel is quarantined', [accept, { type: 'confirmCancel' }, fill('a', '10')], ['OrderCanceled', 'OrderExecutionQuarantined'], 'canceled', '0', '0'],
    ['a fill on a filled order is an overfill', [accept, fill('a', '100'), fill('b', '1')], ['OrderFilled', 'OrderExecutionQuarantined'], 'filled', '100', '0'],
  ] as const)('%s', (_t, commands, events, status, filled, leaves) => {
    const book = bookWith(commands);
    expect(lastEventTypes(book, events.length)).toEqual(events);
    expect(snapshot(book.state('X'))).toMatchObject({ status, filled, leaves });
  });

  test('quarantine records why, and a redelivered quarantined report is not recorded twice', () => {
    const book = bookWith([accept, fill('a', '90'), fill('b', '20'), fill('b', '20')]);
    const quarantined = (book.events.get('X') ?? []).filter((e) => e.type === 'OrderExecutionQuarantined');
    expect(quarantined.map((e) => e.data)).toEqual([
      { execId: 'b', lastQty: '20', lastPx: '10', venue: null, reason: 'overfill' },
    ]);
    expect(book.state('X').quarantinedReports.size).toBe(1);
  });

  test('a conflicting duplicate is quarantined once, however often it is redelivered', () => {
    const book = bookWith([accept, fill('a', '40'), fill('a', '41'), fill('a', '41'), fill('a', '40')]);
    expect(lastEventTypes(book, 2)).toEqual(['OrderPartiallyFilled', 'OrderExecutionQuarantined']);
    expect(book.state('X').quarantinedReports.size).toBe(1);
    expect(snapshot(book.state('X'))).toMatchObject({ filled: '40', leaves: '60' });
  });

  test.each([
    ['zero qty', fill('a', '0')],
    ['negative qty', fill('a', '-1')],
    ['exponent', fill('a', '1e2')],
    ['too precise', fill('a', '1.0000000001')],
    ['zero price', fill('a', '1', '0')],
    ['empty exec id', fill('', '1')],
  ])('a malformed execution report (%s) is refused and changes nothing', (_t, command) => {
    const book = bookWith([accept]);
    const before = book.state('X');
    const decision = book.run('X', command);
    expect(decision.ok ? 'accepted' : decision.refusal.code).toBe('invalid_execution');
    expect(book.state('X')).toBe(before);
  });

  test('fill events carry the order after the fill, for subscribers', () => {
    const book = bookWith([accept, fill('a', '30', '10.01'), fill('b', '70', '10.02')]);
    expect(book.events.get('X')?.at(-1)?.data).toEqual({
      execId: 'b',
      lastQty: '70',
      lastPx: '10.02',
      venue: null,
      filledQty: '100',
      leavesQty: '0',
      filledAvgPrice: '10.017',
    });
  });
});

describe('average fill price: exact sum, rounded half-even at 9 dp', () => {
  // biome-ignore format: a table reads best one row a line
  test.each([
    // fills [qty, px] -> avg
    [[['1', '10.000000001'], ['1', '10.000000002']], '10.000000002'], // 10.0000000015 -> up to even 2
    [[['1', '10.000000002'], ['1', '10.000000003']], '10.000000002'], // 10.0000000025 -> down to even 2
    [[['3', '1'], ['0.000000001', '2']], '1.000000000'.replace(/\.?0+$/, '')], // tiny second fill rounds away
    [[['1', '0.0001'], ['2', '0.0002']], '0.000166667'], // 0.000166666.. -> 0.000166667
    [[['100', '187.25'], ['100', '187.24'], ['100', '187.2']], '187.23'],
  ] as const)('%j -> %s', (fills, avg) => {
    const book = bookWith(
      [accept, ...fills.map(([q, p], i) => fill(`e${i}`, q, p))],
      limitOrder({ qty: '1000', limit_price: '1000' }),
    );
    const s = book.state('X');
    expect(s.filledQty > 0n).toBe(true);
    expect(book.events.get('X')?.at(-1)?.data).toMatchObject({ filledAvgPrice: avg });
    expect(avgPriceOf(s)).toBeDefined();
  });
});

describe('conditional orders', () => {
  const stop = () =>
    limitOrder({ type: 'stop', stop_price: '9.5', limit_price: undefined, side: 'sell', qty: '100' });
  const stopLimit = () =>
    limitOrder({ type: 'stop_limit', stop_price: '9.5', limit_price: '9.4', side: 'sell', qty: '100' });

  test.each([
    ['stop becomes market', stop(), 'market'],
    ['stop-limit becomes limit', stopLimit(), 'limit'],
  ])('%s when triggered, and the trigger is recorded with the quote', (_t, order, type) => {
    const book = bookWith([accept], order);
    expect(workingTypeOf(book.state('X'))).toBe(order.type);
    book.run('X', { type: 'trigger', triggerPrice: '9.5', bid: '9.49', ask: '9.51' });
    expect(workingTypeOf(book.state('X'))).toBe(type);
    expect(book.events.get('X')?.at(-1)).toMatchObject({
      type: 'OrderTriggered',
      data: { triggerPrice: '9.5', bid: '9.49', ask: '9.51' },
    });
    expect(snapshot(book.state('X')).status).toBe('new');
  });
});

test('replacing a triggered stop-limit keeps it triggered: the replacement works as a limit at once', () => {
  const book = bookWith(
    [accept, { type: 'trigger', triggerPrice: '9.5' }],
    limitOrder({ type: 'stop_limit', stop_price: '9.5', limit_price: '9.4', side: 'sell', qty: '100' }),
  );
  book.run('X', {
    type: 'requestReplace',
    replacementOrderId: 'Y',
    requestedBy: 'c',
    changes: { limitPrice: '9.3' },
  });
  book.run('X', { type: 'confirmReplace' });
  const y = book.state('Y');
  expect([y.triggered, y.triggerPrice, workingTypeOf(y), y.spec.limitPrice]).toEqual([
    true,
    '9.5',
    'limit',
    '9.3',
  ]);
  const stopChange = book.run('Y', {
    type: 'requestReplace',
    replacementOrderId: 'Z',
    requestedBy: 'c',
    changes: { stopPrice: '9.6' },
  });
  expect(stopChange.ok ? '' : stopChange.refusal.code).toBe('not_replaceable');
});

describe('closing an order', () => {
  // biome-ignore format: a table reads best one row a line
  test.each([
    ['expire a part-filled day order', [accept, fill('a', '30'), { type: 'expire' }], 'OrderExpired', 'expired', '30', '0', '70'],
    ['venue cancels an IOC remainder unsolicited', [accept, fill('a', '30'), { type: 'confirmCancel', reason: 'ioc_remainder' }], 'OrderCanceled', 'canceled', '30', '0', '70'],
    ['reject before acceptance', [{ type: 'reject', reason: 'risk: max_order_qty' }], 'OrderRejected', 'rejected', '0', '0', '100'],
    ['restate qty down to what has filled', [accept, fill('a', '30'), { type: 'restate', reason: 'corporate_action', qty: '30' }], 'OrderRestated', 'filled', '30', '0', '0'],
    ['restate qty up', [accept, fill('a', '30'), { type: 'restate', reason: 'venue', qty: '150' }], 'OrderRestated', 'partially_filled', '30', '120', '0'],
  ] as const)('%s', (_t, commands, lastEvent, status, filled, leaves, canceled) => {
    const book = bookWith(commands as readonly OrderCommand[]);
    expect(lastEventTypes(book, 1)).toEqual([lastEvent]);
    expect(snapshot(book.state('X'))).toMatchObject({ status, filled, leaves, canceled });
  });

  test('an unsolicited cancel says so; a requested one says who asked', () => {
    const venue = bookWith([accept, { type: 'confirmCancel' }]);
    expect(venue.events.get('X')?.at(-1)?.data).toEqual({ reason: 'venue', solicited: false });
    const client = bookWith([
      accept,
      { type: 'requestCancel', requestedBy: 'bot-7' },
      { type: 'confirmCancel' },
    ]);
    expect(client.events.get('X')?.at(-1)?.data).toEqual({ reason: 'client_request', solicited: true });
    expect(client.events.get('X')?.find((e) => e.type === 'OrderCancelRequested')?.data).toEqual({
      requestedBy: 'bot-7',
    });
    // The OMS's own requests say which part asked and why, whether the venue confirms or not.
    const coordinator = bookWith([
      accept,
      { type: 'requestCancel', requestedBy: 'oms:contingency:position_covered' },
      { type: 'confirmCancel' },
    ]);
    expect(coordinator.events.get('X')?.at(-1)?.data).toEqual({
      reason: 'oms:contingency:position_covered',
      solicited: true,
    });
    // A rejected cancel leaves no requester behind: a later unsolicited cancel is the venue's.
    const later = bookWith([
      accept,
      { type: 'requestCancel', requestedBy: 'oms' },
      { type: 'rejectCancel', reason: 'too_late' },
      { type: 'confirmCancel' },
    ]);
    expect(later.events.get('X')?.at(-1)?.data).toEqual({ reason: 'venue', solicited: false });
  });
});

describe('notional orders', () => {
  const notional = () => {
    const v = validateOrderRequest(
      { symbol: 'ACME', notional: '500', side: 'buy', type: 'market', time_in_force: 'day' },
      { now: T0 },
    );
    if (!v.ok) throw new Error('bad notional order');
    return v.order;
  };

  test('fill until less than a cent is left to spend, then filled', () => {
    const book = bookWith([accept, fill('a', '2', '150.37'), fill('b', '1.325131342', '150.37')], notional());
    const s = book.state('X');
    expect(snapshot(s)).toMatchObject({ status: 'filled', qty: null, leaves: null, filled: '3.325131342' });
    expect(formatValue18(leavesNotionalOf(s) as bigint)).toBe('0');
  });

  test('spending more than the notional is an overfill', () => {
    const book = bookWith([accept, fill('a', '3', '150.37'), fill('b', '1', '150.37')], notional());
    expect(lastEventTypes(book, 1)).toEqual(['OrderExecutionQuarantined']);
    expect(formatValue18(leavesNotionalOf(book.state('X')) as bigint)).toBe('48.89');
  });
});

describe('illegal commands get a typed refusal and change nothing', () => {
  // biome-ignore format: a table reads best one row a line
  const cases: ReadonlyArray<readonly [string, readonly OrderCommand[], OrderCommand, RefusalCode]> = [
    ['accept twice', [accept], accept, 'not_pending_new'],
    ['reject after acceptance', [accept], { type: 'reject', reason: 'x' }, 'not_pending_new'],
    ['trigger a limit order', [accept], { type: 'trigger', triggerPrice: '10' }, 'not_conditional'],
    ['cancel twice', [accept, { type: 'requestCancel', requestedBy: 'c' }], { type: 'requestCancel', requestedBy: 'c' }, 'request_pending'],
    ['cancel while a replace is pending', [accept, { type: 'requestReplace', replacementOrderId: 'Y', requestedBy: 'c', changes: { qty: '50' } }], { type: 'requestCancel', requestedBy: 'c' }, 'request_pending'],
    ['cancel a filled order', [accept, fill('a', '100')], { type: 'requestCancel', requestedBy: 'c' }, 'order_closed'],
    ['cancel a canceled order', [accept, { type: 'confirmCancel' }], { type: 'requestCancel', requestedBy: 'c' }, 'order_closed'],
    ['confirm a cancel of a canceled order', [accept, { type: 'confirmCancel' }], { type: 'confirmCancel' }, 'order_closed'],
    ['acknowledge a cancel nobody asked for', [accept], { type: 'acknowledgeCancel' }, 'no_request_pending'],
    ['reject a cancel nobody asked for', [accept], { type: 'rejectCancel', reason: 'x' }, 'no_request_pending'],
    ['replace before the venue accepted', [], { type: 'requestReplace', replacementOrderId: 'Y', requestedBy: 'c', changes: { qty: '50' } }, 'not_replaceable'],
    ['replace with no change', [accept], { type: 'requestReplace', replacementOrderId: 'Y', requestedBy: 'c', changes: {} }, 'invalid_replace'],
    ['replace to an off-tick price', [accept], { type: 'requestReplace', replacementOrderId: 'Y', requestedBy: 'c', changes: { limitPrice: '10.001' } }, 'invalid_replace'],
    ['replace a limit order with a stop price', [accept], { type: 'requestReplace', replacementOrderId: 'Y', requestedBy: 'c', changes: { stopPrice: '9' } }, 'invalid_replace'],
    ['confirm a replace nobody asked for', [accept], { type: 'confirmReplace' }, 'no_request_pending'],
    ['expire a filled order', [accept, fill('a', '100')], { type: 'expire' }, 'order_closed'],
    ['done for day before acceptance', [], { type: 'doneForDay' }, 'not_working'],
    ['restate qty below the filled qty', [accept, fill('a', '40')], { type: 'restate', reason: 'x', qty: '39' }, 'invalid_restate'],
    ['reopen a day order', [accept, { type: 'doneForDay' }], { type: 'restate', reason: 'x', reopen: true }, 'invalid_restate'],
    ['restate nothing', [accept], { type: 'restate', reason: 'x' }, 'invalid_restate'],
  ];

  test.each(cases)('%s', (_t, setup, command, code) => {
    const book = bookWith(setup);
    const before = book.state('X');
    const eventsBefore = [...(book.events.get('X') ?? [])];
    const decision = book.run('X', command);
    expect(decision.ok ? 'accepted' : decision.refusal.code).toBe(code);
    expect(book.state('X')).toBe(before);
    expect(book.events.get('X')).toEqual(eventsBefore);
  });

  test('a replace with invalid terms names the fields', () => {
    const book = bookWith([accept]);
    const d = book.run('X', {
      type: 'requestReplace',
      replacementOrderId: 'Y',
      requestedBy: 'c',
      changes: { qty: '-5', limitPrice: '10.001' },
    });
    expect(d.ok).toBe(false);
    if (!d.ok)
      expect(d.refusal.fieldErrors?.map((e) => [e.field, e.code])).toEqual([
        ['qty', 'not_positive'],
        ['limit_price', 'off_tick'],
      ]);
  });

  // A probe: on an order with a replace outstanding, or replaced, a PATCH of {"qty":"NaN"} read
  // "order is not replaceable" where POST names the field; a bad value is now named first.
  const replacing: OrderCommand = {
    type: 'requestReplace',
    replacementOrderId: 'Y',
    requestedBy: 'c',
    changes: { qty: '50' },
  };
  // biome-ignore format: a table reads best one row a line
  const states: ReadonlyArray<readonly [string, readonly OrderCommand[]]> = [
    ['not yet accepted', []],
    ['working', [accept]],
    ['with a replace outstanding', [accept, replacing]],
    ['replaced', [accept, replacing, { type: 'confirmReplace' }]],
    ['filled', [accept, fill('a', '100')]],
    ['canceled', [accept, { type: 'confirmCancel' }]],
  ];
  // biome-ignore format: a table reads best one row a line
  const badValues: ReadonlyArray<readonly [Record<string, string>, string, string]> = [
    [{ qty: 'NaN' }, 'qty', 'not_a_decimal'],
    [{ qty: ' 2' }, 'qty', 'not_a_decimal'],
    [{ qty: '99999999999999999999999' }, 'qty', 'out_of_range'],
    [{ qty: '0' }, 'qty', 'not_positive'],
    [{ limitPrice: '0' }, 'limit_price', 'not_positive'],
    [{ limitPrice: '100.001' }, 'limit_price', 'off_tick'],
    [{ stopPrice: '1.0000000001' }, 'stop_price', 'too_precise'],
    [{ trailPercent: '-1' }, 'trail_percent', 'not_positive'],
  ];
  test.each(states.flatMap(([state, setup]) => badValues.map((v) => [state, setup, ...v] as const)))(
    'an order %s: a replace to a bad value names it (%j -> %s %s)',
    (_state, setup, changes, field, code) => {
      const book = bookWith(setup);
      const eventsBefore = [...(book.events.get('X') ?? [])];
      const d = book.run('X', { type: 'requestReplace', replacementOrderId: 'Z', requestedBy: 'c', changes });
      expect(d.ok ? null : [d.refusal.code, d.refusal.fieldErrors?.map((e) => [e.field, e.code])]).toEqual([
        'invalid_replace',
        [[field, code]],
      ]);
      expect(book.events.get('X')).toEqual(eventsBefore);
    },
  );

  // A probe: PATCH {qty: 1} (or 3) on an order 3 of 10 filled opened a replacement of 3 reading
  // `filled` with no fill of its own; no trade update ever ended it. The core still takes it from a
  // venue (FIX D11); a client's replace is refused (replace-order.ts).
  test.each([
    ['below the fills', [fill('a', '3')], '1', true],
    ['equal to the fills', [fill('a', '3')], '3', true],
    ['equal to the fills, as decimal text', [fill('a', '3')], '3.000', true],
    ['above the fills', [fill('a', '3')], '4', false],
    ['no fills yet', [], '1', false],
  ] as const)('replaceQtyAtOrBelowFills: qty %s (%j, %s) -> refused %s', (_t, fills, qty, refused) => {
    const book = bookWith([accept, ...fills]);
    const error = replaceQtyAtOrBelowFills(book.state('X') as OrderState, { qty });
    expect(error === null ? null : [error.field, error.code, error.message]).toEqual(
      refused
        ? ['qty', 'out_of_range', expect.stringMatching(/^qty: must be more than the 3 already filled/)]
        : null,
    );
    // Another change alone is never refused by it.
    expect(replaceQtyAtOrBelowFills(book.state('X') as OrderState, { limitPrice: '9' })).toBeNull();
  });

  // decide holds the rule for a client's replace (`qtyAboveFills`), on the state it appends to;
  // the OMS's own replace (no flag) may still reach the fills (FIX D11). A filled order answers
  // that it is filled, not the fills rule.
  test.each([
    ['a client, below the fills', [fill('a', '3')], true, ['invalid_replace', 'qty']],
    ['a client, above the fills', [fill('a', '3')], true, null],
    ['the OMS, below the fills (D11)', [fill('a', '3')], false, null],
    ['a client, the order filled', [fill('a', '100')], true, ['order_closed', undefined]],
  ] as const)('requestReplace qty by %s', (_t, fills, client, refused) => {
    const book = bookWith([accept, ...fills]);
    const qty = _t.includes('above') ? '4' : '2';
    const d = book.run('X', {
      type: 'requestReplace',
      replacementOrderId: 'Z',
      requestedBy: 'c',
      changes: { qty },
      ...(client ? { qtyAboveFills: true as const } : {}),
    });
    expect(d.ok ? null : [d.refusal.code, d.refusal.fieldErrors?.[0]?.field]).toEqual(refused);
  });

  // An order whose cancel was asked before it was ever sent is closed by its submission, never
  // sent (a cancel forwarded to a guessed venue while the router chose another left one stuck).
  test.each([
    ['never routed, canceled by the client', [], 'client', { type: 'confirmCancel' }],
    [
      'never routed, canceled by the OMS after a failed step',
      [],
      'oms',
      { type: 'reject', reason: 'unknown_order' },
    ],
    ['never routed, no cancel', [], null, null],
    ['accepted by the venue', [accept], 'client', null],
  ] as const)('unsentCancelClose: %s', (_t, before, by, expected) => {
    const book = bookWith([...before]);
    if (by !== null) book.run('X', { type: 'requestCancel', requestedBy: by });
    expect(unsentCancelClose(book.state('X') as OrderState)).toEqual(expected);
  });

  test('commands on an order that does not exist, and a second submit', () => {
    const book = new OrderBook();
    const missing = book.run('nope', accept);
    expect(missing.ok ? '' : missing.refusal.code).toBe('order_not_found');
    book.submit('X', limitOrder());
    const again = book.submit('X', limitOrder());
    expect(again.ok ? '' : again.refusal.code).toBe('order_exists');
  });
});

describe('status and FIX mappings', () => {
  test.each([
    ['new', '0'],
    ['partially_filled', '1'],
    ['filled', '2'],
    ['done_for_day', '3'],
    ['canceled', '4'],
    ['replaced', '5'],
    ['pending_cancel', '6'],
    ['stopped', '7'],
    ['rejected', '8'],
    ['suspended', '9'],
    ['pending_new', 'A'],
    ['calculated', 'B'],
    ['expired', 'C'],
    ['accepted_for_bidding', 'D'],
    ['pending_replace', 'E'],
    ['accepted', 'A'],
    ['held', 'A'],
  ] as const)('Alpaca %s is FIX OrdStatus %s', (status, fix) => {
    expect(FIX_ORD_STATUS[status]).toBe(fix);
  });

  test('every Alpaca status is mapped, and exactly the closed ones are terminal', () => {
    expect(Object.keys(FIX_ORD_STATUS).sort()).toEqual([...ORDER_STATUSES].sort());
    expect([...TERMINAL_STATUSES].sort()).toEqual(['canceled', 'expired', 'filled', 'rejected', 'replaced']);
  });

  test.each([
    ['OrderAccepted', '0'],
    ['OrderPartiallyFilled', 'F'],
    ['OrderFilled', 'F'],
    ['OrderCanceled', '4'],
    ['OrderCancelAcknowledged', '6'],
    ['OrderReplaceAcknowledged', 'E'],
    ['OrderReplaced', '5'],
    ['OrderRejected', '8'],
    ['OrderExpired', 'C'],
    ['OrderDoneForDay', '3'],
    ['OrderRestated', 'D'],
    ['OrderTriggered', 'L'],
    ['OrderSubmitted', 'A'],
  ] as const)('%s is an ExecutionReport with ExecType %s', (type: OrderEventType, execType) => {
    expect(FIX_MESSAGE_OF[type]).toEqual({ msgType: '8', execType });
  });

  test.each([
    ['OrderCancelRejected', '9'],
    ['OrderReplaceRejected', '9'],
    ['OrderCancelRequested', 'F'],
    ['OrderReplaceRequested', 'G'],
  ] as const)('%s is FIX message %s', (type: OrderEventType, msgType) => {
    expect(FIX_MESSAGE_OF[type]).toEqual({ msgType });
  });
});
