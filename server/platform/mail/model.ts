import { Schema, model, type InferSchemaType } from 'mongoose';

export const DELIVERY_STATUSES = ['pending', 'sending', 'sent', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * One e-mail to one recipient, with every attempt. `kind` says what sort of e-mail it is (the
 * composer that writes it, see outbox.ts) and `reportId` what it is about: the report, for the
 * report e-mails (the field keeps its first name so stored deliveries stay as they are). `sending` is a lease taken before the
 * message goes out and turned into `sent` after, in single-document updates: a delivery marked
 * `sent` is never sent again by the worker, and a send interrupted by a crash is retried with the
 * same Message-ID (so a duplicate, if the first copy did leave, is recognisable as one).
 * `seq` counts explicit re-sends by an admin; each gets its own Message-ID.
 */
const attemptSchema = new Schema(
  {
    at: { type: Date, required: true },
    kind: { type: String, enum: ['auto', 'resend'], required: true },
    ok: { type: Boolean, required: true },
    error: { type: String },
    messageId: { type: String, required: true },
    by: { type: String }, // who asked for a re-send
  },
  { _id: false },
);

const deliverySchema = new Schema(
  {
    kind: { type: String, default: 'report' },
    reportId: { type: Schema.Types.ObjectId, ref: 'Report', required: true },
    // The bank the e-mail is about; none for an e-mail to an audit-firm user (a password-reset link).
    bankId: { type: Schema.Types.ObjectId, ref: 'Bank' },
    recipient: { type: String, required: true },
    status: { type: String, enum: DELIVERY_STATUSES, required: true, default: 'pending' },
    seq: { type: Number, required: true, default: 0 },
    nextKind: { type: String, enum: ['auto', 'resend'], default: 'auto' },
    requestedBy: { type: String },
    // Automatic attempts since the delivery (or its last re-send) was queued; drives the backoff.
    tries: { type: Number, required: true, default: 0 },
    nextAttemptAt: { type: Date, required: true },
    lockedBy: { type: String, default: null },
    lockedUntil: { type: Date, default: null },
    attempts: { type: [attemptSchema], default: [] },
    lastError: { type: String, default: null },
    sentAt: { type: Date, default: null },
    messageId: { type: String },
  },
  { timestamps: true },
);
deliverySchema.index({ reportId: 1, recipient: 1 }, { unique: true });
deliverySchema.index({ status: 1, nextAttemptAt: 1 });
export type DeliveryAttrs = InferSchemaType<typeof deliverySchema>;
export const Delivery = model('Delivery', deliverySchema);
