import fc from 'fast-check';

/**
 * How many cases a property test draws: `full` in the main suite. Under mutation testing every
 * property runs once per mutant it covers, so test/helpers/pure-setup.ts sets a smaller global count
 * (with a fixed seed); a mutant killed with fewer cases is killed with more, so the mutation score
 * it measures is a floor for the main suite's.
 */
export function propertyRuns(full: number): { numRuns: number } {
  return { numRuns: fc.readConfigureGlobal().numRuns ?? full };
}
