/**
 * The venue session host's nested stack (lib/venue-sessions.ts): synthesized offline, with the
 * main stack holding only the nested stack resource, the Fargate service and its task, the grants
 * on the venue orders table and the bus, and no unacknowledged cdk-nag AwsSolutions finding.
 */
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AttributeType, Table } from 'aws-cdk-lib/aws-dynamodb';
import { EventBus } from 'aws-cdk-lib/aws-events';
import { AwsSolutionsChecks } from 'cdk-nag';
import { OmsStack } from '../../lib/oms-stack.js';
import { VenueSessions } from '../../lib/venue-sessions.js';

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
    const outdir = mkdtempSync(join(tmpdir(), 'venue-sessions-nag-'));
    const app = new App({ outdir });
    build(app);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    try {
      app.synth();
    } catch {
      // the report is written first
    }
    const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as Json;
    const findings = (report.pluginReports as Json[])
      .filter((p) => /AwsSolutions/.test(p.pluginName as string))
      .flatMap((p) => p.violations as Json[])
      .flatMap((v) => (v.violatingConstructs as Json[]).map((c) => `${v.ruleName} @ ${c.constructPath}`));
    expect(findings).toEqual([]);
  });
});

describe('the OMS stack with FIX venues (oms:fixVenues)', () => {
  const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };
  let plain: Json;
  let withFix: Json;
  let stack: OmsStack;

  beforeAll(() => {
    const a = new App({ context: NO_BUNDLING, outdir: mkdtempSync(join(tmpdir(), 'oms-plain-')) });
    plain = Template.fromStack(new OmsStack(a, 'Oms')).toJSON();
    const b = new App({
      context: { ...NO_BUNDLING, 'oms:fixVenues': FIX_VENUES },
      outdir: mkdtempSync(join(tmpdir(), 'oms-fix-')),
    });
    stack = new OmsStack(b, 'Oms');
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
    const app = new App({
      context: { ...NO_BUNDLING, 'oms:fixVenues': '[{"name":"FIXA","host":"h","port":0}]' },
    });
    expect(() => new OmsStack(app, 'Oms')).toThrow(/OMS_FIX_VENUES: .*port/);
  });
});

test('cdk-nag AwsSolutions: the OMS stack with FIX venues has no unacknowledged finding', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'oms-fix-nag-'));
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], 'oms:fixVenues': FIX_VENUES }, outdir });
  new OmsStack(app, 'Oms');
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  try {
    app.synth();
  } catch {
    // the report is written first
  }
  const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as Json;
  const findings = (report.pluginReports as Json[])
    .filter((p) => /AwsSolutions/.test(p.pluginName as string))
    .flatMap((p) => p.violations as Json[])
    .flatMap((v) => (v.violatingConstructs as Json[]).map((c) => `${v.ruleName} @ ${c.constructPath}`));
  expect(findings).toEqual([]);
});
