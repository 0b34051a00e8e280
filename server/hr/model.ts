import { Schema, model, type InferSchemaType } from 'mongoose';
import { SECTION_KEYS } from '../rules/scoring';

/**
 * A link from a quarter's staff scorecard to a review in the bank's HR system. The snapshot holds
 * the numbers as they were when the link was made and is never recomputed: a later overturned
 * dispute changes the scorecard, not what the review was based on.
 */
const sectionsSchema = new Schema(Object.fromEntries(SECTION_KEYS.map((k) => [k, { type: Number, default: null }])), {
  _id: false,
});

const staffReviewSchema = new Schema(
  {
    bankId: { type: Schema.Types.ObjectId, ref: 'Bank', required: true },
    employeeId: { type: String, required: true },
    staffName: { type: String, required: true },
    branchCode: { type: String, required: true },
    region: { type: String, required: true },
    quarter: { type: String, required: true },
    reviewRef: { type: String, required: true },
    note: { type: String, default: null },
    snapshot: {
      n: { type: Number, required: true },
      sections: { type: sectionsSchema, required: true },
      total: { type: Number, default: null },
      previousTotal: { type: Number, default: null },
      disputed: { type: Number, required: true },
      /** SPEC §11 as it was: the total's 95 % interval and whether it rested on fewer than 3 visits. */
      ci95: { type: [Number], default: undefined },
      smallSample: { type: Boolean, default: undefined },
    },
    createdBy: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    // `<bankId>|<employeeId>|<quarter>|<reviewRef>`: the same review is linked to the same scorecard once.
    linkKey: { type: String, required: true },
  },
  { timestamps: true },
);
staffReviewSchema.index({ linkKey: 1 }, { unique: true });
staffReviewSchema.index({ bankId: 1, employeeId: 1, createdAt: -1 });
export type StaffReviewAttrs = InferSchemaType<typeof staffReviewSchema>;
export const StaffReview = model('StaffReview', staffReviewSchema);
