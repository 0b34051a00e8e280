/**
 * Disputes (SPEC section 4: approved → disputed → approved), the door of this feature. A dispute
 * and its visit are two documents, written without a multi-document transaction, so each step is
 * ordered to stay correct when it races another: the dispute record changes first (its unique
 * `openKey` insert, or a resolution claim, decides between racing writers), then the visit is
 * committed through the visits service, re-reading which disputes are still open right before each
 * attempt. Whoever commits the visit last has therefore seen every dispute change before it, so the
 * visit is `disputed` exactly while one of its disputes is open.
 *
 * open.ts opens, resolve.ts decides, visit-sync.ts keeps the visit's status in line, views.ts reads.
 */
export { OPENER, openDispute, windowClosesAt } from './open';
export { RESOLVER, recoverInterruptedResolutions, resolveDispute, type VisitFigures } from './resolve';
export { markOverturnNoted, onOverturn, overturnsToNote, type OverturnToNote } from './overturns';
export {
  getDispute,
  listDisputes,
  loadVisibleDispute,
  openDisputeCounts,
  READERS,
  undecidedDisputeVisits,
  visitDisputes,
  type DisputeAttachmentView,
  type DisputeView,
} from './views';
export { DECISIONS, DISPUTE_STATUSES, type Decision, type DisputeStatus } from './model';
import type { Types } from 'mongoose';
import { Dispute, DisputeAttachment } from './model';
import type { LeanDispute } from './views';

// ---- for publishing (no principal: the quarter close has its own rights)

/** A dispute as the quarter's reports show it. */
export type DisputeForReport = Pick<
  LeanDispute,
  | '_id'
  | 'visitId'
  | 'branchCode'
  | 'region'
  | 'questionnaireId'
  | 'questionnaireVersion'
  | 'itemKey'
  | 'status'
  | 'valueAtOpening'
  | 'openedAt'
  | 'resolution'
>;

/** The bank's disputes of the quarter, oldest first. */
export async function disputesOfQuarter(bankId: string, quarter: string): Promise<DisputeForReport[]> {
  const fields = {
    visitId: 1,
    branchCode: 1,
    region: 1,
    questionnaireId: 1,
    questionnaireVersion: 1,
    itemKey: 1,
    status: 1,
    valueAtOpening: 1,
    openedAt: 1,
    resolution: 1,
  };
  return Dispute.find({ bankId, quarter }, fields).sort({ openedAt: 1, _id: 1 }).lean<DisputeForReport[]>();
}

// ---- for evidence
/** Whether the dispute holds this evidence file (housekeeping keeps the files of abandoned upload notes it holds). */
export async function holdsEvidenceFile(disputeId: string, fileId: Types.ObjectId): Promise<boolean> {
  return Boolean(await DisputeAttachment.exists({ fileId, disputeId }));
}

// ---- a branch moved to another region: its disputes carry the new region (a copy, for scope filters)
export async function retagRegion(bankId: string, branchCode: string, region: string): Promise<void> {
  await Dispute.updateMany({ bankId, branchCode, region: { $ne: region } }, { $set: { region } });
}
