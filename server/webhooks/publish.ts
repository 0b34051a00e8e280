import { Types } from 'mongoose';
import { BoundedCache } from '../platform/cache';
import { isDuplicateKey } from '../platform/db/duplicate-key';
import { workQueued } from '../platform/jobs/wakeup';
import { rememberEventBody } from './event-bodies';
import type { EventData, EventType } from './events';
import { deliveryIdOf, WebhookDelivery, WebhookEndpoint, WebhookEvent, type EventDoc } from './model';
import { enqueue } from './queue';

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
  /**
   * The earlier events of the same order key, oldest first: each endpoint's delivery waits for that
   * of the last of them it wants (absent: no earlier event to wait for, or none known).
   */
  before?: readonly { id: string; type: EventType }[];
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
export function publishEvent(e: EventToPublish): Promise<number> {
  return publishEvents([e]);
}

/**
 * Stores the events (each once) and queues each for every endpoint that wants it, in three writes
 * whatever their number (the events, their deliveries, the sending queue's entries): a change that
 * gives two events (an approval and its alert) costs no more than one. Returns how many deliveries
 * were queued now.
 */
export async function publishEvents(list: readonly EventToPublish[]): Promise<number> {
  if (!list.length) return 0;
  const docs: EventDoc[] = list.map((e) => ({
    _id: e.id,
    type: e.type,
    bankId: new Types.ObjectId(e.bankId),
    orderKey: e.orderKey,
    position: e.position,
    body: bodyOf(e),
    at: e.at,
  }));
  const inserted = await insertIgnoringDuplicates((x) => WebhookEvent.insertMany(x, { ordered: false }), docs);
  // The first stored body wins: a replay must not change what an endpoint may already have received.
  const stored = await Promise.all(
    docs.map(async (d) => (inserted.has(d._id) ? d : ((await WebhookEvent.findById(d._id).lean<EventDoc>()) ?? d))),
  );
  for (const e of stored) rememberEventBody(e);
  const endpoints = await enabledEndpoints();
  const queued = await queueDeliveries(
    stored.flatMap((e, i) =>
      endpoints
        .filter((t) => t.events.includes(e.type) && (t.bankId === null || String(t.bankId) === String(e.bankId)))
        .map((t) => ({ endpointId: t._id, event: e, after: afterFor(t, list[i].before) })),
    ),
  );
  if (queued) workQueued();
  return queued;
}

/** The delivery an endpoint's delivery of an event waits for: that of the last earlier event it wants. */
function afterFor(t: EndpointTarget, before: EventToPublish['before']): string | undefined {
  const last = [...(before ?? [])].reverse().find((b) => t.events.includes(b.type));
  return last ? deliveryIdOf(t._id, last.id) : undefined;
}

/**
 * One delivery per (endpoint, event), its id derived from both, in one insert; then their entries in
 * the sending queue, in one append (queue.ts). Publishing again inserts nothing new for a delivery that exists; a
 * delivery still open whose queue entry a crash prevented gets it now. Returns how many deliveries
 * were queued now.
 */
export async function queueDeliveries(
  pairs: readonly { endpointId: Types.ObjectId; event: EventDoc; after?: string }[],
): Promise<number> {
  if (!pairs.length) return 0;
  const now = new Date();
  const docs = pairs.map(({ endpointId, event: e }) => ({
    _id: deliveryIdOf(endpointId, e._id),
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
  const inserted = await insertIgnoringDuplicates((x) => WebhookDelivery.insertMany(x, { ordered: false }), docs);
  const open: { d: (typeof docs)[number]; after?: string; redeliver?: boolean }[] = [];
  for (const [i, d] of docs.entries())
    if (inserted.has(d._id)) open.push({ d, after: pairs[i].after });
    else {
      const existing = await WebhookDelivery.findById(d._id, { status: 1, nextKind: 1 }).lean();
      if (existing && (existing.status === 'pending' || existing.status === 'sending'))
        open.push({ d, after: pairs[i].after, redeliver: existing.nextKind === 'redeliver' });
    }
  // Entries due now; one still in backoff or under a lease is moved to its time by the sender.
  await enqueue(
    open.map(({ d, after, redeliver }) => ({
      d: d._id,
      e: String(d.endpointId),
      k: d.orderKey,
      p: d.position,
      ...(after ? { a: after } : {}),
      ...(redeliver ? { r: 1 } : {}),
    })),
    now,
  );
  return inserted.size;
}

/** Inserts the documents, those whose id exists already left out; returns the ids inserted now. */
async function insertIgnoringDuplicates<T extends { _id: string }>(
  insertMany: (docs: T[]) => Promise<unknown>,
  docs: T[],
): Promise<Set<string>> {
  if (!docs.length) return new Set();
  try {
    await insertMany(docs);
    return new Set(docs.map((d) => d._id));
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    const refused = new Set(
      ((err as { writeErrors?: { index?: number; err?: { index?: number } }[] }).writeErrors ?? []).map(
        (w) => w.index ?? w.err?.index ?? -1,
      ),
    );
    return new Set(docs.filter((_, i) => !refused.has(i)).map((d) => d._id));
  }
}
