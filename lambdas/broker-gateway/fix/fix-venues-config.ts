/**
 * OMS_FIX_VENUES: the FIX venues of this deployment, a JSON array of
 * `{name, host, port, senderCompId, targetCompId, heartbeatSeconds?}`. Read by the Lambda
 * functions (`venueFor` knows these names) and by the venue session host (it connects to each).
 * Pure parsing, no I/O; a malformed value fails the cold start with the field named.
 */
import * as z from 'zod/mini';

export const FIX_VENUES_ENV = 'OMS_FIX_VENUES';

const fixVenueSchema = z.object({
  name: z.string().check(z.regex(/^[A-Z][A-Z0-9]{1,15}$/, 'must be 2-16 upper-case letters or digits')),
  host: z.string().check(z.minLength(1)),
  port: z.number().check(z.int(), z.gte(1), z.lte(65535)),
  senderCompId: z.string().check(z.minLength(1)),
  targetCompId: z.string().check(z.minLength(1)),
  heartbeatSeconds: z.optional(z.number().check(z.int(), z.gte(1), z.lte(300))),
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
