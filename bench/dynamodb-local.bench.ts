/**
 * DynamoDB Local's own ceiling on this machine (issue 12): how many SDK requests per second the
 * JVM serves, with local mode's JVM options, when nothing else runs. Local mode's throughput
 * target (`npm run bench:e2e`: >= 40 orders/s at 16 clients) needs about 19 DynamoDB requests per
 * market order (14 of the OMS, 5 of the simulated venue's book, `npm run cost`), plus the stream
 * pollers' GetRecords: this benchmark says how many orders per second DynamoDB Local alone allows
 * at that count, before any of the OMS's own CPU.
 *
 * The mix is a market order's (docs/aws.md "Per-order cost"): per round, one conditional PutItem on
 * an event table (pk + numeric sk, stream on), one Query of that key, one GetItem, one UpdateItem
 * (a counter), one TransactWriteItems of two puts, and one PutItem on a view table with a GSI.
 * `BENCH_DDB_CLIENTS` (16) loops run it for `BENCH_SECONDS` (15) after a 5 s warm-up;
 * `BENCH_DDB_JVM_OPTS` as in bench:e2e (`none` for the JVM's defaults).
 * Last line: `dynamodb-local requests_per_s=<n> orders_per_s_at_19=<n> p50_ms=<n> p99_ms=<n>`.
 */
import { performance } from 'node:perf_hooks';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  createTables,
  DEFAULT_DYNAMODB_JVM_OPTIONS,
  localDynamoDbClient,
  startDynamoDbLocal,
} from '../local/dynamodb-local.js';
import type { TableSpec } from '../local/types.js';
import { loadAverages, ownCpuMs, processCpuMs } from './proc-cpu.js';

const CLIENTS = Number(process.env.BENCH_DDB_CLIENTS ?? 16);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const WARMUP_SECONDS = 5;
const REQUESTS_PER_ORDER = 19;
const jvmEnv = process.env.BENCH_DDB_JVM_OPTS;
const jvmOptions =
  jvmEnv === undefined ? DEFAULT_DYNAMODB_JVM_OPTIONS : jvmEnv === 'none' ? [] : jvmEnv.split(' ');

const table = (name: string, sortKey: boolean, gsi: boolean): TableSpec => ({
  logicalId: name,
  tableName: name,
  arn: `arn:aws:dynamodb:us-east-1:000000000000:table/${name}`,
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: sortKey ? { name: 'sk', type: 'N' } : null,
  globalSecondaryIndexes: gsi
    ? [
        {
          name: 'byAccount',
          partitionKey: { name: 'accountId', type: 'S' },
          sortKey: { name: 'createdKey', type: 'S' },
          projection: 'INCLUDE',
          nonKeyAttributes: ['side'],
        },
      ]
    : [],
  streamViewType: sortKey ? 'NEW_IMAGE' : null,
  ttlAttribute: null,
});

async function main(): Promise<void> {
  const load = loadAverages();
  const ddb = await startDynamoDbLocal({ jvmOptions });
  try {
    await createTables(ddb.endpoint, [
      table('events', true, false),
      table('views', false, true),
      table('misc', false, false),
    ]);
    const doc = DynamoDBDocumentClient.from(localDynamoDbClient(ddb.endpoint));
    const body = { symbol: 'AAPL', side: 'buy', qty: '10', type: 'market', note: 'x'.repeat(400) };
    const latencies: number[] = [];
    let requests = 0;
    let measuring = false;
    const timed = async (send: () => Promise<unknown>) => {
      const t0 = performance.now();
      await send();
      if (measuring) {
        latencies.push(performance.now() - t0);
        requests += 1;
      }
    };
    const round = async (client: number, n: number) => {
      const pk = `o-${client}-${n}`;
      await timed(() =>
        doc.send(
          new PutCommand({
            TableName: 'events',
            Item: { pk, sk: 1, ...body },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        ),
      );
      await timed(() =>
        doc.send(
          new QueryCommand({
            TableName: 'events',
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': pk },
          }),
        ),
      );
      await timed(() => doc.send(new GetCommand({ TableName: 'misc', Key: { pk: `account-${client}` } })));
      await timed(() =>
        doc.send(
          new UpdateCommand({
            TableName: 'misc',
            Key: { pk: `rate-${client}` },
            UpdateExpression: 'ADD #c :one',
            ExpressionAttributeNames: { '#c': 'count' },
            ExpressionAttributeValues: { ':one': 1 },
          }),
        ),
      );
      await timed(() =>
        doc.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: 'misc',
                  Item: { pk: `claim-${pk}` },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
              {
                Put: {
                  TableName: 'events',
                  Item: { pk, sk: 2, ...body },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
            ],
          }),
        ),
      );
      await timed(() =>
        doc.send(
          new PutCommand({
            TableName: 'views',
            Item: {
              pk,
              accountId: `acct-${client % 4}`,
              createdKey: `${Date.now()}#${pk}`,
              side: 'buy',
              order: body,
            },
          }),
        ),
      );
    };
    const stopAt = { warm: performance.now() + WARMUP_SECONDS * 1000, end: 0 };
    stopAt.end = stopAt.warm + SECONDS * 1000;
    let started = 0;
    /** CPU ms of this process (the SDK clients) and of the JVM when measuring starts and ends. */
    let cpuStart = [0, 0];
    const loop = async (client: number) => {
      for (let n = 0; performance.now() < stopAt.end; n++) await round(client, n);
    };
    const warmTimer = setTimeout(() => {
      measuring = true;
      started = performance.now();
      cpuStart = [ownCpuMs(), processCpuMs(ddb.pid)];
    }, WARMUP_SECONDS * 1000);
    await Promise.all(Array.from({ length: CLIENTS }, (_, c) => loop(c)));
    const cpuPerRequest = [ownCpuMs(), processCpuMs(ddb.pid)].map(
      (ms, i) => (ms - (cpuStart[i] as number)) / Math.max(1, requests),
    );
    clearTimeout(warmTimer);
    const elapsed = (performance.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    const pct = (p: number) =>
      latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
    const perSecond = requests / elapsed;
    console.log(
      `dynamodb-local: ${CLIENTS} clients, ${requests} requests in ${elapsed.toFixed(1)} s (JVM options: ${jvmOptions.join(' ') || 'defaults'}); ` +
        `CPU per request: JVM ${cpuPerRequest[1]?.toFixed(2)} ms, SDK clients ${cpuPerRequest[0]?.toFixed(2)} ms; ` +
        `load average at start ${load}, at the end ${loadAverages()}`,
    );
    console.log(
      `dynamodb-local requests_per_s=${perSecond.toFixed(0)} orders_per_s_at_${REQUESTS_PER_ORDER}=${(perSecond / REQUESTS_PER_ORDER).toFixed(1)} p50_ms=${pct(0.5).toFixed(1)} p99_ms=${pct(0.99).toFixed(1)}`,
    );
    doc.destroy();
  } finally {
    await ddb.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
