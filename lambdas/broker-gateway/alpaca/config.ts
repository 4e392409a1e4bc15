/**
 * Alpaca venues this deployment has: OMS_ALPACA_VENUES, a JSON array of
 * `{ "name", "baseUrl", "streamUrl", "keyId", "secret" }` (docs/venues.md). The secret is kept in
 * a closure, never in an enumerable field: logging or JSON-serialising a config never shows it.
 */
import * as z from 'zod/mini';

export const ALPACA_VENUES_ENV = 'OMS_ALPACA_VENUES';

const entrySchema = z.object({
  name: z.string().check(z.regex(/^[A-Z][A-Z0-9_]{1,15}$/, 'must be an upper-case venue id')),
  baseUrl: z.url(),
  streamUrl: z.optional(z.url()),
  keyId: z.string().check(z.minLength(1)),
  secret: z.string().check(z.minLength(1)),
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
    };
  });
}

export function alpacaVenuesFromEnv(env: NodeJS.ProcessEnv = process.env): AlpacaVenueConfig[] {
  return parseAlpacaVenues(env[ALPACA_VENUES_ENV]);
}
