/**
 * One logger per function, configured from the environment the Lambda-defaults construct sets
 * (POWERTOOLS_SERVICE_NAME, LOG_LEVEL); the metrics are in metrics.ts, so a function that records
 * none does not bundle them.
 *
 * Tracing: every function has X-Ray active tracing (lib/lambda-defaults.ts), so Lambda records each
 * invocation's segment, and the AWS SDK's recursion-detection middleware passes the invocation's
 * trace header on every AWS call, so EventBridge and Step Functions continue the same trace. There
 * is deliberately no Powertools Tracer: it loads aws-xray-sdk-core (with cls-hooked and semver;
 * about 160 KB of every bundle, not tree-shakable, plus async hooks on every promise) only to add
 * a subsegment per AWS SDK / HTTP call (issue 12: bundle size and cold-start import time).
 */
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger();
