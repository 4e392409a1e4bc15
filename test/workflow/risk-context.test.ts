import { DynamoDBDocumentClient, GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { DEFAULT_RISK_LIMITS } from '../../lambdas/core/index.js';
import { loadRiskInputs, referencePriceOf } from '../../lambdas/shared/risk-context.js';
import { SUBMITTED_AT, setEnv, spec, TABLES } from './fixtures.js';

const ddb = mockClient(DynamoDBDocumentClient);
const iso = (ms: number) => new Date(ms).toISOString();
const view = (o: Record<string, unknown>) => ({
  order: {
    side: 'buy',
    type: 'limit',
    status: 'new',
    created_at: iso(SUBMITTED_AT - 60_000),
    filled_qty: '0',
    ...o,
  },
});

beforeEach(() => {
  ddb.reset();
  setEnv();
});

it.each<[Record<string, unknown> | undefined, string | null]>([
  [{ last: '101.5', bid: '100', ask: '103' }, '101.5'],
  [{ bid: '100', ask: '100.01' }, '100.005'],
  [{ bid: '100' }, null],
  [undefined, null],
])('reference price of %j is %s', (quote, expected) => {
  expect(referencePriceOf(quote)).toBe(expected);
});

it('merges the account limits over the defaults and values open buys and recent orders', async () => {
  ddb.on(GetCommand, { TableName: TABLES.ACCOUNTS_TABLE }).resolves({
    Item: {
      pk: 'account#acc-1',
      riskLimits: { maxOrderQty: 500, restrictedSymbols: ['GME'] },
      buyingPower: '50000',
    },
  });
  ddb
    .on(GetCommand, { TableName: TABLES.MARKET_TABLE, Key: { symbol: 'AAPL' } })
    .resolves({ Item: { last: '100' } });
  ddb
    .on(GetCommand, { TableName: TABLES.MARKET_TABLE, Key: { symbol: 'MSFT' } })
    .resolves({ Item: { last: '400' } });
  ddb.on(QueryCommand, { IndexName: 'byAccountStatus' }).resolves({
    Items: [
      view({ id: 'a', symbol: 'AAPL', qty: '10', limit_price: '99', filled_qty: '4' }), // 6 x 99 = 594
      view({ id: 'b', symbol: 'MSFT', type: 'market', qty: '2' }), // 2 x 400 = 800
      view({
        id: 'c',
        symbol: 'AAPL',
        type: 'market',
        notional: '1000',
        filled_qty: '5',
        filled_avg_price: '100',
      }), // 500
      view({ id: 'd', symbol: 'AAPL', side: 'sell', qty: '100', limit_price: '100' }), // sells reserve nothing
    ],
  });
  ddb.on(QueryCommand, { IndexName: 'byAccount' }).resolves({
    Items: [
      view({ id: 'r1', symbol: 'AAPL', qty: '1', limit_price: '99', created_at: iso(SUBMITTED_AT - 1000) }),
      view({ id: 'r2', symbol: 'AAPL', qty: '1', status: 'rejected', created_at: iso(SUBMITTED_AT - 500) }),
    ],
  });
  const { limits, context } = await loadRiskInputs(
    'acc-1',
    spec({ symbol: 'AAPL', qty: '1', side: 'buy', type: 'market' }),
    SUBMITTED_AT,
  );
  expect(limits).toEqual({ ...DEFAULT_RISK_LIMITS, maxOrderQty: '500', restrictedSymbols: ['GME'] });
  expect(context).toMatchObject({ referencePrice: '100', buyingPower: '50000', openBuyExposure: '1894' });
  expect(context.recentOrders.map((r) => r.limitPrice)).toEqual(['99']);
  const recentQuery = ddb.commandCalls(QueryCommand, { IndexName: 'byAccount' })[0]?.args[0].input;
  expect(recentQuery?.ExpressionAttributeValues).toEqual({
    ':a': 'acc-1',
    ':from': iso(SUBMITTED_AT - 2000),
  });
});

it('an account without a record gets the defaults and unlimited buying power', async () => {
  ddb.on(GetCommand).resolves({});
  ddb.on(QueryCommand).resolves({ Items: [] });
  const { limits, context } = await loadRiskInputs(
    'acc-1',
    spec({ symbol: 'AAPL', qty: '1', side: 'buy', type: 'market' }),
    SUBMITTED_AT,
  );
  expect(limits).toEqual(DEFAULT_RISK_LIMITS);
  expect(context).toMatchObject({
    referencePrice: null,
    buyingPower: null,
    openBuyExposure: '0',
    recentOrders: [],
  });
});
