import type { ReportSnapshot } from '../../reports/types';
import { isDuplicateKey } from '../platform/db/duplicate-key';
import type { JobContext } from '../platform/jobs/worker';
import { logger } from '../platform/logger';
import { collectGarbage, collectOnGrowth, collectYoungGarbage } from '../platform/memory';
import { forEachBranchDetail } from './branch-details';
import { loadCatalogue } from './catalogue';
import { fileName } from './files';
import { Report, ReportFile, type FileKind, type ReportFileAttrs } from './model';
import { openRenderer, threadsFor } from './render-pool';
import type { RenderTask } from './render-task';
import type { ReportVisit } from './report-visit';
import type { VisitSpill } from './spill';
import { bucket, ensureBucketIndexes, removeOrphans, storeBlobs } from './storage';

/**
 * The close's second step: every PDF of the report that is not stored yet is rendered and stored,
 * against the report's snapshot. What a crashed run left half-recorded is removed first, so the
 * step simply continues from what the database says is done.
 */
export type ReportDoc = NonNullable<Awaited<ReturnType<typeof loadReport>>>;
export const loadReport = (id: string) => Report.findById(id).lean();

interface Target {
  scope: string;
  kind: FileKind;
  name: string;
  region?: string;
  branchCode?: string;
}

export async function renderAll(
  ctx: JobContext,
  report: ReportDoc,
  s: ReportSnapshot,
  visits?: VisitSpill<ReportVisit>,
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
  // Files are stored in batches, and a batch is written while the next files render (the database
  // server works in its own process, so the two overlap on a two-core machine).
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
  // The rendered files pass through this thread on their way to the database and die old: without
  // a full collection now and then V8 let the heap grow by about 140 MB in a 25,000-branch close.
  const memory = collectOnGrowth(COLLECT_AFTER_GROWTH);
  let files = 0;
  const put = async (t: Target, pdf: Buffer) => {
    batch.push({ t, pdf });
    batchBytes += pdf.length;
    if (++files % 100 === 0 && memory.check()) logger.info({ reportId, files }, 'full collection during the close');
    if (batch.length >= batchSize || batchBytes >= 4 * 1024 * 1024) await write();
    await ctx.progress('render', count, total);
  };
  await ctx.progress('render', count, total);
  const threads = threadsFor(total - done.size);
  logger.info({ reportId, files: total - done.size, threads }, 'rendering the close');
  // A long report (a large bank's) may render for minutes without a file done: the lease is renewed meanwhile.
  let onBeatFailure: (e: unknown) => void = () => undefined;
  const beat = setInterval(() => {
    ctx.progress('render', count, total).catch((e: unknown) => onBeatFailure(e));
  }, 15_000);
  const lease = (fail: (e: unknown) => void) => (onBeatFailure = fail);
  try {
    // The branch reports, then the region reports on the same threads, then the bank report alone on
    // one fresh thread: it lays out every branch, and a thread's heap, once grown, stays grown;
    // rendered last and alone, it no longer adds to the branch threads' memory. The region reports
    // (a region's 500 branches each) come after the branches, where they keep both threads busy
    // instead of one after the bank report: before the branches, the threads' grown heaps made every
    // branch report after them dearer (3,000 branch reports on 2 threads: 12.4–14.7 s of the
    // threads' CPU and 4.8–5.2 s of V8's helpers without them, 16.5–22.5 and 9.6–13.1 s after them).
    // (A run that resumes a close starts no threads for a part already done.)
    if (s.regions.some((g) => !done.has(`region:${g.key}`)) || s.branches.some((b) => !done.has(`branch:${b.code}`))) {
      const submitAll: SubmitAll = async (submit) => {
        await submitBranches(s, done, submit, visits);
        await submitRegions(s, done, submit);
      };
      await renderBatch(s, threads, storing, lease, submitAll, put);
      // The branch threads are gone, and most of what passed through this thread for them is garbage:
      // collected before the bank report's thread grows, the close's peak (559 MB in one run of the
      // large bank against 570–597 MB in four without; BENCHMARKS.md).
      if (threads > 0 && collectGarbage()) logger.info({ reportId }, 'full collection before the bank report');
    }
    if (!done.has('bank')) {
      const submitBank: SubmitAll = (submit) =>
        submit({ scope: 'bank', kind: 'bank', name: s.bank.name }, { kind: 'bank' });
      await renderBatch(s, Math.min(1, threads), storing, lease, submitBank, put);
    }
  } finally {
    clearInterval(beat);
  }
  await write();
  await storing.flush();
  await ctx.progress('render', count, total);
}

type Submit = (t: Target, task: RenderTask) => Promise<void>;
type SubmitAll = (submit: Submit) => Promise<void>;

/** Every branch report not stored yet, with its details built from the spill a file of branches at a time. */
async function submitBranches(
  s: ReportSnapshot,
  done: Set<string>,
  submit: Submit,
  visits?: VisitSpill<ReportVisit>,
): Promise<void> {
  const catalogue = await loadCatalogue(s.bank.id);
  const skip = new Set(s.branches.filter((b) => done.has(`branch:${b.code}`)).map((b) => b.code));
  const byCode = new Map(s.branches.map((b) => [b.code, b]));
  const branch = async (d: ReportSnapshot['branchDetails'][number]) => {
    const b = byCode.get(d.code) as ReportSnapshot['branches'][number];
    const t: Target = { scope: `branch:${b.code}`, kind: 'branch', name: b.name, region: b.region, branchCode: b.code };
    await submit(t, { kind: 'branch', detail: d });
  };
  await forEachBranchDetail(s, catalogue, skip, branch, visits);
}

/** The region reports not stored yet. */
async function submitRegions(s: ReportSnapshot, done: Set<string>, submit: Submit): Promise<void> {
  for (const g of s.regions) {
    const scope = `region:${g.key}`;
    if (!done.has(scope))
      await submit({ scope, kind: 'region', name: g.name, region: g.key }, { kind: 'region', region: g.key });
  }
}

/**
 * Renders what `submitAll` submits on `threads` fresh render threads (0: in process) while this
 * thread builds the tasks and stores what is done; a few tasks are queued ahead so that no thread
 * waits, and no more, so memory stays bounded. The threads end with the batch.
 */
async function renderBatch(
  s: ReportSnapshot,
  threads: number,
  storing: { flush(): Promise<void> },
  onLeaseLost: (fail: (e: unknown) => void) => void,
  submitAll: SubmitAll,
  put: (t: Target, pdf: Buffer) => Promise<void>,
): Promise<void> {
  const renderer = await openRenderer(s, threads);
  if (renderer.threads)
    logger.info({ threads: renderer.threads, limits: renderer.limits }, 'render threads started for the close');
  const tasks = limiter(Math.max(1, 2 * renderer.threads));
  onLeaseLost((e) => tasks.fail(e));
  try {
    await submitAll((t, task) => tasks.run(async () => put(t, await renderer.render(task))));
    await tasks.drain();
  } catch (e) {
    // Nothing of this run may still be writing when the job is handed on.
    await renderer.close();
    await tasks.settle();
    await storing.flush().catch(() => undefined);
    throw e;
  }
  await renderer.close();
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

/** How much this thread's memory may grow during a close before a full collection. */
export const COLLECT_AFTER_GROWTH = 64 * 1024 * 1024;

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

const STORED = Buffer.alloc(0);

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
  // The bytes are in the database: the batch's PDFs and the driver's copies of them are garbage, and
  // collected while still young they never count against this thread's old generation (see
  // collectYoungGarbage: else a large close's thread ran a full collection about every half second).
  for (const it of items) it.pdf = STORED;
  collectYoungGarbage();
  const createdAt = new Date();
  const records: ReportFileAttrs[] = items.map(({ t }, i) => ({
    reportId: report._id,
    bankId: report.bankId,
    scope: t.scope,
    kind: t.kind,
    // Absent, not null, as Mongoose would have stored them (a lean insert writes what it is given).
    ...(t.region === undefined ? {} : { region: t.region }),
    ...(t.branchCode === undefined ? {} : { branchCode: t.branchCode }),
    name: t.name,
    ...blobs[i],
    createdAt,
  }));
  try {
    // Lean: built above with the schema's types (ReportFileAttrs), so Mongoose's casting and validation
    // would only repeat what the compiler checked — and its documents were about an eighth of what a
    // large close's main thread allocated per file (V8's sampling heap profiler).
    await ReportFile.insertMany(records, { ordered: false, lean: true });
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
