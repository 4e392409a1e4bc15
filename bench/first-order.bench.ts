/**
 * `npm run bench:first-order`: how soon after `npm start` prints its banner does the first order
 * get accepted and filled? Starts local mode fresh (`tsx bin/local.ts` on a free port, in-memory
 * DynamoDB Local), and the moment the banner appears POSTs a market order with the demo keys, then
 * polls the order until it is filled. Prints banner->accepted (the POST's answer) and
 * banner->filled, and the start-up time. Exits non-zero if the order is not filled in 120 s.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { freePort } from '../local/dynamodb-local.js';
import { DEFAULT_API_KEY_ID, DEFAULT_API_SECRET_KEY } from '../local/oms-local.js';

const BANNER = 'stock-bot OMS running locally';
const repoRoot = join(__dirname, '..');

async function main(): Promise<void> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(repoRoot, 'bin', 'local.ts'), '--port', String(port)],
    {
      cwd: repoRoot,
      env: {
        ...process.env,
        OMS_LOG_FILE: process.env.OMS_LOG_FILE ?? join(repoRoot, 'oms-local.bench.log'),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const stopChild = () =>
    new Promise<void>((done) => {
      if (child.exitCode !== null) return done();
      child.once('exit', () => done());
      child.kill('SIGTERM');
    });
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString('utf8');
        if (out.includes(BANNER)) resolve();
      });
      child.once('exit', (code) =>
        reject(new Error(`local mode exited (${code}) before its banner:\n${out}`)),
      );
    });
    const banner = performance.now();
    const headers = {
      'content-type': 'application/json',
      'APCA-API-KEY-ID': process.env.OMS_API_KEY_ID ?? DEFAULT_API_KEY_ID,
      'APCA-API-SECRET-KEY': process.env.OMS_API_SECRET_KEY ?? DEFAULT_API_SECRET_KEY,
    };
    const posted = await fetch(`${base}/v2/orders`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ symbol: 'AAPL', qty: '1', side: 'buy', type: 'market', time_in_force: 'day' }),
    });
    const accepted = performance.now();
    const order = (await posted.json()) as { id?: string; status?: string };
    if (posted.status !== 200 || order.id === undefined)
      throw new Error(`POST answered ${posted.status}: ${JSON.stringify(order)}`);
    let status = order.status;
    while (status !== 'filled') {
      if (performance.now() - banner > 120_000)
        throw new Error(`order ${order.id} not filled 120 s after the banner (${status})`);
      if (status === 'rejected' || status === 'canceled')
        throw new Error(`order ${order.id} ended ${status}`);
      await new Promise((r) => setTimeout(r, 20));
      const got = await fetch(`${base}/v2/orders/${order.id}`, { headers });
      status = ((await got.json()) as { status?: string }).status;
    }
    const filled = performance.now();
    const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
    console.log(`first-order: start->banner ${s(banner - t0)}`);
    console.log(`first-order: banner->accepted ${s(accepted - banner)}`);
    console.log(`first-order: banner->filled ${s(filled - banner)}`);
  } finally {
    await stopChild();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
