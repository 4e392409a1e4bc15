/**
 * The API Gateway WebSocket stand-in (local/websocket-api.ts) with a recording invoker, real `ws`
 * clients and the real `@aws-sdk/client-apigatewaymanagementapi` client against the management
 * API: route selection on `$request.body.action`, `$connect` refusal, `$disconnect` on every kind
 * of close, GoneException after a close, frames in POST order, and connections handled apart.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ApiGatewayManagementApiClient,
  DeleteConnectionCommand,
  GetConnectionCommand,
  PostToConnectionCommand,
} from '@aws-sdk/client-apigatewaymanagementapi';
import WebSocket from 'ws';
import { type AwsEndpoint, startAwsEndpoint } from '../../local/aws-endpoint.js';
import type { InvokeResult, Invoker, WebSocketApiSpec } from '../../local/types.js';
import { LocalWebSocketApi, localCallbackEnv } from '../../local/websocket-api.js';

const SPEC: WebSocketApiSpec = {
  logicalId: 'StreamApi',
  routeSelectionExpression: '$request.body.action',
  routes: ['$connect', '$disconnect', '$default', 'authenticate', 'listen'].map((routeKey) => ({
    routeKey,
    functionLogicalId: 'Session',
  })),
  stages: ['live'],
};

interface Call {
  readonly routeKey: string;
  readonly connectionId: string;
  readonly body?: string;
  readonly isBase64Encoded?: boolean;
  readonly query?: Record<string, string>;
}

let calls: Call[];
let behaviour: (call: Call) => Promise<InvokeResult>;
const invoker: Invoker = {
  async invoke(_fn, event) {
    const e = event as {
      requestContext: { routeKey: string; connectionId: string };
      body?: string;
      isBase64Encoded?: boolean;
      queryStringParameters?: Record<string, string>;
    };
    const call: Call = {
      routeKey: e.requestContext.routeKey,
      connectionId: e.requestContext.connectionId,
      ...(e.body === undefined ? {} : { body: e.body, isBase64Encoded: e.isBase64Encoded }),
      ...(e.queryStringParameters === undefined ? {} : { query: e.queryStringParameters }),
    };
    calls.push(call);
    return behaviour(call);
  },
};

let api: LocalWebSocketApi;
let server: Server;
let aws: AwsEndpoint;
let url: string;
let management: ApiGatewayManagementApiClient;

beforeEach(async () => {
  calls = [];
  behaviour = async () => ({ ok: true, payload: { statusCode: 200 } });
  api = new LocalWebSocketApi(SPEC, invoker, { idleTimeoutMs: 60_000 });
  server = createServer((_req, res) => res.end());
  server.on('upgrade', (req, socket, head) => void api.handleUpgrade(req, socket, head));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/stream`;
  aws = await startAwsEndpoint({
    stepFunctions: { handle: async () => ({}) },
    eventBridge: { handle: async () => ({}) },
    connections: (method, path, body) => {
      const id = decodeURIComponent(/@connections\/([^/?]+)/.exec(path)?.[1] ?? '');
      return api.manage(method, id, body);
    },
  });
  management = new ApiGatewayManagementApiClient({
    endpoint: `${aws.url}/ws/StreamApi/live`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterEach(async () => {
  management.destroy();
  await api.close();
  await aws.close();
  await new Promise<void>((r) => server.close(() => r()));
});

const until = async (check: () => boolean, what: string, ms = 10_000) => {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};

async function connect(path = ''): Promise<{ ws: WebSocket; frames: string[]; id: string }> {
  const ws = new WebSocket(`${url}${path}`);
  const frames: string[] = [];
  ws.on('message', (data, isBinary) => frames.push(isBinary ? `binary:${String(data)}` : String(data)));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  const id = calls.filter((c) => c.routeKey === '$connect').at(-1)?.connectionId as string;
  return { ws, frames, id };
}

// biome-ignore format: one message per row
const ROUTING: readonly [string, string | Buffer, string | null][] = [
  ['authenticate by its action', JSON.stringify({ action: 'authenticate', data: {} }), 'authenticate'],
  ['listen by its action', JSON.stringify({ action: 'listen' }), 'listen'],
  ['an unknown action to $default', JSON.stringify({ action: 'subscribe' }), '$default'],
  ['an action naming a $ route to $default', JSON.stringify({ action: '$connect' }), '$default'],
  ['no action to $default', JSON.stringify({ hello: 1 }), '$default'],
  ['not JSON to $default', 'hello', '$default'],
  ['a JSON array to $default', '[1]', '$default'],
  ['a binary frame with a JSON action still routes', Buffer.from(JSON.stringify({ action: 'listen' })), 'listen'],
];

test.each(ROUTING)('%s', async (_name, message, route) => {
  const client = await connect();
  client.ws.send(message);
  await until(() => calls.some((c) => c.routeKey === route), `a ${route} invocation`);
  const call = calls.find((c) => c.routeKey === route) as Call;
  expect(call.connectionId).toBe(client.id);
  if (Buffer.isBuffer(message)) {
    expect(call.isBase64Encoded).toBe(true);
    expect(Buffer.from(call.body as string, 'base64').equals(message)).toBe(true);
  } else expect(call).toMatchObject({ body: message, isBase64Encoded: false });
  client.ws.close();
});

test('the idle timeout: a client that only pings stays connected; a silent one is closed (1001 Going away)', async () => {
  const idle = new LocalWebSocketApi(SPEC, invoker, { idleTimeoutMs: 2_000 });
  server.removeAllListeners('upgrade');
  server.on('upgrade', (req, socket, head) => void idle.handleUpgrade(req, socket, head));
  const pinging = await connect();
  const silent = await connect();
  let silentClose: number | null = null;
  silent.ws.on('close', (code) => {
    silentClose = code;
  });
  const pings = setInterval(() => pinging.ws.ping(), 100);
  try {
    await until(() => silentClose !== null, 'the silent client closed', 20_000);
    expect(silentClose).toBe(1001);
    // Pinged for longer than the timeout since: still open.
    const since = Date.now();
    await until(() => Date.now() - since > 3_000, '3 s');
    expect(pinging.ws.readyState).toBe(WebSocket.OPEN);
  } finally {
    clearInterval(pings);
    pinging.ws.close();
    await idle.close();
  }
});

test("without a $default route, an unroutable message gets API Gateway's Forbidden frame", async () => {
  const noDefault = new LocalWebSocketApi(
    { ...SPEC, routes: SPEC.routes.filter((r) => r.routeKey !== '$default') },
    invoker,
  );
  server.removeAllListeners('upgrade');
  server.on('upgrade', (req, socket, head) => void noDefault.handleUpgrade(req, socket, head));
  const client = await connect();
  client.ws.send('{"action":"nope"}');
  await until(() => client.frames.length > 0, 'a frame');
  expect(JSON.parse(client.frames[0] as string)).toEqual({
    message: 'Forbidden',
    connectionId: expect.any(String),
    requestId: expect.any(String),
  });
  await noDefault.close();
});

test("a failing invocation sends API Gateway's Internal server error frame; the connection stays", async () => {
  behaviour = async (c) =>
    c.routeKey === 'listen'
      ? { ok: false, errorType: 'Error', errorMessage: 'boom' }
      : { ok: true, payload: {} };
  const client = await connect();
  client.ws.send('{"action":"listen"}');
  await until(() => client.frames.length > 0, 'a frame');
  expect(JSON.parse(client.frames[0] as string)).toMatchObject({
    message: 'Internal server error',
    connectionId: client.id,
  });
  expect(client.ws.readyState).toBe(WebSocket.OPEN);
});

test('$connect gets the query string; a non-2xx $connect refuses the handshake with its status', async () => {
  const ok = await connect('?since=3');
  expect(calls.find((c) => c.routeKey === '$connect')?.query).toEqual({ since: '3' });
  ok.ws.close();
  behaviour = async (c) => ({ ok: true, payload: { statusCode: c.routeKey === '$connect' ? 403 : 200 } });
  const refused = new WebSocket(url);
  const status = await new Promise<number>((resolve) =>
    refused.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
  );
  expect(status).toBe(403);
});

test('frames posted through the management API arrive as text frames, in the order posted; GET describes the connection', async () => {
  const client = await connect();
  for (let i = 0; i < 50; i++)
    await management.send(
      new PostToConnectionCommand({ ConnectionId: client.id, Data: Buffer.from(`{"n":${i}}`) }),
    );
  await until(() => client.frames.length === 50, '50 frames');
  expect(client.frames).toEqual(Array.from({ length: 50 }, (_, i) => `{"n":${i}}`));
  const info = await management.send(new GetConnectionCommand({ ConnectionId: client.id }));
  expect(info.ConnectedAt).toBeInstanceOf(Date);
  expect(info.Identity?.SourceIp).toBe('127.0.0.1');
});

// biome-ignore format: one way to close per row
const CLOSES: readonly [string, (c: { ws: WebSocket; id: string }) => Promise<unknown>][] = [
  ['the client closes', async (c) => c.ws.close()],
  ['the client drops the TCP connection', async (c) => c.ws.terminate()],
  ['the server deletes the connection', (c) => management.send(new DeleteConnectionCommand({ ConnectionId: c.id }))],
  ['local mode stops', () => api.close()],
];

test.each(CLOSES)('%s: $disconnect once, then posting is GoneException', async (_name, close) => {
  const client = await connect();
  await close(client);
  await until(() => calls.some((c) => c.routeKey === '$disconnect'), '$disconnect');
  await new Promise((r) => setTimeout(r, 50));
  expect(calls.filter((c) => c.routeKey === '$disconnect' && c.connectionId === client.id)).toHaveLength(1);
  await expect(
    management.send(new PostToConnectionCommand({ ConnectionId: client.id, Data: Buffer.from('x') })),
  ).rejects.toMatchObject({ name: 'GoneException' });
});

test('drop ends the named connections as a network failure would; hold refuses new ones with 503 until released', async () => {
  const a = await connect();
  const b = await connect();
  expect(api.connectionIds().sort()).toEqual([a.id, b.id].sort());
  const closes: number[] = [];
  a.ws.on('close', (code) => closes.push(code));
  api.hold(true);
  expect(api.drop([a.id, 'no-such-connection'])).toBe(1);
  await until(() => closes.length === 1, 'the dropped client closed');
  // No close frame: the client sees an abnormal closure (1006); $disconnect still runs, once.
  expect(closes).toEqual([1006]);
  await until(
    () => calls.some((c) => c.routeKey === '$disconnect' && c.connectionId === a.id),
    '$disconnect',
  );
  expect(api.connectionIds()).toEqual([b.id]);
  expect(api.holding).toBe(true);
  const refused = new WebSocket(url);
  const status = await new Promise<number>((resolve) =>
    refused.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0)),
  );
  expect(status).toBe(503);
  api.hold(false);
  const again = await connect();
  expect(api.drop()).toBe(2);
  await until(() => api.connectionIds().length === 0, 'every connection dropped');
  await until(() => calls.filter((c) => c.routeKey === '$disconnect').length === 3, 'three $disconnects');
  expect(
    calls
      .filter((c) => c.routeKey === '$disconnect')
      .map((c) => c.connectionId)
      .sort(),
  ).toEqual([a.id, b.id, again.id].sort());
});

test("one connection's messages run one at a time, in order; another connection is not held up", async () => {
  let release: () => void = () => undefined;
  const gate = new Promise<void>((r) => {
    release = r;
  });
  behaviour = async (c) => {
    if (c.body === '{"action":"listen","n":1}') await gate;
    return { ok: true, payload: {} };
  };
  const slow = await connect();
  const fast = await connect();
  slow.ws.send('{"action":"listen","n":1}');
  slow.ws.send('{"action":"listen","n":2}');
  fast.ws.send('{"action":"listen","n":3}');
  await until(() => calls.some((c) => c.body?.includes('"n":3') === true), "the other connection's message");
  expect(calls.some((c) => c.body?.includes('"n":2') === true)).toBe(false);
  release();
  await until(() => calls.some((c) => c.body?.includes('"n":2') === true), 'the second message');
  const order = calls.filter((c) => c.connectionId === slow.id && c.body !== undefined).map((c) => c.body);
  expect(order).toEqual(['{"action":"listen","n":1}', '{"action":"listen","n":2}']);
});

test('a message over 128 KB closes the connection with 1009', async () => {
  const client = await connect();
  const code = new Promise<number>((resolve) => client.ws.on('close', (c) => resolve(c)));
  client.ws.send('x'.repeat(128 * 1024 + 1));
  expect(await code).toBe(1009);
});

test("a stage callback URL in a function's environment resolves to the local management endpoint", () => {
  expect(
    localCallbackEnv(
      {
        TRADE_STREAM_CALLBACK_URL: 'https://StreamApi.execute-api.us-east-1.amazonaws.com/live',
        OTHER: 'https://example.com/live',
        UNKNOWN_API: 'https://Nope.execute-api.us-east-1.amazonaws.com/live',
      },
      [SPEC],
      (apiId, stage) => `http://127.0.0.1:1/ws/${apiId}/${stage}`,
    ),
  ).toEqual({ TRADE_STREAM_CALLBACK_URL: 'http://127.0.0.1:1/ws/StreamApi/live' });
});
