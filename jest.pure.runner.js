/**
 * Jest's own test runner for the pure tests (jest.pure.config.js `runner`), minus three wastes under
 * mutation testing. For each mutant Stryker runs jest on the test files related to the mutated module
 * (every test file that imports it, directly or not), with a test-name pattern naming the tests that
 * cover the mutant (none for a static mutant: then every test of those files). Before any file is
 * loaded, this runner:
 *
 * 1. keeps only the test files mutation.modules.js lists for the mutated module: a module's mutants
 *    must be killed by its own tests (MUTATION.md), not by a test of another module that happens to
 *    import it — which also spares a mutant of a shared helper (rules/values.ts) running the tests of
 *    every module built on it;
 * 2. leaves out the files that hold none of the named tests — files in which jest would only skip
 *    every test after loading it (and fast-check into it);
 * 3. stops at the first file with a failing test ("bail": the mutant is killed; jest.pure.environment.js
 *    does the same between the tests of one file). A mutant that survives fails nothing and so runs
 *    every covering test of its module's files, as before.
 *
 * Which test is in which file is learnt from the first run without a pattern in a Stryker worker (the
 * initial test run, which runs everything) and shared with the other worker through a file in the
 * sandbox. A file not in that catalogue is kept. Outside Stryker (npm run test:pure, no
 * STRYKER_MUTATOR_WORKER) this is jest's runner unchanged.
 */
const fs = require('node:fs');
const path = require('node:path');
const TestRunner = require('jest-runner').default;
const modules = require('./mutation.modules');

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

/**
 * The test files listed for the one module a mutant run is about (absolute paths, in the listed
 * order), or null for any other run: Stryker's initial run names every mutated file, `npm run
 * test:pure` none.
 */
function listedFiles(globalConfig) {
  const named = globalConfig.findRelatedTests ? globalConfig.nonFlagArgs : [];
  if (named.length !== 1) return null;
  const module = path.relative(globalConfig.rootDir, path.resolve(globalConfig.rootDir, named[0]));
  const files = modules[module.split(path.sep).join('/')];
  return files ? files.map((f) => path.join(globalConfig.rootDir, f)) : null;
}

class PureTestRunner extends TestRunner {
  async runTests(tests, watcher, options) {
    const g = this._globalConfig;
    if (!process.env.STRYKER_MUTATOR_WORKER) return super.runTests(tests, watcher, options);
    const file = path.join(g.rootDir, CATALOGUE);
    if (!g.testNamePattern && !fs.existsSync(file)) return this.#learn(file, tests, watcher, options);
    const listed = listedFiles(g);
    const known = g.testNamePattern ? readCatalogue(file) : null;
    // The same reading of the pattern as jest-circus's (case-insensitive, against the full name).
    const named = g.testNamePattern ? new RegExp(g.testNamePattern, 'i') : null;
    const covering = tests
      .filter((t) => !listed || listed.includes(t.path))
      .filter((t) => !named || !known?.[t.path] || known[t.path].some((name) => named.test(name)))
      .sort((a, b) => (listed ? listed.indexOf(a.path) - listed.indexOf(b.path) : 0));
    return this.#untilFirstFailure(covering, watcher, options);
  }

  /** One file after the other, none after a file in which a test failed (or that failed to load). */
  async #untilFirstFailure(tests, watcher, options) {
    if (!options.serial) return super.runTests(tests, watcher, options);
    let failed = false;
    const fail = () => (failed = true);
    const unsubscribe = [
      this.on('test-file-success', ([, result]) => (result.numFailingTests > 0 || result.testExecError) && fail()),
      this.on('test-file-failure', fail),
    ];
    for (const test of tests) {
      if (failed) break;
      await super.runTests([test], watcher, options);
    }
    unsubscribe.forEach((off) => off());
  }

  /** Runs everything and, the first time in this sandbox, writes down which tests each file holds. */
  async #learn(file, tests, watcher, options) {
    const seen = {};
    const off = this.on('test-file-success', ([test, result]) => {
      seen[test.path] = result.testResults.map((r) => r.fullName);
    });
    await super.runTests(tests, watcher, options);
    off();
    if (Object.keys(seen).length === tests.length) fs.writeFileSync(file, JSON.stringify(seen));
  }
}

module.exports = PureTestRunner;
