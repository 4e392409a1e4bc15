/**
 * Powertools Logger keeps its own keys (`message`, `level`, `timestamp`, `service`, ...) and drops
 * an attribute of the same name with a warning ("The key "message" is a reserved key and will be
 * dropped"): a refusal's reason logged as `message` never reached the log. Every logger call of
 * `lambdas/` is read here, and none may pass one of those keys among its attributes.
 */
import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Logger } from '@aws-lambda-powertools/logger';
import { sourceFiles } from '../source-files.js';

const ROOT = resolve(__dirname, '../..');
const RESERVED = ['message', 'level', 'timestamp', 'service', 'sampling_rate', 'xray_trace_id'];

/** Each `logger.<level>(...)` call's text, brackets balanced (strings are not parsed: good enough here). */
function loggerCalls(text: string): string[] {
  const calls: string[] = [];
  const start = /\blogger\.(?:debug|info|warn|error|critical)\(/g;
  for (let m = start.exec(text); m !== null; m = start.exec(text)) {
    let depth = 0;
    let i = m.index + m[0].length - 1;
    for (; i < text.length; i++) {
      if (text[i] === '(') depth++;
      else if (text[i] === ')' && --depth === 0) break;
    }
    calls.push(text.slice(m.index, i + 1));
  }
  return calls;
}

const reservedKey = new RegExp(`[{,]\\s*(?:${RESERVED.join('|')})\\s*[,:}]`);

test('no logger call passes a key Powertools reserves (it would be dropped)', () => {
  const offending = sourceFiles(join(ROOT, 'lambdas')).flatMap((file) =>
    loggerCalls(readFileSync(file, 'utf8'))
      .filter((call) => reservedKey.test(call.slice(call.indexOf(',') + 1)))
      .map((call) => `${relative(ROOT, file)}: ${call.replace(/\s+/g, ' ').slice(0, 160)}`),
  );
  expect(offending).toEqual([]);
});

test('the check finds what Powertools drops', () => {
  const dropped: string[] = [];
  const logger = new Logger({ serviceName: 'test', logLevel: 'INFO' });
  const warn = jest.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => {
    dropped.push(args.join(' '));
  });
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
    dropped.push(String(chunk));
    return true;
  });
  try {
    logger.info('refused', { message: 'the reason' });
  } finally {
    warn.mockRestore();
    write.mockRestore();
  }
  expect(dropped.join('\n')).toMatch(/"message":"refused"/);
  expect(dropped.join('\n')).not.toMatch(/the reason/);
  expect(loggerCalls("logger.info('refused', { message });").filter((c) => reservedKey.test(c))).toHaveLength(
    1,
  );
});
