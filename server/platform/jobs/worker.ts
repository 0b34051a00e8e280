import { logger } from '../logger';
import type { MailComposers, MailOptions } from '../mail/outbox';
import { laneRunner } from '../mail/sender';
import {
  claimJob,
  completeJob,
  failJob,
  heartbeat,
  LeaseLostError,
  newWorkerId,
  releaseJob,
  type JobDoc,
} from './queue';
import { onWorkQueued } from './wakeup';

/**
 * The in-process workers: one loop runs jobs and the periodic tasks, one per lane of the outbox
 * sends its e-mails (several at once, see mail/sender.ts). Every app instance runs them; the leases in the database decide who does what. The worker
 * knows no feature: the job types, periodic tasks and mail composers are handed to it by the top
 * floor (server/jobs.ts). `stop()` lets the current step finish (a job in progress gives itself back
 * at its next progress report).
 */
export interface JobContext {
  job: JobDoc;
  /** Records progress and renews the lease; throws when the lease was lost or the worker is stopping. */
  progress(phase: string, done: number, total: number): Promise<void>;
}

export interface JobHandler {
  run(ctx: JobContext): Promise<void>;
  /** Called once when the job has failed for good (no retries left). */
  failed(job: JobDoc, err: unknown): Promise<void>;
}

/** Work done now and then by the jobs loop, between jobs (every instance may do it). */
export interface PeriodicTask {
  name: string;
  everyMs: number;
  /** The first run waits this long after start-up (default: runs at once). */
  firstAfterMs?: number;
  /** Asked before each due run; a task switched off is asked again at the next step. */
  enabled?: () => boolean;
  run(now: Date): Promise<unknown>;
}

/** Work that needs its own loop (it must not wait behind a long job): one step at a time, true when it worked. */
export interface WorkLoop {
  name: string;
  step(workerId: string): Promise<boolean>;
  /** Idle wait between polls when the step found nothing (at least pollMs); queued work wakes it anyway. */
  idleMs?: number;
}

/** What the workers run: each job type's handler, the periodic tasks, each mail kind's composer, own loops. */
export interface WorkerRegistry {
  jobs: Readonly<Record<string, JobHandler>>;
  periodic: readonly PeriodicTask[];
  mail: MailComposers;
  loops?: readonly WorkLoop[];
}

export class WorkerStoppingError extends Error {}

export interface WorkerOptions extends MailOptions {
  workerId?: string;
  /** Idle wait between polls. */
  pollMs?: number;
  jobLeaseMs?: number;
  /** First retry delay of a failed job; doubles per attempt. */
  jobRetryMs?: number;
  /** Which loops to run (tests run one at a time). */
  jobs?: boolean;
  mail?: boolean;
  /** The registry's own loops (alerts and webhooks). */
  loops?: boolean;
}

export interface Workers {
  id: string;
  /** Wakes the loops now (e.g. right after a close was requested). */
  kick(): void;
  stop(): Promise<void>;
}

const DEFAULTS = { pollMs: 2000, jobLeaseMs: 5 * 60_000, jobRetryMs: 30_000 };

type Settings = typeof DEFAULTS & WorkerOptions & { id: string };

export function startWorkers(registry: WorkerRegistry, options: WorkerOptions = {}): Workers {
  const opts: Settings = { ...DEFAULTS, ...options, id: options.workerId ?? newWorkerId() };
  let stopped = false;
  const wakers = new Set<() => void>();
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wakers.delete(done);
        resolve();
      }
      wakers.add(done);
    });
  const loop = async (name: string, step: () => Promise<boolean>, idleMs = opts.pollMs) => {
    while (!stopped) {
      let worked = false;
      try {
        worked = await step();
      } catch (e) {
        logger.error({ err: e, worker: opts.id, loop: name }, 'worker step failed');
      }
      if (!worked && !stopped) await sleep(Math.max(idleMs, opts.pollMs));
    }
  };
  const runs: Promise<void>[] = [];
  const periodic = periodicRunner(registry.periodic, opts.id);
  if (opts.jobs !== false)
    runs.push(
      loop('jobs', async () => {
        await periodic();
        return runOneJob(registry.jobs, opts, () => stopped);
      }),
    );
  // Each lane of the outbox has its own loop: an alert never waits behind report e-mails.
  // On one process's CPU, report e-mails (2 MB PDFs read and encoded) slow the alerts down: while the
  // urgent lane has work, the bulk lane sends one at a time.
  const urgent = opts.mail === false ? undefined : laneRunner('urgent', opts.id, registry.mail, opts);
  const lanes = urgent ? [urgent, laneRunner('bulk', opts.id, registry.mail, opts, urgent)] : [];
  for (const l of lanes) runs.push(loop(`mail ${l.lane}`, () => l.step()));
  if (opts.loops !== false)
    for (const l of registry.loops ?? []) runs.push(loop(l.name, () => l.step(opts.id), l.idleMs));
  logger.info({ worker: opts.id }, 'background workers started');
  const kick = () => [...wakers].forEach((w) => w());
  const stopListening = onWorkQueued(kick);
  return {
    id: opts.id,
    kick,
    stop: async () => {
      stopped = true;
      stopListening();
      kick();
      await Promise.all(runs);
      await Promise.all(lanes.map((l) => l.drain()));
    },
  };
}

/** Runs each periodic task that is due; a failed run is logged and tried again next interval. */
function periodicRunner(tasks: readonly PeriodicTask[], workerId: string): () => Promise<void> {
  const started = Date.now();
  const next = new Map(tasks.map((t) => [t, started + (t.firstAfterMs ?? 0)]));
  return async () => {
    for (const task of tasks) {
      if (Date.now() < (next.get(task) ?? 0) || (task.enabled && !task.enabled())) continue;
      next.set(task, Date.now() + task.everyMs);
      // A failed task must not hold up the jobs.
      await task
        .run(new Date())
        .catch((e: unknown) => logger.error({ err: e, worker: workerId, task: task.name }, 'periodic task failed'));
    }
  };
}

async function runOneJob(handlers: WorkerRegistry['jobs'], opts: Settings, stopping: () => boolean): Promise<boolean> {
  const job = await claimJob(opts.id, opts.jobLeaseMs, Object.keys(handlers));
  if (!job) return false;
  const handler = handlers[job.type];
  const log = logger.child({ jobId: String(job._id), type: job.type, worker: opts.id, attempt: job.attempts });
  log.info('job started');
  try {
    await handler.run(jobContext(job, opts, stopping));
    if (await completeJob(job, opts.id)) log.info('job done');
    else log.warn('job finished but its lease had been taken over');
  } catch (e) {
    if (e instanceof LeaseLostError) log.warn('job abandoned: its lease was taken over by another worker');
    else if (e instanceof WorkerStoppingError) {
      await releaseJob(job, opts.id);
      log.info('job handed back (worker stopping)');
    } else {
      const outcome = await failJob(job, opts.id, e, opts.jobRetryMs);
      log.error({ err: e, outcome }, 'job failed');
      if (outcome === 'failed') await handler.failed(job, e);
    }
  }
  return true;
}

function jobContext(job: JobDoc, opts: Settings, stopping: () => boolean): JobContext {
  let lastBeat = 0;
  let lastPhase = '';
  return {
    job,
    async progress(phase, done, total) {
      if (stopping()) throw new WorkerStoppingError();
      const now = Date.now();
      // Progress is written when the step changes, at the end, and otherwise a few times per lease.
      if (phase === lastPhase && done < total && now - lastBeat < Math.min(2000, opts.jobLeaseMs / 6)) return;
      lastBeat = now;
      lastPhase = phase;
      if (!(await heartbeat(job._id, opts.id, opts.jobLeaseMs, { phase, done, total })))
        throw new LeaseLostError(String(job._id));
    },
  };
}
