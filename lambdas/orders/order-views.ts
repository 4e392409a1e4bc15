/**
 * Reading order documents (`order`, the Alpaca JSON) of the orders read model by id: the listing
 * indexes project only small attributes (lambdas/orders/order-view-indexes.ts, issue 12), so a
 * listing or cancel-all reads its page's documents from the table, 100 ids per BatchGetItem.
 */
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  type DynamoDBDocumentClient,
} from '@aws-sdk/lib-dynamodb';
import { type AlpacaOrder, alpacaOrderFromStored } from '../core/index.js';

/** BatchGetItem takes at most 100 keys. */
const BATCH_GET_KEYS = 100;
const MAX_ATTEMPTS = 8;

/** The `order` documents of `orderIds` (an id missing from the table is absent from the map). */
export async function orderDocuments(
  doc: DynamoDBDocumentClient,
  table: string,
  orderIds: readonly string[],
): Promise<Map<string, AlpacaOrder>> {
  const ids = [...new Set(orderIds)];
  const orders = new Map<string, AlpacaOrder>();
  for (let i = 0; i < ids.length; i += BATCH_GET_KEYS) {
    let keys: Record<string, unknown>[] | undefined = ids
      .slice(i, i + BATCH_GET_KEYS)
      .map((orderId) => ({ orderId }));
    for (let attempt = 0; keys !== undefined && keys.length > 0; attempt++) {
      if (attempt >= MAX_ATTEMPTS) throw new Error('BatchGetItem kept leaving keys unprocessed');
      if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(1000, 25 * 2 ** attempt)));
      const out: BatchGetCommandOutput = await doc.send(
        new BatchGetCommand({
          RequestItems: {
            [table]: {
              Keys: keys,
              ProjectionExpression: 'orderId, #o',
              ExpressionAttributeNames: { '#o': 'order' },
            },
          },
        }),
      );
      for (const item of out.Responses?.[table] ?? [])
        orders.set(item.orderId as string, alpacaOrderFromStored(item.order as Partial<AlpacaOrder>));
      keys = out.UnprocessedKeys?.[table]?.Keys as Record<string, unknown>[] | undefined;
    }
  }
  return orders;
}
