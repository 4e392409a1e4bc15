/**
 * The one DynamoDB Local the unit files share (test/infra/global-setup.js runs this, under tsx, in
 * its own process): started with a database per access key id, so each file's tables (under a key of
 * its own: test/local/fixtures/dynamodb-tables.ts) are apart from every other file's, as they were
 * with a JVM per file. Twelve files each started a JVM of their own (about 6 s each under a run's
 * load, and the CPU of its start-up taken from the files running beside them). Writes
 * `{"endpoint": ...}`, or `{"error": ...}`, to the file named by its argument, whole
 * (test/outcome-file.ts), then runs until it is killed (the JVM goes with it: local/child-process.ts).
 */
import { startDynamoDbLocal } from '../../local/dynamodb-local.js';
import { publishOutcomeFile } from '../outcome-file.js';

const file = process.argv[2];
if (file === undefined) throw new Error('usage: shared-dynamodb-local.ts <out.json>');

const publish = (outcome: object) => publishOutcomeFile(file, outcome);

async function main(): Promise<void> {
  try {
    const ddb = await startDynamoDbLocal({ databasePerAccessKey: true, startTimeoutMs: 120_000 });
    publish({ endpoint: ddb.endpoint });
    const stop = () => void ddb.stop().finally(() => process.exit(0));
    process.on('SIGTERM', stop);
    process.on('SIGINT', stop);
    // Keeps the process up until the teardown's signal.
    setInterval(() => undefined, 1 << 30);
  } catch (err) {
    publish({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
    process.exitCode = 1;
  }
}

void main();
