import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { configureFor, ensureLargeBank } from './large-bank/store';
import { DB_NAME, log, REGIONS } from './large-bank/settings';
import { relayoutStats } from './large-bank/relayout';

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
const ROOT = path.resolve(__dirname, '..');
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

function writeSection(body: string): void {
  const file = path.join(ROOT, 'BENCHMARKS.md');
  const current = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# Benchmarks\n';
  const start = current.indexOf(HEADING);
  let next: string;
  if (start === -1) {
    // Inside the PDF-reports section when it exists (it ends at the next second-level heading).
    const parent = current.indexOf('## PDF reports');
    if (parent === -1) next = `${current.trimEnd()}\n\n${body}\n`;
    else {
      const after = current.slice(parent + 3).search(/\n## /);
      const at = after === -1 ? current.length : parent + 3 + after;
      next = `${current.slice(0, at).trimEnd()}\n\n${body}\n${current.slice(at)}`;
    }
  } else {
    const rest = current.slice(start + HEADING.length);
    const end = rest.search(/\n##/);
    next = `${current.slice(0, start)}${body}${end === -1 ? '\n' : rest.slice(end)}`;
  }
  fs.writeFileSync(file, next);
}

async function main(): Promise<void> {
  const kept = await ensureLargeBank();
  const { world } = kept;
  const QUARTER = world.quarter;
  const BRANCHES = world.branches;
  const VISITS = world.visitsPerQuarter;
  const outbox = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-close-outbox-'));
  const { startFaultDb } = await import('../test/helpers/faults');
  const db = await startFaultDb({ copyFrom: kept.dataDir });
  await relayoutStats(db.uri());
  const port = db.port;
  await configureFor(db.uri(), { OUTBOX_DIR: outbox });
  try {
    await mongoose.connect(db.uri(), { dbName: DB_NAME });
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
    if (WRITE_FILE) writeSection(body);
  } finally {
    await mongoose.disconnect().catch(() => undefined);
    await db.dispose();
    fs.rmSync(outbox, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
