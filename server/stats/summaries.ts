import type { SectionKey } from '../rules/scoring';
import { SCORE_SLOTS, TOTAL, type Contribution, type ItemResult } from './contribution';
import { addMoments, addObservation, meanOf, noMoments, type Moments } from './moments';

/**
 * The statistics of SPEC §3 and §11 as they are kept (§15): a branch's quarter summed up from its
 * visits' contributions, and an area (region, bank) summed up from its branches. Every figure is a
 * function of the parts' current values, never an increment, so recomputing after a replayed or
 * reordered event gives the same result. Pure.
 */
export interface ItemCount {
  section: SectionKey;
  applicable: number;
  failed: number;
}

export interface ViolationEntry {
  visitId: string;
  itemKey: string;
  sectionKey: SectionKey | null;
  disputed: boolean;
}

export interface PersonSummary {
  visits: number;
  /** Moments of the visits' scores per slot (SCORE_SLOTS). */
  scores: Moments[];
}

export interface BranchSummary {
  /** The branch record's change counter this summary was taken at. */
  seq: number;
  visits: number;
  /** Moments of the visit scores per slot: the branch score is their mean (§3), sd and ci95 from them (§11). */
  scores: Moments[];
  items: Record<string, ItemCount>;
  violations: ViolationEntry[];
  /** Visits under an open dispute. */
  disputed: number;
  staff: Record<string, PersonSummary>;
  auditors: Record<string, PersonSummary>;
}

export interface AreaSummary {
  seq: number;
  /** Branches with at least one counted visit. */
  branches: number;
  visits: number;
  /** Moments of the BRANCH scores per slot: the area score is the mean of its branch scores (§3). */
  branchScores: Moments[];
  /** Lowest and highest branch total (the spread, §3). */
  minTotal: number | null;
  maxTotal: number | null;
  items: Record<string, ItemCount>;
  violations: number;
  disputed: number;
}

const slots = (): Moments[] => SCORE_SLOTS.map(() => noMoments());

function addPerson(into: Record<string, PersonSummary>, id: string, scores: (number | null)[]): void {
  const p = (into[id] ??= { visits: 0, scores: slots() });
  p.visits += 1;
  scores.forEach((s, i) => addObservation(p.scores[i], s));
}

/** No object per answer: a first rebuild sums up 25,000 branches of ~120 answers each in a row. */
function addAnswer(into: Record<string, ItemCount>, r: ItemResult): void {
  const acc = (into[r.key] ??= { section: r.section, applicable: 0, failed: 0 });
  acc.applicable += 1;
  if (r.failed) acc.failed += 1;
}

function addItems(into: Record<string, ItemCount>, key: string, c: ItemCount): void {
  const acc = (into[key] ??= { section: c.section, applicable: 0, failed: 0 });
  acc.applicable += c.applicable;
  acc.failed += c.failed;
}

/** A branch's quarter from the contributions of its counted visits (keyed by visit id). */
export function summarizeBranch(visits: Readonly<Record<string, Contribution>>, seq: number): BranchSummary {
  const out = emptyBranchSummary(seq);
  for (const id of Object.keys(visits).sort()) addVisit(out, id, visits[id]);
  return out;
}

/** A branch with no visit yet (what summarizeBranch starts from). */
export function emptyBranchSummary(seq: number): BranchSummary {
  return { seq, visits: 0, scores: slots(), items: {}, violations: [], disputed: 0, staff: {}, auditors: {} };
}

/**
 * Adds one counted visit to a branch's summary. A summary is the same whatever order its visits are
 * added in, up to the last bits of its sums (floating point) and the order of its keys and
 * violations: summarizeBranch adds them by visit id, and so must anyone who wants its exact result.
 */
export function addVisit(out: BranchSummary, id: string, c: Contribution): void {
  out.visits += 1;
  c.scores.forEach((s, i) => addObservation(out.scores[i], s));
  for (const r of c.items) addAnswer(out.items, r);
  for (const v of c.violations) out.violations.push({ visitId: id, ...v, disputed: c.disputed });
  if (c.disputed) out.disputed += 1;
  for (const s of c.staffIds) addPerson(out.staff, s, c.scores);
  addPerson(out.auditors, c.auditorId, c.scores);
}

/** The branch's scores (means per slot), null where it has no observation. */
export function branchMeans(b: Pick<BranchSummary, 'scores'>): (number | null)[] {
  return b.scores.map(meanOf);
}

/** An area from its branches' summaries; branches without visits are left out. */
export function summarizeArea(branches: Iterable<BranchSummary>, seq: number): AreaSummary {
  const out = emptyArea(seq);
  for (const b of branches) {
    if (b.visits === 0) continue;
    out.branches += 1;
    out.visits += b.visits;
    branchMeans(b).forEach((m, i) => addObservation(out.branchScores[i], m));
    const total = meanOf(b.scores[TOTAL]);
    if (total !== null) {
      out.minTotal = out.minTotal === null ? total : Math.min(out.minTotal, total);
      // Stryker disable next-line ConditionalExpression: equivalent, Math.max reads a null maximum as 0 and totals are never negative
      out.maxTotal = out.maxTotal === null ? total : Math.max(out.maxTotal, total);
    }
    for (const [k, c] of Object.entries(b.items)) addItems(out.items, k, c);
    out.violations += b.violations.length;
    out.disputed += b.disputed;
  }
  return out;
}

/** A wider area (the bank) from its parts (regions): moments and counts add up, extremes take the extreme. */
export function combineAreas(parts: Iterable<AreaSummary>, seq: number): AreaSummary {
  const out = emptyArea(seq);
  for (const a of parts) {
    out.branches += a.branches;
    out.visits += a.visits;
    a.branchScores.forEach((m, i) => addMoments(out.branchScores[i], m));
    if (a.minTotal !== null) out.minTotal = out.minTotal === null ? a.minTotal : Math.min(out.minTotal, a.minTotal);
    // Stryker disable next-line ConditionalExpression: equivalent, Math.max reads a null maximum as 0 and totals are never negative
    if (a.maxTotal !== null) out.maxTotal = out.maxTotal === null ? a.maxTotal : Math.max(out.maxTotal, a.maxTotal);
    for (const [k, c] of Object.entries(a.items)) addItems(out.items, k, c);
    out.violations += a.violations;
    out.disputed += a.disputed;
  }
  return out;
}

function emptyArea(seq: number): AreaSummary {
  return {
    seq,
    branches: 0,
    visits: 0,
    branchScores: slots(),
    minTotal: null,
    maxTotal: null,
    items: {},
    violations: 0,
    disputed: 0,
  };
}
