import { SECTION_KEYS } from '../rules/scoring';
import {
  addMoments,
  meanOf,
  noMoments,
  populationSd,
  TOTAL,
  type AreaSummary,
  type BranchSummary,
  type ItemCount,
  type PersonSummary,
  type ViolationEntry,
} from '../stats/service';
import {
  rankKeyProblems,
  type BranchScore,
  type ItemAcc,
  type KeyProblem,
  type Scores,
  type Spread,
  type StaffScore,
  type ViolationRow,
} from './aggregate';

/**
 * The kept statistics (server/stats) as the figures of SPEC §3: a branch's scores are the means of
 * its visits' scores, an area's the means of its branch scores. Pure.
 */
type Slots = { sum: number; n: number; sumSq: number }[];

const scoresFrom = (slots: Slots): Scores => ({
  sections: Object.fromEntries(SECTION_KEYS.map((k, i) => [k, meanOf(slots[i])])) as Scores['sections'],
  total: meanOf(slots[TOTAL]),
});

export const branchScore = (code: string, region: string, s: BranchSummary): BranchScore => ({
  code,
  region,
  n: s.visits,
  ...scoresFrom(s.scores),
  moments: s.scores.map((m) => ({ ...m })),
});

/** The branches of some regions that had counted visits, as branch scores. */
export function branchScores(regions: ReadonlyMap<string, Record<string, BranchSummary>>): BranchScore[] {
  const out: BranchScore[] = [];
  for (const [region, branches] of regions)
    for (const [code, s] of Object.entries(branches)) if (s.visits > 0) out.push(branchScore(code, region, s));
  return out;
}

export const areaScores = (a: AreaSummary): Scores => scoresFrom(a.branchScores);

/** Min, max and population sd of the branch totals (SPEC §3 spread). */
export function areaSpread(a: AreaSummary): Spread | null {
  const sd = populationSd(a.branchScores[TOTAL]);
  return a.minTotal === null || a.maxTotal === null || sd === null
    ? null
    : { min: a.minTotal, max: a.maxTotal, stdev: sd };
}

/** Staff scores over the visits that named them, across the given branches. */
export function staffScores(branches: Iterable<BranchSummary>): StaffScore[] {
  const merged = new Map<string, PersonSummary>();
  for (const b of branches) {
    for (const [id, p] of Object.entries(b.staff)) {
      const m = merged.get(id) ?? { visits: 0, scores: p.scores.map(() => noMoments()) };
      m.visits += p.visits;
      p.scores.forEach((x, i) => addMoments(m.scores[i], x));
      merged.set(id, m);
    }
  }
  return [...merged].map(([employeeId, p]) => ({
    employeeId,
    n: p.visits,
    ...scoresFrom(p.scores),
    moments: p.scores,
  }));
}

/** Key problems (SPEC §3) from item counts added up over some branches or areas. */
export function keyProblems(counts: Iterable<Record<string, ItemCount>>): KeyProblem[] {
  const items = new Map<string, ItemAcc>();
  for (const c of counts)
    for (const [key, x] of Object.entries(c)) {
      const acc = items.get(key) ?? { sectionKey: x.section, failed: 0, applicable: 0 };
      acc.failed += x.failed;
      acc.applicable += x.applicable;
      items.set(key, acc);
    }
  return rankKeyProblems(items);
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export function violationRows(list: Iterable<ViolationEntry & { branchCode: string; region: string }>): ViolationRow[] {
  return [...list]
    .map((v) => ({
      visitId: v.visitId,
      branchCode: v.branchCode,
      region: v.region,
      itemKey: v.itemKey,
      sectionKey: v.sectionKey,
      disputed: v.disputed,
    }))
    .sort((a, b) => cmp(a.branchCode, b.branchCode) || cmp(a.visitId, b.visitId) || cmp(a.itemKey, b.itemKey));
}
