/**
 * The real DynamoDB Local: start/stop, table creation from TableSpecs, persistence with a data
 * directory, and no orphan process when the owning Node process dies (the watchdog).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PassThrough } from 'node:stream';
import {
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  QueryCommand,
} from '@aws-sdk/client-dynamodb';
import { isProcessAlive, spawnWatched } from '../../local/child-process.js';
import {
  attributeDefinitions,
  createTableInput,
  createTables,
  localDynamoDbClient,
  startDynamoDbLocal,
} from '../../local/dynamodb-local.js';
import type { TableSpec } from '../../local/types.js';
import { sharedDynamoDbEndpoint } from './fixtures/dynamodb-tables.js';

const repoRoot = resolve(__dirname, '..', '..');

const ORDERS: TableSpec = {
  logicalId: 'OrdersTable',
  tableName: 'local-orders',
  arn: 'arn:aws:dynamodb:us-east-1:000000000000:table/local-orders',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'N' },
  globalSecondaryIndexes: [
    {
      name: 'byAccount',
      partitionKey: { name: 'account_id', type: 'S' },
      sortKey: { name: 'created_at', type: 'S' },
      projection: 'INCLUDE',
      nonKeyAttributes: ['status', 'symbol'],
    },
    {
      name: 'byClientOrderId',
      partitionKey: { name: 'account_id', type: 'S' },
      sortKey: { name: 'client_order_id', type: 'S' },
      projection: 'KEYS_ONLY',
      nonKeyAttributes: [],
    },
  ],
  streamViewType: 'NEW_AND_OLD_IMAGES',
  ttlAttribute: 'expires_at',
};

const PLAIN: TableSpec = {
  logicalId: 'PlainTable',
  tableName: 'local-plain',
  arn: 'arn:aws:dynamodb:us-east-1:000000000000:table/local-plain',
  partitionKey: { name: 'id', type: 'B' },
  sortKey: null,
  globalSecondaryIndexes: [],
  streamViewType: null,
  ttlAttribute: null,
};

/** Polls `check` until it is true or `timeoutMs` passed. */
async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

function portAnswers(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect(port, host);
    socket.once('connect', () => {
      socket.destroy();
      done(true);
    });
    socket.once('error', () => done(false));
  });
}

/** Runs a Node script (through tsx) that prints one JSON line and then SIGKILLs itself. */
function runCrashingChild(source: string): Promise<{ pid: number; port: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'oms-crash-'));
  const file = join(dir, 'child.mts');
  writeFileSync(file, source);
  return new Promise((resolveLine, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', file], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      err += chunk;
    });
    child.once('exit', (code, signal) => {
      rmSync(dir, { recursive: true, force: true });
      const line = out.split('\n').find((l) => l.startsWith('{'));
      if (signal !== 'SIGKILL' || line === undefined) {
        reject(new Error(`child ended with ${code ?? signal}: ${out} ${err}`));
        return;
      }
      resolveLine(JSON.parse(line) as { pid: number; port: number });
    });
  });
}

describe('table definitions from TableSpecs', () => {
  it('defines every key attribute of the table and its indexes once', () => {
    expect(attributeDefinitions(ORDERS)).toEqual([
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'N' },
      { AttributeName: 'account_id', AttributeType: 'S' },
      { AttributeName: 'created_at', AttributeType: 'S' },
      { AttributeName: 'client_order_id', AttributeType: 'S' },
    ]);
  });

  it('rejects an attribute keyed with two types', () => {
    const bad: TableSpec = {
      ...PLAIN,
      globalSecondaryIndexes: [
        {
          name: 'byId',
          partitionKey: { name: 'id', type: 'S' },
          sortKey: null,
          projection: 'ALL',
          nonKeyAttributes: [],
        },
      ],
    };
    expect(() => attributeDefinitions(bad)).toThrow(/id is keyed as both B and S/);
  });

  it('adds no stream, GSI or non-key attributes where the spec has none', () => {
    const input = createTableInput(PLAIN);
    expect(input).toEqual({
      TableName: 'local-plain',
      AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'B' }],
      KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    });
    expect(createTableInput(ORDERS).GlobalSecondaryIndexes?.[1]?.Projection).toEqual({
      ProjectionType: 'KEYS_ONLY',
    });
  });
});

/** A watchdog shell whose events the test emits itself, in the order it wants. */
function standInShell() {
  return Object.assign(new EventEmitter(), {
    pid: 4242,
    stdin: new PassThrough(),
    stdout: new PassThrough(),
    stderr: new PassThrough(),
    unref: () => {},
  });
}

describe('process watchdog', () => {
  it('stop() terminates the command and waits for it', async () => {
    const proc = await spawnWatched('sleep', ['30']);
    expect(isProcessAlive(proc.pid)).toBe(true);
    await proc.stop();
    expect(isProcessAlive(proc.pid)).toBe(false);
    await proc.stop(); // idempotent
  });

  it('a command that cannot start rejects with exit 127', async () => {
    const proc = await spawnWatched('/nonexistent/binary', []);
    expect((await proc.exited).code).toBe(127);
  });

  it("reads the pid line even when the watchdog's exit is reported before it (a quickly failing command)", async () => {
    // Node may emit 'exit' while the pid line is still unread in the pipe (the fresh-clone CI saw a
    // missing Java reported as "did not start"): a stand-in shell emits them in that order.
    const shell = standInShell();
    const started = spawnWatched('/nonexistent/binary', [], {
      spawnShell: () => shell as unknown as ChildProcess,
    });
    shell.emit('exit', 127, null);
    await new Promise((done) => setImmediate(done));
    shell.stdout.end('4343\n');
    shell.stderr.end();
    const proc = await started;
    expect(proc.pid).toBe(4343);
    expect((await proc.exited).code).toBe(127);
  });

  it('a watchdog that exits without a pid line rejects as not started', async () => {
    const shell = standInShell();
    const started = spawnWatched('/bin/true', [], { spawnShell: () => shell as unknown as ChildProcess });
    shell.stderr.write('sh: cannot fork\n');
    shell.emit('exit', 2, null);
    shell.stdout.end();
    await expect(started).rejects.toThrow('/bin/true did not start (exit 2): sh: cannot fork');
  });

  it('kills the command when the owning process is SIGKILLed', async () => {
    const { pid } = await runCrashingChild(`
      import { spawnWatched } from ${JSON.stringify(join(repoRoot, 'local/child-process.ts'))};
      const proc = await spawnWatched('sleep', ['30'], { graceSeconds: 1 });
      process.stdout.write(JSON.stringify({ pid: proc.pid }) + '\\n');
      process.kill(process.pid, 'SIGKILL');
    `);
    expect(pid).toBeGreaterThan(0);
    expect(await eventually(() => !isProcessAlive(pid), 4000)).toBe(true);
  });
});

describe('DynamoDB Local', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'oms-ddb-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('reports a missing Java clearly', async () => {
    await expect(startDynamoDbLocal({ java: '/nonexistent/java', dataDir })).rejects.toThrow(/Java 17\+/);
  });

  it('listens on the loopback interface only (no auth: nobody else on the network may reach it)', async () => {
    const db = await startDynamoDbLocal();
    try {
      // The kernel's own view of the listening socket: its local address is loopback.
      const listening = execFileSync('ss', ['-ltnH', `sport = :${db.port}`], { encoding: 'utf8' })
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => line.trim().split(/\s+/)[3]);
      expect(listening.length).toBeGreaterThan(0);
      for (const address of listening)
        expect(address).toMatch(/^(127\.0\.0\.1|\[::ffff:127\.0\.0\.1\]|\[::1\]):\d+$/);
      // And a connection to each of the machine's other addresses is refused.
      const others = Object.values(networkInterfaces())
        .flat()
        .filter((i) => i !== undefined && !i.internal && i.family === 'IPv4')
        .map((i) => i?.address as string);
      for (const address of others) expect(await portAnswers(db.port, address)).toBe(false);
      expect(await portAnswers(db.port)).toBe(true);
      // Local mode's default: one database whatever the access key (handlers and pollers alike).
      await createTables(db.endpoint, [PLAIN], 'keyone');
      const other = localDynamoDbClient(db.endpoint, 'keytwo');
      expect((await other.send(new ListTablesCommand({}))).TableNames).toEqual([PLAIN.tableName]);
      other.destroy();
    } finally {
      await db.stop();
    }
  });

  it("with a database per access key (the unit files' shared one), each key sees only its own tables", async () => {
    // test/infra/global-setup.js started it so (test/infra/shared-dynamodb-local.ts).
    const endpoint = await sharedDynamoDbEndpoint();
    if (endpoint === undefined)
      throw new Error('run under jest: the unit project starts the shared DynamoDB Local');
    const [one, two] = ['keyone', 'keytwo'].map((key) => `${key}${process.pid}${Date.now()}`);
    await createTables(endpoint, [PLAIN], one as string);
    const clients = [one, two].map((key) => localDynamoDbClient(endpoint, key as string));
    try {
      const names = await Promise.all(
        clients.map(async (c) => (await c.send(new ListTablesCommand({}))).TableNames),
      );
      expect(names).toEqual([[PLAIN.tableName], []]);
    } finally {
      for (const c of clients) c.destroy();
    }
  });

  it('refuses a database per access key with a data directory (kept in memory only)', async () => {
    await expect(startDynamoDbLocal({ databasePerAccessKey: true, dataDir })).rejects.toThrow(
      /in memory only/,
    );
  });

  it('creates the tables, persists them in the data directory and stops without leftovers', async () => {
    const first = await startDynamoDbLocal({ dataDir });
    const client = localDynamoDbClient(first.endpoint);
    try {
      await createTables(first.endpoint, [ORDERS, PLAIN]);
      await createTables(first.endpoint, [ORDERS, PLAIN]); // idempotent
      const { Table } = await client.send(new DescribeTableCommand({ TableName: ORDERS.tableName }));
      expect(Table?.KeySchema).toEqual([
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ]);
      expect(Table?.StreamSpecification).toEqual({
        StreamEnabled: true,
        StreamViewType: 'NEW_AND_OLD_IMAGES',
      });
      expect(Table?.LatestStreamArn).toBeDefined();
      const gsi = Table?.GlobalSecondaryIndexes?.find((i) => i.IndexName === 'byAccount');
      expect(gsi?.Projection?.ProjectionType).toBe('INCLUDE');
      expect([...(gsi?.Projection?.NonKeyAttributes ?? [])].sort()).toEqual(['status', 'symbol']);
      const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: ORDERS.tableName }));
      expect(ttl.TimeToLiveDescription).toEqual({ TimeToLiveStatus: 'ENABLED', AttributeName: 'expires_at' });
      await client.send(
        new PutItemCommand({
          TableName: ORDERS.tableName,
          Item: { pk: { S: 'o-1' }, sk: { N: '1' }, status: { S: 'new' } },
        }),
      );
    } finally {
      client.destroy();
      await first.stop();
    }
    expect(isProcessAlive(first.pid)).toBe(false);
    expect(await portAnswers(first.port)).toBe(false);

    const second = await startDynamoDbLocal({ dataDir });
    const again = localDynamoDbClient(second.endpoint);
    try {
      await createTables(second.endpoint, [ORDERS, PLAIN]); // existing tables are left alone
      const tables = await again.send(new ListTablesCommand({}));
      expect(tables.TableNames?.sort()).toEqual(['local-orders', 'local-plain']);
      const item = await again.send(
        new GetItemCommand({ TableName: ORDERS.tableName, Key: { pk: { S: 'o-1' }, sk: { N: '1' } } }),
      );
      expect(item.Item?.status).toEqual({ S: 'new' });
      // A newer stack projects more on byAccount (the list indexes took contingencyRole): the kept
      // table's index is built again with it, over the rows it already holds; the other is kept.
      const newer: TableSpec = {
        ...ORDERS,
        globalSecondaryIndexes: ORDERS.globalSecondaryIndexes.map((g) =>
          g.name === 'byAccount' ? { ...g, nonKeyAttributes: [...g.nonKeyAttributes, 'role'] } : g,
        ),
      };
      await again.send(
        new PutItemCommand({
          TableName: ORDERS.tableName,
          Item: {
            pk: { S: 'o-2' },
            sk: { N: '1' },
            account_id: { S: 'a' },
            created_at: { S: 't' },
            role: { S: 'x' },
          },
        }),
      );
      await createTables(second.endpoint, [newer, PLAIN]);
      const { Table } = await again.send(new DescribeTableCommand({ TableName: ORDERS.tableName }));
      const gsi = Table?.GlobalSecondaryIndexes?.find((i) => i.IndexName === 'byAccount');
      expect([...(gsi?.Projection?.NonKeyAttributes ?? [])].sort()).toEqual(['role', 'status', 'symbol']);
      expect(Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName).sort()).toEqual([
        'byAccount',
        'byClientOrderId',
      ]);
      const listed = await again.send(
        new QueryCommand({
          TableName: ORDERS.tableName,
          IndexName: 'byAccount',
          KeyConditionExpression: 'account_id = :a',
          ExpressionAttributeValues: { ':a': { S: 'a' } },
        }),
      );
      expect(listed.Items?.map((i) => i.role)).toEqual([{ S: 'x' }]);
    } finally {
      again.destroy();
      await second.stop();
    }
  });

  it('leaves no Java process behind when the owning process is SIGKILLed', async () => {
    const { pid, port } = await runCrashingChild(`
      import { startDynamoDbLocal } from ${JSON.stringify(join(repoRoot, 'local/dynamodb-local.ts'))};
      const ddb = await startDynamoDbLocal();
      process.stdout.write(JSON.stringify({ pid: ddb.pid, port: ddb.port }) + '\\n');
      process.kill(process.pid, 'SIGKILL');
    `);
    expect(pid).toBeGreaterThan(0);
    expect(await eventually(() => !isProcessAlive(pid), 6000)).toBe(true);
    // Once the process is gone, nothing listens on its port any more.
    expect(await portAnswers(port)).toBe(false);
  });
});
