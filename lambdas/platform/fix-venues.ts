/**
 * OMS_FIX_VENUES: the FIX venues of this deployment, a JSON array of
 * `{name, host, port, senderCompId, targetCompId, heartbeatSeconds?, takerFeePerShare?,
 * makerFeePerShare?, latencyMs?}`. Read by the Lambda functions (`venueFor` knows these names, the
 * router routes to them: `fixVenueProfiles`) and by the venue session host (it connects to each).
 * Pure parsing, no I/O; a malformed value fails the cold start with the field named.
 */
import * as z from 'zod/mini';
import '../core/zod-messages.js';
import { tapeVenueProfile, VENUE_PROFILES, type VenueProfile } from '../core/index.js';
import { alpacaVenueProfiles } from './alpaca-venues.js';

export const FIX_VENUES_ENV = 'OMS_FIX_VENUES';

const fixVenueSchema = z.object({
  name: z.string().check(z.regex(/^[A-Z][A-Z0-9]{1,15}$/, 'must be 2-16 upper-case letters or digits')),
  host: z.string().check(z.minLength(1)),
  port: z.number().check(z.int(), z.gte(1), z.lte(65535)),
  senderCompId: z.string().check(z.minLength(1)),
  targetCompId: z.string().check(z.minLength(1)),
  heartbeatSeconds: z.optional(z.number().check(z.int(), z.gte(1), z.lte(300))),
  /** The venue's fee schedule for the router (dollars per share, negative a rebate). */
  takerFeePerShare: z.optional(z.string().check(z.regex(/^-?\d{1,3}(\.\d{1,6})?$/, 'must be a decimal'))),
  makerFeePerShare: z.optional(z.string().check(z.regex(/^-?\d{1,3}(\.\d{1,6})?$/, 'must be a decimal'))),
  latencyMs: z.optional(z.number().check(z.int(), z.gte(0), z.lte(60000))),
});

export type FixVenueConfig = z.infer<typeof fixVenueSchema>;

export function parseFixVenues(raw: string | undefined): FixVenueConfig[] {
  if (raw === undefined || raw.trim() === '') return [];
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error(`${FIX_VENUES_ENV}: not JSON`);
  }
  const parsed = z.array(fixVenueSchema).safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`${FIX_VENUES_ENV}: ${issue?.path.join('.') ?? ''} ${issue?.message ?? 'invalid'}`);
  }
  const names = parsed.data.map((v) => v.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup !== undefined) throw new Error(`${FIX_VENUES_ENV}: venue ${dup} twice`);
  return parsed.data;
}

/** The FIX venue names of OMS_FIX_VENUES. */
export function fixVenueNames(env: NodeJS.ProcessEnv = process.env): string[] {
  return parseFixVenues(env[FIX_VENUES_ENV]).map((v) => v.name);
}

/**
 * The FIX venues as the router sees them. A FIX venue sends no market data here: it is taken to
 * show the tape's quote and size (no improvement, never behind), with its configured fees
 * (default taker 0.0030, maker -0.0020) and latency (default 1 ms).
 */
export function fixVenueProfiles(env: NodeJS.ProcessEnv = process.env): VenueProfile[] {
  const raw = env[FIX_VENUES_ENV] ?? '';
  if (profilesCache?.raw === raw) return profilesCache.profiles;
  const profiles = parseFixVenues(raw).map((v) =>
    tapeVenueProfile(v.name, v, { takerFeePerShare: '0.0030', makerFeePerShare: '-0.0020', latencyMs: 1 }),
  );
  profilesCache = { raw, profiles };
  return profiles;
}

let profilesCache: { raw: string; profiles: VenueProfile[] } | undefined;

/**
 * Every venue the router considers: the simulated venues of core `VENUE_PROFILES`, then the FIX
 * venues, then the Alpaca broker venues (OMS_ALPACA_VENUES).
 */
export function routableVenueProfiles(env: NodeJS.ProcessEnv = process.env): readonly VenueProfile[] {
  const others = [...fixVenueProfiles(env), ...alpacaVenueProfiles(env)];
  return others.length === 0 ? VENUE_PROFILES : [...VENUE_PROFILES, ...others];
}
