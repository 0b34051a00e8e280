import type { ApproveTimes } from './approve';
import type { LargeBank } from './generate';
import type { Check } from './reads';
import { median, quantile } from './settings';

/** The section "Results at the scale of a national bank" of BENCHMARKS.md. */
export interface Measured {
  name: string;
  label: string;
  target: number;
  p50: number;
  p95: number;
  max: number;
  n: number;
  bytes: number;
  errors: number;
  stream: number[];
}

export interface ResultsRun {
  world: LargeBank;
  machine: string;
  loads: [string, string];
  measured: Measured[];
  rss: number[];
  checks: Check[];
  approve: ApproveTimes | null;
  requests: number;
}

const ms = (x: number) => (x >= 100 ? x.toFixed(0) : x.toFixed(1));
const sec = (x: number) => `${(x / 1000).toFixed(1)} s`;
const kb = (b: number) => (b >= 2 ** 20 ? `${(b / 2 ** 20).toFixed(1)} MB` : `${(b / 1024).toFixed(0)} kB`);
const met = (ok: boolean) => (ok ? '**met**' : '**not met**');

export function resultsSection(r: ResultsRun): string {
  const w = r.world;
  const lines = [
    '## Results at the scale of a national bank',
    '',
    `\`npm run bench:results\` (bench/results-bench.ts), run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${r.machine}; embedded FerretDB 1.24 (SQLite). 1-minute / 5-minute / 15-minute load average at the start ${r.loads[0]}, at the end ${r.loads[1]} (the machine is shared with other engineers' test runs: compare within the run).`,
    '',
    `Data (bench/large-bank, kept in BENCH_DATA_DIR, each run on a fresh copy): one bank, ${w.branches.toLocaleString('en')} branches in 50 regions, 2 staff per branch, ${w.visitsPerQuarter.toLocaleString('en')} counted visits (approved, 1 % disputed) in each of ${w.quarters.join(', ')}, plus 3 % uncounted ones (draft, submitted, returned), 16 answers with comments; the statistics built by the app's own \`rebuild\`. The app in its own process (NODE_ENV=production) on that database; ${r.requests} requests of each kind, one at a time (no concurrency: each answered before the next is sent, the kinds interleaved), after 2 warm-up requests each; times are the client's, from sending to the last byte. The streaming path is \`resultsFromVisits\` (server/results/visit-pass.ts) asked the same question in-process on the same database (${r.measured[0]?.stream.length ?? 0} runs each): it streams the bank's counted visits of the four trend quarters (${(4 * w.visitsPerQuarter).toLocaleString('en')}) through the accumulator, which is what every reader did before the statistics.`,
    '',
    '| request | target p95 | p50 | p95 | max | answer | errors | streaming path (median; runs) | streaming / statistics p95 | target ≥ 50× |',
    '|---|---|---|---|---|---|---|---|---|---|',
  ];
  for (const m of r.measured) {
    const s = median(m.stream);
    const stream = m.stream.length
      ? `${sec(s)} (${m.stream.map(sec).join(', ')}) | ${(s / m.p95).toFixed(0)}× | ${met(s / m.p95 >= 50)}`
      : 'not yet run | – | –';
    lines.push(
      `| ${m.label} | < ${m.target} ms | ${ms(m.p50)} ms | ${ms(m.p95)} ms ${m.p95 < m.target ? '(met)' : '(**not met**)'} | ${ms(m.max)} ms | ${kb(m.bytes)} | ${m.errors} | ${stream} |`,
    );
  }
  const rss = r.rss.length ? `${Math.min(...r.rss).toFixed(0)}–${Math.max(...r.rss).toFixed(0)} MB` : '–';
  lines.push('', `App resident memory while it answered: ${rss}.`, '');
  if (r.checks.length) {
    lines.push(
      'Same answers: for every kind, the rows the app serves from the statistics (`quarterResults`) against the streaming path’s, row by row (summary, bank, regions, branches, staff):',
      '',
      r.checks
        .map(
          (c) =>
            `${c.name}: ${c.rows.toLocaleString('en')} rows, ${c.countDiffs} differing counts, largest score difference ${c.maxScoreDiff.toExponential(1)}`,
        )
        .join('; ') + '.',
      '',
    );
  }
  if (r.approve) {
    const a = r.approve;
    const withP = median(a.withStats);
    const without = median(a.without);
    lines.push(
      `Approving a visit (\`POST /api/v1/visits/:id/review\`, reviewer, one at a time with ${a.pauseMs} ms between approvals, each side ${a.withStats.length} approvals in ${a.rounds.length / 2} rounds, the order this, before, before, this repeated, a fresh app process per round, same database): with the statistics (this app: a change note is written before the visit's update; the sync runs in the background) p50 **${ms(withP)} ms**, p95 ${ms(quantile(a.withStats, 0.95))} ms; without (the app built from ${a.baseCommit}, before the statistics) p50 **${ms(without)} ms**, p95 ${ms(quantile(a.without, 0.95))} ms; difference of the medians **${(withP - without >= 0 ? '+' : '') + ms(withP - without)} ms** (target ≤ +5 ms: ${met(withP - without <= 5)}); ${a.errors} errors. Round medians in the order run (with / without): ${a.rounds.map((x) => `${x.side === 'with' ? 'with' : 'without'} ${ms(x.p50)}`).join(', ')}.`,
      '',
    );
  } else lines.push('Approving a visit: not measured in this run (BENCH_BASE_ROOT unset).', '');
  return lines.join('\n');
}
