/**
 * Dead-lettered messages in the exceptions view, and DLQ redrive (issue 16). The stack names every
 * dead-letter queue in `OMS_DEAD_LETTER_QUEUES` (`{<name>: <queue name>}`, the names of the
 * `<name>DlqNotEmpty` alarms); an operator sees their messages in `GET /v1/exceptions`, moves a
 * queue's messages back to their source queue (`POST /v1/dead-letters/{queue}/redrive`) and drops
 * one on purpose (`POST /v1/exceptions/{id}/resolve`).
 *
 * - Listing peeks, it does not consume: `ReceiveMessage` with `VisibilityTimeout: 0` (the message
 *   stays visible; SQS counts the receive in `ApproximateReceiveCount`), up to PEEK_ROUNDS rounds
 *   of 10 per queue, deduplicated by message id: a sample of at most MAX_PEEKED per queue (SQS
 *   returns a sample from its servers; `depth`, from GetQueueAttributes, is the whole count).
 * - Redrive: `StartMessageMoveTask` with the queue as source and no destination: SQS moves each
 *   message back to the queue it was dead-lettered from. One task per queue at a time: a retry
 *   while a task runs answers that task (ListMessageMoveTasks), a retry after it answers
 *   "nothing to move" (a moved message is gone from the DLQ); nothing is sent twice by the OMS.
 * - Resolve: the message is found by receiving with a short visibility timeout (others found on
 *   the way are made visible again at once), an audit record `dead-letter#<queue>#<message id>` is
 *   written to the orders table (reason, operator key, the message body) and the message deleted.
 *   A retried resolve answers the record.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListMessageMoveTasksCommand,
  type Message,
  ReceiveMessageCommand,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ENV, optionalEnv, requiredEnv } from '../platform/config.js';
import { dynamo } from '../platform/dynamo.js';
import { sqs } from '../platform/sqs.js';
import { API_ERROR, apiError, json } from './api-response.js';

/** Exception ids of dead-lettered messages: `dead-letter:<queue>:<message id>`. */
export const DEAD_LETTER_ID_PREFIX = 'dead-letter:';
/** The orders-table item that records a dropped message. */
const RECORD_PREFIX = 'dead-letter#';
/** Receive rounds (10 messages each) per queue when listing. */
export const PEEK_ROUNDS = 5;
export const MAX_PEEKED = 50;
/** Rounds when looking for one message to drop; messages seen on the way are hidden this long at most. */
const FIND_ROUNDS = 10;
const FIND_VISIBILITY_SECONDS = 30;
/** The body kept in the audit record (the rest is cut). */
const MAX_RECORDED_BODY = 16_000;

export interface DeadLetteredMessage {
  readonly queue: string;
  readonly message_id: string;
  /** `detail-type` of an EventBridge event body; null for any other body. */
  readonly detail_type: string | null;
  readonly order_id: string | null;
  readonly account_id: string | null;
  readonly symbol: string | null;
  /** SentTimestamp: when the message was first sent (to the source queue or by the bus). */
  readonly sent_at: string;
  /** ApproximateReceiveCount: receives in the DLQ, the view's peeks included. */
  readonly receive_count: number;
  /** Where SQS dead-lettered it from (DeadLetterQueueSourceArn), when it came by redrive. */
  readonly source_arn: string | null;
}

export interface DeadLetterQueueDepth {
  readonly queue: string;
  /** ApproximateNumberOfMessages (visible). */
  readonly depth: number;
  /** ApproximateNumberOfMessagesNotVisible (being received or moved). */
  readonly in_flight: number;
  /** How many of its messages this answer lists (a sample: see `depth`). */
  readonly listed: number;
}

/** The stack's dead-letter queues, `{<name>: <queue name>}`; none when the variable is not set. */
export function deadLetterQueues(): Record<string, string> {
  const raw = optionalEnv(ENV.deadLetterQueues);
  if (raw === undefined) return {};
  const parsed: unknown = JSON.parse(raw);
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new Error(`${ENV.deadLetterQueues} must be a JSON object`);
  const out: Record<string, string> = {};
  for (const [name, queueName] of Object.entries(parsed))
    if (typeof queueName === 'string' && queueName !== '') out[name] = queueName;
  return out;
}

const urls = new Map<string, string>();
async function urlOf(queueName: string): Promise<string> {
  const known = urls.get(queueName);
  if (known !== undefined) return known;
  const got = await sqs.send(new GetQueueUrlCommand({ QueueName: queueName }));
  if (got.QueueUrl === undefined) throw new Error(`no URL for queue ${queueName}`);
  urls.set(queueName, got.QueueUrl);
  return got.QueueUrl;
}

async function attributesOf(url: string) {
  const got = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['QueueArn', 'ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  const a = got.Attributes ?? {};
  return {
    arn: a.QueueArn ?? '',
    depth: Number(a.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(a.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

/** What the view shows of a message: an EventBridge event's detail-type and order, account, symbol. */
export function describeMessage(queue: string, m: Message): DeadLetteredMessage {
  let detailType: string | null = null;
  let detail: Record<string, unknown> = {};
  try {
    const body: unknown = JSON.parse(m.Body ?? '');
    if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
      const b = body as Record<string, unknown>;
      detailType = str(b['detail-type']);
      if (detailType !== null && b.detail !== null && typeof b.detail === 'object')
        detail = b.detail as Record<string, unknown>;
    }
  } catch {
    // not JSON: shown by queue and id only
  }
  const a = m.Attributes ?? {};
  const sent = Number(a.SentTimestamp);
  return {
    queue,
    message_id: m.MessageId ?? '',
    detail_type: detailType,
    order_id: str(detail.orderId) ?? str(detail.order_id),
    account_id: str(detail.accountId) ?? str(detail.account_id),
    symbol: str(detail.symbol),
    sent_at: new Date(Number.isFinite(sent) ? sent : 0).toISOString(),
    receive_count: Number(a.ApproximateReceiveCount ?? 0),
    source_arn: str(a.DeadLetterQueueSourceArn),
  };
}

async function receive(url: string, visibilitySeconds: number): Promise<Message[]> {
  const got = await sqs.send(
    new ReceiveMessageCommand({
      QueueUrl: url,
      MaxNumberOfMessages: 10,
      VisibilityTimeout: visibilitySeconds,
      WaitTimeSeconds: 0,
      MessageSystemAttributeNames: ['All'],
    }),
  );
  return got.Messages ?? [];
}

/** Every configured queue's depth and a sample of its messages (peeked: they stay in the queue). */
export async function listDeadLetters(): Promise<{
  messages: DeadLetteredMessage[];
  queues: DeadLetterQueueDepth[];
}> {
  const configured = Object.entries(deadLetterQueues());
  const perQueue = await Promise.all(
    configured.map(async ([name, queueName]) => {
      const url = await urlOf(queueName);
      const { depth, inFlight } = await attributesOf(url);
      const seen = new Map<string, DeadLetteredMessage>();
      for (
        let round = 0;
        round < PEEK_ROUNDS && depth > 0 && seen.size < Math.min(depth, MAX_PEEKED);
        round++
      ) {
        const got = await receive(url, 0);
        let fresh = 0;
        for (const m of got) {
          if (m.MessageId === undefined || seen.has(m.MessageId) || seen.size >= MAX_PEEKED) continue;
          seen.set(m.MessageId, describeMessage(name, m));
          fresh += 1;
        }
        if (fresh === 0) break;
      }
      const messages = [...seen.values()];
      return { messages, queue: { queue: name, depth, in_flight: inFlight, listed: messages.length } };
    }),
  );
  return { messages: perQueue.flatMap((q) => q.messages), queues: perQueue.map((q) => q.queue) };
}

function unknownQueue(name: string) {
  const known = Object.keys(deadLetterQueues()).sort();
  return apiError(
    404,
    API_ERROR.notFound,
    `queue: no dead-letter queue named ${JSON.stringify(name)} (known: ${known.join(', ') || 'none'})`,
  );
}

/** `POST /v1/dead-letters/{queue}/redrive`: back to the source queue (SQS StartMessageMoveTask). */
export async function redrive(name: string, startedBy: string) {
  const queueName = Object.hasOwn(deadLetterQueues(), name) ? deadLetterQueues()[name] : undefined;
  if (queueName === undefined) return unknownQueue(name);
  const url = await urlOf(queueName);
  const { arn, depth } = await attributesOf(url);
  const running = async () => {
    const tasks = await sqs.send(new ListMessageMoveTasksCommand({ SourceArn: arn, MaxResults: 10 }));
    return (tasks.Results ?? []).find((t) => t.Status === 'RUNNING');
  };
  const already = await running();
  if (already !== undefined)
    return json(200, {
      queue: name,
      task_handle: already.TaskHandle ?? null,
      status: 'RUNNING',
      approximate_number_of_messages_to_move: already.ApproximateNumberOfMessagesToMove ?? null,
      approximate_number_of_messages_moved: already.ApproximateNumberOfMessagesMoved ?? 0,
      already_running: true,
    });
  if (depth === 0)
    return json(200, {
      queue: name,
      task_handle: null,
      status: 'NOTHING_TO_MOVE',
      approximate_number_of_messages_to_move: 0,
      approximate_number_of_messages_moved: 0,
      already_running: false,
    });
  try {
    const started = await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: arn }));
    return json(202, {
      queue: name,
      task_handle: started.TaskHandle ?? null,
      status: 'RUNNING',
      approximate_number_of_messages_to_move: depth,
      approximate_number_of_messages_moved: 0,
      already_running: false,
      started_by: startedBy,
    });
  } catch (err) {
    const e = err as { name?: string; message?: string };
    // Two operators at once: the other's task is the answer.
    const other = await running();
    if (other !== undefined)
      return json(200, {
        queue: name,
        task_handle: other.TaskHandle ?? null,
        status: 'RUNNING',
        approximate_number_of_messages_to_move: other.ApproximateNumberOfMessagesToMove ?? null,
        approximate_number_of_messages_moved: other.ApproximateNumberOfMessagesMoved ?? 0,
        already_running: true,
      });
    if (e.name === 'InvalidParameterValueException' || e.name === 'UnsupportedOperation')
      return apiError(
        422,
        API_ERROR.unprocessable,
        `queue: ${name} cannot be redriven (${e.message ?? e.name}): it is not the dead-letter queue of an SQS queue; resolve its messages one by one`,
      );
    throw err;
  }
}

/** `dead-letter:<queue>:<message id>` (the queue name has no colon; a message id neither). */
export function parseDeadLetterId(id: string): { queue: string; messageId: string } | null {
  if (!id.startsWith(DEAD_LETTER_ID_PREFIX)) return null;
  const rest = id.slice(DEAD_LETTER_ID_PREFIX.length);
  const at = rest.indexOf(':');
  if (at <= 0 || at === rest.length - 1) return null;
  return { queue: rest.slice(0, at), messageId: rest.slice(at + 1) };
}

/** Finds the message by receiving (not peeking: its receipt handle must stay current). */
async function find(url: string, messageId: string): Promise<Message | undefined> {
  const others = new Map<string, string>();
  let found: Message | undefined;
  try {
    for (let round = 0; round < FIND_ROUNDS && found === undefined; round++) {
      const got = await receive(url, FIND_VISIBILITY_SECONDS);
      if (got.length === 0) break;
      for (const m of got) {
        if (m.MessageId === messageId) found = m;
        else if (m.MessageId !== undefined && m.ReceiptHandle !== undefined)
          others.set(m.MessageId, m.ReceiptHandle);
      }
    }
  } finally {
    await Promise.all(
      [...others.values()].map((handle) =>
        sqs
          .send(
            new ChangeMessageVisibilityCommand({
              QueueUrl: url,
              ReceiptHandle: handle,
              VisibilityTimeout: 0,
            }),
          )
          .catch(() => undefined),
      ),
    );
  }
  return found;
}

/** `POST /v1/exceptions/dead-letter:<queue>:<id>/resolve`: records why, then deletes the message. */
export async function resolveDeadLetter(
  exceptionId: string,
  reason: string,
  resolvedBy: string,
  now: number,
) {
  const parsed = parseDeadLetterId(exceptionId);
  if (parsed === null) return apiError(404, API_ERROR.notFound, `exception not found: ${exceptionId}`);
  const queues = deadLetterQueues();
  const queueName = Object.hasOwn(queues, parsed.queue) ? queues[parsed.queue] : undefined;
  if (queueName === undefined) return unknownQueue(parsed.queue);
  const table = requiredEnv(ENV.ordersTable);
  const key = { orderId: `${RECORD_PREFIX}${parsed.queue}#${parsed.messageId}` };
  const recorded = async () =>
    (await dynamo.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true }))).Item;
  const answer = (i: Record<string, unknown>, deleted: boolean) =>
    json(200, {
      id: exceptionId,
      resolved_at: i.resolvedAt,
      resolved_by: i.resolvedBy,
      reason: i.resolution,
      queue: parsed.queue,
      message_id: parsed.messageId,
      deleted,
    });
  const url = await urlOf(queueName);
  const message = await find(url, parsed.messageId);
  if (message === undefined) {
    const done = await recorded();
    if (done !== undefined) return answer(done, true);
    return apiError(
      404,
      API_ERROR.notFound,
      `exception not found: ${exceptionId} (no such message in ${parsed.queue}: redriven, expired or never there)`,
    );
  }
  const seen = describeMessage(parsed.queue, message);
  const item = {
    ...key,
    kind: 'dead_lettered_message',
    queue: parsed.queue,
    messageId: parsed.messageId,
    detailType: seen.detail_type,
    relatedOrderId: seen.order_id,
    sentAt: seen.sent_at,
    body: (message.Body ?? '').slice(0, MAX_RECORDED_BODY),
    resolvedAt: new Date(now).toISOString(),
    resolvedBy,
    resolution: reason,
  };
  let record: Record<string, unknown> = item;
  try {
    await dynamo.send(
      new PutCommand({ TableName: table, Item: item, ConditionExpression: 'attribute_not_exists(orderId)' }),
    );
  } catch (err) {
    if ((err as { name?: string }).name !== 'ConditionalCheckFailedException') throw err;
    // A retry after the record but before the delete: the first resolution stands.
    record = (await recorded()) ?? item;
  }
  await sqs.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: message.ReceiptHandle }));
  return answer(record, true);
}
