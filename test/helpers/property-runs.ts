/**
 * How a property test draws its cases: `full` fresh cases in the main suite. Under
 * jest.pure.config.js (mutation testing) from a fixed seed, so a mutant is killed or survives the
 * same way on every run and the threshold cannot flip on a lucky draw, and fewer of them, since each
 * property runs once per mutant it covers; a mutant killed with fewer cases is killed with more, so
 * the mutation score is a floor for the main suite's. (A jest global rather than fast-check's global
 * configuration: a test file without properties then never loads fast-check, which costs more than
 * most tests under mutation.)
 */
interface PureProperties {
  seed: number;
  numRuns: number;
}

export function propertyRuns(full: number): { numRuns: number; seed?: number } {
  const pure = (globalThis as { PURE_PROPERTIES?: PureProperties }).PURE_PROPERTIES;
  return pure ? { numRuns: pure.numRuns, seed: pure.seed } : { numRuns: full };
}
