/**
 * The broker gateway's in-flight check (issue 16, first item) over the in-memory AWS fakes and the
 * real event store: each resolution of core in-flight.ts carried out on one order whose cancel or
 * replace has been outstanding past the threshold, against a venue whose status answer the table
 * sets. The GSI query that finds those orders runs against DynamoDB Local in
 * test/e2e/crash-recovery.test.ts.
 */
import {
  type InFlightCheckDeps,
  type InFlightOutcome,
  resolveInFlightRequest,
} from '../../lambdas/broker-gateway/check-in-flight-requests.js';
import type { VenueOrderStatusReport } from '../../lambdas/broker-gateway/venue.js';
import { type OrderCommand, type OrderState, statusOf } from '../../lambdas/core/index.js';
import { EventStore, runCommand } from '../../lambdas/event-store/event-store.js';
import { dynamo } from '../../lambdas/platform/dynamo.js';
import { logger } from '../../lambdas/platform/observability.js';
import { BusRecorder, FakeDynamo } from './fake-aws.js';
import { placeOrder } from './orders-fixture.js';

const T0 = Date.parse('2026-11-23T14:30:00Z');
Object.assign(process.env, {
  EVENT_STORE_TABLE: 'events',
  VENUE_ORDERS_TABLE: 'venue',
  MARKET_TABLE: 'market',
  EVENT_BUS_NAME: 'oms-bus',
  IDEMPOTENCY_TABLE: 'idempotency',
});
logger.setLogLevel('SILENT');

const THRESHOLD = 15_000;
const store = new EventStore(dynamo, 'events');

beforeEach(() => {
  new FakeDynamo().install();
  new BusRecorder().install();
});

const run = (orderId: string, c: OrderCommand, at = T0) =>
  runCommand(
    store,
    orderId,
    c,
    (s) => ({ accountId: s.accountId, correlationId: orderId, causationId: 'req' }),
    () => at,
  );

/** A limit order working at SIMX, then a cancel or a replace asked at T0 + 1 s. */
async function working(orderId: string, request: 'cancel' | 'replace'): Promise<void> {
  await placeOrder(store, orderId, { qty: '10', type: 'limit', limit_price: '9' }, T0);
  await run(orderId, {
    type: 'route',
    decision: {
      policy: 'best_price',
      marketable: false,
      nbbo: { bid: null, ask: null },
      venues: [],
      excluded: [],
      allocations: [
        {
          venue: 'SIMX',
          qty: '10',
          notional: null,
          limitPrice: '9',
          expectedPrice: null,
          liquidity: 'post',
          childOrderId: null,
        },
      ],
      reason: 'x',
    },
  });
  await run(orderId, { type: 'accept', venueOrderId: `v-${orderId}` });
  await run(
    orderId,
    request === 'cancel'
      ? { type: 'requestCancel', requestedBy: 'client' }
      : {
          type: 'requestReplace',
          replacementOrderId: `${orderId}-r`,
          changes: { limitPrice: '9.5' },
          requestedBy: 'client',
        },
    T0 + 1000,
  );
}

function fakeVenue(status: VenueOrderStatusReport['status'] | null, filledQty = '0') {
  const calls: string[] = [];
  return {
    calls,
    venue: {
      name: 'SIMX',
      cancel: async (orderId: string) => {
        calls.push(`cancel ${orderId}`);
      },
      replace: async (orderId: string, replacementId: string) => {
        calls.push(`replace ${orderId} -> ${replacementId}`);
      },
      orderStatus: async (orderId: string): Promise<VenueOrderStatusReport | null> =>
        status === null
          ? null
          : {
              orderId,
              venueOrderId: `v-${orderId}`,
              symbol: 'ACME',
              side: 'buy',
              status,
              qty: '10',
              filledQty,
              avgPrice: null,
              updatedAt: new Date(T0).toISOString(),
            },
    },
  };
}

const deps = (
  venue: InFlightCheckDeps['venueFor'] extends (n: string | undefined) => infer V ? V : never,
  now: number,
): InFlightCheckDeps => ({
  doc: dynamo,
  ordersTable: 'orders',
  store,
  venueFor: () => venue,
  now: () => now,
  thresholdMs: THRESHOLD,
});

const state = async (id: string) => (await store.loadState(id)).state as OrderState;

describe('resolveInFlightRequest', () => {
  // biome-ignore format: a table
  const cases: [string, 'cancel' | 'replace', VenueOrderStatusReport['status'] | null, number, InFlightOutcome, string[], string][] = [
    ['younger than the threshold: nothing happens',              'cancel',  'open',     THRESHOLD - 1, 'wait',   [],                     'new'],
    ['the venue still holds it: the cancel is sent again',       'cancel',  'open',     THRESHOLD,     'resend', ['cancel o1'],          'new'],
    ['the venue still holds it: the replace is sent again',      'replace', 'open',     THRESHOLD,     'resend', ['replace o1 -> o1-r'], 'new'],
    ['the venue canceled it: its lost answer is applied',        'cancel',  'canceled', THRESHOLD,     'apply',  [],                     'canceled'],
    ['the venue replaced it: applied, the replacement opens',    'replace', 'replaced', THRESHOLD,     'apply',  [],                     'replaced'],
    ['the venue never heard of it: a break on the order',        'cancel',  null,       THRESHOLD,     'break',  [],                     'new'],
  ];
  test.each(cases)('%s', async (_name, request, answer, after, outcome, calls, status) => {
    await working('o1', request);
    const v = fakeVenue(answer);
    expect(await resolveInFlightRequest(deps(v.venue, T0 + 1000 + after), 'o1')).toBe(outcome);
    expect(v.calls).toEqual(calls);
    const s = await state('o1');
    expect(statusOf(s)).toBe(status);
    if (outcome === 'apply' && request === 'replace') expect(statusOf(await state('o1-r'))).toBe('new');
    if (outcome === 'break') expect([...s.recordedExceptions]).toContain('in_flight_check|MISSING_AT_VENUE');
  });

  test('run again after an answer was applied: nothing more (the order has closed)', async () => {
    await working('o1', 'cancel');
    const v = fakeVenue('canceled');
    const at = T0 + 1000 + THRESHOLD;
    expect(await resolveInFlightRequest(deps(v.venue, at), 'o1')).toBe('apply');
    const seq = (await state('o1')).seq;
    expect(await resolveInFlightRequest(deps(v.venue, at + 60_000), 'o1')).toBe('none');
    expect((await state('o1')).seq).toBe(seq);
  });

  test('the venue replaced it under an id of its own (Alpaca): the replacement opens under that id', async () => {
    await working('o1', 'replace');
    const v = fakeVenue('replaced');
    const venue = {
      ...v.venue,
      orderStatus: async (id: string) => ({
        ...((await v.venue.orderStatus(id)) as VenueOrderStatusReport),
        replacedBy: 'v-new',
      }),
    };
    expect(await resolveInFlightRequest(deps(venue, T0 + 1000 + THRESHOLD), 'o1')).toBe('apply');
    expect(await state('o1-r')).toMatchObject({ venueOrderId: 'v-new' });
    expect((await state('o1')).venueOrderId).toBe('v-o1');
  });

  test('a venue that fails the status query: counted as failed, nothing changes', async () => {
    await working('o1', 'cancel');
    const v = fakeVenue('open');
    const failing = { ...v.venue, orderStatus: async () => Promise.reject(new Error('venue unreachable')) };
    expect(await resolveInFlightRequest(deps(failing, T0 + 1000 + THRESHOLD), 'o1')).toBe('failed');
    expect(statusOf(await state('o1'))).toBe('new');
  });
});
