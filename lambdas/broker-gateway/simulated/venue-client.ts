/**
 * The simulated venue's own DynamoDB client: its book (VENUE_ORDERS_TABLE) and the market it makes
 * (MARKET_TABLE) are the venue's, not the OMS's. A real venue behind the port costs the OMS no
 * DynamoDB, so its requests say whose they are: the client appends `SIMULATED_VENUE_USER_AGENT` to
 * its user agent, and local mode's meter counts them apart (local/meter.ts, `npm run cost`).
 * Created on first use, so a function that never reaches a simulated venue creates no client.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export const SIMULATED_VENUE_USER_AGENT = 'oms-simulated-venue';

let client: DynamoDBDocumentClient | undefined;

export function simulatedVenueDynamo(): DynamoDBDocumentClient {
  client ??= DynamoDBDocumentClient.from(
    new DynamoDBClient({ customUserAgent: SIMULATED_VENUE_USER_AGENT }),
    {
      marshallOptions: { removeUndefinedValues: true },
    },
  );
  return client;
}
