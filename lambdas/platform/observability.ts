/**
 * One logger and one metrics per function, configured from the environment the Lambda-defaults
 * construct sets (POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE, LOG_LEVEL).
 *
 * Tracing: every function has X-Ray active tracing (lib/lambda-defaults.ts), so Lambda records each
 * invocation's segment, and the AWS SDK's recursion-detection middleware passes the invocation's
 * trace header on every AWS call, so EventBridge and Step Functions continue the same trace. There
 * is deliberately no Powertools Tracer: it loads aws-xray-sdk-core (with cls-hooked and semver;
 * about 160 KB of every bundle, not tree-shakable, plus async hooks on every promise) only to add
 * a subsegment per AWS SDK / HTTP call (issue 12: bundle size and cold-start import time).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';

export const logger = new Logger();
export const metrics = new Metrics();
