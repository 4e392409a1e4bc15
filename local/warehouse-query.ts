/**
 * Queries the local Data Warehouse's Parquet with DuckDB (`npm run analytics`, docs/warehouse.md):
 * views `orders`, `executions` and `tca` over `<dir>/<table>/date=*\/*.parquet` with Hive
 * partitioning (`date` is text, as the Glue partition column is, so a query runs unchanged on
 * Athena). A table with no file yet is an empty view with the table's columns (core
 * WAREHOUSE_COLUMNS), so a query still runs and says so.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import {
  WAREHOUSE_COLUMNS,
  WAREHOUSE_PARTITION_KEY,
  WAREHOUSE_TABLES,
  type WarehouseTable,
} from '../lambdas/core/warehouse-records.js';
import { duckDbType } from './firehose.js';

export type Cell = string | number | boolean | null;

export interface WarehouseQueryResult {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly Cell[])[];
  /** Tables with no Parquet file yet (their views are empty). */
  readonly emptyTables: readonly WarehouseTable[];
}

const quote = (text: string) => `'${text.replace(/'/g, "''")}'`;

function hasParquet(dir: string): boolean {
  if (!existsSync(dir)) return false;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isFile() && e.name.endsWith('.parquet')) return true;
    if (e.isDirectory() && hasParquet(join(dir, e.name))) return true;
  }
  return false;
}

/** Creates the three views on `connection`; returns the tables that have no file yet. */
export async function createWarehouseViews(
  connection: DuckDBConnection,
  dir: string,
): Promise<WarehouseTable[]> {
  const empty: WarehouseTable[] = [];
  for (const table of WAREHOUSE_TABLES) {
    const tableDir = join(dir, table);
    if (hasParquet(tableDir)) {
      const glob = join(tableDir, `${WAREHOUSE_PARTITION_KEY}=*`, '*.parquet');
      await connection.run(
        `CREATE OR REPLACE VIEW ${table} AS SELECT * FROM read_parquet(${quote(glob)}, ` +
          `hive_partitioning = true, hive_types = {'${WAREHOUSE_PARTITION_KEY}': VARCHAR}, union_by_name = true)`,
      );
    } else {
      empty.push(table);
      const cols = [
        ...WAREHOUSE_COLUMNS[table].map((c) => `CAST(NULL AS ${duckDbType(c.type)}) AS "${c.name}"`),
        `CAST(NULL AS VARCHAR) AS "${WAREHOUSE_PARTITION_KEY}"`,
      ];
      await connection.run(`CREATE OR REPLACE VIEW ${table} AS SELECT ${cols.join(', ')} WHERE false`);
    }
  }
  return empty;
}

/** Runs `sql` over the warehouse in `dir` (in-memory DuckDB). Throws DuckDB's error for bad SQL. */
export async function queryWarehouse(dir: string, sql: string): Promise<WarehouseQueryResult> {
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const emptyTables = await createWarehouseViews(connection, dir);
    const reader = await connection.runAndReadAll(sql);
    const columns = reader.columnNames();
    const rows = reader.getRowsJson() as unknown as Cell[][];
    return { columns, rows, emptyTables };
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

/** A plain text table: a header, a rule, the rows; numbers right-aligned; NULL for null. */
export function formatTable(columns: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = (c: Cell) => (c === null ? 'NULL' : typeof c === 'object' ? JSON.stringify(c) : String(c));
  const cells = rows.map((r) => r.map(text));
  const widths = columns.map((c, i) => Math.max(c.length, ...cells.map((r) => (r[i] ?? '').length)));
  const numeric = columns.map(
    (_, i) =>
      rows.length > 0 &&
      rows.every((r) => r[i] === null || typeof r[i] === 'number' || /^-?\d+(\.\d+)?$/.test(String(r[i]))),
  );
  const line = (values: readonly string[], align: boolean) =>
    values
      .map((v, i) => (align && numeric[i] ? v.padStart(widths[i] ?? 0) : v.padEnd(widths[i] ?? 0)))
      .join(' | ')
      .trimEnd();
  return [
    line(columns, false),
    widths.map((w) => '-'.repeat(w)).join('-+-'),
    ...cells.map((r) => line(r, true)),
    `(${rows.length} row${rows.length === 1 ? '' : 's'})`,
  ].join('\n');
}

/**
 * The README's example queries (README "Data Warehouse"), kept here so a test runs them over real
 * Parquet; they use only SQL that DuckDB and Athena share (CAST, json_extract, quoted "date").
 */
export const WAREHOUSE_EXAMPLES = {
  slippageByVenue: `SELECT e.venue, count(*) AS fills, sum(e.last_qty) AS shares,
       round(sum(CAST(e.last_qty * e.last_px AS double) * CASE t.side WHEN 'buy' THEN 1 ELSE -1 END
                 * (CAST(e.last_px AS double) / CAST(t.arrival_mid AS double) - 1) * 10000)
             / sum(CAST(e.last_qty * e.last_px AS double)), 2) AS slippage_vs_arrival_bps
  FROM executions e
  JOIN tca t ON t.order_id = e.order_id
 WHERE t.arrival_mid IS NOT NULL
 GROUP BY e.venue ORDER BY shares DESC`,
  fillRateByOrderType: `WITH submitted AS (SELECT order_id, order_type, qty FROM orders
                     WHERE event_type = 'OrderSubmitted' AND qty IS NOT NULL),
     filled AS (SELECT order_id, max(filled_qty) AS filled_qty FROM executions GROUP BY order_id)
SELECT s.order_type, count(*) AS orders, count(f.order_id) AS with_fills,
       round(sum(CAST(coalesce(f.filled_qty, 0) AS double)) / sum(CAST(s.qty AS double)), 3) AS fill_rate
  FROM submitted s LEFT JOIN filled f ON f.order_id = s.order_id
 GROUP BY s.order_type ORDER BY orders DESC`,
  tcaOfADay: `SELECT symbol, side, count(*) AS orders,
       round(avg(arrival_slippage_bps), 2) AS arrival_bps,
       round(avg(is_total_bps), 2) AS shortfall_bps,
       round(avg(CAST(json_extract(data, '$.implementationShortfall.fees.bps') AS double)), 2) AS fees_bps,
       round(avg(fill_rate), 3) AS fill_rate
  FROM tca WHERE "date" = '2026-03-02'
 GROUP BY symbol, side ORDER BY orders DESC`,
} as const;
