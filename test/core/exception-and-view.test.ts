import { assetIdOf, isSettled, toAlpacaOrder } from '../../lambdas/core/index.js';
import { limitOrder, OrderBook } from './order-book.js';

type Setup = (b: OrderBook) => void;
const submitted: Setup = (b) => void b.submit('o1', limitOrder());
const accepted: Setup = (b) => {
  submitted(b);
  b.run('o1', { type: 'accept', venueOrderId: 'v1' });
};
const partiallyFilled: Setup = (b) => {
  accepted(b);
  b.run('o1', { type: 'fill', execId: 'e1', lastQty: '100', lastPx: '10' });
};
const cancelPending: Setup = (b) => {
  accepted(b);
  b.run('o1', { type: 'requestCancel', requestedBy: 'bot' });
};
const filled: Setup = (b) => {
  accepted(b);
  b.run('o1', { type: 'fill', execId: 'e1', lastQty: '10000', lastPx: '10' });
};

describe('recordException: the exception is recorded and the order ends in a defined state', () => {
  // biome-ignore format: table
  const rows: [string, Setup, boolean, string[], string][] = [
    ['not yet at the venue',                  submitted,       false, ['OrderExceptionRecorded', 'OrderRejected'],        'rejected'],
    ['submission attempted, no ack',          submitted,       true,  ['OrderExceptionRecorded', 'OrderCancelRequested'], 'pending_cancel'],
    ['live at the venue',                     accepted,        true,  ['OrderExceptionRecorded', 'OrderCancelRequested'], 'new'],
    ['partially filled',                      partiallyFilled, true,  ['OrderExceptionRecorded', 'OrderCancelRequested'], 'partially_filled'],
    ['cancel already outstanding',            cancelPending,   true,  ['OrderExceptionRecorded'],                         'new'],
    ['already filled',                        filled,          true,  ['OrderExceptionRecorded'],                         'filled'],
  ];
  it.each(rows)('%s', (_name, setup, reachedVenue, types, status) => {
    const b = new OrderBook();
    setup(b);
    const before = b.state('o1');
    const d = b.run('o1', {
      type: 'recordException',
      stage: 'Submit to venue',
      error: 'Boom',
      cause: 'x',
      reachedVenue,
    });
    expect(d.ok).toBe(true);
    if (!d.ok) return;
    expect(d.events.map((e) => e.type)).toEqual(types);
    expect(d.events.map((e) => e.seq)).toEqual(types.map((_, i) => before.seq + i + 1));
    expect(toAlpacaOrder(b.state('o1')).status).toBe(status);
    expect(b.state('o1').filledQty).toBe(before.filledQty);
  });
});

describe('toAlpacaOrder', () => {
  it('shows the order in Alpaca field names with FIX quantities', () => {
    const b = new OrderBook();
    partiallyFilled(b);
    b.run('o1', { type: 'fill', execId: 'e2', lastQty: '50', lastPx: '10.03' });
    const v = toAlpacaOrder(b.state('o1'));
    expect(v).toMatchObject({
      id: 'o1',
      client_order_id: 'o1',
      symbol: 'ACME',
      asset_class: 'us_equity',
      qty: '10000',
      notional: null,
      filled_qty: '150',
      filled_avg_price: '10.01',
      leaves_qty: '9850',
      canceled_qty: '0',
      type: 'limit',
      order_type: 'limit',
      order_class: 'simple',
      side: 'buy',
      time_in_force: 'day',
      limit_price: '10',
      status: 'partially_filled',
      legs: null,
    });
    b.run('o1', { type: 'requestCancel', requestedBy: 'bot' });
    b.run('o1', { type: 'confirmCancel' });
    const c = toAlpacaOrder(b.state('o1'));
    expect(c).toMatchObject({ status: 'canceled', leaves_qty: '0', canceled_qty: '9850', filled_qty: '150' });
    expect(c.canceled_at).not.toBeNull();
  });

  it('gives each symbol a stable version-5 UUID as asset_id', () => {
    expect(assetIdOf('ACME')).toBe(assetIdOf('ACME'));
    expect(assetIdOf('ACME')).not.toBe(assetIdOf('ACMF'));
    expect(assetIdOf('ACME')).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });
});

describe('isSettled: what the order workflow waits for', () => {
  const gtc = (b: OrderBook) => void b.submit('o1', limitOrder({ time_in_force: 'gtc' }));
  // biome-ignore format: table
  const rows: [string, Setup, readonly Record<string, unknown>[], boolean][] = [
    ['pending new',                   submitted,       [],                                                  false],
    ['working',                       accepted,        [],                                                  false],
    ['partially filled',              partiallyFilled, [],                                                  false],
    ['cancel pending',                cancelPending,   [{ type: 'acknowledgeCancel' }],                     false],
    ['filled',                        filled,          [],                                                  true],
    ['canceled',                      cancelPending,   [{ type: 'confirmCancel' }],                         true],
    ['rejected',                      submitted,       [{ type: 'reject', reason: 'r' }],                   true],
    ['expired',                       accepted,        [{ type: 'expire' }],                                true],
    ['day order done for the day',    accepted,        [{ type: 'doneForDay' }],                            true],
    ['gtc order done for the day',    gtc,             [{ type: 'accept' }, { type: 'doneForDay' }],        false],
  ];
  it.each(rows)('%s: %s', (_name, setup, commands, settled) => {
    const b = new OrderBook();
    setup(b);
    for (const c of commands) expect(b.run('o1', c as never).ok).toBe(true);
    expect(isSettled(b.state('o1'))).toBe(settled);
  });
});

describe('toAlpacaOrder: a trailing stop shows its live stop price (issue 11; Alpaca: hwm less/plus the trail)', () => {
  const trailing = (side: 'buy' | 'sell', trail: Record<string, string>) => {
    const b = new OrderBook();
    b.submit('t1', limitOrder({ type: 'trailing_stop', side, limit_price: undefined, ...trail }));
    b.run('t1', { type: 'accept', venueOrderId: 'v1' });
    return b;
  };
  // biome-ignore format: table
  const rows: [string, 'buy' | 'sell', Record<string, string>, string[], string | null][] = [
    ['no mark yet: no stop price',              'sell', { trail_price: '2' },      [],                 null],
    ['sell, trail_price: mark - trail',         'sell', { trail_price: '2' },      ['22'],             '20'],
    ['sell, the mark only rises',               'sell', { trail_price: '2' },      ['22', '21.5', '23'], '21'],
    ['buy, trail_price: mark + trail',          'buy',  { trail_price: '0.5' },    ['10', '9.8'],      '10.3'],
    ['sell, trail_percent: mark x (1 - pct), down to the tick', 'sell', { trail_percent: '1.5' }, ['20.37'], '20.06'],
    ['buy, trail_percent: up to the tick',      'buy',  { trail_percent: '1.5' },  ['20.37'],          '20.68'],
    ['sell, a sub-penny trail_price on a $100 stock', 'sell', { trail_price: '0.001' }, ['100'],       '99.99'],
    ['buy, trail_percent: mark x (1 + pct)',    'buy',  { trail_percent: '1' },    ['100'],            '101'],
  ];
  it.each(rows)('%s', (_name, side, trail, marks, stopPrice) => {
    const b = trailing(side, trail);
    for (const hwm of marks) b.run('t1', { type: 'moveTrail', hwm });
    expect(toAlpacaOrder(b.state('t1')).stop_price).toBe(stopPrice);
  });

  it('a stop order shows its own stop price', () => {
    const b = new OrderBook();
    b.submit('s1', limitOrder({ type: 'stop', side: 'sell', limit_price: undefined, stop_price: '9' }));
    expect(toAlpacaOrder(b.state('s1')).stop_price).toBe('9');
  });
});
