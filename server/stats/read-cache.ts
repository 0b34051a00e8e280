import { BoundedCache } from '../platform/cache';
import type { BucketBranches, RegionBuckets } from './buckets';
import { StatsBucket, StatsRegion } from './model';
import { readManyPacked, type Packed, type PackedModel } from './store';

/**
 * Region and bucket records kept decoded in this process. Every reader reads the bank record first,
 * and each summary in it names the `seq` of the region record it was taken from, as each bucket's
 * summary in a region record names its bucket record's; a kept record is served again only while the
 * record above still names the very same `seq`. Every change to a bucket or region record gives it a
 * new `seq` and is carried up to the bank record by the same sync (or rebuild), so a kept copy is
 * never older than the bank record a reader sees — on any instance, whoever wrote. Before the bank
 * record has caught up (a sync between its steps), the names differ and the record is read again.
 *
 * Why: on the embedded database a read of a large record costs milliseconds per record, and a
 * bank-level answer needs every region's (SPEC §15 targets); most reads find them unchanged. Values
 * are shared between readers: nothing may change them (the results are built by pure functions that
 * return new objects).
 */
export interface Wanted {
  id: string;
  /** The seq the record above names; without one the record is always read. */
  seq?: number;
}

/** At most this many decoded records (a bucket of ~31 branch summaries is a few hundred kB in memory). */
const regions = new BoundedCache<string, Packed<RegionBuckets>>({ limit: 128 });
const buckets = new BoundedCache<string, Packed<BucketBranches>>({ limit: 256 });

async function readNamed<T>(
  cache: BoundedCache<string, Packed<T>>,
  m: PackedModel,
  wanted: readonly Wanted[],
): Promise<Map<string, Packed<T>>> {
  const kept = new Map<string, Packed<T>>();
  const missing: string[] = [];
  for (const w of wanted) {
    const hit = w.seq === undefined ? undefined : cache.get(w.id);
    if (hit && hit.seq === w.seq) kept.set(w.id, hit);
    else missing.push(w.id);
  }
  const read = await readManyPacked<T>(m, missing);
  for (const [id, p] of read) cache.set(id, p);
  // In the order asked.
  const out = new Map<string, Packed<T>>();
  for (const w of wanted) {
    const p = kept.get(w.id) ?? read.get(w.id);
    if (p) out.set(w.id, p);
  }
  return out;
}

export const readRegionRecords = (wanted: readonly Wanted[]) => readNamed(regions, StatsRegion, wanted);
export const readBucketRecords = (wanted: readonly Wanted[]) => readNamed(buckets, StatsBucket, wanted);

/** Forgets every kept record (tests that change records behind the app's back). */
export function forgetKeptRecords(): void {
  regions.clear();
  buckets.clear();
}
