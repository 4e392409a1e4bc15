/**
 * Sells of accounts that may not sell short, at once, end to end (lambdas/orders/position-availability.ts):
 * every sell of such an account (POST, a PATCH raising one, a close) is placed under its position's
 * closing claims, so concurrent sells cannot all pass a read of the same position. A hostile probe
 * (raw HTTP against local mode) left such accounts short:
 * - D4: a PATCH raising a resting sell and a close, at once: both 200, both filled, -50 (3 of 3);
 * - D5: a close right after a sell was answered was placed for the whole position (the sell not in
 *   the open listing yet), -60 (1 of 8);
 * - D1: notional sells at once ($6,000 and $6,001 on 100 shares): -20 (4 of 4); 40, 41 and $4,000:
 *   -21 (2 of 5).
 * A fresh account and symbol per round (same-day round trips on one account are day trades: PDT).
 */
import { randomUUID } from 'node:crypto';
import {
  CASH_10K,
  eventually,
  freshSymbol,
  newAccountClient,
  type OmsHttp,
  type SharedOms,
  sharedTradingDayOms,
} from './harness.js';

jest.setTimeout(240_000);

let oms: SharedOms;
let http: OmsHttp;
const run = randomUUID().slice(0, 6);
const symbol = (tag: string) => freshSymbol('E2ENS', tag);

beforeAll(async () => {
  ({ oms, http } = await sharedTradingDayOms());
}, 90_000);

afterAll(async () => {
  await oms?.stop();
});

type Json = Record<string, unknown>;

/** A fresh no-short account long 100 shares of a fresh symbol quoted 99.99 / 100. */
async function long100(tag: string, round: number) {
  const bot = await newAccountClient(oms, `e2e-ns-${run}-${tag}${round}`, CASH_10K);
  const S = symbol(tag);
  await http.pinQuote(S, { bid: '99.99', ask: '100.00', last: '100.00' });
  const position = async () => {
    const p = await bot.request<Json>('GET', `/v2/positions/${S}`);
    return p.status === 404 ? 0 : Number(p.body.qty);
  };
  await bot.holdLong(S, '100');
  return { bot, S, position };
}

/** Until none of the account's orders in the symbol is working toward a fill (resting limits aside). */
async function untilSettled(bot: OmsHttp, S: string) {
  await eventually(async () => {
    const all = await bot.expect<Json[]>(200, 'GET', `/v2/orders?status=all&symbols=${S}&limit=500`);
    const working = all.filter(
      (o) =>
        !['filled', 'canceled', 'expired', 'rejected', 'replaced'].includes(String(o.status)) &&
        !(o.type === 'limit' && o.limit_price === '110' && o.status === 'new'),
    );
    if (working.length > 0)
      throw new Error(`working: ${working.map((o) => `${o.id} ${o.status}`).join(', ')}`);
  }, 30_000);
}

it('D4: a PATCH raising a resting sell and a close of the rest, at once: at most one passes, never short (three rounds)', async () => {
  for (let round = 0; round < 3; round++) {
    const { bot, S, position } = await long100('P', round);
    const resting = await bot.submit({
      symbol: S,
      qty: '50',
      side: 'sell',
      type: 'limit',
      limit_price: '110',
      time_in_force: 'day',
    });
    await bot.untilStatus(resting.id, 'new', 30_000);
    // 100 raised and priced to fill at once, and 50 closed: 150 on 100.
    const [patched, closed] = await Promise.all([
      bot.request<Json>('PATCH', `/v2/orders/${resting.id}`, { qty: '100', limit_price: '99.00' }),
      bot.request<Json>('DELETE', `/v2/positions/${S}?qty=50`),
    ]);
    const passed = [patched, closed].filter((r) => r.status === 200);
    expect(passed.length).toBeLessThanOrEqual(1);
    // The PATCH passed and its replacement sold the whole position before the close read it again
    // (a close retries its read when a claim raced it): flat, so the close is Alpaca's 404.
    const closedFlat = patched.status === 200 && closed.status === 404;
    if (closedFlat) expect(String(closed.body.message)).toMatch(/position not found/);
    for (const r of [patched, closed].filter((x) => x.status !== 200 && !(closedFlat && x === closed))) {
      expect([r.status, r.body]).toEqual([403, expect.anything()]);
      expect(String(r.body.message)).toMatch(/^(short_sale: |insufficient qty available)/);
    }
    if (closed.status === 200) await bot.untilStatus(String(closed.body.id), 'filled', 30_000);
    if (patched.status === 200) await bot.untilStatus(String(patched.body.id), 'filled', 30_000);
    await untilSettled(bot, S);
    // The position once the position keeper applied the fills (it follows them a moment later).
    const expected = patched.status === 200 ? 0 : closed.status === 200 ? 50 : 100;
    await eventually(async () => expect(await position()).toBe(expected), 30_000);
  }
});

it('D5: a close sent the moment a sell is answered counts that sell: refused for the whole position, never short (three rounds)', async () => {
  for (let round = 0; round < 3; round++) {
    const { bot, S, position } = await long100('C', round);
    const sold = await bot.submit({
      symbol: S,
      qty: '60',
      side: 'sell',
      type: 'market',
      time_in_force: 'day',
    });
    const closed = await bot.request<Json>('DELETE', `/v2/positions/${S}`);
    // Refused while the sell holds 60 of the 100; or, when the sell's fill was recorded while the
    // close read (a close short of its position waits for the symbol's recorded fills and reads
    // again: README "A position right after its fill"), the 40 left. Never the 100.
    if (closed.status === 200) {
      expect(closed.body.qty).toBe('40');
      await bot.untilStatus(String(closed.body.id), 'filled', 30_000);
    } else {
      expect(closed.status).toBe(403);
      expect(String(closed.body.message)).toMatch(/^insufficient qty available for order \(requested: 100, /);
    }
    await bot.untilStatus(sold.id, 'filled', 30_000);
    await untilSettled(bot, S);
    await eventually(async () => expect(await position()).toBe(closed.status === 200 ? 0 : 40), 30_000);
  }
});

it('D1: notional sells at once place exactly what fits: $6,000 and $6,001 on 100 shares, one; 40, 41 and $4,000, two; never short', async () => {
  const rounds: { sells: Json[]; fit: number }[] = [
    { sells: [{ notional: '6000' }, { notional: '6001' }], fit: 1 },
    { sells: [{ qty: '40' }, { qty: '41' }, { notional: '4000' }], fit: 2 },
  ];
  for (const [round, { sells, fit }] of rounds.entries()) {
    const { bot, S, position } = await long100('N', round);
    // The venue answers a second late: no sell fills while the others read the position (a fill
    // between a read of the views and of the ledger counts twice, on the safe side, and would refuse
    // a sell that fits).
    const venues = ['SIMX', 'SIMY', 'SIMZ'];
    for (const v of venues) await http.venue({ latency_ms: 1000 }, v);
    const answers = await Promise.all(
      sells.map((s) =>
        bot.request<Json>('POST', '/v2/orders', {
          symbol: S,
          side: 'sell',
          type: 'market',
          time_in_force: 'day',
          ...s,
        }),
      ),
    ).finally(async () => {
      for (const v of venues) await http.venue({ latency_ms: 0 }, v);
    });
    const placed = answers.filter((a) => a.status === 200);
    expect(placed).toHaveLength(fit);
    for (const a of answers.filter((x) => x.status !== 200)) {
      expect(a.status).toBe(403);
      // Alpaca's words at the top (bots match on them), the rule's own in refusals.
      expect(String(a.body.message)).toMatch(/^insufficient qty available for order \(requested: /);
      expect(String((a.body.refusals as Json[])[0]?.message)).toMatch(/^short_sale: /);
    }
    for (const p of placed) await bot.untilStatus(String(p.body.id), 'filled', 30_000);
    await untilSettled(bot, S);
    expect(await position()).toBeGreaterThanOrEqual(0);
  }
});

it('D6: a PATCH of a partly filled sell (its price only) is accepted: its fills are out of the position already, so it sells only what is left; raised beyond the rest it is refused', async () => {
  const { bot, S, position } = await long100('F', 0);
  const resting = await bot.submit({
    symbol: S,
    qty: '100',
    side: 'sell',
    type: 'limit',
    limit_price: '105',
    time_in_force: 'day',
  });
  await bot.untilStatus(resting.id, 'new', 30_000);
  // The bid crosses the limit showing 4 shares a step: it fills partly, then rests again.
  await http.pinQuote(S, { bid: '105.50', ask: '105.60', last: '105.55', bid_size: '4' });
  try {
    await bot.until(resting.id, (o) => expect(o.status).toBe('partially_filled'), 30_000);
  } finally {
    await http.pinQuote(S, { bid: '99.99', ask: '100.00', last: '100.00' });
  }
  // Until issue 12 this was 403 short_sale: the whole 100 checked against the shares left.
  const repriced = await bot.request<Json>('PATCH', `/v2/orders/${resting.id}`, { limit_price: '106' });
  expect({ status: repriced.status, message: repriced.body.message }).toEqual({
    status: 200,
    message: undefined,
  });
  const replacement = String(repriced.body.id);
  const carried = await bot.until(
    replacement,
    (o) => expect(['new', 'partially_filled']).toContain(o.status),
    30_000,
  );
  const left = 100 - Number(carried.filled_qty);
  await eventually(async () => expect(await position()).toBe(left), 30_000);
  // Raised by one more share than the position holds: refused on what would be left to sell.
  const raised = await bot.request<Json>('PATCH', `/v2/orders/${replacement}`, { qty: '101' });
  expect(raised.status).toBe(403);
  expect(raised.body).toMatchObject({
    code: 40310000,
    message: `insufficient qty available for order (requested: ${left + 1}, available: ${left})`,
    symbol: S,
    requested: String(left + 1),
    available: String(left),
    existing_qty: String(left),
    held_for_orders: '0',
  });
  expect(String((raised.body.refusals as Json[])[0]?.message)).toBe(
    `short_sale: sell of ${left + 1} ${S} exceeds the ${left} available to sell (position ${left}, 0 held by open sell orders); this account may not sell short`,
  );
  await bot.expect(204, 'DELETE', `/v2/orders/${replacement}`);
  await bot.untilStatus(replacement, 'canceled', 30_000);
  expect(await position()).toBe(left);
});

it('D7: an OCO holds its shares once: long 200 with an OCO of 100, qty_available is 100 and a sell of the other 100 is placed', async () => {
  const bot = await newAccountClient(oms, `e2e-ns-${run}-O`, CASH_10K);
  const S = symbol('O');
  await http.pinQuote(S, { bid: '39.99', ask: '40.00', last: '40.00' });
  await bot.holdLong(S, '200');
  const oco = (await bot.submit({
    symbol: S,
    qty: '100',
    side: 'sell',
    type: 'limit',
    time_in_force: 'gtc',
    order_class: 'oco',
    take_profit: { limit_price: '48.00' },
    stop_loss: { stop_price: '32.00' },
  })) as { id: string; legs?: { id: string }[] };
  const sl = String(oco.legs?.[0]?.id);
  await bot.untilStatus(oco.id, 'new', 30_000);
  await bot.until(sl, (o) => expect(['new', 'held']).toContain(o.status), 30_000);
  // Until issue 12 both exits counted: qty_available 0, and this sell 403 short_sale.
  await eventually(async () => {
    const p = await bot.expect<Json>(200, 'GET', `/v2/positions/${S}`);
    expect([p.qty, p.qty_available]).toEqual(['200', '100']);
  }, 30_000);
  const sell = await bot.request<Json>('POST', '/v2/orders', {
    symbol: S,
    qty: '100',
    side: 'sell',
    type: 'limit',
    limit_price: '45.00',
    time_in_force: 'day',
  });
  expect({ status: sell.status, message: sell.body.message }).toEqual({ status: 200, message: undefined });
  // The OCO's shares are still held: one more is a short sale.
  const more = await bot.request<Json>('POST', '/v2/orders', {
    symbol: S,
    qty: '1',
    side: 'sell',
    type: 'limit',
    limit_price: '45.00',
    time_in_force: 'day',
  });
  expect(more.status).toBe(403);
  expect(String(more.body.message)).toBe('insufficient qty available for order (requested: 1, available: 0)');
  expect(String((more.body.refusals as Json[])[0]?.message)).toMatch(/^short_sale: sell of 1 /);
  await bot.expect(204, 'DELETE', `/v2/orders/${String(sell.body.id)}`);
  await bot.expect(204, 'DELETE', `/v2/orders/${oco.id}`);
  await bot.untilStatus(oco.id, 'canceled', 30_000);
  await bot.untilStatus(sl, 'canceled', 30_000);
});
