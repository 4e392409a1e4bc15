/**
 * Jest globalSetup of the unit project: synthesizes the OMS stack once for the unit files that only
 * read its template (test/infra/synthesized.ts `omsTemplate()`), in a process of its own
 * (synthesize-template.ts under tsx), without waiting for it. A file that synthesized for itself
 * spent about 5 s loading the CDK and synthesizing; they now share one synthesis that overlaps the
 * first files. The file it writes is named by OMS_TEST_TEMPLATE_FILE.
 */
const { spawn } = require('node:child_process');
const { existsSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

module.exports = async function globalSetup() {
  const root = join(__dirname, '..', '..');
  const file = join(tmpdir(), `oms-test-template-${process.pid}-${Date.now()}.json`);
  const child = spawn(
    process.execPath,
    [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(__dirname, 'synthesize-template.ts'), file],
    { cwd: root, env: process.env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
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
