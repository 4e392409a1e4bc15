/**
 * FIX sequence numbers in DynamoDB (the venue session host on AWS): what one store instance wrote,
 * a new one (a restarted task) reads back; writes stay in order; a failed write does not stop
 * the next.
 */
import 'reflect-metadata';
import { SessionId } from 'jspurefix';
import { DynamoSessionStoreFactory } from '../../../lambdas/broker-gateway/fix/dynamo-session-store.js';
import { dynamo } from '../../../lambdas/platform/dynamo.js';
import { FakeDynamo } from '../fake-aws.js';

const id = new SessionId('FIX.4.4', 'OMS', 'FIXA');

test('sequence numbers survive a restart of the host', async () => {
  const db = new FakeDynamo();
  db.install();
  const factory = new DynamoSessionStoreFactory(dynamo, 'venue');
  const first = factory.create(id);
  await first.initialize();
  expect([first.senderSeqNum, first.targetSeqNum]).toEqual([1, 1]);
  for (let i = 0; i < 5; i++) void first.nextSenderSeqNum();
  await first.setTargetSeqNum(42);
  await first.flush();
  expect(db.get('venue', { orderId: 'fix-session#FIX.4.4-OMS-FIXA' })).toMatchObject({
    senderSeqNum: 6,
    targetSeqNum: 42,
  });

  const restarted = factory.create(id);
  await restarted.initialize();
  expect([restarted.senderSeqNum, restarted.targetSeqNum]).toEqual([6, 42]);
  await restarted.reset();
  const again = factory.create(id);
  await again.initialize();
  expect([again.senderSeqNum, again.targetSeqNum]).toEqual([1, 1]);
});

test('a failed write is followed by the next, which carries the newer numbers', async () => {
  const db = new FakeDynamo();
  db.install();
  const store = new DynamoSessionStoreFactory(dynamo, 'venue').create(id);
  await store.initialize();
  db.beforeWrite = () => {
    db.beforeWrite = undefined;
    throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
  };
  await expect(store.setSenderSeqNum(7)).rejects.toThrow('throttled');
  await store.setTargetSeqNum(9);
  expect(db.get('venue', { orderId: 'fix-session#FIX.4.4-OMS-FIXA' })).toMatchObject({
    senderSeqNum: 7,
    targetSeqNum: 9,
  });
  expect(await store.get(3)).toBeNull(); // messages are not kept: resends are gap fills
});
