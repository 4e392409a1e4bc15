/**
 * Jest globalSetup of the e2e project: starts the shared local mode once for every e2e file that
 * can share it (test/e2e/shared-oms-server.ts, under tsx, in its own process) and hands its
 * address to the test files through OMS_E2E_SHARED. Jest runs it only when an e2e file is
 * selected, so a run of unit tests alone starts nothing.
 */
const { spawn } = require('node:child_process');
const { join } = require('node:path');

const READY = 'OMS_E2E_READY ';
const START_TIMEOUT_MS = 300_000;

module.exports = async function globalSetup() {
  const root = join(__dirname, '..', '..');
  const child = spawn(
    process.execPath,
    [join(root, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(__dirname, 'shared-oms-server.ts')],
    {
      cwd: root,
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    },
  );
  globalThis.__omsE2EShared = child;
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const shared = await new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(
      () => reject(new Error(`shared local mode not ready in ${START_TIMEOUT_MS} ms: ${stderr}`)),
      START_TIMEOUT_MS,
    );
    child.stdout.on('data', (d) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.startsWith(READY));
      if (line !== undefined) {
        clearTimeout(timer);
        resolve(line.slice(READY.length));
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`shared local mode exited (${code}) before it was ready: ${stderr}`));
    });
  });
  process.env.OMS_E2E_SHARED = shared;
};
