import { isBankRole, type Principal } from '../platform/access';
import { branchNames } from '../banks/service';
import { auditorCodesOf } from '../users/service';
import type { AnswerValue } from '../rules/scoring';
import type { Flag } from './flags';
import { extensionOf } from '../evidence/sniff';
import { locationView, type LocationView } from './locations';
import type { Change, StoredAttachment, StoredVisit } from './types';

/** The visit JSON of API.md. Bank users get `auditorCode` (a pseudonym) instead of any auditor id. */
export interface AttachmentView {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  itemKey?: string;
  uploadedAt: string;
  removedAt?: string;
  capturedAt?: string;
  gps?: { lat: number; lng: number };
}
export interface HistoryView {
  at: string;
  by: string | null;
  role: string;
  action: string;
  changes: Change[];
  note?: string;
}
export interface VisitView {
  id: string;
  assignmentId: string;
  bankId: string;
  branchCode: string;
  branchName: string;
  region: string;
  auditorId?: string;
  auditorCode: string | null;
  questionnaireId: string;
  questionnaireVersion: number;
  quarter: string;
  visitedAt: string;
  durationMinutes: number;
  staff: { employeeId?: string; name?: string; description?: string }[];
  answers: { itemKey: string; value: AnswerValue; comment?: string }[];
  summary: string | null;
  status: string;
  scores: { sections: Record<string, number | null>; total: number | null };
  violations: { itemKey: string; sectionKey: string }[];
  flags: Flag[];
  attachments: AttachmentView[];
  /** Arrive / leave records (SPEC §9): for the audit firm and the auditor, never for bank users. */
  locations?: LocationView[];
  history: HistoryView[];
  reviewNote: string | null;
  submittedAt: string | null;
  approvedAt: string | null;
  rev: number;
  createdAt: string;
  updatedAt: string;
}

export interface ViewContext {
  auditorCodes: Map<string, string>;
  branchNames: Map<string, string>;
}

const iso = (d?: Date | null) => (d ? new Date(d).toISOString() : null);

/**
 * Names and pseudonyms for a batch of visits. The viewer's own pseudonym comes with the principal, and
 * branch names from a short-lived cache, so an auditor's single-visit response costs no extra query.
 */
export async function viewContext(visits: StoredVisit[], viewer?: Principal): Promise<ViewContext> {
  const auditorIds = [...new Set(visits.map((v) => String(v.auditorId)))];
  const known = viewer?.auditorCode !== undefined && auditorIds.length === 1 && auditorIds[0] === viewer.id;
  const auditorCodes = known ? new Map([[viewer.id, viewer.auditorCode ?? '']]) : await auditorCodesOf(auditorIds);
  const pairs = new Map(
    visits.map((v) => [`${String(v.bankId)}|${v.branchCode}`, { bankId: String(v.bankId), code: v.branchCode }]),
  );
  return {
    auditorCodes,
    branchNames: await branchNames([...pairs.values()]),
  };
}

export function toVisitView(v: StoredVisit, viewer: Principal, ctx: ViewContext): VisitView {
  const bankUser = isBankRole(viewer.role);
  const firmStaff = viewer.role === 'admin' || viewer.role === 'reviewer';
  const auditorId = String(v.auditorId);
  const auditorCode = ctx.auditorCodes.get(auditorId) || null;
  return {
    id: String(v._id),
    assignmentId: String(v.assignmentId),
    bankId: String(v.bankId),
    branchCode: v.branchCode,
    branchName: ctx.branchNames.get(`${String(v.bankId)}|${v.branchCode}`) ?? v.branchCode,
    region: v.region,
    ...(bankUser ? {} : { auditorId }),
    auditorCode,
    questionnaireId: String(v.questionnaireId),
    questionnaireVersion: v.questionnaireVersion,
    quarter: v.quarter,
    visitedAt: new Date(v.visitedAt).toISOString(),
    durationMinutes: v.durationMinutes,
    staff: v.staff.map((s) => ({
      ...(s.employeeId ? { employeeId: s.employeeId } : {}),
      ...(s.name ? { name: s.name } : {}),
      ...(s.description ? { description: s.description } : {}),
    })),
    answers: v.answers.map((a) => ({
      itemKey: a.itemKey,
      value: a.value,
      ...(a.comment ? { comment: a.comment } : {}),
    })),
    summary: v.summary ?? null,
    status: v.status,
    scores: { sections: { ...v.scores.sections }, total: v.scores.total ?? null },
    violations: v.violations.map((x) => ({ itemKey: x.itemKey, sectionKey: x.sectionKey })),
    // Which other visits share a file is for the audit firm's quality control only.
    flags: v.flags.map((f) => ({
      code: f.code,
      message: f.message,
      ...(firmStaff && f.visitIds?.length ? { visitIds: f.visitIds } : {}),
    })),
    attachments: v.attachments.filter((a) => !(bankUser && a.removedAt)).map((a) => attachmentView(v, a, viewer)),
    ...(bankUser || !v.locations?.length ? {} : { locations: v.locations.map(locationView) }),
    history: v.history.map((h) => ({
      at: new Date(h.at).toISOString(),
      // The auditor's own entries would reveal the auditor: bank users see the pseudonym instead.
      by: h.by ? (bankUser && String(h.by) === auditorId ? auditorCode : String(h.by)) : null,
      role: h.role,
      action: h.action,
      changes: bankUser ? (h.changes ?? []).map((c) => neutralChange(v, c)) : (h.changes ?? []),
      ...(h.note ? { note: h.note } : {}),
    })),
    reviewNote: v.reviewNote ?? null,
    submittedAt: iso(v.submittedAt),
    approvedAt: iso(v.approvedAt),
    rev: v.rev,
    createdAt: iso(v.createdAt) as string,
    updatedAt: iso(v.updatedAt) as string,
  };
}

/**
 * Bank users get the file without its metadata and under a neutral name (SPEC §9), so they see
 * neither the capture facts nor the auditor's file name; the GPS is for the audit firm's staff.
 */
function attachmentView(v: StoredVisit, a: StoredAttachment, viewer: Principal): AttachmentView {
  const bankUser = isBankRole(viewer.role);
  const firmStaff = viewer.role === 'admin' || viewer.role === 'reviewer';
  return {
    id: String(a._id),
    filename: bankUser ? neutralName(v, a) : a.filename,
    contentType: a.contentType,
    size: a.size,
    sha256: a.sha256,
    uploadedAt: new Date(a.uploadedAt).toISOString(),
    ...(a.removedAt ? { removedAt: new Date(a.removedAt).toISOString() } : {}),
    ...(a.itemKey ? { itemKey: a.itemKey } : {}),
    ...(a.capturedAt && !bankUser ? { capturedAt: new Date(a.capturedAt).toISOString() } : {}),
    ...(a.gps && firmStaff ? { gps: { lat: a.gps.lat, lng: a.gps.lng } } : {}),
  };
}

/** "evidence-3.jpg": the file's place on the visit (attachments are never deleted, so it is stable). */
export function neutralName(
  v: Pick<StoredVisit, 'attachments'>,
  a: Pick<StoredAttachment, '_id' | 'contentType'>,
): string {
  const n = v.attachments.findIndex((x) => String(x._id) === String(a._id)) + 1;
  return `evidence-${n}.${extensionOf(a.contentType)}`;
}

/** A history entry of an added file names it as the bank user's download does; a position is not shown. */
function neutralChange(v: StoredVisit, c: Change): Change {
  if (c.field === 'locations' && c.after && typeof c.after === 'object')
    return { ...c, after: { kind: (c.after as { kind?: string }).kind } };
  if (c.field !== 'attachments' || !c.after || typeof c.after !== 'object') return c;
  const after = c.after as { id?: string; filename?: string };
  const a = v.attachments.find((x) => String(x._id) === after.id);
  return { ...c, after: { ...after, filename: a ? neutralName(v, a) : 'evidence' } };
}

/** One visit as the viewer may see it. */
export async function viewOf(v: StoredVisit, viewer: Principal): Promise<VisitView> {
  return toVisitView(v, viewer, await viewContext([v], viewer));
}

export async function toVisitViews(visits: StoredVisit[], viewer: Principal): Promise<VisitView[]> {
  const ctx = await viewContext(visits, viewer);
  return visits.map((v) => toVisitView(v, viewer, ctx));
}
