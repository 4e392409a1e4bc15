/**
 * One Powertools Metrics per function (POWERTOOLS_METRICS_NAMESPACE, set by lib/lambda-defaults.ts).
 * Its own module, apart from the logger (observability.ts): a function that never records a metric
 * does not carry the Metrics class (about 13 KB of a bundle, issue 12).
 */
import { Metrics } from '@aws-lambda-powertools/metrics';

export const metrics = new Metrics();
