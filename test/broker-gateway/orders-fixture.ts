/**
 * What the gateway's handler tests share: ACME's pinned quote (every simulated venue shows it;
 * the router sends to the deepest, SIMX) and an order placed in the event store as the API would.
 */
import { quoteToItem } from '../../lambdas/broker-gateway/simulated/market.js';
import { decide, nanos, validateOrderRequest } from '../../lambdas/core/index.js';
import type { EventStore } from '../../lambdas/event-store/event-store.js';
import type { FakeDynamo } from './fake-aws.js';

/** Pins ACME at 9.99 / 10.01 (last 10), `size` shown on each side, quoted at `at`. */
export function pinAcme(db: FakeDynamo, at: number, size = '100'): void {
  db.put({
    TableName: 'market',
    Item: {
      ...quoteToItem({
        symbol: 'ACME',
        bid: nanos('9.99'),
        ask: nanos('10.01'),
        last: nanos('10'),
        bidSize: nanos(size),
        askSize: nanos(size),
        updatedAt: new Date(at).toISOString(),
      }),
      pinned: true,
    },
  });
}

/** An ACME day buy for account `acct-1` (request fields override), placed at `at`. */
export async function placeOrder(
  store: EventStore,
  orderId: string,
  request: Record<string, unknown>,
  at: number,
): Promise<void> {
  const v = validateOrderRequest(
    { symbol: 'ACME', side: 'buy', time_in_force: 'day', ...request },
    { now: at },
  );
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  const d = decide(undefined, { type: 'submit', orderId, accountId: 'acct-1', order: v.order }, at);
  if (!d.ok) throw new Error(d.refusal.message);
  await store.append(d.events, { accountId: 'acct-1', correlationId: orderId, causationId: 'req-1' });
}
