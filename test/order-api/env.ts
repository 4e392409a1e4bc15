/** Environment the API handlers read; imported first by every API test. */
process.env.EVENT_STORE_TABLE = 'events';
process.env.ORDERS_TABLE = 'orders';
process.env.IDEMPOTENCY_TABLE = 'idempotency';
process.env.ACCOUNTS_TABLE = 'accounts';
process.env.ASSETS_TABLE = 'assets';
process.env.AWS_REGION = 'us-east-1';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_TRACE_ENABLED = 'false';
