/**
 * Jest globalTeardown of the unit project: ends the shared synthesis if it still runs, and the shared
 * DynamoDB Local (global-setup.js; its JVM ends with its process, local/child-process.ts).
 */
const { rmSync } = require('node:fs');

module.exports = async function globalTeardown() {
  for (const shared of [globalThis.__omsTestTemplate, globalThis.__omsTestDynamoDb]) {
    if (shared === undefined) continue;
    if (shared.child.exitCode === null) shared.child.kill('SIGKILL');
    rmSync(shared.file, { force: true });
  }
};
