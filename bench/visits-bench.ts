import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Types } from 'mongoose';
import { agent, appSubmit, drive, floorSubmit } from './visits/load';
import { ferretPid, figures, fmt, report, withCpu, type Figures } from './visits/report';
import { serveApp, serveFloor, startChild, stopChild } from './visits/servers';
import {
  answerSet,
  CLIENTS,
  log,
  MEASURE_S,
  PACED_RATE,
  PACED_S,
  PASSWORD,
  PER_CLIENT,
  PROFILE,
  ROOT,
  RUNS,
  SOLO_S,
  WARMUP_S,
} from './visits/settings';
import { prepareApp } from './visits/setup';

/**
 * Visit-submission benchmark (issue 3). On a fresh embedded FerretDB in a temp folder, the real app
 * (its own process, on loopback) against the floor — a bare Express + Mongoose endpoint (another
 * process, same database server, another database) that inserts the same visit document — with 50
 * concurrent keep-alive clients each. A submission is, for the app, POST /api/v1/visits with a full
 * answer set followed by POST /api/v1/visits/:id/submit; for the floor, one POST that inserts the
 * submitted document. Both run in the same run, alternating which goes first; medians of BENCH_RUNS
 * runs; the section "Visit submissions" of BENCHMARKS.md is rewritten with the figures.
 *
 *   npm run bench:visits
 *   BENCH_RUNS=5 BENCH_SECONDS=15 BENCH_CLIENTS=50 npm run bench:visits
 *   BENCH_PROFILE=1 npm run bench:visits     # also prints the app's database time per command
 *   BENCH_ASSIGNMENTS=4 npm run bench:visits  # assignments prepared per client (default 160, i.e. 8,000 in the database)
 *   BENCH_PACED_RATE=50 npm run bench:visits   # the paced phase: 50 clients sending 50 submissions/s in all
 *
 * This file runs the benchmark (or, with --serve-app / --serve-floor, one of its servers); its parts are
 * in bench/visits/: settings (environment, the request), servers (app and floor processes), setup (the
 * data of a run), load (the clients), report (figures, the BENCHMARKS.md section).
 */

async function main(): Promise<void> {
  const { freePort, startEmbeddedDb } = await import('../server/platform/db/embedded');
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'msa-bench-visits-'));
  const port = await freePort();
  const binary = process.env.FERRETDB_BIN ?? path.join(ROOT, '.tools', 'bin', 'ferretdb');
  const db = await startEmbeddedDb({ binary, dataDir, port, dbName: 'bench' });
  // BENCH_POOL caps the driver's connection pool of every process (to try whether fewer concurrent commands help FerretDB).
  const params = [
    PROFILE ? 'monitorCommands=true' : '',
    process.env.BENCH_POOL ? `maxPoolSize=${process.env.BENCH_POOL}` : '',
  ].filter(Boolean);
  const uri = `mongodb://127.0.0.1:${port}/${params.length ? `?${params.join('&')}` : ''}`;
  const load = os.loadavg()[0];
  log(
    `FerretDB on ${port} (${dataDir}); ${RUNS} runs × (${WARMUP_S} s warm-up + ${MEASURE_S} s) × 2 targets, ${CLIENTS} clients; load average ${load.toFixed(2)}`,
  );
  const answers = await answerSet();
  const app: Figures[] = [];
  const floor: Figures[] = [];
  const soloApp: Figures[] = [];
  const soloFloor: Figures[] = [];
  const pacedApp: Figures[] = [];
  const pacedFloor: Figures[] = [];
  const profiles: string[] = [];
  try {
    for (let run = 1; run <= RUNS; run++) {
      const world = await prepareApp(uri, `bench_app_${run}`);
      log(`run ${run}: prepared ${CLIENTS} auditors × ${PER_CLIENT} assignments`);
      const childEnv = {
        MONGODB_URI: uri,
        LOG_LEVEL: 'silent',
        NODE_ENV: 'production',
        SESSION_SECRET: crypto.randomBytes(24).toString('hex'),
        ADMIN_EMAIL: 'admin@bench.local',
        ADMIN_PASSWORD: PASSWORD,
      };
      // Errors only: a 500 during the run must be explained, not just counted.
      const appChild = await startChild('app', { ...childEnv, DB_NAME: `bench_app_${run}`, LOG_LEVEL: 'error' });
      const floorChild = await startChild('floor', {
        ...childEnv,
        DB_NAME: `bench_floor_${run}`,
        BENCH_FLOOR_CONTEXT: JSON.stringify({ bankId: world.bankId, questionnaireId: world.questionnaireId }),
      });
      try {
        // The floor needs no prepared data, only fresh ids, and enough of them for its much higher rate.
        const floorAssignments = world.clients.map(() =>
          Array.from({ length: 1500 }, () => new Types.ObjectId().toHexString()),
        );
        const auditors = world.clients.map((c) => c.auditorId);
        const dbPid = ferretPid(port);
        const measureApp = async () => {
          const f = await withCpu(appChild.proc.pid, dbPid, () =>
            drive(
              world.clients.map((c) => c.assignments),
              appSubmit(appChild.port, world, answers),
              CLIENTS,
            ),
          );
          app.push(f);
          log(`run ${run}: app   ${fmt(f)}; create step p50 ${f.firstP50?.toFixed(0)} ms`);
        };
        const measureFloor = async () => {
          const f = await withCpu(floorChild.proc.pid, dbPid, () =>
            drive(floorAssignments, floorSubmit(floorChild.port, auditors, answers), CLIENTS),
          );
          floor.push(f);
          log(`run ${run}: floor ${fmt(f)}`);
        };
        // Alternate the order so that neither side always gets the emptier database file cache.
        if (run % 2) {
          await measureApp();
          await measureFloor();
        } else {
          await measureFloor();
          await measureApp();
        }
        const intervalMs = (CLIENTS / PACED_RATE) * 1000;
        const pacedApp1 = await withCpu(appChild.proc.pid, dbPid, () =>
          drive(
            world.clients.map((c) => c.assignments),
            appSubmit(appChild.port, world, answers),
            CLIENTS,
            PACED_S,
            intervalMs,
          ),
        );
        const pacedFloor1 = await withCpu(floorChild.proc.pid, dbPid, () =>
          drive(floorAssignments, floorSubmit(floorChild.port, auditors, answers), CLIENTS, PACED_S, intervalMs),
        );
        pacedApp.push(pacedApp1);
        pacedFloor.push(pacedFloor1);
        log(`run ${run}: paced ${PACED_RATE}/s: app ${fmt(pacedApp1)}; floor ${fmt(pacedFloor1)}`);
        const solo = world.clients.length - 1;
        const soloApp1 = figures(
          await drive(
            [world.clients[solo].assignments],
            (_c, a) => appSubmit(appChild.port, world, answers)(solo, a),
            1,
            SOLO_S,
          ),
        );
        const soloFloor1 = figures(
          await drive(
            [floorAssignments[solo]],
            (_c, a) => floorSubmit(floorChild.port, auditors, answers)(solo, a),
            1,
            SOLO_S,
          ),
        );
        soloApp.push(soloApp1);
        soloFloor.push(soloFloor1);
        log(`run ${run}: 1 client: app ${fmt(soloApp1)}; floor ${fmt(soloFloor1)}`);
      } finally {
        const out = await stopChild(appChild);
        await stopChild(floorChild);
        const profile = out.match(/^PROFILE (.+)$/m)?.[1];
        if (profile) profiles.push(profile);
        for (const line of out
          .split('\n')
          .filter((l) => l.includes('"level":50'))
          .slice(0, 3))
          log(`run ${run}: app error log: ${line.slice(0, 600)}`);
      }
    }
  } finally {
    agent.destroy();
    await db.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  report({ app, floor, soloApp, soloFloor, pacedApp, pacedFloor }, load, profiles, answers.length);
}

const mode = process.argv[2];
const entry = mode === '--serve-app' ? serveApp : mode === '--serve-floor' ? serveFloor : main;
entry().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
