/**
 * Lists assets in a deployed asset master (the stack's `AssetsTableName` output): how an operator
 * adds, changes or deactivates assets on AWS (docs/domain.md "The asset master").
 *
 *   ASSETS_TABLE=<AssetsTableName> npm run assets:put -- assets.json
 *
 * `assets.json`: a JSON list of Alpaca Asset objects (Alpaca's own `GET /v2/assets` answer works
 * as is: entries of other classes than us_equity are skipped), or one object. Each entry replaces
 * its symbol's listing; a field it leaves out takes the default (core `defaultAsset`: active,
 * tradable, marginable, shortable, easy to borrow, fractionable). The id is always the OMS's own
 * (core `assetIdOf`), so the asset and its orders' `asset_id` agree. Deactivate with
 * `{"symbol": "XYZ", "status": "inactive"}`: new orders for it are refused (`asset_not_tradable`).
 * Nothing is written when an entry is unreadable (each is named). AWS credentials and region come
 * from the usual SDK chain (AWS_PROFILE, AWS_REGION, ...). `--dry-run` prints the items instead.
 */
import { readFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { assetsFromAlpacaList } from '../lambdas/core/index.js';
import { assetToItem } from '../lambdas/platform/market-data.js';

/** BatchWriteItem takes at most 25 puts. */
const BATCH = 25;

async function main(argv: readonly string[]): Promise<number> {
  const dryRun = argv.includes('--dry-run');
  const file = argv.find((a) => !a.startsWith('--'));
  const table = process.env.ASSETS_TABLE;
  if (file === undefined || (!dryRun && (table === undefined || table === ''))) {
    console.error('usage: ASSETS_TABLE=<AssetsTableName> npm run assets:put -- <assets.json> [--dry-run]');
    return 2;
  }
  const { assets, skipped, errors } = assetsFromAlpacaList(JSON.parse(readFileSync(file, 'utf8')));
  if (errors.length > 0) {
    for (const e of errors) console.error(`not listed: ${e}`);
    console.error(`${errors.length} unreadable entries: nothing written`);
    return 1;
  }
  const items = assets.map(assetToItem);
  if (dryRun) {
    console.log(JSON.stringify(items, null, 2));
    return 0;
  }
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient({}));
  try {
    for (let i = 0; i < items.length; i += BATCH) {
      let requests = items.slice(i, i + BATCH).map((Item) => ({ PutRequest: { Item } }));
      for (let attempt = 1; requests.length > 0; attempt++) {
        if (attempt > 8) throw new Error('DynamoDB left puts unprocessed 8 times');
        if (attempt > 1) await new Promise((r) => setTimeout(r, 100 * 2 ** attempt));
        const out = await doc.send(new BatchWriteCommand({ RequestItems: { [table as string]: requests } }));
        requests = (out.UnprocessedItems?.[table as string] ?? []) as typeof requests;
      }
    }
  } finally {
    doc.destroy();
  }
  console.log(
    `listed ${items.length} assets in ${table}${skipped.length > 0 ? `; skipped ${skipped.length} of other classes` : ''}`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
