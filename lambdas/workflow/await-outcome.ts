/**
 * Workflow task `Await outcome` (`lambda:invoke.waitForTaskToken`): registers the execution's
 * task token for the order in TASK_TOKENS_TABLE, where the signaller finds it when a closing
 * milestone is appended, and the workflow waits until SendTaskSuccess (or its timeout).
 *
 * The race: a milestone appended before the token was stored has already passed the signaller,
 * which found no token. So the token is stored FIRST and the order is THEN loaded (strongly
 * consistent); if it is already closed this handler releases the token itself. Both may send:
 * the second SendTaskSuccess fails with TaskTimedOut / InvalidToken, which is expected.
 */
import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { isSettled, type OrderStatus, statusOf } from '../core/index.js';
import { ENV, requiredEnv } from '../shared/config.js';
import { dynamo } from '../shared/dynamo.js';
import { logger } from '../shared/observability.js';
import { stepFunctions } from '../shared/step-functions.js';
import { withTransientErrors } from '../shared/transient-errors.js';
import { eventStore, OrderNotFound, parsePayload } from './common.js';

/** Tokens outlive the longest wait by a day, then DynamoDB's TTL removes them. */
const TOKEN_TTL_SLACK_SECONDS = 24 * 60 * 60;
const DEFAULT_WAIT_SECONDS = 90 * 24 * 60 * 60;
/** Step Functions' answers to a token that is no longer waiting: the other sender was first. */
const TOKEN_GONE = new Set(['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist']);

const payload = z.looseObject({
  orderId: z.string().min(1),
  taskToken: z.string().min(1),
  outcomeTimeoutSeconds: z.number().int().positive().optional(),
});

export interface AwaitResult {
  readonly orderId: string;
  /** The status this handler released the token with, when the order was already closed. */
  readonly releasedWith: OrderStatus | null;
}

const runTask = async (event: unknown): Promise<AwaitResult> => {
  const { orderId, taskToken, outcomeTimeoutSeconds } = parsePayload(payload, event, 'await-outcome');
  const now = Date.now();
  await dynamo.send(
    new PutCommand({
      TableName: requiredEnv(ENV.taskTokensTable),
      Item: {
        orderId,
        taskToken,
        registeredAt: new Date(now).toISOString(),
        expiresAt:
          Math.floor(now / 1000) + (outcomeTimeoutSeconds ?? DEFAULT_WAIT_SECONDS) + TOKEN_TTL_SLACK_SECONDS,
      },
    }),
  );

  const { state } = await eventStore().loadState(orderId);
  if (state === undefined) throw new OrderNotFound(orderId);
  const status = statusOf(state);
  if (!isSettled(state)) return { orderId, releasedWith: null };

  try {
    await stepFunctions.send(
      new SendTaskSuccessCommand({ taskToken, output: JSON.stringify({ orderId, status, seq: state.seq }) }),
    );
  } catch (err) {
    const name = (err as { name?: string }).name ?? '';
    if (!TOKEN_GONE.has(name)) throw err;
    logger.info('token already released', { orderId, error: name });
  }
  return { orderId, releasedWith: status };
};

/** Transient failures reach the state machine as `TransientError`, which its Retry covers. */
export const handler = withTransientErrors(runTask);
