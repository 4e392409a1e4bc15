/**
 * The firm's open exposure (issue 16, SEC 15c3-5(c)(1)(i); core aggregate-limits.ts decides, this
 * reads and writes), kept in IDEMPOTENCY_TABLE only while the firm's policy sets `open_exposure`:
 * - `open-exposure#firm`: `cents`, the notional of the firm's open orders that claimed, in whole cents;
 * - `open-exposure#claim#<orderId>`: `cents`, one order's claim, the token that gives it back once.
 *
 * The placing transaction adds the order to the total, conditional on the total before it being at
 * most the limit less the order (concurrent orders cannot both pass), and puts the claim. When the
 * order settles the projector gives the claim back (`releaseExposureClaim`): one transaction deleting
 * the claim (conditional on it being there) and taking its cents off the total, so a redelivered
 * record or a second writer gives nothing back twice. A replaced order keeps its claim for its
 * replacement (the claim's id stays the original's).
 */
import { type DynamoDBDocumentClient, GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { ExposureClaim } from '../core/index.js';
import { cancellationCodes, type TransactItem } from '../event-store/event-store.js';

export const FIRM_EXPOSURE_TOTAL_ID = 'open-exposure#firm';
export const exposureClaimItemId = (claimId: string) => `open-exposure#claim#${claimId}`;

/** The two items the placing transaction adds: the total (first: its condition refuses) and the claim. */
export function firmExposureClaimItems(
  table: string,
  claim: ExposureClaim,
  ceilingCents: number,
  at: string,
): [TransactItem, TransactItem] {
  return [
    {
      Update: {
        TableName: table,
        Key: { id: FIRM_EXPOSURE_TOTAL_ID },
        UpdateExpression: 'ADD #cents :add',
        ConditionExpression: 'attribute_not_exists(#cents) OR #cents <= :ceiling',
        ExpressionAttributeNames: { '#cents': 'cents' },
        ExpressionAttributeValues: { ':add': claim.cents, ':ceiling': ceilingCents },
      },
    },
    {
      Put: {
        TableName: table,
        Item: { id: exposureClaimItemId(claim.id), orderId: claim.id, cents: claim.cents, createdAt: at },
        ConditionExpression: 'attribute_not_exists(id)',
      },
    },
  ];
}

/** The firm's open total now, in cents (for the refusal's message). */
export async function firmExposureCents(doc: DynamoDBDocumentClient, table: string): Promise<number> {
  const out = await doc.send(
    new GetCommand({ TableName: table, Key: { id: FIRM_EXPOSURE_TOTAL_ID }, ConsistentRead: true }),
  );
  return Number((out.Item as { cents?: number } | undefined)?.cents ?? 0);
}

/** Gives a settled order's claim back, once: 'released', or 'already' (given back before). */
export async function releaseExposureClaim(
  doc: DynamoDBDocumentClient,
  table: string,
  claim: ExposureClaim,
): Promise<'released' | 'already'> {
  try {
    await doc.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Delete: {
              TableName: table,
              Key: { id: exposureClaimItemId(claim.id) },
              ConditionExpression: 'attribute_exists(id)',
            },
          },
          {
            Update: {
              TableName: table,
              Key: { id: FIRM_EXPOSURE_TOTAL_ID },
              UpdateExpression: 'ADD #cents :release',
              ExpressionAttributeNames: { '#cents': 'cents' },
              ExpressionAttributeValues: { ':release': -claim.cents },
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
