import { Types, type Mongoose, type Schema } from 'mongoose';
import { countedEntries, type BranchEntries, type Entry } from '../server/stats/branch-build';
import type { Contribution } from '../server/stats/contribution';
import { readPacked, updatePacked, type Packed, type PackedModel } from '../server/stats/store';
import {
  summarizeArea,
  summarizeBranch,
  type AreaSummary,
  type BranchSummary,
  type ViolationEntry,
} from '../server/stats/summaries';

/**
 * The statistics' layout before the buckets (commit efece4b, server/stats/apply.ts), kept for
 * bench/stats-sync-bench.ts only: a region record holding every branch summary of the region, a bank
 * record holding every region's summary and violations. The steps are the previous code's, on the
 * same store functions, in collections of their own.
 */
type RegionBranches = Record<string, BranchSummary>;
type BankRegions = Record<string, { summary: AreaSummary; violations: (ViolationEntry & { branchCode: string })[] }>;

let Branch: PackedModel;
let Region: PackedModel;
let Bank: PackedModel;

const oid = (id: string) => new Types.ObjectId(id);
const byCode = ([a]: [string, unknown], [b]: [string, unknown]) => (a < b ? -1 : a > b ? 1 : 0);
const violationsOf = (branches: RegionBranches) =>
  Object.entries(branches)
    .sort(byCode)
    .flatMap(([branchCode, s]) => s.violations.map((x) => ({ ...x, branchCode })));

/** The previous layout's records of one region (and `regions` − 1 copies of it in the bank record). */
export async function seed(
  mongoose: Mongoose,
  schema: () => Schema,
  bankId: string,
  quarter: string,
  region: string,
  regions: number,
  branches: Map<string, { region: string; entries: Record<string, Contribution> }>,
): Promise<void> {
  Branch = mongoose.model('BenchPreviousBranch', schema(), 'bench_previous_branches') as unknown as PackedModel;
  Region = mongoose.model('BenchPreviousRegion', schema(), 'bench_previous_regions') as unknown as PackedModel;
  Bank = mongoose.model('BenchPreviousBank', schema(), 'bench_previous_banks') as unknown as PackedModel;
  const base = { bankId: oid(bankId), quarter, seq: 1 };
  const docs = [...branches].map(([code, b]) => ({
    _id: `${bankId}:${quarter}:${code}`,
    ...base,
    branchCode: code,
    region,
    packed: JSON.stringify(b.entries),
  }));
  await Branch.collection.insertMany(docs as never[]);
  const summaries: RegionBranches = Object.fromEntries(
    [...branches].map(([code, b]) => [code, summarizeBranch(b.entries, 1)]),
  );
  await Region.collection.insertOne({
    _id: `${bankId}:${quarter}:${region}`,
    ...base,
    region,
    packed: JSON.stringify(summaries),
  } as never);
  const one = { summary: summarizeArea(Object.values(summaries), 1), violations: violationsOf(summaries) };
  const bank: BankRegions = {};
  for (let r = 0; r < regions; r++) bank[`R${String(r).padStart(2, '0')}`] = one;
  await Bank.collection.insertOne({ _id: `${bankId}:${quarter}`, ...base, packed: JSON.stringify(bank) } as never);
}

export const readBank = (bankId: string, quarter: string) => readPacked<BankRegions>(Bank, `${bankId}:${quarter}`);
export const readRegion = (bankId: string, quarter: string, region: string) =>
  readPacked<RegionBranches>(Region, `${bankId}:${quarter}:${region}`);

/** The previous sync's steps after reading the visit: branch → region record → bank record. */
export async function applyEntry(
  bankId: string,
  quarter: string,
  code: string,
  region: string,
  visitId: string,
  entry: Entry,
): Promise<void> {
  const branch = await updatePacked<BranchEntries>(
    Branch,
    `${bankId}:${quarter}:${code}`,
    { bankId: oid(bankId), quarter, branchCode: code },
    (entries) => {
      const known = entries?.[visitId];
      if (known && known.rev >= entry.rev) return null;
      return { ...(entries ?? {}), [visitId]: entry };
    },
    () => ({ region }),
  );
  if (branch) await rollBranch(bankId, quarter, code, region, branch);
}

async function rollBranch(
  bankId: string,
  quarter: string,
  code: string,
  region: string,
  branch: Packed<BranchEntries>,
): Promise<void> {
  const summary = summarizeBranch(countedEntries(branch.value), branch.seq);
  const regionDoc = await updatePacked<RegionBranches>(
    Region,
    `${bankId}:${quarter}:${region}`,
    { bankId: oid(bankId), quarter, region },
    (branches) => {
      const known = branches?.[code];
      if (known && known.seq >= summary.seq) return null;
      return { ...(branches ?? {}), [code]: summary };
    },
  );
  if (!regionDoc) return;
  const area = summarizeArea(Object.values(regionDoc.value), regionDoc.seq);
  const violations = violationsOf(regionDoc.value);
  await updatePacked<BankRegions>(Bank, `${bankId}:${quarter}`, { bankId: oid(bankId), quarter }, (regions) => {
    const known = regions?.[region];
    if (known && known.summary.seq >= area.seq) return null;
    return { ...(regions ?? {}), [region]: { summary: area, violations } };
  });
}
