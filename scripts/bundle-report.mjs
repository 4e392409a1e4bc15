#!/usr/bin/env node
/**
 * Bundles every Lambda entry (lib/handlers.ts) with the stack's esbuild options (lib/bundling.json
 * via lib/lambda-defaults.ts, the same ones NodejsFunction uses) and prints, per function, the
 * bundle's size, its gzip size and its module import time on Node 24 (`import_ms`). Run with
 * `npm run bundle:report` (tsx loads the TypeScript lists). Nothing is written to the repository:
 * bundles go to a temporary directory, removed at the end.
 *
 * import_ms: the bundled index.js (with its source map, NODE_OPTIONS as the stack sets them) is
 * `require`d by a fresh node_modules/node/bin/node process, which times the require only (not the
 * process start); median of BUNDLE_REPORT_RUNS (default 5) processes, run one after the other
 * (the max over 26 medians picks up any spike of a busy machine: more runs steady it). Outside
 * Lambda the Powertools tracer stays disabled, but every module is loaded and evaluated as in a
 * cold start.
 *
 * BUNDLE_REPORT_DETAIL=1 also prints each bundle's top contributors (esbuild metafile: bytes in the
 * output grouped by npm package, or by the repo's top two folders for our own sources).
 * The last line: `bundles max_bytes=<n> max_import_ms=<n> (targets 400000, 150)` (issue 12).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { HANDLERS } from '../lib/handlers.ts';
import { ESBUILD_OPTIONS, LAMBDA_NODE_OPTIONS } from '../lib/lambda-defaults.ts';

const TARGET_BYTES = 400_000;
const TARGET_IMPORT_MS = 150;
const RUNS = Number(process.env.BUNDLE_REPORT_RUNS ?? 5);
const TOP = 10;
const detail = process.env.BUNDLE_REPORT_DETAIL === '1';

const root = join(import.meta.dirname, '..');
const node24 = join(root, 'node_modules/node/bin/node');
const work = mkdtempSync(join(tmpdir(), 'bundle-report-'));
const probe = join(work, 'probe.cjs');
writeFileSync(
  probe,
  [
    "const { performance } = require('node:perf_hooks');",
    'const t0 = performance.now();',
    'const m = require(process.argv[2]);',
    'const ms = performance.now() - t0;',
    "if (typeof m.handler !== 'function') throw new Error('no handler export');",
    'process.stdout.write(String(ms));',
  ].join('\n'),
);
// A Lambda-like environment: region, the Powertools variables the stack sets, and the NODE_OPTIONS.
const probeEnv = {
  PATH: process.env.PATH ?? '',
  AWS_REGION: 'us-east-1',
  AWS_DEFAULT_REGION: 'us-east-1',
  POWERTOOLS_SERVICE_NAME: 'oms-bundle-report',
  POWERTOOLS_METRICS_NAMESPACE: 'StockbotOms',
  NODE_OPTIONS: LAMBDA_NODE_OPTIONS,
  // The resource names the stack sets (a handler may read them when it loads, as on Lambda).
  EVENT_STORE_TABLE: 'EventStore',
  ORDERS_TABLE: 'Orders',
  IDEMPOTENCY_TABLE: 'Idempotency',
  TASK_TOKENS_TABLE: 'TaskTokens',
  ACCOUNTS_TABLE: 'Accounts',
  MARKET_TABLE: 'Market',
  ASSETS_TABLE: 'Assets',
  VENUE_ORDERS_TABLE: 'VenueOrders',
  TRADE_STREAM_TABLE: 'TradeStream',
  EVENT_BUS_NAME: 'stockbot-oms',
  ORDER_LIFECYCLE_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:OrderLifecycle',
  ALGO_ORDER_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:AlgoOrder',
  AUDIT_BUCKET: 'audit',
};

function importMs(file) {
  const times = [];
  for (let i = 0; i < RUNS; i++) {
    const r = spawnSync(node24, [probe, file], { env: probeEnv, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`import of ${file} failed: ${r.stderr}`);
    times.push(Number(r.stdout));
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(RUNS / 2)];
}

/** `node_modules/@scope/name/...` -> `@scope/name`; `lambdas/core/x.ts` -> `lambdas/core`. */
function packageOf(input) {
  const i = input.lastIndexOf('node_modules/');
  if (i < 0) return input.split('/').slice(0, 2).join('/');
  const parts = input.slice(i + 'node_modules/'.length).split('/');
  return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
}

const rows = [];
const missing = [];
try {
  for (const [name, entry] of Object.entries(HANDLERS)) {
    const entryPath = join(root, entry);
    if (!existsSync(entryPath)) {
      missing.push(entry);
      continue;
    }
    const dir = join(work, name);
    mkdirSync(dir);
    const result = await build({
      ...ESBUILD_OPTIONS,
      external: [...ESBUILD_OPTIONS.external],
      mainFields: [...ESBUILD_OPTIONS.mainFields],
      alias: { ...ESBUILD_OPTIONS.alias },
      entryPoints: [entryPath],
      outfile: join(dir, 'index.js'),
      write: false,
      metafile: true,
      logLevel: 'error',
    });
    for (const f of result.outputFiles) writeFileSync(join(dir, basename(f.path)), f.contents);
    const code = result.outputFiles.find((f) => f.path.endsWith('index.js'));
    if (!code) throw new Error(`no output for ${entry}`);
    const output = Object.entries(result.metafile.outputs).find(([p]) => p.endsWith('index.js'))?.[1];
    const byPackage = new Map();
    for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
      const pkg = packageOf(input);
      byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + bytesInOutput);
    }
    rows.push({
      name,
      bytes: code.contents.byteLength,
      gzip: gzipSync(code.contents).byteLength,
      importMs: importMs(join(dir, 'index.js')),
      top: [...byPackage].sort((a, b) => b[1] - a[1]).slice(0, TOP),
    });
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

rows.sort((a, b) => b.bytes - a.bytes);
const width = Math.max('function'.length, ...rows.map((r) => r.name.length));
const line = (name, bytes, gzip, ms) =>
  `${name.padEnd(width)}  ${String(bytes).padStart(9)}  ${String(gzip).padStart(10)}  ${String(ms).padStart(9)}`;
console.log(line('function', 'bytes', 'gzip_bytes', 'import_ms'));
for (const r of rows) console.log(line(r.name, r.bytes, r.gzip, Math.round(r.importMs)));
console.log(
  line(
    `total (${rows.length})`,
    rows.reduce((s, r) => s + r.bytes, 0),
    rows.reduce((s, r) => s + r.gzip, 0),
    '',
  ),
);
console.log('(bytes: minified index.js without its source map; gzip_bytes: the same, gzipped;');
console.log(` import_ms: require() of the bundle on Node 24, median of ${RUNS} fresh processes)`);
if (detail) {
  for (const r of rows) {
    console.log(`\n${r.name}: top contributors (bytes in output)`);
    for (const [pkg, bytes] of r.top) {
      console.log(
        `  ${pkg.padEnd(44)} ${String(bytes).padStart(9)}  ${((100 * bytes) / r.bytes).toFixed(1)}%`,
      );
    }
  }
  console.log('');
}
if (missing.length > 0) {
  console.log(`missing entries (not bundled): ${missing.join(', ')}`);
  process.exitCode = 1;
}
const maxBytes = Math.max(0, ...rows.map((r) => r.bytes));
const maxMs = Math.max(0, ...rows.map((r) => r.importMs));
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} (import_ms is wall time)`,
);
console.log(
  `bundles max_bytes=${maxBytes} max_import_ms=${Math.round(maxMs)} (targets ${TARGET_BYTES}, ${TARGET_IMPORT_MS})`,
);
