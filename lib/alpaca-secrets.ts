/**
 * The Secrets Manager secrets of the Alpaca venues of `oms:alpacaVenues` (docs/venues.md), imported
 * by reference: the stack creates no secret and never sees a key pair. A venue names its secret by
 * its complete ARN (`secretArn`: IAM is scoped to exactly that ARN) or by its name in the
 * deployment's account and region (`secretName`: IAM is scoped to `secret:<name>-??????`, the six
 * characters Secrets Manager appends).
 */
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import type { AlpacaVenueOnAws } from '../lambdas/platform/alpaca-venues.js';

/** The venue's secret, imported into `scope` (construct id `AlpacaSecret<venue>`). */
export function alpacaVenueSecret(scope: Construct, venue: AlpacaVenueOnAws): ISecret {
  const id = `AlpacaSecret${venue.name}`;
  if (venue.secretArn !== undefined) return Secret.fromSecretCompleteArn(scope, id, venue.secretArn);
  return Secret.fromSecretNameV2(scope, id, venue.secretName as string);
}
