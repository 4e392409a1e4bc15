/**
 * Which events are executions of the account (issue 13, docs/domain.md "Positions and the
 * account"): an order's own fills, never an algorithmic parent's mirror of its child's fill.
 */
import './env.js';
import type { OrderEvent, OrderState } from '../../lambdas/core/index.js';
import { executionOf } from '../../lambdas/stream-consumers/position-keeper.js';
import { limitOrder, OrderBook } from '../core/order-book.js';
import { stored } from './records.js';

function filledOrder(): { state: OrderState; events: OrderEvent[] } {
  const book = new OrderBook();
  const events: OrderEvent[] = [];
  const take = (d: ReturnType<OrderBook['run']>) => {
    if (d.ok) events.push(...d.events);
  };
  take(book.submit('o-1', limitOrder({ qty: '10', side: 'sell', symbol: 'aapl' })));
  take(book.run('o-1', { type: 'accept', venueOrderId: 'v-1' } as never));
  take(book.run('o-1', { type: 'fill', execId: 'x-1', lastQty: '4', lastPx: '100' } as never));
  take(book.run('o-1', { type: 'fill', execId: 'x-2', lastQty: '6', lastPx: '101' } as never));
  return { state: book.state('o-1'), events };
}

test.each([
  [
    'OrderPartiallyFilled',
    { execId: 'x-1', qty: '4', price: '100', cumQty: '4', leavesQty: '6', orderStatus: 'partially_filled' },
  ],
  [
    'OrderFilled',
    { execId: 'x-2', qty: '6', price: '101', cumQty: '10', leavesQty: '0', orderStatus: 'filled' },
  ],
] as const)('%s is an execution: symbol and side from the order', (type, expected) => {
  const { state, events } = filledOrder();
  const e = events.find((x) => x.type === type) as OrderEvent;
  expect(executionOf(stored(e), state)).toMatchObject({
    ...expected,
    orderId: 'o-1',
    orderEventId: `o-1:${e.seq}`,
    symbol: 'AAPL',
    side: 'sell',
    transactionTime: e.occurredAt,
  });
});

test('a child order the OMS placed (a split, a slice) names its client order; an order of the client names none', () => {
  const book = new OrderBook();
  const events: OrderEvent[] = [];
  const take = (d: ReturnType<OrderBook['run']>) => {
    if (d.ok) events.push(...d.events);
  };
  const contingency = {
    groupId: 'parent-1',
    orderClass: 'algo',
    role: 'algo_child',
    parentOrderId: 'parent-1',
    legOrderIds: [],
    held: false,
  };
  take(
    book.run('child-1', {
      type: 'submit',
      orderId: 'child-1',
      accountId: 'acct-1',
      order: limitOrder({ qty: '10' }),
      contingency,
    } as never),
  );
  take(book.run('child-1', { type: 'accept', venueOrderId: 'v-1' } as never));
  take(book.run('child-1', { type: 'fill', execId: 'x-1', lastQty: '10', lastPx: '100' } as never));
  const fill = events.find((x) => x.type === 'OrderFilled') as OrderEvent;
  expect(executionOf(stored(fill), book.state('child-1'))).toMatchObject({
    orderId: 'child-1',
    parentOrderId: 'parent-1',
  });
  const own = filledOrder();
  const ownFill = own.events.find((x) => x.type === 'OrderFilled') as OrderEvent;
  expect(executionOf(stored(ownFill), own.state)).not.toHaveProperty('parentOrderId');
});

test('an algorithmic parent mirroring its child fill, and any other event, are not executions', () => {
  const { state, events } = filledOrder();
  const fill = events.find((x) => x.type === 'OrderFilled') as OrderEvent & { data: object };
  const mirrored = { ...fill, data: { ...fill.data, childOrderId: 'child-1' } } as OrderEvent;
  expect(executionOf(stored(mirrored), state)).toBeNull();
  for (const e of events.filter((x) => x.type !== 'OrderFilled' && x.type !== 'OrderPartiallyFilled'))
    expect(executionOf(stored(e), state)).toBeNull();
});

test('a buy holding a buying power claim gives back its share with each execution, none after it settled', () => {
  const book = new OrderBook();
  const events: OrderEvent[] = [];
  const take = (d: ReturnType<OrderBook['run']>) => {
    if (d.ok) events.push(...d.events);
  };
  take(
    book.run('o-1', {
      type: 'submit',
      orderId: 'o-1',
      accountId: 'acct-1',
      order: limitOrder({ qty: '3', side: 'buy' }),
      buyingPowerClaim: { id: 'o-1', cents: 10_001, qty: '3' },
    } as never),
  );
  take(book.run('o-1', { type: 'accept', venueOrderId: 'v-1' } as never));
  take(book.run('o-1', { type: 'fill', execId: 'x-1', lastQty: '2', lastPx: '100' } as never));
  take(book.run('o-1', { type: 'fill', execId: 'x-2', lastQty: '1', lastPx: '101' } as never));
  const state = book.state('o-1');
  const [first, last] = events.filter((e) => e.type === 'OrderPartiallyFilled' || e.type === 'OrderFilled');
  // 2 of 3 shares: 6,667 cents (rounded down); the last share takes the rest, 3,334: 10,001 in all.
  expect(executionOf(stored(first as OrderEvent), state)?.buyingPowerRelease).toBe(6_667);
  expect(executionOf(stored(last as OrderEvent), state)?.buyingPowerRelease).toBe(3_334);
  // After the order settled (a day order done for the day), its rest was given back: nothing more.
  expect(executionOf(stored(last as OrderEvent), state, true)?.buyingPowerRelease).toBeUndefined();
});
