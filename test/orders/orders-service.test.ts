import '../order-api/env.js';
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { duplicateKeyOf, validateOrderRequest } from '../../lambdas/core/index.js';
import { noShortSaleRefusal, shortCoverRefusal } from '../../lambdas/core/position-close.js';
import type { RiskContext } from '../../lambdas/core/risk.js';
import { ledgerPk } from '../../lambdas/orders/account-ledger.js';
import {
  duplicateClaimOf,
  type OrdersServiceDeps,
  type PlaceOrderInput,
  placeOrder,
  requestHashOf,
} from '../../lambdas/orders/orders-service.js';
import { awaitPendingExecutions, ledgerSeqOf } from '../../lambdas/orders/pending-executions.js';
import { closingPartOf, noShortSellOf } from '../../lambdas/orders/position-availability.js';
import { loadRiskInputs } from '../../lambdas/orders/risk-context.js';
import { dynamo } from '../../lambdas/platform/dynamo.js';
import { FakeDynamo } from '../order-api/fake-dynamo.js';
import { ACCOUNT, LIMIT_BUY, riskInputs, T0 } from '../order-api/fixtures.js';

jest.mock('../../lambdas/orders/risk-context.js', () => ({
  ...jest.requireActual('../../lambdas/orders/risk-context.js'),
  loadRiskInputs: jest.fn(),
}));
const risk = jest.mocked(loadRiskInputs);
jest.mock('../../lambdas/orders/pending-executions.js', () => ({
  awaitPendingExecutions: jest.fn(),
  ledgerSeqOf: jest.fn(),
}));
const pendingExecutions = jest.mocked(awaitPendingExecutions);
// The closing part's read under the position's closing claims (its own tests: position-availability.test.ts).
jest.mock('../../lambdas/orders/position-availability.js', () => {
  const actual = jest.requireActual('../../lambdas/orders/position-availability.js');
  return { ...actual, closingPartOf: jest.fn(), noShortSellOf: jest.fn(actual.noShortSellOf) };
});
const closingRead = jest.mocked(closingPartOf);
const sellRead = jest.mocked(noShortSellOf);
const ledgerSeq = jest.mocked(ledgerSeqOf);

const fake = new FakeDynamo();
let ids = 0;
const deps = (): OrdersServiceDeps => ({
  doc: fake.mock as never,
  eventStoreTable: 'events',
  idempotencyTable: 'idempotency',
  newOrderId: () => `order-${++ids}`,
  sleep: async () => {},
});

// The mock replaces DynamoDBDocumentClient.prototype.send, so any instance routes to the fake.

const place = (o: Partial<PlaceOrderInput> = {}) =>
  placeOrder(
    // As POST /v2/orders places: under the duplicate rule (DELETE /v2/positions passes no key).
    {
      accountId: ACCOUNT,
      body: LIMIT_BUY,
      requestId: 'req-1',
      now: T0,
      source: 'api',
      duplicateKey: duplicateKeyOf,
      ...o,
    },
    { ...deps(), doc: dynamo },
  );
const specOf = (body: unknown) => {
  const v = validateOrderRequest(body, { now: T0 });
  if (!v.ok) throw new Error('invalid');
  return v.order;
};

beforeEach(() => {
  fake.reset();
  ids = 0;
  risk.mockReset();
  risk.mockResolvedValue(riskInputs());
  pendingExecutions.mockReset();
  pendingExecutions.mockResolvedValue('none');
  ledgerSeq.mockReset();
  ledgerSeq.mockResolvedValue(0);
});

describe('placeOrder', () => {
  test('one transaction: the client-order-id claim and OrderSubmitted, both conditional', async () => {
    const body = { ...LIMIT_BUY, client_order_id: 'c-1' };
    const r = await place({ body });
    expect(r).toMatchObject({
      kind: 'created',
      order: { id: 'order-1', client_order_id: 'c-1', status: 'pending_new' },
    });
    const calls = fake.mock.commandCalls(TransactWriteCommand);
    expect(calls).toHaveLength(1);
    const items = calls[0]?.args[0].input.TransactItems;
    expect(items).toEqual([
      {
        Put: {
          TableName: 'idempotency',
          Item: {
            id: 'coid#acct-1#c-1',
            orderId: 'order-1',
            requestHash: requestHashOf(specOf(body)),
            accountId: ACCOUNT,
            createdAt: new Date(T0).toISOString(),
          },
          ConditionExpression: 'attribute_not_exists(id)',
        },
      },
      {
        Put: {
          TableName: 'events',
          Item: expect.objectContaining({
            type: 'OrderSubmitted',
            orderId: 'order-1',
            seq: 1,
            accountId: ACCOUNT,
            eventId: 'order-1:1',
            correlationId: 'req-1',
            causationId: 'req-1',
            schemaVersion: 1,
            occurredAt: new Date(T0).toISOString(),
          }),
          ConditionExpression: 'attribute_not_exists(orderId)',
        },
      },
      {
        // The submit rate's slot rides the transaction (no request of its own), and names the
        // order (cancel-all sees it before the listing does: orders/recent-placements.ts).
        Update: {
          TableName: 'idempotency',
          Key: { id: `rate#acct-1#${T0 / 1000}` },
          UpdateExpression:
            'ADD #count :one, #placed :placed SET expiresAt = if_not_exists(expiresAt, :expiresAt)',
          ConditionExpression: 'attribute_not_exists(id) OR #count < :limit',
          ExpressionAttributeNames: { '#count': 'count', '#placed': 'placed' },
          ExpressionAttributeValues: {
            ':one': 1,
            ':limit': 10,
            ':placed': new Set(['order-1']),
            ':expiresAt': T0 / 1000 + 120,
          },
        },
      },
      {
        // The duplicate rule's claim for the window (2 s by default), last.
        Put: {
          TableName: 'idempotency',
          Item: {
            id: duplicateClaimOf(ACCOUNT, duplicateKeyOf(specOf(body))),
            orderId: 'order-1',
            createdAt: new Date(T0).toISOString(),
            createdAtMs: T0,
            expiresAt: T0 / 1000 + 2 + 60,
          },
          ConditionExpression: 'attribute_not_exists(id) OR createdAtMs < :from',
          ExpressionAttributeValues: { ':from': T0 - 2000 },
        },
      },
    ]);
    expect(risk).toHaveBeenCalledWith(ACCOUNT, specOf(body), T0);
  });

  test('without a client_order_id the order id is the client order id, and is claimed', async () => {
    const r = await place();
    expect(r).toMatchObject({ kind: 'created', order: { id: 'order-1', client_order_id: 'order-1' } });
    expect(fake.table('idempotency').has('coid#acct-1#order-1')).toBe(true);
  });

  test('the same request hashes the same whatever its spelling; other terms hash differently', () => {
    const a = requestHashOf(specOf({ ...LIMIT_BUY, qty: 10, limit_price: '100.00', symbol: 'aapl' }));
    expect(a).toBe(requestHashOf(specOf(LIMIT_BUY)));
    expect(a).not.toBe(requestHashOf(specOf({ ...LIMIT_BUY, qty: '11' })));
  });

  test('a retried client_order_id returns the original order and writes nothing more', async () => {
    const body = { ...LIMIT_BUY, client_order_id: 'c-1' };
    const first = await place({ body });
    // The original is now a recent twin: the duplicate-order rule must not refuse the retry.
    risk.mockResolvedValue(
      riskInputs({}, { recentOrders: [{ ...recent, createdAt: new Date(T0).toISOString() }] }),
    );
    const again = await place({ body, now: T0 + 500 });
    expect(again).toEqual({ kind: 'existing', order: (first as { order: unknown }).order });
    expect(fake.mock.commandCalls(TransactWriteCommand)).toHaveLength(1);
    // No request besides the first order's transaction: the rate slot rides it, and none for the retry.
    expect(fake.mock.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  test('placed with its position intent (Reg SHO 200(g)): a sell with no position is marked sell_to_open; its retry still matches', async () => {
    // A probe read position_intent null on every order, and the CAT export then reported short sales `SL`.
    risk.mockResolvedValue(
      riskInputs({}, { positionQty: '0', account: { shortingEnabled: true, tradingBlocked: false } }),
    );
    const body = { ...LIMIT_BUY, side: 'sell', client_order_id: 'short-1' };
    const first = await place({ body });
    expect(first).toMatchObject({ kind: 'created', order: { position_intent: 'sell_to_open' } });
    const items = fake.mock.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    const submitted = items.find((i) => i.Put?.Item?.type === 'OrderSubmitted');
    expect(submitted?.Put?.Item?.data).toMatchObject({ order: { positionIntent: 'sell_to_open' } });
    // The request hash a retry is matched by is the client's request, not the marked order.
    const again = await place({ body, now: T0 + 500 });
    expect(again).toMatchObject({
      kind: 'existing',
      order: { id: (first as { order: { id: string } }).order.id },
    });
  });

  test("a sell of a long is read under the closing claims on an account that may short too: the long other sells claimed already refuses it with Alpaca's insufficient qty, nothing written", async () => {
    // A probe: five concurrent sells of 6 against a long of 10 were all marked sell_to_close, and the
    // CAT export reported 11 shares sold short as SL; then one of them marked short, the rest long,
    // and a long-marked sale could still sell short. A long is not sold into a short (core risk
    // `short_sale`): risk's read shows the long free, the closing claims (serialized with every
    // other sell of the position) show it all held by another sell.
    risk.mockResolvedValue({
      ...riskInputs(
        {},
        {
          positionQty: '10',
          heldForSale: '0',
          buyingPower: '100000',
          account: { shortingEnabled: true, tradingBlocked: false },
        },
      ),
      openBuys: { reservedCents: 0, setAsideCents: 0, releasedCents: 0, unclaimed: '0' },
    });
    sellRead.mockResolvedValueOnce({
      kind: 'refused',
      refusal: noShortSaleRefusal(
        'AAPL',
        6_000_000_000n,
        10_000_000_000n,
        { held: 10_000_000_000n, available: 0n },
        true,
      ),
    });
    const r = await place({ body: { ...LIMIT_BUY, side: 'sell', qty: '6' } });
    expect(r).toMatchObject({
      kind: 'risk_refused',
      refusals: [
        {
          rule: 'short_sale',
          message:
            'short_sale: sell of 6 AAPL exceeds the 0 available to sell (position 10, 10 held by open sell orders); a long is not sold into a short',
          alpaca: { message: 'insufficient qty available for order (requested: 6, available: 0)' },
        },
      ],
    });
    expect(sellRead).toHaveBeenCalledWith(
      expect.anything(),
      ACCOUNT,
      expect.objectContaining({ symbol: 'AAPL' }),
      expect.any(Number),
      expect.objectContaining({ mayShort: true }),
    );
    expect(closingRead).not.toHaveBeenCalled();
    expect(fake.mock.commandCalls(TransactWriteCommand)).toHaveLength(0);
  });

  test("a bracket's exits are marked on the position its entry leaves: short 5, a buy of 2, its sell exits are short sales", async () => {
    // A probe: the legs had no intent, and a take-profit that left the account short 5 was reported SL.
    risk.mockResolvedValue(
      riskInputs({}, { positionQty: '-5', account: { shortingEnabled: true, tradingBlocked: false } }),
    );
    const body = {
      ...LIMIT_BUY,
      qty: '2',
      order_class: 'bracket',
      take_profit: { limit_price: '110' },
      stop_loss: { stop_price: '90' },
    };
    const r = await place({ body });
    expect(r).toMatchObject({
      kind: 'created',
      order: {
        position_intent: 'buy_to_close',
        legs: [{ position_intent: 'sell_to_open' }, { position_intent: 'sell_to_open' }],
      },
    });
    // Long 5 before the same bracket: its exits sell what the entry bought, a long sale.
    risk.mockResolvedValue(
      riskInputs({}, { positionQty: '5', account: { shortingEnabled: true, tradingBlocked: false } }),
    );
    const long = await place({ body: { ...body, qty: '3', client_order_id: 'b-2' } });
    expect(long).toMatchObject({
      order: {
        position_intent: 'buy_to_open',
        legs: [{ position_intent: 'sell_to_close' }, { position_intent: 'sell_to_close' }],
      },
    });
  });

  test.each([
    { kind: 'a plain buy', extra: {} },
    // An algorithmic parent's children buy what it was placed for: it was placed past the short.
    {
      kind: 'a TWAP parent',
      extra: { advanced_instructions: { algorithm: 'TWAP', end_time: '2030-01-02T21:00:00Z' } },
    },
  ])(
    '$kind past a short is refused short_cover on the closing-claims read, on an account whose buying power is not kept too',
    async ({ extra }) => {
      // Buying power not kept (null): the read was skipped, and a buy of 6 on a short of 5 went long 1.
      risk.mockResolvedValue(
        riskInputs({}, { positionQty: '-5', account: { shortingEnabled: true, tradingBlocked: false } }),
      );
      closingRead.mockResolvedValueOnce({
        kind: 'refused',
        refusal: shortCoverRefusal('AAPL', 6_000_000_000n, -5_000_000_000n, {
          held: 0n,
          available: 5_000_000_000n,
        }),
      });
      const r = await place({ body: { ...LIMIT_BUY, qty: '6', ...extra } });
      expect(r).toMatchObject({
        kind: 'risk_refused',
        refusals: [
          {
            rule: 'short_cover',
            message:
              'short_cover: buy of 6 AAPL exceeds the 5 available to cover (position -5, 0 held by open buy orders); a short is not bought into a long',
            alpaca: { message: 'insufficient qty available for order (requested: 6, available: 5)' },
          },
        ],
      });
      expect(closingRead).toHaveBeenCalledWith(
        expect.anything(),
        ACCOUNT,
        expect.objectContaining({ symbol: 'AAPL', side: 'buy' }),
        expect.any(Number),
        expect.anything(),
      );
      expect(fake.mock.commandCalls(TransactWriteCommand)).toHaveLength(0);
    },
  );

  test('the client_order_id of another order is 422, nothing written', async () => {
    await place({ body: { ...LIMIT_BUY, client_order_id: 'c-1' } });
    const r = await place({ body: { ...LIMIT_BUY, qty: '11', client_order_id: 'c-1' } });
    expect(r).toEqual({
      kind: 'conflict',
      field: 'client_order_id',
      message: 'client_order_id must be unique: already used for another order',
    });
    expect(fake.mock.commandCalls(TransactWriteCommand)).toHaveLength(1);
  });

  test.each([
    { with: 'the same request', second: LIMIT_BUY, kind: 'existing' },
    { with: 'another request', second: { ...LIMIT_BUY, qty: '3' }, kind: 'conflict' },
  ])('an Idempotency-Key used again with $with: $kind', async ({ second, kind }) => {
    const first = await place({ idempotencyKey: 'k-1' });
    expect(fake.mock.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems?.[0]).toEqual({
      Put: expect.objectContaining({
        Item: expect.objectContaining({
          id: 'idem#acct-1#k-1',
          orderId: 'order-1',
          expiresAt: T0 / 1000 + 86400,
        }),
      }),
    });
    const r = await place({ idempotencyKey: 'k-1', body: second });
    expect(r.kind).toBe(kind);
    if (r.kind === 'existing') expect(r.order).toEqual((first as { order: unknown }).order);
    if (r.kind === 'conflict') expect(r.message).toBe('Idempotency-Key: already used for another request');
    expect(fake.table('events').size).toBe(1);
  });

  // DELETE /v2/positions passes no duplicate key: its closes are not a strategy's repeat (issue 13).
  test('placed without a duplicate key (a close): no duplicate claim in the transaction', async () => {
    const r = await place({ duplicateKey: undefined });
    expect(r.kind).toBe('created');
    const items = fake.mock.commandCalls(TransactWriteCommand)[0]?.args[0].input.TransactItems ?? [];
    expect(items.some((i) => String(i.Put?.Item?.id ?? '').startsWith('dup#'))).toBe(false);
    expect(items.length).toBeGreaterThan(0);
  });

  test('concurrent duplicates: one order is created and every caller gets it', async () => {
    const body = { ...LIMIT_BUY, client_order_id: 'c-race' };
    const results = await Promise.all(Array.from({ length: 6 }, () => place({ body })));
    const created = results.filter((r) => r.kind === 'created');
    expect(created).toHaveLength(1);
    const id = (created[0] as { order: { id: string } }).order.id;
    for (const r of results) expect(r).toMatchObject({ order: { id } });
    expect(fake.table('events').size).toBe(1);
    // The losers found the claim through a consistent read.
    expect(fake.mock.commandCalls(GetCommand).every((c) => c.args[0].input.ConsistentRead === true)).toBe(
      true,
    );
  });

  test('a duplicate placed while risk was checked: the caller gets that order, not a duplicate refusal', async () => {
    const body = { ...LIMIT_BUY, client_order_id: 'c-dup' };
    let winner: unknown;
    // The concurrent winner commits while this request's risk inputs load; risk then sees the
    // winner among the recent orders and its duplicate rule refuses.
    risk.mockImplementationOnce(async () => {
      risk.mockResolvedValue(riskInputs());
      winner = await place({ body, requestId: 'req-winner' });
      const recent = {
        symbol: 'AAPL',
        side: 'buy',
        qty: '10',
        notional: null,
        type: 'limit',
        limitPrice: '100',
        createdAt: new Date(T0).toISOString(),
      };
      return riskInputs({ duplicateWindowSeconds: 2 }, { recentOrders: [recent] });
    });
    const r = await place({ body });
    expect(winner).toMatchObject({ kind: 'created' });
    expect(r).toEqual({ kind: 'existing', order: (winner as { order: unknown }).order });
    expect(fake.table('events').size).toBe(1);
  });

  test('concurrent requests reusing one client_order_id with other terms: one wins, the rest conflict', async () => {
    const results = await Promise.all(
      ['1', '2', '3'].map((qty) => place({ body: { ...LIMIT_BUY, qty, client_order_id: 'c-x' } })),
    );
    expect(results.map((r) => r.kind).sort()).toEqual(['conflict', 'conflict', 'created']);
  });

  describe('the duplicate rule, claimed in the placing transaction (issue 12: no query of recent orders)', () => {
    test.each<[string, Record<string, unknown>, number, string]>([
      ['an identical order within the window is refused', LIMIT_BUY, 1999, 'risk_refused'],
      [
        '... the same terms spelled otherwise too',
        { ...LIMIT_BUY, symbol: 'aapl', qty: 10, limit_price: '100.000' },
        500,
        'risk_refused',
      ],
      ['once the window has passed it is placed', LIMIT_BUY, 2001, 'created'],
      ['another qty is not a twin', { ...LIMIT_BUY, qty: '11' }, 0, 'created'],
      ['another side is not a twin', { ...LIMIT_BUY, side: 'sell' }, 0, 'created'],
      ['another limit price is not a twin', { ...LIMIT_BUY, limit_price: '100.01' }, 0, 'created'],
    ])('%s', async (_case, second, after, kind) => {
      expect((await place()).kind).toBe('created');
      const r = await place({ body: second, now: T0 + after, requestId: 'req-2' });
      expect(r.kind).toBe(kind);
      if (r.kind === 'risk_refused') {
        expect(r.refusals).toEqual([
          {
            rule: 'duplicate_order',
            limit: '2',
            message: `duplicate_order: an identical order was submitted at ${new Date(T0).toISOString()}, within the window of 2 s`,
          },
        ]);
      }
      expect(fake.table('events').size).toBe(kind === 'created' ? 2 : 1);
    });

    test('concurrent twins (no client_order_id): exactly one is placed, the others are refused as duplicates', async () => {
      const results = await Promise.all(
        Array.from({ length: 5 }, (_, i) => place({ requestId: `req-${i}` })),
      );
      expect(results.map((r) => r.kind).sort()).toEqual([
        'created',
        'risk_refused',
        'risk_refused',
        'risk_refused',
        'risk_refused',
      ]);
      expect(fake.table('events').size).toBe(1);
    });

    test('a window of 0 (or null) claims nothing', async () => {
      risk.mockResolvedValue(riskInputs({ duplicateWindowSeconds: 0 }));
      expect((await place()).kind).toBe('created');
      expect((await place()).kind).toBe('created');
      expect([...fake.table('idempotency').keys()].some((k) => k.startsWith('dup#'))).toBe(false);
    });
  });

  test('a transaction conflict (the winner still committing) is retried', async () => {
    fake.failNextTransactions.push(['TransactionConflict', 'None']);
    const r = await place();
    expect(r.kind).toBe('created');
    expect(fake.mock.commandCalls(TransactWriteCommand)).toHaveLength(2);
  });

  test('other errors propagate (the caller retries; nothing half-written)', async () => {
    fake.mock
      .on(TransactWriteCommand)
      .rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
    await expect(place()).rejects.toThrow('throttled');
    expect(fake.table('events').size).toBe(0);
  });

  test('the submit rate: an atomic counter per account and second, refused at the limit', async () => {
    risk.mockResolvedValue(riskInputs({ maxOrdersPerSecond: 2 }));
    const kinds = [];
    // Distinct orders (the duplicate rule would refuse twins within 2 s).
    for (const [i, now] of [T0, T0 + 100, T0 + 900, T0 + 1000].entries())
      kinds.push((await place({ now, body: { ...LIMIT_BUY, qty: String(10 + i) } })).kind);
    expect(kinds).toEqual(['created', 'created', 'rate_limited', 'created']);
    // The slot rides each placing transaction: the refused one wrote nothing.
    expect(fake.mock.commandCalls(UpdateCommand)).toHaveLength(0);
    expect(fake.table('idempotency').get(`rate#acct-1#${T0 / 1000}`)).toMatchObject({ count: 2 });
    expect(fake.table('events').size).toBe(3);
  });

  test('an order the placing transaction refuses (a twin within the duplicate window) takes no rate slot', async () => {
    risk.mockResolvedValue(riskInputs({ maxOrdersPerSecond: 2, duplicateWindowSeconds: 5 }));
    const kinds = [];
    for (const [now, qty] of [
      [T0, '10'],
      [T0 + 100, '10'], // the twin: refused by the duplicate claim in the transaction
      [T0 + 200, '11'],
    ] as const)
      kinds.push((await place({ now, body: { ...LIMIT_BUY, qty } })).kind);
    expect(kinds).toEqual(['created', 'risk_refused', 'created']);
    expect(fake.table('idempotency').get(`rate#acct-1#${T0 / 1000}`)).toMatchObject({ count: 2 });
  });

  test('a risk refusal writes nothing and names the rule and the limit', async () => {
    risk.mockResolvedValue(riskInputs({ maxOrderQty: '5' }));
    const r = await place();
    expect(r).toMatchObject({ kind: 'risk_refused', refusals: [{ rule: 'max_order_qty', limit: '5' }] });
    expect(fake.writes()).toHaveLength(0);
  });

  // T0 is Wednesday 2030-01-02 10:00 New York: mid-session.
  test.each([
    ['mid-session: the opening auction is over', T0, 'invalid'],
    ["before the open: it waits for today's auction", Date.parse('2030-01-02T13:00:00Z'), 'created'],
    ['after the close: for the next open', Date.parse('2030-01-02T22:00:00Z'), 'created'],
  ])('an opg order %s', async (_case, now, kind) => {
    const r = await place({ now, body: { ...LIMIT_BUY, time_in_force: 'opg' } });
    expect(r.kind).toBe(kind);
    if (kind === 'invalid') {
      expect(r).toMatchObject({ errors: [{ field: 'time_in_force', code: 'not_allowed' }] });
      expect(fake.writes()).toHaveLength(0);
      expect(risk).not.toHaveBeenCalled();
    }
  });

  test('a retried opg order placed before the open still gets its order after the open', async () => {
    const body = { ...LIMIT_BUY, time_in_force: 'opg', client_order_id: 'opg-1' };
    const first = await place({ now: Date.parse('2030-01-02T14:00:00Z'), body });
    const retry = await place({ now: T0, body });
    expect(first.kind).toBe('created');
    expect(retry).toMatchObject({
      kind: 'existing',
      order: { id: (first as { order: { id: string } }).order.id },
    });
  });

  test('an invalid request is refused before any I/O', async () => {
    const r = await place({ body: { ...LIMIT_BUY, limit_price: undefined } });
    expect(r).toMatchObject({ kind: 'invalid', errors: [{ field: 'limit_price', code: 'required' }] });
    expect(fake.mock.calls()).toHaveLength(0);
    expect(risk).not.toHaveBeenCalled();
  });
});

const recent = { symbol: 'AAPL', side: 'buy', type: 'limit', qty: '10', notional: null, limitPrice: '100' };

/**
 * A decision on the ledger's position waits for the fills a client has already seen
 * (orders/pending-executions.ts): CI saw a sell of 4, sent once GET showed its buy of 10 filled,
 * refused `short_sale` with "0 available" (the position keeper had not applied the buy when risk
 * read the ledger). Risk is read again when the ledger has moved since its read (at seq 1); a
 * decision the ledger does not weigh on waits for nothing.
 */
describe('placeOrder and the executions the ledger has not applied yet', () => {
  const SHORTING = { account: { shortingEnabled: true, tradingBlocked: false } };
  const NO_SHORT = { account: { shortingEnabled: false, tradingBlocked: false } };
  const SELL_4 = { symbol: 'AAPL', qty: '4', side: 'sell', type: 'market', time_in_force: 'day' };
  const BUY_10 = { ...LIMIT_BUY, qty: '10', limit_price: '100' };
  const submitted = () =>
    [...fake.table('events').values()].find((e) => e.type === 'OrderSubmitted') as
      | { data: { acceptedAgainst: { shortSale?: boolean } } }
      | undefined;
  // biome-ignore format: a table
  const rows: {
    name: string; body: Record<string, unknown>; stale: Partial<RiskContext>; fresh: Partial<RiskContext>;
    keeper: 'none' | 'applied' | 'timed_out'; seqAfter: number; awaited: unknown; kind: string; shortSale?: boolean;
  }[] = [
    { name: 'a no-short sell of shares just bought: placed once the buy is applied',
      body: SELL_4, stale: { ...NO_SHORT, positionQty: '0' }, fresh: { ...NO_SHORT, positionQty: '10' },
      keeper: 'applied', seqAfter: 2, awaited: { symbol: 'AAPL', side: 'buy' }, kind: 'created', shortSale: false },
    { name: 'the keeper applied the buy between the read and the wait (the race CI hit): read again',
      body: SELL_4, stale: { ...NO_SHORT, positionQty: '0' }, fresh: { ...NO_SHORT, positionQty: '10' },
      keeper: 'none', seqAfter: 2, awaited: { symbol: 'AAPL', side: 'buy' }, kind: 'created', shortSale: false },
    { name: 'a shorting account\'s sell of shares just bought: a long sale, not marked short',
      body: SELL_4, stale: { ...SHORTING, positionQty: '0' }, fresh: { ...SHORTING, positionQty: '10' },
      keeper: 'applied', seqAfter: 2, awaited: { symbol: 'AAPL', side: 'buy' }, kind: 'created', shortSale: false },
    { name: 'a short sale, the ledger unmoved: marked short as read',
      body: SELL_4, stale: { ...SHORTING, positionQty: '0' }, fresh: { ...SHORTING, positionQty: '10' },
      keeper: 'none', seqAfter: 1, awaited: { symbol: 'AAPL', side: 'buy' }, kind: 'created', shortSale: true },
    { name: 'a no-short sell whose buy the keeper has not applied in time: refused as read (the safe side)',
      body: SELL_4, stale: { ...NO_SHORT, positionQty: '0' }, fresh: { ...NO_SHORT, positionQty: '10' },
      keeper: 'timed_out', seqAfter: 1, awaited: { symbol: 'AAPL', side: 'buy' }, kind: 'risk_refused' },
    { name: 'a buy refused buying_power: placed once a sale\'s cash is applied',
      body: BUY_10, stale: { buyingPower: '500' }, fresh: { buyingPower: '5000' },
      keeper: 'applied', seqAfter: 2, awaited: { side: 'sell' }, kind: 'created' },
    { name: 'a long sell within the position waits for nothing',
      body: SELL_4, stale: { ...SHORTING, positionQty: '10' }, fresh: {},
      keeper: 'applied', seqAfter: 2, awaited: null, kind: 'created', shortSale: false },
  ];
  test.each(rows)('$name', async (row) => {
    risk
      .mockResolvedValueOnce({ ...riskInputs({}, row.stale), ledgerSeq: 1 })
      .mockResolvedValueOnce({ ...riskInputs({}, row.fresh), ledgerSeq: row.seqAfter });
    // The ledger a no-short sell's closing claims read (orders/position-availability.ts), as applied.
    fake.put('accounts', {
      pk: ledgerPk(ACCOUNT),
      seq: 2,
      cashFlow: '-1000',
      positions: { AAPL: { qty: '10', avgEntryPrice: '100', costBasis: '1000' } },
      dayTrades: [],
    });
    pendingExecutions.mockResolvedValue(row.keeper);
    ledgerSeq.mockResolvedValue(row.seqAfter);
    const r = await place({ body: row.body });
    expect(r.kind).toBe(row.kind);
    if (row.awaited === null) expect(pendingExecutions).not.toHaveBeenCalled();
    else expect(pendingExecutions.mock.calls[0]?.[3]).toEqual(row.awaited);
    expect(risk).toHaveBeenCalledTimes(row.awaited !== null && row.seqAfter !== 1 ? 2 : 1);
    if (row.shortSale !== undefined) expect(submitted()?.data.acceptedAgainst.shortSale).toBe(row.shortSale);
  });
});
