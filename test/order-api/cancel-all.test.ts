/**
 * DELETE /v2/orders (issue 11, 1.1): the handler only lists the open orders and queues one cancel
 * request per order on the bus (PutEvents by 10), answering Alpaca's 207 `[{id, status, body}]` at
 * once; the cancel-all worker cancels each, idempotently.
 */
import './env.js';
import { EventBridgeClient, PutEventsCommand, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { type OrderCommand, replay, statusOf, toAlpacaOrder } from '../../lambdas/core/index.js';
import { cancelAllBatch, cancelOne } from '../../lambdas/order-api/cancel-all-worker.js';
import { handler as cancel } from '../../lambdas/order-api/cancel-order.js';
import { logger } from '../../lambdas/platform/observability.js';
import { FakeDynamo } from './fake-dynamo.js';
import {
  apiEvent,
  appendCommands as appendTo,
  OTHER_ACCOUNT,
  openReplacementOf,
  parse,
  replaced as replacedBy,
  replaceOf,
  seedOrder,
  T0,
} from './fixtures.js';

process.env.EVENT_BUS_NAME = 'oms-bus';
const fake = new FakeDynamo();
const bus = mockClient(EventBridgeClient);
const accepted = [{ type: 'accept', venueOrderId: 'v-1' }] as const;

beforeEach(() => {
  fake.reset();
  bus.reset();
  bus.on(PutEventsCommand).callsFake((i) => ({
    FailedEntryCount: 0,
    Entries: (i.Entries ?? []).map((_: unknown, n: number) => ({ EventId: `ev-${n}` })),
  }));
  jest.spyOn(Date, 'now').mockReturnValue(T0 + 1000);
});
afterEach(() => jest.restoreAllMocks());

const deleteAll = () => cancel(apiEvent({ routeKey: 'DELETE /v2/orders' }));
const putEntries = (): PutEventsRequestEntry[] =>
  bus.commandCalls(PutEventsCommand).flatMap((c) => c.args[0].input.Entries ?? []);

/** n resting orders of the account, in the read model as the projector writes them. */
function openOrders(n: number): string[] {
  const ids = Array.from({ length: n }, (_, i) => `o-${i + 1}`);
  fake.ordersQueryItems = ids.map((id) => ({
    orderId: id,
    order: toAlpacaOrder(seedOrder(fake, id, { commands: accepted })),
  }));
  return ids;
}

describe('DELETE /v2/orders: fan-out', () => {
  test('25 open orders: 207 with each order pending_cancel, 3 PutEvents of <= 10, nothing cancelled in the request', async () => {
    const ids = openOrders(25);
    const eventsBefore = fake.table('events').size;
    const res = await deleteAll();
    expect(res.statusCode).toBe(207);
    const body = parse(res.body) as { id: string; status: number; body: Record<string, unknown> }[];
    expect(body.map((r) => [r.id, r.status])).toEqual(ids.map((id) => [id, 200]));
    expect(body[0]?.body).toMatchObject({ id: 'o-1', status: 'pending_cancel', symbol: 'AAPL' });
    const calls = bus.commandCalls(PutEventsCommand).map((c) => c.args[0].input.Entries?.length);
    expect(calls.sort()).toEqual([10, 10, 5]);
    expect(putEntries().map((e) => JSON.parse(e.Detail as string).orderId)).toEqual(ids);
    expect(putEntries()[0]).toMatchObject({
      EventBusName: 'oms-bus',
      Source: 'stockbot.oms.api',
      DetailType: 'CancelOrderRequested',
    });
    expect(JSON.parse(putEntries()[0]?.Detail as string)).toEqual({
      orderId: 'o-1',
      accountId: 'acct-1',
      requestedBy: 'bot-1',
      requestId: 'req-1',
    });
    // The request holds no cancel: the worker does them.
    expect(fake.table('events').size).toBe(eventsBefore);
  });

  test("a split order's children: asked to cancel with it, but the 207 lists the client's order alone (as GET /v2/orders does)", async () => {
    const ids = openOrders(3);
    // o-2 and o-3 are the OMS's child orders of o-1 (the open index projects the role).
    fake.ordersQueryItems = fake.ordersQueryItems.map((item, i) =>
      i === 0 ? item : { ...item, contingencyRole: 'algo_child', parentOrderId: 'o-1' },
    );
    const body = parse((await deleteAll()).body) as { id: string; status: number }[];
    expect(body.map((r) => [r.id, r.status])).toEqual([['o-1', 200]]);
    expect(putEntries().map((e) => JSON.parse(e.Detail as string).orderId)).toEqual(ids);
  });

  test('a replaced order is listed, and canceled, as the order that replaced it (a bot waiting for each listed order to read canceled would wait forever)', async () => {
    const original = replaced('o-1', 'o-1r');
    // The open index a stream hop behind: it still shows the order the PATCH replaced.
    fake.ordersQueryItems = [{ orderId: 'o-1', order: toAlpacaOrder(original) }];
    const body = parse((await deleteAll()).body) as {
      id: string;
      status: number;
      body: { status: string };
    }[];
    expect(body.map((r) => [r.id, r.status, r.body.status])).toEqual([['o-1r', 200, 'pending_cancel']]);
    expect(putEntries().map((e) => JSON.parse(e.Detail as string).orderId)).toEqual(['o-1r']);
  });

  test.each<Record<string, string>>([{ symbols: 'MSFT' }, { side: 'sell' }, { bogus: '1' }])(
    'a query parameter (%o): 400 naming it, nothing canceled (a probe: every open order was)',
    async (query) => {
      openOrders(3);
      const res = await cancel(apiEvent({ routeKey: 'DELETE /v2/orders', query }));
      expect(res.statusCode).toBe(400);
      const [name] = Object.keys(query);
      expect(parse(res.body)).toMatchObject({
        code: 40010001,
        message: `${name}: is not a parameter of this route (it takes none)`,
      });
      expect(bus.commandCalls(PutEventsCommand)).toHaveLength(0);
    },
  );

  // A probe: `{"symbols":"PRBF"}` (and a form body `symbols=PRBF`) canceled every open order.
  test.each<[string, string]>([
    ['JSON', '{"symbols":"MSFT"}'],
    ['a form', 'symbols=MSFT'],
    ['JSON null', 'null'],
    ['an array', '[]'],
  ])('a body (%s): 400 naming body, nothing canceled', async (_, rawBody) => {
    openOrders(3);
    const res = await cancel(apiEvent({ routeKey: 'DELETE /v2/orders', rawBody }));
    expect([res.statusCode, parse(res.body)]).toEqual([
      400,
      expect.objectContaining({
        code: 40010001,
        message: 'body: a DELETE takes no body',
      }),
    ]);
    expect(bus.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  test.each(['', '{}', ' { } \n'])('an empty body (%j) is no body: 207', async (rawBody) => {
    openOrders(1);
    const res = await cancel(apiEvent({ routeKey: 'DELETE /v2/orders', rawBody }));
    expect(res.statusCode).toBe(207);
  });

  test('no open order: 207 []', async () => {
    const res = await deleteAll();
    expect(res.statusCode).toBe(207);
    expect(parse(res.body)).toEqual([]);
    expect(bus.commandCalls(PutEventsCommand)).toHaveLength(0);
  });

  test('an entry PutEvents refuses is put again; one refused twice is answered 500 for its order alone', async () => {
    openOrders(3);
    const refusals = new Map([
      ['o-2', 1],
      ['o-3', 2],
    ]);
    bus.on(PutEventsCommand).callsFake((i) => {
      const entries: { ErrorCode?: string; ErrorMessage?: string; EventId?: string }[] = (
        i.Entries ?? []
      ).map((e: PutEventsRequestEntry) => {
        const id = JSON.parse(e.Detail as string).orderId as string;
        const left = refusals.get(id) ?? 0;
        refusals.set(id, left - 1);
        return left > 0 ? { ErrorCode: 'InternalFailure', ErrorMessage: 'x' } : { EventId: id };
      });
      return { FailedEntryCount: entries.filter((e) => 'ErrorCode' in e).length, Entries: entries };
    });
    const body = parse((await deleteAll()).body);
    expect(body.map((r: { id: string; status: number }) => [r.id, r.status])).toEqual([
      ['o-1', 200],
      ['o-2', 200],
      ['o-3', 500],
    ]);
    expect(body[2].body).toMatchObject({ code: 50010000 });
  });
});

const record = (messageId: string, detail: unknown) => ({
  messageId,
  receiptHandle: messageId,
  body: JSON.stringify({ 'detail-type': 'CancelOrderRequested', source: 'stockbot.oms.api', detail }),
  attributes: {},
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:q',
  awsRegion: 'us-east-1',
});
const request = (orderId: string, accountId = 'acct-1') => ({
  orderId,
  accountId,
  requestedBy: 'bot-1',
  requestId: 'req-1',
});
const batch = (...records: ReturnType<typeof record>[]) => ({ Records: records }) as SQSEvent;
const eventTypes = (orderId: string) =>
  [...fake.table('events').values()]
    .filter((e) => e.orderId === orderId)
    .sort((a, b) => (a.seq as number) - (b.seq as number))
    .map((e) => e.type);

describe('cancel-all worker', () => {
  test('each request cancels its order; a redelivered batch changes nothing', async () => {
    openOrders(3);
    const event = batch(
      record('m1', request('o-1')),
      record('m2', request('o-2')),
      record('m3', request('o-3')),
    );
    expect(await cancelAllBatch(event)).toEqual({ batchItemFailures: [] });
    for (const id of ['o-1', 'o-2', 'o-3'])
      expect(eventTypes(id)).toEqual(['OrderSubmitted', 'OrderAccepted', 'OrderCancelRequested']);
    const size = fake.table('events').size;
    expect(await cancelAllBatch(event)).toEqual({ batchItemFailures: [] });
    expect(fake.table('events').size).toBe(size);
  });

  test('closed, already pending_cancel, another account: no-ops, not failures', async () => {
    seedOrder(fake, 'o-closed', { commands: [...accepted, { type: 'expire' }] });
    seedOrder(fake, 'o-pending', { commands: [...accepted, { type: 'requestCancel', requestedBy: 'x' }] });
    seedOrder(fake, 'o-other', { accountId: OTHER_ACCOUNT, commands: accepted });
    const size = fake.table('events').size;
    const out = await cancelAllBatch(
      batch(
        record('m1', request('o-closed')),
        record('m2', request('o-pending')),
        record('m3', request('o-other')),
      ),
    );
    expect(out).toEqual({ batchItemFailures: [] });
    expect(fake.table('events').size).toBe(size);
  });

  test('a pending_new order: its cancel is requested (it shows pending_cancel)', async () => {
    seedOrder(fake, 'o-new');
    expect(await cancelAllBatch(batch(record('m1', request('o-new'))))).toEqual({ batchItemFailures: [] });
    const events = [...fake.table('events').values()].filter((e) => e.orderId === 'o-new');
    expect(eventTypes('o-new')).toEqual(['OrderSubmitted', 'OrderCancelRequested']);
    expect(events).toHaveLength(2);
    const state = replay(
      events
        .sort((a, b) => (a.seq as number) - (b.seq as number))
        .map(
          (e) =>
            ({
              type: e.type,
              orderId: e.orderId,
              seq: e.seq,
              occurredAt: e.occurredAt,
              data: e.data,
            }) as never,
        ),
    );
    expect(statusOf(state as never)).toBe('pending_cancel');
  });

  test('a malformed record or a store failure fails that record alone (redelivered, then dead-lettered)', async () => {
    openOrders(2);
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    fake.mock
      .on(QueryCommand, { TableName: 'events', ExpressionAttributeValues: { ':id': 'o-1' } })
      .rejects(throttled);
    const out = await cancelAllBatch(
      batch(record('bad', { orderId: 'o-1' }), record('m1', request('o-1')), record('m2', request('o-2'))),
    );
    expect(out.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['bad', 'm1']);
    expect(eventTypes('o-2')).toEqual(['OrderSubmitted', 'OrderAccepted', 'OrderCancelRequested']);
  });
});

const replaced = (orderId: string, replacementId: string) => replacedBy(fake, orderId, replacementId);
const appendCommands = (orderId: string, commands: readonly OrderCommand[]) =>
  appendTo(fake, orderId, commands);

describe('cancel-all worker: an order a PATCH is replacing (the listing still shows the original)', () => {
  test('replaced: its replacement is canceled, the replaced order is left as it is', async () => {
    replaced('o-1', 'o-1r');
    const before = eventTypes('o-1');
    expect(await cancelOne(JSON.parse(record('m1', request('o-1')).body), [])).toBe('cancel_requested');
    expect(eventTypes('o-1r').at(-1)).toBe('OrderCancelRequested');
    expect(eventTypes('o-1')).toEqual(before);
  });

  test('replaced twice: the last replacement, the one working, is canceled', async () => {
    replaced('o-1', 'o-1r');
    appendCommands('o-1r', replaceOf('o-1rr', true).slice(accepted.length) as never);
    openReplacementOf(fake, 'o-1r');
    expect(await cancelOne(JSON.parse(record('m1', request('o-1')).body), [])).toBe('cancel_requested');
    expect(eventTypes('o-1rr').at(-1)).toBe('OrderCancelRequested');
    expect(eventTypes('o-1r').at(-1)).toBe('OrderReplaced');
  });

  test('a replace awaiting the venue: the record fails (redelivered), nothing is appended', async () => {
    seedOrder(fake, 'o-1', { commands: replaceOf('o-1r', false) as never });
    const size = fake.table('events').size;
    await expect(cancelOne(JSON.parse(record('m1', request('o-1')).body), [])).rejects.toThrow(
      'order o-1 has a replace awaiting the venue',
    );
    expect(fake.table('events').size).toBe(size);
  });

  test('a replace awaiting the venue, in a batch: the record fails for redelivery, logged as the designed retry, not an error', async () => {
    // A probe: every such retry was logged at ERROR, noise an operator's alarm would page on.
    seedOrder(fake, 'o-1', { commands: replaceOf('o-1r', false) as never });
    const errors = jest.spyOn(logger, 'error');
    const out = await cancelAllBatch(batch(record('m1', request('o-1'))));
    expect(out).toEqual({ batchItemFailures: [{ itemIdentifier: 'm1' }] });
    expect(errors.mock.calls.filter(([m]) => String(m).startsWith('cancel-all'))).toEqual([]);
  });

  test('a replace awaiting the venue that the venue then refuses: the order itself is canceled', async () => {
    seedOrder(fake, 'o-1', { commands: replaceOf('o-1r', false) as never });
    // The venue's refusal lands while the worker waits (5 ms in; the waits span 350 ms).
    setTimeout(() => appendCommands('o-1', [{ type: 'rejectReplace', reason: 'too late' }]), 5);
    expect(await cancelOne(JSON.parse(record('m1', request('o-1')).body), [1, 50, 100, 200])).toBe(
      'cancel_requested',
    );
    expect(eventTypes('o-1').slice(-2)).toEqual(['OrderReplaceRejected', 'OrderCancelRequested']);
  });
});
