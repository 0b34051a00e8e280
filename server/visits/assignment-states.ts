import { Types } from 'mongoose';
import {
  getAssignment,
  listAssignmentsFor,
  recentAssignments,
  type AssignmentIdFilter,
  type AssignmentView,
  type ListAssignmentsQuery,
} from '../assignments/service';
import { requireRole, type Principal } from '../platform/access';
import type { Page } from '../platform/http/paging';
import { Visit } from './model';
import { VISIT_STATUSES } from './types';

/**
 * Assignments with their visits. The visit is the truth about "started" (one visit per assignment, by
 * a unique index), and visits build on assignments — so an assignment is shown with its visit here,
 * on the visits' side, and the assignments know nothing of visits.
 */

/** "Not started" or a visit status: what the admin's assignment page filters by. */
export const ASSIGNMENT_STATES = ['not_started', ...VISIT_STATUSES] as const;
export type AssignmentState = (typeof ASSIGNMENT_STATES)[number];

/** Each assignment with its visit's id and status, where it has one; the visits are read in one batch. */
export async function withVisits(rows: AssignmentView[]): Promise<AssignmentView[]> {
  if (rows.length === 0) return rows;
  const visits = await Visit.find(
    { assignmentId: { $in: rows.map((r) => new Types.ObjectId(r.id)) } },
    { assignmentId: 1, status: 1 },
  ).lean();
  const byAssignment = new Map(visits.map((v) => [String(v.assignmentId), { id: String(v._id), status: v.status }]));
  return rows.map((r) => {
    const visit = byAssignment.get(r.id);
    return visit ? { ...r, visitId: visit.id, visitStatus: visit.status } : r;
  });
}

/** The assignments the caller sees (see listAssignmentsFor), each with its visit. */
export async function listAssignmentsWithVisits(
  p: Principal,
  query: ListAssignmentsQuery = {},
): Promise<Page<AssignmentView>> {
  const page = await listAssignmentsFor(p, query);
  return { ...page, rows: await withVisits(page.rows) };
}

export async function getAssignmentWithVisit(p: Principal, id: string): Promise<AssignmentView> {
  return (await withVisits([await getAssignment(p, id)]))[0];
}

/** The assignments in a state: those whose visit has that status, or (not started) those without a visit. */
async function assignmentsInState(bankId: string | undefined, state: AssignmentState): Promise<AssignmentIdFilter> {
  const filter: Record<string, unknown> = bankId ? { bankId } : {};
  if (state !== 'not_started') filter.status = state;
  const ids = (await Visit.find(filter, { assignmentId: 1 }).lean()).map((v) => v.assignmentId);
  return { ids, among: state !== 'not_started' };
}

/** The admin's list, newest window first (see recentAssignments), filtered by state and shown with visits. */
export async function listRecentAssignments(
  p: Principal,
  query: { bankId?: string; state?: AssignmentState; cursor?: string },
  limit: number,
): Promise<{ rows: AssignmentView[]; more: boolean; next?: string }> {
  requireRole(p, ['admin']);
  const only = query.state ? await assignmentsInState(query.bankId, query.state) : undefined;
  const page = await recentAssignments(p, { bankId: query.bankId, only, cursor: query.cursor }, limit);
  return { ...page, rows: await withVisits(page.rows) };
}
