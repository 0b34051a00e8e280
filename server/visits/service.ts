import { Types } from 'mongoose';
import { canSeeBranch, isBankRole, scopeFilter, type Principal } from '../platform/access';
import { now } from '../platform/clock';
import { ConflictError, NotFoundError, ValidationError, type ErrorDetail } from '../platform/errors';
import { afterCursor, pageLimit, timeCursor, toPage, type Page, type PageQuery } from '../platform/http/paging';
import { Assignment, type AssignmentLean } from '../assignments/model';
import { branchStaff } from '../banks/lookups';
import { getLatest, toScoringSections } from '../questionnaires/service';
import { answerErrors, missingRequired, type AnswerValue, type ScoringSection } from '../rules/scoring';
import { Visit, VisitWriteClaim } from './model';
import { type VisitStatus } from './types';
import type { CreateVisitInput, ListVisitsQuery, ReviewVisitInput, UpdateVisitInput } from './schema';
import {
  assertStatus,
  commit,
  derive,
  historyEntry,
  insertVisit,
  loadVisit,
  quarterOf,
  rememberVisit,
  sectionsOf,
  unconfirmed,
  withOwnVisit,
} from './store';
import {
  COUNTED_STATUSES,
  EDITABLE,
  type Change,
  type StoredAnswer,
  type StoredStaff,
  type StoredVisit,
} from './types';
import { toVisitView, toVisitViews, viewContext, type VisitView } from './view';

/** Bank users see results only once the audit firm has approved them. */
const BANK_VISIBLE: readonly VisitStatus[] = ['approved', 'disputed'];

type AnswerInput = { itemKey: string; value: string | number; comment?: string };
type StaffInput = { employeeId?: string; description?: string };

/** Answers against the visit's questionnaire version and staff against the branch's staff list; every error at once. */
async function checkContent(
  sections: ScoringSection[],
  where: { bankId: string; branchCode: string },
  answers: AnswerInput[] | undefined,
  staff: StaffInput[] | undefined,
): Promise<{ answers?: StoredAnswer[]; staff?: StoredStaff[] }> {
  const details: ErrorDetail[] = answers ? answerErrors(sections, answers) : [];
  let resolved: StoredStaff[] | undefined;
  if (staff) {
    const ids = staff.flatMap((s) => (s.employeeId ? [s.employeeId] : []));
    const known = ids.length ? await branchStaff(where.bankId, where.branchCode, ids) : new Map<string, string>();
    staff.forEach((s, i) => {
      if (s.employeeId && !known.has(s.employeeId))
        details.push({
          field: `staff.${i}.employeeId`,
          message: `no staff member "${s.employeeId}" at branch ${where.branchCode}`,
        });
    });
    resolved = staff.map((s) => ({
      ...(s.employeeId ? { employeeId: s.employeeId, name: known.get(s.employeeId) } : {}),
      ...(s.description ? { description: s.description } : {}),
    }));
  }
  if (details.length) throw new ValidationError(details);
  return {
    answers: answers?.map((a) => ({
      itemKey: a.itemKey,
      value: a.value as AnswerValue,
      ...(a.comment ? { comment: a.comment } : {}),
    })),
    staff: resolved,
  };
}

interface Editable {
  visitedAt: Date | null;
  durationMinutes: number | null;
  staff: StoredStaff[];
  answers: StoredAnswer[];
  summary: string | null;
}
const EMPTY: Editable = { visitedAt: null, durationMinutes: null, staff: [], answers: [], summary: null };

/** What changed, field by field; answers per item so the history reads "g1: no → yes". */
function diff(before: Editable, after: Editable): Change[] {
  const out: Change[] = [];
  const t = (d: Date | null) => (d ? d.toISOString() : null);
  if (t(before.visitedAt) !== t(after.visitedAt))
    out.push({ field: 'visitedAt', before: t(before.visitedAt), after: t(after.visitedAt) });
  if (before.durationMinutes !== after.durationMinutes)
    out.push({ field: 'durationMinutes', before: before.durationMinutes, after: after.durationMinutes });
  const staffJson = (s: StoredStaff[]) =>
    JSON.stringify(s.map((x) => ({ employeeId: x.employeeId ?? null, description: x.description ?? null })));
  if (staffJson(before.staff) !== staffJson(after.staff))
    out.push({ field: 'staff', before: before.staff, after: after.staff });
  const prev = new Map(before.answers.map((a) => [a.itemKey, a]));
  const next = new Map(after.answers.map((a) => [a.itemKey, a]));
  for (const key of new Set([...next.keys(), ...prev.keys()])) {
    const b = prev.get(key);
    const a = next.get(key);
    if ((b?.value ?? null) !== (a?.value ?? null))
      out.push({ field: `answers.${key}`, before: b?.value ?? null, after: a?.value ?? null });
    if ((b?.comment ?? null) !== (a?.comment ?? null))
      out.push({ field: `answers.${key}.comment`, before: b?.comment ?? null, after: a?.comment ?? null });
  }
  if ((before.summary ?? null) !== (after.summary ?? null))
    out.push({ field: 'summary', before: before.summary, after: after.summary });
  return out;
}

async function viewOne(v: StoredVisit, p: Principal): Promise<VisitView> {
  return toVisitView(v, p, await viewContext([v], p));
}

/**
 * Starts the visit of the auditor's own assignment, as a draft on the questionnaire's latest version.
 * With an Idempotency-Key the key is stored on the visit itself, so a retry after a crash between the
 * insert and the response finds the visit instead of creating a second one. The earlier visit is
 * looked for only once the insert has been refused by a unique index (assignment, or auditor and key):
 * that look-up is a scan on FerretDB, and a retry is the rare case.
 */
export async function createVisit(p: Principal, input: CreateVisitInput, idempotencyKey?: string): Promise<VisitView> {
  // Looked up by _id alone and checked here: FerretDB scans the whole collection for any other filter.
  const assignment = await Assignment.collection.findOne<AssignmentLean>({
    _id: new Types.ObjectId(input.assignmentId),
  });
  if (!assignment || String(assignment.auditorId) !== p.id) throw new NotFoundError('Assignment');
  const version = await latestVersionOf(String(assignment.questionnaireId));
  const bankId = String(assignment.bankId);
  const content = await checkContent(
    version.sections,
    { bankId, branchCode: assignment.branchCode },
    input.answers,
    input.staff,
  );
  const _id = new Types.ObjectId();
  const facts = {
    _id,
    assignmentId: assignment._id,
    visitedAt: new Date(input.visitedAt),
    durationMinutes: input.durationMinutes,
    answers: content.answers ?? [],
    attachments: [],
    staff: content.staff ?? [],
    summary: input.summary ?? null,
  };
  const changes = [{ field: 'status', before: null, after: 'draft' }, ...diff(EMPTY, facts)];
  const at = now();
  try {
    const visit = await insertVisit({
      ...facts,
      ...(await derive(facts, version.sections, at, assignment)),
      bankId: assignment.bankId,
      branchCode: assignment.branchCode,
      region: assignment.region,
      auditorId: assignment.auditorId,
      questionnaireId: assignment.questionnaireId,
      questionnaireVersion: version.version,
      quarter: await quarterOf(facts.visitedAt, bankId),
      staffIds: facts.staff.flatMap((s) => (s.employeeId ? [s.employeeId] : [])),
      status: 'draft',
      rev: 0,
      idempotencyKey: idempotencyKey ?? `auto:${String(_id)}`,
      history: [historyEntry(p, 'created', changes)],
      createdAt: at,
      updatedAt: at,
    });
    return viewOne(rememberVisit(visit), p);
  } catch (e) {
    // The unique index on the visit's assignmentId is what decides "this assignment already has a visit".
    if ((e as { code?: number }).code !== 11000) throw e;
    const again = idempotencyKey ? await replay(p, input.assignmentId, idempotencyKey) : undefined;
    if (again) return again;
    const other = await Visit.findOne({ assignmentId: assignment._id }, { _id: 1 }).lean();
    throw visitExists(other ? String(other._id) : undefined);
  }
}

/** The version a new visit is filled on, as the questionnaire service defines it. */
async function latestVersionOf(questionnaireId: string): Promise<{ version: number; sections: ScoringSection[] }> {
  try {
    const latest = await getLatest(questionnaireId);
    return { version: latest.version, sections: toScoringSections(latest) };
  } catch (e) {
    if (!(e instanceof NotFoundError)) throw e;
    throw new ValidationError([
      { field: 'assignmentId', message: 'the questionnaire of this assignment has no version' },
    ]);
  }
}

function visitExists(visitId?: string): ConflictError {
  return new ConflictError('This assignment already has a visit', 'visit_exists', [
    { field: 'assignmentId', message: 'already has a visit', ...(visitId ? { visitId } : {}) },
  ]);
}

async function replay(p: Principal, assignmentId: string, key: string): Promise<VisitView | undefined> {
  const v = await Visit.findOne({ auditorId: p.id, idempotencyKey: key }).lean<StoredVisit>();
  if (!v) return undefined;
  if (String(v.assignmentId) !== assignmentId)
    throw new ConflictError('This Idempotency-Key was used for another visit', 'idempotency_key_reused');
  return viewOne(v, p);
}

/** The owner edits a draft or returned visit; scores and flags follow every change. */
export async function updateVisit(p: Principal, id: string, input: UpdateVisitInput): Promise<VisitView> {
  return withOwnVisit(p.id, id, (v, kept) => applyUpdate(p, v, input, kept));
}

async function applyUpdate(p: Principal, v: StoredVisit, input: UpdateVisitInput, kept: boolean): Promise<VisitView> {
  assertStatus(v, EDITABLE, 'edited');
  if (input.rev !== undefined && input.rev !== v.rev)
    throw new ConflictError('The visit was changed meanwhile; reload it and try again', 'conflict');
  const sections = await sectionsOf(v);
  const content = await checkContent(
    sections,
    { bankId: String(v.bankId), branchCode: v.branchCode },
    input.answers,
    input.staff,
  );
  const before: Editable = {
    visitedAt: v.visitedAt,
    durationMinutes: v.durationMinutes,
    staff: v.staff,
    answers: v.answers,
    summary: v.summary ?? null,
  };
  const after: Editable = {
    visitedAt: input.visitedAt ? new Date(input.visitedAt) : v.visitedAt,
    durationMinutes: input.durationMinutes ?? v.durationMinutes,
    staff: content.staff ?? v.staff,
    answers: content.answers ?? v.answers,
    summary: input.summary !== undefined ? input.summary : (v.summary ?? null),
  };
  const changes = diff(before, after);
  if (changes.length === 0) {
    // Equal to a kept copy is not equal to the stored visit, which another instance may have changed.
    if (kept) throw unconfirmed();
    return viewOne(v, p);
  }
  const quarter = await quarterOf(after.visitedAt as Date, String(v.bankId));
  if (quarter !== v.quarter) changes.push({ field: 'quarter', before: v.quarter, after: quarter });
  const facts = {
    ...v,
    visitedAt: after.visitedAt as Date,
    durationMinutes: after.durationMinutes as number,
    answers: after.answers,
  };
  const updated = await commit(v, {
    statuses: EDITABLE,
    ownerId: p.id,
    entry: historyEntry(p, 'updated', changes),
    set: {
      visitedAt: facts.visitedAt,
      durationMinutes: facts.durationMinutes,
      staff: after.staff,
      answers: after.answers,
      summary: after.summary,
      quarter,
      staffIds: after.staff.flatMap((s) => (s.employeeId ? [s.employeeId] : [])),
      ...(await derive(facts, sections)),
    },
  });
  return viewOne(updated, p);
}

/** Submission needs every required item answered; the 422 lists each missing one. */
export async function submitVisit(p: Principal, id: string): Promise<VisitView> {
  return withOwnVisit(p.id, id, (v) => applySubmit(p, v));
}

async function applySubmit(p: Principal, v: StoredVisit): Promise<VisitView> {
  assertStatus(v, EDITABLE, 'submitted');
  const sections = await sectionsOf(v);
  const missing = missingRequired(
    sections,
    v.answers.map((a) => ({ itemKey: a.itemKey, value: a.value })),
  );
  if (missing.length) {
    throw new ValidationError(
      missing.map((m) => ({
        field: 'answers',
        itemKey: m.itemKey,
        sectionKey: m.sectionKey,
        message: `required item "${m.itemKey}" is not answered`,
      })),
      'Every required item must be answered before submitting',
      'required_items_missing',
    );
  }
  const at = now();
  const firstSubmittedAt = v.firstSubmittedAt ?? at;
  const updated = await commit(v, {
    statuses: EDITABLE,
    ownerId: p.id,
    entry: historyEntry(p, 'submitted', [{ field: 'status', before: v.status, after: 'submitted' }]),
    set: {
      status: 'submitted',
      submittedAt: at,
      firstSubmittedAt,
      ...(await derive({ ...v, firstSubmittedAt }, sections, at)),
    },
  });
  return viewOne(updated, p);
}

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
  return viewOne(updated, p);
}

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
  return viewOne(await loadVisibleVisit(p, id), p);
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

// ---- the stored shape of a visit and its statuses, for other features
export {
  COUNTED_STATUSES,
  EDITABLE,
  VISIT_STATUSES,
  type Change,
  type HistoryEntry,
  type StoredAnswer,
  type StoredAttachment,
  type StoredStaff,
  type StoredVisit,
  type VisitStatus,
} from './types';

// ---- for the demo seed
export { addAttachment } from './attachments';
/** How many visits there are per quarter and status (the seed's summary). */
export async function countVisitsByQuarterAndStatus(): Promise<Map<string, Map<string, number>>> {
  const out = new Map<string, Map<string, number>>();
  for (const v of await Visit.find({}, { quarter: 1, status: 1 }).lean()) {
    const q = out.get(v.quarter) ?? new Map<string, number>();
    q.set(v.status, (q.get(v.status) ?? 0) + 1);
    out.set(v.quarter, q);
  }
  return out;
}

// ---- for stats
const STATS_FIELDS = {
  rev: 1,
  status: 1,
  bankId: 1,
  quarter: 1,
  branchCode: 1,
  region: 1,
  auditorId: 1,
  staffIds: 1,
  answers: 1,
  scores: 1,
  violations: 1,
  questionnaireId: 1,
  questionnaireVersion: 1,
} as const;
export type VisitForStats = Pick<StoredVisit, '_id' | keyof typeof STATS_FIELDS>;

/** What the statistics need of one visit, as it is now. */
export async function visitForStats(id: string): Promise<VisitForStats | null> {
  return Visit.findById(id, STATS_FIELDS).lean<VisitForStats>();
}

// ---- for results (also used by hr and actions)

/**
 * The counted (approved or disputed) visits of a bank in some quarters, streamed with only the
 * fields of `projection` (the rest of each document is absent despite the type).
 */
export function countedVisitsOf(
  bankId: string,
  quarters: readonly string[],
  projection: Readonly<Record<string, 1>>,
  batchSize = 1000,
): AsyncIterable<StoredVisit> {
  const quarter = quarters.length === 1 ? quarters[0] : { $in: quarters };
  return Visit.find({ bankId, quarter, status: { $in: COUNTED_STATUSES } }, projection)
    .lean<StoredVisit[]>()
    .cursor({ batchSize });
}

/** The counted visits of one branch in a quarter, by visit time (the results' last drill-down step). */
export async function countedBranchVisits(
  bankId: string,
  quarter: string,
  branchCode: string,
): Promise<Pick<StoredVisit, '_id' | 'visitedAt' | 'status' | 'scores' | 'violations'>[]> {
  return Visit.find(
    { bankId, quarter, branchCode, status: { $in: COUNTED_STATUSES } },
    { visitedAt: 1, status: 1, 'scores.total': 1, violations: 1 },
  )
    .sort({ visitedAt: 1 })
    .lean<StoredVisit[]>();
}

/** How many visits of a quarter each bank has in each status. */
export async function visitCountsByStatus(
  quarter: string,
): Promise<{ bankId: string; status: VisitStatus; n: number }[]> {
  const rows = await Visit.aggregate<{ _id: { bankId: unknown; status: VisitStatus }; n: number }>([
    { $match: { quarter } },
    { $group: { _id: { bankId: '$bankId', status: '$status' }, n: { $sum: 1 } } },
  ]);
  return rows.map((r) => ({ bankId: String(r._id.bankId), status: r._id.status, n: r.n }));
}

/** The branches (per bank) with at least one counted visit in a quarter. */
export async function countedVisitBranches(quarter: string): Promise<{ bankId: string; branchCode: string }[]> {
  const rows = await Visit.aggregate<{ _id: { bankId: unknown; branchCode: string } }>([
    { $match: { quarter, status: { $in: COUNTED_STATUSES } } },
    { $group: { _id: { bankId: '$bankId', branchCode: '$branchCode' } } },
  ]);
  return rows.map((r) => ({ bankId: String(r._id.bankId), branchCode: r._id.branchCode }));
}

/** The staff identified in each of some visits (one list per visit found). */
export async function staffIdsOfVisits(visitIds: readonly string[]): Promise<string[][]> {
  if (visitIds.length === 0) return [];
  const visits = await Visit.find({ _id: { $in: visitIds } }, { staffIds: 1 }).lean();
  return visits.map((v) => v.staffIds ?? []);
}

// ---- for disputes: a dispute's decision is committed to its visit like any other visit change

export { assertStatus, commit, historyEntry, loadVisit } from './store';

// ---- for publishing (the job registry's housekeeping)

/** A visit write claim only guards its own revision during one request (see VisitWriteClaim): kept a day. */
export async function purgeOldWriteClaims(now = new Date()): Promise<number> {
  const r = await VisitWriteClaim.deleteMany({ at: { $lt: new Date(now.getTime() - 86400_000) } });
  return r.deletedCount;
}

/**
 * The counted visits of a bank's quarter with the given fields, streamed (a large bank's quarter has
 * 100,000 visits); no principal: the quarter close has its own rights.
 */
export function countedVisitsOfQuarter<K extends keyof StoredVisit>(
  bankId: string,
  quarter: string,
  fields: Readonly<Record<K, 1>>,
): AsyncIterable<Pick<StoredVisit, K | '_id'>> {
  return Visit.find({ bankId, quarter, status: { $in: COUNTED_STATUSES } }, fields)
    .lean<Pick<StoredVisit, K | '_id'>[]>()
    .cursor({ batchSize: 500 }) as AsyncIterable<Pick<StoredVisit, K | '_id'>>;
}
