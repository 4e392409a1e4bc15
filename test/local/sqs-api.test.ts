/**
 * local/sqs-api.ts through the real SDK v3 SQSClient (awsJson1_0 on the local AWS endpoint): what
 * the exceptions view and DLQ redrive do (peek, find-and-delete, move back to the source queue).
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ListMessageMoveTasksCommand,
  QueueDoesNotExist,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
  UnsupportedOperation,
} from '@aws-sdk/client-sqs';
import { type AwsEndpoint, startAwsEndpoint } from '../../local/aws-endpoint.js';
import { LocalQueues } from '../../local/sqs.js';
import { LocalSqsApi } from '../../local/sqs-api.js';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION, type QueueSpec } from '../../local/types.js';

function queue(logicalId: string, redrive: QueueSpec['redrive'] = null): QueueSpec {
  return {
    logicalId,
    queueName: logicalId,
    arn: `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:${logicalId}`,
    url: `http://sqs.local/${LOCAL_ACCOUNT_ID}/${logicalId}`,
    visibilityTimeoutSeconds: 30,
    messageRetentionSeconds: 345_600,
    redrive,
  };
}

const unused = { handle: async () => ({}) };
const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
let queues: LocalQueues;
let endpoint: AwsEndpoint;
let client: SQSClient;

beforeEach(async () => {
  queues = new LocalQueues([
    queue('Work', { deadLetterQueueLogicalId: 'WorkDlq', maxReceiveCount: 2 }),
    queue('WorkDlq'),
    queue('Lonely'),
  ]);
  let url = '';
  const api = new LocalSqsApi(queues, {
    get endpointUrl() {
      return url;
    },
  });
  endpoint = await startAwsEndpoint({ stepFunctions: unused, eventBridge: unused, sqs: api, log: () => {} });
  url = endpoint.url;
  client = new SQSClient({ endpoint: endpoint.url, region: LOCAL_REGION, credentials, maxAttempts: 1 });
});

afterEach(async () => {
  client.destroy();
  await queues.close();
  await endpoint.close();
});

/** Receives from Work until its messages are exhausted and dead-lettered (maxReceiveCount 2). */
function deadLetter(...bodies: string[]): string[] {
  const ids = bodies.map((b) => queues.send('Work', b).messageId);
  for (let i = 0; i < 3; i++)
    queues.receive('Work', { maxNumberOfMessages: 10, visibilityTimeoutSeconds: 0 });
  return ids;
}

async function urlOf(name: string): Promise<string> {
  return (await client.send(new GetQueueUrlCommand({ QueueName: name }))).QueueUrl as string;
}

async function depth(name: string): Promise<number> {
  const got = await client.send(
    new GetQueueAttributesCommand({
      QueueUrl: await urlOf(name),
      AttributeNames: ['ApproximateNumberOfMessages'],
    }),
  );
  return Number(got.Attributes?.ApproximateNumberOfMessages);
}

describe('SQS JSON protocol over LocalQueues, through the SDK client', () => {
  it('GetQueueUrl answers a URL on the endpoint; an unknown queue is QueueDoesNotExist', async () => {
    expect(await urlOf('WorkDlq')).toBe(`${endpoint.url}/${LOCAL_ACCOUNT_ID}/WorkDlq`);
    await expect(client.send(new GetQueueUrlCommand({ QueueName: 'Nope' }))).rejects.toBeInstanceOf(
      QueueDoesNotExist,
    );
  });

  it('GetQueueAttributes: ARN, depth and in-flight count, only the names asked (All: every one)', async () => {
    deadLetter('a', 'b');
    const url = await urlOf('WorkDlq');
    const some = await client.send(
      new GetQueueAttributesCommand({
        QueueUrl: url,
        AttributeNames: ['QueueArn', 'ApproximateNumberOfMessages'],
      }),
    );
    expect(some.Attributes).toEqual({
      QueueArn: `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:WorkDlq`,
      ApproximateNumberOfMessages: '2',
    });
    await client.send(new ReceiveMessageCommand({ QueueUrl: url, VisibilityTimeout: 30 }));
    const all = await client.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['All'] }));
    expect(all.Attributes?.ApproximateNumberOfMessages).toBe('1');
    expect(all.Attributes?.ApproximateNumberOfMessagesNotVisible).toBe('1');
    const work = await client.send(
      new GetQueueAttributesCommand({ QueueUrl: await urlOf('Work'), AttributeNames: ['RedrivePolicy'] }),
    );
    expect(JSON.parse(work.Attributes?.RedrivePolicy ?? '{}')).toEqual({
      deadLetterTargetArn: `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:WorkDlq`,
      maxReceiveCount: 2,
    });
  });

  it('ReceiveMessage with VisibilityTimeout 0 peeks: the same messages again, SQS attributes, the body MD5 the SDK checks', async () => {
    const ids = deadLetter('{"detail-type":"X"}', 'two');
    const url = await urlOf('WorkDlq');
    const peek = () =>
      client.send(
        new ReceiveMessageCommand({
          QueueUrl: url,
          MaxNumberOfMessages: 10,
          VisibilityTimeout: 0,
          MessageSystemAttributeNames: ['All'],
        }),
      );
    const first = await peek();
    const second = await peek();
    expect(first.Messages?.map((m) => m.MessageId)).toEqual(ids);
    expect(second.Messages?.map((m) => m.MessageId)).toEqual(ids);
    const m = second.Messages?.[0];
    expect(m?.Body).toBe('{"detail-type":"X"}');
    expect(m?.Attributes?.ApproximateReceiveCount).toBe('2');
    expect(m?.Attributes?.DeadLetterQueueSourceArn).toBe(
      `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:Work`,
    );
    expect(Number(m?.Attributes?.SentTimestamp)).toBeGreaterThan(0);
    expect(await depth('WorkDlq')).toBe(2);
  });

  it('a message found with a visibility timeout is deleted by its handle; the others are made visible again', async () => {
    const [a, b] = deadLetter('a', 'b');
    const url = await urlOf('WorkDlq');
    const got = await client.send(
      new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, VisibilityTimeout: 30 }),
    );
    expect(await depth('WorkDlq')).toBe(0);
    const byId = new Map(got.Messages?.map((m) => [m.MessageId, m.ReceiptHandle]));
    await client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: byId.get(a) }));
    await client.send(
      new ChangeMessageVisibilityCommand({ QueueUrl: url, ReceiptHandle: byId.get(b), VisibilityTimeout: 0 }),
    );
    expect(queues.messages('WorkDlq').map((m) => [m.messageId, m.visible])).toEqual([[b, true]]);
    // A retried delete with the same (now unknown) handle is a success that deletes nothing, as in SQS.
    await expect(
      client.send(new DeleteMessageCommand({ QueueUrl: url, ReceiptHandle: byId.get(a) })),
    ).resolves.toBeDefined();
    expect(await depth('WorkDlq')).toBe(1);
  });

  it('StartMessageMoveTask moves the DLQ back to its source queue once; a retry moves nothing more', async () => {
    const ids = deadLetter('a', 'b', 'c');
    const arn = `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:WorkDlq`;
    const started = await client.send(new StartMessageMoveTaskCommand({ SourceArn: arn }));
    expect(started.TaskHandle).toEqual(expect.any(String));
    expect(queues.messages('WorkDlq')).toEqual([]);
    const back = queues.messages('Work');
    expect(back.map((m) => m.messageId)).toEqual(ids);
    expect(back.every((m) => m.receiveCount === 0 && m.deadLetterQueueSourceArn === null)).toBe(true);
    const tasks = await client.send(new ListMessageMoveTasksCommand({ SourceArn: arn, MaxResults: 10 }));
    expect(tasks.Results?.[0]).toMatchObject({
      TaskHandle: started.TaskHandle,
      Status: 'COMPLETED',
      ApproximateNumberOfMessagesMoved: 3,
      ApproximateNumberOfMessagesToMove: 3,
    });
    await client.send(new StartMessageMoveTaskCommand({ SourceArn: arn }));
    expect(queues.messages('Work')).toHaveLength(3);
    const again = await client.send(new ListMessageMoveTasksCommand({ SourceArn: arn, MaxResults: 1 }));
    expect(again.Results?.map((t) => t.ApproximateNumberOfMessagesMoved)).toEqual([0]);
  });

  it('a message that did not come from a source queue stays, and the task ends FAILED with the reason', async () => {
    deadLetter('from-work');
    const stray = queues.send('WorkDlq', 'put here by a bus rule').messageId;
    const arn = `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:WorkDlq`;
    await client.send(new StartMessageMoveTaskCommand({ SourceArn: arn }));
    expect(queues.messages('WorkDlq').map((m) => m.messageId)).toEqual([stray]);
    const [task] =
      (await client.send(new ListMessageMoveTasksCommand({ SourceArn: arn, MaxResults: 1 }))).Results ?? [];
    expect(task).toMatchObject({ Status: 'FAILED', ApproximateNumberOfMessagesMoved: 1 });
    expect(task?.FailureReason).toMatch(/no source queue/);
  });

  it('a queue that is no queue’s dead-letter queue cannot be a move source (UnsupportedOperation)', async () => {
    await expect(
      client.send(
        new StartMessageMoveTaskCommand({
          SourceArn: `arn:aws:sqs:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:Lonely`,
        }),
      ),
    ).rejects.toBeInstanceOf(UnsupportedOperation);
  });

  it('SendMessage through the SDK lands in the queue (the body MD5 checked by the client)', async () => {
    const sent = await client.send(
      new SendMessageCommand({ QueueUrl: await urlOf('Lonely'), MessageBody: 'hi' }),
    );
    expect(queues.messages('Lonely').map((m) => [m.messageId, m.body])).toEqual([[sent.MessageId, 'hi']]);
  });

  it('bad input: unknown queue URL and a VisibilityTimeout out of range are SQS errors, not 500s', async () => {
    await expect(
      client.send(new ReceiveMessageCommand({ QueueUrl: `${endpoint.url}/${LOCAL_ACCOUNT_ID}/Nope` })),
    ).rejects.toBeInstanceOf(QueueDoesNotExist);
    await expect(
      client.send(new ReceiveMessageCommand({ QueueUrl: await urlOf('Work'), VisibilityTimeout: -1 })),
    ).rejects.toMatchObject({ name: 'InvalidParameterValue', $metadata: { httpStatusCode: 400 } });
  });
});
