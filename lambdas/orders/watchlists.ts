/**
 * An account's watchlists' storage (core watchlists.ts decides): one item `watchlists#<account id>`
 * in the accounts table, `{watchlists, version}`. A change is written over the version it read; one
 * that lost the race to another request reads again and decides again (platform/write-retry.ts), so
 * concurrent changes all land, none undoing another's (two adds of different symbols both stay; two
 * creates of one name: one is created, the other refused). A change that changes nothing writes
 * nothing.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Watchlist, WatchlistOutcome } from '../core/index.js';
import { isLostRace, LOST_RACE, untilWritten } from '../platform/write-retry.js';

export const watchlistsPk = (accountId: string): string => `watchlists#${accountId}`;

/** The account's watchlists as stored (oldest first) and the version they were read at (0: none). */
export async function readWatchlists(
  doc: DynamoDBDocumentClient,
  table: string,
  accountId: string,
): Promise<{ readonly watchlists: readonly Watchlist[]; readonly version: number }> {
  const got = await doc.send(
    new GetCommand({ TableName: table, Key: { pk: watchlistsPk(accountId) }, ConsistentRead: true }),
  );
  const item = got.Item;
  return {
    watchlists: Array.isArray(item?.watchlists) ? (item.watchlists as Watchlist[]) : [],
    version: typeof item?.version === 'number' ? item.version : 0,
  };
}

/**
 * Reads the account's watchlists, lets `decide` change them, and writes a change over the version
 * read (again from the read when another request wrote first). Answers what `decide` decided.
 */
export async function changeWatchlists(
  doc: DynamoDBDocumentClient,
  table: string,
  accountId: string,
  decide: (watchlists: readonly Watchlist[]) => WatchlistOutcome | Promise<WatchlistOutcome>,
): Promise<WatchlistOutcome> {
  return untilWritten('watchlists', async () => {
    const { watchlists, version } = await readWatchlists(doc, table, accountId);
    const out = await decide(watchlists);
    if (out.kind !== 'changed') return out;
    try {
      await doc.send(
        new PutCommand({
          TableName: table,
          Item: {
            pk: watchlistsPk(accountId),
            watchlists: out.watchlists,
            version: version + 1,
          },
          ConditionExpression: version === 0 ? 'attribute_not_exists(pk)' : 'version = :v',
          ...(version === 0 ? {} : { ExpressionAttributeValues: { ':v': version } }),
        }),
      );
    } catch (err) {
      if (isLostRace(err)) return LOST_RACE;
      throw err;
    }
    return out;
  });
}
