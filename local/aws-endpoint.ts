/**
 * The local AWS endpoint: one HTTP server speaking the AWS JSON protocols that the handlers' SDK
 * clients use through `AWS_ENDPOINT_URL_SFN` / `AWS_ENDPOINT_URL_EVENTBRIDGE`.
 *
 * `POST /` with `X-Amz-Target: AWSStepFunctions.<Action>` (awsJson1_0) goes to the Step Functions
 * stand-in, `AWSEvents.<Action>` (awsJson1_1) to the EventBridge stand-in, `AmazonSQS.<Action>`
 * (awsJson1_0, `AWS_ENDPOINT_URL_SQS`; any path: SQS clients post to their QueueUrl) to the SQS
 * stand-in (local/sqs-api.ts) when one is given. A result is a 200 with the
 * JSON body; a `LocalServiceError` becomes its status with `{"__type", "message"}` and the
 * `x-amzn-ErrorType` header, which the SDK v3 clients turn into the exception of that name.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LocalServiceError } from './errors.js';

/** A local service that answers protocol actions (`LocalStepFunctions`, `LocalEventBridge`). */
export interface AwsJsonService {
  handle(action: string, input: Record<string, unknown>): Promise<Record<string, unknown>>;
}

export interface AwsEndpointOptions {
  /** Port to listen on; a free one when absent or 0. */
  readonly port?: number;
  /** Interface to bind (default 127.0.0.1). */
  readonly host?: string;
  readonly stepFunctions: AwsJsonService;
  readonly eventBridge: AwsJsonService;
  /** SQS's JSON protocol (local/sqs-api.ts); `AmazonSQS.*` is an unknown target without it. */
  readonly sqs?: AwsJsonService;
  /**
   * API Gateway management APIs (`@connections`, restJson1): a request whose path contains
   * `/@connections/` goes here with its method, path and body (local/websocket-api.ts).
   */
  readonly connections?: (
    method: string,
    path: string,
    body: Buffer,
  ) => { statusCode: number; headers: Record<string, string>; body: string };
  /** Where unexpected (non-protocol) handler errors are reported. Default: stderr. */
  readonly log?: (message: string) => void;
}

export interface AwsEndpoint {
  /** `http://127.0.0.1:<port>`, for `AWS_ENDPOINT_URL_SFN` and `AWS_ENDPOINT_URL_EVENTBRIDGE`. */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Larger bodies are refused (the services' own limits are far below). */
const MAX_BODY_BYTES = 8 * 1024 * 1024;

const SERVICES = {
  AWSStepFunctions: { key: 'stepFunctions', contentType: 'application/x-amz-json-1.0' },
  AWSEvents: { key: 'eventBridge', contentType: 'application/x-amz-json-1.1' },
  AmazonSQS: { key: 'sqs', contentType: 'application/x-amz-json-1.0' },
} as const;

class ProtocolError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

/** A `LocalServiceError` (also one from another copy of the module: same class name and shape). */
function asServiceError(e: unknown): { type: string; message: string; status: number } | null {
  if (!(e instanceof LocalServiceError || e instanceof ProtocolError)) {
    if (e === null || typeof e !== 'object' || e.constructor?.name !== 'LocalServiceError') return null;
  }
  const { type, status, message } = e as { type?: unknown; status?: unknown; message?: unknown };
  if (typeof type !== 'string' || type.length === 0) return null;
  const code = typeof status === 'number' && status >= 400 && status <= 599 ? status : 400;
  return { type, message: typeof message === 'string' ? message : '', status: code };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        tooLarge = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () =>
      tooLarge
        ? reject(new ProtocolError('RequestEntityTooLargeException', 'Request body is too large', 413))
        : resolve(Buffer.concat(chunks)),
    );
    req.on('error', reject);
  });
}

function send(
  res: ServerResponse,
  status: number,
  contentType: string,
  body: unknown,
  errorType?: string,
): void {
  const text = JSON.stringify(body);
  const headers: Record<string, string | number> = {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': randomUUID(),
  };
  if (errorType !== undefined) headers['x-amzn-errortype'] = errorType;
  res.writeHead(status, headers);
  res.end(text);
}

export async function startAwsEndpoint(options: AwsEndpointOptions): Promise<AwsEndpoint> {
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? ((m: string) => process.stderr.write(`[local aws endpoint] ${m}\n`));

  const serve = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let contentType = 'application/x-amz-json-1.1';
    if (options.connections !== undefined && (req.url ?? '').includes('/@connections/')) {
      const body = await readBody(req);
      const out = options.connections(req.method ?? 'GET', req.url ?? '/', body);
      res.writeHead(out.statusCode, { ...out.headers, 'x-amzn-requestid': randomUUID() });
      res.end(out.body);
      return;
    }
    try {
      const target = req.headers['x-amz-target'];
      const dot = typeof target === 'string' ? target.indexOf('.') : -1;
      const prefix = typeof target === 'string' && dot > 0 ? target.slice(0, dot) : '';
      const action = typeof target === 'string' && dot > 0 ? target.slice(dot + 1) : '';
      const service = Object.hasOwn(SERVICES, prefix) ? SERVICES[prefix as keyof typeof SERVICES] : undefined;
      if (service) contentType = service.contentType;
      if (req.method !== 'POST') {
        req.resume();
        throw new ProtocolError('UnknownOperationException', `Method ${req.method} is not supported`, 405);
      }
      const raw = await readBody(req);
      if (!service || action === '') {
        throw new ProtocolError('UnknownOperationException', `Unknown target ${String(target ?? '(none)')}`);
      }
      let input: unknown = {};
      if (raw.length > 0) {
        try {
          input = JSON.parse(raw.toString('utf8'));
        } catch {
          throw new ProtocolError('SerializationException', 'Request body is not valid JSON');
        }
      }
      if (input === null || typeof input !== 'object' || Array.isArray(input)) {
        throw new ProtocolError('SerializationException', 'Request body must be a JSON object');
      }
      const handler = options[service.key];
      if (handler === undefined)
        throw new ProtocolError('UnknownOperationException', `Unknown target ${String(target)}`);
      const output = await handler.handle(action, input as Record<string, unknown>);
      send(res, 200, contentType, output ?? {});
    } catch (e) {
      const known = asServiceError(e);
      if (known) {
        send(res, known.status, contentType, { __type: known.type, message: known.message }, known.type);
        return;
      }
      log(`internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      const message = e instanceof Error ? e.message : String(e);
      send(res, 500, contentType, { __type: 'InternalFailure', message }, 'InternalFailure');
    }
  };

  const server = createServer((req, res) => {
    void serve(req, res).catch((e) => {
      log(`response failed: ${String(e)}`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  // The SDK clients keep connections alive; keep ours open longer than their idle time.
  server.keepAliveTimeout = 65_000;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closing: Promise<void> | null = null;
  return {
    url: `http://${urlHost}:${port}`,
    port,
    close: () => {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
