/** The Step Functions client (AWS_ENDPOINT_URL_SFN in local mode); see dynamo.ts. */
import { SFNClient } from '@aws-sdk/client-sfn';

// Pure: a bundle that imports this module without using the client leaves it out.
export const stepFunctions = /* @__PURE__ */ new SFNClient({});
