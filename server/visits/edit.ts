import { Types } from 'mongoose';
import { assignmentForVisit, assignmentWindow } from '../assignments/service';
import type { Principal } from '../platform/access';
import { now } from '../platform/clock';
import { unlessDuplicate } from '../platform/db/duplicate-key';
import { ConflictError, NotFoundError, ValidationError } from '../platform/errors';
import { getLatest, toScoringSections } from '../questionnaires/service';
import { evidenceMissing, missingRequired, type ScoringSection } from '../rules/scoring';
import { checkContent, diff, EMPTY, type Editable } from './content';
import { Visit } from './model';
import { assertInWindow, assertStatus, derive, historyEntry, sectionsOf } from './rules';
import type { CreateVisitInput, UpdateVisitInput } from './schema';
import { outsideWindow } from './flags';
import { commit, insertVisit, rememberVisit, unconfirmed, withOwnVisit } from './store';
import { EDITABLE, type StoredVisit } from './types';
import { viewOf, type VisitView } from './view';

/** The auditor's side of a visit: start it on an assignment, edit it while it is a draft or returned, submit it. */

/**
 * Starts the visit of the auditor's own assignment, as a draft on the questionnaire's latest version.
 * With an Idempotency-Key the key is stored on the visit itself, so a retry after a crash between the
 * insert and the response finds the visit instead of creating a second one. The earlier visit is
 * looked for only once the insert has been refused by a unique index (assignment, or auditor and key):
 * the insert alone decides, and a retry is the rare case that pays for the look-up.
 */
export async function createVisit(p: Principal, input: CreateVisitInput, idempotencyKey?: string): Promise<VisitView> {
  // Looked up by _id alone; the owner is checked here.
  const assignment = await assignmentForVisit(input.assignmentId);
  if (!assignment || String(assignment.auditorId) !== p.id) throw new NotFoundError('Assignment');
  assertInWindow(new Date(input.visitedAt), assignment, input.confirmOutsideWindow);
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
  const changes = [
    { field: 'status', before: null, after: 'draft' },
    ...diff(EMPTY, facts),
    ...confirmation(facts.visitedAt, assignment),
  ];
  const at = now();
  const derived = await derive(facts, version.sections, at);
  const quarter = assignment.quarter;
  const inserted = await unlessDuplicate(
    () =>
      insertVisit({
        ...facts,
        ...derived,
        bankId: assignment.bankId,
        branchCode: assignment.branchCode,
        region: assignment.region,
        auditorId: assignment.auditorId,
        questionnaireId: assignment.questionnaireId,
        questionnaireVersion: version.version,
        quarter,
        staffIds: facts.staff.flatMap((s) => (s.employeeId ? [s.employeeId] : [])),
        status: 'draft',
        rev: 0,
        idempotencyKey: idempotencyKey ?? `auto:${String(_id)}`,
        history: [historyEntry(p, 'created', changes)],
        createdAt: at,
        updatedAt: at,
      }),
    () => null,
  );
  if (inserted) return viewOf(rememberVisit(inserted), p);
  // The unique index on the visit's assignmentId is what decides "this assignment already has a visit".
  const again = idempotencyKey ? await replay(p, input.assignmentId, idempotencyKey) : undefined;
  if (again) return again;
  const other = await Visit.findOne({ assignmentId: assignment._id }, { _id: 1 }).lean();
  throw visitExists(other ? String(other._id) : undefined);
}

/** The auditor's confirmation of a time outside the window, kept in the history beside the time itself. */
function confirmation(visitedAt: Date, window: { windowStart: Date; windowEnd: Date }) {
  return outsideWindow(visitedAt, window) ? [{ field: 'outsideWindowConfirmed', before: null, after: true }] : [];
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
  return viewOf(v, p);
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
    return viewOf(v, p);
  }
  if (input.visitedAt && (after.visitedAt as Date).getTime() !== v.visitedAt.getTime()) {
    const window = await assignmentWindow(v.assignmentId);
    if (window) {
      assertInWindow(after.visitedAt as Date, window, input.confirmOutsideWindow);
      changes.push(...confirmation(after.visitedAt as Date, window));
    }
  }
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
      staffIds: after.staff.flatMap((s) => (s.employeeId ? [s.employeeId] : [])),
      ...(await derive(facts, sections)),
    },
  });
  return viewOf(updated, p);
}

function assertComplete(sections: ScoringSection[], v: StoredVisit): void {
  const answers = v.answers.map((a) => ({ itemKey: a.itemKey, value: a.value }));
  const missing = missingRequired(sections, answers);
  const evidenced = new Set(v.attachments.flatMap((a) => (!a.removedAt && a.itemKey ? [a.itemKey] : [])));
  const noEvidence = evidenceMissing(sections, answers, evidenced);
  if (missing.length === 0 && noEvidence.length === 0) return;
  throw new ValidationError(
    [
      ...missing.map((m) => ({
        field: 'answers',
        missing: 'answer',
        itemKey: m.itemKey,
        sectionKey: m.sectionKey,
        message: `required item "${m.itemKey}" is not answered`,
      })),
      ...noEvidence.map((m) => ({
        field: 'attachments',
        missing: 'evidence',
        itemKey: m.itemKey,
        sectionKey: m.sectionKey,
        message: `item "${m.itemKey}" failed: attach evidence naming it (itemKey) before submitting`,
      })),
    ],
    missing.length
      ? 'Every required item must be answered (and failed items that need evidence given it) before submitting'
      : 'Failed items that need evidence must have an attachment naming them before submitting',
    missing.length ? 'required_items_missing' : 'evidence_missing',
  );
}

/**
 * Submission needs every required (and shown) item answered, and evidence for every failed
 * evidence-on-failure item; the 422 lists each missing answer and each missing piece of evidence.
 */
export async function submitVisit(p: Principal, id: string): Promise<VisitView> {
  return withOwnVisit(p.id, id, (v) => applySubmit(p, v));
}

async function applySubmit(p: Principal, v: StoredVisit): Promise<VisitView> {
  assertStatus(v, EDITABLE, 'submitted');
  const sections = await sectionsOf(v);
  assertComplete(sections, v);
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
  return viewOf(updated, p);
}
