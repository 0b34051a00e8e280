import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { AppError } from '../errors';

/**
 * Runs the embedded database: FerretDB with its SQLite backend, on loopback, data in `dataDir`.
 * A guard shell wraps it so that FerretDB also dies when this Node process is killed with -9
 * (a plain child would be orphaned and keep the port and the SQLite files).
 */
export interface EmbeddedDb {
  uri: string;
  port: number;
  owned: boolean;
  stop(): Promise<void>;
}

export interface StartOptions {
  binary: string;
  dataDir: string;
  port: number;
  dbName: string;
  timeoutMs?: number;
}

export class EmbeddedDbUnavailableError extends AppError {
  constructor(message: string) {
    super(503, 'embedded_db_unavailable', message);
  }
}

const GUARD = `
"$@" &
child=$!
trap 'kill -TERM $child 2>/dev/null; wait $child; exit 0' TERM INT
while kill -0 $child 2>/dev/null; do
  if ! kill -0 "$WATCH_PID" 2>/dev/null; then kill -TERM $child 2>/dev/null; wait $child; exit 0; fi
  sleep 1
done
wait $child
`;

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}

function portAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host: '127.0.0.1' });
    sock.once('connect', () => {
      sock.destroy();
      resolve(true);
    });
    sock.once('error', () => resolve(false));
    sock.setTimeout(500, () => {
      sock.destroy();
      resolve(false);
    });
  });
}

function missingBinaryMessage(binary: string): string {
  return [
    `The embedded database binary was not found at ${binary}.`,
    'Either set MONGODB_URI to a MongoDB server, or build FerretDB with `bash scripts/setup.sh`',
    '(needs Go: https://go.dev/dl/). Nothing was started.',
  ].join('\n');
}

export async function startEmbeddedDb(opts: StartOptions): Promise<EmbeddedDb> {
  const uri = `mongodb://127.0.0.1:${opts.port}/${opts.dbName}`;
  // Another app instance on this machine already runs it: share it rather than fight over the files.
  if (await portAnswers(opts.port)) {
    return { uri, port: opts.port, owned: false, stop: async () => undefined };
  }
  if (!fs.existsSync(opts.binary)) throw new EmbeddedDbUnavailableError(missingBinaryMessage(opts.binary));
  const sqliteDir = path.join(opts.dataDir, 'ferretdb');
  fs.mkdirSync(sqliteDir, { recursive: true });
  const args = [
    '-c',
    GUARD,
    'ferretdb-guard',
    opts.binary,
    '--handler=sqlite',
    `--sqlite-url=file:${sqliteDir}/`,
    `--state-dir=${sqliteDir}`,
    `--listen-addr=127.0.0.1:${opts.port}`,
    '--debug-addr=-',
    '--telemetry=disable',
    '--log-level=warn',
    '--log-format=json',
  ];
  // Its own process group: a terminal's Ctrl-C reaches only Node, which closes the HTTP server before
  // the database, and the last-resort SIGKILL below can take the guard and FerretDB down together.
  const child = spawn('/bin/sh', args, {
    // GOGC=400: FerretDB's live heap is small (tens of MB) and it allocates heavily per document, so
    // collecting less often saves ~15 % of its CPU under load for a few dozen MB (BENCHMARKS.md).
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', WATCH_PID: String(process.pid), GOGC: '400' },
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: true,
  });
  const stderr: string[] = [];
  child.stderr?.on('data', (b: Buffer) => {
    stderr.push(b.toString());
    if (stderr.length > 50) stderr.shift();
  });
  await waitUntilUp(child, opts.port, opts.timeoutMs ?? 30000, stderr);
  return { uri, port: opts.port, owned: true, stop: () => stopChild(child) };
}

async function waitUntilUp(child: ChildProcess, port: number, timeoutMs: number, stderr: string[]): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) {
      throw new EmbeddedDbUnavailableError(
        `FerretDB exited during start-up (code ${child.exitCode}): ${stderr.join('').slice(-2000)}`,
      );
    }
    if (await portAnswers(port)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  killGroup(child, 'SIGKILL');
  throw new EmbeddedDbUnavailableError(`FerretDB did not answer on port ${port} within ${timeoutMs} ms`);
}

/** Killing only the guard would orphan a FerretDB that ignores SIGTERM, so the fallback kills the group. */
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid) process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => killGroup(child, 'SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
