import {
  itemScore,
  SECTION_KEYS,
  type AnswerValue,
  type ItemType,
  type SectionKey,
  type SectionScores,
} from '../rules/scoring';

/**
 * The per-quarter rules of SPEC.md section 3 as a pure, streaming accumulator: visits go in one at
 * a time (from a database cursor), only sums and counts are kept, never the visits themselves.
 * Nothing here touches the database, so every rule is unit-testable on plain objects.
 */

export interface Scores {
  sections: SectionScores;
  total: number | null;
}

export interface VisitInput {
  id: string;
  branchCode: string;
  region: string;
  quarter: string;
  staffIds?: string[] | null;
  answers?: { itemKey: string; value: unknown }[] | null;
  questionnaireId: string;
  questionnaireVersion: number;
  scores?: { sections?: Partial<Record<SectionKey, number | null>> | null; total?: number | null } | null;
  violations?: { itemKey?: string | null; sectionKey?: string | null }[] | null;
  /** `disputed` while a bank manager's dispute on the visit is open. */
  status?: string;
}

export interface ItemInfo {
  type: ItemType;
  sectionKey: SectionKey;
}
/** The items of one questionnaire version; `undefined` when the version is unknown. */
export type ItemLookup = (questionnaireId: string, version: number) => ReadonlyMap<string, ItemInfo> | undefined;

/** Running mean per section and of the total; null observations are left out of their own mean only. */
export class MeanOfScores {
  private readonly sums = new Float64Array(5);
  private readonly counts = new Uint32Array(5);

  add(s: { sections?: Partial<Record<SectionKey, number | null>> | null; total?: number | null }): void {
    for (let i = 0; i < 4; i++) {
      const v = s.sections?.[SECTION_KEYS[i]];
      if (typeof v === 'number' && Number.isFinite(v)) {
        this.sums[i] += v;
        this.counts[i] += 1;
      }
    }
    if (typeof s.total === 'number' && Number.isFinite(s.total)) {
      this.sums[4] += s.total;
      this.counts[4] += 1;
    }
  }

  result(): Scores {
    const mean = (i: number) => (this.counts[i] === 0 ? null : this.sums[i] / this.counts[i]);
    return {
      sections: { greeting: mean(0), product_knowledge: mean(1), sales_compliance: mean(2), follow_up: mean(3) },
      total: mean(4),
    };
  }
}

/** Count, sum and sum of squares of the visit scores per slot (sections, then total): SPEC §11. */
export type VisitMoments = { n: number; sum: number; sumSq: number }[];

export interface BranchScore extends Scores {
  code: string;
  region: string;
  /** Approved visits of the branch in the quarter. */
  n: number;
  moments?: VisitMoments;
}

export interface StaffScore extends Scores {
  employeeId: string;
  n: number;
  moments?: VisitMoments;
}

export interface AreaScore extends Scores {
  /** Visits in the area's branches. */
  n: number;
  /** Branches with at least one visit. */
  branches: number;
  spread: Spread | null;
}

export interface Spread {
  min: number;
  max: number;
  stdev: number;
}

export interface KeyProblem {
  itemKey: string;
  sectionKey: SectionKey;
  failureRate: number;
  failed: number;
  applicable: number;
}

export interface ViolationRow {
  visitId: string;
  branchCode: string;
  region: string;
  itemKey: string;
  sectionKey: string | null;
  /** The visit is under dispute: the figure may still change. */
  disputed: boolean;
}

export interface AccumulatorOptions {
  /** The quarter reported on. */
  quarter: string;
  /** The previous quarter (staff change is computed against it). */
  previousQuarter: string;
  /** Which visits feed the scope-specific figures: staff, key problems and violations. */
  inFocus: (branchCode: string, region: string) => boolean;
  items: ItemLookup;
}

export interface Accumulated {
  /** Branch scores per quarter (every quarter the visits came from). */
  branchesByQuarter: Map<string, BranchScore[]>;
  /** Staff scores of in-focus visits, for the quarter and the previous quarter. */
  staff: StaffScore[];
  previousStaff: StaffScore[];
  keyProblems: KeyProblem[];
  violations: ViolationRow[];
}

/**
 * Running sums for many accumulators in one growing Float64Array (slot = visits, then a sum and a
 * count per section and for the total, then the sums of squares): tens of thousands of branches and
 * staff cost a few MB, not one object graph each.
 */
const SLOT = 16;
class SumsPool {
  private data = new Float64Array(SLOT * 1024);
  private used = 0;

  alloc(): number {
    if ((this.used + 1) * SLOT > this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    return this.used++;
  }

  add(slot: number, s: VisitInput['scores']): void {
    const d = this.data;
    const o = slot * SLOT;
    d[o] += 1;
    if (!s) return;
    for (let i = 0; i < 4; i++) {
      const v = s.sections?.[SECTION_KEYS[i]];
      if (typeof v === 'number' && Number.isFinite(v)) {
        d[o + 1 + i] += v;
        d[o + 6 + i] += 1;
        d[o + 11 + i] += v * v;
      }
    }
    if (typeof s.total === 'number' && Number.isFinite(s.total)) {
      d[o + 5] += s.total;
      d[o + 10] += 1;
      d[o + 15] += s.total * s.total;
    }
  }

  moments(slot: number): VisitMoments {
    const d = this.data;
    const o = slot * SLOT;
    return [0, 1, 2, 3, 4].map((i) => ({ n: d[o + 6 + i], sum: d[o + 1 + i], sumSq: d[o + 11 + i] }));
  }

  n(slot: number): number {
    return this.data[slot * SLOT];
  }

  result(slot: number): Scores {
    const d = this.data;
    const o = slot * SLOT;
    const mean = (i: number) => (d[o + 6 + i] === 0 ? null : d[o + 1 + i] / d[o + 6 + i]);
    return {
      sections: { greeting: mean(0), product_knowledge: mean(1), sales_compliance: mean(2), follow_up: mean(3) },
      total: mean(4),
    };
  }
}

export interface ItemAcc {
  sectionKey: SectionKey;
  failed: number;
  applicable: number;
}

export class ResultsAccumulator {
  private readonly pool = new SumsPool();
  /** quarter → branch code → slot; the branch's region is kept per slot. */
  private readonly branches = new Map<string, Map<string, number>>();
  private readonly regionOfSlot: string[] = [];
  private readonly staff = new Map<string, number>();
  private readonly previousStaff = new Map<string, number>();
  private readonly items = new Map<string, ItemAcc>();
  private readonly violations: ViolationRow[] = [];

  constructor(private readonly opts: AccumulatorOptions) {}

  add(v: VisitInput): void {
    this.addToBranch(v);
    const current = v.quarter === this.opts.quarter;
    if (!current && v.quarter !== this.opts.previousQuarter) return;
    if (!this.opts.inFocus(v.branchCode, v.region)) return;
    this.addToStaff(current ? this.staff : this.previousStaff, v);
    if (!current) return;
    this.addAnswers(v);
    for (const x of v.violations ?? []) {
      if (x.itemKey)
        this.violations.push({
          visitId: v.id,
          branchCode: v.branchCode,
          region: v.region,
          itemKey: x.itemKey,
          sectionKey: x.sectionKey ?? null,
          disputed: v.status === 'disputed',
        });
    }
  }

  private addToBranch(v: VisitInput): void {
    let byCode = this.branches.get(v.quarter);
    if (!byCode) this.branches.set(v.quarter, (byCode = new Map()));
    let slot = byCode.get(v.branchCode);
    if (slot === undefined) {
      byCode.set(v.branchCode, (slot = this.pool.alloc()));
      this.regionOfSlot[slot] = v.region;
    }
    this.pool.add(slot, v.scores);
  }

  private addToStaff(into: Map<string, number>, v: VisitInput): void {
    const ids = v.staffIds ?? [];
    ids.forEach((id, i) => {
      // A member named twice in one visit still counts that visit once.
      if (ids.indexOf(id) !== i) return;
      let slot = into.get(id);
      if (slot === undefined) into.set(id, (slot = this.pool.alloc()));
      this.pool.add(slot, v.scores);
    });
  }

  /** Failure rate uses the item types of the version the visit was filled on; `na` is not applicable. */
  private addAnswers(v: VisitInput): void {
    const items = this.opts.items(v.questionnaireId, v.questionnaireVersion);
    if (!items) return;
    for (const a of v.answers ?? []) {
      const info = items.get(a.itemKey);
      if (!info || !isAnswerValue(a.value)) continue;
      const s = itemScore(info, a.value);
      if (s === null) continue;
      let acc = this.items.get(a.itemKey);
      if (!acc) this.items.set(a.itemKey, (acc = { sectionKey: info.sectionKey, failed: 0, applicable: 0 }));
      acc.applicable += 1;
      if (s === 0) acc.failed += 1;
    }
  }

  finish(): Accumulated {
    const branchesByQuarter = new Map<string, BranchScore[]>();
    for (const [q, byCode] of this.branches) {
      branchesByQuarter.set(
        q,
        [...byCode].map(([code, slot]) => ({
          code,
          region: this.regionOfSlot[slot],
          n: this.pool.n(slot),
          ...this.pool.result(slot),
          moments: this.pool.moments(slot),
        })),
      );
    }
    const staffRows = (m: Map<string, number>): StaffScore[] =>
      [...m].map(([employeeId, slot]) => ({
        employeeId,
        n: this.pool.n(slot),
        ...this.pool.result(slot),
        moments: this.pool.moments(slot),
      }));
    return {
      branchesByQuarter,
      staff: staffRows(this.staff),
      previousStaff: staffRows(this.previousStaff),
      keyProblems: rankKeyProblems(this.items),
      violations: this.violations.sort(
        (a, b) => cmp(a.branchCode, b.branchCode) || cmp(a.visitId, b.visitId) || cmp(a.itemKey, b.itemKey),
      ),
    };
  }
}

function isAnswerValue(v: unknown): v is AnswerValue {
  return v === 'yes' || v === 'no' || v === 'na' || (typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= 5);
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Only items that failed at least once are problems; worst rate first, then most failures, then key. */
export function rankKeyProblems(items: ReadonlyMap<string, ItemAcc>): KeyProblem[] {
  return [...items]
    .filter(([, a]) => a.failed > 0)
    .map(([itemKey, a]) => ({
      itemKey,
      sectionKey: a.sectionKey,
      failureRate: a.failed / a.applicable,
      failed: a.failed,
      applicable: a.applicable,
    }))
    .sort((a, b) => b.failureRate - a.failureRate || b.failed - a.failed || cmp(a.itemKey, b.itemKey));
}

/**
 * Region and bank scores: the mean of the branch scores (each branch weighs the same however many
 * visits it had); a branch without a score in a section is left out of that section's mean.
 */
export function rollUp(branches: readonly BranchScore[]): AreaScore {
  const mean = new MeanOfScores();
  let n = 0;
  for (const b of branches) {
    mean.add(b);
    n += b.n;
  }
  return { n, branches: branches.length, ...mean.result(), spread: spreadOf(branches.map((b) => b.total)) };
}

/**
 * Horizontal consistency: min, max and the POPULATION standard deviation of branch totals. The
 * branches of a bank or region are the whole population being described, not a sample of it.
 */
export function spreadOf(totals: readonly (number | null)[]): Spread | null {
  const xs = totals.filter((t): t is number => typeof t === 'number');
  if (xs.length === 0) return null;
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (const x of xs) {
    if (x < min) min = x;
    if (x > max) max = x;
    sum += x;
  }
  const mean = sum / xs.length;
  let sq = 0;
  for (const x of xs) sq += (x - mean) ** 2;
  return { min, max, stdev: Math.sqrt(sq / xs.length) };
}
