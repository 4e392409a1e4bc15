/**
 * The account's rolling window of closed orders' slippage (issue 15, core slippage.ts
 * `rollingWindowOf`), in ACCOUNTS_TABLE under `slippage-window#<accountId>`: the last N orders'
 * arrival slippage and shortfall (bps), oldest first, with a version every write is conditional
 * on (two closes of one account racing: one wins, the other reads again). Only an account that set
 * a window pays for it: one GetItem and one PutItem per closed order; others, nothing.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import {
  rollingWindowOf,
  type SlippageBreach,
  type SlippageWindow,
  type WindowEntry,
} from '../core/index.js';

export const slippageWindowKey = (accountId: string) => ({ pk: `slippage-window#${accountId}` });

const MAX_ATTEMPTS = 8;

/** Adds the order to the account's window (once) and answers the window's breaches, if any. */
export async function recordInWindow(
  doc: DynamoDBDocumentClient,
  table: string,
  accountId: string,
  entry: WindowEntry,
  window: SlippageWindow,
): Promise<SlippageBreach[]> {
  for (let attempt = 1; ; attempt++) {
    const got = await doc.send(
      new GetCommand({ TableName: table, Key: slippageWindowKey(accountId), ConsistentRead: true }),
    );
    const version = typeof got.Item?.version === 'number' ? got.Item.version : 0;
    const before = Array.isArray(got.Item?.entries) ? (got.Item.entries as WindowEntry[]) : [];
    const next = rollingWindowOf(before, entry, window);
    if (!next.added) return [];
    try {
      await doc.send(
        new PutCommand({
          TableName: table,
          Item: { ...slippageWindowKey(accountId), entries: next.entries, version: version + 1 },
          ConditionExpression: 'attribute_not_exists(pk) OR version = :v',
          ExpressionAttributeValues: { ':v': version },
        }),
      );
      return next.breaches;
    } catch (err) {
      if ((err as { name?: string }).name !== 'ConditionalCheckFailedException' || attempt >= MAX_ATTEMPTS)
        throw err;
    }
  }
}
