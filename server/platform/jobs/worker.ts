import { purgeExpired } from '../../housekeeping';
import { config } from '../config';
import { logger } from '../logger';
import { processNextDelivery, type MailOptions } from '../mail/outbox';
import { CLOSE_JOB, markCloseFailed, runCloseJob } from '../../publishing/close';
import { closeDueQuarters } from '../../publishing/schedule';
import { setCloseListener } from '../../publishing/service';
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

/**
 * The in-process workers: one loop runs jobs (quarter closes), another sends report e-mails. Every
 * app instance runs them; the leases in the database decide who does what. `stop()` lets the
 * current step finish (a close in progress gives its job back at the next progress report).
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

const HANDLERS: Record<string, JobHandler> = { [CLOSE_JOB]: { run: runCloseJob, failed: markCloseFailed } };

export class WorkerStoppingError extends Error {}

export interface WorkerOptions extends MailOptions {
  workerId?: string;
  /** Idle wait between polls. */
  pollMs?: number;
  jobLeaseMs?: number;
  /** First retry delay of a failed job; doubles per attempt. */
  jobRetryMs?: number;
  /** How often the optional schedule (AUTO_CLOSE_DAYS) looks for quarters due to close. */
  scheduleEveryMs?: number;
  /** How often expired sessions, tokens, idempotency records and write claims are purged. */
  housekeepingEveryMs?: number;
  /** Which loops to run (tests run one at a time). */
  jobs?: boolean;
  mail?: boolean;
}

export interface Workers {
  id: string;
  /** Wakes the loops now (e.g. right after a close was requested). */
  kick(): void;
  stop(): Promise<void>;
}

const DEFAULTS = {
  pollMs: 2000,
  jobLeaseMs: 5 * 60_000,
  jobRetryMs: 30_000,
  scheduleEveryMs: 60_000,
  housekeepingEveryMs: 3600_000,
};

export function startWorkers(options: WorkerOptions = {}): Workers {
  const opts = { ...DEFAULTS, ...options };
  const id = opts.workerId ?? newWorkerId();
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
  const loop = async (name: string, step: () => Promise<boolean>) => {
    while (!stopped) {
      let worked = false;
      try {
        worked = await step();
      } catch (e) {
        logger.error({ err: e, worker: id, loop: name }, 'worker step failed');
      }
      if (!worked && !stopped) await sleep(opts.pollMs);
    }
  };
  const runs: Promise<void>[] = [];
  let nextSchedule = 0;
  const scheduled = async () => {
    const days = config().AUTO_CLOSE_DAYS;
    if (days === undefined || Date.now() < nextSchedule) return;
    nextSchedule = Date.now() + opts.scheduleEveryMs;
    await closeDueQuarters(new Date(), days);
  };
  // The first purge waits one interval: start-up is busy enough, and tests start many short-lived workers.
  let nextPurge = Date.now() + opts.housekeepingEveryMs;
  const housekeeping = async () => {
    if (Date.now() < nextPurge) return;
    nextPurge = Date.now() + opts.housekeepingEveryMs;
    // A failed purge must not hold up the jobs; it is tried again next interval.
    await purgeExpired().catch((e) => logger.error({ err: e, worker: id }, 'purging expired records failed'));
  };
  if (opts.jobs !== false)
    runs.push(
      loop('jobs', async () => {
        await scheduled();
        await housekeeping();
        return runOneJob(id, opts, () => stopped);
      }),
    );
  if (opts.mail !== false) runs.push(loop('mail', () => processNextDelivery(id, opts)));
  logger.info({ worker: id }, 'background workers started');
  const kick = () => [...wakers].forEach((w) => w());
  setCloseListener(kick);
  return {
    id,
    kick,
    stop: async () => {
      stopped = true;
      setCloseListener(undefined);
      kick();
      await Promise.all(runs);
    },
  };
}

async function runOneJob(workerId: string, opts: typeof DEFAULTS, stopping: () => boolean): Promise<boolean> {
  const job = await claimJob(workerId, opts.jobLeaseMs, Object.keys(HANDLERS));
  if (!job) return false;
  const log = logger.child({ jobId: String(job._id), type: job.type, worker: workerId, attempt: job.attempts });
  let lastBeat = 0;
  let lastPhase = '';
  const ctx: JobContext = {
    job,
    async progress(phase, done, total) {
      if (stopping()) throw new WorkerStoppingError();
      const now = Date.now();
      // Progress is written when the step changes, at the end, and otherwise a few times per lease.
      if (phase === lastPhase && done < total && now - lastBeat < Math.min(2000, opts.jobLeaseMs / 6)) return;
      lastBeat = now;
      lastPhase = phase;
      if (!(await heartbeat(job._id, workerId, opts.jobLeaseMs, { phase, done, total })))
        throw new LeaseLostError(String(job._id));
    },
  };
  log.info('job started');
  try {
    await HANDLERS[job.type].run(ctx);
    if (await completeJob(job, workerId)) log.info('job done');
    else log.warn('job finished but its lease had been taken over');
  } catch (e) {
    if (e instanceof LeaseLostError) log.warn('job abandoned: its lease was taken over by another worker');
    else if (e instanceof WorkerStoppingError) {
      await releaseJob(job, workerId);
      log.info('job handed back (worker stopping)');
    } else {
      const outcome = await failJob(job, workerId, e, opts.jobRetryMs);
      log.error({ err: e, outcome }, 'job failed');
      if (outcome === 'failed') await HANDLERS[job.type].failed(job, e);
    }
  }
  return true;
}
