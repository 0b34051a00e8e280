import type { mongo } from 'mongoose';
import { isDuplicateKey } from '../platform/db/duplicate-key';
import { type StatsBank, type StatsBranch, type StatsBucket, type StatsRegion } from './model';
import { packValue, unpackValue } from './packing';

/**
 * Reading and writing the kept statistics. Every write replaces one document's packed value with a
 * compare-and-set on its `seq` (insert when new): a concurrent writer makes the CAS fail, and the
 * change is worked out again on the fresh value. `change` returns null when there is nothing to do
 * (the update was applied already), so replays write nothing.
 */
export interface Packed<T> {
  seq: number;
  value: T;
}

export type PackedModel = typeof StatsBranch | typeof StatsBucket | typeof StatsRegion | typeof StatsBank;
interface PackedDoc {
  _id: string;
  seq: number;
  packed: string;
  [field: string]: unknown;
}
const collectionOf = (m: PackedModel) => m.collection as unknown as mongo.Collection<PackedDoc>;

export async function readPacked<T>(m: PackedModel, id: string): Promise<Packed<T> | null> {
  const doc = await collectionOf(m).findOne({ _id: id }, { projection: { seq: 1, packed: 1 } });
  return doc ? { seq: doc.seq, value: unpackValue<T>(doc.packed) } : null;
}

/**
 * Reads many by id (a read by id is what every server does fastest; any other filter scans the
 * collection on the embedded FerretDB), READ_AHEAD at a time so that the round trips overlap.
 */
const READ_AHEAD = 4;
export async function readManyPacked<T>(m: PackedModel, ids: readonly string[]): Promise<Map<string, Packed<T>>> {
  const found: (Packed<T> | null)[] = new Array<Packed<T> | null>(ids.length).fill(null);
  let next = 0;
  const reader = async () => {
    for (let i = next++; i < ids.length; i = next++) found[i] = await readPacked<T>(m, ids[i]);
  };
  await Promise.all(Array.from({ length: Math.min(READ_AHEAD, ids.length) }, reader));
  // In the order asked, whatever order the answers came in.
  const out = new Map<string, Packed<T>>();
  ids.forEach((id, i) => {
    const p = found[i];
    if (p) out.set(id, p);
  });
  return out;
}

const MAX_ATTEMPTS = 50;

/**
 * Applies `change` to the document's value and writes it if the document has not changed meanwhile.
 * `fields` are the document's identifying fields (written on insert). Returns the value as stored
 * after the call (changed or not), or null when the document does not exist and nothing was written.
 */
export async function updatePacked<T>(
  m: PackedModel,
  id: string,
  fields: Record<string, unknown>,
  change: (current: T | null) => T | null,
  extra: (value: T) => Record<string, unknown> = () => ({}),
): Promise<Packed<T> | null> {
  const coll = collectionOf(m);
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    const current = await readPacked<T>(m, id);
    const next = change(current?.value ?? null);
    if (next === null) return current;
    const packed = packValue(next);
    const now = new Date();
    if (!current) {
      try {
        // A time in ms, not 1: a record removed by a rebuild and made again never repeats a seq that a
        // reader may have kept a copy under (server/stats/read-cache.ts).
        const seq = now.getTime();
        await coll.insertOne({ _id: id, ...fields, ...extra(next), seq, packed, updatedAt: now });
        return { seq, value: next };
      } catch (e) {
        if (isDuplicateKey(e)) continue; // created meanwhile: work it out again on that value
        throw e;
      }
    }
    const r = await coll.updateOne(
      { _id: id, seq: current.seq },
      { $set: { ...extra(next), packed, seq: current.seq + 1, updatedAt: now } },
    );
    if (r.matchedCount === 1) return { seq: current.seq + 1, value: next };
  }
  throw new Error(`statistics record ${id} kept changing under ${MAX_ATTEMPTS} attempts to update it`);
}

export const branchId = (bankId: string, quarter: string, code: string) => `${bankId}:${quarter}:${code}`;
/** The bucket before the region: a region's name may hold any character, a bucket number no colon. */
export const bucketId = (bankId: string, quarter: string, region: string, bucket: number) =>
  `${bankId}:${quarter}:${bucket}:${region}`;
export const regionId = (bankId: string, quarter: string, region: string) => `${bankId}:${quarter}:${region}`;
export const bankQuarterId = (bankId: string, quarter: string) => `${bankId}:${quarter}`;
/** Held while a quarter's statistics are rebuilt from the visits; syncs of that quarter wait. */
export const rebuildClaimKey = (bankId: string, quarter: string) => `stats-rebuild:${bankId}:${quarter}`;
