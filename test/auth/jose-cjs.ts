/**
 * jose 6 ships only as ES modules, which Jest's CommonJS runtime loads only when Node runs with
 * --experimental-vm-modules. Tests bundle it once to CommonJS with esbuild (already a dev
 * dependency) and hand that to `jest.mock('jose', ...)`, so the real library is exercised.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';

export function joseAsCommonJs(): unknown {
  const out = buildSync({
    entryPoints: [require.resolve('jose')],
    bundle: true,
    format: 'cjs',
    platform: 'node',
    write: false,
    logLevel: 'silent',
  });
  const dir = join(tmpdir(), 'oms-test-jose');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `jose-${process.pid}.cjs`);
  writeFileSync(file, out.outputFiles[0]?.text ?? '');
  return require(file);
}
