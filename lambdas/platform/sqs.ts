/** The SQS client (AWS_ENDPOINT_URL_SQS in local mode: local/sqs-api.ts); see dynamo.ts. */
import { SQSClient } from '@aws-sdk/client-sqs';

// Pure: a bundle that imports this module without using the client leaves it out.
export const sqs = /* @__PURE__ */ new SQSClient({});
