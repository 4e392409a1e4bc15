/**
 * The whole OMS on one machine: the synthesized template's topology brought up with local
 * stand-ins (DynamoDB Local, Streams pollers, a Lambda runtime, SQS, Step Functions, EventBridge,
 * the HTTP API) running the same handler code and the same ASL as AWS. Used by `npm start`
 * (bin/local.ts), the end-to-end tests and `npm run bench:e2e`.
 */
import { randomUUID } from 'node:crypto';
import { appendFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod/mini';
import { quoteToItem, seedQuote } from '../lambdas/broker-gateway/simulated/market.js';
import { apiKeyItem } from '../lambdas/orders/accounts.js';
import { storedRiskLimitsSchema } from '../lambdas/orders/risk-context.js';
import { listAssets, seedAssets } from './assets.js';
import { startAwsEndpoint } from './aws-endpoint.js';
import { createLocalControl } from './control.js';
import { isDashboardPath, serveDashboard } from './dashboard.js';
import { createTables, startDynamoDbLocal } from './dynamodb-local.js';
import { LocalEventBridge } from './event-bridge.js';
import { LocalFirehose, localWarehouseDir } from './firehose.js';
import {
  createApiServer,
  GATEWAY_ERRORS,
  LocalHttpApi,
  MAX_REQUEST_BODY_BYTES,
  readRequestBody,
  requestPath,
  requestQuery,
} from './http-api.js';
import { LocalLambdaRuntime } from './lambda-runtime.js';
import { LocalMeter, startDynamoDbMeterProxy } from './meter.js';
import { localAuditDir } from './regulatory-export.js';
import { LocalQueues } from './sqs.js';
import { LocalSqsApi } from './sqs-api.js';
import { LocalStepFunctions } from './step-functions.js';
import { startStreamPollers } from './stream-poller.js';
import { synthesizeTemplate } from './synthesize.js';
import { readTopology } from './topology.js';
import { LOCAL_REGION, type LocalTopology } from './types.js';
import { type LocalVenueSessions, startLocalVenueSessions } from './venue-sessions.js';
import { WARM_UP_ACCOUNT_ID, WARM_UP_KEY_ID, warmUpLocalOms } from './warm-up.js';
import { LocalWebSocketApi, localCallbackEnv } from './websocket-api.js';

export const DEFAULT_API_KEY_ID = 'LOCALDEMOKEY000000001';
export const DEFAULT_API_SECRET_KEY = 'local-demo-secret-change-me-0000000000000';
export const DEMO_ACCOUNT_ID = 'demo-account';
/** Where local mode serves the trade_updates WebSocket (the HTTP API's port). */
export const STREAM_PATH = '/stream';
/** Symbols with a quote from the start, so market orders have a reference price at once. */
export const DEMO_SYMBOLS = ['AAPL', 'MSFT', 'SPY', 'TSLA', 'NVDA'] as const;

export interface LocalOmsOptions {
  /** HTTP API and /local control port; 0 picks a free one. Default 3000. */
  readonly port?: number;
  /** Persist DynamoDB Local here; in memory when absent. */
  readonly dataDir?: string;
  readonly apiKeyId?: string;
  readonly apiSecretKey?: string;
  /** Session close `HH:MM[:SS]` America/New_York (DAY expiry), as the stack's `oms:sessionClose`. */
  readonly sessionClose?: string;
  /**
   * Session open `HH:MM[:SS]` America/New_York (OMS_SESSION_OPEN; default 09:30): the simulated
   * venue's opening auction, which opg orders wait for.
   */
  readonly sessionOpen?: string;
  /** Seconds a DAY order waits after the close before it expires (OMS_EXPIRY_GRACE_SECONDS; default 60). */
  readonly expiryGraceSeconds?: number;
  /** Days with a session, e.g. `sun,mon,tue,wed,thu,fri,sat` (OMS_SESSION_DAYS; default Monday to Friday). */
  readonly sessionDays?: string;
  /**
   * How long a cancel or replace may be outstanding before the in-flight check re-sends it or
   * applies the venue's lost answer (OMS_IN_FLIGHT_THRESHOLD_MS; default core IN_FLIGHT_THRESHOLD_MS).
   */
  readonly inFlightThresholdMs?: number;
  /** Holiday calendar, `nyse` or `none` (OMS_SESSION_CALENDAR; default nyse, none when sessionDays is set). */
  readonly sessionCalendar?: string;
  /**
   * The order types the simulated venue holds, as the stack's `oms:venueOrderTypes` (env
   * OMS_VENUE_ORDER_TYPES; default all). `market,limit`: the OMS holds every stop's trigger.
   */
  readonly venueOrderTypes?: string;
  /** Days a GTC order lives at most (OMS_GTC_MAX_AGE_DAYS; default 90). */
  readonly gtcMaxAgeDays?: number;
  /** How much faster than their rate scheduled rules fire (market tick, sweeper). Default 30. */
  readonly scheduleSpeedup?: number;
  /** Scale of SQS visibility timeouts, so retried messages come back in seconds. Default 0.05. */
  readonly visibilityTimeoutScale?: number;
  /** Handlers' log output goes here instead of the console. */
  readonly logFile?: string;
  /**
   * Warm every function before resolving (local/warm-up.ts: loads handlers, read-only calls, one
   * order on the warm-up account), so the first order after start is not slowed by cold workers.
   * Default true (env OMS_WARM_UP=0: off). `'order'` (env OMS_WARM_UP=order): only the warm-up
   * order's path, about a fifth of the CPU (a test's own local mode; its other functions start cold).
   */
  readonly warmUp?: boolean | 'order';
  /** Lambda workers (execution environments) per function (LocalLambdaRuntime's option). Default 1. */
  readonly maxWorkersPerFunction?: number;
  /** Wait between GetRecords calls on an idle stream shard (the stream pollers' option). Default 100. */
  readonly streamPollIntervalMs?: number;
  /** Extra JVM options for DynamoDB Local (e.g. `-Xmx1g`, `-XX:+UseParallelGC`). */
  readonly dynamoDbJvmOptions?: readonly string[];
  /**
   * The demo account's risk limits, merged over the defaults (core DEFAULT_RISK_LIMITS) and over
   * local mode's own `maxOrdersPerSecond: 1000` (env OMS_RISK_LIMITS, a JSON object; `null`
   * switches a rule off). Validated as an account record is: a bad setting stops the start.
   */
  readonly riskLimits?: Readonly<Record<string, unknown>>;
  /**
   * FIX 4.4 venues (env OMS_FIX_VENUES, a JSON array; docs/venues.md): the template is synthesized
   * with them (`oms:fixVenues`), and the venue session host runs as a child process.
   */
  readonly fixVenues?: string;
  /**
   * Alpaca broker venues (env OMS_ALPACA_VENUES, a JSON array of `{name, baseUrl, streamUrl, keyId,
   * secret}`; docs/venues.md): the functions reach them through `venueFor`, and the venue session
   * host runs their trade_updates listeners as a child process.
   */
  readonly alpacaVenues?: string;
  /** Run a demo FIX exchange on each FIX venue's port (env OMS_FIX_DEMO_EXCHANGE=1). */
  readonly fixDemoExchange?: boolean;
  /** Symbols quoted from the start (env OMS_SYMBOLS, comma-separated; default DEMO_SYMBOLS). */
  readonly symbols?: readonly string[];
  /**
   * Count the work of every flow in the units AWS bills (local/meter.ts: a counting proxy in front
   * of DynamoDB Local, invocations, state transitions, events, messages). Off by default: the
   * proxy adds a hop to every DynamoDB request. `npm run cost` and the budget test switch it on.
   */
  readonly meter?: boolean;
  /**
   * Where the Data Warehouse's Parquet lands (the warehouse bucket: `<dir>/<table>/date=YYYY-MM-DD/`,
   * docs/warehouse.md). Default: `<dataDir>/warehouse`, else OMS_WAREHOUSE_DIR, else
   * `<repo>/.oms-local/warehouse` (local/firehose.ts `localWarehouseDir`).
   */
  readonly warehouseDir?: string;
  /** How often the Firehose stand-in delivers what it buffered (ms). Default 2000. */
  readonly warehouseFlushIntervalMs?: number;
  /**
   * Where the CAT-shaped export and the event archive land (the audit bucket: `<dir>/cat/<date>/`,
   * `<dir>/archive/<date>/`). Default: the data directory, else OMS_AUDIT_DIR, else
   * `<repo>/.oms-local/audit` (local/regulatory-export.ts).
   */
  readonly auditDir?: string;
}

/** Local mode's own limit over the defaults: benchmarks place hundreds of orders a second. */
export const LOCAL_RISK_LIMITS = { maxOrdersPerSecond: 1000 } as const;

const SYMBOL = /^[A-Z][A-Z0-9.\-/]{0,20}$/;

/** The demo account's limits and quoted symbols from the options, else the environment. */
export function demoSettings(
  options: Pick<LocalOmsOptions, 'riskLimits' | 'symbols'>,
  env: NodeJS.ProcessEnv = process.env,
): { readonly riskLimits: Record<string, unknown>; readonly symbols: readonly string[] } {
  let limits: unknown = options.riskLimits ?? {};
  if (options.riskLimits === undefined && env.OMS_RISK_LIMITS !== undefined && env.OMS_RISK_LIMITS !== '') {
    try {
      limits = JSON.parse(env.OMS_RISK_LIMITS);
    } catch {
      throw new RangeError('OMS_RISK_LIMITS: is not JSON (e.g. {"priceCollarPercent":"25"})');
    }
  }
  const parsed = z.strictObject(storedRiskLimitsSchema.shape).safeParse(limits);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where =
      issue === undefined || issue.path.length === 0 ? '' : `.${issue.path.map(String).join('.')}`;
    throw new RangeError(`OMS_RISK_LIMITS${where}: ${issue?.message ?? 'is not valid'}`);
  }
  const symbolText = env.OMS_SYMBOLS;
  const symbols =
    options.symbols ??
    (symbolText === undefined || symbolText.trim() === ''
      ? DEMO_SYMBOLS
      : symbolText.split(',').map((s) => s.trim().toUpperCase()));
  const bad = symbols.find((s) => !SYMBOL.test(s));
  if (bad !== undefined) throw new RangeError(`OMS_SYMBOLS: ${JSON.stringify(bad)} is not a ticker symbol`);
  return { riskLimits: { ...LOCAL_RISK_LIMITS, ...(limits as Record<string, unknown>) }, symbols };
}

export interface LocalOms {
  readonly apiUrl: string;
  /** The trade_updates WebSocket (`ws://127.0.0.1:<port>/stream`, docs/stream.md). */
  readonly streamUrl: string;
  readonly awsEndpointUrl: string;
  readonly dynamoDbEndpoint: string;
  /** DynamoDB Local's JVM process id (benchmarks read its CPU time). */
  readonly dynamoDbPid: number;
  readonly apiKeyId: string;
  readonly apiSecretKey: string;
  readonly accountId: string;
  readonly topology: LocalTopology;
  readonly stepFunctions: LocalStepFunctions;
  readonly eventBridge: LocalEventBridge;
  readonly queues: LocalQueues;
  /** The Firehose stand-in (the Data Warehouse's delivery streams). */
  readonly firehose: LocalFirehose;
  /** Where the warehouse's Parquet files are written. */
  readonly warehouseDir: string;
  /** Where the CAT-shaped export and the event archive are written. */
  readonly auditDir: string;
  /** The work meter, when `meter: true`. */
  readonly meter: LocalMeter | undefined;
  /** The venue session host (and demo FIX exchanges), when FIX venues are configured. */
  readonly venueSessions: LocalVenueSessions | undefined;
  /**
   * Functions run by a schedule rule (their work is fixed per minute, not per order), and the
   * Firehose transformations (one invocation per buffered batch of many orders' events).
   */
  readonly scheduledFunctions: ReadonlySet<string>;
  /** Starts and initialises one Lambda worker per function, so first invocations skip the cold start. */
  warmUp(): Promise<void>;
  stop(): Promise<void>;
}

const repoRoot = join(__dirname, '..');

/** The value an environment variable has in the functions that set it (they all agree). */
export function envValue(topology: LocalTopology, name: string): string {
  for (const fn of topology.functions) {
    const v = fn.environment[name];
    if (v !== undefined) return v;
  }
  throw new Error(`no function has ${name} in its environment`);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** The client went away before its request was read (it aborted or reset the connection). */
function clientAborted(req: IncomingMessage, err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return (
    req.destroyed || code === 'ECONNRESET' || code === 'ECONNABORTED' || (err as Error).message === 'aborted'
  );
}

export async function startLocalOms(options: LocalOmsOptions = {}): Promise<LocalOms> {
  const stops: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    for (const s of stops.reverse()) {
      try {
        await s();
      } catch {
        // keep stopping the rest
      }
    }
  };
  try {
    const demo = demoSettings(options);
    const sessionClose = options.sessionClose ?? process.env.OMS_SESSION_CLOSE ?? '16:00';
    const venueOrderTypes = options.venueOrderTypes ?? process.env.OMS_VENUE_ORDER_TYPES;
    const fixVenues = options.fixVenues ?? process.env.OMS_FIX_VENUES ?? '';
    const alpacaVenues = options.alpacaVenues ?? process.env.OMS_ALPACA_VENUES ?? '';
    const topology = readTopology(
      synthesizeTemplate({
        'oms:sessionClose': sessionClose,
        ...(fixVenues === '' ? {} : { 'oms:fixVenues': fixVenues }),
        ...(venueOrderTypes === undefined || venueOrderTypes === ''
          ? {}
          : { 'oms:venueOrderTypes': venueOrderTypes }),
      }),
    );

    const ddb = await startDynamoDbLocal({
      ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
      ...(options.dynamoDbJvmOptions === undefined ? {} : { jvmOptions: options.dynamoDbJvmOptions }),
    });
    stops.push(() => ddb.stop());
    await createTables(ddb.endpoint, topology.tables);
    const meter = options.meter
      ? new LocalMeter(Object.fromEntries(topology.tables.map((t) => [t.tableName, t.logicalId])))
      : undefined;
    const meterProxy = meter === undefined ? undefined : await startDynamoDbMeterProxy(ddb.endpoint, meter);
    if (meterProxy !== undefined) stops.push(() => meterProxy.close());

    const awsPort = await freePort();
    const awsUrl = `http://127.0.0.1:${awsPort}`;
    const baseEnv: Record<string, string> = {
      AWS_REGION: LOCAL_REGION,
      AWS_DEFAULT_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint,
      AWS_ENDPOINT_URL_SFN: awsUrl,
      AWS_ENDPOINT_URL_EVENTBRIDGE: awsUrl,
      AWS_ENDPOINT_URL_SQS: awsUrl,
      // No X-Ray daemon and no CloudWatch agent here: traces off, metrics still go to the log.
      POWERTOOLS_TRACE_ENABLED: 'false',
      AWS_XRAY_CONTEXT_MISSING: 'IGNORE_ERROR',
    };
    // Local mode's Alpaca venues (credentials from this process's env; on AWS: Secrets Manager).
    if (alpacaVenues !== '') baseEnv.OMS_ALPACA_VENUES = alpacaVenues;
    // Session settings the stack does not set (yet): passed to every function like the endpoints.
    const sessionOpen = options.sessionOpen ?? process.env.OMS_SESSION_OPEN;
    if (sessionOpen !== undefined && sessionOpen !== '') baseEnv.OMS_SESSION_OPEN = sessionOpen;
    const grace = options.expiryGraceSeconds ?? process.env.OMS_EXPIRY_GRACE_SECONDS;
    if (grace !== undefined && grace !== '') baseEnv.OMS_EXPIRY_GRACE_SECONDS = String(grace);
    const sessionDays = options.sessionDays ?? process.env.OMS_SESSION_DAYS;
    if (sessionDays !== undefined && sessionDays !== '') baseEnv.OMS_SESSION_DAYS = sessionDays;
    const calendar = options.sessionCalendar ?? process.env.OMS_SESSION_CALENDAR;
    if (calendar !== undefined && calendar !== '') baseEnv.OMS_SESSION_CALENDAR = calendar;
    const gtcMaxAgeDays = options.gtcMaxAgeDays ?? process.env.OMS_GTC_MAX_AGE_DAYS;
    if (gtcMaxAgeDays !== undefined && gtcMaxAgeDays !== '')
      baseEnv.OMS_GTC_MAX_AGE_DAYS = String(gtcMaxAgeDays);
    // How long a cancel or replace may be outstanding before the in-flight check acts (issue 16).
    const inFlight = options.inFlightThresholdMs ?? process.env.OMS_IN_FLIGHT_THRESHOLD_MS;
    if (inFlight !== undefined && inFlight !== '') baseEnv.OMS_IN_FLIGHT_THRESHOLD_MS = String(inFlight);
    // Pattern day trader mode (issue 16): the stack's `oms:pdtMode`, or OMS_PDT_MODE here.
    if (process.env.OMS_PDT_MODE !== undefined && process.env.OMS_PDT_MODE !== '')
      baseEnv.OMS_PDT_MODE = process.env.OMS_PDT_MODE;
    // A WebSocket stage's callback URL (`stage.callbackUrl`) reaches the management stand-in.
    const managementUrl = (api: string, stage: string) => `${awsUrl}/ws/${api}/${stage}`;
    const runtime = new LocalLambdaRuntime(topology.functions, {
      baseEnv,
      repoRoot,
      ...(options.logFile === undefined ? {} : { logFile: options.logFile }),
      ...(options.maxWorkersPerFunction === undefined
        ? {}
        : { maxWorkersPerFunction: options.maxWorkersPerFunction }),
      envFor: (fn) => ({
        ...localCallbackEnv(fn.environment, topology.webSocketApis, managementUrl),
        ...(meterProxy === undefined
          ? {}
          : { AWS_ENDPOINT_URL_DYNAMODB: meterProxy.endpointFor(fn.logicalId) }),
      }),
      ...(meter === undefined ? {} : { onInvocationEnd: (fn, ms) => meter.invocation(fn.logicalId, ms) }),
    });
    stops.push(() => runtime.close());
    const queues = new LocalQueues(topology.queues, {
      visibilityTimeoutScale: options.visibilityTimeoutScale ?? 0.05,
      ...(meter === undefined ? {} : { onSend: (queue: string) => meter.sqsMessage(queue) }),
    });
    stops.push(() => queues.close());
    const stepFunctions = new LocalStepFunctions(
      topology.stateMachines,
      runtime,
      meter === undefined ? {} : { onStateEntered: (machine) => meter.stateEntered(machine) },
    );
    stops.push(() => stepFunctions.close?.());
    // The Data Warehouse's delivery streams write into one directory (their one bucket).
    const warehouseDir = options.warehouseDir ?? localWarehouseDir({ dataDir: options.dataDir });
    const firehose = new LocalFirehose(topology.deliveryStreams, {
      invoker: runtime,
      bucketDir: () => warehouseDir,
      ...(options.warehouseFlushIntervalMs === undefined
        ? {}
        : { flushIntervalMs: options.warehouseFlushIntervalMs }),
      ...(options.logFile === undefined
        ? {}
        : { log: (message: string) => appendFileSync(options.logFile as string, `[firehose] ${message}\n`) }),
    });
    // Stopped after the bus (stops run in reverse): what the bus delivered last is still written.
    stops.push(() => firehose.close());
    const eventBridge = new LocalEventBridge(topology, { invoker: runtime, queues, stepFunctions, firehose });
    stops.push(() => eventBridge.close());
    if (meter !== undefined) eventBridge.subscribe((event) => meter.event(event['detail-type']));
    // The trade_updates stream (issue 14): the template's WebSocket API, served at /stream.
    const webSocketApis = topology.webSocketApis.map(
      (spec) =>
        new LocalWebSocketApi(spec, runtime, {
          onError: ({ connectionId, routeKey, error }) =>
            options.logFile === undefined
              ? console.error(`local mode: stream ${routeKey} of ${connectionId} failed: ${error}`)
              : appendFileSync(
                  options.logFile,
                  `[websocket-api] ${routeKey} of ${connectionId} failed: ${error}\n`,
                ),
        }),
    );
    stops.push(() => Promise.all(webSocketApis.map((api) => api.close())).then(() => undefined));
    const streamApi = webSocketApis[0];
    const aws = await startAwsEndpoint({
      port: awsPort,
      stepFunctions,
      eventBridge,
      sqs: new LocalSqsApi(queues, { endpointUrl: awsUrl }),
      connections: (method, path, body) => {
        const m = /^\/ws\/([^/]+)\/([^/]+)\/@connections\/([^/?]+)/.exec(path);
        const api = webSocketApis.find((a) => a.spec.logicalId === m?.[1] && a.stage === m?.[2]);
        if (m === null || api === undefined)
          return {
            statusCode: 404,
            headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'NotFoundException' },
            body: JSON.stringify({ message: 'no such WebSocket API stage' }),
          };
        return api.manage(method, decodeURIComponent(m[3] as string), body);
      },
    });
    stops.push(() => aws.close());

    queues.startEventSourceMappings(
      topology.eventSourceMappings.filter((m) => m.source.kind === 'sqs'),
      runtime,
    );
    const pollers = startStreamPollers({
      endpoint: ddb.endpoint,
      topology,
      invoker: runtime,
      queues,
      ...(options.streamPollIntervalMs === undefined ? {} : { pollIntervalMs: options.streamPollIntervalMs }),
      // Poller diagnostics go with the handlers' logs when there is a log file.
      ...(options.logFile === undefined
        ? {}
        : {
            log: (message: string) =>
              appendFileSync(options.logFile as string, `[stream-poller] ${message}\n`),
          }),
    });
    stops.push(() => pollers.stop());

    const apiKeyId = options.apiKeyId ?? process.env.OMS_API_KEY_ID ?? DEFAULT_API_KEY_ID;
    const apiSecretKey = options.apiSecretKey ?? process.env.OMS_API_SECRET_KEY ?? DEFAULT_API_SECRET_KEY;
    const doc = DynamoDBDocumentClient.from(
      new DynamoDBClient({
        endpoint: ddb.endpoint,
        region: LOCAL_REGION,
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      }),
      { marshallOptions: { removeUndefinedValues: true } },
    );
    stops.push(() => doc.destroy());
    await seedDemo(doc, topology, apiKeyId, apiSecretKey, demo);
    const warmUpSecret = `warm-up-${randomUUID()}`;
    await seedWarmUpAccount(doc, topology, warmUpSecret);

    let venueSessions: LocalVenueSessions | undefined;
    if (fixVenues !== '' || alpacaVenues !== '') {
      venueSessions = await startLocalVenueSessions({
        repoRoot,
        fixVenues,
        alpacaVenues,
        baseEnv,
        venueOrdersTable: envValue(topology, 'VENUE_ORDERS_TABLE'),
        marketTable: envValue(topology, 'MARKET_TABLE'),
        eventBusName: envValue(topology, 'EVENT_BUS_NAME'),
        ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
        demoExchange: options.fixDemoExchange ?? process.env.OMS_FIX_DEMO_EXCHANGE === '1',
      });
      const started = venueSessions;
      stops.push(() => started.stop());
    }

    const auditDir = options.auditDir ?? localAuditDir({ dataDir: options.dataDir });
    const control = createLocalControl({
      doc,
      topology,
      stepFunctions,
      eventBridge,
      queues,
      ...(streamApi === undefined ? {} : { stream: streamApi }),
      regulatoryExport: { reporterImid: envValue(topology, 'CAT_REPORTER_IMID'), auditDir },
    });
    const httpApi = new LocalHttpApi(
      topology.httpApis[0] as NonNullable<LocalTopology['httpApis'][0]>,
      runtime,
    );
    const server: Server = createApiServer((req, res) => void serve(req, res), undefined, STREAM_PATH);
    async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
      try {
        const pathname = requestPath(req.url);
        if (isDashboardPath(pathname)) {
          const page = await serveDashboard(req.method ?? 'GET', pathname);
          res.writeHead(page.statusCode, page.headers);
          res.end(page.body);
          return;
        }
        let body: Buffer | null;
        try {
          body = await readRequestBody(req, MAX_REQUEST_BODY_BYTES);
        } catch (err) {
          // Nobody is left to answer, and nothing was done: not a failure of the OMS.
          if (clientAborted(req, err)) return;
          throw err;
        }
        if (body === null) {
          // Past API Gateway's payload limit: answered at once, the rest not read.
          const { statusCode, message } = GATEWAY_ERRORS.tooLarge;
          res.writeHead(statusCode, { 'content-type': 'application/json', connection: 'close' });
          res.end(JSON.stringify({ message }), () => req.destroy());
          return;
        }
        if (!pathname.startsWith('/local/')) meter?.httpRequest();
        const request = {
          method: req.method ?? 'GET',
          path: pathname,
          rawQueryString: requestQuery(req.url),
          headers: req.headers,
          body,
        };
        const out = pathname.startsWith('/local/')
          ? await control.handle(request)
          : await httpApi.handle(request);
        res.writeHead(out.statusCode, out.headers);
        res.end(out.body);
      } catch (err) {
        // The error's text goes to the log, never to the caller.
        console.error(`local mode: ${req.method} ${(req.url ?? '').slice(0, 200)} failed:`, err);
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ code: 'internal_error', message: 'Internal Server Error' }));
      }
    }
    // Only the stream path is an upgrade (createApiServer's `upgradePath`).
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (streamApi === undefined) {
        socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
        return;
      }
      streamApi.handleUpgrade(req, socket, head).catch((err) => {
        console.error('local mode: stream upgrade failed:', err);
        socket.destroy();
      });
    });
    const port = options.port ?? Number(process.env.PORT ?? 3000);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', resolve);
    });
    stops.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { port: bound } = server.address() as AddressInfo;

    const warmUp =
      options.warmUp ?? (process.env.OMS_WARM_UP === 'order' ? 'order' : process.env.OMS_WARM_UP !== '0');
    if (warmUp !== false) {
      await warmUpLocalOms({
        everyFunction: warmUp === true,
        runtime,
        topology,
        httpApi,
        dynamoDbEndpoint: ddb.endpoint,
        apiKeyId,
        apiSecretKey,
        ...(demo.symbols[0] === undefined
          ? {}
          : { order: { secret: warmUpSecret, symbol: demo.symbols[0] } }),
      });
    }
    eventBridge.startSchedules({ speedup: options.scheduleSpeedup ?? 30 });

    return {
      apiUrl: `http://127.0.0.1:${bound}`,
      venueSessions,
      streamUrl: `ws://127.0.0.1:${bound}${STREAM_PATH}`,
      awsEndpointUrl: aws.url,
      dynamoDbEndpoint: ddb.endpoint,
      dynamoDbPid: ddb.pid,
      apiKeyId,
      apiSecretKey,
      accountId: DEMO_ACCOUNT_ID,
      topology,
      stepFunctions,
      eventBridge,
      queues,
      firehose,
      warehouseDir,
      auditDir,
      meter,
      scheduledFunctions: new Set([
        ...topology.rules
          .filter((r) => r.scheduleExpression !== null)
          .flatMap((r) => r.targets.flatMap((t) => (t.kind === 'lambda' ? [t.functionLogicalId] : []))),
        ...topology.deliveryStreams.flatMap((s) =>
          s.processorFunctionLogicalId === null ? [] : [s.processorFunctionLogicalId],
        ),
      ]),
      warmUp: () => runtime.warmUp(),
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The warm-up order's own account and key (local/warm-up.ts step 5): never the demo account. */
async function seedWarmUpAccount(doc: DynamoDBDocumentClient, topology: LocalTopology, secret: string) {
  const accounts = envValue(topology, 'ACCOUNTS_TABLE');
  const key = apiKeyItem({
    keyId: WARM_UP_KEY_ID,
    secret,
    principalId: 'local-warm-up',
    accountIds: [WARM_UP_ACCOUNT_ID],
  });
  await doc.send(new PutCommand({ TableName: accounts, Item: key }));
  await doc.send(
    new PutCommand({
      TableName: accounts,
      Item: {
        pk: `account#${WARM_UP_ACCOUNT_ID}`,
        cash: '1000000',
        multiplier: '2',
        shortingEnabled: true,
        riskLimits: LOCAL_RISK_LIMITS,
      },
    }),
  );
}

/**
 * The demo account (generous limits), its API key, starting quotes for the demo symbols, and the
 * asset master (local/assets.ts: the default list and the demo symbols).
 */
async function seedDemo(
  doc: DynamoDBDocumentClient,
  topology: LocalTopology,
  apiKeyId: string,
  apiSecretKey: string,
  demo: ReturnType<typeof demoSettings>,
): Promise<void> {
  const accounts = envValue(topology, 'ACCOUNTS_TABLE');
  const key = apiKeyItem({
    keyId: apiKeyId,
    secret: apiSecretKey,
    principalId: 'demo-bot',
    accountIds: [DEMO_ACCOUNT_ID],
  });
  await doc.send(new PutCommand({ TableName: accounts, Item: key }));
  await doc.send(
    new PutCommand({
      TableName: accounts,
      Item: {
        pk: `account#${DEMO_ACCOUNT_ID}`,
        // Like an Alpaca paper account: margin (2x), may sell short.
        cash: '10000000',
        multiplier: '2',
        shortingEnabled: true,
        createdAt: new Date().toISOString(),
        riskLimits: demo.riskLimits,
      },
    }),
  );
  await listAssets(doc, envValue(topology, 'ASSETS_TABLE'), seedAssets(demo.symbols));
  const market = envValue(topology, 'MARKET_TABLE');
  const now = Date.now();
  for (const symbol of demo.symbols) {
    await doc
      .send(
        new PutCommand({
          TableName: market,
          Item: quoteToItem(seedQuote(symbol, now)),
          ConditionExpression: 'attribute_not_exists(symbol)',
        }),
      )
      .catch((err: { name?: string }) => {
        if (err.name !== 'ConditionalCheckFailedException') throw err;
      });
  }
}
