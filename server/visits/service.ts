/**
 * The visits' door: everything other features, the routes, the pages, the seed and the reports use
 * of visits is exported here. The work is done by the files of this folder, by concern:
 * edit.ts (the auditor: create, edit, submit), review.ts (the reviewer), queries.ts (who sees what,
 * reading), attachments.ts (evidence), assignment-states.ts (assignments with their visits), over
 * store.ts (reading and writing visit documents) and rules.ts (what every change derives).
 */
export { createVisit, submitVisit, updateVisit } from './edit';
export { reviewQueue, reviewVisit, type QueueRow } from './review';
export { canSeeVisit, getVisit, holdsEvidenceFile, listVisits, loadVisibleVisit, quarterProgress } from './queries';
export {
  addAttachment,
  assertCanAttachFor,
  attachmentOfFile,
  openAttachment,
  removeAttachment,
  visitEvidenceUpload,
} from './attachments';
export type { AttachmentResult, OpenedAttachment } from './attachments';
export { locationWarnings, recordLocation, type LocationView } from './locations';
export { answerValue } from './schema';
export { attachmentLink } from './links';
export {
  ASSIGNMENT_STATES,
  getAssignmentWithVisit,
  listAssignmentsWithVisits,
  listRecentAssignments,
  withVisits,
  type AssignmentState,
} from './assignment-states';
export type { AttachmentView, HistoryView, VisitView } from './view';

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

// ---- reading visits for other features
export {
  countedBranchVisits,
  countedVisitBranches,
  countedVisitsOf,
  countedVisitsOfQuarter,
  countVisitsByQuarterAndStatus,
  staffIdsOfVisits,
  visitCountsByStatus,
  visitForStats,
  visitQuarters,
  visitBatchesForStats,
  type VisitForStats,
} from './readers';

// ---- changes others follow (the kept statistics)
export {
  changeNotLanded,
  onChangeNoted,
  pendingChangeOf,
  pendingChanges,
  settleChange,
  type Follower,
  type VisitChangeNote,
} from './changes';

// ---- for disputes: a dispute's decision is committed to its visit like any other visit change
export { assertStatus, historyEntry } from './rules';
export { commit, loadVisit, retagRegion } from './store';
