/**
 * The outcome a process of a test run's global setup writes whole, once, to a file (written aside,
 * then renamed: `publishOutcomeFile`; test/e2e/global-setup.js, CommonJS, has its own copy): the
 * shared local mode's address (test/e2e/global-setup.js), the run's synthesis of the stack and its
 * shared DynamoDB Local (test/infra/global-setup.js). A reader waits for the file and reads its JSON.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';

/** Writes `outcome` as JSON to `file` whole: aside, then renamed, so a reader never sees half of it. */
export function publishOutcomeFile(file: string, outcome: unknown): void {
  const partial = `${file}.${process.pid}.partial`;
  writeFileSync(partial, JSON.stringify(outcome));
  renameSync(partial, file);
}

/** The file's JSON once it is there; throws naming `what` when it is not within `timeoutMs`. */
export async function awaitOutcomeFile<T>(file: string, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let text: string | null = null;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      // not written yet
    }
    if (text !== null) return JSON.parse(text) as T;
    if (Date.now() > deadline) throw new Error(`${what} was not ready in ${timeoutMs} ms (${file})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
