/**
 * The pure tests' environment (jest.pure.config.js `testEnvironment`): jest's node environment, plus
 * Stryker's "bail" inside a test file. While a mutant is active (Stryker sets __STRYKER_ACTIVE_MUTANT__
 * in its worker around each mutant's run), the first failing test has killed the mutant: the file's
 * remaining tests are skipped instead of run. Stryker wants exactly this (its `disableBail` is off by
 * default), but jest cannot bail programmatically, so Stryker's jest runner runs every covering test
 * of a killed mutant to the end. A mutant that survives has no failing test, so nothing is skipped and
 * its run is the same as before; a killed one stays killed. Outside a mutant's run (npm run
 * test:pure, Stryker's initial run) nothing changes.
 */
const { TestEnvironment } = require('jest-environment-node');

class PureTestEnvironment extends TestEnvironment {
  #failed = false;

  async handleTestEvent(event) {
    if (!process.env.__STRYKER_ACTIVE_MUTANT__) return;
    // jest-circus reads `mode` just after dispatching test_start, so a test marked here is skipped.
    if (event.name === 'test_start' && this.#failed) event.test.mode = 'skip';
    if (event.name === 'test_done' && event.test.errors.length > 0) this.#failed = true;
  }
}

module.exports = PureTestEnvironment;
