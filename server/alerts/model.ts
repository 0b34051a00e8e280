import { Schema, model, type InferSchemaType, type Types } from 'mongoose';

/**
 * A compliance alert (SPEC §13): one per visit and round (a round starts when an approved visit has
 * a violation; see rules.ts). `key` = `<visitId>:<round>` is unique, so an alert is raised once
 * however often its cause is replayed. The alert e-mail is filed in the mail outbox under the
 * alert's id, the withdrawal notice under `withdrawalId` (set in the one update that withdraws it).
 */
export const ALERT_STATUSES = ['sent', 'withdrawn'] as const;
export type AlertStatus = (typeof ALERT_STATUSES)[number];

const alertSchema = new Schema(
  {
    key: { type: String, required: true },
    visitId: { type: Schema.Types.ObjectId, ref: 'Visit', required: true },
    round: { type: Number, required: true },
    bankId: { type: Schema.Types.ObjectId, ref: 'Bank', required: true },
    branchCode: { type: String, required: true },
    region: { type: String, required: true },
    quarter: { type: String, required: true },
    visitedAt: { type: Date, required: true },
    questionnaireId: { type: Schema.Types.ObjectId, required: true },
    questionnaireVersion: { type: Number, required: true },
    itemKeys: { type: [String], required: true },
    status: { type: String, enum: ALERT_STATUSES, required: true, default: 'sent' },
    /** When the visit became alerting (its approval, or the decision that added a violation). */
    raisedAt: { type: Date, required: true },
    withdrawnAt: { type: Date, default: null },
    withdrawalId: { type: Schema.Types.ObjectId, default: null },
  },
  { timestamps: true },
);
alertSchema.index({ key: 1 }, { unique: true });
alertSchema.index({ bankId: 1, quarter: 1 });
export type AlertDoc = InferSchemaType<typeof alertSchema> & { _id: Types.ObjectId; createdAt: Date };
export const Alert = model('Alert', alertSchema, 'alerts');
