/**
 * Reading order documents (`order`, the Alpaca JSON) of the orders read model by id: the listing
 * indexes project only small attributes (lambdas/orders/order-view-indexes.ts, issue 12), so a
 * listing or cancel-all reads its page's documents from the table, 100 ids per BatchGetItem (the
 * execution-quality reports, each order's TCA the same way).
 */
import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { type AlpacaOrder, alpacaOrderFromStored } from '../core/index.js';
import { batchGetItems } from '../platform/batch-get.js';

interface IndexQuery {
  readonly indexName: string;
  readonly keyCondition: string;
  readonly values: Record<string, unknown>;
}

/** Every item an index lists under one key (every page), with the attributes `projection` names. */
async function indexItems(
  doc: DynamoDBDocumentClient,
  table: string,
  query: IndexQuery,
  projection: string,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new QueryCommand({
        TableName: table,
        IndexName: query.indexName,
        KeyConditionExpression: query.keyCondition,
        ExpressionAttributeValues: query.values,
        ProjectionExpression: projection,
        ExclusiveStartKey: start,
      }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

/** The ids of the orders an index lists under one key (every page; keys only read). */
export async function orderIdsByIndex(
  doc: DynamoDBDocumentClient,
  table: string,
  query: IndexQuery,
): Promise<string[]> {
  return (await indexItems(doc, table, query, 'orderId')).map((item) => item.orderId as string);
}

/**
 * The orders an index lists under one key, each with its group role (`contingencyRole`, null for
 * an order of no group); the index must project it (the listing indexes do).
 */
export async function orderRolesByIndex(
  doc: DynamoDBDocumentClient,
  table: string,
  query: IndexQuery,
): Promise<{ readonly orderId: string; readonly role: string | null }[]> {
  return (await indexItems(doc, table, query, 'orderId, contingencyRole')).map((item) => ({
    orderId: item.orderId as string,
    role: typeof item.contingencyRole === 'string' ? item.contingencyRole : null,
  }));
}

/**
 * The `order` documents of `orderIds` (an id missing from the table is absent from the map);
 * `consistent`: strongly consistent reads.
 */
export async function orderDocuments(
  doc: DynamoDBDocumentClient,
  table: string,
  orderIds: readonly string[],
  consistent = false,
): Promise<Map<string, AlpacaOrder>> {
  const documents = await viewAttribute(doc, table, orderIds, 'order', consistent);
  const orders = new Map<string, AlpacaOrder>();
  for (const [id, order] of documents) orders.set(id, alpacaOrderFromStored(order as Partial<AlpacaOrder>));
  return orders;
}

/**
 * One attribute of the views of `orderIds`, 100 ids per BatchGetItem (unprocessed keys asked
 * again); a view without it, or an id missing from the table, is absent from the map. `consistent`:
 * strongly consistent reads (a view written a moment ago is seen).
 */
export async function viewAttribute(
  doc: DynamoDBDocumentClient,
  table: string,
  orderIds: readonly string[],
  attribute: string,
  consistent = false,
): Promise<Map<string, unknown>> {
  const items = await batchGetItems(
    doc,
    table,
    [...new Set(orderIds)].map((orderId) => ({ orderId })),
    { consistent, projection: 'orderId, #a', names: { '#a': attribute } },
  );
  const values = new Map<string, unknown>();
  for (const item of items)
    if (item[attribute] !== undefined) values.set(item.orderId as string, item[attribute]);
  return values;
}
