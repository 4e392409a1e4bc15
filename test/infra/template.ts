/**
 * Synthesizing the OMS stack in a test (a context of the test's own, cdk-nag's findings), and the
 * queries infra tests make of its resources (template-queries.ts, re-exported). A test that reads
 * the stack as it is by default reads the run's one synthesis instead (synthesized.ts).
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { OmsStack } from '../../lib/oms-stack.js';

import type { Json } from './template-queries.js';

export {
  asList,
  getAttId,
  type Json,
  refId,
  resourceRefs,
  templateQueries,
} from './template-queries.js';

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
