/**
 * Jest globalSetup of the unit project: synthesizes the OMS stack once for the unit files that only
 * read its template (test/infra/synthesized.ts `omsTemplate()`), in a process of its own
 * (synthesize-template.ts, loaded through tsx), without waiting for it. A file that synthesized for itself
 * spent about 5 s loading the CDK and synthesizing; they now share one synthesis that overlaps the
 * first files. The file it writes is named by OMS_TEST_TEMPLATE_FILE.
 */
const { spawn } = require('node:child_process');
const { existsSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

module.exports = async function globalSetup() {
  const root = join(__dirname, '..', '..');
  const file = join(tmpdir(), `oms-test-template-${process.pid}-${Date.now()}.json`);
  // tsx as a loader of this one process (not tsx's CLI, which runs the script in a child of its
  // own): the teardown's kill ends the synthesis, and no grandchild keeps jest waiting on its pipe.
  const tsx = pathToFileURL(require.resolve('tsx', { paths: [root] })).href;
  const child = spawn(process.execPath, ['--import', tsx, join(__dirname, 'synthesize-template.ts'), file], {
    cwd: root,
    env: process.env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  // A synthesis that died without its answer (killed, or tsx failed to start): say so to the readers.
  child.on('exit', (code) => {
    if (!existsSync(file))
      writeFileSync(file, JSON.stringify({ error: `synthesis exited (${code}): ${stderr}` }));
  });
  globalThis.__omsTestTemplate = { child, file };
  process.env.OMS_TEST_TEMPLATE_FILE = file;
};
