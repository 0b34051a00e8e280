import { combineAreas, summarizeArea, type AreaSummary, type BranchSummary, type ViolationEntry } from './summaries';

/**
 * How a region's kept statistics are split so that one approval rewrites a small part (SPEC §15):
 * a region's branches fall into BUCKETS buckets by their code; a bucket record keeps its branches'
 * summaries, the region record keeps one summary (and the violations) per bucket, and the bank
 * record one summary per region. Each level is a pure function of the level below, so the bank's
 * figures equal a summary of all its branches at once (counts exactly, moments up to rounding).
 * Pure.
 */

/**
 * 16 buckets: a region of 500 branches gives buckets of about 31 branches, where the bytes an
 * approval rewrites (its bucket plus the region's 16 bucket summaries) are near their least. Never
 * change it without rebuilding every bank's statistics: a branch's bucket is where it is kept.
 */
export const BUCKETS = 16;

/** A region's branches: branch code → its summary. */
export type BucketBranches = Record<string, BranchSummary>;

export type BranchViolation = ViolationEntry & { branchCode: string };

/** What the region record keeps of one bucket. */
export interface BucketPart {
  summary: AreaSummary;
  violations: BranchViolation[];
}

/** A region record's value: bucket number → its part. */
export type RegionBuckets = Record<string, BucketPart>;

/** The bucket of a branch code: FNV-1a over its UTF-16 code units, so every process agrees. */
export function bucketOf(code: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < code.length; i++) {
    h ^= code.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % BUCKETS;
}

function byCode(a: string, b: string): number {
  if (a < b) return -1;
  // Stryker disable next-line ConditionalExpression,EqualityOperator: equivalent, a tie given 1 keeps its order in a stable sort as 0 does
  return a > b ? 1 : 0;
}

/** The violations of some branches, each with its branch, in branch-code order then as each branch lists them. */
export function violationsOf(branches: Readonly<BucketBranches>): BranchViolation[] {
  return Object.keys(branches)
    .sort(byCode)
    .flatMap((branchCode) => branches[branchCode].violations.map((x) => ({ ...x, branchCode })));
}

/** A bucket's part of its region record, taken at the bucket record's `seq`. */
export function bucketPart(branches: Readonly<BucketBranches>, seq: number): BucketPart {
  return { summary: summarizeArea(Object.values(branches), seq), violations: violationsOf(branches) };
}

/** A region's summary from its buckets' parts, taken at the region record's `seq`. */
export function regionSummary(buckets: Readonly<RegionBuckets>, seq: number): AreaSummary {
  return combineAreas(
    Object.values(buckets).map((b) => b.summary),
    seq,
  );
}

/** A region's violations from its buckets' parts, in branch-code order. */
export function regionViolations(buckets: Readonly<RegionBuckets>): BranchViolation[] {
  // A branch lies in one bucket only: a stable sort by branch keeps each branch's own order.
  return Object.values(buckets)
    .flatMap((b) => b.violations)
    .sort((a, b) => byCode(a.branchCode, b.branchCode));
}

/** Splits a region's branches into their buckets (bucket number → its branches). */
export function intoBuckets(branches: Readonly<BucketBranches>): Map<number, BucketBranches> {
  const out = new Map<number, BucketBranches>();
  for (const code of Object.keys(branches).sort(byCode)) {
    const k = bucketOf(code);
    const part = out.get(k) ?? {};
    part[code] = branches[code];
    out.set(k, part);
  }
  return out;
}
