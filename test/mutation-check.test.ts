import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
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

describe('the command after stryker run (npm run test:mutation, so npm test and CI)', () => {
  const project = path.resolve(__dirname, '..');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const listed = Object.keys(require(path.join(project, 'mutation.modules.js')) as Record<string, string[]>);
  let root: string;

  /** A copy of the project's gate (modules, threshold, note) beside a report with these counts per module. */
  function withReport(counts: (file: string) => { killed: number; survived: number }) {
    const files = Object.fromEntries(
      listed.map((file) => {
        const { killed, survived } = counts(file);
        return [
          file,
          { mutants: [...Array(killed).fill(mutant('Killed')), ...Array(survived).fill(mutant('Survived'))] },
        ];
      }),
    );
    fs.writeFileSync(path.join(root, 'coverage/mutation/mutation.json'), JSON.stringify({ files }));
  }
  const runCommand = () =>
    spawnSync(process.execPath, ['-r', '@swc-node/register', path.join(project, 'tools/mutation-check.ts'), root], {
      cwd: project,
      encoding: 'utf8',
    });

  beforeAll(() => {
    root = fs.mkdtempSync(path.join(os.tmpdir(), 'mutation-check-'));
    fs.mkdirSync(path.join(root, 'coverage/mutation'), { recursive: true });
    for (const f of ['mutation.modules.js', 'stryker.config.js', 'MUTATION.md'])
      fs.copyFileSync(path.join(project, f), path.join(root, f));
  });
  afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

  test('the build breaks at 95 %, and npm test runs the check only after stryker run succeeded', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const stryker = require(path.join(project, 'stryker.config.js')) as { thresholds: { break: number } };
    expect(stryker.thresholds.break).toBe(95);
    const scripts = (
      JSON.parse(fs.readFileSync(path.join(project, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
    ).scripts;
    expect(scripts['test:mutation']).toMatch(/^stryker run && node -r @swc-node\/register tools\/mutation-check\.ts$/);
    const testSh = fs.readFileSync(path.join(project, 'scripts/test.sh'), 'utf8');
    expect(testSh).toMatch(/^set -euo pipefail$/m);
    expect(testSh).toMatch(/^\s+npm run test:mutation --silent$/m);
  });

  test('one module below 95 % fails the command, naming it, although all modules together are at 99.5 %', () => {
    const weak = 'server/rules/location.ts';
    withReport((file) => (file === weak ? { killed: 18, survived: 2 } : { killed: 20, survived: 0 }));
    const run = runCommand();
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(`mutation check: ${weak}: mutation score 90.00 % is below 95 %\n`);
    expect(run.stdout).toContain(`90.00 %  ${weak} (18 detected, 2 undetected, 0 equivalent)`);
  });

  test('every module at exactly 95 % passes', () => {
    withReport(() => ({ killed: 19, survived: 1 }));
    const run = runCommand();
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(run.stdout).toContain('Every module is at or above the threshold of 95 %.');
  });
});
