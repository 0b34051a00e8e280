import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, startEmbeddedDb, type EmbeddedDb } from '../../server/platform/db/embedded';

/**
 * Fault injection for the fault suite and the load test: a FerretDB this process owns (so it can be
 * stopped, frozen and restarted on the same port and data folder, and survives the app), the real
 * app as a separate process (so it can be killed with -9), and a small HTTP client that tells
 * "answered" from "no answer"; background workers as processes. A bank ready for visit traffic is in
 * faults-world.ts, an SMTP server that misbehaves in faults-smtp.ts.
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
      MFA_REQUIRED_ROLES: 'none',
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
      MFA_REQUIRED_ROLES: 'none',
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
