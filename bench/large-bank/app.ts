import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../../server/platform/db/embedded';
import { rssMB } from '../proc';
import { DB_NAME } from './settings';

/**
 * The app as its own process on the benchmark's database: this worktree's (the compiled app when
 * fresh, else its sources through SWC, as the fault tests run it) or another checkout's compiled app
 * (the "before" side of a side-by-side measurement).
 */
export interface RunningApp {
  url: string;
  pid: number;
  rssMB(): number;
  stop(): Promise<void>;
}

export async function startApp(
  mongoUri: string,
  opts: { root?: string; env?: Record<string, string>; nodeArgs?: string[] } = {},
): Promise<RunningApp> {
  const { appCommand, call, until, FAULT_ADMIN } = await import('../../test/helpers/faults');
  const args = opts.root ? [path.join(opts.root, 'dist', 'server', 'main.js')] : appCommand().args;
  const port = await freePort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'msa-bench-app-'));
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...args], {
    cwd: opts.root ?? path.resolve(__dirname, '../..'),
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? os.tmpdir(),
      NODE_ENV: 'production',
      SECURE_COOKIES: 'false',
      HOST: '127.0.0.1',
      PORT: String(port),
      MONGODB_URI: mongoUri,
      DB_NAME,
      DATA_DIR: dataDir,
      LOG_LEVEL: 'warn',
      SESSION_SECRET: 'bench-session-secret-that-is-long-enough-000',
      ADMIN_EMAIL: FAULT_ADMIN.email,
      ADMIN_PASSWORD: FAULT_ADMIN.password,
      LOGIN_RATE_LIMIT: '100000',
      // The benchmark's reviewer signs in with a password alone (its role needs a second factor in production).
      MFA_REQUIRED_ROLES: 'none',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  // BENCH_APP_LOG: a file that gets everything the app writes (e.g. with --trace-gc in BENCH_APP_NODE_ARGS).
  const logFile = process.env.BENCH_APP_LOG;
  const keep = (b: Buffer) => {
    if (logFile) fs.appendFileSync(logFile, b);
    lines.push(...b.toString().split('\n').filter(Boolean));
    if (lines.length > 100) lines.splice(0, lines.length - 100);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      fs.rmSync(dataDir, { recursive: true, force: true });
      resolve();
    }),
  );
  const url = `http://127.0.0.1:${port}`;
  await until(
    'the app to answer /healthz',
    async () => {
      if (child.exitCode !== null) throw new Error(`the app exited during start-up:\n${lines.join('\n')}`);
      return (await call(url, 'GET', '/healthz', { timeoutMs: 1000 })).status === 200;
    },
    120_000,
    200,
  );
  return {
    url,
    pid: child.pid as number,
    rssMB: () => rssMB(child.pid),
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
