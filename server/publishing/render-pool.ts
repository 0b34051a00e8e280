import os from 'node:os';
import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { ReportSnapshot } from '../../reports/types';
import { logger } from '../platform/logger';
import { threadSource } from '../platform/threads';
import { leadLearner } from './lead-learner';
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
  /** The heap limits the threads run under (as V8 applied them); none in process. */
  readonly limits?: ResourceLimits;
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
 * Each render thread's heap is capped, so that a close's memory does not grow with what V8 would
 * allow a thread that allocates fast (measured on the large bank's close, 25,000 branch reports on
 * 2 threads, 2026-12-05, bench:reports-close):
 * - the young generation at YOUNG_GENERATION_MB (V8's default let a thread keep up to 48 MB at all
 *   times; a report's objects die young, so the more frequent collections cost no measurable CPU);
 * - the old generation at REPORT_RENDER_HEAP_MB, 256 by default (0: no cap). A branch thread keeps
 *   about 25 MB alive; uncapped, V8 let each grow to a few hundred MB of garbage. With the cap the
 *   close peaked at 569 MB instead of 1,021, for about 13 % more CPU (544 against 482 s).
 * A report that needs more than the cap (a very large bank's) is rendered again without it.
 */
const YOUNG_GENERATION_MB = 16;
export const DEFAULT_OLD_GENERATION_MB = 256;

/** A cap on the threads' old generation: a number of MB, `null` for none, unset for REPORT_RENDER_HEAP_MB's. */
export interface HeapCap {
  oldGenerationMb?: number | null;
}

export function heapLimit(
  cap: HeapCap = {},
  env: NodeJS.ProcessEnv = process.env,
): { maxOldGenerationSizeMb?: number; maxYoungGenerationSizeMb: number } {
  const set = env.REPORT_RENDER_HEAP_MB;
  const fromEnv = set === undefined || set === '' ? DEFAULT_OLD_GENERATION_MB : Number(set);
  const mb = cap.oldGenerationMb === undefined ? fromEnv : cap.oldGenerationMb;
  return {
    maxYoungGenerationSizeMb: YOUNG_GENERATION_MB,
    ...(typeof mb === 'number' && Number.isInteger(mb) && mb >= 16 ? { maxOldGenerationSizeMb: mb } : {}),
  };
}

const isOutOfMemory = (e: unknown) => (e as { code?: string } | null)?.code === 'ERR_WORKER_OUT_OF_MEMORY';

interface Pending {
  id: number;
  task: RenderTask;
  /** Asked to report what it drew (leadLearner). */
  learn?: boolean;
  resolve(pdf: Buffer): void;
  reject(e: Error): void;
}

interface Thread {
  worker: Worker;
  busy: Pending | null;
  /** Ended out of memory and replaced: its exit is not the pool's failure. */
  gone?: boolean;
}

/**
 * Starts `threads` render threads for this snapshot; resolves once all have loaded (or rejects). A
 * thread whose heap is capped and that runs out of memory is replaced, and its report rendered again
 * on a thread of its own without the cap: a cap saves memory, it must not fail a close.
 */
export async function threadRenderer(
  s: ReportSnapshot,
  threads: number,
  startTimeoutMs = 60_000,
  cap: HeapCap = {},
): Promise<Renderer> {
  const { code, data } = threadSource(__dirname, 'render-worker');
  const limits = heapLimit(cap);
  const queue: Pending[] = [];
  const pool: Thread[] = [];
  let broken: Error | null = null;
  let closed = false;
  let nextId = 1;
  const learner = leadLearner();

  const dispatch = () => {
    for (const t of pool) {
      if (t.busy || queue.length === 0) continue;
      const job = queue.shift() as Pending;
      t.busy = job;
      job.learn = learner.ask(job.task);
      const task = packTask(s, job.task, learner.lead);
      t.worker.postMessage({ id: job.id, task, learn: job.learn } satisfies TaskMessage);
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
        resourceLimits: limits,
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
        if (job.learn) learner.answer('error' in m ? undefined : m.drawn);
        if ('error' in m) job.reject(new Error(m.error));
        else job.resolve(Buffer.from(m.pdf.buffer, m.pdf.byteOffset, m.pdf.byteLength));
        dispatch();
      });
      worker.on('error', (e) => {
        if (!ready) reject(e);
        else if (isOutOfMemory(e) && limits.maxOldGenerationSizeMb !== undefined && !closed) replace(t, e);
        else fail(e);
      });
      worker.on('exit', (exitCode) => {
        if (!ready) reject(new Error(`a render thread exited with code ${exitCode} while starting`));
        if (!closed && !t.gone) fail(new Error(`a render thread exited with code ${exitCode}`));
      });
    });

  const replace = (t: Thread, e: Error) => {
    t.gone = true;
    pool.splice(pool.indexOf(t), 1);
    const job = t.busy;
    t.busy = null;
    if (job?.learn) learner.answer(undefined);
    if (job) {
      logger.warn(
        { err: e, kind: job.task.kind, capMb: limits.maxOldGenerationSizeMb },
        "a report outgrew its render thread's heap cap: rendered again on a thread without the cap",
      );
      renderUncapped(s, job.task, startTimeoutMs).then(job.resolve, job.reject);
    }
    start().then(dispatch, (err: unknown) => fail(err instanceof Error ? err : new Error(String(err))));
  };

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
    limits: pool[0]?.worker.resourceLimits,
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

/** One report on a thread of its own with no cap on its old generation. */
async function renderUncapped(s: ReportSnapshot, task: RenderTask, startTimeoutMs: number): Promise<Buffer> {
  const alone = await threadRenderer(s, 1, startTimeoutMs, { oldGenerationMb: null });
  try {
    return await alone.render(task);
  } finally {
    await alone.close();
  }
}

/** Render threads when wanted and they start; else (logged) rendering in process. */
export async function openRenderer(
  s: ReportSnapshot,
  threads: number,
  startTimeoutMs?: number,
  cap?: HeapCap,
): Promise<Renderer> {
  if (threads <= 0) return inProcessRenderer(s);
  try {
    return await threadRenderer(s, threads, startTimeoutMs, cap);
  } catch (e) {
    logger.warn({ err: e, threads }, 'render threads could not start; rendering in process');
    return inProcessRenderer(s);
  }
}
