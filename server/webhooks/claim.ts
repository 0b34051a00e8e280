import type { mongo } from 'mongoose';
import { config } from '../platform/config';
import { WebhookDelivery } from './model';
import type { Entry } from './queue';

/**
 * Taking deliveries for this worker: each pending and due, or left `sending` by a worker whose lease
 * ran out, in one bulk of conditional updates by exact id. The delivery's record is the arbiter (two
 * workers, or two entries of one delivery, never both win); the queue entry only pointed at it. For an
 * entry not taken, the delivery is read to tell what became of it: settled (the entry goes), due later
 * or held by another worker's lease (the entry moves to that time), or due now (it stays).
 */
export type NotTaken = { kind: 'drop' } | { kind: 'later'; at: Date } | { kind: 'stay' };

export function leaseMs(): number {
  return config().WEBHOOK_TIMEOUT_MS + 30_000;
}

export interface ClaimResult {
  taken: Entry[];
  lease: Date;
  others: Map<string, NotTaken>; // by entry token
}

export async function claimAll(entries: Entry[], workerId: string, now: Date): Promise<ClaimResult> {
  const lease = new Date(now.getTime() + leaseMs());
  if (!entries.length) return { taken: [], lease, others: new Map() };
  const deliveries = WebhookDelivery.collection as unknown as mongo.Collection<{ _id: string }>;
  const r = await deliveries.bulkWrite(
    entries.map((entry) => ({
      updateOne: {
        filter: {
          _id: entry.d,
          $or: [
            { status: 'pending', nextAttemptAt: { $lte: now } },
            { status: 'sending', lockedUntil: { $lte: now } },
          ],
        },
        update: { $set: { status: 'sending', lockedBy: workerId, lockedUntil: lease } },
      },
    })),
    { ordered: false },
  );
  if (r.matchedCount === entries.length) return { taken: entries, lease, others: new Map() };
  return { ...(await takenOrNot(entries, workerId, lease, now)), lease };
}

/** Where not all were taken: each delivery read (in parallel) to tell which were, and what the rest are. */
async function takenOrNot(
  entries: Entry[],
  workerId: string,
  lease: Date,
  now: Date,
): Promise<Omit<ClaimResult, 'lease'>> {
  const found = await Promise.all(
    entries.map((e) =>
      WebhookDelivery.findById(e.d, { status: 1, nextAttemptAt: 1, lockedBy: 1, lockedUntil: 1 }).lean(),
    ),
  );
  const taken: Entry[] = [];
  const others = new Map<string, NotTaken>();
  entries.forEach((entry, i) => {
    const d = found[i];
    if (d?.status === 'sending' && d.lockedBy === workerId && d.lockedUntil?.getTime() === lease.getTime())
      taken.push(entry);
    else others.set(entry.t, notTaken(d, now));
  });
  return { taken, others };
}

type DeliveryState = { status: string; nextAttemptAt?: Date | null; lockedUntil?: Date | null } | null;

/** What an entry whose delivery is in state `d` becomes (d null: the delivery does not exist). */
export function notTaken(d: DeliveryState, now: Date): NotTaken {
  if (!d || d.status === 'delivered' || d.status === 'failed') return { kind: 'drop' };
  const until = d.status === 'sending' ? d.lockedUntil : d.nextAttemptAt;
  return until && until > now ? { kind: 'later', at: until } : { kind: 'stay' };
}

/**
 * The predecessors' state (the deliveries that must be settled before others), read by exact id:
 * settled (`drop`), in backoff until a later time (`later`), or due or being sent (`stay`: a send
 * usually ends within moments, so its successor waits where it is rather than until the lease's end).
 */
export async function predecessorStates(ids: string[], now: Date): Promise<Map<string, NotTaken>> {
  const found = await Promise.all(
    ids.map((id) => WebhookDelivery.findById(id, { status: 1, nextAttemptAt: 1, lockedUntil: 1 }).lean()),
  );
  return new Map(ids.map((id, i) => [id, found[i]?.status === 'sending' ? { kind: 'stay' } : notTaken(found[i], now)]));
}
