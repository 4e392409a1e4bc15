/**
 * The OMS stack's template as local mode synthesizes it (local/synthesize.ts: cdk.json's context,
 * no bundling), synthesized once per test run by the unit project's globalSetup
 * (test/infra/global-setup.js) and read here: a file that only reads the template does not load the
 * CDK. Run outside jest's unit project (no OMS_TEST_TEMPLATE_FILE), it synthesizes in process.
 */
import { awaitOutcomeFile } from '../outcome-file.js';

/** How long a file waits for the run's synthesis (a few seconds on a quiet machine). */
const WAIT_MS = 120_000;

let template: Promise<string> | undefined;

async function read(file: string): Promise<string> {
  const outcome = await awaitOutcomeFile<{ template?: Record<string, unknown>; error?: string }>(
    file,
    WAIT_MS,
    "the test run's synthesis of the stack",
  );
  if (outcome.template !== undefined) return JSON.stringify(outcome.template);
  throw new Error(`the test run's synthesis of the stack failed: ${outcome.error}`);
}

/** The synthesized template (CloudFormation JSON), read once per file; each call a copy of its own. */
export async function omsTemplate(): Promise<Record<string, unknown>> {
  const file = process.env.OMS_TEST_TEMPLATE_FILE;
  template ??=
    file === undefined || file === ''
      ? import('../../local/synthesize.js').then((m) => JSON.stringify(m.synthesizeTemplate()))
      : read(file);
  return JSON.parse(await template) as Record<string, unknown>;
}
