/**
 * The algorithmic parent's workflow tasks as handlers (only e2e covered them): `Start algorithm`,
 * `Release slice` and `Finish algorithm`, against a mocked DynamoDB holding the parent's stream.
 * Each row states what the task appends and answers for one parent state.
 */
import { DynamoDBDocumentClient, GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as finishAlgorithm, SCHEDULE_ENDED } from '../../lambdas/algo-orders/finish-algorithm.js';
import { handler as releaseSlice } from '../../lambdas/algo-orders/release-slice.js';
import { handler as startAlgorithm } from '../../lambdas/algo-orders/start-algorithm.js';
import type { OrderCommand } from '../../lambdas/core/index.js';
import {
  appended,
  history,
  lambdaContext,
  SUBMITTED_AT,
  setEnv,
  spec,
  storeHolds,
  TABLES,
} from '../order-lifecycle/fixtures.js';

const ddb = mockClient(DynamoDBDocumentClient);
const MIN = 60_000;
const NOW = SUBMITTED_AT + 1000;

/** A TWAP parent over 5 minutes from its creation. */
const twap = spec({
  symbol: 'AAPL',
  qty: '100',
  side: 'buy',
  type: 'market',
  advanced_instructions: {
    algorithm: 'TWAP',
    start_time: new Date(SUBMITTED_AT).toISOString(),
    end_time: new Date(SUBMITTED_AT + 5 * MIN).toISOString(),
  },
});
const parentContingency = {
  groupId: 'ord-1',
  orderClass: 'algo',
  role: 'algo_parent',
  parentOrderId: null,
  legOrderIds: [],
  held: false,
} as const;

/** The parent's stream after `commands` (its submit carries the algo contingency). */
function parent(commands: readonly OrderCommand[] = []) {
  const { events } = history(twap, commands);
  const head = events[0] as unknown as { data: Record<string, unknown> };
  head.data = { ...head.data, contingency: parentContingency };
  return events;
}

beforeEach(() => {
  ddb.reset();
  setEnv();
  jest.spyOn(Date, 'now').mockReturnValue(NOW);
  ddb.on(PutCommand).resolves({});
  ddb.on(TransactWriteCommand).resolves({});
  ddb.on(GetCommand, { TableName: TABLES.MARKET_TABLE }).resolves({
    Item: { symbol: 'AAPL', bid: '99.99', ask: '100.01', last: '100', volume: '0' },
  });
});
afterEach(() => jest.restoreAllMocks());

describe('Start algorithm', () => {
  it('accepts the parent (no venue order id) and plans its slices over the window', async () => {
    storeHolds(ddb, parent());
    const result = await startAlgorithm({ orderId: 'ord-1' }, lambdaContext);
    expect(appended(ddb).map((e) => [e.type, e.data])).toEqual([['OrderAccepted', { venueOrderId: null }]]);
    expect(result.status).toBe('new');
    expect(result.windowEnd).toBe(new Date(SUBMITTED_AT + 5 * MIN).toISOString());
    expect(result.slices.length).toBeGreaterThan(0);
    // The plan covers the parent's quantity, in order, inside the window.
    const times = result.slices.map((s) => Date.parse(s.at));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(Math.min(...times)).toBeGreaterThanOrEqual(SUBMITTED_AT);
    expect(Math.max(...times)).toBeLessThanOrEqual(SUBMITTED_AT + 5 * MIN);
  });

  it('a retried start appends nothing and plans the same slices', async () => {
    storeHolds(ddb, parent());
    const first = await startAlgorithm({ orderId: 'ord-1' }, lambdaContext);
    ddb.resetHistory();
    storeHolds(ddb, parent([{ type: 'accept' }]));
    const again = await startAlgorithm({ orderId: 'ord-1' }, lambdaContext);
    expect(appended(ddb)).toEqual([]);
    expect(again.slices).toEqual(first.slices);
  });

  it.each([
    ['an order that is not in the event store', [] as const, 'OrderNotFound'],
    [
      'a simple order',
      history(spec({ symbol: 'AAPL', qty: '1', side: 'buy', type: 'market' })).events,
      'Error',
    ],
  ])('%s is an error the workflow sees by name', async (_name, events, name) => {
    storeHolds(ddb, [...events]);
    await expect(startAlgorithm({ orderId: 'ord-1' }, lambdaContext)).rejects.toMatchObject({ name });
  });
});

describe('Release slice', () => {
  it('releases a child order for the slice: the decision and the child opening in one write', async () => {
    storeHolds(ddb, parent([{ type: 'accept' }]));
    jest.spyOn(Date, 'now').mockReturnValue(SUBMITTED_AT + 2 * MIN);
    const result = await releaseSlice({ orderId: 'ord-1', index: 1 });
    expect(result).toMatchObject({ orderId: 'ord-1', index: 1, decision: 'released' });
    const writes = ddb.commandCalls(TransactWriteCommand);
    expect(writes).toHaveLength(1);
    const types = appended(ddb).map((e) => e.type);
    expect(types).toEqual(['OrderSliceDecided', 'OrderSubmitted']);
    const child = appended(ddb)[1] as unknown as {
      orderId: string;
      data: { contingency: { role: string; parentOrderId: string } };
    };
    expect(child.data.contingency).toMatchObject({ role: 'algo_child', parentOrderId: 'ord-1' });
  });

  it.each([
    [
      'canceled',
      [{ type: 'accept' }, { type: 'requestCancel', requestedBy: 'client' }, { type: 'confirmCancel' }],
    ],
    ['rejected', [{ type: 'reject', reason: 'risk' }]],
  ] as const)(
    'a %s parent stops the schedule (ScheduleStopped ends the Map), nothing appended',
    async (_s, commands) => {
      storeHolds(ddb, parent(commands as unknown as OrderCommand[]));
      await expect(releaseSlice({ orderId: 'ord-1', index: 1 })).rejects.toMatchObject({
        name: 'ScheduleStopped',
      });
      expect(appended(ddb)).toEqual([]);
    },
  );
});

describe('Finish algorithm', () => {
  it.each([
    [
      'working with a remainder: its cancel is requested, saying why',
      [{ type: 'accept' }],
      ['OrderCancelRequested'],
      'new',
    ],
    [
      'a cancel already outstanding: nothing more',
      [{ type: 'accept' }, { type: 'requestCancel', requestedBy: 'client' }],
      [],
      'new',
    ],
    ['already closed: nothing', [{ type: 'reject', reason: 'risk' }], [], 'rejected'],
  ] as const)('%s', async (_name, commands, types, status) => {
    storeHolds(ddb, parent(commands as unknown as OrderCommand[]));
    const result = await finishAlgorithm({ orderId: 'ord-1' }, lambdaContext);
    expect(appended(ddb).map((e) => e.type)).toEqual(types);
    if (types.length > 0) expect(appended(ddb)[0]?.data).toEqual({ requestedBy: SCHEDULE_ENDED });
    expect(result).toEqual({ orderId: 'ord-1', status });
  });

  it('an order that is not in the event store is OrderNotFound', async () => {
    storeHolds(ddb, []);
    await expect(finishAlgorithm({ orderId: 'ord-1' }, lambdaContext)).rejects.toMatchObject({
      name: 'OrderNotFound',
    });
  });
});
