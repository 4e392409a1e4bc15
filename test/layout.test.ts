/**
 * The layout's rules (README "Layout"), checked against every import of `lambdas/`:
 * - `core` is the pure domain: it imports only itself and the packages in CORE_PACKAGES;
 * - the layers below the handlers import only the layers below themselves:
 *   orders -> event-store -> platform -> core;
 * - a handler folder (one deployed capability) imports its own files and the layers, never a
 *   sibling handler folder;
 * - venues are reached through the `Venue` port: nothing in `lambdas/` outside
 *   `broker-gateway/simulated/` imports the simulator but `broker-gateway/wiring.ts` (`venueFor`);
 *   nothing outside `broker-gateway/fix/` imports the FIX adapter but the wiring and the venue
 *   session host (`broker-gateway/session-host/`, which runs the FIX sessions).
 *   (`local/` runs the simulator's market and controls, and `lib/` deploys its tick: both outside.)
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { sourceFiles } from './source-files.js';

const ROOT = resolve(__dirname, '..');
const LAMBDAS = join(ROOT, 'lambdas');
/** The simulated venue and market: reached only through the `Venue` port (broker-gateway/wiring.ts). */
const SIMULATED = join(LAMBDAS, 'broker-gateway', 'simulated');
const VENUE_WIRING = join(LAMBDAS, 'broker-gateway', 'wiring.ts');
/** The FIX adapter: reached through `venueFor`, and run by the venue session host. */
const FIX = join(LAMBDAS, 'broker-gateway', 'fix');
const SESSION_HOST = join(LAMBDAS, 'broker-gateway', 'session-host');

/** Each layer and what it may import (besides itself). */
const LAYERS: Readonly<Record<string, readonly string[]>> = {
  core: [],
  platform: ['core'],
  'event-store': ['platform', 'core'],
  orders: ['event-store', 'platform', 'core'],
};
/** Packages the pure core may use: schemas and hashing, no I/O, no AWS, no clock. */
const CORE_PACKAGES = new Set(['zod/mini', 'zod/locales', 'zod/v4/core', 'node:crypto']);

/** Every module specifier of `source`: static imports and re-exports, dynamic imports, requires. */
function importsOf(source: string): string[] {
  const specs: string[] = [];
  const patterns = [
    /\b(?:import|export)\s[^'";]*?\sfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\b(?:import|require)\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) for (const m of source.matchAll(pattern)) specs.push(m[1] as string);
  return specs;
}

/** The top folder of `lambdas/` a file lies in. */
const NODE_MODULES = join(ROOT, 'node_modules');
const folderOf = (file: string): string => relative(LAMBDAS, file).split(sep)[0] as string;

interface Violation {
  readonly file: string;
  readonly imports: string;
}

/** The imports of `files` that break the layout's rules. */
function violations(files: readonly string[], read: (file: string) => string): Violation[] {
  const out: Violation[] = [];
  for (const file of files) {
    const from = folderOf(file);
    for (const spec of importsOf(read(file))) {
      // A path into node_modules names a package's file (a bundles-only stand-in, platform's
      // native-checksums.ts, reaches files past the package's exports): a package import.
      const relativeSpec =
        spec.startsWith('.') && !resolve(dirname(file), spec).startsWith(NODE_MODULES + sep);
      if (!relativeSpec) {
        if (from === 'core' && !CORE_PACKAGES.has(spec)) out.push({ file, imports: spec });
        continue;
      }
      const target = resolve(dirname(file), spec);
      // The venue port: only the simulator itself and the gateway's one wiring name the simulator.
      if (target.startsWith(SIMULATED + sep) && !file.startsWith(SIMULATED + sep) && file !== VENUE_WIRING) {
        out.push({ file: relative(ROOT, file), imports: spec });
        continue;
      }
      const fixAllowed =
        file.startsWith(FIX + sep) || file.startsWith(SESSION_HOST + sep) || file === VENUE_WIRING;
      if (target.startsWith(FIX + sep) && !fixAllowed) {
        out.push({ file: relative(ROOT, file), imports: spec });
        continue;
      }
      const to = target.startsWith(LAMBDAS + sep) ? folderOf(target) : '(outside lambdas)';
      if (to === from) continue;
      const allowed = LAYERS[from] ?? Object.keys(LAYERS);
      if (!allowed.includes(to)) out.push({ file: relative(ROOT, file), imports: spec });
    }
  }
  return out;
}

describe('layout: one folder per capability, layers below them', () => {
  const files = sourceFiles(LAMBDAS);

  it('finds the handler folders and the layers', () => {
    const folders = new Set(files.map(folderOf));
    for (const layer of Object.keys(LAYERS)) expect(folders).toContain(layer);
    expect(folders).not.toContain('shared');
  });

  it('no handler folder imports a sibling, no layer imports upwards, core imports nothing outside itself', () => {
    expect(violations(files, (f) => readFileSync(f, 'utf8'))).toEqual([]);
  });

  // The check itself must be able to fail: each planted import below breaks one rule.
  it.each([
    ['order-api/x.ts', "import { handler } from '../broker-gateway/wiring.js';"],
    ['stream-consumers/x.ts', "export { startOrderWorkflow } from '../order-lifecycle/route-order.js';"],
    ['algo-orders/x.ts', "const m = await import('../held-triggers/watch-held-triggers.js');"],
    ['core/x.ts', "import { DynamoDBClient } from '@aws-sdk/client-dynamodb';"],
    ['core/x.ts', "import { dynamo } from '../platform/dynamo.js';"],
    ['platform/x.ts', "import { eventStore } from '../event-store/event-store.js';"],
    ['orders/x.ts', "import { handler } from '../order-api/create-order.js';"],
    ['event-store/x.ts', "import type { Order } from '../orders/orders-service.js';"],
    ['broker-gateway/submit-to-venue.ts', "import { SimulatedVenue } from './simulated/simulated-venue.js';"],
    ['orders/x.ts', "import { quoteToItem } from '../broker-gateway/simulated/market.js';"],
    ['broker-gateway/forward-to-venue.ts', "import { FixVenue } from './fix/fix-venue.js';"],
    ['broker-gateway/simulated/x.ts', "import { executionReportOf } from '../fix/fix-mapping.js';"],
  ])('flags %s importing %s', (file, line) => {
    const path = join(LAMBDAS, file);
    expect(violations([path], () => line)).toHaveLength(1);
  });

  it.each([
    ['order-api/x.ts', "import { x } from './http.js';"],
    ['order-api/x.ts', "import { x } from '../orders/orders-service.js';"],
    ['broker-gateway/simulated/x.ts', "import { x } from '../venue.js';"],
    ['broker-gateway/wiring.ts', "import { SimulatedVenue } from './simulated/simulated-venue.js';"],
    ['broker-gateway/x.ts', "import { venueFor } from './wiring.js';"],
    ['broker-gateway/wiring.ts', "import { FixVenue } from './fix/fix-venue.js';"],
    ['broker-gateway/session-host/host.ts', "import '../fix/fix-hosted-session.js';"],
    ['core/x.ts', "import * as z from 'zod/mini';"],
    ['orders/x.ts', "import { x } from '../event-store/event-store.js';"],
  ])('allows %s importing %s', (file, line) => {
    expect(violations([join(LAMBDAS, file)], () => line)).toEqual([]);
  });
});
