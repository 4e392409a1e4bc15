/**
 * The synthesized OMS stack's resources, and the queries infra tests make of them (by type, a
 * function by its Powertools service name, the IAM statements of a function's role, the logical
 * ids a statement's Resource names).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { OmsStack } from '../../lib/oms-stack.js';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation JSON is walked structurally in assertions.
export type Json = Record<string, any>;

/** Synthesizes the stack (no asset bundling) and returns its resources by logical id. */
export function synthesizeOmsResources(tmpPrefix: string): Record<string, Json> {
  const app = new App({
    context: { 'aws:cdk:bundling-stacks': [] },
    outdir: mkdtempSync(join(tmpdir(), tmpPrefix)),
  });
  return Template.fromStack(new OmsStack(app, 'Oms')).toJSON().Resources;
}

/**
 * Synthesizes what `build` adds to an app (no asset bundling; `context` added to the app's) with
 * cdk-nag's AwsSolutions pack, and returns its unacknowledged findings as "rule @ construct path".
 */
export function nagFindings(build: (app: App) => void, context: Record<string, unknown> = {}): string[] {
  const outdir = mkdtempSync(join(tmpdir(), 'oms-nag-'));
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context }, outdir });
  build(app);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  try {
    app.synth();
  } catch {
    // An error finding interrupts synthesis; the report is written first.
  }
  const report = JSON.parse(readFileSync(join(outdir, 'validation-report.json'), 'utf8')) as Json;
  return (report.pluginReports as Json[])
    .filter((p) => /AwsSolutions/.test(p.pluginName as string))
    .flatMap((p) => p.violations as Json[])
    .flatMap((v) => (v.violatingConstructs as Json[]).map((c) => `${v.ruleName} @ ${c.constructPath}`));
}

export const refId = (v: unknown): string | undefined => (v as { Ref?: string } | undefined)?.Ref;
export const getAttId = (v: unknown): string | undefined =>
  (v as { 'Fn::GetAtt'?: [string, string] } | undefined)?.['Fn::GetAtt']?.[0];
export const asList = <T>(v: T | T[]): T[] => (Array.isArray(v) ? v : [v]);

/** Logical ids (with attribute) a statement's Resource names. */
export function resourceRefs(statement: Json): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const ga = (v as Json)['Fn::GetAtt'];
      if (ga) out.push(`${ga[0]}.${ga[1]}`);
      else if ((v as Json).Ref) out.push(`${(v as Json).Ref}.Ref`);
      else Object.values(v).forEach(walk);
    }
  };
  walk(statement.Resource);
  return out;
}

/** Queries over the resources `get` returns (read when called: set them in a `beforeAll`). */
export function templateQueries(get: () => Record<string, Json>) {
  const ofType = (type: string): [string, Json][] =>
    Object.entries(get()).filter(([, r]) => r.Type === type) as [string, Json][];
  return {
    ofType,
    /** The one function whose Powertools service name is `service`. */
    functionId(service: string): string {
      const ids = ofType('AWS::Lambda::Function')
        .filter(([, f]) => f.Properties.Environment?.Variables?.POWERTOOLS_SERVICE_NAME === service)
        .map(([id]) => id);
      expect(ids).toHaveLength(1);
      return ids[0] as string;
    },
    /** Every statement of the policies attached to the function's role. */
    statementsOf(fnId: string): Json[] {
      const roleId = getAttId(get()[fnId]?.Properties.Role);
      return ofType('AWS::IAM::Policy')
        .filter(([, p]) => (p.Properties.Roles as unknown[]).some((r) => refId(r) === roleId))
        .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[]);
    },
  };
}
