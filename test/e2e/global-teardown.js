/** Jest globalTeardown of the e2e project: stops the shared local mode (see global-setup.js). */
const { rmSync } = require('node:fs');

module.exports = async function globalTeardown() {
  const child = globalThis.__omsE2EShared;
  if (globalThis.__omsE2ESharedFile !== undefined) rmSync(globalThis.__omsE2ESharedFile, { force: true });
  if (child === undefined || child.exitCode !== null) return;
  await new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, 30_000);
    child.on('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
};
