/**
 * `Submit and await outcome` (issue 12: the workflow's submit and outcome wait are one
 * `.waitForTaskToken` task): submit-to-venue.ts stores the task token BEFORE it reads and submits
 * the order, so no closing milestone can pass the signaller without finding the token; an order
 * that closed before submission is not sent and the task releases its own token.
 */
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { ExecutionReport } from '../../lambdas/broker-gateway/execution-report.js';
import { submitToVenue } from '../../lambdas/broker-gateway/submit-to-venue.js';
import { decide, validateOrderRequest } from '../../lambdas/core/index.js';
import { EventStore, runCommand } from '../../lambdas/event-store/event-store.js';
import { dynamo } from '../../lambdas/platform/dynamo.js';
import { logger } from '../../lambdas/platform/observability.js';
import { BusRecorder, FakeDynamo } from './fake-aws.js';
import { pinAcme } from './orders-fixture.js';

const T0 = Date.parse('2026-11-23T14:30:00Z');
Object.assign(process.env, {
  EVENT_STORE_TABLE: 'events',
  VENUE_ORDERS_TABLE: 'venue',
  MARKET_TABLE: 'market',
  EVENT_BUS_NAME: 'oms-bus',
  TASK_TOKENS_TABLE: 'tokens',
});
logger.setLogLevel('SILENT');

const sfn = mockClient(SFNClient);
let db: FakeDynamo;
let dynamoMock: ReturnType<FakeDynamo['install']>;
let bus: BusRecorder;
const store = new EventStore(dynamo, 'events');
const meta = { accountId: 'acct-1', correlationId: 'o-1', causationId: 'req-1' };

beforeEach(() => {
  sfn.reset();
  sfn.on(SendTaskSuccessCommand).resolves({});
  db = new FakeDynamo();
  dynamoMock = db.install();
  bus = new BusRecorder();
  bus.install();
  // Pinned: every venue shows this quote, and the router sends to the deepest (SIMX).
  pinAcme(db, T0);
});

async function placeMarketOrder(orderId: string): Promise<void> {
  const v = validateOrderRequest(
    { symbol: 'ACME', side: 'buy', time_in_force: 'day', qty: '5', type: 'market' },
    { now: T0 },
  );
  if (!v.ok) throw new Error(JSON.stringify(v.errors));
  const d = decide(undefined, { type: 'submit', orderId, accountId: 'acct-1', order: v.order }, T0);
  if (!d.ok) throw new Error(d.refusal.message);
  await store.append(d.events, meta);
}

const tokenItem = (orderId: string) => db.items('tokens').find((i) => i.orderId === orderId);

test('stores the token (awaits outcome), then submits; the venue answers; nothing is released by the task', async () => {
  await placeMarketOrder('o-1');
  const out = await submitToVenue({
    orderId: 'o-1',
    venue: 'SIMX',
    taskToken: 'tok-1',
    outcomeTimeoutSeconds: 600,
  });
  expect(out).toEqual({ orderId: 'o-1', venue: 'SIMX', submitted: true });
  expect(tokenItem('o-1')).toMatchObject({ taskToken: 'tok-1', awaits: 'outcome' });
  expect(bus.take<ExecutionReport>().map((r) => r.execType)).toEqual(['new', 'fill']);
  // The signaller releases it on the closing milestone, not this task.
  expect(sfn.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
});

test('the token is stored before the order is read: a failure reading it leaves the token registered', async () => {
  await expect(
    submitToVenue({ orderId: 'missing', venue: 'SIMX', taskToken: 'tok-2' }),
  ).rejects.toMatchObject({
    name: 'OrderNotFound',
  });
  expect(tokenItem('missing')).toMatchObject({ taskToken: 'tok-2', awaits: 'outcome' });
  expect(bus.take()).toEqual([]);
});

test('an order closed before submission is not sent, and the task releases its own token with the closed status', async () => {
  await placeMarketOrder('o-1');
  const canceled = await runCommand(
    store,
    'o-1',
    { type: 'requestCancel', requestedBy: 'client-key' },
    () => meta,
    () => T0,
  );
  expect(canceled.decision.ok).toBe(true);
  // The client's cancel is pending; the order then closes before the venue saw it.
  await runCommand(
    store,
    'o-1',
    { type: 'reject', reason: 'risk' },
    () => meta,
    () => T0,
  );
  const out = await submitToVenue({ orderId: 'o-1', venue: 'SIMX', taskToken: 'tok-3' });
  expect(out).toMatchObject({ submitted: false });
  expect(bus.take()).toEqual([]);
  const sent = sfn.commandCalls(SendTaskSuccessCommand).map((c) => c.args[0].input);
  expect(sent).toHaveLength(1);
  expect(sent[0]?.taskToken).toBe('tok-3');
  expect(JSON.parse(sent[0]?.output as string)).toMatchObject({ orderId: 'o-1', status: out.status });
});

test('without a token (a direct call) it only submits', async () => {
  await placeMarketOrder('o-1');
  await submitToVenue({ orderId: 'o-1', venue: 'SIMX' });
  expect(tokenItem('o-1')).toBeUndefined();
});

describe('next: await (a replacement at its venue already, or an order that closed meanwhile)', () => {
  // Issue 12: the await decision goes through this task too (no Choice state): nothing is sent.
  test.each([
    { name: 'open at its venue: only waits', close: false, released: null },
    { name: 'settled meanwhile: releases its own token with the status', close: true, released: 'canceled' },
  ])('$name', async ({ close, released }) => {
    await placeMarketOrder('o-1');
    const accepted = await runCommand(
      store,
      'o-1',
      { type: 'accept' },
      () => meta,
      () => T0,
    );
    expect(accepted.decision.ok).toBe(true);
    if (close) {
      const canceled = await runCommand(
        store,
        'o-1',
        { type: 'confirmCancel' },
        () => meta,
        () => T0,
      );
      expect(canceled.decision.ok).toBe(true);
    }
    const out = await submitToVenue({
      orderId: 'o-1',
      venue: 'SIMX',
      taskToken: 'tok-4',
      outcomeTimeoutSeconds: 600,
      next: 'await',
    });
    expect(out).toMatchObject({ submitted: false });
    // Never sent again: the venue has it (or it is closed).
    expect(bus.take()).toEqual([]);
    expect(tokenItem('o-1')).toMatchObject({ taskToken: 'tok-4', awaits: 'outcome' });
    const sent = sfn
      .commandCalls(SendTaskSuccessCommand)
      .map((c) => JSON.parse(c.args[0].input.output as string));
    expect(sent).toEqual(
      released === null ? [] : [expect.objectContaining({ orderId: 'o-1', status: released })],
    );
  });
});

/**
 * Issue 12: a plain new order is routed from the OrderSubmitted its execution input carries (no
 * read of the event store). The routing decision is appended only while the order is still at that
 * event, so each stale case below ends as the loaded order says: never sent when closed, never
 * routed twice, the token released by the task when the order settled before it.
 */
describe('routing from the carried OrderSubmitted (execution.submitted)', () => {
  const carriedInput = (orderId: string, routingPolicy?: string) => {
    const stored = db.items('events').find((e) => e.orderId === orderId && e.seq === 1) as Record<
      string,
      unknown
    > & { data: Record<string, unknown> };
    const { type, seq, occurredAt, data } = stored;
    return {
      type,
      orderId,
      seq,
      occurredAt,
      data: routingPolicy === undefined ? data : { ...data, acceptedAgainst: { routingPolicy } },
    };
  };
  const run = (orderId: string, token: string, submitted: unknown) =>
    submitToVenue({ orderId, taskToken: token, outcomeTimeoutSeconds: 600, execution: { submitted } });
  const canceled = async (orderId: string) => {
    await runCommand(
      store,
      orderId,
      { type: 'requestCancel', requestedBy: 'client-key' },
      () => meta,
      () => T0,
    );
    await runCommand(
      store,
      orderId,
      { type: 'reject', reason: 'risk' },
      () => meta,
      () => T0,
    );
  };

  test.each([
    {
      name: 'nothing happened since: routed and sent with no read of the event store',
      since: async (_orderId: string) => {},
      submitted: true,
      routedAt: [2],
      storeReads: 0,
      reports: ['new', 'fill'],
      released: null,
    },
    {
      name: 'closed since (cancel requested, then rejected): the append fails, the order is loaded, not sent, the token released',
      since: canceled,
      submitted: false,
      routedAt: [],
      storeReads: 2,
      reports: [],
      released: 'rejected',
    },
    {
      name: 'routed and sent by an earlier attempt: loaded, not routed again, not booked twice',
      since: async (orderId: string) => {
        await run(orderId, 'tok-earlier', carriedInput(orderId));
        bus.take();
      },
      submitted: true,
      routedAt: [2],
      storeReads: 1,
      // The venue has it already: the second submission books nothing.
      reports: [],
      released: null,
    },
  ])('$name', async ({ since, submitted, routedAt, storeReads, reports, released }) => {
    await placeMarketOrder('o-9');
    const input = carriedInput('o-9');
    await since('o-9');
    dynamoMock.resetHistory();
    const out = await run('o-9', 'tok-9', input);
    expect(out.submitted).toBe(submitted);
    const eventReads = dynamoMock
      .commandCalls(QueryCommand)
      .filter((c) => c.args[0].input.TableName === 'events').length;
    expect(eventReads).toBe(storeReads);
    const routed = db.items('events').filter((e) => e.orderId === 'o-9' && e.type === 'OrderRouted');
    expect(routed.map((e) => e.seq)).toEqual(routedAt);
    expect(bus.take<ExecutionReport>().map((r) => r.execType)).toEqual(reports);
    expect(tokenItem('o-9')).toMatchObject({ taskToken: 'tok-9', awaits: 'outcome' });
    const sent = sfn
      .commandCalls(SendTaskSuccessCommand)
      .map((c) => JSON.parse(c.args[0].input.output as string));
    expect(sent).toEqual(
      released === null ? [] : [expect.objectContaining({ orderId: 'o-9', status: released })],
    );
  });

  test("the routing policy is the one the API accepted the order with (the carried event's)", async () => {
    await placeMarketOrder('o-8');
    await run('o-8', 'tok-8', carriedInput('o-8', 'cheapest_fee'));
    const routed = db.items('events').find((e) => e.orderId === 'o-8' && e.type === 'OrderRouted') as {
      data: { policy: string };
    };
    expect(routed.data.policy).toBe('cheapest_fee');
  });

  test('a carried event of another order, or of a replacement, is not used: the order is loaded', async () => {
    await placeMarketOrder('o-7');
    await placeMarketOrder('o-6');
    dynamoMock.resetHistory();
    await run('o-7', 'tok-7', carriedInput('o-6'));
    const reads = () =>
      dynamoMock.commandCalls(QueryCommand).filter((c) => c.args[0].input.TableName === 'events').length;
    expect(reads()).toBe(1);
    const replacement = carriedInput('o-6');
    await run('o-6', 'tok-6', { ...replacement, data: { ...replacement.data, replaces: 'o-1' } });
    expect(reads()).toBe(2);
  });
});
