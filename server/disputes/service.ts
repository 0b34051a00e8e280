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
export { RESOLVER, resolveDispute, type VisitFigures } from './resolve';
export {
  getDispute,
  listDisputes,
  loadVisibleDispute,
  openDisputeCounts,
  READERS,
  undecidedDisputeVisitIds,
  visitDisputes,
  type DisputeAttachmentView,
  type DisputeView,
} from './views';
export { DECISIONS, DISPUTE_STATUSES, type Decision, type DisputeStatus } from './model';
