import os from 'node:os';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ReportSnapshot } from '../../reports/types';
import { logger } from '../platform/logger';
import { packTask, renderTask, sharedPart, type RenderTask } from './render-task';
import type { ReplyMessage, TaskMessage } from './render-worker';

/**
 * Renders a close's PDFs on worker threads: rendering is CPU-bound and each PDF independent, while
 * the close's own thread reads the visits, builds the branch details and stores the files. Each
 * thread gets the snapshot's shared part once and then one task at a time (with its own part). Where threads cannot start (or for a
 * small close, where starting them costs more than it saves) the same function renders in process.
 */
export interface Renderer {
  /** Worker threads rendering; 0 when rendering in process. */
  readonly threads: number;
  render(task: RenderTask): Promise<Buffer>;
  close(): Promise<void>;
}

/** Below this many PDFs, starting threads (each loads the report code and the font) is not worth it. */
export const MIN_FILES_FOR_THREADS = 200;

/**
 * Threads for a close of `files` PDFs: REPORT_RENDER_THREADS when set (0 renders in process), else
 * one per CPU (at most 4) for a large close. The close's own thread and the database keep working
 * meanwhile, so on a small machine the threads share the CPUs with them.
 */
export function threadsFor(files: number, env: NodeJS.ProcessEnv = process.env): number {
  const set = env.REPORT_RENDER_THREADS;
  if (set !== undefined && set !== '' && /^\d+$/.test(set)) return Math.min(16, Number(set));
  return files < MIN_FILES_FOR_THREADS ? 0 : Math.max(1, Math.min(4, os.availableParallelism()));
}

export function inProcessRenderer(s: ReportSnapshot): Renderer {
  return { threads: 0, render: (task) => renderTask(s, task), close: async () => undefined };
}

/**
 * How a thread loads this module's sibling render-worker: compiled JavaScript next to this file in
 * production (dist/); from the TypeScript sources (benchmarks, tests, `npm run dev`) through SWC,
 * which the worker registers for itself (the main thread's TypeScript hook does not reach threads).
 */
function workerSource(): { code: string; data: { entry: string; swc: string | null } } {
  const ts = path.extname(__filename) === '.ts';
  const entry = path.join(__dirname, `render-worker${ts ? '.ts' : '.js'}`);
  const swc = ts ? require.resolve('@swc/core') : null;
  const code = `
const { workerData } = require('node:worker_threads');
if (workerData.swc) {
  const fs = require('node:fs');
  const { transformSync } = require(workerData.swc);
  const options = (filename) => ({ filename, jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } });
  require.extensions['.ts'] = (m, filename) => m._compile(transformSync(fs.readFileSync(filename, 'utf8'), options(filename)).code, filename);
}
require(workerData.entry);
`;
  return { code, data: { entry, swc } };
}

/**
 * REPORT_RENDER_HEAP_MB caps each render thread's old generation. Unset, V8 sizes it (and lets it
 * grow lazily): at 2,500 branches a cap of 512 MB took the close's peak from about 700 to 500 MB for
 * about a quarter more CPU (more frequent collections), so it is left to deployments short of memory.
 */
function heapLimit(env: NodeJS.ProcessEnv = process.env): { maxOldGenerationSizeMb?: number } {
  const mb = Number(env.REPORT_RENDER_HEAP_MB);
  return Number.isInteger(mb) && mb >= 64 ? { maxOldGenerationSizeMb: mb } : {};
}

interface Pending {
  id: number;
  task: RenderTask;
  resolve(pdf: Buffer): void;
  reject(e: Error): void;
}

interface Thread {
  worker: Worker;
  busy: Pending | null;
}

/** Starts `threads` render threads for this snapshot; resolves once all have loaded (or rejects). */
export async function threadRenderer(s: ReportSnapshot, threads: number, startTimeoutMs = 60_000): Promise<Renderer> {
  const { code, data } = workerSource();
  const queue: Pending[] = [];
  const pool: Thread[] = [];
  let broken: Error | null = null;
  let closed = false;
  let nextId = 1;

  const dispatch = () => {
    for (const t of pool) {
      if (t.busy || queue.length === 0) continue;
      const job = queue.shift() as Pending;
      t.busy = job;
      t.worker.postMessage({ id: job.id, task: packTask(s, job.task) } satisfies TaskMessage);
    }
  };
  const fail = (e: Error) => {
    broken ??= e;
    for (const t of pool) {
      t.busy?.reject(e);
      t.busy = null;
    }
    for (const job of queue.splice(0)) job.reject(e);
  };
  const close = async () => {
    closed = true;
    fail(new Error('the renderer was closed'));
    await Promise.all(pool.map((t) => t.worker.terminate()));
  };

  const start = (): Promise<void> =>
    new Promise((resolve, reject) => {
      // Not the main thread's options: its TypeScript hook (the thread registers its own) would load the compiler again.
      const worker = new Worker(code, {
        eval: true,
        execArgv: [],
        resourceLimits: heapLimit(),
        workerData: { ...data, snapshot: sharedPart(s) },
      });
      const t: Thread = { worker, busy: null };
      pool.push(t);
      let ready = false;
      worker.on('message', (m: ReplyMessage) => {
        if ('ready' in m) {
          ready = true;
          resolve();
          return;
        }
        const job = t.busy;
        if (!job || job.id !== m.id) return;
        t.busy = null;
        if ('error' in m) job.reject(new Error(m.error));
        else job.resolve(Buffer.from(m.pdf.buffer, m.pdf.byteOffset, m.pdf.byteLength));
        dispatch();
      });
      worker.on('error', (e) => {
        if (!ready) reject(e);
        fail(e);
      });
      worker.on('exit', (exitCode) => {
        if (!ready) reject(new Error(`a render thread exited with code ${exitCode} while starting`));
        if (!closed) fail(new Error(`a render thread exited with code ${exitCode}`));
      });
    });

  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      Promise.all(Array.from({ length: threads }, start)),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error('the render threads did not start in time')), startTimeoutMs);
      }),
    ]);
  } catch (e) {
    await close();
    throw e;
  } finally {
    clearTimeout(timer);
  }

  return {
    threads,
    render: (task) =>
      new Promise<Buffer>((resolve, reject) => {
        if (broken) {
          reject(broken);
          return;
        }
        queue.push({ id: nextId++, task, resolve, reject });
        dispatch();
      }),
    close,
  };
}

/** Render threads when wanted and they start; else (logged) rendering in process. */
export async function openRenderer(s: ReportSnapshot, threads: number, startTimeoutMs?: number): Promise<Renderer> {
  if (threads <= 0) return inProcessRenderer(s);
  try {
    return await threadRenderer(s, threads, startTimeoutMs);
  } catch (e) {
    logger.warn({ err: e, threads }, 'render threads could not start; rendering in process');
    return inProcessRenderer(s);
  }
}
