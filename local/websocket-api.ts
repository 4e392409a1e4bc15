/**
 * Local stand-in for an API Gateway WebSocket API (issue 14: the trade_updates stream) and its
 * management API (`@connections`), on the `ws` package. The integrator attaches `handleUpgrade`
 * to its HTTP server's `upgrade` event (local mode: path `/stream` on the HTTP API's port) and
 * routes `/<stage>/@connections/{id}` requests of its AWS endpoint to `manage`.
 *
 * Behaviour chosen to match API Gateway (documented here because local mode is tested against it):
 * - `$connect` is invoked with the handshake's headers and query string before the upgrade
 *   completes; a result whose `statusCode` is not 2xx refuses the connection with that status (an
 *   error or a malformed result: 500). No `$connect` route: accepted.
 * - Each message is routed by the route selection expression (`$request.body.<field>`: the JSON
 *   body's string field matching a route key), else to `$default`; with no `$default`, API Gateway's
 *   `{"message": "Forbidden", "connectionId", "requestId"}` frame. Text frames are the event's
 *   `body`; binary frames go base64 with `isBase64Encoded: true`. A failed invocation (error,
 *   timeout) sends `{"message": "Internal server error", "connectionId", "requestId"}`. A
 *   connection's messages are invoked one at a time, in arrival order; connections in parallel.
 *   Route responses are not modelled (the OMS answers through `@connections`).
 * - `$disconnect` is invoked once when the socket closes, whoever closed it (client, DeleteConnection,
 *   idle timeout, stop); its result is ignored, as API Gateway does.
 * - Limits: a message over 128 KB closes the connection (1009); 10 minutes without a message either
 *   way closes it (1001; API Gateway's idle timeout). Pings are answered with pongs by `ws`.
 *   API Gateway's 2-hour connection limit is not modelled.
 * - Management API: `POST` sends the body to the client as one frame, a TEXT frame when the bytes
 *   are UTF-8 (API Gateway's behaviour for PostToConnection), binary otherwise; frames go out in
 *   the order the POSTs arrive. `GET` answers `{connectedAt, identity: {sourceIp, userAgent},
 *   lastActiveAt}` (the wire names of the SDK's ConnectedAt, Identity, LastActiveAt); `DELETE` closes the connection (204). An unknown or closed connection is 410
 *   `GoneException` (header `x-amzn-ErrorType`, body `{"message"}`), which the SDK throws as
 *   `GoneException`. Requests are not signature-checked.
 * - Connection ids look like API Gateway's (12 random bytes, base64).
 * - Local mode only (no API Gateway call does it): `drop` ends connections as a network failure
 *   would (no close frame; `$disconnect` still runs) and `hold` refuses new ones with HTTP 503
 *   until released (`POST /local/stream/disconnect`, `POST /local/stream/resume`).
 */
import { isUtf8 } from 'node:buffer';
import { randomBytes, randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import type { Invoker, WebSocketApiSpec } from './types.js';

export const MAX_MESSAGE_BYTES = 128 * 1024;
export const IDLE_TIMEOUT_MS = 10 * 60_000;
const DEFAULT_INTEGRATION_TIMEOUT_MS = 29_000;

export interface LocalWebSocketApiOptions {
  readonly idleTimeoutMs?: number;
  readonly integrationTimeoutMs?: number;
  /** The stage clients connect to (default the API's first stage, else `$default`). */
  readonly stage?: string;
  /** Where invocation failures are reported (API Gateway's execution log). */
  readonly onError?: (info: { connectionId: string; routeKey: string; error: string }) => void;
}

interface Connection {
  readonly id: string;
  readonly socket: WebSocket;
  readonly connectedAt: number;
  readonly sourceIp: string;
  readonly userAgent: string;
  lastActiveAt: number;
  /** The connection's messages, invoked one after another. */
  queue: Promise<void>;
  idle: NodeJS.Timeout | undefined;
  closed: boolean;
}

export interface ManagementResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

const gone = (id: string): ManagementResponse => ({
  statusCode: 410,
  headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'GoneException' },
  body: JSON.stringify({ message: `connection ${id} is gone` }),
});

export class LocalWebSocketApi {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  private readonly connections = new Map<string, Connection>();
  private readonly routes: Map<string, string>;
  private readonly selectField: string | null;
  readonly stage: string;
  /** Local mode's control (`POST /local/stream/disconnect` with `hold`): new connections refused. */
  private held = false;

  constructor(
    readonly spec: WebSocketApiSpec,
    private readonly invoker: Invoker,
    private readonly options: LocalWebSocketApiOptions = {},
  ) {
    this.routes = new Map(spec.routes.map((r) => [r.routeKey, r.functionLogicalId]));
    this.selectField = /^\$request\.body\.([A-Za-z0-9_]+)$/.exec(spec.routeSelectionExpression)?.[1] ?? null;
    this.stage = options.stage ?? spec.stages[0] ?? '$default';
  }

  private requestContext(
    c: { id: string; connectedAt: number; sourceIp: string; userAgent: string },
    routeKey: string,
    eventType: string,
  ) {
    const now = Date.now();
    return {
      routeKey,
      eventType,
      messageId: eventType === 'MESSAGE' ? randomBytes(12).toString('base64') : undefined,
      extendedRequestId: randomUUID(),
      requestId: randomUUID(),
      requestTime: new Date(now).toUTCString(),
      requestTimeEpoch: now,
      messageDirection: 'IN',
      stage: this.stage,
      connectedAt: c.connectedAt,
      connectionId: c.id,
      domainName: 'localhost',
      apiId: this.spec.logicalId,
      identity: { sourceIp: c.sourceIp, userAgent: c.userAgent },
    };
  }

  private async invoke(
    routeKey: string,
    event: unknown,
  ): Promise<{ ok: boolean; statusCode: number; error?: string }> {
    const fn = this.routes.get(routeKey);
    if (fn === undefined) return { ok: true, statusCode: 200 };
    const timeoutMs = this.options.integrationTimeoutMs ?? DEFAULT_INTEGRATION_TIMEOUT_MS;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    });
    try {
      const result = await Promise.race([this.invoker.invoke(fn, event), timeout]);
      if (result === 'timeout') return { ok: false, statusCode: 504, error: 'integration timeout' };
      if (!result.ok)
        return { ok: false, statusCode: 500, error: `${result.errorType}: ${result.errorMessage}` };
      const payload = result.payload as { statusCode?: unknown } | null | undefined;
      const statusCode = typeof payload?.statusCode === 'number' ? payload.statusCode : 200;
      return { ok: true, statusCode };
    } finally {
      clearTimeout(timer);
    }
  }

  /** The HTTP server's `upgrade` for this API: `$connect`, then the WebSocket. */
  async handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    if (this.held) {
      // Held down by local mode's control: the endpoint is unreachable, as during a network outage.
      socket.end('HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const id = randomBytes(12).toString('base64');
    const base = {
      id,
      connectedAt: Date.now(),
      sourceIp: req.socket.remoteAddress ?? '127.0.0.1',
      userAgent: String(req.headers['user-agent'] ?? ''),
    };
    const headers = Object.fromEntries(
      Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : String(v ?? '')]),
    );
    const query = Object.fromEntries(url.searchParams);
    const connect = await this.invoke('$connect', {
      requestContext: this.requestContext(base, '$connect', 'CONNECT'),
      headers,
      multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
      ...(Object.keys(query).length === 0 ? {} : { queryStringParameters: query }),
      isBase64Encoded: false,
    });
    if (!connect.ok || connect.statusCode < 200 || connect.statusCode > 299) {
      if (!connect.ok)
        this.options.onError?.({ connectionId: id, routeKey: '$connect', error: connect.error ?? '' });
      const status = connect.ok ? connect.statusCode : 500;
      socket.end(
        `HTTP/1.1 ${status} ${status === 403 ? 'Forbidden' : 'Refused'}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`,
      );
      return;
    }
    if (socket.destroyed) return;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.open(ws, base));
  }

  private open(
    ws: WebSocket,
    base: { id: string; connectedAt: number; sourceIp: string; userAgent: string },
  ): void {
    const c: Connection = {
      ...base,
      socket: ws,
      lastActiveAt: Date.now(),
      queue: Promise.resolve(),
      idle: undefined,
      closed: false,
    };
    this.connections.set(c.id, c);
    this.touch(c);
    ws.on('message', (data: RawData, isBinary: boolean) => {
      this.touch(c);
      const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      c.queue = c.queue.then(() => this.message(c, bytes, isBinary));
    });
    // A client's ping (the Alpaca SDK's keep-alive, every 10 s) is activity: a probe's quiet SDK
    // client was cut at the idle timeout and missed a fill while it reconnected. (\`ws\` answers the
    // pong itself.)
    ws.on('ping', () => this.touch(c));
    ws.on('error', () => undefined);
    ws.on('close', () => {
      if (c.closed) return;
      c.closed = true;
      clearTimeout(c.idle);
      this.connections.delete(c.id);
      // After the connection's pending messages, like API Gateway's ordering of the last event.
      c.queue = c.queue.then(async () => {
        const r = await this.invoke('$disconnect', {
          requestContext: this.requestContext(c, '$disconnect', 'DISCONNECT'),
          isBase64Encoded: false,
        });
        if (!r.ok)
          this.options.onError?.({ connectionId: c.id, routeKey: '$disconnect', error: r.error ?? '' });
      });
    });
  }

  private touch(c: Connection): void {
    c.lastActiveAt = Date.now();
    clearTimeout(c.idle);
    c.idle = setTimeout(
      () => c.socket.close(1001, 'Going away'),
      this.options.idleTimeoutMs ?? IDLE_TIMEOUT_MS,
    );
    c.idle.unref?.();
  }

  /** The route a message goes to, or null (no route and no `$default`). */
  routeOf(text: string | null): string | null {
    if (text !== null && this.selectField !== null) {
      try {
        const body = JSON.parse(text) as unknown;
        const key =
          typeof body === 'object' && body !== null && !Array.isArray(body)
            ? (body as Record<string, unknown>)[this.selectField]
            : undefined;
        if (typeof key === 'string' && !key.startsWith('$') && this.routes.has(key)) return key;
      } catch {
        // not JSON: $default
      }
    }
    return this.routes.has('$default') ? '$default' : null;
  }

  private async message(c: Connection, bytes: Buffer, isBinary: boolean): Promise<void> {
    // A binary frame is routed by its content too, but reaches the function base64-encoded.
    const utf8 = isUtf8(bytes) ? bytes.toString('utf8') : null;
    const text = isBinary ? null : utf8;
    const routeKey = this.routeOf(utf8);
    const context = this.requestContext(c, routeKey ?? '$default', 'MESSAGE');
    if (routeKey === null) {
      this.sendFrame(
        c,
        JSON.stringify({ message: 'Forbidden', connectionId: c.id, requestId: context.requestId }),
      );
      return;
    }
    const r = await this.invoke(routeKey, {
      requestContext: context,
      body: text ?? bytes.toString('base64'),
      isBase64Encoded: text === null,
    });
    if (!r.ok) {
      this.options.onError?.({ connectionId: c.id, routeKey, error: r.error ?? '' });
      this.sendFrame(
        c,
        JSON.stringify({
          message: 'Internal server error',
          connectionId: c.id,
          requestId: context.requestId,
        }),
      );
    }
  }

  private sendFrame(c: Connection, data: string | Buffer): void {
    if (c.closed || c.socket.readyState !== WebSocket.OPEN) return;
    this.touch(c);
    c.socket.send(data, { binary: typeof data !== 'string' });
  }

  /**
   * The management API for `/<stage>/@connections/{id}` (the path after the stage): POST a frame,
   * GET the connection, DELETE it.
   */
  manage(method: string, connectionId: string, body: Buffer): ManagementResponse {
    const c = this.connections.get(connectionId);
    if (c === undefined || c.closed || c.socket.readyState !== WebSocket.OPEN) return gone(connectionId);
    switch (method) {
      case 'POST':
        this.sendFrame(c, isUtf8(body) ? body.toString('utf8') : body);
        return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: '' };
      case 'GET':
        return {
          statusCode: 200,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            connectedAt: new Date(c.connectedAt).toISOString(),
            identity: { sourceIp: c.sourceIp, userAgent: c.userAgent },
            lastActiveAt: new Date(c.lastActiveAt).toISOString(),
          }),
        };
      case 'DELETE':
        c.socket.close(1000, 'Connection closed by the server');
        return { statusCode: 204, headers: {}, body: '' };
      default:
        return {
          statusCode: 405,
          headers: { 'content-type': 'application/json', 'x-amzn-errortype': 'MethodNotAllowedException' },
          body: JSON.stringify({ message: `method ${method} is not supported` }),
        };
    }
  }

  /** The ids of the connections open now. */
  connectionIds(): string[] {
    return [...this.connections.values()]
      .filter((c) => !c.closed && c.socket.readyState === WebSocket.OPEN)
      .map((c) => c.id);
  }

  /**
   * Drops the connections named (every open one when none are named) as a network failure would:
   * the TCP connection ends without a close frame; each still gets its `$disconnect`. The number
   * dropped. Local mode's control (`POST /local/stream/disconnect`); API Gateway has no such call.
   */
  drop(connectionIds?: readonly string[]): number {
    let dropped = 0;
    for (const c of this.connections.values()) {
      if (c.closed || c.socket.readyState !== WebSocket.OPEN) continue;
      if (connectionIds !== undefined && !connectionIds.includes(c.id)) continue;
      c.socket.terminate();
      dropped++;
    }
    return dropped;
  }

  /** While held, every new connection is refused (HTTP 503) before `$connect`. */
  hold(held: boolean): void {
    this.held = held;
  }

  get holding(): boolean {
    return this.held;
  }

  /** Closes every connection (each gets its `$disconnect`) and waits for those invocations. */
  async close(): Promise<void> {
    const open = [...this.connections.values()];
    for (const c of open) c.socket.close(1001, 'Going away');
    await Promise.all(
      open.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.socket.readyState === WebSocket.CLOSED) resolve();
            else c.socket.once('close', () => resolve());
            setTimeout(() => {
              c.socket.terminate();
              resolve();
            }, 2000).unref?.();
          }),
      ),
    );
    await Promise.all(open.map((c) => c.queue.catch(() => undefined)));
    this.wss.close();
  }
}

/**
 * The function environment values that are a WebSocket stage's callback URL
 * (`https://<api logical id>.execute-api.<region>.<suffix>/<stage>`, what `stage.callbackUrl`
 * resolves to locally) rewritten to local mode's management endpoint for that API.
 */
export function localCallbackEnv(
  environment: Readonly<Record<string, string>>,
  apis: readonly WebSocketApiSpec[],
  managementUrl: (apiLogicalId: string, stage: string) => string,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(environment)) {
    const m = /^https:\/\/([^./]+)\.execute-api\.[^/]+\/([^/]+)\/?$/.exec(value);
    if (m === null) continue;
    const api = apis.find((a) => a.logicalId === m[1]);
    if (api !== undefined) out[name] = managementUrl(api.logicalId, m[2] as string);
  }
  return out;
}
