/**
 * The e2e harness's warm-up order (test/e2e/harness.ts warmOrder): the first request of a local mode
 * started without its warm-up. A 5xx (its function timed out on a loaded machine, CI of stop 40) is
 * retried with the same client_order_id, so the retry gets the same order back and never places a
 * second; other answers are not retried.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { OmsHttp, WARM_ORDER_ATTEMPTS, warmOrder } from '../e2e/harness.js';

interface FakeOms {
  readonly server: Server;
  readonly url: string;
  readonly posts: Array<Record<string, unknown>>;
}

/** Answers each POST /v2/orders with the next status of `postStatuses`; the order reads filled. */
async function fakeOms(postStatuses: readonly number[]): Promise<FakeOms> {
  const posts: Array<Record<string, unknown>> = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk) => {
      text += chunk;
    });
    req.on('end', () => {
      res.setHeader('content-type', 'application/json');
      if (req.method === 'POST' && req.url === '/v2/orders') {
        posts.push(JSON.parse(text));
        const status = postStatuses[Math.min(posts.length, postStatuses.length) - 1] ?? 500;
        res.statusCode = status;
        res.end(
          JSON.stringify(
            status === 200 ? { id: 'warm-1', status: 'new' } : { message: 'Internal Server Error' },
          ),
        );
        return;
      }
      if (req.method === 'GET' && req.url === '/v2/orders/warm-1') {
        res.end(JSON.stringify({ id: 'warm-1', status: 'filled' }));
        return;
      }
      res.end('{}'); // PUT /local/market/E2EWARM
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, posts, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const cases: ReadonlyArray<{ name: string; statuses: number[]; posts: number; placed: boolean }> = [
  { name: 'placed at once', statuses: [200], posts: 1, placed: true },
  { name: 'a 500 then placed', statuses: [500, 200], posts: 2, placed: true },
  { name: 'a 503 twice then placed', statuses: [503, 503, 200], posts: 3, placed: true },
  {
    name: 'a 500 every time: fails after its attempts',
    statuses: [500],
    posts: WARM_ORDER_ATTEMPTS,
    placed: false,
  },
  { name: 'a 4xx is not retried', statuses: [422, 200], posts: 1, placed: false },
];

describe('warmOrder', () => {
  it.each(cases)('$name', async ({ statuses, posts, placed }) => {
    const oms = await fakeOms(statuses);
    try {
      const http = new OmsHttp(oms.url, 'KEY', 'SECRET');
      const run = warmOrder(http);
      if (placed) {
        await run;
        expect(http.orders).toEqual(new Set(['warm-1']));
      } else await expect(run).rejects.toThrow(/warm order/);
      expect(oms.posts).toHaveLength(posts);
      // Every attempt names the same order: a retry gets it back instead of placing a second.
      const ids = new Set(oms.posts.map((p) => p.client_order_id));
      expect(ids.size).toBe(1);
      expect([...ids][0]).toEqual(expect.stringMatching(/^e2e-warm-/));
    } finally {
      await new Promise((resolve) => oms.server.close(resolve));
    }
  });
});
