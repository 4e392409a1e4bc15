/**
 * The FIX venue session's book in DynamoDB (VENUE_ORDERS_TABLE with its `byFixQueue` index, as the
 * stack adds it when FIX venues are configured), against DynamoDB Local: a queued request is taken
 * once; one the session could not send goes back on the queue (once, whatever the retries) and is
 * taken again; an order's mirror made for a NewOrderSingle that never went out is forgotten.
 */
import {
  DynamoFixBook,
  FIX_QUEUE_INDEX,
  type FixRequest,
} from '../../../lambdas/broker-gateway/fix/fix-book.js';
import { dynamoDbLocalWith, table } from '../../local/fixtures/dynamodb-tables.js';
import { venueOrder } from '../venue-order.js';

const TABLE = 'venueOrders';
const local = dynamoDbLocalWith([
  {
    ...table(TABLE, 'orderId'),
    globalSecondaryIndexes: [
      {
        name: FIX_QUEUE_INDEX,
        partitionKey: { name: 'fixQueue', type: 'S' },
        sortKey: { name: 'requestedAt', type: 'S' },
        projection: 'ALL',
        nonKeyAttributes: [],
      },
    ],
  },
]);

const submit = (orderId: string): FixRequest => ({
  kind: 'submit',
  venue: 'FIXA',
  orderId,
  order: venueOrder({ orderId, accountId: 'acc', symbol: 'AAPL' }),
});

test('a request taken and not sent goes back on the queue, once, and is taken again; its mirror is forgotten', async () => {
  const book = new DynamoFixBook(local.doc, TABLE);
  await book.enqueue(submit('o-1'), '2026-12-08T15:00:00.000Z');
  await book.enqueue(submit('o-2'), '2026-12-08T15:00:01.000Z');
  const [first] = await book.pending('FIXA');
  expect(first?.key).toBe('fix-req#FIXA#o-1#submit');
  if (first === undefined) throw new Error('nothing queued');
  expect(await book.claim(first.key)).toBe(true);
  expect(await book.claim(first.key)).toBe(false);
  expect((await book.pending('FIXA')).map((q) => q.request.orderId)).toEqual(['o-2']);

  await book.saveOrder({
    venue: 'FIXA',
    terms: {
      orderId: 'o-1',
      accountId: 'acc',
      symbol: 'AAPL',
      side: 'buy',
      type: 'market',
      timeInForce: 'day',
      qty: '10',
      limitPrice: null,
      stopPrice: null,
      venueOrderId: null,
    },
    status: 'open',
    filledQty: '0',
    avgPrice: null,
    executions: [],
    pendingReplace: null,
    updatedAt: '2026-12-08T15:00:00.000Z',
  });
  expect(await book.order('FIXA', 'o-1')).toBeDefined();
  await book.forgetOrder('FIXA', 'o-1');
  expect(await book.order('FIXA', 'o-1')).toBeUndefined();

  await book.release(first);
  await book.release(first); // a retry changes nothing
  // Back in its place: oldest first.
  expect((await book.pending('FIXA')).map((q) => q.request.orderId)).toEqual(['o-1', 'o-2']);
  expect(await book.claim(first.key)).toBe(true);
  expect(await book.claim(first.key)).toBe(false);
});

test('releasing a request that is not there creates nothing', async () => {
  const book = new DynamoFixBook(local.doc, TABLE);
  await book.release({
    key: 'fix-req#FIXA#ghost#submit',
    requestedAt: '2026-12-08T15:00:00.000Z',
    request: submit('ghost'),
  });
  expect((await book.pending('FIXA')).map((q) => q.request.orderId)).not.toContain('ghost');
});
