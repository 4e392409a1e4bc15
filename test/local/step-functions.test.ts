/**
 * The Step Functions stand-in: the project's real order-lifecycle ASL (placeholders resolved to
 * local function ARNs) run through the SFN JSON protocol actions, with a fake Invoker whose
 * functions are plain async functions.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalServiceError } from '../../local/errors.js';
import { type HistoryEvent, LocalStepFunctions } from '../../local/step-functions.js';
import type { InvokeResult, Invoker, StateMachineSpec } from '../../local/types.js';

type Json = Record<string, unknown>;
type Fn = (payload: Json) => Promise<unknown>;

const ACCOUNT = '000000000000';
const fnArn = (name: string) => `arn:aws:lambda:us-east-1:${ACCOUNT}:function:${name}`;
const smArn = (name: string) => `arn:aws:states:us-east-1:${ACCOUNT}:stateMachine:${name}`;

const aslText = readFileSync(join(__dirname, '../../statemachines/order-lifecycle.asl.json'), 'utf8');
const lifecycle: StateMachineSpec = {
  logicalId: 'OrderLifecycle',
  name: 'order-lifecycle',
  arn: smArn('order-lifecycle'),
  type: 'STANDARD',
  definition: JSON.parse(aslText.replace(/\$\{(\w+)\}/g, (_m, name: string) => fnArn(name))) as Json,
};

/** Small machines for the timeout rules the lifecycle ASL does not exercise. */
const timeoutMachine: StateMachineSpec = {
  logicalId: 'Timeouts',
  name: 'timeouts',
  arn: smArn('timeouts'),
  type: 'STANDARD',
  definition: {
    StartAt: 'Slow',
    States: {
      Slow: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: fnArn('Slow'), 'Payload.$': '$' },
        TimeoutSeconds: 1,
        // States.TaskFailed matches every task error but States.Timeout: the timeout is not retried.
        Retry: [{ ErrorEquals: ['States.TaskFailed'], MaxAttempts: 3 }],
        Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.failure', Next: 'Timed out' }],
        End: true,
      },
      'Timed out': { Type: 'Pass', End: true },
    },
  },
};
const heartbeatMachine: StateMachineSpec = {
  logicalId: 'Heartbeats',
  name: 'heartbeats',
  arn: smArn('heartbeats'),
  type: 'STANDARD',
  definition: {
    StartAt: 'Wait for callback',
    States: {
      'Wait for callback': {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: { FunctionName: fnArn('Register'), Payload: { 'token.$': '$$.Task.Token' } },
        HeartbeatSeconds: 1,
        TimeoutSeconds: 30,
        Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.failure', Next: 'No heartbeat' }],
        End: true,
      },
      'No heartbeat': { Type: 'Pass', End: true },
    },
  },
};

/** A Map that stops at its first failing item (the algo-order schedule's shape). */
const stoppingMapMachine: StateMachineSpec = {
  logicalId: 'StoppingMap',
  name: 'stopping-map',
  arn: smArn('stopping-map'),
  type: 'STANDARD',
  definition: {
    StartAt: 'Items',
    States: {
      Items: {
        Type: 'Map',
        ItemsPath: '$.items',
        MaxConcurrency: 1,
        ItemProcessor: {
          ProcessorConfig: { Mode: 'INLINE' },
          StartAt: 'Pause',
          States: {
            Pause: { Type: 'Wait', SecondsPath: '$.pause', Next: 'Work' },
            Work: {
              Type: 'Task',
              Resource: 'arn:aws:states:::lambda:invoke',
              Parameters: { FunctionName: fnArn('Work'), 'Payload.$': '$' },
              End: true,
            },
          },
        },
        Catch: [{ ErrorEquals: ['Stop'], ResultPath: '$.failure', Next: 'Stopped' }],
        End: true,
      },
      Stopped: { Type: 'Pass', End: true },
    },
  },
};

class NamedError extends Error {
  constructor(name: string, message = `${name} happened`) {
    super(message);
    this.name = name;
  }
}

/** A fake Lambda stand-in: functions by ARN, every call recorded. */
class FakeInvoker implements Invoker {
  readonly calls: { fn: string; payload: Json }[] = [];
  constructor(private readonly fns: Record<string, Fn>) {}
  callsOf(name: string): Json[] {
    return this.calls.filter((c) => c.fn === fnArn(name)).map((c) => c.payload);
  }
  async invoke(fn: string, event: unknown): Promise<InvokeResult> {
    this.calls.push({ fn, payload: event as Json });
    const impl = this.fns[fn];
    if (impl === undefined) throw new NamedError('ResourceNotFoundException', `no function ${fn}`);
    try {
      return { ok: true, payload: await impl(event as Json) };
    } catch (err) {
      const e = err as Error;
      return { ok: false, errorType: e.name, errorMessage: e.message, stackTrace: ['at fake (test.ts:1:1)'] };
    }
  }
}

const never = () => new Promise<never>(() => {});

/** `Accept order`'s answer for an order it accepts and routes (a replacement only awaits). */
const accepted = (p: Json, outcomeTimeoutSeconds = 30) => ({
  next: p.replacement === true ? 'await' : 'submit',
  venue: 'SIMX',
  outcomeTimeoutSeconds,
  reason: null,
});

/** The functions of a simple order that is accepted; the waiting tasks only register the token. */
function orderFunctions(overrides: Record<string, Fn> = {}): Record<string, Fn> {
  const fns: Record<string, Fn> = {
    AcceptOrderFunctionArn: async (p) => accepted(p),
    AskRiskGuardianFunctionArn: async () => ({ decision: 'approved', reason: null }),
    HoldUntilTriggeredFunctionArn: async () => ({ registered: true }),
    // Submit and await outcome: submits, registers the token, and the task waits.
    SubmitToVenueFunctionArn: async () => ({ registered: true }),
    AwaitOutcomeFunctionArn: async () => ({ registered: true }),
    ExpireOrderFunctionArn: async (p) => ({ orderId: p.orderId, status: 'expired', expired: true }),
    RecordExceptionFunctionArn: async (p) => ({ orderId: p.orderId, status: 'canceled', recorded: true }),
    ...overrides,
  };
  return Object.fromEntries(Object.entries(fns).map(([name, fn]) => [fnArn(name), fn]));
}

const orderInput = (orderId: string) => ({
  orderId,
  accountId: 'acc-1',
  symbol: 'AAPL',
  orderType: 'limit',
  timeInForce: 'day',
  extendedHours: false,
  submittedAt: '2025-07-15T14:00:00.000Z',
  replacement: false,
});

async function until<T>(probe: () => T | undefined | false, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

async function protocolError(promise: Promise<unknown>): Promise<{ type: string; status: number }> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof LocalServiceError) return { type: err.type, status: err.status };
    throw err;
  }
  throw new Error('expected a protocol error');
}

let sfn: LocalStepFunctions;
let invoker: FakeInvoker;

function setUp(fns: Record<string, Fn>, machines = [lifecycle, timeoutMachine, heartbeatMachine]) {
  invoker = new FakeInvoker(fns);
  sfn = new LocalStepFunctions(machines, invoker, { retryIntervalMs: 0 });
  return sfn;
}

afterEach(async () => {
  await sfn?.close();
});

const start = async (orderId: string, input: Json = orderInput(orderId), stateMachineArn = lifecycle.arn) =>
  (await sfn.handle('StartExecution', { stateMachineArn, name: orderId, input: JSON.stringify(input) }))
    .executionArn as string;
const describe_ = (executionArn: string) => sfn.handle('DescribeExecution', { executionArn });
const status = async (executionArn: string) => (await describe_(executionArn)).status;
const history = async (executionArn: string, extra: Json = {}) =>
  (await sfn.handle('GetExecutionHistory', { executionArn, ...extra })).events as HistoryEvent[];
const tokenOf = (name: string, index = 0) =>
  until(() => invoker.callsOf(name)[index]?.taskToken as string | undefined, `${name} call ${index}`);
const settled = (executionArn: string) =>
  until(
    () => sfn.historyForConsole(executionArn).status !== 'RUNNING' && sfn.historyForConsole(executionArn),
    `${executionArn} to finish`,
  );

describe('LocalStepFunctions with the order-lifecycle ASL', () => {
  it('runs a filled order: Submit and await outcome waits for SendTaskSuccess with the token its function received', async () => {
    setUp(orderFunctions());
    const arn = await start('ord-fill');
    expect(arn).toBe(`arn:aws:states:us-east-1:${ACCOUNT}:execution:order-lifecycle:ord-fill`);
    expect(sfn.executionArnFor(lifecycle.arn, 'ord-fill')).toBe(arn);

    const token = await tokenOf('SubmitToVenueFunctionArn');
    expect(token).toMatch(/^AQ[A-Za-z0-9_-]{64}$/);
    // The task waits: the function's own answer does not end it.
    await new Promise((r) => setTimeout(r, 50));
    expect(await status(arn)).toBe('RUNNING');
    expect(invoker.callsOf('SubmitToVenueFunctionArn')[0]).toEqual({
      orderId: 'ord-fill',
      venue: 'SIMX',
      taskToken: token,
      outcomeTimeoutSeconds: 30,
      next: 'submit',
      // The execution input: the router reads the account's policy from it.
      execution: expect.objectContaining({ orderId: 'ord-fill' }),
    });

    await sfn.handle('SendTaskSuccess', {
      taskToken: token,
      output: JSON.stringify({ orderId: 'ord-fill', status: 'filled', seq: 5 }),
    });
    await settled(arn);
    const described = await describe_(arn);
    expect(described.status).toBe('SUCCEEDED');
    const output = JSON.parse(described.output as string) as Json;
    expect(output.outcome).toEqual({ orderId: 'ord-fill', status: 'filled', seq: 5 });
    // ResultSelector read the integration's Payload: the Lambda answer is wrapped like AWS does.
    expect(output.Payload).toEqual({
      next: 'submit',
      venue: 'SIMX',
      outcomeTimeoutSeconds: 30,
      reason: null,
    });
    expect(typeof described.startDate).toBe('number');
    expect(described.stopDate as number).toBeGreaterThanOrEqual(described.startDate as number);

    const events = await history(arn);
    const task = ['TaskStateEntered', 'TaskScheduled', 'TaskStarted', 'TaskSucceeded', 'TaskStateExited'];
    expect(events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      ...task,
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    expect(events.map((e) => e.id)).toEqual(events.map((_e, i) => i + 1));
    expect(events.map((e) => e.previousEventId)).toEqual(events.map((_e, i) => i));
    const entered = events.filter((e) => e.type.endsWith('StateEntered'));
    expect(entered).toHaveLength(2);
    expect(entered.map((e) => (e.stateEnteredEventDetails as Json).name)).toEqual([
      'Accept order',
      'Submit and await outcome',
    ]);
    const scheduled = events
      .filter((e) => e.type === 'TaskScheduled')
      .map((e) => e.taskScheduledEventDetails as Json);
    expect(scheduled[0]).toMatchObject({ resourceType: 'lambda', resource: 'invoke', timeoutInSeconds: 30 });
    const { accountId: _a, symbol: _s, ...acceptInput } = orderInput('ord-fill');
    expect(JSON.parse(scheduled[0]?.parameters as string)).toEqual({
      FunctionName: fnArn('AcceptOrderFunctionArn'),
      Payload: { ...acceptInput, stage: 'new', execution: orderInput('ord-fill') },
    });
    // TimeoutSecondsPath is evaluated on the state input, like AWS.
    expect(scheduled[1]).toMatchObject({ resource: 'invoke.waitForTaskToken', timeoutInSeconds: 30 });
    const firstResult = JSON.parse(
      ((events.find((e) => e.type === 'TaskSucceeded')?.taskSucceededEventDetails ?? {}) as Json)
        .output as string,
    ) as Json;
    expect(firstResult).toMatchObject({ ExecutedVersion: '$LATEST', StatusCode: 200 });
    expect(firstResult.Payload).toEqual({
      next: 'submit',
      venue: 'SIMX',
      outcomeTimeoutSeconds: 30,
      reason: null,
    });
    expect(events[0]?.executionStartedEventDetails).toMatchObject({
      input: JSON.stringify(orderInput('ord-fill')),
    });

    // reverseOrder and paging.
    const page1 = await sfn.handle('GetExecutionHistory', {
      executionArn: arn,
      reverseOrder: true,
      maxResults: 4,
    });
    const p1 = page1.events as HistoryEvent[];
    expect(p1.map((e) => e.type)).toEqual([
      'ExecutionSucceeded',
      'TaskStateExited',
      'TaskSucceeded',
      'TaskSubmitted',
    ]);
    const page2 = await sfn.handle('GetExecutionHistory', {
      executionArn: arn,
      reverseOrder: true,
      maxResults: 100,
      nextToken: page1.nextToken,
    });
    expect([...p1, ...(page2.events as HistoryEvent[])].map((e) => e.id)).toEqual(
      events.map((e) => e.id).reverse(),
    );
    expect(page2.nextToken).toBeUndefined();

    const consoleView = sfn.historyForConsole(arn);
    expect(consoleView.status).toBe('SUCCEEDED');
    expect(consoleView.path.map((s) => [s.state, s.status])).toEqual(
      entered.map((e) => [(e.stateEnteredEventDetails as Json).name, 'succeeded']),
    );
  });

  it('gives every waiting task its own token, across executions and retries', async () => {
    let bFailed = false;
    setUp(
      orderFunctions({
        SubmitToVenueFunctionArn: async (p) => {
          // The first waiting task of ord-b fails transiently before registering: retried with a new token.
          if (p.orderId === 'ord-b' && !bFailed) {
            bFailed = true;
            throw new NamedError('TransientError');
          }
          return { registered: true };
        },
      }),
    );
    const a = await start('ord-a');
    const b = await start('ord-b');
    const waits = await until(() => {
      const calls = invoker.callsOf('SubmitToVenueFunctionArn');
      return calls.length >= 3 && calls;
    }, 'three waiting tasks');
    const tokens = waits.map((c) => c.taskToken as string);
    expect(new Set(tokens).size).toBe(3);
    const [bFirst, bRetry] = waits.filter((c) => c.orderId === 'ord-b').map((c) => c.taskToken as string);
    const aToken = waits.find((c) => c.orderId === 'ord-a')?.taskToken as string;
    // The failed attempt's token is gone.
    expect(await protocolError(sfn.handle('SendTaskSuccess', { taskToken: bFirst, output: '{}' }))).toEqual({
      type: 'TaskDoesNotExist',
      status: 400,
    });
    // Releasing a's token ends a only.
    await sfn.handle('SendTaskSuccess', { taskToken: aToken, output: '{"status":"filled"}' });
    await settled(a);
    expect(await status(a)).toBe('SUCCEEDED');
    expect(await status(b)).toBe('RUNNING');
    await sfn.handle('SendTaskSuccess', { taskToken: bRetry, output: '{"status":"canceled"}' });
    await settled(b);
    expect(JSON.parse((await describe_(b)).output as string).outcome).toEqual({ status: 'canceled' });
    // The retry is not a new state: b still entered 2 states, and its history shows the failed attempt.
    const bEvents = await history(b);
    expect(bEvents.filter((e) => e.type.endsWith('StateEntered'))).toHaveLength(2);
    const awaitTypes = bEvents
      .slice(
        bEvents.findIndex(
          (e) => (e.stateEnteredEventDetails as Json | undefined)?.name === 'Submit and await outcome',
        ),
      )
      .map((e) => e.type);
    expect(awaitTypes.slice(0, 8)).toEqual([
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskFailed',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
    ]);
  });

  it('SendTaskFailure fails the waiting task: its Catch records the exception and the execution fails', async () => {
    setUp(orderFunctions());
    const arn = await start('ord-fail');
    const token = await tokenOf('SubmitToVenueFunctionArn');
    await sfn.handle('SendTaskFailure', {
      taskToken: token,
      error: 'VenueDown',
      cause: 'venue SIMX is down',
    });
    const done = await settled(arn);
    expect(done.status).toBe('FAILED');
    expect(done.error).toBe('OrderWorkflowFailed');
    expect(done.path.map((s) => s.state).slice(-4)).toEqual([
      'Submit and await outcome',
      'Submission failed',
      'Record exception',
      'Order failed',
    ]);
    expect(done.path.find((s) => s.state === 'Submit and await outcome')?.status).toBe('caught');
    expect(invoker.callsOf('RecordExceptionFunctionArn')).toEqual([
      {
        orderId: 'ord-fail',
        stage: 'submit_to_venue',
        reachedVenue: true,
        error: 'VenueDown',
        cause: 'venue SIMX is down',
      },
    ]);
    const events = await history(arn);
    expect(events.find((e) => e.type === 'TaskFailed')?.taskFailedEventDetails).toEqual({
      resourceType: 'lambda',
      resource: 'invoke.waitForTaskToken',
      error: 'VenueDown',
      cause: 'venue SIMX is down',
    });
    expect(events.at(-1)).toMatchObject({
      type: 'ExecutionFailed',
      executionFailedEventDetails: { error: 'OrderWorkflowFailed' },
    });
    expect((await describe_(arn)).error).toBe('OrderWorkflowFailed');
  });

  it('expires the order when the TimeoutSecondsPath elapses; the timed-out token answers TaskTimedOut', async () => {
    setUp(
      orderFunctions({
        AcceptOrderFunctionArn: async (p) => accepted(p, 1),
      }),
    );
    // Measured from before the start: the 1 s timeout runs from when the task began, which is
    // after this and before the token is seen (seen later under load: measuring from there flaked).
    const before = Date.now();
    const arn = await start('ord-expire');
    const token = await tokenOf('SubmitToVenueFunctionArn');
    const done = await settled(arn);
    expect(Date.now() - before).toBeGreaterThanOrEqual(990);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.path.map((s) => s.state).slice(-3)).toEqual([
      'Submit and await outcome',
      'Expire order',
      'Order expired',
    ]);
    expect(invoker.callsOf('ExpireOrderFunctionArn')).toEqual([{ orderId: 'ord-expire' }]);
    const output = JSON.parse((await describe_(arn)).output as string) as Json;
    expect((output.failure as Json).Error).toBe('States.Timeout');
    expect(output.expiry).toEqual({ status: 'expired', expired: true });
    const events = await history(arn);
    expect(events.find((e) => e.type === 'TaskTimedOut')?.taskTimedOutEventDetails).toMatchObject({
      resource: 'invoke.waitForTaskToken',
      error: 'States.Timeout',
    });
    // The outcome wait never retries its timeout: one attempt.
    expect(invoker.callsOf('SubmitToVenueFunctionArn')).toHaveLength(1);
    expect(await protocolError(sfn.handle('SendTaskSuccess', { taskToken: token, output: '{}' }))).toEqual({
      type: 'TaskTimedOut',
      status: 400,
    });
  });

  it.each([
    ['a used token', 'TaskDoesNotExist', 'used'],
    ['an unknown well-formed token', 'TaskDoesNotExist', `AQ${'A'.repeat(64)}`],
    ['a malformed token', 'InvalidToken', 'not-a-token'],
    ['no token', 'InvalidToken', undefined],
  ])('SendTaskSuccess/Failure/Heartbeat with %s answers %s', async (_what, expected, given) => {
    setUp(orderFunctions());
    const arn = await start('ord-token');
    const token = await tokenOf('SubmitToVenueFunctionArn');
    await sfn.handle('SendTaskSuccess', { taskToken: token, output: '{"status":"filled"}' });
    await settled(arn);
    const taskToken = given === 'used' ? token : given;
    for (const [action, extra] of [
      ['SendTaskSuccess', { output: '{}' }],
      ['SendTaskFailure', { error: 'X' }],
      ['SendTaskHeartbeat', {}],
    ] as const) {
      expect(await protocolError(sfn.handle(action, { taskToken, ...extra }))).toEqual({
        type: expected,
        status: 400,
      });
    }
  });

  it('refuses an output that is not JSON, and the task keeps waiting', async () => {
    setUp(orderFunctions());
    const arn = await start('ord-output');
    const token = await tokenOf('SubmitToVenueFunctionArn');
    expect(await protocolError(sfn.handle('SendTaskSuccess', { taskToken: token, output: '{oops' }))).toEqual(
      {
        type: 'InvalidOutput',
        status: 400,
      },
    );
    expect(await status(arn)).toBe('RUNNING');
    await sfn.handle('SendTaskHeartbeat', { taskToken: token });
    await sfn.handle('SendTaskSuccess', { taskToken: token, output: '{}' });
    expect((await settled(arn)).status).toBe('SUCCEEDED');
  });

  it('StartExecution is idempotent for the same name and input while the execution runs', async () => {
    setUp(orderFunctions());
    const first = await sfn.handle('StartExecution', {
      stateMachineArn: lifecycle.arn,
      name: 'ord-idem',
      input: JSON.stringify(orderInput('ord-idem')),
    });
    // Same input, keys in another order: the same execution.
    const reordered = Object.fromEntries(Object.entries(orderInput('ord-idem')).reverse());
    const again = await sfn.handle('StartExecution', {
      stateMachineArn: lifecycle.arn,
      name: 'ord-idem',
      input: JSON.stringify(reordered),
    });
    expect(again).toEqual(first);
    const listed = await sfn.handle('ListExecutions', { stateMachineArn: lifecycle.arn });
    expect((listed.executions as Json[]).map((e) => e.name)).toEqual(['ord-idem']);
    await tokenOf('SubmitToVenueFunctionArn');
    expect(invoker.callsOf('AcceptOrderFunctionArn')).toHaveLength(1);

    const other = { ...orderInput('ord-idem'), symbol: 'MSFT' };
    expect(await protocolError(start('ord-idem', other))).toEqual({
      type: 'ExecutionAlreadyExists',
      status: 400,
    });

    await sfn.handle('StopExecution', { executionArn: first.executionArn });
    // Once ended, even the same input is refused.
    expect(await protocolError(start('ord-idem'))).toEqual({ type: 'ExecutionAlreadyExists', status: 400 });
  });

  it.each([
    ['an unknown state machine', 'StateMachineDoesNotExist', { stateMachineArn: smArn('nope') }],
    ['a malformed ARN', 'InvalidArn', { stateMachineArn: 'order-lifecycle' }],
    ['a name with a space', 'InvalidName', { stateMachineArn: lifecycle.arn, name: 'ord 1' }],
    ['a name with a slash', 'InvalidName', { stateMachineArn: lifecycle.arn, name: 'a/b' }],
    ['a name with a control character', 'InvalidName', { stateMachineArn: lifecycle.arn, name: 'a\u0001b' }],
    ['a name of 81 characters', 'InvalidName', { stateMachineArn: lifecycle.arn, name: 'x'.repeat(81) }],
    ['input that is not JSON', 'InvalidExecutionInput', { stateMachineArn: lifecycle.arn, input: '{' }],
  ])('StartExecution with %s answers %s', async (_what, expected, request) => {
    setUp(orderFunctions());
    expect(await protocolError(sfn.handle('StartExecution', request))).toEqual({
      type: expected,
      status: 400,
    });
  });

  it('names an execution with a uuid when no name is given; unknown executions do not exist', async () => {
    setUp(orderFunctions());
    const out = await sfn.handle('StartExecution', {
      stateMachineArn: lifecycle.arn,
      input: JSON.stringify(orderInput('ord-x')),
    });
    expect(out.executionArn).toMatch(/:execution:order-lifecycle:[0-9a-f-]{36}$/);
    const missing = sfn.executionArnFor(lifecycle.arn, 'ord-missing');
    for (const action of ['DescribeExecution', 'GetExecutionHistory', 'StopExecution']) {
      expect(await protocolError(sfn.handle(action, { executionArn: missing }))).toEqual({
        type: 'ExecutionDoesNotExist',
        status: 400,
      });
    }
    expect(() => sfn.historyForConsole(missing)).toThrow(LocalServiceError);
    expect(await protocolError(sfn.handle('NoSuchAction', {}))).toMatchObject({ status: 400 });
  });

  it('surfaces a Lambda error as Error/Cause: not retried unless named, caught by the Catch', async () => {
    setUp(
      orderFunctions({
        AcceptOrderFunctionArn: async () => {
          throw new NamedError('OrderNotFound', 'no such order');
        },
      }),
    );
    const arn = await start('ord-bug');
    const done = await settled(arn);
    expect(done.status).toBe('FAILED');
    expect(invoker.callsOf('AcceptOrderFunctionArn')).toHaveLength(1);
    const [recorded] = invoker.callsOf('RecordExceptionFunctionArn');
    expect(recorded).toMatchObject({
      stage: 'accept_order',
      reachedVenue: false,
      error: 'OrderNotFound',
    });
    expect(JSON.parse(recorded?.cause as string)).toEqual({
      errorMessage: 'no such order',
      errorType: 'OrderNotFound',
      stackTrace: ['at fake (test.ts:1:1)'],
    });
    const failed = (await history(arn)).find((e) => e.type === 'TaskFailed');
    expect(failed?.taskFailedEventDetails).toMatchObject({
      resourceType: 'lambda',
      resource: 'invoke',
      error: 'OrderNotFound',
    });
  });

  it('retries a Lambda error named in Retry, then goes on', async () => {
    let attempts = 0;
    setUp(
      orderFunctions({
        AcceptOrderFunctionArn: async (p) => {
          attempts++;
          if (attempts <= 2) throw new NamedError('TransientError', 'throttled');
          return accepted(p);
        },
      }),
    );
    const arn = await start('ord-retry');
    const token = await tokenOf('SubmitToVenueFunctionArn');
    expect(attempts).toBe(3);
    await sfn.handle('SendTaskSuccess', { taskToken: token, output: '{"status":"filled"}' });
    const done = await settled(arn);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.path.find((s) => s.state === 'Accept order')).toMatchObject({
      retries: 2,
      status: 'succeeded',
    });
    const riskEvents = (await history(arn)).map((e) => e.type).slice(1, 11);
    expect(riskEvents).toEqual([
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskFailed',
      'TaskScheduled',
      'TaskStarted',
      'TaskFailed',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
    ]);
  });

  it('times out a plain Lambda task after TimeoutSeconds with States.Timeout, which States.TaskFailed does not retry', async () => {
    setUp({ [fnArn('Slow')]: never });
    const arn = await start('slow-1', { x: 1 }, timeoutMachine.arn);
    const done = await settled(arn);
    expect(done.status).toBe('SUCCEEDED');
    expect(done.path.map((s) => [s.state, s.status])).toEqual([
      ['Slow', 'caught'],
      ['Timed out', 'succeeded'],
    ]);
    expect(invoker.callsOf('Slow')).toHaveLength(1);
    const output = JSON.parse((await describe_(arn)).output as string) as Json;
    expect(output).toMatchObject({ x: 1, failure: { Error: 'States.Timeout' } });
    expect((await history(arn)).map((e) => e.type)).toContain('TaskTimedOut');
  });

  it('keeps a task alive while heartbeats arrive within HeartbeatSeconds, and times it out when they stop', async () => {
    setUp({ [fnArn('Register')]: async () => ({}) });
    const arn = await start('hb-1', {}, heartbeatMachine.arn);
    const token = await until(() => invoker.callsOf('Register')[0]?.token as string | undefined, 'the token');
    for (let i = 0; i < 3; i++) {
      await new Promise((r) => setTimeout(r, 500));
      await sfn.handle('SendTaskHeartbeat', { taskToken: token });
    }
    expect(await status(arn)).toBe('RUNNING');
    const stoppedAt = Date.now();
    const done = await settled(arn);
    expect(Date.now() - stoppedAt).toBeGreaterThanOrEqual(900);
    expect(done.path.map((s) => s.state)).toEqual(['Wait for callback', 'No heartbeat']);
    expect(await protocolError(sfn.handle('SendTaskHeartbeat', { taskToken: token }))).toEqual({
      type: 'TaskTimedOut',
      status: 400,
    });
  });

  it('StopExecution aborts a waiting execution; ListExecutions filters by status and pages newest first', async () => {
    setUp(orderFunctions());
    const arns = [await start('ord-s1'), await start('ord-s2'), await start('ord-s3')];
    await until(() => invoker.callsOf('SubmitToVenueFunctionArn').length === 3, 'three waiting tasks');
    const s2Token = invoker.callsOf('SubmitToVenueFunctionArn').find((c) => c.orderId === 'ord-s2')
      ?.taskToken as string;
    const stopped = await sfn.handle('StopExecution', {
      executionArn: arns[1],
      error: 'Ops',
      cause: 'manual stop',
    });
    expect(typeof stopped.stopDate).toBe('number');
    expect(await describe_(arns[1] as string)).toMatchObject({
      status: 'ABORTED',
      error: 'Ops',
      cause: 'manual stop',
    });
    expect(await protocolError(sfn.handle('SendTaskSuccess', { taskToken: s2Token, output: '{}' }))).toEqual({
      type: 'TaskDoesNotExist',
      status: 400,
    });
    const events = await until(() => {
      const h = sfn.historyForConsole(arns[1] as string);
      return h.status === 'ABORTED' && h;
    }, 'abort');
    expect(events.stoppedAt).not.toBeNull();
    await new Promise((r) => setTimeout(r, 10));
    expect((await history(arns[1] as string)).at(-1)).toMatchObject({
      type: 'ExecutionAborted',
      executionAbortedEventDetails: { error: 'Ops', cause: 'manual stop' },
    });

    const aborted = await sfn.handle('ListExecutions', {
      stateMachineArn: lifecycle.arn,
      statusFilter: 'ABORTED',
    });
    expect((aborted.executions as Json[]).map((e) => e.name)).toEqual(['ord-s2']);
    const names: unknown[] = [];
    let nextToken: unknown;
    do {
      const page = await sfn.handle('ListExecutions', {
        stateMachineArn: lifecycle.arn,
        maxResults: 1,
        nextToken,
      });
      expect(page.executions as Json[]).toHaveLength(1);
      names.push(...(page.executions as Json[]).map((e) => e.name));
      nextToken = page.nextToken;
    } while (nextToken !== undefined);
    expect(names).toEqual(['ord-s3', 'ord-s2', 'ord-s1']);
    expect(
      await protocolError(
        sfn.handle('ListExecutions', { stateMachineArn: lifecycle.arn, nextToken: 'garbage' }),
      ),
    ).toEqual({ type: 'InvalidToken', status: 400 });

    // close() stops what still runs.
    await sfn.close();
    expect(await status(arns[0] as string)).toBe('ABORTED');
  });

  it('a Map that failed leaves nothing waiting once the execution has ended (as on AWS)', async () => {
    setUp(
      {
        [fnArn('Work')]: async (p) => {
          if (p.n === 1) throw new NamedError('Stop');
          return p;
        },
      },
      [stoppingMapMachine],
    );
    // The library still runs the iterations a failed Map had queued: here, a 60 s Wait each.
    const long = new Set<unknown>();
    const set = jest.spyOn(global, 'setTimeout');
    const clear = jest.spyOn(global, 'clearTimeout');
    try {
      const items = [0, 1, 2, 3].map((n) => ({ n, pause: n < 2 ? 0 : 60 }));
      const arn = await start('map-1', { items }, stoppingMapMachine.arn);
      const done = await settled(arn);
      expect(done.status).toBe('SUCCEEDED');
      expect(done.path.map((p) => p.state)).toContain('Stopped');
      await new Promise((r) => setTimeout(r, 200));
      set.mock.calls.forEach((call, k) => {
        if (typeof call[1] === 'number' && call[1] >= 50_000) long.add(set.mock.results[k]?.value);
      });
      const cleared = new Set(clear.mock.calls.map((c) => c[0]));
      // A Wait timer left would hold the process (jest, local mode) until it fires.
      expect(long.size).toBeGreaterThan(0);
      expect([...long].filter((t) => !cleared.has(t as never))).toEqual([]);
      expect(invoker.callsOf('Work').map((p) => p.n)).toEqual([0, 1]);
    } finally {
      set.mockRestore();
      clear.mockRestore();
    }
  });

  it('waits a Wait longer than setTimeout allows (2^31-1 ms, 24.8 days) to its time: Timestamp, Seconds (fake clock)', async () => {
    const DAY = 86_400_000;
    const slice: StateMachineSpec = {
      ...timeoutMachine,
      name: 'long-waits',
      arn: smArn('long-waits'),
      definition: {
        StartAt: 'Wait for slice',
        States: {
          'Wait for slice': { Type: 'Wait', TimestampPath: '$.at', Next: 'Wait 40 days' },
          'Wait 40 days': { Type: 'Wait', Seconds: 40 * 86_400, Next: 'Work' },
          Work: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Parameters: { FunctionName: fnArn('Work'), 'Payload.$': '$' },
            OutputPath: '$.Payload',
            End: true,
          },
        },
      },
    };
    setUp({ [fnArn('Work')]: async (p) => p }, [slice]);
    const t0 = Date.parse('2026-12-06T00:00:00.000Z');
    jest.useFakeTimers({ now: t0, doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
    try {
      const input = { at: new Date(t0 + 80 * DAY).toISOString() };
      const started = start('long-1', input, slice.arn);
      await jest.advanceTimersByTimeAsync(1_000);
      const arn = await started;
      const waited = async (ms: number) => {
        await jest.advanceTimersByTimeAsync(ms);
        return { calls: invoker.callsOf('Work').length, status: await status(arn) };
      };
      // The library's Wait (one setTimeout) overflowed to 1 ms: both Waits ended at once.
      expect(await waited(0)).toEqual({ calls: 0, status: 'RUNNING' });
      expect(await waited(80 * DAY - 10_000)).toEqual({ calls: 0, status: 'RUNNING' });
      expect(sfn.historyForConsole(arn).path.map((p) => p.state)).toEqual(['Wait for slice']);
      expect(await waited(20_000)).toEqual({ calls: 0, status: 'RUNNING' });
      expect(sfn.historyForConsole(arn).path.map((p) => p.state)).toEqual(['Wait for slice', 'Wait 40 days']);
      expect(await waited(40 * DAY - 20_000)).toEqual({ calls: 0, status: 'RUNNING' });
      expect(await waited(20_000)).toEqual({ calls: 1, status: 'SUCCEEDED' });
      expect(JSON.parse((await describe_(arn)).output as string)).toEqual(input);
      // Shown as Wait states (no task events, no retries), each entered once.
      expect((await history(arn)).map((h) => h.type)).toEqual([
        'ExecutionStarted',
        'WaitStateEntered',
        'WaitStateExited',
        'WaitStateEntered',
        'WaitStateExited',
        'TaskStateEntered',
        'TaskScheduled',
        'TaskStarted',
        'TaskSucceeded',
        'TaskStateExited',
        'ExecutionSucceeded',
      ]);
      expect(sfn.historyForConsole(arn).path.map((p) => [p.type, p.retries])).toEqual([
        ['Wait', 0],
        ['Wait', 0],
        ['Task', 0],
      ]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('keeps a task token wait past the setTimeout limit (24.8 days) to its TimeoutSeconds / HeartbeatSeconds (fake clock)', async () => {
    const DAY = 86_400_000;
    const gtc: StateMachineSpec = {
      ...timeoutMachine,
      name: 'gtc-outcome',
      arn: smArn('gtc-outcome'),
      definition: {
        StartAt: 'Await',
        States: {
          Await: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
            Parameters: {
              FunctionName: fnArn('Register'),
              Payload: { 'id.$': '$.id', 'token.$': '$$.Task.Token' },
            },
            TimeoutSeconds: 90 * 86_400,
            HeartbeatSecondsPath: '$.heartbeatSeconds',
            // Matches every task error but States.Timeout: a retry would invoke Register again.
            Retry: [{ ErrorEquals: ['States.TaskFailed'], MaxAttempts: 3 }],
            Catch: [{ ErrorEquals: ['States.Timeout'], ResultPath: '$.failure', Next: 'Expired' }],
            Next: 'Filled',
          },
          Filled: { Type: 'Pass', End: true },
          Expired: { Type: 'Pass', End: true },
        },
      },
    };
    setUp({ [fnArn('Register')]: async () => ({ registered: true }) }, [gtc]);
    const t0 = Date.parse('2026-12-06T00:00:00.000Z');
    jest.useFakeTimers({ now: t0, doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
    try {
      const arns: Record<string, string> = {};
      // filled: answered at day 60; expires: never answered; silent: heartbeats stop at day 50.
      for (const [id, heartbeatDays] of [
        ['filled', 100],
        ['expires', 100],
        ['silent', 30],
      ] as const) {
        const started = start(id, { id, heartbeatSeconds: heartbeatDays * 86_400 }, gtc.arn);
        await jest.advanceTimersByTimeAsync(1_000);
        arns[id] = await started;
      }
      const token = (id: string) => invoker.callsOf('Register').find((p) => p.id === id)?.token as string;
      const at = async (day: number) => {
        await jest.advanceTimersByTimeAsync(t0 + day * DAY - Date.now());
        const out: Record<string, unknown> = {};
        for (const [id, arn] of Object.entries(arns)) out[id] = await status(arn);
        return out;
      };
      const path = (id: string) =>
        sfn.historyForConsole(arns[id] as string).path.map((p) => [p.state, p.retries]);
      const failure = async (id: string) =>
        (JSON.parse((await describe_(arns[id] as string)).output as string) as Json).failure;

      expect(await at(25)).toEqual({ filled: 'RUNNING', expires: 'RUNNING', silent: 'RUNNING' });
      await sfn.handle('SendTaskHeartbeat', { taskToken: token('silent') });
      expect(await at(30)).toEqual({ filled: 'RUNNING', expires: 'RUNNING', silent: 'RUNNING' });
      expect(await at(50)).toEqual({ filled: 'RUNNING', expires: 'RUNNING', silent: 'RUNNING' });
      await sfn.handle('SendTaskHeartbeat', { taskToken: token('silent') });
      expect(await at(60)).toEqual({ filled: 'RUNNING', expires: 'RUNNING', silent: 'RUNNING' });
      await sfn.handle('SendTaskSuccess', { taskToken: token('filled'), output: '{"status":"filled"}' });
      expect(await at(60.001)).toEqual({ filled: 'SUCCEEDED', expires: 'RUNNING', silent: 'RUNNING' });
      expect(path('filled')).toEqual([
        ['Await', 0],
        ['Filled', 0],
      ]);
      expect(JSON.parse((await describe_(arns.filled as string)).output as string)).toEqual({
        status: 'filled',
      });
      // The heartbeat times out 30 days after the last one (day 50), the task 90 days after it began.
      expect(await at(79.999)).toEqual({ filled: 'SUCCEEDED', expires: 'RUNNING', silent: 'RUNNING' });
      expect(await at(80.001)).toEqual({ filled: 'SUCCEEDED', expires: 'RUNNING', silent: 'SUCCEEDED' });
      expect(await failure('silent')).toEqual({
        Error: 'States.Timeout',
        Cause: `No heartbeat within ${30 * 86_400} s`,
      });
      expect(await at(89)).toEqual({ filled: 'SUCCEEDED', expires: 'RUNNING', silent: 'SUCCEEDED' });
      expect(await at(89.999)).toEqual({ filled: 'SUCCEEDED', expires: 'RUNNING', silent: 'SUCCEEDED' });
      // The token still belongs to the waiting task: a heartbeat is accepted.
      await sfn.handle('SendTaskHeartbeat', { taskToken: token('expires') });
      expect(await at(90.001)).toEqual({ filled: 'SUCCEEDED', expires: 'SUCCEEDED', silent: 'SUCCEEDED' });
      expect(await failure('expires')).toEqual({
        Error: 'States.Timeout',
        Cause: `Task timed out after ${90 * 86_400} s`,
      });
      expect(path('expires')).toEqual([
        ['Await', 0],
        ['Expired', 0],
      ]);
      // One invocation, one token, one task per execution; its 20-day attempts leave no trace.
      expect(invoker.callsOf('Register').map((p) => p.id)).toEqual(['filled', 'expires', 'silent']);
      expect((await history(arns.expires as string)).map((h) => h.type)).toEqual([
        'ExecutionStarted',
        'TaskStateEntered',
        'TaskScheduled',
        'TaskStarted',
        'TaskSubmitted',
        'TaskTimedOut',
        'TaskStateExited',
        'PassStateEntered',
        'PassStateExited',
        'ExecutionSucceeded',
      ]);
      expect(
        await protocolError(sfn.handle('SendTaskSuccess', { taskToken: token('expires'), output: '{}' })),
      ).toEqual({ type: 'TaskTimedOut', status: 400 });
      expect(
        await protocolError(sfn.handle('SendTaskSuccess', { taskToken: token('filled'), output: '{}' })),
      ).toEqual({ type: 'TaskDoesNotExist', status: 400 });
    } finally {
      jest.useRealTimers();
    }
  });

  it('expires a GTC order of the order-lifecycle ASL at its 90-day outcome timeout, not before (fake clock)', async () => {
    const DAY = 86_400_000;
    setUp(orderFunctions({ AcceptOrderFunctionArn: async (p) => accepted(p, 90 * 86_400) }));
    const t0 = Date.parse('2026-12-06T00:00:00.000Z');
    jest.useFakeTimers({ now: t0, doNotFake: ['nextTick', 'queueMicrotask', 'setImmediate'] });
    try {
      const started = start('ord-gtc', { ...orderInput('ord-gtc'), timeInForce: 'gtc' });
      await jest.advanceTimersByTimeAsync(1_000);
      const arn = await started;
      const at = async (day: number) => {
        await jest.advanceTimersByTimeAsync(t0 + day * DAY - Date.now());
        return status(arn);
      };
      expect(await at(30)).toBe('RUNNING');
      expect(await at(89.999)).toBe('RUNNING');
      expect(invoker.callsOf('ExpireOrderFunctionArn')).toEqual([]);
      expect(await at(90.001)).toBe('SUCCEEDED');
      expect(
        sfn
          .historyForConsole(arn)
          .path.map((s) => s.state)
          .slice(-3),
      ).toEqual(['Submit and await outcome', 'Expire order', 'Order expired']);
      expect(invoker.callsOf('SubmitToVenueFunctionArn')).toHaveLength(1);
      expect(invoker.callsOf('ExpireOrderFunctionArn')).toEqual([{ orderId: 'ord-gtc' }]);
    } finally {
      jest.useRealTimers();
    }
  });

  it('keeps a bounded number of finished executions, dropping the oldest', async () => {
    invoker = new FakeInvoker({});
    const quick: StateMachineSpec = {
      ...timeoutMachine,
      name: 'quick',
      arn: smArn('quick'),
      definition: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } },
    };
    sfn = new LocalStepFunctions([quick], invoker, { maxExecutions: 2 });
    const arns: string[] = [];
    for (const name of ['q1', 'q2', 'q3']) {
      arns.push(await start(name, {}, quick.arn));
      await settled(arns.at(-1) as string);
    }
    expect(await protocolError(describe_(arns[0] as string))).toEqual({
      type: 'ExecutionDoesNotExist',
      status: 400,
    });
    expect(await status(arns[2] as string)).toBe('SUCCEEDED');
    expect(await status(arns[1] as string)).toBe('SUCCEEDED');
  });
});
