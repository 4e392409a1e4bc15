/**
 * Lambda's event source mapping for DynamoDB Streams, against DynamoDB Local's Streams API.
 *
 * For every mapping whose source is a table stream: the shards are discovered (DescribeStream,
 * re-read periodically and when a shard ends) and read parent before child, each shard strictly in
 * order with one batch in flight. Records are filtered with the mapping's FilterCriteria (a record
 * no filter matches is dropped, as Lambda does), batched up to `batchSize` within
 * `maximumBatchingWindowSeconds`, and delivered as Lambda's `{Records: [...]}` event.
 *
 * Failures, as Lambda handles them:
 * - `reportBatchItemFailures`: `{batchItemFailures: [{itemIdentifier: <SequenceNumber>}]}` means
 *   the records before the lowest failed one are done; the batch is retried from that record.
 *   A null/empty response or an empty list is success; a malformed response (not an object,
 *   a non-array list, an identifier that is missing, empty or not in the batch) fails the batch.
 * - A function error (or a malformed response) retries the whole batch, split in two first when
 *   `bisectBatchOnFunctionError` is on (splitting does not count as a retry).
 * - After `maximumRetryAttempts` retries (-1: until the record expires), or once the oldest record
 *   is older than `maximumRecordAgeSeconds`, the batch's coordinates go to the on-failure queue
 *   (Lambda's stream failure record) and the shard moves on.
 *
 * Checkpoints live in memory: after a restart a mapping starts again at its starting position.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  type AttributeValue,
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  type GetRecordsCommandOutput,
  GetShardIteratorCommand,
  ResourceNotFoundException,
  type Shard,
  type ShardIteratorType,
  type _Record as StreamRecord,
  TrimmedDataAccessException,
} from '@aws-sdk/client-dynamodb-streams';
import { matchesPattern } from './event-pattern.js';
import { localArns } from './intrinsics.js';
import {
  type EventSourceMappingSpec,
  type FunctionSpec,
  type InvokeResult,
  type Invoker,
  LOCAL_REGION,
  type LocalTopology,
  type TableSpec,
} from './types.js';

/** Where failed batches are reported: `LocalQueues.send` (queue logical id, name, ARN or URL). */
export interface FailureDestination {
  send(queueRef: string, body: string, attributes?: Record<string, string>): unknown;
}

export interface StreamPollerOptions {
  readonly endpoint: string;
  readonly topology: Pick<LocalTopology, 'tables' | 'functions' | 'eventSourceMappings'>;
  readonly invoker: Invoker;
  readonly queues: FailureDestination;
  /** Wait between GetRecords calls on an idle shard (default 100 ms). */
  readonly pollIntervalMs?: number;
  /**
   * The wait once a shard has answered nothing IDLE_READS times in a row (default 250 ms, Lambda's
   * four polls a second; never below `pollIntervalMs`); back to `pollIntervalMs` at its next
   * record. An idle local mode polled every mapping's shard ten times a second: a fifth of a core
   * per local mode, and `npm test` runs several at once on 2 cores.
   */
  readonly idlePollIntervalMs?: number;
  /** How often the shard list is re-read (default 1000 ms). */
  readonly shardDiscoveryIntervalMs?: number;
  /** First retry delay; doubles per retry up to `retryMaxDelayMs` (defaults 100 ms and 2000 ms). */
  readonly retryBaseDelayMs?: number;
  readonly retryMaxDelayMs?: number;
  /** Filter matching (default: EventBridge pattern matching, as Lambda's filter criteria). */
  readonly matches?: (pattern: unknown, record: unknown) => boolean;
  /** Diagnostics (default: console.error). */
  readonly log?: (message: string) => void;
  /** Clients to use instead of ones for `endpoint` (tests); not destroyed by `stop()`. */
  readonly clients?: { readonly streams: SendOnly; readonly dynamodb: SendOnly };
}

/** The part of an AWS SDK v3 client the pollers use. */
export interface SendOnly {
  // biome-ignore lint/suspicious/noExplicitAny: commands and outputs of two different clients
  send(command: any, options?: { abortSignal?: AbortSignal }): Promise<any>;
}

export interface StreamPollers {
  /** Settles when every mapping holds its initial shard iterators (LATEST: writes after this are seen). */
  readonly ready: Promise<void>;
  /** Stops polling and waits for batches in flight (idempotent). */
  stop(): Promise<void>;
}

/** An attribute value as it appears in a Lambda event (JSON: binary as base64). */
export type JsonAttributeValue =
  | { S: string }
  | { N: string }
  | { B: string }
  | { SS: string[] }
  | { NS: string[] }
  | { BS: string[] }
  | { M: Record<string, JsonAttributeValue> }
  | { L: JsonAttributeValue[] }
  | { NULL: boolean }
  | { BOOL: boolean };

/** One record of the `{Records}` event Lambda gives a DynamoDB stream consumer. */
export interface LambdaStreamRecord {
  eventID: string;
  eventName: 'INSERT' | 'MODIFY' | 'REMOVE';
  eventVersion: string;
  eventSource: 'aws:dynamodb';
  awsRegion: string;
  dynamodb: {
    ApproximateCreationDateTime: number;
    Keys: Record<string, JsonAttributeValue>;
    NewImage?: Record<string, JsonAttributeValue>;
    OldImage?: Record<string, JsonAttributeValue>;
    SequenceNumber: string;
    SizeBytes: number;
    StreamViewType: string;
  };
  eventSourceARN: string;
  userIdentity?: { type: string; principalId: string };
}

/** Lambda's on-failure destination record for a stream batch. */
export interface StreamFailureRecord {
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: 'RetryAttemptsExhausted' | 'RecordAgeExceeded';
    approximateInvokeCount: number;
  };
  responseContext: { statusCode: number; executedVersion: string; functionError?: string };
  version: '1.0';
  timestamp: string;
  DDBStreamBatchInfo: {
    shardId: string;
    startSequenceNumber: string;
    endSequenceNumber: string;
    approximateArrivalOfFirstRecord: string;
    approximateArrivalOfLastRecord: string;
    batchSize: number;
    streamArn: string;
  };
}

function jsonAttribute(value: AttributeValue): JsonAttributeValue {
  const v = value as unknown as Record<string, unknown>;
  if (v.B !== undefined) return { B: Buffer.from(v.B as Uint8Array).toString('base64') };
  if (v.BS !== undefined) return { BS: (v.BS as Uint8Array[]).map((b) => Buffer.from(b).toString('base64')) };
  if (v.M !== undefined) return { M: jsonImage(v.M as Record<string, AttributeValue>) };
  if (v.L !== undefined) return { L: (v.L as AttributeValue[]).map(jsonAttribute) };
  for (const key of ['S', 'N', 'SS', 'NS', 'NULL', 'BOOL'] as const) {
    if (v[key] !== undefined) return { [key]: v[key] } as JsonAttributeValue;
  }
  // DynamoDB Local writes an empty map into stream records as a bare {} (no type key).
  if (!Array.isArray(v) && Object.keys(v).length === 0) return { M: {} };
  throw new Error(`unsupported attribute value ${JSON.stringify(Object.keys(v))}`);
}

function jsonImage(image: Record<string, AttributeValue>): Record<string, JsonAttributeValue> {
  const out: Record<string, JsonAttributeValue> = {};
  for (const [name, value] of Object.entries(image)) out[name] = jsonAttribute(value);
  return out;
}

/** A Streams API record in the shape Lambda delivers it. */
export function toLambdaRecord(record: StreamRecord, eventSourceArn: string): LambdaStreamRecord {
  const d = record.dynamodb ?? {};
  const created = d.ApproximateCreationDateTime;
  const out: LambdaStreamRecord = {
    eventID: record.eventID ?? '',
    eventName: (record.eventName ?? 'INSERT') as LambdaStreamRecord['eventName'],
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: LOCAL_REGION,
    dynamodb: {
      ApproximateCreationDateTime:
        created === undefined ? Math.floor(Date.now() / 1000) : created.getTime() / 1000,
      Keys: jsonImage(d.Keys ?? {}),
      ...(d.NewImage === undefined ? {} : { NewImage: jsonImage(d.NewImage) }),
      ...(d.OldImage === undefined ? {} : { OldImage: jsonImage(d.OldImage) }),
      SequenceNumber: d.SequenceNumber ?? '',
      SizeBytes: d.SizeBytes ?? 0,
      StreamViewType: d.StreamViewType ?? '',
    },
    eventSourceARN: eventSourceArn,
  };
  if (record.userIdentity?.Type !== undefined) {
    out.userIdentity = { type: record.userIdentity.Type, principalId: record.userIdentity.PrincipalId ?? '' };
  }
  return out;
}

/** Whether a record passes the mapping's filters (no filters: everything passes; several: any). */
export function passesFilters(
  filters: readonly unknown[],
  record: LambdaStreamRecord,
  matches: (pattern: unknown, record: unknown) => boolean = matchesPattern,
): boolean {
  return filters.length === 0 || filters.some((pattern) => matches(pattern, record));
}

/** What one invocation means for the batch. */
export type BatchOutcome =
  | { readonly kind: 'success' }
  /** Records before `retryFrom` (an index into the batch) succeeded. */
  | { readonly kind: 'partial'; readonly retryFrom: number }
  | { readonly kind: 'error'; readonly functionError: boolean; readonly message: string };

/** Interprets an invocation result for a batch, as Lambda does (see the module comment). */
export function batchOutcome(
  result: InvokeResult,
  batch: readonly LambdaStreamRecord[],
  reportBatchItemFailures: boolean,
): BatchOutcome {
  if (!result.ok) {
    return { kind: 'error', functionError: true, message: `${result.errorType}: ${result.errorMessage}` };
  }
  if (!reportBatchItemFailures) return { kind: 'success' };
  const payload = result.payload;
  if (payload === null || payload === undefined) return { kind: 'success' };
  const malformed = (why: string): BatchOutcome => ({
    kind: 'error',
    functionError: false,
    message: `malformed batch item failure response (${why}): ${JSON.stringify(payload)?.slice(0, 200)}`,
  });
  if (typeof payload !== 'object' || Array.isArray(payload)) return malformed('not an object');
  const failures = (payload as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === null || failures === undefined) return { kind: 'success' };
  if (!Array.isArray(failures)) return malformed('batchItemFailures is not a list');
  if (failures.length === 0) return { kind: 'success' };
  let lowest = Number.POSITIVE_INFINITY;
  for (const failure of failures) {
    const id =
      typeof failure === 'object' && failure !== null
        ? (failure as { itemIdentifier?: unknown }).itemIdentifier
        : undefined;
    if (typeof id !== 'string' || id === '') return malformed('an itemIdentifier is missing or empty');
    const index = batch.findIndex((r) => r.dynamodb.SequenceNumber === id);
    if (index < 0) return malformed(`itemIdentifier ${id} is not in the batch`);
    lowest = Math.min(lowest, index);
  }
  return { kind: 'partial', retryFrom: lowest };
}

const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

class Stopped extends Error {}

/** Shared by all mappings: clients, stop signal, settings. */
/** Empty reads in a row after which a shard is polled at `idlePollIntervalMs`. */
const IDLE_READS = 5;

class PollerContext {
  readonly streams: SendOnly;
  readonly dynamodb: SendOnly;
  private readonly owned: { destroy(): void }[] = [];
  readonly abort = new AbortController();
  readonly pollIntervalMs: number;
  readonly idlePollIntervalMs: number;
  readonly discoveryIntervalMs: number;
  readonly retryBaseDelayMs: number;
  readonly retryMaxDelayMs: number;
  readonly matches: (pattern: unknown, record: unknown) => boolean;
  readonly log: (message: string) => void;

  constructor(readonly options: StreamPollerOptions) {
    const config = { endpoint: options.endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS };
    if (options.clients === undefined) {
      const streams = new DynamoDBStreamsClient(config);
      const dynamodb = new DynamoDBClient(config);
      this.owned.push(streams, dynamodb);
      this.streams = streams;
      this.dynamodb = dynamodb;
    } else {
      this.streams = options.clients.streams;
      this.dynamodb = options.clients.dynamodb;
    }
    this.pollIntervalMs = options.pollIntervalMs ?? 100;
    this.idlePollIntervalMs = Math.max(this.pollIntervalMs, options.idlePollIntervalMs ?? 250);
    this.discoveryIntervalMs = options.shardDiscoveryIntervalMs ?? 1000;
    this.retryBaseDelayMs = options.retryBaseDelayMs ?? 100;
    this.retryMaxDelayMs = options.retryMaxDelayMs ?? 2000;
    this.matches = options.matches ?? matchesPattern;
    this.log = options.log ?? ((message) => console.error(`[stream-poller] ${message}`));
  }

  destroy(): void {
    for (const client of this.owned) client.destroy();
  }

  get stopped(): boolean {
    return this.abort.signal.aborted;
  }

  /** Sleeps; throws `Stopped` when the pollers are stopped meanwhile. */
  async sleep(ms: number): Promise<void> {
    if (this.stopped) throw new Stopped();
    try {
      await delay(Math.max(0, ms), undefined, { signal: this.abort.signal });
    } catch {
      throw new Stopped();
    }
  }
}

interface ShardState {
  readonly shard: Shard;
  started: boolean;
  done: boolean;
}

interface PendingRecord {
  readonly record: LambdaStreamRecord;
  readonly arrival: Date;
}

/** One event source mapping: its shards and their workers. */
class MappingPoller {
  private streamArn = '';
  private readonly eventSourceArn: string;
  private readonly shards = new Map<string, ShardState>();
  private readonly workers = new Set<Promise<void>>();
  private firstDiscovery = true;
  private wakeDiscovery: (() => void) | null = null;
  readonly ready: Promise<void>;
  private markReady!: () => void;
  readonly done: Promise<void>;

  constructor(
    private readonly ctx: PollerContext,
    private readonly mapping: EventSourceMappingSpec,
    private readonly table: TableSpec,
    private readonly fn: FunctionSpec,
  ) {
    this.eventSourceArn = localArns().tableStream(table.arn);
    this.ready = new Promise((resolve) => {
      this.markReady = resolve;
    });
    this.done = this.run().catch((error: unknown) => {
      if (!(error instanceof Stopped)) this.ctx.log(`${mapping.logicalId}: stopped on ${String(error)}`);
      this.markReady();
    });
  }

  private async run(): Promise<void> {
    this.streamArn = await this.resolveStreamArn();
    for (;;) {
      await this.discover();
      if (this.firstDiscovery) {
        this.firstDiscovery = false;
        await Promise.all(this.iteratorWaits);
        this.markReady();
      }
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.ctx.abort.signal.removeEventListener('abort', wake);
          this.wakeDiscovery = null;
          resolve();
        };
        const timer = setTimeout(wake, this.ctx.discoveryIntervalMs);
        this.ctx.abort.signal.addEventListener('abort', wake);
        this.wakeDiscovery = wake;
      });
      if (this.ctx.stopped) throw new Stopped();
    }
  }

  /** One per started shard worker: settles once it holds its first iterator (or gave up). */
  private readonly iteratorWaits: Promise<void>[] = [];

  async stop(): Promise<void> {
    await this.done.catch(() => {});
    await Promise.allSettled([...this.workers]);
  }

  private async resolveStreamArn(): Promise<string> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        const out = await this.ctx.dynamodb.send(
          new DescribeTableCommand({ TableName: this.table.tableName }),
          {
            abortSignal: this.ctx.abort.signal,
          },
        );
        const arn = out.Table?.LatestStreamArn;
        if (arn !== undefined && out.Table?.StreamSpecification?.StreamEnabled !== false) return arn;
        if (attempt === 0)
          this.ctx.log(`${this.mapping.logicalId}: table ${this.table.tableName} has no stream yet`);
      } catch (error) {
        if (this.ctx.stopped) throw new Stopped();
        if (attempt === 0)
          this.ctx.log(
            `${this.mapping.logicalId}: waiting for table ${this.table.tableName}: ${String(error)}`,
          );
      }
      await this.ctx.sleep(250);
    }
  }

  private async listShards(): Promise<Shard[]> {
    const shards: Shard[] = [];
    let exclusiveStartShardId: string | undefined;
    do {
      const out = await this.ctx.streams.send(
        new DescribeStreamCommand({
          StreamArn: this.streamArn,
          ExclusiveStartShardId: exclusiveStartShardId,
        }),
        { abortSignal: this.ctx.abort.signal },
      );
      shards.push(...(out.StreamDescription?.Shards ?? []));
      exclusiveStartShardId = out.StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId !== undefined);
    return shards;
  }

  private async discover(): Promise<void> {
    let listed: Shard[];
    try {
      listed = await this.listShards();
    } catch (error) {
      if (this.ctx.stopped) throw new Stopped();
      this.ctx.log(`${this.mapping.logicalId}: DescribeStream failed: ${String(error)}`);
      return;
    }
    const latestAtStart = this.firstDiscovery && this.mapping.startingPosition === 'LATEST';
    for (const shard of listed) {
      const id = shard.ShardId;
      if (id === undefined || this.shards.has(id)) continue;
      // LATEST: shards already closed when the mapping starts hold only old records.
      const closed = shard.SequenceNumberRange?.EndingSequenceNumber !== undefined;
      this.shards.set(id, { shard, started: false, done: latestAtStart && closed });
    }
    // Parent before child: a shard starts once its parent is done or no longer listed.
    for (const state of this.shards.values()) {
      if (state.started || state.done) continue;
      const parent =
        state.shard.ParentShardId === undefined ? undefined : this.shards.get(state.shard.ParentShardId);
      if (parent !== undefined && !parent.done) continue;
      state.started = true;
      const position: ShardIteratorType = latestAtStart ? 'LATEST' : 'TRIM_HORIZON';
      let iteratorReady!: () => void;
      this.iteratorWaits.push(
        new Promise((resolve) => {
          iteratorReady = resolve;
        }),
      );
      const worker = new ShardWorker(
        this.ctx,
        this.mapping,
        this.fn,
        this.streamArn,
        this.eventSourceArn,
        state,
        position,
      )
        .run(iteratorReady)
        .catch((error: unknown) => {
          if (!(error instanceof Stopped))
            this.ctx.log(`${this.mapping.logicalId}/${state.shard.ShardId}: ${String(error)}`);
        })
        .finally(() => {
          iteratorReady();
          this.workers.delete(worker);
          // The shard ended: its children can start now.
          if (state.done) this.wakeDiscovery?.();
        });
      this.workers.add(worker);
    }
  }
}

/** Reads one shard in order and delivers its batches one at a time. */
class ShardWorker {
  private iterator: string | undefined;
  private lastReadSequence: string | undefined;
  private readonly pending: PendingRecord[] = [];
  private readonly shardId: string;

  constructor(
    private readonly ctx: PollerContext,
    private readonly mapping: EventSourceMappingSpec,
    private readonly fn: FunctionSpec,
    private readonly streamArn: string,
    private readonly eventSourceArn: string,
    private readonly state: ShardState,
    private readonly position: ShardIteratorType,
  ) {
    this.shardId = state.shard.ShardId ?? '';
  }

  async run(iteratorReady: () => void): Promise<void> {
    this.iterator = await this.getIterator(this.position);
    iteratorReady();
    const windowMs = this.mapping.maximumBatchingWindowSeconds * 1000;
    const batchSize = Math.max(1, this.mapping.batchSize);
    let windowStart: number | null = null;
    let shardEnded = this.iterator === undefined;
    let emptyReads = 0;
    for (;;) {
      if (this.ctx.stopped) throw new Stopped();
      let gotRecords = false;
      if (!shardEnded && this.pending.length < batchSize) {
        gotRecords = await this.read();
        shardEnded = this.iterator === undefined;
        emptyReads = gotRecords ? 0 : emptyReads + 1;
      }
      if (this.pending.length > 0) {
        windowStart ??= Date.now();
        const full = this.pending.length >= batchSize;
        if (full || shardEnded || Date.now() - windowStart >= windowMs) {
          const batch = this.pending.splice(0, batchSize);
          await this.deliver(batch);
          windowStart = this.pending.length > 0 ? Date.now() : null;
          continue;
        }
      } else if (shardEnded) {
        this.state.done = true;
        return;
      }
      if (gotRecords) continue;
      const untilWindow =
        windowStart === null ? Number.POSITIVE_INFINITY : windowStart + windowMs - Date.now();
      const interval = emptyReads >= IDLE_READS ? this.ctx.idlePollIntervalMs : this.ctx.pollIntervalMs;
      await this.ctx.sleep(Math.min(interval, Math.max(0, untilWindow)));
    }
  }

  private async getIterator(type: ShardIteratorType, sequenceNumber?: string): Promise<string | undefined> {
    for (let attempt = 0; ; attempt += 1) {
      try {
        const out = await this.ctx.streams.send(
          new GetShardIteratorCommand({
            StreamArn: this.streamArn,
            ShardId: this.shardId,
            ShardIteratorType: type,
            ...(sequenceNumber === undefined ? {} : { SequenceNumber: sequenceNumber }),
          }),
          { abortSignal: this.ctx.abort.signal },
        );
        return out.ShardIterator;
      } catch (error) {
        if (this.ctx.stopped) throw new Stopped();
        if (error instanceof ResourceNotFoundException) return undefined;
        if (error instanceof TrimmedDataAccessException && type !== 'TRIM_HORIZON') {
          return this.getIterator('TRIM_HORIZON');
        }
        if (attempt === 0)
          this.ctx.log(`${this.mapping.logicalId}/${this.shardId}: GetShardIterator: ${String(error)}`);
        await this.ctx.sleep(this.backoff(attempt + 1));
      }
    }
  }

  /** One GetRecords call; filtered records go to `pending`. True when the call returned records. */
  private async read(): Promise<boolean> {
    const iterator = this.iterator;
    if (iterator === undefined) return false;
    let out: GetRecordsCommandOutput;
    try {
      out = await this.ctx.streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }), {
        abortSignal: this.ctx.abort.signal,
      });
    } catch (error) {
      if (this.ctx.stopped) throw new Stopped();
      if (error instanceof ExpiredIteratorException) {
        this.iterator =
          this.lastReadSequence === undefined
            ? await this.getIterator(this.position)
            : await this.getIterator('AFTER_SEQUENCE_NUMBER', this.lastReadSequence);
        return false;
      }
      if (error instanceof TrimmedDataAccessException) {
        this.ctx.log(
          `${this.mapping.logicalId}/${this.shardId}: records trimmed, continuing at TRIM_HORIZON`,
        );
        this.iterator = await this.getIterator('TRIM_HORIZON');
        return false;
      }
      if (error instanceof ResourceNotFoundException) {
        this.ctx.log(`${this.mapping.logicalId}/${this.shardId}: shard is gone`);
        this.iterator = undefined;
        return false;
      }
      this.ctx.log(`${this.mapping.logicalId}/${this.shardId}: GetRecords: ${String(error)}`);
      await this.ctx.sleep(this.ctx.retryBaseDelayMs);
      return false;
    }
    this.iterator = out.NextShardIterator;
    const records = out.Records ?? [];
    for (const raw of records) {
      const record = toLambdaRecord(raw, this.eventSourceArn);
      this.lastReadSequence = record.dynamodb.SequenceNumber;
      let pass: boolean;
      try {
        pass = passesFilters(this.mapping.filters, record, this.ctx.matches);
      } catch (error) {
        this.ctx.log(`${this.mapping.logicalId}: filter failed, record dropped: ${String(error)}`);
        pass = false;
      }
      if (pass)
        this.pending.push({ record, arrival: raw.dynamodb?.ApproximateCreationDateTime ?? new Date() });
    }
    return records.length > 0;
  }

  private backoff(retry: number): number {
    return Math.min(this.ctx.retryMaxDelayMs, this.ctx.retryBaseDelayMs * 2 ** Math.max(0, retry - 1));
  }

  private async invoke(batch: readonly PendingRecord[]): Promise<InvokeResult> {
    try {
      // A copy per attempt: a handler that mutates its event cannot change what a retry sees.
      return await this.ctx.options.invoker.invoke(
        this.fn.logicalId,
        structuredClone({ Records: batch.map((p) => p.record) }),
      );
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      return { ok: false, errorType: e.name, errorMessage: e.message };
    }
  }

  /** Delivers one batch until it succeeded or was sent to the on-failure destination. */
  private async deliver(batch: PendingRecord[]): Promise<void> {
    const maxRetries = this.mapping.maximumRetryAttempts;
    const maxAgeMs =
      this.mapping.maximumRecordAgeSeconds === null ? null : this.mapping.maximumRecordAgeSeconds * 1000;
    const work: { records: PendingRecord[]; retries: number; invocations: number }[] = [
      { records: batch, retries: 0, invocations: 0 },
    ];
    while (work.length > 0) {
      if (this.ctx.stopped) throw new Stopped();
      const item = work[0] as (typeof work)[number];
      const oldest = item.records[0] as PendingRecord;
      if (maxAgeMs !== null && item.invocations > 0 && Date.now() - oldest.arrival.getTime() > maxAgeMs) {
        await this.reportFailure(item.records, 'RecordAgeExceeded', item.invocations, null);
        work.shift();
        continue;
      }
      const result = await this.invoke(item.records);
      item.invocations += 1;
      const outcome = batchOutcome(
        result,
        item.records.map((p) => p.record),
        this.mapping.reportBatchItemFailures,
      );
      if (outcome.kind === 'success') {
        work.shift();
        continue;
      }
      if (outcome.kind === 'partial') {
        item.records = item.records.slice(outcome.retryFrom);
      } else if (this.mapping.bisectBatchOnFunctionError && item.records.length > 1) {
        const half = Math.ceil(item.records.length / 2);
        work.splice(
          0,
          1,
          { records: item.records.slice(0, half), retries: item.retries, invocations: item.invocations },
          { records: item.records.slice(half), retries: item.retries, invocations: 0 },
        );
        continue;
      }
      item.retries += 1;
      if (maxRetries >= 0 && item.retries > maxRetries) {
        await this.reportFailure(
          item.records,
          'RetryAttemptsExhausted',
          item.invocations,
          outcome.kind === 'error' ? outcome : null,
        );
        work.shift();
        continue;
      }
      await this.ctx.sleep(this.backoff(item.retries));
    }
  }

  private async reportFailure(
    records: readonly PendingRecord[],
    condition: StreamFailureRecord['requestContext']['condition'],
    invocations: number,
    error: Extract<BatchOutcome, { kind: 'error' }> | null,
  ): Promise<void> {
    const first = records[0] as PendingRecord;
    const last = records[records.length - 1] as PendingRecord;
    const failure: StreamFailureRecord = {
      requestContext: {
        requestId: randomUUID(),
        functionArn: this.fn.arn,
        condition,
        approximateInvokeCount: invocations,
      },
      responseContext: {
        statusCode: 200,
        executedVersion: '$LATEST',
        ...(error?.functionError ? { functionError: 'Unhandled' } : {}),
      },
      version: '1.0',
      timestamp: new Date().toISOString(),
      DDBStreamBatchInfo: {
        shardId: this.shardId,
        startSequenceNumber: first.record.dynamodb.SequenceNumber,
        endSequenceNumber: last.record.dynamodb.SequenceNumber,
        approximateArrivalOfFirstRecord: first.arrival.toISOString(),
        approximateArrivalOfLastRecord: last.arrival.toISOString(),
        batchSize: records.length,
        streamArn: this.eventSourceArn,
      },
    };
    const queue = this.mapping.onFailureQueueLogicalId;
    this.ctx.log(
      `${this.mapping.logicalId}: ${records.length} record(s) ${failure.DDBStreamBatchInfo.startSequenceNumber}..` +
        `${failure.DDBStreamBatchInfo.endSequenceNumber} discarded (${condition}${error ? `: ${error.message}` : ''})` +
        (queue === null ? ', no on-failure destination' : `, reported to ${queue}`),
    );
    if (queue === null) return;
    try {
      await this.ctx.options.queues.send(queue, JSON.stringify(failure));
    } catch (sendError) {
      this.ctx.log(`${this.mapping.logicalId}: on-failure send to ${queue} failed: ${String(sendError)}`);
    }
  }
}

/** Starts one poller per DynamoDB stream event source mapping of the topology. */
export function startStreamPollers(options: StreamPollerOptions): StreamPollers {
  const ctx = new PollerContext(options);
  const { topology } = options;
  const pollers: MappingPoller[] = [];
  for (const mapping of topology.eventSourceMappings) {
    if (mapping.source.kind !== 'dynamodb-stream') continue;
    const { tableLogicalId } = mapping.source;
    const table = topology.tables.find((t) => t.logicalId === tableLogicalId);
    const fn = topology.functions.find((f) => f.logicalId === mapping.functionLogicalId);
    if (table === undefined || fn === undefined) {
      throw new Error(
        `event source mapping ${mapping.logicalId}: unknown ${table === undefined ? `table ${tableLogicalId}` : `function ${mapping.functionLogicalId}`}`,
      );
    }
    if (table.streamViewType === null) {
      throw new Error(`event source mapping ${mapping.logicalId}: table ${table.logicalId} has no stream`);
    }
    pollers.push(new MappingPoller(ctx, mapping, table, fn));
  }
  let stopping: Promise<void> | null = null;
  return {
    ready: Promise.all(pollers.map((p) => p.ready)).then(() => undefined),
    stop: () => {
      stopping ??= (async () => {
        ctx.abort.abort();
        await Promise.all(pollers.map((p) => p.stop()));
        ctx.destroy();
      })();
      return stopping;
    },
  };
}
