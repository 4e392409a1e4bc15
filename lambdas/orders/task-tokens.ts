/**
 * The task tokens of the workflow's waits, in TASK_TOKENS_TABLE (one item per order): `Await
 * outcome` waits for the order's closing milestone, `Hold until triggered` for an OMS-held stop's
 * trigger (or its close). The item says which (`awaits`), so the signaller releases a trigger wait
 * on the trigger and never an outcome wait (lambdas/stream-consumers/signaller.ts). An item without `awaits`
 * (stored before it existed) is an outcome wait.
 *
 * The race both waits close: a milestone appended before the token was stored has already passed
 * the signaller, which found no token. So the token is stored FIRST and the order is THEN loaded
 * (strongly consistent); if what the wait is for has happened, the task releases its own token.
 * Both may send: the second SendTaskSuccess fails with TaskTimedOut / InvalidToken, as expected.
 */
import { SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { ENV, requiredEnv } from '../platform/config.js';
import { dynamo } from '../platform/dynamo.js';
import { logger } from '../platform/observability.js';
import { stepFunctions } from '../platform/step-functions.js';

export type AwaitedMilestone = 'outcome' | 'trigger';

/** Tokens outlive the longest wait by a day, then DynamoDB's TTL removes them. */
const TOKEN_TTL_SLACK_SECONDS = 24 * 60 * 60;
const DEFAULT_WAIT_SECONDS = 90 * 24 * 60 * 60;
/** Step Functions' answers to a token that is no longer waiting: the other sender was first. */
export const TOKEN_GONE = new Set(['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist']);

export async function storeTaskToken(
  orderId: string,
  taskToken: string,
  awaits: AwaitedMilestone,
  waitSeconds: number | undefined,
  now: number,
): Promise<void> {
  await dynamo.send(
    new PutCommand({
      TableName: requiredEnv(ENV.taskTokensTable),
      Item: {
        orderId,
        taskToken,
        awaits,
        registeredAt: new Date(now).toISOString(),
        expiresAt: Math.floor(now / 1000) + (waitSeconds ?? DEFAULT_WAIT_SECONDS) + TOKEN_TTL_SLACK_SECONDS,
      },
    }),
  );
}

/** Releases the task's own token with `output`; a token already released by the signaller is fine. */
export async function releaseOwnToken(orderId: string, taskToken: string, output: object): Promise<void> {
  try {
    await stepFunctions.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }));
  } catch (err) {
    const name = (err as { name?: string }).name ?? '';
    if (!TOKEN_GONE.has(name)) throw err;
    logger.info('token already released', { orderId, error: name });
  }
}
