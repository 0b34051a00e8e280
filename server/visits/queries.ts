import type { Types } from 'mongoose';
import { canSeeBranch, isBankRole, requireRole, scopeFilter, type Principal } from '../platform/access';
import { NotFoundError } from '../platform/errors';
import { afterCursor, pageLimit, timeCursor, toPage, type Page } from '../platform/http/paging';
import { Visit } from './model';
import type { ListVisitsQuery } from './schema';
import { loadVisit } from './store';
import type { StoredVisit, VisitStatus } from './types';
import { toVisitViews, viewOf, type VisitView } from './view';

/** Who may see which visit, and reading visits: one, or a list one page at a time. */

/** Bank users see results only once the audit firm has approved them. */
const BANK_VISIBLE: readonly VisitStatus[] = ['approved', 'disputed'];

/** Whether the caller may see this visit at all (owner, firm staff, bank users in scope once approved). */
export function canSeeVisit(p: Principal, v: StoredVisit): boolean {
  if (p.role === 'admin' || p.role === 'reviewer') return true;
  if (p.role === 'auditor') return String(v.auditorId) === p.id;
  if (isBankRole(p.role)) {
    return (
      BANK_VISIBLE.includes(v.status) &&
      canSeeBranch(p, { bankId: String(v.bankId), code: v.branchCode, region: v.region })
    );
  }
  return false;
}

export async function loadVisibleVisit(p: Principal, id: string): Promise<StoredVisit> {
  const v = await loadVisit(id);
  if (!v || !canSeeVisit(p, v)) throw new NotFoundError('Visit');
  return v;
}

export async function getVisit(p: Principal, id: string): Promise<VisitView> {
  return viewOf(await loadVisibleVisit(p, id), p);
}

/** The list filter that mirrors canSeeVisit, so a list never shows what a single read would refuse. */
function visibleFilter(p: Principal): Record<string, unknown> {
  if (p.role === 'admin' || p.role === 'reviewer') return {};
  if (p.role === 'auditor') return { auditorId: p.id };
  if (isBankRole(p.role)) return { ...scopeFilter(p), status: { $in: BANK_VISIBLE } };
  return { _id: { $in: [] } };
}

/** Newest visit first, one page at a time (see platform/http/paging). */
export async function listVisits(p: Principal, query: ListVisitsQuery = {}): Promise<Page<VisitView>> {
  const wanted: Record<string, unknown> = {};
  if (query.bankId) wanted.bankId = query.bankId;
  if (query.quarter) wanted.quarter = query.quarter;
  if (query.status) wanted.status = query.status;
  if (query.branchCode) wanted.branchCode = query.branchCode;
  const rows = await Visit.find({ $and: [visibleFilter(p), wanted, afterCursor('visitedAt', -1, query.cursor)] })
    .sort({ visitedAt: -1, _id: -1 })
    .limit(pageLimit(query.limit))
    .lean<StoredVisit[]>();
  return toPage(
    rows,
    query.limit,
    (v) => timeCursor(v.visitedAt, v._id),
    (kept) => toVisitViews(kept, p),
  );
}

/** Whether the visit holds this evidence file (housekeeping keeps the file of a stale upload note then). */
export async function holdsEvidenceFile(visitId: string, fileId: Types.ObjectId): Promise<boolean> {
  return Boolean(await Visit.exists({ _id: visitId, 'attachments.fileId': fileId }));
}

/** A bank's quarter as the close wizard checks it: visits per status, and the branches with a counted visit (admin). */
export async function quarterProgress(
  p: Principal,
  bankId: string,
  quarter: string,
): Promise<{ byStatus: Record<string, number>; countedBranches: string[] }> {
  requireRole(p, ['admin']);
  const rows = await Visit.find({ bankId, quarter }, { status: 1, branchCode: 1 }).lean();
  const byStatus: Record<string, number> = {};
  const counted = new Set<string>();
  for (const v of rows) {
    byStatus[v.status] = (byStatus[v.status] ?? 0) + 1;
    if (v.status === 'approved' || v.status === 'disputed') counted.add(v.branchCode);
  }
  return { byStatus, countedBranches: [...counted].sort() };
}
