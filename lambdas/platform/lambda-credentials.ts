/**
 * The AWS credential chain of the Lambda bundles. lib/bundling.json aliases the SDK's default chain
 * (`@aws-sdk/credential-provider-node`, imported by every client's runtime config) to this module,
 * in the bundles only: tests and local mode run the sources with the SDK's full chain.
 *
 * Lambda always gives a function its role's credentials in AWS_ACCESS_KEY_ID /
 * AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, and `fromEnv` is the first link of the default chain
 * (AWS_PROFILE is never set in Lambda), so the chain always stopped there. Its other links (SSO,
 * ini files, process, web identity, container/IMDS, with the STS/SSO/sign-in clients they load:
 * about 135 KB of every bundle) could never run; they are no longer bundled. `fromEnv` is the
 * SDK's own, the same version the default chain uses.
 */
import { fromEnv } from '@aws-sdk/credential-provider-env';

/** Same name and signature as `@aws-sdk/credential-provider-node`'s `defaultProvider`. */
export const defaultProvider = (init: Parameters<typeof fromEnv>[0] = {}) => fromEnv(init);
