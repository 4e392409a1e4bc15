/**
 * What the workflow's task handlers share: the event store, the metadata of the events they
 * append, and strict parsing of the state machine's payloads (a malformed payload is a bug in
 * the ASL: it throws, and the state's Catch records the exception).
 */
import type { Context } from 'aws-lambda';
import type * as z from 'zod/mini';
import type { OrderState } from '../core/index.js';
import '../core/zod-messages.js';
import { type EventMeta, eventStore } from '../event-store/event-store.js';

/** The one event-store factory (event-store layer), re-exported for this folder's handlers. */
export { eventStore };

/** Events the workflow appends belong to the order's flow and are caused by this invocation. */
export function workflowMeta(stage: string, context: Context | undefined): (s: OrderState) => EventMeta {
  return (s) => ({
    accountId: s.accountId,
    correlationId: s.orderId,
    causationId: `workflow:${stage}:${context?.awsRequestId ?? 'local'}`,
  });
}

export function parsePayload<T extends z.ZodMiniType>(schema: T, event: unknown, stage: string): z.output<T> {
  const parsed = schema.safeParse(event);
  if (!parsed.success) throw new Error(`${stage}: malformed payload: ${parsed.error.message}`);
  return parsed.data;
}

export class OrderNotFound extends Error {
  constructor(orderId: string) {
    super(`order ${orderId} is not in the event store`);
    this.name = 'OrderNotFound';
  }
}
