/**
 * The local mode the e2e files share (jest globalSetup starts it with tsx, as `npm start` runs the
 * OMS): a trading day all day (the close 12 h ahead, every day a session day), workers warmed and
 * one market order filled before it says it is ready, so no test meets a cold worker. It prints one
 * line `OMS_E2E_READY <json>` (see `SharedOms` in harness.ts) and runs until SIGTERM.
 */
import { envValue, startLocalOms } from '../../local/oms-local.js';
import { EVERY_DAY, newYorkTime, OmsHttp } from './harness.js';

async function main(): Promise<void> {
  const oms = await startLocalOms({
    port: 0,
    sessionClose: newYorkTime(Date.now() + 12 * 3600_000),
    sessionDays: EVERY_DAY,
    logFile: process.env.OMS_E2E_LOG ?? '/dev/null',
  });
  await oms.warmUp();
  // One order through the whole filled path warms every step's code, not only the workers.
  const http = OmsHttp.forDemo(oms);
  const warm = await http.submit({
    symbol: 'SPY',
    qty: '1',
    side: 'buy',
    type: 'market',
    time_in_force: 'day',
  });
  await http.untilStatus(warm.id, 'filled', 120_000);
  const shared = {
    apiUrl: oms.apiUrl,
    apiKeyId: oms.apiKeyId,
    apiSecretKey: oms.apiSecretKey,
    dynamoDbEndpoint: oms.dynamoDbEndpoint,
    marketTable: envValue(oms.topology, 'MARKET_TABLE'),
    accountsTable: envValue(oms.topology, 'ACCOUNTS_TABLE'),
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
