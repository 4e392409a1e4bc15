/**
 * lib/dashboard.ts (issue 14): the page on S3 behind CloudFront, same-origin with the API. Checked
 * on the whole OMS stack (as deployed) and, for the `/stream` hook, on a stack of its own.
 */
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { HttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { DASHBOARD_DIR, Dashboard, FORWARDED_API_HEADERS } from '../../lib/dashboard.js';
import { OmsStack } from '../../lib/oms-stack.js';
import { nagFindings } from '../infra/template.js';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON is walked structurally in assertions.
type Json = Record<string, any>;

const NO_BUNDLING = { 'aws:cdk:bundling-stacks': [] };
const newApp = () => new App({ context: NO_BUNDLING, outdir: mkdtempSync(join(tmpdir(), 'oms-dash-')) });

let template: Template;
let resources: Record<string, Json>;
let outdir: string;

beforeAll(() => {
  const app = newApp();
  outdir = app.outdir;
  template = Template.fromStack(new OmsStack(app, 'Oms'));
  resources = template.toJSON().Resources;
});

const ofType = (type: string) => Object.entries(resources).filter(([, r]) => r.Type === type);
const distribution = (): Json => {
  const found = ofType('AWS::CloudFront::Distribution');
  expect(found).toHaveLength(1);
  return (found[0] as [string, Json])[1].Properties.DistributionConfig;
};

describe('site bucket', () => {
  test('private: all public access blocked, SSL enforced, encrypted, access logs to the logs bucket', () => {
    template.hasResourceProperties('AWS::S3::Bucket', {
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      BucketEncryption: Match.anyValue(),
      LoggingConfiguration: { LogFilePrefix: 'site-bucket/', DestinationBucketName: Match.anyValue() },
    });
    const policies = ofType('AWS::S3::BucketPolicy').map(([, p]) => JSON.stringify(p.Properties));
    // Every bucket refuses plain HTTP (enforceSSL)...
    for (const p of policies) expect(p).toContain('"aws:SecureTransport":"false"');
    // ...and the site bucket is readable by CloudFront only, through the distribution's OAC.
    expect(policies.some((p) => p.includes('cloudfront.amazonaws.com') && p.includes('AWS:SourceArn'))).toBe(
      true,
    );
    template.resourceCountIs('AWS::CloudFront::OriginAccessControl', 1);
  });

  test("the page's files and uPlot's two dist files are deployed, README and the rest of uPlot not", () => {
    const deployments = ofType('Custom::CDKBucketDeployment').map(([, d]) => d.Properties);
    expect(deployments).toHaveLength(2);
    expect(deployments.map((d) => d.DestinationBucketKeyPrefix ?? '')).toEqual(['', 'vendor/']);
    expect(deployments[0]?.Exclude).toEqual(['vendor/*']);
    // What each deployment uploads: its staged asset (the zip CloudFormation names, as a directory).
    const staged = deployments.map((d) =>
      readdirSync(join(outdir, `asset.${String(d.SourceObjectKeys[0]).replace(/\.zip$/, '')}`)).sort(),
    );
    const page = readdirSync(DASHBOARD_DIR)
      .filter((f) => f !== 'README.md')
      .sort();
    expect(staged[0]).toEqual(page);
    expect(staged[0]).toContain('index.html');
    expect(staged[1]).toEqual(['uPlot.iife.min.js', 'uPlot.min.css']);
    // No invalidation (its grant would be on "*"): the page's edge TTLs are short instead.
    expect(deployments[0]?.DistributionPaths).toBeUndefined();
  });
});

describe('distribution', () => {
  test('index.html at the root, HTTPS, the bucket through OAC with security headers', () => {
    const d = distribution();
    expect(d.DefaultRootObject).toBe('index.html');
    expect(d.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(d.DefaultCacheBehavior.ResponseHeadersPolicyId).toBeDefined();
    const s3 = (d.Origins as Json[]).find((o) => o.S3OriginConfig !== undefined);
    expect(s3?.OriginAccessControlId).toBeDefined();
    expect(d.Logging).toMatchObject({ Prefix: 'cloudfront/' });
  });

  test('/v2/* goes to the HTTP API: every method, nothing cached, the key headers forwarded', () => {
    const d = distribution();
    const api = (d.CacheBehaviors as Json[]).find((b) => b.PathPattern === '/v2/*');
    expect(api).toBeDefined();
    expect(api?.AllowedMethods).toEqual(['GET', 'HEAD', 'OPTIONS', 'PUT', 'PATCH', 'POST', 'DELETE']);
    expect(api?.ViewerProtocolPolicy).toBe('https-only');
    expect(api?.CachePolicyId).toBe('4135ea2d-6df8-44a3-9df3-4b5a84be39ad'); // CachingDisabled
    const origin = (d.Origins as Json[]).find((o) => o.Id === api?.TargetOriginId);
    const apiId = Object.keys(resources).find(
      (k) =>
        resources[k]?.Type === 'AWS::ApiGatewayV2::Api' && resources[k]?.Properties.ProtocolType === 'HTTP',
    );
    expect(JSON.stringify(origin?.DomainName)).toContain(`"Ref":"${apiId}"`);
    expect(origin?.CustomOriginConfig?.OriginProtocolPolicy).toBe('https-only');
    const policy = ofType('AWS::CloudFront::OriginRequestPolicy')[0]?.[1].Properties
      .OriginRequestPolicyConfig;
    expect(policy.HeadersConfig).toEqual({
      HeaderBehavior: 'whitelist',
      Headers: [...FORWARDED_API_HEADERS],
    });
    expect(policy.QueryStringsConfig.QueryStringBehavior).toBe('all');
  });

  test('/stream goes to the trade_updates WebSocket stage, its path rewritten to the stage root', () => {
    const d = distribution();
    expect((d.CacheBehaviors as Json[]).map((b) => b.PathPattern)).toEqual(['/v2/*', '/stream']);
    const stream = (d.CacheBehaviors as Json[]).find((b) => b.PathPattern === '/stream');
    const origin = (d.Origins as Json[]).find((o) => o.Id === stream?.TargetOriginId);
    const wsId = Object.keys(resources).find(
      (k) =>
        resources[k]?.Type === 'AWS::ApiGatewayV2::Api' &&
        resources[k]?.Properties.ProtocolType === 'WEBSOCKET',
    );
    expect(JSON.stringify(origin?.DomainName)).toContain(`"Ref":"${wsId}"`);
    expect(origin?.OriginPath).toBe('/live');
    const fn = ofType('AWS::CloudFront::Function')[0]?.[1].Properties;
    expect(fn?.FunctionCode).toContain('r.uri = "/"');
    expect(stream?.FunctionAssociations?.[0]?.EventType).toBe('viewer-request');
  });

  test('without a stream origin, /stream is not routed', () => {
    const stack = new Stack(newApp(), 'NoStream');
    new Dashboard(stack, 'Dashboard', { api: new HttpApi(stack, 'Api') });
    const d = Template.fromStack(stack).toJSON().Resources;
    const config = (Object.values(d) as Json[]).find((r) => r.Type === 'AWS::CloudFront::Distribution')
      ?.Properties.DistributionConfig;
    expect((config.CacheBehaviors as Json[]).map((b) => b.PathPattern)).toEqual(['/v2/*']);
  });

  test('routeStream: /stream to the WebSocket API stage, nothing cached, the handshake headers forwarded', () => {
    const stack = new Stack(newApp(), 'Alone');
    const dashboard = new Dashboard(stack, 'Dashboard', { api: new HttpApi(stack, 'Api') });
    dashboard.routeStream(Dashboard.webSocketOrigin(stack, 'ws123', 'live'));
    const d = Template.fromStack(stack).toJSON().Resources;
    const config = (Object.values(d) as Json[]).find((r) => r.Type === 'AWS::CloudFront::Distribution')
      ?.Properties.DistributionConfig;
    const stream = (config.CacheBehaviors as Json[]).find((b) => b.PathPattern === '/stream');
    expect(stream?.CachePolicyId).toBe('4135ea2d-6df8-44a3-9df3-4b5a84be39ad');
    expect(stream?.OriginRequestPolicyId).toBe('b689b0a8-53d0-40ab-baf2-68738e2966ac'); // AllViewerExceptHostHeader
    const origin = (config.Origins as Json[]).find((o) => o.Id === stream?.TargetOriginId);
    expect(origin?.OriginPath).toBe('/live');
    expect(JSON.stringify(origin?.DomainName)).toContain('ws123.execute-api.');
  });
});

test('cdk-nag AwsSolutions: the dashboard alone has no unacknowledged finding', () => {
  const findings = nagFindings((app) => {
    const stack = new Stack(app, 'Alone');
    new Dashboard(stack, 'Dashboard', { api: new HttpApi(stack, 'Api') });
  })
    // The bare HttpApi stand-in is not the dashboard's (the OMS stack's API is checked in test/infra).
    .filter((f) => !f.includes('Alone/Api/'));
  expect(findings).toEqual([]);
});
