/**
 * The DynamoDB document client, created once per execution environment. Each AWS client has its
 * own module so a function's bundle carries only the clients it uses. Endpoints come from the
 * SDK's configuration (AWS_ENDPOINT_URL_DYNAMODB in local mode). Tracing: see observability.ts.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  marshallOptions: { removeUndefinedValues: true },
});
