import { Schema, model, type InferSchemaType, type Types } from 'mongoose';
import { EVENT_TYPES } from './events';

/**
 * Webhooks (SPEC §13), private to this feature.
 * - An endpoint: a URL of one bank (gets only that bank's events) or of the audit firm (bankId null:
 *   every bank), the event types it wants, its signing secret (sealed, see secrets.ts).
 * - An event: the outbox. Its `_id` is derived from what caused it (a visit's history entry, a
 *   report, an alert notice), so deriving it again after a crash finds the same event.
 * - A delivery: one event to one endpoint, unique per (endpoint, event): "sent once" is that index.
 *   `orderKey`/`position` order the deliveries of one visit to one endpoint: a later one waits while
 *   an earlier one is still on its way.
 * - A follow cursor: how many history entries of a visit have been turned into events.
 */
export const ENDPOINT_STATUSES = ['enabled', 'disabled'] as const;

const endpointSchema = new Schema(
  {
    url: { type: String, required: true },
    bankId: { type: Schema.Types.ObjectId, ref: 'Bank', default: null },
    events: { type: [String], enum: EVENT_TYPES, required: true },
    description: { type: String, default: '' },
    status: { type: String, enum: ENDPOINT_STATUSES, required: true, default: 'enabled' },
    secretSealed: { type: String, required: true },
    /** The first failure since the last success (cleared by a success). */
    failingSince: { type: Date, default: null },
    disabledAt: { type: Date, default: null },
    disabledReason: { type: String, default: null },
    /** The e-mail telling the admins of the last automatic disabling (one per disabling). */
    disabledNoticeId: { type: Schema.Types.ObjectId, default: null },
    createdBy: { type: Schema.Types.ObjectId, ref: 'User', required: true },
    deletedAt: { type: Date, default: null },
  },
  { timestamps: true },
);
endpointSchema.index({ status: 1 });
export type EndpointAttrs = InferSchemaType<typeof endpointSchema>;
export type EndpointDoc = EndpointAttrs & { _id: Types.ObjectId; createdAt: Date; updatedAt: Date };
export const WebhookEndpoint = model('WebhookEndpoint', endpointSchema, 'webhook_endpoints');

const eventSchema = new Schema(
  {
    _id: { type: String, required: true },
    type: { type: String, enum: EVENT_TYPES, required: true },
    bankId: { type: Schema.Types.ObjectId, ref: 'Bank', required: true },
    orderKey: { type: String, required: true },
    position: { type: Number, required: true },
    /** The exact body sent (the same bytes on every attempt, so a retry carries the same payload). */
    body: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false },
);
export type EventDoc = InferSchemaType<typeof eventSchema> & { _id: string };
export const WebhookEvent = model('WebhookEvent', eventSchema, 'webhook_events');

export const DELIVERY_STATUSES = ['pending', 'sending', 'delivered', 'failed'] as const;
export type WebhookDeliveryStatus = (typeof DELIVERY_STATUSES)[number];

const attemptSchema = new Schema(
  {
    at: { type: Date, required: true },
    kind: { type: String, enum: ['auto', 'redeliver'], required: true },
    ok: { type: Boolean, required: true },
    statusCode: { type: Number },
    error: { type: String },
    ms: { type: Number, required: true },
  },
  { _id: false },
);

const deliverySchema = new Schema(
  {
    /** `dlv_<endpointId>_<eventId>`: found again by its exact id when the same event is published again. */
    _id: { type: String, required: true },
    endpointId: { type: Schema.Types.ObjectId, ref: 'WebhookEndpoint', required: true },
    eventId: { type: String, required: true },
    type: { type: String, required: true },
    bankId: { type: Schema.Types.ObjectId, ref: 'Bank', required: true },
    orderKey: { type: String, required: true },
    position: { type: Number, required: true },
    status: { type: String, enum: DELIVERY_STATUSES, required: true, default: 'pending' },
    nextKind: { type: String, enum: ['auto', 'redeliver'], default: 'auto' },
    /** Automatic attempts since queued (or since a redelivery by hand): drives the growing delays. */
    tries: { type: Number, required: true, default: 0 },
    nextAttemptAt: { type: Date, required: true },
    lockedBy: { type: String, default: null },
    lockedUntil: { type: Date, default: null },
    attempts: { type: [attemptSchema], default: [] },
    lastStatusCode: { type: Number, default: null },
    lastError: { type: String, default: null },
    deliveredAt: { type: Date, default: null },
    /** When the change that caused the event was noted (for the change-to-delivery latency). */
    eventAt: { type: Date, required: true },
  },
  { timestamps: true },
);
deliverySchema.index({ endpointId: 1, eventId: 1 }, { unique: true });
deliverySchema.index({ status: 1, nextAttemptAt: 1 });
deliverySchema.index({ endpointId: 1, createdAt: -1 });
export type DeliveryDoc = InferSchemaType<typeof deliverySchema> & { _id: string; createdAt: Date };
export const WebhookDelivery = model('WebhookDelivery', deliverySchema, 'webhook_deliveries');
export const deliveryIdOf = (endpointId: unknown, eventId: string) => `dlv_${String(endpointId)}_${eventId}`;

/**
 * The sending queue (queue.ts): one document per second of due time ("bucket"), holding small entries
 * that point at deliveries due from that second on. The sender reads buckets by their exact id, from
 * the queue's mark (every earlier bucket is sealed) up to now: on FerretDB any other filter scans the
 * collection, so a backlog (a receiver down for a day, a burst) costs nothing until its time comes.
 * An entry is only a pointer: the delivery's own record (claimed under a lease) decides what is sent.
 * A bucket is sealed once every entry in it is settled or moved on; an append to a sealed bucket is
 * refused by the unique _id (an upsert that does not match a sealed bucket inserts a duplicate) and
 * goes to a later bucket, so no entry lands behind the mark.
 */
const queueEntrySchema = new Schema(
  {
    /** This entry's own token (a delivery may have several entries: a retry, a redelivery, a replay). */
    t: { type: String, required: true },
    /** When the entry was written (ms): an attempt that ended after it supersedes it. */
    c: { type: Number, required: true },
    /** The delivery, its endpoint, its order key and position. */
    d: { type: String, required: true },
    e: { type: String, required: true },
    k: { type: String, required: true },
    p: { type: Number, required: true },
    /** The delivery that must be settled first: this endpoint's previous event of the same order key. */
    a: { type: String },
    /** 1: a redelivery by hand (the attempt is logged as such). */
    r: { type: Number },
  },
  { _id: false },
);
const queueBucketSchema = new Schema(
  {
    _id: { type: String, required: true }, // `b<second>`
    rev: { type: Number, required: true, default: 0 },
    sealed: { type: Boolean },
    entries: { type: [queueEntrySchema], default: [] },
  },
  { versionKey: false },
);
export type QueueEntry = InferSchemaType<typeof queueEntrySchema>;
export const WebhookQueue = model('WebhookQueue', queueBucketSchema, 'webhook_queue');

const cursorSchema = new Schema(
  {
    _id: { type: Schema.Types.ObjectId, required: true }, // the visit
    /** History entries already turned into events. */
    seen: { type: Number, required: true },
  },
  { versionKey: false },
);
export const VisitEventCursor = model('VisitEventCursor', cursorSchema, 'visit_event_cursors');

/** Where a periodic announcer has got to (e.g. the reports published so far). */
const markSchema = new Schema(
  {
    _id: { type: String, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false },
);
export const WebhookMark = model('WebhookMark', markSchema, 'webhook_marks');
