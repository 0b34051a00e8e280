import { VISIT_STATUSES } from './types';
import { Schema, model, type InferSchemaType } from 'mongoose';
import { now } from '../platform/clock';
import { SECTION_KEYS } from '../rules/scoring';

/**
 * One visit is one document: answers, scores, attachments and history change together in single
 * atomic updates, with no multi-document transaction. Every update is conditional on
 * `rev` (optimistic concurrency), so concurrent edits never silently overwrite each other.
 * `bankId`, `region` and `branchCode` are copied from the assignment so scope filters need no join.
 */
const answerSchema = new Schema(
  {
    itemKey: { type: String, required: true },
    // 'yes' | 'no' | 'na' | a number | an option key or text | option keys (SPEC §3, §10)
    value: { type: Schema.Types.Mixed, required: true },
    comment: { type: String },
  },
  { _id: false },
);

const staffSeenSchema = new Schema(
  {
    employeeId: { type: String },
    name: { type: String },
    description: { type: String },
  },
  { _id: false },
);

const attachmentSchema = new Schema(
  {
    fileId: { type: Schema.Types.ObjectId, required: true }, // GridFS file id
    filename: { type: String, required: true },
    contentType: { type: String, required: true },
    size: { type: Number, required: true },
    sha256: { type: String, required: true },
    itemKey: { type: String }, // the questionnaire item it is evidence for
    uploadedAt: { type: Date, required: true },
    uploadedBy: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    removedAt: { type: Date }, // never deleted: removal is recorded, the file is kept
    capturedAt: { type: Date }, // EXIF capture time
    gps: { type: new Schema({ lat: Number, lng: Number }, { _id: false }), default: undefined },
  },
  { _id: true },
);

const locationSchema = new Schema(
  {
    kind: { type: String, enum: ['arrive', 'leave'], required: true },
    lat: { type: Number },
    lng: { type: Number },
    accuracy: { type: Number },
    refused: { type: Boolean },
    capturedAt: { type: Date, required: true }, // the device's clock
    receivedAt: { type: Date, required: true }, // the platform's
    key: { type: String }, // Idempotency-Key of the request that recorded it
  },
  { _id: false },
);

const historySchema = new Schema(
  {
    at: { type: Date, required: true },
    // Empty for changes the system derives (e.g. a duplicate-evidence flag caused by another visit).
    by: { type: Schema.Types.ObjectId, ref: 'User' },
    role: { type: String, required: true }, // a user role, or 'system'
    action: { type: String, required: true },
    // [{ field, before, after }] — an array, never a map, so user data never becomes a key.
    changes: { type: [Schema.Types.Mixed], default: [] },
    note: { type: String },
  },
  { _id: false },
);

const sectionScoresSchema = new Schema(
  Object.fromEntries(SECTION_KEYS.map((k) => [k, { type: Number, default: null }])),
  { _id: false },
);

const visitSchema = new Schema(
  {
    assignmentId: { type: Schema.Types.ObjectId, ref: 'Assignment', required: true },
    bankId: { type: Schema.Types.ObjectId, ref: 'Bank', required: true },
    branchCode: { type: String, required: true },
    region: { type: String, required: true },
    auditorId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    questionnaireId: { type: Schema.Types.ObjectId, ref: 'Questionnaire', required: true },
    questionnaireVersion: { type: Number, required: true },
    quarter: { type: String, required: true }, // of visitedAt in the bank's time zone
    visitedAt: { type: Date, required: true },
    durationMinutes: { type: Number, required: true, min: 0 },
    staff: { type: [staffSeenSchema], default: [] },
    // Employee ids identified in the visit, for staff scores without unwinding `staff`.
    staffIds: { type: [String], default: [] },
    answers: { type: [answerSchema], default: [] },
    summary: { type: String },
    status: { type: String, enum: VISIT_STATUSES, required: true, default: 'draft' },
    scores: {
      sections: { type: sectionScoresSchema, default: () => ({}) },
      total: { type: Number, default: null },
    },
    violations: { type: [{ itemKey: String, sectionKey: String, _id: false }], default: [] },
    // visitIds: the other visits involved (duplicate evidence); shown to audit-firm staff only.
    flags: {
      type: [{ code: String, message: String, visitIds: { type: [String], default: undefined }, _id: false }],
      default: [],
    },
    attachments: { type: [attachmentSchema], default: [] },
    // No default: visits stored before arrive / leave existed stay as they were written.
    locations: { type: [locationSchema], default: undefined },
    history: { type: [historySchema], default: [] },
    reviewNote: { type: String },
    submittedAt: { type: Date }, // latest submission: orders the review queue
    firstSubmittedAt: { type: Date }, // judges late submission; a resubmission after a return is not late
    reviewedBy: { type: Schema.Types.ObjectId, ref: 'User' },
    approvedAt: { type: Date },
    rev: { type: Number, required: true, default: 0 },
    // The creating request's Idempotency-Key, or `auto:<visit id>` when none was sent. Always set,
    // so that the unique index needs no partial filter and never compares missing fields.
    idempotencyKey: {
      type: String,
      required: true,
      default: function (this: { _id: unknown }) {
        return `auto:${String(this._id)}`;
      },
    },
  },
  { timestamps: { currentTime: now } },
);
visitSchema.index({ bankId: 1, quarter: 1, status: 1 });
visitSchema.index({ bankId: 1, quarter: 1, branchCode: 1 });
visitSchema.index({ auditorId: 1, status: 1 });
visitSchema.index({ status: 1, submittedAt: 1 });
visitSchema.index({ assignmentId: 1 }, { unique: true });
visitSchema.index({ auditorId: 1, idempotencyKey: 1 }, { unique: true });
visitSchema.index({ 'attachments.sha256': 1 });
export type VisitAttrs = InferSchemaType<typeof visitSchema>;
export const Visit = model('Visit', visitSchema);
