/**
 * The pure modules that decide a published number, each with the pure test files that must kill
 * its mutants (MUTATION.md says how to add one and what the threshold means). One line per module:
 * stryker.config.js mutates the keys, jest.pure.config.js runs the listed test files without a
 * database.
 */
module.exports = {
  'server/rules/scoring.ts': [
    'test/scoring-types.test.ts',
    'test/scoring.test.ts',
    'test/scoring-boundaries.test.ts',
    'test/scoring-rich.test.ts',
  ],
  'server/rules/conditions.ts': ['test/conditions.test.ts', 'test/form-conditions.test.ts'],
  'server/rules/answers.ts': ['test/answers.test.ts', 'test/scoring-rich.test.ts'],
  'server/rules/quarters.ts': ['test/quarters.test.ts'],
  'server/results/aggregate.ts': ['test/results-aggregate.test.ts', 'test/results-aggregate-boundaries.test.ts'],
  'server/visits/flags.ts': ['test/visit-flags.test.ts'],
  'server/rules/location.ts': ['test/location-flags.test.ts'],
  'server/stats/moments.ts': ['test/stats-moments.test.ts'],
  'server/stats/contribution.ts': ['test/stats-contribution.test.ts', 'test/answer-words.test.ts'],
  'server/stats/summaries.ts': ['test/stats-summaries.test.ts'],
  'server/results/figures.ts': ['test/results-figures.test.ts'],
};
