/**
 * The local mode the e2e files share (jest globalSetup starts it with tsx, as `npm start` runs the
 * OMS): a trading day all day (the close 12 h ahead, every day a session day), warmed by local
 * mode itself along one order's whole path (on its warm-up account) before it says it is ready.
 * It prints one line `OMS_E2E_READY <json>` (see `SharedOms` in harness.ts) and runs until SIGTERM.
 *
 * Only the warm-up order's path, as the files with a local mode of their own (harness.ts
 * `startTradingDayOms`): warming every function took 55 s of CPU and 33 s on a quiet 2-core
 * machine against 11 s and 9 s (December 7, 2026), and 49-67 s in `npm test`, whose 2 cores are
 * saturated and whose lock-holding files all wait for it (the run's critical path). A function off
 * that path starts on its first call, cold, well within its init timeout; the tests wait on
 * conditions.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { envValue, startLocalOms } from '../../local/oms-local.js';
import { EVERY_DAY, newYorkTime } from './harness.js';

async function main(): Promise<void> {
  // The warehouse's Parquet goes to a temp dir, not the repository's .oms-local.
  const warehouseDir = mkdtempSync(join(tmpdir(), 'oms-e2e-warehouse-'));
  // The CAT-shaped export too (the audit bucket's stand-in).
  const auditDir = mkdtempSync(join(tmpdir(), 'oms-e2e-audit-'));
  const oms = await startLocalOms({
    port: 0,
    sessionClose: newYorkTime(Date.now() + 12 * 3600_000),
    sessionDays: EVERY_DAY,
    logFile: process.env.OMS_E2E_LOG ?? '/dev/null',
    warmUp: 'order',
    warehouseDir,
    auditDir,
  });
  const shared = {
    apiUrl: oms.apiUrl,
    apiKeyId: oms.apiKeyId,
    apiSecretKey: oms.apiSecretKey,
    dynamoDbEndpoint: oms.dynamoDbEndpoint,
    awsEndpointUrl: oms.awsEndpointUrl,
    eventBusName: envValue(oms.topology, 'EVENT_BUS_NAME'),
    marketTable: envValue(oms.topology, 'MARKET_TABLE'),
    accountsTable: envValue(oms.topology, 'ACCOUNTS_TABLE'),
    venueOrdersTable: envValue(oms.topology, 'VENUE_ORDERS_TABLE'),
    warehouseDir,
    auditDir,
  };
  console.log(`OMS_E2E_READY ${JSON.stringify(shared)}`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await oms.stop();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop());
  process.on('SIGINT', () => void stop());
  // The test run ended without a teardown (a crash): do not outlive the parent.
  process.on('disconnect', () => void stop());
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
