/**
 * GET /v2/account/activities' `page_token` (lambdas/order-api/account.ts): an activity id of the
 * account continues the list after it; a well-formed id that is none of its activities is a 400
 * naming `page_token` (a probe's far-future id listed everything). The account's position stream
 * is read by its seq range, answered here from the fake's events table.
 */
import './env.js';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { activityId, type PositionChanged, type PositionChangedData } from '../../lambdas/core/index.js';
import { handler } from '../../lambdas/order-api/account.js';
import { toStoredPositionEvent } from '../../lambdas/orders/account-ledger.js';
import { FakeDynamo } from './fake-dynamo.js';
import { ACCOUNT, apiEvent, OTHER_ACCOUNT, parse, T0 } from './fixtures.js';

const fake = new FakeDynamo();

/** The account's fill number `seq`, `seq` seconds after T0. */
const fill = (accountId: string, seq: number): PositionChanged => ({
  type: 'PositionChanged',
  accountId,
  seq,
  occurredAt: new Date(T0 + seq * 1000).toISOString(),
  data: {
    orderId: `o-${seq}`,
    transactionTime: new Date(T0 + seq * 1000).toISOString(),
    symbol: 'AAPL',
    side: 'buy',
    qty: '1',
    price: '100',
    cumQty: '1',
    leavesQty: '0',
    orderStatus: 'filled',
  } as unknown as PositionChangedData,
});
const fills = [1, 2, 3].map((seq) => fill(ACCOUNT, seq));

beforeEach(() => {
  fake.reset();
  for (const e of fills) fake.put('events', { ...toStoredPositionEvent(e) });
  // The position stream's range query (lambdas/orders/account-ledger.ts positionEvents).
  fake.mock
    .on(QueryCommand, {
      TableName: 'events',
      KeyConditionExpression: 'orderId = :k AND seq BETWEEN :a AND :b',
    })
    .callsFake(async (input) => {
      const v = input.ExpressionAttributeValues;
      const items = [...fake.table('events').values()]
        .filter((i) => i.orderId === v[':k'] && (i.seq as number) >= v[':a'] && (i.seq as number) <= v[':b'])
        .sort(
          (a, b) => ((a.seq as number) - (b.seq as number)) * (input.ScanIndexForward === false ? -1 : 1),
        );
      return { Items: items.slice(0, input.Limit) };
    });
  jest.spyOn(Date, 'now').mockReturnValue(T0 + 60_000);
});
afterEach(() => jest.restoreAllMocks());

const list = (query: Record<string, string>) =>
  handler(apiEvent({ routeKey: 'GET /v2/account/activities', query }));

test.each([
  { direction: 'desc', after: 3, listed: ['o-2', 'o-1'] },
  { direction: 'asc', after: 1, listed: ['o-2', 'o-3'] },
])(
  'page_token of an activity ($direction): the page continues after it',
  async ({ direction, after, listed }) => {
    const res = await list({ direction, page_token: activityId(fills[after - 1] as PositionChanged) });
    expect(res.statusCode).toBe(200);
    expect(parse(res.body).map((a: { order_id: string }) => a.order_id)).toEqual(listed);
  },
);

// biome-ignore format: a table
test.each([
  ['past the last activity', '99999999999999999::999999999999', 'desc'],
  ['past the last activity, asc', '99999999999999999::999999999999', 'asc'],
  ['a seq of the account, another time', '20000101000000000::000000000002', 'desc'],
  ['another account\'s 4th activity', activityId(fill(OTHER_ACCOUNT, 4)), 'desc'],
  ['malformed', 'abc', 'desc'],
])('page_token %s -> 400 naming page_token, not a page', async (_, page_token, direction) => {
  const res = await list({ page_token, direction });
  expect(res.statusCode).toBe(400);
  expect(parse(res.body)).toMatchObject({
    code: 40010001,
    message: 'page_token: is not an activity id of this account',
  });
});

const at = (seq: number) => new Date(T0 + seq * 1000).toISOString();
// Alpaca's words: activities "after" and "before" the time given. Exclusive, as GET /v2/orders'
// bounds: a bot polling `after=<the newest transaction_time it saw>` is not handed that one again,
// and windows stitched at one time count its activity once (a probe: both bounds included it).
// biome-ignore format: a table
test.each([
  ['after is exclusive',                 { after: at(1) },                  ['o-2', 'o-3']],
  ['until is exclusive',                 { until: at(3) },                  ['o-1', 'o-2']],
  ['between after and until',            { after: at(1), until: at(3) },    ['o-2']],
  ['windows stitched at one time',       { after: at(2), until: at(2) },    []],
])('%s', async (_case, bounds, listed) => {
  const res = await list({ direction: 'asc', ...bounds });
  expect(res.statusCode).toBe(200);
  expect(parse(res.body).map((a: { order_id: string }) => a.order_id)).toEqual(listed);
});

test('until below the millisecond takes an activity at the millisecond it is after (.690 < .6900001)', async () => {
  // A probe: until=...0010001Z left out the activity at ...001Z (the bound was cut to the ms, then exclusive).
  const sub = (seq: number, below: string) => `${at(seq).slice(0, -1)}${below}Z`;
  for (const [until, listed] of [
    [sub(2, '0001'), ['o-1', 'o-2']],
    [sub(2, '5'), ['o-1', 'o-2']],
    [sub(2, '0000'), ['o-1']],
  ] as const) {
    const res = await list({ direction: 'asc', until });
    expect(parse(res.body).map((a: { order_id: string }) => a.order_id)).toEqual(listed);
  }
});
