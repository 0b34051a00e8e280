/**
 * After `stryker run` (npm run test:mutation): holds EVERY module of mutation.modules.js to the break
 * threshold on its own. Stryker's own `thresholds.break` looks only at the score of all files
 * together, where a weak module hides behind strong ones. Also refuses a module that was not mutated
 * at all (a misspelt path) and an ignored (equivalent) mutant whose reason is not written in
 * MUTATION.md. Pure functions first; runCheck reads the files, the last line sets the exit code.
 */
import fs from 'node:fs';
import path from 'node:path';

/** The parts of Stryker's mutation-testing-report-schema (JSON reporter) read here. */
export interface MutationReport {
  files: Record<string, { mutants: ReportMutant[] }>;
}
interface ReportMutant {
  mutatorName: string;
  replacement?: string;
  status: string;
  statusReason?: string;
  location: { start: { line: number; column: number } };
}

export interface ModuleScore {
  file: string;
  detected: number;
  undetected: number;
  ignored: { line: number; mutator: string; reason: string }[];
  /** Killed or timed out over all valid mutants, in %; null when the module had no valid mutant. */
  score: number | null;
}

const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);
/** Stryker's reason for a `// Stryker disable` comment that gives none. */
const NO_REASON = 'Ignored using a comment';

export function moduleScore(report: MutationReport, file: string): ModuleScore {
  const mutants = report.files[file]?.mutants ?? [];
  const detected = mutants.filter((m) => DETECTED.has(m.status)).length;
  const undetected = mutants.filter((m) => UNDETECTED.has(m.status)).length;
  const ignored = mutants
    .filter((m) => m.status === 'Ignored')
    .map((m) => ({ line: m.location.start.line, mutator: m.mutatorName, reason: m.statusReason ?? NO_REASON }));
  const valid = detected + undetected;
  return { file, detected, undetected, ignored, score: valid === 0 ? null : (100 * detected) / valid };
}

/** What stops the build: each line names the module and why. `note` is the text of MUTATION.md. */
export function problems(scores: ModuleScore[], threshold: number, note: string): string[] {
  return scores.flatMap((s) => [
    ...(s.score === null ? [`${s.file}: no mutant was tested (is the path in mutation.modules.js right?)`] : []),
    ...(s.score !== null && s.score < threshold
      ? [`${s.file}: mutation score ${s.score.toFixed(2)} % is below ${threshold} %`]
      : []),
    ...s.ignored
      .filter((i) => i.reason === NO_REASON || !note.includes(i.reason))
      .map((i) => `${s.file}:${i.line}: ignored ${i.mutator} mutant without its reason in MUTATION.md`),
  ]);
}

/**
 * Reads the modules, the threshold, the report and the note under `root` (the project, or a copy in a
 * test), prints each module's score and every problem, and answers the exit code: 1 when anything
 * stops the build.
 */
export function runCheck(root: string, out = process.stdout, err = process.stderr): number {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const modules = Object.keys(require(path.join(root, 'mutation.modules.js')) as Record<string, string[]>);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const threshold = (require(path.join(root, 'stryker.config.js')) as { thresholds: { break: number } }).thresholds
    .break;
  const report = JSON.parse(
    fs.readFileSync(path.join(root, 'coverage/mutation/mutation.json'), 'utf8'),
  ) as MutationReport;
  const scores = modules.map((file) => moduleScore(report, file));
  for (const s of scores) {
    const shown = s.score === null ? '–' : `${s.score.toFixed(2)} %`;
    out.write(
      `${shown.padStart(9)}  ${s.file} (${s.detected} detected, ${s.undetected} undetected, ${s.ignored.length} equivalent)\n`,
    );
  }
  const found = problems(scores, threshold, fs.readFileSync(path.join(root, 'MUTATION.md'), 'utf8'));
  for (const p of found) err.write(`mutation check: ${p}\n`);
  if (found.length) return 1;
  out.write(`Every module is at or above the threshold of ${threshold} %.\n`);
  return 0;
}

// `node -r @swc-node/register tools/mutation-check.ts [root]`: the project unless another root is named.
if (require.main === module) process.exitCode = runCheck(path.resolve(process.argv[2] ?? path.join(__dirname, '..')));
