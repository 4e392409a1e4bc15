/** The SQS client (AWS_ENDPOINT_URL_SQS in local mode: local/sqs-api.ts); see dynamo.ts. */
import { SQSClient } from '@aws-sdk/client-sqs';

export const sqs = new SQSClient({});
