// biome-ignore-all lint/suspicious/noTemplateCurlyInString: Fn::Sub and ASL placeholders are `${...}` in plain strings.
/**
 * Local mode's topology: read from the REAL synthesized OMS template (synthesized once here), with
 * every intrinsic resolved to local names and ARNs; plus unit rows for each intrinsic and for the
 * template shapes the OMS does not use today (defaults, Definition + substitutions, string redrive
 * policies, disabled mappings) so a stack change cannot silently produce a wrong local topology.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { ENV } from '../../lambdas/platform/config.js';
import { PRICE_MARKS_TABLE_ENV } from '../../lambdas/platform/price-marks.js';
import { HANDLERS } from '../../lib/handlers.js';
import { ORDER_ROUTES, UNKNOWN_ROUTE_FUNCTION } from '../../lib/order-api.js';
import { type CfnTemplate, TemplateResolver, UnsupportedTemplateError } from '../../local/intrinsics.js';
import { loadTemplate, readTopology, synthesisContext } from '../../local/topology.js';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION, type LocalTopology } from '../../local/types.js';
import { omsTemplate } from '../infra/synthesized.js';

const REPO_ROOT = join(__dirname, '..', '..');
const A = `${LOCAL_REGION}:${LOCAL_ACCOUNT_ID}`;

let template: Record<string, unknown>;
let topo: LocalTopology;

beforeAll(async () => {
  template = await omsTemplate();
  topo = readTopology(template);
}, 150_000);

const fnByEntry = (entry: string) => {
  const found = topo.functions.filter((f) => f.entry === entry);
  expect(found).toHaveLength(1);
  return found[0] as LocalTopology['functions'][number];
};
const fnById = (id: string) => topo.functions.find((f) => f.logicalId === id);
const tableByEnv = (envName: string) => {
  const names = new Set(topo.functions.map((f) => f.environment[envName]).filter((v) => v !== undefined));
  expect(names.size).toBe(1);
  const table = topo.tables.find((t) => t.tableName === [...names][0]);
  expect(table).toBeDefined();
  return table as LocalTopology['tables'][number];
};

describe('the synthesized OMS template', () => {
  test('has no intrinsic, placeholder or non-JSON value left anywhere in the topology', () => {
    const problems: string[] = [];
    const walk = (v: unknown, path: string): void => {
      if (Array.isArray(v)) {
        for (const [i, x] of v.entries()) walk(x, `${path}[${i}]`);
      } else if (v && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          if (k === 'Ref' || k.startsWith('Fn::')) problems.push(`${path}.${k}`);
          walk(x, `${path}.${k}`);
        }
      } else if (typeof v === 'string' && (v.includes('${') || v.includes('[object'))) problems.push(path);
      else if (v === undefined || typeof v === 'symbol' || typeof v === 'function') problems.push(path);
    };
    walk(topo, 'topology');
    expect(problems).toEqual([]);
    expect(JSON.parse(JSON.stringify(topo))).toEqual(topo);
  });

  test.each([
    // env var, partition key, sort key, GSIs [name, pk, sk, projection], stream, TTL
    [ENV.eventStoreTable, 'orderId:S', 'seq:N', [], 'NEW_IMAGE', null],
    [
      ENV.ordersTable,
      'orderId:S',
      null,
      [
        ['byAccount', 'accountId:S', 'createdKey:S', 'INCLUDE'],
        ['byAccountOpen', 'openInAccount:S', 'createdKey:S', 'INCLUDE'],
        ['byAccountSymbol', 'accountSymbol:S', 'createdKey:S', 'INCLUDE'],
        ['byPendingNew', 'awaitingWorkflow:S', 'createdKey:S', 'KEYS_ONLY'],
        ['byRequestInFlight', 'requestInFlight:S', 'requestedAt:S', 'KEYS_ONLY'],
        ['byArmedSymbol', 'armedSymbol:S', 'createdKey:S', 'ALL'],
        ['byOpenException', 'exceptionOpen:S', 'createdKey:S', 'KEYS_ONLY'],
      ],
      null,
      null,
    ],
    [ENV.idempotencyTable, 'id:S', null, [], null, 'expiresAt'],
    [ENV.taskTokensTable, 'orderId:S', null, [], null, 'expiresAt'],
    [ENV.accountsTable, 'pk:S', null, [], null, null],
    [ENV.marketTable, 'symbol:S', null, [], null, null],
    [PRICE_MARKS_TABLE_ENV, 'symbol:S', 'at:S', [], null, 'expiresAt'],
    [
      ENV.venueOrdersTable,
      'orderId:S',
      null,
      [
        ['byRestingSymbol', 'restingSymbol:S', 'orderId:S', 'ALL'],
        ['byOutboxPending', 'outboxPending:S', 'orderId:S', 'KEYS_ONLY'],
      ],
      null,
      null,
    ],
  ] as const)('table %s: keys %s/%s, GSIs, stream, TTL', (envName, pk, sk, gsis, stream, ttl) => {
    const t = tableByEnv(envName);
    const key = (k: { name: string; type: string } | null) => (k ? `${k.name}:${k.type}` : null);
    expect(key(t.partitionKey)).toBe(pk);
    expect(key(t.sortKey)).toBe(sk);
    expect(
      t.globalSecondaryIndexes.map((g) => [g.name, key(g.partitionKey), key(g.sortKey), g.projection]),
    ).toEqual(gsis);
    expect(t.streamViewType).toBe(stream);
    expect(t.ttlAttribute).toBe(ttl);
    expect(t.tableName).toBe(t.logicalId);
    expect(t.arn).toBe(`arn:aws:dynamodb:${A}:table/${t.tableName}`);
  });

  test('has exactly the 10 tables', () => {
    expect(topo.tables).toHaveLength(10);
    expect(new Set(topo.tables.map((t) => t.tableName)).size).toBe(10);
  });

  test('has every function of lib/handlers.ts (and no other), each with an existing entry file', () => {
    expect(topo.functions).toHaveLength(Object.keys(HANDLERS).length);
    expect(topo.functions.map((f) => f.entry).sort()).toEqual(Object.values(HANDLERS).sort());
    for (const f of topo.functions) {
      expect(existsSync(join(REPO_ROOT, f.entry))).toBe(true);
      expect(f.handlerExport).toBe('handler');
      expect(f.arn).toBe(`arn:aws:lambda:${A}:function:${f.functionName}`);
      expect(f.timeoutSeconds).toBeGreaterThan(0);
      expect(f.memoryMb).toBe(512);
    }
    expect(fnByEntry(HANDLERS.createOrder).timeoutSeconds).toBe(10);
  });

  test('resolves function environments to local table names, the bus name and the state machine ARN', () => {
    const tableNames = new Set(topo.tables.map((t) => t.tableName));
    const tableEnvs = [
      ...Object.entries(ENV)
        .filter(([k]) => k.endsWith('Table'))
        .map(([, v]) => v as string),
      PRICE_MARKS_TABLE_ENV,
    ];
    const [bus] = topo.eventBuses;
    const [sm] = topo.stateMachines;
    let checked = 0;
    for (const f of topo.functions) {
      for (const [name, value] of Object.entries(f.environment)) {
        if (tableEnvs.includes(name)) expect(tableNames).toContain(value);
        if (name === ENV.eventBusName) expect(value).toBe(bus?.name);
        if (name === ENV.stateMachineArn) expect(value).toBe(sm?.arn);
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
    expect(fnByEntry(HANDLERS.orderStream).environment).toMatchObject({
      [ENV.eventStoreTable]: tableByEnv(ENV.eventStoreTable).tableName,
      [ENV.ordersTable]: tableByEnv(ENV.ordersTable).tableName,
      [ENV.taskTokensTable]: tableByEnv(ENV.taskTokensTable).tableName,
      [ENV.stateMachineArn]: `arn:aws:states:${A}:stateMachine:${sm?.name}`,
      [ENV.eventBusName]: 'stockbot-oms',
    });
    expect(fnByEntry(HANDLERS.acceptOrder).environment).toMatchObject({
      OMS_SESSION_CLOSE: '16:00',
      VENUE_NAME: 'SIMX',
    });
  });

  test('has the bus stockbot-oms with its local ARN', () => {
    expect(topo.eventBuses).toEqual([
      expect.objectContaining({ name: 'stockbot-oms', arn: `arn:aws:events:${A}:event-bus/stockbot-oms` }),
    ]);
  });

  test('has the 2 event store stream mappings (at most two readers per shard), filtered to INSERT, with their DLQs', () => {
    const streams = topo.eventSourceMappings.filter((m) => m.source.kind === 'dynamodb-stream');
    const events = tableByEnv(ENV.eventStoreTable);
    const byEntry = Object.fromEntries(streams.map((m) => [fnById(m.functionLogicalId)?.entry, m]));
    expect(Object.keys(byEntry).sort()).toEqual(
      [HANDLERS.orderStream, HANDLERS.orderGroupCoordinator].sort(),
    );
    const queueIds = new Set(topo.queues.map((q) => q.logicalId));
    for (const m of streams) {
      expect(m.source).toEqual({ kind: 'dynamodb-stream', tableLogicalId: events.logicalId });
      expect(m.filters).toEqual([
        byEntry[HANDLERS.orderGroupCoordinator] === m
          ? { eventName: ['INSERT'], dynamodb: { NewImage: { groupId: { S: [{ exists: true }] } } } }
          : { eventName: ['INSERT'] },
      ]);
      expect(m).toMatchObject({
        reportBatchItemFailures: true,
        bisectBatchOnFunctionError: true,
        maximumRetryAttempts: 10,
        maximumRecordAgeSeconds: 86400,
        startingPosition: 'TRIM_HORIZON',
      });
      expect(queueIds).toContain(m.onFailureQueueLogicalId);
    }
    expect(byEntry[HANDLERS.orderStream]).toMatchObject({ batchSize: 100, maximumBatchingWindowSeconds: 0 });
  });

  test.each([
    // consumer, rule's detail-types, sources, batch size
    [
      HANDLERS.forwardToVenue,
      ['OrderCancelRequested', 'OrderReplaceRequested', 'OrderExpired', 'CancelAtVenueRequested'],
      ['stockbot.oms', 'stockbot.oms.gateway'],
      5,
    ],
    [HANDLERS.applyExecutionReport, ['ExecutionReport'], ['stockbot.venue'], 10],
    [HANDLERS.orderRequested, ['OrderRequested'], [{ prefix: 'stockbot.strategy' }], 10],
    [HANDLERS.cancelAllWorker, ['CancelOrderRequested'], ['stockbot.oms.api'], 10],
  ])(
    'bus -> rule -> queue -> %s (SQS mapping, partial batch failures, DLQ)',
    (entry, detailTypes, sources, batch) => {
      const fn = fnByEntry(entry);
      const mappings = topo.eventSourceMappings.filter((m) => m.functionLogicalId === fn.logicalId);
      expect(mappings).toHaveLength(1);
      const m = mappings[0] as LocalTopology['eventSourceMappings'][number];
      expect(m.source.kind).toBe('sqs');
      expect(m).toMatchObject({
        batchSize: batch,
        reportBatchItemFailures: true,
        filters: [],
        startingPosition: null,
      });
      const queueId = m.source.kind === 'sqs' ? m.source.queueLogicalId : '';
      const queue = topo.queues.find((q) => q.logicalId === queueId);
      expect(queue).toMatchObject({ visibilityTimeoutSeconds: 60, redrive: { maxReceiveCount: 10 } });
      const rules = topo.rules.filter((r) =>
        r.targets.some((t) => t.kind === 'sqs' && t.queueLogicalId === queueId),
      );
      expect(rules).toHaveLength(1);
      const rule = rules[0] as LocalTopology['rules'][number];
      expect(rule).toMatchObject({
        eventBusName: 'stockbot-oms',
        enabled: true,
        scheduleExpression: null,
        eventPattern: { source: sources, 'detail-type': detailTypes },
      });
      expect(rule.targets[0]).toMatchObject({
        deadLetterQueueLogicalId: queue?.redrive?.deadLetterQueueLogicalId,
      });
    },
  );

  test('has exactly the 5 SQS mappings and 2 stream mappings', () => {
    expect(topo.eventSourceMappings.map((m) => m.source.kind).sort()).toEqual([
      'dynamodb-stream',
      'dynamodb-stream',
      'sqs',
      'sqs',
      'sqs',
      'sqs',
      'sqs',
    ]);
  });

  test.each([
    [HANDLERS.marketTick, 'rate(1 minute)'],
    [HANDLERS.startStalledWorkflows, 'rate(1 minute)'],
    [HANDLERS.checkInFlightRequests, 'rate(1 minute)'],
    [HANDLERS.enforceHalts, 'rate(1 minute)'],
    // Daily after New York midnight; local mode skips cron rules: its export runs on demand.
    [HANDLERS.exportCatDay, 'cron(0 6 * * ? *)'],
  ])('schedules %s at %s on the default bus', (entry, expression) => {
    const fn = fnByEntry(entry);
    const rule = topo.rules.find((r) =>
      r.targets.some((t) => t.kind === 'lambda' && t.functionLogicalId === fn.logicalId),
    );
    expect(rule).toMatchObject({
      scheduleExpression: expression,
      eventPattern: null,
      eventBusName: null,
      enabled: true,
    });
  });

  test('subscriber and warehouse rules: queue targets with DLQs, the warehouse streams as Firehose targets', () => {
    expect(topo.rules).toHaveLength(17); // + the reconciler's, the halt enforcement's and the daily CAT export's schedules (issue 16)
    expect(topo.rules.flatMap((r) => r.targets.filter((t) => t.kind === 'recorder'))).toEqual([]);
    const streams = new Set(topo.deliveryStreams.map((s) => s.logicalId));
    const firehoseTargets = topo.rules.flatMap((r) => r.targets.filter((t) => t.kind === 'firehose'));
    expect(firehoseTargets).toHaveLength(3);
    for (const t of firehoseTargets)
      expect(streams).toContain(t.kind === 'firehose' && t.deliveryStreamLogicalId);
    const catchAll = topo.rules.filter(
      (r) => JSON.stringify(r.eventPattern) === '{"source":["stockbot.oms"]}',
    );
    expect(catchAll).toHaveLength(1);
    const queueIds = new Set(topo.queues.map((q) => q.logicalId));
    for (const t of topo.rules.flatMap((r) => r.targets)) {
      if (t.kind === 'sqs') {
        expect(queueIds).toContain(t.queueLogicalId);
        expect(queueIds).toContain(t.deadLetterQueueLogicalId);
      }
    }
  });

  test("queues: 19 (3 of them the warehouse rules' dead-letter queues), local ARNs/URLs, redrive to queues of the stack", () => {
    expect(topo.queues).toHaveLength(19);
    const ids = new Set(topo.queues.map((q) => q.logicalId));
    for (const q of topo.queues) {
      expect(q.arn).toBe(`arn:aws:sqs:${A}:${q.queueName}`);
      expect(q.url).toBe(`http://sqs.local/${LOCAL_ACCOUNT_ID}/${q.queueName}`);
      if (q.redrive) expect(ids).toContain(q.redrive.deadLetterQueueLogicalId);
    }
    expect(topo.queues.filter((q) => q.visibilityTimeoutSeconds === 30).length).toBe(14);
  });

  test('the state machine definition parses, has no placeholders, and its tasks call the 7 workflow functions', () => {
    expect(topo.stateMachines.map((m) => m.logicalId.replace(/StateMachine.*$/, '')).sort()).toEqual([
      'AlgoOrders',
      'OrderLifecycle',
    ]);
    const sm = topo.stateMachines.find((m) =>
      m.logicalId.startsWith('OrderLifecycle'),
    ) as LocalTopology['stateMachines'][number];
    expect(sm.type).toBe('STANDARD');
    expect(sm.arn).toBe(`arn:aws:states:${A}:stateMachine:${sm.name}`);
    expect(JSON.stringify(sm.definition)).not.toContain('${');
    const called = new Set<string>();
    const visit = (states: Record<string, Record<string, unknown>>): void => {
      for (const s of Object.values(states)) {
        if (s.Type === 'Task') {
          const resource = String(s.Resource);
          const params = s.Parameters as Record<string, unknown> | undefined;
          const target = resource.startsWith('arn:aws:states:::lambda:') ? params?.FunctionName : resource;
          const fn = topo.functions.find((f) => f.arn === target);
          expect(fn).toBeDefined();
          called.add(fn?.entry ?? '');
        }
        for (const b of (s.Branches ?? []) as { States: Record<string, Record<string, unknown>> }[])
          visit(b.States);
        const it = (s.ItemProcessor ?? s.Iterator) as
          | { States: Record<string, Record<string, unknown>> }
          | undefined;
        if (it) visit(it.States);
      }
    };
    visit(sm.definition.States as Record<string, Record<string, unknown>>);
    expect([...called].sort()).toEqual(
      [
        HANDLERS.acceptOrder,
        HANDLERS.askRiskGuardian,
        HANDLERS.holdUntilTriggered,
        HANDLERS.submitToVenue,
        HANDLERS.awaitOutcome,
        HANDLERS.expireOrder,
        HANDLERS.recordException,
      ].sort(),
    );
  });

  test('the HTTP API has the 10 routes of ORDER_ROUTES and $default, each behind the authorizer', () => {
    expect(topo.httpApis).toHaveLength(1);
    const api = topo.httpApis[0] as LocalTopology['httpApis'][number];
    const authorizer = fnByEntry(HANDLERS.authorizer).logicalId;
    expect(
      api.routes
        .map((r) => [r.routeKey, fnById(r.functionLogicalId)?.entry, r.authorizerFunctionLogicalId])
        .sort(),
    ).toEqual(
      [
        ...ORDER_ROUTES.map((r) => [`${r.method} ${r.path}`, HANDLERS[r.fn], authorizer]),
        ['$default', HANDLERS[UNKNOWN_ROUTE_FUNCTION], authorizer],
      ].sort(),
    );
    expect(api.authorizer).toEqual({
      functionLogicalId: authorizer,
      identitySources: [],
      resultTtlSeconds: 0,
      enableSimpleResponses: true,
    });
  });

  test('synthesis context: cdk.json context and feature flags, no bundling, overrides win', () => {
    const ctx = synthesisContext({ 'oms:sessionClose': '09:45' });
    expect(ctx).toMatchObject({
      'aws:cdk:bundling-stacks': [],
      'oms:sessionClose': '09:45',
      'oms:venueName': 'SIMX',
      '@aws-cdk/aws-events:eventsTargetQueueSameAccount': true,
    });
    expect(synthesisContext({ 'aws:cdk:bundling-stacks': ['x'] })['aws:cdk:bundling-stacks']).toEqual(['x']);
  });

  test('loadTemplate reads a template file or a cloud assembly directory', () => {
    const dir = mkdtempSync(join(tmpdir(), 'oms-topology-test-'));
    try {
      writeFileSync(join(dir, 'StockbotOms.template.json'), JSON.stringify(template));
      expect(readTopology(loadTemplate(join(dir, 'StockbotOms.template.json')))).toEqual(topo);
      expect(readTopology(loadTemplate(dir))).toEqual(topo);
      writeFileSync(join(dir, 'x.json'), '{"a":1}');
      expect(() => loadTemplate(join(dir, 'x.json'))).toThrow(UnsupportedTemplateError);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// ---- intrinsics -----------------------------------------------------------------------------

const UNIT: CfnTemplate = {
  Parameters: { Stage: { Type: 'String', Default: 'dev' }, NoDefault: { Type: 'String' } },
  Mappings: { Sizes: { dev: { mem: '256' } } },
  Resources: {
    T: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: 'orders', StreamSpecification: {} } },
    T2: { Type: 'AWS::DynamoDB::Table', Properties: { TableName: { Ref: 'Stage' } } },
    F: { Type: 'AWS::Lambda::Function', Properties: {} },
    Q: { Type: 'AWS::SQS::Queue', Properties: { QueueName: 'jobs' } },
    B: { Type: 'AWS::Events::EventBus', Properties: { Name: 'bus' } },
    R: { Type: 'AWS::Events::Rule', Properties: { EventBusName: { Ref: 'B' } } },
    R2: {
      Type: 'AWS::Events::Rule',
      Properties: { EventBusName: { 'Fn::GetAtt': ['B', 'Arn'] }, Name: 'n' },
    },
    R3: { Type: 'AWS::Events::Rule', Properties: { EventBusName: 'default' } },
    S: { Type: 'AWS::StepFunctions::StateMachine', Properties: {} },
    Api: { Type: 'AWS::ApiGatewayV2::Api', Properties: {} },
  },
};
const resolver = new TemplateResolver(UNIT, { parameters: { NoDefault: 'given' } });
const at = (v: unknown) => resolver.resolve(v, 'X');

describe('intrinsics', () => {
  test.each([
    ['Ref AWS::Region', { Ref: 'AWS::Region' }, LOCAL_REGION],
    ['Ref AWS::AccountId', { Ref: 'AWS::AccountId' }, LOCAL_ACCOUNT_ID],
    ['Ref AWS::Partition', { Ref: 'AWS::Partition' }, 'aws'],
    ['Ref AWS::URLSuffix', { Ref: 'AWS::URLSuffix' }, 'amazonaws.com'],
    ['Ref AWS::StackName', { Ref: 'AWS::StackName' }, 'StockbotOms'],
    ['Ref parameter default', { Ref: 'Stage' }, 'dev'],
    ['Ref parameter given', { Ref: 'NoDefault' }, 'given'],
    ['Ref table = name', { Ref: 'T' }, 'orders'],
    ['Ref table with intrinsic name = logical id', { Ref: 'T2' }, 'T2'],
    ['Ref function = name', { Ref: 'F' }, 'F'],
    ['Ref queue = URL', { Ref: 'Q' }, `http://sqs.local/${LOCAL_ACCOUNT_ID}/jobs`],
    ['Ref bus = name', { Ref: 'B' }, 'bus'],
    ['Ref rule on a custom bus', { Ref: 'R' }, 'bus|R'],
    ['Ref state machine = ARN', { Ref: 'S' }, `arn:aws:states:${A}:stateMachine:S`],
    ['Ref other = logical id', { Ref: 'Api' }, 'Api'],
    ['GetAtt table Arn', { 'Fn::GetAtt': ['T', 'Arn'] }, `arn:aws:dynamodb:${A}:table/orders`],
    [
      'GetAtt StreamArn',
      { 'Fn::GetAtt': ['T', 'StreamArn'] },
      `arn:aws:dynamodb:${A}:table/orders/stream/local`,
    ],
    ['GetAtt "F.Arn"', { 'Fn::GetAtt': 'F.Arn' }, `arn:aws:lambda:${A}:function:F`],
    ['GetAtt queue Arn', { 'Fn::GetAtt': ['Q', 'Arn'] }, `arn:aws:sqs:${A}:jobs`],
    ['GetAtt QueueName', { 'Fn::GetAtt': ['Q', 'QueueName'] }, 'jobs'],
    ['GetAtt QueueUrl', { 'Fn::GetAtt': ['Q', 'QueueUrl'] }, `http://sqs.local/${LOCAL_ACCOUNT_ID}/jobs`],
    ['GetAtt bus Arn', { 'Fn::GetAtt': ['B', 'Arn'] }, `arn:aws:events:${A}:event-bus/bus`],
    ['GetAtt rule Arn', { 'Fn::GetAtt': ['R', 'Arn'] }, `arn:aws:events:${A}:rule/bus/R`],
    ['GetAtt rule Arn, bus given by ARN', { 'Fn::GetAtt': ['R2', 'Arn'] }, `arn:aws:events:${A}:rule/bus/n`],
    ['GetAtt rule Arn, default bus', { 'Fn::GetAtt': ['R3', 'Arn'] }, `arn:aws:events:${A}:rule/R3`],
    ['Ref rule on the default bus', { Ref: 'R3' }, 'R3'],
    ['GetAtt state machine Arn', { 'Fn::GetAtt': ['S', 'Arn'] }, `arn:aws:states:${A}:stateMachine:S`],
    ['Join', { 'Fn::Join': ['-', ['a', { Ref: 'Stage' }, 3]] }, 'a-dev-3'],
    ['Join of a Split', { 'Fn::Join': ['+', { 'Fn::Split': [',', 'x,y'] }] }, 'x+y'],
    ['Join drops AWS::NoValue', { 'Fn::Join': [',', ['a', { Ref: 'AWS::NoValue' }, 'b']] }, 'a,b'],
    [
      'Sub pseudo',
      { 'Fn::Sub': 'arn:${AWS::Partition}:x:${AWS::Region}:${AWS::AccountId}' },
      `arn:aws:x:${A}`,
    ],
    ['Sub Ref and GetAtt', { 'Fn::Sub': '${T}|${Q.Arn}' }, `orders|arn:aws:sqs:${A}:jobs`],
    ['Sub variables', { 'Fn::Sub': ['${x}/${Stage}', { x: { Ref: 'B' } }] }, 'bus/dev'],
    ['Sub escape ${!x}', { 'Fn::Sub': 'a${!Literal}b' }, 'a${Literal}b'],
    ['Select', { 'Fn::Select': [1, ['a', 'b', 'c']] }, 'b'],
    ['Select string index of a Split', { 'Fn::Select': ['2', { 'Fn::Split': [':', 'a:b:c'] }] }, 'c'],
    [
      'Split',
      { 'Fn::Split': ['/', { 'Fn::GetAtt': ['Q', 'QueueUrl'] }] },
      ['http:', '', 'sqs.local', LOCAL_ACCOUNT_ID, 'jobs'],
    ],
    ['FindInMap', { 'Fn::FindInMap': ['Sizes', { Ref: 'Stage' }, 'mem'] }, '256'],
    ['Base64', { 'Fn::Base64': 'hi' }, 'aGk='],
    [
      'nested object with NoValue dropped',
      { a: { Ref: 'Q' }, b: { Ref: 'AWS::NoValue' } },
      { a: `http://sqs.local/${LOCAL_ACCOUNT_ID}/jobs` },
    ],
    ['object with two keys is not an intrinsic', { Ref: 'x', y: 1 }, { Ref: 'x', y: 1 }],
  ])('%s', (_name, expression, expected) => {
    expect(at(expression)).toEqual(expected);
  });

  test.each([
    ['Fn::If', { 'Fn::If': ['C', 'a', 'b'] }, /Unsupported intrinsic Fn::If \(at X\.Fn::If\)/],
    [
      'Fn::ImportValue',
      { x: [{ 'Fn::ImportValue': 'e' }] },
      /Fn::ImportValue \(at X\.x\[0\]\.Fn::ImportValue\)/,
    ],
    ['Fn::GetAZs', { 'Fn::GetAZs': '' }, /Unsupported intrinsic Fn::GetAZs/],
    ['unknown resource', { Ref: 'Nope' }, /No resource 'Nope'/],
    ['unknown pseudo parameter', { Ref: 'AWS::Whatever' }, /Unsupported pseudo parameter AWS::Whatever/],
    ['unsupported attribute', { 'Fn::GetAtt': ['Q', 'Foo'] }, /Unsupported Fn::GetAtt AWS::SQS::Queue\.Foo/],
    ['StreamArn of a table without stream', { 'Fn::GetAtt': ['T2', 'StreamArn'] }, /T2 has no stream/],
    ['Select out of range', { 'Fn::Select': [5, ['a']] }, /out of range/],
    [
      'Join of an object',
      { 'Fn::Join': ['', [{ a: 1 }]] },
      /Expected a string, got .*at X\.Fn::Join\[1\]\[0\]/,
    ],
    ['NoValue at the top', { Ref: 'AWS::NoValue' }, /AWS::NoValue where a value is required/],
  ])('%s throws a clear error naming the path', (_name, expression, message) => {
    expect(() => at(expression)).toThrow(UnsupportedTemplateError);
    expect(() => at(expression)).toThrow(message);
  });

  test('a parameter without default or value throws', () => {
    expect(() => new TemplateResolver(UNIT).resolve({ Ref: 'NoDefault' }, 'P')).toThrow(
      /NoDefault has no value/,
    );
  });

  test('property: Select(i, Split(d, Join(d, list))) is list[i] for lists without the delimiter', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string().filter((s) => !s.includes('|') && !s.includes('${')),
          { minLength: 1, maxLength: 8 },
        ),
        fc.nat(),
        (list, n) => {
          const i = n % list.length;
          const joined = { 'Fn::Join': ['|', list] };
          expect(at({ 'Fn::Split': ['|', joined] })).toEqual(list);
          expect(at({ 'Fn::Select': [i, { 'Fn::Split': ['|', joined] }] })).toBe(list[i]);
          expect(at({ 'Fn::Sub': list.join('|') })).toBe(list.join('|'));
        },
      ),
    );
  });
});

// ---- template shapes the OMS does not use today --------------------------------------------

describe('readTopology on small templates', () => {
  const base = (resources: Record<string, unknown>): Record<string, unknown> => ({
    Resources: {
      Fn: {
        Type: 'AWS::Lambda::Function',
        Properties: { Handler: 'index.main' },
        Metadata: { 'oms:entry': 'x.ts' },
      },
      Helper: { Type: 'AWS::Lambda::Function', Properties: {} },
      Tbl: {
        Type: 'AWS::DynamoDB::Table',
        Properties: {
          TableName: 'plain',
          KeySchema: [{ AttributeName: 'id', KeyType: 'HASH' }],
          AttributeDefinitions: [{ AttributeName: 'id', AttributeType: 'S' }],
          StreamSpecification: { StreamViewType: 'KEYS_ONLY' },
        },
      },
      Dlq: { Type: 'AWS::SQS::Queue', Properties: {} },
      Q: {
        Type: 'AWS::SQS::Queue',
        Properties: {
          RedrivePolicy: {
            'Fn::Join': [
              '',
              ['{"deadLetterTargetArn":"', { 'Fn::GetAtt': ['Dlq', 'Arn'] }, '","maxReceiveCount":3}'],
            ],
          },
        },
      },
      ...resources,
    },
  });

  test('defaults: function timeout/memory/handler, queue visibility/retention, mapping batch sizes', () => {
    const t = readTopology(
      base({
        S1: {
          Type: 'AWS::Lambda::EventSourceMapping',
          Properties: { FunctionName: { Ref: 'Fn' }, EventSourceArn: { 'Fn::GetAtt': ['Tbl', 'StreamArn'] } },
        },
        S2: {
          Type: 'AWS::Lambda::EventSourceMapping',
          Properties: {
            FunctionName: { 'Fn::GetAtt': ['Fn', 'Arn'] },
            EventSourceArn: { 'Fn::GetAtt': ['Q', 'Arn'] },
          },
        },
        Off: {
          Type: 'AWS::Lambda::EventSourceMapping',
          Properties: {
            Enabled: false,
            FunctionName: { Ref: 'Fn' },
            EventSourceArn: { 'Fn::GetAtt': ['Q', 'Arn'] },
          },
        },
      }),
    );
    expect(t.functions).toEqual([
      expect.objectContaining({
        logicalId: 'Fn',
        handlerExport: 'main',
        timeoutSeconds: 3,
        memoryMb: 128,
        environment: {},
      }),
    ]);
    expect(t.tables[0]).toMatchObject({ tableName: 'plain', streamViewType: 'KEYS_ONLY', sortKey: null });
    expect(t.queues.find((q) => q.logicalId === 'Q')).toMatchObject({
      visibilityTimeoutSeconds: 30,
      messageRetentionSeconds: 345600,
      redrive: { deadLetterQueueLogicalId: 'Dlq', maxReceiveCount: 3 },
    });
    expect(
      t.eventSourceMappings.map((m) => [m.logicalId, m.source.kind, m.batchSize, m.maximumRetryAttempts]),
    ).toEqual([
      ['S1', 'dynamodb-stream', 100, -1],
      ['S2', 'sqs', 10, -1],
    ]);
    expect(t.eventSourceMappings[0]).toMatchObject({
      reportBatchItemFailures: false,
      bisectBatchOnFunctionError: false,
      maximumRecordAgeSeconds: null,
      onFailureQueueLogicalId: null,
      maximumBatchingWindowSeconds: 0,
    });
  });

  test('Definition object + DefinitionSubstitutions, named state machine, EXPRESS, state machine rule target', () => {
    const t = readTopology(
      base({
        Sm: {
          Type: 'AWS::StepFunctions::StateMachine',
          Properties: {
            StateMachineName: 'flow',
            StateMachineType: 'EXPRESS',
            Definition: { StartAt: 'A', States: { A: { Type: 'Task', Resource: '${Fn}', End: true } } },
            DefinitionSubstitutions: { Fn: { 'Fn::GetAtt': ['Fn', 'Arn'] } },
          },
        },
        Rule: {
          Type: 'AWS::Events::Rule',
          Properties: {
            Name: 'r1',
            EventBusName: 'default',
            EventPattern: { source: ['x'] },
            State: 'DISABLED',
            Targets: [
              { Id: 'sm', Arn: { Ref: 'Sm' } },
              { Id: 'q', Arn: { 'Fn::GetAtt': ['Q', 'Arn'] } },
            ],
          },
        },
      }),
    );
    expect(t.stateMachines).toEqual([
      {
        logicalId: 'Sm',
        name: 'flow',
        arn: `arn:aws:states:${A}:stateMachine:flow`,
        type: 'EXPRESS',
        definition: {
          StartAt: 'A',
          States: { A: { Type: 'Task', Resource: `arn:aws:lambda:${A}:function:Fn`, End: true } },
        },
      },
    ]);
    expect(t.rules).toEqual([
      {
        logicalId: 'Rule',
        name: 'r1',
        eventBusName: null,
        eventPattern: { source: ['x'] },
        scheduleExpression: null,
        enabled: false,
        targets: [
          { kind: 'state-machine', id: 'sm', stateMachineLogicalId: 'Sm' },
          { kind: 'sqs', id: 'q', queueLogicalId: 'Q', deadLetterQueueLogicalId: null },
        ],
      },
    ]);
  });

  test.each([
    [
      'a definition placeholder without substitution',
      {
        Sm: {
          Type: 'AWS::StepFunctions::StateMachine',
          Properties: { DefinitionString: '{"Comment":"${Missing}"}' },
        },
      },
      /Definition placeholder \$\{Missing\} has no substitution \(at Resources\.Sm\.Properties\.DefinitionSubstitutions\)/,
    ],
    [
      'a rule target that is a function without oms:entry',
      {
        R: {
          Type: 'AWS::Events::Rule',
          Properties: { Targets: [{ Id: 't', Arn: { 'Fn::GetAtt': ['Helper', 'Arn'] } }] },
        },
      },
      /Function arn:aws:lambda:.*:function:Helper is not a local function .*Resources\.R\.Properties\.Targets\[0\]\.Arn/,
    ],
    [
      'a mapping from an unknown source',
      {
        M: {
          Type: 'AWS::Lambda::EventSourceMapping',
          Properties: { FunctionName: { Ref: 'Fn' }, EventSourceArn: 'arn:aws:kinesis:us-east-1:1:stream/s' },
        },
      },
      /Unsupported event source arn:aws:kinesis/,
    ],
    [
      'a resource condition',
      { C: { Type: 'AWS::SQS::Queue', Condition: 'IsProd', Properties: {} } },
      /Conditions are not supported \(at Resources\.C\.Condition\)/,
    ],
    [
      'an unsupported intrinsic in a function environment',
      {
        E: {
          Type: 'AWS::Lambda::Function',
          Metadata: { 'oms:entry': 'e.ts' },
          Properties: { Environment: { Variables: { X: { 'Fn::If': ['c', 'a', 'b'] } } } },
        },
      },
      /Unsupported intrinsic Fn::If \(at Resources\.E\.Properties\.Environment\.Variables\.X\.Fn::If\)/,
    ],
  ])('rejects %s with a clear error', (_name, resources, message) => {
    expect(() => readTopology(base(resources))).toThrow(message);
  });
});
