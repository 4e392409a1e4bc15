/**
 * HTTP API Lambda authorizer (payload 2.0, simple responses). Accepts an Alpaca key pair
 * (`APCA-API-KEY-ID` + `APCA-API-SECRET-KEY`, secret checked against its stored HMAC) or a
 * Bearer JWT verified against the configured JWKS, issuer and audience. The context names the
 * principal and the accounts it may act on. Secrets and tokens are never logged.
 *
 * Missing or wrong credentials are NOT `isAuthorized: false`: with simple responses API Gateway
 * answers that with its own 403 `{"message":"Forbidden"}`, and Alpaca clients expect 401
 * `{code: 40110000}`. The request goes on with `{authenticated: 'false', reason}` instead, where
 * the reason is only `missing credentials` or `invalid credentials` (the log has the detail),
 * and every handler answers it with the 401 (`principalOf`, lambdas/order-api/principal.ts). A hard
 * failure (the accounts table unreachable) throws, which API Gateway answers with a 500.
 *
 * The verification itself (and its 30 s key-record cache) is ../orders/credentials.ts, shared with
 * the trade_updates stream. API Gateway's own authorizer cache cannot be used: its identity
 * sources are AND-ed, so one set cannot admit both key pairs and Bearer tokens.
 */
import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import { type AuthorizerContext, authorizerContext, credentialsOf } from '../orders/accounts.js';
import {
  type CredentialVerifierDeps,
  createCredentialVerifier,
  jwtSettingsFromEnv,
  type UnauthenticatedReason,
} from '../orders/credentials.js';
import { ENV, requiredEnv } from '../platform/config.js';
import { dynamo } from '../platform/dynamo.js';
import { metrics } from '../platform/metrics.js';
import { logger } from '../platform/observability.js';

export type { JwtSettings, UnauthenticatedReason } from '../orders/credentials.js';
export { jwtSettingsFromEnv, KEY_CACHE_TTL_MS } from '../orders/credentials.js';
export type AuthorizerDeps = CredentialVerifierDeps;

export type AuthenticatedContext = AuthorizerContext & { readonly authenticated: 'true' };
export interface UnauthenticatedContext {
  readonly authenticated: 'false';
  readonly reason: UnauthenticatedReason;
}

type Result = APIGatewaySimpleAuthorizerWithContextResult<AuthenticatedContext | UnauthenticatedContext>;

export function createAuthorizer(deps: AuthorizerDeps) {
  const verify = createCredentialVerifier(deps);
  return async (event: APIGatewayRequestAuthorizerEventV2): Promise<Result> => {
    const verdict = await verify(credentialsOf(event.headers));
    if (verdict.ok)
      return {
        isAuthorized: true,
        context: {
          authenticated: 'true',
          ...authorizerContext(verdict.principalId, verdict.accountIds, verdict.scope),
        },
      };
    logger.info('authentication refused', {
      reason: verdict.reason,
      detail: verdict.detail,
      ...verdict.extra,
    });
    metrics.addMetric('AuthorizationRefused', 'Count', 1);
    return { isAuthorized: true, context: { authenticated: 'false', reason: verdict.reason } };
  };
}

export const handler = createAuthorizer({
  doc: dynamo,
  accountsTable: () => requiredEnv(ENV.accountsTable),
  jwt: jwtSettingsFromEnv,
});
