/**
 * API credentials, the pure parts: the stored secret-hash format, its constant-time check, the
 * accounts-table item of an API key, and reading credentials out of request headers and JWT
 * claims. No AWS calls here; the authorizer does the I/O.
 *
 * A secret is stored as `hmac-sha256$<saltHex>$<hex>`: HMAC-SHA256 keyed by the salt over the
 * secret. API secrets are long random strings, so one keyed hash is enough (no password KDF).
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import * as z from 'zod/mini';
import '../core/zod-messages.js';

export const SECRET_HASH_SCHEME = 'hmac-sha256';
const HEX = /^(?:[0-9a-f]{2})+$/;

/** Account ids travel comma-joined in the authorizer context, so they cannot contain commas. */
export const ACCOUNT_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function hashSecret(secret: string, saltHex: string = randomBytes(16).toString('hex')): string {
  if (!HEX.test(saltHex)) throw new Error('salt must be hex');
  const mac = createHmac('sha256', Buffer.from(saltHex, 'hex')).update(secret, 'utf8').digest('hex');
  return `${SECRET_HASH_SCHEME}$${saltHex}$${mac}`;
}

/** Whether `secret` matches `stored`; a malformed stored hash matches nothing. Constant time in the secret. */
export function verifySecret(secret: string, stored: string): boolean {
  const parts = stored.split('$');
  if (parts.length !== 3 || parts[0] !== SECRET_HASH_SCHEME) return false;
  const [, salt, expected] = parts as [string, string, string];
  if (!HEX.test(salt) || !HEX.test(expected) || expected.length !== 64) return false;
  const actual = createHmac('sha256', Buffer.from(salt, 'hex')).update(secret, 'utf8').digest();
  return timingSafeEqual(actual, Buffer.from(expected, 'hex'));
}

export type ApiKeyStatus = 'active' | 'revoked';

/**
 * What a key (or a token) may do (issue 16): `trade` places, replaces and cancels orders and closes
 * positions; `read_only` only reads (orders, positions, the account, reports, the stream);
 * `operator` runs the operator routes (the kill switch, limit policies, exceptions), firm-wide: on
 * those routes it is not limited to its own accounts. An operator key does not trade (separation of
 * duties: the credential that stops trading is not one that trades); on the account's own routes it
 * reads like a read-only key. A key record without a scope is a trade key, as every key was before
 * scopes.
 */
export const API_SCOPES = ['trade', 'read_only', 'operator'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export const apiKeyRecordSchema = z.object({
  pk: z.string().check(z.startsWith('key#')),
  secretHash: z.string(),
  principalId: z.string().check(z.minLength(1)),
  accountIds: z.array(z.string().check(z.regex(ACCOUNT_ID))).check(z.minLength(1)),
  status: z.enum(['active', 'revoked']),
  scope: z.optional(z.enum(API_SCOPES)),
});

export type ApiKeyRecord = z.infer<typeof apiKeyRecordSchema>;

export function apiKeyPk(keyId: string): string {
  return `key#${keyId}`;
}

/** The accounts-table item of an API key (used by seeding and key issuance). */
export function apiKeyItem(input: {
  readonly keyId: string;
  readonly secret: string;
  readonly principalId: string;
  readonly accountIds: readonly string[];
  readonly status?: ApiKeyStatus;
  readonly salt?: string;
  readonly scope?: ApiScope;
}): ApiKeyRecord {
  return {
    pk: apiKeyPk(input.keyId),
    secretHash: hashSecret(input.secret, input.salt),
    principalId: input.principalId,
    accountIds: [...input.accountIds],
    status: input.status ?? 'active',
    ...(input.scope === undefined ? {} : { scope: input.scope }),
  };
}

type Headers = Readonly<Record<string, string | undefined>> | undefined | null;

/** A header by name, case-insensitively (API Gateway lowercases them; local callers may not). */
export function header(headers: Headers, name: string): string | undefined {
  if (!headers) return undefined;
  const wanted = name.toLowerCase();
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === wanted) return v;
  return undefined;
}

export const API_KEY_ID_HEADER = 'apca-api-key-id';
export const API_SECRET_HEADER = 'apca-api-secret-key';

/** The longest API key id the OMS reads (a longer one is refused before any read). */
export const MAX_KEY_ID_LENGTH = 128;

export type Credentials =
  | { readonly kind: 'apiKey'; readonly keyId: string; readonly secret: string }
  | { readonly kind: 'bearer'; readonly token: string }
  | { readonly kind: 'none'; readonly reason: string };

/** The credentials a request carries: an Alpaca key pair, else a Bearer token. */
export function credentialsOf(headers: Headers): Credentials {
  const keyId = header(headers, API_KEY_ID_HEADER)?.trim();
  const secret = header(headers, API_SECRET_HEADER);
  if (keyId || secret) {
    if (!keyId || !secret) return { kind: 'none', reason: 'incomplete key pair' };
    if (keyId.length > MAX_KEY_ID_LENGTH) return { kind: 'none', reason: 'key id too long' };
    return { kind: 'apiKey', keyId, secret };
  }
  const authorization = header(headers, 'authorization');
  if (authorization === undefined) return { kind: 'none', reason: 'no credentials' };
  const m = /^Bearer[ ]+([A-Za-z0-9\-_.~+/]+=*)\s*$/i.exec(authorization);
  if (m === null) return { kind: 'none', reason: 'unsupported authorization scheme' };
  return { kind: 'bearer', token: m[1] as string };
}

/** The accounts a JWT grants: claim `accounts` (string array) or `account_id`. */
export function accountsFromClaims(claims: Readonly<Record<string, unknown>>): string[] {
  const list = claims.accounts;
  const raw = Array.isArray(list) ? list : typeof claims.account_id === 'string' ? [claims.account_id] : [];
  const ids = raw.filter((a): a is string => typeof a === 'string' && ACCOUNT_ID.test(a));
  return ids.length === raw.length ? [...new Set(ids)] : [];
}

/** What the authorizer hands to the handlers (`event.requestContext.authorizer.lambda`). */
export interface AuthorizerContext {
  readonly principalId: string;
  /** Comma-joined; the first is the default acting account. */
  readonly accountIds: string;
  /** `trade`, `read_only` or `operator` (`ApiScope`). */
  readonly scope: ApiScope;
}

export function authorizerContext(
  principalId: string,
  accountIds: readonly string[],
  scope: ApiScope = 'trade',
): AuthorizerContext {
  return { principalId, accountIds: accountIds.join(','), scope };
}

/**
 * A token's scope: its `scope` claim (space-delimited, OAuth 2.0 style). Naming `trade` trades (as
 * tokens did before scopes, whatever else it names: one credential is never both the trader and the
 * operator); else `operator` is an operator token, else `read_only` a read-only one; anything else
 * trades.
 */
export function scopeFromClaims(claims: Readonly<Record<string, unknown>>): ApiScope {
  const scopes = typeof claims.scope === 'string' ? claims.scope.split(/\s+/) : [];
  if (scopes.includes('trade')) return 'trade';
  if (scopes.includes('operator')) return 'operator';
  return scopes.includes('read_only') ? 'read_only' : 'trade';
}
