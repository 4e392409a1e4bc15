/** Environment the session handler reads at load; imported first by the session's tests. */
process.env.TRADE_STREAM_TABLE = 'trade-stream';
process.env.TRADE_STREAM_CALLBACK_URL = 'https://stream.example.com/live';
process.env.ACCOUNTS_TABLE = 'accounts';
process.env.AWS_REGION = 'us-east-1';
