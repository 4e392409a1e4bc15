/**
 * Writes test/sequencing/durations.json from a jest JSON report (`npx jest --json --outputFile=r.json`):
 * each file's seconds, less what a file sharing the local mode waited for its lock (that wait is
 * what the sequencer avoids). Usage: node scripts/test-durations.cjs r.json
 */
const { readFileSync, writeFileSync } = require('node:fs');
const path = require('node:path');
const { holdsSharedLock } = require('../test/sequencing/sequencer.js');

const root = path.resolve(__dirname, '..');
const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const rows = report.testResults
  .map((t) => ({ path: t.name, start: t.startTime, end: t.endTime }))
  .sort((a, b) => a.start - b.start);
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
