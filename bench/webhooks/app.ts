import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { ferretPid as ferretPidOf } from '../proc';
import { ROOT } from './settings';

/** The app in a process of its own, as `npm start` runs it (HTTP server and every worker loop). */
export interface RunningApp {
  pid: number;
  stop(): Promise<void>;
}

export async function startApp(env: Record<string, string>, port: number, logFile: string): Promise<RunningApp> {
  const out = fs.openSync(logFile, 'a');
  const child: ChildProcess = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_APP_FLAGS ?? '').split(' ').filter(Boolean),
      '-r',
      '@swc-node/register',
      ...(process.env.BENCH_DB_PROFILE ? ['-r', path.join(__dirname, 'db-profile.js')] : []),
      'server/main.ts',
    ],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        ...env,
        ...(process.env.BENCH_DB_PROFILE ? { MONGODB_URI: `${env.MONGODB_URI}?monitorCommands=true` } : {}),
        PORT: String(port),
        HOST: '127.0.0.1',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', out, out],
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the app exited (${child.exitCode}); see ${logFile}`);
    const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) throw new Error(`the app did not answer within 120 s; see ${logFile}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    pid: child.pid ?? 0,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      fs.closeSync(out);
    },
  };
}

export { cpuSeconds } from '../proc';

/** The FerretDB process serving the given data folder (its CPU is part of the cost). */
export const ferretPid = (dataDir: string): number => ferretPidOf(dataDir) ?? 0;

/** The bank's compliance mailbox: accepts every alert e-mail and counts them. */
export async function startMailSink(port: number): Promise<{ received: () => number; close(): Promise<void> }> {
  let received = 0;
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS', 'AUTH'],
    authOptional: true,
    logger: false,
    onData(stream, _session, callback) {
      stream.on('data', () => undefined);
      stream.on('end', () => {
        received += 1;
        callback();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  return { received: () => received, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
