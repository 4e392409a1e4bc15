/**
 * Alpaca venues this deployment has: OMS_ALPACA_VENUES, a JSON array of
 * `{ "name", "baseUrl", "streamUrl", "keyId", "secret" }` (docs/venues.md). The secret is kept in
 * a closure, never in an enumerable field: logging or JSON-serialising a config never shows it.
 */
import * as z from 'zod/mini';
import { tapeVenueProfile, type VenueProfile } from '../core/index.js';

export const ALPACA_VENUES_ENV = 'OMS_ALPACA_VENUES';

const entrySchema = z.object({
  name: z.string().check(z.regex(/^[A-Z][A-Z0-9_]{1,15}$/, 'must be an upper-case venue id')),
  baseUrl: z.url(),
  streamUrl: z.optional(z.url()),
  keyId: z.string().check(z.minLength(1)),
  secret: z.string().check(z.minLength(1)),
  /** The broker's fee schedule for the router (dollars per share, negative a rebate). */
  takerFeePerShare: z.optional(z.string().check(z.regex(/^-?\d{1,3}(\.\d{1,6})?$/, 'must be a decimal'))),
  makerFeePerShare: z.optional(z.string().check(z.regex(/^-?\d{1,3}(\.\d{1,6})?$/, 'must be a decimal'))),
  latencyMs: z.optional(z.number().check(z.int(), z.gte(0), z.lte(60000))),
});

export interface AlpacaVenueConfig {
  readonly name: string;
  /** The Trading API's base URL (without `/v2`). */
  readonly baseUrl: string;
  /** The trade_updates websocket URL; undefined: REST polling only. */
  readonly streamUrl: string | undefined;
  readonly keyId: string;
  /** The API secret (a function, so it is never serialised or logged with the config). */
  readonly secret: () => string;
  readonly takerFeePerShare: string | undefined;
  readonly makerFeePerShare: string | undefined;
  readonly latencyMs: number | undefined;
}

/** Parses OMS_ALPACA_VENUES' text; a malformed one fails naming the field, never echoing a secret. */
export function parseAlpacaVenues(text: string | undefined): AlpacaVenueConfig[] {
  if (text === undefined || text.trim() === '') return [];
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new Error(`${ALPACA_VENUES_ENV} is not JSON`);
  }
  const parsed = z.array(entrySchema).safeParse(raw);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new Error(`${ALPACA_VENUES_ENV} is invalid (${where})`);
  }
  return parsed.data.map((e) => {
    const secret = e.secret;
    return {
      name: e.name,
      baseUrl: e.baseUrl.replace(/\/+$/, ''),
      streamUrl: e.streamUrl,
      keyId: e.keyId,
      secret: () => secret,
      takerFeePerShare: e.takerFeePerShare,
      makerFeePerShare: e.makerFeePerShare,
      latencyMs: e.latencyMs,
    };
  });
}

export function alpacaVenuesFromEnv(env: NodeJS.ProcessEnv = process.env): AlpacaVenueConfig[] {
  return parseAlpacaVenues(env[ALPACA_VENUES_ENV]);
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
