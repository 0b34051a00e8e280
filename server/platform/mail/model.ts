import { Schema, model, type InferSchemaType } from 'mongoose';

export const DELIVERY_STATUSES = ['pending', 'sending', 'sent', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * The sending lanes: `urgent` e-mails (a compliance alert, a password-reset link) are sent by workers
 * of their own, so they never wait behind the `bulk` ones (report e-mails with their PDFs).
 */
export const MAIL_LANES = ['urgent', 'bulk'] as const;
export type MailLane = (typeof MAIL_LANES)[number];

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
    // Deliveries stored before lanes existed are bulk.
    lane: { type: String, enum: MAIL_LANES, default: 'bulk' },
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

/**
 * The due list of one lane: an entry per delivery still to be sent (pending, or `sending` under a
 * lease), removed once it is sent or failed for good. Workers look for due deliveries here instead of
 * in the deliveries, which keep every e-mail ever sent: on FerretDB any filter but an exact _id reads
 * the whole collection, and this one holds only what is outstanding. The delivery stays the arbiter
 * (it is taken by exact id, conditional on its state); an entry only points at it, so a stale or
 * missing entry costs a wasted read or a wait for the repair sweep (queue.ts), never a second send.
 * `due` mirrors the delivery's next attempt; `v` changes whenever the delivery is queued again, so a
 * worker removes the entry only if nobody queued the delivery since it read it.
 */
const queueEntrySchema = new Schema(
  {
    _id: { type: Schema.Types.ObjectId, required: true },
    due: { type: Date, required: true },
    v: { type: Number, required: true, default: 0 },
  },
  { versionKey: false },
);
export type QueueEntry = InferSchemaType<typeof queueEntrySchema>;
const queueModel = (name: string, collection: string) => model(name, queueEntrySchema, collection);
export const MailQueue: Record<MailLane, ReturnType<typeof queueModel>> = {
  urgent: queueModel('MailQueueUrgent', 'mail_queue_urgent'),
  bulk: queueModel('MailQueueBulk', 'mail_queue_bulk'),
};
