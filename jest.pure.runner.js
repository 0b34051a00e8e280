/**
 * Jest's own test runner for the pure tests (jest.pure.config.js `runner`), minus one waste under
 * mutation testing. For each mutant Stryker runs jest on the test files related to the mutated module
 * with a test-name pattern naming the tests that cover the mutant; jest then still loads every related
 * file (and fast-check into each) only to skip all of its tests. This runner leaves out, before they
 * are loaded, the files that hold none of the named tests — exactly the files in which jest would run
 * nothing. What a test does, and so whether a mutant is killed, does not change; a mutant only costs
 * less (most are covered by the tests of one file).
 *
 * Which test is in which file is learnt from the first run without a pattern in a Stryker worker (the
 * initial test run, which runs everything) and shared with the other worker through a file in the
 * sandbox. A file not in that catalogue is always run. Outside Stryker (npm run test:pure, no
 * STRYKER_MUTATOR_WORKER) this is jest's runner unchanged.
 */
const fs = require('node:fs');
const path = require('node:path');
const TestRunner = require('jest-runner').default;

const CATALOGUE = '.stryker-test-files.json';
/** test file path → the full names of its tests; read once per worker process. */
let catalogue = null;

function readCatalogue(file) {
  if (catalogue) return catalogue;
  try {
    catalogue = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
  return catalogue;
}

class CoveringFilesRunner extends TestRunner {
  async runTests(tests, watcher, options) {
    const g = this._globalConfig;
    if (!process.env.STRYKER_MUTATOR_WORKER) return super.runTests(tests, watcher, options);
    const file = path.join(g.rootDir, CATALOGUE);
    if (!g.testNamePattern) return this.#learn(file, tests, watcher, options);
    const known = readCatalogue(file);
    if (!known) return super.runTests(tests, watcher, options);
    // The same reading of the pattern as jest-circus's (case-insensitive, against the full name).
    const named = new RegExp(g.testNamePattern, 'i');
    const covering = tests.filter((t) => !known[t.path] || known[t.path].some((name) => named.test(name)));
    return super.runTests(covering, watcher, options);
  }

  /** Runs everything and, the first time in this sandbox, writes down which tests each file holds. */
  async #learn(file, tests, watcher, options) {
    if (fs.existsSync(file)) return super.runTests(tests, watcher, options);
    const seen = {};
    this.on('test-file-success', ([test, result]) => {
      seen[test.path] = result.testResults.map((r) => r.fullName);
    });
    await super.runTests(tests, watcher, options);
    if (Object.keys(seen).length === tests.length) fs.writeFileSync(file, JSON.stringify(seen));
  }
}

module.exports = CoveringFilesRunner;
