/**
 * The Alpaca venues' key pairs on AWS, for the Lambda functions: each venue of OMS_ALPACA_VENUES
 * names a Secrets Manager secret (`secretArn` or `secretName`) holding the JSON
 * `{"keyId": "...", "secret": "..."}`; the function reads it ONCE per secret per execution
 * environment (on its first venue call after the cold start) and keeps it for the container's life.
 *
 * The read goes through the AWS Parameters and Secrets Lambda Extension, a layer the stack adds to
 * the functions that reach a venue (lib/broker-gateway.ts): an HTTP server in the execution
 * environment that calls GetSecretValue with the function's own role and answers its JSON
 * (`{"SecretString": ...}`). A GET on `localhost:<PARAMETERS_SECRETS_EXTENSION_HTTP_PORT, default
 * 2773>/secretsmanager/get?secretId=<ARN or name>` with the header `X-Aws-Parameters-Secrets-Token:
 * <AWS_SESSION_TOKEN>` (which the extension checks). No Secrets Manager SDK client in the bundle:
 * about 13 KB less in each function that reaches a venue. The stack grants
 * `secretsmanager:GetSecretValue` on exactly those secrets to those functions
 * (`readAlpacaSecrets`), and turns the extension's own cache off: this module caches, and a retry
 * after a failure must read the secret again, not the extension's copy of it.
 *
 * A failure to read (the extension's non-2xx answer: access denied, throttled, not found; the
 * extension unreachable or too slow; an answer that is not the GetSecretValue JSON) or a secret
 * that is not the expected JSON is a `TransientError` (the caller's retry policy; nothing is cached,
 * so a retry reads again, e.g. once an operator fixed the secret). Why Secrets Manager refused is
 * in the extension's log line, in the function's log group. No message ever carries the secret's
 * value: neither a response body nor a JSON syntax error's text (which quotes the input) is passed on.
 */
import type { AlpacaCredentials, AlpacaSecretResolver } from './alpaca-venues.js';
import { TransientError } from './transient-errors.js';

/** The extension's answer to one GET: the HTTP status and the body. */
export interface SecretsExtensionAnswer {
  readonly status: number;
  readonly body: string;
}

/**
 * One GetSecretValue through the extension (tests hand in their own, or point the default one at a
 * local server). Rejects when the extension cannot be asked (unreachable, timed out, misconfigured).
 */
export type SecretsExtensionGet = (secretId: string) => Promise<SecretsExtensionAnswer>;

/** The extension's default port (the stack leaves it). */
export const SECRETS_EXTENSION_DEFAULT_PORT = 2773;
/**
 * How long a read may take, the extension's call to Secrets Manager included (the stack sets the
 * extension's own timeout, SECRETS_MANAGER_TIMEOUT_MILLIS, below this, so its answer comes first).
 */
export const SECRETS_EXTENSION_TIMEOUT_MS = 5_000;

/** A misconfigured environment: no token to send, or no valid port. */
class SecretsExtensionConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretsExtensionConfig';
  }
}

function portOf(env: NodeJS.ProcessEnv): number {
  const text = env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT;
  if (text === undefined || text === '') return SECRETS_EXTENSION_DEFAULT_PORT;
  const port = Number(text);
  if (!Number.isInteger(port) || port < 1 || port > 65_535)
    throw new SecretsExtensionConfigError('PARAMETERS_SECRETS_EXTENSION_HTTP_PORT is not a port (1-65535)');
  return port;
}

/**
 * The extension's GET with the global `fetch`. `env` is read on each call (port, token), so the
 * getter can be made before the environment is complete.
 */
export function secretsExtensionGet(
  env: NodeJS.ProcessEnv = process.env,
  timeoutMs: number = SECRETS_EXTENSION_TIMEOUT_MS,
): SecretsExtensionGet {
  return async (secretId) => {
    const token = env.AWS_SESSION_TOKEN;
    if (token === undefined || token === '')
      throw new SecretsExtensionConfigError('AWS_SESSION_TOKEN is not set (the extension requires it)');
    const url = new URL(`http://localhost:${portOf(env)}/secretsmanager/get`);
    url.searchParams.set('secretId', secretId);
    const signal = AbortSignal.timeout(timeoutMs);
    const response = await fetch(url, { headers: { 'X-Aws-Parameters-Secrets-Token': token }, signal });
    return { status: response.status, body: await response.text() };
  };
}

/** Why `fetch` failed, as a name: the socket's code (ECONNREFUSED, ...) rather than `TypeError`. */
function failureName(err: unknown): string {
  const e = (typeof err === 'object' && err !== null ? err : {}) as { name?: unknown; cause?: unknown };
  const cause = (typeof e.cause === 'object' && e.cause !== null ? e.cause : {}) as { code?: unknown };
  if (typeof cause.code === 'string' && cause.code !== '') return cause.code;
  return typeof e.name === 'string' && e.name !== '' ? e.name : 'Error';
}

/** The GetSecretValue JSON's `SecretString` (undefined: a binary secret, or none). */
function secretStringOf(body: string, where: string): string | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    // The body of a 2xx answer may be the secret itself: never quoted.
    throw new TransientError(
      `${where}: reading the key pair failed: the Parameters and Secrets extension's answer is not JSON`,
      'SecretsExtensionMalformedAnswer',
    );
  }
  const text =
    typeof json === 'object' && json !== null ? (json as { SecretString?: unknown }).SecretString : undefined;
  return typeof text === 'string' ? text : undefined;
}

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
 * with `get` (the extension's endpoint by default; nothing is asked before a venue's first call).
 */
export function secretsManagerAlpacaCredentials(
  get: SecretsExtensionGet = secretsExtensionGet(),
): AlpacaSecretResolver {
  const cache = new Map<string, Promise<AlpacaCredentials>>();
  const read = async (venue: string, secretId: string): Promise<AlpacaCredentials> => {
    const where = `Alpaca venue ${venue} (secret ${secretId})`;
    let answer: SecretsExtensionAnswer;
    try {
      answer = await get(secretId);
    } catch (err) {
      const name = failureName(err);
      const reason =
        err instanceof SecretsExtensionConfigError
          ? err.message
          : `the Parameters and Secrets extension did not answer (${name})`;
      throw new TransientError(`${where}: reading the key pair failed: ${reason}`, name);
    }
    if (answer.status < 200 || answer.status > 299)
      // The body is not passed on; the extension logs Secrets Manager's error in the log group.
      throw new TransientError(
        `${where}: reading the key pair failed: the Parameters and Secrets extension answered HTTP ${answer.status}`,
        `SecretsExtensionHttp${answer.status}`,
      );
    return keyPairOf(secretStringOf(answer.body, where), where);
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
