import { Types } from 'mongoose';
import { getVersion, toScoringSections } from '../questionnaires/service';
import { BoundedCache } from '../platform/cache';
import { claimedAt } from '../platform/db/write-claims';
import { NotFoundError } from '../platform/errors';
import { COUNTED_STATUSES, visitForStats, type VisitForStats } from '../visits/service';
import { contributionOf, type ItemInfo } from './contribution';
import { countedEntries, type BranchEntries, type Entry } from './branch-build';
import { StatsBank, StatsBranch, StatsBucket, StatsRegion } from './model';
import { bankQuarterId, branchId, bucketId, rebuildClaimKey, regionId, updatePacked, type Packed } from './store';
import { summarizeBranch, type AreaSummary } from './summaries';
import { bucketOf, bucketPart, regionSummary, type BucketBranches, type RegionBuckets } from './buckets';
import { noteSynced } from './recent';

/**
 * Bringing the kept statistics in line with one visit (SPEC §15). Always from the visit's CURRENT
 * state, never from an event's payload, in four steps that each replace a value by a function of
 * the current values below it:
 *   visit  → its entry in the branch record (tied to the visit's revision: an older revision never
 *            overwrites a newer one; a visit that stopped counting leaves a tombstone with its revision)
 *   branch → its summary in its bucket's record (tied to the branch record's seq)
 *   bucket → its summary and violations in the region record (tied to the bucket record's seq)
 *   region → its summary in the bank record (tied to the region record's seq)
 * A replayed, retried or concurrent sync therefore changes nothing twice, and one that died half-way
 * is completed by the next sync of the same visit (the pending-change note stays until then). Each
 * step rewrites one record of its level, each a small part of the bank (./buckets.ts). What a
 * branch record holds per visit is in ./branch-build.ts.
 */

/** The bank record's value: region → its summary. */
export type BankAreas = Record<string, AreaSummary>;

const isCounted = (status: string) => (COUNTED_STATUSES as readonly string[]).includes(status);

/** Item types of a questionnaire version (versions never change, so they are kept). */
const versionItems = new BoundedCache<string, ReadonlyMap<string, ItemInfo>>({ limit: 500 });

/** Undefined for a version that cannot be found: then none of the visit's answers count (as in results). */
export async function itemsOfVersion(
  questionnaireId: string,
  version: number,
): Promise<ReadonlyMap<string, ItemInfo> | undefined> {
  const key = `${questionnaireId}@${version}`;
  const hit = versionItems.get(key);
  if (hit) return hit;
  const found = await getVersion(questionnaireId, version).catch((e: unknown) => {
    if (e instanceof NotFoundError) return null;
    throw e;
  });
  if (!found) return undefined;
  const sections = toScoringSections(found);
  const items = new Map(sections.flatMap((s) => s.items.map((i) => [i.key, { ...i, sectionKey: s.key }] as const)));
  versionItems.set(key, items);
  return items;
}

export async function entryOf(v: VisitForStats): Promise<Entry> {
  if (!isCounted(v.status)) return { rev: v.rev, removed: true };
  return contributionOf(v, await itemsOfVersion(String(v.questionnaireId), v.questionnaireVersion));
}

/** Fault points for the tests that kill the sync between its steps. */
export const syncSteps = { afterBranch: async () => {}, afterBucket: async () => {}, afterRegion: async () => {} };

/** The quarter is being rebuilt from the visits: the change waits for the rebuild to finish. */
export class RebuildInProgress extends Error {}

export async function syncVisit(visitId: string): Promise<void> {
  const v = await visitForStats(visitId);
  if (v) await syncFrom(v);
}

/**
 * The sync from a visit as read (a slow sync may hold an older state than another that finished
 * first: the revision checks make the older one change nothing).
 */
export async function syncFrom(v: VisitForStats): Promise<void> {
  const bankId = String(v.bankId);
  if (await claimedAt(rebuildClaimKey(bankId, v.quarter))) throw new RebuildInProgress(v.quarter);
  await applyEntry(bankId, v.quarter, v.branchCode, v.region, String(v._id), await entryOf(v));
}

/** A visit's entry through every level (what a sync does once the visit is read). */
export async function applyEntry(
  bankId: string,
  quarter: string,
  code: string,
  region: string,
  visitId: string,
  entry: Entry,
): Promise<void> {
  const branch = await putEntry(bankId, quarter, code, region, visitId, entry);
  if (!branch) return; // never counted, nothing recorded
  await syncSteps.afterBranch();
  await rollBranch(bankId, quarter, code, region, branch);
  noteSynced(bankId, quarter, code, region);
}

async function putEntry(
  bankId: string,
  quarter: string,
  code: string,
  region: string,
  visitId: string,
  entry: Entry,
): Promise<Packed<BranchEntries> | null> {
  const fields = { bankId: toObjectId(bankId), quarter, branchCode: code };
  return updatePacked<BranchEntries>(
    StatsBranch,
    branchId(bankId, quarter, code),
    fields,
    (entries) => {
      const known = entries?.[visitId];
      if (known && known.rev >= entry.rev) return null;
      if (!entries && 'removed' in entry) return null;
      return { ...(entries ?? {}), [visitId]: entry };
    },
    () => ({ region }),
  );
}

/** The branch's summary into its bucket's record, then on up. */
export async function rollBranch(
  bankId: string,
  quarter: string,
  code: string,
  region: string,
  branch: Packed<BranchEntries>,
): Promise<void> {
  await putBranchSummary(bankId, quarter, region, code, summarizeBranch(countedEntries(branch.value), branch.seq));
}

/** A summary of a branch into its bucket in a region (a newer one never replaced by an older), then on up. */
export async function putBranchSummary(
  bankId: string,
  quarter: string,
  region: string,
  code: string,
  summary: BucketBranches[string],
): Promise<void> {
  const bucket = bucketOf(code);
  const bucketDoc = await updatePacked<BucketBranches>(
    StatsBucket,
    bucketId(bankId, quarter, region, bucket),
    { bankId: toObjectId(bankId), quarter, region, bucket },
    (branches) => {
      const known = branches?.[code];
      if (known && known.seq >= summary.seq) return null;
      return { ...(branches ?? {}), [code]: summary };
    },
  );
  if (!bucketDoc) return;
  await syncSteps.afterBucket();
  await rollBucket(bankId, quarter, region, bucket, bucketDoc);
}

/** A bucket's summary and violations into its region's record, then the region's into the bank's. */
export async function rollBucket(
  bankId: string,
  quarter: string,
  region: string,
  bucket: number,
  bucketDoc: Packed<BucketBranches>,
): Promise<void> {
  const part = bucketPart(bucketDoc.value, bucketDoc.seq);
  const regionDoc = await updatePacked<RegionBuckets>(
    StatsRegion,
    regionId(bankId, quarter, region),
    { bankId: toObjectId(bankId), quarter, region },
    (buckets) => {
      const known = buckets?.[bucket];
      if (known && known.summary.seq >= part.summary.seq) return null;
      return { ...(buckets ?? {}), [bucket]: part };
    },
  );
  if (!regionDoc) return;
  await syncSteps.afterRegion();
  await rollRegion(bankId, quarter, region, regionDoc);
}

export async function rollRegion(
  bankId: string,
  quarter: string,
  region: string,
  regionDoc: Packed<RegionBuckets>,
): Promise<void> {
  const summary = regionSummary(regionDoc.value, regionDoc.seq);
  await updatePacked<BankAreas>(
    StatsBank,
    bankQuarterId(bankId, quarter),
    { bankId: toObjectId(bankId), quarter },
    (regions) => {
      const known = regions?.[region];
      if (known && known.seq >= summary.seq) return null;
      return { ...(regions ?? {}), [region]: summary };
    },
  );
}

/** Stored as an ObjectId like every other bankId, so that filters by bank match. */
const toObjectId = (id: string) => new Types.ObjectId(id);
