import { Schema, model, type InferSchemaType } from 'mongoose';

const bankSchema = new Schema(
  {
    code: { type: String, required: true },
    name: { type: String, required: true },
    timezone: { type: String, required: true, default: 'Asia/Shanghai' },
    // Chooses the language of the bank's reports and e-mails.
    language: { type: String, enum: ['zh', 'en'], default: 'zh' },
    reportRecipients: { type: [String], default: [] },
    // Compliance alerts (SPEC §13): who is e-mailed when an approved visit has a violation.
    alertRecipients: { type: [String], default: [] },
    // SPEC §9: how far (m) from its branch an arrival or a photo may be before the visit is flagged.
    geofenceMeters: { type: Number, default: 300 },
  },
  { timestamps: true },
);
bankSchema.index({ code: 1 }, { unique: true });
export type BankAttrs = InferSchemaType<typeof bankSchema>;
export const Bank = model('Bank', bankSchema);

const branchSchema = new Schema(
  {
    bankId: { type: Schema.Types.ObjectId, ref: 'Bank', required: true },
    code: { type: String, required: true },
    name: { type: String, required: true },
    region: { type: String, required: true },
    city: { type: String },
    // WGS-84 decimal degrees (SPEC §9); both or neither.
    lat: { type: Number },
    lng: { type: Number },
    active: { type: Boolean, default: true },
  },
  { timestamps: true },
);
branchSchema.index({ bankId: 1, code: 1 }, { unique: true });
branchSchema.index({ bankId: 1, region: 1 });
export type BranchAttrs = InferSchemaType<typeof branchSchema>;
export const Branch = model('Branch', branchSchema);

const staffSchema = new Schema(
  {
    bankId: { type: Schema.Types.ObjectId, ref: 'Bank', required: true },
    employeeId: { type: String, required: true },
    name: { type: String, required: true },
    branchCode: { type: String, required: true },
    // Copied from the branch so that scope filters need no join (FerretDB has no $lookup).
    region: { type: String, required: true },
    position: { type: String },
    active: { type: Boolean, default: true },
  },
  { timestamps: true },
);
staffSchema.index({ bankId: 1, employeeId: 1 }, { unique: true });
staffSchema.index({ bankId: 1, branchCode: 1 });
export type StaffAttrs = InferSchemaType<typeof staffSchema>;
export const Staff = model('Staff', staffSchema);

/**
 * A branch moved to another region (by an import), until everything that carries the branch's region
 * (visits, assignments, disputes, plans, the kept statistics) has followed it. Written before the
 * move, settled after, so a move interrupted half-way is finished by the next round.
 */
const branchMoveSchema = new Schema(
  {
    bankId: { type: Schema.Types.ObjectId, required: true },
    branchCode: { type: String, required: true },
    to: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false },
);
branchMoveSchema.index({ bankId: 1, branchCode: 1 });
export const BranchMove = model('BranchMove', branchMoveSchema, 'branch_moves');
