/**
 * Alpaca venues this deployment has: OMS_ALPACA_VENUES, a JSON array of
 * `{ "name", "baseUrl", "streamUrl"?, fees?, "latencyMs"?, <credentials> }` (docs/venues.md), where
 * <credentials> is ONE of
 * - `"keyId"` + `"secret"`: the key pair itself (local mode: the environment of one machine);
 * - `"secretArn"` (the complete ARN) or `"secretName"`: a Secrets Manager secret holding the JSON
 *   `{"keyId": "...", "secret": "..."}` (AWS: the stack's CDK context `oms:alpacaVenues` has only
 *   this form, so no key pair ever reaches a template, an environment variable or a log).
 *
 * Pure parsing, no I/O: a secret reference is resolved by the process that reads the config (a
 * Lambda function: GetSecretValue once per container, alpaca-credentials.ts; the venue session
 * host: its container secrets), handed in as an `AlpacaSecretResolver`. The secret is kept in a
 * closure, never in an enumerable field: logging or JSON-serialising a config never shows it, and a
 * malformed value fails naming the field, never echoing a value.
 */
import * as z from 'zod/mini';
import '../core/zod-messages.js';
import { tapeVenueProfile, type VenueProfile } from '../core/index.js';

export const ALPACA_VENUES_ENV = 'OMS_ALPACA_VENUES';
/** The CDK context key of the AWS form (lib/oms-stack.ts). */
export const ALPACA_VENUES_CONTEXT = 'oms:alpacaVenues';

const decimal = () => z.optional(z.string().check(z.regex(/^-?\d{1,3}(\.\d{1,6})?$/, 'must be a decimal')));

const entrySchema = z.object({
  name: z.string().check(z.regex(/^[A-Z][A-Z0-9_]{1,15}$/, 'must be an upper-case venue id')),
  baseUrl: z.url(),
  streamUrl: z.optional(z.url()),
  keyId: z.optional(z.string().check(z.minLength(1))),
  secret: z.optional(z.string().check(z.minLength(1))),
  /** The complete ARN of a Secrets Manager secret (its name ends in `-` and 6 characters). */
  secretArn: z.optional(
    z
      .string()
      .check(
        z.regex(
          /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/,
          'must be the complete ARN of a Secrets Manager secret (arn:aws:secretsmanager:<region>:<account>:secret:<name>-XXXXXX)',
        ),
      ),
  ),
  /** The name of a Secrets Manager secret in the deployment's account and region. */
  secretName: z.optional(
    z
      .string()
      .check(
        z.regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, 'must be a Secrets Manager secret name (A-Z a-z 0-9 /_+=.@-)'),
      ),
  ),
  /** The broker's fee schedule for the router (dollars per share, negative a rebate). */
  takerFeePerShare: decimal(),
  makerFeePerShare: decimal(),
  latencyMs: z.optional(z.number().check(z.int(), z.gte(0), z.lte(60000))),
});

type Entry = z.infer<typeof entrySchema>;

/** A venue's API key pair. */
export interface AlpacaCredentials {
  readonly keyId: string;
  /** The API secret (a function, so it is never serialised or logged with the credentials). */
  readonly secret: () => string;
}

/**
 * Resolves the Secrets Manager secret `secretId` (an ARN or a name) of the venue `venue` to its key
 * pair. A failure rejects with an error that names the venue and the secret, never its value.
 */
export type AlpacaSecretResolver = (venue: string, secretId: string) => Promise<AlpacaCredentials>;

export interface AlpacaVenueConfig {
  readonly name: string;
  /** The Trading API's base URL (without `/v2`). */
  readonly baseUrl: string;
  /** The trade_updates websocket URL; undefined: REST polling only. */
  readonly streamUrl: string | undefined;
  /** The Secrets Manager secret holding the key pair (its ARN or name); undefined: given inline. */
  readonly secretId: string | undefined;
  /** The key pair: inline at once, or as the process's resolver reads it (cached there). */
  readonly credentials: () => Promise<AlpacaCredentials>;
  readonly takerFeePerShare: string | undefined;
  readonly makerFeePerShare: string | undefined;
  readonly latencyMs: number | undefined;
}

/** An Alpaca venue of the AWS form: its settings and the secret holding its key pair. */
export interface AlpacaVenueOnAws {
  readonly name: string;
  readonly secretArn: string | undefined;
  readonly secretName: string | undefined;
}

/** What the stack does with `oms:alpacaVenues`: the functions' and the host's OMS_ALPACA_VENUES, and the secrets. */
export interface AlpacaVenuesContext {
  /** OMS_ALPACA_VENUES of the AWS form (names of secrets, never a key pair); '' when none. */
  readonly env: string;
  readonly venues: readonly AlpacaVenueOnAws[];
}

/** The container secrets (env names) the venue session host reads a venue's key pair from on AWS. */
export function alpacaSecretEnvNames(venue: string): { readonly keyId: string; readonly secret: string } {
  return { keyId: `OMS_ALPACA_KEY_ID_${venue}`, secret: `OMS_ALPACA_SECRET_${venue}` };
}

const REFERENCE = 'secretArn or secretName';

/** The field-named problems of the credentials of entry `i`, beyond its schema. */
function credentialIssues(e: Entry, i: number, form: 'env' | 'context'): string[] {
  const inline = e.keyId !== undefined || e.secret !== undefined;
  const referenced = e.secretArn !== undefined || e.secretName !== undefined;
  if (form === 'context') {
    const issues = (['keyId', 'secret'] as const)
      .filter((f) => e[f] !== undefined)
      .map(
        (f) =>
          `${i}.${f}: not allowed in ${ALPACA_VENUES_CONTEXT} (the template would carry it): store {"keyId","secret"} in a Secrets Manager secret and give its ${REFERENCE}`,
      );
    if (!referenced)
      issues.push(`${i}.secretArn: required (or secretName): the secret holding {"keyId","secret"}`);
    else if (e.secretArn !== undefined && e.secretName !== undefined)
      issues.push(`${i}.secretName: give secretArn or secretName, not both`);
    return issues;
  }
  if (e.secretArn !== undefined && e.secretName !== undefined)
    return [`${i}.secretName: give secretArn or secretName, not both`];
  if (inline && referenced) return [`${i}.keyId: give keyId and secret, or ${REFERENCE}, not both`];
  if (!inline && !referenced) return [`${i}.keyId: required with secret (or give ${REFERENCE})`];
  if (referenced) return [];
  if (e.keyId === undefined) return [`${i}.keyId: required with secret`];
  if (e.secret === undefined) return [`${i}.secret: required with keyId`];
  return [];
}

/** The entries of `raw` (JSON text, or already an array), or an error naming every bad field. */
function parseEntries(raw: unknown, label: string, form: 'env' | 'context'): Entry[] {
  let json: unknown = raw;
  if (typeof raw === 'string') {
    try {
      json = JSON.parse(raw);
    } catch {
      throw new Error(`${label} is not JSON`);
    }
  }
  const parsed = z.array(entrySchema).safeParse(json);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`${label} is invalid (${where})`);
  }
  const issues = parsed.data.flatMap((e, i) => credentialIssues(e, i, form));
  const names = parsed.data.map((e) => e.name);
  const dup = names.findIndex((n, i) => names.indexOf(n) !== i);
  if (dup >= 0) issues.push(`${dup}.name: venue ${names[dup]} twice`);
  if (issues.length > 0) throw new Error(`${label} is invalid (${issues.join('; ')})`);
  return parsed.data;
}

/** One cached resolution per config; a failed one is not kept (the next call asks again). */
function cachedCredentials(read: () => Promise<AlpacaCredentials>): () => Promise<AlpacaCredentials> {
  let pending: Promise<AlpacaCredentials> | undefined;
  return () => {
    pending ??= read().catch((err: unknown) => {
      pending = undefined;
      throw err;
    });
    return pending;
  };
}

/**
 * Parses OMS_ALPACA_VENUES' text; a malformed one fails naming the field, never echoing a secret.
 * An entry naming a Secrets Manager secret reads it with `resolveSecret` on first use (without
 * one, its `credentials()` rejects: this process was given no way to read secrets).
 */
export function parseAlpacaVenues(
  text: string | undefined,
  resolveSecret?: AlpacaSecretResolver,
): AlpacaVenueConfig[] {
  if (text === undefined || text.trim() === '') return [];
  return parseEntries(text, ALPACA_VENUES_ENV, 'env').map((e) => {
    const { secret, keyId } = e;
    const secretId = e.secretArn ?? e.secretName;
    let credentials: () => Promise<AlpacaCredentials>;
    if (secretId === undefined) {
      const inline: AlpacaCredentials = { keyId: keyId as string, secret: () => secret as string };
      credentials = async () => inline;
    } else {
      credentials = cachedCredentials(async () => {
        if (resolveSecret === undefined)
          throw new Error(
            `Alpaca venue ${e.name}: its key pair is in Secrets Manager and this process reads no secrets`,
          );
        return resolveSecret(e.name, secretId);
      });
    }
    return {
      name: e.name,
      baseUrl: e.baseUrl.replace(/\/+$/, ''),
      streamUrl: e.streamUrl,
      secretId,
      credentials,
      takerFeePerShare: e.takerFeePerShare,
      makerFeePerShare: e.makerFeePerShare,
      latencyMs: e.latencyMs,
    };
  });
}

export function alpacaVenuesFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  resolveSecret?: AlpacaSecretResolver,
): AlpacaVenueConfig[] {
  return parseAlpacaVenues(env[ALPACA_VENUES_ENV], resolveSecret);
}

/**
 * The CDK context `oms:alpacaVenues` (JSON text, or the array itself in cdk.json): the same entries
 * as OMS_ALPACA_VENUES, but each names its key pair's secret (`secretArn` or `secretName`) and
 * never carries `keyId`/`secret`. A malformed value fails the synthesis naming the field.
 */
export function parseAlpacaVenuesContext(value: unknown): AlpacaVenuesContext {
  if (value === undefined || value === null || (typeof value === 'string' && value.trim() === ''))
    return { env: '', venues: [] };
  const entries = parseEntries(value, ALPACA_VENUES_CONTEXT, 'context');
  if (entries.length === 0) return { env: '', venues: [] };
  return {
    // The validated entries only (zod drops unknown fields): what the functions and the host read.
    env: JSON.stringify(entries),
    venues: entries.map((e) => ({ name: e.name, secretArn: e.secretArn, secretName: e.secretName })),
  };
}

/**
 * The Alpaca venues as the router sees them: a broker has no simulated book here, so it is taken
 * to show the market-data port's NBBO and size (the tape: no improvement, never behind), with its
 * configured fees (default 0: Alpaca charges no commission) and latency (default 20 ms).
 */
export function alpacaVenueProfiles(env: NodeJS.ProcessEnv = process.env): VenueProfile[] {
  const raw = env[ALPACA_VENUES_ENV] ?? '';
  if (profilesCache?.raw === raw) return profilesCache.profiles;
  const profiles = parseAlpacaVenues(raw).map((v) =>
    tapeVenueProfile(v.name, v, { takerFeePerShare: '0', makerFeePerShare: '0', latencyMs: 20 }),
  );
  profilesCache = { raw, profiles };
  return profiles;
}

let profilesCache: { raw: string; profiles: VenueProfile[] } | undefined;
