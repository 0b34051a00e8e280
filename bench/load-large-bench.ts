import type { FaultDb } from '../test/helpers/faults';
import { startApp, type RunningApp } from './large-bank/app';
import { before, runBench, withLargeBankCopy, writeBenchSection } from './large-bank/copy';
import { LOAD_SECONDS, loadKinds, runPaced, summarize } from './large-bank/load';
import type { KeptBank } from './large-bank/store';
import { loadAvg, log, machine, WRITE_FILE } from './large-bank/settings';
import { startSampler } from './load/sampler';

/**
 * The load test on the large bank (issue 13): on a fresh copy of bench/large-bank (25,000 branches,
 * 100,000 counted visits in each of four quarters) the app in its own process, and at once, each at a
 * paced rate for LOAD_SECONDS: the whole-bank manager's API reads (bank, region, one region's
 * branches), the dashboard page, the region HR's scorecards, an auditor creating and submitting
 * visits, a reviewer approving. p50/p95/p99 per kind at its rate, errors, memory and CPU over time.
 *
 *   BENCH_DATA_DIR=/work/.benchdata npm run bench:load-large
 *   LOAD_SECONDS=300 LOAD_RATE_SCALE=2 …   (every rate times 2)
 */
const SCALE = Number(process.env.LOAD_RATE_SCALE ?? 1);
const RATES: Record<string, number> = {
  bank: 0.5,
  region: 0.25,
  branch: 0.5,
  page: 0.25,
  hr: 0.25,
  auditor: 0.5,
  approve: 0.5,
};

async function main(): Promise<void> {
  await withLargeBankCopy(async ({ world, db }) => {
    const app = await startApp(db.uri());
    try {
      await loadRun(db, app, world);
    } finally {
      await app.stop();
    }
  });
}

async function loadRun(db: FaultDb, app: RunningApp, world: KeptBank['world']): Promise<void> {
  const rates = Object.fromEntries(Object.entries(RATES).map(([k, v]) => [k, v * SCALE]));
  const kinds = await loadKinds(db.uri(), app, world, rates);
  const loads = [loadAvg()];
  log(`app on ${app.url}; ${LOAD_SECONDS} s at ${kinds.reduce((s, k) => s + k.perSecond, 0).toFixed(2)} actions/s`);
  const sampler = startSampler(app.pid, db.pid());
  const results = await runPaced(kinds, LOAD_SECONDS);
  sampler.stop();
  loads.push(loadAvg());
  const s = sampler.samples;
  const third = (i: number) => s.filter((x) => x.t >= (i * LOAD_SECONDS) / 3 && x.t < ((i + 1) * LOAD_SECONDS) / 3);
  const mb = (xs: (number | undefined)[]) => {
    const v = xs.filter((x): x is number => x !== undefined).map((x) => x / 1024);
    return v.length ? `${(v.reduce((a, b) => a + b, 0) / v.length).toFixed(0)} / ${Math.max(...v).toFixed(0)}` : '–';
  };
  const cpu = (xs: (number | undefined)[]) => {
    const v = xs.filter((x): x is number => x !== undefined);
    return v.length ? `${(v.reduce((a, b) => a + b, 0) / v.length).toFixed(0)} %` : '–';
  };
  const text = [
    '## Load on the large bank (`npm run bench:load-large`)',
    '',
    `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine()}; load average (1 / 5 / 15 min) at the start ${loads[0]}, at the end ${loads[1]}. The large bank (bench/large-bank: 25,000 branches in 50 regions, 100,000 counted visits in each of four quarters) on a fresh copy; the app in its own process (NODE_ENV=production) with its background work (the statistics' sync, webhooks, mail). For ${LOAD_SECONDS} s, every kind at once, each at its own paced rate (open loop: sent on time whether or not earlier ones were answered); times from sending to the last byte.`,
    '',
    '| request | per s | answered | p50 | p95 | p99 | max | errors |',
    '|---|---|---|---|---|---|---|---|',
    ...results.map(summarize),
    '',
    '| process: resident memory mean / max (MB), CPU (100 % = one core) | first third | middle third | last third |',
    '|---|---|---|---|',
    `| app | ${[0, 1, 2].map((i) => mb(third(i).map((x) => x.app))).join(' | ')} |`,
    `| FerretDB | ${[0, 1, 2].map((i) => mb(third(i).map((x) => x.db))).join(' | ')} |`,
    `| app CPU | ${[0, 1, 2].map((i) => cpu(third(i).map((x) => x.appCpu))).join(' | ')} |`,
    `| FerretDB CPU | ${[0, 1, 2].map((i) => cpu(third(i).map((x) => x.dbCpu))).join(' | ')} |`,
  ].join('\n');
  process.stdout.write(`\n${text}\n`);
  if (WRITE_FILE) writeBenchSection(text, '## Load on the large bank', before('## Faults'));
}

runBench(main);
