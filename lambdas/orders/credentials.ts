/**
 * Verifying a caller's credentials (issue 14: shared by the HTTP API's authorizer and the
 * trade_updates stream's in-band `authenticate`): an Alpaca key pair (the secret checked against
 * its stored HMAC) or a Bearer JWT verified against the configured JWKS, issuer and audience. The
 * verdict names the principal and its accounts, or why it was refused: only `missing credentials`
 * or `invalid credentials` may be told to the caller; `detail` is for the log. Secrets and tokens
 * are never logged.
 *
 * Key records are cached in the execution environment for KEY_CACHE_TTL_MS (30 s), found or not:
 * a bot's requests cost one read of its key per environment per 30 s instead of one per request
 * (issue 12). What is cached is the record (the secret's HMAC, status, accounts), never a decision:
 * every request's secret is still verified. The price: a key revoked or re-scoped takes effect
 * within 30 s (docs/aws.md "Security").
 */
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { createRemoteJWKSet, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { ENV, optionalEnv } from '../platform/config.js';
import {
  type ApiScope,
  accountsFromClaims,
  apiKeyPk,
  apiKeyRecordSchema,
  type Credentials,
  hashSecret,
  MAX_KEY_ID_LENGTH,
  scopeFromClaims,
  verifySecret,
} from './accounts.js';

export interface JwtSettings {
  readonly issuer: string;
  readonly audience: string;
  readonly keys: JWTVerifyGetKey;
}

export interface CredentialVerifierDeps {
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

export type CredentialVerdict =
  | {
      readonly ok: true;
      readonly principalId: string;
      readonly accountIds: readonly string[];
      readonly scope: ApiScope;
    }
  | {
      readonly ok: false;
      readonly reason: UnauthenticatedReason;
      /** For the log only. */
      readonly detail: string;
      readonly extra?: Readonly<Record<string, unknown>>;
    };

// Compared against when the key id is unknown, so a miss costs the same HMAC as a hit.
const DUMMY_HASH = hashSecret('no such key', '00'.repeat(16));

const refuse = (
  reason: UnauthenticatedReason,
  detail: string,
  extra?: Record<string, unknown>,
): CredentialVerdict => ({ ok: false, reason, detail, ...(extra === undefined ? {} : { extra }) });

export function createCredentialVerifier(deps: CredentialVerifierDeps) {
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
  return async (credentials: Credentials): Promise<CredentialVerdict> => {
    switch (credentials.kind) {
      case 'none':
        return refuse('missing credentials', credentials.reason);
      case 'apiKey': {
        const { keyId, secret } = credentials;
        // Never a key: refused unread (a stream client's 2,048-character key_id was past
        // DynamoDB's key size, and its authenticate answered "Internal server error").
        if (keyId.length > MAX_KEY_ID_LENGTH) return refuse('invalid credentials', 'key id too long');
        const record = apiKeyRecordSchema.safeParse(await keyRecord(keyId));
        const matches = verifySecret(secret, record.success ? record.data.secretHash : DUMMY_HASH);
        if (!record.success || !matches) return refuse('invalid credentials', 'bad key pair', { keyId });
        if (record.data.status !== 'active') return refuse('invalid credentials', 'revoked key', { keyId });
        return {
          ok: true,
          principalId: record.data.principalId,
          accountIds: record.data.accountIds,
          scope: record.data.scope ?? 'trade',
        };
      }
      case 'bearer': {
        const jwt = deps.jwt();
        if (jwt === null) return refuse('invalid credentials', 'JWTs are not configured');
        try {
          const { payload } = await jwtVerify(credentials.token, jwt.keys, {
            issuer: jwt.issuer,
            audience: jwt.audience,
          });
          const accounts = accountsFromClaims(payload);
          if (typeof payload.sub !== 'string' || payload.sub === '')
            return refuse('invalid credentials', 'token has no sub');
          if (accounts.length === 0)
            return refuse('invalid credentials', 'token grants no accounts', { sub: payload.sub });
          return {
            ok: true,
            principalId: payload.sub,
            accountIds: accounts,
            scope: scopeFromClaims(payload),
          };
        } catch (err) {
          return refuse('invalid credentials', 'invalid token', {
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
