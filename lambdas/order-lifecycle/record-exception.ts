/**
 * Workflow task `Record exception`: a workflow step failed for good (retries exhausted or an
 * error that is not transient). Core `recordException` records it (`OrderExceptionRecorded`)
 * and puts the order in a defined state: rejected when the venue cannot have it, a cancel
 * request when it may (a submission was attempted), as it is when already closed. So no order
 * is left silently stuck; the execution then ends in `Order failed` for an operator to see.
 *
 * The failure's cause (a Lambda error's JSON with its stack trace, a service message with ARNs)
 * is for operators: it is logged whole here and stays in the execution history. The event, which
 * API clients (GET /v2/orders/{id}/events) and bus subscribers read, carries only a summary:
 * `errorType: errorMessage` (first line, no stack trace), ARNs and account ids redacted, at most
 * MAX_CAUSE_LENGTH characters.
 */
import type { Context } from 'aws-lambda';
import * as z from 'zod/mini';
import { statusOf } from '../core/index.js';
import { runCommand } from '../event-store/event-store.js';
import { eventStore, OrderNotFound, parsePayload, workflowMeta } from '../orders/workflow-task.js';
import { logger } from '../platform/observability.js';
import { withTransientErrors } from '../platform/transient-errors.js';
import '../core/zod-messages.js';

/** The longest cause summary the event carries. */
export const MAX_CAUSE_LENGTH = 200;
/** Error names are identifiers; a longer one is cut. */
export const MAX_ERROR_LENGTH = 100;

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Strips what identifies infrastructure: ARNs and 12-digit account ids. */
function redact(text: string): string {
  return text.replace(/arn:aws[a-z-]*:[^\s"',]+/g, '<arn>').replace(/\b\d{12}\b/g, '<account>');
}

/**
 * The public summary of a Step Functions failure cause. A Lambda function error's cause is JSON
 * `{errorType, errorMessage, trace|stackTrace}`: the summary is `errorType: errorMessage` (first
 * line). Any other cause (a States.* error's text) keeps its first line. Pure.
 */
export function summarizeCause(cause: string | null | undefined): string {
  const raw = (cause ?? '').trim();
  if (raw === '') return '';
  let summary = raw;
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed === 'object' && parsed !== null) {
      const { errorType, errorMessage } = parsed as { errorType?: unknown; errorMessage?: unknown };
      const type = typeof errorType === 'string' ? errorType : undefined;
      const message = typeof errorMessage === 'string' ? errorMessage : undefined;
      summary = [type, message].filter((x) => x !== undefined && x !== '').join(': ');
    } else if (typeof parsed === 'string') {
      summary = parsed;
    }
  } catch {
    // Not JSON: plain text.
  }
  const firstLine = summary.split(/\r?\n/, 1)[0] ?? '';
  return clip(redact(firstLine.trim()), MAX_CAUSE_LENGTH);
}

const payload = z.looseObject({
  orderId: z.string().check(z.minLength(1)),
  stage: z.string().check(z.minLength(1)),
  error: z.nullish(z.string()),
  cause: z.nullish(z.string()),
  reachedVenue: z.boolean(),
});

export interface ExceptionResult {
  readonly orderId: string;
  readonly status: string;
  readonly recorded: boolean;
}

const runTask = async (event: unknown, context?: Context): Promise<ExceptionResult> => {
  const p = parsePayload(payload, event, 'record-exception');
  const error = clip(p.error ?? 'unknown', MAX_ERROR_LENGTH);
  const cause = summarizeCause(p.cause);
  // Operators get the whole cause (stack trace included); the event only the summary.
  logger.error('workflow exception', { orderId: p.orderId, stage: p.stage, error, cause: p.cause ?? '' });
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

/** Transient failures reach the state machine as `TransientError`, which its Retry covers. */
export const handler = withTransientErrors(runTask);
