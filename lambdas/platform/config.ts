/** Environment variables the stack sets on functions; a missing one fails the cold start loudly. */
export function requiredEnv(name: string): string {
  const v = process.env[name];
  if (v === undefined || v === '') throw new Error(`environment variable ${name} is not set`);
  return v;
}

export function optionalEnv(name: string): string | undefined {
  const v = process.env[name];
  return v === undefined || v === '' ? undefined : v;
}

/** Names of the environment variables, so handlers and the stack agree on them. */
export const ENV = {
  eventStoreTable: 'EVENT_STORE_TABLE',
  ordersTable: 'ORDERS_TABLE',
  idempotencyTable: 'IDEMPOTENCY_TABLE',
  taskTokensTable: 'TASK_TOKENS_TABLE',
  accountsTable: 'ACCOUNTS_TABLE',
  marketTable: 'MARKET_TABLE',
  assetsTable: 'ASSETS_TABLE',
  venueOrdersTable: 'VENUE_ORDERS_TABLE',
  eventBusName: 'EVENT_BUS_NAME',
  stateMachineArn: 'ORDER_LIFECYCLE_STATE_MACHINE_ARN',
  jwtIssuer: 'JWT_ISSUER',
  jwtAudience: 'JWT_AUDIENCE',
  jwksUrl: 'JWKS_URL',
  sessionOpen: 'OMS_SESSION_OPEN',
  sessionClose: 'OMS_SESSION_CLOSE',
  expiryGraceSeconds: 'OMS_EXPIRY_GRACE_SECONDS',
  sessionDays: 'OMS_SESSION_DAYS',
  sessionCalendar: 'OMS_SESSION_CALENDAR',
  gtcMaxAgeDays: 'OMS_GTC_MAX_AGE_DAYS',
  riskGuardianUrl: 'RISK_GUARDIAN_URL',
  venueName: 'VENUE_NAME',
  venueOrderTypes: 'OMS_VENUE_ORDER_TYPES',
  algoOrderStateMachineArn: 'ALGO_ORDER_STATE_MACHINE_ARN',
  tradeStreamTable: 'TRADE_STREAM_TABLE',
  tradeStreamCallbackUrl: 'TRADE_STREAM_CALLBACK_URL',
  /** Data Warehouse (issue 15): JSON `{<delivery stream name>: <table>}` for the Firehose transformation. */
  warehouseStreamTables: 'WAREHOUSE_STREAM_TABLES',
  /** Issue 16: how long a cancel or replace may be outstanding before the in-flight check acts (ms). */
  inFlightThresholdMs: 'OMS_IN_FLIGHT_THRESHOLD_MS',
  /** Issue 16: the WORM bucket of the CAT-shaped export and the event store's archive. */
  auditBucket: 'AUDIT_BUCKET',
  /** Issue 16: the firm's CAT Reporter IMID (`oms:catReporterImid`). */
  catReporterImid: 'CAT_REPORTER_IMID',
  /** Pattern day trader mode (issue 16, core day-trading.ts): `finra_4210_legacy` (default) or `none`. */
  pdtMode: 'OMS_PDT_MODE',
  /**
   * Issue 16, the exceptions view: JSON `{<name>: <queue name>}` of every dead-letter queue of the
   * stack (the names the `<name>DlqNotEmpty` alarms carry), set by OrderApi.watchDeadLetterQueues.
   */
  deadLetterQueues: 'OMS_DEAD_LETTER_QUEUES',
} as const;

/**
 * The asset master's index by asset id (ASSETS_TABLE, pk `symbol`): `GET /v2/assets/{asset_id}`.
 * Here, not in market-data.ts, so the stack names it without loading the port.
 */
export const ASSET_ID_INDEX = 'byAssetId';

/** The CAT Reporter IMID when `oms:catReporterImid` is not set: a placeholder for the firm's own. */
export const DEFAULT_CAT_REPORTER_IMID = 'STKB';

/** The simulated venue's id when VENUE_NAME is not set (the stack's `oms:venueName` default). */
export const DEFAULT_VENUE_NAME = 'SIMX';

/** The venue this deployment routes to: VENUE_NAME, else DEFAULT_VENUE_NAME (one rule for routing and the gateway). */
export function venueNameFromEnv(): string {
  return optionalEnv(ENV.venueName) ?? DEFAULT_VENUE_NAME;
}
