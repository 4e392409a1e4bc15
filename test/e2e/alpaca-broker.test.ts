/**
 * An Alpaca broker venue end to end (issue 17). "The broker" is the SHARED local mode (this OMS
 * serves Alpaca's Trading API and trade_updates stream), on an account of its own seeded for this
 * file; "the front" is a local mode of this file's own, configured with an Alpaca venue ALPX
 * pointing at the broker's URL with that account's key (OMS_ALPACA_VENUES), cheapest on fees, so
 * its router sends there. Orders placed at the front are placed at the broker with
 * client_order_id = the front's order id; the broker's reports come back over its trade_updates
 * stream (the front's venue session host runs the listener), or by REST polling while the stream
 * is down. Both sides must agree order by order: status, filled quantity, average price, and the
 * fills themselves (the front's fill events are the broker's FILL activities, each once).
 *
 * It holds the shared local mode's lock from its start (it changes the broker's venue controls and
 * drops its stream connections), the front's start included, and gives it back before its last
 * scenario, which touches nothing the other files share. (It took the lock once the front was up,
 * beside the files with a local mode of their own; on 4 workers under load the front's start ran
 * past its plan, and the file then held their slot while it waited 58 s for the lock: the run's
 * two chains both stood.)
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { IN_FLIGHT_THRESHOLD_MS } from '../../lambdas/core/index.js';
import { envValue, type LocalOms } from '../../local/oms-local.js';
import { LOCAL_REGION } from '../../local/types.js';
import {
  type AuditEvent,
  eventually,
  num,
  type OmsHttp,
  type Order,
  OWN_OMS_START_BOUND_MS,
  type SharedOms,
  seedAccount,
  sharedTradingDayOms,
  startTradingDayOms,
  unlockSharedOms,
} from './harness.js';

jest.setTimeout(120_000);

const VENUE = 'ALPX';
/** How far before its last event the listener's REST catch-up looks (stream-listener.ts `skewMs`). */
const CATCH_UP_SKEW_MS = 5_000;
const SIMULATED = ['SIMX', 'SIMY', 'SIMZ'] as const;
const QUOTE = { bid: '49.99', ask: '50.01', bid_size: '1000', ask_size: '1000' };
/** Each scenario's symbol (files share the broker's market). */
const SYMBOL = { basic: 'E2EALP', partial: 'E2EALPP', gap: 'E2EALPD', recon: 'E2EALPR' } as const;

/** The broker: the shared local mode; `http` trades on this file's account there, `control` its /local routes. */
let broker: { oms: SharedOms; http: OmsHttp; control: OmsHttp };
let front: { oms: LocalOms; http: OmsHttp };
/** An operator key at the front: its exceptions view. */
let operator: OmsHttp;
const accountId = `alpaca-front-${randomUUID().slice(0, 8)}`;
/**
 * The reconciliation scenario's orders, placed in beforeAll so that its waits (the threshold, a
 * pass, the ghost's reports dead-lettered) run while the other scenarios do: an order both sides
 * agree on, and one placed at the broker directly (the front never sent it).
 */
let agreeing: Order;
/** The stream-disconnect scenario's resting order, placed well before its gap; when it was placed. */
let resting: Order;
let restingPlacedAt: number;
const ghostId = `ghost-${randomUUID().slice(0, 8)}`;
let ghost: Order;

beforeAll(async () => {
  const shared = await sharedTradingDayOms();
  const keyId = `ALPF${randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase()}`;
  const secret = randomUUID();
  await seedAccount(shared.oms, { keyId, secret, accountId });
  broker = { oms: shared.oms, http: shared.http.withKey(keyId, secret), control: shared.http };
  const alpacaVenues = JSON.stringify([
    {
      name: VENUE,
      baseUrl: shared.oms.apiUrl,
      streamUrl: `${shared.oms.apiUrl.replace(/^http/, 'ws')}/stream`,
      keyId,
      secret,
      takerFeePerShare: '-0.0100',
      makerFeePerShare: '-0.0100',
    },
  ]);
  front = await startTradingDayOms({ alpacaVenues });
  const opKey = `OP${randomUUID().replace(/-/g, '').slice(0, 16).toUpperCase()}`;
  const opSecret = randomUUID();
  await front.http.expect(200, 'PUT', `/local/keys/${opKey}`, {
    secret: opSecret,
    account_id: front.oms.accountId,
    scope: 'operator',
  });
  operator = front.http.withKey(opKey, opSecret);
  for (const symbol of Object.values(SYMBOL)) await front.http.pinQuote(symbol, QUOTE);
  for (const symbol of Object.values(SYMBOL)) await broker.control.pinQuote(symbol, QUOTE);
  await untilListening();
  restingPlacedAt = Date.now();
  resting = await front.http.submit(limitBuy(SYMBOL.gap, '10', '45'));
  agreeing = await front.http.submit(limitBuy(SYMBOL.recon, '5', '44'));
  // Another client of the same broker account places an order there: the front never sent it.
  ghost = await broker.http.submit({ ...limitBuy(SYMBOL.recon, '5', '40'), client_order_id: ghostId });
}, 2 * OWN_OMS_START_BOUND_MS);

afterAll(async () => {
  unlockSharedOms();
  await front?.oms.stop();
});

/** The broker's order for a front order (its client_order_id is the front's order id). */
const atBroker = (frontId: string) =>
  broker.http.expect<Order>(
    200,
    'GET',
    `/v2/orders:by_client_order_id?client_order_id=${encodeURIComponent(frontId)}`,
  );

interface FillActivity {
  readonly id: string;
  readonly order_id: string;
  readonly qty: string;
  readonly price: string;
  readonly cum_qty: string;
}

/** The broker's FILL activities of one of its orders, oldest first (every page of this file's account). */
async function brokerFills(brokerOrderId: string): Promise<FillActivity[]> {
  const all: FillActivity[] = [];
  for (let token = ''; ; ) {
    const page = await broker.http.expect<FillActivity[]>(
      200,
      'GET',
      `/v2/account/activities/FILL?direction=asc&page_size=100${token === '' ? '' : `&page_token=${token}`}`,
    );
    all.push(...page);
    if (page.length < 100) break;
    token = encodeURIComponent((page.at(-1) as FillActivity).id);
  }
  return all.filter((a) => a.order_id === brokerOrderId);
}

const isFill = (e: AuditEvent) => e.type === 'OrderFilled' || e.type === 'OrderPartiallyFilled';

/**
 * Both sides show `status`, the same filled quantity and average price, and the front's fills are
 * the broker's, each once, under the execId the adapter derives (`ALPX:<broker id>:fill:<cum>`).
 */
async function agree(frontId: string, status: string, timeoutMs = 60_000): Promise<{ f: Order; b: Order }> {
  return eventually(
    async () => {
      const f = await front.http.order(frontId);
      const b = await atBroker(frontId);
      if (f.status !== status || b.status !== status)
        throw new Error(`front ${f.status}, broker ${b.status}`);
      expect(f.filled_qty).toBe(b.filled_qty);
      expect(f.filled_avg_price ?? null).toBe(b.filled_avg_price ?? null);
      const fills = (await front.http.auditTrail(frontId)).filter(isFill);
      const activities = await brokerFills(b.id);
      expect(
        fills.map((e) => [e.data.execId, num(e.data.lastQty as string), num(e.data.lastPx as string)]),
      ).toEqual(activities.map((a) => [`${VENUE}:${b.id}:fill:${num(a.cum_qty)}`, num(a.qty), num(a.price)]));
      return { f, b };
    },
    timeoutMs,
    () => front.http.explain([frontId]),
  );
}

/** Every execId appears once in the order's trail (nothing applied twice). */
async function expectEachReportOnce(frontId: string): Promise<AuditEvent[]> {
  const trail = await front.http.auditTrail(frontId);
  const execIds = trail.flatMap((e) => (typeof e.data.execId === 'string' ? [e.data.execId] : []));
  expect(new Set(execIds).size).toBe(execIds.length);
  const types = trail.map((e) => e.type);
  for (const once of ['OrderAccepted', 'OrderFilled', 'OrderCanceled'])
    expect(types.filter((t) => t === once).length).toBeLessThanOrEqual(1);
  return trail;
}

interface StreamState {
  readonly holding: boolean;
  readonly connections: number;
  readonly listening: string[];
}
const streamState = () =>
  broker.control.expect<StreamState>(200, 'GET', `/local/stream?account_id=${encodeURIComponent(accountId)}`);

/** The front's listener is listening on the broker's stream for this file's account. */
async function untilListening(timeoutMs = 90_000): Promise<void> {
  await eventually(async () => {
    const s = await streamState();
    if (s.listening.length === 0) throw new Error(`no listener for ${accountId}: ${JSON.stringify(s)}`);
  }, timeoutMs);
}

const limitBuy = (symbol: string, qty: string, limitPrice: string) => ({
  symbol,
  qty,
  side: 'buy',
  type: 'limit',
  limit_price: limitPrice,
  time_in_force: 'day',
});

test('a market order is routed to ALPX, filled at the broker, and both sides agree', async () => {
  const o = await front.http.submit({
    symbol: SYMBOL.basic,
    qty: '10',
    side: 'buy',
    type: 'market',
    time_in_force: 'day',
  });
  await agree(o.id, 'filled');
  const trail = await expectEachReportOnce(o.id);
  const routed = trail.find((e) => e.type === 'OrderRouted')?.data as { allocations: { venue: string }[] };
  expect(routed.allocations.map((a) => a.venue)).toEqual([VENUE]);
});

test('a resting limit order is canceled through the broker', async () => {
  const o = await front.http.submit(limitBuy(SYMBOL.basic, '5', '45'));
  await agree(o.id, 'new');
  await front.http.cancel(o.id);
  await agree(o.id, 'canceled');
  await expectEachReportOnce(o.id);
});

test('a resting limit order is replaced (PATCH) at the broker; both the old and the new order agree', async () => {
  const o = await front.http.submit(limitBuy(SYMBOL.basic, '5', '44'));
  await agree(o.id, 'new');
  const r = await front.http.replace(o.id, { qty: '7', limit_price: '44.5' });
  await agree(o.id, 'replaced');
  await eventually(async () => {
    const b = await atBroker(r.id);
    expect(b).toMatchObject({ qty: '7', limit_price: '44.5', status: 'new' });
    expect((await front.http.order(r.id)).status).toBe('new');
  }, 30_000);
  // The PATCH made a new broker order: the replacement works under its id, so the broker's reports
  // of it are applied (the cancel below is the broker's `canceled`, not the in-flight check's).
  const brokerReplacement = await atBroker(r.id);
  expect(brokerReplacement.id).not.toBe((await atBroker(o.id)).id);
  const accepted = (await front.http.auditTrail(r.id)).find((e) => e.type === 'OrderAccepted');
  expect(accepted?.data.venueOrderId).toBe(brokerReplacement.id);
  await front.http.cancel(r.id);
  await agree(r.id, 'canceled');
  const canceledBy = (await front.http.auditTrail(r.id)).find((e) => e.type === 'OrderCanceled');
  expect(canceledBy?.causation_id).toBe(`${VENUE}:${brokerReplacement.id}:canceled`);
  await expectEachReportOnce(r.id);
});

test('a partial fill at the broker: the front shows partially_filled with the same fills; the cancel keeps them', async () => {
  const symbol = SYMBOL.partial;
  // The broker's simulated venues fill at most 40 shares at a time: 1000 shares take many ticks.
  for (const v of SIMULATED) await broker.control.venue({ max_fill_qty: '40' }, v);
  let o: Order;
  try {
    o = await front.http.submit(limitBuy(symbol, '1000', '50.05'));
    await front.http.until(o.id, (f) => expect(f.status).toBe('partially_filled'), 60_000);
    // The ask leaves the limit at the broker: what is left rests there.
    await broker.control.pinQuote(symbol, { ...QUOTE, bid: '50.10', ask: '50.20' });
  } finally {
    for (const v of SIMULATED) await broker.control.venue({}, v);
  }
  const { f: partial } = await agree(o.id, 'partially_filled');
  expect(num(partial.filled_qty)).toBeGreaterThan(0);
  expect(num(partial.filled_qty)).toBeLessThan(1000);
  expect((await front.http.auditTrail(o.id)).filter(isFill).length).toBeGreaterThan(0);
  await front.http.cancel(o.id);
  const { f: canceled } = await agree(o.id, 'canceled');
  expect(canceled.filled_qty).toBe(partial.filled_qty);
  expect(num(canceled.canceled_qty)).toBe(1000 - num(partial.filled_qty));
  await expectEachReportOnce(o.id);
  await broker.control.pinQuote(symbol, QUOTE);
});

test('the broker drops the stream: a fill and a cancel during the gap reach the front by REST polling; nothing lost or doubled', async () => {
  const symbol = SYMBOL.gap;
  await agree(resting.id, 'new');
  // The listener's catch-up reads the orders submitted since its last event less 5 s of skew: an
  // order placed longer ago than that and closed during the gap must be found another way (it
  // was seen working). The order is that old before the gap opens.
  await eventually(
    async () => expect(Date.now() - restingPlacedAt).toBeGreaterThan(CATCH_UP_SKEW_MS + 1_000),
    30_000,
  );
  await untilListening();
  const drop = await broker.control.expect<{ dropped: number; holding: boolean }>(
    200,
    'POST',
    '/local/stream/disconnect',
    { account_id: accountId, hold: true },
  );
  let during: Order;
  try {
    expect(drop).toEqual({ dropped: expect.any(Number), holding: true });
    expect(drop.dropped).toBeGreaterThanOrEqual(1);
    await eventually(async () => expect((await streamState()).listening).toEqual([]), 30_000);
    // Placed and filled while the stream is down: the front learns the fill from the FILL activities.
    during = await front.http.submit({
      symbol,
      qty: '10',
      side: 'buy',
      type: 'market',
      time_in_force: 'day',
    });
    await agree(during.id, 'filled');
    // An order placed BEFORE the gap, canceled during it: the front learns it from the order's status.
    await front.http.cancel(resting.id);
    await agree(resting.id, 'canceled');
    expect(await streamState()).toMatchObject({ holding: true, listening: [] });
  } finally {
    await broker.control.expect(200, 'POST', '/local/stream/resume');
  }
  // The broker's own report (`ALPX:<broker id>:canceled`, from the poll), not the in-flight
  // check's stand-in (`<order id>:in-flight:canceled`), closed the order.
  const brokerResting = await atBroker(resting.id);
  const canceledBy = (await front.http.auditTrail(resting.id)).find((e) => e.type === 'OrderCanceled');
  expect(canceledBy?.causation_id).toBe(`${VENUE}:${brokerResting.id}:canceled`);

  // The listener reconnects (its catch-up sends the gap's reports again: same execIds) and an order
  // placed now comes back over the stream.
  await untilListening();
  const after = await front.http.submit({
    symbol,
    qty: '12',
    side: 'buy',
    type: 'market',
    time_in_force: 'day',
  });
  await agree(after.id, 'filled');
  for (const id of [resting.id, during.id, after.id]) await expectEachReportOnce(id);
  await agree(during.id, 'filled');
});

test('reconciliation through the Alpaca status queries: an order the broker works that the front never sent is UNKNOWN_AT_OMS; the orders both agree on have no break', async () => {
  // The last scenario touches nothing the other files share (its orders are at the front and on
  // this file's own account at the broker; no venue control, no stream drop): the shared local
  // mode's lock goes to the next file while it waits out the threshold and the passes (25-40 s).
  unlockSharedOms();
  await agree(agreeing.id, 'new');
  try {
    const entry = await eventually(async () => {
      const listed = await exceptions();
      const found = listed.find((e) => e.id.includes(ghostId));
      if (found === undefined) throw new Error(`not listed yet: ${JSON.stringify(listed.map((e) => e.id))}`);
      return found;
    }, 90_000);
    expect(entry).toMatchObject({ kind: 'reconciliation_break', order_id: null, resolvable: true });
    expect(entry.detail).toMatch(
      new RegExp(`^UNKNOWN_AT_OMS at ${VENUE}: the venue works order ${ghostId} `),
    );

    // A pass that started once every order of this file had been quiet for the threshold compared
    // each (the broker's open orders and FILL activities against the front's): none has a break.
    const quietSince = await lastChange([...front.http.orders]);
    await eventually(async () => {
      const through = await reconciledThrough();
      if (through < quietSince + IN_FLIGHT_THRESHOLD_MS)
        throw new Error(`the last pass started at ${new Date(through).toISOString()}`);
    }, 90_000);
    for (const id of front.http.orders) {
      const breaks = (await front.http.auditTrail(id)).filter((e) => e.type === 'OrderBreakFound');
      expect([id, breaks.map((e) => e.data)]).toEqual([id, []]);
    }
    const ours = new Set(front.http.orders);
    expect((await exceptions()).filter((e) => e.order_id !== null && ours.has(e.order_id))).toEqual([]);

    await operator.expect(200, 'POST', `/v1/exceptions/${encodeURIComponent(entry.id)}/resolve`, {
      reason: 'placed at the broker by hand',
    });
    // The ghost's own trade updates reached the front too: no order to apply them to, they are
    // retried, then dead-lettered, and listed for an operator beside the break.
    const deadLetters = await eventually(async () => {
      const listed = (await exceptions()).filter(
        (e) => e.kind === 'dead_lettered_message' && e.order_id === ghostId,
      );
      if (listed.length === 0) throw new Error('not dead-lettered yet');
      return listed;
    }, 120_000);
    for (const d of deadLetters)
      await operator.expect(200, 'POST', `/v1/exceptions/${encodeURIComponent(d.id)}/resolve`, {
        reason: 'a report of an order placed at the broker by hand',
      });
  } finally {
    await broker.http.cancel(ghost.id);
  }
  await front.http.cancel(agreeing.id);
  await agree(agreeing.id, 'canceled');
}, 300_000);

interface ExceptionEntry {
  id: string;
  kind: string;
  order_id: string | null;
  detail: string;
  resolvable: boolean;
}
const exceptions = async () =>
  (await operator.expect<{ exceptions: ExceptionEntry[] }>(200, 'GET', '/v1/exceptions')).exceptions;

/** When the orders last changed at the front (their newest event). */
async function lastChange(ids: readonly string[]): Promise<number> {
  let last = 0;
  for (const id of ids)
    for (const e of await front.http.auditTrail(id)) last = Math.max(last, Date.parse(e.occurred_at));
  return last;
}

/** Where the front's next reconciliation pass starts (`reconciliation#cursor`): at most when the last one started. */
async function reconciledThrough(): Promise<number> {
  const doc = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: front.oms.dynamoDbEndpoint,
      region: LOCAL_REGION,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
  try {
    const got = await doc.send(
      new GetCommand({
        TableName: envValue(front.oms.topology, 'ORDERS_TABLE'),
        Key: { orderId: 'reconciliation#cursor' },
        ConsistentRead: true,
      }),
    );
    return typeof got.Item?.through === 'string' ? Date.parse(got.Item.through) : 0;
  } finally {
    doc.destroy();
  }
}
