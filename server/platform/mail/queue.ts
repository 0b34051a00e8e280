import type { Types } from 'mongoose';
import { isDuplicateKey } from '../db/duplicate-key';
import { Delivery, MailQueue, type MailLane } from './model';

/**
 * The lanes' due lists (see MailQueue in model.ts): what the workers read to find due deliveries,
 * by exact id everywhere except the one read of a lane's due entries (a list of what is outstanding,
 * not of every e-mail ever sent). Every write is a single-document update by exact id; the deliveries
 * decide what is sent, the entries only say where to look.
 */
export interface DueEntry {
  _id: Types.ObjectId;
  due: Date;
  v: number;
}

export const laneOf = (d: { lane?: string | null }): MailLane => (d.lane === 'urgent' ? 'urgent' : 'bulk');

/** Upsert by exact id; two writers inserting the same id at once: the loser's insert is refused, the second try updates. */
async function upsertEntry(lane: MailLane, id: Types.ObjectId, update: object): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      await MailQueue[lane].updateOne({ _id: id }, update, { upsert: true });
      return;
    } catch (e) {
      if (!isDuplicateKey(e) || attempt >= 2) throw e;
    }
  }
}

/** The delivery was queued (again): its entry is due at `due`, and any worker's older view of it is outdated. */
export function enterQueue(lane: MailLane, id: Types.ObjectId, due: Date): Promise<void> {
  return upsertEntry(lane, id, { $set: { due }, $inc: { v: 1 } });
}

/** An entry for a delivery that must have one, unless it has one already (a replay, the repair sweep). */
export function ensureEntry(lane: MailLane, id: Types.ObjectId, due: Date): Promise<void> {
  return upsertEntry(lane, id, { $setOnInsert: { due, v: 0 } });
}

/** The lane's due entries, soonest first, but for those this process is sending now. */
export async function dueEntries(
  lane: MailLane,
  now: Date,
  limit: number,
  skip: readonly string[],
): Promise<DueEntry[]> {
  const filter = { due: { $lte: now }, ...(skip.length ? { _id: { $nin: skip } } : {}) };
  return MailQueue[lane].find(filter).sort({ due: 1 }).limit(limit).lean<DueEntry[]>();
}

/** The delivery is settled (sent, failed for good, gone): its entry goes, unless it was queued again since `v`. */
export async function leaveQueue(lane: MailLane, entry: Pick<DueEntry, '_id' | 'v'>): Promise<void> {
  await MailQueue[lane].deleteOne({ _id: entry._id, v: entry.v });
}

/**
 * The delivery's next attempt is at `due` (a retry, a lease held by another worker). With `from`, only
 * if the entry is still due then: a worker that found the delivery leased must not push back the retry
 * time its owner wrote meanwhile.
 */
export async function moveEntry(
  lane: MailLane,
  entry: Pick<DueEntry, '_id' | 'v'>,
  due: Date,
  from?: Date,
): Promise<void> {
  await MailQueue[lane].updateOne({ _id: entry._id, v: entry.v, ...(from ? { due: from } : {}) }, { $set: { due } });
}

/**
 * Gives every outstanding delivery of the lane that has no entry one: a process that died between
 * storing a delivery and its entry, deliveries stored before the due lists existed. This reads the
 * whole deliveries collection, so it runs at a worker's start and then rarely (MailOptions.mailSweepMs).
 * Returns how many entries it added.
 */
export async function repairQueue(lane: MailLane): Promise<number> {
  const laneFilter = lane === 'urgent' ? { lane: 'urgent' } : { lane: { $ne: 'urgent' } };
  const open = await Delivery.find(
    { status: { $in: ['pending', 'sending'] }, ...laneFilter },
    { status: 1, nextAttemptAt: 1, lockedUntil: 1 },
  ).lean();
  if (!open.length) return 0;
  const have = new Set((await MailQueue[lane].find({}, { _id: 1 }).lean()).map((e) => String(e._id)));
  let added = 0;
  for (const d of open) {
    if (have.has(String(d._id))) continue;
    const due = d.status === 'sending' && d.lockedUntil ? d.lockedUntil : d.nextAttemptAt;
    await ensureEntry(lane, d._id, due);
    added += 1;
  }
  return added;
}
