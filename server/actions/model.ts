import { Schema, model, type InferSchemaType } from 'mongoose';

/**
 * A bank's corrective action for a key problem (an item across a bank, region or branch) or for a
 * violation (an item of one visit) found in a quarter. `region` and `branchCode` are always set
 * ('' when the plan is wider), so scope filters work the same way as on visits.
 */
export const PLAN_KINDS = ['key_problem', 'violation'] as const;
export type PlanKind = (typeof PLAN_KINDS)[number];
export const PLAN_SCOPES = ['bank', 'region', 'branch'] as const;
export type PlanScope = (typeof PLAN_SCOPES)[number];
export const PLAN_STATUSES = ['open', 'done'] as const;
export type PlanStatus = (typeof PLAN_STATUSES)[number];

const planHistorySchema = new Schema(
  {
    at: { type: Date, required: true },
    by: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    action: { type: String, required: true },
    changes: { type: [Schema.Types.Mixed], default: [] }, // [{ field, before, after }]
  },
  { _id: false },
);

const actionPlanSchema = new Schema(
  {
    bankId: { type: Schema.Types.ObjectId, ref: 'Bank', required: true },
    quarter: { type: String, required: true },
    kind: { type: String, enum: PLAN_KINDS, required: true },
    itemKey: { type: String, required: true },
    sectionKey: { type: String, required: true },
    visitId: { type: String, default: '' }, // violations only
    scopeType: { type: String, enum: PLAN_SCOPES, required: true },
    region: { type: String, default: '' },
    branchCode: { type: String, default: '' },
    action: { type: String, required: true },
    owner: { type: String, required: true },
    dueDate: { type: String, required: true }, // a calendar date, YYYY-MM-DD
    status: { type: String, enum: PLAN_STATUSES, required: true, default: 'open' },
    doneAt: { type: Date, default: null },
    doneBy: { type: Schema.Types.ObjectId, ref: 'User', default: null },
    createdBy: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    history: { type: [planHistorySchema], default: [] },
    rev: { type: Number, required: true, default: 0 },
  },
  { timestamps: true },
);
actionPlanSchema.index({ bankId: 1, quarter: 1, status: 1 });
actionPlanSchema.index({ bankId: 1, region: 1, branchCode: 1 });
export type ActionPlanAttrs = InferSchemaType<typeof actionPlanSchema>;
export const ActionPlan = model('ActionPlan', actionPlanSchema);
