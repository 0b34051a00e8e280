import os from 'node:os';
import crypto from 'node:crypto';
import { Types } from 'mongoose';
import { unlessDuplicate } from '../db/duplicate-key';
import { logger } from '../logger';
import { Job, type JobAttrs, type JobStatus } from './model';
import { workQueued } from './wakeup';

/** The lease protocol of the jobs collection: enqueue once per key, claim, heartbeat, finish. */
export type JobDoc = JobAttrs & { _id: Types.ObjectId };

export class LeaseLostError extends Error {
  constructor(jobId: string) {
    super(`the lease on job ${jobId} was lost to another worker`);
  }
}

export function newWorkerId(): string {
  return `${os.hostname()}:${process.pid}:${crypto.randomBytes(3).toString('hex')}`;
}

export interface EnqueueInput {
  type: string;
  key: string;
  payload: Record<string, unknown>;
  createdBy?: string;
  maxAttempts?: number;
  id?: Types.ObjectId;
}

/**
 * Queues a job unless one with the same key is still queued or running; then that one is returned.
 * A new job wakes this process's workers at once.
 */
export async function enqueue(input: EnqueueInput): Promise<{ job: JobDoc; created: boolean }> {
  const created = await unlessDuplicate(
    async () =>
      (
        await Job.create({
          _id: input.id ?? new Types.ObjectId(),
          type: input.type,
          key: input.key,
          payload: input.payload,
          status: 'queued',
          runAfter: new Date(),
          createdBy: input.createdBy,
          maxAttempts: input.maxAttempts ?? 3,
        })
      ).toObject() as JobDoc,
    () => null,
  );
  if (created) {
    workQueued();
    return { job: created, created: true };
  }
  const existing = await Job.findOne({ key: input.key }).lean<JobDoc>();
  // Finished between our insert and this read: the key is free again, so try once more.
  if (!existing) return enqueue(input);
  return { job: existing, created: false };
}

/** Takes the next due job, or one whose holder's lease expired (a crashed or stopped instance). */
export async function claimJob(workerId: string, leaseMs: number, types: readonly string[]): Promise<JobDoc | null> {
  const now = new Date();
  return Job.findOneAndUpdate(
    {
      type: { $in: types },
      status: { $in: ['queued', 'running'] },
      runAfter: { $lte: now },
      $or: [{ lockedUntil: null }, { lockedUntil: { $lte: now } }],
    },
    {
      $set: { status: 'running', lockedBy: workerId, lockedUntil: new Date(now.getTime() + leaseMs), startedAt: now },
      $inc: { attempts: 1 },
    },
    { sort: { runAfter: 1 }, new: true },
  ).lean<JobDoc>();
}

/** Extends the lease (and records progress); false when another worker holds the job now. */
export async function heartbeat(
  jobId: Types.ObjectId,
  workerId: string,
  leaseMs: number,
  progress?: { phase: string; done: number; total: number },
): Promise<boolean> {
  const set: Record<string, unknown> = { lockedUntil: new Date(Date.now() + leaseMs) };
  if (progress)
    Object.assign(set, {
      'progress.phase': progress.phase,
      'progress.done': progress.done,
      'progress.total': progress.total,
      'progress.updatedAt': new Date(),
    });
  const r = await Job.updateOne({ _id: jobId, lockedBy: workerId, status: 'running' }, { $set: set });
  return r.matchedCount === 1;
}

export async function completeJob(job: JobDoc, workerId: string): Promise<boolean> {
  const r = await Job.updateOne(
    { _id: job._id, lockedBy: workerId, status: 'running' },
    {
      $set: {
        status: 'done',
        key: `${job.key}#${String(job._id)}`,
        finishedAt: new Date(),
        lockedBy: null,
        lockedUntil: null,
        'progress.phase': 'done',
      },
    },
  );
  return r.matchedCount === 1;
}

/** A failed run is retried later with backoff until `maxAttempts`; then the job fails and frees its key. */
export async function failJob(
  job: JobDoc,
  workerId: string,
  err: unknown,
  retryDelayMs: number,
): Promise<'retry' | 'failed' | 'lost'> {
  const message = err instanceof Error ? err.message : String(err);
  const final = job.attempts >= job.maxAttempts;
  const set = final
    ? {
        status: 'failed',
        key: `${job.key}#${String(job._id)}`,
        finishedAt: new Date(),
        lastError: message,
        lockedBy: null,
        lockedUntil: null,
      }
    : {
        status: 'queued',
        runAfter: new Date(Date.now() + retryDelayMs * 2 ** (job.attempts - 1)),
        lastError: message,
        lockedBy: null,
        lockedUntil: null,
      };
  const r = await Job.updateOne({ _id: job._id, lockedBy: workerId, status: 'running' }, { $set: set });
  if (r.matchedCount !== 1) return 'lost';
  logger.warn({ jobId: String(job._id), type: job.type, attempt: job.attempts, final, err: message }, 'job run failed');
  return final ? 'failed' : 'retry';
}

/** Gives the job back without counting the run (graceful shutdown): another instance may take it at once. */
export async function releaseJob(job: JobDoc, workerId: string): Promise<void> {
  await Job.updateOne(
    { _id: job._id, lockedBy: workerId, status: 'running' },
    { $set: { lockedBy: null, lockedUntil: null }, $inc: { attempts: -1 } },
  );
}

export async function findJob(id: Types.ObjectId | string): Promise<JobDoc | null> {
  return Job.findById(id).lean<JobDoc>();
}

/** The latest jobs of a type, newest first (lists of recent work with their progress). */
export async function recentJobs(type: string, limit: number): Promise<JobDoc[]> {
  return Job.find({ type }).sort({ createdAt: -1 }).limit(limit).lean<JobDoc[]>();
}

/** The progress of some jobs, by id (for lists of what they are working on). */
export async function progressOf(ids: readonly unknown[]): Promise<Map<string, JobDoc['progress']>> {
  if (ids.length === 0) return new Map();
  const jobs = await Job.find({ _id: { $in: ids } }, { progress: 1 }).lean<Pick<JobDoc, '_id' | 'progress'>[]>();
  return new Map(jobs.map((j) => [String(j._id), j.progress]));
}

export type { JobStatus };
