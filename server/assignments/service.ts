import * as audit from '../audit/service';
import { Types } from 'mongoose';
import { allBranches, branchNames, getBank, getBranch } from '../banks/service';
import { requireRole, type Principal } from '../platform/access';
import { BoundedCache } from '../platform/cache';
import { upsertAllOrNothing, validateRows, type ImportResult, type RowError } from '../platform/db/bulk-import';
import { config } from '../platform/config';
import { NotFoundError, ValidationError, type ErrorDetail } from '../platform/errors';
import { readTabular } from '../platform/tabular';
import { afterCursor, pageLimit, timeCursor, toPage, type Page } from '../platform/http/paging';
import { activeAuditorIdsByEmail, getUser } from '../users/service';
import { findBankQuestionnaire } from '../questionnaires/service';
import { Assignment, type AssignmentLean } from './model';
import { ASSIGNMENT_COLUMNS, assignmentRow, type CreateAssignmentInput, type ListAssignmentsQuery } from './schema';

/**
 * Assignments: an auditor sent to one branch, within a window, with a scenario. They know nothing
 * of visits — the visits feature builds on them, and shows each assignment with its visit
 * (visitId, visitStatus) where a caller needs that.
 */
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

function view(a: AssignmentLean, branchName: string): AssignmentView {
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
  };
}

/** Branch names (cached briefly by the banks) are looked up in one batch. */
async function views(rows: AssignmentLean[]): Promise<AssignmentView[]> {
  if (rows.length === 0) return [];
  const names = await branchNames(rows.map((r) => ({ bankId: String(r.bankId), code: r.branchCode })));
  return rows.map((r) => view(r, names.get(`${String(r.bankId)}|${r.branchCode}`) ?? r.branchCode));
}

/** Null where the referenced thing is not found. */
const orNull = (e: unknown): null => {
  if (e instanceof NotFoundError) return null;
  throw e;
};

/** Checks every reference of a new assignment, reporting all broken ones at once. */
async function resolveRefs(
  actor: Principal,
  input: CreateAssignmentInput,
): Promise<{ region: string; branchName: string }> {
  const details: ErrorDetail[] = [];
  const bank = await getBank(actor, input.bankId).catch(orNull);
  if (!bank) details.push({ field: 'bankId', message: 'no such bank' });
  const branch = bank ? await getBranch(actor, input.bankId, input.branchCode).catch(orNull) : null;
  if (bank && !branch) details.push({ field: 'branchCode', message: `no branch "${input.branchCode}" in this bank` });
  const auditor = await getUser(input.auditorId).catch(orNull);
  if (!auditor || auditor.role !== 'auditor' || !auditor.active)
    details.push({ field: 'auditorId', message: 'no active user with role auditor' });
  if (bank && !(await findBankQuestionnaire(input.bankId, input.questionnaireId))) {
    details.push({ field: 'questionnaireId', message: 'no questionnaire of this bank' });
  }
  if (details.length || !branch) throw new ValidationError(details);
  return { region: branch.region, branchName: branch.name };
}

export async function createAssignment(actor: Principal, input: CreateAssignmentInput): Promise<AssignmentView> {
  const { region, branchName } = await resolveRefs(actor, input);
  const doc = await Assignment.create({
    ...input,
    region,
    windowStart: new Date(input.windowStart),
    windowEnd: new Date(input.windowEnd),
    createdBy: actor.id,
  });
  const created = view(doc.toObject(), branchName);
  await audit.record({
    action: 'assignment.created',
    actor: audit.auditActor(actor),
    target: { type: 'assignment', id: created.id, label: `${input.branchCode} ${input.quarter}` },
    bankId: input.bankId,
    after: {
      branchCode: input.branchCode,
      auditorId: input.auditorId,
      quarter: input.quarter,
      windowStart: input.windowStart,
      windowEnd: input.windowEnd,
    },
  });
  return created;
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

/** Up to this many ids go into the query itself; beyond, the assignments are streamed and picked. */
export const STATE_ID_LIST_MAX = 1000;

/** Assignments kept by id: those among `ids` (`among: true`) or those not among them. */
export interface AssignmentIdFilter {
  ids: Types.ObjectId[];
  among: boolean;
}

/**
 * The admin's list: newest window first, at most `limit` rows (`more` says whether rows were left
 * off), optionally only the assignments among (or not among) some ids — the admin's state filter,
 * whose ids the visits feature finds. A short list of ids goes into the query; a long one (a bank
 * with 100,000 visits) would make a query of megabytes, so then the assignments are streamed newest
 * first and picked against the set until the page is full.
 */
export async function recentAssignments(
  p: Principal,
  query: { bankId?: string; only?: AssignmentIdFilter; cursor?: string },
  limit: number,
): Promise<{ rows: AssignmentView[]; more: boolean; next?: string }> {
  requireRole(p, ['admin']);
  const filter: Record<string, unknown> = {};
  if (query.bankId) filter.bankId = query.bankId;
  // The next page starts after the last row shown (newest window first), however the list grew meanwhile.
  const after = afterCursor('windowStart', -1, query.cursor);
  if (Object.keys(after).length) filter.$and = [after];
  let keep: ((a: AssignmentLean) => boolean) | undefined;
  if (query.only) {
    const { ids, among } = query.only;
    if (ids.length <= STATE_ID_LIST_MAX) {
      filter._id = among ? { $in: ids } : { $nin: ids };
    } else {
      const set = new Set(ids.map(String));
      keep = (a) => set.has(String(a._id)) === among;
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
  const shown = rows.slice(0, limit);
  const last = shown[shown.length - 1];
  const more = rows.length > limit;
  return { rows: await views(shown), more, ...(more && last ? { next: timeCursor(last.windowStart, last._id) } : {}) };
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
  const bank = await assertImportTarget(actor, target);
  // Date cells of an XLSX file are wall times without a zone: they are meant in the bank's.
  const rows = await readTabular(file, ASSIGNMENT_COLUMNS, config().IMPORT_MAX_ROWS, { timeZone: bank.timezone });
  const { valid, errors } = validateRows(
    rows,
    assignmentRow,
    (r) => `${r.branchCode}|${r.auditorEmail}|${r.windowStart}|${r.windowEnd}`,
  );
  const branches = new Map((await allBranches(actor, target.bankId)).map((b) => [b.code, b.region]));
  const auditors = await activeAuditorIdsByEmail(valid.map((v) => v.value.auditorEmail));
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
  await audit.record({
    action: 'assignment.imported',
    actor: audit.auditActor(actor),
    target: { type: 'assignment_import', label: `${valid.length} rows` },
    bankId: target.bankId,
    after: { questionnaireId: target.questionnaireId, created: result.created, updated: result.updated },
  });
  return { ...result, errors: [], rejected: false };
}

async function assertImportTarget(
  actor: Principal,
  target: { bankId: string; questionnaireId: string },
): Promise<{ timezone: string }> {
  const bank = await getBank(actor, target.bankId).catch(orNull);
  if (!bank) throw new ValidationError([{ field: 'bankId', message: 'no such bank' }]);
  if (!(await findBankQuestionnaire(target.bankId, target.questionnaireId))) {
    throw new ValidationError([{ field: 'questionnaireId', message: 'no questionnaire of this bank' }]);
  }
  return bank;
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

// ---- for visits: the assignment a visit is made on

export interface AssignmentWindow {
  windowStart: Date;
  windowEnd: Date;
}

const windowOf = (a: AssignmentWindow): AssignmentWindow => ({ windowStart: a.windowStart, windowEnd: a.windowEnd });

/** Assignments are never edited, so the window of a visit's assignment is read once per process. */
const windows = new BoundedCache<string, AssignmentWindow>({ limit: 20_000 });

/**
 * An assignment as stored, for the visit made on it (whose owner the visits feature checks).
 * Read by _id alone, the one filter every server answers from an index.
 */
export async function assignmentForVisit(id: string): Promise<AssignmentLean | null> {
  const a = await Assignment.collection.findOne<AssignmentLean>({ _id: new Types.ObjectId(id) });
  if (a) windows.set(String(a._id), windowOf(a));
  return a;
}

/** The window a visit is judged against (SPEC §4 flags); read on every visit write, so kept. */
export async function assignmentWindow(id: Types.ObjectId | string): Promise<AssignmentWindow | null> {
  const found = await windows.getOrLoad(String(id), async () => {
    const a = await Assignment.findById(id, { windowStart: 1, windowEnd: 1 }).lean();
    return a ? windowOf(a) : undefined;
  });
  return found ?? null;
}

export type { AssignmentLean } from './model';
export type { ListAssignmentsQuery } from './schema';

// ---- a branch moved to another region: its assignments carry the new region (a copy, for scope filters)
export async function retagRegion(bankId: string, branchCode: string, region: string): Promise<void> {
  await Assignment.updateMany({ bankId, branchCode, region: { $ne: region } }, { $set: { region } });
}
