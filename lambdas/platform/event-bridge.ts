/** The EventBridge client (AWS_ENDPOINT_URL_EVENTBRIDGE in local mode); see dynamo.ts. */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { tracer } from './observability.js';

export const eventBridge = tracer.captureAWSv3Client(new EventBridgeClient({}));
