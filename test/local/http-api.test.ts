import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import fc from 'fast-check';
import { handler as authorizer } from '../../lambdas/order-api/authorizer';
import { handler as queryOrders } from '../../lambdas/order-api/query-orders';
import { ORDER_ROUTES } from '../../lib/order-api';
import {
  API_SERVER_TIMEOUTS,
  createApiServer,
  GATEWAY_ERRORS,
  isTextContentType,
  LocalHttpApi,
  type LocalHttpApiOptions,
  type LocalHttpRequest,
  MAX_REQUEST_BODY_BYTES,
  matchRoute,
  parseQueryString,
  readRequestBody,
  requestPath,
  requestQuery,
  requestTime,
} from '../../local/http-api';
import { readTopology } from '../../local/topology';
import type { FunctionSpec, HttpApiSpec, InvokeResult, Invoker, RouteSpec } from '../../local/types';
import { LOCAL_ACCOUNT_ID } from '../../local/types';
import { omsTemplate } from '../infra/synthesized.js';

/** The real handlers the last test runs in process, by their template entry. */
const REAL_HANDLERS: Record<string, (event: never, context: never) => Promise<unknown>> = {
  'lambdas/order-api/authorizer.ts': authorizer,
  'lambdas/order-api/query-orders.ts': queryOrders,
};

// ---------------------------------------------------------------------------------------------
// Fixtures

const AUTH = 'AuthFn';
const route = (routeKey: string, functionLogicalId = 'Fn', auth: string | null = null): RouteSpec => ({
  routeKey,
  functionLogicalId,
  authorizerFunctionLogicalId: auth,
});

/** The project's route table (lib/order-api.ts), each route its own function so the match is visible. */
const PROJECT_ROUTES: RouteSpec[] = ORDER_ROUTES.map((r) =>
  route(`${r.method} ${r.path}`, `${r.method} ${r.path}`),
);

type Script = (event: Record<string, unknown>) => InvokeResult | Promise<InvokeResult>;

class FakeInvoker implements Invoker {
  readonly calls: { ref: string; event: Record<string, unknown> }[] = [];
  constructor(private readonly scripts: Record<string, Script>) {}
  async invoke(ref: string, event: unknown): Promise<InvokeResult> {
    const e = JSON.parse(JSON.stringify(event)) as Record<string, unknown>;
    this.calls.push({ ref, event: e });
    const script = this.scripts[ref];
    if (script === undefined) return { ok: false, errorType: 'ResourceNotFoundException', errorMessage: ref };
    return script(e);
  }
  callsTo(ref: string) {
    return this.calls.filter((c) => c.ref === ref);
  }
}

const ok = (payload: unknown): InvokeResult => ({ ok: true, payload });
const echo: Script = () => ok({ statusCode: 200, body: 'ok' });

const request = (over: Partial<LocalHttpRequest> = {}): LocalHttpRequest => ({
  method: 'GET',
  path: '/v2/orders',
  rawQueryString: '',
  headers: { host: 'localhost:3000' },
  body: Buffer.alloc(0),
  ...over,
});

const api = (routes: RouteSpec[], authorizer: HttpApiSpec['authorizer'] = null): HttpApiSpec => ({
  logicalId: 'Api',
  routes,
  authorizer,
});

const jsonOf = (body: Buffer) => JSON.parse(body.toString('utf8')) as unknown;

function setup(
  routes: RouteSpec[],
  scripts: Record<string, Script>,
  authorizer: HttpApiSpec['authorizer'] = null,
  options: LocalHttpApiOptions = {},
) {
  const invoker = new FakeInvoker(scripts);
  return { invoker, http: new LocalHttpApi(api(routes, authorizer), invoker, options) };
}

// ---------------------------------------------------------------------------------------------
// Routing

describe('route matching', () => {
  const project: [string, string, string | null, Record<string, string>][] = [
    ['GET', '/v2/orders', 'GET /v2/orders', {}],
    ['POST', '/v2/orders', 'POST /v2/orders', {}],
    ['DELETE', '/v2/orders', 'DELETE /v2/orders', {}],
    ['GET', '/v2/orders:by_client_order_id', 'GET /v2/orders:by_client_order_id', {}],
    ['GET', '/v2/orders/abc', 'GET /v2/orders/{order_id}', { order_id: 'abc' }],
    ['GET', '/v2/orders/a%20b%2Fc%3A', 'GET /v2/orders/{order_id}', { order_id: 'a b/c:' }],
    ['GET', '/v2/orders/abc/events', 'GET /v2/orders/{order_id}/events', { order_id: 'abc' }],
    ['PATCH', '/v2/orders/abc', 'PATCH /v2/orders/{order_id}', { order_id: 'abc' }],
    ['DELETE', '/v2/orders/abc', 'DELETE /v2/orders/{order_id}', { order_id: 'abc' }],
    ['get', '/v2/orders', 'GET /v2/orders', {}],
    // a trailing slash is another path; a variable never matches an empty segment
    ['GET', '/v2/orders/', null, {}],
    ['GET', '/v2/orders/abc/', null, {}],
    ['GET', '/v2/orders//events', null, {}],
    ['GET', '/v2/orders:by_client_order_id/', null, {}],
    // paths are case-sensitive; unknown methods do not match
    ['GET', '/V2/orders', null, {}],
    ['PUT', '/v2/orders', null, {}],
    ['PATCH', '/v2/orders', null, {}],
    ['POST', '/v2/orders:by_client_order_id', null, {}],
    // HEAD / OPTIONS: no CORS configuration, no HEAD-to-GET mapping
    ['HEAD', '/v2/orders', null, {}],
    ['OPTIONS', '/v2/orders', null, {}],
    ['GET', '/v2/orders/abc/events/x', null, {}],
    ['GET', '/', null, {}],
  ];
  test.each(project)('project routes: %s %s -> %s', (method, path, expected, params) => {
    const m = matchRoute(PROJECT_ROUTES, method, path);
    expect(m?.route.routeKey ?? null).toBe(expected);
    if (m) expect(m.pathParameters).toEqual(params);
  });

  const PRIORITY = [
    '$default',
    'ANY /{proxy+}',
    'GET /pets/{proxy+}',
    'GET /pets/dog/{id}',
    'GET /pets/dog/1',
    'ANY /pets/cat',
    'GET /pets/cat',
    'GET /{x}/b/c',
    'GET /a/{p+}',
    'GET /a/{y}/c',
    'OPTIONS /pets',
  ].map((k) => route(k, k));
  const priority: [string, string, string, Record<string, string>][] = [
    ['GET', '/pets/dog/1', 'GET /pets/dog/1', {}],
    ['GET', '/pets/dog/2', 'GET /pets/dog/{id}', { id: '2' }],
    ['GET', '/pets/dog/2/x', 'GET /pets/{proxy+}', { proxy: 'dog/2/x' }],
    ['GET', '/pets/a%2Fb/c', 'GET /pets/{proxy+}', { proxy: 'a/b/c' }],
    ['POST', '/pets/dog/1', 'ANY /{proxy+}', { proxy: 'pets/dog/1' }],
    ['GET', '/pets/cat', 'GET /pets/cat', {}],
    ['POST', '/pets/cat', 'ANY /pets/cat', {}],
    ['GET', '/pets', 'ANY /{proxy+}', { proxy: 'pets' }],
    ['OPTIONS', '/pets', 'OPTIONS /pets', {}],
    ['HEAD', '/pets', 'ANY /{proxy+}', { proxy: 'pets' }],
    ['GET', '/', '$default', {}],
    // variables beat a greedy variable; within a tier the leftmost literal wins
    ['GET', '/a/b/c', 'GET /a/{y}/c', { y: 'b' }],
    ['GET', '/z/b/c', 'GET /{x}/b/c', { x: 'z' }],
    ['GET', '/a/b/d', 'GET /a/{p+}', { p: 'b/d' }],
  ];
  test.each(priority)('most specific wins: %s %s -> %s', (method, path, expected, params) => {
    const m = matchRoute(PRIORITY, method, path);
    expect(m?.route.routeKey).toBe(expected);
    expect(m?.pathParameters).toEqual(params);
  });

  test('the declaration order of routes does not change the match', () => {
    const cases = [...priority, ...project.filter((c) => c[2] !== null)];
    const all = [
      ...PRIORITY,
      ...PROJECT_ROUTES.filter((r) => !PRIORITY.some((p) => p.routeKey === r.routeKey)),
    ];
    fc.assert(
      fc.property(fc.shuffledSubarray(all, { minLength: all.length }), (shuffled) => {
        for (const [method, path] of cases) {
          expect(matchRoute(shuffled, method, path)?.route.routeKey).toBe(
            matchRoute(all, method, path)?.route.routeKey,
          );
        }
      }),
      { numRuns: 50 },
    );
  });

  test('a greedy variable that is not last is refused', () => {
    expect(() => matchRoute([route('GET /{p+}/x')], 'GET', '/a/x')).toThrow(/greedy/);
  });

  test('no match is 404 {"message":"Not Found"} and invokes nothing', async () => {
    const { http, invoker } = setup(
      PROJECT_ROUTES.map((r) => ({ ...r, authorizerFunctionLogicalId: AUTH })),
      { [AUTH]: () => ok({ isAuthorized: true }) },
    );
    for (const [method, path] of [
      ['GET', '/v2/orders/'],
      ['HEAD', '/v2/orders'],
      ['OPTIONS', '/v2/orders'],
      ['GET', '/v2/corporate_actions/announcements'],
    ] as const) {
      const res = await http.handle(request({ method, path }));
      expect(res.statusCode).toBe(404);
      expect(res.headers['content-type']).toBe('application/json');
      expect(jsonOf(res.body)).toEqual({ message: 'Not Found' });
    }
    expect(invoker.calls).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Event shape

describe('the request target as sent (requestPath, requestQuery)', () => {
  // API Gateway routes the path the client sent. WHATWG URL parsing resolved dot segments, encoded
  // ones too: a probe's PUT /v1/accounts/%2e%2e/trading-state reached PUT /v1/trading-state and
  // halted the firm (test/e2e/kill-switch.test.ts runs it against local mode).
  // biome-ignore format: a table
  test.each([
    ['/v2/orders?status=all', '/v2/orders', 'status=all'],
    ['/v1/accounts/%2e%2e/trading-state', '/v1/accounts/%2e%2e/trading-state', ''],
    ['/v1/accounts/../trading-state', '/v1/accounts/../trading-state', ''],
    ['/v2/orders/./x?a=1&b=%2F#frag', '/v2/orders/./x', 'a=1&b=%2F'],
    ['http://127.0.0.1:3000/v2/orders/../account?x=1', '/v2/orders/../account', 'x=1'],
    ['*', '/*', ''],
    ['', '/', ''],
  ])('%s -> path %s, query %s', (target, path, query) => {
    expect([requestPath(target), requestQuery(target)]).toEqual([path, query]);
  });

  test('a dot segment is a path segment like any other: no route of the OMS matches it as another route', () => {
    const m = matchRoute(PROJECT_ROUTES, 'PUT', requestPath('/v1/accounts/%2e%2e/trading-state'));
    expect([m?.route.routeKey, m?.pathParameters]).toEqual([
      'PUT /v1/accounts/{account_id}/trading-state',
      { account_id: '..' },
    ]);
  });
});

/** `server` listening on a free local port: its port, and a close that ends its connections too. */
async function listening(server: Server): Promise<{ port: number; close: () => Promise<unknown> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(r));
    },
  };
}

/**
 * Sends `request` (raw bytes, or written by a function) on a new connection and resolves with all
 * the server sent once the connection closes, or once `enough` of it came (the client then ends it).
 */
function exchange(
  port: number,
  request: string | ((socket: Socket) => void),
  enough: (seen: string) => boolean = () => false,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let seen = '';
    socket.on('data', (d: Buffer) => {
      seen += d.toString();
      if (enough(seen)) {
        resolve(seen);
        socket.end();
      }
    });
    socket.on('close', () => resolve(seen));
    socket.on('error', reject);
    if (typeof request === 'string') socket.write(request);
    else request(socket);
  });
}

describe('the local API server (createApiServer)', () => {
  test("defaults: idle connections outlive the clients' (60 s+), a stalled request is answered within 30 s", () => {
    const t = API_SERVER_TIMEOUTS;
    expect(t.keepAliveMs).toBeGreaterThanOrEqual(60_000);
    // A probe's body shorter than its Content-Length was answered 408 after 314 s (Node's defaults).
    expect(t.requestMs + t.checkEveryMs).toBeLessThanOrEqual(30_000);
  });

  test('a body shorter than its Content-Length is answered 408; an idle keep-alive connection still serves the next request', async () => {
    const server = createApiServer(
      (req, res) => {
        req.resume();
        req.on('end', () => res.end('ok'));
      },
      { keepAliveMs: 10_000, requestMs: 600, checkEveryMs: 100 },
    );
    const { port, close } = await listening(server);
    const open = () => {
      const socket = connect(port, '127.0.0.1');
      const seen = { text: '' };
      socket.on('data', (d: Buffer) => {
        seen.text += d.toString();
      });
      return { socket, seen };
    };
    const until = async (ok: () => boolean) => {
      for (let waited = 0; !ok(); waited += 20) {
        if (waited > 20_000) throw new Error('timed out');
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    const stalled = open();
    const kept = open();
    try {
      stalled.socket.write(
        'POST /v2/orders HTTP/1.1\r\nhost: x\r\ncontent-length: 500\r\n\r\n{"symbol":"AAPL"',
      );
      kept.socket.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
      await until(() => stalled.seen.text.includes('HTTP/1.1 408'));
      // Idle longer than a request may take: the kept connection is not a stalled request.
      await new Promise((r) => setTimeout(r, 1_000));
      kept.socket.write('GET / HTTP/1.1\r\nhost: x\r\n\r\n');
      await until(() => (kept.seen.text.match(/HTTP\/1.1 200/g) ?? []).length === 2);
      expect(kept.socket.destroyed).toBe(false);
    } finally {
      stalled.socket.destroy();
      kept.socket.destroy();
      await close();
    }
  });
});

describe('the local API server: a request Node cannot read is answered in JSON', () => {
  // A probe: 17,000 bytes of path (431) and a lower-case method (400) were answered with no body.
  test.each<[string, number, string]>([
    ['headers over 16 KB', 431, `GET /v2/positions/${'A'.repeat(17_000)} HTTP/1.1\r\nhost: x\r\n\r\n`],
    ['a lower-case method', 400, 'delete /v2/positions/SS HTTP/1.1\r\nhost: x\r\n\r\n'],
    ['a malformed request line', 400, 'GET\r\n\r\n'],
  ])('%s: %d with {code, message}', async (_, status, request) => {
    const { port, close } = await listening(createApiServer((_req, res) => res.end('ok')));
    try {
      const text = await exchange(port, request);
      const [head = '', body = ''] = text.split('\r\n\r\n');
      expect(head.split('\r\n')[0]).toMatch(new RegExp(`^HTTP/1.1 ${status} `));
      expect(head.toLowerCase()).toContain('content-type: application/json');
      expect(JSON.parse(body)).toEqual({ code: status * 100_000, message: expect.any(String) });
    } finally {
      await close();
    }
  });
});

describe('the local API server: upgrades and CONNECT', () => {
  // A probe: `Upgrade: h2c` (curl --http2) on an API path got an empty 404 from the stream's
  // upgrade listener, and a CONNECT was closed unanswered.
  test.each<[string, string, RegExp]>([
    [
      'an Upgrade header on an API path is served as HTTP',
      'GET /v2/account HTTP/1.1\r\nhost: x\r\nconnection: Upgrade, HTTP2-Settings\r\nupgrade: h2c\r\nhttp2-settings: AAMAAABkAARAAAAAAAIAAAAA\r\n\r\n',
      /^HTTP\/1.1 200 [\s\S]*\r\n\r\nserved \/v2\/account$/,
    ],
    [
      'a websocket upgrade of the stream path goes to the upgrade listener',
      'GET /stream HTTP/1.1\r\nhost: x\r\nconnection: Upgrade\r\nupgrade: websocket\r\n\r\n',
      /^upgraded \/stream$/,
    ],
    [
      'CONNECT is answered as no route',
      'CONNECT example.com:443 HTTP/1.1\r\nhost: example.com:443\r\n\r\n',
      /^HTTP\/1.1 404 [\s\S]*content-type: application\/json[\s\S]*\r\n\r\n\{"message":"Not Found"\}$/,
    ],
  ])('%s', async (_, request, answer) => {
    const server = createApiServer(
      (req, res) => res.end(`served ${req.url}`),
      API_SERVER_TIMEOUTS,
      '/stream',
    );
    server.on('upgrade', (req, socket) => socket.end(`upgraded ${req.url}`));
    const { port, close } = await listening(server);
    try {
      const text = await exchange(
        port,
        request,
        (seen) => seen.includes('served') || seen.includes('upgraded'),
      );
      expect(text).toMatch(answer);
    } finally {
      await close();
    }
  });
});

describe('the local API server survives a client resetting an upgrade or a CONNECT', () => {
  // A probe: curl's CONNECT through local mode as a proxy reset the socket after its 404, and the
  // socket's unhandled 'error' stopped local mode; a stream client resetting while `$connect` ran
  // would have done the same. Node hands those sockets over without an error listener (and jest's
  // sandbox keeps an unhandled one from failing the test), so the test counts the listeners a
  // later listener finds, then resets the socket and checks the server still answers.
  test.each<[string, string]>([
    ['an upgrade', 'GET /stream HTTP/1.1\r\nhost: x\r\nconnection: Upgrade\r\nupgrade: websocket\r\n\r\n'],
    ['a CONNECT', 'CONNECT example.com:443 HTTP/1.1\r\nhost: example.com:443\r\n\r\n'],
  ])('%s reset by its client', async (_, request) => {
    const server = createApiServer((_req, res) => res.end('ok'), API_SERVER_TIMEOUTS, '/stream');
    const errorListeners: number[] = [];
    const closed = new Promise<void>((resolve) => {
      const seen = (_req: IncomingMessage, socket: Duplex) => {
        errorListeners.push(socket.listenerCount('error'));
        socket.once('close', () => resolve());
      };
      server.on('upgrade', seen);
      server.on('connect', seen);
    });
    const { port, close } = await listening(server);
    try {
      const socket = connect(port, '127.0.0.1');
      socket.write(request);
      while (errorListeners.length === 0) await new Promise((r) => setTimeout(r, 10));
      socket.resetAndDestroy();
      await closed;
      expect(errorListeners).toEqual([1]);
      const answer = await fetch(`http://127.0.0.1:${port}/v2/account`);
      expect(await answer.text()).toBe('ok');
    } finally {
      await close();
    }
  });
});

describe('a burst of requests: a function runs a few at a time, the others wait their turn at the gateway', () => {
  // A probe: 200 POSTs at once, all invoked at once in one worker over one DynamoDB Local, ran into
  // the function's 10 s timeout about 50 at a time and answered 500, their orders placed.
  /** A POST route whose function answers only when the test lets it (`held`, oldest first). */
  const holding = (options: LocalHttpApiOptions) => {
    const held: Array<() => void> = [];
    const fn: Script = () =>
      new Promise<InvokeResult>((resolve) => held.push(() => resolve(ok({ statusCode: 200, body: 'ok' }))));
    return { held, ...setup([route('POST /v2/orders')], { Fn: fn }, null, options) };
  };

  test('at most `integrationConcurrency` invoked at once; each next one when one is answered', async () => {
    const { held, http, invoker } = holding({ integrationConcurrency: 2, integrationTimeoutMs: 60_000 });
    const answers = [1, 2, 3, 4, 5].map(() =>
      http.handle(request({ method: 'POST', body: Buffer.from('{}') })),
    );
    const settle = () => new Promise((r) => setTimeout(r, 20));
    await settle();
    expect(invoker.calls).toHaveLength(2);
    held.shift()?.();
    await settle();
    expect(invoker.calls).toHaveLength(3);
    while (held.length > 0) {
      held.shift()?.();
      await settle();
    }
    expect((await Promise.all(answers)).map((a) => a.statusCode)).toEqual([200, 200, 200, 200, 200]);
    expect(invoker.calls).toHaveLength(5);
  });

  test('one whose turn does not come within a third of the integration timeout: 503, never invoked', async () => {
    const seen: string[] = [];
    const { held, http, invoker } = holding({
      integrationConcurrency: 1,
      integrationTimeoutMs: 300,
      onError: (e) => seen.push(e.error),
    });
    const first = http.handle(request({ method: 'POST', body: Buffer.from('{}') }));
    const second = await http.handle(request({ method: 'POST', body: Buffer.from('{}') }));
    expect(second.statusCode).toBe(503);
    expect(jsonOf(second.body)).toEqual({ message: 'Service Unavailable' });
    expect(seen).toEqual(['not invoked within a third of the integration timeout']);
    expect(invoker.calls).toHaveLength(1);
    held.shift()?.();
    expect((await first).statusCode).toBe(200);
  });
});

describe('readRequestBody: a body past the payload limit is not read', () => {
  // A probe: `Content-Length: 10000000000` was waited for (no answer within 5-6 s), and a client
  // sending that much would have had local mode hold all of it in memory before its 413.
  const serve = (limit: number, seen: Array<number | null>) =>
    listening(
      createApiServer((req, res) => {
        void readRequestBody(req, limit).then((body) => {
          seen.push(body === null ? null : body.length);
          res.writeHead(body === null ? 413 : 200, { connection: 'close' });
          res.end(() => req.destroy());
        });
      }),
    );
  test.each<[string, (socket: Socket) => void, number | null]>([
    [
      'a Content-Length past it: refused before any byte',
      (s) => s.write('POST /v2/orders HTTP/1.1\r\nhost: x\r\ncontent-length: 10000000000\r\n\r\n{'),
      null,
    ],
    [
      'a chunked body growing past it: refused once it does',
      (s) => {
        s.write('POST /v2/orders HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n');
        for (let i = 0; i < 4; i++) s.write(`40\r\n${'x'.repeat(64)}\r\n`);
      },
      null,
    ],
    [
      'a body within it: read whole',
      (s) => s.write('POST /v2/orders HTTP/1.1\r\nhost: x\r\ncontent-length: 5\r\n\r\nhello'),
      5,
    ],
  ])('%s', async (_, send, expected) => {
    const seen: Array<number | null> = [];
    const { port, close } = await serve(100, seen);
    try {
      const text = await exchange(port, send, (seen) => seen.includes('\r\n\r\n'));
      const head = text.split('\r\n')[0];
      expect(head).toBe(expected === null ? 'HTTP/1.1 413 Payload Too Large' : 'HTTP/1.1 200 OK');
      expect(seen).toEqual([expected]);
    } finally {
      await close();
    }
  });
});

describe('payload format 2.0 event', () => {
  const NOW = Date.UTC(2024, 2, 5, 9, 3, 58, 390); // 05/Mar/2024:09:03:58 +0000

  test('carries exactly the fields API Gateway sends', async () => {
    const { http, invoker } = setup([route('PATCH /v2/orders/{order_id}')], { Fn: echo }, null, {
      now: () => NOW,
    });
    const body = Buffer.from('{"qty":"5","note":"é"}', 'utf8');
    await http.handle({
      method: 'PATCH',
      path: '/v2/orders/ord%201',
      rawQueryString: 'a=1&b=x+y%2Bz&a=2&flag',
      headers: {
        Host: 'localhost:3000',
        'Content-Type': 'application/json',
        'User-Agent': 'curl/8.0',
        'X-Multi': ['one', 'two'],
        Cookie: 's=1; t=2',
        'X-Forwarded-For': '10.0.0.1',
      },
      body,
      sourceIp: '192.168.1.7',
    });
    const event = invoker.calls[0]?.event as Record<string, unknown>;
    const ctx = event.requestContext as Record<string, unknown>;
    expect(event).toEqual({
      version: '2.0',
      routeKey: 'PATCH /v2/orders/{order_id}',
      rawPath: '/v2/orders/ord%201',
      rawQueryString: 'a=1&b=x+y%2Bz&a=2&flag',
      cookies: ['s=1', 't=2'],
      headers: {
        host: 'localhost:3000',
        'content-type': 'application/json',
        'user-agent': 'curl/8.0',
        'x-multi': 'one,two',
        'x-forwarded-for': '10.0.0.1, 192.168.1.7',
        'x-forwarded-port': '3000',
        'x-forwarded-proto': 'http',
        'x-amzn-trace-id': expect.stringMatching(
          new RegExp(`^Root=1-${Math.floor(NOW / 1000).toString(16)}-[0-9a-f]{24}$`),
        ),
      },
      queryStringParameters: { a: '1,2', b: 'x y+z', flag: '' },
      requestContext: {
        accountId: LOCAL_ACCOUNT_ID,
        apiId: 'local',
        domainName: 'localhost',
        domainPrefix: 'localhost',
        http: {
          method: 'PATCH',
          path: '/v2/orders/ord%201',
          protocol: 'HTTP/1.1',
          sourceIp: '192.168.1.7',
          userAgent: 'curl/8.0',
        },
        requestId: expect.stringMatching(/^[A-Za-z0-9+/]{15}=$/),
        routeKey: 'PATCH /v2/orders/{order_id}',
        stage: '$default',
        time: '05/Mar/2024:09:03:58 +0000',
        timeEpoch: NOW,
      },
      pathParameters: { order_id: 'ord 1' },
      body: '{"qty":"5","note":"é"}',
      isBase64Encoded: false,
    });
    expect(ctx).not.toHaveProperty('authorizer');
  });

  test('absent parts are absent, not empty', async () => {
    const { http, invoker } = setup([route('GET /v2/orders')], { Fn: echo });
    await http.handle(request({ headers: { host: 'api.example.com' } }));
    const event = invoker.calls[0]?.event as Record<string, unknown>;
    for (const field of ['cookies', 'queryStringParameters', 'pathParameters', 'body', 'stageVariables'])
      expect(event).not.toHaveProperty(field);
    expect(event.isBase64Encoded).toBe(false);
    expect(event.rawQueryString).toBe('');
    const ctx = event.requestContext as Record<string, unknown>;
    expect(ctx.domainName).toBe('api.example.com');
    expect(ctx.domainPrefix).toBe('api');
    expect((ctx.http as Record<string, unknown>).userAgent).toBe('');
    expect((event.headers as Record<string, string>)['x-forwarded-port']).toBe('80');
  });

  test('request ids are unique and echoed in apigw-requestid', async () => {
    const { http, invoker } = setup([route('GET /v2/orders')], { Fn: echo });
    const responses = await Promise.all(Array.from({ length: 500 }, () => http.handle(request())));
    const ids = invoker.calls.map((c) => (c.event.requestContext as { requestId: string }).requestId);
    expect(new Set(ids).size).toBe(500);
    expect(responses.map((r) => r.headers['apigw-requestid'])).toEqual(ids);
  });

  test.each([
    [Date.UTC(2020, 2, 12, 19, 3, 58), '12/Mar/2020:19:03:58 +0000'],
    [Date.UTC(1999, 11, 31, 23, 59, 59, 999), '31/Dec/1999:23:59:59 +0000'],
    [Date.UTC(2024, 0, 1, 0, 0, 0), '01/Jan/2024:00:00:00 +0000'],
  ])('requestContext.time of %d is %s', (epoch, text) => {
    expect(requestTime(epoch)).toBe(text);
  });

  test.each([
    ['', undefined],
    ['&', undefined],
    ['a=1', { a: '1' }],
    ['a=1&a=2&a=', { a: '1,2,' }],
    ['k%20y=v%26w', { 'k y': 'v&w' }],
    ['x=%E2%82%AC', { x: '€' }],
    ['bad=%ZZ', { bad: '%ZZ' }],
    ['e=a=b', { e: 'a=b' }],
  ])('queryStringParameters of %j', (raw, expected) => {
    expect(parseQueryString(raw)).toEqual(expected);
  });

  test("a parameter named __proto__ (or constructor) is a parameter of its own, as in API Gateway's JSON event", () => {
    const q = parseQueryString('__proto__=1&constructor=2&qty=3') as Record<string, string>;
    expect(Object.keys(q)).toEqual(['__proto__', 'constructor', 'qty']);
    expect(Object.getPrototypeOf(q)).toBe(Object.prototype);
    expect(q).toEqual(JSON.parse('{"__proto__":"1","constructor":"2","qty":"3"}'));
  });

  const binary = Buffer.from([0x00, 0xff, 0x10, 0x80, 0x41]);
  const text = Buffer.from('{"a":"é"}', 'utf8');
  test.each<[string | undefined, Buffer, boolean]>([
    ['application/json', text, false],
    ['application/json; charset=utf-8', text, false],
    ['text/plain', text, false],
    ['text/csv', text, false],
    ['application/xml', text, false],
    ['application/vnd.api+json', text, false],
    ['application/x-www-form-urlencoded', Buffer.from('a=1&b=2'), false],
    ['application/javascript', text, false],
    [undefined, text, true],
    ['application/octet-stream', binary, true],
    ['image/png', binary, true],
    ['multipart/form-data; boundary=x', text, true],
    // declared as JSON but not valid UTF-8: base64, so no byte is lost
    ['application/json', binary, true],
  ])('content-type %s: base64 %s', async (contentType, body, base64) => {
    const { http, invoker } = setup([route('POST /v2/orders')], { Fn: echo });
    const headers: Record<string, string> = { host: 'localhost' };
    if (contentType) headers['content-type'] = contentType;
    await http.handle(request({ method: 'POST', headers, body }));
    const event = invoker.calls[0]?.event as { body: string; isBase64Encoded: boolean };
    expect(event.isBase64Encoded).toBe(base64);
    expect(Buffer.from(event.body, base64 ? 'base64' : 'utf8')).toEqual(body);
    if (body !== binary) expect(isTextContentType(contentType)).toBe(!base64);
  });

  test('a body over 10 MB is 413 without invoking', async () => {
    const { http, invoker } = setup([route('POST /v2/orders')], { Fn: echo });
    const res = await http.handle(
      request({ method: 'POST', body: Buffer.alloc(MAX_REQUEST_BODY_BYTES + 1) }),
    );
    expect(res.statusCode).toBe(413);
    expect(jsonOf(res.body)).toEqual({ message: 'Request Entity Too Large' });
    expect(invoker.calls).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------
// Authorizer

describe('Lambda authorizer (payload 2.0)', () => {
  const noIdentity = {
    functionLogicalId: AUTH,
    identitySources: [],
    resultTtlSeconds: 0,
    enableSimpleResponses: true,
  };
  const routes = [route('GET /v2/orders/{order_id}', 'Fn', AUTH), route('GET /open', 'Open')];

  test('allow: the authorizer gets the REQUEST event, the route gets its context', async () => {
    const context = { authenticated: 'true', principalId: 'p1', accountIds: 'a1,a2' };
    const { http, invoker } = setup(
      routes,
      { [AUTH]: () => ok({ isAuthorized: true, context }), Fn: echo },
      noIdentity,
      { now: () => Date.UTC(2024, 2, 5, 9, 3, 58) },
    );
    const res = await http.handle(
      request({
        path: '/v2/orders/o%2D1',
        rawQueryString: 'x=1',
        headers: { host: 'localhost', cookie: 'c=1' },
      }),
    );
    expect(res.statusCode).toBe(200);
    expect(invoker.calls.map((c) => c.ref)).toEqual([AUTH, 'Fn']);
    const authEvent = invoker.calls[0]?.event as Record<string, unknown>;
    const routeEvent = invoker.calls[1]?.event as Record<string, unknown>;
    const { authorizer, ...ctxWithoutAuthorizer } = routeEvent.requestContext as Record<string, unknown>;
    expect(authorizer).toEqual({ lambda: context });
    expect(authEvent).toEqual({
      version: '2.0',
      type: 'REQUEST',
      routeArn: `arn:aws:execute-api:us-east-1:${LOCAL_ACCOUNT_ID}:local/$default/GET/v2/orders/o%2D1`,
      identitySource: [],
      routeKey: 'GET /v2/orders/{order_id}',
      rawPath: '/v2/orders/o%2D1',
      rawQueryString: 'x=1',
      cookies: ['c=1'],
      headers: routeEvent.headers,
      queryStringParameters: { x: '1' },
      requestContext: ctxWithoutAuthorizer,
      pathParameters: { order_id: 'o-1' },
    });
  });

  test('a route without the authorizer does not run it and has no authorizer context', async () => {
    const { http, invoker } = setup(
      routes,
      { [AUTH]: () => ok({ isAuthorized: false }), Open: echo },
      noIdentity,
    );
    const res = await http.handle(request({ path: '/open' }));
    expect(res.statusCode).toBe(200);
    expect(invoker.calls.map((c) => c.ref)).toEqual(['Open']);
    expect(invoker.calls[0]?.event.requestContext).not.toHaveProperty('authorizer');
  });

  const failures: [string, Script, number, string][] = [
    ['isAuthorized false', () => ok({ isAuthorized: false, context: { a: 1 } }), 403, 'Forbidden'],
    [
      'function error',
      () => ({ ok: false, errorType: 'Error', errorMessage: 'table unreachable' }),
      500,
      'Internal Server Error',
    ],
    [
      'timeout',
      () => ({ ok: false, errorType: 'Sandbox.Timedout', errorMessage: 'timed out' }),
      500,
      'Internal Server Error',
    ],
    ['invoker throws', () => Promise.reject(new Error('boom')), 500, 'Internal Server Error'],
    ['isAuthorized not a boolean', () => ok({ isAuthorized: 'true' }), 500, 'Internal Server Error'],
    ['a string response', () => ok('allow'), 500, 'Internal Server Error'],
  ];
  test.each(failures)('%s -> %d, route not invoked', async (_name, script, status, message) => {
    const errors: unknown[] = [];
    const { http, invoker } = setup(routes, { [AUTH]: script, Fn: echo }, noIdentity, {
      onError: (e) => errors.push(e),
    });
    const res = await http.handle(request({ path: '/v2/orders/1' }));
    expect(res.statusCode).toBe(status);
    expect(jsonOf(res.body)).toEqual({ message });
    expect(res.headers['content-type']).toBe('application/json');
    expect(invoker.callsTo('Fn')).toHaveLength(0);
    expect(errors).toHaveLength(status === 500 ? 1 : 0);
  });

  describe('identity sources', () => {
    const withIdentity = (ttl: number) => ({
      functionLogicalId: AUTH,
      identitySources: ['$request.header.Authorization', '$request.querystring.tenant'],
      resultTtlSeconds: ttl,
      enableSimpleResponses: true,
    });

    test.each([
      ['no header', { host: 'h' }, 'tenant=t1'],
      ['empty header', { host: 'h', authorization: '' }, 'tenant=t1'],
      ['no query parameter', { host: 'h', authorization: 'Bearer x' }, ''],
      ['empty query parameter', { host: 'h', authorization: 'Bearer x' }, 'tenant='],
    ])('%s -> 401 without invoking the authorizer', async (_name, headers, rawQueryString) => {
      const { http, invoker } = setup(
        routes,
        { [AUTH]: () => ok({ isAuthorized: true }), Fn: echo },
        withIdentity(0),
      );
      const res = await http.handle(request({ path: '/v2/orders/1', headers, rawQueryString }));
      expect(res.statusCode).toBe(401);
      expect(jsonOf(res.body)).toEqual({ message: 'Unauthorized' });
      expect(invoker.calls).toEqual([]);
    });

    test('present -> identitySource carries their values in order; header names are case-insensitive', async () => {
      const { http, invoker } = setup(
        routes,
        { [AUTH]: () => ok({ isAuthorized: true }), Fn: echo },
        withIdentity(0),
      );
      const res = await http.handle(
        request({
          path: '/v2/orders/1',
          headers: { AUTHORIZATION: 'Bearer x' },
          rawQueryString: 'tenant=t%201',
        }),
      );
      expect(res.statusCode).toBe(200);
      expect(invoker.calls[0]?.event.identitySource).toEqual(['Bearer x', 't 1']);
      expect(invoker.calls[1]?.event.requestContext).toHaveProperty('authorizer', { lambda: null });
    });

    test('results are cached per identity source values for the TTL (allow and deny alike)', async () => {
      let clock = 1_000_000;
      const { http, invoker } = setup(
        routes,
        {
          [AUTH]: (e) =>
            ok({ isAuthorized: (e.identitySource as string[])[0] === 'Bearer good', context: { n: 1 } }),
          Fn: echo,
        },
        withIdentity(60),
        { now: () => clock },
      );
      const call = async (auth: string) =>
        (
          await http.handle(
            request({ path: '/v2/orders/1', headers: { authorization: auth }, rawQueryString: 'tenant=t' }),
          )
        ).statusCode;
      expect(await call('Bearer good')).toBe(200);
      expect(await call('Bearer good')).toBe(200);
      expect(await call('Bearer bad')).toBe(403);
      expect(await call('Bearer bad')).toBe(403);
      expect(invoker.callsTo(AUTH)).toHaveLength(2);
      // the cached context still reaches the route
      expect(invoker.callsTo('Fn').map((c) => c.event.requestContext)).toEqual([
        expect.objectContaining({ authorizer: { lambda: { n: 1 } } }),
        expect.objectContaining({ authorizer: { lambda: { n: 1 } } }),
      ]);
      clock += 59_999;
      expect(await call('Bearer good')).toBe(200);
      expect(invoker.callsTo(AUTH)).toHaveLength(2);
      clock += 1;
      expect(await call('Bearer good')).toBe(200);
      expect(invoker.callsTo(AUTH)).toHaveLength(3);
    });

    test('errors are not cached; TTL 0 invokes every time', async () => {
      let fail = true;
      const { http, invoker } = setup(
        routes,
        {
          [AUTH]: () =>
            fail ? { ok: false, errorType: 'Error', errorMessage: 'x' } : ok({ isAuthorized: true }),
          Fn: echo,
        },
        withIdentity(60),
      );
      const req = request({
        path: '/v2/orders/1',
        headers: { authorization: 'a' },
        rawQueryString: 'tenant=t',
      });
      expect((await http.handle(req)).statusCode).toBe(500);
      fail = false;
      expect((await http.handle(req)).statusCode).toBe(200);
      expect(invoker.callsTo(AUTH)).toHaveLength(2);

      const uncached = setup(routes, { [AUTH]: () => ok({ isAuthorized: true }), Fn: echo }, withIdentity(0));
      for (let i = 0; i < 3; i++) await uncached.http.handle(req);
      expect(uncached.invoker.callsTo(AUTH)).toHaveLength(3);
    });
  });

  test.each([
    [
      'Allow on the route',
      [
        {
          Effect: 'Allow',
          Action: 'execute-api:Invoke',
          Resource: 'arn:aws:execute-api:*:*:local/$default/GET/v2/orders/*',
        },
      ],
      200,
    ],
    [
      'Allow elsewhere only',
      [
        {
          Effect: 'Allow',
          Action: 'execute-api:Invoke',
          Resource: ['arn:aws:execute-api:*:*:local/$default/POST/*'],
        },
      ],
      403,
    ],
    [
      'Deny beats Allow',
      [
        { Effect: 'Allow', Action: '*', Resource: '*' },
        { Effect: 'Deny', Action: 'execute-api:*', Resource: '*/GET/v2/orders/1' },
      ],
      403,
    ],
    ['no statements', [], 403],
  ])('IAM policy response: %s -> %d', async (_name, Statement, status) => {
    const { http } = setup(
      routes,
      {
        [AUTH]: () =>
          ok({ principalId: 'p', policyDocument: { Version: '2012-10-17', Statement }, context: { k: 'v' } }),
        Fn: echo,
      },
      { ...noIdentity, enableSimpleResponses: false },
    );
    expect((await http.handle(request({ path: '/v2/orders/1' }))).statusCode).toBe(status);
  });
});

// ---------------------------------------------------------------------------------------------
// Response mapping

describe('response mapping (payload 2.0)', () => {
  const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
  const cases: [string, unknown, number, Record<string, string | string[]>, Buffer][] = [
    [
      'structured',
      {
        statusCode: 201,
        headers: { 'Content-Type': 'application/json', 'X-N': 5, 'X-B': true },
        body: '{"a":1}',
      },
      201,
      { 'content-type': 'application/json', 'x-n': '5', 'x-b': 'true' },
      Buffer.from('{"a":1}'),
    ],
    ['no body', { statusCode: 204 }, 204, { 'content-type': 'text/plain; charset=utf-8' }, Buffer.alloc(0)],
    [
      'cookies become set-cookie',
      { statusCode: 200, cookies: ['a=1; Path=/', 'b=2'], headers: { 'set-cookie': 'z=0' }, body: 'x' },
      200,
      { 'content-type': 'text/plain; charset=utf-8', 'set-cookie': ['z=0', 'a=1; Path=/', 'b=2'] },
      Buffer.from('x'),
    ],
    [
      'base64 body',
      {
        statusCode: 200,
        headers: { 'content-type': 'image/png' },
        body: b64(Buffer.from([0, 255, 1])),
        isBase64Encoded: true,
      },
      200,
      { 'content-type': 'image/png' },
      Buffer.from([0, 255, 1]),
    ],
    [
      'multiValueHeaders are not part of format 2.0',
      { statusCode: 200, multiValueHeaders: { 'x-m': ['1', '2'] } },
      200,
      { 'content-type': 'text/plain; charset=utf-8' },
      Buffer.alloc(0),
    ],
    [
      'a string is the body',
      'Hello from Lambda!',
      200,
      { 'content-type': 'application/json' },
      Buffer.from('Hello from Lambda!'),
    ],
    [
      'an object without statusCode is JSON',
      { a: 1, body: 'x' },
      200,
      { 'content-type': 'application/json' },
      Buffer.from('{"a":1,"body":"x"}'),
    ],
    ['an array', [1, 'two'], 200, { 'content-type': 'application/json' }, Buffer.from('[1,"two"]')],
    ['a number', 42, 200, { 'content-type': 'application/json' }, Buffer.from('42')],
    ['null', null, 200, { 'content-type': 'application/json' }, Buffer.from('null')],
    [
      'statusCode as a string',
      { statusCode: '200', body: 'x' },
      500,
      { 'content-type': 'application/json' },
      Buffer.from('{"message":"Internal Server Error"}'),
    ],
    [
      'statusCode out of range',
      { statusCode: 700 },
      500,
      { 'content-type': 'application/json' },
      Buffer.from('{"message":"Internal Server Error"}'),
    ],
    [
      'body not a string',
      { statusCode: 200, body: { a: 1 } },
      500,
      { 'content-type': 'application/json' },
      Buffer.from('{"message":"Internal Server Error"}'),
    ],
    [
      'headers not an object',
      { statusCode: 200, headers: ['a'] },
      500,
      { 'content-type': 'application/json' },
      Buffer.from('{"message":"Internal Server Error"}'),
    ],
    [
      'header value an object',
      { statusCode: 200, headers: { a: { b: 1 } } },
      500,
      { 'content-type': 'application/json' },
      Buffer.from('{"message":"Internal Server Error"}'),
    ],
  ];
  test.each(cases)('%s', async (_name, payload, status, headers, body) => {
    const { http } = setup([route('GET /v2/orders')], { Fn: () => ok(payload) });
    const res = await http.handle(request());
    expect(res.statusCode).toBe(status);
    const { 'apigw-requestid': requestId, ...rest } = res.headers;
    expect(requestId).toMatch(/=$/);
    expect(rest).toEqual(headers);
    expect(res.body).toEqual(body);
  });

  const errors: [string, (e: Record<string, unknown>) => Promise<InvokeResult>, number, string][] = [
    [
      'function error',
      async () => ({ ok: false, errorType: 'TypeError', errorMessage: 'x' }),
      500,
      'Internal Server Error',
    ],
    // Lambda reports its own timeout as a function error: HTTP APIs answer 500
    [
      'function timeout',
      async () => ({ ok: false, errorType: 'Sandbox.Timedout', errorMessage: 'Task timed out' }),
      500,
      'Internal Server Error',
    ],
    ['invoker throws', () => Promise.reject(new Error('no such function')), 500, 'Internal Server Error'],
    // the API's integration timeout elapsing first: 503
    [
      'integration timeout',
      () => new Promise<InvokeResult>((resolve) => setTimeout(() => resolve(ok('late')), 200)),
      503,
      'Service Unavailable',
    ],
  ];
  test.each(errors)('%s', async (_name, script, status, message) => {
    const seen: { stage: string; routeKey: string }[] = [];
    const { http } = setup([route('GET /v2/orders')], { Fn: script }, null, {
      integrationTimeoutMs: 50,
      onError: (e) => seen.push(e),
    });
    const res = await http.handle(request());
    expect(res.statusCode).toBe(status);
    expect(jsonOf(res.body)).toEqual({ message });
    expect(seen).toEqual([expect.objectContaining({ stage: 'integration' })]);
  });

  test('gateway error bodies', () => {
    expect(Object.values(GATEWAY_ERRORS).map((e) => `${e.statusCode} ${e.message}`)).toEqual([
      '404 Not Found',
      '401 Unauthorized',
      '403 Forbidden',
      '413 Request Entity Too Large',
      '500 Internal Server Error',
      '503 Service Unavailable',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// The project's own API, read from the synthesized template, with the real handlers

describe('the real topology and handlers', () => {
  let apiSpec: HttpApiSpec;
  let functions: readonly FunctionSpec[];
  beforeAll(async () => {
    const topology = readTopology(await omsTemplate());
    expect(topology.httpApis).toHaveLength(1);
    apiSpec = topology.httpApis[0] as HttpApiSpec;
    functions = topology.functions;
  }, 150_000); // the run's one synthesis (test/infra/synthesized.ts)

  test('every ORDER_ROUTES route and $default is in the template, behind the authorizer, and matches', () => {
    expect(apiSpec.routes.map((r) => r.routeKey).sort()).toEqual(
      [...ORDER_ROUTES.map((r) => `${r.method} ${r.path}`), '$default'].sort(),
    );
    for (const r of apiSpec.routes)
      expect(r.authorizerFunctionLogicalId).toBe(apiSpec.authorizer?.functionLogicalId);
    const entryOf = (id: string) => functions.find((f) => f.logicalId === id)?.entry;
    const cases: [string, string, string, Record<string, string>][] = [
      ['POST', '/v2/orders', 'lambdas/order-api/create-order.ts', {}],
      ['GET', '/v2/orders:by_client_order_id', 'lambdas/order-api/query-orders.ts', {}],
      ['GET', '/v2/orders/o-1/events', 'lambdas/order-api/query-orders.ts', { order_id: 'o-1' }],
      ['PATCH', '/v2/orders/o-1', 'lambdas/order-api/replace-order.ts', { order_id: 'o-1' }],
      ['DELETE', '/v2/orders', 'lambdas/order-api/cancel-order.ts', {}],
      // Issue 11: any other method or path reaches the query function's Alpaca 404 (`$default`).
      ['GET', '/v2/corporate_actions/announcements', 'lambdas/order-api/query-orders.ts', {}],
      ['GET', '/v2/account/portfolio/history', 'lambdas/order-api/account.ts', {}],
      // Watchlists: three ANY routes; the function names the parts (watchlists.ts `routed`).
      ['GET', '/v2/watchlists', 'lambdas/order-api/watchlists.ts', {}],
      ['DELETE', '/v2/watchlists/w-1/AAPL', 'lambdas/order-api/watchlists.ts', { proxy: 'w-1/AAPL' }],
      ['PUT', '/v2/watchlists:by_name', 'lambdas/order-api/watchlists.ts', {}],
      ['PUT', '/v2/orders', 'lambdas/order-api/query-orders.ts', {}],
    ];
    for (const [method, path, entry, params] of cases) {
      const m = matchRoute(apiSpec.routes, method, path);
      expect(m && entryOf(m.route.functionLogicalId)).toBe(entry);
      expect(m?.pathParameters).toEqual(params);
    }
    expect(entryOf(apiSpec.authorizer?.functionLogicalId ?? '')).toBe('lambdas/order-api/authorizer.ts');
    expect(apiSpec.authorizer).toMatchObject({
      identitySources: [],
      resultTtlSeconds: 0,
      enableSimpleResponses: true,
    });
  });

  test('the real authorizer and query handler answer an unauthenticated request with 401 40110000', async () => {
    process.env.AWS_REGION ??= 'us-east-1';
    // Runs the handler modules in process (no DynamoDB needed: no credentials, no lookup).
    const invoker: Invoker = {
      async invoke(ref, event) {
        const fn = functions.find((f) => f.logicalId === ref);
        if (!fn) return { ok: false, errorType: 'ResourceNotFoundException', errorMessage: ref };
        const handler = REAL_HANDLERS[fn.entry];
        if (!handler) return { ok: false, errorType: 'NotInThisTest', errorMessage: fn.entry };
        try {
          return {
            ok: true,
            payload: JSON.parse(JSON.stringify(await handler(event as never, {} as never))),
          };
        } catch (err) {
          return { ok: false, errorType: (err as Error).name, errorMessage: (err as Error).message };
        }
      },
    };
    const failures: string[] = [];
    const http = new LocalHttpApi(apiSpec, invoker, { onError: (e) => failures.push(e.error) });
    for (const [path, headers, reason] of [
      ['/v2/orders', { host: 'localhost:3000' }, 'missing credentials'],
      [
        '/v2/orders/abc',
        { host: 'localhost:3000', authorization: 'Bearer abc.def.ghi' },
        'invalid credentials',
      ],
      // `$default` is behind the authorizer too: a stranger learns nothing about which routes exist.
      ['/v2/corporate_actions/announcements', { host: 'localhost:3000' }, 'missing credentials'],
    ] as const) {
      const res = await http.handle(request({ path, headers }));
      expect(failures).toEqual([]);
      expect(res.statusCode).toBe(401);
      expect(jsonOf(res.body)).toMatchObject({
        code: 40110000,
        message: `request is not authorized: ${reason}`,
      });
    }
  });
});
