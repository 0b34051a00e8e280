import { Schema, model, type InferSchemaType } from 'mongoose';

export const JOB_STATUSES = ['queued', 'running', 'done', 'failed'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

/**
 * Background work shared by every app instance on one database. A job is taken with a lease
 * (`lockedBy` until `lockedUntil`) by one conditional findOneAndUpdate, so two instances never run it
 * at once; a holder that dies lets the lease expire and another instance takes the job over.
 *
 * `key` is unique: while a job is queued or running it holds its plain key (e.g. the bank and
 * quarter of a close), so a second identical job cannot exist; a finished job renames its key to
 * `<key>#<id>`, freeing it. (A unique index with an always-present value behaves the same on MongoDB
 * and on FerretDB 1.24, which has no partial indexes.)
 */
const jobSchema = new Schema(
  {
    type: { type: String, required: true },
    key: { type: String, required: true },
    payload: { type: Schema.Types.Mixed, required: true },
    status: { type: String, enum: JOB_STATUSES, required: true, default: 'queued' },
    runAfter: { type: Date, required: true },
    lockedBy: { type: String, default: null },
    lockedUntil: { type: Date, default: null },
    attempts: { type: Number, required: true, default: 0 },
    maxAttempts: { type: Number, required: true, default: 3 },
    progress: {
      phase: { type: String, default: 'queued' },
      done: { type: Number, default: 0 },
      total: { type: Number, default: 0 },
      updatedAt: { type: Date },
    },
    lastError: { type: String },
    startedAt: { type: Date },
    finishedAt: { type: Date },
    createdBy: { type: String },
  },
  { timestamps: true },
);
jobSchema.index({ key: 1 }, { unique: true });
jobSchema.index({ status: 1, runAfter: 1 });
jobSchema.index({ type: 1, createdAt: -1 });
export type JobAttrs = InferSchemaType<typeof jobSchema>;
export const Job = model('Job', jobSchema);

/**
 * Marks of actions taken once, from before write claims (platform/db/write-claims.ts) took their
 * place: only read, so that a data folder seeded by an earlier version is still known as demo data.
 */
const scheduleMarkSchema = new Schema(
  {
    _id: { type: String, required: true },
    createdAt: { type: Date, required: true, default: () => new Date() },
  },
  { versionKey: false },
);
export const ScheduleMark = model('ScheduleMark', scheduleMarkSchema);
