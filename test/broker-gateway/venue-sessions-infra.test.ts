/**
 * The venue session host's nested stack (lib/venue-sessions.ts): synthesized offline, with the
 * main stack holding only the nested stack resource, the Fargate service and its task, the grants
 * on the venue orders table and the bus, and no unacknowledged cdk-nag AwsSolutions finding.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { SECRETS_EXTENSION_TIMEOUT_MS } from '../../lambdas/platform/alpaca-credentials.js';
import { parseAlpacaVenuesContext } from '../../lambdas/platform/alpaca-venues.js';
import { OmsStack } from '../../lib/oms-stack.js';
import { VenueSessions } from '../../lib/venue-sessions.js';
import { STACK_NAME, synthesisContext } from '../../local/topology.js';
import { omsTemplate } from '../infra/synthesized.js';
import { nagFindings } from '../infra/template.js';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON is walked structurally in assertions.
type Json = Record<string, any>;

const FIX_VENUES = JSON.stringify([
  { name: 'FIXA', host: 'fix.example.net', port: 9878, senderCompId: 'OMS', targetCompId: 'FIXA' },
]);

function build(app: App): { parent: Stack; sessions: VenueSessions } {
  const parent = new Stack(app, 'Parent');
  const venueOrders = new Table(parent, 'VenueOrders', {
    partitionKey: { name: 'orderId', type: AttributeType.STRING },
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
  });
  venueOrders.addGlobalSecondaryIndex({
    indexName: 'byFixQueue',
    partitionKey: { name: 'fixQueue', type: AttributeType.STRING },
    sortKey: { name: 'requestedAt', type: AttributeType.STRING },
  });
  const bus = new EventBus(parent, 'Bus');
  const sessions = new VenueSessions(parent, 'VenueSessions', { venueOrders, bus, fixVenues: FIX_VENUES });
  return { parent, sessions };
}

describe('VenueSessions nested stack', () => {
  let parent: Template;
  let nested: Template;
  let outdir: string;

  beforeAll(() => {
    outdir = mkdtempSync(join(tmpdir(), 'venue-sessions-'));
    const app = new App({ outdir });
    const built = build(app);
    parent = Template.fromStack(built.parent);
    nested = Template.fromStack(built.sessions.stack);
  });

  test("the image's build context holds only what the Dockerfile copies", () => {
    const asset = readdirSync(outdir).find((f) => f.startsWith('asset.')) as string;
    expect(readdirSync(join(outdir, asset)).sort()).toEqual([
      'docker',
      'lambdas',
      'package-lock.json',
      'package.json',
      'tsconfig.json',
    ]);
  });

  test('the parent gains one resource: the nested stack', () => {
    parent.resourceCountIs('AWS::CloudFormation::Stack', 1);
    const types = Object.values(parent.toJSON().Resources as Json).map((r) => r.Type);
    expect(types.sort()).toEqual([
      'AWS::CloudFormation::Stack',
      'AWS::DynamoDB::Table',
      'AWS::Events::EventBus',
    ]);
  });

  test('one Fargate task on arm64, never two at once, public IP and no ingress', () => {
    nested.hasResourceProperties('AWS::ECS::Service', {
      DesiredCount: 1,
      LaunchType: 'FARGATE',
      DeploymentConfiguration: Match.objectLike({ MaximumPercent: 100, MinimumHealthyPercent: 0 }),
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'ENABLED' }) },
    });
    nested.hasResourceProperties('AWS::ECS::TaskDefinition', {
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
    });
    const groups = nested.findResources('AWS::EC2::SecurityGroup');
    for (const g of Object.values(groups))
      expect((g as Json).Properties.SecurityGroupIngress).toBeUndefined();
    nested.resourceCountIs('AWS::EC2::NatGateway', 0);
  });

  test('the container is told the table, the bus and the FIX venues', () => {
    const defs = Object.values(nested.findResources('AWS::ECS::TaskDefinition'))[0] as Json;
    const env = Object.fromEntries(
      (defs.Properties.ContainerDefinitions[0].Environment as Json[]).map((e) => [e.Name, e.Value]),
    );
    expect(env.OMS_FIX_VENUES).toBe(FIX_VENUES);
    expect(env.VENUE_ORDERS_TABLE).toBeDefined();
    expect(env.EVENT_BUS_NAME).toBeDefined();
  });

  test('the task role may use the venue orders table and put events on the bus', () => {
    const policies = JSON.stringify(nested.findResources('AWS::IAM::Policy'));
    expect(policies).toMatch(/dynamodb:PutItem/);
    expect(policies).toMatch(/dynamodb:Query/);
    expect(policies).toMatch(/events:PutEvents/);
  });

  test('cdk-nag AwsSolutions: no unacknowledged finding', () => {
    expect(nagFindings(build)).toEqual([]);
  });
});

/**
 * The OMS stack as deployed (cdk.json's context, local/topology.ts `synthesisContext`) with `context`
 * on top: the stacks here are compared with the one without venues, which the run synthesizes once
 * for every file (test/infra/synthesized.ts).
 */
const deployed = (context: Record<string, unknown>, prefix: string) =>
  new App({ context: synthesisContext(context), outdir: mkdtempSync(join(tmpdir(), prefix)) });

/** The OMS stack without venues of either kind: the run's one synthesis, a copy per call. */
const plainOms = (): Promise<Json> => omsTemplate();

describe('the OMS stack with FIX venues (oms:fixVenues)', () => {
  let plain: Json;
  let withFix: Json;
  let stack: OmsStack;

  beforeAll(async () => {
    plain = await plainOms();
    stack = new OmsStack(deployed({ 'oms:fixVenues': FIX_VENUES }, 'oms-fix-'), STACK_NAME);
    withFix = Template.fromStack(stack).toJSON();
  });

  test('adds one resource to the main stack (the nested stack) and the byFixQueue index', () => {
    const count = (t: Json) => Object.keys(t.Resources).length;
    expect(count(withFix) - count(plain)).toBe(1);
    const tables = Object.values(withFix.Resources as Json).filter((r) => r.Type === 'AWS::DynamoDB::Table');
    const indexes = tables.flatMap((t) =>
      (t.Properties.GlobalSecondaryIndexes ?? []).map((g: Json) => g.IndexName),
    );
    expect(indexes).toContain('byFixQueue');
    expect(stack.venueSessions).toBeDefined();
  });

  test('the host is told the market table (it marks a venue down while its session is lost)', () => {
    const nested = Template.fromStack((stack.venueSessions as VenueSessions).stack).toJSON();
    const def = Object.values(nested.Resources as Json).find(
      (r) => r.Type === 'AWS::ECS::TaskDefinition',
    ) as Json;
    const names = (def.Properties.ContainerDefinitions[0].Environment as Json[]).map((e) => e.Name);
    expect(names).toEqual(
      expect.arrayContaining(['MARKET_TABLE', 'VENUE_ORDERS_TABLE', 'EVENT_BUS_NAME', 'OMS_FIX_VENUES']),
    );
  });

  test('every function is told the FIX venues; without oms:fixVenues none is', () => {
    const fns = (t: Json) =>
      Object.values(t.Resources as Json).filter((r) => r.Type === 'AWS::Lambda::Function');
    for (const f of fns(withFix))
      expect(f.Properties.Environment?.Variables?.OMS_FIX_VENUES).toBe(FIX_VENUES);
    for (const f of fns(plain)) expect(f.Properties.Environment?.Variables?.OMS_FIX_VENUES).toBeUndefined();
  });

  test("the host's task role is one of the bus's venue publishers", () => {
    const policies = Object.values(withFix.Resources as Json).filter(
      (r) => r.Type === 'AWS::Events::EventBusPolicy',
    );
    const venueDeny = policies.find((r) => JSON.stringify(r.Properties).includes('"stockbot.venue"'));
    expect(venueDeny).toBeDefined();
    expect(JSON.stringify(venueDeny)).toMatch(/VenueSessions.*TaskRole/);
  });

  test('a malformed oms:fixVenues fails the synthesis naming the field', () => {
    const app = deployed({ 'oms:fixVenues': '[{"name":"FIXA","host":"h","port":0}]' }, 'oms-fix-bad-');
    expect(() => new OmsStack(app, STACK_NAME)).toThrow(/OMS_FIX_VENUES: .*port/);
  });
});

test('cdk-nag AwsSolutions: the OMS stack with FIX venues has no unacknowledged finding', () => {
  expect(nagFindings((app) => new OmsStack(app, 'Oms'), { 'oms:fixVenues': FIX_VENUES })).toEqual([]);
});

describe('the OMS stack with Alpaca venues (oms:alpacaVenues)', () => {
  const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:oms/alpaca/paper-AbCdEf';
  const ALPACA_VENUES = JSON.stringify([
    {
      name: 'ALPX',
      baseUrl: 'https://paper-api.alpaca.markets',
      streamUrl: 'wss://paper-api.alpaca.markets/stream',
      secretArn: ARN,
    },
    { name: 'ALPY', baseUrl: 'https://api.alpaca.markets', secretName: 'oms/alpaca/live' },
  ]);
  // A developer's local key pair in the synthesizing process's environment must not leak either.
  const LOCAL_SECRET = 'local-only-s3cret-value';
  const LOCAL_ENV = {
    OMS_ALPACA_VENUES: JSON.stringify([
      { name: 'ALPX', baseUrl: 'http://b.test', keyId: 'PKLOCAL', secret: LOCAL_SECRET },
    ]),
    OMS_ALPACA_KEY_ID_ALPX: 'PKLOCAL',
    OMS_ALPACA_SECRET_ALPX: LOCAL_SECRET,
  };
  const VENUE_FUNCTIONS = ['SubmitToVenue', 'ForwardToVenue', 'CheckInFlightRequests', 'ReconcileVenues'];
  let plain: Json;
  let main: Json;
  let nested: Json;
  let stack: OmsStack;

  beforeAll(async () => {
    plain = await plainOms();
    const saved = { ...process.env };
    Object.assign(process.env, LOCAL_ENV);
    try {
      stack = new OmsStack(deployed({ 'oms:alpacaVenues': ALPACA_VENUES }, 'oms-alpaca-'), STACK_NAME);
      main = Template.fromStack(stack).toJSON();
      nested = Template.fromStack((stack.venueSessions as VenueSessions).stack).toJSON();
    } finally {
      for (const k of Object.keys(LOCAL_ENV)) if (saved[k] === undefined) delete process.env[k];
    }
  });

  const ofType = (t: Json, type: string): [string, Json][] =>
    Object.entries(t.Resources as Json).filter(([, r]) => r.Type === type) as [string, Json][];
  const statementsOf = (policy: Json): Json[] => policy.Properties.PolicyDocument.Statement as Json[];
  /** A statement's resources: one, or a list where the deployed context's minimizePolicies merged some. */
  const resourcesOf = (statement: Json): unknown[] => [statement.Resource].flat();
  const secretStatements = (t: Json): [string, Json][] =>
    ofType(t, 'AWS::IAM::Policy').flatMap(([id, p]) =>
      statementsOf(p)
        .filter((s) => JSON.stringify(s.Action).includes('secretsmanager'))
        .map((s) => [id, s] as [string, Json]),
    );
  const ARN_PREFIX = [
    'arn:',
    { Ref: 'AWS::Partition' },
    ':secretsmanager:',
    { Ref: 'AWS::Region' },
    ':',
    { Ref: 'AWS::AccountId' },
  ];
  const NAME_PATTERN = { 'Fn::Join': ['', [...ARN_PREFIX, ':secret:oms/alpaca/live-??????']] };

  test('unset, empty or []: the template is the one without Alpaca venues', () => {
    // The stack reads the context only through this parse (lib/oms-stack.ts): the same answer for
    // the three is the same template (two syntheses more of the whole stack cost 16 s of CPU).
    for (const value of ['', '  ', '[]', null])
      expect(parseAlpacaVenuesContext(value)).toEqual(parseAlpacaVenuesContext(undefined));
    expect(parseAlpacaVenuesContext(undefined)).toEqual({ env: '', venues: [] });
    expect(JSON.stringify(plain)).not.toMatch(/OMS_ALPACA_VENUES|secretsmanager|VenueSessions/);
  });

  test("adds one resource to the main stack (the host's nested stack), no FIX queue index", () => {
    expect(Object.keys(main.Resources).length - Object.keys(plain.Resources).length).toBe(1);
    const added = ofType(main, 'AWS::CloudFormation::Stack').filter(
      ([id]) => plain.Resources[id] === undefined,
    );
    expect(added.map(([id]) => id)).toEqual([expect.stringMatching(/^VenueSessions/)]);
    const indexes = ofType(main, 'AWS::DynamoDB::Table').flatMap(([, t]) =>
      (t.Properties.GlobalSecondaryIndexes ?? []).map((g: Json) => g.IndexName),
    );
    expect(indexes).not.toContain('byFixQueue');
  });

  test('every function is told the venues: names, URLs and secret references, no key pair', () => {
    const fns = ofType(main, 'AWS::Lambda::Function');
    expect(fns.length).toBeGreaterThan(20);
    for (const [, f] of fns) {
      const text = f.Properties.Environment?.Variables?.OMS_ALPACA_VENUES as string;
      expect(JSON.parse(text)).toEqual(JSON.parse(ALPACA_VENUES));
      for (const entry of JSON.parse(text) as Json[]) {
        expect(entry.keyId).toBeUndefined();
        expect(entry.secret).toBeUndefined();
      }
    }
  });

  test('GetSecretValue on exactly those secrets, for exactly the functions that reach a venue', () => {
    const found = secretStatements(main);
    const holders = new Set(found.map(([id]) => /^BrokerGateway(\w+?)RoleDefaultPolicy/.exec(id)?.[1] ?? id));
    expect([...holders].sort()).toEqual([...VENUE_FUNCTIONS].sort());
    for (const [, s] of found) {
      expect(s.Effect).toBe('Allow');
      expect([s.Action].flat().sort()).toEqual([
        'secretsmanager:DescribeSecret',
        'secretsmanager:GetSecretValue',
      ]);
      for (const r of resourcesOf(s)) expect([ARN, NAME_PATTERN]).toContainEqual(r);
    }
    // Each venue function may read both secrets (one statement, as minimizePolicies merges them).
    for (const f of VENUE_FUNCTIONS)
      expect(
        found.filter(([id]) => id.startsWith(`BrokerGateway${f}Role`)).flatMap(([, s]) => resourcesOf(s)),
      ).toEqual([ARN, NAME_PATTERN]);
  });

  /** The function's logical id without its hash: `BrokerGatewaySubmitToVenueD1D1C431` -> `SubmitToVenue`. */
  const fnName = (id: string) => /^BrokerGateway(\w+?)[0-9A-F]{8}$/.exec(id)?.[1] ?? id;
  const EXTENSION_MAP = 'ParamsandsecretslayerMap';
  const extensionEnv = (f: Json) =>
    Object.fromEntries(
      Object.entries((f.Properties.Environment?.Variables ?? {}) as Json).filter(([k]) =>
        /^(PARAMETERS_SECRETS_EXTENSION_|SECRETS_MANAGER_|SSM_PARAMETER_STORE_)/.test(k),
      ),
    );
  const extensionLayers = (f: Json) =>
    ((f.Properties.Layers ?? []) as Json[]).filter((l) => JSON.stringify(l).includes(EXTENSION_MAP));

  test('the functions that reach a venue, and only they, get the Parameters and Secrets extension: layer and settings', () => {
    const fns = ofType(main, 'AWS::Lambda::Function');
    const withExtension = fns.filter(([, f]) => extensionLayers(f).length > 0).map(([id]) => fnName(id));
    expect(withExtension.sort()).toEqual([...VENUE_FUNCTIONS].sort());
    for (const [id, f] of fns) {
      if (!VENUE_FUNCTIONS.includes(fnName(id))) {
        expect(extensionEnv(f)).toEqual({});
        continue;
      }
      // arm64's layer of the version CDK knows, looked up per region (environment-agnostic stack).
      expect(extensionLayers(f)).toEqual([
        { 'Fn::FindInMap': [EXTENSION_MAP, { Ref: 'AWS::Region' }, '1x0x103xarm64'] },
      ]);
      expect(extensionEnv(f)).toMatchObject({
        PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: '2773',
        // No cache of its own: the function keeps the pair, and a read after a failure must reach
        // Secrets Manager (lambdas/platform/alpaca-credentials.ts).
        PARAMETERS_SECRETS_EXTENSION_CACHE_ENABLED: 'false',
        // Below the function's own wait for it (SECRETS_EXTENSION_TIMEOUT_MS).
        SECRETS_MANAGER_TIMEOUT_MILLIS: String(SECRETS_EXTENSION_TIMEOUT_MS - 2000),
        PARAMETERS_SECRETS_EXTENSION_LOG_LEVEL: 'warn',
      });
    }
    const regions = main.Mappings[EXTENSION_MAP] as Json;
    expect(Object.keys(regions)).toEqual(expect.arrayContaining(['us-east-1', 'eu-west-1']));
    for (const byVersion of Object.values(regions) as Json[])
      expect(byVersion['1x0x103xarm64']).toMatch(
        /^arn:aws:lambda:[a-z0-9-]+:\d{12}:layer:AWS-Parameters-and-Secrets-Lambda-Extension-Arm64:\d+$/,
      );
    // The extension reads with the function's role: its grants are the GetSecretValue ones above.
  });

  test('without Alpaca venues no function has the extension (no layer, no settings, no mapping)', () => {
    for (const [, f] of ofType(plain, 'AWS::Lambda::Function')) {
      expect(extensionLayers(f)).toEqual([]);
      expect(extensionEnv(f)).toEqual({});
    }
    expect(plain.Mappings?.[EXTENSION_MAP]).toBeUndefined();
  });

  test("the host: the venues in its env, each key pair as two container secrets from the secret's fields", () => {
    const [[, def]] = ofType(nested, 'AWS::ECS::TaskDefinition') as [[string, Json]];
    const container = def.Properties.ContainerDefinitions[0] as Json;
    const env = Object.fromEntries((container.Environment as Json[]).map((e) => [e.Name, e.Value]));
    expect(JSON.parse(env.OMS_ALPACA_VENUES)).toEqual(JSON.parse(ALPACA_VENUES));
    const secrets = Object.fromEntries((container.Secrets as Json[]).map((s) => [s.Name, s.ValueFrom]));
    const byName = (field: string) => ({
      'Fn::Join': ['', [...ARN_PREFIX, `:secret:oms/alpaca/live:${field}::`]],
    });
    expect(secrets).toEqual({
      OMS_ALPACA_KEY_ID_ALPX: `${ARN}:keyId::`,
      OMS_ALPACA_SECRET_ALPX: `${ARN}:secret::`,
      OMS_ALPACA_KEY_ID_ALPY: byName('keyId'),
      OMS_ALPACA_SECRET_ALPY: byName('secret'),
    });
    for (const name of Object.keys(secrets)) expect(env[name]).toBeUndefined();
  });

  test('only the execution role (which starts the task) may read the secrets; the task role may not', () => {
    const found = secretStatements(nested);
    expect([...new Set(found.map(([id]) => id))]).toEqual([
      expect.stringMatching(/^TaskExecutionRoleDefaultPolicy/),
    ]);
    expect(found.flatMap(([, s]) => resourcesOf(s))).toEqual([ARN, NAME_PATTERN]);
  });

  test('no plaintext key pair anywhere in either template (not even from the synthesizing env)', () => {
    const text = JSON.stringify(main) + JSON.stringify(nested);
    expect(text).not.toContain(LOCAL_SECRET);
    expect(text).not.toContain('PKLOCAL');
    expect(text).not.toMatch(/"(keyId|secret)\\?"\s*:/);
  });

  test("the host's task role stays one of the bus's venue publishers", () => {
    const venueDeny = ofType(main, 'AWS::Events::EventBusPolicy').find(([, r]) =>
      JSON.stringify(r.Properties).includes('"stockbot.venue"'),
    );
    expect(JSON.stringify(venueDeny)).toMatch(/VenueSessions.*TaskRole/);
  });

  test.each([
    [
      'a key pair in the context',
      [{ name: 'ALPX', baseUrl: 'https://b.test', keyId: 'K', secret: LOCAL_SECRET }],
      /0\.keyId: not allowed in oms:alpacaVenues.*0\.secret: not allowed/,
    ],
    ['no secret reference', [{ name: 'ALPX', baseUrl: 'https://b.test' }], /0\.secretArn: required/],
    [
      'a partial ARN',
      [
        {
          name: 'ALPX',
          baseUrl: 'https://b.test',
          secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:x',
        },
      ],
      /0\.secretArn: must be the complete ARN/,
    ],
  ])('%s fails the synthesis naming the field, echoing no secret', (_what, value, message) => {
    const app = deployed({ 'oms:alpacaVenues': JSON.stringify(value) }, 'oms-alpaca-bad-');
    let err: Error | undefined;
    try {
      new OmsStack(app, STACK_NAME);
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).toMatch(message);
    expect(err?.message).not.toContain(LOCAL_SECRET);
  });
});

test('cdk-nag AwsSolutions: the OMS stack with Alpaca venues has no unacknowledged finding', () => {
  const venues = JSON.stringify([
    {
      name: 'ALPX',
      baseUrl: 'https://paper-api.alpaca.markets',
      secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:oms/alpaca/paper-AbCdEf',
    },
    { name: 'ALPY', baseUrl: 'https://api.alpaca.markets', secretName: 'oms/alpaca/live' },
  ]);
  expect(nagFindings((app) => new OmsStack(app, 'Oms'), { 'oms:alpacaVenues': venues })).toEqual([]);
});
