/**
 * The account holder's configurations' storage (`PATCH /v2/account/configurations`; core
 * account-configurations.ts decides): `configurations` on the account record `account#<id>`,
 * versioned by `configurationsVersion`. A PATCH writes over the version it read; a PATCH that lost
 * the race to another reads again and applies its fields over the other's (platform/write-retry.ts),
 * so concurrent PATCHes all land, field by field, none undoing another's. A PATCH that changes
 * nothing writes nothing (no new version).
 */
import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { type AccountConfigurations, configurationsOf, patchedConfigurations } from '../core/index.js';
import { isLostRace, LOST_RACE, untilWritten } from '../platform/write-retry.js';

export type ConfigurationsOutcome =
  | { readonly kind: 'not_found' }
  | {
      readonly kind: 'changed' | 'unchanged';
      readonly configurations: AccountConfigurations;
      readonly version: number;
    };

export async function patchAccountConfigurations(
  doc: DynamoDBDocumentClient,
  table: string,
  accountId: string,
  patch: Partial<AccountConfigurations>,
): Promise<ConfigurationsOutcome> {
  const key = { pk: `account#${accountId}` };
  return untilWritten('account configurations', async () => {
    const got = await doc.send(
      new GetCommand({
        TableName: table,
        Key: key,
        ProjectionExpression: 'pk, configurations, configurationsVersion',
        ConsistentRead: true,
      }),
    );
    if (got.Item === undefined) return { kind: 'not_found' } as const;
    const version = typeof got.Item.configurationsVersion === 'number' ? got.Item.configurationsVersion : 0;
    const stored = got.Item.configurations as Record<string, unknown> | undefined;
    const next = patchedConfigurations(stored, patch);
    if (next === null)
      return { kind: 'unchanged', configurations: configurationsOf(stored), version } as const;
    try {
      await doc.send(
        new UpdateCommand({
          TableName: table,
          Key: key,
          UpdateExpression: 'SET configurations = :c, configurationsVersion = :next',
          ConditionExpression:
            version === 0
              ? 'attribute_exists(pk) AND attribute_not_exists(configurationsVersion)'
              : 'configurationsVersion = :v',
          ExpressionAttributeValues: {
            ':c': next,
            ':next': version + 1,
            ...(version === 0 ? {} : { ':v': version }),
          },
        }),
      );
    } catch (err) {
      if (isLostRace(err)) return LOST_RACE;
      throw err;
    }
    return { kind: 'changed', configurations: configurationsOf(next), version: version + 1 } as const;
  });
}
