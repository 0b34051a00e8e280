/**
 * The fault suite: the app and its workers as real processes, killed with -9; the database stopped
 * and frozen under traffic; the mail server down. One file at a time (each starts its own processes
 * and a database of its own), with longer time limits. `npm run test:faults`; scripts/test.sh runs it
 * after the main suite.
 */
const base = require('./jest.config');

module.exports = {
  ...base,
  testMatch: ['**/test/faults-*.test.ts'],
  testPathIgnorePatterns: ['/node_modules/'],
  testTimeout: 180000,
  maxWorkers: 1,
};
