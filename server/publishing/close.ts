import { Types } from 'mongoose';
import type { ReportSnapshot } from '../../reports/types';
import { isDuplicateKey, unlessDuplicate } from '../platform/db/duplicate-key';
import { logger } from '../platform/logger';
import type { JobDoc } from '../platform/jobs/queue';
import type { JobContext } from '../platform/jobs/worker';
import { queueDeliveries } from '../platform/mail/outbox';
import { clearCorrections } from './corrections';
import { fileName } from './files';
import { REPORT_MAIL } from './mail-content';
import { Report, ReportFile, type FileKind } from './model';
import { openRenderer, threadsFor } from './render-pool';
import type { RenderTask } from './render-task';
import { buildSnapshot, forEachBranchDetail, loadCatalogue, type LeanVisit } from './snapshot';
import type { VisitSpill } from './spill';
import { bucket, ensureBucketIndexes, readBlob, removeOrphans, storeBlob, storeBlobs } from './storage';
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

type ReportDoc = NonNullable<Awaited<ReturnType<typeof loadReport>>>;
const loadReport = (id: string) => Report.findById(id).lean();

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
    try {
      await renderAll(ctx, report, snapshot, visits);
    } finally {
      await visits?.dispose();
    }
  }
  await publish(ctx, report);
}

type Taken = { snapshot: ReportSnapshot; visits?: VisitSpill<LeanVisit> };

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

interface Target {
  scope: string;
  kind: FileKind;
  name: string;
  region?: string;
  branchCode?: string;
}

async function renderAll(
  ctx: JobContext,
  report: ReportDoc,
  s: ReportSnapshot,
  visits?: VisitSpill<LeanVisit>,
): Promise<void> {
  const reportId = String(report._id);
  const existing = await ReportFile.find({ reportId }, { scope: 1, fileId: 1 }).lean();
  const done = new Set(existing.map((f) => f.scope));
  // Files of a crashed run that never got their ReportFile record are removed before going on.
  const keep = new Set([
    ...existing.map((f) => String(f.fileId)),
    ...(report.snapshot ? [String(report.snapshot.fileId)] : []),
  ]);
  const fresh = await loadReport(reportId);
  if (fresh?.snapshot) keep.add(String(fresh.snapshot.fileId));
  const orphans = await removeOrphans(reportId, keep, new Date(Date.now() - 1000));
  if (orphans) logger.info({ reportId, orphans }, 'removed files of an interrupted close');

  const total = 1 + s.regions.length + s.branches.length;
  let count = done.size;
  await ensureBucketIndexes();
  // Files are stored in batches, and a batch is written while the next files render (FerretDB runs
  // in its own process, so the two overlap on a two-core machine).
  const storing = pipeline();
  let batch: { t: Target; pdf: Buffer }[] = [];
  let batchBytes = 0;
  // Small closes store file by file; large ones in batches of up to STORE_BATCH (about 5% of the work at most).
  const batchSize = Math.min(STORE_BATCH, Math.max(1, Math.floor(total / 20)));
  const write = async () => {
    const items = batch;
    batch = [];
    batchBytes = 0;
    if (items.length)
      await storing.add(() =>
        storeFiles(report, s, items).then(() => {
          count += items.length;
        }),
      );
  };
  const put = async (t: Target, pdf: Buffer) => {
    batch.push({ t, pdf });
    batchBytes += pdf.length;
    if (batch.length >= batchSize || batchBytes >= 4 * 1024 * 1024) await write();
    await ctx.progress('render', count, total);
  };
  await ctx.progress('render', count, total);
  // PDFs render on worker threads while this thread builds the branch details and stores what is
  // done; a few tasks are queued ahead so that no thread waits, and no more, so memory stays bounded.
  const renderer = await openRenderer(s, threadsFor(total - done.size));
  logger.info({ reportId, files: total - done.size, threads: renderer.threads }, 'rendering the close');
  const tasks = limiter(Math.max(1, 2 * renderer.threads));
  const submit = (t: Target, task: RenderTask) => tasks.run(async () => put(t, await renderer.render(task)));
  // A long report (a large bank's) may render for minutes without a file done: the lease is renewed meanwhile.
  const beat = setInterval(() => {
    ctx.progress('render', count, total).catch((e: unknown) => tasks.fail(e));
  }, 15_000);
  try {
    // The bank report first: the longest, it renders while the branch reports go through the other threads.
    if (!done.has('bank')) await submit({ scope: 'bank', kind: 'bank', name: s.bank.name }, { kind: 'bank' });
    for (const g of s.regions) {
      const scope = `region:${g.key}`;
      if (!done.has(scope))
        await submit({ scope, kind: 'region', name: g.name, region: g.key }, { kind: 'region', region: g.key });
    }
    const catalogue = await loadCatalogue(s.bank.id);
    const skip = new Set(s.branches.filter((b) => done.has(`branch:${b.code}`)).map((b) => b.code));
    const byCode = new Map(s.branches.map((b) => [b.code, b]));
    await forEachBranchDetail(
      s,
      catalogue,
      skip,
      async (d) => {
        const b = byCode.get(d.code) as ReportSnapshot['branches'][number];
        await submit(
          { scope: `branch:${b.code}`, kind: 'branch', name: b.name, region: b.region, branchCode: b.code },
          { kind: 'branch', detail: d },
        );
      },
      visits,
    );
    await tasks.drain();
  } catch (e) {
    // Nothing of this run may still be writing when the job is handed on.
    await renderer.close();
    await tasks.settle();
    await storing.flush().catch(() => undefined);
    throw e;
  } finally {
    clearInterval(beat);
  }
  await renderer.close();
  await write();
  await storing.flush();
  await ctx.progress('render', count, total);
}

/**
 * Runs at most `limit` tasks at once; `run` waits for a free place. The first failure is thrown by
 * the next `run` (so no more work starts) and by `drain`.
 */
function limiter(limit: number): {
  run(task: () => Promise<void>): Promise<void>;
  drain(): Promise<void>;
  settle(): Promise<void>;
  fail(e: unknown): void;
} {
  const running = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  const settle = async () => {
    while (running.size) await Promise.race(running);
  };
  return {
    async run(task) {
      while (running.size >= limit && !failure) await Promise.race(running);
      if (failure) throw failure.error;
      const p: Promise<void> = task()
        .catch((e: unknown) => {
          failure ??= { error: e };
        })
        .finally(() => running.delete(p));
      running.add(p);
    },
    async drain() {
      await settle();
      if (failure) throw failure.error;
    },
    settle,
    fail(e) {
      failure ??= { error: e };
    },
  };
}

/** Most files stored per batch: few enough that an interrupted close loses little work. */
const STORE_BATCH = 25;

/** At most one store in flight; a failed store fails the next `add` or the final `flush`. */
function pipeline(): { add(task: () => Promise<void>): Promise<void>; flush(): Promise<void> } {
  let inflight: Promise<void> = Promise.resolve();
  return {
    async add(task) {
      await inflight;
      inflight = task();
      inflight.catch(() => undefined); // observed by the next add or flush
    },
    flush: () => inflight,
  };
}

/** Stores the PDFs, then records them; a file another run recorded first is dropped again. */
async function storeFiles(report: ReportDoc, s: ReportSnapshot, items: { t: Target; pdf: Buffer }[]): Promise<void> {
  const reportId = String(report._id);
  const blobs = await storeBlobs(
    items.map(({ t, pdf }) => ({
      buf: pdf,
      filename: fileName(s.bank, { quarter: s.quarter, version: s.version }, t).utf8,
      metadata: { reportId, scope: t.scope, contentType: 'application/pdf' },
    })),
  );
  const records = items.map(({ t }, i) => ({
    reportId: report._id,
    bankId: report.bankId,
    scope: t.scope,
    kind: t.kind,
    region: t.region,
    branchCode: t.branchCode,
    name: t.name,
    ...blobs[i],
  }));
  try {
    await ReportFile.insertMany(records, { ordered: false });
  } catch (e) {
    // Only a batch whose every failure is a duplicate (files another run recorded first) is settled here.
    const writeErrors = (e as { writeErrors?: { err?: { index?: number }; index?: number }[] }).writeErrors;
    if (!writeErrors || !isDuplicateKey({ writeErrors })) throw e;
    for (const w of writeErrors)
      await bucket()
        .delete(blobs[w.err?.index ?? w.index ?? -1].fileId)
        .catch(() => undefined);
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
