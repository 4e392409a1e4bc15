import { AlpacaBrokerVenue } from '../../../lambdas/broker-gateway/alpaca/alpaca-venue.js';
import type { ExecutionReport } from '../../../lambdas/broker-gateway/execution-report.js';
import { parseAlpacaVenues } from '../../../lambdas/platform/alpaca-venues.js';
import { TransientError } from '../../../lambdas/platform/transient-errors.js';
import { venueOrder } from '../venue-order.js';
import { FakeBroker } from './fake-broker.js';

const SECRET = 'sEcReT-do-not-log-123';
const CONFIG_TEXT = JSON.stringify([
  {
    name: 'ALPX',
    baseUrl: 'http://broker.test/',
    streamUrl: 'ws://broker.test/stream',
    keyId: 'KEY1',
    secret: SECRET,
  },
]);

function setup() {
  const broker = new FakeBroker();
  const reports: ExecutionReport[] = [];
  const [config] = parseAlpacaVenues(CONFIG_TEXT);
  const venue = new AlpacaBrokerVenue({
    config: config as never,
    publish: async (rs) => {
      reports.push(...rs);
    },
    fetch: broker.fetch,
    now: () => Date.parse('2026-12-04T15:00:00Z'),
  });
  return { broker, reports, venue };
}

const ORDER = venueOrder({ orderId: 'oms-1', accountId: 'acct', type: 'limit', limitPrice: '10.5' });

describe('AlpacaBrokerVenue against an Alpaca-compatible REST API', () => {
  test('submit: client_order_id is the OMS order id, the key pair in the APCA headers', async () => {
    const { broker, venue, reports } = setup();
    await venue.submit(ORDER);
    expect(broker.orders).toHaveLength(1);
    expect(broker.calls[0]).toMatchObject({
      method: 'POST',
      path: '/v2/orders',
      headers: { 'APCA-API-KEY-ID': 'KEY1', 'APCA-API-SECRET-KEY': SECRET },
      body: { client_order_id: 'oms-1', symbol: 'ACME', qty: '10', limit_price: '10.5', type: 'limit' },
    });
    expect(reports).toEqual([]); // answers come from the stream
  });

  test('a retried submit (422 client_order_id must be unique) looks the order up: booked once, no rejection', async () => {
    const { broker, venue, reports } = setup();
    await venue.submit(ORDER);
    await venue.submit(ORDER);
    expect(broker.orders).toHaveLength(1);
    expect(broker.calls.map((c) => `${c.method} ${c.path.split('?')[0]}`)).toEqual([
      'POST /v2/orders',
      'POST /v2/orders',
      'GET /v2/orders:by_client_order_id',
    ]);
    expect(reports).toEqual([]);
  });

  test('a refused submit (403 buying power) is reported rejected with the reason, once per order id', async () => {
    const { broker, venue, reports } = setup();
    broker.forced.push({
      match: 'POST /v2/orders',
      status: 403,
      body: { code: 40310000, message: 'insufficient buying power' },
    });
    await venue.submit(ORDER);
    expect(reports).toEqual([
      expect.objectContaining({
        execType: 'rejected',
        orderId: 'oms-1',
        reason: 'insufficient buying power',
        execId: 'ALPX:oms-1:rejected',
      }),
    ]);
  });

  test.each([
    [500, 'BrokerUnavailable'],
    [429, 'BrokerUnavailable'],
    [0, 'BrokerUnreachable'],
  ])(
    'HTTP %s on submit is transient (%s): retried by the caller, nothing reported',
    async (status, original) => {
      const { broker, venue, reports } = setup();
      broker.forced.push({ match: 'POST /v2/orders', status, body: { message: 'boom' } });
      const err = await venue.submit(ORDER).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TransientError);
      expect((err as TransientError).original).toBe(original);
      expect(reports).toEqual([]);
    },
  );

  test('cancel: DELETE by the broker id; a retry after it is canceled does nothing', async () => {
    const { broker, venue, reports } = setup();
    await venue.submit(ORDER);
    await venue.cancel('oms-1', 'client');
    await venue.cancel('oms-1', 'client');
    expect(broker.calls.filter((c) => c.method === 'DELETE').map((c) => c.path)).toEqual([
      '/v2/orders/alp-1',
    ]);
    expect(broker.orders[0]?.status).toBe('canceled');
    expect(reports).toEqual([]);
  });

  test('cancel of an unknown order: cancel_rejected unknown_order; of a filled one (422): too_late_to_cancel', async () => {
    const { broker, venue, reports } = setup();
    await venue.cancel('nope', 'client');
    await venue.submit(ORDER);
    broker.fill('alp-1', '10', '10.5', '2026-12-04T15:00:01Z');
    await venue.cancel('oms-1', 'client');
    expect(reports.map((r) => [r.orderId, r.execType, r.reason])).toEqual([
      ['nope', 'cancel_rejected', 'unknown_order'],
      ['oms-1', 'cancel_rejected', 'too_late_to_cancel'],
    ]);
  });

  test('replace: PATCH with the new client_order_id; a retried replace is a no-op', async () => {
    const { broker, venue, reports } = setup();
    await venue.submit(ORDER);
    await venue.replace('oms-1', 'oms-1-r1', { qty: '20', limitPrice: '11' });
    await venue.replace('oms-1', 'oms-1-r1', { qty: '20', limitPrice: '11' });
    const patches = broker.calls.filter((c) => c.method === 'PATCH');
    expect(patches).toEqual([
      expect.objectContaining({
        path: '/v2/orders/alp-1',
        body: { qty: '20', limit_price: '11', client_order_id: 'oms-1-r1' },
      }),
    ]);
    expect(broker.orders.map((o) => [o.client_order_id, o.status])).toEqual([
      ['oms-1', 'replaced'],
      ['oms-1-r1', 'new'],
    ]);
    expect(reports).toEqual([]);
  });

  test('replace refused (422): replace_rejected with the broker reason', async () => {
    const { broker, venue, reports } = setup();
    await venue.submit(ORDER);
    broker.forced.push({
      match: 'PATCH /v2/orders',
      status: 422,
      body: { message: 'order is not replaceable' },
    });
    await venue.replace('oms-1', 'oms-1-r1', { qty: '20' });
    expect(reports).toEqual([
      expect.objectContaining({
        execType: 'replace_rejected',
        reason: 'order is not replaceable',
        orderId: 'oms-1',
      }),
    ]);
  });

  test('status queries: orderStatus (null when unknown), openOrders, executionsSince', async () => {
    const { broker, venue } = setup();
    await venue.submit(ORDER);
    await venue.submit({ ...ORDER, orderId: 'oms-2' });
    broker.fill('alp-1', '4', '10.5', '2026-12-04T15:00:01Z');
    broker.fill('alp-2', '10', '10.25', '2026-12-04T15:00:02Z');
    expect(await venue.orderStatus('missing')).toBeNull();
    expect(await venue.orderStatus('oms-1')).toMatchObject({
      status: 'open',
      filledQty: '4',
      avgPrice: '10.5',
    });
    expect(await venue.orderStatus('oms-2')).toMatchObject({ status: 'filled', filledQty: '10' });
    expect((await venue.openOrders()).map((o) => o.orderId)).toEqual(['oms-1']);
    expect(await venue.executionsSince('2026-12-04T15:00:02Z')).toEqual([
      expect.objectContaining({
        orderId: 'oms-2',
        execId: 'ALPX:alp-2:fill:10',
        lastQty: '10',
        lastPx: '10.25',
      }),
    ]);
  });
});

describe('credentials are never logged or serialised', () => {
  test('the parsed config shows no secret (JSON, inspect, String)', async () => {
    const [config] = parseAlpacaVenues(CONFIG_TEXT);
    const { inspect } = require('node:util') as typeof import('node:util');
    for (const text of [
      JSON.stringify(config),
      inspect(config, { depth: 5 }),
      String(Object.values(config ?? {})),
    ])
      expect(text).not.toContain(SECRET);
    const credentials = await config?.credentials();
    for (const text of [JSON.stringify(credentials), inspect(credentials, { depth: 5 })])
      expect(text).not.toContain(SECRET);
    expect(credentials?.secret()).toBe(SECRET);
  });

  test('a malformed OMS_ALPACA_VENUES names the field and does not echo the secret', () => {
    const bad = JSON.stringify([{ name: 'alpx', baseUrl: 'nope', keyId: 'K', secret: SECRET }]);
    const err = (() => {
      try {
        parseAlpacaVenues(bad);
      } catch (e) {
        return e as Error;
      }
    })();
    expect(err?.message).toMatch(/OMS_ALPACA_VENUES is invalid.*name.*baseUrl/);
    expect(err?.message).not.toContain(SECRET);
  });

  test('errors from a failing broker do not carry the secret', async () => {
    const { broker, venue } = setup();
    broker.forced.push({ match: 'POST /v2/orders', status: 0, body: null });
    const err = (await venue.submit(ORDER).catch((e: unknown) => e)) as Error;
    expect(`${err.message} ${err.stack}`).not.toContain(SECRET);
  });
});

describe('the router can choose an Alpaca venue', () => {
  test('routableVenueProfiles lists it after the simulated venues, quoting the tape, with its fees', () => {
    const { routableVenueProfiles } =
      require('../../../lambdas/platform/fix-venues.js') as typeof import('../../../lambdas/platform/fix-venues.js');
    const env = {
      OMS_ALPACA_VENUES: JSON.stringify([
        { name: 'ALPX', baseUrl: 'http://b.test', keyId: 'K', secret: SECRET, takerFeePerShare: '0.001' },
      ]),
    };
    const profiles = routableVenueProfiles(env);
    expect(profiles.map((p) => p.name)).toEqual(['SIMX', 'SIMY', 'SIMZ', 'ALPX']);
    expect(profiles.at(-1)).toMatchObject({
      takerFeePerShare: '0.001',
      makerFeePerShare: '0',
      improvePercent: 0,
      behindPercent: 0,
      sizePercent: 100,
    });
    expect(JSON.stringify(profiles)).not.toContain(SECRET);
  });
});
