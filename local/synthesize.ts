/**
 * The in-process synthesis of OmsStack that local mode runs from (local/topology.ts reads its
 * template). Apart from topology.ts so that reading a template does not load the CDK: a test that
 * reads the one template a test run synthesizes (test/infra/synthesized.ts) saves that load.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { OmsStack } from '../lib/oms-stack.js';
import { STACK_NAME, synthesisContext } from './topology.js';

/**
 * Synthesizes OmsStack 'StockbotOms' in process (bundling skipped) and returns its template.
 * `context` overrides cdk.json's context (e.g. `{'oms:sessionClose': '16:00'}`).
 */
export function synthesizeTemplate(context: Record<string, unknown> = {}): Record<string, unknown> {
  const outdir = mkdtempSync(join(tmpdir(), 'oms-local-synth-'));
  try {
    const app = new App({ context: synthesisContext(context), outdir });
    const stack = new OmsStack(app, STACK_NAME);
    const assembly = app.synth();
    const artifact = assembly.getStackArtifact(stack.artifactId);
    return JSON.parse(readFileSync(artifact.templateFullPath, 'utf8')) as Record<string, unknown>;
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
