/**
 * Warms local mode before it reports itself started, so the first orders after the banner do not
 * pay for cold workers (module loading, SDK clients, DynamoDB Local's JIT). Everything here is
 * harmless: it writes nothing and places no order.
 *  1. Every function's first worker loads its handler, all in parallel.
 *  2. Every stream/queue consumer gets an empty batch (`{"Records": []}`), a genuine no-op; a
 *     WebSocket API's `$disconnect` function a disconnect of a connection that never existed.
 *  3. Read-only API calls go through the HTTP API and its authorizer: an order list with the demo
 *     keys, an order that does not exist, and a request with a wrong key (denied).
 *  4. Every table answers one read (DynamoDB Local compiles its request paths on first use).
 *  5. One market order of 1 share goes the whole way (API, risk, workflow, venue, reports, stream
 *     consumers) on a warm-up account of its own (`WARM_UP_ACCOUNT_ID`, its own key): each step's
 *     code has run once, so the first order after the banner fills within seconds. The demo
 *     account never sees it (its lists, its limits); the bus log (`/local/events`) does.
 */
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS } from './dynamodb-local.js';
import type { LocalTopology } from './types.js';
import { LOCAL_REGION } from './types.js';

interface Runtime {
  warmUp(): Promise<void>;
  invoke(functionRef: string, event: unknown): Promise<unknown>;
}

interface Api {
  handle(request: {
    method: string;
    path: string;
    rawQueryString: string;
    headers: Record<string, string>;
    body: Buffer;
  }): Promise<{ statusCode: number }>;
}

/** The account the warm-up order is placed on (never the demo account). */
export const WARM_UP_ACCOUNT_ID = 'local-warm-up';
export const WARM_UP_KEY_ID = 'LOCALWARMUPKEY0000001';
/** How long the warm-up order may take before local mode starts anyway (it only stays cold). */
const WARM_UP_ORDER_MS = 180_000;

export interface WarmUpOrder {
  /** The warm-up key's secret (its key item and account are seeded by the caller). */
  readonly secret: string;
  /** A quoted symbol to buy 1 share of. */
  readonly symbol: string;
}

export interface WarmUpDeps {
  readonly runtime: Runtime;
  readonly topology: LocalTopology;
  readonly httpApi: Api;
  readonly dynamoDbEndpoint: string;
  readonly apiKeyId: string;
  readonly apiSecretKey: string;
  /** Step 5; absent: no warm-up order. */
  readonly order?: WarmUpOrder;
  /**
   * Steps 1-3 (every function's worker, the empty batches, the read-only API calls); default true.
   * False: only the workers the warm-up order's path starts (about a fifth of local mode's 40 s of
   * CPU for a full warm-up on 2 cores): for a test's own local mode, whose other functions start
   * on first use, cold but within their init timeout.
   */
  readonly everyFunction?: boolean;
}

/** Resolves when local mode is warm; never rejects (a failed warm-up only leaves things cold). */
export async function warmUpLocalOms(deps: WarmUpDeps): Promise<void> {
  const quietly = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      () => undefined,
    );
  const everyFunction = deps.everyFunction ?? true;
  if (everyFunction) await quietly(deps.runtime.warmUp());
  const consumers = new Set(deps.topology.eventSourceMappings.map((m) => m.functionLogicalId));
  const ddb = new DynamoDBClient({
    endpoint: deps.dynamoDbEndpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  const get = (path: string, rawQueryString: string, key: string, secret: string) =>
    deps.httpApi.handle({
      method: 'GET',
      path,
      rawQueryString,
      headers: { host: 'localhost', 'apca-api-key-id': key, 'apca-api-secret-key': secret },
      body: Buffer.alloc(0),
    });
  // Steps 2 and 3 (step 1 above): each consumer's and API function's worker, read-only.
  const startEveryFunction = (): Promise<void>[] => [
    ...[...consumers].map((id) => quietly(deps.runtime.invoke(id, { Records: [] }))),
    // A WebSocket API's $disconnect of a connection that never was: one read, nothing written.
    ...deps.topology.webSocketApis.flatMap((api) =>
      api.routes
        .filter((r) => r.routeKey === '$disconnect')
        .map((r) =>
          quietly(
            deps.runtime.invoke(r.functionLogicalId, {
              requestContext: {
                routeKey: '$disconnect',
                connectionId: 'local-warm-up',
                eventType: 'DISCONNECT',
              },
            }),
          ),
        ),
    ),
    quietly(get('/v2/orders', 'status=all&limit=1', deps.apiKeyId, deps.apiSecretKey)),
    quietly(get('/v2/orders/00000000-0000-4000-8000-000000000000', '', deps.apiKeyId, deps.apiSecretKey)),
    quietly(get('/v2/orders', '', 'WARMUPNOSUCHKEY', 'warm-up')),
  ];
  try {
    await Promise.all([
      ...(everyFunction ? startEveryFunction() : []),
      ...deps.topology.tables.map((t) =>
        quietly(ddb.send(new ScanCommand({ TableName: t.tableName, Limit: 1 }))),
      ),
    ]);
  } finally {
    ddb.destroy();
  }
  if (deps.order !== undefined) await quietly(warmUpOrder(deps.httpApi, deps.order));
}

/** Step 5: a market order of 1 share on the warm-up account, until it is filled (or the time is up). */
async function warmUpOrder(api: Api, order: WarmUpOrder): Promise<void> {
  const headers = {
    host: 'localhost',
    'content-type': 'application/json',
    'apca-api-key-id': WARM_UP_KEY_ID,
    'apca-api-secret-key': order.secret,
  };
  const call = (method: string, path: string, body = '') =>
    api.handle({ method, path, rawQueryString: '', headers, body: Buffer.from(body) }) as Promise<{
      statusCode: number;
      body?: Buffer | string;
    }>;
  const placed = await call(
    'POST',
    '/v2/orders',
    JSON.stringify({ symbol: order.symbol, qty: '1', side: 'buy', type: 'market', time_in_force: 'day' }),
  );
  if (placed.statusCode !== 200) return;
  const id = (JSON.parse(String(placed.body)) as { id: string }).id;
  const until = Date.now() + WARM_UP_ORDER_MS;
  while (Date.now() < until) {
    const got = await call('GET', `/v2/orders/${id}`);
    const status = got.statusCode === 200 ? (JSON.parse(String(got.body)) as { status: string }).status : '';
    if (['filled', 'canceled', 'rejected', 'expired'].includes(status)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}
