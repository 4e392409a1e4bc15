/** Environment the stream handlers read; imported first by every stream test. */
process.env.EVENT_STORE_TABLE = 'events';
process.env.ORDERS_TABLE = 'orders';
process.env.TASK_TOKENS_TABLE = 'task-tokens';
process.env.IDEMPOTENCY_TABLE = 'idempotency';
process.env.EVENT_BUS_NAME = 'oms-bus';
process.env.ORDER_LIFECYCLE_STATE_MACHINE_ARN =
  'arn:aws:states:us-east-1:123456789012:stateMachine:order-lifecycle';
process.env.AWS_REGION = 'us-east-1';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
process.env.POWERTOOLS_TRACE_ENABLED = 'false';
process.env.ACCOUNTS_TABLE = 'accounts';
process.env.TRADE_STREAM_TABLE = 'trade-stream';
process.env.TRADE_STREAM_CALLBACK_URL = 'https://stream.example.com/live';
