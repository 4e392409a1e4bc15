/**
 * Writes test/sequencing/durations.json from a jest JSON report (`npx jest --json --outputFile=r.json`):
 * each file's seconds, less what a file sharing the local mode waited for its lock (that wait is
 * what the sequencer avoids). Usage: node scripts/test-durations.cjs r.json [timeline]
 *
 * With the e2e timeline of the same run (OMS_E2E_TIMELINE=timeline, test/e2e/environment.js), an
 * e2e file's seconds are measured from when it held its slot or the lock (or started, if it takes
 * neither) to its end: its waits for the shared local mode's warm-up, a slot or the lock left out.
 */
const { readFileSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const { holdsSharedLock } = require('../test/sequencing/sequencer.js');

const root = path.resolve(__dirname, '..');
const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const rows = report.testResults
  .map((t) => ({ path: t.name, start: t.startTime, end: t.endTime }))
  .sort((a, b) => a.start - b.start);
const began = new Map();
const ended = new Map();
if (process.argv[3]) {
  for (const line of readFileSync(process.argv[3], 'utf8').split('\n')) {
    if (line.trim() === '') continue;
    const { file, event, at } = JSON.parse(line);
    if (event === 'end') ended.set(file, at);
    else if (event === 'unlocked') continue;
    else if (event !== 'start' || !began.has(file)) {
      // The first of slot/locked wins over start (the Alpaca broker e2e: its slot, then the lock).
      const seen = began.get(file);
      if (seen === undefined || seen.event === 'start') began.set(file, { event, at });
    }
  }
}
const out = {};
let lockFree = 0;
for (const row of rows) {
  // The report names the files where that run's checkout was: keep the path from `test/` on.
  const key = row.path.slice(row.path.lastIndexOf('/test/') + 1);
  let text = '';
  try {
    text = readFileSync(path.join(root, key), 'utf8');
  } catch {
    continue; // a file no longer in the repository
  }
  let start = row.start;
  const measured = began.get(row.path);
  if (measured !== undefined && ended.has(row.path)) {
    out[key] = Math.max(0.1, Math.round((ended.get(row.path) - measured.at) / 100) / 10);
    continue;
  }
  if (holdsSharedLock(key, text)) {
    start = Math.max(row.start, lockFree);
    lockFree = Math.max(lockFree, row.end);
  }
  out[key] = Math.max(0.1, Math.round((row.end - start) / 100) / 10);
}
const sorted = Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
writeFileSync(path.join(root, 'test/sequencing/durations.json'), `${JSON.stringify(sorted, null, 2)}\n`);
console.log(
  `${Object.keys(sorted).length} files, ${Object.values(sorted)
    .reduce((a, b) => a + b, 0)
    .toFixed(0)} s`,
);
