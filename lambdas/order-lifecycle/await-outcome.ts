/**
 * Workflow task `Await outcome` (`lambda:invoke.waitForTaskToken`): registers the execution's
 * task token for the order in TASK_TOKENS_TABLE (`awaits: outcome`), where the signaller finds it
 * when a closing milestone is appended, and the workflow waits until SendTaskSuccess (or its
 * timeout). Token first, then the order: if it is already settled, this task releases its own
 * token (see `task-tokens.ts` for the race this closes).
 */
import * as z from 'zod/mini';
import { isSettled, type OrderStatus, statusOf } from '../core/index.js';
import { releaseOwnToken, storeTaskToken } from '../orders/task-tokens.js';
import { eventStore, OrderNotFound, parsePayload } from '../orders/workflow-task.js';
import { withTransientErrors } from '../platform/transient-errors.js';
import '../core/zod-messages.js';

const payload = z.looseObject({
  orderId: z.string().check(z.minLength(1)),
  taskToken: z.string().check(z.minLength(1)),
  outcomeTimeoutSeconds: z.optional(z.number().check(z.int(), z.positive())),
});

export interface AwaitResult {
  readonly orderId: string;
  /** The status this handler released the token with, when the order was already closed. */
  readonly releasedWith: OrderStatus | null;
}

const runTask = async (event: unknown): Promise<AwaitResult> => {
  const { orderId, taskToken, outcomeTimeoutSeconds } = parsePayload(payload, event, 'await-outcome');
  await storeTaskToken(orderId, taskToken, 'outcome', outcomeTimeoutSeconds, Date.now());

  const { state } = await eventStore().loadState(orderId);
  if (state === undefined) throw new OrderNotFound(orderId);
  const status = statusOf(state);
  if (!isSettled(state)) return { orderId, releasedWith: null };
  await releaseOwnToken(orderId, taskToken, { orderId, status, seq: state.seq });
  return { orderId, releasedWith: status };
};

/** Transient failures reach the state machine as `TransientError`, which its Retry covers. */
export const handler = withTransientErrors(runTask);
