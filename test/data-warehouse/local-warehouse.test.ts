/**
 * The warehouse in local mode, without starting local mode: the synthesized template's delivery
 * streams and rules (local/topology.ts), the bus stand-in delivering to the Firehose stand-in
 * (local/firehose.ts), which runs the real transformation handler and writes Parquet with DuckDB
 * into a temp dir, then `queryWarehouse` (npm run analytics) reads it back. No fixed sleeps: the
 * test waits for the bus to be idle and for the stand-in's flush.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { WAREHOUSE_COLUMNS, WAREHOUSE_TABLES } from '../../lambdas/core/warehouse-records.js';
import { handler } from '../../lambdas/data-warehouse/transform-records.js';
import { LocalEventBridge } from '../../local/event-bridge.js';
import { evaluatePrefix, LocalFirehose } from '../../local/firehose.js';
import { readTopology } from '../../local/topology.js';
import type { Invoker, LocalTopology } from '../../local/types.js';
import { formatTable, queryWarehouse, WAREHOUSE_EXAMPLES } from '../../local/warehouse-query.js';
import { omsTemplate } from '../infra/synthesized.js';

let topology: LocalTopology;
let dir: string;

beforeAll(async () => {
  topology = readTopology(await omsTemplate());
  dir = mkdtempSync(join(tmpdir(), 'oms-warehouse-test-'));
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The Lambda stand-in for the transformation: the real handler, in process, with the template's env. */
function transformInvoker(): Invoker & { calls: number } {
  const fn = topology.functions.find((f) => f.entry === 'lambdas/data-warehouse/transform-records.ts');
  if (!fn) throw new Error('no transformation function in the template');
  process.env.WAREHOUSE_STREAM_TABLES = fn.environment.WAREHOUSE_STREAM_TABLES;
  const invoker = {
    calls: 0,
    async invoke(ref: string, event: unknown) {
      expect(ref).toBe(fn.logicalId);
      invoker.calls += 1;
      return { ok: true as const, payload: await handler(event as never) };
    },
  };
  return invoker;
}

const metadata = (orderId: string, seq: number, occurredAt: string) => ({
  eventId: `${orderId}:${seq}`,
  orderId,
  accountId: 'acct-1',
  seq,
  schemaVersion: 1,
  occurredAt,
  correlationId: orderId,
  causationId: orderId,
});
const entry = (detailType: string, detail: unknown) => ({
  EventBusName: 'stockbot-oms',
  Source: 'stockbot.oms',
  DetailType: detailType,
  Detail: JSON.stringify(detail),
});
const order = {
  symbol: 'AAPL',
  qty: '10',
  notional: null,
  side: 'buy',
  type: 'market',
  timeInForce: 'day',
  limitPrice: null,
  stopPrice: null,
  trailPrice: null,
  trailPercent: null,
  extendedHours: false,
  clientOrderId: 'c-1',
  orderClass: 'simple',
  takeProfit: null,
  stopLoss: null,
  positionIntent: null,
  advancedInstructions: null,
};

function filesUnder(root: string): string[] {
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

test('the template: one delivery stream per table, Parquet with the Glue columns, its rule targets the stream', () => {
  expect(topology.deliveryStreams.map((s) => s.name).sort()).toEqual(
    WAREHOUSE_TABLES.map((t) => `stockbot-oms-warehouse-${t}`).sort(),
  );
  for (const table of WAREHOUSE_TABLES) {
    const stream = topology.deliveryStreams.find((s) => s.name === `stockbot-oms-warehouse-${table}`);
    expect(stream?.prefix).toBe(`${table}/date=!{partitionKeyFromLambda:date}/`);
    expect(stream?.parquetColumns).toEqual(
      WAREHOUSE_COLUMNS[table].map((c) => ({ name: c.name, type: c.type })),
    );
    const targets = topology.rules.flatMap((r) => r.targets).filter((t) => t.kind === 'firehose');
    expect(targets).toContainEqual(expect.objectContaining({ deliveryStreamLogicalId: stream?.logicalId }));
  }
});

test('bus events -> Firehose stand-in -> Parquet under <table>/date=YYYY-MM-DD/ -> the analytics views', async () => {
  const invoker = transformInvoker();
  const firehose = new LocalFirehose(topology.deliveryStreams, {
    invoker,
    bucketDir: () => dir,
    flushIntervalMs: 0,
    log: () => {},
  });
  const noop = { send: () => undefined, handle: async () => ({}) };
  const eb = new LocalEventBridge(topology, {
    invoker: { invoke: async () => ({ ok: true, payload: null }) },
    queues: noop,
    stepFunctions: noop,
    firehose,
    log: () => {},
  });
  try {
    const at = '2026-03-02T15:00:00.000Z';
    const out = await eb.handle('PutEvents', {
      Entries: [
        entry('OrderSubmitted', {
          metadata: metadata('o-1', 1, at),
          data: {
            accountId: 'acct-1',
            clientOrderId: 'c-1',
            order,
            replaces: null,
            carriedFilledQty: '0',
            carriedFilledValue: '0',
          },
        }),
        entry('OrderPartiallyFilled', {
          metadata: metadata('o-1', 2, at),
          data: {
            execId: 'o-1:1',
            lastQty: '4',
            lastPx: '100.5',
            venue: 'SIMX',
            filledQty: '4',
            leavesQty: '6',
            filledAvgPrice: '100.5',
            fee: '-0.01',
            liquidity: 'added',
            bid: '100.4',
            ask: '100.6',
          },
        }),
        entry('OrderFilled', {
          metadata: metadata('o-1', 3, at),
          data: {
            execId: 'o-1:2',
            lastQty: '6',
            lastPx: '100.7',
            venue: 'SIMX',
            filledQty: '10',
            leavesQty: '0',
            filledAvgPrice: '100.62',
          },
        }),
        entry('OrderTcaRecorded', {
          metadata: metadata('o-1', 4, at),
          data: {
            symbol: 'AAPL',
            side: 'buy',
            arrival: { bid: '100.4', ask: '100.6', mid: '100.5' },
            arrivalSlippageBps: 2.5,
            implementationShortfall: { total: { usd: '3', bps: 3 }, fees: { usd: '0.1', bps: 0.1 } },
            fillRate: 1,
          },
        }),
        // Not a warehouse event: no rule sends it to a stream.
        entry('OrderAccepted', { metadata: metadata('o-1', 5, at), data: { venueOrderId: 'v' } }),
        // A fill without its execId: refused by the mapping, kept under the errors prefix.
        entry('OrderPartiallyFilled', {
          metadata: metadata('o-2', 2, at),
          data: { lastQty: '1', lastPx: '1' },
        }),
      ],
    });
    expect(out.FailedEntryCount).toBe(0);
    await eb.idle();
    // orders: submitted, filled; executions: two fills and the refused one; tca: one.
    expect(firehose.pending()).toBe(6);
    await firehose.flush();
    expect(firehose.pending()).toBe(0);

    const files = filesUnder(dir);
    for (const table of WAREHOUSE_TABLES)
      expect(
        files.filter((f) => f.startsWith(`${table}/date=2026-03-02/`) && f.endsWith('.parquet')),
      ).toHaveLength(1);
    const errors = files.filter((f) => f.startsWith('errors/executions/processing-failed/'));
    expect(errors).toHaveLength(1);
    const errorLine = JSON.parse(readFileSync(join(dir, errors[0] as string), 'utf8').trim()) as {
      rawData: string;
    };
    expect(
      JSON.parse(Buffer.from(errorLine.rawData, 'base64').toString('utf8')).detail.metadata.orderId,
    ).toBe('o-2');

    const orders = await queryWarehouse(
      dir,
      'SELECT event_type, status, symbol, qty, "date" FROM orders ORDER BY seq',
    );
    expect(orders.emptyTables).toEqual([]);
    expect(orders.rows).toEqual([
      ['OrderSubmitted', 'pending_new', 'AAPL', '10.000000000', '2026-03-02'],
      ['OrderFilled', 'filled', null, null, '2026-03-02'],
    ]);
    const fills = await queryWarehouse(
      dir,
      `SELECT e.exec_id, e.venue, e.last_qty * e.last_px AS notional, e.fee, e.liquidity, typeof(e.last_px) AS px_type,
              typeof(e.occurred_at) AS at_type, o.side
         FROM executions e JOIN orders o ON o.order_id = e.order_id AND o.event_type = 'OrderSubmitted'
        ORDER BY e.seq`,
    );
    expect(fills.rows).toEqual([
      [
        'o-1:1',
        'SIMX',
        '402.000000000000000000',
        '-0.010000000',
        'added',
        'DECIMAL(38,9)',
        'TIMESTAMP',
        'buy',
      ],
      ['o-1:2', 'SIMX', '604.200000000000000000', null, null, 'DECIMAL(38,9)', 'TIMESTAMP', 'buy'],
    ]);
    const tca = await queryWarehouse(
      dir,
      `SELECT arrival_slippage_bps, is_total_bps, fill_rate, json_extract(data, '$.implementationShortfall.total.bps')::DOUBLE AS from_json FROM tca`,
    );
    expect(tca.rows).toEqual([[2.5, 3, 1, 3]]);
    expect(formatTable(tca.columns, tca.rows)).toContain('arrival_slippage_bps');
    expect(invoker.calls).toBe(3);

    // The README's three queries run over these files.
    const byVenue = await queryWarehouse(dir, WAREHOUSE_EXAMPLES.slippageByVenue);
    // Both fills against the order's arrival mid 100.5 (its TCA): 4 at 100.5 (0 bps) and 6 at
    // 100.7 (19.90 bps), notional-weighted: 6 x 100.7 x 19.9005 / 1006.2 = 11.95 bps.
    expect(byVenue.rows).toEqual([['SIMX', '2', '10.000000000', 11.95]]);
    const fillRate = await queryWarehouse(dir, WAREHOUSE_EXAMPLES.fillRateByOrderType);
    expect(fillRate.rows).toEqual([['market', '1', '1', 1]]);
    const day = await queryWarehouse(dir, WAREHOUSE_EXAMPLES.tcaOfADay);
    expect(day.rows).toEqual([['AAPL', 'buy', '1', 2.5, 3, 0.1, 1]]);
  } finally {
    await eb.close();
    await firehose.close();
  }
}, 60_000);

test('analytics: no files yet gives empty views with the columns; bad SQL is an error', async () => {
  const empty = mkdtempSync(join(tmpdir(), 'oms-warehouse-empty-'));
  try {
    const r = await queryWarehouse(empty, 'SELECT count(*) AS n, count(fee) AS fees FROM executions');
    expect(r.emptyTables).toEqual(['orders', 'executions', 'tca']);
    expect(r.rows).toEqual([['0', '0']]);
    await expect(queryWarehouse(empty, 'SELEC 1')).rejects.toThrow(/syntax error/);
    await expect(queryWarehouse(empty, 'SELECT no_such_column FROM orders')).rejects.toThrow(
      /no_such_column/,
    );
  } finally {
    rmSync(empty, { recursive: true, force: true });
  }
});

test('prefixes: partition keys, timestamps and error types; an unsafe key value is refused', () => {
  const nowMs = Date.parse('2026-03-02T15:04:05Z');
  expect(
    evaluatePrefix('orders/date=!{partitionKeyFromLambda:date}/', {
      partitionKeys: { date: '2026-03-02' },
      nowMs,
    }),
  ).toBe('orders/date=2026-03-02/');
  expect(
    evaluatePrefix('e/!{firehose:error-output-type}/!{timestamp:yyyy-MM-dd}/', {
      errorType: 'processing-failed',
      nowMs,
    }),
  ).toBe('e/processing-failed/2026-03-02/');
  expect(
    evaluatePrefix('x/!{partitionKeyFromLambda:date}/', { partitionKeys: { date: '../..' }, nowMs }),
  ).toBeNull();
  expect(evaluatePrefix('x/!{partitionKeyFromLambda:date}/', { nowMs })).toBeNull();
});
