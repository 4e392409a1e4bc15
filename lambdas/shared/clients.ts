/**
 * AWS SDK clients, created once per execution environment and traced. Endpoints come from the
 * SDK's own configuration (AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SFN,
 * AWS_ENDPOINT_URL_EVENTBRIDGE ...), which is how local mode points them at local services.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from './observability.js';

export const dynamo = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})), {
  marshallOptions: { removeUndefinedValues: true },
});
export const stepFunctions = tracer.captureAWSv3Client(new SFNClient({}));
export const eventBridge = tracer.captureAWSv3Client(new EventBridgeClient({}));
