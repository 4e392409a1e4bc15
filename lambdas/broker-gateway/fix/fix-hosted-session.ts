/**
 * The `fix` session kind of the venue session host: one FIX venue of OMS_FIX_VENUES, its initiator
 * (fix-session.ts), the OMS side (fix-venue-session.ts) and the loop that sends what the OMS
 * queued. Sequence numbers: OMS_FIX_STORE_DIR (a directory: local mode's data directory) or else
 * DynamoDB (VENUE_ORDERS_TABLE, on AWS). Reports go to EVENT_BUS_NAME. With MARKET_TABLE, the
 * venue is marked down for the router while its session is lost (docs/venues.md).
 */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { FileSessionStoreFactory, type IFixSessionStoreFactory } from 'jspurefix';
import { dynamo } from '../../platform/dynamo.js';
import { eventBridge } from '../../platform/event-bridge.js';
import type { FixVenueConfig } from '../../platform/fix-venues.js';
import { setVenueDown } from '../../platform/market-data.js';
import { EXECUTION_REPORT_DETAIL_TYPE, type ExecutionReport, VENUE_SOURCE } from '../execution-report.js';
import {
  type HostContext,
  type HostedSession,
  registerSessionKind,
  type SessionConfig,
} from '../session-host/hosted-session.js';
import { DynamoSessionStoreFactory } from './dynamo-session-store.js';
import { DynamoFixBook } from './fix-book.js';
import { FixInitiator } from './fix-session.js';
import { FixVenueSession } from './fix-venue-session.js';

/** How often the session looks for requests the OMS queued (OMS_FIX_POLL_MS, default 100 ms). */
const DEFAULT_POLL_MS = 100;

function required(env: NodeJS.ProcessEnv, name: string): string {
  const v = env[name];
  if (v === undefined || v === '') throw new Error(`venue session host: ${name} is not set`);
  return v;
}

export function fixHostedSession(config: SessionConfig, context: HostContext): HostedSession {
  const venue = config as unknown as FixVenueConfig & SessionConfig;
  const { env, log } = context;
  const table = required(env, 'VENUE_ORDERS_TABLE');
  const bus = required(env, 'EVENT_BUS_NAME');
  const storeDir = env.OMS_FIX_STORE_DIR;
  const storeFactory: IFixSessionStoreFactory =
    storeDir !== undefined && storeDir !== ''
      ? new FileSessionStoreFactory(storeDir)
      : new DynamoSessionStoreFactory(dynamo, table);
  const pollMs = Number(env.OMS_FIX_POLL_MS ?? DEFAULT_POLL_MS) || DEFAULT_POLL_MS;
  // The venue's health for the router (MARKET_TABLE's health item): down while the session is
  // lost, up again at its logon. Written one after another, in order.
  const market = env.MARKET_TABLE;
  let health: Promise<void> = Promise.resolve();
  const markDown = (down: boolean): void => {
    if (market === undefined || market === '') return;
    health = health
      .then(() => setVenueDown(dynamo, market, venue.name, down, new Date().toISOString()))
      .catch((e: unknown) =>
        log(`[fix ${venue.name}] could not mark the venue ${down ? 'down' : 'up'}: ${(e as Error).message}`),
      );
  };

  const publish = async (reports: readonly ExecutionReport[]): Promise<void> => {
    for (let attempt = 1; ; attempt++) {
      const out = await eventBridge.send(
        new PutEventsCommand({
          Entries: reports.map((r) => ({
            EventBusName: bus,
            Source: VENUE_SOURCE,
            DetailType: EXECUTION_REPORT_DETAIL_TYPE,
            Time: new Date(r.transactTime),
            Resources: [],
            Detail: JSON.stringify(r),
          })),
        }),
      );
      if ((out.FailedEntryCount ?? 0) === 0) return;
      if (attempt >= 5)
        throw new Error(`PutEvents: ${out.FailedEntryCount} reports of ${venue.name} not published`);
      await new Promise((r) => setTimeout(r, 100 * attempt));
    }
  };

  const session = new FixVenueSession({
    venue: venue.name,
    book: new DynamoFixBook(dynamo, table),
    publish,
    now: Date.now,
    log,
  });
  const initiator = new FixInitiator({
    name: venue.name,
    host: venue.host,
    port: venue.port,
    senderCompId: venue.senderCompId,
    targetCompId: venue.targetCompId,
    heartbeatSeconds: venue.heartbeatSeconds ?? 30,
    reconnectSeconds: 1,
    storeFactory,
    onMessage: (m) => session.onMessage(m),
    onLogon: () => {
      log(`[fix ${venue.name}] logged on ${venue.host}:${venue.port}`);
      markDown(false);
      void session.onLogon(initiator);
    },
    onLogout: () => {
      log(`[fix ${venue.name}] disconnected`);
      if (!stopped) markDown(true);
    },
  });
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  // Every order's status from the venue, for the mirror the reconciler reads (default every 60 s).
  const massStatusMs = 1000 * (Number(env.OMS_FIX_MASS_STATUS_SECONDS ?? 60) || 60);
  let massStatus: NodeJS.Timeout | undefined;
  const loop = async (): Promise<void> => {
    try {
      await session.poll();
    } catch (e) {
      log(`[fix ${venue.name}] sending queued requests failed: ${(e as Error).message}`);
    }
    if (!stopped) timer = setTimeout(() => void loop(), pollMs);
  };
  return {
    name: venue.name,
    async start() {
      massStatus = setInterval(() => session.requestMassStatus(), massStatusMs);
      initiator.start();
      void loop();
    },
    async stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      if (massStatus !== undefined) clearInterval(massStatus);
      await initiator.drained();
      await initiator.stop();
      await health;
    },
  };
}

registerSessionKind('fix', fixHostedSession);
