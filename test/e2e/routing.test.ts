/**
 * Smart order routing and execution quality in local mode (issue 15), end to end through the HTTP
 * API, the workflow (routing at submission), the simulated venues, the order stream consumer (TCA
 * at the close) and the warehouse (Parquet, queried with DuckDB as `npm run analytics` does):
 * - a market order larger than the best venue's displayed size is split over the venues; each child
 *   fills at its venue's price; the parent's OrderRouted explains it; its TCA has every measure;
 *   the analytics query sees the order, its executions and its TCA;
 * - a venue taken down receives nothing until it is back;
 * - an account on `cheapest_fee` sends its order whole to the lowest taker fee;
 * - a slippage threshold breached publishes SlippageThresholdBreached.
 */
import { randomUUID } from 'node:crypto';
import { queryWarehouse } from '../../local/warehouse-query.js';
import { eventually, type OmsHttp, type SharedOms, seedAccount, sharedTradingDayOms } from './harness.js';

jest.setTimeout(120_000);

let oms: SharedOms;
let http: OmsHttp;
/** The venues the first test's split order went to (the reports count it at each). */
let splitVenues: Set<string> = new Set();

beforeAll(async () => {
  ({ oms, http } = await sharedTradingDayOms());
}, 90_000);

afterAll(async () => {
  // The venues as the other files expect them: every one up.
  await http.expect(200, 'PUT', '/local/venues/SIMZ', { down: false });
  await oms?.stop();
});

interface Routed {
  policy: string;
  marketable: boolean;
  nbbo: { bid: string; ask: string };
  venues: { venue: string; ask: string | null; askSize: string | null; takerFee: string; down: boolean }[];
  excluded: { venue: string; reason: string }[];
  allocations: { venue: string; qty: string; expectedPrice: string | null; childOrderId: string | null }[];
  reason: string;
}

const num = (v: unknown) => Number(v);

async function routedOf(orderId: string, client: OmsHttp = http): Promise<Routed> {
  const trail = await client.auditTrail(orderId);
  const routed = trail.find((e) => e.type === 'OrderRouted');
  if (routed === undefined) throw new Error(`${orderId} has no OrderRouted`);
  return routed.data as unknown as Routed;
}

async function tcaOf(orderId: string): Promise<Record<string, unknown>> {
  return eventually(
    async () => http.expect<Record<string, unknown>>(200, 'GET', `/v2/orders/${orderId}/tca`),
    30_000,
  );
}

it('a market order larger than the best venue is split; children fill at their venues; OrderRouted explains; TCA complete; the warehouse has it', async () => {
  await http.pinQuote('E2ESOR', { bid: '80.00', ask: '80.02', ask_size: '300', bid_size: '300' });
  const placed = await http.submit({
    symbol: 'E2ESOR',
    qty: '500',
    side: 'buy',
    type: 'market',
    time_in_force: 'day',
  });
  const filled = await http.untilStatus(placed.id, 'filled', 30_000);
  expect(filled).toMatchObject({ filled_qty: '500', filled_avg_price: '80.02' });

  const routed = await routedOf(placed.id);
  splitVenues = new Set(routed.allocations.map((a) => a.venue));
  expect(routed).toMatchObject({ policy: 'best_price', marketable: true, nbbo: { bid: '80', ask: '80.02' } });
  // What it saw: every venue's quote, size and fee; nothing excluded.
  expect(routed.venues.map((v) => v.venue)).toEqual(['SIMX', 'SIMY', 'SIMZ']);
  expect(routed.excluded).toEqual([]);
  // SIMX (the tape's 300, the deepest) first, then the others' odd lots, deeper first, each up to
  // what it shows; whatever is beyond every displayed size works at SIMX.
  expect(routed.allocations[0]?.venue).toBe('SIMX');
  expect(routed.allocations.length).toBeGreaterThan(1);
  expect(routed.allocations.reduce((s, a) => s + num(a.qty), 0)).toBe(500);
  const shown = new Map(routed.venues.map((v) => [v.venue, num(v.askSize)]));
  let left = 500 - 300;
  for (const a of routed.allocations.slice(1)) {
    expect(num(a.qty)).toBe(Math.min(shown.get(a.venue) as number, left));
    left -= num(a.qty);
  }
  expect(num(routed.allocations[0]?.qty)).toBe(300 + left);

  // Each child is an order of its own at its venue, filled at that venue's price.
  for (const a of routed.allocations) {
    const childTrail = await http.auditTrail(a.childOrderId as string);
    expect(childTrail[0]?.data).toMatchObject({ routedTo: a.venue });
    const fills = childTrail.filter((e) => e.type === 'OrderFilled' || e.type === 'OrderPartiallyFilled');
    expect(fills.reduce((s, e) => s + num(e.data.lastQty), 0)).toBe(num(a.qty));
    for (const f of fills)
      expect(f.data).toMatchObject({ venue: a.venue, lastPx: a.expectedPrice, liquidity: 'removed' });
  }
  // The client's order is listed, not the OMS's children (a probe with the Alpaca SDK saw them,
  // the listed quantity twice the order's); a child stays readable by id.
  const listed = await http.expect<{ id: string; qty: string }[]>(
    200,
    'GET',
    '/v2/orders?status=all&symbols=E2ESOR&limit=500',
  );
  const childIds = routed.allocations.map((a) => a.childOrderId as string);
  expect(listed.map((o) => o.id)).toContain(placed.id);
  expect(listed.filter((o) => childIds.includes(o.id))).toEqual([]);
  expect((await http.expect<{ id: string }>(200, 'GET', `/v2/orders/${childIds[0]}`)).id).toBe(childIds[0]);

  // Its FILL activities name the order the client placed, with that order's numbers after each
  // (a probe's bot found activities of order ids it never saw), every child's execution once.
  const activities: Record<string, string>[] = [];
  for (let token: string | undefined; ; ) {
    const page = await http.expect<Record<string, string>[]>(
      200,
      'GET',
      `/v2/account/activities/FILL?direction=asc&after=${encodeURIComponent(placed.created_at)}${token === undefined ? '' : `&page_token=${token}`}`,
    );
    activities.push(...page.filter((a) => a.symbol === 'E2ESOR'));
    if (page.length < 100) break;
    token = page.at(-1)?.id;
  }
  expect(activities.length).toBe(
    (await Promise.all(childIds.map((id) => http.auditTrail(id))))
      .flat()
      .filter((e) => e.type === 'OrderFilled' || e.type === 'OrderPartiallyFilled').length,
  );
  expect(new Set(activities.map((a) => a.order_id))).toEqual(new Set([placed.id]));
  expect(activities.reduce((s, a) => s + num(a.qty), 0)).toBe(500);
  const cums = activities.map((a) => num(a.cum_qty)).sort((a, b) => a - b);
  expect(cums.at(-1)).toBe(500);
  expect(new Set(cums).size).toBe(cums.length);
  for (const a of activities)
    expect([num(a.leaves_qty), a.type, a.order_status]).toEqual(
      num(a.cum_qty) === 500
        ? [0, 'fill', 'filled']
        : [500 - num(a.cum_qty), 'partial_fill', 'partially_filled'],
    );

  // The parent's fills mirror its children's, each with its venue and fee.
  const parentFills = (await http.auditTrail(placed.id)).filter(
    (e) => e.type === 'OrderFilled' || e.type === 'OrderPartiallyFilled',
  );
  expect(new Set(parentFills.map((f) => f.data.venue))).toEqual(
    new Set(routed.allocations.map((a) => a.venue)),
  );

  const tca = await tcaOf(placed.id);
  expect(tca).toMatchObject({
    orderId: placed.id,
    symbol: 'E2ESOR',
    side: 'buy',
    routing: 'split',
    status: 'filled',
    arrival: { bid: '80', ask: '80.02', mid: '80.01' },
    decisionPriceSource: 'arrival_mid',
    filledQty: '500',
    avgPrice: '80.02',
    fillRate: 1,
  });
  // Every measure is there: arrival slippage, the shortfall's parts, Rule 605, timings, venue mix.
  expect(tca.arrivalSlippageBps).toBeCloseTo(1.25, 2);
  const is = tca.implementationShortfall as Record<string, { usd: string } | null>;
  for (const part of ['total', 'delay', 'trading', 'opportunity', 'fees']) expect(is[part]).not.toBeNull();
  expect(num(is.trading?.usd)).toBeCloseTo(5, 6); // 500 x (80.02 - 80.01)
  expect(num(is.fees?.usd)).toBeGreaterThan(0);
  expect(tca.rule605).toMatchObject({ measuredQty: '500', avgEffectiveSpread: '0.02', atQuoteQty: '500' });
  expect((tca.timings as { timeToFirstFillMs: number }).timeToFirstFillMs).toBeGreaterThanOrEqual(0);
  expect((tca.venues as { venue: string }[]).map((v) => v.venue).sort()).toEqual(
    routed.allocations.map((a) => a.venue).sort(),
  );

  // On the bus, and in the warehouse (the local Firehose flushes every few seconds).
  await eventually(async () => {
    const events = await http.derivedEvents(placed.id);
    expect(events.map((e) => e['detail-type'])).toContain('OrderTcaRecorded');
  }, 30_000);
  const dir = oms.warehouseDir as string;
  const found = await eventually(async () => {
    const r = await queryWarehouse(
      dir,
      `SELECT DISTINCT t.event_id, t.fill_rate, t.arrival_slippage_bps, (SELECT count(DISTINCT e.event_id) FROM executions e WHERE e.order_id = t.order_id) AS fills,
              (SELECT count(DISTINCT o.event_id) FROM orders o WHERE o.order_id = t.order_id) AS order_rows
         FROM tca t WHERE t.order_id = '${placed.id}'`,
    );
    expect(r.rows).toHaveLength(1);
    // Each table's stream flushes on its own: wait for the order's closing row too.
    expect(num((r.rows[0] as unknown[])[4])).toBeGreaterThanOrEqual(2);
    return r.rows[0] as unknown[];
  }, 60_000);
  expect(num(found[1])).toBe(1);
  // Delivery is at least once: the warehouse keeps every delivery, its rows dedupe on event_id.
  expect(num(found[3])).toBeGreaterThanOrEqual(parentFills.length);
  expect(num(found[4])).toBeGreaterThanOrEqual(2); // submitted and filled
});

it('a venue taken down receives nothing until it is back', async () => {
  await http.pinQuote('E2EDWN', { bid: '40.00', ask: '40.01', ask_size: '200', bid_size: '200' });
  await http.expect(200, 'PUT', '/local/venues/SIMZ', { down: true });
  const venues = await http.expect<{ venue: string; down: boolean }[]>(200, 'GET', '/local/venues');
  expect(venues.find((v) => v.venue === 'SIMZ')?.down).toBe(true);

  const during = await http.submit({
    symbol: 'E2EDWN',
    qty: '400',
    side: 'buy',
    type: 'market',
    time_in_force: 'day',
  });
  await http.untilStatus(during.id, 'filled', 30_000);
  const routed = await routedOf(during.id);
  expect(routed.excluded).toEqual([{ venue: 'SIMZ', reason: 'venue_down' }]);
  expect(routed.allocations.map((a) => a.venue)).not.toContain('SIMZ');
  expect(routed.venues.find((v) => v.venue === 'SIMZ')).toMatchObject({ ask: null, down: true });

  await http.expect(200, 'PUT', '/local/venues/SIMZ', { down: false });
  const after = await http.submit({
    symbol: 'E2EDWN',
    qty: '401',
    side: 'buy',
    type: 'market',
    time_in_force: 'day',
  });
  await http.untilStatus(after.id, 'filled', 30_000);
  expect((await routedOf(after.id)).allocations.map((a) => a.venue)).toContain('SIMZ');
});

it('a venue that rejects a split child: the remainder is routed again, away from it, and the order fills whole', async () => {
  await http.pinQuote('E2ERRT', { bid: '50.00', ask: '50.02', ask_size: '200', bid_size: '200' });
  await http.expect(200, 'PUT', '/local/venues/SIMY', { reject_next: true });
  try {
    const placed = await http.submit({
      symbol: 'E2ERRT',
      qty: '400',
      side: 'buy',
      type: 'market',
      time_in_force: 'day',
    });
    const filled = await http.untilStatus(placed.id, 'filled', 45_000);
    expect(filled).toMatchObject({ filled_qty: '400' });
    const trail = await http.auditTrail(placed.id);
    const routings = trail
      .filter((e) => e.type === 'OrderRouted')
      .map((e) => e.data as unknown as Routed & { round?: number });
    expect(routings).toHaveLength(2);
    const [first, second] = routings as [Routed & { round?: number }, Routed & { round?: number }];
    const atSimy = first.allocations.find((a) => a.venue === 'SIMY');
    expect(atSimy).toBeDefined();
    // The second routing is round 2, for what SIMY rejected, and never back to SIMY.
    expect(second.round).toBe(2);
    expect(second.excluded).toContainEqual({ venue: 'SIMY', reason: 'rejected_this_order' });
    expect(second.allocations.map((a) => a.venue)).not.toContain('SIMY');
    expect(second.allocations.reduce((s, a) => s + num(a.qty), 0)).toBe(num(atSimy?.qty));
    const rejected = await http.order(atSimy?.childOrderId as string);
    expect(rejected).toMatchObject({ status: 'rejected' });
    for (const a of second.allocations) http.orders.add(a.childOrderId as string);
  } finally {
    await http.expect(200, 'PUT', '/local/venues/SIMY', { reject_next: false });
  }
});

it('an account on cheapest_fee sends its order whole to the lowest taker fee; a slippage threshold breached is published', async () => {
  const tag = randomUUID().slice(0, 8).toUpperCase();
  const account = {
    keyId: `SOR${tag}`,
    secret: `sor-secret-${tag}`,
    accountId: `sor-${tag}`,
    settings: {
      routingPolicy: 'cheapest_fee',
      slippageThresholds: { arrivalBps: 0.5, strategies: { calm: { arrivalBps: 100 } } },
    },
  };
  await seedAccount(oms, account);
  const bot = http.withKey(account.keyId, account.secret);
  await http.pinQuote('E2EFEE', { bid: '20.00', ask: '20.02', ask_size: '500', bid_size: '500' });
  // Strategy `hot` has no thresholds of its own: the account's 0.5 bps applies, and a market buy
  // at the ask pays 5 bps over the mid.
  const hot = await bot.submit({
    symbol: 'E2EFEE',
    qty: '10',
    side: 'buy',
    type: 'market',
    time_in_force: 'day',
    client_order_id: `hot:${tag}`,
  });
  const calm = await bot.submit({
    symbol: 'E2EFEE',
    qty: '11',
    side: 'buy',
    type: 'market',
    time_in_force: 'day',
    client_order_id: `calm:${tag}`,
  });
  await bot.untilStatus(hot.id, 'filled', 30_000);
  await bot.untilStatus(calm.id, 'filled', 30_000);
  const routed = await routedOf(hot.id, bot);
  expect(routed.policy).toBe('cheapest_fee');
  expect(routed.allocations.map((a) => a.venue)).toEqual(['SIMZ']);

  const breach = await eventually(async () => {
    const events = await http.derivedEvents(hot.id);
    const b = events.find((e) => e['detail-type'] === 'SlippageThresholdBreached');
    expect(b).toBeDefined();
    return b;
  }, 30_000);
  expect(breach?.detail.data).toMatchObject({
    measure: 'arrival_slippage',
    thresholdBps: 0.5,
    scope: 'account',
  });
  // The calm strategy's threshold (100 bps) is not breached.
  await eventually(async () => {
    const events = await http.derivedEvents(calm.id);
    expect(events.map((e) => e['detail-type'])).toContain('OrderTcaRecorded');
    expect(events.map((e) => e['detail-type'])).not.toContain('SlippageThresholdBreached');
  }, 30_000);
});

it('the execution-quality and best-execution reports count each venue a split order went to; bad dates are 400', async () => {
  const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'America/New_York' }).format(new Date());
  const report = await eventually(async () => {
    const r = await http.expect<{
      rows: { venue: string; orders: number; orderType: string; fillRate: number }[];
    }>(200, 'GET', `/v1/reports/executions?date=${today}`);
    // The split order of the first test counts at each of its venues, as a market order.
    const venues = new Set(r.rows.filter((x) => x.orderType === 'market').map((x) => x.venue));
    for (const v of splitVenues) expect(venues.has(v)).toBe(true);
    return r;
  }, 30_000);
  expect(report.rows.every((x) => x.orders > 0 && x.fillRate !== null)).toBe(true);

  const csv = await fetch(`${oms.apiUrl}/v1/reports/executions?date=${today}&format=csv`, {
    headers: { 'APCA-API-KEY-ID': oms.apiKeyId, 'APCA-API-SECRET-KEY': oms.apiSecretKey },
  });
  expect(csv.status).toBe(200);
  expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
  const lines = (await csv.text()).trim().split('\r\n');
  expect(lines[0]).toBe(
    'venue,orderType,sizeBucket,orders,shares,filledShares,fillRate,avgEffectiveSpread,avgQuotedSpread,' +
      'effectiveOverQuotedPct,pctSharesPriceImproved,avgImprovementPerImprovedShare,' +
      'pctSharesAtOrBetterThanQuote,avgDisimprovementPerOutsideQuoteShare,avgTimeToExecutionMs',
  );
  expect(lines.length).toBe(report.rows.length + 1);

  const best = await http.expect<{ groups: { symbol: string; venues: { venue: string }[] }[] }>(
    200,
    'GET',
    `/v1/reports/best-execution?from=${today}&to=${today}`,
  );
  const sor = best.groups.find((g) => g.symbol === 'E2ESOR');
  expect(new Set(sor?.venues.map((v) => v.venue))).toEqual(splitVenues);
  expect(splitVenues.size).toBeGreaterThan(1);

  for (const [path, field] of [
    ['/v1/reports/executions?date=2026-02-30', 'date'],
    ['/v1/reports/executions', 'date'],
    [`/v1/reports/executions?date=${today}&format=xml`, 'format'],
    ['/v1/reports/best-execution?from=2026-01-01&to=2026-06-01', 'to'],
    ['/v1/reports/best-execution?from=2026-03-01&to=2026-01-01', 'to'],
  ]) {
    const res = await http.request<{ code: number; message: string }>('GET', path as string);
    expect({ path, status: res.status, code: res.body?.code }).toEqual({ path, status: 400, code: 40010001 });
    expect(res.body?.message.startsWith(`${field}:`)).toBe(true);
  }
  // A calendar quarter is one request (FINRA Rule 5310 .09: reviews at least quarterly).
  expect((await http.request('GET', '/v1/reports/best-execution?from=2026-01-01&to=2026-03-31')).status).toBe(
    200,
  );
});

it('a client decision price (the OMS extension decision_price) is the TCA paper portfolio; a bad one is 422 naming it', async () => {
  await http.pinQuote('E2EDEC', { bid: '50.00', ask: '50.02', ask_size: '500', bid_size: '500' });
  const placed = await http.submit({
    symbol: 'E2EDEC',
    qty: '10',
    side: 'buy',
    type: 'market',
    time_in_force: 'day',
    decision_price: '49.90',
  });
  await http.untilStatus(placed.id, 'filled', 30_000);
  const tca = await tcaOf(placed.id);
  expect(tca).toMatchObject({ decisionPrice: '49.9', decisionPriceSource: 'client' });
  // Delay: 10 x (50.01 - 49.90) = 1.10; trading: 10 x (50.02 - 50.01) = 0.10.
  expect(tca.implementationShortfall).toMatchObject({ delay: { usd: '1.1' }, trading: { usd: '0.1' } });

  for (const bad of ['abc', '-1', '1.0000000001']) {
    const res = await http.request<{ code: number; message: string }>('POST', '/v2/orders', {
      symbol: 'E2EDEC',
      qty: '1',
      side: 'buy',
      type: 'market',
      time_in_force: 'day',
      decision_price: bad,
    });
    expect(res.status).toBe(422);
    expect(res.body?.message).toMatch(/^decision_price: /);
  }
});

it('slippage over a rolling window: the account average over its last 3 orders breaches, the single orders do not', async () => {
  const tag = randomUUID().slice(0, 8).toUpperCase();
  const account = {
    keyId: `WIN${tag}`,
    secret: `win-secret-${tag}`,
    accountId: `win-${tag}`,
    // Each order alone may cost 50 bps; the average of the last three, 4.
    settings: { slippageThresholds: { arrivalBps: 50, window: { orders: 3, arrivalBps: 4 } } },
  };
  await seedAccount(oms, account);
  const bot = http.withKey(account.keyId, account.secret);
  await http.pinQuote('E2EWIN', { bid: '20.00', ask: '20.02', ask_size: '500', bid_size: '500' });
  const ids: string[] = [];
  // Market buys at the ask: 0.01 over the mid 20.01 each, 5 bps (4.998 to the cent of a bp: 5).
  for (const qty of ['5', '6', '7']) {
    const o = await bot.submit({ symbol: 'E2EWIN', qty, side: 'buy', type: 'market', time_in_force: 'day' });
    await bot.untilStatus(o.id, 'filled', 30_000);
    ids.push(o.id);
    // One at a time: each joins the window in order.
    await eventually(async () => {
      expect((await http.derivedEvents(o.id)).map((e) => e['detail-type'])).toContain('OrderTcaRecorded');
    }, 30_000);
  }
  const third = await eventually(async () => {
    const b = (await http.derivedEvents(ids[2] as string)).find(
      (e) => e['detail-type'] === 'SlippageThresholdBreached',
    );
    expect(b).toBeDefined();
    return b;
  }, 30_000);
  expect(third?.detail.data).toMatchObject({
    measure: 'arrival_slippage',
    scope: 'account:window',
    windowOrders: 3,
    thresholdBps: 4,
    valueBps: 5,
  });
  for (const id of ids.slice(0, 2))
    expect((await http.derivedEvents(id)).map((e) => e['detail-type'])).not.toContain(
      'SlippageThresholdBreached',
    );
});

it("an algorithmic order's TWAP is the tape's over its whole life, exact however the market moved in between", async () => {
  // A new symbol's pin starts the tape's mid x ms integral; a later pin carries it to that moment.
  const first = await http.expect<{ midMs: string }>(200, 'PUT', '/local/market/E2ETAPE', {
    bid: '20.00',
    ask: '20.02',
    last: '20.02',
  });
  expect(first.midMs).toBe('0');
  const parent = await http.submit({
    symbol: 'E2ETAPE',
    qty: '10',
    side: 'buy',
    type: 'limit',
    limit_price: '19.90',
    time_in_force: 'day',
    advanced_instructions: { algorithm: 'DMA', display_qty: '5' },
  });
  // Its child rests below the market; the market then drops through its limit and it fills.
  await eventually(async () => {
    const trail = await http.auditTrail(parent.id);
    if (!trail.some((e) => e.type === 'OrderSliceDecided')) throw new Error('no slice yet');
  }, 30_000);
  const moved = await http.expect<{ updatedAt: string }>(200, 'PUT', '/local/market/E2ETAPE', {
    bid: '19.80',
    ask: '19.82',
    last: '19.81',
  });
  await http.untilStatus(parent.id, 'filled', 30_000);
  const tca = await tcaOf(parent.id);
  // Mid 20.01 from acceptance to the second pin, 19.81 from it to the close: the exact TWAP.
  const [ta, t1, tc] = [tca.acceptedAt, moved.updatedAt, tca.closedAt].map((t) =>
    BigInt(Date.parse(t as string)),
  );
  const [held1, held2] = [(t1 as bigint) - (ta as bigint), (tc as bigint) - (t1 as bigint)];
  expect(held1 > 0n && held2 >= 0n).toBe(true);
  const numerator = 20_010_000_000n * (held1 as bigint) + 19_810_000_000n * (held2 as bigint);
  const span = (held1 as bigint) + (held2 as bigint);
  const q = numerator / span;
  const r = numerator - q * span;
  const expected = 2n * r > span || (2n * r === span && q % 2n === 1n) ? q + 1n : q;
  const text = (n: bigint) => {
    const s = n.toString().padStart(10, '0');
    return `${s.slice(0, -9)}.${s.slice(-9)}`.replace(/\.?0+$/, '');
  };
  expect(tca.benchmarks).toMatchObject({ twap: { price: text(expected), basis: 'tape' } });
  // (The two end mids alone say 19.91 whenever the market moved: right only if it moved half-way.)
});
