/**
 * Locate requests' writes (lambdas/orders/locate-requests.ts) against DynamoDB Local: concurrent
 * requests of one account for one symbol (a probe's 10 parallel POSTs got ~4 x 503 "the locate
 * book is busy") are each served, granted while the borrow desk has shares, rejected after; the desk
 * lends no share twice and the book records every locate.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { nanos } from '../../lambdas/core/index.js';
import { borrowDeskPk } from '../../lambdas/orders/borrow-desk.js';
import { locateBookPk } from '../../lambdas/orders/locate-book.js';
import { locateIdOf, requestLocate } from '../../lambdas/orders/locate-requests.js';
import { dynamoDbLocalWith, table } from '../local/fixtures/dynamodb-tables.js';

const local = dynamoDbLocalWith([table('accounts', 'pk')]);
const NOW = Date.parse('2026-12-07T15:00:00.000Z');
const itemOf = async (pk: string) =>
  (await local.doc.send(new GetCommand({ TableName: 'accounts', Key: { pk }, ConsistentRead: true }))).Item;

test.each([
  [20, 1000],
  [40, 1500],
])(
  '%i concurrent locates of 100 GME, the desk lending %i: each served, none twice',
  async (n, lendable) => {
    const accountId = `acct-${n}`;
    await local.doc.send(
      new PutCommand({ TableName: 'accounts', Item: { pk: borrowDeskPk('GME'), available: lendable } }),
    );
    const request = { symbol: 'GME', qty: nanos('100'), allOrNone: false };
    const outcomes = await Promise.all(
      Array.from({ length: n }, () =>
        requestLocate(local.doc, 'accounts', accountId, request, undefined, NOW),
      ),
    );
    const statuses = outcomes.map((o) => (o.kind === 'key_reused' ? 'key_reused' : o.locate.status));
    expect(statuses.filter((s) => s === 'active')).toHaveLength(lendable / 100);
    expect(statuses.filter((s) => s === 'rejected')).toHaveLength(n - lendable / 100);
    expect((await itemOf(borrowDeskPk('GME')))?.available).toBe(0);
    const book = await itemOf(locateBookPk(accountId));
    expect(book?.locates).toHaveLength(n);
    expect(book?.symbols?.GME?.remaining).toBe(lendable);
  },
  60_000,
);

test('concurrent retries with one Idempotency-Key: one locate, answered to each', async () => {
  await local.doc.send(
    new PutCommand({ TableName: 'accounts', Item: { pk: borrowDeskPk('AMC'), available: 500 } }),
  );
  const request = { symbol: 'AMC', qty: nanos('200'), allOrNone: false };
  const outcomes = await Promise.all(
    Array.from({ length: 10 }, () =>
      requestLocate(local.doc, 'accounts', 'acct-idem', request, 'key-1', NOW),
    ),
  );
  expect(outcomes.filter((o) => o.kind === 'located')).toHaveLength(1);
  expect(outcomes.filter((o) => o.kind === 'replayed')).toHaveLength(9);
  expect((await itemOf(borrowDeskPk('AMC')))?.available).toBe(300);
});

test('one Idempotency-Key sent by two accounts: two locates with two ids, each a UUID its retry finds', async () => {
  // A probe: both were `idem-<key>`, one id naming two accounts' locates.
  await local.doc.send(
    new PutCommand({ TableName: 'accounts', Item: { pk: borrowDeskPk('BBBY'), available: 500 } }),
  );
  const request = { symbol: 'BBBY', qty: nanos('100'), allOrNone: false };
  const [a, b] = await Promise.all(
    ['acct-a', 'acct-b'].map((acct) =>
      requestLocate(local.doc, 'accounts', acct, request, 'shared-key', NOW),
    ),
  );
  const ids = [a, b].map((o) => (o?.kind === 'located' ? o.locate.id : o?.kind));
  expect(ids).toEqual([locateIdOf('acct-a', 'shared-key'), locateIdOf('acct-b', 'shared-key')]);
  expect(new Set(ids).size).toBe(2);
  for (const id of ids)
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const again = await requestLocate(local.doc, 'accounts', 'acct-a', request, 'shared-key', NOW);
  expect(again).toMatchObject({ kind: 'replayed', locate: { id: ids[0] } });
});

test('limit_price is kept in the book (the next write keeps it too) and is part of what an Idempotency-Key names', async () => {
  await local.doc.send(
    new PutCommand({ TableName: 'accounts', Item: { pk: borrowDeskPk('KOSS'), available: 500 } }),
  );
  const request = { symbol: 'KOSS', qty: nanos('100'), allOrNone: false, limitPrice: '0.05' };
  const first = await requestLocate(local.doc, 'accounts', 'acct-limit', request, 'limit-key', NOW);
  expect(first).toMatchObject({ kind: 'located', locate: { limitPrice: '0.05', status: 'active' } });
  // Another locate written over the book: the first one's limit is read back and kept.
  await requestLocate(
    local.doc,
    'accounts',
    'acct-limit',
    { ...request, limitPrice: undefined },
    undefined,
    NOW,
  );
  const book = await itemOf(locateBookPk('acct-limit'));
  expect(book?.locates.map((l: { limitPrice?: string }) => l.limitPrice ?? null)).toEqual(['0.05', null]);
  // A retry: the same locate; the same key with another limit (or none): another request.
  const retry = await requestLocate(local.doc, 'accounts', 'acct-limit', request, 'limit-key', NOW);
  expect(retry).toMatchObject({ kind: 'replayed' });
  for (const limitPrice of ['0.06', undefined]) {
    const other = await requestLocate(
      local.doc,
      'accounts',
      'acct-limit',
      { ...request, limitPrice },
      'limit-key',
      NOW,
    );
    expect(other).toEqual({ kind: 'key_reused' });
  }
});
