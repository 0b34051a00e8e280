import { Types } from 'mongoose';
import { release, takeOverStale } from '../platform/db/write-claims';
import { ConflictError } from '../platform/errors';
import { visitQuarters, visitsForStats } from '../visits/service';
import { countedEntries, entryOf, type BankRegions, type BranchEntries, type RegionBranches } from './apply';
import { catchUp } from './catch-up';
import { StatsBank, StatsBranch, StatsRegion } from './model';
import { bankQuarterId, branchId, rebuildClaimKey, regionId } from './store';
import { summarizeArea, summarizeBranch } from './summaries';

/**
 * Recomputing a bank's statistics from its visits (`stats rebuild`), quarter by quarter. While it
 * runs it holds a claim on the bank's quarter that the ongoing syncs respect (their change notes wait),
 * and when it is done those notes are caught up, so nothing approved meanwhile is lost. Readers may see
 * a quarter half rebuilt while it runs.
 */
export interface QuarterFigures {
  branches: Map<string, { region: string; entries: BranchEntries }>;
}

const LEASE_MS = 30 * 60_000;

/** Recomputes what the statistics of one quarter should be, from the visits (nothing written). */
export async function recompute(bankId: string, quarter: string): Promise<QuarterFigures> {
  const branches = new Map<string, { region: string; entries: BranchEntries }>();
  for await (const v of visitsForStats(bankId, quarter)) {
    let b = branches.get(v.branchCode);
    if (!b) branches.set(v.branchCode, (b = { region: v.region, entries: {} }));
    b.entries[String(v._id)] = await entryOf(v);
  }
  return { branches };
}

export async function rebuild(bankId: string, quarter?: string): Promise<{ quarters: string[]; branches: number }> {
  const quarters = quarter ? [quarter] : await visitQuarters(bankId);
  let branches = 0;
  for (const q of quarters) branches += await rebuildQuarter(bankId, q);
  await catchUp(bankId);
  return { quarters, branches };
}

async function rebuildQuarter(bankId: string, quarter: string): Promise<number> {
  const claim = await takeOverStale(rebuildClaimKey(bankId, quarter), LEASE_MS, {
    expiresAt: new Date(Date.now() + LEASE_MS),
  });
  if (!claim) throw new ConflictError(`The statistics of ${quarter} are being rebuilt already`, 'rebuild_running');
  try {
    const figures = await recompute(bankId, quarter);
    await writeQuarter(bankId, quarter, figures, Date.now());
    return figures.branches.size;
  } finally {
    await release(claim);
  }
}

const BATCH = 500;

/**
 * Writes a recomputed quarter over what is stored. Every record gets the same new `seq`, higher than
 * any it had (a time in ms; the syncs count up from there), so a summary taken before is recognised as
 * older; records the visits no longer justify are removed.
 */
async function writeQuarter(bankId: string, quarter: string, f: QuarterFigures, seq: number): Promise<void> {
  const bank = new Types.ObjectId(bankId);
  const regions = new Map<string, RegionBranches>();
  const ops: Parameters<typeof StatsBranch.bulkWrite>[0] = [];
  for (const [code, b] of f.branches) {
    const _id = branchId(bankId, quarter, code);
    const doc = { bankId: bank, quarter, branchCode: code, region: b.region, seq, packed: JSON.stringify(b.entries) };
    ops.push({ replaceOne: { filter: { _id }, replacement: { _id, ...doc, updatedAt: new Date() }, upsert: true } });
    if (ops.length >= BATCH) await StatsBranch.bulkWrite(ops.splice(0), { ordered: false });
    const branches = regions.get(b.region) ?? {};
    branches[code] = summarizeBranch(countedEntries(b.entries), seq);
    regions.set(b.region, branches);
  }
  if (ops.length) await StatsBranch.bulkWrite(ops, { ordered: false });
  await removeOthers(
    StatsBranch,
    bank,
    quarter,
    new Set([...f.branches.keys()].map((c) => branchId(bankId, quarter, c))),
  );
  const bankRegions: BankRegions = {};
  for (const [region, branches] of regions) {
    const _id = regionId(bankId, quarter, region);
    const replacement = {
      _id,
      bankId: bank,
      quarter,
      region,
      seq,
      packed: JSON.stringify(branches),
      updatedAt: new Date(),
    };
    await StatsRegion.replaceOne({ _id }, replacement, { upsert: true });
    bankRegions[region] = {
      summary: summarizeArea(Object.values(branches), seq),
      violations: Object.entries(branches)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .flatMap(([branchCode, s]) => s.violations.map((x) => ({ ...x, branchCode }))),
    };
  }
  await removeOthers(StatsRegion, bank, quarter, new Set([...regions.keys()].map((r) => regionId(bankId, quarter, r))));
  const _id = bankQuarterId(bankId, quarter);
  await StatsBank.replaceOne(
    { _id },
    { _id, bankId: bank, quarter, seq, packed: JSON.stringify(bankRegions), updatedAt: new Date() },
    { upsert: true },
  );
}

async function removeOthers(
  m: typeof StatsBranch | typeof StatsRegion,
  bankId: Types.ObjectId,
  quarter: string,
  keep: ReadonlySet<string>,
): Promise<void> {
  const stored = await (m as typeof StatsBranch).find({ bankId, quarter }, { _id: 1 }).lean();
  const gone = stored.map((d) => String(d._id)).filter((id) => !keep.has(id));
  if (gone.length) await (m as typeof StatsBranch).deleteMany({ _id: { $in: gone } });
}
