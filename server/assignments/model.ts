import { Schema, model, type InferSchemaType, type Types } from 'mongoose';
import { now } from '../platform/clock';

/** An auditor is sent to one branch, within a time window, with a scenario, on one questionnaire. */
const assignmentSchema = new Schema(
  {
    bankId: { type: Schema.Types.ObjectId, ref: 'Bank', required: true },
    branchCode: { type: String, required: true },
    region: { type: String, required: true },
    auditorId: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    questionnaireId: { type: Schema.Types.ObjectId, ref: 'Questionnaire', required: true },
    quarter: { type: String, required: true },
    windowStart: { type: Date, required: true },
    windowEnd: { type: Date, required: true },
    scenario: { type: String, required: true },
    createdBy: { type: Schema.Types.ObjectId, ref: 'User' },
  },
  { timestamps: { currentTime: now } },
);
assignmentSchema.index({ auditorId: 1, quarter: 1 });
assignmentSchema.index({ bankId: 1, quarter: 1, branchCode: 1 });
export type AssignmentAttrs = InferSchemaType<typeof assignmentSchema>;
export const Assignment = model('Assignment', assignmentSchema);

/** An assignment as stored (a lean read). */
export interface AssignmentLean {
  _id: Types.ObjectId;
  bankId: Types.ObjectId;
  branchCode: string;
  region: string;
  auditorId: Types.ObjectId;
  questionnaireId: Types.ObjectId;
  quarter: string;
  windowStart: Date;
  windowEnd: Date;
  scenario: string;
}
