import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FaultDb } from '../test/helpers/faults';
import { runBench, withLargeBankCopy, writeBenchSection } from './large-bank/copy';
import type { KeptBank } from './large-bank/store';
import { log, REGIONS } from './large-bank/settings';
import { cpuSeconds, ferretPid, rssMB, threadTracker } from './proc';

/**
 * The whole close of the large bank (bench/large-bank: 25,000 branches in 50 regions, 100,000
 * approved visits in each of four quarters, 16 items with comments), on a fresh copy of the kept
 * database: one close exactly as the app runs it — snapshot (the kept statistics plus one read of the
 * quarter's visits), bank + region + branch PDFs stored in GridFS, deliveries queued. By default the
 * compiled app runs as its own process (NODE_ENV=production, as a bank runs it) and an admin asks it
 * for the close through the API; the memory and CPU measured are that process's (render threads
 * included), not this harness's (which carries the TypeScript hook and the data generator).
 * BENCH_CLOSE_IN=bench runs the close in this process instead, as earlier runs did. Reports wall
 * time per phase, CPU, and the peak resident memory of the app and of FerretDB.
 *
 *   npm run build && BENCH_DATA_DIR=/work/.benchdata npm run bench:reports-close
 *   BENCH_BRANCHES=2500 BENCH_VISITS=10000 npm run bench:reports-close
 */
const WRITE_FILE = process.env.BENCH_WRITE !== '0';
const IN_APP = process.env.BENCH_CLOSE_IN !== 'bench';
const HEADING = '### Whole close of a large bank';

function machine(): string {
  const cpu = os.cpus()[0]?.model?.trim() ?? 'unknown CPU';
  return `${os.availableParallelism()} CPUs (nproc), ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}`;
}

async function main(): Promise<void> {
  const outbox = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-close-outbox-'));
  try {
    await withLargeBankCopy(({ world, db }) => closeOnce(world, db, outbox), { inProcess: { OUTBOX_DIR: outbox } });
  } finally {
    fs.rmSync(outbox, { recursive: true, force: true });
  }
}

/** Where the close runs: the app's own process (asked through the API) or this one. */
interface Closer {
  where: string;
  pid: number;
  rssMB(): number;
  close(): Promise<{ jobId: string; reportId: string }>;
  stop(): Promise<void>;
}

/** Settings of the render threads given to the app as they are given to this benchmark. */
function renderEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter((e): e is [string, string] => /^REPORT_RENDER_/.test(e[0]) && !!e[1]),
  );
}

async function appCloser(uri: string, bankId: string, quarter: string, outbox: string): Promise<Closer> {
  const { startApp } = await import('./large-bank/app');
  const { call, tokenOf, FAULT_ADMIN } = await import('../test/helpers/faults');
  const { Report } = await import('../server/publishing/model');
  // BENCH_APP_NODE_ARGS: flags for the app's node (e.g. --cpu-prof --cpu-prof-dir=/tmp/prof).
  const nodeArgs = (process.env.BENCH_APP_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const { appCommand } = await import('../test/helpers/faults');
  // The compiled app, as a bank runs it (sources through SWC would add the TypeScript hook's memory).
  if (appCommand().via !== 'dist') throw new Error('dist/ is older than the sources: run `npm run build` first');
  const app = await startApp(uri, { env: { OUTBOX_DIR: outbox, ...renderEnv() }, nodeArgs });
  return {
    where:
      'the compiled app in its own process (NODE_ENV=production), asked by an admin through `POST /api/v1/banks/:bankId/quarters/:quarter/close`',
    pid: app.pid,
    rssMB: () => app.rssMB(),
    async close() {
      const token = await tokenOf(app.url, FAULT_ADMIN.email, FAULT_ADMIN.password);
      const r = await call(app.url, 'POST', `/api/v1/banks/${bankId}/quarters/${quarter}/close`, {
        headers: { Authorization: `Bearer ${token}` },
      });
      const body = 'body' in r ? (r.body as { reportId?: string } | undefined) : undefined;
      const reportId = body?.reportId;
      if (r.status !== 202 || !reportId)
        throw new Error(
          `the close was refused: ${r.status} ${'error' in r ? r.error : JSON.stringify(body).slice(0, 300)}`,
        );
      const report = await Report.findById(reportId, { jobId: 1 }).lean();
      return { jobId: String(report?.jobId), reportId };
    },
    stop: () => app.stop(),
  };
}

async function benchCloser(bankId: string, quarter: string): Promise<Closer> {
  const { closeQuarter } = await import('../server/publishing/service');
  const { startAppWorkers } = await import('../server/jobs');
  let workers: { stop(): Promise<void> } | undefined;
  return {
    where: 'the in-process worker of this benchmark (BENCH_CLOSE_IN=bench; its memory includes the TypeScript hook)',
    pid: process.pid,
    rssMB: () => process.memoryUsage().rss / 2 ** 20,
    async close() {
      const admin = { id: 'bench', email: 'bench@localhost', name: 'bench', role: 'admin' as const };
      const queued = await closeQuarter(admin, bankId, quarter);
      workers = startAppWorkers({ pollMs: 100, mail: false });
      return { jobId: String(queued.jobId), reportId: String(queued.reportId) };
    },
    stop: async () => workers?.stop(),
  };
}

async function closeOnce(world: KeptBank['world'], db: FaultDb, outbox: string): Promise<void> {
  const QUARTER = world.quarter;
  const BRANCHES = world.branches;
  const VISITS = world.visitsPerQuarter;
  const port = db.port;
  const g = { bankId: world.bankId };
  const { Job } = await import('../server/platform/jobs/model');
  const { Report, ReportFile } = await import('../server/publishing/model');
  const { threadsFor } = await import('../server/publishing/render-pool');
  const closer = IN_APP
    ? await appCloser(db.uri(), String(g.bankId), QUARTER, outbox)
    : await benchCloser(String(g.bankId), QUARTER);
  let peakNode = 0;
  let peakFerret = 0;
  const phases = new Map<string, number>();
  const peakByPhase = new Map<string, number>();
  const started = Date.now();
  const fpid = ferretPid(`--listen-addr=127.0.0.1:${port}\0`);
  const byThread = threadTracker(closer.pid);
  const cpu0 = { app: cpuSeconds(closer.pid), db: cpuSeconds(fpid) };
  const load: number[] = [];
  const queued = await closer.close();
  let lastLog = 0;
  for (;;) {
    const rss = closer.rssMB();
    peakNode = Math.max(peakNode, rss);
    peakFerret = Math.max(peakFerret, rssMB(fpid));
    byThread.sample();
    const job = await Job.findById(queued.jobId).lean();
    const phase = job?.progress?.phase ?? 'queued';
    peakByPhase.set(phase, Math.max(peakByPhase.get(phase) ?? 0, rss));
    if (!phases.has(phase)) phases.set(phase, Date.now() - started);
    if (Date.now() - lastLog > 15_000) {
      lastLog = Date.now();
      load.push(os.loadavg()[0]);
      log(
        `  ${phase} ${job?.progress?.done ?? 0}/${job?.progress?.total ?? 0}, ${((Date.now() - started) / 1000).toFixed(0)} s, app ${peakNode.toFixed(0)} MB (now ${rss.toFixed(0)}), ferretdb ${peakFerret.toFixed(0)} MB`,
      );
    }
    if (job?.status === 'done' || job?.status === 'failed') break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const total = (Date.now() - started) / 1000;
  byThread.sample();
  const split = byThread.split();
  const cpu = { app: cpuSeconds(closer.pid) - cpu0.app, db: cpuSeconds(fpid) - cpu0.db };
  await closer.stop();
  const report = await Report.findById(queued.reportId).lean();
  if (report?.status !== 'ready') throw new Error(`the close failed: ${report?.error}`);
  const files: { _id: string; n: number; bytes: number }[] = [];
  for await (const f of ReportFile.find({ reportId: report._id }, { kind: 1, size: 1 }).lean().cursor()) {
    const row =
      files.find((x) => x._id === f.kind) ?? (files.push({ _id: f.kind, n: 0, bytes: 0 }), files[files.length - 1]);
    row.n += 1;
    row.bytes += f.size;
  }
  const bankFile = await ReportFile.findOne({ reportId: report._id, scope: 'bank' }, { size: 1 }).lean();
  const at = (p: string) => (phases.get(p) ?? 0) / 1000;
  const renderS = total - at('render');
  const branchFiles = files.find((f) => f._id === 'branch')?.n ?? 0;
  const threads = threadsFor(files.reduce((n, f) => n + f.n, 0));
  const body = [
    HEADING,
    '',
    `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machine()}; \`npm run bench:reports-close\` (BENCH_BRANCHES=${BRANCHES}, BENCH_VISITS=${VISITS}).`,
    '',
    `A bank of ${BRANCHES.toLocaleString('en')} branches in ${REGIONS} regions with ${VISITS.toLocaleString('en')} counted visits in each of ${world.quarters.join(', ')} (16 items, comments; bench/large-bank), on a fresh copy of the kept database; one close of ${QUARTER} by ${closer.where}: snapshot from the kept statistics plus one read of the quarter's visits, then ${files.map((f) => `${f.n.toLocaleString('en')} ${f._id}`).join(', ')} PDFs (${(files.reduce((s, f) => s + f.bytes, 0) / 2 ** 20).toFixed(0)} MB, bank report ${(Number(bankFile?.size ?? 0) / 2 ** 20).toFixed(1)} MB) rendered on ${threads ? `${threads} worker threads` : "the close's own thread"} and stored in GridFS.`,
    '',
    '| step | wall time |',
    '|---|---|',
    `| snapshot (kept statistics, one read of the quarter's visits, spilled for the branch reports) | ${(at('render') - at('snapshot')).toFixed(0)} s |`,
    `| render and store all PDFs | ${renderS.toFixed(0)} s (${(branchFiles / Math.max(1, renderS)).toFixed(1)} branch reports/s overall) |`,
    `| **whole close** | **${(total / 60).toFixed(1)} min** (target < 3 min: ${total < 180 ? 'met' : '**not met**'}) |`,
    '',
    `CPU time used by the close: app process ${cpu.app.toFixed(0)} s (all its threads), FerretDB ${cpu.db.toFixed(0)} s. ${threadSplit(
      split,
      files.reduce((n, f) => n + f.n, 0),
    )} Peak resident memory: app process **${peakNode.toFixed(0)} MB** (${IN_APP ? 'the app alone, ' : ''}render threads included; target < 600 MB: ${peakNode < 600 ? 'met' : '**not met**'}), FerretDB ${peakFerret.toFixed(0)} MB (sampled every 250 ms; app peak per phase: ${[...peakByPhase].map(([p, mb]) => `${p} ${mb.toFixed(0)} MB`).join(', ')}). The machine was shared with other work: 1-minute load average ${load.length ? `${Math.min(...load).toFixed(1)}–${Math.max(...load).toFixed(1)}` : os.loadavg()[0].toFixed(1)} on ${os.availableParallelism()} CPUs during the close.`,
  ].join('\n');
  log(`\n${body}\n`);
  if (WRITE_FILE) writeBenchSection(body, HEADING, insidePdfReports);
}

/** The app's CPU by thread: what the render threads cost per PDF, and what the rest costs. */
function threadSplit(split: ReturnType<ReturnType<typeof threadTracker>['split']>, pdfs: number): string {
  const sum = split.started.reduce((a, b) => a + b, 0);
  return `Of the app's CPU: the ${split.started.length} threads started by the close (the render threads) ${sum.toFixed(0)} s (${split.started.map((s) => s.toFixed(0)).join(' + ')}; ${((1000 * sum) / Math.max(1, pdfs)).toFixed(1)} ms per PDF), the main thread (the snapshot, building each branch's details, storing the files) ${split.main.toFixed(0)} s, the threads the process had before (V8's garbage-collection and compiler helpers, libuv's pool) ${split.helpers.toFixed(0)} s (from /proc, sampled with the memory).`;
}

/** The first time, the section goes at the end of the PDF reports' section (or of the file). */
function insidePdfReports(doc: string): number {
  const parent = doc.indexOf('## PDF reports');
  if (parent < 0) return -1;
  const after = doc.slice(parent + 3).search(/\n## /);
  return after < 0 ? -1 : parent + 3 + after;
}

runBench(main);
