import { entryOf, type BankAreas } from './apply';
import { countedEntries, type BranchEntries } from './branch-build';
import { logger } from '../platform/logger';
import { visitForStats } from '../visits/service';
import { bucketOf, bucketPart, intoBuckets, regionSummary, type BucketBranches, type RegionBuckets } from './buckets';
import { catchUp } from './catch-up';
import { takeRecent } from './recent';
import { StatsBank, StatsBranch, StatsBucket, StatsRegion } from './model';
import { recompute } from './rebuild';
import { bankQuarterId, branchId, bucketId, readPacked, regionId } from './store';
import { summarizeBranch } from './summaries';

/**
 * `stats verify`: the kept statistics of a quarter against a recomputation from the visits, field by
 * field. Counts must be equal; sums may differ by rounding only (1e-9, relative to their size).
 */
export interface Difference {
  record: string;
  field: string;
  kept: unknown;
  recomputed: unknown;
}

const SUM_TOLERANCE = 1e-9;

/** Field-by-field differences between two values (numbers with the tolerance; `seq` fields ignored). */
export function differences(record: string, kept: unknown, recomputed: unknown, path = ''): Difference[] {
  if (typeof kept === 'number' && typeof recomputed === 'number') {
    const scale = Math.max(1, Math.abs(kept), Math.abs(recomputed));
    return Math.abs(kept - recomputed) <= SUM_TOLERANCE * scale ? [] : [{ record, field: path, kept, recomputed }];
  }
  if (kept && recomputed && typeof kept === 'object' && typeof recomputed === 'object') {
    const keys = new Set([...Object.keys(kept), ...Object.keys(recomputed)]);
    return [...keys]
      .filter((k) => k !== 'seq')
      .flatMap((k) =>
        differences(
          record,
          (kept as Record<string, unknown>)[k],
          (recomputed as Record<string, unknown>)[k],
          path ? `${path}.${k}` : k,
        ),
      );
  }
  return kept === recomputed ? [] : [{ record, field: path, kept: kept ?? null, recomputed: recomputed ?? null }];
}

/** Branches (or a region's bucket parts) with counted visits only: emptied ones are kept on purpose. */
const withVisits = <T>(parts: Record<string, T>, visits: (x: T) => number) =>
  Object.fromEntries(Object.entries(parts).filter(([, x]) => visits(x) > 0));

/** Noted changes not yet applied are not drift: they are applied first, as any reader does. */
export async function verifyQuarter(bankId: string, quarter: string): Promise<Difference[]> {
  await catchUp(bankId);
  const f = await recompute(bankId, quarter);
  const out: Difference[] = [];
  const regions = new Map<string, BucketBranches>();
  for (const [code, b] of f.branches) {
    const id = branchId(bankId, quarter, code);
    const kept = await readPacked<BranchEntries>(StatsBranch, id);
    out.push(...differences(id, countedEntries(kept?.value ?? {}), countedEntries(b.entries)));
    const summary = summarizeBranch(countedEntries(b.entries), 0);
    regions.set(b.region, { ...(regions.get(b.region) ?? {}), [code]: summary });
  }
  const keptBank = (await readPacked<BankAreas>(StatsBank, bankQuarterId(bankId, quarter)))?.value ?? {};
  for (const [region, branches] of regions) {
    const wanted = await verifyRegion(bankId, quarter, region, branches, out);
    out.push(
      ...differences(`${bankQuarterId(bankId, quarter)}/${region}`, keptBank[region] ?? null, regionSummary(wanted, 0)),
    );
  }
  for (const region of Object.keys(keptBank))
    if (!regions.has(region) && keptBank[region].visits > 0)
      out.push({ record: bankQuarterId(bankId, quarter), field: region, kept: keptBank[region], recomputed: null });
  return out;
}

/** A region's bucket records and its record against what its branches give; returns the parts it should hold. */
async function verifyRegion(
  bankId: string,
  quarter: string,
  region: string,
  branches: BucketBranches,
  out: Difference[],
): Promise<RegionBuckets> {
  const id = regionId(bankId, quarter, region);
  const kept = (await readPacked<RegionBuckets>(StatsRegion, id))?.value ?? {};
  const buckets = intoBuckets(branches);
  const wanted: RegionBuckets = {};
  for (const k of new Set([...buckets.keys(), ...Object.keys(kept).map(Number)])) {
    const bid = bucketId(bankId, quarter, region, k);
    const keptBucket = (await readPacked<BucketBranches>(StatsBucket, bid))?.value ?? {};
    const part = buckets.get(k) ?? {};
    const visits = (b: BucketBranches[string]) => b.visits;
    out.push(...differences(bid, withVisits(keptBucket, visits), withVisits(part, visits)));
    if (buckets.has(k)) wanted[k] = bucketPart(part, 0);
  }
  const partVisits = (p: RegionBuckets[string]) => p.summary.visits;
  out.push(...differences(id, withVisits(kept, partVisits), withVisits(wanted, partVisits)));
  return wanted;
}

// ---- the background check: a sample of what changed lately

/**
 * Checks the branches changed since the last check: each entry against its visit as it is now (when
 * the visit has not changed since), the bucket's copy of the branch's summary, the region's copy of
 * the bucket's part and the bank's copy of the region's summary. Any difference is logged loudly; the count is returned (0 when all is well).
 */
export async function checkRecent(sample = 20): Promise<Difference[]> {
  const picked = takeRecent(sample);
  const found: Difference[] = [];
  for (const key of picked) {
    const [bankId, quarter, code, region] = JSON.parse(key) as string[];
    found.push(...(await checkBranch(bankId, quarter, code, region)));
  }
  if (found.length) logger.error({ differences: found.slice(0, 20), count: found.length }, 'statistics drift found');
  return found;
}

async function checkBranch(bankId: string, quarter: string, code: string, region: string): Promise<Difference[]> {
  const out: Difference[] = [];
  const id = branchId(bankId, quarter, code);
  const branch = await readPacked<BranchEntries>(StatsBranch, id);
  if (!branch) return out;
  for (const [visitId, kept] of Object.entries(branch.value)) {
    const v = await visitForStats(visitId);
    if (!v || v.rev !== kept.rev) continue; // changed since: its own sync will follow
    out.push(...differences(`${id}/${visitId}`, kept, await entryOf(v)));
  }
  const k = bucketOf(code);
  const bid = bucketId(bankId, quarter, region, k);
  const bucket = await readPacked<BucketBranches>(StatsBucket, bid);
  const summary = bucket?.value[code];
  if (summary && summary.seq === branch.seq)
    out.push(...differences(`${bid}/${code}`, summary, summarizeBranch(countedEntries(branch.value), branch.seq)));
  const rid = regionId(bankId, quarter, region);
  const regionDoc = await readPacked<RegionBuckets>(StatsRegion, rid);
  const part = regionDoc?.value[k];
  if (bucket && part && part.summary.seq === bucket.seq)
    out.push(...differences(`${rid}/${k}`, part, bucketPart(bucket.value, bucket.seq)));
  const bank = await readPacked<BankAreas>(StatsBank, bankQuarterId(bankId, quarter));
  const area = bank?.value[region];
  if (regionDoc && area && area.seq === regionDoc.seq)
    out.push(
      ...differences(
        `${bankQuarterId(bankId, quarter)}/${region}`,
        area,
        regionSummary(regionDoc.value, regionDoc.seq),
      ),
    );
  return out;
}
