/**
 * Local mode's venue session host: when FIX venues (OMS_FIX_VENUES, the option `fixVenues`) or
 * Alpaca venues (OMS_ALPACA_VENUES, `alpacaVenues`) are configured, local mode starts lambdas/broker-gateway/session-host/main.ts as a child process
 * (under the same watchdog as DynamoDB Local: it never outlives local mode), with the endpoints
 * and table names the functions get, sequence numbers in `<dataDir>/fix-sessions` (else a fresh
 * temporary directory). With `demoExchange` it also runs local/fix-exchange.ts on each venue's
 * port: a FIX exchange to trade against (docs/venues.md).
 */
import { mkdirSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseFixVenues } from '../lambdas/platform/fix-venues.js';
import { spawnWatched, type WatchedProcess } from './child-process.js';
import { FixExchange } from './fix-exchange.js';

export interface LocalVenueSessionsOptions {
  readonly repoRoot: string;
  /** OMS_FIX_VENUES (JSON). */
  readonly fixVenues: string;
  /** OMS_ALPACA_VENUES (JSON): their trade_updates listeners run in the host too. */
  readonly alpacaVenues?: string;
  /** The functions' environment: endpoints, credentials, region. */
  readonly baseEnv: Record<string, string>;
  readonly venueOrdersTable: string;
  readonly marketTable: string;
  readonly eventBusName: string;
  readonly dataDir?: string;
  /** Run a demo FIX exchange (local/fix-exchange.ts) on each venue's port. */
  readonly demoExchange?: boolean;
}

export interface LocalVenueSessions {
  readonly host: WatchedProcess;
  readonly storeDir: string;
  readonly exchanges: readonly FixExchange[];
  stop(): Promise<void>;
}

export async function startLocalVenueSessions(o: LocalVenueSessionsOptions): Promise<LocalVenueSessions> {
  const venues = parseFixVenues(o.fixVenues);
  const exchanges: FixExchange[] = [];
  if (o.demoExchange === true)
    for (const v of venues) {
      const exchange = new FixExchange({
        port: v.port,
        host: v.host,
        senderCompId: v.targetCompId,
        targetCompId: v.senderCompId,
        ...(v.heartbeatSeconds === undefined ? {} : { heartbeatSeconds: v.heartbeatSeconds }),
      });
      await exchange.start();
      exchanges.push(exchange);
    }
  let storeDir: string;
  if (o.dataDir === undefined) storeDir = mkdtempSync(join(tmpdir(), 'oms-fix-sessions-'));
  else {
    storeDir = join(o.dataDir, 'fix-sessions');
    mkdirSync(storeDir, { recursive: true });
  }
  const tsx = pathToFileURL(createRequire(join(o.repoRoot, 'package.json')).resolve('tsx')).href;
  const host = await spawnWatched(
    process.execPath,
    ['--import', tsx, join(o.repoRoot, 'lambdas/broker-gateway/session-host/main.ts')],
    {
      cwd: o.repoRoot,
      env: {
        PATH: process.env.PATH,
        ...o.baseEnv,
        VENUE_ORDERS_TABLE: o.venueOrdersTable,
        MARKET_TABLE: o.marketTable,
        EVENT_BUS_NAME: o.eventBusName,
        OMS_FIX_VENUES: o.fixVenues,
        OMS_FIX_STORE_DIR: storeDir,
        OMS_FIX_POLL_MS: '25',
        ...(o.alpacaVenues === undefined || o.alpacaVenues === ''
          ? {}
          : { OMS_ALPACA_VENUES: o.alpacaVenues }),
        OMS_ALPACA_POLL_MS: '500',
      },
    },
  );
  return {
    host,
    storeDir,
    exchanges,
    async stop() {
      await host.stop();
      for (const e of exchanges) await e.stop();
    },
  };
}
