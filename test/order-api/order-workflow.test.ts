/**
 * GET /v2/orders/{order_id}/workflow (lambdas/order-api/order-workflow.ts, issue 14): the owner
 * check, the execution ARN (named by the order id, on the algo-order machine for a parent), the
 * states from the history (paged), the status, the console link, and Alpaca's 404s.
 */
import './env.js';
import { GetExecutionHistoryCommand, type HistoryEvent, SFNClient } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { consoleUrlOf, handler, statesOf } from '../../lambdas/order-api/order-workflow.js';
import { FakeDynamo } from './fake-dynamo.js';
import { ACCOUNT, apiEvent, OTHER_ACCOUNT, parse, seedOrder } from './fixtures.js';

const LIFECYCLE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:Lifecycle';
const ALGO = 'arn:aws:states:eu-west-1:123456789012:stateMachine:AlgoOrder';
process.env.ORDER_LIFECYCLE_STATE_MACHINE_ARN = LIFECYCLE;
process.env.ALGO_ORDER_STATE_MACHINE_ARN = ALGO;

const sfn = mockClient(SFNClient);
const fake = new FakeDynamo();
const at = (s: number) => new Date(Date.UTC(2030, 0, 2, 15, 0, s));

/** A filled simple order's history: Accept order, then Submit and await outcome, succeeded. */
const FILLED: HistoryEvent[] = [
  { id: 1, type: 'ExecutionStarted', timestamp: at(0) },
  { id: 2, type: 'TaskStateEntered', timestamp: at(1), stateEnteredEventDetails: { name: 'Accept order' } },
  { id: 3, type: 'TaskStateExited', timestamp: at(2), stateExitedEventDetails: { name: 'Accept order' } },
  {
    id: 4,
    type: 'TaskStateEntered',
    timestamp: at(2),
    stateEnteredEventDetails: { name: 'Submit and await outcome' },
  },
  {
    id: 5,
    type: 'TaskStateExited',
    timestamp: at(5),
    stateExitedEventDetails: { name: 'Submit and await outcome' },
  },
  { id: 6, type: 'ExecutionSucceeded', timestamp: at(5) },
] as HistoryEvent[];

beforeEach(() => {
  fake.reset();
  sfn.reset();
});

const call = (orderId: string, accountIds = ACCOUNT) =>
  handler(
    apiEvent({
      routeKey: 'GET /v2/orders/{order_id}/workflow',
      pathParameters: { order_id: orderId },
      accountIds,
    }),
  );

describe('GET /v2/orders/{order_id}/workflow', () => {
  test("the states the order's execution went through, its status and its console link", async () => {
    seedOrder(fake, 'o-1');
    sfn.on(GetExecutionHistoryCommand).resolves({ events: FILLED });
    const res = await call('o-1');
    expect(res.statusCode).toBe(200);
    const arn = 'arn:aws:states:eu-west-1:123456789012:execution:Lifecycle:o-1';
    expect(parse(res.body)).toEqual({
      execution_arn: arn,
      status: 'SUCCEEDED',
      console_url: `https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/${arn}`,
      states: [
        { name: 'Accept order', entered_at: at(1).toISOString(), exited_at: at(2).toISOString() },
        {
          name: 'Submit and await outcome',
          entered_at: at(2).toISOString(),
          exited_at: at(5).toISOString(),
        },
      ],
    });
    // Named by the order id; no execution data asked for (names and times are all it needs).
    const input = sfn.commandCalls(GetExecutionHistoryCommand)[0]?.args[0].input;
    expect(input).toMatchObject({ executionArn: arn, includeExecutionData: false });
  });

  test('a running execution: RUNNING, and the state it waits in has no exit time', async () => {
    seedOrder(fake, 'o-1');
    sfn.on(GetExecutionHistoryCommand).resolves({ events: FILLED.slice(0, 4) });
    const body = parse((await call('o-1')).body);
    expect(body.status).toBe('RUNNING');
    expect(body.states.at(-1)).toEqual({
      name: 'Submit and await outcome',
      entered_at: at(2).toISOString(),
      exited_at: null,
    });
  });

  test('a long history is read page by page', async () => {
    seedOrder(fake, 'o-1');
    sfn
      .on(GetExecutionHistoryCommand)
      .resolvesOnce({ events: FILLED.slice(0, 3), nextToken: 'page-2' })
      .resolvesOnce({ events: FILLED.slice(3) });
    const body = parse((await call('o-1')).body);
    expect(body.states.map((s: { name: string }) => s.name)).toEqual([
      'Accept order',
      'Submit and await outcome',
    ]);
    expect(body.status).toBe('SUCCEEDED');
    expect(sfn.commandCalls(GetExecutionHistoryCommand)[1]?.args[0].input.nextToken).toBe('page-2');
  });

  test("an algorithmic parent's execution is on the algo-order state machine", async () => {
    seedOrder(fake, 'p-1', {
      contingency: {
        groupId: 'p-1',
        orderClass: 'algo',
        role: 'algo_parent',
        parentOrderId: null,
        legOrderIds: [],
        held: false,
      },
    });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: FILLED });
    const res = await call('p-1');
    expect(res.statusCode).toBe(200);
    expect(parse(res.body).execution_arn).toBe(
      'arn:aws:states:eu-west-1:123456789012:execution:AlgoOrder:p-1',
    );
  });

  test("another account's order is 404 (as an unknown one), and Step Functions is never asked", async () => {
    seedOrder(fake, 'o-1', { accountId: OTHER_ACCOUNT });
    for (const id of ['o-1', 'nope']) {
      const res = await call(id);
      expect(res.statusCode).toBe(404);
      expect(parse(res.body)).toEqual({ code: 40410000, message: 'order not found' });
    }
    expect(sfn.commandCalls(GetExecutionHistoryCommand)).toHaveLength(0);
  });

  test('an order with no execution (a held leg not yet activated) is 404 workflow not found', async () => {
    seedOrder(fake, 'o-1');
    sfn
      .on(GetExecutionHistoryCommand)
      .rejects(Object.assign(new Error('Execution Does Not Exist'), { name: 'ExecutionDoesNotExist' }));
    const res = await call('o-1');
    expect(res.statusCode).toBe(404);
    expect(parse(res.body)).toEqual({ code: 40410000, message: 'workflow not found' });
  });

  test('any other Step Functions failure is a 500 without its text', async () => {
    seedOrder(fake, 'o-1');
    sfn
      .on(GetExecutionHistoryCommand)
      .rejects(Object.assign(new Error('secret detail'), { name: 'ThrottlingException' }));
    const res = await call('o-1');
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('secret detail');
  });
});

describe('statesOf', () => {
  test('a state entered twice (a retry loop) is listed twice, each exit matched to its own entry', () => {
    const loop = [
      { type: 'TaskStateEntered', timestamp: at(1), stateEnteredEventDetails: { name: 'Wait' } },
      { type: 'TaskStateExited', timestamp: at(2), stateExitedEventDetails: { name: 'Wait' } },
      { type: 'TaskStateEntered', timestamp: at(3), stateEnteredEventDetails: { name: 'Wait' } },
    ] as HistoryEvent[];
    expect(statesOf(loop)).toEqual([
      { name: 'Wait', entered_at: at(1).toISOString(), exited_at: at(2).toISOString() },
      { name: 'Wait', entered_at: at(3).toISOString(), exited_at: null },
    ]);
  });

  test("the console link names the ARN's region", () => {
    expect(consoleUrlOf('arn:aws:states:ap-south-1:1:execution:M:x')).toBe(
      'https://ap-south-1.console.aws.amazon.com/states/home?region=ap-south-1#/v2/executions/details/arn:aws:states:ap-south-1:1:execution:M:x',
    );
  });
});
