import type { Types } from 'mongoose';
import type { AnswerValue, SectionKey, SectionScores } from '../rules/scoring';
import type { Flag } from './flags';

/**
 * A visit's life (SPEC §4): draft → submitted → approved, submitted → returned → submitted, and
 * approved → disputed → approved. Only approved visits count in results; a disputed one stays
 * counted until the dispute is resolved (an overturn rescores it).
 */
export const VISIT_STATUSES = ['draft', 'submitted', 'returned', 'approved', 'disputed'] as const;
export type VisitStatus = (typeof VISIT_STATUSES)[number];
export const COUNTED_STATUSES = ['approved', 'disputed'] as const satisfies readonly VisitStatus[];
export const EDITABLE: readonly VisitStatus[] = ['draft', 'returned'];

export interface Change {
  field: string;
  before: unknown;
  after: unknown;
}
export interface HistoryEntry {
  at: Date;
  by: Types.ObjectId | null;
  role: string;
  action: string;
  changes: Change[];
  note?: string;
}
export interface StoredAnswer {
  itemKey: string;
  value: AnswerValue;
  comment?: string | null;
}
export interface StoredStaff {
  employeeId?: string | null;
  name?: string | null;
  description?: string | null;
}
export interface StoredAttachment {
  _id: Types.ObjectId;
  fileId: Types.ObjectId;
  filename: string;
  contentType: string;
  size: number;
  sha256: string;
  /** The questionnaire item the file is evidence for (SPEC §9, §10 evidence on failure). */
  itemKey?: string | null;
  uploadedAt: Date;
  uploadedBy: Types.ObjectId;
  removedAt?: Date | null;
  /** A photo's EXIF capture time (its offset, or else the bank's zone) and GPS position (SPEC §9). */
  capturedAt?: Date | null;
  gps?: { lat: number; lng: number } | null;
}

/** An arrive / leave record from the auditor's phone (SPEC §9); `refused` when the phone gave no position. */
export interface StoredLocation {
  kind: 'arrive' | 'leave';
  lat?: number | null;
  lng?: number | null;
  /** metres, as the device reported it */
  accuracy?: number | null;
  refused?: boolean | null;
  /** the device's clock */
  capturedAt: Date;
  /** when it reached the platform */
  receivedAt: Date;
  /** the request's Idempotency-Key: a retry after a lost answer records nothing twice */
  key?: string | null;
}

/** A visit as stored: the one shape every reader and writer of visits uses (reports take a Pick of it). */
export interface StoredVisit {
  _id: Types.ObjectId;
  assignmentId: Types.ObjectId;
  bankId: Types.ObjectId;
  branchCode: string;
  region: string;
  auditorId: Types.ObjectId;
  questionnaireId: Types.ObjectId;
  questionnaireVersion: number;
  quarter: string;
  visitedAt: Date;
  durationMinutes: number;
  staff: StoredStaff[];
  staffIds: string[];
  answers: StoredAnswer[];
  summary?: string | null;
  status: VisitStatus;
  scores: { sections: SectionScores; total: number | null };
  violations: { itemKey: string; sectionKey: SectionKey }[];
  flags: Flag[];
  attachments: StoredAttachment[];
  /** Arrive / leave records (SPEC §9); absent on visits made before they existed. */
  locations?: StoredLocation[];
  history: HistoryEntry[];
  reviewNote?: string | null;
  submittedAt?: Date | null;
  firstSubmittedAt?: Date | null;
  approvedAt?: Date | null;
  reviewedBy?: Types.ObjectId | null;
  rev: number;
  idempotencyKey: string;
  createdAt: Date;
  updatedAt: Date;
}
