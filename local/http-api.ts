/**
 * Local stand-in for the API Gateway HTTP API (stage `$default`, Lambda proxy integrations with
 * payload format 2.0, a Lambda REQUEST authorizer with payload 2.0). It routes a request the way
 * HTTP APIs do, builds the same `APIGatewayProxyEventV2`, runs the authorizer first, and maps the
 * function's result (or failure) to the response API Gateway would send. The HTTP server itself
 * belongs to the integrator: it calls `handle` with the request's bytes.
 *
 * Behaviour chosen to match HTTP APIs (documented here because local mode is tested against it):
 * - Routing: method + path. Literal segments beat `{param}` segments beat a greedy `{param+}`
 *   (which must be last and matches one or more segments); a route without variables beats one
 *   with variables, which beats one with a greedy variable; then leftmost literal wins; then a
 *   method route beats `ANY`; `$default` catches the rest; else 404 `{"message":"Not Found"}`.
 *   Paths match exactly: a trailing slash is another path (`/v2/orders/` is a 404) and a
 *   variable never matches an empty segment. Segments are compared percent-decoded;
 *   `pathParameters` are decoded, `rawPath` and `requestContext.http.path` stay as sent.
 * - HEAD and OPTIONS are ordinary methods (no CORS configuration: no automatic preflight answer,
 *   no HEAD-to-GET mapping): they reach a route only through a HEAD/OPTIONS/ANY route or
 *   `$default`, else 404.
 * - Request body: sent as UTF-8 text when the content type is textual (`text/*`, JSON, XML,
 *   JavaScript, `application/x-www-form-urlencoded`) and the bytes are valid UTF-8; otherwise
 *   base64 with `isBase64Encoded: true` (also when there is no content type). Over 10 MB: 413.
 * - Query strings: `+` and percent escapes are decoded in `queryStringParameters`; repeated
 *   keys are comma-joined. Repeated headers are comma-joined; the `cookie` header moves to
 *   `cookies` (split on `;`). `x-forwarded-for/-port/-proto` and `x-amzn-trace-id` are added.
 * - Authorizer: a configured identity source that is missing or empty is a 401
 *   `{"message":"Unauthorized"}` without invoking it; `isAuthorized: false` (or an IAM policy
 *   without a matching Allow) is 403 `{"message":"Forbidden"}`; an authorizer error, timeout or
 *   malformed response is 500 `{"message":"Internal Server Error"}`. Results are cached per
 *   identity source values for `resultTtlSeconds` when that is > 0 and identity sources exist.
 * - Response: an object with `statusCode` is the structured format 2.0 (`headers`, `cookies` as
 *   `set-cookie`, `body`, `isBase64Encoded`; `multiValueHeaders` is not part of format 2.0 and is
 *   ignored; content type `text/plain; charset=utf-8` when the function sets none). Any other
 *   result is inferred: 200, `content-type: application/json`, body = the string itself or the
 *   JSON of the value. A malformed structured response is a 500.
 * - Function failure: an error result, INCLUDING the function's own timeout (`Sandbox.Timedout`:
 *   Lambda reports it as a function error, which HTTP APIs answer with 500), is 500
 *   `{"message":"Internal Server Error"}`. The API's own integration timeout (30 s by default for
 *   HTTP APIs) elapsing first is 503 `{"message":"Service Unavailable"}`.
 * - Every response carries `apigw-requestid`, the event's `requestContext.requestId`.
 */

import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  STATUS_CODES,
} from 'node:http';
import type { Duplex } from 'node:stream';
import type { HttpApiSpec, InvokeResult, Invoker, RouteSpec } from './types.js';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from './types.js';

/** A request as the integrator's HTTP server received it. */
export interface LocalHttpRequest {
  readonly method: string;
  /** The path as sent (percent-encoded), without the query string. */
  readonly path: string;
  /** The query string as sent, without the `?` ('' when none). */
  readonly rawQueryString: string;
  /** Header names in any case; a repeated header as an array (Node's `req.headersDistinct`) or comma-joined. */
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  readonly body: Buffer;
  /** The client's address (default 127.0.0.1). */
  readonly sourceIp?: string;
  /** `http` or `https` (default http), for `x-forwarded-proto`. */
  readonly protocol?: 'http' | 'https';
}

export interface LocalHttpResponse {
  readonly statusCode: number;
  /** Lower-case names; `set-cookie` is an array when there are cookies. */
  readonly headers: Record<string, string | string[]>;
  readonly body: Buffer;
}

export interface LocalHttpApiOptions {
  /** API Gateway's integration timeout (HTTP APIs: 30 s, the maximum) → 503. */
  readonly integrationTimeoutMs?: number;
  /** Clock (ms since the epoch), for tests. */
  readonly now?: () => number;
  /**
   * Requests a route's function runs at once (default INTEGRATION_CONCURRENCY); the others wait
   * their turn before it is invoked, a third of the integration timeout at most (past it: 503,
   * never invoked).
   */
  readonly integrationConcurrency?: number;
  /** Called with every integration/authorizer failure answered with a 5xx (the access log's `integrationError`). */
  readonly onError?: (info: {
    requestId: string;
    routeKey: string;
    stage: 'authorizer' | 'integration';
    error: string;
  }) => void;
}

/** API Gateway's own error bodies. */
export const GATEWAY_ERRORS = {
  notFound: { statusCode: 404, message: 'Not Found' },
  unauthorized: { statusCode: 401, message: 'Unauthorized' },
  forbidden: { statusCode: 403, message: 'Forbidden' },
  tooLarge: { statusCode: 413, message: 'Request Entity Too Large' },
  internal: { statusCode: 500, message: 'Internal Server Error' },
  unavailable: { statusCode: 503, message: 'Service Unavailable' },
} as const;

/** HTTP APIs' request payload limit. */
export const MAX_REQUEST_BODY_BYTES = 10 * 1024 * 1024;

/**
 * A request's body, or null once it is past `limit` bytes (by its Content-Length, before anything
 * is read, or as it arrives): the rest is not read. Local mode read every body whole before the
 * 413: a probe's `Content-Length: 10000000000` was waited for, and a client sending that much
 * would have had local mode hold it all in memory.
 */
export function readRequestBody(req: IncomingMessage, limit: number): Promise<Buffer | null> {
  if (Number(req.headers['content-length'] ?? 0) > limit) return Promise.resolve(null);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        req.pause();
        resolve(null);
        return;
      }
      chunks.push(chunk);
    };
    req.on('data', onData);
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
    // Closed before its end (the client went away): nobody to answer.
    req.once('close', () => {
      if (!req.complete) reject(Object.assign(new Error('aborted'), { code: 'ECONNRESET' }));
    });
  });
}
const DEFAULT_INTEGRATION_TIMEOUT_MS = 30_000;
/**
 * Lambda runs each request in an environment of its own; local mode runs a function's requests in
 * one worker on two cores, over one DynamoDB Local, whose transactions queue. A burst of requests
 * all invoked at once shared that worker and that queue: a probe's 200 POSTs at once ran 1-6 s
 * each in the placing transaction alone, and about 50 of them ran into the function's 10 s timeout
 * and answered 500 while their orders were placed. Invoked a few at a time, each runs as it would
 * alone (tens of ms), the waiting is the gateway's, and a request that cannot be invoked within
 * the integration timeout is answered 503 and never runs.
 */
export const INTEGRATION_CONCURRENCY = 16;
const API_ID = 'local';
const STAGE = '$default';

type Segment =
  | { readonly kind: 'literal'; readonly value: string }
  | { readonly kind: 'param'; readonly name: string }
  | { readonly kind: 'greedy'; readonly name: string };

const RANK = { literal: 0, param: 1, greedy: 2 } as const;

interface CompiledRoute {
  readonly spec: RouteSpec;
  readonly index: number;
  /** Upper-case method or `ANY`; null for `$default`. */
  readonly method: string | null;
  readonly segments: readonly Segment[];
  /** 0 = no variables, 1 = variables, 2 = a greedy variable. */
  readonly tier: number;
}

export interface RouteMatch {
  readonly route: RouteSpec;
  /** Decoded values; empty for routes without variables. */
  readonly pathParameters: Readonly<Record<string, string>>;
}

function decodeSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return raw;
  }
}

function splitPath(path: string): string[] {
  return (path.startsWith('/') ? path.slice(1) : path).split('/');
}

function compileRoute(spec: RouteSpec, index: number): CompiledRoute {
  const key = spec.routeKey.trim();
  if (key === '$default') return { spec, index, method: null, segments: [], tier: 3 };
  const space = key.indexOf(' ');
  if (space < 0) throw new Error(`route key '${spec.routeKey}': expected 'METHOD /path' or '$default'`);
  const method = key.slice(0, space).toUpperCase();
  const path = key.slice(space + 1).trim();
  if (!path.startsWith('/')) throw new Error(`route key '${spec.routeKey}': the path must start with '/'`);
  const parts = splitPath(path);
  const segments = parts.map((part, i): Segment => {
    const variable = /^\{([^{}]+)\}$/.exec(part);
    if (variable === null) return { kind: 'literal', value: part };
    const name = variable[1] as string;
    if (name.endsWith('+')) {
      if (i !== parts.length - 1)
        throw new Error(`route key '${spec.routeKey}': a greedy variable must be the last segment`);
      return { kind: 'greedy', name: name.slice(0, -1) };
    }
    return { kind: 'param', name };
  });
  const tier = Math.max(0, ...segments.map((s) => RANK[s.kind]));
  return { spec, index, method, segments, tier };
}

function matchSegments(segments: readonly Segment[], raw: readonly string[]): Record<string, string> | null {
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as Segment;
    if (segment.kind === 'greedy') {
      const rest = raw.slice(i);
      if (rest.length === 0) return null;
      const value = rest.map(decodeSegment).join('/');
      if (value === '') return null;
      params[segment.name] = value;
      return params;
    }
    const part = raw[i];
    if (part === undefined) return null;
    const decoded = decodeSegment(part);
    if (segment.kind === 'literal') {
      if (decoded !== segment.value) return null;
    } else {
      if (decoded === '') return null;
      params[segment.name] = decoded;
    }
  }
  return raw.length === segments.length ? params : null;
}

/** Negative when `a` is the more specific route. */
function compareSpecificity(a: CompiledRoute, b: CompiledRoute): number {
  if (a.tier !== b.tier) return a.tier - b.tier;
  const n = Math.min(a.segments.length, b.segments.length);
  for (let i = 0; i < n; i++) {
    const d = RANK[(a.segments[i] as Segment).kind] - RANK[(b.segments[i] as Segment).kind];
    if (d !== 0) return d;
  }
  const anyA = a.method === 'ANY' ? 1 : 0;
  const anyB = b.method === 'ANY' ? 1 : 0;
  if (anyA !== anyB) return anyA - anyB;
  return a.index - b.index;
}

/** The route HTTP APIs would pick for `method` and the raw `path`, or null (404). */
export function matchRoute(routes: readonly RouteSpec[], method: string, path: string): RouteMatch | null {
  return matchCompiled(routes.map(compileRoute), method, path);
}

function matchCompiled(routes: readonly CompiledRoute[], method: string, path: string): RouteMatch | null {
  const upper = method.toUpperCase();
  const raw = splitPath(path);
  let best: { route: CompiledRoute; params: Record<string, string> } | null = null;
  let fallback: CompiledRoute | null = null;
  for (const route of routes) {
    if (route.method === null) {
      fallback ??= route;
      continue;
    }
    if (route.method !== upper && route.method !== 'ANY') continue;
    const params = matchSegments(route.segments, raw);
    if (params === null) continue;
    if (best === null || compareSpecificity(route, best.route) < 0) best = { route, params };
  }
  if (best !== null) return { route: best.route.spec, pathParameters: best.params };
  if (fallback !== null) return { route: fallback.spec, pathParameters: {} };
  return null;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number) => String(n).padStart(2, '0');

/** `requestContext.time`: `dd/MMM/yyyy:HH:mm:ss +0000`. */
export function requestTime(epochMs: number): string {
  const d = new Date(epochMs);
  return (
    `${pad(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`
  );
}

/** Query parameters as API Gateway gives them: decoded, repeated keys comma-joined; undefined when none. */
export function parseQueryString(rawQueryString: string): Record<string, string> | undefined {
  if (rawQueryString === '') return undefined;
  // A Map, then own properties: a parameter named `__proto__` is a parameter as API Gateway's JSON
  // event has it, not a prototype assignment that drops it (a probe's `?__proto__=1` was unseen).
  const out = new Map<string, string>();
  for (const pair of rawQueryString.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decodeQueryPart(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decodeQueryPart(pair.slice(eq + 1));
    const before = out.get(key);
    out.set(key, before === undefined ? value : `${before},${value}`);
  }
  return out.size > 0 ? Object.fromEntries(out) : undefined;
}

function decodeQueryPart(raw: string): string {
  return decodeSegment(raw.replace(/\+/g, ' '));
}

const TEXT_MIME =
  /^(text\/.*|application\/(json|xml|javascript|x-www-form-urlencoded)|.*\+(json|xml)|.*\/.*json.*)$/;

/** Whether API Gateway passes a body of this content type as text (else base64). */
export function isTextContentType(contentType: string | undefined): boolean {
  if (contentType === undefined) return false;
  const mime = (contentType.split(';')[0] ?? '').trim().toLowerCase();
  return mime !== '' && TEXT_MIME.test(mime);
}

let requestCounter = randomBytes(6).readUIntBE(0, 6);

/** A unique id shaped like HTTP APIs' (`JKJaXmPLvHcESHA=`): a per-process counter plus randomness. */
function newRequestId(): string {
  requestCounter = (requestCounter + 1) % 2 ** 48;
  const buf = Buffer.alloc(11);
  buf.writeUIntBE(requestCounter, 0, 6);
  randomBytes(5).copy(buf, 6);
  return buf.toString('base64');
}

function traceId(epochMs: number): string {
  return `Root=1-${Math.floor(epochMs / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;
}

function gatewayError(error: { statusCode: number; message: string }, requestId: string): LocalHttpResponse {
  return {
    statusCode: error.statusCode,
    headers: { 'content-type': 'application/json', 'apigw-requestid': requestId },
    body: Buffer.from(JSON.stringify({ message: error.message }), 'utf8'),
  };
}

interface NormalizedRequest {
  headers: Record<string, string>;
  cookies: string[] | undefined;
}

function normalizeHeaders(req: LocalHttpRequest, sourceIp: string, epochMs: number): NormalizedRequest {
  const headers: Record<string, string> = {};
  const cookieParts: string[] = [];
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    const values = typeof value === 'string' ? [value] : [...value];
    if (values.length === 0) continue;
    if (lower === 'cookie') {
      cookieParts.push(...values);
      continue;
    }
    headers[lower] = Object.hasOwn(headers, lower)
      ? `${headers[lower]},${values.join(',')}`
      : values.join(',');
  }
  const cookies = cookieParts
    .flatMap((c) => c.split(';'))
    .map((c) => c.trim())
    .filter((c) => c !== '');
  const forwarded = headers['x-forwarded-for'];
  headers['x-forwarded-for'] = forwarded ? `${forwarded}, ${sourceIp}` : sourceIp;
  const proto = req.protocol ?? 'http';
  const port = /:(\d+)$/.exec(headers.host ?? '')?.[1];
  headers['x-forwarded-port'] = port ?? (proto === 'https' ? '443' : '80');
  headers['x-forwarded-proto'] = proto;
  headers['x-amzn-trace-id'] ??= traceId(epochMs);
  return { headers, cookies: cookies.length > 0 ? cookies : undefined };
}

interface AuthorizerSettings {
  readonly functionLogicalId: string;
  readonly identitySources: readonly string[];
  readonly resultTtlSeconds: number;
  readonly enableSimpleResponses: boolean;
}

type AuthDecision =
  | { readonly kind: 'allow'; readonly context: unknown }
  | { readonly kind: 'deny' }
  | { readonly kind: 'error'; readonly error: string };

/** The value of one identity source expression, or undefined when absent/empty. */
function identityValue(
  expression: string,
  headers: Record<string, string>,
  query: Record<string, string> | undefined,
  context: Record<string, unknown>,
): string | undefined {
  let value: unknown;
  if (expression.startsWith('$request.header.')) {
    value = headers[expression.slice('$request.header.'.length).toLowerCase()];
  } else if (expression.startsWith('$request.querystring.')) {
    const key = expression.slice('$request.querystring.'.length);
    value = query && Object.hasOwn(query, key) ? query[key] : undefined;
  } else if (expression.startsWith('$context.')) {
    value = expression
      .slice('$context.'.length)
      .split('.')
      .reduce<unknown>(
        (v, k) => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
        context,
      );
  } else {
    value = undefined; // $stageVariables.*: the local stage has none
  }
  if (value === undefined || value === null) return undefined;
  const text = typeof value === 'string' ? value : String(value);
  return text === '' ? undefined : text;
}

function wildcardMatch(pattern: string, text: string): boolean {
  const re = new RegExp(
    `^${pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
  );
  return re.test(text);
}

const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);

/** The decision of an IAM-policy authorizer response for `routeArn`, or null when malformed. */
function policyDecision(result: Record<string, unknown>, routeArn: string): AuthDecision | null {
  const doc = result.policyDocument;
  if (doc === null || typeof doc !== 'object') return null;
  const statements = asArray((doc as Record<string, unknown>).Statement);
  let allowed = false;
  for (const s of statements) {
    if (s === null || typeof s !== 'object') return null;
    const st = s as Record<string, unknown>;
    const actions = asArray(st.Action).map(String);
    const resources = asArray(st.Resource).map(String);
    const applies =
      actions.some((a) => wildcardMatch(a.toLowerCase(), 'execute-api:invoke')) &&
      resources.some((r) => wildcardMatch(r, routeArn));
    if (!applies) continue;
    if (st.Effect === 'Deny') return { kind: 'deny' };
    if (st.Effect === 'Allow') allowed = true;
  }
  return allowed ? { kind: 'allow', context: result.context ?? null } : { kind: 'deny' };
}

function invokeResultError(result: InvokeResult & { ok: false }): string {
  return `${result.errorType}: ${result.errorMessage}`;
}

type Timed<T> = { readonly timedOut: false; readonly value: T } | { readonly timedOut: true };

async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<Timed<T>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Timed<T>>((resolve) => {
    timer = setTimeout(() => resolve({ timedOut: true }), ms);
    timer.unref?.();
  });
  try {
    return await Promise.race([promise.then((value): Timed<T> => ({ timedOut: false, value })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Maps a format 2.0 function result to the HTTP response, or null when it is malformed. */
export function mapLambdaResult(
  payload: unknown,
): { statusCode: number; headers: Record<string, string | string[]>; body: Buffer } | null {
  if (
    payload === null ||
    typeof payload !== 'object' ||
    Array.isArray(payload) ||
    !('statusCode' in payload)
  ) {
    const body = typeof payload === 'string' ? payload : JSON.stringify(payload ?? null);
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from(body, 'utf8'),
    };
  }
  const result = payload as Record<string, unknown>;
  const { statusCode } = result;
  if (typeof statusCode !== 'number' || !Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599)
    return null;
  const headers: Record<string, string | string[]> = {};
  if (result.headers !== undefined && result.headers !== null) {
    if (typeof result.headers !== 'object' || Array.isArray(result.headers)) return null;
    for (const [name, value] of Object.entries(result.headers as Record<string, unknown>)) {
      if (value === undefined || value === null) continue;
      if (!['string', 'number', 'boolean'].includes(typeof value)) return null;
      headers[name.toLowerCase()] = String(value);
    }
  }
  if (result.cookies !== undefined && result.cookies !== null) {
    if (!Array.isArray(result.cookies) || !result.cookies.every((c) => typeof c === 'string')) return null;
    if (result.cookies.length > 0) {
      const existing = headers['set-cookie'];
      headers['set-cookie'] = [...(existing === undefined ? [] : [existing].flat()), ...result.cookies];
    }
  }
  headers['content-type'] ??= 'text/plain; charset=utf-8';
  const body = result.body;
  if (body !== undefined && body !== null && typeof body !== 'string') return null;
  const text = body ?? '';
  return {
    statusCode,
    headers,
    body: result.isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8'),
  };
}

/** The HTTP API stand-in: `handle` answers one request like API Gateway would. */
/** How the local API's HTTP server treats its connections (API_SERVER_TIMEOUTS). */
export interface ApiServerTimeouts {
  /** How long an idle client connection stays open. */
  readonly keepAliveMs: number;
  /** How long a client may take to send a whole request, its body included. */
  readonly requestMs: number;
  /** How often the server looks for requests past `requestMs`. */
  readonly checkEveryMs: number;
}

/**
 * Clients keep connections alive and reuse them (fetch/undici drops an idle one after 4 s; the
 * SDKs' agents and urllib3 pools keep theirs longer). With Node's default 5 s the server closed
 * idle connections while a client could be sending on one ("other side closed"): keep them open
 * longer than the clients do, as API Gateway does (and as local/aws-endpoint.ts does). A client
 * that stops sending mid-request is answered 408 within about 30 s, as API Gateway gives up on a
 * slow client well within its 30 s: Node's defaults (300 s, looked at every 30 s) answered a
 * probe's body shorter than its Content-Length after 314 s.
 */
export const API_SERVER_TIMEOUTS: ApiServerTimeouts = {
  keepAliveMs: 65_000,
  requestMs: 25_000,
  checkEveryMs: 5_000,
};

/**
 * The local API's HTTP server, with `timeouts`. Only a request for `upgradePath` (the stream) is
 * an upgrade; one with an `Upgrade` header elsewhere (curl's `--http2` sends `Upgrade: h2c`) is
 * an HTTP request like any other, as API Gateway serves it: a probe's got an empty 404 from the
 * upgrade listener. A `CONNECT` is answered as a route no route matches (it was closed unanswered).
 */
export function createApiServer(
  listener: RequestListener,
  timeouts: ApiServerTimeouts = API_SERVER_TIMEOUTS,
  upgradePath?: string,
): Server {
  const server = createServer(
    {
      keepAliveTimeout: timeouts.keepAliveMs,
      headersTimeout: Math.min(timeouts.keepAliveMs + 1_000, timeouts.requestMs),
      requestTimeout: timeouts.requestMs,
      connectionsCheckingInterval: timeouts.checkEveryMs,
      shouldUpgradeCallback: (req) => upgradePath !== undefined && requestPath(req.url) === upgradePath,
    },
    listener,
  );
  // Node gives an upgrade's or a CONNECT's socket to its listener without an error listener: a
  // client resetting it while the stream's `$connect` ran, or after a CONNECT's answer (curl
  // through a proxy), threw in local mode's process and stopped the whole OMS (a probe).
  const survivesReset = (_req: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => socket.destroy());
  };
  server.prependListener('upgrade', survivesReset);
  server.prependListener('connect', survivesReset);
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    const { statusCode, message } = GATEWAY_ERRORS.notFound;
    const body = JSON.stringify({ message });
    socket.end(
      `HTTP/1.1 ${statusCode} ${message}\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
  // A request Node cannot read (headers over its 16 KB, a malformed request line, a lower-case
  // method, a request that stalled) is answered with a JSON body like every other API error: Node's
  // own answer has none (a probe's 431 and 400 were empty).
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const status =
      err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const reason = STATUS_CODES[status] ?? 'Bad Request';
    const body = JSON.stringify({ code: status * 100_000, message: reason });
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  });
  return server;
}

/**
 * The request's path as sent, before its query: API Gateway routes the path as the client sent it
 * (`rawPath`). WHATWG URL parsing resolves dot segments, encoded ones too: a probe's
 * `PUT /v1/accounts/%2e%2e/trading-state` became `PUT /v1/trading-state` and halted the firm
 * instead of answering that no account `..` exists. An absolute-form target (a proxy's
 * `http://host/path`) keeps its path, equally unresolved.
 */
export function requestPath(target: string | undefined): string {
  const raw = target ?? '/';
  const absolute = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(raw);
  const rest = absolute === null ? raw : raw.slice(absolute[0].length);
  const path = rest.split(/[?#]/, 1)[0] ?? '';
  return path.startsWith('/') ? path : `/${path}`;
}

/** The request's query string as sent, without its `?`. */
export function requestQuery(target: string | undefined): string {
  const raw = target ?? '';
  const at = raw.indexOf('?');
  if (at < 0) return '';
  const hash = raw.indexOf('#', at);
  return raw.slice(at + 1, hash < 0 ? undefined : hash);
}

export class LocalHttpApi {
  private readonly routes: readonly CompiledRoute[];
  private readonly integrationTimeoutMs: number;
  private readonly now: () => number;
  private readonly authCache = new Map<string, { expiresAt: number; response: unknown }>();
  /** Per function: the requests it runs now, and those waiting their turn (in arrival order). */
  private readonly lanes = new Map<string, { running: number; waiting: Array<() => void> }>();

  constructor(
    readonly api: HttpApiSpec,
    private readonly invoker: Invoker,
    private readonly options: LocalHttpApiOptions = {},
  ) {
    this.routes = api.routes.map(compileRoute);
    this.integrationTimeoutMs = options.integrationTimeoutMs ?? DEFAULT_INTEGRATION_TIMEOUT_MS;
    this.now = options.now ?? Date.now;
  }

  /** The route a request would take (null: 404). */
  match(method: string, path: string): RouteMatch | null {
    return matchCompiled(this.routes, method, path);
  }

  /** Forgets cached authorizer results. */
  clearAuthorizerCache(): void {
    this.authCache.clear();
  }

  async handle(req: LocalHttpRequest): Promise<LocalHttpResponse> {
    const requestId = newRequestId();
    try {
      return await this.handleRequest(req, requestId);
    } catch (err) {
      this.report(requestId, '-', 'integration', String((err as Error)?.stack ?? err));
      return gatewayError(GATEWAY_ERRORS.internal, requestId);
    }
  }

  private report(
    requestId: string,
    routeKey: string,
    stage: 'authorizer' | 'integration',
    error: string,
  ): void {
    this.options.onError?.({ requestId, routeKey, stage, error });
  }

  private async handleRequest(req: LocalHttpRequest, requestId: string): Promise<LocalHttpResponse> {
    const method = req.method.toUpperCase();
    const match = this.match(method, req.path);
    if (match === null) return gatewayError(GATEWAY_ERRORS.notFound, requestId);
    if (req.body.length > MAX_REQUEST_BODY_BYTES) return gatewayError(GATEWAY_ERRORS.tooLarge, requestId);

    const epochMs = this.now();
    const sourceIp = req.sourceIp ?? '127.0.0.1';
    const { headers, cookies } = normalizeHeaders(req, sourceIp, epochMs);
    const query = parseQueryString(req.rawQueryString);
    const host = (headers.host ?? 'localhost').replace(/:\d+$/, '').toLowerCase();
    const routeKey = match.route.routeKey;
    const requestContext: Record<string, unknown> = {
      accountId: LOCAL_ACCOUNT_ID,
      apiId: API_ID,
      domainName: host,
      domainPrefix: host.split('.')[0] ?? host,
      http: {
        method,
        path: req.path,
        protocol: 'HTTP/1.1',
        sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey,
      stage: STAGE,
      time: requestTime(epochMs),
      timeEpoch: epochMs,
    };
    const pathParameters =
      Object.keys(match.pathParameters).length > 0 ? { ...match.pathParameters } : undefined;

    let authorizerContext: unknown;
    let authorized = false;
    if (match.route.authorizerFunctionLogicalId !== null) {
      const settings: AuthorizerSettings =
        this.api.authorizer !== null &&
        this.api.authorizer.functionLogicalId === match.route.authorizerFunctionLogicalId
          ? this.api.authorizer
          : {
              functionLogicalId: match.route.authorizerFunctionLogicalId,
              identitySources: [],
              resultTtlSeconds: 0,
              enableSimpleResponses: true,
            };
      const identity: string[] = [];
      for (const expression of settings.identitySources) {
        const value = identityValue(expression, headers, query, requestContext);
        if (value === undefined) return gatewayError(GATEWAY_ERRORS.unauthorized, requestId);
        identity.push(value);
      }
      const routeArn = `arn:aws:execute-api:${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}:${API_ID}/${STAGE}/${method}/${req.path.replace(/^\//, '')}`;
      const authEvent = {
        version: '2.0',
        type: 'REQUEST',
        routeArn,
        identitySource: identity,
        routeKey,
        rawPath: req.path,
        rawQueryString: req.rawQueryString,
        ...(cookies ? { cookies } : {}),
        headers: { ...headers },
        ...(query ? { queryStringParameters: { ...query } } : {}),
        requestContext: structuredClone(requestContext),
        ...(pathParameters ? { pathParameters: { ...pathParameters } } : {}),
      };
      const decision = await this.authorize(settings, identity, authEvent, routeArn);
      if (decision.kind === 'error') {
        this.report(requestId, routeKey, 'authorizer', decision.error);
        return gatewayError(GATEWAY_ERRORS.internal, requestId);
      }
      if (decision.kind === 'deny') return gatewayError(GATEWAY_ERRORS.forbidden, requestId);
      authorized = true;
      authorizerContext = decision.context;
    }
    if (authorized) requestContext.authorizer = { lambda: authorizerContext ?? null };

    const contentType = headers['content-type'];
    const hasBody = req.body.length > 0;
    const asText = hasBody && isTextContentType(contentType) && isUtf8(req.body);
    const event = {
      version: '2.0',
      routeKey,
      rawPath: req.path,
      rawQueryString: req.rawQueryString,
      ...(cookies ? { cookies } : {}),
      headers,
      ...(query ? { queryStringParameters: query } : {}),
      requestContext,
      ...(pathParameters ? { pathParameters } : {}),
      ...(hasBody ? { body: asText ? req.body.toString('utf8') : req.body.toString('base64') } : {}),
      isBase64Encoded: hasBody && !asText,
    };

    const admitted = this.now();
    // A turn that comes late leaves the request too little of the integration timeout: answered
    // 503 by the timeout while its function still runs (and places). So a third of it at most.
    const release = await this.admit(match.route.functionLogicalId, this.integrationTimeoutMs / 3);
    if (release === null) {
      this.report(
        requestId,
        routeKey,
        'integration',
        'not invoked within a third of the integration timeout',
      );
      return gatewayError(GATEWAY_ERRORS.unavailable, requestId);
    }
    let outcome: Timed<InvokeResult>;
    try {
      outcome = await withTimeout(
        this.invoker.invoke(match.route.functionLogicalId, event),
        Math.max(1, this.integrationTimeoutMs - (this.now() - admitted)),
      );
    } finally {
      release();
    }
    if (outcome.timedOut) {
      this.report(
        requestId,
        routeKey,
        'integration',
        `integration timeout after ${this.integrationTimeoutMs} ms`,
      );
      return gatewayError(GATEWAY_ERRORS.unavailable, requestId);
    }
    const result = outcome.value;
    if (!result.ok) {
      this.report(requestId, routeKey, 'integration', invokeResultError(result));
      return gatewayError(GATEWAY_ERRORS.internal, requestId);
    }
    const mapped = mapLambdaResult(result.payload);
    if (mapped === null) {
      this.report(requestId, routeKey, 'integration', 'malformed Lambda proxy response');
      return gatewayError(GATEWAY_ERRORS.internal, requestId);
    }
    mapped.headers['apigw-requestid'] = requestId;
    return mapped;
  }

  /**
   * Waits for the function's turn (INTEGRATION_CONCURRENCY at once), at most `waitMs`: the release
   * to call once its request is answered, or null when its turn did not come in time.
   */
  private admit(fn: string, waitMs: number): Promise<(() => void) | null> {
    const limit = this.options.integrationConcurrency ?? INTEGRATION_CONCURRENCY;
    let lane = this.lanes.get(fn);
    if (lane === undefined) {
      lane = { running: 0, waiting: [] };
      this.lanes.set(fn, lane);
    }
    const l = lane;
    const release = () => {
      const next = l.waiting.shift();
      if (next !== undefined) next();
      else l.running--;
    };
    if (l.running < limit) {
      l.running++;
      return Promise.resolve(release);
    }
    return new Promise((resolve) => {
      const turn = () => {
        clearTimeout(timer);
        resolve(release);
      };
      const timer = setTimeout(() => {
        l.waiting.splice(l.waiting.indexOf(turn), 1);
        resolve(null);
      }, waitMs);
      timer.unref?.();
      l.waiting.push(turn);
    });
  }

  private async authorize(
    settings: AuthorizerSettings,
    identity: readonly string[],
    event: unknown,
    routeArn: string,
  ): Promise<AuthDecision> {
    const cacheable = settings.resultTtlSeconds > 0 && settings.identitySources.length > 0;
    const cacheKey = `${settings.functionLogicalId}\u0000${identity.join('\u0000')}`;
    const hit = cacheable ? this.authCache.get(cacheKey) : undefined;
    if (hit !== undefined && hit.expiresAt > this.now()) return decide(settings, hit.response, routeArn);
    if (hit !== undefined) this.authCache.delete(cacheKey);
    const outcome = await withTimeout(
      this.invoker.invoke(settings.functionLogicalId, event).catch(
        (err: unknown): InvokeResult => ({
          ok: false,
          errorType: 'InvokeError',
          errorMessage: String((err as Error)?.message ?? err),
        }),
      ),
      this.integrationTimeoutMs,
    );
    if (outcome.timedOut) return { kind: 'error', error: 'authorizer timed out' };
    const result = outcome.value;
    if (!result.ok) return { kind: 'error', error: invokeResultError(result) };
    const decision = decide(settings, result.payload, routeArn);
    // The response is cached (not the decision): an IAM policy is checked against each route's ARN.
    if (cacheable && decision.kind !== 'error')
      this.authCache.set(cacheKey, {
        expiresAt: this.now() + settings.resultTtlSeconds * 1000,
        response: result.payload,
      });
    return decision;
  }
}

/** The authorizer's decision from its response (simple or IAM policy format). */
function decide(settings: AuthorizerSettings, payload: unknown, routeArn: string): AuthDecision {
  if (payload === null || typeof payload !== 'object' || Array.isArray(payload))
    return { kind: 'error', error: 'malformed authorizer response' };
  const response = payload as Record<string, unknown>;
  if (settings.enableSimpleResponses) {
    if (typeof response.isAuthorized !== 'boolean')
      return { kind: 'error', error: 'malformed authorizer response: isAuthorized is not a boolean' };
    return response.isAuthorized ? { kind: 'allow', context: response.context ?? null } : { kind: 'deny' };
  }
  return (
    policyDecision(response, routeArn) ?? {
      kind: 'error',
      error: 'malformed authorizer response: policyDocument',
    }
  );
}
