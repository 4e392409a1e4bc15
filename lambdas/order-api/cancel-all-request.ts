/**
 * `DELETE /v2/orders` fans its work out: one `CancelOrderRequested` event per open order on the OMS
 * bus (PutEvents, 10 a call), a rule -> queue -> the cancel-all worker (`cancel-all-worker.ts`), so
 * the caller's request never holds the cancels, whatever the number of open orders.
 */
import * as z from 'zod/mini';
import '../core/zod-messages.js';

/** Not `stockbot.oms`: a command to the OMS itself, not an order event its subscribers read. */
export const CANCEL_REQUEST_SOURCE = 'stockbot.oms.api';
export const CANCEL_REQUEST_DETAIL_TYPE = 'CancelOrderRequested';

export const cancelRequestDetail = z.object({
  orderId: z.string().check(z.minLength(1)),
  accountId: z.string().check(z.minLength(1)),
  /** The principal that asked (the order's `OrderCancelRequested.requestedBy`). */
  requestedBy: z.string().check(z.minLength(1)),
  /** The HTTP request id: the cancel's correlation and causation id. */
  requestId: z.string().check(z.minLength(1)),
});

export type CancelRequestDetail = z.infer<typeof cancelRequestDetail>;
