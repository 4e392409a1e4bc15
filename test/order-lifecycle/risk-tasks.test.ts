import { DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { handler as askGuardian } from '../../lambdas/order-lifecycle/ask-risk-guardian.js';
import { handler as checkRisk } from '../../lambdas/order-lifecycle/check-pre-trade-risk.js';
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

function marketAndAccount(account: Record<string, unknown> = {}, orders: Record<string, unknown>[] = []) {
  marketHolds(ddb, (symbol) => ({ symbol, last: '100' }), undefined, [{ pk: 'account#acc-1', ...account }]);
  ddb
    .on(QueryCommand, { TableName: TABLES.ORDERS_TABLE })
    .resolves({ Items: orders.map((o) => ({ order: o })) });
  ddb.on(PutCommand).resolves({});
}

beforeEach(() => {
  ddb.reset();
  setEnv();
});

describe('check-pre-trade-risk', () => {
  it('accepts an order within the limits and appends nothing', async () => {
    storeHolds(ddb, history(order).events);
    marketAndAccount();
    await expect(checkRisk({ orderId: 'ord-1' }, lambdaContext)).resolves.toMatchObject({
      decision: 'accepted',
      riskGuardian: false,
    });
    expect(appended(ddb)).toEqual([]);
  });

  it('rejects an order over the account limit with a reason naming the rule and the limit', async () => {
    storeHolds(ddb, history(order).events);
    marketAndAccount({ riskLimits: { maxOrderQty: '50' } });
    const result = await checkRisk({ orderId: 'ord-1' }, lambdaContext);
    expect(result.decision).toBe('rejected');
    const events = appended(ddb);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'OrderRejected',
      seq: 2,
      data: { reason: 'max_order_qty: qty 100 exceeds the limit 50' },
      causationId: 'workflow:check-pre-trade-risk:req-1',
    });
  });

  it('does not take the order for its own duplicate, nor count it as open exposure', async () => {
    storeHolds(ddb, history(order).events);
    const self = {
      id: 'ord-1',
      symbol: 'AAPL',
      side: 'buy',
      type: 'limit',
      status: 'pending_new',
      qty: '100',
      limit_price: '100',
      created_at: new Date(SUBMITTED_AT).toISOString(),
    };
    const later = { ...self, id: 'ord-2', created_at: new Date(SUBMITTED_AT + 500).toISOString() };
    marketAndAccount({ buyingPower: '10000' }, [self, later]);
    // ord-2 is a twin submitted after ord-1: it is ord-2 that is the duplicate, not ord-1. The
    // re-check is made as of ord-1's submission, so the later ord-2 is not ord-1's exposure either
    // (risk-context `exposure: 'before_self'`): the buying power (10,000) covers ord-1 alone.
    const result = await checkRisk({ orderId: 'ord-1' }, lambdaContext);
    expect(result.refusals.map((r) => r.message)).toEqual([]);
    expect(result.decision).toBe('accepted');
  });

  it('says rejected again on a retry after the rejection was written', async () => {
    storeHolds(ddb, history(order, [{ type: 'reject', reason: 'x' }]).events);
    marketAndAccount();
    await expect(checkRisk({ orderId: 'ord-1' }, lambdaContext)).resolves.toMatchObject({
      decision: 'rejected',
    });
    expect(appended(ddb)).toEqual([]);
  });

  it('asks for the Risk Guardian when one is configured', async () => {
    process.env.RISK_GUARDIAN_URL = 'https://guardian.example/check';
    storeHolds(ddb, history(order).events);
    marketAndAccount();
    await expect(checkRisk({ orderId: 'ord-1' }, lambdaContext)).resolves.toMatchObject({
      riskGuardian: true,
    });
  });

  it('throws on a malformed payload or an unknown order (the Catch records it)', async () => {
    await expect(checkRisk({}, lambdaContext)).rejects.toThrow(/malformed payload/);
    storeHolds(ddb, []);
    await expect(checkRisk({ orderId: 'nope' }, lambdaContext)).rejects.toThrow(/not in the event store/);
  });
});

describe('ask-risk-guardian', () => {
  const fetchMock = jest.spyOn(globalThis, 'fetch');
  const answer = (status: number, body: unknown) =>
    fetchMock.mockResolvedValueOnce(new Response(JSON.stringify(body), { status }));
  afterAll(() => fetchMock.mockRestore());
  beforeEach(() => {
    fetchMock.mockReset();
    process.env.RISK_GUARDIAN_URL = 'https://guardian.example/check';
    storeHolds(ddb, history(order).events);
    ddb.on(PutCommand).resolves({});
  });

  it('goes on only on an explicit approval, and sends the order', async () => {
    answer(200, { approved: true });
    await expect(askGuardian({ orderId: 'ord-1' }, lambdaContext)).resolves.toEqual({
      decision: 'approved',
      reason: null,
    });
    expect(appended(ddb)).toEqual([]);
    const [url, init] = fetchMock.mock.calls[0] as [string, RequestInit];
    expect(url).toBe('https://guardian.example/check');
    expect(JSON.parse(String(init.body))).toMatchObject({
      orderId: 'ord-1',
      order: { symbol: 'AAPL', qty: '100' },
    });
    expect(init.signal).toBeInstanceOf(AbortSignal);
  });

  it.each<[string, () => void, string]>([
    [
      'a refusal',
      () => answer(200, { approved: false, reason: 'concentration' }),
      'risk_guardian: refused (200: concentration)',
    ],
    ['an error status', () => answer(503, { message: 'down' }), 'risk_guardian: refused (503)'],
    ['approved as a string', () => answer(200, { approved: 'true' }), 'risk_guardian: refused (200)'],
    [
      'no answer in time',
      () => fetchMock.mockRejectedValueOnce(Object.assign(new Error('timeout'), { name: 'TimeoutError' })),
      'risk_guardian: no answer within 3000 ms',
    ],
    [
      'a network error',
      () => fetchMock.mockRejectedValueOnce(new TypeError('fetch failed')),
      'risk_guardian: unreachable (TypeError)',
    ],
    [
      'a body that is not JSON',
      () => fetchMock.mockResolvedValueOnce(new Response('ok', { status: 200 })),
      'risk_guardian: answered 200 without a JSON body',
    ],
  ])('fails closed on %s', async (_name, arrange, reason) => {
    arrange();
    await expect(askGuardian({ orderId: 'ord-1' }, lambdaContext)).resolves.toEqual({
      decision: 'rejected',
      reason,
    });
    expect(appended(ddb)).toEqual([expect.objectContaining({ type: 'OrderRejected', data: { reason } })]);
  });

  it('fails closed when no guardian is configured', async () => {
    delete process.env.RISK_GUARDIAN_URL;
    await expect(askGuardian({ orderId: 'ord-1' }, lambdaContext)).resolves.toMatchObject({
      decision: 'rejected',
    });
    expect(fetchMock).not.toHaveBeenCalled();
  });
});
