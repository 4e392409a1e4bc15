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
 * Key records are cached in the execution environment for KEY_CACHE_TTL_MS (30 s), found or not:
 * a bot's requests cost one read of its key per environment per 30 s instead of one per request
 * (issue 12). What is cached is the record (the secret's HMAC, status, accounts), never a decision:
 * every request's secret is still verified. The price: a key revoked or re-scoped takes effect
 * within 30 s (docs/aws.md "Security"). API Gateway's own authorizer cache cannot be used: its
 * identity sources are AND-ed, so one set cannot admit both key pairs and Bearer tokens.
 */
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type {
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerWithContextResult,
} from 'aws-lambda';
import { createRemoteJWKSet, type JWTVerifyGetKey, jwtVerify } from 'jose';
import {
  type AuthorizerContext,
  accountsFromClaims,
  apiKeyPk,
  apiKeyRecordSchema,
  authorizerContext,
  credentialsOf,
  hashSecret,
  verifySecret,
} from '../orders/accounts.js';
import { ENV, optionalEnv, requiredEnv } from '../platform/config.js';
import { dynamo } from '../platform/dynamo.js';
import { logger, metrics } from '../platform/observability.js';

export interface JwtSettings {
  readonly issuer: string;
  readonly audience: string;
  readonly keys: JWTVerifyGetKey;
}

export interface AuthorizerDeps {
  readonly doc: DynamoDBDocumentClient;
  readonly accountsTable: () => string;
  /** Null when JWTs are not configured: Bearer tokens are then refused. */
  readonly jwt: () => JwtSettings | null;
  /** Epoch ms (the key cache's clock); default Date.now. */
  readonly now?: () => number;
  /** How long a key record read stays cached; default KEY_CACHE_TTL_MS, 0 = no cache. */
  readonly keyCacheTtlMs?: number;
}

export const KEY_CACHE_TTL_MS = 30_000;
/** Entries kept at most (oldest dropped first): bounded, whatever key ids callers send. */
const KEY_CACHE_MAX = 1000;

/** What the caller may be told about refused credentials; nothing about which part was wrong. */
export type UnauthenticatedReason = 'missing credentials' | 'invalid credentials';

export type AuthenticatedContext = AuthorizerContext & { readonly authenticated: 'true' };
export interface UnauthenticatedContext {
  readonly authenticated: 'false';
  readonly reason: UnauthenticatedReason;
}

type Result = APIGatewaySimpleAuthorizerWithContextResult<AuthenticatedContext | UnauthenticatedContext>;

const deny = (reason: UnauthenticatedReason, detail: string, extra: Record<string, unknown> = {}): Result => {
  logger.info('authentication refused', { reason, detail, ...extra });
  metrics.addMetric('AuthorizationRefused', 'Count', 1);
  return { isAuthorized: true, context: { authenticated: 'false', reason } };
};

const allow = (principalId: string, accountIds: readonly string[]): Result => ({
  isAuthorized: true,
  context: { authenticated: 'true', ...authorizerContext(principalId, accountIds) },
});

// Compared against when the key id is unknown, so a miss costs the same HMAC as a hit.
const DUMMY_HASH = hashSecret('no such key', '00'.repeat(16));

export function createAuthorizer(deps: AuthorizerDeps) {
  const now = deps.now ?? Date.now;
  const ttl = deps.keyCacheTtlMs ?? KEY_CACHE_TTL_MS;
  const keys = new Map<string, { readonly item: unknown; readonly readAt: number }>();
  const keyRecord = async (keyId: string): Promise<unknown> => {
    const cached = keys.get(keyId);
    if (cached !== undefined && now() - cached.readAt < ttl) return cached.item;
    const found = await deps.doc.send(
      new GetCommand({ TableName: deps.accountsTable(), Key: { pk: apiKeyPk(keyId) } }),
    );
    if (ttl > 0) {
      keys.delete(keyId);
      keys.set(keyId, { item: found.Item, readAt: now() });
      if (keys.size > KEY_CACHE_MAX) keys.delete(keys.keys().next().value as string);
    }
    return found.Item;
  };
  return async (event: APIGatewayRequestAuthorizerEventV2): Promise<Result> => {
    const credentials = credentialsOf(event.headers);
    switch (credentials.kind) {
      case 'none':
        return deny('missing credentials', credentials.reason);
      case 'apiKey': {
        const { keyId, secret } = credentials;
        const record = apiKeyRecordSchema.safeParse(await keyRecord(keyId));
        const matches = verifySecret(secret, record.success ? record.data.secretHash : DUMMY_HASH);
        if (!record.success || !matches) return deny('invalid credentials', 'bad key pair', { keyId });
        if (record.data.status !== 'active') return deny('invalid credentials', 'revoked key', { keyId });
        return allow(record.data.principalId, record.data.accountIds);
      }
      case 'bearer': {
        const jwt = deps.jwt();
        if (jwt === null) return deny('invalid credentials', 'JWTs are not configured');
        try {
          const { payload } = await jwtVerify(credentials.token, jwt.keys, {
            issuer: jwt.issuer,
            audience: jwt.audience,
          });
          const accounts = accountsFromClaims(payload);
          if (typeof payload.sub !== 'string' || payload.sub === '')
            return deny('invalid credentials', 'token has no sub');
          if (accounts.length === 0)
            return deny('invalid credentials', 'token grants no accounts', { sub: payload.sub });
          return allow(payload.sub, accounts);
        } catch (err) {
          return deny('invalid credentials', 'invalid token', {
            error: (err as { code?: string }).code ?? (err as Error).name,
          });
        }
      }
    }
  };
}

let remoteKeys: { url: string; keys: JWTVerifyGetKey } | undefined;

/** JWT settings from the environment; the remote key set is fetched lazily and cached by jose. */
export function jwtSettingsFromEnv(): JwtSettings | null {
  const issuer = optionalEnv(ENV.jwtIssuer);
  const audience = optionalEnv(ENV.jwtAudience);
  const url = optionalEnv(ENV.jwksUrl);
  if (issuer === undefined || audience === undefined || url === undefined) return null;
  if (remoteKeys?.url !== url) remoteKeys = { url, keys: createRemoteJWKSet(new URL(url)) };
  return { issuer, audience, keys: remoteKeys.keys };
}

export const handler = createAuthorizer({
  doc: dynamo,
  accountsTable: () => requiredEnv(ENV.accountsTable),
  jwt: jwtSettingsFromEnv,
});
