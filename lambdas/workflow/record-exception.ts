/**
 * Workflow task `Record exception`: a workflow step failed for good (retries exhausted or an
 * error that is not transient). Core `recordException` records it (`OrderExceptionRecorded`)
 * and puts the order in a defined state: rejected when the venue cannot have it, a cancel
 * request when it may (a submission was attempted), as it is when already closed. So no order
 * is left silently stuck; the execution then ends in `Order failed` for an operator to see.
 */
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { statusOf } from '../core/index.js';
import { runCommand } from '../shared/event-store.js';
import { logger } from '../shared/observability.js';
import { eventStore, OrderNotFound, parsePayload, workflowMeta } from './common.js';

/** Causes can be long stack traces; the event keeps the start. */
export const MAX_CAUSE_LENGTH = 2000;

const payload = z.looseObject({
  orderId: z.string().min(1),
  stage: z.string().min(1),
  error: z.string().nullish(),
  cause: z.string().nullish(),
  reachedVenue: z.boolean(),
});

export interface ExceptionResult {
  readonly orderId: string;
  readonly status: string;
  readonly recorded: boolean;
}

export const handler = async (event: unknown, context?: Context): Promise<ExceptionResult> => {
  const p = parsePayload(payload, event, 'record-exception');
  const error = p.error ?? 'unknown';
  const cause = (p.cause ?? '').slice(0, MAX_CAUSE_LENGTH);
  logger.error('workflow exception', { orderId: p.orderId, stage: p.stage, error, cause });
  const result = await runCommand(
    eventStore(),
    p.orderId,
    { type: 'recordException', stage: p.stage, error, cause, reachedVenue: p.reachedVenue },
    workflowMeta('record-exception', context),
    Date.now,
  );
  if (result.state === undefined) throw new OrderNotFound(p.orderId);
  return { orderId: p.orderId, status: statusOf(result.state), recorded: result.appended.length > 0 };
};
