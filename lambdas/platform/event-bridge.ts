/** The EventBridge client (AWS_ENDPOINT_URL_EVENTBRIDGE in local mode); see dynamo.ts. */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';

export const eventBridge = new EventBridgeClient({});
