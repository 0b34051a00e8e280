import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { FaultDb } from '../test/helpers/faults';
import { runBench, withLargeBankCopy, writeBenchSection } from './large-bank/copy';
import type { KeptBank } from './large-bank/store';
import { log, REGIONS } from './large-bank/settings';

/**
 * The whole close of the large bank (bench/large-bank: 25,000 branches in 50 regions, 100,000
 * approved visits in each of four quarters, 16 items with comments), on a fresh copy of the kept
 * database: one close run by the in-process worker exactly as the app runs it — snapshot (the kept
 * statistics plus one read of the quarter's visits), bank + region + branch PDFs stored in GridFS,
 * deliveries queued. Reports wall time per phase, CPU, and the peak resident memory of this process
 * (render threads included) and of FerretDB.
 *
 *   BENCH_DATA_DIR=/work/.benchdata npm run bench:reports-close
 *   BENCH_BRANCHES=2500 BENCH_VISITS=10000 npm run bench:reports-close
 */
const WRITE_FILE = process.env.BENCH_WRITE !== '0';
const HEADING = '### Whole close of a large bank';

/** The FerretDB process serving `port` (not its guard shell). */
function ferretPid(port: number): number | undefined {
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (cmd.includes('ferretdb') && cmd.includes(`:${port}`) && !cmd.startsWith('/bin/sh')) return Number(name);
    } catch {
      // gone
    }
  }
  return undefined;
}

/** CPU seconds a process has used so far (user + system), from /proc. */
function cpuSeconds(pid: number | undefined): number {
  if (!pid) return 0;
  try {
    const raw = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = raw.slice(raw.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

/** Resident memory (MB) of the FerretDB process serving `port`, read from /proc. */
function ferretRssMB(port: number): number {
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${name}/cmdline`, 'utf8');
      if (!cmd.includes('ferretdb') || !cmd.includes(`:${port}`) || cmd.startsWith('/bin/sh')) continue;
      const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${name}/status`, 'utf8'));
      if (m) return Number(m[1]) / 1024;
    } catch {
      // gone
    }
  }
  return 0;
}

function machine(): string {
  const cpu = os.cpus()[0]?.model?.trim() ?? 'unknown CPU';
  return `${os.availableParallelism()} CPUs (nproc), ${cpu}, ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Node ${process.version}`;
}

async function main(): Promise<void> {
  const outbox = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-close-outbox-'));
  try {
    await withLargeBankCopy(({ world, db }) => closeOnce(world, db), { inProcess: { OUTBOX_DIR: outbox } });
  } finally {
    fs.rmSync(outbox, { recursive: true, force: true });
  }
}

async function closeOnce(world: KeptBank['world'], db: FaultDb): Promise<void> {
  const QUARTER = world.quarter;
  const BRANCHES = world.branches;
  const VISITS = world.visitsPerQuarter;
  const port = db.port;
  const g = { bankId: world.bankId };
  const { closeQuarter } = await import('../server/publishing/service');
  const { startAppWorkers } = await import('../server/jobs');
  const { Job } = await import('../server/platform/jobs/model');
  const { Report, ReportFile } = await import('../server/publishing/model');
  const { threadsFor } = await import('../server/publishing/render-pool');
  let peakNode = 0;
  let peakFerret = 0;
  const phases = new Map<string, number>();
  const peakByPhase = new Map<string, number>();
  const started = Date.now();
  const admin = { id: 'bench', email: 'bench@localhost', name: 'bench', role: 'admin' as const };
  const fpid = ferretPid(port);
  const cpu0 = { app: cpuSeconds(process.pid), db: cpuSeconds(fpid) };
  const load: number[] = [];
  const queued = await closeQuarter(admin, String(g.bankId), QUARTER);
  const workers = startAppWorkers({ pollMs: 100, mail: false });
  let lastLog = 0;
  for (;;) {
    const rss = process.memoryUsage().rss / 2 ** 20;
    peakNode = Math.max(peakNode, rss);
    peakFerret = Math.max(peakFerret, ferretRssMB(port));
    const job = await Job.findById(queued.jobId).lean();
    const phase = job?.progress?.phase ?? 'queued';
    peakByPhase.set(phase, Math.max(peakByPhase.get(phase) ?? 0, rss));
    if (!phases.has(phase)) phases.set(phase, Date.now() - started);
    if (Date.now() - lastLog > 15_000) {
      lastLog = Date.now();
      load.push(os.loadavg()[0]);
      log(
        `  ${phase} ${job?.progress?.done ?? 0}/${job?.progress?.total ?? 0}, ${((Date.now() - started) / 1000).toFixed(0)} s, node ${peakNode.toFixed(0)} MB, ferretdb ${peakFerret.toFixed(0)} MB`,
      );
    }
    if (job?.status === 'done' || job?.status === 'failed') break;
    await new Promise((r) => setTimeout(r, 250));
  }
  const total = (Date.now() - started) / 1000;
  const cpu = { app: cpuSeconds(process.pid) - cpu0.app, db: cpuSeconds(fpid) - cpu0.db };
  await workers.stop();
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
    `A bank of ${BRANCHES.toLocaleString('en')} branches in ${REGIONS} regions with ${VISITS.toLocaleString('en')} counted visits in each of ${world.quarters.join(', ')} (16 items, comments; bench/large-bank), on a fresh copy of the kept database; one close of ${QUARTER} by the in-process worker: snapshot from the kept statistics plus one read of the quarter's visits, then ${files.map((f) => `${f.n.toLocaleString('en')} ${f._id}`).join(', ')} PDFs (${(files.reduce((s, f) => s + f.bytes, 0) / 2 ** 20).toFixed(0)} MB, bank report ${(Number(bankFile?.size ?? 0) / 2 ** 20).toFixed(1)} MB) rendered on ${threads ? `${threads} worker threads` : "the close's own thread"} and stored in GridFS.`,
    '',
    '| step | wall time |',
    '|---|---|',
    `| snapshot (kept statistics, one read of the quarter's visits, spilled for the branch reports) | ${(at('render') - at('snapshot')).toFixed(0)} s |`,
    `| render and store all PDFs | ${renderS.toFixed(0)} s (${(branchFiles / Math.max(1, renderS)).toFixed(1)} branch reports/s overall) |`,
    `| **whole close** | **${(total / 60).toFixed(1)} min** (target < 3 min: ${total < 180 ? 'met' : '**not met**'}) |`,
    '',
    `CPU time used by the close: app process ${cpu.app.toFixed(0)} s (all its threads), FerretDB ${cpu.db.toFixed(0)} s. Peak resident memory: app process **${peakNode.toFixed(0)} MB** (render threads included; target < 600 MB: ${peakNode < 600 ? 'met' : '**not met**'}), FerretDB ${peakFerret.toFixed(0)} MB (sampled every 250 ms; app peak per phase: ${[...peakByPhase].map(([p, mb]) => `${p} ${mb.toFixed(0)} MB`).join(', ')}). The machine was shared with other work: 1-minute load average ${load.length ? `${Math.min(...load).toFixed(1)}–${Math.max(...load).toFixed(1)}` : os.loadavg()[0].toFixed(1)} on ${os.availableParallelism()} CPUs during the close.`,
  ].join('\n');
  log(`\n${body}\n`);
  if (WRITE_FILE) writeBenchSection(body, HEADING, insidePdfReports);
}

/** The first time, the section goes at the end of the PDF reports' section (or of the file). */
function insidePdfReports(doc: string): number {
  const parent = doc.indexOf('## PDF reports');
  if (parent < 0) return -1;
  const after = doc.slice(parent + 3).search(/\n## /);
  return after < 0 ? -1 : parent + 3 + after;
}

runBench(main);
