/**
 * Workflow task `Expire order`: the order's outcome did not arrive before its time in force
 * ran out (the `Await outcome` timeout), so the OMS expires it (`OrderExpired`). The simulated
 * venue learns of it from the OrderExpired event on the bus and drops the resting order; a real
 * adapter would send a cancel. An order that closed meanwhile is left as it is.
 */
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { statusOf } from '../core/index.js';
import { runCommand } from '../event-store/event-store.js';
import { eventStore, OrderNotFound, parsePayload, workflowMeta } from '../orders/workflow-task.js';
import { withTransientErrors } from '../platform/transient-errors.js';
import '../core/zod-messages.js';

const payload = z.looseObject({ orderId: z.string().check(z.minLength(1)) });

export interface ExpireResult {
  readonly orderId: string;
  readonly status: string;
  readonly expired: boolean;
}

const runTask = async (event: unknown, context?: Context): Promise<ExpireResult> => {
  const { orderId } = parsePayload(payload, event, 'expire-order');
  const result = await runCommand(
    eventStore(),
    orderId,
    { type: 'expire' },
    workflowMeta('expire-order', context),
    Date.now,
  );
  if (result.state === undefined) throw new OrderNotFound(orderId);
  return { orderId, status: statusOf(result.state), expired: result.appended.length > 0 };
};

/** Transient failures reach the state machine as `TransientError`, which its Retry covers. */
export const handler = withTransientErrors(runTask);
