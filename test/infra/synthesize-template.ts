/**
 * The one synthesis of the OMS stack a test run shares (test/infra/global-setup.js runs this, under
 * tsx, in its own process): synthesizes the stack as local mode does (local/synthesize.ts, cdk.json's
 * context, no bundling) and writes `{"template": ...}`, or `{"error": ...}`, to the file named by
 * its argument, whole (written aside, then renamed).
 */
import { renameSync, writeFileSync } from 'node:fs';
import { synthesizeTemplate } from '../../local/synthesize.js';

const file = process.argv[2];
if (file === undefined) throw new Error('usage: synthesize-template.ts <out.json>');
let outcome: string;
try {
  outcome = JSON.stringify({ template: synthesizeTemplate() });
} catch (err) {
  outcome = JSON.stringify({ error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  process.exitCode = 1;
}
const partial = `${file}.${process.pid}.partial`;
writeFileSync(partial, outcome);
renameSync(partial, file);
