#!/usr/bin/env node
/**
 * Bundles every Lambda entry (lib/handlers.ts) with the stack's esbuild options (lib/bundling.json
 * via lib/lambda-defaults.ts, the same ones NodejsFunction uses) and prints each bundle's size and
 * gzip size. Run with `npm run bundle:report` (tsx loads the TypeScript lists). Nothing is written
 * to the repository: bundles go to memory only.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { HANDLERS } from '../lib/handlers.ts';
import { ESBUILD_OPTIONS } from '../lib/lambda-defaults.ts';

const root = join(import.meta.dirname, '..');
const rows = [];
const missing = [];
for (const [name, entry] of Object.entries(HANDLERS)) {
  const entryPath = join(root, entry);
  if (!existsSync(entryPath)) {
    missing.push(entry);
    continue;
  }
  const result = await build({
    ...ESBUILD_OPTIONS,
    external: [...ESBUILD_OPTIONS.external],
    entryPoints: [entryPath],
    outfile: 'index.js',
    write: false,
    logLevel: 'error',
  });
  const code = result.outputFiles.find((f) => f.path.endsWith('index.js'));
  if (!code) throw new Error(`no output for ${entry}`);
  rows.push({ name, bytes: code.contents.byteLength, gzip: gzipSync(code.contents).byteLength });
}

rows.sort((a, b) => b.bytes - a.bytes);
const width = Math.max('function'.length, ...rows.map((r) => r.name.length));
const line = (name, bytes, gzip) =>
  `${name.padEnd(width)}  ${String(bytes).padStart(9)}  ${String(gzip).padStart(10)}`;
console.log(line('function', 'bytes', 'gzip_bytes'));
for (const r of rows) console.log(line(r.name, r.bytes, r.gzip));
console.log(
  line(
    `total (${rows.length})`,
    rows.reduce((s, r) => s + r.bytes, 0),
    rows.reduce((s, r) => s + r.gzip, 0),
  ),
);
console.log('(bytes: minified index.js without its source map; gzip_bytes: the same, gzipped)');
if (missing.length > 0) {
  console.log(`missing entries (not bundled): ${missing.join(', ')}`);
  process.exitCode = 1;
}
