/**
 * `Accept order` with what the execution input carries (issue 12): the order's terms and what the
 * API checked it against (`OrderSubmitted.acceptedAgainst`) come with the input, so the re-check
 * reads only the account's open orders — not the event store, the account or the market — and
 * decides as the API did, as of the submission.
 */
import {
  BatchGetCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import {
  type AssetFacts,
  assetFactsOf,
  DEFAULT_RISK_LIMITS,
  defaultAsset,
  type OrderSubmitted,
} from '../../lambdas/core/index.js';
import { handler as acceptOrder } from '../../lambdas/order-lifecycle/accept-order.js';
import { carriedRecheckOf, executionInputOf } from '../../lambdas/orders/workflow-start.js';
import {
  appended,
  history,
  lambdaContext,
  marketHolds,
  SUBMITTED_AT,
  setEnv,
  spec,
  storeHolds,
  TABLES,
} from './fixtures.js';

const ddb = mockClient(DynamoDBDocumentClient);
const order = spec({ symbol: 'AAPL', qty: '100', side: 'buy', type: 'limit', limit_price: '100' });

const LISTED = assetFactsOf(defaultAsset('AAPL'));

/**
 * The execution input the signaller builds from an OrderSubmitted that recorded `acceptedAgainst`
 * (`asset` 'absent': recorded before the asset master, so without it).
 */
function inputWith(
  limits: Partial<typeof DEFAULT_RISK_LIMITS>,
  buyingPower: string | null = null,
  asset: AssetFacts | null | 'absent' = LISTED,
) {
  const submitted = history(order).events[0] as OrderSubmitted;
  return executionInputOf({
    ...submitted,
    data: {
      ...submitted.data,
      acceptedAgainst: {
        limits: { ...DEFAULT_RISK_LIMITS, ...limits },
        referencePrice: '100',
        buyingPower,
        ...(asset === 'absent' ? {} : { asset }),
      },
    },
  });
}

const accept = (input: ReturnType<typeof inputWith>) =>
  acceptOrder(
    {
      orderId: input.orderId,
      timeInForce: input.timeInForce,
      submittedAt: input.submittedAt,
      extendedHours: input.extendedHours,
      orderType: input.orderType,
      replacement: false,
      stage: 'new',
      execution: input,
    },
    lambdaContext,
  );

beforeEach(() => {
  ddb.reset();
  setEnv();
  ddb.on(QueryCommand, { TableName: TABLES.ORDERS_TABLE }).resolves({ Items: [] });
  ddb.on(PutCommand).resolves({});
});

/** The decision a rejected acceptance threw (`Decision.Rejected`, the decision as its message). */
async function rejectionOf(p: Promise<unknown>): Promise<{ next: string; reason: string }> {
  const err = await p.then(
    () => {
      throw new Error('expected the acceptance to throw its rejection');
    },
    (e: unknown) => e as Error,
  );
  expect(err.name).toBe('Decision.Rejected');
  return JSON.parse(err.message);
}

test('the input carries the re-check: no read of the event store, the account or the market', async () => {
  const input = inputWith({});
  expect(carriedRecheckOf(input.submitted)).toMatchObject({
    order,
    createdAt: new Date(SUBMITTED_AT).toISOString(),
    contingencyRole: null,
  });
  // Routed at submission (the smart order router): no venue yet.
  await expect(accept(input)).resolves.toMatchObject({ next: 'submit', venue: null });
  expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
  const queries = ddb.commandCalls(QueryCommand).map((c) => c.args[0].input);
  expect(queries.map((q) => [q.TableName, q.IndexName])).toEqual([[TABLES.ORDERS_TABLE, 'byAccountOpen']]);
});

test('it decides with the limits the API read (the account record is not consulted)', async () => {
  storeHolds(ddb, history(order).events); // the rejection is appended to the order
  // A rejection is thrown, for the workflow's Catch (accept-order.ts `answer`).
  const result = await rejectionOf(accept(inputWith({ maxOrderQty: '50' })));
  expect(result).toMatchObject({ next: 'rejected', reason: 'max_order_qty: qty 100 exceeds the limit 50' });
  expect(appended(ddb)).toMatchObject([{ type: 'OrderRejected', seq: 2 }]);
});

test('buying power as the API read it, against the open orders read now', async () => {
  storeHolds(ddb, history(order).events);
  ddb.on(QueryCommand, { TableName: TABLES.ORDERS_TABLE }).resolves({
    Items: [
      {
        order: {
          id: 'earlier',
          symbol: 'AAPL',
          side: 'buy',
          type: 'limit',
          status: 'new',
          qty: '50',
          limit_price: '100',
          filled_qty: '0',
          created_at: '2025-07-15T13:59:00.000Z',
        },
      },
    ],
  });
  // 100 x 100 + 50 x 100 open = 15,000 > 12,000.
  const result = await rejectionOf(accept(inputWith({}, '12000')));
  expect(result.next).toBe('rejected');
  expect(result.reason).toMatch(/^buying_power:/);
});

test('an execution without the carried re-check (started before the input had it) loads what it needs', async () => {
  storeHolds(ddb, history(order).events);
  marketHolds(ddb, (symbol) => ({ symbol, last: '100' }), undefined, [{ pk: 'account#acc-1' }]);
  const { submitted: _dropped, ...old } = inputWith({});
  await expect(accept(old)).resolves.toMatchObject({ next: 'submit' });
  expect(ddb.commandCalls(BatchGetCommand).length).toBeGreaterThan(0);
});

test('the asset facts the API read are carried: an unlisted symbol is rejected with no read', async () => {
  storeHolds(ddb, history(order).events);
  const result = await rejectionOf(accept(inputWith({}, null, null)));
  expect(result).toMatchObject({
    next: 'rejected',
    reason: 'unknown_asset: AAPL is not listed in the asset master',
  });
  expect(ddb.commandCalls(GetCommand)).toHaveLength(0);
});

test('an order recorded before the asset master: its re-check reads the asset (one GetItem), fail closed', async () => {
  storeHolds(ddb, history(order).events);
  marketHolds(
    ddb,
    () => undefined,
    (symbol) => ({ symbol, status: 'inactive' }),
  );
  const result = await rejectionOf(accept(inputWith({}, null, 'absent')));
  expect(result).toMatchObject({
    next: 'rejected',
    reason: 'asset_not_tradable: AAPL is not tradable: its status is inactive',
  });
  expect(ddb.commandCalls(GetCommand).map((c) => c.args[0].input.TableName)).toEqual([TABLES.ASSETS_TABLE]);
});

test("a bracket's exit, sent when its entry filled, is not refused on its placement's snapshot (no position then, its sibling holding the shares)", async () => {
  // An account that may not sell short: checked as of the placement (position 0), the sell exit
  // was a short sale and was rejected, leaving the entry's position unprotected (a probe).
  const exit = spec({ symbol: 'AAPL', qty: '7', side: 'sell', type: 'stop', stop_price: '70' });
  const submitted = history(exit).events[0] as OrderSubmitted;
  const input = executionInputOf({
    ...submitted,
    data: {
      ...submitted.data,
      contingency: {
        groupId: 'entry-1',
        orderClass: 'bracket',
        role: 'stop_loss',
        parentOrderId: 'entry-1',
        legOrderIds: [],
        held: false,
      },
      acceptedAgainst: {
        limits: DEFAULT_RISK_LIMITS,
        referencePrice: '100',
        buyingPower: '10000',
        positionQty: '0',
        shortingEnabled: false,
        asset: LISTED,
      },
    },
  });
  expect(carriedRecheckOf(input.submitted)).toMatchObject({ contingencyRole: 'stop_loss', exitLeg: true });
  // Not rejected: held (the OMS holds a bracket's stop-loss whatever the venue holds, below).
  await expect(accept(input)).rejects.toMatchObject({ name: 'Decision.HoldTrigger' });
  expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  expect(ddb.commandCalls(QueryCommand)).toHaveLength(0);
});

// docs/domain.md "Contingent orders": a bracket's or OCO's stop-loss is held by the OMS even when
// the venue holds stops (SIMX does here), so its trigger can wait for the sibling exit's cancel;
// the execution input says so (`groupHoldsTrigger`, a replacement's too); an OTO's exit goes as before.
test.each([
  ['bracket', 'stop_loss', 'Decision.HoldTrigger'],
  ['oco', 'stop_loss', 'Decision.HoldTrigger'],
  ['oto', 'stop_loss', null],
] as const)(
  "a %s's %s (the venue holds stops): thrown %s (null: it goes to the venue)",
  async (orderClass, role, thrown) => {
    const exit = spec({ symbol: 'AAPL', qty: '7', side: 'sell', type: 'stop', stop_price: '70' });
    const submitted = history(exit).events[0] as OrderSubmitted;
    const input = executionInputOf({
      ...submitted,
      data: {
        ...submitted.data,
        contingency: { groupId: 'g', orderClass, role, parentOrderId: 'g', legOrderIds: [], held: false },
      },
    });
    expect(input.groupHoldsTrigger).toBe(thrown === null ? undefined : true);
    // A replacement's input (no `submitted`) carries it too.
    const replacement = executionInputOf({
      ...submitted,
      data: {
        ...submitted.data,
        replaces: 'old',
        contingency: { groupId: 'g', orderClass, role, parentOrderId: 'g', legOrderIds: [], held: false },
      },
    });
    expect([replacement.submitted, replacement.groupHoldsTrigger]).toEqual([
      undefined,
      thrown === null ? undefined : true,
    ]);
    const run = acceptOrder(
      {
        orderId: replacement.orderId,
        timeInForce: replacement.timeInForce,
        submittedAt: replacement.submittedAt,
        extendedHours: replacement.extendedHours,
        orderType: replacement.orderType,
        replacement: true,
        stage: 'new',
        execution: replacement,
      },
      lambdaContext,
    );
    if (thrown === null) await expect(run).resolves.toMatchObject({ next: 'await' });
    else await expect(run).rejects.toMatchObject({ name: thrown });
  },
);
