import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { EmbeddedDbUnavailableError, freePort, startEmbeddedDb } from '../server/platform/db/embedded';

/**
 * The process level: the compiled app started as an operator would, without MONGODB_URI, so it runs
 * its own FerretDB — and must never leave it behind, however it ends.
 */
const root = path.resolve(__dirname, '..');
const mainJs = path.join(root, 'dist', 'server', 'main.js');

interface Running {
  child: ChildProcess;
  port: number;
  dataDir: string;
  sqliteDir: string;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: Running[] = [];

beforeAll(() => {
  // scripts/setup.sh compiles before the tests; build here only when run on a bare checkout.
  // Type errors elsewhere in the tree still emit JavaScript, so only the missing file counts.
  if (!fs.existsSync(mainJs)) spawnSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: root, stdio: 'ignore' });
  if (!fs.existsSync(mainJs)) throw new Error(`could not build ${mainJs}`);
}, 300_000);

afterAll(() => {
  for (const r of started) {
    if (r.child && r.child.exitCode === null && r.child.signalCode === null) r.child.kill('SIGKILL');
    for (const pid of dbPids(r.sqliteDir)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    fs.rmSync(r.dataDir, { recursive: true, force: true });
  }
});

/**
 * Every live process whose command line names this run's own SQLite folder: the guard shell and
 * FerretDB (what `pgrep -f <dir>` finds, read from /proc so that procps need not be installed).
 */
function dbPids(sqliteDir: string): number[] {
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(sqliteDir)) pids.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return pids;
}

/** Gone, dying, or a zombie waiting for a reaper (in a container PID 1 may never reap it): not running. */
function isAlive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) [ZX]/.test(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function startApp(extraEnv: Record<string, string> = {}): Promise<Running> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'msa-embedded-'));
  const port = await freePort();
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? dataDir,
    DATA_DIR: dataDir,
    PORT: String(port),
    FERRETDB_PORT: String(await freePort()),
    LOG_LEVEL: 'warn',
    ...(process.env.TEST_FERRETDB_BIN ? { FERRETDB_BIN: process.env.TEST_FERRETDB_BIN } : {}),
    ...extraEnv,
  };
  const child = spawn(process.execPath, [mainJs], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout?.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const r: Running = { child, port, dataDir, sqliteDir: path.join(dataDir, 'ferretdb'), output: () => out, exited };
  started.push(r);
  return r;
}

async function waitUntil(what: string, cond: () => Promise<boolean> | boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await cond()) return;
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function get(r: Running, p: string): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${r.port}${p}`, { redirect: 'manual' });
  return { status: res.status, body: await res.text() };
}

async function startedApp(): Promise<Running> {
  const r = await startApp();
  await waitUntil(
    'the app to answer /healthz',
    async () => {
      if (r.child.exitCode !== null) throw new Error(`the app exited early:\n${r.output()}`);
      return get(r, '/healthz').then(
        (x) => x.status === 200,
        () => false,
      );
    },
    45_000,
  );
  return r;
}

test('without MONGODB_URI the app starts its own FerretDB and serves pages; SIGINT stops both', async () => {
  const r = await startedApp();
  expect(JSON.parse((await get(r, '/healthz')).body)).toEqual({ status: 'ok', db: 'ok' });
  const login = await get(r, '/login');
  expect(login.status).toBe(200);
  expect(login.body).toContain('<form');
  expect(fs.existsSync(r.sqliteDir)).toBe(true);
  expect(dbPids(r.sqliteDir).length).toBeGreaterThan(0);

  r.child.kill('SIGINT');
  const { code } = await r.exited;
  expect(code).toBe(0);
  await waitUntil('FerretDB to be gone after SIGINT', () => dbPids(r.sqliteDir).length === 0, 3_000);
  expect(r.output()).not.toMatch(/\n\s+at .+:\d+:\d+/);
}, 90_000);

test('kill -9 of the app takes FerretDB down too (the guard shell), within a few seconds', async () => {
  const r = await startedApp();
  const before = dbPids(r.sqliteDir);
  expect(before.length).toBeGreaterThan(0);
  r.child.kill('SIGKILL');
  await r.exited;
  await waitUntil(
    'FerretDB to notice its parent died',
    () => dbPids(r.sqliteDir).length === 0 && !before.some(isAlive),
    8_000,
  );
}, 90_000);

test('a missing FerretDB binary ends the app with a clear message, not a stack trace', async () => {
  const r = await startApp({ FERRETDB_BIN: path.join(os.tmpdir(), 'no-such-dir', 'ferretdb') });
  let timer: NodeJS.Timeout | undefined;
  const { code } = await Promise.race([
    r.exited,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`still running:\n${r.output()}`)), 30_000);
    }),
  ]).finally(() => clearTimeout(timer));
  expect(code).not.toBe(0);
  expect(code).not.toBeNull();
  const text = r.output();
  expect(text).toContain('MONGODB_URI');
  expect(text).toMatch(/\bGo\b/);
  expect(text).toContain('no-such-dir');
  expect(text).not.toMatch(/\n\s+at .+:\d+:\d+/);
  expect(dbPids(r.sqliteDir)).toEqual([]);
}, 60_000);

describe('the launcher', () => {
  /** A stand-in for FerretDB that listens on its port and ignores SIGTERM, as a hung server would. */
  function stubbornBinary(dir: string): string {
    const file = path.join(dir, 'stubborn-db');
    fs.writeFileSync(
      file,
      `#!${process.execPath}
const addr = process.argv.find((a) => a.startsWith('--listen-addr=')).split('=')[1];
const [host, port] = addr.split(':');
process.on('SIGTERM', () => {});
require('node:net').createServer((s) => s.end()).listen(Number(port), host);
`,
      { mode: 0o755 },
    );
    return file;
  }

  test('stop() takes down a database that ignores SIGTERM, leaving nothing behind', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'msa-stubborn-'));
    const sqliteDir = path.join(dataDir, 'ferretdb');
    started.push({ dataDir, sqliteDir } as Running);
    const db = await startEmbeddedDb({
      binary: stubbornBinary(dataDir),
      dataDir,
      port: await freePort(),
      dbName: 'x',
      timeoutMs: 10_000,
    });
    expect(db.owned).toBe(true);
    const pids = dbPids(sqliteDir);
    expect(pids.length).toBe(2);
    await db.stop();
    await waitUntil(
      'the stubborn database to be gone',
      () => dbPids(sqliteDir).length === 0 && !pids.some(isAlive),
      3_000,
    );
  }, 30_000);

  test('a missing binary is refused before anything is started', async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'msa-missing-'));
    started.push({ dataDir, sqliteDir: path.join(dataDir, 'ferretdb') } as Running);
    await expect(
      startEmbeddedDb({ binary: path.join(dataDir, 'nope'), dataDir, port: await freePort(), dbName: 'x' }),
    ).rejects.toBeInstanceOf(EmbeddedDbUnavailableError);
    expect(fs.existsSync(path.join(dataDir, 'ferretdb'))).toBe(false);
  });
});
