// Runs a benchmark the way Lambda runs the code: bundled and minified by esbuild, on plain node.
// Usage: node bench/run.mjs <name>   (bundles bench/<name>.bench.ts)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

const name = process.argv[2];
if (!name) throw new Error('usage: node bench/run.mjs <name>');
const dir = mkdtempSync(join(tmpdir(), 'oms-bench-'));
try {
  const outfile = join(dir, `${name}.cjs`);
  await build({
    entryPoints: [`bench/${name}.bench.ts`],
    bundle: true,
    minify: true,
    platform: 'node',
    target: 'node24',
    format: 'cjs',
    outfile,
    logLevel: 'warning',
  });
  execFileSync(process.execPath, [outfile], { stdio: 'inherit' });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
