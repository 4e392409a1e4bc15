/**
 * The trading dashboard's files at `/dashboard/` on local mode's HTTP port (issue 14), so the page is
 * same-origin with `/v2/*` and `/stream` as it is behind CloudFront on AWS (lib/dashboard.ts).
 *
 * GET and HEAD only (another method is 405); `/dashboard` redirects to `/dashboard/`, whose file is
 * `index.html`. The files are the page's own (`dashboard/`) and uPlot's two dist files under
 * `vendor/`, nothing else: a name is looked up in a fixed list, never joined onto a path, so no
 * `..` or encoded slash reaches the file system. Anything else is 404. No caching (the files
 * change as you edit them).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

export const DASHBOARD_PATH = '/dashboard/';

const ROOT = join(__dirname, '..');

/** The page's files (under `dashboard/`) and uPlot's (node_modules/uplot/dist), by URL name. */
export const DASHBOARD_FILES: Readonly<Record<string, string>> = {
  'index.html': 'dashboard/index.html',
  'style.css': 'dashboard/style.css',
  'app.js': 'dashboard/app.js',
  'api.js': 'dashboard/api.js',
  'stream.js': 'dashboard/stream.js',
  'blotter.js': 'dashboard/blotter.js',
  'detail.js': 'dashboard/detail.js',
  'format.js': 'dashboard/format.js',
  'vendor/uPlot.iife.min.js': 'node_modules/uplot/dist/uPlot.iife.min.js',
  'vendor/uPlot.min.css': 'node_modules/uplot/dist/uPlot.min.css',
};

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
};

export interface DashboardResponse {
  readonly statusCode: number;
  readonly headers: Record<string, string>;
  readonly body: Buffer | string;
}

const HEADERS = {
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

const text = (statusCode: number, message: string, extra: Record<string, string> = {}) => ({
  statusCode,
  headers: { ...HEADERS, 'content-type': 'text/plain; charset=utf-8', ...extra },
  body: message,
});

/** True for the paths this module answers (`/dashboard` and below); the rest is the API's. */
export function isDashboardPath(pathname: string): boolean {
  return pathname === '/dashboard' || pathname.startsWith(DASHBOARD_PATH);
}

/** The answer to a request for a dashboard path (`isDashboardPath`). */
export async function serveDashboard(method: string, pathname: string): Promise<DashboardResponse> {
  if (method !== 'GET' && method !== 'HEAD') return text(405, 'method not allowed', { allow: 'GET, HEAD' });
  if (pathname === '/dashboard') return text(308, 'moved', { location: DASHBOARD_PATH });
  const name = pathname.slice(DASHBOARD_PATH.length) || 'index.html';
  const file = Object.hasOwn(DASHBOARD_FILES, name) ? DASHBOARD_FILES[name] : undefined;
  if (file === undefined) return text(404, 'not found');
  const body = await readFile(join(ROOT, file));
  const type = CONTENT_TYPES[name.slice(name.lastIndexOf('.') + 1)] ?? 'application/octet-stream';
  return {
    statusCode: 200,
    headers: { ...HEADERS, 'content-type': type, 'content-length': String(body.length) },
    body: method === 'HEAD' ? '' : body,
  };
}
