/**
 * local/warm-up.ts: warms every function before local mode's banner and is harmless: it loads
 * every handler, gives only stream/queue consumers an (empty) batch, calls the API with GETs only,
 * and never fails the start.
 */
import type { LocalTopology } from '../../local/types.js';
import { warmUpLocalOms } from '../../local/warm-up.js';

function topology(): LocalTopology {
  return {
    tables: [],
    functions: [],
    eventSourceMappings: [
      { functionLogicalId: 'Projector' },
      { functionLogicalId: 'Projector' },
      { functionLogicalId: 'QueueConsumer' },
    ],
    queues: [],
    eventBuses: [],
    rules: [],
    stateMachines: [],
    httpApis: [],
    webSocketApis: [
      {
        logicalId: 'StreamApi',
        routeSelectionExpression: '$request.body.action',
        routes: [
          { routeKey: '$disconnect', functionLogicalId: 'StreamSession' },
          { routeKey: 'listen', functionLogicalId: 'StreamSession' },
        ],
        stages: ['live'],
      },
    ],
  } as unknown as LocalTopology;
}

/** A runtime that records what the warm-up asks of it. */
function recordingRuntime() {
  const invoked: [string, unknown][] = [];
  let warmUps = 0;
  const runtime = {
    warmUp: async () => {
      warmUps += 1;
    },
    invoke: async (ref: string, event: unknown) => {
      invoked.push([ref, event]);
      return {};
    },
  };
  return { runtime, invoked, warmed: () => warmUps };
}

describe('warm-up before the banner', () => {
  it('loads every handler, gives consumers one empty batch each, and only reads through the API', async () => {
    const { runtime, invoked, warmed } = recordingRuntime();
    const requests: string[] = [];
    await warmUpLocalOms({
      runtime,
      topology: topology(),
      httpApi: {
        handle: async (req) => {
          requests.push(req.method);
          return { statusCode: 200 };
        },
      },
      dynamoDbEndpoint: 'http://127.0.0.1:9',
      apiKeyId: 'k',
      apiSecretKey: 's',
    });
    expect(warmed()).toBe(1);
    expect(invoked.sort()).toEqual([
      ['Projector', { Records: [] }],
      ['QueueConsumer', { Records: [] }],
      // A WebSocket API gets only a $disconnect of a connection that never existed (a read, no write).
      [
        'StreamSession',
        {
          requestContext: { routeKey: '$disconnect', connectionId: 'local-warm-up', eventType: 'DISCONNECT' },
        },
      ],
    ]);
    expect(requests.length).toBeGreaterThan(0);
    expect(new Set(requests)).toEqual(new Set(['GET']));
  });

  // A test's own local mode (test/e2e/harness.ts startTradingDayOms): warming every function cost
  // about 45 s of CPU on 2 cores against 12 s for the order's path alone.
  it('everyFunction false: only the warm-up order, no worker started for its own sake', async () => {
    const { runtime, invoked, warmed } = recordingRuntime();
    const requests: string[] = [];
    await warmUpLocalOms({
      runtime,
      topology: topology(),
      httpApi: {
        handle: async (req) => {
          requests.push(`${req.method} ${req.path}`);
          return req.method === 'POST'
            ? { statusCode: 200, body: JSON.stringify({ id: 'o-1' }) }
            : { statusCode: 200, body: JSON.stringify({ status: 'filled' }) };
        },
      },
      dynamoDbEndpoint: 'http://127.0.0.1:9',
      apiKeyId: 'k',
      apiSecretKey: 's',
      order: { secret: 'w', symbol: 'AAPL' },
      everyFunction: false,
    });
    expect(warmed()).toBe(0);
    expect(invoked).toEqual([]);
    expect(requests).toEqual(['POST /v2/orders', 'GET /v2/orders/o-1']);
  });

  it('never fails the start: every step failing leaves local mode cold, not down', async () => {
    await expect(
      warmUpLocalOms({
        runtime: {
          warmUp: async () => {
            throw new Error('worker init failed');
          },
          invoke: async () => {
            throw new Error('invoke failed');
          },
        },
        topology: topology(),
        httpApi: {
          handle: async () => {
            throw new Error('api down');
          },
        },
        dynamoDbEndpoint: 'http://127.0.0.1:9',
        apiKeyId: 'k',
        apiSecretKey: 's',
      }),
    ).resolves.toBeUndefined();
  });
});
