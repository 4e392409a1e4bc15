/**
 * The account's locate book's storage (core locates.ts decides, this reads and writes):
 * ACCOUNTS_TABLE `locates#<accountId>`: `version`, `symbols` (per symbol `{tradingDay, remaining}`,
 * remaining in whole shares) and `locates` (the last LOCATES_KEPT).
 * - Pre-trade risk reads it in the BatchGetItem that reads the account's record and ledger (no
 *   request of its own, lambdas/orders/risk-context.ts).
 * - A short sale of a hard-to-borrow symbol takes its located shares with `locateClaimItem`, an
 *   Update inside the transaction that places the order: only while the symbol's shares of today
 *   still cover it, so two concurrent shorts cannot both take the last ones.
 * - A locate request writes the book only over the version it read (`putLocateBook`).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { EMPTY_LOCATE_BOOK, type LocateBook, type LocateRecord, ONE } from '../core/index.js';
import type { TransactItem } from '../event-store/event-store.js';

export const locateBookPk = (accountId: string) => `locates#${accountId}`;

const recordSchema = z.object({
  id: z.string(),
  symbol: z.string(),
  requestedQty: z.string(),
  locatedQty: z.string(),
  allOrNone: z.boolean(),
  status: z.enum(['active', 'rejected']),
  tradingDay: z.string(),
  createdAt: z.string(),
  expiresAt: z.string(),
  rejectReason: z.optional(z.string()),
  limitPrice: z.optional(z.string()),
});

const bookSchema = z.object({
  version: z.number(),
  symbols: z.record(z.string(), z.object({ tradingDay: z.string(), remaining: z.number() })),
  locates: z.array(recordSchema),
});

/** The stored book; none (or an unreadable one: nothing located) reads as the empty book. */
export function locateBookOf(item: Record<string, unknown> | undefined): LocateBook {
  if (item === undefined) return EMPTY_LOCATE_BOOK;
  const parsed = bookSchema.safeParse(item);
  if (!parsed.success) return { ...EMPTY_LOCATE_BOOK, version: Number(item.version) || 0 };
  return { ...parsed.data, locates: parsed.data.locates as LocateRecord[] };
}

export async function loadLocateBook(
  doc: DynamoDBDocumentClient,
  accountsTable: string,
  accountId: string,
): Promise<LocateBook> {
  const got = await doc.send(
    new GetCommand({ TableName: accountsTable, Key: { pk: locateBookPk(accountId) }, ConsistentRead: true }),
  );
  return locateBookOf(got.Item);
}

/**
 * The transaction's item that takes `qty` (whole shares, nanos) of `symbol`'s located shares of
 * `tradingDay`: fails its condition unless that many remain.
 */
export function locateClaimItem(
  accountsTable: string,
  accountId: string,
  symbol: string,
  tradingDay: string,
  qty: bigint,
): TransactItem {
  return {
    Update: {
      TableName: accountsTable,
      Key: { pk: locateBookPk(accountId) },
      UpdateExpression: 'SET #sy.#s.#r = #sy.#s.#r - :q ADD #v :one',
      ConditionExpression: '#sy.#s.#d = :day AND #sy.#s.#r >= :q',
      ExpressionAttributeNames: {
        '#sy': 'symbols',
        '#s': symbol.toUpperCase(),
        '#r': 'remaining',
        '#d': 'tradingDay',
        '#v': 'version',
      },
      ExpressionAttributeValues: { ':q': Number(qty / ONE), ':day': tradingDay, ':one': 1 },
    },
  };
}

/**
 * Writes the book after a locate (core `grantLocate`) over the version it was decided from, with
 * the borrow desk's item taking the located shares out of what it lends, in one transaction.
 * Returns false when the book moved meanwhile (decide again).
 */
export async function putLocateBook(
  doc: DynamoDBDocumentClient,
  accountsTable: string,
  accountId: string,
  before: LocateBook,
  after: LocateBook,
  deskItems: readonly TransactItem[],
): Promise<boolean> {
  try {
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: accountsTable,
              Item: { pk: locateBookPk(accountId), ...after },
              ...(before.version === 0
                ? { ConditionExpression: 'attribute_not_exists(pk)' }
                : {
                    ConditionExpression: 'version = :v',
                    ExpressionAttributeValues: { ':v': before.version },
                  }),
            },
          },
          ...deskItems,
        ],
      }),
    );
    return true;
  } catch (err) {
    const name = (err as { name?: string }).name;
    if (name === 'TransactionCanceledException' || name === 'ConditionalCheckFailedException') return false;
    throw err;
  }
}
