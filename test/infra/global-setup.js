/**
 * Jest globalSetup of the unit project: synthesizes the OMS stack once for the unit files that only
 * read its template (test/infra/synthesized.ts `omsTemplate()`), in a process of its own
 * (synthesize-template.ts, loaded through tsx), without waiting for it. A file that synthesized for itself
 * spent about 5 s loading the CDK and synthesizing; they now share one synthesis that overlaps the
 * first files. The file it writes is named by OMS_TEST_TEMPLATE_FILE.
 *
 * It also starts the one DynamoDB Local the unit files share (shared-dynamodb-local.ts, a database
 * per access key: test/local/fixtures/dynamodb-tables.ts), without waiting for it either; its
 * endpoint is written to the file named by OMS_TEST_DYNAMODB_FILE.
 */
const { spawn } = require('node:child_process');
const { existsSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

/**
 * Runs `script` (TypeScript, next to this file) with its answer's file as argument, and returns the
 * process and that file. tsx as a loader of this one process (not tsx's CLI, which runs the script in
 * a child of its own): the teardown's kill ends it, and no grandchild keeps jest waiting on its pipe.
 */
function startHelper(root, script, name) {
  const file = join(tmpdir(), `oms-test-${name}-${process.pid}-${Date.now()}.json`);
  const tsx = pathToFileURL(require.resolve('tsx', { paths: [root] })).href;
  const child = spawn(process.execPath, ['--import', tsx, join(__dirname, script), file], {
    cwd: root,
    env: process.env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  // A helper that died without its answer (killed, or tsx failed to start): say so to the readers.
  child.on('exit', (code) => {
    if (!existsSync(file))
      writeFileSync(file, JSON.stringify({ error: `${script} exited (${code}): ${stderr}` }));
  });
  return { child, file };
}

module.exports = async function globalSetup() {
  const root = join(__dirname, '..', '..');
  globalThis.__omsTestTemplate = startHelper(root, 'synthesize-template.ts', 'template');
  process.env.OMS_TEST_TEMPLATE_FILE = globalThis.__omsTestTemplate.file;
  globalThis.__omsTestDynamoDb = startHelper(root, 'shared-dynamodb-local.ts', 'dynamodb');
  process.env.OMS_TEST_DYNAMODB_FILE = globalThis.__omsTestDynamoDb.file;
};
