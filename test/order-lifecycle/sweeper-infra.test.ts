/**
 * The stalled-workflow sweeper and the publisher's markers in the synthesized stack: the sparse GSI,
 * the one-minute schedule, and least-privilege grants.
 */
import { ENV } from '../../lambdas/platform/config.js';
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

const SWEEPER = 'oms-start-stalled-workflows';

describe('stalled-workflow sweeper', () => {
  test('the orders table has the sparse byPendingNew index (keys only)', () => {
    const orders = ofType('AWS::DynamoDB::Table').find(([, t]) =>
      (t.Properties.GlobalSecondaryIndexes ?? []).some((g: Json) => g.IndexName === 'byAccount'),
    );
    const gsi = ((orders?.[1].Properties.GlobalSecondaryIndexes ?? []) as Json[]).find(
      (g) => g.IndexName === 'byPendingNew',
    );
    expect(gsi).toEqual({
      IndexName: 'byPendingNew',
      KeySchema: [
        { AttributeName: 'awaitingWorkflow', KeyType: 'HASH' },
        { AttributeName: 'createdKey', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'KEYS_ONLY' },
    });
  });

  test('runs every minute, without retries (the next run sweeps again)', () => {
    const fnId = functionId(SWEEPER);
    const rules = ofType('AWS::Events::Rule').filter(([, r]) =>
      (r.Properties.Targets ?? []).some((t: Json) => getAttId(t.Arn) === fnId),
    );
    expect(rules).toHaveLength(1);
    const rule = rules[0]?.[1].Properties as Json;
    expect(rule.ScheduleExpression).toBe('rate(1 minute)');
    expect(rule.Targets[0].RetryPolicy?.MaximumRetryAttempts).toBe(0);
  });

  test('may read the orders table and the event store, and only start executions of the order workflows', () => {
    const fnId = functionId(SWEEPER);
    const vars = resources[fnId]?.Properties.Environment.Variables as Json;
    const machines = ofType('AWS::StepFunctions::StateMachine').map(([id]) => id);
    const smId = machines.find((id) => id.startsWith('OrderLifecycle')) as string;
    const algoSm = machines.find((id) => id.startsWith('AlgoOrders')) as string;
    expect(refId(vars[ENV.algoOrderStateMachineArn])).toBe(algoSm);
    expect(refId(vars[ENV.stateMachineArn])).toBe(smId);
    const ordersId = refId(vars[ENV.ordersTable]) as string;
    const eventsId = refId(vars[ENV.eventStoreTable]) as string;
    expect(vars[ENV.idempotencyTable]).toBeUndefined();

    const statements = statementsOf(fnId);
    const actionsOn = (ref: string) =>
      statements
        .filter((s) => resourceRefs(s).includes(ref))
        .flatMap((s) => asList(s.Action as string | string[]));
    for (const table of [ordersId, eventsId]) {
      const actions = actionsOn(`${table}.Arn`);
      expect(actions).toEqual(expect.arrayContaining(['dynamodb:Query', 'dynamodb:GetItem']));
      for (const a of actions) expect(a).not.toMatch(/Put|Update|Delete|BatchWrite/);
    }
    // Step Functions: StartExecution on the two order state machines (lifecycle, algorithmic
    // parents), nothing else, nowhere else.
    const sfn = statements.filter((s) =>
      asList(s.Action as string | string[]).some((a) => a.startsWith('states:')),
    );
    // (cdk.json's `minimizePolicies`, as deployed, merges the two statements into one.)
    expect([...new Set(sfn.flatMap((s) => asList(s.Action)))]).toEqual(['states:StartExecution']);
    expect(sfn.flatMap(resourceRefs).sort()).toEqual([`${smId}.Ref`, `${algoSm}.Ref`].sort());
  });
});

describe('no publisher markers (issue 12)', () => {
  // Since issue 13 the order stream writes the idempotency table, for the position keeper's
  // applied markers (one per execution, inside its ledger transaction); it never reads it: the
  // publisher keeps no "published" markers.
  test('the order stream may write the idempotency table but not read it', () => {
    const fnId = functionId('oms-order-stream');
    const tableId = refId(
      resources[functionId('oms-create-order')]?.Properties.Environment.Variables[ENV.idempotencyTable],
    ) as string;
    expect(resources[tableId]?.Type).toBe('AWS::DynamoDB::Table');
    const actions = statementsOf(fnId)
      .filter((s) => resourceRefs(s).includes(`${tableId}.Arn`))
      .flatMap((s) => asList(s.Action as string | string[]));
    expect(actions).toContain('dynamodb:PutItem');
    expect(actions.filter((a) => /Get|Query|Scan/.test(a))).toEqual([]);
  });
});
