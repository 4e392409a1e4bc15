/**
 * Workflow task `Finish algorithm`: the schedule is over (every slice decided, or stopped). A
 * parent that is neither filled nor closed is canceled, `requestedBy` saying why: the group
 * coordinator cancels its open children first and confirms the parent's cancel once they are all
 * closed (so a late child fill is still mirrored onto the parent). Idempotent.
 */
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { isSettled, statusOf } from '../core/index.js';
import { runCommand } from '../event-store/event-store.js';
import { eventStore, OrderNotFound, parsePayload, workflowMeta } from '../orders/workflow-task.js';
import { withTransientErrors } from '../platform/transient-errors.js';
import '../core/zod-messages.js';

const payload = z.looseObject({ orderId: z.string().check(z.minLength(1)) });

/** Who asks for the parent's cancel when its schedule ends with a remainder. */
export const SCHEDULE_ENDED = 'oms:algo:schedule_ended';

const runTask = async (event: unknown, context?: Context): Promise<{ orderId: string; status: string }> => {
  const { orderId } = parsePayload(payload, event, 'finish-algorithm');
  const store = eventStore();
  const { state } = await store.loadState(orderId);
  if (state === undefined) throw new OrderNotFound(orderId);
  if (!isSettled(state) && state.cancelRequest === 'none') {
    const r = await runCommand(
      store,
      orderId,
      { type: 'requestCancel', requestedBy: SCHEDULE_ENDED },
      workflowMeta('finish-algorithm', context),
      Date.now,
    );
    return { orderId, status: r.state === undefined ? statusOf(state) : statusOf(r.state) };
  }
  return { orderId, status: statusOf(state) };
};

export const handler = withTransientErrors(runTask);
