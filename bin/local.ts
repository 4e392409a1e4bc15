/**
 * `npm start`: the whole OMS on this machine (local/oms-local.ts). Options:
 *   --port <n>         HTTP API port (default $PORT or 3000)
 *   --data-dir <path>  keep DynamoDB Local's data there (default: in memory), and the Data
 *                      Warehouse's Parquet in <path>/warehouse (default: OMS_WAREHOUSE_DIR, else
 *                      .oms-local/warehouse in the repository; printed in the banner), and the
 *                      CAT-shaped export in <path>/cat and <path>/archive (default: OMS_AUDIT_DIR,
 *                      else .oms-local/audit)
 * Environment: OMS_API_KEY_ID / OMS_API_SECRET_KEY (the demo key pair), OMS_SESSION_CLOSE
 * (HH:MM America/New_York: DAY orders expire then), PORT.
 * Ctrl-C stops everything; DynamoDB Local's Java process also dies with this process.
 */
import { parseArgs } from 'node:util';
import { startLocalOms } from '../local/oms-local.js';

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      'data-dir': { type: 'string' },
    },
  });
  const started = Date.now();
  console.log(
    'stock-bot OMS: starting local mode (DynamoDB Local, Step Functions, EventBridge, HTTP API)...',
  );
  const oms = await startLocalOms({
    ...(values.port === undefined ? {} : { port: Number(values.port) }),
    ...(values['data-dir'] === undefined ? {} : { dataDir: values['data-dir'] }),
    logFile: process.env.OMS_LOG_FILE ?? 'oms-local.log',
  });
  const auth = `-H 'APCA-API-KEY-ID: ${oms.apiKeyId}' -H 'APCA-API-SECRET-KEY: ${oms.apiSecretKey}'`;
  console.log(`
stock-bot OMS running locally (started in ${((Date.now() - started) / 1000).toFixed(1)} s)

  Alpaca v2 API     ${oms.apiUrl}/v2/orders
  dashboard         ${oms.apiUrl}/dashboard/   (log in with the demo key pair below)
  trade_updates     ${oms.streamUrl}   (Alpaca's WebSocket protocol: docs/stream.md)
  local controls    ${oms.apiUrl}/local/...   (market, venues, executions, events: see README)
  AWS endpoints     ${oms.awsEndpointUrl}   (Step Functions, EventBridge)
  DynamoDB Local    ${oms.dynamoDbEndpoint}
  handler logs      ${process.env.OMS_LOG_FILE ?? 'oms-local.log'}
  data warehouse    ${oms.warehouseDir}   (Parquet; query: npm run analytics -- "SELECT ...")
  CAT export        ${oms.auditDir}   (on demand: npm run cat:export -- --date YYYY-MM-DD; cat:verify)

  demo account      ${oms.accountId}
  APCA-API-KEY-ID     ${oms.apiKeyId}
  APCA-API-SECRET-KEY ${oms.apiSecretKey}

Try:
  curl -s ${auth} -H 'content-type: application/json' \\
    -d '{"symbol":"AAPL","qty":"10","side":"buy","type":"market","time_in_force":"day"}' ${oms.apiUrl}/v2/orders
  curl -s ${auth} '${oms.apiUrl}/v2/orders?status=all'
  curl -s '${oms.apiUrl}/local/events'

Ctrl-C stops everything.
`);
  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n${signal}: stopping...`);
    await oms.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error('local mode failed to start:', err);
  process.exit(1);
});
