/** The Step Functions client (AWS_ENDPOINT_URL_SFN in local mode); see dynamo.ts. */
import { SFNClient } from '@aws-sdk/client-sfn';

export const stepFunctions = new SFNClient({});
