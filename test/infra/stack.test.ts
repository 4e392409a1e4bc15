/**
 * The synthesized OMS stack: what the contract (docs/aws.md) and the security posture require.
 * The stack is synthesized once without bundling (context aws:cdk:bundling-stacks = []), and once
 * more with cdk-nag's AwsSolutions pack to assert there is no unacknowledged finding.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { ORDER_EVENT_TYPES } from '../../lambdas/core/events.js';
import { ENV } from '../../lambdas/platform/config.js';
import { PRICE_MARKS_TABLE_ENV } from '../../lambdas/platform/price-marks.js';
import { HANDLERS } from '../../lib/handlers.js';
import { OmsStack } from '../../lib/oms-stack.js';
import { ORDER_ROUTES } from '../../lib/order-api.js';
import { aslPlaceholders, ORDER_LIFECYCLE_ASL } from '../../lib/order-lifecycle.js';
import { nagFindings } from './template.js';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON is walked structurally in assertions.
type Json = Record<string, any>;

const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

let template: Template;
let resources: Record<string, Json>;
/** The event-schemas nested stack's template. */
let schemaTemplate: Template;

beforeAll(() => {
  const app = new App({ context: NO_BUNDLING, outdir: mkdtempSync(join(tmpdir(), 'oms-infra-')) });
  const stack = new OmsStack(app, 'Oms');
  template = Template.fromStack(stack);
  schemaTemplate = Template.fromStack(stack.events.schemaStack);
  resources = template.toJSON().Resources;
});

const ofType = (type: string): [string, Json][] =>
  Object.entries(resources).filter(([, r]) => r.Type === type) as [string, Json][];
const props = (logicalId: string): Json => resources[logicalId]?.Properties ?? {};
const getAttId = (v: unknown): string | undefined =>
  (v as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt']?.[0];
const refId = (v: unknown): string | undefined => (v as { Ref?: string } | undefined)?.Ref;

/** The one table with these keys (and, when given, this first GSI: `null` for none). */
function tableByKeys(hash: string, range?: string, firstIndex?: string | null): [string, Json] {
  const found = ofType('AWS::DynamoDB::Table').filter(([, t]) => {
    const keys = t.Properties.KeySchema as { AttributeName: string; KeyType: string }[];
    const index = (t.Properties.GlobalSecondaryIndexes?.[0]?.IndexName as string | undefined) ?? null;
    return (
      keys.find((k) => k.KeyType === 'HASH')?.AttributeName === hash &&
      keys.find((k) => k.KeyType === 'RANGE')?.AttributeName === range &&
      (firstIndex === undefined || index === firstIndex)
    );
  });
  expect(found).toHaveLength(1);
  return found[0] as [string, Json];
}

/** The table a function's env var points to (its logical id). */
function envTable(fnId: string, name: string): string | undefined {
  return refId(props(fnId).Environment?.Variables?.[name]);
}

/** All policy statements attached to a function's role. */
function statementsOf(fnId: string): Json[] {
  const roleId = getAttId(props(fnId).Role);
  return ofType('AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles as unknown[]).some((r) => refId(r) === roleId))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[]);
}

const asList = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

/** Logical ids of resources a statement's Resource refers to, with the attribute (Arn, StreamArn). */
function resourceRefs(statement: Json): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const ga = (v as Json)['Fn::GetAtt'];
      if (ga) out.push(`${ga[0]}.${ga[1]}`);
      else Object.values(v).forEach(walk);
    }
  };
  walk(statement.Resource);
  return out;
}

function functionId(handlerPathFragment: string): string {
  const ids = ofType('AWS::Lambda::Function')
    .filter(
      ([, f]) =>
        (f.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME as string) === handlerPathFragment,
    )
    .map(([id]) => id);
  expect(ids).toHaveLength(1);
  return ids[0] as string;
}

describe('tables', () => {
  test('event store: orderId/seq, NEW_IMAGE stream, PITR, on-demand, retained and deletion-protected', () => {
    const [id, table] = tableByKeys('orderId', 'seq');
    expect(table.Properties).toMatchObject({
      AttributeDefinitions: expect.arrayContaining([{ AttributeName: 'seq', AttributeType: 'N' }]),
      StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      BillingMode: 'PAY_PER_REQUEST',
      DeletionProtectionEnabled: true,
    });
    expect(resources[id]?.DeletionPolicy).toBe('Retain');
  });

  test('orders read model: the list GSIs project only what a listing filters on, the open/closed one also what risk values, the sweeper and in-flight check ones keys only, the held-trigger watcher one ALL', () => {
    const tables = ofType('AWS::DynamoDB::Table').filter(([, t]) =>
      (t.Properties.GlobalSecondaryIndexes ?? []).some((g: Json) => g.IndexName === 'byAccount'),
    );
    expect(tables).toHaveLength(1);
    const gsis = ((tables[0]?.[1].Properties.GlobalSecondaryIndexes ?? []) as Json[]).map((g) => [
      g.IndexName,
      g.KeySchema.map((k: Json) => `${k.AttributeName}:${k.KeyType}`).join(','),
      [g.Projection.ProjectionType, ...(g.Projection.NonKeyAttributes ?? [])].join(' '),
    ]);
    // A status update, the close included, writes no list index (issue 12): nothing they hold changes.
    const list = 'INCLUDE side parentOrderId groupId contingencyRole';
    expect(gsis.sort()).toEqual([
      ['byAccount', 'accountId:HASH,createdKey:RANGE', list],
      [
        'byAccountOpen',
        'openInAccount:HASH,createdKey:RANGE',
        // Unchanged when the list indexes took contingencyRole (the listing leaves the OMS's child
        // orders out): a deployed index's projection cannot change in place.
        'INCLUDE side parentOrderId groupId symbol status createdAt exposure contingencyRole',
      ],
      ['byAccountSymbol', 'accountSymbol:HASH,createdKey:RANGE', list],
      ['byArmedSymbol', 'armedSymbol:HASH,createdKey:RANGE', 'ALL'],
      ['byOpenException', 'exceptionOpen:HASH,createdKey:RANGE', 'KEYS_ONLY'],
      ['byPendingNew', 'awaitingWorkflow:HASH,createdKey:RANGE', 'KEYS_ONLY'],
      ['byRequestInFlight', 'requestInFlight:HASH,requestedAt:RANGE', 'KEYS_ONLY'],
    ]);
  });

  test.each<[string, string, string | undefined, string | null | undefined]>([
    ['idempotency', 'id', 'expiresAt', undefined],
    ['accounts', 'pk', undefined, undefined],
    ['market', 'symbol', undefined, null],
    ['assets', 'symbol', undefined, 'byAssetId'],
  ])('%s table: pk %s, TTL %s', (_name, pk, ttl, index) => {
    const [, table] = tableByKeys(pk, undefined, index);
    expect(table.Properties.TimeToLiveSpecification?.AttributeName).toBe(ttl);
  });

  test('the price marks: pk symbol, sk at (both strings), no index, minute marks expire (TTL expiresAt)', () => {
    const [, table] = tableByKeys('symbol', 'at', null);
    expect(table.Properties.AttributeDefinitions).toEqual([
      { AttributeName: 'symbol', AttributeType: 'S' },
      { AttributeName: 'at', AttributeType: 'S' },
    ]);
    expect(table.Properties.TimeToLiveSpecification).toEqual({ AttributeName: 'expiresAt', Enabled: true });
  });

  test('the asset master: found by id through byAssetId (pk id, projection ALL: one Query answers)', () => {
    const [, table] = tableByKeys('symbol', undefined, 'byAssetId');
    expect(table.Properties.GlobalSecondaryIndexes).toEqual([
      expect.objectContaining({
        IndexName: 'byAssetId',
        KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
        Projection: { ProjectionType: 'ALL' },
      }),
    ]);
  });

  test('task tokens and venue orders are keyed by orderId; tokens expire, venue orders have byRestingSymbol', () => {
    const byOrderId = ofType('AWS::DynamoDB::Table').filter(
      ([, t]) => t.Properties.KeySchema.length === 1 && t.Properties.KeySchema[0].AttributeName === 'orderId',
    );
    const ttl = byOrderId.filter(
      ([, t]) => t.Properties.TimeToLiveSpecification?.AttributeName === 'expiresAt',
    );
    expect(ttl).toHaveLength(1);
    const venue = byOrderId.filter(
      ([, t]) => t.Properties.GlobalSecondaryIndexes?.[0]?.IndexName === 'byRestingSymbol',
    );
    expect(venue).toHaveLength(1);
    expect(venue[0]?.[1].Properties.GlobalSecondaryIndexes[0].KeySchema).toEqual([
      { AttributeName: 'restingSymbol', KeyType: 'HASH' },
      { AttributeName: 'orderId', KeyType: 'RANGE' },
    ]);
  });

  test('every table is encrypted, has PITR and is retained', () => {
    const tables = ofType('AWS::DynamoDB::Table');
    expect(tables).toHaveLength(10);
    for (const [id, t] of tables) {
      expect(t.Properties.SSESpecification?.SSEEnabled).toBe(true);
      expect(t.Properties.PointInTimeRecoverySpecification?.PointInTimeRecoveryEnabled).toBe(true);
      expect(resources[id]?.DeletionPolicy).toBe('Retain');
    }
  });
});

describe('functions', () => {
  test('one function per handler entry, all nodejs24.x arm64, traced, JSON logs to a retained log group', () => {
    const all = ofType('AWS::Lambda::Function');
    // Besides the OMS's own functions, one of CDK's: BucketDeployment's, which copies the trading
    // dashboard's files into its bucket at deploy time (lib/dashboard.ts; test/dashboard).
    const fns = all.filter(([id]) => !id.startsWith('CustomCDKBucketDeployment'));
    expect(all.length - fns.length).toBe(1);
    expect(fns).toHaveLength(Object.keys(HANDLERS).length);
    for (const [, fn] of fns) {
      const p = fn.Properties;
      expect(p).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        MemorySize: 512,
        LoggingConfig: { LogFormat: 'JSON' },
      });
      expect(p.Environment.Variables).toMatchObject({
        POWERTOOLS_METRICS_NAMESPACE: 'StockbotOms',
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: expect.stringMatching(/^oms-/),
      });
      const logGroupId = refId(p.LoggingConfig.LogGroup) as string;
      expect(resources[logGroupId]?.Properties.RetentionInDays).toBe(30);
    }
  });

  test('no role uses an AWS managed policy', () => {
    for (const [, role] of ofType('AWS::IAM::Role'))
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });

  test('grants and environment agree: a function is granted exactly the tables its env names', () => {
    const tableIds = new Set(ofType('AWS::DynamoDB::Table').map(([id]) => id));
    const tableEnvNames = new Set<string>([
      ENV.eventStoreTable,
      ENV.ordersTable,
      ENV.idempotencyTable,
      ENV.taskTokensTable,
      ENV.accountsTable,
      ENV.marketTable,
      ENV.assetsTable,
      ENV.venueOrdersTable,
      ENV.tradeStreamTable,
      PRICE_MARKS_TABLE_ENV,
    ]);
    for (const [fnId, fn] of ofType('AWS::Lambda::Function')) {
      const vars = fn.Properties.Environment.Variables as Json;
      const inEnv = new Set(
        Object.entries(vars)
          .filter(([k]) => tableEnvNames.has(k))
          .map(([, v]) => refId(v)),
      );
      const granted = new Set(
        statementsOf(fnId)
          .flatMap(resourceRefs)
          .filter((r) => r.endsWith('.Arn') && tableIds.has(r.slice(0, -4)))
          .map((r) => r.slice(0, -4)),
      );
      expect({ fn: fnId, tables: [...granted].sort() }).toEqual({ fn: fnId, tables: [...inEnv].sort() });
    }
  });

  test.each([
    // accounts rw: a hard-to-borrow short takes its located shares from the account's locate book (issue 16).
    ['oms-create-order', { events: 'rw', idem: 'rw', accounts: 'rw', market: 'r', assets: 'r', orders: 'r' }],
    // Reg SHO locates (issue 16): the locate book and the borrow desk live in accounts.
    ['oms-locates', { accounts: 'rw', assets: 'r' }],
    // Projector, signaller, position keeper and publisher in one (issues 12, 13): the keeper appends
    // PositionChanged to the events table, its ledger to accounts, its applied markers to idem.
    ['oms-order-stream', { events: 'rw', orders: 'w', tokens: 'r', accounts: 'rw', idem: 'w' }],
    ['oms-authorizer', { accounts: 'r' }],
    ['oms-query-orders', { events: 'r', orders: 'r', idem: 'r' }],
    // Writes claims (a held stop's replacement) and read-after-write pointers in its transaction:
    // with read alone, AWS refused those PATCHes (local mode does not enforce IAM).
    [
      'oms-replace-order',
      { events: 'rw', idem: 'rw', accounts: 'rw', market: 'r', assets: 'r', orders: 'r' },
    ],
    ['oms-accept-order', { events: 'rw', accounts: 'r', market: 'r', assets: 'r', orders: 'r' }],
    [
      'oms-order-requested',
      { events: 'rw', idem: 'rw', accounts: 'rw', market: 'r', assets: 'r', orders: 'r' },
    ],
    // The asset master is read-only to the API: operators write it.
    ['oms-assets', { assets: 'r' }],
    // The market's price history: the tick writes it, the account API (portfolio history) reads it.
    ['oms-market-tick', { market: 'rw', marks: 'rw' }],
    [
      'oms-account',
      { events: 'r', idem: 'r', accounts: 'rw', market: 'r', assets: 'r', orders: 'r', marks: 'r' },
    ],
  ])('%s has read/write exactly as needed', (service, expected) => {
    const id = functionId(service);
    const tables: Record<string, string> = {
      events: ENV.eventStoreTable,
      idem: ENV.idempotencyTable,
      accounts: ENV.accountsTable,
      market: ENV.marketTable,
      assets: ENV.assetsTable,
      orders: ENV.ordersTable,
      tokens: ENV.taskTokensTable,
      marks: PRICE_MARKS_TABLE_ENV,
    };
    for (const [short, mode] of Object.entries(expected)) {
      const tableId = envTable(id, tables[short] as string) as string;
      const actions = statementsOf(id)
        .filter((s) => resourceRefs(s).includes(`${tableId}.Arn`))
        .flatMap((s) => asList(s.Action as string | string[]));
      expect([short, actions.includes('dynamodb:PutItem')]).toEqual([short, mode.includes('w')]);
      expect([short, actions.includes('dynamodb:GetItem')]).toEqual([short, mode.includes('r')]);
    }
  });
});

describe('IAM', () => {
  const allStatements = (): Json[] => [
    ...ofType('AWS::IAM::Policy').flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[]),
    ...ofType('AWS::IAM::Role').flatMap(([, r]) =>
      ((r.Properties.Policies ?? []) as Json[]).flatMap((p) => p.PolicyDocument.Statement as Json[]),
    ),
  ];

  test('no "*" action and no service-wide "service:*" action', () => {
    for (const s of allStatements()) {
      for (const action of asList(s.Action as string | string[])) {
        expect(action).not.toBe('*');
        expect(action).not.toMatch(/^[a-z0-9-]+:\*$/);
      }
    }
  });

  test('"*" resources carry only actions that have no resource-level permissions', () => {
    const allowed = new Set([
      'xray:PutTraceSegments',
      'xray:PutTelemetryRecords',
      'xray:GetSamplingRules',
      'xray:GetSamplingTargets',
      'dynamodb:ListStreams',
      'logs:CreateLogDelivery',
      'logs:GetLogDelivery',
      'logs:UpdateLogDelivery',
      'logs:DeleteLogDelivery',
      'logs:ListLogDeliveries',
      'logs:PutResourcePolicy',
      'logs:DescribeResourcePolicies',
      'logs:DescribeLogGroups',
    ]);
    for (const s of allStatements()) {
      if (!asList(s.Resource).includes('*')) continue;
      for (const action of asList(s.Action as string | string[])) expect(allowed).toContain(action);
    }
  });

  test('the order stream (signaller) may start executions and answer tasks; await-outcome may only send task success', () => {
    const smId = ofType('AWS::StepFunctions::StateMachine')[0]?.[0] as string;
    const onStateMachine = (fnId: string): string[] =>
      statementsOf(fnId)
        .filter((s) => asList(s.Resource).some((r) => refId(r) === smId))
        .flatMap((s) => asList(s.Action as string | string[]))
        .sort();
    expect(onStateMachine(functionId('oms-order-stream'))).toEqual(
      expect.arrayContaining(['states:SendTaskFailure', 'states:SendTaskSuccess', 'states:StartExecution']),
    );
    expect(onStateMachine(functionId('oms-await-outcome'))).toEqual(['states:SendTaskSuccess']);
    expect(onStateMachine(functionId('oms-query-orders'))).toEqual([]);
  });

  test('the order-workflow route may only read the history of executions of the two order state machines', () => {
    const machines = ofType('AWS::StepFunctions::StateMachine').map(([id]) => id);
    expect(machines).toHaveLength(2);
    const states = statementsOf(functionId('oms-order-workflow')).filter((s) =>
      asList(s.Action as string | string[]).some((a) => a.startsWith('states:')),
    );
    expect([...new Set(states.flatMap((s) => asList(s.Action as string | string[])))]).toEqual([
      'states:GetExecutionHistory',
    ]);
    // arn:...:execution:<machine name>:* for each machine, and nothing else.
    const resources = JSON.stringify(states.flatMap((s) => asList(s.Resource)));
    expect(resources).toContain(':execution:');
    for (const id of machines) expect(resources).toContain(`{"Ref":"${id}"}`);
    expect(resources).not.toContain(':stateMachine:');
    // Nobody else reads execution histories.
    const readers = ofType('AWS::Lambda::Function')
      .map(([id]) => id)
      .filter((id) =>
        statementsOf(id).some((s) =>
          asList(s.Action as string | string[]).includes('states:GetExecutionHistory'),
        ),
      );
    expect(readers).toEqual([functionId('oms-order-workflow')]);
  });
});

describe('stream consumers', () => {
  test.each([['oms-order-stream', 100, 0]])(
    '%s reads INSERTs from the event store stream with partial failures, bisect and a DLQ',
    (service, batch, window) => {
      const fnId = functionId(service);
      const esms = ofType('AWS::Lambda::EventSourceMapping').filter(
        ([, m]) => refId(m.Properties.FunctionName) === fnId,
      );
      expect(esms).toHaveLength(1);
      const p = esms[0]?.[1].Properties as Json;
      const [eventStoreId] = tableByKeys('orderId', 'seq');
      expect(p).toMatchObject({
        EventSourceArn: { 'Fn::GetAtt': [eventStoreId, 'StreamArn'] },
        StartingPosition: 'TRIM_HORIZON',
        BatchSize: batch,
        MaximumBatchingWindowInSeconds: window,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        BisectBatchOnFunctionError: true,
        MaximumRetryAttempts: 10,
        FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT'] }) }] },
      });
      expect(p.MaximumRecordAgeInSeconds).toBeGreaterThan(0);
      const dlq = getAttId(p.DestinationConfig.OnFailure.Destination) as string;
      expect(resources[dlq]?.Type).toBe('AWS::SQS::Queue');
      expect(resources[dlq]?.Properties.SqsManagedSseEnabled).toBe(true);
    },
  );
});

describe('order lifecycle state machine', () => {
  const stateMachine = (): Json => ofType('AWS::StepFunctions::StateMachine')[0]?.[1].Properties as Json;

  test('every placeholder of the ASL file is substituted, and nothing else', () => {
    const placeholders = aslPlaceholders(readFileSync(ORDER_LIFECYCLE_ASL, 'utf8'));
    expect(placeholders.length).toBeGreaterThan(0);
    const sm = stateMachine();
    expect(Object.keys(sm.DefinitionSubstitutions).sort()).toEqual(placeholders);
    // The inline definition is the file itself; every placeholder left in it is a key above.
    expect(aslPlaceholders(sm.DefinitionString as string)).toEqual(placeholders);
    expect(() => JSON.parse(sm.DefinitionString as string)).not.toThrow();
  });

  test('function ARN substitutions point at functions the state machine may invoke, and only those', () => {
    const sm = stateMachine();
    const fnIds = Object.entries(sm.DefinitionSubstitutions as Json)
      .filter(([k]) => k.endsWith('FunctionArn'))
      .map(([, v]) => getAttId(v) as string)
      .sort();
    expect(fnIds).toHaveLength(7);
    for (const id of fnIds) expect(resources[id]?.Type).toBe('AWS::Lambda::Function');
    const roleId = getAttId(sm.RoleArn);
    const invokable = ofType('AWS::IAM::Policy')
      .filter(([, p]) => (p.Properties.Roles as unknown[]).some((r) => refId(r) === roleId))
      .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[])
      .filter((s) => asList(s.Action as string | string[]).includes('lambda:InvokeFunction'))
      .flatMap(resourceRefs)
      .map((r) => r.replace(/\.Arn$/, ''));
    expect([...new Set(invokable)].sort()).toEqual(fnIds);
  });

  test('Standard, logs ALL without execution data to a retained log group, X-Ray on', () => {
    const sm = stateMachine();
    expect(sm).toMatchObject({
      StateMachineType: 'STANDARD',
      LoggingConfiguration: { Level: 'ALL', IncludeExecutionData: false },
      TracingConfiguration: { Enabled: true },
    });
    const logGroup = getAttId(
      sm.LoggingConfiguration.Destinations[0].CloudWatchLogsLogGroup.LogGroupArn,
    ) as string;
    expect(resources[logGroup]?.Properties.RetentionInDays).toBe(30);
  });
});

describe('HTTP API', () => {
  test('routes are exactly the Alpaca order routes and $default (the 404), all behind the Lambda authorizer', () => {
    const httpApi = ofType('AWS::ApiGatewayV2::Api').find(
      ([, a]) => a.Properties.ProtocolType === 'HTTP',
    )?.[0];
    const routes = ofType('AWS::ApiGatewayV2::Route')
      .map(([, r]) => r.Properties)
      .filter((r) => refId(r.ApiId) === httpApi);
    expect(routes.map((r) => r.RouteKey).sort()).toEqual(
      [...ORDER_ROUTES.map((r) => `${r.method} ${r.path}`), '$default'].sort(),
    );
    for (const r of routes)
      expect(r).toMatchObject({ AuthorizationType: 'CUSTOM', AuthorizerId: expect.anything() });
  });

  test('authorizer: payload 2.0, simple responses, no identity source, no caching', () => {
    const authorizers = ofType('AWS::ApiGatewayV2::Authorizer').map(([, a]) => a.Properties);
    expect(authorizers).toHaveLength(1);
    expect(authorizers[0]).toMatchObject({
      AuthorizerType: 'REQUEST',
      AuthorizerPayloadFormatVersion: '2.0',
      EnableSimpleResponses: true,
      AuthorizerResultTtlInSeconds: 0,
    });
    expect(authorizers[0]?.IdentitySource ?? []).toEqual([]);
  });

  test('the stage writes access logs and is throttled', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      DefaultRouteSettings: { ThrottlingRateLimit: Match.anyValue(), ThrottlingBurstLimit: Match.anyValue() },
    });
  });
});

test('the main stack keeps room under the 500 resources CloudFormation allows a stack (20 spare)', () => {
  expect(Object.keys(resources).length).toBeLessThanOrEqual(480);
});

describe('event bus', () => {
  const rulePatterns = (): Json[] =>
    ofType('AWS::Events::Rule')
      .map(([, r]) => r.Properties.EventPattern as Json | undefined)
      .filter((p): p is Json => p !== undefined);

  test('custom bus stockbot-oms with a one-year archive of OMS events', () => {
    template.hasResourceProperties('AWS::Events::EventBus', { Name: 'stockbot-oms' });
    template.hasResourceProperties('AWS::Events::Archive', {
      RetentionDays: 365,
      EventPattern: { source: ['stockbot.oms'] },
    });
  });

  test('schema registry (a nested stack) holds one draft-4 schema per order event type, and PositionChanged', () => {
    template.resourceCountIs('AWS::EventSchemas::Schema', 0);
    template.resourceCountIs('AWS::CloudFormation::Stack', 1);
    schemaTemplate.hasResourceProperties('AWS::EventSchemas::Registry', { RegistryName: 'stockbot-oms' });
    const schemas = Object.values(schemaTemplate.findResources('AWS::EventSchemas::Schema')).map(
      (s) => s.Properties as Json,
    );
    expect(schemas.map((s) => s.SchemaName).sort()).toEqual(
      [...ORDER_EVENT_TYPES, 'PositionChanged'].map((t) => `stockbot.oms@${t}`).sort(),
    );
    for (const s of schemas) {
      expect(s.Type).toBe('JSONSchemaDraft4');
      expect(JSON.parse(s.Content as string)).toEqual(expect.objectContaining({}));
    }
  });

  test.each([
    [
      {
        source: ['stockbot.oms', 'stockbot.oms.gateway'],
        'detail-type': [
          'OrderCancelRequested',
          'OrderReplaceRequested',
          'OrderExpired',
          'CancelAtVenueRequested',
        ],
      },
    ],
    [{ source: ['stockbot.venue'], 'detail-type': ['ExecutionReport'] }],
    // Every strategy's source, stockbot.strategy.<id> (issue 16).
    [{ source: [{ prefix: 'stockbot.strategy' }], 'detail-type': ['OrderRequested'] }],
  ])('rule %j feeds its queue with retries and a dead-letter queue (test/infra/bus-targets)', (pattern) => {
    const rules = ofType('AWS::Events::Rule').filter(
      ([, r]) => JSON.stringify(r.Properties.EventPattern) === JSON.stringify(pattern),
    );
    expect(rules).toHaveLength(1);
    const target = rules[0]?.[1].Properties.Targets[0] as Json;
    expect(resources[getAttId(target.Arn) as string]?.Type).toBe('AWS::SQS::Queue');
    expect(target.RetryPolicy.MaximumRetryAttempts).toBeGreaterThan(0);
    expect(resources[getAttId(target.DeadLetterConfig.Arn) as string]?.Type).toBe('AWS::SQS::Queue');
  });

  test("subscribers: Portfolio Manager (fills and closes), Dashboard (all OMS events); the Data Warehouse (test/data-warehouse) its tables' events", () => {
    const patterns = rulePatterns();
    const portfolio = patterns.find(
      (p) => p['detail-type']?.includes('OrderFilled') && p['detail-type']?.includes('PositionChanged'),
    );
    expect(portfolio?.['detail-type']).toEqual(
      expect.arrayContaining(['OrderPartiallyFilled', 'OrderCanceled']),
    );
    const allOms = ofType('AWS::Events::Rule').filter(
      ([, r]) => JSON.stringify(r.Properties.EventPattern) === JSON.stringify({ source: ['stockbot.oms'] }),
    );
    const targetTypes = allOms
      .map(([, r]) => resources[getAttId(r.Properties.Targets[0].Arn) as string]?.Type)
      .sort();
    expect(targetTypes).toEqual(['AWS::SQS::Queue']);
  });

  test('the market ticks every minute', () => {
    template.hasResourceProperties('AWS::Events::Rule', { ScheduleExpression: 'rate(1 minute)' });
  });

  // The bus policy's statements (issue 16): test/event-bus/bus-policy.test.ts.
});

describe('operations', () => {
  const alarmsOn = (metricName: string): Json[] =>
    ofType('AWS::CloudWatch::Alarm')
      .map(([, a]) => a.Properties)
      .filter((a) => a.MetricName === metricName);

  test('every dead-letter queue is alarmed at depth > 0', () => {
    const dlqIds = new Set<string>();
    // SQS mappings have no on-failure destination: their queue's redrive names the DLQ (below).
    for (const [, m] of ofType('AWS::Lambda::EventSourceMapping'))
      if (m.Properties.DestinationConfig)
        dlqIds.add(getAttId(m.Properties.DestinationConfig.OnFailure.Destination) as string);
    for (const [, r] of ofType('AWS::Events::Rule'))
      for (const t of r.Properties.Targets ?? [])
        if (t.DeadLetterConfig) dlqIds.add(getAttId(t.DeadLetterConfig.Arn) as string);
    for (const [, q] of ofType('AWS::SQS::Queue'))
      if (q.Properties.RedrivePolicy)
        dlqIds.add(getAttId(q.Properties.RedrivePolicy.deadLetterTargetArn) as string);
    const alarmed = alarmsOn('ApproximateNumberOfMessagesVisible').map((a) => {
      expect(a.Threshold).toBe(0);
      expect(a.ComparisonOperator).toBe('GreaterThanThreshold');
      return getAttId(a.Dimensions[0].Value) as string;
    });
    expect(dlqIds.size).toBeGreaterThanOrEqual(7);
    expect(new Set(alarmed)).toEqual(dlqIds);
  });

  test.each([
    ['ExecutionsFailed', 0, 2], // the lifecycle's and the algorithmic parents'
    ['ExecutionsTimedOut', 0, 1],
    ['IteratorAge', 60_000, 2], // the order stream and the group coordinator
    ['5xx', 0, 1],
    // the held-trigger watcher (a failed run may leave a stop untriggered) and the in-flight check
    // (a failed run may leave a cancel or replace outstanding), and the reconciler (issue 16)
    ['Errors', 0, 3],
    ['InFlightRequestBreaks', 0, 1],
    ['InFlightChecksFailed', 0, 1],
    ['ReconciliationOpenBreaks', 0, 1],
    ['ReconciliationFailures', 0, 1],
    ['OperatorExceptionsRaised', 0, 1],
    // The exceptions view's stuck kinds (issue 16: each kind raises an alarm).
    ['StalledOrdersFound', 0, 1],
    ['InFlightRequestsFound', 0, 1],
  ])('%s alarms above %d (%d alarms), notifying the encrypted topic', (metric, threshold, count) => {
    const alarms = alarmsOn(metric);
    expect(alarms).toHaveLength(count);
    const [topicId] = ofType('AWS::SNS::Topic')[0] as [string, Json];
    for (const a of alarms) {
      expect(a.Threshold).toBe(threshold);
      expect(a.AlarmActions).toEqual([{ Ref: topicId }]);
    }
  });

  test('the exceptions function knows every alarmed dead-letter queue, may peek, delete and move them, and send to their source queues only', () => {
    const fnId = functionId('oms-exceptions');
    const env = props(fnId).Environment.Variables.OMS_DEAD_LETTER_QUEUES as Json;
    // `{"<name>":"<GetAtt Queue.QueueName>", ...}` as a Fn::Join: the names are the alarms'.
    const parts = env['Fn::Join'][1] as unknown[];
    const named = parts.map(getAttId).filter((id): id is string => id !== undefined);
    const alarmed = alarmsOn('ApproximateNumberOfMessagesVisible').map((a) =>
      getAttId(a.Dimensions[0].Value),
    );
    expect(new Set(named)).toEqual(new Set(alarmed));
    for (const [, a] of ofType('AWS::CloudWatch::Alarm').filter(([id]) => id.includes('DlqNotEmpty'))) {
      const name = /^(.*): messages in the dead-letter queue/.exec(a.Properties.AlarmDescription)?.[1];
      expect(parts.some((p) => typeof p === 'string' && p.includes(`"${name}":"`))).toBe(true);
    }
    const statements = statementsOf(fnId);
    const onQueues = (action: string) =>
      new Set(
        statements
          .filter((st) => asList(st.Action).includes(action))
          .flatMap((st) => asList(st.Resource).map(getAttId)),
      );
    for (const action of [
      'sqs:ReceiveMessage',
      'sqs:DeleteMessage',
      'sqs:StartMessageMoveTask',
      'sqs:ListMessageMoveTasks',
    ])
      expect(onQueues(action)).toEqual(new Set(named));
    const sources = ofType('AWS::SQS::Queue')
      .filter(([, q]) => named.includes(getAttId(q.Properties.RedrivePolicy?.deadLetterTargetArn) as string))
      .map(([id]) => id);
    expect(sources.length).toBeGreaterThanOrEqual(4);
    expect(onQueues('sqs:SendMessage')).toEqual(new Set(sources));
    // Listed in two statements: the role's policy does not overflow into a managed policy (a resource).
    expect(ofType('AWS::IAM::ManagedPolicy').filter(([id]) => id.startsWith('OrderApiExceptions'))).toEqual(
      [],
    );
  });

  test('the alarm topic is KMS-encrypted and there is a dashboard', () => {
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
  });
});

describe('cdk-nag AwsSolutions', () => {
  test('the check does find an unencrypted, non-TLS queue (control)', () => {
    const findings = nagFindings((app) => new Queue(new Stack(app, 'Control'), 'Plain'));
    expect(findings.join('\n')).toMatch(/SQS/);
  });

  test('the OMS stack has no unacknowledged error or warning', () => {
    expect(nagFindings((app) => new OmsStack(app, 'Oms'))).toEqual([]);
  });
});
