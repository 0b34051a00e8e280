import { Schema, model, type InferSchemaType } from 'mongoose';

export const REPORT_STATUSES = ['pending', 'ready', 'failed'] as const;
export type ReportStatus = (typeof REPORT_STATUSES)[number];

/**
 * One closing of a bank's quarter. Versions count up per bank+quarter (unique index); a later
 * close supersedes the earlier versions, which stay downloadable. The numbers it was rendered from
 * are kept as an immutable JSON snapshot file (GridFS), referenced with its SHA-256.
 */
const reportSchema = new Schema(
  {
    bankId: { type: Schema.Types.ObjectId, ref: 'Bank', required: true },
    quarter: { type: String, required: true },
    version: { type: Number, required: true, min: 1 },
    status: { type: String, enum: REPORT_STATUSES, required: true, default: 'pending' },
    jobId: { type: Schema.Types.ObjectId, ref: 'Job' },
    requestedBy: { type: String },
    snapshot: {
      type: new Schema(
        {
          fileId: { type: Schema.Types.ObjectId, required: true },
          size: { type: Number, required: true },
          sha256: { type: String, required: true },
          generatedAt: { type: Date, required: true },
          // The headline figures, so lists need not open the snapshot file.
          n: { type: Number, required: true },
          branches: { type: Number, required: true },
          total: { type: Number, default: null },
        },
        { _id: false },
      ),
      default: null,
    },
    fileCount: { type: Number, default: 0 },
    readyAt: { type: Date },
    failedAt: { type: Date },
    error: { type: String },
    supersededBy: { type: Schema.Types.ObjectId, ref: 'Report', default: null },
    supersededAt: { type: Date },
  },
  { timestamps: true },
);
reportSchema.index({ bankId: 1, quarter: 1, version: 1 }, { unique: true });
reportSchema.index({ bankId: 1, createdAt: -1 });
export type ReportAttrs = InferSchemaType<typeof reportSchema>;
export const Report = model('Report', reportSchema);

export const FILE_KINDS = ['bank', 'region', 'branch'] as const;
export type FileKind = (typeof FILE_KINDS)[number];

/**
 * One rendered PDF of a report. A document per file rather than an array inside the report: a
 * 25,000-branch close would otherwise rewrite one ever-growing document 25,000 times, and the
 * unique (reportId, scope) index is what lets an interrupted close resume without duplicates.
 */
const reportFileSchema = new Schema(
  {
    reportId: { type: Schema.Types.ObjectId, ref: 'Report', required: true },
    bankId: { type: Schema.Types.ObjectId, ref: 'Bank', required: true },
    scope: { type: String, required: true }, // bank | region:<name> | branch:<code>
    kind: { type: String, enum: FILE_KINDS, required: true },
    region: { type: String }, // region and branch files, for scope filters
    branchCode: { type: String },
    name: { type: String, required: true }, // the region's or branch's name, for file names and lists
    fileId: { type: Schema.Types.ObjectId, required: true },
    size: { type: Number, required: true },
    chunks: { type: Number, required: true },
    sha256: { type: String, required: true },
  },
  { timestamps: { createdAt: true, updatedAt: false } },
);
reportFileSchema.index({ reportId: 1, scope: 1 }, { unique: true });
reportFileSchema.index({ reportId: 1, kind: 1, region: 1 });
export type ReportFileAttrs = InferSchemaType<typeof reportFileSchema>;
export const ReportFile = model('ReportFile', reportFileSchema);
