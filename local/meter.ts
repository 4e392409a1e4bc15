/**
 * The per-order work meter of local mode (issue 12): what one flow costs in the units AWS bills.
 *
 * - DynamoDB: a counting proxy in front of DynamoDB Local. Each function reaches it at its own
 *   path (`AWS_ENDPOINT_URL_DYNAMODB=http://127.0.0.1:<port>/fn/<logicalId>`), so every request is
 *   attributed to the function that made it. The proxy asks DynamoDB Local for the consumed
 *   capacity (`ReturnConsumedCapacity: INDEXES`, which DynamoDB Local computes like the service
 *   for single-item requests: item size rounded up per 1 KB written / 4 KB read, halved for
 *   eventually consistent reads, plus every GSI the write touches) and records requests, read and
 *   write units per function x table x operation. A transaction is where DynamoDB Local differs:
 *   it reports 2 units per table the transaction writes (and per index), where AWS bills 2 per
 *   item and KB, so a transaction of several items on one table counts less here than AWS bills
 *   (docs/bench.md). Requests made by the simulated venue's own client (its user agent says so,
 *   lambdas/broker-gateway/simulated/venue-client.ts) are recorded under `<function> (simulated
 *   venue)`: a real venue behind the port costs the OMS no DynamoDB. The Streams API (the stream pollers standing in
 *   for Lambda's event source mapping, free on AWS) does not go through it.
 * - Lambda: invocations and their measured durations, per function (LocalLambdaRuntime's hook).
 * - Step Functions: states entered per state machine (Standard bills one transition per state
 *   entered, and one per retry).
 * - EventBridge: events put on the bus, per detail-type; SQS: messages sent, per queue; the HTTP
 *   API: requests.
 *
 * Readings are plain objects; `meterDelta(after, before)` is what happened in between.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SIMULATED_VENUE_USER_AGENT } from '../lambdas/broker-gateway/simulated/venue-client.js';

/** What the simulated venue's requests are recorded under: `<function logical id> (simulated venue)`. */
export const SIMULATED_VENUE_SUFFIX = ' (simulated venue)';

export interface DynamoDbUsage {
  requests: number;
  readUnits: number;
  writeUnits: number;
}

export interface LambdaUsage {
  invocations: number;
  durationMs: number;
}

export interface MeterReading {
  /** function logical id -> `table op` -> usage. */
  readonly dynamodb: Record<string, Record<string, DynamoDbUsage>>;
  /** function logical id -> usage. */
  readonly lambda: Record<string, LambdaUsage>;
  /** state machine name -> states entered. */
  readonly stateTransitions: Record<string, number>;
  /** detail-type -> events put on the bus. */
  readonly events: Record<string, number>;
  /** queue name -> messages sent. */
  readonly sqsMessages: Record<string, number>;
  httpRequests: number;
}

export function emptyReading(): MeterReading {
  return { dynamodb: {}, lambda: {}, stateTransitions: {}, events: {}, sqsMessages: {}, httpRequests: 0 };
}

/** Operations that take `ReturnConsumedCapacity`, and whether they read or write. */
const CAPACITY_OPS: Readonly<Record<string, 'read' | 'write'>> = {
  GetItem: 'read',
  BatchGetItem: 'read',
  Query: 'read',
  Scan: 'read',
  TransactGetItems: 'read',
  PutItem: 'write',
  UpdateItem: 'write',
  DeleteItem: 'write',
  BatchWriteItem: 'write',
  TransactWriteItems: 'write',
};

/** The table a request names (the first one, for batches and transactions). */
export function requestTable(body: Record<string, unknown>): string {
  if (typeof body.TableName === 'string') return body.TableName;
  const items = body.RequestItems;
  if (items !== null && typeof items === 'object') return Object.keys(items)[0] ?? '?';
  const transact = body.TransactItems;
  if (Array.isArray(transact)) {
    const first = transact[0] as Record<string, { TableName?: string }> | undefined;
    const inner = first === undefined ? undefined : Object.values(first)[0];
    if (inner?.TableName !== undefined) return inner.TableName;
  }
  return '?';
}

/** Sum of `CapacityUnits` of a response's ConsumedCapacity (one object or a list). */
export function consumedUnits(response: Record<string, unknown>): number {
  const cc = response.ConsumedCapacity;
  const list = Array.isArray(cc) ? cc : cc === undefined || cc === null ? [] : [cc];
  let sum = 0;
  for (const c of list as { CapacityUnits?: number }[]) sum += c.CapacityUnits ?? 0;
  return sum;
}

export class LocalMeter {
  private reading: MeterReading = emptyReading();
  /** Table names as the template names them, for readable keys (physical name -> logical id). */
  constructor(private readonly tableNames: Readonly<Record<string, string>> = {}) {}

  dynamoDb(fn: string, table: string, op: string, readUnits: number, writeUnits: number): void {
    const perFn = this.reading.dynamodb[fn] ?? {};
    this.reading.dynamodb[fn] = perFn;
    const key = `${this.tableNames[table] ?? table} ${op}`;
    const u = perFn[key] ?? { requests: 0, readUnits: 0, writeUnits: 0 };
    perFn[key] = u;
    u.requests += 1;
    u.readUnits += readUnits;
    u.writeUnits += writeUnits;
  }

  invocation(fn: string, durationMs: number): void {
    const u = this.reading.lambda[fn] ?? { invocations: 0, durationMs: 0 };
    this.reading.lambda[fn] = u;
    u.invocations += 1;
    u.durationMs += durationMs;
  }

  stateEntered(machine: string): void {
    this.reading.stateTransitions[machine] = (this.reading.stateTransitions[machine] ?? 0) + 1;
  }

  event(detailType: string): void {
    this.reading.events[detailType] = (this.reading.events[detailType] ?? 0) + 1;
  }

  sqsMessage(queue: string): void {
    this.reading.sqsMessages[queue] = (this.reading.sqsMessages[queue] ?? 0) + 1;
  }

  httpRequest(): void {
    this.reading.httpRequests += 1;
  }

  /** A deep copy of the counts so far. */
  read(): MeterReading {
    return structuredClone(this.reading);
  }
}

function subtractCounts(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(a)) {
    const d = v - (b[k] ?? 0);
    if (d !== 0) out[k] = d;
  }
  return out;
}

/** What happened between two readings of the same meter. */
export function meterDelta(after: MeterReading, before: MeterReading): MeterReading {
  const dynamodb: MeterReading['dynamodb'] = {};
  for (const [fn, ops] of Object.entries(after.dynamodb)) {
    for (const [key, u] of Object.entries(ops)) {
      const was = before.dynamodb[fn]?.[key] ?? { requests: 0, readUnits: 0, writeUnits: 0 };
      if (u.requests === was.requests) continue;
      const perFn = dynamodb[fn] ?? {};
      dynamodb[fn] = perFn;
      perFn[key] = {
        requests: u.requests - was.requests,
        readUnits: u.readUnits - was.readUnits,
        writeUnits: u.writeUnits - was.writeUnits,
      };
    }
  }
  const lambda: MeterReading['lambda'] = {};
  for (const [fn, u] of Object.entries(after.lambda)) {
    const was = before.lambda[fn] ?? { invocations: 0, durationMs: 0 };
    if (u.invocations === was.invocations) continue;
    lambda[fn] = { invocations: u.invocations - was.invocations, durationMs: u.durationMs - was.durationMs };
  }
  return {
    dynamodb,
    lambda,
    stateTransitions: subtractCounts(after.stateTransitions, before.stateTransitions),
    events: subtractCounts(after.events, before.events),
    sqsMessages: subtractCounts(after.sqsMessages, before.sqsMessages),
    httpRequests: after.httpRequests - before.httpRequests,
  };
}

/** A reading without the named functions' work (e.g. scheduled functions, counted apart). */
export function withoutFunctions(reading: MeterReading, functions: ReadonlySet<string>): MeterReading {
  // A function's simulated-venue requests go with it (`<fn> (simulated venue)`).
  const keep = <T>(rec: Record<string, T>): Record<string, T> =>
    Object.fromEntries(
      Object.entries(rec).filter(([fn]) => !functions.has(fn.replace(SIMULATED_VENUE_SUFFIX, ''))),
    );
  return { ...reading, dynamodb: keep(reading.dynamodb), lambda: keep(reading.lambda) };
}

export interface DynamoDbTotals extends DynamoDbUsage {}

/** DynamoDB totals of a reading, optionally only for `table` (logical id). */
export function dynamoDbTotals(reading: MeterReading, table?: string): DynamoDbTotals {
  const t = { requests: 0, readUnits: 0, writeUnits: 0 };
  for (const ops of Object.values(reading.dynamodb)) {
    for (const [key, u] of Object.entries(ops)) {
      if (table !== undefined && key.split(' ')[0] !== table) continue;
      t.requests += u.requests;
      t.readUnits += u.readUnits;
      t.writeUnits += u.writeUnits;
    }
  }
  return t;
}

export function lambdaTotals(reading: MeterReading): LambdaUsage {
  const t = { invocations: 0, durationMs: 0 };
  for (const u of Object.values(reading.lambda)) {
    t.invocations += u.invocations;
    t.durationMs += u.durationMs;
  }
  return t;
}

export const sumCounts = (rec: Record<string, number>): number =>
  Object.values(rec).reduce((a, b) => a + b, 0);

export interface DynamoDbMeterProxy {
  /** The endpoint a function uses: the proxy, at the function's own path. */
  endpointFor(functionLogicalId: string): string;
  /** The endpoint for local mode's own requests (seeding, control), counted as `local-mode`. */
  readonly endpoint: string;
  close(): Promise<void>;
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Starts the counting proxy in front of DynamoDB Local (`target`, e.g. `http://127.0.0.1:8000`).
 * The request is forwarded unchanged apart from `ReturnConsumedCapacity` (added when absent); the
 * response goes back byte for byte (a ConsumedCapacity the caller did not ask for is ignored by
 * the SDK).
 */
export async function startDynamoDbMeterProxy(
  target: string,
  meter: LocalMeter,
): Promise<DynamoDbMeterProxy> {
  const targetUrl = new URL(target);
  const server: Server = createServer((req, res) => {
    void (async () => {
      const raw = await readAll(req);
      const match = /^\/fn\/([^/]+)/.exec(req.url ?? '');
      // The simulated venue's own requests (its client says so in its user agent) are kept apart.
      const byVenue = String(req.headers['user-agent'] ?? '').includes(SIMULATED_VENUE_USER_AGENT);
      const fn = `${match?.[1] ?? 'local-mode'}${byVenue ? SIMULATED_VENUE_SUFFIX : ''}`;
      const op = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '?';
      let body = raw;
      let parsed: Record<string, unknown> = {};
      const kind = CAPACITY_OPS[op];
      try {
        parsed = JSON.parse(raw.toString('utf8') || '{}') as Record<string, unknown>;
        if (kind !== undefined && parsed.ReturnConsumedCapacity === undefined) {
          body = Buffer.from(JSON.stringify({ ...parsed, ReturnConsumedCapacity: 'INDEXES' }), 'utf8');
        }
      } catch {
        // not JSON: forwarded as it is
      }
      const headers = { ...req.headers, host: targetUrl.host, 'content-length': String(body.length) };
      const upstream = httpRequest(
        {
          host: targetUrl.hostname,
          port: targetUrl.port,
          method: req.method,
          path: '/',
          headers,
        },
        (up) => {
          void (async () => {
            const out = await readAll(up);
            let units = 0;
            try {
              units = consumedUnits(JSON.parse(out.toString('utf8') || '{}') as Record<string, unknown>);
            } catch {
              // an error body without capacity
            }
            meter.dynamoDb(
              fn,
              requestTable(parsed),
              op,
              kind === 'read' ? units : 0,
              kind === 'write' ? units : 0,
            );
            res.writeHead(up.statusCode ?? 500, up.headers);
            res.end(out);
          })().catch(() => res.destroy());
        },
      );
      upstream.on('error', () => res.destroy());
      upstream.end(body);
    })().catch(() => res.destroy());
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;
  return {
    endpointFor: (fn) => `${base}/fn/${encodeURIComponent(fn)}`,
    endpoint: base,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
