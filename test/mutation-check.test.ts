import { moduleScore, problems, type MutationReport } from '../tools/mutation-check';

/** The per-module gate after mutation testing (tools/mutation-check.ts), on hand-made reports. */

const mutant = (status: string, line = 1, statusReason?: string) => ({
  mutatorName: 'ConditionalExpression',
  status,
  statusReason,
  location: { start: { line, column: 1 } },
});
const report: MutationReport = {
  files: {
    'a.ts': {
      mutants: [
        ...Array.from({ length: 18 }, () => mutant('Killed')),
        mutant('Timeout'),
        mutant('Survived', 7),
        mutant('CompileError'),
        mutant('RuntimeError'),
        mutant('Ignored', 9, 'equivalent: checked earlier'),
      ],
    },
    'b.ts': { mutants: [mutant('Killed'), mutant('NoCoverage'), mutant('Survived'), mutant('Ignored', 3)] },
    'c.ts': { mutants: [mutant('Ignored', 4, 'equivalent: checked earlier')] },
  },
};
const NOTE = '| a.ts | equivalent: checked earlier |';

describe('mutation check', () => {
  test('score = killed and timed out over killed, timed out, survived and not covered; errors and ignored left out', () => {
    // a.ts: 19 detected of 20 valid = 95 %
    expect(moduleScore(report, 'a.ts')).toEqual({
      file: 'a.ts',
      detected: 19,
      undetected: 1,
      ignored: [{ line: 9, mutator: 'ConditionalExpression', reason: 'equivalent: checked earlier' }],
      score: 95,
    });
    // b.ts: 1 of 3
    expect(moduleScore(report, 'b.ts').score).toBeCloseTo(100 / 3, 12);
  });

  test('each module on its own: 95 % passes at a threshold of 95, a weaker module fails although the total would pass', () => {
    const scores = ['a.ts', 'b.ts'].map((f) => moduleScore(report, f));
    expect(problems([scores[0]], 95, NOTE)).toEqual([]);
    expect(problems([scores[0]], 95.5, NOTE)).toEqual(['a.ts: mutation score 95.00 % is below 95.5 %']);
    expect(problems(scores, 30, NOTE)).toEqual([
      'b.ts:3: ignored ConditionalExpression mutant without its reason in MUTATION.md',
    ]);
    expect(problems(scores, 95, NOTE)).toContain('b.ts: mutation score 33.33 % is below 95 %');
  });

  test('an ignored mutant must have its reason written in the note', () => {
    const a = moduleScore(report, 'a.ts');
    expect(problems([a], 95, 'nothing here')).toEqual([
      'a.ts:9: ignored ConditionalExpression mutant without its reason in MUTATION.md',
    ]);
  });

  test('a module without any tested mutant (a misspelt path, or only ignored mutants) is refused', () => {
    expect(problems([moduleScore(report, 'missing.ts')], 95, NOTE)).toEqual([
      'missing.ts: no mutant was tested (is the path in mutation.modules.js right?)',
    ]);
    expect(problems([moduleScore(report, 'c.ts')], 95, NOTE)).toEqual([
      'c.ts: no mutant was tested (is the path in mutation.modules.js right?)',
    ]);
  });
});
