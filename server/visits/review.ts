import * as audit from '../audit/service';
import { Types } from 'mongoose';
import type { Principal } from '../platform/access';
import { now } from '../platform/clock';
import { NotFoundError } from '../platform/errors';
import { afterCursor, pageLimit, timeCursor, toPage, type Page, type PageQuery } from '../platform/http/paging';
import { Visit } from './model';
import { assertStatus, historyEntry } from './rules';
import type { ReviewVisitInput } from './schema';
import { commit, loadVisit } from './store';
import type { Change, StoredVisit, VisitStatus } from './types';
import { toVisitViews, viewOf, type VisitView } from './view';

/** The reviewer's side: the queue of submitted visits, and approving or returning one. */

/** The reviewer approves a submitted visit or returns it to the auditor with a note. */
export async function reviewVisit(p: Principal, id: string, input: ReviewVisitInput): Promise<VisitView> {
  const v = await loadVisit(id);
  if (!v) throw new NotFoundError('Visit');
  assertStatus(v, ['submitted'], 'reviewed');
  const approve = input.decision === 'approve';
  const status: VisitStatus = approve ? 'approved' : 'returned';
  const changes: Change[] = [{ field: 'status', before: v.status, after: status }];
  if ((v.reviewNote ?? null) !== (input.note ?? null))
    changes.push({ field: 'reviewNote', before: v.reviewNote ?? null, after: input.note ?? null });
  const updated = await commit(v, {
    statuses: ['submitted'],
    entry: historyEntry(p, approve ? 'approved' : 'returned', changes, input.note),
    set: {
      status,
      reviewNote: input.note ?? null,
      reviewedBy: new Types.ObjectId(p.id),
      ...(approve ? { approvedAt: now() } : {}),
    },
  });
  await audit.record({
    action: 'visit.reviewed',
    actor: audit.auditActor(p),
    target: { type: 'visit', id, label: `${v.branchCode} ${v.quarter}` },
    bankId: String(v.bankId),
    before: { status: v.status },
    after: { status, decision: input.decision },
    ...(input.note ? { note: input.note } : {}),
  });
  return viewOf(updated, p);
}

export interface QueueRow {
  id: string;
  bankId: string;
  branchCode: string;
  branchName: string;
  region: string;
  auditorId: string;
  auditorCode: string | null;
  quarter: string;
  visitedAt: string;
  submittedAt: string | null;
  resubmitted: boolean;
  total: number | null;
  flags: VisitView['flags'];
  attachmentCount: number;
}

/** Submitted visits, oldest submission first, with what a reviewer triages on; one page at a time. */
export async function reviewQueue(p: Principal, query: PageQuery = {}): Promise<Page<QueueRow>> {
  const rows = await Visit.find({ $and: [{ status: 'submitted' }, afterCursor('submittedAt', 1, query.cursor)] })
    .sort({ submittedAt: 1, _id: 1 })
    .limit(pageLimit(query.limit))
    .lean<StoredVisit[]>();
  return toPage(
    rows,
    query.limit,
    (v) => timeCursor(v.submittedAt as Date, v._id),
    (kept) => queueRows(p, kept),
  );
}

async function queueRows(p: Principal, rows: StoredVisit[]): Promise<QueueRow[]> {
  const views = await toVisitViews(rows, p);
  return views.map((v, i) => ({
    id: v.id,
    bankId: v.bankId,
    branchCode: v.branchCode,
    branchName: v.branchName,
    region: v.region,
    auditorId: v.auditorId as string,
    auditorCode: v.auditorCode,
    quarter: v.quarter,
    visitedAt: v.visitedAt,
    submittedAt: v.submittedAt,
    resubmitted: rows[i].history.some((h) => h.action === 'returned'),
    total: v.scores.total,
    flags: v.flags,
    attachmentCount: v.attachments.filter((a) => !a.removedAt).length,
  }));
}
