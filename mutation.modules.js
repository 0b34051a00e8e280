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
  'server/rules/dispute-window.ts': ['test/clock-text.test.ts'],
  'server/rules/clock-text.ts': ['test/clock-text.test.ts'],
  'server/rules/agenda.ts': ['test/home-agenda.test.ts'],
  'server/stats/contribution.ts': ['test/stats-contribution.test.ts', 'test/answer-words.test.ts'],
  'server/stats/summaries.ts': ['test/stats-summaries.test.ts', 'test/stats-branch-build.test.ts'],
  'server/stats/buckets.ts': ['test/stats-buckets.test.ts'],
  'server/stats/branch-build.ts': ['test/stats-branch-build.test.ts'],
  'server/results/figures.ts': ['test/results-figures.test.ts'],
  // SPEC §11–12: the intervals, Welch's test, Krippendorff's alpha, bias and leniency.
  'server/rules/confidence.ts': ['test/confidence-rules.test.ts'],
  'server/rules/krippendorff.ts': ['test/calibration-rules.test.ts'],
  'server/rules/calibration.ts': ['test/calibration-rules.test.ts'],
  'server/rules/values.ts': ['test/rules-values.test.ts'],
  // SPEC §11 on the rows of the results: which moments, what a benchmark withholds, below the bank.
  'server/results/confidence.ts': ['test/results-confidence-rows.test.ts', 'test/results-rows.test.ts'],
  'server/results/rows.ts': ['test/results-rows.test.ts'],
};
