/** The Step Functions client (AWS_ENDPOINT_URL_SFN in local mode); see dynamo.ts. */
import { SFNClient } from '@aws-sdk/client-sfn';
import { tracer } from './observability.js';

export const stepFunctions = tracer.captureAWSv3Client(new SFNClient({}));
