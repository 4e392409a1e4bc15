/**
 * Dead letters in the exceptions view (lambdas/order-api/dead-letters.ts through the Exceptions
 * handler), with SQS and DynamoDB mocked: what each message shows, the redrive answers (started,
 * already running, nothing to move, not redrivable) and the drop's record and retry.
 */
import './env.js';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListMessageMoveTasksCommand,
  type Message,
  ReceiveMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
  UnsupportedOperation,
} from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { describeMessage, parseDeadLetterId } from '../../lambdas/order-api/dead-letters.js';
import { handler } from '../../lambdas/order-api/exceptions.js';
import { apiEvent, parse } from './fixtures.js';

process.env.OMS_DEAD_LETTER_QUEUES = JSON.stringify({
  CancelAll: 'oms-cancel-all-dlq',
  OrderStream: 'oms-os-dlq',
});

const sqs = mockClient(SQSClient);
const ddb = mockClient(DynamoDBDocumentClient);
const OPERATOR = { authenticated: 'true', principalId: 'ops-1', accountIds: 'acct-1', scope: 'operator' };
const URL = 'https://sqs.us-east-1.amazonaws.com/123456789012/oms-cancel-all-dlq';
const ARN = 'arn:aws:sqs:us-east-1:123456789012:oms-cancel-all-dlq';

function message(id: string, body: string, receives = 1): Message {
  return {
    MessageId: id,
    ReceiptHandle: `h-${id}-${Math.random()}`,
    Body: body,
    Attributes: { SentTimestamp: '1893596400000', ApproximateReceiveCount: String(receives) },
  };
}
const cancelEvent = (orderId: string) =>
  JSON.stringify({
    'detail-type': 'CancelOrderRequested',
    source: 'stockbot.oms.api',
    detail: { orderId, accountId: 'acct-1', symbol: 'AAPL' },
  });

beforeEach(() => {
  sqs.reset();
  ddb.reset();
  sqs.on(GetQueueUrlCommand).callsFake((i) => ({ QueueUrl: URL.replace('oms-cancel-all-dlq', i.QueueName) }));
  ddb.on(QueryCommand).resolves({ Items: [] });
});

const call = (routeKey: string, pathParameters?: Record<string, string>, body?: unknown) =>
  handler(apiEvent({ routeKey, authorizer: OPERATOR, ...(pathParameters ? { pathParameters } : {}), body }));
const redrive = (queue: string) => call('POST /v1/dead-letters/{queue}/redrive', { queue });
const resolve = (id: string, reason = 'poison') =>
  call('POST /v1/exceptions/{exception_id}/resolve', { exception_id: encodeURIComponent(id) }, { reason });

describe('what a dead-lettered message shows', () => {
  test.each<[string, string, Record<string, unknown>]>([
    [
      'an EventBridge event',
      cancelEvent('o-1'),
      { detail_type: 'CancelOrderRequested', order_id: 'o-1', account_id: 'acct-1', symbol: 'AAPL' },
    ],
    [
      'snake_case ids',
      JSON.stringify({ 'detail-type': 'X', detail: { order_id: 'o-2', account_id: 'a' } }),
      { detail_type: 'X', order_id: 'o-2', account_id: 'a' },
    ],
    [
      'a stream consumer failure record',
      JSON.stringify({ DDBStreamBatchInfo: { shardId: 's' } }),
      { detail_type: null, order_id: null },
    ],
    ['not JSON', 'plain text', { detail_type: null, order_id: null, symbol: null }],
    [
      'a detail that is not an object',
      JSON.stringify({ 'detail-type': 'X', detail: 'x' }),
      { detail_type: 'X', order_id: null },
    ],
  ])('%s', (_what, body, shown) => {
    expect(describeMessage('CancelAll', message('m-1', body, 3))).toEqual(
      expect.objectContaining({
        queue: 'CancelAll',
        message_id: 'm-1',
        sent_at: '2030-01-02T15:00:00.000Z',
        receive_count: 3,
        ...shown,
      }),
    );
  });

  test.each<[string, ReturnType<typeof parseDeadLetterId>]>([
    ['dead-letter:CancelAll:abc-1', { queue: 'CancelAll', messageId: 'abc-1' }],
    ['dead-letter:CancelAll:', null],
    ['dead-letter::abc', null],
    ['o-1:3', null],
  ])('id %s', (id, parsed) => expect(parseDeadLetterId(id)).toEqual(parsed));
});

describe('GET /v1/exceptions lists dead letters', () => {
  test('peeked with VisibilityTimeout 0, deduplicated across rounds, with each queue’s depth', async () => {
    sqs.on(GetQueueAttributesCommand).callsFake((i) => ({
      Attributes: {
        QueueArn: ARN,
        ApproximateNumberOfMessages: i.QueueUrl.includes('cancel') ? '2' : '0',
        ApproximateNumberOfMessagesNotVisible: '0',
      },
    }));
    sqs
      .on(ReceiveMessageCommand)
      .resolvesOnce({ Messages: [message('m-1', cancelEvent('o-1'))] })
      .resolvesOnce({ Messages: [message('m-1', cancelEvent('o-1')), message('m-2', 'junk')] })
      .resolves({ Messages: [] });
    const res = await handler(apiEvent({ routeKey: 'GET /v1/exceptions', authorizer: OPERATOR }));
    expect(res.statusCode).toBe(200);
    const body = parse(res.body);
    expect(body.exceptions.map((e: { id: string }) => e.id)).toEqual([
      'dead-letter:CancelAll:m-1',
      'dead-letter:CancelAll:m-2',
    ]);
    expect(body.exceptions[0]).toMatchObject({
      kind: 'dead_lettered_message',
      order_id: 'o-1',
      resolvable: true,
    });
    expect(body.dead_letter_queues).toEqual([
      { queue: 'CancelAll', depth: 2, in_flight: 0, listed: 2 },
      { queue: 'OrderStream', depth: 0, in_flight: 0, listed: 0 },
    ]);
    expect(body.truncated).toBe(false);
    for (const c of sqs.commandCalls(ReceiveMessageCommand))
      expect(c.args[0].input.VisibilityTimeout).toBe(0);
    // An empty queue is not received from.
    expect(
      sqs.commandCalls(ReceiveMessageCommand).every((c) => c.args[0].input.QueueUrl?.includes('cancel')),
    ).toBe(true);
  });
});

describe('POST /v1/dead-letters/{queue}/redrive', () => {
  beforeEach(() => {
    sqs.on(GetQueueAttributesCommand).resolves({
      Attributes: {
        QueueArn: ARN,
        ApproximateNumberOfMessages: '3',
        ApproximateNumberOfMessagesNotVisible: '0',
      },
    });
  });

  test('starts a move task from the DLQ to the source queues: 202 with the handle and how many', async () => {
    sqs.on(ListMessageMoveTasksCommand).resolves({ Results: [{ Status: 'COMPLETED', TaskHandle: 'old' }] });
    sqs.on(StartMessageMoveTaskCommand).resolves({ TaskHandle: 't-1' });
    const res = await redrive('CancelAll');
    expect({ status: res.statusCode, body: parse(res.body) }).toEqual({
      status: 202,
      body: expect.objectContaining({
        queue: 'CancelAll',
        task_handle: 't-1',
        status: 'RUNNING',
        approximate_number_of_messages_to_move: 3,
        already_running: false,
      }),
    });
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)[0]?.args[0].input).toEqual({ SourceArn: ARN });
  });

  test('a retry while the task runs answers that task; nothing started twice', async () => {
    sqs.on(ListMessageMoveTasksCommand).resolves({
      Results: [
        {
          Status: 'RUNNING',
          TaskHandle: 't-1',
          ApproximateNumberOfMessagesToMove: 3,
          ApproximateNumberOfMessagesMoved: 1,
        },
      ],
    });
    const res = await redrive('CancelAll');
    expect(res.statusCode).toBe(200);
    expect(parse(res.body)).toMatchObject({
      task_handle: 't-1',
      already_running: true,
      approximate_number_of_messages_moved: 1,
    });
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(0);
  });

  test('an empty DLQ: 200 nothing to move, no task', async () => {
    sqs
      .on(GetQueueAttributesCommand)
      .resolves({ Attributes: { QueueArn: ARN, ApproximateNumberOfMessages: '0' } });
    sqs.on(ListMessageMoveTasksCommand).resolves({ Results: [] });
    const res = await redrive('CancelAll');
    expect({ status: res.statusCode, body: parse(res.body) }).toMatchObject({
      status: 200,
      body: { status: 'NOTHING_TO_MOVE', task_handle: null },
    });
    expect(sqs.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(0);
  });

  test('a queue that is no queue’s DLQ: 422 naming queue', async () => {
    sqs.on(ListMessageMoveTasksCommand).resolves({ Results: [] });
    sqs.on(StartMessageMoveTaskCommand).rejects(
      new UnsupportedOperation({
        message: 'Source queue must be configured as a Dead Letter Queue.',
        $metadata: {},
      }),
    );
    const res = await redrive('OrderStream');
    expect(res.statusCode).toBe(422);
    expect(parse(res.body)).toMatchObject({
      code: 42210000,
      message: expect.stringMatching(/^queue: OrderStream cannot be redriven/),
    });
  });

  test.each(['Nope', 'a b', 'x'.repeat(101)])(
    'unknown or malformed queue %s: 404 naming queue, nothing asked of SQS',
    async (q) => {
      const res = await redrive(q);
      expect(res.statusCode).toBe(404);
      expect(parse(res.body)).toMatchObject({
        code: 40410000,
        message: expect.stringMatching(/^queue: no dead-letter queue named/),
      });
      expect(sqs.commandCalls(StartMessageMoveTaskCommand)).toHaveLength(0);
    },
  );

  test('a trading key: 403, nothing asked of SQS', async () => {
    const res = await handler(
      apiEvent({ routeKey: 'POST /v1/dead-letters/{queue}/redrive', pathParameters: { queue: 'CancelAll' } }),
    );
    expect(res.statusCode).toBe(403);
    expect(sqs.calls()).toHaveLength(0);
  });
});

describe('resolve drops a dead-lettered message on purpose', () => {
  test('found by receiving: the record first (reason, key, body), then the delete; the others made visible again', async () => {
    const target = message('m-2', cancelEvent('o-2'));
    const other = message('m-1', 'junk');
    sqs.on(ReceiveMessageCommand).resolvesOnce({ Messages: [other, target] });
    ddb.on(PutCommand).resolves({});
    sqs.on(ChangeMessageVisibilityCommand).resolves({});
    sqs.on(DeleteMessageCommand).resolves({});
    const res = await resolve('dead-letter:CancelAll:m-2', 'poison: no requestedBy');
    expect({ status: res.statusCode, body: parse(res.body) }).toEqual({
      status: 200,
      body: expect.objectContaining({
        id: 'dead-letter:CancelAll:m-2',
        reason: 'poison: no requestedBy',
        resolved_by: 'ops-1',
        queue: 'CancelAll',
        message_id: 'm-2',
        deleted: true,
      }),
    });
    const put = ddb.commandCalls(PutCommand)[0]?.args[0].input;
    expect(put).toMatchObject({
      TableName: 'orders',
      Item: {
        orderId: 'dead-letter#CancelAll#m-2',
        resolution: 'poison: no requestedBy',
        resolvedBy: 'ops-1',
        relatedOrderId: 'o-2',
        body: target.Body,
      },
      ConditionExpression: 'attribute_not_exists(orderId)',
    });
    expect(sqs.commandCalls(DeleteMessageCommand)[0]?.args[0].input).toEqual({
      QueueUrl: URL,
      ReceiptHandle: target.ReceiptHandle,
    });
    expect(sqs.commandCalls(ChangeMessageVisibilityCommand).map((c) => c.args[0].input)).toEqual([
      { QueueUrl: URL, ReceiptHandle: other.ReceiptHandle, VisibilityTimeout: 0 },
    ]);
  });

  test('a retry after the delete answers the recorded resolution (the first reason stands)', async () => {
    sqs.on(ReceiveMessageCommand).resolves({ Messages: [] });
    ddb.on(GetCommand).resolves({
      Item: { resolvedAt: '2030-01-02T15:00:00.000Z', resolvedBy: 'ops-1', resolution: 'first' },
    });
    const res = await resolve('dead-letter:CancelAll:m-2', 'second');
    expect({ status: res.statusCode, body: parse(res.body) }).toMatchObject({
      status: 200,
      body: { reason: 'first', resolved_at: '2030-01-02T15:00:00.000Z', deleted: true },
    });
    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(0);
  });

  test('a retry between the record and the delete deletes it and answers the first record', async () => {
    const target = message('m-2', 'x');
    sqs.on(ReceiveMessageCommand).resolves({ Messages: [target] });
    ddb
      .on(PutCommand)
      .rejects(Object.assign(new Error('exists'), { name: 'ConditionalCheckFailedException' }));
    ddb.on(GetCommand).resolves({ Item: { resolvedAt: 't0', resolvedBy: 'ops-0', resolution: 'first' } });
    const res = await resolve('dead-letter:CancelAll:m-2', 'second');
    expect(parse(res.body)).toMatchObject({ reason: 'first', resolved_by: 'ops-0' });
    expect(sqs.commandCalls(DeleteMessageCommand)).toHaveLength(1);
  });

  test.each<[string, number, RegExp]>([
    ['dead-letter:CancelAll:gone', 404, /^exception not found: dead-letter:CancelAll:gone/],
    ['dead-letter:Nope:m-1', 404, /^queue: no dead-letter queue named "Nope"/],
    ['dead-letter:CancelAll:', 404, /^exception not found/],
  ])('%s -> %d', async (id, status, message) => {
    sqs.on(ReceiveMessageCommand).resolves({ Messages: [] });
    ddb.on(GetCommand).resolves({});
    const res = await resolve(id);
    expect(res.statusCode).toBe(status);
    expect(parse(res.body).message).toMatch(message);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });
});

// A probe's `[]` body answered zod's own text; every bad resolve body now answers the API's field
// errors (400 40010001, the message naming the field), and nothing is read or written.
// biome-ignore format: a table
test.each<[string, unknown, string]>([
  ['a JSON array', [], 'body: must be an object'],
  ['no reason', {}, 'reason: is required'],
  ['an empty reason', { reason: '' }, 'reason: must say why (1-500 characters)'],
  ['a reason of whitespace only (a probe\'s " " passed)', { reason: ' \t ' }, 'reason: must say why (1-500 characters)'],
  ['a reason too long', { reason: 'x'.repeat(501) }, 'reason: must be at most 500 characters'],
  ['a reason that is not text', { reason: 7 }, 'reason: must be a string'],
  ['a reason with a NUL (a hostile probe\'s, on the trading state)', { reason: 'a\u0000b' }, 'reason: must be printable text (no control characters)'],
  ['a reason forging a line', { reason: 'ok\nresolved by: admin' }, 'reason: must be printable text (no control characters)'],
  ['an unknown field', { reason: 'x', force: true }, 'force: is not a known field'],
])('resolve with %s -> 400 naming the field', async (_, body, message) => {
  const res = await call('POST /v1/exceptions/{exception_id}/resolve', { exception_id: 'dead-letter:CancelAll:m-1' }, body);
  expect(res.statusCode).toBe(400);
  expect(parse(res.body)).toMatchObject({ code: 40010001, message });
  expect(ddb.calls()).toHaveLength(0);
  expect(sqs.calls()).toHaveLength(0);
});
