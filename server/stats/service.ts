import { StatsBank, StatsRegion } from './model';
import { readManyPacked, readPacked, regionId, bankQuarterId } from './store';
import type { BankRegions, RegionBranches } from './apply';

/**
 * The kept statistics of a bank's quarters (SPEC §15), the door other features read them through:
 * results, HR scorecards, action-plan outcomes, the quarter close. Figures are summed up per
 * branch, per region and per bank as visits start or stop counting; nothing here reads a visit.
 */
export type { BankRegion, BankRegions, RegionBranches } from './apply';
export type { AreaSummary, BranchSummary, ItemCount, PersonSummary, ViolationEntry } from './summaries';
export type { Moments } from './moments';
export { meanOf, sampleSd, populationSd } from './moments';
export { SCORE_SLOTS, TOTAL } from './contribution';
export { branchMeans, combineAreas, summarizeArea } from './summaries';
export { syncVisit } from './apply';

/** Every region of the bank in the quarter with its summary and violations ({} when nothing counted). */
export async function bankQuarterStats(bankId: string, quarter: string): Promise<BankRegions> {
  return (await readPacked<BankRegions>(StatsBank, bankQuarterId(bankId, quarter)))?.value ?? {};
}

/** The branches of some regions of the bank in the quarter, by region. */
export async function regionQuarterStats(
  bankId: string,
  quarter: string,
  regions: readonly string[],
): Promise<Map<string, RegionBranches>> {
  const ids = regions.map((r) => regionId(bankId, quarter, r));
  const found = await readManyPacked<RegionBranches>(StatsRegion, ids);
  return new Map(regions.map((r, i) => [r, found.get(ids[i])?.value ?? {}]));
}
