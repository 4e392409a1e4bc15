/**
 * The operator controls' storage (lambdas/orders/trading-controls.ts) against the real DynamoDB
 * Local, the bus mocked: a change is recorded with its event in one transaction, then published.
 * When the publish is lost (PutEvents fails after the commit: the operator gets a 500), the
 * operator's retry of the same request finds the change recorded and publishes its event then,
 * once: a later retry sends nothing again. Both versioned controls (the kill switch's trading
 * state and the aggregate limits policy, issue 16) keep that promise.
 */
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import {
  type ControlScope,
  changeLimitsPolicy,
  changeTradingState,
  LIMITS_POLICY_CHANGED,
  TRADING_STATE_CHANGED,
} from '../../lambdas/orders/trading-controls.js';
import { dynamoDbLocalWith, table } from '../local/fixtures/dynamodb-tables.js';

const local = dynamoDbLocalWith([table('accounts', 'pk')]);
const bus = mockClient(EventBridgeClient);
afterAll(() => bus.restore());

let accounts = 0;
async function newAccount(): Promise<ControlScope> {
  const accountId = `acct-${++accounts}`;
  await local.doc.send(new PutCommand({ TableName: 'accounts', Item: { pk: `account#${accountId}` } }));
  return { scope: 'account', accountId };
}

const deps = () => ({ doc: local.doc, table: 'accounts', busName: 'oms' });
const AT = '2026-12-05T15:00:00.000Z';

const controls = [
  {
    control: 'trading state',
    detailType: TRADING_STATE_CHANGED,
    eventPk: (accountId: string) => `trading-state-event#trading-state:account:${accountId}:1`,
    change: (scope: ControlScope) =>
      changeTradingState(
        deps(),
        scope,
        { state: 'HALTED', reason: 'runaway strategy', changedBy: 'ops-1', at: AT },
        'req-1',
      ),
  },
  {
    control: 'limits policy',
    detailType: LIMITS_POLICY_CHANGED,
    eventPk: (accountId: string) => `limits-policy-event#limits-policy:account:${accountId}:1`,
    change: (scope: ControlScope) =>
      changeLimitsPolicy(
        deps(),
        scope,
        { daily_notional: '1000000', open_exposure: null, modifies_per_second: 5 },
        'ops-1',
        AT,
        'req-1',
      ),
  },
] as const;

const published = (detailType: string) =>
  bus
    .commandCalls(PutEventsCommand)
    .flatMap((c) => c.args[0].input.Entries ?? [])
    .filter((e) => e.DetailType === detailType);

describe.each(controls)('$control', ({ detailType, eventPk, change }) => {
  beforeEach(() => bus.reset());

  test('a publish lost after the commit is made by the retry, once', async () => {
    const scope = await newAccount();
    if (scope.scope !== 'account') throw new Error('an account scope');
    bus
      .on(PutEventsCommand)
      .resolvesOnce({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] })
      .resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });

    await expect(change(scope)).rejects.toThrow(`${detailType} not published`);
    const recorded = await local.doc.send(
      new GetCommand({ TableName: 'accounts', Key: { pk: eventPk(scope.accountId) }, ConsistentRead: true }),
    );
    expect(recorded.Item).toMatchObject({ type: detailType });
    expect(recorded.Item?.published).toBeUndefined();

    // The operator retries the same request: the change is recorded, its event goes out now.
    await expect(change(scope)).resolves.toMatchObject({ kind: 'unchanged' });
    // And once only: a further retry sends nothing.
    await expect(change(scope)).resolves.toMatchObject({ kind: 'unchanged' });

    const entries = published(detailType);
    expect(entries).toHaveLength(2); // the failed attempt, then the retry's
    const details = entries.map((e) => JSON.parse(e.Detail ?? '{}') as { eventId: string });
    expect(new Set(details.map((d) => d.eventId)).size).toBe(1);
    const after = await local.doc.send(
      new GetCommand({ TableName: 'accounts', Key: { pk: eventPk(scope.accountId) }, ConsistentRead: true }),
    );
    expect(after.Item?.published).toBe(true);
  });

  test('a change published at once is not published again by a retry', async () => {
    const scope = await newAccount();
    bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
    await expect(change(scope)).resolves.toMatchObject({ kind: 'changed' });
    await expect(change(scope)).resolves.toMatchObject({ kind: 'unchanged' });
    expect(published(detailType)).toHaveLength(1);
  });
});

/**
 * Concurrent operators (a probe's 20 parallel PUTs got 15 x 500): each change is recorded exactly
 * once, in some serial order, the losers deciding again over the winner's version (no lost update,
 * no error); a change equal to the state in force records nothing.
 */
describe('concurrent changes of one scope', () => {
  const WRITERS = 25;
  beforeEach(() => {
    bus.reset();
    bus.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });
  });

  const stateOf = async (pk: string) =>
    (await local.doc.send(new GetCommand({ TableName: 'accounts', Key: { pk }, ConsistentRead: true }))).Item;

  test.each([
    ['an account', newAccount],
    ['the firm', async (): Promise<ControlScope> => ({ scope: 'firm' })],
  ])(
    `${WRITERS} trading states with different reasons on %s all land, versions 1..${WRITERS}`,
    async (_s, scopeOf) => {
      const scope = await scopeOf();
      const pk = scope.scope === 'firm' ? 'firm#controls' : `account#${scope.accountId}`;
      const before = ((await stateOf(pk))?.tradingState?.version as number | undefined) ?? 0;
      const outcomes = await Promise.all(
        Array.from({ length: WRITERS }, (_, i) =>
          changeTradingState(
            deps(),
            scope,
            {
              state: i % 2 === 0 ? 'REDUCING' : 'ACTIVE',
              reason: `operator ${i}`,
              changedBy: `ops-${i}`,
              at: AT,
            },
            `req-${i}`,
          ),
        ),
      );
      expect(outcomes.map((o) => o.kind)).toEqual(Array(WRITERS).fill('changed'));
      const versions = outcomes.map((o) => (o.kind === 'not_found' ? 0 : o.record.version));
      expect([...versions].sort((a, b) => a - b)).toEqual(
        Array.from({ length: WRITERS }, (_, i) => before + i + 1),
      );
      expect((await stateOf(pk))?.tradingState?.version).toBe(before + WRITERS);
      expect(published(TRADING_STATE_CHANGED)).toHaveLength(WRITERS);
    },
    60_000,
  );

  // biome-ignore format: a table
  test.each([
    // what, each writer's body, changes, events published (an unchanged answer publishes the recorded event again)
    [`${WRITERS} limits policies with different limits all land, versions 1..${WRITERS}`, (i: number) => ({ daily_notional: `${1000 + i}`, open_exposure: null, modifies_per_second: null }), WRITERS, WRITERS],
    [`${WRITERS} identical limits policies: one change, the others unchanged, version 1`, () => ({ daily_notional: '5000', open_exposure: '100', modifies_per_second: 2, symbols: { MSFT: { price_collar_percent: '5' }, AAPL: { max_order_qty: '10' } } }), 1, null],
  ] as const)('%s', async (_name, bodyOf, changes, publishedCount) => {
    const scope = await newAccount();
    if (scope.scope !== 'account') throw new Error('an account scope');
    const outcomes = await Promise.all(
      Array.from({ length: WRITERS }, (_, i) =>
        changeLimitsPolicy(deps(), scope, bodyOf(i), `ops-${i}`, AT, `req-${i}`),
      ),
    );
    expect(outcomes.filter((o) => o.kind === 'changed')).toHaveLength(changes);
    expect(outcomes.filter((o) => o.kind === 'unchanged')).toHaveLength(WRITERS - changes);
    expect((await stateOf(`account#${scope.accountId}`))?.limitsPolicy?.version).toBe(changes);
    if (publishedCount !== null) expect(published(LIMITS_POLICY_CHANGED)).toHaveLength(publishedCount);
  }, 60_000);
});
