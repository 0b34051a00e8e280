import * as audit from '../audit/service';
import { Types } from 'mongoose';
import { getBank } from '../banks/service';
import { assertBankVisible, isBankRole, requireRole, scopeFilter, type Principal } from '../platform/access';
import { NotFoundError, ValidationError } from '../platform/errors';
import { enqueue, progressOf, recentJobs } from '../platform/jobs/queue';
import { listDeliveries, resend, type DeliveryView } from '../platform/mail/outbox';
import { CLOSE_JOB, closeKey, ensureReport } from './close';
import { correctionKey, pendingCorrections } from './corrections';
import { contentDisposition, fileName } from './files';
import { REPORT_MAIL } from './mail-content';
import { Report, ReportFile, type ReportStatus } from './model';
import { closeParams, SCOPE_PATTERN, type ListReportsQuery, type ResendInput } from './schema';
import { openBlob } from './storage';
import { bankOrNull, SYSTEM } from './system';

/** Closing quarters and reading reports. Files are cut to the caller's scope with scopeFilter. */
export const CLOSE_ROLES = ['admin'] as const;
export const REPORT_ROLES = ['admin', 'bank_manager'] as const;

export interface ReportFileView {
  scope: string;
  url: string;
  kind: string;
  name: string;
  size: number;
  sha256: string;
}

export interface ReportView {
  id: string;
  bankId: string;
  quarter: string;
  version: number;
  status: ReportStatus;
  createdAt: Date;
  readyAt?: Date;
  supersededBy: string | null;
  /** The current version shows figures a later overturned dispute changed (in the caller's scope): re-issue it. */
  correctionPending: boolean;
  snapshot: {
    sha256: string;
    size: number;
    generatedAt: Date;
    n: number;
    branches: number;
    total: number | null;
  } | null;
  progress?: { phase: string; done: number; total: number };
  error?: string;
  files: ReportFileView[];
}

/**
 * Queues the close of a quarter. While one is queued or running for the bank and quarter, asking
 * again returns that one (never two at once); after it finished, a new close issues version N+1.
 * A new close wakes this process's worker at once (the queue does), so it need not wait for a poll.
 */
export async function closeQuarter(
  p: Principal,
  bankId: string,
  quarter: string,
): Promise<{ reportId: string; status: ReportStatus; jobId: string }> {
  requireRole(p, CLOSE_ROLES);
  const parsed = closeParams.safeParse({ bankId, quarter });
  if (!parsed.success) {
    if (!Types.ObjectId.isValid(bankId)) throw new NotFoundError('Bank');
    throw new ValidationError([{ field: 'quarter', message: 'must look like 2026-Q3' }]);
  }
  await getBank(SYSTEM, bankId); // 404 when there is no such bank
  const reportId = new Types.ObjectId();
  const { job } = await enqueue({
    type: CLOSE_JOB,
    key: closeKey(bankId, quarter),
    payload: { bankId, quarter, reportId: String(reportId) },
    createdBy: p.id,
  });
  const report = await ensureReport(job);
  const version = (report as { version?: number }).version ?? 1;
  await audit.record({
    action: version > 1 ? 'report.reissued' : 'quarter.closed',
    actor: audit.auditActor(p),
    target: { type: 'report', id: String(report._id), label: `${quarter} v${version}` },
    bankId,
    after: { quarter, version, jobId: String(job._id) },
  });
  return { reportId: String(report._id), status: report.status as ReportStatus, jobId: String(job._id) };
}

type LeanReport = NonNullable<Awaited<ReturnType<typeof loadVisibleReport>>>;

async function loadVisibleReport(p: Principal, id: string) {
  requireRole(p, REPORT_ROLES);
  if (!Types.ObjectId.isValid(id)) throw new NotFoundError('Report');
  const report = await Report.findById(id).lean();
  if (!report) throw new NotFoundError('Report');
  assertBankVisible(p, String(report.bankId), 'Report');
  return report;
}

/** The caller's cut of a report's files: bank scope all, a region its region and branch files, branches their own. */
function fileFilter(p: Principal, reportIds: unknown[]): Record<string, unknown> {
  return { reportId: { $in: reportIds }, ...scopeFilter(p, 'branchCode', 'region') };
}

const fileUrl = (reportId: string, scope: string) => `/api/v1/reports/${reportId}/files/${encodeURIComponent(scope)}`;

async function views(p: Principal, reports: LeanReport[], withFiles = true): Promise<ReportView[]> {
  if (reports.length === 0) return [];
  const files = withFiles
    ? await ReportFile.find(
        fileFilter(
          p,
          reports.map((r) => r._id),
        ),
        { reportId: 1, scope: 1, kind: 1, name: 1, size: 1, sha256: 1 },
      )
        .sort({ kind: 1, scope: 1 })
        .lean()
    : [];
  const byReport = new Map<string, ReportFileView[]>();
  for (const f of files) {
    const id = String(f.reportId);
    const list = byReport.get(id) ?? [];
    list.push({
      scope: f.scope,
      url: fileUrl(id, f.scope),
      kind: f.kind,
      name: f.name,
      size: f.size,
      sha256: f.sha256,
    });
    byReport.set(id, list);
  }
  const admin = !isBankRole(p.role);
  const progress = admin ? await progressOf(reports.map((r) => r.jobId).filter(Boolean)) : new Map();
  const corrections = await pendingCorrections(
    p,
    reports.map((r) => ({ bankId: String(r.bankId), quarter: r.quarter })),
  );
  const order = { bank: 0, region: 1, branch: 2 } as Record<string, number>;
  return reports.map((r) => {
    const id = String(r._id);
    const pr = r.jobId ? progress.get(String(r.jobId)) : undefined;
    return {
      id,
      bankId: String(r.bankId),
      quarter: r.quarter,
      version: r.version,
      status: r.status as ReportStatus,
      createdAt: r.createdAt,
      ...(r.readyAt ? { readyAt: r.readyAt } : {}),
      supersededBy: r.supersededBy ? String(r.supersededBy) : null,
      correctionPending:
        !r.supersededBy && r.status === 'ready' && corrections.has(correctionKey(String(r.bankId), r.quarter)),
      snapshot: r.snapshot
        ? {
            sha256: r.snapshot.sha256,
            size: r.snapshot.size,
            generatedAt: r.snapshot.generatedAt,
            n: r.snapshot.n,
            branches: r.snapshot.branches,
            total: r.snapshot.total ?? null,
          }
        : null,
      ...(admin && pr && r.status === 'pending'
        ? { progress: { phase: pr.phase ?? 'queued', done: pr.done ?? 0, total: pr.total ?? 0 } }
        : {}),
      ...(admin && r.error ? { error: r.error } : {}),
      files: (byReport.get(id) ?? []).sort(
        (a, b) => (order[a.kind] ?? 3) - (order[b.kind] ?? 3) || (a.scope < b.scope ? -1 : 1),
      ),
    };
  });
}

export async function listReports(p: Principal, q: ListReportsQuery): Promise<ReportView[]> {
  requireRole(p, REPORT_ROLES);
  const bankId = q.bankId ?? (isBankRole(p.role) ? p.bankId : undefined);
  if (bankId) assertBankVisible(p, bankId, 'Bank');
  const filter: Record<string, unknown> = {};
  if (bankId) filter.bankId = bankId;
  if (q.quarter) filter.quarter = q.quarter;
  const reports = await Report.find(filter).sort({ quarter: -1, version: -1 }).limit(200).lean();
  const list = await views(p, reports);
  // A bank user sees only reports that have something for them; pending and failed ones have nothing yet.
  return isBankRole(p.role) ? list.filter((r) => r.files.length > 0) : list;
}

/** Reports without their file lists (a large bank's report has one file per branch), for the admin overview. */
export async function reportSummaries(
  p: Principal,
  q: ListReportsQuery,
): Promise<(ReportView & { fileCount: number })[]> {
  requireRole(p, CLOSE_ROLES);
  const filter: Record<string, unknown> = {};
  if (q.bankId) filter.bankId = q.bankId;
  if (q.quarter) filter.quarter = q.quarter;
  const reports = await Report.find(filter).sort({ createdAt: -1 }).limit(100).lean();
  const list = await views(p, reports, false);
  return list.map((v, i) => ({ ...v, fileCount: reports[i].fileCount ?? 0 }));
}

export interface CloseJobView {
  id: string;
  bankId: string;
  quarter: string;
  reportId: string;
  status: string;
  phase: string;
  done: number;
  total: number;
  percent: number;
  attempts: number;
  lastError?: string;
  createdAt: Date;
  active: boolean;
}

/** The latest closes with their progress, for the admin page. */
export async function recentCloses(p: Principal, limit = 15): Promise<CloseJobView[]> {
  requireRole(p, CLOSE_ROLES);
  const jobs = await recentJobs(CLOSE_JOB, limit);
  return jobs.map((j) => {
    const payload = j.payload as { bankId: string; quarter: string; reportId: string };
    const done = j.progress?.done ?? 0;
    const total = j.progress?.total ?? 0;
    return {
      id: String(j._id),
      bankId: payload.bankId,
      quarter: payload.quarter,
      reportId: payload.reportId,
      status: j.status,
      phase: j.progress?.phase ?? 'queued',
      done,
      total,
      percent: total ? Math.floor((100 * done) / total) : 0,
      attempts: j.attempts,
      ...(j.lastError ? { lastError: j.lastError } : {}),
      createdAt: j.createdAt,
      active: j.status === 'queued' || j.status === 'running',
    };
  });
}

export async function getReport(p: Principal, id: string): Promise<ReportView> {
  const [view] = await views(p, [await loadVisibleReport(p, id)]);
  if (isBankRole(p.role) && view.files.length === 0) throw new NotFoundError('Report');
  return view;
}

export interface FileDownload {
  etag: string;
  disposition: string;
  size: number;
  open: () => NodeJS.ReadableStream;
}

export async function reportFile(p: Principal, id: string, scope: string): Promise<FileDownload> {
  const report = await loadVisibleReport(p, id);
  if (!SCOPE_PATTERN.test(scope)) throw new NotFoundError('Report file');
  const file = await ReportFile.findOne({ ...fileFilter(p, [report._id]), scope }).lean();
  if (!file) throw new NotFoundError('Report file');
  const bank = await bankOrNull(String(report.bankId));
  await audit.record({
    action: 'report.downloaded',
    actor: audit.auditActor(p),
    target: { type: 'report_file', id: String(report._id), label: `${report.quarter} v${report.version} ${scope}` },
    bankId: String(report.bankId),
  });
  return {
    etag: `"${file.sha256}"`,
    disposition: contentDisposition(fileName(bank ?? { code: 'bank', name: 'bank' }, report, file)),
    size: file.size,
    open: () => openBlob(file.fileId),
  };
}

export async function reportDeliveries(p: Principal, id: string): Promise<DeliveryView[]> {
  requireRole(p, CLOSE_ROLES);
  const report = await loadVisibleReport(p, id);
  return listDeliveries(report._id);
}

export async function resendReport(p: Principal, id: string, input: ResendInput): Promise<DeliveryView[]> {
  requireRole(p, CLOSE_ROLES);
  const report = await loadVisibleReport(p, id);
  if (report.status !== 'ready')
    throw new ValidationError(
      [{ field: 'reportId', message: 'the report is not ready yet' }],
      'The report is not ready',
      'report_not_ready',
    );
  const bank = await bankOrNull(String(report.bankId));
  const subject = { kind: REPORT_MAIL, id: report._id, bankId: report.bankId };
  const sent = await resend(subject, p.id, input.recipient, bank?.reportRecipients ?? []);
  await audit.record({
    action: 'report.resent',
    actor: audit.auditActor(p),
    target: { type: 'report', id: String(report._id), label: `${report.quarter} v${report.version}` },
    bankId: String(report.bankId),
    after: { recipient: input.recipient ?? 'every recipient' },
  });
  return sent;
}

// ---- for webhooks (no principal: the caller sends each bank's reports to that bank's endpoints only)

export interface PublishedReport {
  id: string;
  bankId: string;
  quarter: string;
  version: number;
  readyAt: Date;
}

/** Reports that became ready at or after `since`, oldest first (the report.published events). */
export async function reportsReadySince(since: Date, limit = 200): Promise<PublishedReport[]> {
  const rows = await Report.find(
    { status: 'ready', readyAt: { $gte: since } },
    { bankId: 1, quarter: 1, version: 1, readyAt: 1 },
  )
    .sort({ readyAt: 1, _id: 1 })
    .limit(limit)
    .lean();
  return rows.map((r) => ({
    id: String(r._id),
    bankId: String(r.bankId),
    quarter: r.quarter,
    version: r.version,
    readyAt: r.readyAt as Date,
  }));
}
