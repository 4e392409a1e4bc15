/**
 * The `alpaca` session kind of the venue session host (session-host/): one Alpaca venue of
 * OMS_ALPACA_VENUES, its trade_updates listener (stream-listener.ts) publishing ExecutionReports
 * to EVENT_BUS_NAME. The venue's credentials come from OMS_ALPACA_VENUES in the host's env (on
 * AWS: a container secret from Secrets Manager, lib/venue-sessions.ts `secrets`), never logged.
 */

import { alpacaVenuesFromEnv } from '../../platform/alpaca-venues.js';
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

export function alpacaHostedSession(session: SessionConfig, context: HostContext): HostedSession {
  const { env, log } = context;
  const config = alpacaVenuesFromEnv(env).find((c) => c.name === session.name);
  if (config === undefined) throw new Error(`venue session host: no OMS_ALPACA_VENUES entry ${session.name}`);
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
