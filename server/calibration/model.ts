import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * Calibration (SPEC §12). A round is a written case scored independently by at least three
 * auditors on one questionnaire version; its answers are kept apart from visits (they are never
 * visits and never count in results). Each auditor's sheet is its own document with a unique
 * `sheetKey`, so an auditor answers once (a second post is refused by the index, not by a read).
 */
const answerSchema = new Schema(
  { itemKey: { type: String, required: true }, value: Schema.Types.Mixed },
  { _id: false },
);

/** Evidence of the case (recordings, photos), stored like visit evidence (GridFS, type by content, SHA-256). */
const attachmentSchema = new Schema(
  {
    fileId: { type: Schema.Types.ObjectId, required: true },
    filename: { type: String, required: true },
    contentType: { type: String, required: true },
    size: { type: Number, required: true },
    sha256: { type: String, required: true },
    uploadedBy: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    uploadedAt: { type: Date, required: true },
  },
  { _id: true },
);

const roundSchema = new Schema(
  {
    bankId: { type: Schema.Types.ObjectId, ref: 'Bank', required: true },
    questionnaireId: { type: Schema.Types.ObjectId, ref: 'Questionnaire', required: true },
    version: { type: Number, required: true },
    title: { type: String, required: true },
    caseText: { type: String, required: true },
    auditorIds: { type: [Schema.Types.ObjectId], required: true },
    /** When the answers are expected; null when the admin set no date. */
    dueAt: { type: Date, default: null },
    createdBy: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    /** The reviewer's reference answers; null until set. */
    reference: { type: [answerSchema], default: null },
    referenceSetBy: { type: Schema.Types.ObjectId, ref: 'User', default: null },
    referenceSetAt: { type: Date, default: null },
    attachments: { type: [attachmentSchema], default: [] },
  },
  { timestamps: true },
);
roundSchema.index({ createdAt: -1 });

const sheetSchema = new Schema(
  {
    roundId: { type: Schema.Types.ObjectId, ref: 'CalibrationRound', required: true },
    auditorId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    answers: { type: [answerSchema], required: true },
    // `<roundId>|<auditorId>`: one sheet per auditor and round.
    sheetKey: { type: String, required: true },
  },
  { timestamps: true },
);
sheetSchema.index({ sheetKey: 1 }, { unique: true });

export type CalibrationRoundAttrs = InferSchemaType<typeof roundSchema>;
export const CalibrationRound = model('CalibrationRound', roundSchema, 'calibration_rounds');
export const CalibrationSheet = model('CalibrationSheet', sheetSchema, 'calibration_sheets');
