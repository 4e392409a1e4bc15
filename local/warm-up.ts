/**
 * Warms local mode before it reports itself started, so the first orders after the banner do not
 * pay for cold workers (module loading, SDK clients, DynamoDB Local's JIT). Everything here is
 * harmless: it writes nothing and places no order.
 *  1. Every function's first worker loads its handler, all in parallel.
 *  2. Every stream/queue consumer gets an empty batch (`{"Records": []}`), a genuine no-op.
 *  3. Read-only API calls go through the HTTP API and its authorizer: an order list with the demo
 *     keys, an order that does not exist, and a request with a wrong key (denied).
 *  4. Every table answers one read (DynamoDB Local compiles its request paths on first use).
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

export interface WarmUpDeps {
  readonly runtime: Runtime;
  readonly topology: LocalTopology;
  readonly httpApi: Api;
  readonly dynamoDbEndpoint: string;
  readonly apiKeyId: string;
  readonly apiSecretKey: string;
}

/** Resolves when local mode is warm; never rejects (a failed warm-up only leaves things cold). */
export async function warmUpLocalOms(deps: WarmUpDeps): Promise<void> {
  const quietly = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      () => undefined,
    );
  await quietly(deps.runtime.warmUp());
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
  try {
    await Promise.all([
      ...[...consumers].map((id) => quietly(deps.runtime.invoke(id, { Records: [] }))),
      quietly(get('/v2/orders', 'status=all&limit=1', deps.apiKeyId, deps.apiSecretKey)),
      quietly(get('/v2/orders/00000000-0000-4000-8000-000000000000', '', deps.apiKeyId, deps.apiSecretKey)),
      quietly(get('/v2/orders', '', 'WARMUPNOSUCHKEY', 'warm-up')),
      ...deps.topology.tables.map((t) =>
        quietly(ddb.send(new ScanCommand({ TableName: t.tableName, Limit: 1 }))),
      ),
    ]);
  } finally {
    ddb.destroy();
  }
}
