/**
 * Mutation testing of the pure modules that decide a published number (StrykerJS, jest runner):
 * `npm run test:mutation`, run by scripts/test.sh and so by CI. The run fails when the mutation score
 * falls below `thresholds.break`. The modules and their tests: mutation.modules.js; how to add one,
 * what the threshold means and the equivalent mutants: MUTATION.md.
 */
const modules = require('./mutation.modules');

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
module.exports = {
  packageManager: 'npm',
  testRunner: 'jest',
  // Each mutant runs only the tests that cover it (perTest), in the test files that import its module.
  jest: { configFile: 'jest.pure.config.js', enableFindRelatedTests: true },
  coverageAnalysis: 'perTest',
  mutate: Object.keys(modules),
  thresholds: { high: 100, low: 95, break: 95 },
  // Survivors in the log; a progress line every few seconds (CI logs are no terminal); reports for people.
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  clearTextReporter: { reportTests: false, logTests: false },
  htmlReporter: { fileName: 'coverage/mutation/index.html' },
  jsonReporter: { fileName: 'coverage/mutation/mutation.json' },
  // The sandbox holds only what the pure tests load (not the database build, data or reports).
  ignorePatterns: [
    '/*',
    '!/server',
    '!/test',
    // The phone's copy of the skip logic: test/form-conditions.test.ts holds the server's rule to it.
    '!/public/form-conditions.js',
    '!/package.json',
    '!/tsconfig.json',
    '!/jest.*.js',
    '!/mutation.modules.js',
  ],
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
  // Both cores of the CI machine (Stryker's default leaves one idle on a machine this small).
  concurrency: 2,
  timeoutMS: 10000,
};
