import { spawn, type ChildProcess } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import mongoose, { Types } from 'mongoose';

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
 */
const ROOT = path.resolve(__dirname, '..');
const env = (k: string, d: number) => (process.env[k] ? Number(process.env[k]) : d);
const RUNS = env('BENCH_RUNS', 3);
const CLIENTS = env('BENCH_CLIENTS', 50);
const WARMUP_S = env('BENCH_WARMUP', 2);
const MEASURE_S = env('BENCH_SECONDS', 15);
/** A second, short measurement with one client: the latency of a submission without contention. */
const SOLO_S = env('BENCH_SOLO_SECONDS', 5);
/** Assignments prepared per client and run: more than a client can submit in a run. */
const PER_CLIENT = env('BENCH_ASSIGNMENTS', 160);
/** Then the same clients paced: BENCH_PACED_RATE submissions/s in all, for BENCH_PACED_SECONDS — latency under a load both sustain. */
const PACED_RATE = env('BENCH_PACED_RATE', 50);
const PACED_S = env('BENCH_PACED_SECONDS', 10);
const WRITE_FILE = process.env.BENCH_WRITE !== '0';
const PROFILE = process.env.BENCH_PROFILE === '1';
const TARGET = { ratio: 0.5, p95Ms: 100 };
/** Node flags of both server processes (BENCH_NODE_FLAGS, space-separated), e.g. GC tuning to try. */
const NODE_FLAGS = (process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const PASSWORD = 'Bench-pass-2026';

const log = (msg: string) => process.stdout.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);

// ---------------------------------------------------------------- the request both servers receive

/** A complete answer set for the demo questionnaire, as an auditor's phone sends it. */
async function answerSet(): Promise<{ itemKey: string; value: string | number; comment?: string }[]> {
  const { demoQuestionnaireBody } = await import('../seed/questionnaire');
  const items = demoQuestionnaireBody(new Types.ObjectId().toHexString()).sections.flatMap((s) => s.items);
  return items.map((i, n) => ({
    itemKey: i.key,
    value: i.type === 'scale' ? 4 : n % 9 === 4 && !i.critical ? 'no' : 'yes',
    ...(n % 6 === 0 ? { comment: '等候约10分钟，员工讲解清楚，但未主动说明管理费。' } : {}),
  }));
}

function visitBody(assignmentId: string, answers: unknown[]): Record<string, unknown> {
  return {
    assignmentId,
    visitedAt: new Date(Date.now() - 2 * 3600_000).toISOString().replace('Z', '+00:00'),
    durationMinutes: 35,
    staff: [{ employeeId: 'BE0001' }, { description: '大堂经理，女，约30岁' }],
    answers,
    summary: '服务基本规范，费用说明有欠缺。',
  };
}

// ---------------------------------------------------------------- servers (child processes)

/** The real app, as main.ts starts it, minus the background workers. */
async function serveApp(): Promise<void> {
  const { startServices } = await import('../server/bootstrap');
  const { createApp } = await import('../server/app');
  await startServices();
  const stats = PROFILE ? profileCommands() : undefined;
  const cpu = process.env.BENCH_APP_CPU_PROFILE ? await startCpuProfile() : undefined;
  const server = createApp().listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('READY\n'));
  server.keepAliveTimeout = 30_000;
  process.on('SIGTERM', () => {
    if (stats) process.stdout.write(`PROFILE ${JSON.stringify([...stats])}\n`);
    server.close();
    if (!cpu) process.exit(0);
    cpu.post('Profiler.stop', (_err, r) => {
      fs.writeFileSync(String(process.env.BENCH_APP_CPU_PROFILE), JSON.stringify(r.profile));
      process.exit(0);
    });
  });
}

/** BENCH_APP_CPU_PROFILE=<file>: the app's CPU profile (open in Chrome DevTools), written when it stops. */
async function startCpuProfile() {
  const { Session } = await import('node:inspector');
  const session = new Session();
  session.connect();
  await new Promise<void>((resolve) =>
    session.post('Profiler.enable', () => session.post('Profiler.start', () => resolve())),
  );
  return session;
}

/** Database time per command and collection (the driver's command monitoring). */
function profileCommands(): Map<string, { n: number; ms: number }> {
  const stats = new Map<string, { n: number; ms: number }>();
  const started = new Map<number, string>();
  const client = mongoose.connection.getClient();
  // The filter's field names too: on FerretDB only an exact {_id} filter avoids a collection scan.
  const shape = (c: Record<string, unknown>) => {
    const filter = (c.filter ?? c.query) as Record<string, unknown> | undefined;
    return filter ? ` {${Object.keys(filter).join(',')}}` : '';
  };
  client.on('commandStarted', (e) =>
    started.set(
      e.requestId,
      `${e.commandName} ${String((e.command as Record<string, unknown>)[e.commandName])}${shape(e.command as Record<string, unknown>)}`,
    ),
  );
  client.on('commandSucceeded', (e) => {
    const key = started.get(e.requestId) ?? e.commandName;
    started.delete(e.requestId);
    const s = stats.get(key) ?? { n: 0, ms: 0 };
    s.n++;
    s.ms += e.duration;
    stats.set(key, s);
  });
  return stats;
}

/** The floor: parse the JSON, insert the submitted visit document through Mongoose, answer 201. */
async function serveFloor(): Promise<void> {
  const express = (await import('express')).default;
  const { Visit } = await import('../server/visits/model');
  await mongoose.connect(String(process.env.MONGODB_URI), { dbName: process.env.DB_NAME });
  // The same indexes as the app's visits collection (on FerretDB: the unique ones only, see ensureIndexes).
  const { ensureIndexes } = await import('../server/platform/db/connection');
  await ensureIndexes();
  const ctx = JSON.parse(String(process.env.BENCH_FLOOR_CONTEXT)) as { bankId: string; questionnaireId: string };
  const app = express();
  app.use(express.json({ limit: '256kb' }));
  app.post('/visits', (req, res, next) => {
    const b = req.body as {
      assignmentId: string;
      visitedAt: string;
      durationMinutes: number;
      staff: unknown[];
      answers: { itemKey: string; value: unknown }[];
      summary: string;
    };
    const auditorId = String(req.get('x-auditor'));
    const at = new Date();
    const changes = b.answers.map((a) => ({ field: `answers.${a.itemKey}`, before: null, after: a.value }));
    Visit.create({
      assignmentId: b.assignmentId,
      bankId: ctx.bankId,
      branchCode: 'B001',
      region: '华东区',
      auditorId,
      questionnaireId: ctx.questionnaireId,
      questionnaireVersion: 1,
      quarter: '2026-Q4',
      visitedAt: b.visitedAt,
      durationMinutes: b.durationMinutes,
      staff: b.staff,
      staffIds: ['BE0001'],
      answers: b.answers,
      summary: b.summary,
      status: 'submitted',
      scores: { sections: { greeting: 90, product_knowledge: 80, sales_compliance: 100, follow_up: 85 }, total: 90 },
      violations: [],
      flags: [],
      attachments: [],
      rev: 1,
      submittedAt: at,
      firstSubmittedAt: at,
      history: [
        {
          at,
          by: auditorId,
          role: 'auditor',
          action: 'created',
          changes: [{ field: 'status', before: null, after: 'draft' }, ...changes],
        },
        {
          at,
          by: auditorId,
          role: 'auditor',
          action: 'submitted',
          changes: [{ field: 'status', before: 'draft', after: 'submitted' }],
        },
      ],
    }).then((doc) => res.status(201).json({ id: String(doc._id), status: 'submitted' }), next);
  });
  const server = app.listen(Number(process.env.PORT), '127.0.0.1', () => process.stdout.write('READY\n'));
  server.keepAliveTimeout = 30_000;
  process.on('SIGTERM', () => {
    server.close();
    void mongoose.disconnect().finally(() => process.exit(0));
  });
}

interface Child {
  proc: ChildProcess;
  port: number;
  output: string[];
}

async function startChild(mode: 'app' | 'floor', extraEnv: Record<string, string>): Promise<Child> {
  const port = await (await import('../server/platform/db/embedded')).freePort();
  // Both servers load the sources through a bare SWC hook: @swc-node/register would also install
  // source-map-support, whose stack rewriting costs every Error made (Mongoose makes one per save),
  // which the deployed app (compiled JavaScript, `npm start`) does not pay.
  const proc = spawn(
    process.execPath,
    [
      ...NODE_FLAGS,
      '-r',
      path.join(__dirname, 'results-ts-hook.js'),
      path.join(__dirname, 'visits-bench.ts'),
      `--serve-${mode}`,
    ],
    {
      cwd: ROOT,
      env: { ...process.env, ...extraEnv, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const output: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${mode} server did not start: ${output.join('')}`)), 60_000);
    proc.stdout?.on('data', (b: Buffer) => {
      output.push(b.toString());
      if (b.toString().includes('READY')) {
        clearTimeout(timer);
        resolve();
      }
    });
    proc.stderr?.on('data', (b: Buffer) => output.push(b.toString()));
    proc.once('exit', (code) => reject(new Error(`${mode} server exited (${code}): ${output.join('').slice(-2000)}`)));
  });
  return { proc, port, output };
}

async function stopChild(c: Child): Promise<string> {
  if (c.proc.exitCode === null) {
    await new Promise<void>((resolve) => {
      c.proc.once('exit', () => resolve());
      c.proc.kill('SIGTERM');
    });
  }
  return c.output.join('');
}

// ---------------------------------------------------------------- data for one run of the app

interface AppWorld {
  bankId: string;
  questionnaireId: string;
  clients: { token: string; auditorId: string; assignments: string[] }[];
}

/** A bank, one branch with staff, the demo questionnaire, one auditor per client with a token, assignments. */
async function prepareApp(uri: string, dbName: string): Promise<AppWorld> {
  const { loadConfig, setConfig } = await import('../server/platform/config');
  setConfig(
    loadConfig({
      ...process.env,
      MONGODB_URI: uri,
      DB_NAME: dbName,
      LOG_LEVEL: 'silent',
      ADMIN_EMAIL: 'admin@bench.local',
      ADMIN_PASSWORD: PASSWORD,
    }),
  );
  const { startServices, stopServices } = await import('../server/bootstrap');
  const { createBank, createBranch, createStaff } = await import('../server/banks/service');
  const { createUser } = await import('../server/users/service');
  const { issueToken } = await import('../server/auth/service');
  const { Assignment } = await import('../server/assignments/model');
  const { seedQuestionnaire } = await import('../seed/questionnaire');
  await startServices();
  try {
    const admin = {
      id: new Types.ObjectId().toHexString(),
      email: 'admin@bench.local',
      name: 'bench',
      role: 'admin' as const,
    };
    const bank = await createBank({
      code: 'BNK',
      name: '基准银行',
      timezone: 'Asia/Shanghai',
      language: 'zh',
      reportRecipients: [],
    });
    await createBranch(admin, bank.id, { code: 'B001', name: '上海浦东支行', region: '华东区', city: '上海' });
    for (let i = 1; i <= 5; i++)
      await createStaff(admin, bank.id, {
        employeeId: `BE000${i}`,
        name: `员工${i}`,
        branchCode: 'B001',
        position: '理财经理',
      });
    const q = await seedQuestionnaire(admin, bank.id);
    const clients: AppWorld['clients'] = [];
    // One more auditor than clients: the last one submits alone, for the latency without contention.
    for (let i = 0; i <= CLIENTS; i++) {
      const email = `auditor${i}@bench.local`;
      const user = await createUser({ email, password: PASSWORD, name: `Auditor ${i}`, role: 'auditor' });
      clients.push({ token: (await issueToken(email, PASSWORD)).token, auditorId: user.id, assignments: [] });
    }
    // Assignments are set-up data here (the API to create them one by one is not what is measured).
    const now = Date.now();
    // The lone client runs back to back without contention, through warm-up and measurement: give it enough.
    const docs = clients.flatMap((c, i) =>
      Array.from({ length: i === CLIENTS ? Math.max(PER_CLIENT, 120 * (WARMUP_S + SOLO_S)) : PER_CLIENT }, () => {
        const _id = new Types.ObjectId();
        c.assignments.push(String(_id));
        return {
          _id,
          bankId: bank.id,
          branchCode: 'B001',
          region: '华东区',
          auditorId: c.auditorId,
          questionnaireId: q.id,
          quarter: '2026-Q4',
          windowStart: new Date(now - 20 * 86400_000),
          windowEnd: new Date(now + 20 * 86400_000),
          scenario: '咨询并购买一款R2级理财产品',
        };
      }),
    );
    for (let i = 0; i < docs.length; i += 500) await Assignment.insertMany(docs.slice(i, i + 500));
    return { bankId: bank.id, questionnaireId: q.id, clients };
  } finally {
    await stopServices();
  }
}

// ---------------------------------------------------------------- load

const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS * 2 });

function post(
  port: number,
  urlPath: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; body: string }> {
  const data = body === undefined ? '' : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: urlPath,
        method: 'POST',
        agent,
        headers: { ...headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data) },
      },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (b: Buffer) => parts.push(b));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString() }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

interface Measured {
  submissions: number;
  seconds: number;
  latencies: number[];
  errors: Map<string, number>;
  firstStepMs: number[];
  ranOut: number;
  completed: number;
}

type Submit = (client: number, assignmentId: string) => Promise<{ ok: boolean; error?: string; firstStepMs?: number }>;

/**
 * Closed loop: `clients` loops, each submitting its own assignments back to back with no pause.
 * Counted: submissions that complete inside the measured window (after the warm-up).
 */
async function drive(
  assignments: string[][],
  submit: Submit,
  clients = assignments.length,
  seconds = MEASURE_S,
  intervalMs = 0,
): Promise<Measured> {
  const t0 = performance.now();
  const warmEnd = t0 + WARMUP_S * 1000;
  const end = warmEnd + seconds * 1000;
  const m: Measured = {
    submissions: 0,
    seconds,
    latencies: [],
    errors: new Map(),
    firstStepMs: [],
    ranOut: 0,
    completed: 0,
  };
  const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  await Promise.all(
    assignments.slice(0, clients).map(async (list, client) => {
      // Paced clients start spread over one interval, so that the load arrives evenly.
      if (intervalMs) await pause(Math.random() * intervalMs);
      // Assignments are used up: a later phase continues with the ones left.
      for (let assignmentId = list.shift(); assignmentId !== undefined; assignmentId = list.shift()) {
        const start = performance.now();
        if (start >= end) {
          list.unshift(assignmentId);
          return;
        }
        if (intervalMs) {
          const next = start + intervalMs;
          await submitOnce(client, assignmentId, start);
          await pause(Math.max(0, next - performance.now()));
          continue;
        }
        await submitOnce(client, assignmentId, start);
      }
      m.ranOut++;
    }),
  );
  if (m.ranOut) log(`warning: ${m.ranOut} clients ran out of assignments before the end; raise BENCH_ASSIGNMENTS`);
  return m;

  async function submitOnce(client: number, assignmentId: string, start: number): Promise<void> {
    const r = await submit(client, assignmentId).catch((e: Error) => ({
      ok: false,
      error: e.message,
      firstStepMs: undefined,
    }));
    const done = performance.now();
    if (r.ok) m.completed++;
    if (done < warmEnd || done > end) return;
    if (!r.ok) {
      const key = r.error ?? 'error';
      m.errors.set(key, (m.errors.get(key) ?? 0) + 1);
      return;
    }
    m.submissions++;
    m.latencies.push(done - start);
    if (r.firstStepMs !== undefined) m.firstStepMs.push(r.firstStepMs);
  }
}

function appSubmit(port: number, world: AppWorld, answers: unknown[]): Submit {
  return async (client, assignmentId) => {
    const auth = { Authorization: `Bearer ${world.clients[client].token}` };
    const t = performance.now();
    const created = await post(port, '/api/v1/visits', auth, visitBody(assignmentId, answers));
    if (created.status !== 201) return { ok: false, error: `create ${created.status} ${created.body.slice(0, 120)}` };
    const firstStepMs = performance.now() - t;
    const id = (JSON.parse(created.body) as { id: string }).id;
    const submitted = await post(port, `/api/v1/visits/${id}/submit`, auth);
    if (submitted.status !== 200)
      return { ok: false, error: `submit ${submitted.status} ${submitted.body.slice(0, 120)}` };
    return { ok: true, firstStepMs };
  };
}

function floorSubmit(port: number, auditors: string[], answers: unknown[]): Submit {
  return async (client, assignmentId) => {
    const r = await post(port, '/visits', { 'X-Auditor': auditors[client] }, visitBody(assignmentId, answers));
    return r.status === 201 ? { ok: true } : { ok: false, error: `floor ${r.status} ${r.body.slice(0, 120)}` };
  };
}

// ---------------------------------------------------------------- CPU per submission

/** User + system CPU of a process so far, in milliseconds (Linux /proc; 0 elsewhere). */
function cpuMs(pid: number | undefined): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return 0;
  }
}

/** The FerretDB process serving this port (a grandchild: the guard shell runs it). */
function ferretPid(port: number): number | undefined {
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8');
      if (cmd.includes(`--listen-addr=127.0.0.1:${port}`) && !cmd.startsWith('/bin/sh')) return Number(d);
    } catch {
      /* gone meanwhile */
    }
  }
  return undefined;
}

async function withCpu(
  serverPid: number | undefined,
  dbPid: number | undefined,
  run: () => Promise<Measured>,
): Promise<Figures> {
  const before = [cpuMs(serverPid), cpuMs(dbPid)];
  const m = await run();
  const n = Math.max(1, m.completed);
  return { ...figures(m), cpuServer: (cpuMs(serverPid) - before[0]) / n, cpuDb: (cpuMs(dbPid) - before[1]) / n };
}

// ---------------------------------------------------------------- figures

const pct = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] : NaN;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

interface Figures {
  throughput: number;
  p50: number;
  p95: number;
  p99: number;
  n: number;
  errors: number;
  errorKinds: string;
  firstP50?: number;
  /** CPU milliseconds per submission (warm-up included) of the server process and of FerretDB. */
  cpuServer?: number;
  cpuDb?: number;
}

function figures(m: Measured): Figures {
  const s = [...m.latencies].sort((a, b) => a - b);
  const f = [...m.firstStepMs].sort((a, b) => a - b);
  return {
    throughput: m.submissions / m.seconds,
    p50: pct(s, 50),
    p95: pct(s, 95),
    p99: pct(s, 99),
    n: m.submissions,
    errors: [...m.errors.values()].reduce((a, b) => a + b, 0),
    errorKinds: [...m.errors].map(([k, n]) => `${n}× ${k}`).join('; '),
    ...(f.length ? { firstP50: pct(f, 50) } : {}),
  };
}

const fmt = (f: Figures) =>
  `${f.throughput.toFixed(1)}/s  p50 ${f.p50.toFixed(0)} ms  p95 ${f.p95.toFixed(0)} ms  p99 ${f.p99.toFixed(0)} ms  (n=${f.n}, errors ${f.errors}${f.errors ? `: ${f.errorKinds}` : ''})${f.cpuServer === undefined ? '' : `  CPU/subm. server ${f.cpuServer.toFixed(2)} ms, FerretDB ${(f.cpuDb ?? 0).toFixed(2)} ms`}`;

function machine(): string {
  const cpu =
    fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  return `${os.cpus().length} cores (nproc), ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB memory, CPU "${cpu}", Node ${process.version}, ${os.platform()} ${os.release()}`;
}

function writeSection(body: string): void {
  const file = path.join(ROOT, 'BENCHMARKS.md');
  // Re-read right before writing: other sections of this file belong to other benchmarks.
  const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n';
  const heading = '## Visit submissions';
  const start = current.indexOf(heading);
  let next: string;
  if (start === -1) {
    next = `${current.trimEnd()}\n\n${heading}\n\n${body.trim()}\n`;
  } else {
    const after = current.indexOf('\n## ', start + heading.length);
    next = `${current.slice(0, start)}${heading}\n\n${body.trim()}\n${after === -1 ? '' : `\n${current.slice(after + 1)}`}`;
  }
  fs.writeFileSync(file, next);
}

// ---------------------------------------------------------------- orchestration

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
  report({ app, floor, soloApp, soloFloor, pacedApp, pacedFloor }, load, profiles);
}

function report(
  {
    app,
    floor,
    soloApp,
    soloFloor,
    pacedApp,
    pacedFloor,
  }: Record<'app' | 'floor' | 'soloApp' | 'soloFloor' | 'pacedApp' | 'pacedFloor', Figures[]>,
  load: number,
  profiles: string[],
): void {
  const m = (xs: Figures[], k: keyof Figures) => median(xs.map((x) => Number(x[k])));
  const ratios = app.map((a, i) => a.throughput / floor[i].throughput);
  const ratio = median(ratios);
  const appP95 = m(app, 'p95');
  const cpu = (xs: Figures[]) =>
    xs[0]?.cpuServer === undefined ? '–' : `${m(xs, 'cpuServer').toFixed(2)} + ${m(xs, 'cpuDb').toFixed(2)}`;
  const row = (name: string, xs: Figures[]) =>
    `| ${name} | ${m(xs, 'throughput').toFixed(1)} | ${m(xs, 'p50').toFixed(0)} | ${m(xs, 'p95').toFixed(0)} | ${m(xs, 'p99').toFixed(0)} | ${xs.map((x) => x.throughput.toFixed(1)).join(' / ')} | ${cpu(xs)} | ${xs.reduce((n, x) => n + x.errors, 0)} |`;
  const pacedP95 = m(pacedApp, 'p95');
  const lines = [
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine()}; 1-minute load average at the start ${load.toFixed(2)}.`,
    `Embedded FerretDB 1.24 (SQLite, as built by tools/ferretdb/build.sh) in a fresh temp folder; ${CLIENTS} concurrent keep-alive clients on loopback, each submitting back to back (closed loop); per run ${WARMUP_S} s warm-up + ${MEASURE_S} s measured per target, then the same ${CLIENTS} clients paced to ${PACED_RATE} submissions/s in all (${WARMUP_S} s + ${PACED_S} s), then ${SOLO_S} s with a single client; ${RUNS} runs, medians; app and floor in the same run, order alternating. Both servers run the TypeScript sources through a bare SWC hook (no source-map-support), as compiled JavaScript would run.`,
    'A submission: app = `POST /api/v1/visits` (30 answers, staff, summary) + `POST /api/v1/visits/:id/submit`; floor = one `POST` to a bare Express + Mongoose endpoint inserting the same submitted visit document (another database on the same server).',
    `The app's database holds ${CLIENTS * PER_CLIENT + Math.max(PER_CLIENT, 120 * (WARMUP_S + SOLO_S))} open assignments at the start of each run (${PER_CLIENT} per auditor, more for the lone client; BENCH_ASSIGNMENTS).`,
    '',
    '| target | submissions/s | p50 ms | p95 ms | p99 ms | per run (subm./s) | CPU ms per subm. (server + FerretDB) | errors |',
    '|---|---|---|---|---|---|---|---|',
    row(`app, ${CLIENTS} clients`, app),
    row(`floor, ${CLIENTS} clients`, floor),
    row(`app, ${CLIENTS} clients paced to ${PACED_RATE}/s`, pacedApp),
    row(`floor, ${CLIENTS} clients paced to ${PACED_RATE}/s`, pacedFloor),
    row('app, 1 client', soloApp),
    row('floor, 1 client', soloFloor),
    '',
    `App/floor throughput: **${ratio.toFixed(2)}** (per run ${ratios.map((r) => r.toFixed(2)).join(' / ')}); app p95 **${appP95.toFixed(0)} ms** with ${CLIENTS} clients back to back, **${pacedP95.toFixed(0)} ms** with ${CLIENTS} clients at ${PACED_RATE}/s. Target, both with ${CLIENTS} clients back to back: throughput ≥ ${TARGET.ratio} of the floor's **${ratio >= TARGET.ratio ? 'met' : 'missed'}**, p95 < ${TARGET.p95Ms} ms **${appP95 < TARGET.p95Ms ? 'met' : 'missed'}** (the floor's own p95: ${m(floor, 'p95').toFixed(0)} ms).`,
  ];
  if (profiles.length)
    lines.push('', 'App database time per command (last run):', '', ...profileTable(profiles[profiles.length - 1]));
  const text = lines.join('\n');
  process.stdout.write(`\n${text}\n`);
  if (WRITE_FILE) {
    // The analysis lives beside the benchmark, so a re-run refreshes the figures and keeps the explanation.
    const notesFile = path.join(__dirname, 'visits-bench.notes.md');
    const notes = fs.existsSync(notesFile) ? `\n\n${fs.readFileSync(notesFile, 'utf8').trim()}` : '';
    writeSection(`Command: \`npm run bench:visits\` (bench/visits-bench.ts).\n\n${text}${notes}`);
    log('BENCHMARKS.md: section "Visit submissions" written');
  }
}

function profileTable(json: string): string[] {
  const rows = (JSON.parse(json) as [string, { n: number; ms: number }][])
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, 12);
  return [
    '| command | count | total ms | mean ms |',
    '|---|---|---|---|',
    ...rows.map(([k, s]) => `| ${k} | ${s.n} | ${s.ms.toFixed(0)} | ${(s.ms / s.n).toFixed(1)} |`),
  ];
}

const mode = process.argv[2];
const entry = mode === '--serve-app' ? serveApp : mode === '--serve-floor' ? serveFloor : main;
entry().catch((e) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
