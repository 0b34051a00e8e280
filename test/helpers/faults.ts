import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { freePort, startEmbeddedDb, type EmbeddedDb } from '../../server/platform/db/embedded';

/**
 * Fault injection for the fault suite and the load test: a FerretDB this process owns (so it can be
 * stopped, frozen and restarted on the same port and data folder, and survives the app), the real
 * app as a separate process (so it can be killed with -9), and a small HTTP client that tells
 * "answered" from "no answer".
 */
export const ROOT = path.resolve(__dirname, '..', '..');
export const FAULT_ADMIN = { email: 'admin@faults.local', password: 'Admin-faults-pass-1' };

export async function until(
  what: string,
  check: () => Promise<boolean> | boolean,
  timeoutMs = 20_000,
  everyMs = 50,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

// ---------------------------------------------------------------- the database

export interface FaultDb {
  port: number;
  dataDir: string;
  uri(dbName?: string): string;
  /** The FerretDB process itself (not its guard shell), found by its listen address. */
  pid(): number | undefined;
  /** SIGTERM, and wait until it is gone. */
  stop(): Promise<void>;
  /** Starts again on the same port and data folder. */
  start(): Promise<void>;
  /** SIGSTOP / SIGCONT: the port stays open but nothing answers (a hung server). */
  freeze(): void;
  thaw(): void;
  dispose(): Promise<void>;
}

/** `copyFrom`: a data folder saved from a stopped FerretDB (e.g. a seeded database), started as a copy. */
export async function startFaultDb(opts: { copyFrom?: string } = {}): Promise<FaultDb> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'msa-faults-db-'));
  if (opts.copyFrom) fs.cpSync(opts.copyFrom, dataDir, { recursive: true });
  const port = await freePort();
  const binary =
    process.env.TEST_FERRETDB_BIN ?? process.env.FERRETDB_BIN ?? path.join(ROOT, '.tools', 'bin', 'ferretdb');
  const launch = () => startEmbeddedDb({ binary, dataDir, port, dbName: 'faults' });
  let db: EmbeddedDb | undefined = await launch();
  const pid = () => ferretPid(port);
  return {
    port,
    dataDir,
    uri: (dbName = '') => `mongodb://127.0.0.1:${port}/${dbName}`,
    pid,
    async stop() {
      await db?.stop();
      db = undefined;
      await until('FerretDB to exit', () => pid() === undefined, 10_000);
    },
    async start() {
      db = await launch();
      if (!db.owned) throw new Error(`port ${port} was taken by another process while FerretDB was down`);
    },
    freeze() {
      const p = pid();
      if (!p) throw new Error('FerretDB is not running');
      process.kill(p, 'SIGSTOP');
    },
    thaw() {
      const p = pid();
      if (p) process.kill(p, 'SIGCONT');
    },
    async dispose() {
      const p = pid();
      if (p) process.kill(p, 'SIGCONT');
      await db?.stop();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function ferretPid(port: number): number | undefined {
  const needle = `--listen-addr=127.0.0.1:${port}`;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      // The guard shell carries the same arguments after "-c <script>"; FerretDB is the one whose argv[0] is not a shell.
      if (args.includes(needle) && !/(^|\/)(sh|bash|dash)$/.test(args[0]) && !isZombie(entry)) return Number(entry);
    } catch {
      // the process ended while we looked
    }
  }
  return undefined;
}

function isZombie(pid: string): boolean {
  try {
    return /\) Z /.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

// ---------------------------------------------------------------- the app as its own process

/**
 * `node dist/server/main.js` when the compiled app is at least as new as every source file (the
 * test script compiles first); otherwise the sources through SWC, so a stale build is never tested.
 */
export function appCommand(): { args: string[]; via: 'dist' | 'sources' } {
  if (process.env.FAULTS_APP === 'dist' || (process.env.FAULTS_APP !== 'sources' && distIsFresh()))
    return { args: [path.join(ROOT, 'dist', 'server', 'main.js')], via: 'dist' };
  return { args: ['-r', '@swc-node/register', path.join(ROOT, 'server', 'main.ts')], via: 'sources' };
}

function distIsFresh(): boolean {
  const check = (dir: string): boolean => {
    for (const e of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (!check(rel)) return false;
      } else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) {
        const out = path.join(ROOT, 'dist', rel.replace(/\.ts$/, '.js'));
        if (!fs.existsSync(out) || fs.statSync(out).mtimeMs < fs.statSync(path.join(ROOT, rel)).mtimeMs) return false;
      }
    }
    return true;
  };
  return ['server', 'reports'].every((d) => !fs.existsSync(path.join(ROOT, d)) || check(d));
}

export interface AppProcess {
  url: string;
  port: number;
  pid: number;
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** The last lines the app wrote to stderr/stdout, for failure messages. */
  output(): string;
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Resident memory in kB, from /proc. */
  rssKb(): number | undefined;
}

export interface SpawnOptions {
  mongoUri: string;
  dbName: string;
  port?: number;
  env?: Record<string, string>;
  readyTimeoutMs?: number;
}

export async function spawnApp(opts: SpawnOptions): Promise<AppProcess> {
  const port = opts.port ?? (await freePort());
  const { args } = appCommand();
  // Its own folder for whatever the app keeps on disk (the mail outbox without SMTP), removed when it exits.
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'msa-faults-app-'));
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? os.tmpdir(),
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: String(port),
      MONGODB_URI: opts.mongoUri,
      DB_NAME: opts.dbName,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      SESSION_SECRET: 'faults-session-secret-that-is-long-enough-0',
      ADMIN_EMAIL: FAULT_ADMIN.email,
      ADMIN_PASSWORD: FAULT_ADMIN.password,
      PASSWORD_HASH_LOG_N: '12',
      LOGIN_RATE_LIMIT: '100000',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const keep = (b: Buffer) => {
    lines.push(...b.toString().split('\n').filter(Boolean));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      fs.rmSync(dataDir, { recursive: true, force: true });
      resolve({ code, signal });
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  const app: AppProcess = {
    url,
    port,
    pid: child.pid as number,
    child,
    exited,
    output: () => lines.join('\n'),
    async kill(signal) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
    rssKb: () => {
      try {
        const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        return m ? Number(m[1]) : undefined;
      } catch {
        return undefined;
      }
    },
  };
  let gone = false;
  void exited.then(() => {
    gone = true;
  });
  try {
    await until(
      'the app to answer /healthz',
      async () => {
        if (gone) throw new Error(`the app exited during start-up:\n${app.output()}`);
        return (await call(url, 'GET', '/healthz', { timeoutMs: 1000 })).status === 200;
      },
      opts.readyTimeoutMs ?? 45_000,
      100,
    );
  } catch (e) {
    await app.kill('SIGKILL');
    throw e;
  }
  return app;
}

// ---------------------------------------------------------------- HTTP that tells "no answer" apart

export type Answer =
  { status: number; body: unknown; headers: Headers; ms: number } | { status: 0; error: string; ms: number };

export interface CallOptions {
  body?: unknown;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

/** One request; a refused or reset connection or a timeout is `status: 0` (no answer), never thrown. */
export async function call(base: string, method: string, urlPath: string, opts: CallOptions = {}): Promise<Answer> {
  const started = Date.now();
  try {
    const res = await fetch(base + urlPath, {
      method,
      headers: { ...(opts.body !== undefined ? { 'Content-Type': 'application/json' } : {}), ...opts.headers },
      body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
      signal: AbortSignal.timeout(opts.timeoutMs ?? 15_000),
    });
    const text = await res.text();
    let body: unknown = text;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      // not JSON: kept as text
    }
    return { status: res.status, body, headers: res.headers, ms: Date.now() - started };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    return { status: 0, error: err.cause?.code ?? err.name ?? String(e), ms: Date.now() - started };
  }
}

export async function tokenOf(base: string, email: string, password: string): Promise<string> {
  const res = await call(base, 'POST', '/api/v1/auth/token', { body: { email, password } });
  if (res.status !== 200)
    throw new Error(
      `sign-in of ${email} failed: ${res.status} ${JSON.stringify('body' in res ? res.body : res.error)}`,
    );
  return (res.body as { token: string }).token;
}

export async function created(base: string, token: string, urlPath: string, body: unknown): Promise<{ id: string }> {
  const res = await call(base, 'POST', urlPath, { body, headers: { Authorization: `Bearer ${token}` } });
  if (res.status !== 201)
    throw new Error(`POST ${urlPath}: ${res.status} ${JSON.stringify('body' in res ? res.body : res.error)}`);
  return res.body as { id: string };
}

// ---------------------------------------------------------------- a bank ready for visit traffic

/** Every field given, so these are exactly the scoring sections the app derives (no defaults involved). */
export const FAULT_SECTIONS = [
  {
    key: 'greeting',
    weight: 25,
    items: [
      { key: 'g1', type: 'yes_no', weight: 2, critical: false, allowNA: false, required: true },
      { key: 'g2', type: 'scale', weight: 1, critical: false, allowNA: false, required: true },
    ],
  },
  {
    key: 'product_knowledge',
    weight: 25,
    items: [
      { key: 'p1', type: 'yes_no', weight: 1, critical: false, allowNA: true, required: true },
      { key: 'p2', type: 'scale', weight: 1, critical: false, allowNA: false, required: false },
    ],
  },
  {
    key: 'sales_compliance',
    weight: 30,
    items: [
      { key: 'c1', type: 'yes_no', weight: 1, critical: true, allowNA: false, required: true },
      { key: 'c2', type: 'yes_no', weight: 1, critical: false, allowNA: false, required: true },
    ],
  },
  {
    key: 'follow_up',
    weight: 20,
    items: [{ key: 'f1', type: 'yes_no', weight: 1, critical: false, allowNA: true, required: true }],
  },
] as const;

type Value = 'yes' | 'no' | 'na' | 1 | 2 | 3 | 4 | 5;

/** A different, complete answer set per visit number, so a mixed-up or half-written visit shows in its scores. */
export function answersFor(n: number): { itemKey: string; value: Value; comment?: string }[] {
  const yn = (bit: number): Value => ((n >> bit) & 1 ? 'no' : 'yes');
  return [
    { itemKey: 'g1', value: yn(0) },
    { itemKey: 'g2', value: ((n % 5) + 1) as Value },
    { itemKey: 'p1', value: n % 3 === 0 ? 'na' : yn(1) },
    { itemKey: 'p2', value: (((n >> 2) % 5) + 1) as Value },
    { itemKey: 'c1', value: n % 7 === 0 ? 'no' : 'yes' },
    { itemKey: 'c2', value: yn(2) },
    {
      itemKey: 'f1',
      value: n % 4 === 0 ? 'na' : yn(3),
      ...(n % 5 === 0 ? { comment: `第 ${n} 次暗访：员工未主动留下联系方式` } : {}),
    },
  ];
}

export interface Auditor {
  id: string;
  email: string;
  token: string;
  assignments: string[];
}
export interface VisitWorldIds {
  bankId: string;
  questionnaireId: string;
  adminToken: string;
  auditors: Auditor[];
}

export function currentQuarter(zone = 8): string {
  const d = new Date(Date.now() + zone * 3600_000);
  return `${d.getUTCFullYear()}-Q${Math.floor(d.getUTCMonth() / 3) + 1}`;
}

/** A bank, three branches, the questionnaire, `auditors` auditors with `perAuditor` assignments each — all through the API. */
export async function buildVisitWorld(
  base: string,
  auditors: number,
  perAuditor: number,
  code = 'FLT',
): Promise<VisitWorldIds> {
  const adminToken = await tokenOf(base, FAULT_ADMIN.email, FAULT_ADMIN.password);
  const bankId = (
    await created(base, adminToken, '/api/v1/banks', {
      code,
      name: `故障测试银行 ${code}`,
      timezone: 'Asia/Shanghai',
      reportRecipients: [],
    })
  ).id;
  const branches = ['01', '02', '03'].map((n) => `${code}-${n}`);
  for (const [i, b] of branches.entries())
    await created(base, adminToken, `/api/v1/banks/${bankId}/branches`, {
      code: b,
      name: `支行 ${b}`,
      region: i < 2 ? '华东区' : '华南区',
    });
  const sections = FAULT_SECTIONS.map((s) => ({
    ...s,
    items: s.items.map((it) => ({ ...it, text: { zh: `题目 ${it.key}`, en: `Item ${it.key}` } })),
  }));
  const questionnaireId = (
    await created(base, adminToken, '/api/v1/questionnaires', { bankId, name: '故障测试问卷', sections })
  ).id;
  const window = {
    windowStart: new Date(Date.now() - 20 * 86400_000).toISOString(),
    windowEnd: new Date(Date.now() + 20 * 86400_000).toISOString(),
  };
  const list: Auditor[] = [];
  for (let a = 0; a < auditors; a++) {
    const email = `shopper${a + 1}@${code.toLowerCase()}.faults`;
    const id = (
      await created(base, adminToken, '/api/v1/users', {
        email,
        password: FAULT_ADMIN.password,
        name: `暗访员 ${a + 1}`,
        role: 'auditor',
      })
    ).id;
    list.push({ id, email, token: await tokenOf(base, email, FAULT_ADMIN.password), assignments: [] });
  }
  // A few at a time: the set-up should not take longer than the fault it prepares.
  const jobs = list.flatMap((au) => Array.from({ length: perAuditor }, (_, i) => ({ au, i })));
  await runPool(jobs, 4, async ({ au, i }) => {
    const body = {
      bankId,
      branchCode: branches[i % branches.length],
      auditorId: au.id,
      questionnaireId,
      quarter: currentQuarter(),
      scenario: '理财产品咨询',
      ...window,
    };
    au.assignments.push((await created(base, adminToken, '/api/v1/assignments', body)).id);
  });
  return { bankId, questionnaireId, adminToken, auditors: list };
}

export async function runPool<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await work(items[next++]);
    }),
  );
}

export function visitBody(assignmentId: string, n: number): Record<string, unknown> {
  return {
    assignmentId,
    visitedAt: new Date(Date.now() - 3600_000).toISOString(),
    durationMinutes: 20 + (n % 30),
    staff: [{ description: `大堂经理，第 ${n} 号` }],
    answers: answersFor(n),
    summary: `故障测试暗访 ${n}`,
  };
}

/** The figures of one fault run, kept for BENCHMARKS.md (and printed with FAULTS_VERBOSE=1). */
export function report(name: string, figures: Record<string, unknown>): void {
  const dir = process.env.FAULTS_REPORT_DIR ?? path.join(os.tmpdir(), 'msa-faults-report');
  fs.mkdirSync(dir, { recursive: true });
  const text = JSON.stringify({ case: name, at: new Date().toISOString(), ...figures });
  fs.writeFileSync(path.join(dir, `${name}.json`), `${text}\n`);
  if (process.env.FAULTS_VERBOSE) process.stderr.write(`[faults] ${text}\n`);
}

// ---------------------------------------------------------------- background workers as processes

export interface WorkerProcess {
  pid: number;
  child: ChildProcess;
  output(): string;
  kill(signal: NodeJS.Signals): Promise<void>;
  signal(signal: NodeJS.Signals): void;
}

/** test/helpers/faults-worker.ts in its own process; resolves once its loops run. */
export async function spawnWorker(
  env: Record<string, string>,
  options: Record<string, unknown>,
): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['-r', '@swc-node/register', path.join(__dirname, 'faults-worker.ts')], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? os.tmpdir(),
      NODE_ENV: 'test',
      LOG_LEVEL: 'warn',
      SESSION_SECRET: 'faults-session-secret-that-is-long-enough-0',
      PASSWORD_HASH_LOG_N: '12',
      FAULT_WORKER_OPTIONS: JSON.stringify(options),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let ready = false;
  const keep = (b: Buffer) => {
    const text = b.toString();
    if (text.includes('READY')) ready = true;
    lines.push(...text.split('\n').filter(Boolean));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const w: WorkerProcess = {
    pid: child.pid as number,
    child,
    output: () => lines.join('\n'),
    async kill(signal) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited;
    },
    signal: (signal) => child.kill(signal),
  };
  await until(
    'the worker to start',
    () => {
      if (child.exitCode !== null) throw new Error(`the worker exited during start-up:\n${w.output()}`);
      return ready;
    },
    45_000,
  );
  return w;
}

// ---------------------------------------------------------------- a real SMTP server that can misbehave

export interface Received {
  to: string[];
  messageId: string;
  mail: ParsedMail;
}

/** What the server does with a complete message: accept it (250), refuse it for now (451), or never answer. */
export type Verdict = 'accept' | 'reject' | 'hold';

export interface TestSmtp {
  port: number;
  /** Accepted messages only. */
  received: Received[];
  listening(): boolean;
  listen(): Promise<void>;
  close(): Promise<void>;
}

/**
 * smtp-server on loopback. `decide` is asked for every message once its data is complete, before the
 * server answers; a message counts as received only when it was accepted.
 */
export async function testSmtp(
  decide: (mail: ParsedMail, to: string[]) => Promise<Verdict> | Verdict,
): Promise<TestSmtp> {
  const port = await freePort();
  const received: Received[] = [];
  let server: SMTPServer | undefined;
  const make = () =>
    new SMTPServer({
      disabledCommands: ['STARTTLS', 'AUTH'],
      authOptional: true,
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          const to = session.envelope.rcptTo.map((r) => r.address);
          simpleParser(Buffer.concat(chunks))
            .then(async (mail) => {
              const verdict = await decide(mail, to);
              if (verdict === 'hold') return;
              if (verdict === 'reject')
                return callback(Object.assign(new Error('mailbox busy, try again later'), { responseCode: 451 }));
              received.push({ to, messageId: mail.messageId ?? '', mail });
              callback();
            })
            .catch((e: Error) => callback(e));
        });
      },
    });
  return {
    port,
    received,
    listening: () => Boolean(server),
    listen: () =>
      new Promise<void>((resolve, reject) => {
        server = make();
        server.on('error', () => undefined); // a client killed mid-session is expected here
        server.server.once('error', reject);
        server.listen(port, '127.0.0.1', () => resolve());
      }),
    close: () =>
      new Promise<void>((resolve) => {
        if (!server) return resolve();
        const s = server;
        server = undefined;
        s.close(() => resolve());
      }),
  };
}
