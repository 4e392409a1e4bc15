/**
 * Firehose stand-in for local mode: the template's delivery streams with an S3 destination
 * (lib/data-warehouse.ts), written to a local directory per bucket.
 *
 * - `put(stream, data)` buffers a record (a rule target delivers the event's JSON, as EventBridge
 *   does); buffers are flushed every `flushIntervalMs` (default 2 s; AWS waits for its buffering
 *   hints, up to 900 s: locally the rows should show while you look), on `flush()` and on `close()`.
 * - A flush runs the stream's Lambda transformation (the same handler, through the Lambda stand-in)
 *   with Firehose's event (`invocationId`, `deliveryStreamArn`, `records[{recordId, data}]`), reads
 *   each record's result (`Ok` / `Dropped` / `ProcessingFailed`) and its `metadata.partitionKeys`,
 *   evaluates the prefix (`!{partitionKeyFromLambda:k}`, `!{timestamp:yyyy-MM-dd}`,
 *   `!{firehose:error-output-type}`, `!{firehose:random-string}`) and writes one object per prefix:
 *   Parquet (Snappy, DuckDB) with the Glue table's columns when the stream converts records, else
 *   the records as they are. Failed records go under the error output prefix as JSON lines
 *   (`processing-failed`, `partitioning-failed`), like Firehose's error records.
 * - Objects are written to a temporary name and renamed, so a reader never sees half a file.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, sep } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { type DeliveryStreamSpec, type GlueColumnSpec, type Invoker, LOCAL_REGION } from './types.js';

export interface LocalFirehoseOptions {
  readonly invoker: Invoker;
  /** The local directory standing in for a bucket (by the bucket's logical id). */
  readonly bucketDir: (bucketLogicalId: string) => string;
  /** How often buffered records are delivered. Default 2000 ms; 0: only on flush() / close(). */
  readonly flushIntervalMs?: number;
  /** Where delivery problems go. Default: stderr. */
  readonly log?: (message: string) => void;
}

interface BufferedRecord {
  readonly recordId: string;
  readonly data: Buffer;
  readonly arrivedAt: number;
}

/** One object a flush wrote. */
export interface DeliveredObject {
  readonly stream: string;
  readonly path: string;
  readonly records: number;
}

const HIVE_TO_DUCKDB: Readonly<Record<string, string>> = {
  string: 'VARCHAR',
  bigint: 'BIGINT',
  int: 'INTEGER',
  smallint: 'SMALLINT',
  tinyint: 'TINYINT',
  double: 'DOUBLE',
  float: 'FLOAT',
  boolean: 'BOOLEAN',
  timestamp: 'TIMESTAMP',
  date: 'DATE',
  binary: 'BLOB',
};

/** DuckDB's type for a Glue (Hive) column type. */
export function duckDbType(hiveType: string): string {
  const t = hiveType.trim().toLowerCase();
  const dec = /^decimal\((\d+),\s*(\d+)\)$/.exec(t);
  if (dec) return `DECIMAL(${dec[1]},${dec[2]})`;
  const mapped = HIVE_TO_DUCKDB[t];
  if (mapped === undefined) throw new Error(`Glue column type ${hiveType} is not modelled locally`);
  return mapped;
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
const quoteText = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** UTC time by a Joda-style pattern (yyyy, MM, dd, HH, mm, ss). */
function formatTimestamp(pattern: string, ms: number): string {
  const iso = new Date(ms).toISOString();
  const parts: Record<string, string> = {
    yyyy: iso.slice(0, 4),
    MM: iso.slice(5, 7),
    dd: iso.slice(8, 10),
    HH: iso.slice(11, 13),
    mm: iso.slice(14, 16),
    ss: iso.slice(17, 19),
  };
  return pattern.replace(/yyyy|MM|dd|HH|mm|ss/g, (k) => parts[k] as string);
}

/** A partition key's value as a path segment: letters, digits, `._=-` (no separator, no dot-dot). */
const SAFE_SEGMENT = /^[A-Za-z0-9._=-]+$/;

/** Evaluates a prefix's expressions; null when a partition key is missing or unsafe. */
export function evaluatePrefix(
  prefix: string,
  context: { partitionKeys?: Readonly<Record<string, string>>; errorType?: string; nowMs: number },
): string | null {
  let ok = true;
  const out = prefix.replace(/!\{([a-zA-Z]+):([^}]*)\}/g, (_whole, ns: string, arg: string) => {
    if (ns === 'partitionKeyFromLambda' || ns === 'partitionKeyFromQuery') {
      const v = context.partitionKeys?.[arg];
      if (v === undefined || !SAFE_SEGMENT.test(v) || v === '.' || v === '..') {
        ok = false;
        return '';
      }
      return v;
    }
    if (ns === 'timestamp') return formatTimestamp(arg, context.nowMs);
    if (ns === 'firehose' && arg === 'error-output-type') return context.errorType ?? 'processing-failed';
    if (ns === 'firehose' && arg === 'random-string') return randomUUID().slice(0, 11);
    ok = false;
    return '';
  });
  return ok ? out : null;
}

export class LocalFirehose {
  private readonly streams: ReadonlyMap<string, DeliveryStreamSpec>;
  private readonly buffers = new Map<string, BufferedRecord[]>();
  private readonly delivered: DeliveredObject[] = [];
  private readonly log: (message: string) => void;
  private readonly timer: NodeJS.Timeout | null;
  private chain: Promise<void> = Promise.resolve();
  private db: Promise<{ instance: DuckDBInstance; connection: DuckDBConnection }> | null = null;
  private scratch: string | null = null;
  private closed = false;
  private sequence = 0;

  constructor(
    streams: readonly DeliveryStreamSpec[],
    private readonly deps: LocalFirehoseOptions,
  ) {
    this.streams = new Map(streams.map((s) => [s.logicalId, s]));
    this.log = deps.log ?? ((m) => process.stderr.write(`[local firehose] ${m}\n`));
    const every = deps.flushIntervalMs ?? 2000;
    this.timer = every > 0 ? setInterval(() => void this.flush(), every) : null;
    this.timer?.unref();
  }

  /** The stream a logical id, name or ARN names. */
  stream(ref: string): DeliveryStreamSpec | undefined {
    return this.streams.get(ref) ?? [...this.streams.values()].find((s) => s.name === ref || s.arn === ref);
  }

  /** Buffers one record (PutRecord). Throws for a stream that does not exist or after close. */
  put(streamRef: string, data: string | Buffer): void {
    const stream = this.stream(streamRef);
    if (stream === undefined)
      throw Object.assign(new Error(`Delivery stream ${streamRef} not found`), {
        name: 'ResourceNotFoundException',
      });
    if (this.closed)
      throw Object.assign(new Error('Firehose stand-in is closed'), { name: 'ServiceUnavailableException' });
    const buffer = this.buffers.get(stream.logicalId) ?? [];
    this.sequence += 1;
    buffer.push({
      recordId: `${Date.now()}-${this.sequence}`,
      data: typeof data === 'string' ? Buffer.from(data, 'utf8') : data,
      arrivedAt: Date.now(),
    });
    this.buffers.set(stream.logicalId, buffer);
  }

  /** Records buffered and not yet delivered. */
  pending(): number {
    let n = 0;
    for (const b of this.buffers.values()) n += b.length;
    return n;
  }

  /** The objects written so far (oldest first). */
  objects(): readonly DeliveredObject[] {
    return [...this.delivered];
  }

  /** Delivers everything buffered so far; resolves when it is written (flushes run one at a time). */
  flush(): Promise<void> {
    const run = this.chain.then(() => this.deliverAll());
    this.chain = run.catch((e: unknown) => this.log(`delivery failed: ${(e as Error).message}`));
    return this.chain;
  }

  /** Flushes what is buffered, then stops the timer and DuckDB. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.flush();
    this.closed = true;
    const db = this.db;
    this.db = null;
    if (db) {
      const { instance, connection } = await db;
      connection.closeSync();
      instance.closeSync();
    }
    if (this.scratch) rmSync(this.scratch, { recursive: true, force: true });
  }

  private async deliverAll(): Promise<void> {
    for (const [id, records] of [...this.buffers.entries()]) {
      if (records.length === 0) continue;
      this.buffers.set(id, []);
      const stream = this.streams.get(id) as DeliveryStreamSpec;
      try {
        await this.deliver(stream, records);
      } catch (e) {
        this.log(`stream ${stream.name}: ${records.length} records not delivered: ${(e as Error).message}`);
        this.writeErrors(
          stream,
          'processing-failed',
          records.map((r) => r.data),
          (e as Error).message,
        );
      }
    }
  }

  private async deliver(stream: DeliveryStreamSpec, records: readonly BufferedRecord[]): Promise<void> {
    const nowMs = Date.now();
    let results: Array<{
      recordId: string;
      result: string;
      data: Buffer;
      partitionKeys?: Record<string, string>;
    }>;
    if (stream.processorFunctionLogicalId === null) {
      results = records.map((r) => ({ recordId: r.recordId, result: 'Ok', data: r.data }));
    } else {
      const out = await this.deps.invoker.invoke(stream.processorFunctionLogicalId, {
        invocationId: randomUUID(),
        deliveryStreamArn: stream.arn,
        region: LOCAL_REGION,
        records: records.map((r) => ({
          recordId: r.recordId,
          approximateArrivalTimestamp: r.arrivedAt,
          data: r.data.toString('base64'),
        })),
      });
      if (!out.ok) throw new Error(`transformation failed: ${out.errorType}: ${out.errorMessage}`);
      const answered = ((out.payload as { records?: unknown[] } | null)?.records ?? []) as Array<{
        recordId?: string;
        result?: string;
        data?: string;
        metadata?: { partitionKeys?: Record<string, string> };
      }>;
      const byId = new Map(answered.map((a) => [a.recordId, a]));
      results = records.map((r) => {
        const a = byId.get(r.recordId);
        // Firehose treats a record the function did not answer as failed.
        if (a === undefined || typeof a.result !== 'string')
          return { recordId: r.recordId, result: 'ProcessingFailed', data: r.data };
        return {
          recordId: r.recordId,
          result: a.result,
          data: a.data === undefined ? r.data : Buffer.from(a.data, 'base64'),
          ...(a.metadata?.partitionKeys === undefined ? {} : { partitionKeys: a.metadata.partitionKeys }),
        };
      });
    }
    const groups = new Map<string, Buffer[]>();
    const failed: Buffer[] = [];
    const unpartitioned: Buffer[] = [];
    for (const r of results) {
      if (r.result === 'Dropped') continue;
      if (r.result !== 'Ok') {
        failed.push(r.data);
        continue;
      }
      const prefix = evaluatePrefix(stream.prefix, {
        ...(r.partitionKeys === undefined ? {} : { partitionKeys: r.partitionKeys }),
        nowMs,
      });
      if (prefix === null) {
        unpartitioned.push(r.data);
        continue;
      }
      const g = groups.get(prefix) ?? [];
      g.push(r.data);
      groups.set(prefix, g);
    }
    if (failed.length > 0)
      this.writeErrors(stream, 'processing-failed', failed, 'the transformation failed the record');
    if (unpartitioned.length > 0)
      this.writeErrors(stream, 'partitioning-failed', unpartitioned, 'missing or unusable partition key');
    for (const [prefix, data] of groups) await this.writeObject(stream, prefix, data, nowMs);
  }

  private objectPath(stream: DeliveryStreamSpec, prefix: string, nowMs: number, extension: string): string {
    const root = resolve(this.deps.bucketDir(stream.bucketLogicalId));
    const file = `${stream.name}-1-${formatTimestamp('yyyy-MM-dd-HH-mm-ss', nowMs)}-${randomUUID()}${extension}`;
    const path = resolve(root, prefix, file);
    if (!path.startsWith(root + sep)) throw new Error(`prefix ${prefix} leaves the bucket`);
    return path;
  }

  private async writeObject(stream: DeliveryStreamSpec, prefix: string, data: Buffer[], nowMs: number) {
    const columns = stream.parquetColumns;
    const path = this.objectPath(stream, prefix, nowMs, columns === null ? '' : '.parquet');
    mkdirSync(dirname(path), { recursive: true });
    const partial = `${path}.partial`;
    if (columns === null) {
      writeFileSync(partial, Buffer.concat(data));
    } else {
      await this.writeParquet(partial, columns, data);
    }
    renameSync(partial, path);
    this.delivered.push({ stream: stream.name, path, records: data.length });
  }

  /** JSON records -> one Parquet file with the Glue columns (keys matched case-insensitively, as the Hive deserializer does). */
  private async writeParquet(
    path: string,
    columns: readonly GlueColumnSpec[],
    data: Buffer[],
  ): Promise<void> {
    const { connection } = await this.duckDb();
    this.scratch ??= mkdtempSync(join(tmpdir(), 'oms-firehose-'));
    const json = join(this.scratch, `${randomUUID()}.ndjson`);
    const lines = data.map((d) => {
      const o = JSON.parse(d.toString('utf8')) as Record<string, unknown>;
      const lower: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(o)) lower[k.toLowerCase()] = v;
      return JSON.stringify(lower);
    });
    writeFileSync(json, `${lines.join('\n')}\n`);
    try {
      const asText = columns.map((c) => `${quoteText(c.name.toLowerCase())}: 'VARCHAR'`).join(', ');
      const select = columns
        .map(
          (c) =>
            `CAST(j.${quoteIdent(c.name.toLowerCase())} AS ${duckDbType(c.type)}) AS ${quoteIdent(c.name)}`,
        )
        .join(', ');
      await connection.run(
        `COPY (SELECT ${select} FROM read_json(${quoteText(json)}, format = 'newline_delimited', columns = {${asText}}) j) ` +
          `TO ${quoteText(path)} (FORMAT parquet, COMPRESSION snappy)`,
      );
    } finally {
      rmSync(json, { force: true });
    }
  }

  private duckDb() {
    this.db ??= (async () => {
      const instance = await DuckDBInstance.create(':memory:');
      return { instance, connection: await instance.connect() };
    })();
    return this.db;
  }

  private writeErrors(
    stream: DeliveryStreamSpec,
    errorType: string,
    data: readonly Buffer[],
    message: string,
  ) {
    try {
      const nowMs = Date.now();
      const prefix = evaluatePrefix(stream.errorOutputPrefix, { errorType, nowMs }) ?? `${errorType}/`;
      const path = this.objectPath(stream, prefix, nowMs, '');
      mkdirSync(dirname(path), { recursive: true });
      const lines = data.map((d) =>
        JSON.stringify({
          rawData: d.toString('base64'),
          errorCode:
            errorType === 'processing-failed' ? 'Lambda.ProcessingFailed' : 'DynamicPartitioning.Failed',
          errorMessage: message,
          attemptsMade: 1,
          arrivalTimestamp: nowMs,
        }),
      );
      writeFileSync(path, `${lines.join('\n')}\n`);
      this.log(`stream ${stream.name}: ${data.length} records to ${path} (${errorType})`);
    } catch (e) {
      this.log(`stream ${stream.name}: error records lost: ${(e as Error).message}`);
    }
  }
}

/**
 * Where local mode keeps the warehouse (the bucket of the warehouse's streams): `--data-dir`'s
 * `warehouse/`, else OMS_WAREHOUSE_DIR, else `<repo>/.oms-local/warehouse` (npm start and
 * `npm run analytics` agree on it).
 */
export function localWarehouseDir(
  options: { dataDir?: string | undefined; env?: NodeJS.ProcessEnv } = {},
): string {
  const env = options.env ?? process.env;
  if (options.dataDir !== undefined && options.dataDir !== '') return resolve(options.dataDir, 'warehouse');
  if (env.OMS_WAREHOUSE_DIR !== undefined && env.OMS_WAREHOUSE_DIR !== '')
    return resolve(env.OMS_WAREHOUSE_DIR);
  return resolve(__dirname, '..', '.oms-local', 'warehouse');
}
