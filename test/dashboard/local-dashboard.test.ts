/**
 * local/dashboard.ts: the page's files at /dashboard/ in local mode. GET/HEAD only, the right
 * content types, index.html for the folder, only the listed files (no traversal), 404 otherwise.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DASHBOARD_FILES, isDashboardPath, serveDashboard } from '../../local/dashboard.js';

const ROOT = join(__dirname, '..', '..');
/** As the HTTP server sees a path: the URL parser's normalisation first. */
const path = (raw: string) => new URL(raw, 'http://localhost').pathname;

test('/dashboard/ is the page; each file with its content type, not cached, not sniffed', async () => {
  const index = await serveDashboard('GET', '/dashboard/');
  expect(index.statusCode).toBe(200);
  expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
  expect(index.headers['cache-control']).toBe('no-store');
  expect(index.headers['x-content-type-options']).toBe('nosniff');
  expect(String(index.body)).toBe(readFileSync(join(ROOT, 'dashboard', 'index.html'), 'utf8'));
  for (const [name, type] of [
    ['app.js', 'text/javascript; charset=utf-8'],
    ['style.css', 'text/css; charset=utf-8'],
    ['vendor/uPlot.iife.min.js', 'text/javascript; charset=utf-8'],
    ['vendor/uPlot.min.css', 'text/css; charset=utf-8'],
  ]) {
    const res = await serveDashboard('GET', `/dashboard/${name}`);
    expect([name, res.statusCode, res.headers['content-type']]).toEqual([name, 200, type]);
  }
  // HEAD: the headers, no body.
  const head = await serveDashboard('HEAD', '/dashboard/app.js');
  expect(head.statusCode).toBe(200);
  expect(head.body).toBe('');
  expect(Number(head.headers['content-length'])).toBeGreaterThan(0);
});

test('every file of the page is served (the list and dashboard/ agree), its README is not', () => {
  const page = readdirSync(join(ROOT, 'dashboard')).filter((f) => f !== 'README.md');
  const served = Object.keys(DASHBOARD_FILES).filter((n) => !n.startsWith('vendor/'));
  expect(served.sort()).toEqual(page.sort());
});

test.each([
  '/dashboard/README.md',
  '/dashboard/nope.js',
  '/dashboard/../package.json',
  '/dashboard/%2e%2e/package.json',
  '/dashboard/..%2Fpackage.json',
  '/dashboard/vendor/../../package.json',
  '/dashboard/vendor/uPlot.cjs.js',
  '/dashboard/vendor%2FuPlot.min.css',
  '/dashboard/index.html/',
  '/dashboard/constructor',
  '/dashboard/__proto__',
])('%s is not served', async (raw) => {
  const p = path(raw);
  // A path the URL parser took out of /dashboard/ is the API's (and 404 there), never a file.
  if (!isDashboardPath(p)) return expect(p.startsWith('/dashboard')).toBe(false);
  const res = await serveDashboard('GET', p);
  expect(res.statusCode).toBe(404);
  expect(res.body).toBe('not found');
});

test('other methods are 405; /dashboard redirects to /dashboard/; the API paths are not the page', async () => {
  for (const method of ['POST', 'PUT', 'DELETE', 'PATCH']) {
    const res = await serveDashboard(method, '/dashboard/index.html');
    expect(res.statusCode).toBe(405);
    expect(res.headers.allow).toBe('GET, HEAD');
  }
  const bare = await serveDashboard('GET', '/dashboard');
  expect([bare.statusCode, bare.headers.location]).toEqual([308, '/dashboard/']);
  for (const p of ['/v2/orders', '/local/health', '/dashboards', '/stream'])
    expect(isDashboardPath(p)).toBe(false);
});
