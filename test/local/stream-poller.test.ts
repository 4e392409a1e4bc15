/**
 * The DynamoDB Streams event source mapping against the real DynamoDB Local: ordering, filtering,
 * batching, partial batch failures, retries and the on-failure destination. The function and the
 * failure queue are fakes recording what they receive.
 */
import {
  DeleteItemCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as RawRecord,
} from '@aws-sdk/client-dynamodb-streams';
import {
  createTables,
  type DynamoDbLocal,
  localDynamoDbClient,
  startDynamoDbLocal,
} from '../../local/dynamodb-local.js';
import {
  batchOutcome,
  type LambdaStreamRecord,
  type StreamFailureRecord,
  type StreamPollerOptions,
  type StreamPollers,
  startStreamPollers,
  toLambdaRecord,
} from '../../local/stream-poller.js';
import type {
  EventSourceMappingSpec,
  FunctionSpec,
  InvokeResult,
  LocalTopology,
  TableSpec,
} from '../../local/types.js';

type Handler = (records: LambdaStreamRecord[]) => InvokeResult | Promise<InvokeResult>;

interface Harness {
  readonly table: TableSpec;
  readonly batches: LambdaStreamRecord[][];
  readonly failures: { queue: string; body: StreamFailureRecord }[];
  readonly pollers: StreamPollers;
}

let ddb: DynamoDbLocal;
let client: DynamoDBClient;
let tableCounter = 0;
const running: StreamPollers[] = [];

beforeAll(async () => {
  ddb = await startDynamoDbLocal();
  client = localDynamoDbClient(ddb.endpoint);
}, 60_000);

afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.stop()));
});

afterAll(async () => {
  client?.destroy();
  await ddb?.stop();
});

const FUNCTION: FunctionSpec = {
  logicalId: 'ConsumerFn',
  functionName: 'consumer',
  arn: 'arn:aws:lambda:us-east-1:000000000000:function:consumer',
  entry: 'lambdas/stream/consumer.ts',
  handlerExport: 'handler',
  environment: {},
  timeoutSeconds: 30,
  memoryMb: 256,
};

async function newTable(): Promise<TableSpec> {
  tableCounter += 1;
  const name = `stream-test-${tableCounter}`;
  const table: TableSpec = {
    logicalId: `StreamTable${tableCounter}`,
    tableName: name,
    arn: `arn:aws:dynamodb:us-east-1:000000000000:table/${name}`,
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: null,
    globalSecondaryIndexes: [],
    streamViewType: 'NEW_AND_OLD_IMAGES',
    ttlAttribute: null,
  };
  await createTables(ddb.endpoint, [table]);
  return table;
}

function start(
  table: TableSpec,
  mapping: Partial<EventSourceMappingSpec>,
  handler: Handler,
  clients?: StreamPollerOptions['clients'],
): Harness {
  const batches: LambdaStreamRecord[][] = [];
  const failures: Harness['failures'] = [];
  const spec: EventSourceMappingSpec = {
    logicalId: 'ConsumerMapping',
    functionLogicalId: FUNCTION.logicalId,
    source: { kind: 'dynamodb-stream', tableLogicalId: table.logicalId },
    batchSize: 100,
    maximumBatchingWindowSeconds: 0,
    reportBatchItemFailures: false,
    bisectBatchOnFunctionError: false,
    maximumRetryAttempts: 2,
    maximumRecordAgeSeconds: null,
    filters: [],
    onFailureQueueLogicalId: 'ConsumerDlq',
    startingPosition: 'TRIM_HORIZON',
    ...mapping,
  };
  const topology: Pick<LocalTopology, 'tables' | 'functions' | 'eventSourceMappings'> = {
    tables: [table],
    functions: [FUNCTION],
    eventSourceMappings: [spec],
  };
  const pollers = startStreamPollers({
    endpoint: ddb.endpoint,
    topology,
    invoker: {
      invoke: async (ref, event) => {
        expect(ref).toBe(FUNCTION.logicalId);
        const records = (event as { Records: LambdaStreamRecord[] }).Records;
        batches.push(records);
        return handler(records);
      },
    },
    queues: {
      send: (queue, body) => {
        failures.push({ queue, body: JSON.parse(body) as StreamFailureRecord });
      },
    },
    pollIntervalMs: 20,
    retryBaseDelayMs: 5,
    retryMaxDelayMs: 20,
    log: () => {},
    ...(clients === undefined ? {} : { clients }),
  });
  running.push(pollers);
  return { table, batches, failures, pollers };
}

async function put(table: TableSpec, pk: string, extra: Record<string, { S: string }> = {}): Promise<void> {
  await client.send(new PutItemCommand({ TableName: table.tableName, Item: { pk: { S: pk }, ...extra } }));
}

async function putAll(table: TableSpec, keys: readonly string[]): Promise<void> {
  for (const key of keys) await put(table, key);
}

const keysOf = (records: readonly LambdaStreamRecord[]): string[] =>
  records.map((r) => (r.dynamodb.Keys.pk as { S: string }).S);

const ok = (payload: unknown = null): InvokeResult => ({ ok: true, payload });
const keys = (n: number, prefix = 'item'): string[] =>
  Array.from({ length: n }, (_, i) => `${prefix}-${String(i).padStart(3, '0')}`);

async function until(check: () => boolean, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('batch outcome (Lambda partial batch response rules)', () => {
  const batch = ['001', '002', '003'].map(
    (seq) => ({ dynamodb: { SequenceNumber: seq } }) as unknown as LambdaStreamRecord,
  );
  const cases: [string, InvokeResult, boolean, ReturnType<typeof batchOutcome>['kind'], number | null][] = [
    ['null payload', ok(null), true, 'success', null],
    ['undefined payload', ok(undefined), true, 'success', null],
    ['empty object', ok({}), true, 'success', null],
    ['empty list', ok({ batchItemFailures: [] }), true, 'success', null],
    ['null list', ok({ batchItemFailures: null }), true, 'success', null],
    ['one failure', ok({ batchItemFailures: [{ itemIdentifier: '002' }] }), true, 'partial', 1],
    [
      'lowest failure wins, whatever the order',
      ok({ batchItemFailures: [{ itemIdentifier: '003' }, { itemIdentifier: '002' }] }),
      true,
      'partial',
      1,
    ],
    ['first record failed', ok({ batchItemFailures: [{ itemIdentifier: '001' }] }), true, 'partial', 0],
    ['empty identifier', ok({ batchItemFailures: [{ itemIdentifier: '' }] }), true, 'error', null],
    ['null identifier', ok({ batchItemFailures: [{ itemIdentifier: null }] }), true, 'error', null],
    ['misspelt key', ok({ batchItemFailures: [{ itemIdentifer: '002' }] }), true, 'error', null],
    ['identifier not in batch', ok({ batchItemFailures: [{ itemIdentifier: '999' }] }), true, 'error', null],
    ['list is not an array', ok({ batchItemFailures: '002' }), true, 'error', null],
    ['payload is a string', ok('done'), true, 'error', null],
    ['payload is an array', ok([]), true, 'error', null],
    ['function error', { ok: false, errorType: 'Error', errorMessage: 'boom' }, true, 'error', null],
    [
      'function error without reporting',
      { ok: false, errorType: 'Error', errorMessage: 'boom' },
      false,
      'error',
      null,
    ],
    [
      'failures ignored when not reporting',
      ok({ batchItemFailures: [{ itemIdentifier: '002' }] }),
      false,
      'success',
      null,
    ],
  ];
  it.each(cases)('%s', (_name, result, report, kind, retryFrom) => {
    const outcome = batchOutcome(result, batch, report);
    expect(outcome.kind).toBe(kind);
    if (outcome.kind === 'partial') expect(outcome.retryFrom).toBe(retryFrom);
  });
});

describe('stream record shape', () => {
  it('reads the bare {} DynamoDB Local writes for an empty map (an event with no data) as an empty map', () => {
    const record = toLambdaRecord(
      {
        eventID: 'e-0',
        eventName: 'INSERT',
        dynamodb: {
          Keys: { pk: { S: 'a' } },
          NewImage: { pk: { S: 'a' }, data: {} as never, nested: { M: { empty: {} as never } } },
          SequenceNumber: '1',
          StreamViewType: 'NEW_IMAGE',
        },
      },
      'arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/local',
    );
    expect(record.dynamodb.NewImage).toEqual({
      pk: { S: 'a' },
      data: { M: {} },
      nested: { M: { empty: { M: {} } } },
    });
  });

  it('converts binary to base64, keeps nested values and gives seconds since the epoch', () => {
    const record = toLambdaRecord(
      {
        eventID: 'e-1',
        eventName: 'MODIFY',
        eventVersion: '1.1',
        eventSource: 'aws:dynamodb',
        awsRegion: 'ddblocal',
        dynamodb: {
          ApproximateCreationDateTime: new Date('2026-01-02T03:04:05.000Z'),
          Keys: { pk: { S: 'a' } },
          NewImage: {
            pk: { S: 'a' },
            bin: { B: new Uint8Array([1, 2, 3]) },
            set: { BS: [new Uint8Array([255])] },
            nested: { M: { list: { L: [{ N: '1' }, { NULL: true }, { BOOL: false }, { SS: ['x'] }] } } },
          },
          OldImage: { pk: { S: 'a' } },
          SequenceNumber: '000000000000000000042',
          SizeBytes: 12,
          StreamViewType: 'NEW_AND_OLD_IMAGES',
        },
      },
      'arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/local',
    );
    expect(record).toEqual({
      eventID: 'e-1',
      eventName: 'MODIFY',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'us-east-1',
      dynamodb: {
        ApproximateCreationDateTime: Date.UTC(2026, 0, 2, 3, 4, 5) / 1000,
        Keys: { pk: { S: 'a' } },
        NewImage: {
          pk: { S: 'a' },
          bin: { B: 'AQID' },
          set: { BS: ['/w=='] },
          nested: { M: { list: { L: [{ N: '1' }, { NULL: true }, { BOOL: false }, { SS: ['x'] }] } } },
        },
        OldImage: { pk: { S: 'a' } },
        SequenceNumber: '000000000000000000042',
        SizeBytes: 12,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
      eventSourceARN: 'arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/local',
    });
  });
});

describe('stream pollers against DynamoDB Local', () => {
  it('delivers inserts in order as Lambda records, in batches of at most batchSize', async () => {
    const table = await newTable();
    const written = keys(25);
    await putAll(table, written);
    const h = start(table, { batchSize: 10 }, () => ok());
    await until(() => h.batches.flat().length >= 25);
    await new Promise((r) => setTimeout(r, 100));
    expect(h.batches.map((b) => b.length)).toEqual([10, 10, 5]);
    const records = h.batches.flat();
    expect(keysOf(records)).toEqual(written);
    const sequences = records.map((r) => BigInt(r.dynamodb.SequenceNumber));
    expect(sequences).toEqual([...sequences].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    const first = records[0] as LambdaStreamRecord;
    expect(first).toMatchObject({
      eventName: 'INSERT',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'us-east-1',
      eventSourceARN: `${table.arn}/stream/local`,
      dynamodb: {
        Keys: { pk: { S: 'item-000' } },
        NewImage: { pk: { S: 'item-000' } },
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      },
    });
    expect(typeof first.dynamodb.ApproximateCreationDateTime).toBe('number');
    expect(first.dynamodb.SizeBytes).toBeGreaterThan(0);
    expect(first.eventID).not.toBe('');
  });

  it('drops records the filter criteria do not match', async () => {
    const table = await newTable();
    await put(table, 'a', { status: { S: 'new' } });
    await client.send(
      new UpdateItemCommand({
        TableName: table.tableName,
        Key: { pk: { S: 'a' } },
        UpdateExpression: 'SET #s = :s',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': { S: 'filled' } },
      }),
    );
    await client.send(new DeleteItemCommand({ TableName: table.tableName, Key: { pk: { S: 'a' } } }));
    await put(table, 'b');
    const h = start(table, { filters: [{ eventName: ['INSERT'] }] }, () => ok());
    await until(() => h.batches.flat().length >= 2);
    await new Promise((r) => setTimeout(r, 200));
    expect(h.batches.flat().map((r) => [r.eventName, keysOf([r])[0]])).toEqual([
      ['INSERT', 'a'],
      ['INSERT', 'b'],
    ]);
  });

  it('matches filters on the record content (any of several patterns)', async () => {
    const table = await newTable();
    await put(table, 'x1', { kind: { S: 'OrderFilled' } });
    await put(table, 'x2', { kind: { S: 'OrderAccepted' } });
    await put(table, 'x3', { kind: { S: 'OrderCanceled' } });
    const filters = [
      { dynamodb: { NewImage: { kind: { S: ['OrderFilled'] } } } },
      { dynamodb: { NewImage: { kind: { S: [{ prefix: 'OrderCan' }] } } } },
    ];
    const h = start(table, { filters }, () => ok());
    await until(() => h.batches.flat().length >= 2);
    await new Promise((r) => setTimeout(r, 200));
    expect(keysOf(h.batches.flat())).toEqual(['x1', 'x3']);
  });

  it('retries a partial batch failure from the failed record without redelivering earlier ones', async () => {
    const table = await newTable();
    const written = keys(6);
    await putAll(table, written);
    let failedOnce = false;
    const h = start(table, { batchSize: 6, reportBatchItemFailures: true }, (records) => {
      const third = records.find((r) => keysOf([r])[0] === 'item-003');
      if (third !== undefined && !failedOnce) {
        failedOnce = true;
        // Item 4 reported too: the lowest failed record decides where the retry starts.
        const fourth = records.find((r) => keysOf([r])[0] === 'item-004') as LambdaStreamRecord;
        return ok({
          batchItemFailures: [
            { itemIdentifier: fourth.dynamodb.SequenceNumber },
            { itemIdentifier: third.dynamodb.SequenceNumber },
          ],
        });
      }
      return ok({ batchItemFailures: [] });
    });
    await until(() => h.batches.length >= 2);
    await new Promise((r) => setTimeout(r, 200));
    expect(h.batches.map(keysOf)).toEqual([written, written.slice(3)]);
    expect(h.failures).toEqual([]);
  });

  it('retries a failing batch, reports a poison record to the on-failure queue and moves on', async () => {
    const table = await newTable();
    await putAll(table, ['a-1', 'a-2', 'poison', 'a-4', 'a-5']);
    const h = start(
      table,
      { batchSize: 10, bisectBatchOnFunctionError: true, maximumRetryAttempts: 2 },
      (records) =>
        keysOf(records).includes('poison')
          ? { ok: false, errorType: 'PoisonError', errorMessage: 'cannot handle' }
          : ok(),
    );
    await until(() => h.failures.length >= 1 && keysOf(h.batches.flat()).includes('a-5'));
    await new Promise((r) => setTimeout(r, 200));
    // Every good record handled exactly once, in order; the poison record only in failed attempts.
    const handled = h.batches.filter((b) => !keysOf(b).includes('poison')).flatMap(keysOf);
    expect(handled).toEqual(['a-1', 'a-2', 'a-4', 'a-5']);
    // Bisection isolates it, then the retries (2) run out: 1 + 2 invocations with the record alone.
    expect(h.batches.filter((b) => keysOf(b).join() === 'poison')).toHaveLength(3);
    expect(h.failures).toHaveLength(1);
    const [{ queue, body }] = h.failures as [Harness['failures'][number]];
    const poison = h.batches.flat().find((r) => keysOf([r])[0] === 'poison') as LambdaStreamRecord;
    expect(queue).toBe('ConsumerDlq');
    expect(body).toMatchObject({
      requestContext: {
        functionArn: FUNCTION.arn,
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 3,
      },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      DDBStreamBatchInfo: {
        startSequenceNumber: poison.dynamodb.SequenceNumber,
        endSequenceNumber: poison.dynamodb.SequenceNumber,
        batchSize: 1,
        streamArn: `${table.arn}/stream/local`,
      },
    });
    expect(body.DDBStreamBatchInfo.shardId).toMatch(/^shardId-/);
    expect(Number.isNaN(Date.parse(body.DDBStreamBatchInfo.approximateArrivalOfFirstRecord))).toBe(false);
  });

  it('without bisection, retries the whole batch and then reports all of it', async () => {
    const table = await newTable();
    await putAll(table, ['b-1', 'b-2', 'b-3']);
    const h = start(table, { batchSize: 3, maximumRetryAttempts: 1 }, (records) =>
      keysOf(records).includes('b-1') ? { ok: false, errorType: 'Error', errorMessage: 'down' } : ok(),
    );
    await until(() => h.failures.length >= 1);
    await put(table, 'b-4');
    await until(() => keysOf(h.batches.flat()).includes('b-4'));
    expect(h.batches.map(keysOf)).toEqual([['b-1', 'b-2', 'b-3'], ['b-1', 'b-2', 'b-3'], ['b-4']]);
    expect(h.failures[0]?.body.DDBStreamBatchInfo.batchSize).toBe(3);
  });

  it('treats a malformed partial batch response as a failure of the whole batch', async () => {
    const table = await newTable();
    await putAll(table, ['m-1', 'm-2']);
    let calls = 0;
    const h = start(table, { reportBatchItemFailures: true }, () => {
      calls += 1;
      return calls === 1 ? ok({ batchItemFailures: [{ itemIdentifier: 'not-a-sequence-number' }] }) : ok();
    });
    await until(() => h.batches.length >= 2);
    await new Promise((r) => setTimeout(r, 150));
    expect(h.batches.map(keysOf)).toEqual([
      ['m-1', 'm-2'],
      ['m-1', 'm-2'],
    ]);
  });

  it('LATEST skips what was written before the mapping was ready', async () => {
    const table = await newTable();
    await put(table, 'old');
    const h = start(table, { startingPosition: 'LATEST' }, () => ok());
    await h.pollers.ready;
    await put(table, 'new');
    await until(() => h.batches.length >= 1);
    await new Promise((r) => setTimeout(r, 150));
    expect(keysOf(h.batches.flat())).toEqual(['new']);
  });

  it('collects records for the batching window before invoking', async () => {
    const table = await newTable();
    const h = start(table, { maximumBatchingWindowSeconds: 1, batchSize: 50 }, () => ok());
    await h.pollers.ready;
    const started = Date.now();
    await putAll(table, ['w-1', 'w-2', 'w-3']);
    await until(() => h.batches.length >= 1);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    await new Promise((r) => setTimeout(r, 100));
    expect(h.batches.map(keysOf)).toEqual([['w-1', 'w-2', 'w-3']]);
  });

  it('keeps one batch in flight per shard and waits for it on stop', async () => {
    const table = await newTable();
    await putAll(table, keys(4, 'f'));
    let inFlight = 0;
    let maxInFlight = 0;
    let finished = 0;
    const h = start(table, { batchSize: 1 }, async () => {
      inFlight += 1;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 50));
      inFlight -= 1;
      finished += 1;
      return ok();
    });
    await until(() => h.batches.length >= 2);
    await h.pollers.stop();
    expect(inFlight).toBe(0);
    expect(finished).toBe(h.batches.length);
    expect(maxInFlight).toBe(1);
  });
});

/** A stream record as the scripted Streams API returns it. */
const rawRecord = (seq: string): RawRecord => ({
  eventID: `e-${seq}`,
  eventName: 'INSERT',
  dynamodb: {
    Keys: { pk: { S: `k-${seq}` } },
    SequenceNumber: seq,
    SizeBytes: 1,
    StreamViewType: 'NEW_IMAGE',
  },
});

/** A table the scripted Streams API stands behind (no DynamoDB Local). */
const scriptedTable = (name: string): TableSpec => ({
  logicalId: `${name}Table`,
  tableName: name,
  arn: `arn:aws:dynamodb:us-east-1:000000000000:table/${name}`,
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: null,
  globalSecondaryIndexes: [],
  streamViewType: 'NEW_IMAGE',
  ttlAttribute: null,
});

// An idle local mode polled every mapping's shard ten times a second (here every 20 ms): a fifth
// of a core per local mode, several of which run at once in `npm test` on 2 cores.
describe('an idle shard is polled at the idle interval (250 ms, as Lambda), busy again at its next record', () => {
  it('5 empty reads at the poll interval, then at most one read per 250 ms; a new record is read and delivered', async () => {
    const reads: number[] = [];
    let waiting: RawRecord[] = [];
    const send = async (command: unknown): Promise<unknown> => {
      if (command instanceof DescribeTableCommand)
        return { Table: { LatestStreamArn: 'arn:stream', StreamSpecification: { StreamEnabled: true } } };
      if (command instanceof DescribeStreamCommand)
        return {
          StreamDescription: {
            Shards: [{ ShardId: 'shardId-1', SequenceNumberRange: { StartingSequenceNumber: '1' } }],
          },
        };
      if (command instanceof GetShardIteratorCommand) return { ShardIterator: 'it' };
      if (command instanceof GetRecordsCommand) {
        reads.push(Date.now());
        const records = waiting;
        waiting = [];
        return { Records: records, NextShardIterator: 'it' };
      }
      throw new Error(`unexpected command ${String(command)}`);
    };
    const h = start(scriptedTable('idle'), {}, () => ok(), { streams: { send }, dynamodb: { send } });
    await h.pollers.ready;
    const idleFrom = Date.now();
    await new Promise((r) => setTimeout(r, 1500));
    const idleReads = reads.filter((t) => t >= idleFrom).length;
    // At 20 ms: about 75 reads in 1.5 s; idle: at most the 5 fast ones and six at 250 ms.
    expect(idleReads).toBeLessThanOrEqual(12);
    expect(idleReads).toBeGreaterThanOrEqual(4);
    waiting = [rawRecord('7')];
    await until(() => h.batches.flat().length === 1, 3000);
    expect(keysOf(h.batches.flat())).toEqual(['k-7']);
  });
});

describe('shard lineage (scripted Streams API)', () => {
  /** A stream with a closed parent shard (records 1, 2) and its child (3, 4), the child listed first. */
  function scriptedStream() {
    const calls: string[] = [];
    const pages: Record<string, { records: RawRecord[]; next: string | undefined }[]> = {
      'shardId-parent': [
        { records: [rawRecord('1'), rawRecord('2')], next: 'more' },
        { records: [], next: undefined },
      ],
      'shardId-child': [{ records: [rawRecord('3'), rawRecord('4')], next: 'more' }],
    };
    const read: Record<string, number> = {};
    const send = async (command: unknown): Promise<unknown> => {
      if (command instanceof DescribeTableCommand) {
        return { Table: { LatestStreamArn: 'arn:stream', StreamSpecification: { StreamEnabled: true } } };
      }
      if (command instanceof DescribeStreamCommand) {
        return {
          StreamDescription: {
            Shards: [
              {
                ShardId: 'shardId-child',
                ParentShardId: 'shardId-parent',
                SequenceNumberRange: { StartingSequenceNumber: '3' },
              },
              {
                ShardId: 'shardId-parent',
                SequenceNumberRange: { StartingSequenceNumber: '1', EndingSequenceNumber: '2' },
              },
            ],
          },
        };
      }
      if (command instanceof GetShardIteratorCommand) {
        calls.push(`iterator ${command.input.ShardId} ${command.input.ShardIteratorType}`);
        return { ShardIterator: command.input.ShardId };
      }
      if (command instanceof GetRecordsCommand) {
        const shard = command.input.ShardIterator as string;
        const n = read[shard] ?? 0;
        read[shard] = n + 1;
        const page = pages[shard]?.[n] ?? { records: [], next: 'more' };
        if (page.records.length > 0 || page.next === undefined)
          calls.push(`records ${shard} ${page.records.length}`);
        return { Records: page.records, NextShardIterator: page.next === undefined ? undefined : shard };
      }
      throw new Error(`unexpected command ${String(command)}`);
    };
    return { calls, clients: { streams: { send }, dynamodb: { send } } };
  }

  const table = scriptedTable('scripted');

  it('reads the parent shard to its end before the child', async () => {
    const { calls, clients } = scriptedStream();
    const h = start(table, {}, () => ok(), clients);
    await until(() => h.batches.flat().length >= 4);
    expect(keysOf(h.batches.flat())).toEqual(['k-1', 'k-2', 'k-3', 'k-4']);
    expect(calls).toEqual([
      'iterator shardId-parent TRIM_HORIZON',
      'records shardId-parent 2',
      'records shardId-parent 0',
      'iterator shardId-child TRIM_HORIZON',
      'records shardId-child 2',
    ]);
  });

  it('LATEST skips shards closed before the start and reads open ones from their tip', async () => {
    const { calls, clients } = scriptedStream();
    const h = start(table, { startingPosition: 'LATEST' }, () => ok(), clients);
    await h.pollers.ready;
    expect(calls.filter((c) => c.startsWith('iterator'))).toEqual(['iterator shardId-child LATEST']);
  });
});
