import { listBanks } from '../banks/service';
import type { Principal } from '../platform/access';
import { findJob } from '../platform/jobs/queue';
import type { Workers } from '../platform/jobs/worker';
import { hasDeliveries, listDeliveries } from '../platform/mail/outbox';
import { Report } from './model';
import { closeQuarter, resendReport } from './service';

/**
 * The `close-quarter` and `resend-report` commands. The command runs the workers itself while it
 * waits (the app's workers, started by the caller's `startWorkers`: server/cli.ts hands it the job
 * registry's), so it works with or without an app running; with one running, whoever holds the
 * lease does the work and the command just follows the progress.
 */
const OPERATOR: Principal = { id: 'cli', email: 'cli@localhost', name: 'command line', role: 'admin' };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Out {
  out: (s: string) => void;
  err: (s: string) => void;
  tty: boolean;
}

/** Starts the background workers the command runs while it waits. */
export type StartWorkers = () => Workers;

export function progressBar(phase: string, done: number, total: number, width = 30): string {
  const share = total > 0 ? Math.min(1, done / total) : 0;
  const filled = Math.round(share * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${String(Math.round(share * 100)).padStart(3)}% ${phase} ${done}/${total}`;
}

async function followJob(jobId: string, io: Out): Promise<void> {
  let last = '';
  for (;;) {
    const job = await findJob(jobId);
    if (!job) throw new Error(`job ${jobId} disappeared`);
    const line = progressBar(job.progress?.phase ?? 'queued', job.progress?.done ?? 0, job.progress?.total ?? 0);
    if (line !== last) {
      // On a terminal the bar redraws in place; in a log, one line per change.
      io.err(io.tty ? `\r${line}` : `${line}\n`);
      last = line;
    }
    if (job.status === 'done' || job.status === 'failed') {
      if (io.tty) io.err('\n');
      return;
    }
    await sleep(250);
  }
}

/** Waits until the report's e-mails are no longer on their way (sent or given up), within a limit. */
async function followDeliveries(reportId: string, io: Out, limitMs: number): Promise<void> {
  const deadline = Date.now() + limitMs;
  while (Date.now() < deadline && (await hasDeliveries(reportId, { in: ['pending', 'sending'] }, 0))) await sleep(250);
  const list = await listDeliveries(reportId);
  for (const d of list) io.out(`  ${d.recipient.padEnd(36)} ${d.status}${d.lastError ? ` (${d.lastError})` : ''}\n`);
}

async function withWorkers<T>(startWorkers: StartWorkers, fn: (w: Workers) => Promise<T>): Promise<T> {
  const workers = startWorkers();
  try {
    return await fn(workers);
  } finally {
    await workers.stop();
  }
}

export async function closeQuarterCommand(
  bankCode: string | undefined,
  quarter: string | undefined,
  io: Out,
  startWorkers: StartWorkers,
): Promise<number> {
  if (!bankCode || !quarter) {
    io.err('Usage: close-quarter <bankCode> <quarter>   e.g. close-quarter JNCB 2026-Q3\n');
    return 2;
  }
  const bank = (await listBanks(OPERATOR)).find((b) => b.code === bankCode);
  if (!bank) {
    io.err(`No bank with code "${bankCode}".\n`);
    return 2;
  }
  const queued = await closeQuarter(OPERATOR, bank.id, quarter);
  io.err(`Closing ${quarter} of ${bank.name}: report ${queued.reportId}\n`);
  return withWorkers(startWorkers, async () => {
    await followJob(queued.jobId, io);
    const report = await Report.findById(queued.reportId).lean();
    if (report?.status !== 'ready') {
      io.err(`The close failed: ${report?.error ?? (await findJob(queued.jobId))?.lastError ?? 'unknown error'}\n`);
      return 1;
    }
    io.out(`Report ${queued.reportId}: version ${report.version}, ${report.fileCount} PDF files.\nE-mails:\n`);
    await followDeliveries(queued.reportId, io, 120_000);
    return 0;
  });
}

export async function resendReportCommand(
  reportId: string | undefined,
  io: Out,
  startWorkers: StartWorkers,
): Promise<number> {
  if (!reportId) {
    io.err('Usage: resend-report <reportId>\n');
    return 2;
  }
  const list = await resendReport(OPERATOR, reportId, {});
  io.err(`Re-sending report ${reportId} to ${list.length} recipients\n`);
  return withWorkers(startWorkers, async () => {
    await followDeliveries(reportId, io, 120_000);
    return (await hasDeliveries(reportId, { not: 'sent' })) ? 1 : 0;
  });
}
