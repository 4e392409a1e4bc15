/**
 * The configurations' storage (lambdas/orders/account-configurations.ts) against DynamoDB Local:
 * concurrent PATCHes of one account (a probe's 9 parallel PATCHes, each a different field, lost
 * 1-2 fields to 500s) all land, field by field, the version bumped once per change; a PATCH that
 * changes nothing writes no version.
 */
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { AccountConfigurations } from '../../lambdas/core/index.js';
import { patchAccountConfigurations } from '../../lambdas/orders/account-configurations.js';
import { dynamoDbLocalWith, table } from '../local/fixtures/dynamodb-tables.js';

const local = dynamoDbLocalWith([table('accounts', 'pk')]);
let accounts = 0;
async function newAccount(): Promise<string> {
  const accountId = `acct-${++accounts}`;
  await local.doc.send(new PutCommand({ TableName: 'accounts', Item: { pk: `account#${accountId}` } }));
  return accountId;
}
const recordOf = async (accountId: string) =>
  (
    await local.doc.send(
      new GetCommand({ TableName: 'accounts', Key: { pk: `account#${accountId}` }, ConsistentRead: true }),
    )
  ).Item;

/** Every field off its default (Alpaca's). */
const CHANGES: Partial<AccountConfigurations>[] = [
  { dtbpCheck: 'both' },
  { tradeConfirmEmail: 'none' },
  { suspendTrade: true },
  { noShorting: true },
  { fractionalTrading: false },
  { maxMarginMultiplier: '2' },
  { pdtCheck: 'exit' },
  { ptpNoExceptionEntry: true },
  { disableOvernightTrading: true },
  { maxOptionsTradingLevel: 2 },
];

test('30 concurrent PATCHes (each of 10 fields thrice) all land: every field set, version 10', async () => {
  const accountId = await newAccount();
  const patches = [...CHANGES, ...CHANGES, ...CHANGES];
  const outcomes = await Promise.all(
    patches.map((p) => patchAccountConfigurations(local.doc, 'accounts', accountId, p)),
  );
  expect(outcomes.filter((o) => o.kind === 'changed')).toHaveLength(CHANGES.length);
  expect(outcomes.filter((o) => o.kind === 'unchanged')).toHaveLength(2 * CHANGES.length);
  const record = await recordOf(accountId);
  expect(record?.configurationsVersion).toBe(CHANGES.length);
  expect(record?.configurations).toEqual(Object.assign({}, ...CHANGES));
}, 60_000);

test('10 identical concurrent PATCHes of a default: nothing written, no version', async () => {
  const accountId = await newAccount();
  const outcomes = await Promise.all(
    Array.from({ length: 10 }, () =>
      patchAccountConfigurations(local.doc, 'accounts', accountId, { pdtCheck: 'entry' }),
    ),
  );
  expect(outcomes.map((o) => o.kind)).toEqual(Array(10).fill('unchanged'));
  expect((await recordOf(accountId))?.configurationsVersion).toBeUndefined();
});

test('an account without a record: not found, nothing written', async () => {
  await expect(
    patchAccountConfigurations(local.doc, 'accounts', 'nobody', { suspendTrade: true }),
  ).resolves.toEqual({ kind: 'not_found' });
  expect(await recordOf('nobody')).toBeUndefined();
});
