/**
 * Local mode's CAT-shaped export (issue 16, docs/compliance.md): the same export code as the
 * scheduled function (lambdas/regulatory-export/cat-day.ts) run on demand against DynamoDB Local,
 * with a directory standing in for the WORM audit bucket (`<dataDir>/cat/<date>/...`,
 * `<dataDir>/archive/<date>/...`; without a data directory OMS_AUDIT_DIR, else
 * `<repo>/.oms-local/audit`). A directory is not WORM: a file can be changed, which is exactly
 * what verification finds.
 *
 *   POST /local/regulatory-export?date=YYYY-MM-DD          exports the day (default: today, New York)
 *   POST /local/regulatory-export/verify?date=&dir=         verifies it (dir: another copy to check)
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { isCatDate } from '../lambdas/core/cat-export.js';
import { newYorkDate } from '../lambdas/core/session.js';
import { exportDay, type ObjectStore, verifyDay } from '../lambdas/regulatory-export/cat-day.js';

export function localAuditDir(
  options: { dataDir?: string | undefined; env?: NodeJS.ProcessEnv } = {},
): string {
  const env = options.env ?? process.env;
  if (options.dataDir !== undefined && options.dataDir !== '') return resolve(options.dataDir);
  if (env.OMS_AUDIT_DIR !== undefined && env.OMS_AUDIT_DIR !== '') return resolve(env.OMS_AUDIT_DIR);
  return resolve(__dirname, '..', '.oms-local', 'audit');
}

/** A directory as the export's object store: keys are relative paths; writes are atomic (rename). */
export function dirStore(root: string): ObjectStore & { pathOf(key: string): string } {
  const pathOf = (key: string) => {
    const p = resolve(root, key);
    if (!p.startsWith(`${resolve(root)}${sep}`)) throw new RangeError(`key ${key} leaves ${root}`);
    return p;
  };
  return {
    pathOf,
    async get(key) {
      try {
        return readFileSync(pathOf(key), 'utf8');
      } catch (err) {
        if ((err as { code?: string }).code === 'ENOENT') return null;
        throw err;
      }
    },
    async put(key, text) {
      const p = pathOf(key);
      mkdirSync(dirname(p), { recursive: true });
      const tmp = `${p}.${process.pid}.tmp`;
      writeFileSync(tmp, text, 'utf8');
      renameSync(tmp, p);
    },
  };
}

export interface LocalExportDeps {
  readonly doc: DynamoDBDocumentClient;
  readonly eventStoreTable: string;
  readonly reporterImid: string;
  readonly auditDir: string;
}

type Answer = { status: number; body: Record<string, unknown> };

const refuse = (message: string): Answer => ({ status: 400, body: { code: 'invalid_query', message } });

/** The control routes' work; `action` is `export` or `verify`. */
export async function localRegulatoryExport(
  deps: LocalExportDeps,
  action: 'export' | 'verify',
  query: URLSearchParams,
  now: number = Date.now(),
): Promise<Answer> {
  const date = query.get('date') ?? newYorkDate(now);
  if (!isCatDate(date)) return refuse('date: must be a date YYYY-MM-DD');
  const dirParam = query.get('dir');
  if (action === 'export' && dirParam !== null) return refuse('dir: only verify reads another directory');
  if (dirParam !== null && !isAbsolute(dirParam)) return refuse('dir: must be an absolute path');
  const root = dirParam ?? deps.auditDir;
  const store = dirStore(root);
  const src = { doc: deps.doc, eventStoreTable: deps.eventStoreTable };
  if (action === 'export') {
    const result = await exportDay(src, store, date, deps.reporterImid);
    return {
      status: 200,
      body: {
        ...result,
        dir: root,
        files: Object.fromEntries(Object.entries(result.keys).map(([k, key]) => [k, join(root, key)])),
      },
    };
  }
  const result = await verifyDay(src, store, date, deps.reporterImid);
  return { status: 200, body: { ...result, dir: root } };
}
