import { branchNames } from '../banks/lookups';
import { Types } from 'mongoose';
import { requireRole, type Principal } from '../platform/access';
import { upsertAllOrNothing, validateRows, type ImportResult, type RowError } from '../platform/db/bulk-import';
import { config } from '../platform/config';
import { NotFoundError, ValidationError, type ErrorDetail } from '../platform/errors';
import { readTabular } from '../platform/tabular';
import { afterCursor, pageLimit, timeCursor, toPage, type Page } from '../platform/http/paging';
import { Bank, Branch } from '../banks/model';
import { User } from '../users/model';
import { Visit } from '../visits/model';
import { findBankQuestionnaire } from '../questionnaires/service';
import { Assignment, type AssignmentLean } from './model';
import {
  ASSIGNMENT_COLUMNS,
  assignmentRow,
  type AssignmentState,
  type CreateAssignmentInput,
  type ListAssignmentsQuery,
} from './schema';

export interface AssignmentView {
  id: string;
  bankId: string;
  branchCode: string;
  branchName: string;
  region: string;
  auditorId: string;
  questionnaireId: string;
  quarter: string;
  windowStart: string;
  windowEnd: string;
  scenario: string;
  visitId?: string;
  visitStatus?: string;
}

function view(a: AssignmentLean, branchName: string, visit?: { id: string; status: string }): AssignmentView {
  return {
    id: String(a._id),
    bankId: String(a.bankId),
    branchCode: a.branchCode,
    branchName,
    region: a.region,
    auditorId: String(a.auditorId),
    questionnaireId: String(a.questionnaireId),
    quarter: a.quarter,
    windowStart: a.windowStart.toISOString(),
    windowEnd: a.windowEnd.toISOString(),
    scenario: a.scenario,
    ...(visit ? { visitId: visit.id, visitStatus: visit.status } : {}),
  };
}

/** Branch names (cached briefly) and visits are looked up in batches (no $lookup on FerretDB). */
async function views(rows: AssignmentLean[]): Promise<AssignmentView[]> {
  if (rows.length === 0) return [];
  const names = await branchNames(rows.map((r) => ({ bankId: String(r.bankId), code: r.branchCode })));
  // The visit itself is the truth about "started" (one visit per assignment, by a unique index).
  const visits = await Visit.find(
    { assignmentId: { $in: rows.map((r) => r._id) } },
    { assignmentId: 1, status: 1 },
  ).lean();
  const byAssignment = new Map(visits.map((v) => [String(v.assignmentId), { id: String(v._id), status: v.status }]));
  return rows.map((r) =>
    view(r, names.get(`${String(r.bankId)}|${r.branchCode}`) ?? r.branchCode, byAssignment.get(String(r._id))),
  );
}

/** Checks every reference of a new assignment, reporting all broken ones at once. */
async function resolveRefs(input: CreateAssignmentInput): Promise<{ region: string; branchName: string }> {
  const details: ErrorDetail[] = [];
  const bank = await Bank.exists({ _id: input.bankId });
  if (!bank) details.push({ field: 'bankId', message: 'no such bank' });
  const branch = bank ? await Branch.findOne({ bankId: input.bankId, code: input.branchCode }).lean() : null;
  if (bank && !branch) details.push({ field: 'branchCode', message: `no branch "${input.branchCode}" in this bank` });
  const auditor = await User.exists({ _id: input.auditorId, role: 'auditor', active: true });
  if (!auditor) details.push({ field: 'auditorId', message: 'no active user with role auditor' });
  if (bank && !(await findBankQuestionnaire(input.bankId, input.questionnaireId))) {
    details.push({ field: 'questionnaireId', message: 'no questionnaire of this bank' });
  }
  if (details.length || !branch) throw new ValidationError(details);
  return { region: branch.region, branchName: branch.name };
}

export async function createAssignment(actor: Principal, input: CreateAssignmentInput): Promise<AssignmentView> {
  const { region, branchName } = await resolveRefs(input);
  const doc = await Assignment.create({
    ...input,
    region,
    windowStart: new Date(input.windowStart),
    windowEnd: new Date(input.windowEnd),
    createdBy: actor.id,
  });
  // A new assignment has no visit yet, so the batch lookup of visits (a full scan on FerretDB) is skipped.
  return view(doc.toObject(), branchName);
}

/** Auditors see their own assignments only; admins see all, filtered. */
/** Earliest window first, one page at a time (see platform/http/paging). */
export async function listAssignmentsFor(
  p: Principal,
  query: ListAssignmentsQuery = {},
): Promise<Page<AssignmentView>> {
  const filter: Record<string, unknown> = {};
  if (query.bankId) filter.bankId = query.bankId;
  if (query.quarter) filter.quarter = query.quarter;
  if (p.role === 'auditor') filter.auditorId = p.id;
  else if (query.auditorId) filter.auditorId = query.auditorId;
  const rows = await Assignment.find({ $and: [filter, afterCursor('windowStart', 1, query.cursor)] })
    .sort({ windowStart: 1, _id: 1 })
    .limit(pageLimit(query.limit))
    .lean();
  return toPage(rows, query.limit, (a) => timeCursor(a.windowStart, a._id), views);
}

/** Up to this many visit-derived ids go into the query itself; beyond, the assignments are streamed and picked. */
export const STATE_ID_LIST_MAX = 1000;

/**
 * The admin's list: newest window first, at most `limit` rows (`more` says whether rows were left
 * off). The visit is the truth about the state, so a state filter first asks the visits which
 * assignments are in it (FerretDB has no $lookup). A short list of those ids goes into the query; a
 * long one (a bank with 100,000 visits) would make a query of megabytes, so then the assignments are
 * streamed newest first and picked against the set until the page is full.
 */
export async function listRecentAssignments(
  p: Principal,
  query: { bankId?: string; state?: AssignmentState },
  limit: number,
): Promise<{ rows: AssignmentView[]; more: boolean }> {
  requireRole(p, ['admin']);
  const filter: Record<string, unknown> = {};
  if (query.bankId) filter.bankId = query.bankId;
  let keep: ((a: AssignmentLean) => boolean) | undefined;
  if (query.state) {
    const visitFilter: Record<string, unknown> = query.bankId ? { bankId: query.bankId } : {};
    if (query.state !== 'not_started') visitFilter.status = query.state;
    const ids = (await Visit.find(visitFilter, { assignmentId: 1 }).lean()).map((v) => v.assignmentId);
    const started = query.state !== 'not_started';
    if (ids.length <= STATE_ID_LIST_MAX) {
      filter._id = started ? { $in: ids } : { $nin: ids };
    } else {
      const set = new Set(ids.map(String));
      keep = (a) => set.has(String(a._id)) === started;
    }
  }
  const rows: AssignmentLean[] = [];
  const found = Assignment.find(filter).sort({ windowStart: -1, _id: -1 });
  const cursor = (keep ? found : found.limit(limit + 1)).lean<AssignmentLean[]>().cursor({ batchSize: 500 });
  try {
    for await (const a of cursor) {
      if (keep && !keep(a)) continue;
      rows.push(a);
      if (rows.length > limit) break;
    }
  } finally {
    await cursor.close();
  }
  return { rows: await views(rows.slice(0, limit)), more: rows.length > limit };
}

/** One assignment: the owning auditor or an admin; anyone else gets 404. */
export async function getAssignment(p: Principal, id: string): Promise<AssignmentView> {
  const a = Types.ObjectId.isValid(id) ? await Assignment.findById(id).lean() : null;
  if (!a || (p.role !== 'admin' && String(a.auditorId) !== p.id)) throw new NotFoundError('Assignment');
  return (await views([a]))[0];
}

/**
 * Bulk creation from CSV/XLSX: bankId and questionnaireId come as query parameters (one file is one
 * bank's round on one questionnaire); each row names branchCode and auditorEmail. All rows or none.
 */
export async function importAssignments(
  actor: Principal,
  target: { bankId: string; questionnaireId: string },
  file: Buffer,
): Promise<ImportResult> {
  await assertImportTarget(target);
  const rows = await readTabular(file, ASSIGNMENT_COLUMNS, config().IMPORT_MAX_ROWS);
  const { valid, errors } = validateRows(
    rows,
    assignmentRow,
    (r) => `${r.branchCode}|${r.auditorEmail}|${r.windowStart}|${r.windowEnd}`,
  );
  const branches = new Map(
    (await Branch.find({ bankId: target.bankId }, { code: 1, region: 1 }).lean()).map((b) => [b.code, b.region]),
  );
  const auditors = new Map(
    (
      await User.find(
        { email: { $in: valid.map((v) => v.value.auditorEmail) }, role: 'auditor', active: true },
        { email: 1 },
      ).lean()
    ).map((u) => [u.email, String(u._id)]),
  );
  const rowErrors: RowError[] = [...errors];
  for (const { row, value } of valid) {
    if (!branches.has(value.branchCode))
      rowErrors.push({ row, message: `branchCode: no branch "${value.branchCode}" in this bank` });
    if (!auditors.has(value.auditorEmail))
      rowErrors.push({ row, message: `auditorEmail: no active auditor "${value.auditorEmail}"` });
  }
  if (rowErrors.length)
    return { created: 0, updated: 0, errors: rowErrors.sort((a, b) => a.row - b.row), rejected: true };
  const bankOid = new Types.ObjectId(target.bankId);
  const result = await upsertAllOrNothing(
    Assignment,
    valid.map(({ value }) => ({
      // Fresh ids make every upsert an insert, so the shared all-or-nothing rollback applies unchanged.
      filter: { _id: new Types.ObjectId() },
      set: {
        bankId: bankOid,
        branchCode: value.branchCode,
        region: branches.get(value.branchCode) as string,
        auditorId: new Types.ObjectId(auditors.get(value.auditorEmail)),
        questionnaireId: new Types.ObjectId(target.questionnaireId),
        quarter: value.quarter,
        windowStart: new Date(value.windowStart),
        windowEnd: new Date(value.windowEnd),
        scenario: value.scenario,
        createdBy: new Types.ObjectId(actor.id),
      },
    })),
  );
  return { ...result, errors: [], rejected: false };
}

async function assertImportTarget(target: { bankId: string; questionnaireId: string }): Promise<void> {
  if (!(await Bank.exists({ _id: target.bankId })))
    throw new ValidationError([{ field: 'bankId', message: 'no such bank' }]);
  if (!(await findBankQuestionnaire(target.bankId, target.questionnaireId))) {
    throw new ValidationError([{ field: 'questionnaireId', message: 'no questionnaire of this bank' }]);
  }
}

// ---- for questionnaires
/** The questionnaires an auditor's own assignments use (what an auditor may read of them). */
export async function questionnaireIdsAssignedTo(auditorId: string): Promise<string[]> {
  const ids = await Assignment.distinct('questionnaireId', { auditorId });
  return ids.map(String);
}

// ---- for results

/** The branches (per bank) that have an assignment in a quarter. */
export async function plannedBranches(quarter: string): Promise<{ bankId: string; branchCode: string }[]> {
  const rows = await Assignment.aggregate<{ _id: { bankId: unknown; branchCode: string } }>([
    { $match: { quarter } },
    { $group: { _id: { bankId: '$bankId', branchCode: '$branchCode' } } },
  ]);
  return rows.map((r) => ({ bankId: String(r._id.bankId), branchCode: r._id.branchCode }));
}
