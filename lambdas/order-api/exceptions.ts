/**
 * The exceptions view (issue 16), operator routes (an `operator` key; any other gets 403):
 * - `GET /v1/exceptions`: everything an operator has to act on, oldest first: every order's open
 *   exceptions (core `openExceptionsOf`: quarantined executions, workflow exceptions,
 *   reconciliation breaks left open), reconciliation's `UNKNOWN_AT_OMS` and `POSITION_MISMATCH`
 *   records (`break#...` items: no order to record them on), and orders stuck
 *   past the in-flight threshold (still `pending_new`, or with a cancel or replace outstanding:
 *   listed, not resolvable: they resolve when the order moves).
 * - `POST /v1/exceptions/{id}/resolve` `{"reason"}`: records the resolution as an event
 *   (`OrderExceptionResolved`, with the operator's key and the reason) and takes the exception off
 *   the view. A retried resolve answers the resolution already recorded.
 * - Dead-lettered messages (dead-letters.ts): every message of the stack's dead-letter queues
 *   (peeked, not consumed), one entry each (`dead-letter:<queue>:<message id>`), and each queue's
 *   depth (`dead_letter_queues`); resolving one records why (a `dead-letter#...` item in the orders
 *   table) and deletes it. `POST /v1/dead-letters/{queue}/redrive` moves a queue's messages back to
 *   their source queue.
 * Reads: the sparse GSI `byOpenException` (only orders with an open exception are in it), the two
 * sparse stuck-order GSIs, and each listed order's events once. Nothing on an order's path.
 */
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import '../core/zod-messages.js';
import { fieldError, openExceptionsOf, PRINTABLE_TEXT, shapeIssueToFieldErrors } from '../core/index.js';
import { eventStore, runCommand } from '../event-store/event-store.js';
import { OPEN_EXCEPTION_PARTITION, ORDERS_INDEX } from '../orders/order-view-indexes.js';
import { PENDING_NEW_SHARDS, REQUEST_IN_FLIGHT_SHARDS } from '../orders/order-view-item.js';
import { ENV, requiredEnv } from '../platform/config.js';
import { dynamo } from '../platform/dynamo.js';
import { inFlightThresholdFromEnv } from '../platform/in-flight-settings.js';
import { API_ERROR, apiError, fieldErrors, json } from './api-response.js';
import {
  DEAD_LETTER_ID_PREFIX,
  type DeadLetteredMessage,
  type DeadLetterQueueDepth,
  listDeadLetters,
  redrive,
  resolveDeadLetter,
} from './dead-letters.js';
import { apiHandler, jsonBody } from './http.js';

export type ExceptionKind =
  | 'quarantined_execution'
  | 'workflow_exception'
  | 'reconciliation_break'
  | 'stuck_pending_new'
  | 'stuck_request'
  | 'dead_lettered_message';

export interface ExceptionEntry {
  readonly id: string;
  readonly kind: ExceptionKind;
  readonly order_id: string | null;
  readonly account_id: string | null;
  readonly symbol: string | null;
  readonly detail: string;
  readonly raised_at: string;
  /** Whether `POST /v1/exceptions/{id}/resolve` applies (a stuck order resolves when it moves). */
  readonly resolvable: boolean;
  /** Kind `dead_lettered_message`: the queue and the message. */
  readonly dead_letter?: DeadLetteredMessage;
}

/** How many of each kind one answer lists at most (oldest first); `truncated` says when more exist. */
export const MAX_LISTED = 500;
/** Breaks with no order to be recorded on (`UNKNOWN_AT_OMS`, `POSITION_MISMATCH`): items of their own. */
const BREAK_PREFIX = 'break#';

const resolveBody = z.strictObject({
  // Trimmed, as a trading state's reason is: whitespace alone says nothing (a probe's " " passed).
  reason: z.string().check(
    z.trim(),
    z.minLength(1, 'must say why (1-500 characters)'),
    z.maxLength(500, 'must be at most 500 characters'),
    // Recorded in the audit trail and shown to operators: a control character could forge a line.
    z.regex(PRINTABLE_TEXT, 'must be printable text (no control characters)'),
  ),
});

async function keysOf(index: string, key: string, value: string, below?: { name: string; value: string }) {
  const out: string[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await dynamo.send(
      new QueryCommand({
        TableName: requiredEnv(ENV.ordersTable),
        IndexName: index,
        KeyConditionExpression: below === undefined ? '#k = :v' : '#k = :v AND #s < :below',
        ExpressionAttributeNames: { '#k': key, ...(below === undefined ? {} : { '#s': below.name }) },
        ExpressionAttributeValues: { ':v': value, ...(below === undefined ? {} : { ':below': below.value }) },
        ExclusiveStartKey: start,
        Limit: MAX_LISTED,
      }),
    );
    for (const i of page.Items ?? []) if (typeof i.orderId === 'string') out.push(i.orderId);
    start = out.length >= MAX_LISTED ? undefined : page.LastEvaluatedKey;
  } while (start !== undefined);
  return out;
}

async function listExceptions(now: number): Promise<{
  exceptions: ExceptionEntry[];
  truncated: boolean;
  dead_letter_queues: DeadLetterQueueDepth[];
}> {
  const table = requiredEnv(ENV.ordersTable);
  const store = eventStore();
  const thresholdMs = inFlightThresholdFromEnv();
  const cutoff = new Date(now - thresholdMs).toISOString();
  const [open, pendingNew, inFlight, deadLetters] = await Promise.all([
    keysOf(ORDERS_INDEX.byOpenException, 'exceptionOpen', OPEN_EXCEPTION_PARTITION),
    Promise.all(
      Array.from({ length: PENDING_NEW_SHARDS }, (_, i) =>
        keysOf(ORDERS_INDEX.byPendingNew, 'awaitingWorkflow', `pending_new#${i}`, {
          name: 'createdKey',
          value: cutoff,
        }),
      ),
    ),
    Promise.all(
      Array.from({ length: REQUEST_IN_FLIGHT_SHARDS }, (_, i) =>
        keysOf(ORDERS_INDEX.byRequestInFlight, 'requestInFlight', `request#${i}`, {
          name: 'requestedAt',
          value: cutoff,
        }),
      ),
    ),
    listDeadLetters(),
  ]);
  const out: ExceptionEntry[] = [];
  for (const id of open) {
    if (id.startsWith(BREAK_PREFIX)) {
      const got = await dynamo.send(
        new GetCommand({ TableName: table, Key: { orderId: id }, ConsistentRead: true }),
      );
      const i = got.Item;
      if (i?.exceptionOpen === undefined) continue;
      out.push({
        id,
        kind: 'reconciliation_break',
        order_id: null,
        account_id: typeof i.accountId === 'string' ? i.accountId : null,
        symbol: typeof i.symbol === 'string' ? i.symbol : null,
        detail: `${String(i.breakType)} at ${String(i.venue)}: ${String(i.detail)}`,
        raised_at: String(i.foundAt),
        resolvable: true,
      });
      continue;
    }
    const { state } = await store.loadState(id);
    if (state === undefined) continue;
    for (const [exceptionId, e] of openExceptionsOf(state))
      out.push({
        id: exceptionId,
        kind: e.kind,
        order_id: state.orderId,
        account_id: state.accountId,
        symbol: state.spec.symbol,
        detail: e.detail,
        raised_at: e.raisedAt,
        resolvable: true,
      });
  }
  const stuck = (ids: string[], kind: ExceptionKind, what: string) =>
    ids.map<ExceptionEntry>((orderId) => ({
      id: `stuck:${orderId}`,
      kind,
      order_id: orderId,
      account_id: null,
      symbol: null,
      detail: `${what} for longer than ${thresholdMs} ms`,
      raised_at: cutoff,
      resolvable: false,
    }));
  out.push(
    ...stuck(pendingNew.flat(), 'stuck_pending_new', 'pending_new (the venue has not acknowledged it)'),
  );
  out.push(...stuck(inFlight.flat(), 'stuck_request', 'a cancel or replace outstanding'));
  for (const m of deadLetters.messages)
    out.push({
      id: `${DEAD_LETTER_ID_PREFIX}${m.queue}:${m.message_id}`,
      kind: 'dead_lettered_message',
      order_id: m.order_id,
      account_id: m.account_id,
      symbol: m.symbol,
      detail: `${m.detail_type ?? 'a message'} dead-lettered in ${m.queue} (redrive: POST /v1/dead-letters/${m.queue}/redrive; drop: resolve)`,
      raised_at: m.sent_at,
      resolvable: true,
      dead_letter: m,
    });
  out.sort((a, b) => (a.raised_at < b.raised_at ? -1 : a.raised_at > b.raised_at ? 1 : 0));
  const truncated = open.length >= MAX_LISTED;
  const sampled = deadLetters.queues.some((q) => q.listed < q.depth);
  return { exceptions: out, truncated: truncated || sampled, dead_letter_queues: deadLetters.queues };
}

/** `<orderId>:<seq>`: an order's exception (the order id itself may hold colons: the last one splits). */
function orderOf(exceptionId: string): string | null {
  const at = exceptionId.lastIndexOf(':');
  if (at <= 0 || !/^\d+$/.test(exceptionId.slice(at + 1))) return null;
  return exceptionId.slice(0, at);
}

async function resolve(exceptionId: string, reason: string, resolvedBy: string, now: number) {
  const at = new Date(now).toISOString();
  if (exceptionId.startsWith(BREAK_PREFIX)) {
    try {
      await dynamo.send(
        new UpdateCommand({
          TableName: requiredEnv(ENV.ordersTable),
          Key: { orderId: exceptionId },
          UpdateExpression: 'REMOVE exceptionOpen SET resolvedAt = :at, resolvedBy = :by, resolution = :r',
          ConditionExpression: 'attribute_exists(exceptionOpen)',
          ExpressionAttributeValues: { ':at': at, ':by': resolvedBy, ':r': reason },
        }),
      );
      return json(200, { id: exceptionId, resolved_at: at, resolved_by: resolvedBy, reason });
    } catch (err) {
      if ((err as { name?: string }).name !== 'ConditionalCheckFailedException') throw err;
      const got = await dynamo.send(
        new GetCommand({
          TableName: requiredEnv(ENV.ordersTable),
          Key: { orderId: exceptionId },
          ConsistentRead: true,
        }),
      );
      const i = got.Item;
      if (i === undefined) return apiError(404, API_ERROR.notFound, `exception not found: ${exceptionId}`);
      return json(200, {
        id: exceptionId,
        resolved_at: i.resolvedAt,
        resolved_by: i.resolvedBy,
        reason: i.resolution,
      });
    }
  }
  if (exceptionId.startsWith(DEAD_LETTER_ID_PREFIX))
    return resolveDeadLetter(exceptionId, reason, resolvedBy, now);
  if (exceptionId.startsWith('stuck:'))
    return apiError(
      422,
      API_ERROR.unprocessable,
      'id: a stuck order is not resolved here: it leaves the view when the order moves (cancel it, or see its workflow)',
    );
  const orderId = orderOf(exceptionId);
  if (orderId === null) return apiError(404, API_ERROR.notFound, `exception not found: ${exceptionId}`);
  const store = eventStore();
  const result = await runCommand(
    store,
    orderId,
    { type: 'resolveException', exceptionId, reason, resolvedBy },
    (s) => ({ accountId: s.accountId, correlationId: s.orderId, causationId: `resolve:${exceptionId}` }),
    () => now,
  );
  if (result.decision.ok)
    return json(200, { id: exceptionId, resolved_at: at, resolved_by: resolvedBy, reason });
  // A retry (or a second operator): the resolution already recorded is the answer.
  const events = await store.load(orderId);
  const done = events.find((e) => e.type === 'OrderExceptionResolved' && e.data.exceptionId === exceptionId);
  if (done !== undefined && done.type === 'OrderExceptionResolved')
    return json(200, {
      id: exceptionId,
      resolved_at: done.occurredAt,
      resolved_by: done.data.resolvedBy,
      reason: done.data.reason,
    });
  return apiError(404, API_ERROR.notFound, `exception not found: ${exceptionId}`);
}

export const handler = apiHandler(
  'Exceptions',
  async (event, principal) => {
    const now = Date.now();
    if (event.requestContext?.http?.method === 'GET') return json(200, await listExceptions(now));
    const queue = event.pathParameters?.queue;
    if (queue !== undefined) {
      if (queue.length === 0 || queue.length > 100 || !/^[A-Za-z0-9_-]+$/.test(queue))
        return apiError(
          404,
          API_ERROR.notFound,
          `queue: no dead-letter queue named ${JSON.stringify(queue.slice(0, 100))}`,
        );
      return redrive(queue, principal.principalId);
    }
    const id = event.pathParameters?.exception_id;
    if (id === undefined || id.length === 0 || id.length > 300)
      return apiError(404, API_ERROR.notFound, 'exception not found');
    const body = jsonBody(event);
    if (!body.ok) return body.response;
    // The field errors of every route (a probe's `[]` body let zod's own text out).
    const parsed = resolveBody.safeParse(body.value, { reportInput: true });
    if (!parsed.success)
      return fieldErrors(
        parsed.error.issues.flatMap((i) =>
          i.code === 'too_small'
            ? [fieldError('invalid_value', 'reason', i.message)]
            : shapeIssueToFieldErrors(i),
        ),
        400,
      );
    return resolve(decodeURIComponent(id), parsed.data.reason, principal.principalId, now);
  },
  { operator: true },
);
