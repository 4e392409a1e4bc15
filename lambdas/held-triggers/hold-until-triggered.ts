/**
 * Workflow task `Hold until triggered` (`lambda:invoke.waitForTaskToken`), for a stop whose venue
 * does not hold its type: the OMS holds the trigger. Stores the task token (`awaits: trigger`),
 * then arms the order (`OrderArmed`, Alpaca `accepted`; a retried task finds it armed), and the
 * workflow waits. The held-trigger watcher (lambdas/held-triggers) appends `OrderTriggered` when the
 * market crosses the stop; the signaller then releases the token with status `pending_new`, and
 * the workflow sends the order to the venue as the type it now trades as. A close while armed
 * (cancel, replace, expiry) releases it with the closed status.
 *
 * Token first, then the order (task-tokens.ts): if the order is no longer armed when this task
 * looks (it triggered or closed meanwhile, or it never could be armed: a replacement already at
 * the venue, a cancel requested before the order was armed), the task releases its own token with
 * the order's status, and the workflow's Choice takes it from there.
 */
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { isTriggeredHeldForGroup, type OrderStatus, statusOf } from '../core/index.js';
import { runCommand } from '../event-store/event-store.js';
import { releaseOwnToken, storeTaskToken } from '../orders/task-tokens.js';
import { eventStore, OrderNotFound, parsePayload, workflowMeta } from '../orders/workflow-task.js';
import { withTransientErrors } from '../platform/transient-errors.js';
import '../core/zod-messages.js';

const payload = z.looseObject({
  orderId: z.string().check(z.minLength(1)),
  taskToken: z.string().check(z.minLength(1)),
  venue: z.string().check(z.minLength(1)),
  outcomeTimeoutSeconds: z.optional(z.number().check(z.int(), z.positive())),
});

export interface HoldResult {
  readonly orderId: string;
  /** The status this task released its own token with (the order was not armed), else null. */
  readonly releasedWith: OrderStatus | null;
}

const runTask = async (event: unknown, context?: Context): Promise<HoldResult> => {
  const { orderId, taskToken, venue, outcomeTimeoutSeconds } = parsePayload(
    payload,
    event,
    'hold-until-triggered',
  );
  await storeTaskToken(orderId, taskToken, 'trigger', outcomeTimeoutSeconds, Date.now());
  // Refusals are expected here (already armed, triggered, closed): the state tells what to do.
  const { state } = await runCommand(
    eventStore(),
    orderId,
    { type: 'arm', venue },
    workflowMeta('hold-until-triggered', context),
    Date.now,
  );
  if (state === undefined) throw new OrderNotFound(orderId);
  // Armed, or (a retried task) a group's stop-loss triggered and held for its siblings: the wait
  // goes on; its activation or close releases the token.
  if (state.phase === 'armed' || isTriggeredHeldForGroup(state)) return { orderId, releasedWith: null };
  const status = statusOf(state);
  await releaseOwnToken(orderId, taskToken, { orderId, status, seq: state.seq });
  return { orderId, releasedWith: status };
};

/** Transient failures reach the state machine as `TransientError`, which its Retry covers. */
export const handler = withTransientErrors(runTask);
