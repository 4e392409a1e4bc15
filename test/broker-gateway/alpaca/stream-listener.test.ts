/**
 * The trade_updates listener against a local websocket server speaking the stream protocol
 * (docs/stream.md) and the in-memory REST fake: stream reports, a forced disconnect, the REST
 * polling catch-up on reconnect, and the repeat of an already streamed fill with the same execId.
 */
import type { AddressInfo } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { containerSecretCredentials } from '../../../lambdas/broker-gateway/alpaca/alpaca-hosted-session.js';
import { AlpacaBrokerVenue } from '../../../lambdas/broker-gateway/alpaca/alpaca-venue.js';
import type { AlpacaOrderJson } from '../../../lambdas/broker-gateway/alpaca/mapping.js';
import { AlpacaTradeUpdatesListener } from '../../../lambdas/broker-gateway/alpaca/stream-listener.js';
import type { ExecutionReport } from '../../../lambdas/broker-gateway/execution-report.js';
import {
  type AlpacaVenueConfig,
  alpacaVenuesFromEnv,
  parseAlpacaVenues,
} from '../../../lambdas/platform/alpaca-venues.js';
import { venueOrder } from '../venue-order.js';
import { FakeBroker } from './fake-broker.js';

const SECRET = 'stream-secret-xyz';

async function until(cond: () => boolean, what: string, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

let server: WebSocketServer;
const clients: WebSocket[] = [];
const frames: unknown[] = [];
let listener: AlpacaTradeUpdatesListener | undefined;

beforeEach(async () => {
  server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((r) => server.once('listening', () => r()));
  server.on('connection', (ws) => {
    clients.push(ws);
    ws.on('message', (raw) => {
      const m = JSON.parse(raw.toString());
      frames.push(m);
      if (m.action === 'authenticate') {
        const ok = m.data.key_id === 'KEY1' && m.data.secret_key === SECRET;
        ws.send(
          JSON.stringify({
            stream: 'authorization',
            data: { action: 'authenticate', status: ok ? 'authorized' : 'unauthorized' },
          }),
        );
      }
      if (m.action === 'listen')
        ws.send(JSON.stringify({ stream: 'listening', data: { streams: ['trade_updates'] } }));
    });
  });
});

afterEach(async () => {
  await listener?.stop();
  for (const c of clients.splice(0)) c.terminate();
  frames.length = 0;
  await new Promise((r) => server.close(r));
});

const streamUrl = () => `ws://127.0.0.1:${(server.address() as AddressInfo).port}`;

function start(broker: FakeBroker, logs: string[], configured?: AlpacaVenueConfig) {
  const [config] = configured
    ? [configured]
    : parseAlpacaVenues(
        JSON.stringify([
          {
            name: 'ALPX',
            baseUrl: 'http://broker.test',
            streamUrl: streamUrl(),
            keyId: 'KEY1',
            secret: SECRET,
          },
        ]),
      );
  const reports: ExecutionReport[] = [];
  const publish = async (rs: readonly ExecutionReport[]) => {
    reports.push(...rs);
  };
  const venue = new AlpacaBrokerVenue({ config: config as never, publish, fetch: broker.fetch });
  listener = new AlpacaTradeUpdatesListener({
    venue,
    config: config as never,
    publish,
    now: () => Date.parse('2026-12-04T15:00:00Z'),
    log: (l) => logs.push(l),
    reconnectDelayMs: 20,
    pollIntervalMs: 50,
  });
  listener.start();
  return { reports, venue };
}

const send = (event: string, order: AlpacaOrderJson, extra: Record<string, unknown> = {}) => {
  const frame = JSON.stringify({
    stream: 'trade_updates',
    data: { event, order, timestamp: order.updated_at, ...extra },
  });
  for (const c of clients) if (c.readyState === c.OPEN) c.send(frame);
};

test('streams reports; after a forced disconnect the REST poll fills the gap; nothing doubled', async () => {
  const broker = new FakeBroker();
  const logs: string[] = [];
  const { reports, venue } = start(broker, logs);
  await until(() => listener?.listening === true && (listener?.catchUps ?? 0) >= 1, 'listening');
  await venue.submit(venueOrder({ orderId: 'oms-1', accountId: 'a', type: 'limit', limitPrice: '10' }));
  const o = broker.orders[0] as AlpacaOrderJson;
  send('new', o);
  broker.fill(o.id, '4', '10', '2026-12-04T15:00:01Z');
  send('partial_fill', broker.orders[0] as AlpacaOrderJson, { price: '10', qty: '4', execution_id: 'e-1' });
  await until(() => reports.length === 2, 'two streamed reports');

  // The stream drops; meanwhile the order fills and is... filled (no stream to say so).
  listener?.dropConnection();
  await until(() => listener?.listening === false, 'disconnected');
  broker.fill(o.id, '6', '10.5', '2026-12-04T15:00:02Z');
  await until(
    () => reports.some((r) => r.execId === `ALPX:${o.id}:fill:10`),
    'the missed fill from REST polling',
  );
  await until(() => listener?.listening === true, 'reconnected');

  const fills = reports.filter((r) => r.execType === 'fill');
  const distinct = new Map(fills.map((r) => [r.execId, r]));
  // The poll may repeat the streamed fill: same execId, same terms (the OMS applies it once).
  expect([...distinct.keys()].sort()).toEqual([`ALPX:${o.id}:fill:10`, `ALPX:${o.id}:fill:4`]);
  for (const r of fills) expect(r).toEqual(distinct.get(r.execId));
  expect([...distinct.values()].reduce((s, r) => s + Number(r.lastQty), 0)).toBe(10);
  // Authenticated twice (start, reconnect); the secret crossed the wire but never the log.
  expect(frames.filter((f) => (f as { action: string }).action === 'authenticate')).toHaveLength(2);
  expect(logs.join('\n')).toMatch(/reconnecting/);
  expect(logs.join('\n')).not.toContain(SECRET);
});

test('a canceled order seen only by the poll is reported canceled once its fills are', async () => {
  const broker = new FakeBroker();
  const { reports } = start(broker, []);
  await until(() => listener?.listening === true, 'listening');
  listener?.dropConnection();
  await until(() => listener?.listening === false, 'disconnected');
  const o = broker.add('oms-9', 'ACME', 'sell', '5');
  broker.fill(o.id, '2', '9', '2026-12-04T15:00:03Z');
  broker.orders[0] = {
    ...(broker.orders[0] as AlpacaOrderJson),
    status: 'canceled',
    updated_at: '2026-12-04T15:00:04Z',
  };
  await until(() => reports.some((r) => r.execType === 'canceled'), 'the canceled report');
  const kinds = reports.filter((r) => r.orderId === 'oms-9').map((r) => r.execType);
  expect(kinds.indexOf('fill')).toBeLessThan(kinds.indexOf('canceled'));
});

test('an order placed long before a gap and canceled during it is reported canceled by the poll', async () => {
  // Alpaca's `GET /v2/orders?after=` filters on the submission time: an order submitted an hour
  // before the gap is not among the orders "after" the watermark, though it changed in the gap.
  const broker = new FakeBroker();
  const { reports } = start(broker, []);
  await until(() => listener?.listening === true && (listener?.catchUps ?? 0) >= 1, 'listening');
  const o = broker.add('oms-old', 'ACME', 'buy', '10', null, '2026-12-04T14:00:00Z');
  send('new', o);
  await until(() => reports.some((r) => r.orderId === 'oms-old' && r.execType === 'new'), 'the streamed new');
  listener?.dropConnection();
  await until(() => listener?.listening === false, 'disconnected');
  broker.orders[0] = { ...o, status: 'canceled', updated_at: '2026-12-04T15:00:05Z' };
  await until(
    () => reports.some((r) => r.orderId === 'oms-old' && r.execType === 'canceled'),
    'the canceled report from the poll',
  );
  const canceled = reports.filter((r) => r.execType === 'canceled');
  expect(new Set(canceled.map((r) => r.execId))).toEqual(new Set([`ALPX:${o.id}:canceled`]));
  // Asked for by id once it left the open list; not asked again once known closed.
  await until(() => listener?.listening === true, 'reconnected');
  const asked = () =>
    broker.calls.filter((c) => c.method === 'GET' && c.path === `/v2/orders/${o.id}`).length;
  const before = asked();
  await listener?.catchUp();
  expect(asked()).toBe(before);
});

describe('on AWS (the host reads the key pair from its container secrets)', () => {
  const awsEnv = (secrets: Record<string, string>) => ({
    OMS_ALPACA_VENUES: JSON.stringify([
      {
        name: 'ALPX',
        baseUrl: 'http://broker.test',
        streamUrl: streamUrl(),
        secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:alpaca-AbCdEf',
      },
    ]),
    ...secrets,
  });

  test('the stream authenticates with them', async () => {
    const env = awsEnv({ OMS_ALPACA_KEY_ID_ALPX: 'KEY1', OMS_ALPACA_SECRET_ALPX: SECRET });
    const [config] = alpacaVenuesFromEnv(env, containerSecretCredentials(env));
    const logs: string[] = [];
    start(new FakeBroker(), logs, config);
    await until(() => listener?.listening === true, 'listening');
    expect(frames[0]).toEqual({ action: 'authenticate', data: { key_id: 'KEY1', secret_key: SECRET } });
    expect(logs.join('\n')).not.toContain(SECRET);
  });

  test('without them: nothing is sent, the missing names are logged (never a value), and it retries', async () => {
    const env = awsEnv({ OMS_ALPACA_KEY_ID_ALPX: 'KEY1' });
    const [config] = alpacaVenuesFromEnv(env, containerSecretCredentials(env));
    const logs: string[] = [];
    start(new FakeBroker(), logs, config);
    await until(
      () => logs.filter((l) => /no credentials for the stream/.test(l)).length >= 2,
      'two attempts',
    );
    expect(frames).toEqual([]);
    expect(logs.join('\n')).toMatch(/OMS_ALPACA_SECRET_ALPX not set/);
    expect(listener?.listening).toBe(false);
  });
});
