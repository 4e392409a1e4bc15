/**
 * The panic button end to end (issue 11, 1.1): resting limit orders, then `DELETE /v2/orders`.
 * It answers 207 with one `{id, status: 200, body}` per open order at once (the cancels are
 * queued, not done in the request), and every order then ends `canceled`. The answer time is
 * printed; the assertion on it is loose (< 5 s) so a loaded machine does not flake it, the number
 * itself is `npm run bench:cancel-all`'s to report.
 */
import {
  eventually,
  type OmsHttp,
  type Order,
  type SharedOms,
  seedAccount,
  sharedTradingDayOms,
} from './harness.js';

jest.setTimeout(240_000);

let oms: SharedOms;
let http: OmsHttp;

// The shared local mode, on an account of its own: the panic button cancels every open order of
// the account, so other files' resting orders are not its business (nor its count's).
const ACCOUNT = {
  keyId: 'E2ECANCELALLKEY00001',
  secret: 'e2e-cancel-all-secret-000000000000000',
  accountId: 'e2e-cancel-all',
};

beforeAll(async () => {
  let demo: OmsHttp;
  ({ oms, http: demo } = await sharedTradingDayOms());
  await seedAccount(oms, ACCOUNT);
  http = demo.withKey(ACCOUNT.keyId, ACCOUNT.secret);
});

afterAll(async () => {
  await oms?.stop();
});

const ORDERS = 60;
const SYMBOL = 'E2ECXL';

/** `n` orders placed `lanes` at a time; distinct quantities (the duplicate-order rule). */
async function placeResting(n: number, lanes = 6): Promise<string[]> {
  const ids: string[] = [];
  let next = 0;
  const lane = async () => {
    while (next < n) {
      const i = next++;
      const o = await http.submit({
        symbol: SYMBOL,
        qty: String(i + 1),
        side: 'buy',
        type: 'limit',
        limit_price: '48.00',
        time_in_force: 'day',
      });
      ids.push(o.id);
    }
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  return ids;
}

const listed = async (status: 'open' | 'closed') =>
  http.expect<Order[]>(200, 'GET', `/v2/orders?status=${status}&limit=500&symbols=${SYMBOL}`);

it(`DELETE /v2/orders with ${ORDERS} resting orders: 207 at once, then every order canceled`, async () => {
  await http.pinQuote(SYMBOL, { bid: '50.00', ask: '50.02' });
  // Nothing open yet: 207 []. (It also starts the route's function, so the time below is not a cold start.)
  expect(await http.expect(207, 'DELETE', '/v2/orders')).toEqual([]);
  const ids = await placeResting(ORDERS);
  // Resting at the venue (acknowledged), so each cancel goes all the way there.
  await eventually(async () => {
    const open = await listed('open');
    const resting = open.filter((o) => o.status === 'new').length;
    if (resting !== ORDERS) throw new Error(`${resting}/${ORDERS} resting`);
  }, 120_000);

  const started = performance.now();
  const res = await http.request<{ id: string; status: number; body: Order }[]>('DELETE', '/v2/orders');
  const answerMs = performance.now() - started;
  console.log(`cancel-all e2e orders=${ORDERS} answer_ms=${answerMs.toFixed(0)}`);
  expect(res.status).toBe(207);
  expect(answerMs).toBeLessThan(5_000);
  expect(res.body.map((r) => r.id).sort()).toEqual([...ids].sort());
  for (const r of res.body) {
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ id: r.id, status: 'pending_cancel', symbol: SYMBOL });
  }

  const canceled = await eventually(
    async () => {
      const closed = await listed('closed');
      const done = closed.filter((o) => ids.includes(o.id) && o.status === 'canceled');
      if (done.length !== ORDERS) throw new Error(`${done.length}/${ORDERS} canceled`);
      return done;
    },
    180_000,
    async () => `still open: ${JSON.stringify((await listed('open')).map((o) => [o.id, o.status]))}`,
  );
  const allMs = performance.now() - started;
  console.log(`cancel-all e2e orders=${ORDERS} all_canceled_ms=${allMs.toFixed(0)}`);
  for (const o of canceled) expect(o).toMatchObject({ filled_qty: '0', canceled_qty: o.qty });
  expect(await listed('open')).toEqual([]);
  // A second press finds nothing open: 207 [].
  expect(await http.expect(207, 'DELETE', '/v2/orders')).toEqual([]);
});

// The open listing is the read model's, a stream hop behind the placing transaction: the panic
// button pressed the moment orders were placed did not list them, and they stayed live. The
// placing transaction now names each order in the account's rate window of that second, and
// cancel-all adds the last minute's (orders/recent-placements.ts).
it('DELETE /v2/orders the moment orders are placed (before the open listing shows them): every one is in the 207 and ends canceled', async () => {
  const symbol = 'E2ECXLNOW';
  await http.pinQuote(symbol, { bid: '50.00', ask: '50.02' });
  // Each round: one order, and the panic button pressed as soon as it is answered.
  for (let round = 1; round <= 5; round++) {
    const placed = await http.submit({
      symbol,
      qty: String(round),
      side: 'buy',
      type: 'limit',
      limit_price: '48.00',
      time_in_force: 'day',
    });
    const res = await http.expect<{ id: string; status: number; body: Order }[]>(207, 'DELETE', '/v2/orders');
    const entry = res.find((r) => r.id === placed.id);
    expect(entry).toMatchObject({ status: 200, body: { id: placed.id, status: 'pending_cancel', symbol } });
    await http.untilStatus(placed.id, 'canceled', 60_000);
  }
});

// A probe's find: the panic button pressed right after a PATCH listed the original (the read model
// still showed it), the worker took its "request outstanding" as nothing to do, and the replacement
// the venue confirmed a moment later stayed live. The worker now waits for the venue's answer to
// the replace and cancels the replacement.
it('DELETE /v2/orders right after a PATCH, the venue slow to confirm it: the replacement ends canceled, nothing stays open', async () => {
  const symbol = 'E2ECXLR';
  await http.pinQuote(symbol, { bid: '50.00', ask: '50.02' });
  const placed = await http.submit({
    symbol,
    qty: '7',
    side: 'buy',
    type: 'limit',
    limit_price: '48.00',
    time_in_force: 'day',
  });
  await eventually(async () => {
    const o = await http.expect<Order>(200, 'GET', `/v2/orders/${placed.id}`);
    if (o.status !== 'new') throw new Error(`placed is ${o.status}`);
  }, 60_000);
  await http.venue({ latency_ms: 1500 });
  let replacement: Order;
  try {
    replacement = await http.replace(placed.id, { limit_price: '48.10' });
    const res = await http.request<{ id: string; status: number }[]>('DELETE', '/v2/orders');
    expect(res.status).toBe(207);
    expect(res.body.map((r) => r.id)).toContain(placed.id);
  } finally {
    await http.venue({});
  }
  const symbolOrders = async (status: 'open' | 'closed') =>
    http.expect<Order[]>(200, 'GET', `/v2/orders?status=${status}&limit=500&symbols=${symbol}`);
  await eventually(async () => {
    const o = await http.expect<Order>(200, 'GET', `/v2/orders/${replacement.id}`);
    if (o.status !== 'canceled') throw new Error(`replacement is ${o.status}`);
    const open = await symbolOrders('open');
    if (open.length > 0) throw new Error(`still open: ${open.map((x) => `${x.id} ${x.status}`).join(', ')}`);
  }, 60_000);
  expect(await http.expect<Order>(200, 'GET', `/v2/orders/${placed.id}`)).toMatchObject({
    status: 'replaced',
    replaced_by: replacement.id,
  });
});

/** Buys `qty` of `symbol` at market (quoted at 20) and waits until the position shows it. */
async function holdPosition(symbol: string, qty: string): Promise<void> {
  await http.pinQuote(symbol, { bid: '20.00', ask: '20.01', last: '20.00', prev_close: '20.00' });
  const buy = await http.submit({ symbol, qty, side: 'buy', type: 'market', time_in_force: 'day' });
  await http.untilStatus(buy.id, 'filled', 60_000);
  await eventually(async () => {
    const p = await http.expect<Record<string, unknown>>(200, 'GET', `/v2/positions/${symbol}`);
    if (p.qty !== qty) throw new Error(`position ${String(p.qty)}`);
  }, 60_000);
}

// The same for a close of every position with cancel_orders=true: the order it asked to cancel had
// been replaced a moment before, and the replacement stayed live beside the close.
it('DELETE /v2/positions?cancel_orders=true right after a PATCH of a resting sell: the replacement ends canceled, the close sells the whole position', async () => {
  const symbol = 'E2ECXLP';
  await holdPosition(symbol, '5');
  const resting = await http.submit({
    symbol,
    qty: '2',
    side: 'sell',
    type: 'limit',
    limit_price: '30.00',
    time_in_force: 'day',
  });
  await http.untilStatus(resting.id, 'new', 60_000);
  await http.venue({ latency_ms: 300 });
  let replacement: Order;
  let closed: { status: number; body: { symbol: string; status: number; body: Record<string, unknown> }[] };
  try {
    replacement = await http.replace(resting.id, { limit_price: '31.00' });
    closed = await http.request('DELETE', '/v2/positions?cancel_orders=true');
  } finally {
    await http.venue({});
  }
  expect(closed.status).toBe(207);
  expect(closed.body).toMatchObject([{ symbol, status: 200, body: { side: 'sell', qty: '5' } }]);
  await http.untilStatus(replacement.id, 'canceled', 60_000);
  await http.untilStatus(String(closed.body[0]?.body.id), 'filled', 60_000);
  await eventually(async () => {
    const open = await http.expect<Order[]>(200, 'GET', `/v2/orders?status=open&symbols=${symbol}`);
    if (open.length > 0) throw new Error(`still open: ${open.map((o) => `${o.id} ${o.status}`).join(', ')}`);
  }, 60_000);
});

// A probe's find: with the venue answering the replace only after 5 s (longer than close-all waited
// for it, 3.1 s), the order was left to its replace and the replacement, confirmed later, stayed
// live. Close-all now waits up to 9.5 s for such answers (all of them together), then cancels.
it('DELETE /v2/positions?cancel_orders=true while the venue takes 5 s to answer a PATCH: the replacement ends canceled, the whole position is closed', async () => {
  const symbol = 'E2ECXLS';
  await holdPosition(symbol, '5');
  const resting = await http.submit({
    symbol,
    qty: '2',
    side: 'sell',
    type: 'limit',
    limit_price: '30.00',
    time_in_force: 'day',
  });
  await http.untilStatus(resting.id, 'new', 60_000);
  await http.venue({ latency_ms: 5000 });
  let replacement: Order;
  let closed: { status: number; body: { symbol: string; status: number; body: Record<string, unknown> }[] };
  try {
    replacement = await http.replace(resting.id, { qty: '3' });
    closed = await http.request('DELETE', '/v2/positions?cancel_orders=true');
  } finally {
    await http.venue({});
  }
  expect(closed.status).toBe(207);
  expect(closed.body).toMatchObject([{ symbol, status: 200, body: { side: 'sell', qty: '5' } }]);
  await http.untilStatus(replacement.id, 'canceled', 60_000);
  await http.untilStatus(String(closed.body[0]?.body.id), 'filled', 60_000);
  await eventually(async () => {
    const open = await http.expect<Order[]>(200, 'GET', `/v2/orders?status=open&symbols=${symbol}`);
    if (open.length > 0) throw new Error(`still open: ${open.map((o) => `${o.id} ${o.status}`).join(', ')}`);
    const gone = await http.request('GET', `/v2/positions/${symbol}`);
    if (gone.status !== 404) throw new Error(`position still ${JSON.stringify(gone.body)}`);
  }, 60_000);
});

// A probe's find: a close of half a position, then at once a close of everything with
// cancel_orders=true. The half close was not in the read model's open orders yet, so it was not
// canceled, its claim held its qty, and the close of the rest was refused 403: half stayed open.
// (Canceling it and not counting it, the first fix, sold it twice when it filled before its cancel:
// the account ended short.) Close-all now cancels what the closing claims name too, waits for those
// orders to close, and sizes each close on what is left.
it('DELETE /v2/positions?cancel_orders=true right after a close of half: the account ends flat, not short', async () => {
  const symbol = 'E2ECXLH';
  await holdPosition(symbol, '4');
  await http.venue({ latency_ms: 2000 });
  let all: { status: number; body: { symbol: string; status: number; body: Record<string, unknown> }[] };
  try {
    const half = await http.request('DELETE', `/v2/positions/${symbol}?percentage=50`);
    expect(half.status).toBe(200);
    all = await http.request('DELETE', '/v2/positions?cancel_orders=true');
  } finally {
    await http.venue({});
  }
  expect(all.status).toBe(207);
  expect(all.body.find((r) => r.symbol === symbol)).toMatchObject({ status: 200, body: { side: 'sell' } });
  await eventually(async () => {
    const r = await http.request('GET', `/v2/positions/${symbol}`);
    if (r.status !== 404) throw new Error(`position still ${JSON.stringify(r.body)}`);
    const open = await http.expect<Order[]>(200, 'GET', `/v2/orders?status=open&symbols=${symbol}`);
    if (open.length > 0) throw new Error(`still open: ${open.map((o) => `${o.id} ${o.status}`).join(', ')}`);
  }, 60_000);
  // Flat for good: no sale beyond the position is still to come (a short would show a position).
  const sells = await http.expect<Order[]>(200, 'GET', `/v2/orders?status=all&symbols=${symbol}&side=sell`);
  const sold = sells.reduce((s, o) => s + Number(o.filled_qty), 0);
  expect(sold).toBe(4);
});
