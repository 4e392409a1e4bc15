/** The EventBridge client (AWS_ENDPOINT_URL_EVENTBRIDGE in local mode); see dynamo.ts. */
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';

// Pure: a bundle that imports this module without using the client leaves it out.
export const eventBridge = /* @__PURE__ */ new EventBridgeClient({});
