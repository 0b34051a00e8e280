import type { Express } from 'express';
import request from 'supertest';
import { renderBankReport, renderBranchReport, renderRegionReport } from '../reports';
import { twoPasses, type Paging } from '../reports/doc';
import { pagingFor, TWO_PASS_ROWS } from '../reports/common';
import type { ReportSnapshot } from '../reports/types';
import { startAppWorkers } from '../server/jobs';
import { Report, ReportFile } from '../server/publishing/model';
import { logger } from '../server/platform/logger';
import {
  DEFAULT_OLD_GENERATION_MB,
  heapLimit,
  inProcessRenderer,
  MIN_FILES_FOR_THREADS,
  openRenderer,
  threadRenderer,
  threadsFor,
} from '../server/publishing/render-pool';
import { packTask, renderPacked, sharedPart, type RenderTask } from '../server/publishing/render-task';
import { loadReport, renderAll } from '../server/publishing/render-files';
import { readBlob } from '../server/publishing/storage';
import type { JobContext } from '../server/platform/jobs/worker';
import { Visit } from '../server/visits/model';
import { youngCollectionsAsked } from '../server/platform/memory';
import { READ_COLLECTION, readCollectionsRun } from '../server/publishing/snapshot';
import { ADMIN, bearer, startTestApp, stopTestApp, tokenFor } from './helpers/app';
import {
  CLOSE_Q,
  fixtureSnapshot,
  pdfPageCount,
  pdfText,
  reportWorld,
  withBranchDetail,
  WORLD_BRANCHES,
} from './helpers/reports';

/**
 * How a close renders its PDFs: on worker threads (the TypeScript sources loaded through SWC, as in
 * tests and benchmarks) or in process when threads are not wanted or cannot start — the same PDFs
 * either way; and the two-pass layout of very long reports, which keeps memory flat.
 */
const isPdf = (pdf: Buffer) => {
  expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
  expect(pdf.subarray(-16).toString('latin1')).toContain('%%EOF');
};
const pages = (text: string) => text.split('\f').filter((p) => p.trim() !== '');

describe('render threads', () => {
  const s = fixtureSnapshot({ branches: 30 });
  const branch = (code: string): RenderTask => ({
    kind: 'branch',
    detail: withBranchDetail(s, code, 3).branchDetails[0],
  });

  test('worker threads and in-process rendering give the same valid PDFs', async () => {
    const threads = await threadRenderer(s, 2);
    try {
      expect(threads.threads).toBe(2);
      const tasks: RenderTask[] = [
        { kind: 'bank' },
        { kind: 'region', region: '华东区' },
        branch('JN-001'),
        branch('JN-002'),
        branch('JN-003'),
      ];
      const fromThreads = await Promise.all(tasks.map((t) => threads.render(t)));
      const local = inProcessRenderer(s);
      for (const [i, t] of tasks.entries()) {
        isPdf(fromThreads[i]);
        expect(fromThreads[i].equals(await local.render(t))).toBe(true);
      }
      const text = pdfText(fromThreads[2]);
      expect(text).toContain('网点：JN-001');
      expect(text).toContain(s.branches[0].name);
      expect(text).toContain('未讲解风险揭示书，直接让顾客签字');
      expect(pdfText(fromThreads[1])).toContain('区域：华东区');
    } finally {
      await threads.close();
    }
  });

  test('a thread holds the shared part only; each task carries its own part; the PDFs equal those of the whole snapshot', async () => {
    const shared = sharedPart(s);
    expect([shared.branches.length, shared.regions.length, shared.violations.length]).toEqual([0, 0, 0]);
    const detail = withBranchDetail(s, 'JN-002', 3).branchDetails[0];
    const forBranch = packTask(s, { kind: 'branch', detail });
    expect(forBranch.kind === 'branch' && forBranch.branches.map((b) => b.code)).toEqual(['JN-002']);
    const whole = await renderBranchReport({ ...s, branchDetails: [detail] }, 'JN-002');
    expect((await renderPacked(shared, forBranch)).equals(whole)).toBe(true);
    const forRegion = packTask(s, { kind: 'region', region: '华东区' });
    const mine = s.branches.filter((b) => b.region === '华东区').map((b) => b.code);
    expect(forRegion.kind === 'region' && forRegion.branches.map((b) => b.code)).toEqual(mine);
    expect((await renderPacked(shared, forRegion)).equals(await renderRegionReport(s, '华东区'))).toBe(true);
  });

  test('a task that fails rejects alone; the threads render on', async () => {
    const threads = await threadRenderer(s, 1);
    try {
      await expect(threads.render({ kind: 'region', region: '没有的区域' })).rejects.toThrow(
        'region "没有的区域" is not in the snapshot',
      );
      isPdf(await threads.render(branch('JN-004')));
    } finally {
      await threads.close();
    }
    await expect(threads.render(branch('JN-005'))).rejects.toThrow('closed');
  });

  test('a thread that outgrows its heap cap is replaced, and its report rendered again on a thread without the cap', async () => {
    // A bank report listing 6,000 branches needs more than 24 MB of old generation.
    const big = fixtureSnapshot({ branches: 6000 });
    const warned = jest.spyOn(logger, 'warn');
    const capped = await threadRenderer(big, 1, 60_000, { oldGenerationMb: 24 });
    try {
      expect(capped.limits?.maxOldGenerationSizeMb).toBe(24);
      expect(capped.limits?.maxYoungGenerationSizeMb).toBe(16);
      const pdf = await capped.render({ kind: 'bank' });
      isPdf(pdf);
      expect(pdfPageCount(pdf)).toBeGreaterThan(100);
      expect(warned).toHaveBeenCalledWith(
        expect.objectContaining({ kind: 'bank', capMb: 24 }),
        expect.stringContaining('outgrew its render thread'),
      );
      // The pool renders on, on the thread that replaced the one that ran out.
      const code = big.branches[7].code;
      const again = await capped.render({ kind: 'branch', detail: withBranchDetail(big, code, 2).branchDetails[0] });
      expect(pdfText(again)).toContain(`网点：${code}`);
    } finally {
      warned.mockRestore();
      await capped.close();
    }
  });

  test('threads that cannot start fall back to rendering in process', async () => {
    const r = await openRenderer(s, 2, 1); // 1 ms: the threads are never ready in time
    expect(r.threads).toBe(0);
    const pdf = await r.render(branch('JN-006'));
    isPdf(pdf);
    expect(pdfText(pdf)).toContain('网点：JN-006');
    await r.close();
  });

  test("each thread's heap is capped: 256 MB old generation unless REPORT_RENDER_HEAP_MB says otherwise (0: none)", () => {
    expect(DEFAULT_OLD_GENERATION_MB).toBe(256);
    expect(heapLimit({}, {})).toEqual({ maxYoungGenerationSizeMb: 16, maxOldGenerationSizeMb: 256 });
    expect(heapLimit({}, { REPORT_RENDER_HEAP_MB: '512' })).toEqual({
      maxYoungGenerationSizeMb: 16,
      maxOldGenerationSizeMb: 512,
    });
    expect(heapLimit({}, { REPORT_RENDER_HEAP_MB: '0' })).toEqual({ maxYoungGenerationSizeMb: 16 });
    // The retry of a report that outgrew the cap asks for none, whatever the setting.
    expect(heapLimit({ oldGenerationMb: null }, { REPORT_RENDER_HEAP_MB: '512' })).toEqual({
      maxYoungGenerationSizeMb: 16,
    });
  });

  test('a small close renders in process, a large one on threads, REPORT_RENDER_THREADS decides when set', () => {
    expect(threadsFor(MIN_FILES_FOR_THREADS - 1, {})).toBe(0);
    expect(threadsFor(MIN_FILES_FOR_THREADS, {})).toBeGreaterThanOrEqual(1);
    expect(threadsFor(10, { REPORT_RENDER_THREADS: '3' })).toBe(3);
    expect(threadsFor(100_000, { REPORT_RENDER_THREADS: '0' })).toBe(0);
  });
});

describe('font subsets', () => {
  test('a glyph first embedded as part of another (辶 in 逅) keeps its text in later reports', async () => {
    const { ReportDoc } = await import('../reports/doc');
    const doc = (text: string) => {
      const r = new ReportDoc({
        headerLeft: 'h',
        headerRight: 'r',
        footerLeft: 'f',
        pageLabel: (x, y) => `${x}/${y}`,
        title: 't',
        author: 'a',
        createdAt: new Date(0),
      });
      r.para(text);
      return r.finish();
    };
    expect(pdfText(await doc('邂逅'))).toContain('邂逅');
    expect(pdfText(await doc('部首辶'))).toContain('部首辶');
  });
});

describe('two-pass reports', () => {
  test('a bank report in two passes has the right "page x of y" on every page and reads like the single pass', async () => {
    const s = fixtureSnapshot({ branches: 140 });
    const streamed = await renderBankReport(s, 'two-pass');
    const buffered = await renderBankReport(s, 'buffer');
    isPdf(streamed);
    const count = pdfPageCount(streamed);
    expect(count).toBeGreaterThan(4);
    expect(pdfPageCount(buffered)).toBe(count);
    const text = pdfText(streamed);
    const list = pages(text);
    expect(list).toHaveLength(count);
    list.forEach((p, i) => {
      expect(p).toContain('江南商业银行 · 2026-Q3 · 第 2 版');
      expect(p).toContain(`第 ${i + 1} 页，共 ${count} 页`);
    });
    expect(text).toBe(pdfText(buffered));
  });

  test('a report with more rows than TWO_PASS_ROWS is laid out in two passes by itself', async () => {
    expect(pagingFor('auto', TWO_PASS_ROWS)).toBe('buffer');
    expect(pagingFor('auto', TWO_PASS_ROWS + 1)).toBe('two-pass');
    expect(pagingFor('buffer', 10 * TWO_PASS_ROWS)).toBe('buffer');
    expect(pagingFor('two-pass', 1)).toBe('two-pass');
    const s = fixtureSnapshot({ branches: TWO_PASS_ROWS + 1, lang: 'en' });
    const pdf = await renderBankReport(s);
    const count = pdfPageCount(pdf);
    const list = pages(pdfText(pdf));
    expect(list).toHaveLength(count);
    list.forEach((p, i) => expect(p).toContain(`Page ${i + 1} of ${count}`));
  });

  test('a layout that differs between the passes fails rather than number the pages wrongly', async () => {
    const { ReportDoc } = await import('../reports/doc');
    let pass = 0;
    const render = async (paging: Paging) => {
      pass += 1;
      const r = new ReportDoc(
        {
          headerLeft: 'h',
          headerRight: 'r',
          footerLeft: 'f',
          pageLabel: (x, y) => `${x}/${y}`,
          title: 't',
          author: 'a',
          createdAt: new Date(0),
        },
        paging,
      );
      for (let i = 0; i < pass; i++) r.newPage();
      return r.finish();
    };
    await expect(twoPasses(render)).rejects.toThrow('laid out to 3 pages, not the 2 counted');
  });
});

describe('a close rendered on threads', () => {
  let app: Express;
  let admin: string;
  let bankId: string;

  beforeAll(async () => {
    app = await startTestApp();
    admin = await tokenFor(app, ADMIN.email, ADMIN.password);
    bankId = (await reportWorld(app, admin)).bankId;
  });

  afterAll(async () => {
    delete process.env.REPORT_RENDER_THREADS;
    await stopTestApp();
  });

  test('reads the visits once and stores the PDFs the threads rendered', async () => {
    process.env.REPORT_RENDER_THREADS = '2';
    const logged = jest.spyOn(logger, 'info');
    const finds = jest.spyOn(Visit, 'find');
    const youngBefore = youngCollectionsAsked();
    // The snapshot's read looks at this thread's growth every visit, and any growth counts.
    const readBefore = readCollectionsRun();
    const setting = { ...READ_COLLECTION };
    Object.assign(READ_COLLECTION, { visits: 1, growth: 1 });
    const res = await request(app).post(`/api/v1/banks/${bankId}/quarters/${CLOSE_Q}/close`).set(bearer(admin));
    expect(res.status).toBe(202);
    const workers = startAppWorkers({ pollMs: 50, mail: false });
    let report = await Report.findById(res.body.reportId).lean();
    try {
      const deadline = Date.now() + 60_000;
      while (report?.status === 'pending' && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 100));
        report = await Report.findById(res.body.reportId).lean();
      }
      expect(report?.status).toBe('ready');
      // The snapshot's one read of the visits served the results, the region figures and the branch reports.
      expect(finds).toHaveBeenCalledTimes(1);
      // A young-generation collection once each stored batch's PDFs are garbage (a close this small
      // stores file by file: 8 batches), so that they never count against the old generation.
      expect(youngCollectionsAsked() - youngBefore).toBe(8);
      expect(readCollectionsRun() - readBefore).toBeGreaterThan(0);
      expect(logged).toHaveBeenCalledWith({ reportId: res.body.reportId, files: 8, threads: 2 }, 'rendering the close');
      // Two sets of threads: the branch and region reports', then a fresh one for the bank report
      // (a thread's heap stays grown: the bank report's must not add to the branch threads').
      const started = logged.mock.calls.filter((c) => c[1] === 'render threads started for the close');
      expect(started.map((c) => (c[0] as { threads: number }).threads)).toEqual([2, 1]);
      // Between the two, a full collection of this thread (what it held for the branch reports is garbage).
      const messages = logged.mock.calls.map((c) => c[1]);
      const collected = messages.indexOf('full collection before the bank report');
      expect(collected).toBeGreaterThan(messages.indexOf('render threads started for the close'));
      expect(collected).toBeLessThan(messages.lastIndexOf('render threads started for the close'));
      // Each thread's heap capped as V8 applied it: young 16 MB, old DEFAULT_OLD_GENERATION_MB.
      for (const c of started)
        expect((c[0] as { limits?: object }).limits).toMatchObject({
          maxYoungGenerationSizeMb: 16,
          maxOldGenerationSizeMb: DEFAULT_OLD_GENERATION_MB,
        });
    } finally {
      await workers.stop();
      logged.mockRestore();
      finds.mockRestore();
      Object.assign(READ_COLLECTION, setting);
    }

    const files = await ReportFile.find({ reportId: res.body.reportId }).sort({ _id: 1 }).lean();
    // Stored in the order rendered: the branch reports, the region reports (on the same threads), the
    // bank report last.
    const kinds = files.map((f) => f.kind);
    // (The last branch reports may still be rendering beside the first region reports: 2 threads.)
    expect(kinds.indexOf('region')).toBeGreaterThanOrEqual(kinds.lastIndexOf('branch') - 2);
    expect(kinds.slice(kinds.indexOf('region'), -1).every((k) => k !== 'bank')).toBe(true);
    expect(kinds.indexOf('bank')).toBe(files.length - 1);
    expect(files.map((f) => f.scope).sort()).toEqual([
      'bank',
      'branch:JN-E01',
      'branch:JN-E02',
      'branch:JN-E03',
      'branch:JN-S01',
      'branch:JN-S02',
      'region:华东区',
      'region:华南区',
    ]);
    const snapshot = JSON.parse((await readBlob(String(report?.snapshot?.fileId))).toString('utf8')) as ReportSnapshot;
    for (const f of files) {
      const pdf = await readBlob(f.fileId);
      isPdf(pdf);
      if (f.scope === 'branch:JN-E01') {
        const text = pdfText(pdf);
        expect(text).toContain(WORLD_BRANCHES[0].name);
        expect(text).toContain('未讲解风险揭示书，直接让顾客签字');
        expect(text).toMatch(/第 1 页，共 \d+ 页/);
      }
    }
    // Run again over what is stored (a close resumed after its last file): nothing to render, no threads started.
    const resumedLog = jest.spyOn(logger, 'info');
    try {
      const doc = await loadReport(res.body.reportId);
      const ctx = { job: {} as JobContext['job'], progress: async () => undefined };
      await renderAll(ctx, doc as NonNullable<typeof doc>, snapshot);
      expect(resumedLog.mock.calls.filter((c) => c[1] === 'render threads started for the close')).toEqual([]);
      expect(await ReportFile.countDocuments({ reportId: res.body.reportId })).toBe(8);
    } finally {
      resumedLog.mockRestore();
    }
    // The same snapshot renders the same bank report in process.
    const bankFile = files.find((f) => f.scope === 'bank');
    const stored = await readBlob(String(bankFile?.fileId));
    const again = await inProcessRenderer(snapshot).render({ kind: 'bank' });
    expect(pdfText(stored)).toBe(pdfText(again));
    expect(stored.equals(again)).toBe(true);
  });
});
