/**
 * The CAT-shaped export on demand, and its verification (issue 16, docs/compliance.md):
 *
 *   npm run cat:export -- --date YYYY-MM-DD [--url http://127.0.0.1:3000]
 *   npm run cat:verify -- --date YYYY-MM-DD [--url http://127.0.0.1:3000] [--dir <copy to check>]
 *     local mode (running): its control routes POST /local/regulatory-export[/verify] run the
 *     export code against its event store and its data directory.
 *
 *   npm run cat:export -- --date YYYY-MM-DD --table <EventStoreTable> --bucket <AuditBucketName> [--imid STKB]
 *   npm run cat:verify -- --date YYYY-MM-DD --table <EventStoreTable> --bucket <AuditBucketName> [--imid STKB]
 *     AWS (credentials from the usual chain): the same code, in this process, against the deployed
 *     event store and the WORM audit bucket (stack outputs; the export's function runs it daily).
 *
 * Verification recomputes the day from the event store and checks the stored files against their
 * manifest (hash chain, SHA-256 of each file) and against the recomputation, line by line. Exit 0:
 * it verifies; 1: it does not (each difference printed), or bad usage; 2: it could not run.
 */
import { parseArgs } from 'node:util';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isCatDate } from '../lambdas/core/cat-export.js';
import { DEFAULT_CAT_REPORTER_IMID } from '../lambdas/platform/config.js';
import { exportDay, verifyDay } from '../lambdas/regulatory-export/cat-day.js';
import { s3Store } from '../lambdas/regulatory-export/s3-store.js';

const USAGE = `usage: cat.ts export|verify --date YYYY-MM-DD [--url <local mode>] [--dir <dir>]
       cat.ts export|verify --date YYYY-MM-DD --table <event store table> --bucket <audit bucket> [--imid <IMID>]
`;

async function local(action: string, url: string, date: string, dir: string | undefined) {
  const q = new URLSearchParams({ date, ...(dir === undefined ? {} : { dir }) });
  const res = await fetch(`${url}/local/regulatory-export${action === 'verify' ? '/verify' : ''}?${q}`, {
    method: 'POST',
  });
  const body = (await res.json()) as Record<string, unknown>;
  if (res.status !== 200) throw new UsageError(`${body.code}: ${body.message}`);
  return body;
}

class UsageError extends Error {}

async function main(): Promise<number> {
  let values: Record<string, string | undefined>;
  let action: string | undefined;
  try {
    const parsed = parseArgs({
      allowPositionals: true,
      options: {
        date: { type: 'string' },
        url: { type: 'string' },
        dir: { type: 'string' },
        table: { type: 'string' },
        bucket: { type: 'string' },
        imid: { type: 'string' },
      },
    });
    values = parsed.values as Record<string, string | undefined>;
    action = parsed.positionals[0];
    if (action !== 'export' && action !== 'verify') throw new UsageError('say export or verify');
    if (values.date === undefined || !isCatDate(values.date))
      throw new UsageError('--date: must be a date YYYY-MM-DD');
    if ((values.table === undefined) !== (values.bucket === undefined))
      throw new UsageError('--table and --bucket go together (AWS)');
    if (values.table !== undefined && (values.dir !== undefined || values.url !== undefined))
      throw new UsageError('--dir and --url are for local mode, --table and --bucket for AWS');
  } catch (e) {
    process.stderr.write(`cat: ${(e as Error).message}\n${USAGE}`);
    return 1;
  }
  const date = values.date as string;
  try {
    let result: Record<string, unknown>;
    if (values.table !== undefined && values.bucket !== undefined) {
      const ddb = new DynamoDBClient({});
      const src = { doc: DynamoDBDocumentClient.from(ddb), eventStoreTable: values.table };
      const store = s3Store(new S3Client({}), values.bucket);
      const imid = values.imid ?? DEFAULT_CAT_REPORTER_IMID;
      result = {
        ...(action === 'export'
          ? await exportDay(src, store, date, imid)
          : await verifyDay(src, store, date, imid)),
      };
    } else {
      result = await local(
        action,
        values.url ?? process.env.OMS_URL ?? 'http://127.0.0.1:3000',
        date,
        values.dir,
      );
    }
    process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    if (action === 'verify') {
      const problems = (result.problems ?? []) as string[];
      for (const p of problems) process.stderr.write(`cat verify: ${p}\n`);
      process.stderr.write(
        result.ok === true
          ? `cat verify: ${date} verifies (${result.records} records)\n`
          : `cat verify: ${date} does NOT verify (${problems.length} problem(s))\n`,
      );
      return result.ok === true ? 0 : 1;
    }
    return 0;
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`cat: ${e.message}\n`);
      return 1;
    }
    process.stderr.write(`cat: ${(e as Error).message}\n`);
    return 2;
  }
}

main().then((code) => process.exit(code));
