/**
 * Sets a strategy's entitlement in a deployed stack (issue 16): the accounts its `OrderRequested`
 * events (source `stockbot.strategy.<id>`) may trade. The operator's command on AWS; locally the
 * same item is written by `PUT /local/strategies/{id}`. The strategy's principal is named in the
 * stack's context `oms:strategies` (the bus policy); this record says which accounts it trades.
 *
 *   ACCOUNTS_TABLE=<AccountsTableName> npm run strategy:put -- <id> '{"account_ids": ["acct-1"]}'
 *   ACCOUNTS_TABLE=<AccountsTableName> npm run strategy:put -- <id> '{"account_ids": [], "status": "revoked"}'
 *
 * The record is replaced whole; a revoked strategy (or one without a record) places nothing: its
 * requests are answered `OrderRequestRejected` (`sender_not_entitled`). Nothing is written when the
 * input is unreadable (the message names the field). `--dry-run` prints the item instead.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { strategyItemFromInput } from '../lambdas/orders/strategies.js';

async function main(argv: readonly string[]): Promise<number> {
  const dryRun = argv.includes('--dry-run');
  const [id, json] = argv.filter((a) => !a.startsWith('--'));
  const table = process.env.ACCOUNTS_TABLE;
  if (id === undefined || json === undefined || (!dryRun && (table === undefined || table === ''))) {
    console.error(
      'usage: ACCOUNTS_TABLE=<AccountsTableName> npm run strategy:put -- <id> <json> [--dry-run]',
    );
    return 2;
  }
  let input: unknown;
  try {
    input = JSON.parse(json);
  } catch {
    console.error('body: must be a JSON object');
    return 1;
  }
  const built = strategyItemFromInput(id, input, new Date().toISOString());
  if (!built.ok) {
    console.error(`not written: ${built.message}`);
    return 1;
  }
  if (dryRun) {
    console.log(JSON.stringify(built.item, null, 2));
    return 0;
  }
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  await doc.send(new PutCommand({ TableName: table, Item: built.item }));
  console.log(
    `strategy ${id}: ${built.item.status}, accounts ${built.item.accountIds.join(', ') || '(none)'}`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
