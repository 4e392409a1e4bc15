/**
 * The venue session host: builds every configured session and starts them (main.ts runs it until
 * SIGTERM/SIGINT: ECS stops a task with SIGTERM; local mode stops its child the same way).
 *
 * Sessions come from OMS_VENUE_SESSIONS (a JSON array of `{kind, name, ...settings}`) and, for
 * kind `fix`, from OMS_FIX_VENUES (the same entries the Lambda functions read, so both agree on
 * the venue names), for kind `alpaca` from OMS_ALPACA_VENUES (names only here; the listener reads
 * its entry, credentials included, itself). A kind registers itself when its module is imported below.
 */
import 'reflect-metadata';
import { parseFixVenues } from '../../platform/fix-venues.js';
import { alpacaSessionConfigs } from '../alpaca/alpaca-hosted-session.js';
import '../fix/fix-hosted-session.js';
import { buildSession, type HostedSession, type SessionConfig } from './hosted-session.js';

export function configuredSessions(env: NodeJS.ProcessEnv): SessionConfig[] {
  const fix = parseFixVenues(env.OMS_FIX_VENUES).map((v) => ({ kind: 'fix', ...v }));
  const raw = env.OMS_VENUE_SESSIONS;
  const others = raw === undefined || raw.trim() === '' ? [] : (JSON.parse(raw) as SessionConfig[]);
  return [...fix, ...alpacaSessionConfigs(env), ...others];
}

export async function runHost(env: NodeJS.ProcessEnv = process.env): Promise<() => Promise<void>> {
  const log = (line: string) => console.log(line);
  const sessions: HostedSession[] = configuredSessions(env).map((c) => buildSession(c, { env, log }));
  for (const s of sessions) await s.start();
  log(
    `venue session host: ${sessions.length} session(s): ${sessions.map((s) => s.name).join(', ') || 'none'}`,
  );
  return async () => {
    await Promise.all(sessions.map((s) => s.stop()));
  };
}
