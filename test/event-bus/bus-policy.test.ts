/**
 * The bus as a trust boundary (issue 16): "execution reports are accepted only from the broker
 * gateway's own principal and source (bus policy with conditions ...)"; "each sending principal is
 * mapped to the accounts it may trade". The bus resource policy's statements, table-driven, in the
 * synthesized stack with two strategies configured (context `oms:strategies`), and the rule that
 * every OMS role allowed to put events on the bus is one the policy lets through.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { OmsEventBus } from '../../lib/event-bus.js';
import { OmsStack } from '../../lib/oms-stack.js';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON is walked structurally in assertions.
type Json = Record<string, any>;

const MOMENTUM = 'arn:aws:iam::111122223333:role/momentum-bot';
const MEANREV = ['arn:aws:iam::111122223333:role/meanrev-a', 'arn:aws:iam::444455556666:role/meanrev-b'];

let resources: Record<string, Json>;

beforeAll(() => {
  const app = new App({
    context: {
      'aws:cdk:bundling-stacks': [],
      'oms:strategies': JSON.stringify({ momentum: MOMENTUM, meanrev: MEANREV }),
    },
    outdir: mkdtempSync(join(tmpdir(), 'oms-bus-policy-')),
  });
  resources = Template.fromStack(new OmsStack(app, 'Oms')).toJSON().Resources;
});

const ofType = (type: string): [string, Json][] =>
  Object.entries(resources).filter(([, r]) => r.Type === type) as [string, Json][];
const getAttId = (v: unknown): string | undefined =>
  (v as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt']?.[0];
const asList = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

function statements(from: Record<string, Json> = resources): Json[] {
  return Object.values(from)
    .filter((r) => r.Type === 'AWS::Events::EventBusPolicy')
    .flatMap((p) => asList(p.Properties.Statement ?? p.Properties.Policy?.Statement) as Json[]);
}
/** A statement by its Sid (CDK puts each in its own EventBusPolicy, as `cdk-<sid>`). */
const statement = (sid: string) => statements().find((s) => s.Sid === `cdk-${sid}`);

/** Role logical ids of the functions whose service name is one of these (POWERTOOLS_SERVICE_NAME). */
function rolesOf(...services: string[]): string[] {
  return ofType('AWS::Lambda::Function')
    .filter(([, f]) => services.includes(f.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME))
    .map(([, f]) => getAttId(f.Properties.Role) as string)
    .sort();
}
const roleIdsIn = (v: unknown) =>
  asList(v as unknown[])
    .map((r) => getAttId(r) as string)
    .sort();

const GATEWAY = [
  'oms-submit-to-venue',
  'oms-forward-to-venue',
  'oms-market-tick',
  'oms-check-in-flight-requests',
  'oms-reconcile-venues',
];

describe('the bus policy: who may put which source', () => {
  it.each<[string, string, Json]>([
    [
      'StrategyMomentumPutsItsOrderRequests',
      'Allow',
      {
        Principal: { AWS: MOMENTUM },
        Condition: {
          StringEquals: {
            'events:source': 'stockbot.strategy.momentum',
            'events:detail-type': 'OrderRequested',
          },
        },
      },
    ],
    [
      'StrategyMeanrevPutsItsOrderRequests',
      'Allow',
      {
        Principal: { AWS: MEANREV },
        Condition: {
          StringEquals: {
            'events:source': 'stockbot.strategy.meanrev',
            'events:detail-type': 'OrderRequested',
          },
        },
      },
    ],
    [
      'OnlyStrategyMomentumPutsItsSource',
      'Deny',
      {
        Principal: { AWS: '*' },
        Condition: {
          StringEquals: { 'events:source': 'stockbot.strategy.momentum' },
          ArnNotLike: { 'aws:PrincipalArn': [MOMENTUM] },
        },
      },
    ],
    [
      'OnlyStrategyMeanrevPutsItsSource',
      'Deny',
      {
        Principal: { AWS: '*' },
        Condition: {
          StringEquals: { 'events:source': 'stockbot.strategy.meanrev' },
          ArnNotLike: { 'aws:PrincipalArn': MEANREV },
        },
      },
    ],
    [
      'NoUnconfiguredStrategySource',
      'Deny',
      {
        Principal: { AWS: '*' },
        Condition: {
          StringLike: { 'events:source': 'stockbot.strategy*' },
          StringNotEquals: { 'events:source': ['stockbot.strategy.momentum', 'stockbot.strategy.meanrev'] },
        },
      },
    ],
    [
      'OnlyBrokerGatewayPutsVenueReports',
      'Deny',
      { Principal: { AWS: '*' }, Condition: { StringEquals: { 'events:source': 'stockbot.venue' } } },
    ],
    [
      'OnlyOmsPutsOmsSources',
      'Deny',
      { Principal: { AWS: '*' }, Condition: { StringLike: { 'events:source': 'stockbot.oms*' } } },
    ],
  ])('%s: %s', (sid, effect, shape) => {
    const s = statement(sid);
    expect(s).toMatchObject({ Effect: effect, Action: 'events:PutEvents', ...shape });
    expect(getAttId(s?.Resource)).toMatch(/^EventsBus/);
  });

  it('stockbot.venue (execution reports): only the broker gateway’s roles', () => {
    const except = statement('OnlyBrokerGatewayPutsVenueReports')?.Condition.ArnNotEquals['aws:PrincipalArn'];
    expect(roleIdsIn(except)).toEqual(rolesOf(...GATEWAY));
    // The intake, the API and the order stream are not among them; nor the report applier, which
    // reaches no venue (its cancels at a venue go through forward-to-venue).
    expect(roleIdsIn(except)).not.toContain(rolesOf('oms-order-requested')[0]);
    expect(roleIdsIn(except)).not.toContain(rolesOf('oms-apply-execution-report')[0]);
  });

  it('every OMS role allowed events:PutEvents on the bus may put the sources it publishes', () => {
    const putters = ofType('AWS::IAM::Policy')
      .filter(([, p]) =>
        (p.Properties.PolicyDocument.Statement as Json[]).some((st) =>
          asList(st.Action).includes('events:PutEvents'),
        ),
      )
      .flatMap(([, p]) => (p.Properties.Roles as Json[]).map((r) => r.Ref as string));
    const venue = roleIdsIn(
      statement('OnlyBrokerGatewayPutsVenueReports')?.Condition.ArnNotEquals['aws:PrincipalArn'],
    );
    const oms = roleIdsIn(statement('OnlyOmsPutsOmsSources')?.Condition.ArnNotEquals['aws:PrincipalArn']);
    expect(putters.length).toBeGreaterThan(5);
    expect([...new Set([...venue, ...oms])].sort()).toEqual([...new Set(putters)].sort());
    // The publisher of the order events and of the intake's answers is an OMS publisher, not a venue one.
    expect(oms).toContain(rolesOf('oms-order-stream')[0]);
    expect(venue).not.toContain(rolesOf('oms-order-stream')[0]);
    // The intake stores its answers for that publisher: it may put nothing on the bus itself.
    expect(putters).not.toContain(rolesOf('oms-order-requested')[0]);
  });

  it('with no strategy configured, every stockbot.strategy* source is denied to all (bus orders fail closed)', () => {
    const stack = new Stack(new App(), 'BusPolicy');
    new OmsEventBus(stack, 'Events', { strategies: {} });
    const all = statements(Template.fromStack(stack).toJSON().Resources);
    expect(all).toEqual([
      expect.objectContaining({
        Sid: 'cdk-NoUnconfiguredStrategySource',
        Effect: 'Deny',
        Condition: { StringLike: { 'events:source': 'stockbot.strategy*' } },
      }),
    ]);
  });

  it.each([
    [{ Momentum: [MOMENTUM] }, /Momentum is not a strategy id/],
    [{ momentum: [] }, /momentum names no principal/],
  ])('a strategy the policy cannot name is a synth error: %j', (strategies, error) => {
    expect(() => new OmsEventBus(new Stack(new App(), 'Bad'), 'Events', { strategies })).toThrow(error);
  });
});

describe('a refusal at the boundary alarms', () => {
  it.each([
    ['ExecutionReportsRefused', 'oms-apply-execution-report'],
    ['InboundOrderSenderRefused', 'oms-order-requested'],
  ])('%s of %s: alarmed at > 0, to the alarm topic', (metricName, service) => {
    const alarms = ofType('AWS::CloudWatch::Alarm').filter(([, a]) => a.Properties.MetricName === metricName);
    expect(alarms).toHaveLength(1);
    expect(alarms[0]?.[1].Properties).toMatchObject({
      Threshold: 0,
      ComparisonOperator: 'GreaterThanThreshold',
      Dimensions: [{ Name: 'service', Value: service }],
    });
    expect(alarms[0]?.[1].Properties.AlarmActions).toHaveLength(1);
    // The function publishes under that service name.
    expect(rolesOf(service)).toHaveLength(1);
  });
});
