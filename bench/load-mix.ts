import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import autocannon from 'autocannon';
import { Types } from 'mongoose';
import type * as faultHelpers from '../test/helpers/faults';

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
const ROOT = path.resolve(__dirname, '..');
const num = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);
const SECONDS = Math.min(1800, Math.max(10, num('LOAD_SECONDS', 180)));
const AUDITORS = num('LOAD_AUDITORS', 4);
const MANAGERS = num('LOAD_MANAGERS', 2);
const REVIEWERS = num('LOAD_REVIEWERS', 1);
/** Requests per second per auditor connection (a phone does not submit back to back); 0: unthrottled. */
const AUDITOR_RATE = num('LOAD_AUDITOR_RATE', 1);
const SAMPLE_MS = num('LOAD_SAMPLE_MS', 2000);
const LOAD_USERS = 12; // auditor accounts the auditor connections act as
const WRITE_FILE = process.env.BENCH_WRITE !== '0';
const DB_NAME = 'load';

const log = (msg: string) => process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

// ---------------------------------------------------------------- per-kind timings

interface KindStats {
  times: number[];
  statuses: Map<number, number>;
}
const kinds = new Map<string, KindStats>();
let measuring = false;

interface Ctx {
  kind?: string;
  t0?: number;
  visitId?: string;
  auth?: string;
  queue?: string[];
  [k: string]: unknown;
}

function start(ctx: Ctx, kind: string): void {
  ctx.kind = kind;
  ctx.t0 = performance.now();
}

function record(ctx: Ctx, status: number): void {
  if (!measuring || !ctx.kind || ctx.t0 === undefined) return;
  const k: KindStats = kinds.get(ctx.kind) ?? { times: [], statuses: new Map<number, number>() };
  k.times.push(performance.now() - ctx.t0);
  k.statuses.set(status, (k.statuses.get(status) ?? 0) + 1);
  kinds.set(ctx.kind, k);
}

function pct(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

// ---------------------------------------------------------------- the data

interface LoadWorld {
  jiangnanId: string;
  quarter: string;
  prevQuarter: string;
  answers: { itemKey: string; value: string | number; comment?: string }[];
  pool: { assignmentId: string; user: number }[];
  auditorEmails: string[];
  visitsBefore: number;
}

function quarterLabel(d: Date, offset = 0): string {
  const cn = new Date(d.getTime() + 8 * 3600_000);
  const q = cn.getUTCFullYear() * 4 + Math.floor(cn.getUTCMonth() / 3) + offset;
  return `${Math.floor(q / 4)}-Q${(q % 4) + 1}`;
}

/** The demo seed, plus auditor accounts and open assignments for the auditors to work through. */
async function seed(uri: string, assignments: number): Promise<LoadWorld> {
  const { loadConfig, setConfig } = await import('../server/platform/config');
  const { FAULT_ADMIN } = await import('../test/helpers/faults');
  setConfig(
    loadConfig({
      ...process.env,
      NODE_ENV: 'development',
      MONGODB_URI: uri,
      DB_NAME,
      LOG_LEVEL: 'warn',
      PASSWORD_HASH_LOG_N: '12',
      ADMIN_EMAIL: FAULT_ADMIN.email,
      ADMIN_PASSWORD: FAULT_ADMIN.password,
    }),
  );
  const { startServices, stopServices } = await import('../server/bootstrap');
  const { seedDemo, DEMO_PASSWORD } = await import('../seed/demo');
  const { jiangnanBranches } = await import('../seed/org');
  const { demoQuestionnaireBody } = await import('../seed/questionnaire');
  const { createUser } = await import('../server/users/service');
  const { Bank } = await import('../server/banks/model');
  const { Questionnaire } = await import('../server/questionnaires/model');
  const { Assignment } = await import('../server/assignments/model');
  const { Visit } = await import('../server/visits/model');
  await startServices();
  try {
    const t0 = Date.now();
    await seedDemo({ ifEmpty: false });
    log(`demo seed loaded in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    const bank = await Bank.findOne({ code: 'JNCB' }).lean();
    if (!bank) throw new Error('the seed has no JNCB');
    const q = await Questionnaire.findOne({ bankId: bank._id }).lean();
    if (!q) throw new Error('the seed has no JNCB questionnaire');
    const auditorEmails: string[] = [];
    const ids: Types.ObjectId[] = [];
    for (let i = 0; i < LOAD_USERS; i++) {
      const email = `load-auditor${i + 1}@demo.local`;
      const u = await createUser({ email, password: DEMO_PASSWORD, name: `压测暗访员${i + 1}`, role: 'auditor' });
      auditorEmails.push(email);
      ids.push(new Types.ObjectId(u.id));
    }
    const branches = jiangnanBranches();
    const now = Date.now();
    const docs = Array.from({ length: assignments }, (_, n) => {
      const b = branches[n % branches.length];
      return {
        _id: new Types.ObjectId(),
        bankId: bank._id,
        branchCode: b.code,
        region: b.region,
        auditorId: ids[n % LOAD_USERS],
        questionnaireId: q._id,
        quarter: quarterLabel(new Date()),
        windowStart: new Date(now - 10 * 86400_000),
        windowEnd: new Date(now + 10 * 86400_000),
        scenario: '理财产品咨询（压测）',
        createdAt: new Date(),
        updatedAt: new Date(),
      };
    });
    for (let i = 0; i < docs.length; i += 500) await Assignment.collection.insertMany(docs.slice(i, i + 500));
    const items = demoQuestionnaireBody(String(bank._id)).sections.flatMap((s) => s.items);
    const answers = items.map((it, n) => ({
      itemKey: it.key,
      value: it.type === 'scale' ? 4 : n % 9 === 4 && !it.critical ? 'no' : 'yes',
      ...(n % 6 === 0 ? { comment: '等候约10分钟，员工讲解清楚，但未主动说明管理费。' } : {}),
    }));
    return {
      jiangnanId: String(bank._id),
      quarter: quarterLabel(new Date()),
      prevQuarter: quarterLabel(new Date(), -1),
      answers,
      pool: docs.map((d, n) => ({ assignmentId: String(d._id), user: n % LOAD_USERS })),
      auditorEmails,
      visitsBefore: await Visit.countDocuments({}),
    };
  } finally {
    await stopServices();
  }
}

// ---------------------------------------------------------------- HTTP set-up against the running app

type Call = typeof faultHelpers.call;

async function webSession(base: string, email: string, password: string): Promise<string> {
  const page = await fetch(`${base}/login`);
  const cookie = (page.headers.get('set-cookie') ?? '').split(';')[0];
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1];
  if (!cookie || !csrf) throw new Error('no session cookie or CSRF token on /login');
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { Cookie: cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ _csrf: csrf, email, password, next: '/' }).toString(),
  });
  const signed = (res.headers.get('set-cookie') ?? '').split(';')[0];
  if (res.status !== 303 || !signed) throw new Error(`web sign-in of ${email} failed: ${res.status}`);
  return signed;
}

async function closeQuarter(
  call: Call,
  base: string,
  adminToken: string,
  bankId: string,
  quarter: string,
): Promise<string> {
  const auth = { Authorization: `Bearer ${adminToken}` };
  const res = await call(base, 'POST', `/api/v1/banks/${bankId}/quarters/${quarter}/close`, { headers: auth });
  if (res.status !== 202 || !('body' in res)) throw new Error(`close failed: ${res.status}`);
  const reportId = (res.body as { reportId: string }).reportId;
  const deadline = Date.now() + 10 * 60_000;
  while (Date.now() < deadline) {
    const r = await call(base, 'GET', `/api/v1/reports/${reportId}`, { headers: auth });
    const status = 'body' in r ? (r.body as { status?: string }).status : undefined;
    if (status === 'ready') return reportId;
    if (status === 'failed') throw new Error('the close failed');
    await new Promise((x) => setTimeout(x, 1000));
  }
  throw new Error('the close did not finish in 10 minutes');
}

// ---------------------------------------------------------------- the mix

interface Group {
  name: string;
  connections: number;
  instance: autocannon.Instance;
  result?: autocannon.Result;
}

function runGroup(
  name: string,
  url: string,
  connections: number,
  requests: autocannon.Request[],
  extra: Partial<autocannon.Options> = {},
): Group {
  const instance = autocannon({ url, connections, duration: SECONDS, timeout: 30, requests, ...extra }, (err) => {
    if (err) log(`${name}: autocannon failed: ${String(err)}`);
  });
  if (process.env.LOAD_DEBUG) {
    instance.on('reqError', (e) => log(`${name}: request error ${String(e)}`));
    instance.on('response', (_c, status) => log(`${name}: ${status}`));
  }
  return { name, connections, instance };
}

const json = (body: string): unknown => {
  try {
    return JSON.parse(body);
  } catch {
    return undefined;
  }
};

interface Sample {
  t: number;
  app?: number;
  db?: number;
  appCpu?: number;
  dbCpu?: number;
  load: number;
}

function procStatus(pid: number | undefined): { rssKb?: number; cpuTicks?: number } {
  if (!pid) return {};
  try {
    const rss = Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]);
    // utime and stime, fields 14 and 15 of /proc/<pid>/stat (after the parenthesised command name).
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return { rssKb: rss, cpuTicks: Number(fields[11]) + Number(fields[12]) };
  } catch {
    return {};
  }
}

/** RSS, CPU share of the last interval (100 % = one core) and the machine's load average, every SAMPLE_MS. */
function startSampler(appPid: number, dbPid: number | undefined): { samples: Sample[]; stop(): void; t0: number } {
  const TICKS = 100; // USER_HZ on Linux
  const samples: Sample[] = [];
  const t0 = Date.now();
  let last = { t: t0, app: procStatus(appPid).cpuTicks ?? 0, db: procStatus(dbPid).cpuTicks ?? 0 };
  const take = () => {
    const now = Date.now();
    const a = procStatus(appPid);
    const d = procStatus(dbPid);
    const dt = (now - last.t) / 1000 || 1;
    samples.push({
      t: (now - t0) / 1000,
      app: a.rssKb,
      db: d.rssKb,
      load: os.loadavg()[0],
      appCpu: a.cpuTicks !== undefined ? ((a.cpuTicks - last.app) / TICKS / dt) * 100 : undefined,
      dbCpu: d.cpuTicks !== undefined ? ((d.cpuTicks - last.db) / TICKS / dt) * 100 : undefined,
    });
    last = { t: now, app: a.cpuTicks ?? last.app, db: d.cpuTicks ?? last.db };
  };
  const timer = setInterval(take, SAMPLE_MS);
  samples.push({ t: 0, app: procStatus(appPid).rssKb, db: procStatus(dbPid).rssKb, load: os.loadavg()[0] });
  return {
    samples,
    t0,
    stop: () => {
      clearInterval(timer);
      take();
    },
  };
}

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
    const PASSWORD = 'Demo-pass-2026';
    const t0 = Date.now();
    const reportId = await closeQuarter(call, base, adminToken, world.jiangnanId, world.prevQuarter);
    log(`closed JNCB ${world.prevQuarter} for the PDFs in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
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
    const levels = ['bank', 'region', 'branch'];
    let nextAssignment = 0;
    let exhausted = 0;

    // ---- each request kind alone first, one at a time: what the machine gives without contention
    const solo = new Map<string, number>();
    const alone = async (kind: string, times: number, run: (i: number) => Promise<{ status: number; ms: number }>) => {
      const ms: number[] = [];
      for (let i = 0; i < times; i++) {
        const r = await run(i);
        if (r.status < 200 || r.status >= 300) throw new Error(`${kind} alone: ${r.status}`);
        ms.push(r.ms);
      }
      solo.set(
        kind,
        pct(
          [...ms].sort((a, b) => a - b),
          50,
        ),
      );
    };
    const bearer = (t: string) => ({ Authorization: `Bearer ${t}` });
    const visitBody = (assignmentId: string) => ({
      assignmentId,
      visitedAt: new Date(Date.now() - 3600_000).toISOString(),
      durationMinutes: 35,
      staff: [{ description: '大堂经理，女，约30岁' }],
      answers: world.answers,
      summary: '服务基本规范，费用说明有欠缺。',
    });
    const soloVisits: string[] = [];
    await alone('auditor: POST /visits', 3, async () => {
      const a = world.pool[nextAssignment++];
      const r = await call(base, 'POST', '/api/v1/visits', {
        body: visitBody(a.assignmentId),
        headers: { ...bearer(auditorTokens[a.user]), 'Idempotency-Key': `solo-${a.assignmentId}` },
      });
      if ('body' in r) soloVisits.push(`${a.user}:${(r.body as { id: string }).id}`);
      return r;
    });
    await alone('auditor: POST /visits/:id/submit', 3, (i) => {
      const [user, id] = soloVisits[i].split(':');
      return call(base, 'POST', `/api/v1/visits/${id}/submit`, { headers: bearer(auditorTokens[Number(user)]) });
    });
    await alone('manager: GET /api/v1/results', 3, (i) =>
      call(base, 'GET', `/api/v1/results?bankId=${world.jiangnanId}&quarter=${world.quarter}&level=${levels[i]}`, {
        headers: bearer(managerTokens[i]),
        timeoutMs: 120_000,
      }),
    );
    await alone('manager: GET /results (page)', 3, (i) =>
      call(base, 'GET', `/results?bankId=${world.jiangnanId}&quarter=${world.quarter}`, {
        headers: { Cookie: managerCookies[i] },
        timeoutMs: 120_000,
      }),
    );
    await alone('manager: GET report PDF', 3, (i) =>
      call(base, 'GET', managerFiles[i], { headers: bearer(managerTokens[i]) }),
    );
    let queued: string[] = [];
    await alone('reviewer: GET /review/queue', 3, async () => {
      const r = await call(base, 'GET', '/api/v1/review/queue', { headers: bearer(reviewerToken), timeoutMs: 120_000 });
      queued = 'body' in r ? (r.body as { id: string }[]).map((x) => x.id) : [];
      return r;
    });
    await alone('reviewer: POST /visits/:id/review', 3, (i) =>
      call(base, 'POST', `/api/v1/visits/${queued[i]}/review`, {
        body: { decision: 'approve' },
        headers: bearer(reviewerToken),
      }),
    );
    log(`alone (p50 ms): ${[...solo].map(([k, v]) => `${k} ${ms(v)}`).join('; ')}`);

    // Auditors: start a visit on the next open assignment, then submit it.
    const auditorRequests: autocannon.Request[] = [
      {
        method: 'POST',
        path: '/api/v1/visits',
        setupRequest: (req, context) => {
          const ctx = context as Ctx;
          const a = world.pool[nextAssignment++];
          if (!a) {
            exhausted += 1;
            return null as unknown as autocannon.Request;
          }
          ctx.auth = `Bearer ${auditorTokens[a.user]}`;
          ctx.visitId = undefined;
          start(ctx, 'auditor: POST /visits');
          return {
            ...req,
            headers: {
              ...req.headers,
              'content-type': 'application/json',
              authorization: ctx.auth,
              'idempotency-key': `load-${a.assignmentId}`,
            },
            body: JSON.stringify(visitBody(a.assignmentId)),
          };
        },
        onResponse: (status, body, context) => {
          const ctx = context as Ctx;
          record(ctx, status);
          ctx.visitId = status === 201 ? (json(body) as { id?: string } | undefined)?.id : undefined;
        },
      },
      {
        method: 'POST',
        path: '/api/v1/visits/x/submit',
        setupRequest: (req, context) => {
          const ctx = context as Ctx;
          if (!ctx.visitId) return null as unknown as autocannon.Request;
          start(ctx, 'auditor: POST /visits/:id/submit');
          return {
            ...req,
            path: `/api/v1/visits/${ctx.visitId}/submit`,
            headers: { ...req.headers, authorization: ctx.auth as string },
          };
        },
        onResponse: (status, _body, context) => record(context as Ctx, status),
      },
    ];

    // Bank managers: the results API at some level, the dashboard page, a report PDF.
    let managerTurn = 0;
    const managerRequests: autocannon.Request[] = [
      {
        method: 'GET',
        path: '/api/v1/results',
        setupRequest: (req, context) => {
          const ctx = context as Ctx;
          const who = managerTurn++ % managerTokens.length;
          ctx.who = who;
          start(ctx, 'manager: GET /api/v1/results');
          return {
            ...req,
            path: `/api/v1/results?bankId=${world.jiangnanId}&quarter=${world.quarter}&level=${levels[who]}`,
            headers: { ...req.headers, authorization: `Bearer ${managerTokens[who]}` },
          };
        },
        onResponse: (status, _body, context) => record(context as Ctx, status),
      },
      {
        method: 'GET',
        path: '/results',
        setupRequest: (req, context) => {
          const ctx = context as Ctx;
          start(ctx, 'manager: GET /results (page)');
          return {
            ...req,
            path: `/results?bankId=${world.jiangnanId}&quarter=${world.quarter}`,
            headers: { ...req.headers, cookie: managerCookies[ctx.who as number] },
          };
        },
        onResponse: (status, _body, context) => record(context as Ctx, status),
      },
      {
        method: 'GET',
        path: '/api/v1/reports/x/files/bank',
        setupRequest: (req, context) => {
          const ctx = context as Ctx;
          start(ctx, 'manager: GET report PDF');
          return {
            ...req,
            path: managerFiles[ctx.who as number],
            headers: { ...req.headers, authorization: `Bearer ${managerTokens[ctx.who as number]}` },
          };
        },
        onResponse: (status, _body, context) => record(context as Ctx, status),
      },
    ];

    // Reviewers: read the queue, approve three visits from its older end.
    const approve = (n: number): autocannon.Request => ({
      method: 'POST',
      path: '/api/v1/visits/x/review',
      setupRequest: (req, context) => {
        const ctx = context as Ctx;
        const id = ctx.queue?.[n];
        if (!id) return null as unknown as autocannon.Request;
        start(ctx, 'reviewer: POST /visits/:id/review');
        return {
          ...req,
          path: `/api/v1/visits/${id}/review`,
          headers: { ...req.headers, 'content-type': 'application/json', authorization: `Bearer ${reviewerToken}` },
          body: JSON.stringify({ decision: 'approve' }),
        };
      },
      onResponse: (status, _body, context) => record(context as Ctx, status),
    });
    const reviewerRequests: autocannon.Request[] = [
      {
        method: 'GET',
        path: '/api/v1/review/queue',
        setupRequest: (req, context) => {
          start(context as Ctx, 'reviewer: GET /review/queue');
          return { ...req, headers: { ...req.headers, authorization: `Bearer ${reviewerToken}` } };
        },
        onResponse: (status, body, context) => {
          const ctx = context as Ctx;
          record(ctx, status);
          const rows = (json(body) as { id: string }[] | undefined) ?? [];
          // Two reviewers at once: each picks from a different random part of the oldest twenty.
          const head = rows
            .slice(0, 20)
            .map((r) => r.id)
            .sort(() => Math.random() - 0.5);
          ctx.queue = head.slice(0, 3);
        },
      },
      approve(0),
      approve(1),
      approve(2),
    ];

    const sampler = startSampler(app.pid, db.pid());
    measuring = true;
    log(`running the mix for ${SECONDS} s on ${base}`);
    const groups = [
      AUDITORS > 0 &&
        runGroup('auditors', base, AUDITORS, auditorRequests, AUDITOR_RATE ? { connectionRate: AUDITOR_RATE } : {}),
      MANAGERS > 0 && runGroup('managers', base, MANAGERS, managerRequests),
      REVIEWERS > 0 && runGroup('reviewers', base, REVIEWERS, reviewerRequests),
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
    measuring = false;
    sampler.stop();
    const elapsed = (Date.now() - sampler.t0) / 1000;
    const after = await counts(call, base, adminToken, reviewerToken);
    const healthy = await call(base, 'GET', '/healthz');
    log(
      `done: ${after}; /healthz ${healthy.status}; assignments left ${world.pool.length - nextAssignment}${exhausted ? ` (ran out ${exhausted} times)` : ''}`,
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

/** Where a seeded database is kept: one per seed source, model definitions, quarter and size (LOAD_RESEED=1 after a service change that alters seeded data). */
function seedCache(assignments: number): string {
  const h = crypto.createHash('sha1');
  const files = (dir: string): string[] =>
    fs
      .readdirSync(path.join(ROOT, dir), { withFileTypes: true })
      .flatMap((e) =>
        e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
      );
  for (const f of [...files('seed'), ...files('server').filter((x) => /model\.ts$/.test(x))].sort())
    h.update(f).update(fs.readFileSync(path.join(ROOT, f)));
  h.update(`${quarterLabel(new Date())}|${assignments}|${LOAD_USERS}`);
  return path.join(os.tmpdir(), `msa-load-seed-${h.digest('hex').slice(0, 12)}`);
}

async function counts(call: Call, base: string, adminToken: string, reviewerToken: string): Promise<string> {
  const all = await call(base, 'GET', '/api/v1/visits', {
    headers: { Authorization: `Bearer ${adminToken}` },
    timeoutMs: 120_000,
  });
  const queue = await call(base, 'GET', '/api/v1/review/queue', {
    headers: { Authorization: `Bearer ${reviewerToken}` },
    timeoutMs: 120_000,
  });
  const n = 'body' in all && Array.isArray(all.body) ? all.body.length : NaN;
  const q = 'body' in queue && Array.isArray(queue.body) ? queue.body.length : NaN;
  return `${n} visits in the database, ${q} in the review queue`;
}

// ---------------------------------------------------------------- the write-up

function ms(v: number): string {
  return Number.isFinite(v) ? (v >= 100 ? v.toFixed(0) : v.toFixed(1)) : '–';
}
const mib = (kb?: number) => (kb === undefined || !Number.isFinite(kb) ? '–' : (kb / 1024).toFixed(0));
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / (xs.length || 1);
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/** Growth of the app's memory from the first to the last third: what "does not grow without bound" rests on. */
function memoryReading(thirds: Sample[][]): string {
  const [first, , last] = thirds.map((t) =>
    mean(t.map((s) => s.app).filter((x): x is number => typeof x === 'number')),
  );
  const growth = ((last - first) / first) * 100;
  return growth <= 10
    ? ` The app's memory does not grow with the traffic: its last third averages ${growth >= 0 ? '+' : ''}${growth.toFixed(1)} % against the first (garbage collection moves it up and down by tens of MiB).`
    : ` The app's memory grew by ${growth.toFixed(1)} % from the first to the last third: look for a leak or a cache without a bound.`;
}

interface RenderInput {
  machine: string;
  load: number;
  elapsed: number;
  groups: Group[];
  samples: Sample[];
  after: string;
  world: LoadWorld;
  exhausted: number;
  solo: Map<string, number>;
}

function render(r: RenderInput): string {
  const date = new Date().toISOString().slice(0, 16).replace('T', ' ');
  const rows = [...kinds.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, k]) => {
      const sorted = [...k.times].sort((a, b) => a - b);
      const non2xx =
        [...k.statuses.entries()]
          .filter(([s]) => s < 200 || s >= 300)
          .map(([s, c]) => `${s}: ${c}`)
          .join(', ') || '–';
      return `| ${name} | ${k.times.length} | ${(k.times.length / r.elapsed).toFixed(2)} | ${ms(r.solo.get(name) ?? NaN)} | ${ms(pct(sorted, 50))} | ${ms(pct(sorted, 95))} | ${ms(pct(sorted, 99))} | ${non2xx} |`;
    });
  const total = [...kinds.values()].reduce((s, k) => s + k.times.length, 0);
  const non2xxAll = [...kinds.values()].reduce(
    (s, k) => s + [...k.statuses.entries()].filter(([st]) => st < 200 || st >= 300).reduce((x, [, c]) => x + c, 0),
    0,
  );
  const groupRows = r.groups.map((g) => {
    const res = g.result as autocannon.Result;
    return `| ${g.name} | ${g.connections} | ${res.requests.total} | ${res.requests.average.toFixed(2)} | ${res.latency.p50} | ${res.latency.p99} | ${res.non2xx} | ${res.errors} | ${res.timeouts} |`;
  });
  const thirds = [0, 1, 2].map((i) =>
    r.samples.filter((s) => s.t > 0 && s.t >= (i * r.elapsed) / 3 && s.t <= ((i + 1) * r.elapsed) / 3),
  );
  const memRows = (['app', 'db'] as const).map((key) => {
    const [a, b, c] = thirds.map((t) => {
      const v = t.map((s) => s[key]).filter((x): x is number => typeof x === 'number');
      return { mean: mean(v), max: Math.max(...v) };
    });
    const growth = ((c.mean - a.mean) / a.mean) * 100;
    return `| ${key === 'app' ? 'app (node)' : 'FerretDB'} | ${mib(r.samples[0]?.[key])} | ${mib(a.mean)} / ${mib(a.max)} | ${mib(b.mean)} / ${mib(b.max)} | ${mib(c.mean)} / ${mib(c.max)} | ${mib(r.samples[r.samples.length - 1]?.[key])} | ${growth >= 0 ? '+' : ''}${growth.toFixed(1)} % |`;
  });
  const busy = r.samples.filter((s) => s.appCpu !== undefined);
  const cpu = `app ${mean(busy.map((s) => s.appCpu as number)).toFixed(0)} %, FerretDB ${mean(busy.map((s) => s.dbCpu ?? 0)).toFixed(0)} % of one core on average; machine load average ${mean(r.samples.map((s) => s.load)).toFixed(1)} on ${os.cpus().length} cores`;
  const trace = r.samples
    .filter((_, i) => i % Math.max(1, Math.round(r.samples.length / 12)) === 0 || i === r.samples.length - 1)
    .map((s) => `${s.t.toFixed(0)} s: ${mib(s.app)}`)
    .join(' · ');
  return [
    `Measured ${date} UTC on ${r.machine}; load average ${r.load.toFixed(2)} at the start — the machine is shared with other work,`,
    'so the figures are pessimistic; the "alone" column (each request on its own, just before the mix) shows what the machine gave',
    'without contention. Loopback only; the app as `…/server/main.js` in its own process with NODE_ENV=production and its background',
    `workers, on a fresh embedded FerretDB 1.24 (SQLite) loaded with the demo seed (${r.world.visitsBefore} visits, two banks, 46 branches)`,
    `plus ${r.world.pool.length} open assignments for ${LOAD_USERS} auditor accounts; JNCB ${r.world.prevQuarter} was closed beforehand for the report PDFs.`,
    '',
    `Mix, all at once for ${r.elapsed.toFixed(0)} s (\`npm run bench:load\`; \`LOAD_SECONDS\`, \`LOAD_AUDITORS\`, \`LOAD_MANAGERS\`, \`LOAD_REVIEWERS\`, \`LOAD_AUDITOR_RATE\`):`,
    `- auditors: ${plural(AUDITORS, 'connection')}, ${AUDITOR_RATE ? `at most ${plural(AUDITOR_RATE, 'request')}/s each` : 'back to back'}: start a visit (full answer set, Idempotency-Key), submit it;`,
    `- bank managers: ${plural(MANAGERS, 'connection')} back to back, as the whole-bank, region and branch manager in turn: \`GET /api/v1/results\` (${r.world.quarter}, bank/region/branch level), the \`/results\` dashboard page (session cookie), a PDF of their cut of the report;`,
    `- reviewers: ${plural(REVIEWERS, 'connection')} back to back: \`GET /api/v1/review/queue\`, then approve three visits from its oldest twenty.`,
    '',
    `Total: ${total} requests answered, ${(total / r.elapsed).toFixed(1)} requests/s; non-2xx: ${non2xxAll}. End state: ${r.after}.${r.exhausted ? ` The auditors ran out of open assignments ${r.exhausted} times.` : ''}`,
    `CPU during the mix: ${cpu}.${reading(r)}`,
    '',
    '| request | count | per s | alone p50 ms | p50 ms | p95 ms | p99 ms | non-2xx by status |',
    '|---|---|---|---|---|---|---|---|',
    ...rows,
    '',
    'Per group, as autocannon counts (latency in ms; autocannon reports p97.5/p99, not p95; a timeout is 30 s without an answer):',
    '',
    '| group | connections | requests | req/s | p50 | p99 | non-2xx | errors | timeouts |',
    '|---|---|---|---|---|---|---|---|---|',
    ...groupRows,
    '',
    `Resident memory (MiB), sampled every ${SAMPLE_MS / 1000} s; mean / max per third of the run:`,
    '',
    '| process | at start | first third | middle third | last third | at the end | last vs first third (mean) |',
    '|---|---|---|---|---|---|---|',
    ...memRows,
    '',
    `App RSS over time (MiB): ${trace}.${memoryReading(thirds)}`,
  ].join('\n');
}

/** Where the time went, from the CPU samples and the alone/mix ratio, in one sentence. */
function reading(r: RenderInput): string {
  const busy = r.samples.filter((s) => s.appCpu !== undefined);
  const app = mean(busy.map((s) => s.appCpu as number));
  const dbCpu = mean(busy.map((s) => s.dbCpu ?? 0));
  const ratios = [...kinds.entries()]
    .map(
      ([k, v]) =>
        pct(
          [...v.times].sort((a, b) => a - b),
          50,
        ) / (r.solo.get(k) ?? NaN),
    )
    .filter(Number.isFinite);
  const slow = ratios.length ? `${Math.min(...ratios).toFixed(1)}–${Math.max(...ratios).toFixed(1)}×` : '';
  if (dbCpu > app * 2)
    return ` The app process mostly waited: the requests queue on FerretDB, which did most of the work; under the mix the medians are ${slow} the alone times.`;
  return ` Under the mix the medians are ${slow} the alone times.`;
}

/** Replaces only this section; every other section of BENCHMARKS.md is kept as it is. */
function writeSection(body: string): void {
  const file = path.join(ROOT, 'BENCHMARKS.md');
  // Re-read right before writing: the other sections belong to other benchmarks.
  const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n';
  const heading = '## Load';
  const startAt = current.search(/^## Load\s*$/m);
  let next: string;
  if (startAt === -1) {
    next = `${current.trimEnd()}\n\n${heading}\n\n${body.trim()}\n`;
  } else {
    const after = current.indexOf('\n## ', startAt + heading.length);
    next = `${current.slice(0, startAt)}${heading}\n\n${body.trim()}\n${after === -1 ? '' : `\n${current.slice(after + 1)}`}`;
  }
  fs.writeFileSync(file, next);
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
