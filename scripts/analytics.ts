/**
 * `npm run analytics -- "<SQL>" [--json] [--dir <warehouse dir>] [--data-dir <local mode data dir>]`:
 * runs SQL with DuckDB over local mode's Data Warehouse (views `orders`, `executions`, `tca`;
 * docs/warehouse.md). The directory is the one local mode prints in its banner: `--dir`, else
 * `<--data-dir>/warehouse`, else OMS_WAREHOUSE_DIR, else `.oms-local/warehouse`.
 * Prints a table (or, with --json, a JSON array of row objects); exit code 1 on bad SQL or usage.
 */
import { parseArgs } from 'node:util';
import { localWarehouseDir } from '../local/firehose.js';
import { formatTable, queryWarehouse } from '../local/warehouse-query.js';

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (e) {
    process.stderr.write(`analytics: ${(e as Error).message}\n${USAGE}`);
    return 1;
  }
  const { values, positionals } = parsed;
  const sql = positionals.join(' ').trim();
  if (sql === '') {
    process.stderr.write(`analytics: no SQL given\n${USAGE}`);
    return 1;
  }
  const dir = values.dir ?? localWarehouseDir({ dataDir: values['data-dir'] });
  try {
    const result = await queryWarehouse(dir, sql);
    if (result.emptyTables.length > 0)
      process.stderr.write(
        `analytics: no Parquet files yet for ${result.emptyTables.join(', ')} in ${dir} (empty views; local mode writes them a few seconds after the events)\n`,
      );
    if (values.json) {
      const objects = result.rows.map((r) =>
        Object.fromEntries(result.columns.map((c, i) => [c, r[i] ?? null])),
      );
      process.stdout.write(`${JSON.stringify(objects, null, 2)}\n`);
    } else {
      process.stdout.write(`${formatTable(result.columns, result.rows)}\n`);
    }
    return 0;
  } catch (e) {
    process.stderr.write(`analytics: ${(e as Error).message}\n`);
    return 1;
  }
}

const USAGE =
  'usage: npm run analytics -- "SELECT ... FROM orders|executions|tca" [--json] [--dir <warehouse dir>] [--data-dir <dir>]\n';

function parse() {
  return parseArgs({
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      dir: { type: 'string' },
      'data-dir': { type: 'string' },
    },
  });
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`analytics: ${(e as Error).message}\n`);
    process.exitCode = 1;
  },
);
