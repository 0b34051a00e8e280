import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type autocannon from 'autocannon';
import { closeQuarter, counts, webSession } from './load/http';
import {
  auditorRequests,
  managerRequests,
  reviewerRequests,
  runGroup,
  type Actors,
  type AssignmentPool,
  type Group,
} from './load/mix';
import { render, writeSection } from './load/report';
import { startSampler } from './load/sampler';
import { seed, seedCache, type LoadWorld } from './load/seed';
import {
  AUDITOR_RATE,
  AUDITORS,
  DB_NAME,
  LOAD_USERS,
  log,
  MANAGERS,
  PASSWORD,
  REVIEWERS,
  SECONDS,
  WRITE_FILE,
  type Call,
} from './load/settings';
import { measureAlone } from './load/solo';
import { setMeasuring } from './load/stats';

/**
 * Load test (issue 7): the real app (its own process, NODE_ENV=production, loopback only) on a fresh
 * embedded FerretDB loaded with the demo seed, under a mix of what its users do at once, for a few
 * minutes (LOAD_SECONDS, default 180, at most 1800):
 *   - auditors start a visit (full answer set, Idempotency-Key) and submit it;
 *   - bank managers read the results API, open the /results dashboard page and download a report PDF;
 *   - reviewers read the review queue and approve visits from it.
 * Each group is an autocannon instance with its own connections, all running at the same time.
 * Recorded: requests and throughput, p50/p95/p99 per request kind, non-2xx answers by status, and
 * the app's resident memory sampled every few seconds (first vs middle vs last third of the run).
 * The section "Load" of BENCHMARKS.md is rewritten with the figures (BENCH_WRITE=0: print only).
 *
 *   npm run bench:load
 *   LOAD_SECONDS=60 LOAD_AUDITORS=8 LOAD_MANAGERS=6 LOAD_REVIEWERS=2 npm run bench:load
 */
async function main(): Promise<void> {
  const { startFaultDb, spawnApp, tokenOf, call, FAULT_ADMIN } = await import('../test/helpers/faults');
  const load = os.loadavg()[0];
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}, ${os.type()} ${os.release()}`;
  log(
    `${machine}; load average ${load.toFixed(2)}; ${SECONDS} s; auditors ${AUDITORS} (${AUDITOR_RATE || '∞'} req/s each), managers ${MANAGERS}, reviewers ${REVIEWERS} connections`,
  );

  // Enough open assignments for every visit the auditors can start (rounded, so that runs share a seeded copy).
  const needed = Math.max(2000, Math.ceil((((SECONDS * AUDITORS * (AUDITOR_RATE || 10)) / 2) * 1.2) / 1000) * 1000);
  const cache = seedCache(needed);
  const cached = process.env.LOAD_RESEED !== '1' && fs.existsSync(path.join(cache, 'world.json'));
  const db = await startFaultDb(cached ? { copyFrom: path.join(cache, 'data') } : {});
  let app: Awaited<ReturnType<typeof spawnApp>> | undefined;
  try {
    let world: LoadWorld;
    if (cached) {
      world = JSON.parse(fs.readFileSync(path.join(cache, 'world.json'), 'utf8')) as LoadWorld;
      log(`seeded database copied from ${cache} (LOAD_RESEED=1 seeds afresh)`);
    } else {
      world = await seed(db.uri(), needed);
      // Seeding takes minutes on a busy machine: the stopped database is kept for the next run.
      await db.stop();
      fs.rmSync(cache, { recursive: true, force: true });
      fs.cpSync(db.dataDir, path.join(cache, 'data'), { recursive: true });
      fs.writeFileSync(path.join(cache, 'world.json'), JSON.stringify(world));
      await db.start();
    }
    log(
      `${world.pool.length} open assignments for ${LOAD_USERS} auditor accounts; ${world.visitsBefore} visits in the seed`,
    );
    app = await spawnApp({
      mongoUri: db.uri(),
      dbName: DB_NAME,
      env: { NODE_ENV: 'production', PASSWORD_HASH_LOG_N: '15', SECURE_COOKIES: 'false', LOG_LEVEL: 'warn' },
    });
    const base = app.url;
    const adminToken = await tokenOf(base, FAULT_ADMIN.email, FAULT_ADMIN.password);
    const t0 = Date.now();
    const reportId = await closeQuarter(call, base, adminToken, world.jiangnanId, world.prevQuarter);
    log(`closed JNCB ${world.prevQuarter} for the PDFs in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const actors = await signIn(call, tokenOf, base, world, reportId);
    const pool: AssignmentPool = { next: 0, exhausted: 0 };
    const solo = await measureAlone(call, base, actors, pool);

    const sampler = startSampler(app.pid, db.pid());
    setMeasuring(true);
    log(`running the mix for ${SECONDS} s on ${base}`);
    const groups = [
      AUDITORS > 0 &&
        runGroup(
          'auditors',
          base,
          AUDITORS,
          auditorRequests(actors, pool),
          AUDITOR_RATE ? { connectionRate: AUDITOR_RATE } : {},
        ),
      MANAGERS > 0 && runGroup('managers', base, MANAGERS, managerRequests(actors)),
      REVIEWERS > 0 && runGroup('reviewers', base, REVIEWERS, reviewerRequests(actors)),
    ].filter((g): g is Group => Boolean(g));
    await Promise.all(
      groups.map(
        (g) =>
          new Promise<void>((resolve) =>
            g.instance.on('done', (r: autocannon.Result) => {
              g.result = r;
              resolve();
            }),
          ),
      ),
    );
    setMeasuring(false);
    sampler.stop();
    const elapsed = (Date.now() - sampler.t0) / 1000;
    const after = await counts(call, base, adminToken, actors.reviewerToken);
    const healthy = await call(base, 'GET', '/healthz');
    const { exhausted } = pool;
    log(
      `done: ${after}; /healthz ${healthy.status}; assignments left ${world.pool.length - pool.next}${exhausted ? ` (ran out ${exhausted} times)` : ''}`,
    );

    const text = render({ machine, load, elapsed, groups, samples: sampler.samples, after, world, exhausted, solo });
    process.stdout.write(`\n${text}\n`);
    if (WRITE_FILE) {
      writeSection(text);
      log('BENCHMARKS.md: section "Load" written');
    }
  } finally {
    await app?.kill('SIGTERM');
    await db.dispose();
  }
}

/** Tokens, web sessions and report files of the users the mix acts as. */
async function signIn(
  call: Call,
  tokenOf: (base: string, email: string, password: string) => Promise<string>,
  base: string,
  world: LoadWorld,
  reportId: string,
): Promise<Actors> {
  const auditorTokens = await Promise.all(world.auditorEmails.map((e) => tokenOf(base, e, PASSWORD)));
  const managerEmails = ['manager@jiangnan.demo', 'east@jiangnan.demo', 'branch@jiangnan.demo'];
  const managerTokens = await Promise.all(managerEmails.map((e) => tokenOf(base, e, PASSWORD)));
  const managerCookies = await Promise.all(managerEmails.map((e) => webSession(base, e, PASSWORD)));
  // Each manager downloads a file of their own cut of the report (the branch manager has no bank file).
  const managerFiles = await Promise.all(
    managerTokens.map(async (tok) => {
      const r = await call(base, 'GET', `/api/v1/reports/${reportId}`, {
        headers: { Authorization: `Bearer ${tok}` },
      });
      const files = 'body' in r ? ((r.body as { files?: { url: string; scope: string }[] }).files ?? []) : [];
      const pick =
        files.find((f) => f.scope === 'bank') ?? files.find((f) => f.scope.startsWith('region:')) ?? files[0];
      if (!pick) throw new Error('a manager sees no report file');
      return pick.url;
    }),
  );
  const reviewerToken = await tokenOf(base, 'reviewer@demo.local', PASSWORD);
  return { world, auditorTokens, managerTokens, managerCookies, managerFiles, reviewerToken };
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
