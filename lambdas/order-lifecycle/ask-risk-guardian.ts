/**
 * Workflow task `Ask Risk Guardian`: the optional external pre-trade check (RISK_GUARDIAN_URL).
 * Contract: `POST <url>` with `{orderId, accountId, order}` (the Alpaca order JSON); approval is
 * a 2xx answer whose JSON body has `approved: true` (an optional `reason` explains a refusal).
 * Fail closed: a refusal, any other answer, an error or no answer within GUARDIAN_TIMEOUT_MS
 * rejects the order (`OrderRejected`, reason `risk_guardian: ...`).
 */
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { statusOf, toAlpacaOrder } from '../core/index.js';
import { runCommand } from '../event-store/event-store.js';
import { eventStore, OrderNotFound, parsePayload, workflowMeta } from '../orders/workflow-task.js';
import { ENV, optionalEnv } from '../platform/config.js';
import { logger } from '../platform/observability.js';
import { withTransientErrors } from '../platform/transient-errors.js';
import '../core/zod-messages.js';

/** The guardian's time budget; the state's TimeoutSeconds (10 s) is the backstop above it. */
export const GUARDIAN_TIMEOUT_MS = 3000;

const payload = z.looseObject({ orderId: z.string().check(z.minLength(1)) });
const answerSchema = z.looseObject({ approved: z.literal(true) });
const refusalSchema = z.looseObject({ reason: z.string().check(z.maxLength(500)) });

export interface GuardianResult {
  readonly decision: 'approved' | 'rejected';
  readonly reason: string | null;
}

/** null = approved; otherwise why not. */
async function askGuardian(url: string | undefined, body: unknown): Promise<string | null> {
  if (url === undefined) return 'not configured';
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(GUARDIAN_TIMEOUT_MS),
    });
  } catch (err) {
    const name = (err as { name?: string }).name;
    return name === 'TimeoutError'
      ? `no answer within ${GUARDIAN_TIMEOUT_MS} ms`
      : `unreachable (${name ?? 'error'})`;
  }
  let answer: unknown;
  try {
    answer = await response.json();
  } catch {
    return `answered ${response.status} without a JSON body`;
  }
  if (response.ok && answerSchema.safeParse(answer).success) return null;
  const why = refusalSchema.safeParse(answer);
  return `refused (${response.status}${why.success ? `: ${why.data.reason}` : ''})`;
}

const runTask = async (event: unknown, context?: Context): Promise<GuardianResult> => {
  const { orderId } = parsePayload(payload, event, 'ask-risk-guardian');
  const store = eventStore();
  const { state } = await store.loadState(orderId);
  if (state === undefined) throw new OrderNotFound(orderId);
  if (state.phase !== 'pending_new') return { decision: 'rejected', reason: `order is ${statusOf(state)}` };

  const why = await askGuardian(optionalEnv(ENV.riskGuardianUrl), {
    orderId,
    accountId: state.accountId,
    order: toAlpacaOrder(state),
  });
  if (why === null) return { decision: 'approved', reason: null };

  const reason = `risk_guardian: ${why}`;
  await runCommand(
    store,
    orderId,
    { type: 'reject', reason },
    workflowMeta('ask-risk-guardian', context),
    Date.now,
  );
  logger.info('order refused by the Risk Guardian', { orderId, reason });
  return { decision: 'rejected', reason };
};

/** Transient failures reach the state machine as `TransientError`, which its Retry covers. */
export const handler = withTransientErrors(runTask);
