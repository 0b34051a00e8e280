import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * A bank manager's dispute of one item of an approved visit, and the reviewer's decision on it.
 * `resolving` is the short step between the reviewer's decision and its application to the visit;
 * it no longer counts as open, so the visit's status can be worked out from the open disputes alone.
 */
export const DISPUTE_STATUSES = ['open', 'resolving', 'upheld', 'overturned'] as const;
export type DisputeStatus = (typeof DISPUTE_STATUSES)[number];
export const DECISIONS = ['upheld', 'overturned'] as const;
export type Decision = (typeof DECISIONS)[number];

const resolutionSchema = new Schema(
  {
    decision: { type: String, enum: DECISIONS, required: true },
    value: { type: Schema.Types.Mixed }, // the corrected answer when overturned
    note: { type: String, required: true },
    by: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    at: { type: Date, required: true },
    // What the visit looked like before and after, for the dispute's own record.
    before: { type: Schema.Types.Mixed },
    after: { type: Schema.Types.Mixed },
  },
  { _id: false },
);

const disputeSchema = new Schema(
  {
    visitId: { type: Schema.Types.ObjectId, ref: 'Visit', required: true },
    // Copied from the visit so that scope filters need no join.
    bankId: { type: Schema.Types.ObjectId, ref: 'Bank', required: true },
    branchCode: { type: String, required: true },
    region: { type: String, required: true },
    quarter: { type: String, required: true },
    // The version the visit was filled on: item wording and scoring rules come from it.
    questionnaireId: { type: Schema.Types.ObjectId, ref: 'Questionnaire', required: true },
    questionnaireVersion: { type: Number, required: true },
    itemKey: { type: String, required: true },
    sectionKey: { type: String, required: true },
    reason: { type: String, required: true },
    status: { type: String, enum: DISPUTE_STATUSES, required: true, default: 'open' },
    valueAtOpening: { type: Schema.Types.Mixed, default: null },
    openedBy: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    openedAt: { type: Date, required: true },
    /**
     * `<visitId>:<itemKey>` while the dispute is undecided, `closed:<disputeId>` after: the unique
     * index makes "one undecided dispute per item" an atomic insert. Always set (a decided dispute
     * gets a key of its own), so a plain unique index covers every dispute without a partial filter.
     */
    openKey: { type: String, required: true },
    resolution: { type: resolutionSchema, default: null },
    /** When an overturn was applied (written with the decision). */
    overturnedAt: { type: Date },
    /**
     * `false` from an overturn's decision until publishing has taken note of it (a published report
     * of the quarter may now show numbers that changed). Written in the same single-document update
     * as the decision, so no crash or failed write can separate the two; see overturns.ts.
     */
    overturnNoted: { type: Boolean },
  },
  { timestamps: true },
);
disputeSchema.index({ openKey: 1 }, { unique: true });
disputeSchema.index({ visitId: 1, status: 1 });
disputeSchema.index({ bankId: 1, quarter: 1, status: 1 });
disputeSchema.index({ status: 1, overturnNoted: 1 });
export type DisputeAttrs = InferSchemaType<typeof disputeSchema>;
export const Dispute = model('Dispute', disputeSchema);

export const openKeyOf = (visitId: string, itemKey: string) => `${visitId}:${itemKey}`;
export const closedKeyOf = (disputeId: string) => `closed:${disputeId}`;
/** Statuses that still hold the visit in `disputed`. */
export const UNDECIDED: readonly DisputeStatus[] = ['open'];

/**
 * Evidence a bank manager adds to a dispute. One document per file (never an array pushed onto the
 * dispute), so parallel uploads are independent inserts and nothing can be lost in a race.
 */
const disputeAttachmentSchema = new Schema(
  {
    disputeId: { type: Schema.Types.ObjectId, ref: 'Dispute', required: true },
    fileId: { type: Schema.Types.ObjectId, required: true }, // GridFS file in the evidence bucket
    filename: { type: String, required: true },
    contentType: { type: String, required: true },
    size: { type: Number, required: true },
    sha256: { type: String, required: true },
    uploadedBy: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    uploadedAt: { type: Date, required: true },
  },
  { versionKey: false },
);
disputeAttachmentSchema.index({ disputeId: 1, uploadedAt: 1 });
export const DisputeAttachment = model('DisputeAttachment', disputeAttachmentSchema);
