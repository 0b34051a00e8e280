import * as audit from '../audit/service';
import { Types } from 'mongoose';
import { requireRole, type Principal, type Role } from '../platform/access';
import { config } from '../platform/config';
import { unlessDuplicate } from '../platform/db/duplicate-key';
import { ConflictError, NotFoundError, ValidationError } from '../platform/errors';
import { disputeWindow, type DisputeWindow } from '../rules/dispute-window';
import type { ScoringSection } from '../rules/scoring';
import {
  assertStatus,
  commit,
  historyEntry,
  loadVisibleVisit,
  loadVisit,
  type Change,
  type StoredVisit,
} from '../visits/service';
import { Dispute, openKeyOf } from './model';
import type { OpenDisputeInput } from './schema';
import { versionOf } from './versions';
import { toView, type DisputeView, type LeanDispute } from './views';
import { DISPUTABLE, syncVisitStatus, withRetry } from './visit-sync';

/** Opening a dispute: a bank manager in scope, within the dispute window, on one item of an approved visit. */
export const OPENER: readonly Role[] = ['bank_manager'];

// ---- the dispute window ----

export function windowClosesAt(approvedAt: Date, days = config().DISPUTE_WINDOW_DAYS): Date {
  return disputeWindow(approvedAt, days, approvedAt).closesAt;
}

/** The window of a visit approved at `approvedAt` (the visit page shows its days left; the form refuses up front). */
export function windowOfVisit(approvedAt: Date | string, now = new Date()): DisputeWindow {
  return disputeWindow(new Date(approvedAt), config().DISPUTE_WINDOW_DAYS, now);
}

function assertWindowOpen(v: StoredVisit, now = new Date()): void {
  const approvedAt = v.approvedAt ?? v.updatedAt;
  const { open, closesAt: closes } = windowOfVisit(approvedAt, now);
  if (open) return;
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

const alreadyDisputed = (itemKey: string) =>
  new ConflictError(`Item "${itemKey}" of this visit already has an undecided dispute`, 'already_disputed', [
    { field: 'itemKey', message: 'already disputed' },
  ]);

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
  // The unique `openKey` decides between two managers disputing the same item at once.
  const dispute = await unlessDuplicate(
    () =>
      Dispute.create({
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
        openedAt: new Date(),
        openKey: openKeyOf(String(v._id), input.itemKey),
      }),
    () => {
      throw alreadyDisputed(input.itemKey);
    },
  );
  try {
    await withRetry(() => markDisputed(p, v._id, String(dispute._id), input));
  } catch (e) {
    // Without its visit change the dispute never happened.
    await Dispute.deleteOne({ _id: dispute._id });
    await syncVisitStatus(v._id);
    throw e;
  }
  await audit.record({
    action: 'dispute.opened',
    actor: audit.auditActor(p),
    target: { type: 'dispute', id: String(dispute._id), label: `${v.branchCode} ${input.itemKey}` },
    bankId: String(v.bankId),
    after: { visitId: String(v._id), itemKey: input.itemKey },
    note: input.reason,
  });
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
