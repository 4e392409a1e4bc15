/**
 * `runDecision` / `runCommand` with the state the caller just loaded (issue 12: the applier and the
 * cancel handler read the order once, not twice): the first attempt decides on it; an append
 * conflict (another writer got in between) reloads and decides again, so nothing is lost.
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { decide, validateOrderRequest } from '../../lambdas/core/index.js';
import { EventStore, runCommand } from '../../lambdas/event-store/event-store.js';
import { dynamo } from '../../lambdas/platform/dynamo.js';
import { FakeDynamo } from '../broker-gateway/fake-aws.js';

const T0 = Date.parse('2026-11-23T14:30:00Z');
const meta = { accountId: 'acct-1', correlationId: 'o-1', causationId: 'req' };
let db: FakeDynamo;
let mock: ReturnType<FakeDynamo['install']>;
const store = new EventStore(dynamo, 'events');

beforeEach(async () => {
  db = new FakeDynamo();
  mock = db.install();
  const v = validateOrderRequest(
    { symbol: 'ACME', side: 'buy', time_in_force: 'day', qty: '5', type: 'limit', limit_price: '9' },
    { now: T0 },
  );
  if (!v.ok) throw new Error('invalid');
  const d = decide(undefined, { type: 'submit', orderId: 'o-1', accountId: 'acct-1', order: v.order }, T0);
  if (!d.ok) throw new Error(d.refusal.message);
  await store.append(d.events, meta);
});

const queries = () => mock.commandCalls(QueryCommand).length;

test('with the loaded state, the command appends without reading the order again', async () => {
  const { state } = await store.loadState('o-1');
  if (state === undefined) throw new Error('no order');
  const before = queries();
  const r = await runCommand(
    store,
    'o-1',
    { type: 'requestCancel', requestedBy: 'k' },
    () => meta,
    () => T0,
    8,
    {
      state,
    },
  );
  expect(r.appended.map((e) => e.type)).toEqual(['OrderCancelRequested']);
  expect(queries()).toBe(before);
});

test('a stale loaded state meets a conflict, reloads, and decides on the fresh state', async () => {
  const { state: stale } = await store.loadState('o-1');
  if (stale === undefined) throw new Error('no order');
  // Another writer appends first.
  await runCommand(
    store,
    'o-1',
    { type: 'reject', reason: 'risk' },
    () => meta,
    () => T0,
  );
  const r = await runCommand(
    store,
    'o-1',
    { type: 'requestCancel', requestedBy: 'k' },
    () => meta,
    () => T0,
    8,
    {
      state: stale,
    },
  );
  // Decided again on the rejected order: nothing to cancel, nothing appended over it.
  expect(r.decision.ok).toBe(false);
  expect((await store.load('o-1')).map((e) => e.type)).toEqual(['OrderSubmitted', 'OrderRejected']);
});
