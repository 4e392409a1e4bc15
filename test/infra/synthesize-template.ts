/**
 * The one synthesis of the OMS stack a test run shares (test/infra/global-setup.js runs this, under
 * tsx, in its own process): synthesizes the stack as local mode does (local/synthesize.ts, cdk.json's
 * context, no bundling) and writes `{"template": ...}`, or `{"error": ...}`, to the file named by
 * its argument, whole (test/outcome-file.ts `publishOutcomeFile`).
 */
import { synthesizeTemplate } from '../../local/synthesize.js';
import { publishOutcomeFile } from '../outcome-file.js';

const file = process.argv[2];
if (file === undefined) throw new Error('usage: synthesize-template.ts <out.json>');
let outcome: object;
try {
  outcome = { template: synthesizeTemplate() };
} catch (err) {
  outcome = { error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  process.exitCode = 1;
}
publishOutcomeFile(file, outcome);
