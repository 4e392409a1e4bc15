/**
 * `Submit and await outcome` (issue 12: the workflow's submit and outcome wait are one
 * `.waitForTaskToken` task): submit-to-venue.ts stores the task token BEFORE it reads and submits
 * the order, so no closing milestone can pass the signaller without finding the token; an order
 * that closed before submission is not sent and the task releases its own token.
 */
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
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
let bus: BusRecorder;
const store = new EventStore(dynamo, 'events');
const meta = { accountId: 'acct-1', correlationId: 'o-1', causationId: 'req-1' };

beforeEach(() => {
  sfn.reset();
  sfn.on(SendTaskSuccessCommand).resolves({});
  db = new FakeDynamo();
  db.install();
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
