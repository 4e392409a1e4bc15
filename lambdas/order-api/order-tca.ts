/**
 * GET /v2/orders/{order_id}/tca (beyond Alpaca, issue 15): the order's transaction cost analysis,
 * recorded when it closed (core order-tca.ts, computed by the order stream consumer and kept on
 * the order's view, gzip-compressed JSON `tcaGz`; the same data went on the bus as `OrderTcaRecorded`). One consistent GetItem.
 *
 * Another account's order and an unknown one are 404 with Alpaca's body; an order still open has
 * no TCA yet (404 naming its status); a split or algorithmic parent's child has none of its own
 * (its parent's covers its fills). Field names are the TCA's own (camelCase, docs/tca.md): the
 * measures are the OMS's, not an Alpaca resource.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { tcaOfItem } from '../orders/order-view-item.js';
import { ENV, requiredEnv } from '../platform/config.js';
import { dynamo } from '../platform/dynamo.js';
import { API_ERROR, apiError, json } from './api-response.js';
import { apiHandler, notFound } from './http.js';
import { plausibleOrderId } from './orders-access.js';

export const handler = apiHandler('OrderTca', async (event, principal) => {
  const orderId = event.pathParameters?.order_id;
  if (!plausibleOrderId(orderId)) return notFound();
  const got = await dynamo.send(
    new GetCommand({
      TableName: requiredEnv(ENV.ordersTable),
      Key: { orderId },
      ConsistentRead: true,
      ProjectionExpression: 'accountId, #o.#s, tcaGz, contingencyRole',
      ExpressionAttributeNames: { '#o': 'order', '#s': 'status' },
    }),
  );
  const item = got.Item as
    | { accountId?: string; order?: { status?: string }; tcaGz?: Uint8Array; contingencyRole?: string }
    | undefined;
  if (item === undefined || item.accountId !== principal.accountId) return notFound();
  if (item.tcaGz === undefined) {
    const status = item.order?.status ?? 'open';
    const why =
      item.contingencyRole === 'algo_child'
        ? 'a child order of a split or algorithmic parent has none of its own: see its parent'
        : `the order is ${status}: its TCA is recorded when it closes`;
    return apiError(404, API_ERROR.notFound, `tca not found: ${why}`);
  }
  return json(200, tcaOfItem(item.tcaGz));
});
