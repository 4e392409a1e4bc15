/**
 * Jest globalSetup of the e2e project: starts the shared local mode once for every e2e file that
 * can share it (test/e2e/shared-oms-server.ts, under tsx, in its own process) and returns at once,
 * without waiting for it: its warm-up (about 13 s on a quiet 2-core machine) overlaps the first
 * unit files instead of holding both workers idle. When it is ready its address is written to the
 * file named by OMS_E2E_SHARED_FILE (or why it failed to start); `sharedTradingDayOms()`
 * (harness.ts) waits for that file. OMS_E2E_SHARED_PID names the process (the shared lock's name,
 * environment.js). Jest runs it only when an e2e file is selected, so a run of unit tests alone
 * starts nothing.
 */
const { spawn } = require('node:child_process');
const { renameSync, rmSync, writeFileSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const READY = 'OMS_E2E_READY ';
const START_TIMEOUT_MS = 300_000;

/** Writes `text` to `file` whole (a reader never sees half of it). */
function publish(file, text) {
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, text);
  renameSync(partial, file);
}

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
  const file = join(tmpdir(), `oms-e2e-shared-${child.pid}.json`);
  rmSync(file, { force: true });
  globalThis.__omsE2ESharedFile = file;
  let stderr = '';
  let settled = false;
  const settle = (outcome) => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    publish(file, JSON.stringify(outcome));
  };
  const timer = setTimeout(() => {
    settle({ error: `shared local mode not ready in ${START_TIMEOUT_MS} ms: ${stderr}` });
    child.kill('SIGKILL');
  }, START_TIMEOUT_MS);
  timer.unref();
  child.stderr.on('data', (d) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  let out = '';
  child.stdout.on('data', (d) => {
    if (settled) return;
    out += d.toString();
    const line = out.split('\n').find((l) => l.startsWith(READY));
    if (line !== undefined) settle({ shared: JSON.parse(line.slice(READY.length)) });
  });
  child.on('exit', (code) =>
    settle({ error: `shared local mode exited (${code}) before it was ready: ${stderr}` }),
  );
  process.env.OMS_E2E_SHARED_FILE = file;
  process.env.OMS_E2E_SHARED_PID = String(child.pid);
};
