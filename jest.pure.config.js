/**
 * The pure tests (no database, no network, no files): the test files of the modules listed in
 * mutation.modules.js. Mutation testing runs them (npm run test:mutation); they need no FerretDB,
 * so this config has no global set-up. The main suite (jest.config.js) runs them as well.
 */
const base = require('./jest.config');
const modules = require('./mutation.modules');

const files = [...new Set(Object.values(modules).flat())];

module.exports = {
  testEnvironment: base.testEnvironment,
  transform: base.transform,
  rootDir: __dirname,
  roots: ['<rootDir>/test'],
  testMatch: files.map((f) => `<rootDir>/${f}`),
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
