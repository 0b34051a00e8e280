import mongoose from 'mongoose';
import { startApp, type RunningApp } from './large-bank/app';
import { type ReadKind, readKinds, streamOnce, checkAgainstStream, type Check } from './large-bank/reads';
import { approveSideBySide, type ApproveTimes } from './large-bank/approve';
import { configureFor } from './large-bank/store';
import { runBench, withLargeBankCopy, writeBenchSection } from './large-bank/copy';
import { DB_NAME, env, loadAvg, log, machine, median, quantile, WRITE_FILE } from './large-bank/settings';
import { resultsSection } from './large-bank/results-report';

/**
 * Results at the scale of a national bank (issue 13): the large bank (bench/large-bank, kept in
 * BENCH_DATA_DIR) on a copy of its database, the app started on it as its own process, and the
 * requests of the issue's targets through HTTP — BENCH_REQUESTS each (default 60), sequential,
 * interleaved kind by kind. In the same run: the streaming path (`resultsFromVisits`, in-process, the
 * bank's visits of the four trend quarters read for each request) BENCH_STREAM_RUNS times per kind,
 * and approving a visit with this app against the app built from BENCH_BASE_ROOT (the commit before
 * the kept statistics; skipped when unset), on the same data. Writes its section of BENCHMARKS.md.
 *
 *   BENCH_DATA_DIR=/work/.benchdata BENCH_BASE_ROOT=/tmp/bench-base npm run bench:results
 */
const REQUESTS = env('BENCH_REQUESTS', 60);
const STREAM_RUNS = env('BENCH_STREAM_RUNS', 3);
const APPROVALS = env('BENCH_APPROVALS', 60);
const APPROVE_ROUNDS = 4 * Math.max(1, Math.round(env('BENCH_APPROVE_ROUNDS', 4) / 4));
const BASE_ROOT = process.env.BENCH_BASE_ROOT;

export interface AppTimes {
  kind: ReadKind;
  ms: number[];
  bytes: number;
  errors: number;
}

async function measureApp(app: RunningApp, kinds: ReadKind[]): Promise<{ times: AppTimes[]; rss: number[] }> {
  const times = kinds.map((kind) => ({ kind, ms: [] as number[], bytes: 0, errors: 0 }));
  const rss: number[] = [];
  // Warm-up: the bank's directories, the compiled templates, the first sync of the bank.
  for (const k of kinds) for (let i = 0; i < 2; i++) await k.request(app.url);
  for (let i = 0; i < REQUESTS; i++) {
    for (const t of times) {
      const r = await t.kind.request(app.url);
      if (r.status !== 200) t.errors += 1;
      t.ms.push(r.ms);
      t.bytes = r.bytes;
    }
    rss.push(app.rssMB());
    if (i % 10 === 9)
      log(`  ${i + 1}/${REQUESTS}: ${times.map((t) => `${t.kind.name} p50 ${median(t.ms).toFixed(0)} ms`).join(', ')}`);
  }
  return { times, rss };
}

async function main(): Promise<void> {
  await withLargeBankCopy(async ({ world, db, loadAtStart: loadStart }) => {
    const app = await startApp(db.uri());
    const kinds = await readKinds(app.url, world);
    log(`app on ${app.url}; ${REQUESTS} requests of each kind`);
    const measured = await measureApp(app, kinds);
    await app.stop();

    const stream: Record<string, number[]> = {};
    const checks: Check[] = [];
    let approve: ApproveTimes | null = null;
    if (BASE_ROOT) approve = await approveSideBySide(db.uri(), world, BASE_ROOT, APPROVALS, APPROVE_ROUNDS);
    const section = () =>
      resultsSection({
        world,
        machine: machine(),
        loads: [loadStart, loadAvg()],
        measured: measured.times.map((t) => ({
          name: t.kind.name,
          label: t.kind.label,
          target: t.kind.targetMs,
          p50: median(t.ms),
          p95: quantile(t.ms, 0.95),
          max: Math.max(...t.ms),
          n: t.ms.length,
          bytes: t.bytes,
          errors: t.errors,
          stream: stream[t.kind.name] ?? [],
        })),
        rss: measured.rss,
        checks,
        approve,
        requests: REQUESTS,
      });
    // Written before the streaming path runs (it takes half an hour here), and again after it.
    if (WRITE_FILE) writeBenchSection(section(), '## Results at the scale of a national bank');
    await configureFor(db.uri());
    await mongoose.connect(db.uri(), { dbName: DB_NAME });
    for (let run = 0; run < STREAM_RUNS; run++) {
      for (const k of kinds) {
        const s = await streamOnce(k, world);
        (stream[k.name] ??= []).push(s.ms);
        if (run === 0) checks.push(await checkAgainstStream(db.uri(), k, world, s.report));
        log(`  streaming path, ${k.name}, run ${run + 1}: ${(s.ms / 1000).toFixed(1)} s`);
      }
    }
    await mongoose.disconnect();

    const text = section();
    process.stdout.write(`\n${text}\n`);
    if (WRITE_FILE) writeBenchSection(text, '## Results at the scale of a national bank');
  });
}

runBench(main);
