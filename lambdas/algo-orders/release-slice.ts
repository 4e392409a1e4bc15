/**
 * Workflow task `Release slice` (inside the Map of statemachines/algo-order.asl.json, after the
 * slice's Wait): runs the parent's algorithm for this slice (`runAlgoStep`): release a child order,
 * wait, or done. Idempotent per slice: a retry finds the slice decided and does nothing. Once the
 * parent is done, canceled or closed it throws `ScheduleStopped`, which ends the Map (its Catch
 * goes to `Finish algorithm`): the remaining slices' Waits are skipped.
 */
import * as z from 'zod/mini';
import { algoStepDeps, runAlgoStep } from '../orders/algo-orders.js';
import { eventStore, parsePayload } from '../orders/workflow-task.js';
import { marketData } from '../platform/market-data.js';
import { logger } from '../platform/observability.js';
import { sessionOptionsFromEnv } from '../platform/session-settings.js';
import { withTransientErrors } from '../platform/transient-errors.js';
import '../core/zod-messages.js';

const payload = z.looseObject({
  orderId: z.string().check(z.minLength(1)),
  index: z.int().check(z.minimum(0)),
});

/** The parent has nothing more to schedule; the state machine catches it by this name. */
export class ScheduleStopped extends Error {
  override readonly name = 'ScheduleStopped';
}

const runTask = async (event: unknown): Promise<{ orderId: string; index: number; decision: string }> => {
  const { orderId, index } = parsePayload(payload, event, 'release-slice');
  const outcome = await runAlgoStep(
    algoStepDeps(eventStore(), marketData(), sessionOptionsFromEnv()),
    orderId,
    'slice',
    index,
  );
  logger.info('slice decided', { orderId, index, outcome });
  if (outcome.kind === 'stopped') throw new ScheduleStopped(`${orderId}: ${outcome.status}`);
  return { orderId, index, decision: outcome.kind };
};

export const handler = withTransientErrors(runTask);
