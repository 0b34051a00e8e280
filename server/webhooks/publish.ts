import { Types } from 'mongoose';
import { BoundedCache } from '../platform/cache';
import { isDuplicateKey, unlessDuplicate } from '../platform/db/duplicate-key';
import { workQueued } from '../platform/jobs/wakeup';
import type { EventData, EventType } from './events';
import { WebhookDelivery, WebhookEndpoint, WebhookEvent, type EventDoc } from './model';

/**
 * Publishing an event: the event is stored under its id (derived from its cause), then one delivery
 * per endpoint that wants it. Both are inserts under unique keys, so publishing the same event again
 * (a follower replaying after a crash) adds nothing and sends nothing twice. A bank's event goes to
 * that bank's endpoints and to the audit firm's, never to another bank's.
 */
export interface EventToPublish<T extends EventType = EventType> {
  id: string;
  type: T;
  bankId: string;
  /** Events with the same key are delivered to each endpoint in `position` order (a visit's events). */
  orderKey: string;
  position: number;
  /** When the change happened. */
  at: Date;
  data: EventData<T>;
}

interface EndpointTarget {
  _id: Types.ObjectId;
  bankId: Types.ObjectId | null;
  events: string[];
}
/** The enabled endpoints, kept briefly (read for every event; the instance that changes one forgets at once). */
const endpointsCache = new BoundedCache<'all', EndpointTarget[]>({ limit: 1, ttlMs: 2000 });

export function forgetEndpoints(): void {
  endpointsCache.clear();
}

async function enabledEndpoints(): Promise<EndpointTarget[]> {
  const hit = endpointsCache.get('all');
  if (hit) return hit;
  const rows = await WebhookEndpoint.find({ status: 'enabled', deletedAt: null }, { bankId: 1, events: 1 }).lean();
  const list = rows.map((r) => ({ _id: r._id, bankId: r.bankId ?? null, events: r.events }));
  endpointsCache.set('all', list);
  return list;
}

export const bodyOf = (e: Pick<EventToPublish, 'type' | 'at' | 'data'>) =>
  JSON.stringify({ type: e.type, timestamp: e.at.toISOString(), data: e.data });

/** Stores the event (once) and queues it for every endpoint that wants it; returns how many were queued. */
export async function publishEvent(e: EventToPublish): Promise<number> {
  const bankId = new Types.ObjectId(e.bankId);
  const doc: EventDoc = {
    _id: e.id,
    type: e.type,
    bankId,
    orderKey: e.orderKey,
    position: e.position,
    body: bodyOf(e),
    at: e.at,
  };
  // The first stored body wins: a replay must not change what an endpoint may already have received.
  const stored = await unlessDuplicate(
    async () => (await WebhookEvent.create(doc)).toObject() as EventDoc,
    async () => (await WebhookEvent.findById(e.id).lean<EventDoc>()) ?? doc,
  );
  const targets = (await enabledEndpoints()).filter(
    (t) => t.events.includes(stored.type) && (t.bankId === null || String(t.bankId) === e.bankId),
  );
  const queued = await queueDeliveries(
    targets.map((t) => t._id),
    stored,
  );
  if (queued) workQueued();
  return queued;
}

/**
 * One delivery of the event per endpoint, in one insert (unordered: a delivery that exists already,
 * from an earlier publish of the same event, is refused by the unique index and the others go in).
 * Returns how many were queued now.
 */
export async function queueDeliveries(endpointIds: Types.ObjectId[], e: EventDoc): Promise<number> {
  if (!endpointIds.length) return 0;
  const now = new Date();
  const docs = endpointIds.map((endpointId) => ({
    endpointId,
    eventId: e._id,
    type: e.type,
    bankId: e.bankId,
    orderKey: e.orderKey,
    position: e.position,
    status: 'pending',
    nextAttemptAt: now,
    eventAt: e.at,
  }));
  try {
    return (await WebhookDelivery.insertMany(docs, { ordered: false })).length;
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    const inserted = (err as { insertedDocs?: unknown[]; result?: { insertedCount?: number } }).insertedDocs;
    return inserted?.length ?? 0;
  }
}
