import { Schema, model, type InferSchemaType, type Types } from 'mongoose';

/**
 * The audit log (SPEC §14): one document per recorded event, inserted once and never changed — the
 * product has no code path that updates or deletes it. `_id` is made when the event happens, so an
 * entry that had to wait in the spool (recorder.ts) is written under the same id and never twice.
 * `before`/`after` are kept as JSON text: they hold whatever shape the changed record had, and user
 * data may not be a document key on the embedded database.
 */
const targetSchema = new Schema(
  {
    type: { type: String, required: true },
    id: { type: String },
    label: { type: String },
  },
  { _id: false },
);

const auditEntrySchema = new Schema(
  {
    at: { type: Date, required: true },
    action: { type: String, required: true },
    outcome: { type: String, enum: ['success', 'failure'], required: true },
    actorId: { type: String },
    actorEmail: { type: String },
    actorRole: { type: String },
    // The actor's bank: a whole-bank manager sees the entries of their own bank's users.
    actorBankId: { type: String },
    ip: { type: String },
    userAgent: { type: String },
    requestId: { type: String },
    target: { type: targetSchema, required: true },
    // The bank the target belongs to, when it belongs to one.
    bankId: { type: String },
    before: { type: String },
    after: { type: String },
    note: { type: String },
  },
  { versionKey: false },
);
auditEntrySchema.index({ actorBankId: 1, _id: -1 });
auditEntrySchema.index({ actorId: 1, _id: -1 });
auditEntrySchema.index({ action: 1, _id: -1 });
auditEntrySchema.index({ at: -1 });

export type AuditEntryAttrs = InferSchemaType<typeof auditEntrySchema>;
export type StoredAuditEntry = AuditEntryAttrs & { _id: Types.ObjectId };
export const AuditEntry = model('AuditEntry', auditEntrySchema, 'audit_log');
