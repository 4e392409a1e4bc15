/**
 * The Alpaca venues' key pairs on AWS, for the Lambda functions: each venue of OMS_ALPACA_VENUES
 * names a Secrets Manager secret (`secretArn` or `secretName`) holding the JSON
 * `{"keyId": "...", "secret": "..."}`; the function reads it with ONE GetSecretValue per secret
 * per execution environment (on its first venue call after the cold start) and keeps it for the
 * container's life. The stack grants `secretsmanager:GetSecretValue` on exactly those secrets to the
 * functions that reach a venue (lib/broker-gateway.ts `readAlpacaSecrets`).
 *
 * A failure to read (access denied, throttled, not found, unreachable) or a secret that is not the
 * expected JSON is a `TransientError` (the caller's retry policy; nothing is cached, so a retry
 * reads again, e.g. once an operator fixed the secret). No message ever carries the secret's
 * value: a JSON syntax error's text (which quotes the input) is never passed on.
 */
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { AlpacaCredentials, AlpacaSecretResolver } from './alpaca-venues.js';
import { TransientError } from './transient-errors.js';

/** What the resolver needs of a Secrets Manager client (tests hand in a mocked one). */
export type SecretsClient = Pick<SecretsManagerClient, 'send'>;

/** The JSON fields of the secret: the key pair, nothing else is read. */
function keyPairOf(text: string | undefined, where: string): AlpacaCredentials {
  let json: unknown;
  try {
    json = text === undefined ? undefined : JSON.parse(text);
  } catch {
    // The SyntaxError's message quotes the text: never passed on.
    throw new TransientError(`${where}: the secret is not JSON {"keyId","secret"}`, 'AlpacaSecretMalformed');
  }
  const o = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  const missing = ['keyId', 'secret'].filter((f) => typeof o[f] !== 'string' || o[f] === '');
  if (text === undefined || missing.length > 0)
    throw new TransientError(
      `${where}: the secret must be the JSON {"keyId","secret"} (missing: ${text === undefined ? 'SecretString' : missing.join(', ')})`,
      'AlpacaSecretMalformed',
    );
  const secret = o.secret as string;
  return { keyId: o.keyId as string, secret: () => secret };
}

/**
 * A resolver reading each secret once per container (concurrent first calls share one request)
 * with `client` (created on first use: a function that never reaches an Alpaca venue makes no
 * Secrets Manager client).
 */
export function secretsManagerAlpacaCredentials(
  client: () => SecretsClient = defaultClient,
): AlpacaSecretResolver {
  const cache = new Map<string, Promise<AlpacaCredentials>>();
  const read = async (venue: string, secretId: string): Promise<AlpacaCredentials> => {
    const where = `Alpaca venue ${venue} (secret ${secretId})`;
    let text: string | undefined;
    try {
      const out = await client().send(new GetSecretValueCommand({ SecretId: secretId }));
      text = out.SecretString;
    } catch (err) {
      const e = err as { name?: unknown; message?: unknown };
      const name = typeof e.name === 'string' ? e.name : 'Error';
      const message = typeof e.message === 'string' ? e.message : '';
      throw new TransientError(`${where}: reading the key pair failed: ${name} ${message}`.trim(), name);
    }
    return keyPairOf(text, where);
  };
  return (venue, secretId) => {
    let pending = cache.get(secretId);
    if (pending === undefined) {
      pending = read(venue, secretId);
      cache.set(secretId, pending);
      pending.catch(() => cache.delete(secretId));
    }
    return pending;
  };
}

let client: SecretsManagerClient | undefined;
function defaultClient(): SecretsManagerClient {
  client ??= new SecretsManagerClient({});
  return client;
}
