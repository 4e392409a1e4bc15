/**
 * The Lambda bundles' esbuild options (lib/bundling.json, via ESBUILD_OPTIONS, the same the stack's
 * NodejsFunction gets): one real bundle is built in memory and its inputs checked (issue 12: what
 * made every bundle 1.2 MB must not come back). Sizes and import times: `npm run bundle:report`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Metafile } from 'esbuild';
import bundling from '../../lib/bundling.json';
import { HANDLERS } from '../../lib/handlers.js';
import { ESBUILD_OPTIONS } from '../../lib/lambda-defaults.js';

const root = join(__dirname, '../..');
let inputs: string[];

/** The inputs of `handler`'s bundle that put bytes in it (an import whose code was dropped has none). */
async function bundledInputs(handler: keyof typeof HANDLERS): Promise<string[]> {
  const result = await build({
    ...ESBUILD_OPTIONS,
    external: [...ESBUILD_OPTIONS.external],
    mainFields: [...ESBUILD_OPTIONS.mainFields],
    alias: { ...ESBUILD_OPTIONS.alias },
    entryPoints: [join(root, HANDLERS[handler])],
    outfile: 'index.js',
    write: false,
    metafile: true,
    logLevel: 'error',
  });
  const output = Object.entries((result.metafile as Metafile).outputs).find(([p]) => p.endsWith('index.js'));
  return Object.entries(output?.[1].inputs ?? {}).flatMap(([p, i]) => (i.bytesInOutput > 0 ? [p] : []));
}

beforeAll(async () => {
  const result = await build({
    ...ESBUILD_OPTIONS,
    external: [...ESBUILD_OPTIONS.external],
    mainFields: [...ESBUILD_OPTIONS.mainFields],
    alias: { ...ESBUILD_OPTIONS.alias },
    entryPoints: [join(root, HANDLERS.expireOrder)],
    outfile: 'index.js',
    write: false,
    metafile: true,
    logLevel: 'error',
  });
  const output = Object.entries((result.metafile as Metafile).outputs).find(([p]) => p.endsWith('index.js'));
  inputs = Object.keys(output?.[1].inputs ?? {});
});

describe('Lambda bundling options', () => {
  it('aliases only to files of the repository', () => {
    for (const to of Object.values(bundling.alias)) expect(existsSync(join(root, to))).toBe(true);
  });

  it('bundles the ESM build of the AWS SDK (tree-shaken), never its CJS build', () => {
    const sdk = inputs.filter((p) => /node_modules\/@aws-sdk\/client-dynamodb\/.*\.js$/.test(p));
    expect(sdk.length).toBeGreaterThan(0);
    expect(sdk.filter((p) => !p.includes('/dist-es/'))).toEqual([]);
  });

  it('carries no X-Ray SDK and only the environment link of the credential chain', () => {
    const banned = [
      'aws-xray-sdk-core',
      '@aws-lambda-powertools/tracer',
      '@aws-sdk/credential-provider-node',
      '@aws-sdk/nested-clients',
    ];
    for (const pkg of banned) expect(inputs.filter((p) => p.includes(`node_modules/${pkg}/`))).toEqual([]);
    expect(inputs).toContain('lambdas/platform/lambda-credentials.ts');
  });

  it('carries no AWS SDK event-stream code: the stand-in that fails if one is ever used', () => {
    expect(inputs.filter((p) => p.includes('@smithy/core/dist-es/submodules/event-streams/'))).toEqual([]);
    expect(inputs).toContain('lambdas/platform/no-event-streams.ts');
  });

  it("carries the endpoint discovery settings' stand-in, no endpoint cache (checked against the SDK's in test/platform)", () => {
    expect(
      inputs.filter((p) =>
        /node_modules\/(mnemonist|obliterator|@aws-sdk\/endpoint-cache|@aws-sdk\/middleware-endpoint-discovery)\//.test(
          p,
        ),
      ),
    ).toEqual([]);
    expect(inputs).toContain('lambdas/platform/no-endpoint-discovery.ts');
  });

  it("signs EventBridge requests with the one-region stand-in, not the SDK's multi-region signer", async () => {
    // orderStream publishes the event store's stream (checked against the published signer in test/platform).
    const carried = await bundledInputs('orderStream');
    expect(carried.some((p) => p.includes('node_modules/@aws-sdk/client-eventbridge/'))).toBe(true);
    expect(carried.filter((p) => p.includes('node_modules/@aws-sdk/signature-v4-multi-region/'))).toEqual([]);
    expect(carried).toContain('lambdas/platform/sigv4-one-region.ts');
  });

  it("hashes with the native SHA-256 stand-in, without the SDK's JavaScript SHA-256; S3's checksums still bundle", async () => {
    // Every client's config takes `Sha256` (checked against the published one in test/platform).
    expect(inputs.filter((p) => p.includes('/checksum/sha256/'))).toEqual([]);
    expect(inputs).toContain('lambdas/platform/native-sha256.ts');
    // The regulatory export's S3 client takes MD5 and CRC32 from the published files.
    const s3 = await bundledInputs('exportCatDay');
    expect(s3.some((p) => p.includes('node_modules/@aws-sdk/client-s3/'))).toBe(true);
    expect(s3).toEqual(expect.arrayContaining([expect.stringMatching(/\/checksum\/md5\/Md5Node\.js$/)]));
    expect(s3.filter((p) => p.includes('/checksum/sha256/Sha256Js'))).toEqual([]);
  });

  it('carries the Metrics class only where a metric is recorded', () => {
    // expire-order records none: no Powertools Metrics in its bundle.
    expect(inputs.filter((p) => p.includes('node_modules/@aws-lambda-powertools/metrics/'))).toEqual([]);
  });

  // The clients of lambdas/platform are created at import (/* @__PURE__ */: dropped where unused),
  // and one order's cancel (request-cancel.ts) is apart from cancel-all's fan-out onto the bus.
  it.each([
    ['createOrder', 'risk reads the trading state of trading-controls.ts, which also publishes'],
    ['closePositions', "cancels an order as DELETE /v2/orders/{id} does, not cancel-all's fan-out"],
    ['orderRequested', "stores its refusals in the event store for the stream's publisher (issue 12)"],
  ] as const)('%s carries no EventBridge client (%s)', async (handler, _why) => {
    const carried = await bundledInputs(handler);
    expect(carried.filter((p) => p.includes('node_modules/@aws-sdk/client-eventbridge/'))).toEqual([]);
    expect(carried.some((p) => p.includes('node_modules/@aws-sdk/client-dynamodb/'))).toBe(true);
  });
});
