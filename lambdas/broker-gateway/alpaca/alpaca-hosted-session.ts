/**
 * The `alpaca` session kind of the venue session host (session-host/): one Alpaca venue of
 * OMS_ALPACA_VENUES, its trade_updates listener (stream-listener.ts) publishing ExecutionReports
 * to EVENT_BUS_NAME. Every entry of OMS_ALPACA_VENUES is a session: a venue without its listener
 * would get no reports. The key pair: inline in the entry (local mode), or, for an entry naming a
 * Secrets Manager secret (AWS), the container secrets OMS_ALPACA_KEY_ID_<venue> and
 * OMS_ALPACA_SECRET_<venue> that ECS reads from that secret's `keyId` and `secret` fields at the
 * task's start (lib/venue-sessions.ts). Never logged.
 */

import {
  type AlpacaSecretResolver,
  alpacaSecretEnvNames,
  alpacaVenuesFromEnv,
} from '../../platform/alpaca-venues.js';
import { eventBridge } from '../../platform/event-bridge.js';
import {
  type HostContext,
  type HostedSession,
  registerSessionKind,
  type SessionConfig,
} from '../session-host/hosted-session.js';
import { AlpacaBrokerVenue } from './alpaca-venue.js';
import { eventBridgePublisher } from './publish.js';
import { AlpacaTradeUpdatesListener } from './stream-listener.js';

/** The host's `alpaca` sessions: one per OMS_ALPACA_VENUES entry (names only: no secret in the list). */
export function alpacaSessionConfigs(env: NodeJS.ProcessEnv): SessionConfig[] {
  return alpacaVenuesFromEnv(env).map((c) => ({ kind: 'alpaca', name: c.name }));
}

/** The env names of a venue's container secrets that `env` lacks (none: its key pair is there). */
function missingSecretEnv(env: NodeJS.ProcessEnv, venue: string): string[] {
  return Object.values(alpacaSecretEnvNames(venue)).filter((n) => (env[n] ?? '') === '');
}

/** The key pair of a secret-referencing venue, from the host's container secrets. */
export function containerSecretCredentials(env: NodeJS.ProcessEnv): AlpacaSecretResolver {
  return async (venue) => {
    const missing = missingSecretEnv(env, venue);
    if (missing.length > 0)
      throw new Error(
        `venue session host: ${missing.join(', ')} not set (venue ${venue}'s container secrets)`,
      );
    const names = alpacaSecretEnvNames(venue);
    const secret = env[names.secret] as string;
    return { keyId: env[names.keyId] as string, secret: () => secret };
  };
}

export function alpacaHostedSession(session: SessionConfig, context: HostContext): HostedSession {
  const { env, log } = context;
  const config = alpacaVenuesFromEnv(env, containerSecretCredentials(env)).find(
    (c) => c.name === session.name,
  );
  if (config === undefined) throw new Error(`venue session host: no OMS_ALPACA_VENUES entry ${session.name}`);
  // A host without the venue's container secrets fails its start, naming them (ECS shows it).
  const missing = config.secretId === undefined ? [] : missingSecretEnv(env, config.name);
  if (missing.length > 0)
    throw new Error(
      `venue session host: ${missing.join(', ')} not set (venue ${config.name}'s container secrets)`,
    );
  const bus = env.EVENT_BUS_NAME;
  if (bus === undefined || bus === '') throw new Error('venue session host: EVENT_BUS_NAME is not set');
  const publish = eventBridgePublisher(eventBridge, bus);
  const venue = new AlpacaBrokerVenue({ config, publish });
  const pollMs = Number(env.OMS_ALPACA_POLL_MS ?? 2_000) || 2_000;
  const listener = new AlpacaTradeUpdatesListener({ venue, config, publish, log, pollIntervalMs: pollMs });
  return {
    name: config.name,
    start: async () => listener.start(),
    stop: () => listener.stop(),
  };
}

registerSessionKind('alpaca', alpacaHostedSession);
