import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { transformSync } from '@swc/core';
import mongoose from 'mongoose';
import { freePort, startEmbeddedDb } from '../server/platform/db/embedded';
import { ensureIndexes } from '../server/platform/db/connection';
import { shiftQuarter } from '../server/rules/quarters';
import { Bank } from '../server/banks/model';
import {
  BATCH,
  BRANCHES,
  env,
  generate,
  log,
  QUARTER,
  REGIONS,
  STAFF_PER_BRANCH,
  UNCOUNTED_SHARE,
  VISITS,
} from './results-data';

/**
 * Quarterly results benchmark (issue 4): a generated bank (bench/results-data.ts) on a fresh embedded
 * FerretDB, then the full quarter aggregation against the floor (merely streaming the same visits out
 * of the database), in alternating fresh processes, medians of BENCH_RUNS runs. Writes its section of
 * BENCHMARKS.md.
 *
 *   npm run bench:results                      # 25,000 branches, 100,000 visits per quarter, 3 runs
 *   BENCH_VISITS=20000 BENCH_BRANCHES=5000 BENCH_RUNS=3 npm run bench:results
 *   BENCH_DATA_DIR=/tmp/keep npm run bench:results   # keep the generated database and reuse it next time
 *
 * Modes measured: `floor` and `aggregate` (all figures of the quarter) BENCH_RUNS times each,
 * alternating; `full` (the same plus the branch- and staff-name look-ups) BENCH_FULL_RUNS times.
 */
const ROOT = path.resolve(__dirname, '..');
const RUNS = env('BENCH_RUNS', 3);
const FULL_RUNS = env('BENCH_FULL_RUNS', 1);
const DATA_DIR = process.env.BENCH_DATA_DIR;
const WRITE_FILE = process.env.BENCH_WRITE !== '0';

// ---- measuring in fresh processes ----

/**
 * The child runs from plain JavaScript, so the TypeScript compiler is not part of its memory. A file
 * that does not compile (someone's work in progress) is skipped: the child needs only the results code.
 */
function compileForChildren(outDir: string): string {
  const walk = (dir: string): string[] =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
      const p = path.join(dir, e.name);
      return e.isDirectory() ? walk(p) : e.name.endsWith('.ts') ? [p] : [];
    });
  for (const file of [...walk(path.join(ROOT, 'server')), path.join(ROOT, 'bench', 'results-child.ts')]) {
    const rel = path.relative(ROOT, file).replace(/\.ts$/, '.js');
    let out: { code: string };
    try {
      out = transformSync(fs.readFileSync(file, 'utf8'), {
        filename: file,
        jsc: { parser: { syntax: 'typescript' }, target: 'es2022' },
        module: { type: 'commonjs' },
      });
    } catch {
      continue;
    }
    fs.mkdirSync(path.dirname(path.join(outDir, rel)), { recursive: true });
    fs.writeFileSync(path.join(outDir, rel), out.code);
  }
  return path.join(outDir, 'bench', 'results-child.js');
}

type Mode = 'floor' | 'aggregate' | 'full';

interface Measurement {
  mode: string;
  ms: number;
  visits: number;
  rssBeforeMB: number;
  peakRssMB: number;
  [k: string]: unknown;
}

function measure(childJs: string, mode: string, uri: string, dbName: string, bankId: string): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [childJs, mode, uri, dbName, bankId, QUARTER], {
      env: { ...process.env, NODE_PATH: path.join(ROOT, 'node_modules') },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (b: Buffer) => {
      out += b.toString();
    });
    child.on('exit', (code) =>
      code === 0
        ? resolve(JSON.parse(out.trim().split('\n').pop() as string) as Measurement)
        : reject(new Error(`${mode} exited ${code}`)),
    );
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// ---- report ----

function machine(): string {
  const cpu = os.cpus()[0]?.model?.trim() ?? 'unknown CPU';
  const gib = (os.totalmem() / 2 ** 30).toFixed(1);
  return `${os.availableParallelism()} CPUs (nproc), ${cpu}, ${gib} GiB RAM, ${os.type()} ${os.release()}, Node ${process.version}`;
}

function ferretVersion(binary: string): string {
  try {
    return execFileSync(binary, ['--version'])
      .toString()
      .split('\n')[0]
      .replace(/^version:\s*/, '')
      .trim();
  } catch {
    return 'unknown';
  }
}

function section(rows: Record<Mode, Measurement[]>, gen: { seconds: number | null; ferret: string }): string {
  const med = (ms: Measurement[]) => ({ ms: median(ms.map((m) => m.ms)), rss: median(ms.map((m) => m.peakRssMB)) });
  const f = med(rows.floor);
  const a = med(rows.aggregate);
  const s = (ms: number) => (ms / 1000).toFixed(1);
  const each = (ms: Measurement[]) => ms.map((m) => `${s(m.ms)} s / ${m.peakRssMB.toFixed(0)} MB`).join('; ');
  const last = rows.aggregate[rows.aggregate.length - 1];
  const full = BRANCHES === 25_000 && VISITS === 100_000;
  const lines = [
    '## Quarterly results aggregation (`npm run bench:results`, bench/results-bench.ts)',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on ${machine()}; embedded FerretDB ${gen.ferret} (SQLite backend), ${DATA_DIR ? 'data folder BENCH_DATA_DIR' : 'fresh temporary data folder'}. ` +
      `Load average at the end: ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' / ')} (the machine is shared; absolute times vary with it, compare within a run).`,
    '',
    `Data: one bank, ${BRANCHES.toLocaleString('en')} branches in ${REGIONS} regions, ${(BRANCHES * STAFF_PER_BRANCH).toLocaleString('en')} staff, ` +
      `${VISITS.toLocaleString('en')} counted (approved/disputed) visits in ${QUARTER} and as many in ${shiftQuarter(QUARTER, -1)}, ` +
      `plus ${Math.round(VISITS * UNCOUNTED_SHARE).toLocaleString('en')} uncounted visits per quarter; 16 answers per visit, comments, staff and history as stored. ` +
      (gen.seconds === null
        ? 'Data reused from an earlier generation by this script (BENCH_DATA_DIR).'
        : `Generation (insertMany in batches of ${BATCH}) took ${gen.seconds.toFixed(0)} s.`) +
      (full ? '' : ' **Reduced size**: the full 25,000 / 100,000 was not run for these figures.'),
    '',
    `Medians of ${RUNS} runs; every run is a fresh Node process (peak RSS = that process's maxRSS, Node and Mongoose included), floor and aggregation alternating.`,
    '',
    '| measurement | time | peak RSS |',
    '|---|---|---|',
    `| floor: stream the same cursor (same filter, projection, batch size), do nothing | ${s(f.ms)} s | ${f.rss.toFixed(0)} MB |`,
    `| aggregation: every figure of the quarter (branches, regions, bank, staff, 4-quarter trend, spread, key problems, violations) | ${s(a.ms)} s | ${a.rss.toFixed(0)} MB |`,
    `| ratio aggregation / floor | ${(a.ms / f.ms).toFixed(2)}× | |`,
  ];
  if (rows.full.length) {
    const x = med(rows.full);
    lines.push(
      `| full report: the aggregation plus branch- and staff-name look-ups (${rows.full.length} run${rows.full.length > 1 ? 's' : ''}) | ${s(x.ms)} s (${(x.ms / f.ms).toFixed(2)}×) | ${x.rss.toFixed(0)} MB |`,
    );
  }
  lines.push(
    '',
    `Runs — floor: ${each(rows.floor)}. Aggregation: ${each(rows.aggregate)}.${rows.full.length ? ` Full: ${each(rows.full)}.` : ''}`,
    `Result check (last aggregation): ${last.visits} counted visits in the trend window, ${String(last.branches)} branch rows, ${String(last.regions)} regions, ${String(last.staff)} staff, ` +
      `${String(last.keyProblems)} key problems, ${String(last.violations)} violations, bank total ${typeof last.bankTotal === 'number' ? last.bankTotal.toFixed(2) : '–'}.`,
    '',
    `Target: within 1.5× of the floor — ${a.ms <= 1.5 * f.ms ? 'met' : 'NOT met'}; peak RSS under 300 MB — ${a.rss < 300 ? 'met' : 'NOT met'}.`,
    '',
  );
  return lines.join('\n');
}

const HEADING = '## Quarterly results aggregation';

/** Replaces only this benchmark's section; other sections of BENCHMARKS.md are kept as they are. */
function writeSection(text: string): void {
  const file = path.join(ROOT, 'BENCHMARKS.md');
  const old = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n\n';
  const start = old.indexOf(HEADING);
  if (start < 0) {
    fs.writeFileSync(file, `${old.trimEnd()}\n\n${text}`);
    return;
  }
  const next = old.indexOf('\n## ', start + HEADING.length);
  // The next section keeps its blank line before its heading.
  fs.writeFileSync(file, old.slice(0, start) + text.trimEnd() + (next < 0 ? '\n' : `\n\n${old.slice(next + 1)}`));
}

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'msa-results-bench-'));
  const dataDir = DATA_DIR ?? tmp;
  const binary = process.env.FERRETDB_BIN ?? path.join(ROOT, '.tools', 'bin', 'ferretdb');
  const port = await freePort();
  const db = await startEmbeddedDb({ binary, dataDir, port, dbName: 'bench' });
  const uri = `mongodb://127.0.0.1:${port}/`;
  try {
    log(`FerretDB on port ${port}, data in ${dataDir}`);
    await mongoose.connect(uri, { dbName: 'bench' });
    const existing = DATA_DIR ? await Bank.findOne({ code: 'BENCH' }, { _id: 1 }).lean() : null;
    let bankId: string;
    let genSeconds: number | null = null;
    if (existing) {
      bankId = String(existing._id);
      log('reusing the generated data in BENCH_DATA_DIR');
    } else {
      await ensureIndexes();
      const t0 = Date.now();
      bankId = String((await generate()).bankId);
      genSeconds = (Date.now() - t0) / 1000;
    }
    await mongoose.disconnect();
    const childJs = compileForChildren(path.join(tmp, 'js'));
    const rows: Record<Mode, Measurement[]> = { floor: [], aggregate: [], full: [] };
    const run = async (mode: Mode, i: number) => {
      const m = await measure(childJs, mode, uri, 'bench', bankId);
      rows[mode].push(m);
      log(
        `run ${i + 1} ${mode}: ${(m.ms / 1000).toFixed(1)} s, peak RSS ${m.peakRssMB.toFixed(0)} MB, ${m.visits} visits`,
      );
    };
    for (let i = 0; i < RUNS; i++) {
      for (const mode of i % 2 === 0 ? (['floor', 'aggregate'] as const) : (['aggregate', 'floor'] as const))
        await run(mode, i);
    }
    for (let i = 0; i < FULL_RUNS; i++) await run('full', i);
    const text = section(rows, { seconds: genSeconds, ferret: ferretVersion(binary) });
    process.stdout.write(`\n${text}`);
    if (WRITE_FILE) writeSection(text);
  } finally {
    await mongoose.disconnect().catch(() => undefined);
    await db.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
