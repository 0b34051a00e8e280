import crypto from 'node:crypto';
import type { mongo } from 'mongoose';
import { isDuplicateKey } from '../platform/db/duplicate-key';
import { WebhookMark, WebhookQueue, type QueueEntry } from './model';

/**
 * The sending queue's storage (see model.ts): buckets of one second of due time, read and written
 * only by exact id. The mark (a WebhookMark) says from which bucket on entries may still live; every
 * bucket before it is sealed. Nothing here is kept in memory for correctness: the mark read here is a
 * lower bound (it only moves forward), and a write to a bucket sealed meanwhile is refused and goes on.
 *
 * - `enqueue` appends entries to the bucket of their due time (or the first one not sealed after it),
 *   one single-document update per call.
 * - `readWindow` returns the live buckets from the mark up to now, sealing the empty past ones in one
 *   insert of empty sealed buckets (an insert refused by the unique _id tells which exist).
 * - `sealBucket` seals a past bucket whose entries have all been settled or moved (conditional on the
 *   revision read, so an entry appended meanwhile keeps it open); `advanceMark` moves the mark.
 */
export const BUCKET_MS = 1000;
/** Buckets read at once (in parallel) within a read. */
const READ_AT_ONCE = 8;
/** Buckets examined per read (a day of idle queue takes a few hundred steps to seal, none read). */
const CHUNK = 120;
/** A process reads the mark again at least this often (tombstones far behind it may be purged). */
const MARK_FRESH_MS = 30_000;
const MARK = 'sending-queue';
/** A new queue starts this many buckets back (no writer can be further behind). */
const FIRST_BACK = 30;

export type Entry = QueueEntry & { r?: number | null; a?: string | null };
export type NewEntry = Omit<Entry, 't' | 'c'>;
interface BucketDoc {
  _id: string;
  rev: number;
  sealed?: boolean;
  entries: Entry[];
}
export interface Bucket {
  index: number;
  rev: number;
  entries: Entry[];
}

export const bucketOf = (t: Date | number): number => Math.floor(Number(t) / BUCKET_MS);
export const bucketStart = (index: number): Date => new Date(index * BUCKET_MS);
const idOf = (index: number) => `b${index}`;
const buckets = () => WebhookQueue.collection as unknown as mongo.Collection<BucketDoc>;
const newToken = () => crypto.randomBytes(9).toString('base64url');

let known: { index: number; readAt: number } | null = null;
/** Buckets seen to exist (a bucket is never removed while it can be read): not offered a seal again. */
const existing = new Set<number>();

/** The mark: no entry lives in a bucket before it (read at most every MARK_FRESH_MS unless forced). */
export async function queueMark(force = false): Promise<number> {
  if (known && !force && Date.now() - known.readAt < MARK_FRESH_MS) return known.index;
  let doc = await WebhookMark.findById(MARK).lean();
  if (!doc) {
    const start = bucketStart(bucketOf(Date.now()) - FIRST_BACK);
    await WebhookMark.updateOne({ _id: MARK }, { $setOnInsert: { at: start } }, { upsert: true }).catch(
      (e: unknown) => {
        if (!isDuplicateKey(e)) throw e; // another process created it at the same moment
      },
    );
    doc = await WebhookMark.findById(MARK).lean();
  }
  const index = bucketOf(doc?.at ?? Date.now());
  known = { index: Math.max(index, known?.index ?? index), readAt: Date.now() };
  return known.index;
}

/** Moves the mark forward to `index` (every bucket before it is sealed). */
export async function advanceMark(index: number): Promise<void> {
  if (known && index <= known.index) return;
  await WebhookMark.updateOne({ _id: MARK }, { $max: { at: bucketStart(index) } }, { upsert: true });
  known = { index, readAt: known?.readAt ?? Date.now() };
  for (const i of existing) if (i < index) existing.delete(i);
}

/** As a fresh process would start (tests). */
export function forgetQueueMark(): void {
  known = null;
  existing.clear();
}

/**
 * Appends the entries, due at `at`, to its bucket (or the first open one after it) in one update;
 * returns the entries as stored (with their tokens).
 */
export async function enqueue(list: readonly NewEntry[], at: Date): Promise<Entry[]> {
  if (!list.length) return [];
  const c = Date.now();
  const entries: Entry[] = list.map((e) => ({ ...e, t: newToken(), c }));
  let index = Math.max(bucketOf(at), await queueMark());
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      await buckets().updateOne(
        { _id: idOf(index), sealed: { $ne: true } },
        { $push: { entries: { $each: entries } }, $inc: { rev: 1 } },
        { upsert: true },
      );
      return entries;
    } catch (e) {
      if (!isDuplicateKey(e)) throw e;
      // Sealed meanwhile: the next bucket, or the mark if it moved further.
      index = Math.max(index + 1, await queueMark(true));
    }
  }
  throw new Error('the webhook sending queue refused the entries 20 times (every bucket sealed)');
}

/**
 * The buckets that may hold entries due by `now`, oldest first, read until `enough` entries that
 * `counts` (those the reader has not dealt with yet) were found. Past buckets that do not exist are sealed empty on the way (one insert per chunk); the
 * current one is read but never sealed here. `examinedTo`: every bucket before it not in `live` is sealed.
 */
export async function readWindow(
  now: Date,
  enough: number,
  counts: (e: Entry) => boolean = () => true,
): Promise<{ live: Bucket[]; examinedTo: number }> {
  const last = bucketOf(now);
  const live: Bucket[] = [];
  let from = await queueMark();
  let found = 0;
  while (from <= last && found < enough) {
    const to = Math.min(last, from + CHUNK - 1);
    const past = Array.from({ length: Math.min(to, last - 1) - from + 1 }, (_, i) => from + i);
    const absent = past.filter((i) => !existing.has(i));
    const read = [...past.filter((i) => existing.has(i)), ...(await sealAbsent(absent))].sort((x, y) => x - y);
    if (to === last) read.push(last);
    // A few at a time: in a backlog the first buckets usually hold enough (each read decodes a bucket).
    for (let k = 0; k < read.length && found < enough; k += READ_AT_ONCE) {
      const part = read.slice(k, k + READ_AT_ONCE);
      const docs = await Promise.all(part.map((i) => buckets().findOne({ _id: idOf(i) })));
      for (const [i, doc] of docs.entries()) {
        if (!doc || doc.sealed) continue;
        live.push({ index: part[i], rev: doc.rev, entries: doc.entries });
        found += doc.entries.filter(counts).length;
      }
      if (found >= enough && k + READ_AT_ONCE < read.length)
        return { live, examinedTo: Math.min(part[part.length - 1] + 1, last) };
    }
    from = to + 1;
  }
  return { live, examinedTo: Math.min(from, last) };
}

/** Seals the given past buckets that do not exist (inserted empty and sealed); returns those that exist. */
async function sealAbsent(indexes: number[]): Promise<number[]> {
  if (!indexes.length) return [];
  try {
    await buckets().insertMany(
      indexes.map((i) => ({ _id: idOf(i), rev: 0, sealed: true, entries: [] })),
      { ordered: false },
    );
    return [];
  } catch (e) {
    if (!isDuplicateKey(e)) throw e;
    const refused = ((e as { writeErrors?: { index?: number; err?: { index?: number } }[] }).writeErrors ?? []).map(
      (w) => w.index ?? w.err?.index ?? -1,
    );
    const found = refused.filter((i) => i >= 0).map((i) => indexes[i]);
    for (const i of found) existing.add(i);
    return found;
  }
}

/** Seals a past bucket if nothing was appended since it was read at `rev`; true when sealed. */
export async function sealBucket(b: Pick<Bucket, 'index' | 'rev'>): Promise<boolean> {
  const r = await buckets().updateOne(
    { _id: idOf(b.index), rev: b.rev },
    { $set: { sealed: true, entries: [] }, $inc: { rev: 1 } },
  );
  return r.matchedCount === 1;
}

/** Sealed buckets are kept this long behind the mark (no writer is that far behind), then removed. */
const KEEP_SEALED_MS = 86400_000;
/** Removed in runs of at least this many buckets (a run is one bulk of deletes by exact id). */
const PURGE_RUN = 600;
const PURGED = 'sending-queue-purged';

/**
 * Removes the sealed buckets more than a day behind the mark, by exact id (one per second of the
 * past: an idle queue leaves one small sealed document a second). Where it got to is kept as a mark
 * of its own; the first run starts a day of buckets before the limit. Returns how many were removed.
 */
export async function purgeSealedBuckets(max = 20_000): Promise<number> {
  const limit = (await queueMark()) - KEEP_SEALED_MS / BUCKET_MS;
  const done = await WebhookMark.findById(PURGED).lean();
  const from = done ? bucketOf(done.at) : limit - KEEP_SEALED_MS / BUCKET_MS;
  const to = Math.min(limit, from + max);
  if (to - from < PURGE_RUN) return 0;
  const r = await buckets().bulkWrite(
    Array.from({ length: to - from }, (_, i) => ({ deleteOne: { filter: { _id: idOf(from + i), sealed: true } } })),
    { ordered: false },
  );
  await WebhookMark.updateOne({ _id: PURGED }, { $set: { at: bucketStart(to) } }, { upsert: true });
  return r.deletedCount;
}
