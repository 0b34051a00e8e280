import fc from 'fast-check';

/**
 * Runs before each pure test file under jest.pure.config.js (mutation testing). Property tests then
 * draw the same cases on every run, so a mutant is killed or survives the same way each time and
 * the threshold in CI cannot flip on a lucky draw; and fewer of them (propertyRuns), since each
 * property runs once per mutant it covers. The main suite keeps drawing more, fresh cases.
 * PURE_TEST_SEED and PURE_TEST_RUNS change the two.
 */
fc.configureGlobal({
  seed: Number(process.env.PURE_TEST_SEED ?? 20261201),
  numRuns: Number(process.env.PURE_TEST_RUNS ?? 40),
});
