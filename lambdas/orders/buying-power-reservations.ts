/**
 * Buying power reservations' storage (core buying-power-claims.ts decides, this reads and writes):
 * - ACCOUNTS_TABLE `open-buys#<accountId>`: what the account's open buy orders that claimed
 *   reserve is `cents - released`, in whole cents: `cents`, the claims placed less what their
 *   settlements gave back; `released`, what their executions gave back; `ledgerSeq`, the ledger's
 *   seq of the last such execution. An execution moves the cash and `released` together, never
 *   `cents`: the placing transaction's condition is on `cents` alone, with a ceiling that counts
 *   the `released` read with the cash, so a fill landing between the read and the write changes
 *   neither side of it (with the total decremented instead, a probe's fill mid-placement let two
 *   buys that did not fit together both pass). Risk reads the item with the ledger in one
 *   BatchGetItem, which is not a snapshot: an item ahead of the ledger read (`ledgerSeq`) is read
 *   again, so the cash and the reservations are always of one moment (risk-context.ts);
 * - IDEMPOTENCY_TABLE `open-buys#settled#<claimId>`: the claim's rest was given back at the
 *   order's settlement (the token that makes a redelivered record give nothing back twice).
 *
 * The placing transaction adds a claim (`reserveItem`, conditional: concurrent orders cannot all
 * pass); the ledger's transaction of an execution gives its share back (`executionReleaseItem`);
 * the order stream gives the rest back when the order settles (`releaseAtSettlement`).
 */
import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { cancellationCodes, type TransactItem } from '../event-store/event-store.js';

export const OPEN_BUYS_PK_PREFIX = 'open-buys#';
export const openBuysPk = (accountId: string) => `${OPEN_BUYS_PK_PREFIX}${accountId}`;
export const settledClaimId = (claimId: string) => `open-buys#settled#${claimId}`;
/** How long a settled claim's marker is kept (the stream redelivers records for 24 hours). */
export const SETTLED_MARKER_TTL_SECONDS = 8 * 24 * 3600;

/** The account's reservations as stored (absent item: none); reserved now: `cents - released`. */
export interface OpenBuys {
  readonly cents: number;
  readonly released: number;
  readonly ledgerSeq: number;
}

export function openBuysOf(item: Record<string, unknown> | undefined): OpenBuys {
  const n = (v: unknown) => (typeof v === 'number' ? v : 0);
  return { cents: n(item?.cents), released: n(item?.released), ledgerSeq: n(item?.ledgerSeq) };
}

/**
 * The placing transaction's item: add the claim if the total before it is at most `ceilingCents`
 * (the caller refuses a negative ceiling itself: no total fits it).
 */
export function reserveItem(
  accountsTable: string,
  accountId: string,
  addCents: number,
  ceilingCents: number,
): TransactItem {
  return {
    Update: {
      TableName: accountsTable,
      Key: { pk: openBuysPk(accountId) },
      UpdateExpression: 'ADD #cents :add',
      ConditionExpression: 'attribute_not_exists(#cents) OR #cents <= :ceiling',
      ExpressionAttributeNames: { '#cents': 'cents' },
      ExpressionAttributeValues: { ':add': addCents, ':ceiling': ceilingCents },
    },
  };
}

/** The ledger transaction's item: an execution gives `cents` back, at the ledger's `seq`. */
export function executionReleaseItem(
  accountsTable: string,
  accountId: string,
  cents: number,
  ledgerSeq: number,
): TransactItem {
  return {
    Update: {
      TableName: accountsTable,
      Key: { pk: openBuysPk(accountId) },
      UpdateExpression: 'ADD released :release SET ledgerSeq = :seq',
      ExpressionAttributeValues: { ':release': cents, ':seq': ledgerSeq },
    },
  };
}

/** What the account's claimed open buys reserve now (consistent), for a refusal's message. */
export async function openBuysCents(
  doc: DynamoDBDocumentClient,
  accountsTable: string,
  accountId: string,
): Promise<number> {
  const out = await doc.send(
    new GetCommand({ TableName: accountsTable, Key: { pk: openBuysPk(accountId) }, ConsistentRead: true }),
  );
  const openBuys = openBuysOf(out.Item);
  return openBuys.cents - openBuys.released;
}

/** Gives a settled order's rest back, once: 'released', or 'already' (given back before). */
export async function releaseAtSettlement(
  doc: DynamoDBDocumentClient,
  tables: { readonly accounts: string; readonly markers: string },
  release: { readonly accountId: string; readonly claimId: string; readonly cents: number },
  nowSeconds: number,
): Promise<'released' | 'already'> {
  try {
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: tables.markers,
              Item: {
                id: settledClaimId(release.claimId),
                accountId: release.accountId,
                cents: release.cents,
                expiresAt: nowSeconds + SETTLED_MARKER_TTL_SECONDS,
              },
              ConditionExpression: 'attribute_not_exists(id)',
            },
          },
          {
            Update: {
              TableName: tables.accounts,
              Key: { pk: openBuysPk(release.accountId) },
              UpdateExpression: 'ADD #cents :release',
              ExpressionAttributeNames: { '#cents': 'cents' },
              ExpressionAttributeValues: { ':release': -release.cents },
            },
          },
        ],
      }),
    );
    return 'released';
  } catch (err) {
    if (cancellationCodes(err)?.[0] === 'ConditionalCheckFailed') return 'already';
    throw err;
  }
}
