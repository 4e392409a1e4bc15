/**
 * The panic button under load (issue 11, 1.1): local mode started in this process, BENCH_ORDERS
 * (default 400) resting limit orders placed over HTTP, then one `DELETE /v2/orders`. Prints the
 * answer time (the 207 must not wait for the cancels: it lists the open orders and queues one cancel
 * request each) and the time until every order is `canceled` (the cancel-all worker, the venue and
 * the execution reports, as fast as this machine runs them).
 *
 * A warm-up `DELETE /v2/orders` (no open order) and a warm-up order run first, so the answer time is
 * not a cold start of the functions' workers. Environment: BENCH_ORDERS (400), BENCH_LANES (8
 * concurrent placing clients), BENCH_LOG_FILE (handler logs; default /dev/null).
 * Last line: `cancel-all orders=<n> answer_ms=<n> all_canceled_ms=<n>`.
 */
import { performance } from 'node:perf_hooks';
import { eventually, type Order, startTradingDayOms } from '../test/e2e/harness.js';

const ORDERS = Number(process.env.BENCH_ORDERS ?? 400);
const LANES = Number(process.env.BENCH_LANES ?? 8);
const SYMBOL = 'BENCHCXL';

async function main(): Promise<void> {
  const { oms, http } = await startTradingDayOms({ logFile: process.env.BENCH_LOG_FILE ?? '/dev/null' });
  try {
    await http.pinQuote(SYMBOL, { bid: '50.00', ask: '50.02' });
    const open = () => http.expect<Order[]>(200, 'GET', `/v2/orders?status=open&limit=500&symbols=${SYMBOL}`);
    // Warm-up: both routes' functions and the worker once.
    await http.expect(207, 'DELETE', '/v2/orders');
    const warm = await http.submit({
      symbol: SYMBOL,
      qty: '1000',
      side: 'buy',
      type: 'limit',
      limit_price: '47',
      time_in_force: 'day',
    });
    await http.until(
      warm.id,
      (o) => {
        if (o.status !== 'new') throw new Error(o.status);
      },
      120_000, // cold starts of every function on the way
    );
    await http.expect(207, 'DELETE', '/v2/orders');
    await eventually(async () => {
      if ((await open()).length > 0) throw new Error('warm-up order still open');
    }, 60_000);

    const placeStart = performance.now();
    let next = 0;
    const lane = async () => {
      while (next < ORDERS) {
        const i = next++;
        await http.submit({
          symbol: SYMBOL,
          qty: String(i + 1),
          side: 'buy',
          type: 'limit',
          limit_price: '48.00',
          time_in_force: 'day',
        });
      }
    };
    await Promise.all(Array.from({ length: LANES }, lane));
    await eventually(async () => {
      const resting = (await open()).filter((o) => o.status === 'new').length;
      if (resting !== ORDERS) throw new Error(`${resting}/${ORDERS} resting`);
    }, 600_000);
    console.log(
      `placed and resting: ${ORDERS} orders in ${((performance.now() - placeStart) / 1000).toFixed(1)} s`,
    );

    const started = performance.now();
    const res = await http.request<{ id: string; status: number }[]>('DELETE', '/v2/orders');
    const answerMs = performance.now() - started;
    const ok = Array.isArray(res.body) ? res.body.filter((r) => r.status === 200).length : 0;
    console.log(
      `DELETE /v2/orders: ${res.status}, ${ok}/${ORDERS} entries 200, in ${answerMs.toFixed(0)} ms`,
    );
    if (res.status !== 207 || ok !== ORDERS)
      throw new Error(`unexpected answer ${JSON.stringify(res.body).slice(0, 500)}`);
    await eventually(async () => {
      const left = (await open()).length;
      if (left > 0) throw new Error(`${left} still open`);
    }, 600_000);
    const allMs = performance.now() - started;
    console.log(
      `cancel-all orders=${ORDERS} answer_ms=${answerMs.toFixed(0)} all_canceled_ms=${allMs.toFixed(0)}`,
    );
  } finally {
    await oms.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
