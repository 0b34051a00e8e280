import { Types } from 'mongoose';
import {
  assertBankVisible,
  canSeeBranch,
  requireRole,
  scopeFilter,
  type Principal,
  type Role,
} from '../platform/access';
import { config } from '../platform/config';
import { ConflictError, NotFoundError, ValidationError } from '../platform/errors';
import { logger } from '../platform/logger';
import { answerErrors, scoreVisit, type AnswerValue, type ScoringSection } from '../rules/scoring';
import { loadVisibleVisit } from '../visits/service';
import { assertStatus, commit, historyEntry, loadVisit } from '../visits/store';
import { type Change, type StoredAnswer, type StoredVisit } from '../visits/service';
import type { VisitStatus } from '../visits/service';
import { claimedAt, release, takeOverStale, tryClaim, type HeldClaim } from './claims';
import { Dispute, DisputeAttachment, closedKeyOf, openKeyOf, type Decision, type DisputeStatus } from './model';
import type { ListDisputesQuery, OpenDisputeInput, ResolveDisputeInput } from './schema';
import { versionOf } from './versions';
import { noteOverturnSafely } from '../publishing/corrections';

/**
 * Disputes (SPEC section 4: approved → disputed → approved). A dispute and its visit are two
 * documents and FerretDB has no transactions, so each step is ordered to stay correct when it
 * races another: the dispute record changes first (its unique `openKey` insert, or a resolution
 * claim, decides between racing writers), then the visit is committed through the visits store,
 * re-reading which disputes are still open right before each attempt. Whoever commits the visit
 * last has therefore seen every dispute change before it, so the visit is `disputed` exactly while
 * one of its disputes is open.
 */
export const OPENER: readonly Role[] = ['bank_manager'];
export const RESOLVER: readonly Role[] = ['reviewer'];
export const READERS: readonly Role[] = ['reviewer', 'admin', 'bank_manager'];

/** Disputes may be raised on a visit that has been approved (and may already have other disputes). */
const DISPUTABLE: readonly VisitStatus[] = ['approved', 'disputed'];
const COMMIT_ATTEMPTS = 8;
/** A resolution claim older than this belongs to a writer that died mid-way. */
const RESOLVE_LEASE_MS = 60_000;

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

type LeanDispute = {
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isLostRace = (e: unknown) => e instanceof ConflictError && e.code === 'conflict';

/** Retries a visit commit that lost a race with another writer; `attempt` re-reads everything it needs. */
async function withRetry<T>(attempt: () => Promise<T>): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (e) {
      if (!isLostRace(e) || i >= COMMIT_ATTEMPTS) throw e;
      await sleep(5 + Math.random() * 20 * i);
    }
  }
}

// ---- the dispute window ----

export function windowClosesAt(approvedAt: Date, days = config().DISPUTE_WINDOW_DAYS): Date {
  return new Date(approvedAt.getTime() + days * 86400_000);
}

function assertWindowOpen(v: StoredVisit, now = new Date()): void {
  const approvedAt = v.approvedAt ?? v.updatedAt;
  const closes = windowClosesAt(new Date(approvedAt));
  if (now.getTime() <= closes.getTime()) return;
  const days = config().DISPUTE_WINDOW_DAYS;
  throw new ValidationError(
    [
      {
        field: 'visitId',
        message: `disputes are accepted for ${days} days after approval; this visit was approved on ${new Date(approvedAt).toISOString()} and the window closed on ${closes.toISOString()}`,
        closedAt: closes.toISOString(),
      },
    ],
    `The dispute window of this visit closed on ${closes.toISOString()} (${days} days after approval)`,
    'dispute_window_closed',
  );
}

// ---- opening ----

function itemOf(sections: ScoringSection[], itemKey: string) {
  for (const s of sections) {
    const item = s.items.find((i) => i.key === itemKey);
    if (item) return { sectionKey: s.key, item };
  }
  return undefined;
}

/** A bank manager in scope disputes one item of an approved visit; the visit becomes `disputed`. */
export async function openDispute(p: Principal, visitId: string, input: OpenDisputeInput): Promise<DisputeView> {
  requireRole(p, OPENER);
  const v = await loadVisibleVisit(p, visitId);
  assertStatus(v, DISPUTABLE, 'disputed');
  assertWindowOpen(v);
  const version = await versionOf(String(v.questionnaireId), v.questionnaireVersion);
  const found = itemOf(version.sections, input.itemKey);
  if (!found)
    throw new ValidationError([
      { field: 'itemKey', message: `unknown item "${input.itemKey}" in the questionnaire this visit was filled on` },
    ]);
  const now = new Date();
  let dispute;
  try {
    dispute = await Dispute.create({
      visitId: v._id,
      bankId: v.bankId,
      branchCode: v.branchCode,
      region: v.region,
      quarter: v.quarter,
      questionnaireId: v.questionnaireId,
      questionnaireVersion: v.questionnaireVersion,
      itemKey: input.itemKey,
      sectionKey: found.sectionKey,
      reason: input.reason,
      status: 'open',
      valueAtOpening: v.answers.find((a) => a.itemKey === input.itemKey)?.value ?? null,
      openedBy: new Types.ObjectId(p.id),
      openedAt: now,
      openKey: openKeyOf(String(v._id), input.itemKey),
    });
  } catch (e) {
    if ((e as { code?: number }).code !== 11000) throw e;
    throw new ConflictError(
      `Item "${input.itemKey}" of this visit already has an undecided dispute`,
      'already_disputed',
      [{ field: 'itemKey', message: 'already disputed' }],
    );
  }
  try {
    await withRetry(() => markDisputed(p, v._id, String(dispute._id), input));
  } catch (e) {
    // Without its visit change the dispute never happened.
    await Dispute.deleteOne({ _id: dispute._id });
    await syncVisitStatus(v._id);
    throw e;
  }
  return toView(dispute.toObject() as unknown as LeanDispute, [], version.texts);
}

async function markDisputed(
  p: Principal,
  visitId: Types.ObjectId,
  disputeId: string,
  input: OpenDisputeInput,
): Promise<void> {
  const v = await loadVisit(String(visitId));
  if (!v) throw new NotFoundError('Visit');
  assertStatus(v, DISPUTABLE, 'disputed');
  const changes: Change[] = [
    { field: `disputes.${disputeId}`, before: null, after: { itemKey: input.itemKey, status: 'open' } },
  ];
  if (v.status !== 'disputed') changes.push({ field: 'status', before: v.status, after: 'disputed' });
  await commit(v, {
    statuses: DISPUTABLE,
    set: { status: 'disputed' },
    entry: historyEntry(p, 'dispute_opened', changes, input.reason),
  });
}

/**
 * After a rolled-back step a racing writer may have committed the visit on a dispute state that
 * then did not last; this puts the status back in line with the open disputes (best effort).
 */
async function syncVisitStatus(visitId: Types.ObjectId): Promise<void> {
  await withRetry(async () => {
    const v = await loadVisit(String(visitId));
    if (!v || !DISPUTABLE.includes(v.status)) return;
    const status: VisitStatus = (await Dispute.exists({ visitId, status: 'open' })) ? 'disputed' : 'approved';
    if (status === v.status) return;
    await commit(v, {
      statuses: DISPUTABLE,
      set: { status },
      entry: historyEntry(null, 'dispute_status_synced', [{ field: 'status', before: v.status, after: status }]),
    });
  }).catch((e) =>
    logger.error({ err: e, visitId: String(visitId) }, 'could not bring a visit status in line with its disputes'),
  );
}

// ---- resolving ----

const resolveKey = (disputeId: string) => `dispute-resolve:${disputeId}`;
const isDecided = (s: DisputeStatus) => s === 'upheld' || s === 'overturned';
const alreadyResolved = () => new ConflictError('This dispute is already resolved', 'dispute_resolved');
const busy = () =>
  new ConflictError('This dispute is being resolved by someone else; reload it in a moment', 'dispute_busy');

/** The visit's history entry that applied this dispute's decision, if any. */
function appliedEntry(v: StoredVisit | null, disputeId: string) {
  return v?.history.find(
    (h) =>
      h.action.startsWith('dispute_') &&
      h.action !== 'dispute_opened' &&
      h.changes.some((c) => c.field === `disputes.${disputeId}`),
  );
}

/**
 * The right to resolve. A claim left by a writer that died is taken over — unless that writer had
 * already changed the visit, in which case only the dispute record is completed.
 */
async function claimResolution(d: LeanDispute): Promise<HeldClaim> {
  const key = resolveKey(String(d._id));
  const claim = await tryClaim(key);
  if (claim) return claim;
  const at = await claimedAt(key);
  if (at && Date.now() - at.getTime() < RESOLVE_LEASE_MS) throw busy();
  if (d.status === 'resolving' && d.resolution && appliedEntry(await loadVisit(String(d.visitId)), String(d._id))) {
    await finish(d._id, d.resolution.decision, {});
    if (d.resolution.decision === 'overturned') await noteOverturnSafely(d);
    throw alreadyResolved();
  }
  const taken = await takeOverStale(key, RESOLVE_LEASE_MS);
  if (!taken) throw busy();
  return taken;
}

async function finish(id: Types.ObjectId, decision: Decision, set: Record<string, unknown>): Promise<void> {
  await Dispute.updateOne({ _id: id }, { $set: { ...set, status: decision, openKey: closedKeyOf(String(id)) } });
}

function checkCorrection(sections: ScoringSection[], d: LeanDispute, v: StoredVisit, value: AnswerValue): void {
  const errors = answerErrors(sections, [{ itemKey: d.itemKey, value }]).map((e) => ({
    field: 'value',
    message: e.message,
  }));
  if (errors.length) throw new ValidationError(errors);
  const current = v.answers.find((a) => a.itemKey === d.itemKey)?.value ?? null;
  if (current === value)
    throw new ValidationError(
      [
        {
          field: 'value',
          message: `the answer already is ${String(value)}; an overturn must change it (or uphold the dispute)`,
        },
      ],
      'Validation failed',
      'value_unchanged',
    );
}

export interface VisitFigures {
  value: AnswerValue | null;
  scores: StoredVisit['scores'];
  violations: string[];
}
const figures = (v: Pick<StoredVisit, 'answers' | 'scores' | 'violations'>, itemKey: string): VisitFigures => ({
  value: v.answers.find((a) => a.itemKey === itemKey)?.value ?? null,
  scores: { sections: { ...v.scores.sections }, total: v.scores.total ?? null },
  violations: v.violations.map((x) => x.itemKey),
});

/** Field-by-field changes of an overturn: the answer, every score that moved, the violations. */
function scoreChanges(before: VisitFigures, after: VisitFigures, itemKey: string): Change[] {
  const out: Change[] = [{ field: `answers.${itemKey}`, before: before.value, after: after.value }];
  for (const [k, b] of Object.entries(before.scores.sections)) {
    const a = after.scores.sections[k as keyof typeof after.scores.sections];
    if (a !== b) out.push({ field: `scores.sections.${k}`, before: b, after: a });
  }
  if (before.scores.total !== after.scores.total)
    out.push({ field: 'scores.total', before: before.scores.total, after: after.scores.total });
  if (before.violations.join(',') !== after.violations.join(','))
    out.push({ field: 'violations', before: before.violations, after: after.violations });
  return out;
}

/** One attempt at applying the decision to the visit (retried on a lost race). */
async function applyDecision(
  p: Principal,
  d: LeanDispute,
  input: ResolveDisputeInput,
  sections: ScoringSection[],
): Promise<{ before: VisitFigures; after: VisitFigures }> {
  const v = await loadVisit(String(d.visitId));
  if (!v) throw new NotFoundError('Visit');
  assertStatus(v, DISPUTABLE, 'changed by a dispute decision');
  // Read after the visit: any dispute change before this read is reflected in the status below.
  const stillOpen = await Dispute.exists({ visitId: d.visitId, status: 'open' });
  const status: VisitStatus = stillOpen ? 'disputed' : 'approved';
  const before = figures(v, d.itemKey);
  const set: Record<string, unknown> = { status };
  const changes: Change[] = [{ field: `disputes.${String(d._id)}`, before: 'open', after: input.decision }];
  let after = before;
  if (input.decision === 'overturned') {
    const value = input.value as AnswerValue;
    const answers: StoredAnswer[] = v.answers.some((a) => a.itemKey === d.itemKey)
      ? v.answers.map((a) => (a.itemKey === d.itemKey ? { ...a, value } : a))
      : [...v.answers, { itemKey: d.itemKey, value }];
    const s = scoreVisit(
      sections,
      answers.map((a) => ({ itemKey: a.itemKey, value: a.value })),
    );
    Object.assign(set, { answers, scores: { sections: s.sections, total: s.total }, violations: s.violations });
    after = figures({ answers, scores: { sections: s.sections, total: s.total }, violations: s.violations }, d.itemKey);
    changes.push(...scoreChanges(before, after, d.itemKey));
  }
  if (status !== v.status) changes.push({ field: 'status', before: v.status, after: status });
  await commit(v, {
    statuses: DISPUTABLE,
    set,
    entry: historyEntry(p, `dispute_${input.decision}`, changes, input.note),
  });
  return { before, after };
}

/**
 * The reviewer upholds (answer unchanged) or overturns (answer corrected, scores and violations
 * recomputed from the visit's own questionnaire version) a dispute; all of it in the visit's history.
 */
export async function resolveDispute(p: Principal, id: string, input: ResolveDisputeInput): Promise<DisputeView> {
  requireRole(p, RESOLVER);
  const d = await loadDispute(id);
  if (isDecided(d.status)) throw alreadyResolved();
  const v = await loadVisit(String(d.visitId));
  if (!v) throw new NotFoundError('Visit');
  const version = await versionOf(String(d.questionnaireId), d.questionnaireVersion);
  if (input.decision === 'overturned') checkCorrection(version.sections, d, v, input.value as AnswerValue);
  const claim = await claimResolution(d);
  const resolution = {
    decision: input.decision,
    value: input.value ?? null,
    note: input.note,
    by: new Types.ObjectId(p.id),
    at: new Date(),
  };
  let applied;
  try {
    const fresh = await loadDispute(id);
    if (isDecided(fresh.status)) throw alreadyResolved();
    await Dispute.updateOne({ _id: d._id }, { $set: { status: 'resolving', resolution } });
    applied = await withRetry(() => applyDecision(p, d, input, version.sections));
  } catch (e) {
    await Dispute.updateOne({ _id: d._id, status: 'resolving' }, { $set: { status: 'open', resolution: null } });
    await release(claim);
    await syncVisitStatus(d.visitId);
    throw e;
  }
  // The claim stays: a decided dispute is never decided again.
  await finish(d._id, input.decision, { resolution: { ...resolution, before: applied.before, after: applied.after } });
  // A published report of the visit's quarter now shows numbers that changed: flag it for re-issue.
  if (input.decision === 'overturned') await noteOverturnSafely(d);
  return getDispute(p, id);
}

// ---- reading ----

async function loadDispute(id: string): Promise<LeanDispute> {
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

function toView(d: LeanDispute, files: LeanFile[], texts: Map<string, { zh: string; en: string }>): DisputeView {
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

// ---- for evidence
/** Whether the dispute holds this evidence file (housekeeping keeps the files of abandoned upload notes it holds). */
export async function holdsEvidenceFile(disputeId: string, fileId: Types.ObjectId): Promise<boolean> {
  return Boolean(await DisputeAttachment.exists({ fileId, disputeId }));
}
