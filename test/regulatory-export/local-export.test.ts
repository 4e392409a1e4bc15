/**
 * Local mode's on-demand export (local/regulatory-export.ts): refusals answered before anything is
 * read or written, and the directory store standing in for the audit bucket.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dirStore, localAuditDir, localRegulatoryExport } from '../../local/regulatory-export.js';

const dir = mkdtempSync(join(tmpdir(), 'oms-cat-local-'));
// A client that fails if it is used: refusals must come before any read.
const deps = {
  doc: {
    send: () => {
      throw new Error('read');
    },
  } as never,
  eventStoreTable: 'events',
  reporterImid: 'STKB',
  auditDir: dir,
};

test.each<['export' | 'verify', string, string]>([
  ['export', 'date=2026-02-30', 'date: must be a date YYYY-MM-DD'],
  ['export', 'date=12/03/2026', 'date: must be a date YYYY-MM-DD'],
  ['verify', 'date=', 'date: must be a date YYYY-MM-DD'],
  ['export', 'date=2026-12-03&dir=/tmp', 'dir: only verify reads another directory'],
  ['verify', 'date=2026-12-03&dir=relative/path', 'dir: must be an absolute path'],
])('%s ?%s is refused: %s', async (action, query, message) => {
  const out = await localRegulatoryExport(deps, action, new URLSearchParams(query));
  expect(out).toEqual({ status: 400, body: { code: 'invalid_query', message } });
});

test('the directory store writes whole files under its root and refuses a key that leaves it', async () => {
  const store = dirStore(dir);
  expect(await store.get('cat/2026-12-03/x.jsonl')).toBeNull();
  await store.put('cat/2026-12-03/x.jsonl', 'a\n', 'application/x-ndjson');
  expect(readFileSync(join(dir, 'cat/2026-12-03/x.jsonl'), 'utf8')).toBe('a\n');
  expect(await store.get('cat/2026-12-03/x.jsonl')).toBe('a\n');
  await expect(store.put('../escape.txt', 'x', 'text/plain')).rejects.toThrow(/leaves/);
  expect(existsSync(join(dir, '..', 'escape.txt'))).toBe(false);
});

test.each([
  [{ dataDir: '/data/oms', env: {} }, '/data/oms'],
  [{ env: { OMS_AUDIT_DIR: '/audit' } }, '/audit'],
  [{ env: {} }, expect.stringMatching(/\.oms-local\/audit$/)],
])('the audit directory for %j', (options, expected) => {
  expect(localAuditDir(options)).toEqual(expected);
});
