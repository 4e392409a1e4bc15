/**
 * The trading dashboard in a real browser (issue 14), against the e2e project's shared local mode:
 * headless Chromium (Debian's `chromium`; `CHROMIUM_PATH` to use another) driven by puppeteer-core.
 * It logs in with a seeded key pair, places a market order over HTTP (not through the page), and
 * sees the blotter row appear and turn `filled` without a reload, opens the order's detail (event
 * trail, workflow path), checks that another account's order is nowhere on the page, and keeps a
 * screenshot at test-artifacts/dashboard.png. Every wait is on a condition. Where no Chromium is
 * installed the file skips with a message saying how to get one (`apt-get install chromium`).
 */
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { alpacaAccountId } from '../../lambdas/core/index.js';
import { type OmsHttp, type SharedOms, seedAccount, sharedTradingDayOms } from '../e2e/harness.js';

/** The page's `document`, for the functions puppeteer runs in the browser (tsconfig has no DOM lib). */
declare const document: {
  querySelector(selector: string): { textContent: string | null } | null;
  querySelectorAll(selector: string): Iterable<{ getAttribute(name: string): string | null }>;
};

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const HAVE_CHROMIUM = existsSync(CHROMIUM);
const ARTIFACTS = join(__dirname, '..', '..', 'test-artifacts');
const SCREENSHOT = join(ARTIFACTS, 'dashboard.png');
/** Upper bounds for a loaded 2-core machine, not expectations. */
const WAIT_MS = 20_000;

const DASH = { keyId: 'DASHKEY1', secret: 'dash-secret-1', accountId: 'e2e-dashboard' };
const OTHER = { keyId: 'DASHKEY2', secret: 'dash-secret-2', accountId: 'e2e-dashboard-other' };
const SYMBOL = 'E2EDASH';

if (!HAVE_CHROMIUM) {
  console.warn(
    `dashboard-page.test.ts SKIPPED: no Chromium at ${CHROMIUM}. Install Debian's package ` +
      '(`apt-get install -y chromium`) or set CHROMIUM_PATH to a Chromium/Chrome binary.',
  );
}

(HAVE_CHROMIUM ? describe : describe.skip)('trading dashboard in headless Chromium', () => {
  let oms: SharedOms;
  let mine: OmsHttp;
  let other: OmsHttp;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    rmSync(SCREENSHOT, { force: true });
    const shared = await sharedTradingDayOms();
    oms = shared.oms;
    await seedAccount(oms, DASH);
    await seedAccount(oms, OTHER);
    mine = shared.http.withKey(DASH.keyId, DASH.secret);
    other = shared.http.withKey(OTHER.keyId, OTHER.secret);
    await mine.pinQuote(SYMBOL, { bid: '50.00', ask: '50.02', ask_size: '10000', bid_size: '10000' });
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      // Root in a container has no user namespace for Chromium's sandbox.
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
    });
    page = await browser.newPage();
    await page.setViewport({ width: 1400, height: 1100 });
    page.on('pageerror', (err) => pageErrors.push(String(err)));
  }, 60_000);

  afterEach(async () => {
    // A failed test keeps what the page showed (the passing one saves dashboard.png itself).
    if (page !== undefined && !existsSync(SCREENSHOT)) {
      mkdirSync(ARTIFACTS, { recursive: true });
      await page
        .screenshot({ path: join(ARTIFACTS, 'dashboard-failed.png'), fullPage: true })
        .catch(() => {});
    }
  });

  afterAll(async () => {
    await browser?.close();
  });

  const statusOf = (id: string) =>
    page.$eval(`tr[data-order-id="${id}"] td[data-col="status"]`, (td) => td.textContent);

  test('log in, see an order placed over HTTP appear and fill live, open its detail, nothing of another account', async () => {
    // Another account's order, placed first: if the page leaked it, it would be listed with ours.
    const foreign = await other.submit({
      symbol: SYMBOL,
      qty: '3',
      side: 'buy',
      type: 'market',
      time_in_force: 'day',
    });

    await page.goto(`${oms.apiUrl}/dashboard/`);
    await page.type('#key-id', DASH.keyId);
    await page.type('#secret-key', DASH.secret);
    await page.click('#login-form button[type="submit"]');
    await page.waitForSelector('#app:not([hidden])', { timeout: WAIT_MS });
    // The account panel is the key's account.
    await page.waitForFunction(
      (account) => document.querySelector('#account')?.textContent?.includes(account),
      { timeout: WAIT_MS },
      // Its Alpaca id (a UUID, GET /v2/account's `id`).
      alpacaAccountId(DASH.accountId),
    );

    // The trade_updates stream is live (not the polling fallback) before the order goes in.
    await page.waitForSelector('#stream-state[data-state="live"]', { timeout: WAIT_MS });

    // Placed through the API, not the page; the page is never reloaded from here on.
    const order = await mine.submit({
      symbol: SYMBOL,
      qty: '7',
      side: 'buy',
      type: 'market',
      time_in_force: 'day',
    });
    const row = `tr[data-order-id="${order.id}"]`;
    await page.waitForSelector(row, { timeout: WAIT_MS });
    await page.waitForFunction(
      (sel) => document.querySelector(`${sel} td[data-col="status"]`)?.textContent === 'filled',
      { timeout: WAIT_MS },
      row,
    );
    expect(await statusOf(order.id)).toBe('filled');
    // The stream brought it: the live panel lists the order's new and fill updates, with the position.
    await page.waitForFunction(
      (id) =>
        [...document.querySelectorAll('#live li[data-event="fill"]')].some((li) =>
          (li as unknown as { textContent: string | null }).textContent?.includes(id),
        ),
      { timeout: WAIT_MS },
      order.id,
    );
    const live = await page.$$eval('#live li', (lis) =>
      lis.map((li) => (li as unknown as { textContent: string | null }).textContent ?? ''),
    );
    expect(live.filter((t) => t.includes(order.id)).some((t) => t.includes('position=7'))).toBe(true);
    // The positions panel follows the fill without a reload.
    await page.waitForFunction(
      (symbol) =>
        document.querySelector(`#positions tr[data-symbol="${symbol}"] td:nth-child(2)`)?.textContent === '7',
      { timeout: WAIT_MS },
      SYMBOL,
    );
    expect(await page.$eval(`${row} td[data-col="filled_qty"]`, (td) => td.textContent)).toBe('7');
    // Venue from the order's events; arrival = the mid of the pinned quote the OMS read (50.00/50.02),
    // slippage of the 50.02 fill against it: +2.0 bps (a buy paying over the mid).
    await page.waitForSelector(`${row}[data-derived="true"]`, { timeout: WAIT_MS });
    expect(await page.$eval(`${row} td[data-col="venue"]`, (td) => td.textContent)).toBe('SIMX');
    expect(await page.$eval(`${row} td[data-col="arrival"]`, (td) => td.textContent)).toBe('50.01');
    expect(await page.$eval(`${row} td[data-col="slippage_bps"]`, (td) => td.textContent)).toMatch(
      /^\+?2(\.0+)?$/,
    );

    // The detail: event trail and the workflow's states.
    await page.click(row);
    await page.waitForSelector('#detail:not([hidden]) #trail tr[data-type="OrderFilled"]', {
      timeout: WAIT_MS,
    });
    const trail = await page.$$eval('#trail tbody tr', (trs) =>
      trs.map((tr) => tr.getAttribute('data-type')),
    );
    expect(trail[0]).toBe('OrderSubmitted');
    expect(trail).toContain('OrderFilled');
    await page.waitForFunction(
      () =>
        [...document.querySelectorAll('#workflow-states li')]
          .map((li) => li.getAttribute('data-state'))
          .join('|') === 'Accept order|Submit and await outcome',
      { timeout: WAIT_MS },
    );
    expect(await page.$eval('#workflow a', (a) => a.getAttribute('href'))).toMatch(
      /^https:\/\/[a-z0-9-]+\.console\.aws\.amazon\.com\/states\/home\?region=[a-z0-9-]+#\/v2\/executions\/details\/arn:aws:states:.*:execution:.*:/,
    );
    expect(await page.$$eval('#fills tbody tr', (trs) => trs.length)).toBeGreaterThanOrEqual(1);
    expect(await page.$('#fills-chart .uplot')).not.toBeNull();
    expect(await page.$eval('#tca', (p) => p.textContent)).toMatch(/execution-quality issue/);

    // Another account's order: not a row, and its id appears nowhere on the page.
    expect(await page.$(`tr[data-order-id="${foreign.id}"]`)).toBeNull();
    expect(await page.content()).not.toContain(foreign.id);
    // The page's own view of it (its key, through the API) is Alpaca's 404.
    const status = await page.evaluate(async (id) => {
      const key = JSON.parse(sessionStorage.getItem('oms.dashboard.key') ?? '{}');
      const res = await fetch(`/v2/orders/${id}`, {
        headers: { 'APCA-API-KEY-ID': key.keyId, 'APCA-API-SECRET-KEY': key.secret },
      });
      return res.status;
    }, foreign.id);
    expect(status).toBe(404);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
