/**
 * A replacement a PATCH answered whose replace never happened (the venue refused it, or the order
 * filled first) reads `rejected` by id, so the listings of its status have it too: `status=closed`
 * and `status=all` list it, `status=open` does not. A probe found it by id and by client order id,
 * yet in no listing: the listings are the read model's, and the id, having no events of its own, had
 * no view. Against DynamoDB Local with the read model's listing indexes as the stack defines them
 * (INCLUDE projections, lib/event-store.ts): the order's events through the projector, then the
 * listing's queries, past the minute in which the listing also reads the account's recent orders.
 */
import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { type OrderCommand, type OrderEvent, validateOrderRequest } from '../../lambdas/core/index.js';
import { type StoredEvent, toStored } from '../../lambdas/event-store/event-store.js';
import { type ListParams, listedPage } from '../../lambdas/order-api/query-orders.js';
import { projectBatch } from '../../lambdas/stream-consumers/projector.js';
import { OrderBook } from '../core/order-book.js';
import { dynamoDbLocalWith, ordersWithListings, table } from '../local/fixtures/dynamodb-tables.js';
import { insertsOf } from '../stream-consumers/records.js';
import { listParams } from './fixtures.js';

const orders = ordersWithListings();
const local = dynamoDbLocalWith([orders, table('events', 'orderId', 'seq')]);
const deps = () => ({ doc: local.doc, eventStoreTable: 'events', ordersTable: 'orders' });

const params = listParams;

const order = () => {
  const v = validateOrderRequest(
    { symbol: 'ACME', qty: '10', side: 'buy', type: 'limit', time_in_force: 'day', limit_price: '10' },
    { now: Date.parse('2026-12-07T15:00:00.000Z') },
  );
  if (!v.ok) throw new Error('bad order');
  return v.order;
};
const patch = (replacementOrderId: string): OrderCommand => ({
  type: 'requestReplace',
  replacementOrderId,
  changes: { limitPrice: '10.5', clientOrderId: `c-${replacementOrderId}` },
  requestedBy: 'client',
});

/** The order's events after `commands`, written to the event store, then projected. */
async function project(accountId: string, orderId: string, commands: OrderCommand[]): Promise<void> {
  const book = new OrderBook();
  book.submit(orderId, order(), accountId);
  for (const c of commands) expect(book.run(orderId, c).ok).toBe(true);
  const meta = { accountId, correlationId: 'req-1', causationId: 'cause-1' };
  const events: StoredEvent[] = (book.events.get(orderId) ?? []).map((e: OrderEvent) => toStored(e, meta));
  for (const e of events) await local.doc.send(new PutCommand({ TableName: 'events', Item: e }));
  expect((await projectBatch(insertsOf(events), deps())).batchItemFailures).toEqual([]);
}

// biome-ignore format: a table
const cases: [string, (replacementOrderId: string) => OrderCommand[], string][] = [
  ['the venue refused the replace',             (r) => [{ type: 'accept' }, patch(r), { type: 'rejectReplace', reason: 'too_late_to_replace' }], 'new'],
  ['the order filled while the venue worked it', (r) => [{ type: 'accept' }, patch(r), { type: 'fill', execId: 'e1', lastQty: '10', lastPx: '10' }], 'filled'],
];

describe('a replacement that never opened is listed as GET shows it: rejected', () => {
  it.each(cases)(
    '%s: in the closed and all listings (of its symbol too), not in the open one',
    async (_, commands, originalStatus) => {
      const accountId = `acct-${randomUUID().slice(0, 8)}`;
      const [original, replacement] = [`${accountId}-o1`, `${accountId}-o2`];
      await project(accountId, original, commands(replacement));
      const listed = async (p: Partial<ListParams>) =>
        (await listedPage(local.doc, 'orders', params(p), accountId)).map((i) => [
          i.orderId,
          i.order.status,
          i.order.replaces,
        ]);
      const rejected = [replacement, 'rejected', original];
      const both = [[original, originalStatus, null], rejected];
      expect(await listed({ status: 'closed' })).toEqual(originalStatus === 'new' ? [rejected] : both);
      expect(await listed({ status: 'all' })).toEqual(both);
      expect(await listed({ status: 'all', symbols: ['ACME'] })).toEqual(both);
      expect(await listed({ status: 'open' })).toEqual(
        originalStatus === 'new' ? [[original, 'new', null]] : [],
      );
      // The document as GET /v2/orders/{id} answers it: when the replace ended, the order it replaces.
      const [item] = (await listedPage(local.doc, 'orders', params({ status: 'closed' }), accountId)).filter(
        (i) => i.orderId === replacement,
      );
      expect(item?.order).toMatchObject({
        client_order_id: `c-${replacement}`,
        limit_price: '10.5',
        replaces: original,
        status: 'rejected',
        failed_at: expect.any(String),
      });
    },
  );

  it('a replacement the venue confirmed is listed by its own events, once (no second item for its id)', async () => {
    const accountId = `acct-${randomUUID().slice(0, 8)}`;
    const [original, replacement] = [`${accountId}-o1`, `${accountId}-o2`];
    await project(accountId, original, [{ type: 'accept' }, patch(replacement), { type: 'confirmReplace' }]);
    const all = await listedPage(local.doc, 'orders', params({ status: 'all' }), accountId);
    // The replacement's own stream was not projected here: only the replaced order is listed.
    expect(all.map((i) => [i.orderId, i.order.status])).toEqual([[original, 'replaced']]);
  });
});
