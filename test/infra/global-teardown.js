/** Jest globalTeardown of the unit project: ends the shared synthesis if it still runs (global-setup.js). */
const { rmSync } = require('node:fs');

module.exports = async function globalTeardown() {
  const shared = globalThis.__omsTestTemplate;
  if (shared === undefined) return;
  if (shared.child.exitCode === null) shared.child.kill('SIGKILL');
  rmSync(shared.file, { force: true });
};
