/**
 * The held-trigger watcher in the synthesized stack: the sparse `byArmedSymbol` index, the
 * one-minute schedule, and least-privilege grants (read the orders view and the market, read and
 * append to the event store).
 */

import { ARMED_INDEX } from '../../lambdas/held-triggers/watch-held-triggers.js';
import { ENV } from '../../lambdas/platform/config.js';
import { HANDLERS } from '../../lib/handlers.js';
import { omsTemplate } from '../infra/synthesized.js';
import {
  asList,
  getAttId,
  type Json,
  refId,
  resourceRefs,
  templateQueries,
} from '../infra/template-queries.js';

let resources: Record<string, Json>;

beforeAll(async () => {
  resources = (await omsTemplate()).Resources as Record<string, Json>;
});

const { ofType, functionId, statementsOf } = templateQueries(() => resources);

const WATCHER = 'oms-watch-held-triggers';

const watcherId = (): string => functionId(WATCHER);

describe('held-trigger watcher', () => {
  test('the orders table has the sparse byArmedSymbol index (projection ALL: the watcher reads the terms)', () => {
    const orders = ofType('AWS::DynamoDB::Table').find(([, t]) =>
      (t.Properties.GlobalSecondaryIndexes ?? []).some((g: Json) => g.IndexName === 'byAccount'),
    );
    const gsi = ((orders?.[1].Properties.GlobalSecondaryIndexes ?? []) as Json[]).find(
      (g) => g.IndexName === ARMED_INDEX,
    );
    expect(gsi).toEqual({
      IndexName: 'byArmedSymbol',
      KeySchema: [
        { AttributeName: 'armedSymbol', KeyType: 'HASH' },
        { AttributeName: 'createdKey', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    });
  });

  test('runs the watchHeldTriggers entry every minute, without retries (the next run checks again)', () => {
    const fnId = watcherId();
    expect(resources[fnId]?.Metadata?.['oms:entry']).toBe(HANDLERS.watchHeldTriggers);
    // Under the period, so runs rarely overlap.
    expect(resources[fnId]?.Properties.Timeout).toBeLessThan(60);
    const rules = ofType('AWS::Events::Rule').filter(([, r]) =>
      (r.Properties.Targets ?? []).some((t: Json) => getAttId(t.Arn) === fnId),
    );
    expect(rules).toHaveLength(1);
    const rule = rules[0]?.[1].Properties as Json;
    expect(rule.ScheduleExpression).toBe('rate(1 minute)');
    expect(rule.EventPattern).toBeUndefined();
    expect(rule.Targets[0].RetryPolicy?.MaximumRetryAttempts).toBe(0);
  });

  test('reads the orders view and the market, reads and appends to the event store, nothing else', () => {
    const fnId = watcherId();
    const vars = resources[fnId]?.Properties.Environment.Variables as Json;
    const ordersId = refId(vars[ENV.ordersTable]) as string;
    const marketId = refId(vars[ENV.marketTable]) as string;
    const eventsId = refId(vars[ENV.eventStoreTable]) as string;
    expect(resources[ordersId]?.Properties.GlobalSecondaryIndexes).toBeDefined();
    expect(resources[marketId]?.Properties.KeySchema).toEqual([{ AttributeName: 'symbol', KeyType: 'HASH' }]);
    expect(resources[eventsId]?.Properties.StreamSpecification).toEqual({ StreamViewType: 'NEW_IMAGE' });

    const statements = statementsOf(fnId);
    const actionsOn = (ref: string) =>
      statements
        .filter((s) => resourceRefs(s).includes(ref))
        .flatMap((s) => asList(s.Action as string | string[]));
    for (const [table, needed] of [
      [ordersId, 'dynamodb:Scan'],
      [marketId, 'dynamodb:BatchGetItem'],
    ] as const) {
      const actions = actionsOn(`${table}.Arn`);
      expect(actions).toContain(needed);
      for (const a of actions) expect(a).not.toMatch(/Put|Update|Delete|BatchWrite/);
    }
    expect(actionsOn(`${eventsId}.Arn`)).toEqual(
      expect.arrayContaining(['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:ConditionCheckItem']),
    );
    // Only those three tables (and X-Ray / its own logs): no bus, no state machine, no other table.
    const tableIds = new Set(ofType('AWS::DynamoDB::Table').map(([id]) => id));
    const tablesGranted = new Set(
      statements
        .flatMap(resourceRefs)
        .map((r) => r.split('.')[0] as string)
        .filter((id) => tableIds.has(id)),
    );
    expect([...tablesGranted].sort()).toEqual([ordersId, marketId, eventsId].sort());
    const services = new Set(
      statements.flatMap((s) => asList(s.Action as string | string[])).map((a) => a.split(':')[0]),
    );
    expect([...services].sort()).toEqual(['dynamodb', 'logs', 'xray']);
  });
});
