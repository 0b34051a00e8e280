import type { mongo, Types } from 'mongoose';
import { logger } from '../platform/logger';
import { endpointFailed, endpointSucceeded } from './health';
import type { PostResult } from './http-post';
import { WebhookDelivery, WebhookDue, type EndpointDoc } from './model';
import { retryDelayMs } from './retry';

/**
 * Recording an attempt: the delivery gets its outcome and log entry (only while this worker still
 * holds its lease), then its entry in the sending queue goes (delivered) or moves to the next try.
 *
 * Successes, the common case, are recorded together: every success that finishes while a write is
 * on its way joins the next one, one bulk update of the deliveries and one removal from the queue
 * for all of them — two database round trips for a batch instead of two per delivery. Each update
 * keeps its own condition (this worker's lease), and a delivery is removed from the queue only once
 * its success is recorded, so a crash in between leaves it to be sent again (at least once, same
 * webhook-id). Failures are rare and recorded one at a time, as their next try depends on the count.
 */
export interface Claimed {
  _id: string;
  endpointId: Types.ObjectId;
  eventId: string;
  /** How the attempt is logged: automatic, or a redelivery asked for by hand. */
  kind: 'auto' | 'redeliver';
}

interface Outcome {
  d: Claimed;
  endpoint: EndpointDoc;
  workerId: string;
  r: PostResult;
  at: Date;
  done: () => void;
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

export function recordAttempt(d: Claimed, endpoint: EndpointDoc, workerId: string, r: PostResult): Promise<void> {
  if (!r.ok) return recordFailure(d, endpoint, workerId, r);
  return new Promise((done, failed) => {
    waiting.push({ d, endpoint, workerId, r, at: new Date(), done, failed });
    if (!flushing) void flush();
  });
}

async function flush(): Promise<void> {
  flushing = true;
  while (waiting.length) {
    const batch = waiting.splice(0, waiting.length);
    try {
      await recordSuccesses(batch);
      for (const o of batch) o.done();
    } catch (e) {
      for (const o of batch) o.failed(e);
    }
  }
  flushing = false;
}

async function recordSuccesses(batch: Outcome[]): Promise<void> {
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
  const mine = result.matchedCount === batch.length ? batch : await recordedByUs(batch);
  if (mine.length) await WebhookDue.deleteMany({ _id: { $in: mine.map((o) => o.d._id) } });
  for (const o of batch)
    if (!mine.includes(o))
      logger.warn(
        { deliveryId: o.d._id, eventId: o.d.eventId },
        'webhook attempt finished after its lease was taken over',
      );
  // Only an endpoint marked failing needs the write that clears the mark.
  const failing = new Map(mine.filter((o) => o.endpoint.failingSince).map((o) => [String(o.endpoint._id), o.endpoint]));
  for (const e of failing.values()) await endpointSucceeded(e._id);
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
 * delivery scheduled again or, after the last try, failed; its queue entry follows.
 */
async function recordFailure(d: Claimed, endpoint: EndpointDoc, workerId: string, r: PostResult): Promise<void> {
  const at = new Date();
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
    return;
  }
  const tries = counted.tries;
  const delay = retryDelayMs(tries);
  const status = delay === null ? 'failed' : 'pending';
  const next = new Date(at.getTime() + (delay ?? 0));
  await WebhookDelivery.updateOne(mine, { $set: { status, nextAttemptAt: next, lockedBy: null, lockedUntil: null } });
  if (status === 'pending') await WebhookDue.updateOne({ _id: d._id }, { $set: { nextAttemptAt: next } });
  else await WebhookDue.deleteOne({ _id: d._id });
  log.warn({ error: r.error, tries, final: status === 'failed' }, 'webhook delivery failed');
  await endpointFailed(endpoint as EndpointDoc & { _id: Types.ObjectId }, at);
}
