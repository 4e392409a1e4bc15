/**
 * The watchlists' storage (lambdas/orders/watchlists.ts) against DynamoDB Local: concurrent
 * changes of one account's watchlists all land, none undoing another's (each read again after a
 * lost race); two creates of one name place one watchlist; a change that changes nothing writes
 * no version.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import {
  addWatchlistSymbol,
  createWatchlist,
  updateWatchlist,
  type WatchlistOutcome,
} from '../../lambdas/core/index.js';
import { changeWatchlists, readWatchlists, watchlistsPk } from '../../lambdas/orders/watchlists.js';
import { dynamoDbLocalWith, table } from '../local/fixtures/dynamodb-tables.js';

const local = dynamoDbLocalWith([table('accounts', 'pk')]);
const NOW = '2026-12-07T15:00:00.000Z';
const LISTED = new Set(['AAPL', 'MSFT', 'SPY', 'TSLA', 'NVDA', 'AMD', 'QQQ', 'IWM', 'GLD', 'TLT']);
let accounts = 0;
const newAccount = () => `acct-${++accounts}`;
const versionOf = async (accountId: string) =>
  (
    await local.doc.send(
      new GetCommand({ TableName: 'accounts', Key: { pk: watchlistsPk(accountId) }, ConsistentRead: true }),
    )
  ).Item?.version;
const change = (accountId: string, decide: Parameters<typeof changeWatchlists>[3]) =>
  changeWatchlists(local.doc, 'accounts', accountId, decide);
const create = (accountId: string, id: string, name: string, symbols: string[] = []) =>
  change(accountId, (all) => createWatchlist(all, { id, name, symbols }, LISTED, NOW));

test('10 concurrent adds of different symbols to one watchlist all land (version 11: the create and each add)', async () => {
  const accountId = newAccount();
  await create(accountId, 'w-1', 'tech');
  const symbols = [...LISTED];
  const outcomes = await Promise.all(
    symbols.map((s) => change(accountId, (all) => addWatchlistSymbol(all, { id: 'w-1' }, s, LISTED, NOW))),
  );
  expect(outcomes.map((o) => o.kind)).toEqual(Array(symbols.length).fill('changed'));
  const { watchlists } = await readWatchlists(local.doc, 'accounts', accountId);
  expect([...(watchlists[0]?.symbols ?? [])].sort()).toEqual([...symbols].sort());
  expect(await versionOf(accountId)).toBe(symbols.length + 1);
}, 60_000);

test('5 concurrent creates of one name: one watchlist, the others refused naming the name', async () => {
  const accountId = newAccount();
  const outcomes: WatchlistOutcome[] = await Promise.all(
    [1, 2, 3, 4, 5].map((n) => create(accountId, `w-${n}`, 'same')),
  );
  expect(outcomes.filter((o) => o.kind === 'changed')).toHaveLength(1);
  for (const o of outcomes.filter((x) => x.kind !== 'changed'))
    expect(o).toMatchObject({ kind: 'refused', errors: [{ field: 'name', code: 'conflict' }] });
  expect((await readWatchlists(local.doc, 'accounts', accountId)).watchlists).toHaveLength(1);
}, 60_000);

test('a change that changes nothing writes nothing (no new version)', async () => {
  const accountId = newAccount();
  await create(accountId, 'w-1', 'tech', ['AAPL']);
  const out = await change(accountId, (all) =>
    updateWatchlist(all, { name: 'tech' }, { name: 'tech', symbols: ['AAPL'] }, LISTED, NOW),
  );
  expect(out.kind).toBe('unchanged');
  expect(await versionOf(accountId)).toBe(1);
});

test("an account's watchlists are its own", async () => {
  const [a, b] = [newAccount(), newAccount()];
  await create(a, 'w-a', 'mine', ['SPY']);
  expect((await readWatchlists(local.doc, 'accounts', b)).watchlists).toEqual([]);
  expect((await readWatchlists(local.doc, 'accounts', a)).watchlists).toEqual([
    { id: 'w-a', name: 'mine', symbols: ['SPY'], createdAt: NOW, updatedAt: NOW },
  ]);
});
