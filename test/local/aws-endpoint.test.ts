import {
  EventBridgeClient,
  ResourceNotFoundException as EventsResourceNotFound,
  PutEventsCommand,
} from '@aws-sdk/client-eventbridge';
import {
  DescribeExecutionCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  TaskDoesNotExist,
} from '@aws-sdk/client-sfn';
import { type AwsEndpoint, type AwsJsonService, startAwsEndpoint } from '../../local/aws-endpoint.js';
import { LocalServiceError } from '../../local/errors.js';

/** A fake service: answers from a table of action → handler and records what it was asked. */
function fakeService(
  handlers: Record<string, (input: Record<string, unknown>) => Record<string, unknown>>,
): AwsJsonService & { calls: Array<{ action: string; input: Record<string, unknown> }> } {
  const calls: Array<{ action: string; input: Record<string, unknown> }> = [];
  return {
    calls,
    handle: async (action, input) => {
      calls.push({ action, input });
      const h = handlers[action];
      if (!h) throw new LocalServiceError('UnknownOperationException', `no ${action}`);
      return h(input);
    },
  };
}

const sfn = fakeService({
  StartExecution: (input) => ({
    executionArn: `arn:aws:states:us-east-1:000000000000:execution:lifecycle:${String(input.name)}`,
    startDate: 1_700_000_000.5,
  }),
  DescribeExecution: () => {
    throw new LocalServiceError('ExecutionDoesNotExist', 'Execution Does Not Exist: nope');
  },
  SendTaskSuccess: () => {
    throw new LocalServiceError('TaskDoesNotExist', 'Task Does Not Exist');
  },
  ServerSide: () => {
    throw new Error('bug in the stand-in');
  },
  Throttled: () => {
    throw new LocalServiceError('ThrottlingException', 'slow down', 429);
  },
});

const events = fakeService({
  PutEvents: (input) => {
    const entries = input.Entries as Array<{ Source?: string }>;
    if (entries.some((e) => e.Source === 'missing.bus')) {
      throw new LocalServiceError('ResourceNotFoundException', 'Event bus nope does not exist.');
    }
    return {
      FailedEntryCount: 1,
      Entries: [{ EventId: 'e-1' }, { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' }],
    };
  },
});

const credentials = { accessKeyId: 'x', secretAccessKey: 'x' };
let endpoint: AwsEndpoint;
let sfnClient: SFNClient;
let eventsClient: EventBridgeClient;

beforeAll(async () => {
  endpoint = await startAwsEndpoint({ stepFunctions: sfn, eventBridge: events, log: () => {} });
  sfnClient = new SFNClient({ endpoint: endpoint.url, region: 'us-east-1', credentials, maxAttempts: 1 });
  eventsClient = new EventBridgeClient({
    endpoint: endpoint.url,
    region: 'us-east-1',
    credentials,
    maxAttempts: 1,
  });
});

afterAll(async () => {
  sfnClient.destroy();
  eventsClient.destroy();
  await endpoint.close();
});

async function post(target: string | undefined, body: string, method = 'POST') {
  const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.0' };
  if (target !== undefined) headers['x-amz-target'] = target;
  const res = await fetch(endpoint.url, { method, headers, ...(method === 'GET' ? {} : { body }) });
  return {
    status: res.status,
    errorType: res.headers.get('x-amzn-errortype'),
    contentType: res.headers.get('content-type'),
    body: (await res.json()) as Record<string, unknown>,
  };
}

describe('Step Functions through the real SDK client', () => {
  it('StartExecution round trip: input reaches the service, the output comes back typed', async () => {
    const out = await sfnClient.send(
      new StartExecutionCommand({ stateMachineArn: 'arn:sm', name: 'order-1', input: '{"a":1}' }),
    );
    expect(out.executionArn).toBe('arn:aws:states:us-east-1:000000000000:execution:lifecycle:order-1');
    expect(out.startDate).toEqual(new Date(1_700_000_000_500));
    expect(out.$metadata.httpStatusCode).toBe(200);
    expect(sfn.calls.at(-1)).toEqual({
      action: 'StartExecution',
      input: { stateMachineArn: 'arn:sm', name: 'order-1', input: '{"a":1}' },
    });
  });

  it.each([
    [
      'SendTaskSuccess',
      () => new SendTaskSuccessCommand({ taskToken: 't', output: '{}' }),
      'TaskDoesNotExist',
      TaskDoesNotExist,
    ],
    [
      'DescribeExecution',
      () => new DescribeExecutionCommand({ executionArn: 'arn:nope' }),
      'ExecutionDoesNotExist',
      undefined,
    ],
  ] as const)('%s: a thrown %s arrives as that named exception', async (_action, command, name, cls) => {
    const call = sfnClient.send(command() as never);
    const err = (await call.catch((e: unknown) => e)) as Error & { $metadata: { httpStatusCode: number } };
    expect(err.name).toBe(name);
    expect(err.$metadata.httpStatusCode).toBe(400);
    expect(err.message).toMatch(/Does Not Exist/);
    if (cls) expect(err).toBeInstanceOf(cls);
  });
});

describe('EventBridge through the real SDK client', () => {
  it('PutEvents round trip with per-entry results; Time goes over the wire as epoch seconds', async () => {
    const out = await eventsClient.send(
      new PutEventsCommand({
        Entries: [
          {
            Source: 's',
            DetailType: 'd',
            Detail: '{}',
            EventBusName: 'stockbot-oms',
            Time: new Date(1_700_000_000_000),
          },
          { Source: 's', DetailType: 'd', Detail: 'x' },
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(1);
    expect(out.Entries).toEqual([
      { EventId: 'e-1' },
      { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' },
    ]);
    const input = events.calls.at(-1)?.input as { Entries: Array<Record<string, unknown>> };
    expect(input.Entries[0]).toEqual({
      Source: 's',
      DetailType: 'd',
      Detail: '{}',
      EventBusName: 'stockbot-oms',
      Time: 1_700_000_000,
    });
  });

  it('a thrown ResourceNotFoundException arrives as that named exception', async () => {
    const err = await eventsClient
      .send(new PutEventsCommand({ Entries: [{ Source: 'missing.bus', DetailType: 'd', Detail: '{}' }] }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EventsResourceNotFound);
    expect((err as Error).name).toBe('ResourceNotFoundException');
    expect((err as Error).message).toBe('Event bus nope does not exist.');
  });
});

describe('protocol edges (raw HTTP)', () => {
  it.each([
    ['no target', undefined, '{}', 400, 'UnknownOperationException'],
    ['an unknown service', 'DynamoDB_20120810.GetItem', '{}', 400, 'UnknownOperationException'],
    ['a target without an action', 'AWSEvents.', '{}', 400, 'UnknownOperationException'],
    ['a body that is not JSON', 'AWSStepFunctions.StartExecution', '{nope', 400, 'SerializationException'],
    ['a JSON body that is not an object', 'AWSEvents.PutEvents', '[1]', 400, 'SerializationException'],
    ['an action the service does not know', 'AWSEvents.ListRules', '{}', 400, 'UnknownOperationException'],
    ['a service error with its own status', 'AWSStepFunctions.Throttled', '{}', 429, 'ThrottlingException'],
    ['an unexpected handler error', 'AWSStepFunctions.ServerSide', '{}', 500, 'InternalFailure'],
  ])('%s → %s %s', async (_name, target, body, status, type) => {
    const res = await post(target, body);
    expect(res.status).toBe(status);
    expect(res.errorType).toBe(type);
    expect(res.body).toEqual({ __type: type, message: expect.any(String) });
  });

  it('answers each service in its own JSON protocol version; an empty body is an empty input', async () => {
    const a = await post('AWSStepFunctions.StartExecution', '');
    expect(a.status).toBe(200);
    expect(a.contentType).toBe('application/x-amz-json-1.0');
    expect(sfn.calls.at(-1)).toEqual({ action: 'StartExecution', input: {} });
    const b = await post('AWSEvents.PutEvents', '{"Entries":[]}');
    expect(b.status).toBe(200);
    expect(b.contentType).toBe('application/x-amz-json-1.1');
  });

  it('refuses methods other than POST', async () => {
    const res = await post('AWSEvents.PutEvents', '', 'GET');
    expect(res.status).toBe(405);
    expect(res.errorType).toBe('UnknownOperationException');
  });

  it('binds 127.0.0.1, and close() is idempotent and frees the port', async () => {
    const other = await startAwsEndpoint({ stepFunctions: sfn, eventBridge: events, log: () => {} });
    expect(other.url).toBe(`http://127.0.0.1:${other.port}`);
    const again = await startAwsEndpoint({ port: other.port, stepFunctions: sfn, eventBridge: events }).catch(
      (e: NodeJS.ErrnoException) => e,
    );
    expect((again as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
    await Promise.all([other.close(), other.close()]);
    const reused = await startAwsEndpoint({ port: other.port, stepFunctions: sfn, eventBridge: events });
    expect(reused.port).toBe(other.port);
    await reused.close();
  });
});
