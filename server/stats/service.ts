import type { BankAreas } from './apply';
import { countedEntries, type BranchEntries } from './branch-build';
import { bucketOf, regionViolations, type BranchViolation, type BucketBranches } from './buckets';
import { catchUp } from './catch-up';
import type { Contribution } from './contribution';
import { StatsBank, StatsBranch, StatsBucket } from './model';
import { readBucketRecords, readRegionRecords } from './read-cache';
import { bankQuarterId, branchId, bucketId, readPacked, regionId } from './store';
import type { AreaSummary, BranchSummary } from './summaries';

/**
 * The kept statistics of a bank's quarters (SPEC §15), the door other features read them through:
 * results, HR scorecards, action-plan outcomes, the quarter close. Figures are summed up per
 * branch, per region and per bank as visits start or stop counting; nothing here reads a visit.
 */
/** A region of a bank's quarter as the bank record keeps it. */
export interface BankRegion {
  summary: AreaSummary;
}
export type BankRegions = Record<string, BankRegion>;
/** A region's branches: branch code → its summary. */
export type RegionBranches = Record<string, BranchSummary>;
/** A violation with its branch and region. */
export type RegionViolation = BranchViolation & { region: string };
export type { AreaSummary, BranchSummary, ItemCount, PersonSummary, ViolationEntry } from './summaries';
export type { Moments } from './moments';
export { addMoments, meanOf, noMoments, sampleSd, populationSd } from './moments';
export { SCORE_SLOTS, TOTAL } from './contribution';
import { TOTAL } from './contribution';
export { branchMeans, combineAreas, summarizeArea } from './summaries';
import { combineAreas, type ItemCount } from './summaries';
export { syncVisit } from './apply';
export { catchUp } from './catch-up';
export { rebuild } from './rebuild';
export { branchMoved } from './moves';
export { statsCommand } from './cli';
export { checkRecent, verifyQuarter, type Difference } from './verify';
export type { Contribution, ItemInfo } from './contribution';

/** Every region of the bank in the quarter with its summary ({} when nothing counted). */
export async function bankQuarterStats(bankId: string, quarter: string): Promise<BankRegions> {
  const kept = (await readPacked<BankAreas>(StatsBank, bankQuarterId(bankId, quarter)))?.value ?? {};
  return Object.fromEntries(Object.entries(kept).map(([region, summary]) => [region, { summary }]));
}

/**
 * The region records of some regions (bucket → summary and violations), {} for a region with none.
 * `named` is the quarter's bank record as just read: its summaries name the region records' seqs, so
 * unchanged records come from the kept copies (server/stats/read-cache.ts).
 */
async function regionRecords(bankId: string, quarter: string, regions: readonly string[], named?: BankRegions) {
  const ids = regions.map((r) => regionId(bankId, quarter, r));
  const found = await readRegionRecords(regions.map((r, i) => ({ id: ids[i], seq: named?.[r]?.summary.seq })));
  return regions.map((r, i) => [r, found.get(ids[i])?.value ?? {}] as const);
}

/**
 * The branches of some regions of the bank in the quarter, by region (read from the buckets each
 * region lists). `named`: the quarter's bank record, when the caller has just read it.
 */
export async function regionQuarterStats(
  bankId: string,
  quarter: string,
  regions: readonly string[],
  named?: BankRegions,
): Promise<Map<string, RegionBranches>> {
  const out = new Map<string, RegionBranches>();
  const bank = named ?? (await bankQuarterStats(bankId, quarter));
  for (const [region, parts] of await regionRecords(bankId, quarter, regions, bank)) {
    const wanted = Object.entries(parts).map(([k, part]) => ({
      id: bucketId(bankId, quarter, region, Number(k)),
      seq: part.summary.seq,
    }));
    const branches: RegionBranches = {};
    for (const b of (await readBucketRecords(wanted)).values()) Object.assign(branches, b.value);
    out.set(region, branches);
  }
  return out;
}

/**
 * The violations of some regions of the bank in a quarter, from the region records (one read each).
 * Read after `bankQuarters` or `regionQuarters`, which catch up with noted changes first.
 */
export async function regionViolationsOf(
  bankId: string,
  quarter: string,
  regions: readonly string[],
  named?: BankRegions,
): Promise<RegionViolation[]> {
  const bank = named ?? (await bankQuarterStats(bankId, quarter));
  return (await regionRecords(bankId, quarter, regions, bank)).flatMap(([region, buckets]) =>
    regionViolations(buckets).map((v) => ({ ...v, region })),
  );
}

/** One branch's summary in a quarter (from its bucket alone), null when it has none. */
export async function branchSummaryOf(
  bankId: string,
  quarter: string,
  region: string,
  branchCode: string,
): Promise<BranchSummary | null> {
  await catchUp(bankId);
  const bucket = await readPacked<BucketBranches>(StatsBucket, bucketId(bankId, quarter, region, bucketOf(branchCode)));
  return bucket?.value[branchCode] ?? null;
}

/** The bank's statistics of some quarters (after catching up with noted changes). */
export async function bankQuarters(bankId: string, quarters: readonly string[]): Promise<Map<string, BankRegions>> {
  await catchUp(bankId);
  const out = new Map<string, BankRegions>();
  for (const q of quarters) out.set(q, await bankQuarterStats(bankId, q));
  return out;
}

/** The branches of some regions of the bank, per quarter (after catching up with noted changes). */
export async function regionQuarters(
  bankId: string,
  quarters: readonly string[],
  regions: readonly string[],
  banks?: ReadonlyMap<string, BankRegions>,
): Promise<Map<string, Map<string, RegionBranches>>> {
  await catchUp(bankId);
  const out = new Map<string, Map<string, RegionBranches>>();
  for (const q of quarters) out.set(q, await regionQuarterStats(bankId, q, regions, banks?.get(q)));
  return out;
}

/** The counted visits of one branch in a quarter, as the statistics hold them (visit id → contribution). */
export async function branchVisitsOf(
  bankId: string,
  quarter: string,
  branchCode: string,
): Promise<Record<string, Contribution>> {
  await catchUp(bankId);
  const kept = await readPacked<BranchEntries>(StatsBranch, branchId(bankId, quarter, branchCode));
  return countedEntries(kept?.value ?? {});
}

/** An area of a bank whose item counts are asked for (a branch names its region, where it is kept). */
export type AreaRef =
  { type: 'bank' } | { type: 'region'; region: string } | { type: 'branch'; region: string; branchCode: string };

/** Applicable and failed answers per item in an area and quarter (key problems, action-plan outcomes). */
export async function areaItemCounts(
  bankId: string,
  quarter: string,
  area: AreaRef,
): Promise<Record<string, ItemCount>> {
  if (area.type === 'branch')
    return (await branchSummaryOf(bankId, quarter, area.region, area.branchCode))?.items ?? {};
  const regions = (await bankQuarters(bankId, [quarter])).get(quarter) ?? {};
  const parts = area.type === 'bank' ? Object.values(regions) : [regions[area.region]].filter(Boolean);
  return combineAreas(
    parts.map((r) => r.summary),
    0,
  ).items;
}

/** The staff named in some counted visits of a quarter (one list per visit found). */
export async function staffOfVisits(
  bankId: string,
  quarter: string,
  visits: readonly { visitId: string; branchCode: string }[],
): Promise<string[][]> {
  const out: string[][] = [];
  const branches = new Map<string, Record<string, Contribution>>();
  for (const v of visits) {
    let entries = branches.get(v.branchCode);
    if (!entries) branches.set(v.branchCode, (entries = await branchVisitsOf(bankId, quarter, v.branchCode)));
    const c = entries[v.visitId];
    if (c) out.push(c.staffIds);
  }
  return out;
}

/** One counted visit that named a staff member, as the kept statistics hold it. */
export interface StaffVisit {
  visitId: string;
  branchCode: string;
  region: string;
  visitedAt: string;
  /** The visit total (unrounded), null when the visit has none. */
  total: number | null;
  auditorId: string;
  disputed: boolean;
}

/**
 * The counted visits of a quarter in which some staff members were identified (the visits their
 * scores rest on), per member, oldest first. Bounded: the bank's record names its regions, the
 * regions' records say in which branches each member was seen, and only those branches' records are
 * read. `visible` cuts the branches to the caller's scope, as the staff scores themselves are cut.
 */
export async function staffVisitsOf(
  bankId: string,
  quarter: string,
  wanted: ReadonlySet<string>,
  visible: (branchCode: string, region: string) => boolean,
): Promise<Map<string, StaffVisit[]>> {
  await catchUp(bankId);
  const bank = await bankQuarterStats(bankId, quarter);
  const out = new Map<string, StaffVisit[]>();
  for (const [region, branches] of await regionQuarterStats(bankId, quarter, Object.keys(bank), bank)) {
    for (const [branchCode, summary] of Object.entries(branches)) {
      if (!Object.keys(summary.staff).some((id) => wanted.has(id)) || !visible(branchCode, region)) continue;
      const kept = await readPacked<BranchEntries>(StatsBranch, branchId(bankId, quarter, branchCode));
      for (const [visitId, c] of Object.entries(countedEntries(kept?.value ?? {})))
        for (const id of c.staffIds.filter((x) => wanted.has(x))) {
          const list = out.get(id) ?? [];
          list.push({
            visitId,
            branchCode,
            region,
            visitedAt: c.visitedAt,
            total: c.scores[TOTAL],
            auditorId: c.auditorId,
            disputed: c.disputed,
          });
          out.set(id, list);
        }
    }
  }
  for (const list of out.values())
    list.sort((a, b) => a.visitedAt.localeCompare(b.visitedAt) || a.visitId.localeCompare(b.visitId));
  return out;
}
