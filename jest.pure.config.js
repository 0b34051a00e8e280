/**
 * The pure tests (no database, no network, no files): the test files of the modules listed in
 * mutation.modules.js. Mutation testing runs them (npm run test:mutation); they need no FerretDB,
 * so this config has no global set-up. The main suite (jest.config.js) runs them as well.
 */
const path = require('node:path');
const base = require('./jest.config');
const modules = require('./mutation.modules');

const files = [...new Set(Object.values(modules).flat())];
/** The pure test files and the helpers they share (pure too), as a regular expression's alternatives. */
const helpers = ['test/helpers/property-runs.ts', 'test/helpers/scoring-fixtures.ts'];
const visible = [...files, ...helpers].map((f) => f.replace(/^test\//, '').replace(/[.]/g, '\\.'));

module.exports = {
  // jest's node environment; under a mutant, a file's tests stop at the first failure (see the file).
  // An absolute path: Stryker's jest runner loads the environment by this name from its own folder.
  testEnvironment: path.join(__dirname, 'jest.pure.environment.js'),
  // jest's resolver, remembered for the life of a Stryker worker (see the file).
  resolver: path.join(__dirname, 'jest.pure.resolver.js'),
  // No watchman on this machine or in CI: asking for it spawned a process on every mutant's run.
  watchman: false,
  transform: base.transform,
  rootDir: __dirname,
  roots: ['<rootDir>/test'],
  testMatch: files.map((f) => `<rootDir>/${f}`),
  // Nothing else under test/ in jest's file map: under Stryker every mutant's run looks for the test
  // files related to the mutated module by resolving the imports of every file in the map (about
  // 15 % of a mutant's cost with the whole test folder in it). The pure tests import nothing else.
  modulePathIgnorePatterns: [`<rootDir>/test/(?!(?:${visible.join('|')})$)`],
  // Property tests draw from a fixed seed, and fewer cases (test/helpers/property-runs.ts).
  globals: {
    PURE_PROPERTIES: {
      seed: Number(process.env.PURE_TEST_SEED ?? 20261201),
      numRuns: Number(process.env.PURE_TEST_RUNS ?? 40),
    },
  },
  // Under Stryker: only the test files that hold a test covering the mutant are loaded (the others
  // would be loaded just to skip every test); elsewhere jest's own runner (see the file).
  runner: '<rootDir>/jest.pure.runner.js',
  testTimeout: 10000,
};
