import { Types } from 'mongoose';
import type { ReportSnapshot } from '../../reports/types';
import { unlessDuplicate } from '../platform/db/duplicate-key';
import type { JobDoc } from '../platform/jobs/queue';
import type { JobContext } from '../platform/jobs/worker';
import { queueDeliveries } from '../platform/mail/outbox';
import { collectGarbage } from '../platform/memory';
import { clearCorrections } from './corrections';
import { REPORT_MAIL } from './mail-content';
import { Report, ReportFile } from './model';
import { loadReport, renderAll, type ReportDoc } from './render-files';
import type { ReportVisit } from './report-visit';
import { buildSnapshot } from './snapshot';
import type { VisitSpill } from './spill';
import { bucket, readBlob, storeBlob } from './storage';
import { bankOrNull } from './system';

/**
 * The close of a bank's quarter as a resumable job: (1) snapshot the numbers once, (2) render and
 * store every PDF not stored yet, (3) publish: queue the e-mails, mark the report ready and the
 * earlier versions superseded. Each step is idempotent, so a run taken over after a crash simply
 * continues from what the database says is done — against the same snapshot.
 */
export const CLOSE_JOB = 'close-quarter';

export interface ClosePayload {
  bankId: string;
  quarter: string;
  reportId: string;
}

export const closeKey = (bankId: string, quarter: string) => `close:${bankId}:${quarter}`;

/** The job's report: created with the request, or here if the request died right after queueing the job. */
export async function ensureReport(job: Pick<JobDoc, '_id' | 'payload' | 'createdBy'>): Promise<ReportDoc> {
  const p = job.payload as ClosePayload;
  for (let i = 0; i < 5; i++) {
    const existing = await loadReport(p.reportId);
    if (existing) return existing;
    const last = await Report.findOne({ bankId: p.bankId, quarter: p.quarter }, { version: 1 })
      .sort({ version: -1 })
      .lean();
    // A duplicate is another run's (or the request's) report, or this version taken by another close: read again.
    const create = () =>
      Report.create({
        _id: new Types.ObjectId(p.reportId),
        bankId: p.bankId,
        quarter: p.quarter,
        version: (last?.version ?? 0) + 1,
        status: 'pending',
        jobId: job._id,
        requestedBy: job.createdBy,
      });
    await unlessDuplicate(create, () => undefined);
  }
  throw new Error(`could not create report ${p.reportId}`);
}

export async function runCloseJob(ctx: JobContext): Promise<void> {
  const report = await ensureReport(ctx.job);
  if (report.status === 'failed') throw new Error('the report was marked failed');
  if (report.status !== 'ready') {
    const { snapshot, visits } = await snapshotOf(ctx, report);
    // Most of what the snapshot step read (a large bank: hundreds of MB) is garbage now: collected
    // before the render threads start, its pages are given back instead of adding to the threads'.
    collectGarbage();
    try {
      await renderAll(ctx, report, snapshot, visits);
    } finally {
      await visits?.dispose();
    }
  }
  await publish(ctx, report);
}

type Taken = { snapshot: ReportSnapshot; visits?: VisitSpill<ReportVisit> };

/** The report's snapshot: the stored one when a run already took it, else taken now (with the quarter's visits spilled for rendering). */
async function snapshotOf(ctx: JobContext, report: ReportDoc): Promise<Taken> {
  if (report.snapshot)
    return { snapshot: JSON.parse((await readBlob(report.snapshot.fileId)).toString('utf8')) as ReportSnapshot };
  await ctx.progress('snapshot', 0, 1);
  const p = ctx.job.payload as ClosePayload;
  const generatedAt = new Date();
  const taken = await keepingLease(
    ctx,
    () => buildSnapshot(p.bankId, p.quarter, { version: report.version, generatedAt }, true),
    async (t) => t.visits?.dispose(),
  );
  try {
    return await recordSnapshot(ctx, report, taken, generatedAt);
  } catch (e) {
    await taken.visits?.dispose();
    throw e;
  }
}

async function recordSnapshot(ctx: JobContext, report: ReportDoc, taken: Taken, generatedAt: Date): Promise<Taken> {
  const { snapshot } = taken;
  const p = ctx.job.payload as ClosePayload;
  await ctx.progress('snapshot', 1, 1);
  const blob = await storeBlob(Buffer.from(JSON.stringify(snapshot)), `snapshot-${p.reportId}.json`, {
    reportId: p.reportId,
    scope: 'snapshot',
    contentType: 'application/json',
  });
  const f = snapshot.bankFigures;
  const set = await Report.updateOne(
    { _id: report._id, snapshot: null },
    {
      $set: {
        snapshot: {
          fileId: blob.fileId,
          size: blob.size,
          sha256: blob.sha256,
          generatedAt,
          n: f.n,
          branches: f.branches,
          total: f.total,
        },
      },
    },
  );
  if (set.modifiedCount === 1) return taken;
  // Another run recorded its snapshot first: use that one (and not our visits), so all files agree.
  await bucket()
    .delete(blob.fileId)
    .catch(() => undefined);
  await taken.visits?.dispose();
  const again = await loadReport(p.reportId);
  if (!again?.snapshot) throw new Error('the report snapshot disappeared');
  return { snapshot: JSON.parse((await readBlob(again.snapshot.fileId)).toString('utf8')) as ReportSnapshot };
}

/**
 * Renews the lease while a long step without progress of its own runs (a large bank's snapshot takes
 * minutes); a lost lease or a stopping worker ends the step at its end.
 */
export async function keepingLease<T>(
  ctx: JobContext,
  step: () => Promise<T>,
  discard: (result: T) => Promise<void> = async () => undefined,
  everyMs = 15_000,
): Promise<T> {
  let failure: unknown;
  const timer = setInterval(() => {
    ctx.progress('snapshot', 0, 1).catch((e: unknown) => {
      failure ??= e;
    });
  }, everyMs);
  try {
    const result = await step();
    if (failure) {
      await discard(result);
      throw failure;
    }
    return result;
  } finally {
    clearInterval(timer);
  }
}

async function publish(ctx: JobContext, report: ReportDoc): Promise<void> {
  const total = await ReportFile.countDocuments({ reportId: report._id });
  await ctx.progress('publish', total, total);
  const bank = await bankOrNull(String(report.bankId));
  const subject = { kind: REPORT_MAIL, id: report._id, bankId: report.bankId };
  await queueDeliveries(subject, bank?.reportRecipients ?? []);
  const now = new Date();
  await Report.updateOne(
    { _id: report._id, status: 'pending' },
    { $set: { status: 'ready', readyAt: now, fileCount: total } },
  );
  await Report.updateMany(
    { bankId: report.bankId, quarter: report.quarter, version: { $lt: report.version }, supersededBy: null },
    { $set: { supersededBy: report._id, supersededAt: now } },
  );
  await clearCorrections(report._id);
}

/** The job gave up: its report says so (and why), and the bank+quarter can be closed again. */
export async function markCloseFailed(job: JobDoc, err: unknown): Promise<void> {
  const p = job.payload as ClosePayload;
  await Report.updateOne(
    { _id: p.reportId, status: 'pending' },
    { $set: { status: 'failed', failedAt: new Date(), error: err instanceof Error ? err.message : String(err) } },
  );
}
