import { Types } from 'mongoose';
import {
  assertBankVisible,
  canSeeBranch,
  requireRole,
  scopeFilter,
  type Principal,
  type Role,
} from '../platform/access';
import { NotFoundError } from '../platform/errors';
import type { AnswerValue } from '../rules/scoring';
import { loadVisibleVisit } from '../visits/service';
import { Dispute, DisputeAttachment, type Decision, type DisputeStatus } from './model';
import type { ListDisputesQuery } from './schema';
import { versionOf } from './versions';

/** Reading disputes: who may, the lists, and the view every answer about a dispute is given as. */
export const READERS: readonly Role[] = ['reviewer', 'admin', 'bank_manager'];

export interface DisputeAttachmentView {
  id: string;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  uploadedAt: string;
}
export interface DisputeView {
  id: string;
  visitId: string;
  bankId: string;
  branchCode: string;
  region: string;
  quarter: string;
  questionnaireId: string;
  questionnaireVersion: number;
  itemKey: string;
  sectionKey: string;
  itemText: { zh: string; en: string };
  reason: string;
  status: DisputeStatus;
  valueAtOpening: AnswerValue | null;
  openedBy: string;
  openedAt: string;
  resolution: null | {
    decision: Decision;
    value: AnswerValue | null;
    note: string;
    resolvedBy: string;
    resolvedAt: string;
    before: unknown;
    after: unknown;
  };
  attachments: DisputeAttachmentView[];
}

export type LeanDispute = {
  _id: Types.ObjectId;
  visitId: Types.ObjectId;
  bankId: Types.ObjectId;
  branchCode: string;
  region: string;
  quarter: string;
  questionnaireId: Types.ObjectId;
  questionnaireVersion: number;
  itemKey: string;
  sectionKey: string;
  reason: string;
  status: DisputeStatus;
  valueAtOpening?: AnswerValue | null;
  openedBy: Types.ObjectId;
  openedAt: Date;
  openKey: string;
  resolution?: {
    decision: Decision;
    value?: AnswerValue | null;
    note: string;
    by: Types.ObjectId;
    at: Date;
    before?: unknown;
    after?: unknown;
  } | null;
};

export const isDecided = (s: DisputeStatus) => s === 'upheld' || s === 'overturned';

export async function loadDispute(id: string): Promise<LeanDispute> {
  if (!Types.ObjectId.isValid(id)) throw new NotFoundError('Dispute');
  const d = await Dispute.findById(id).lean<LeanDispute>();
  if (!d) throw new NotFoundError('Dispute');
  return d;
}

function canSeeDispute(p: Principal, d: Pick<LeanDispute, 'bankId' | 'branchCode' | 'region'>): boolean {
  if (p.role === 'admin' || p.role === 'reviewer') return true;
  if (p.role === 'bank_manager')
    return canSeeBranch(p, { bankId: String(d.bankId), code: d.branchCode, region: d.region });
  return false;
}

export async function loadVisibleDispute(p: Principal, id: string): Promise<LeanDispute> {
  requireRole(p, READERS);
  const d = await loadDispute(id);
  if (!canSeeDispute(p, d)) throw new NotFoundError('Dispute');
  return d;
}

export async function getDispute(p: Principal, id: string): Promise<DisputeView> {
  const [view] = await toViews([await loadVisibleDispute(p, id)]);
  return view;
}

export async function listDisputes(p: Principal, q: ListDisputesQuery = {}): Promise<DisputeView[]> {
  requireRole(p, READERS);
  if (q.bankId) assertBankVisible(p, q.bankId, 'Bank');
  const wanted: Record<string, unknown> = {};
  for (const k of ['bankId', 'quarter', 'status', 'branchCode', 'visitId'] as const) if (q[k]) wanted[k] = q[k];
  const rows = await Dispute.find({ $and: [scopeFilter(p), wanted] })
    .sort({ openedAt: -1, _id: -1 })
    .limit(2000)
    .lean<LeanDispute[]>();
  return toViews(rows);
}

/** The disputes of one visit, for whoever may see the visit (an adapter beside GET /visits/:id). */
export async function visitDisputes(p: Principal, visitId: string): Promise<DisputeView[]> {
  requireRole(p, READERS);
  const v = await loadVisibleVisit(p, visitId);
  const rows = await Dispute.find({ visitId: v._id }).sort({ openedAt: 1, _id: 1 }).lean<LeanDispute[]>();
  return toViews(rows);
}

/** Number of undecided disputes per visit id, for scorecards and pages. */
export async function openDisputeCounts(visitIds: Types.ObjectId[] | string[]): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  if (visitIds.length === 0) return out;
  const rows = await Dispute.find(
    { visitId: { $in: visitIds }, status: { $in: ['open', 'resolving'] } },
    { visitId: 1 },
  ).lean();
  for (const r of rows) out.set(String(r.visitId), (out.get(String(r.visitId)) ?? 0) + 1);
  return out;
}

/** The visits of a bank's quarter that have an undecided dispute, among those the caller may see (HR's scorecards). */
export async function undecidedDisputeVisits(
  p: Principal,
  bankId: string,
  quarter: string,
): Promise<{ visitId: string; branchCode: string }[]> {
  const open = await Dispute.find(
    { $and: [scopeFilter(p), { bankId, quarter, status: { $in: ['open', 'resolving'] } }] },
    { visitId: 1, branchCode: 1 },
  ).lean();
  const byVisit = new Map(open.map((d) => [String(d.visitId), d.branchCode]));
  return [...byVisit].map(([visitId, branchCode]) => ({ visitId, branchCode }));
}

async function toViews(rows: LeanDispute[]): Promise<DisputeView[]> {
  if (rows.length === 0) return [];
  const files = await DisputeAttachment.find({ disputeId: { $in: rows.map((r) => r._id) } })
    .sort({ uploadedAt: 1, _id: 1 })
    .lean();
  const texts = new Map<string, Map<string, { zh: string; en: string }>>();
  for (const r of rows) {
    const key = `${String(r.questionnaireId)}@${r.questionnaireVersion}`;
    if (!texts.has(key))
      texts.set(
        key,
        (await versionOf(String(r.questionnaireId), r.questionnaireVersion).catch(() => null))?.texts ?? new Map(),
      );
  }
  return rows.map((r) =>
    toView(
      r,
      files.filter((f) => String(f.disputeId) === String(r._id)),
      texts.get(`${String(r.questionnaireId)}@${r.questionnaireVersion}`) ?? new Map(),
    ),
  );
}

type LeanFile = { _id: unknown; filename: string; contentType: string; size: number; sha256: string; uploadedAt: Date };

export function toView(d: LeanDispute, files: LeanFile[], texts: Map<string, { zh: string; en: string }>): DisputeView {
  const r = d.resolution;
  return {
    id: String(d._id),
    visitId: String(d.visitId),
    bankId: String(d.bankId),
    branchCode: d.branchCode,
    region: d.region,
    quarter: d.quarter,
    questionnaireId: String(d.questionnaireId),
    questionnaireVersion: d.questionnaireVersion,
    itemKey: d.itemKey,
    sectionKey: d.sectionKey,
    itemText: texts.get(d.itemKey) ?? { zh: d.itemKey, en: d.itemKey },
    reason: d.reason,
    status: d.status,
    valueAtOpening: d.valueAtOpening ?? null,
    openedBy: String(d.openedBy),
    openedAt: new Date(d.openedAt).toISOString(),
    resolution:
      r && isDecided(d.status)
        ? {
            decision: r.decision,
            value: r.value ?? null,
            note: r.note,
            resolvedBy: String(r.by),
            resolvedAt: new Date(r.at).toISOString(),
            before: r.before ?? null,
            after: r.after ?? null,
          }
        : null,
    attachments: files.map((f) => ({
      id: String(f._id),
      filename: f.filename,
      contentType: f.contentType,
      size: f.size,
      sha256: f.sha256,
      uploadedAt: new Date(f.uploadedAt).toISOString(),
    })),
  };
}
