import type { mongo, Types } from 'mongoose';
import { logger } from '../platform/logger';
import { endpointFailed, endpointSucceeded } from './health';
import type { PostResult } from './http-post';
import { WebhookDelivery, type EndpointDoc } from './model';
import { enqueue, type NewEntry } from './queue';
import { retryDelayMs } from './retry';

/**
 * Recording an attempt: the delivery gets its outcome and log entry (only while this worker still
 * holds its lease); after a failure, an entry in the sending queue at the next try's time.
 *
 * Successes, the common case, are recorded together: every success that finishes while a write is
 * on its way joins the next one, one bulk update of the deliveries for all of them — one database
 * round trip for a batch instead of one per delivery. Each update keeps its own condition (this
 * worker's lease); the queue entries stay until their bucket is sealed (the delivery, no longer
 * pending, is never claimed through them again), so a crash at any point leaves the delivery to be
 * sent again (at least once, same webhook-id). Failures are rare and recorded one at a time, as their
 * next try depends on the count.
 */
export interface Claimed {
  _id: string;
  eventId: string;
  /** How the attempt is logged: automatic, or a redelivery asked for by hand. */
  kind: 'auto' | 'redeliver';
  /** Its queue entry (written again at the next try's time after a failure). */
  entry: NewEntry;
}

/** What became of the attempt, and when it ended (before any entry for its next try was written). */
export interface AttemptOutcome {
  status: 'delivered' | 'pending' | 'failed' | 'lost';
  endedAt: number;
}

interface Outcome {
  d: Claimed;
  endpoint: EndpointDoc;
  workerId: string;
  r: PostResult;
  at: Date;
  done: (mine: boolean) => void;
  failed: (e: unknown) => void;
}

const waiting: Outcome[] = [];
let flushing = false;

const entryOf = (d: Claimed, r: PostResult, at: Date) => ({
  at,
  kind: d.kind,
  ok: r.ok,
  ms: r.ms,
  ...(r.statusCode ? { statusCode: r.statusCode } : {}),
  ...(r.error ? { error: r.error.slice(0, 600) } : {}),
});

export async function recordAttempt(
  d: Claimed,
  endpoint: EndpointDoc,
  workerId: string,
  r: PostResult,
): Promise<AttemptOutcome> {
  const at = new Date();
  if (!r.ok) return { status: await recordFailure(d, endpoint, workerId, r, at), endedAt: at.getTime() };
  const mine = await new Promise<boolean>((done, failed) => {
    waiting.push({ d, endpoint, workerId, r, at, done, failed });
    if (!flushing) void flush();
  });
  return { status: mine ? 'delivered' : 'lost', endedAt: at.getTime() };
}

async function flush(): Promise<void> {
  flushing = true;
  while (waiting.length) {
    const batch = waiting.splice(0, waiting.length);
    try {
      const mine = await recordSuccesses(batch);
      for (const o of batch) o.done(mine.includes(o));
    } catch (e) {
      for (const o of batch) o.failed(e);
    }
  }
  flushing = false;
}

async function recordSuccesses(batch: Outcome[]): Promise<Outcome[]> {
  // Sent with the driver (the values are typed as stored); `updatedAt` set as Mongoose's timestamps would.
  const deliveries = WebhookDelivery.collection as unknown as mongo.Collection<{ _id: string }>;
  const result = await deliveries.bulkWrite(
    batch.map(({ d, workerId, r, at }) => ({
      updateOne: {
        filter: { _id: d._id, status: 'sending', lockedBy: workerId },
        update: {
          $set: {
            status: 'delivered',
            nextAttemptAt: at,
            lockedBy: null,
            lockedUntil: null,
            lastStatusCode: r.statusCode ?? null,
            lastError: null,
            deliveredAt: at,
            nextKind: 'auto',
            updatedAt: at,
          },
          $inc: { tries: 1 },
          $push: { attempts: entryOf(d, r, at) },
        },
      },
    })),
    { ordered: false },
  );
  // All matched (one worker, leases held): the usual case. Otherwise find out which were ours.
  // Their queue entries are left: superseded by this attempt, they go when their bucket is sealed.
  const mine = result.matchedCount === batch.length ? batch : await recordedByUs(batch);
  for (const o of batch)
    if (!mine.includes(o))
      logger.warn(
        { deliveryId: o.d._id, eventId: o.d.eventId },
        'webhook attempt finished after its lease was taken over',
      );
  // Only an endpoint marked failing needs the write that clears the mark.
  const failing = new Map(mine.filter((o) => o.endpoint.failingSince).map((o) => [String(o.endpoint._id), o.endpoint]));
  for (const e of failing.values()) await endpointSucceeded(e._id);
  return mine;
}

/** The outcomes whose success this worker's update recorded (its delivery shows that very time). */
async function recordedByUs(batch: Outcome[]): Promise<Outcome[]> {
  const found = await Promise.all(
    batch.map((o) => WebhookDelivery.findById(o.d._id, { deliveredAt: 1, attempts: 1 }).lean()),
  );
  return batch.filter((o, i) => {
    const last = found[i]?.attempts.at(-1);
    return found[i]?.deliveredAt?.getTime() === o.at.getTime() && last?.at.getTime() === o.at.getTime();
  });
}

/**
 * A failed attempt: logged and counted (the count read back, as it sets the next delay), then the
 * delivery scheduled again (with a queue entry at that time) or, after the last try, failed.
 */
async function recordFailure(
  d: Claimed,
  endpoint: EndpointDoc,
  workerId: string,
  r: PostResult,
  at: Date,
): Promise<AttemptOutcome['status']> {
  const entry = entryOf(d, r, at);
  const log = logger.child({ deliveryId: String(d._id), eventId: d.eventId, endpointId: String(endpoint._id) });
  const mine = { _id: d._id, status: 'sending', lockedBy: workerId };
  const counted = await WebhookDelivery.findOneAndUpdate(
    mine,
    {
      $inc: { tries: 1 },
      $set: { lastStatusCode: r.statusCode ?? null, lastError: entry.error ?? null },
      $push: { attempts: entry },
    },
    { new: true },
  ).lean<{ tries: number }>();
  if (!counted) {
    log.warn('webhook attempt finished after its lease was taken over');
    return 'lost';
  }
  const tries = counted.tries;
  const delay = retryDelayMs(tries);
  const status = delay === null ? 'failed' : 'pending';
  const next = new Date(at.getTime() + (delay ?? 0));
  await WebhookDelivery.updateOne(mine, { $set: { status, nextAttemptAt: next, lockedBy: null, lockedUntil: null } });
  if (status === 'pending') await enqueue([d.entry], next);
  log.warn({ error: r.error, tries, final: status === 'failed' }, 'webhook delivery failed');
  await endpointFailed(endpoint as EndpointDoc & { _id: Types.ObjectId }, at);
  return status;
}
