/**
 * Two projects: `unit` (everything but test/e2e) and `e2e` (local mode end to end). The e2e project's
 * globalSetup starts ONE warmed local mode that the e2e files share (test/e2e/README.md); jest runs
 * a project's globalSetup only when one of its files is selected, so `npx jest test/core` starts
 * nothing. test/dashboard/dashboard-page.test.ts (the dashboard in a browser) is an e2e file too.
 */
const shared = {
  testEnvironment: 'node',
  setupFiles: ['<rootDir>/test/setup-env.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json' }],
    // A few dependencies ship only ES modules (jose, @middy/core); jest's module system is
    // CommonJS, so those files are compiled to CommonJS on the way in.
    '^.+\\.m?js$': [
      'ts-jest',
      { tsconfig: { allowJs: true, module: 'CommonJS', moduleResolution: 'Node10', isolatedModules: true } },
    ],
  },
  transformIgnorePatterns: ['/node_modules/(?!(jose|@middy)/)'],
  // Sources import with NodeNext '.js' suffixes; jest resolves them to the .ts files.
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
};

/** @type {import('jest').Config} */
module.exports = {
  // The suite runs on the Lambda runtime's Node major (see README: node comes from devDependencies).
  testTimeout: 30000,
  // Four test files at a time, whatever the core count (jest's default on a 2-core machine is
  // one): one of the files that drive the shared local mode (its lock), one file with a local mode
  // of its own (OWN_AT_ONCE in the sequencer; test/e2e/environment.js), and unit files meanwhile;
  // the fourth worker lets the next lock-holding (or own) file wait for the lock ahead of time
  // (LEAD_S in the sequencer), so the lock's chain, the run's critical path, goes on the moment a
  // file gives the lock back instead of when the plan's durations said it would (gaps of 26-48 s,
  // 130 s in one run on 3 workers). The e2e files mostly wait on the clock (an auction's open, a
  // day's close, an algo's slices, a queue's redeliveries), and a 570 s run with 2 workers left the
  // 2 cores 30-79% idle while two of them ran. History: 433 s with 2 workers against 620-700 s with
  // one; 667 s with 2 and 648 s with 3 (no e2e limit, no sequencer) on December 7, 2026.
  // docs/bench.md "npm test time".
  maxWorkers: 4,
  // The order of the files: the ones sharing the one local mode (one at a time) when its lock is
  // free, the others meanwhile (test/sequencing/sequencer.js, which plans for these 4 workers; 150 s
  // of lock waits before).
  testSequencer: '<rootDir>/test/sequencing/sequencer.js',
  projects: [
    {
      ...shared,
      displayName: 'unit',
      roots: ['<rootDir>/test'],
      // One synthesis of the stack for the files that only read its template (test/infra/synthesized.ts).
      globalSetup: '<rootDir>/test/infra/global-setup.js',
      globalTeardown: '<rootDir>/test/infra/global-teardown.js',
      testMatch: ['**/*.test.ts'],
      // The dashboard's browser test drives the shared local mode: it is an e2e file.
      testPathIgnorePatterns: [
        '/node_modules/',
        '<rootDir>/test/e2e/',
        '<rootDir>/test/dashboard/dashboard-page.test.ts',
      ],
    },
    {
      ...shared,
      displayName: 'e2e',
      roots: ['<rootDir>/test/e2e', '<rootDir>/test/dashboard'],
      testMatch: ['<rootDir>/test/e2e/**/*.test.ts', '<rootDir>/test/dashboard/dashboard-page.test.ts'],
      testPathIgnorePatterns: ['/node_modules/'],
      // Files sharing the one local mode run one at a time; files with their own run alongside.
      testEnvironment: '<rootDir>/test/e2e/environment.js',
      globalSetup: '<rootDir>/test/e2e/global-setup.js',
      globalTeardown: '<rootDir>/test/e2e/global-teardown.js',
    },
  ],
};
