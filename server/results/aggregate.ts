import { answerScores, SECTION_KEYS, type ScoringItem, type SectionKey, type SectionScores } from '../rules/scoring';

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
  scores?: ScoresInput | null;
  violations?: { itemKey?: string | null; sectionKey?: string | null }[] | null;
  /** `disputed` while a bank manager's dispute on the visit is open. */
  status?: string;
}

/** Scores as stored on a visit (or a branch score): any part may be missing. */
export interface ScoresInput {
  sections?: Partial<Record<SectionKey, number | null>> | null;
  total?: number | null;
}

/** An item as scoring reads it (type, options, bands, condition), with its section. */
export type ItemInfo = ScoringItem & { sectionKey: SectionKey };
/** The items of one questionnaire version in questionnaire order; `undefined` when the version is unknown. */
export type ItemLookup = (questionnaireId: string, version: number) => ReadonlyMap<string, ItemInfo> | undefined;

/** Running mean per section and of the total; null observations are left out of their own mean only. */
export class MeanOfScores {
  private readonly pool = new SumsPool(1);
  private readonly slot = this.pool.alloc();

  add(s: ScoresInput): void {
    this.pool.add(this.slot, s);
  }

  result(): Scores {
    return this.pool.result(this.slot);
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
 * staff cost a few MB, not one object graph each. Only finite numbers are summed: null, NaN or
 * Infinity never reach a mean.
 */
const SLOT = 16;
class SumsPool {
  private data: Float64Array;
  private used = 0;

  constructor(slots = 1024) {
    this.data = new Float64Array(SLOT * slots);
  }

  alloc(): number {
    if (this.used * SLOT === this.data.length) {
      const bigger = new Float64Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    return this.used++;
  }

  add(slot: number, s: ScoresInput | null | undefined): void {
    const d = this.data;
    const o = slot * SLOT;
    d[o] += 1;
    if (!s) return;
    SECTION_KEYS.forEach((key, i) => {
      const v = s.sections?.[key];
      if (isFiniteNumber(v)) {
        d[o + 1 + i] += v;
        d[o + 6 + i] += 1;
        d[o + 11 + i] += v * v;
      }
    });
    if (isFiniteNumber(s.total)) {
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

const isFiniteNumber = (v: unknown): v is number => Number.isFinite(v);

export interface ItemAcc {
  sectionKey: SectionKey;
  failed: number;
  applicable: number;
}

export class ResultsAccumulator {
  private readonly pool = new SumsPool();
  /** quarter → branch code → slot; the branch's region is kept per slot. */
  private readonly branches = new Map<string, Map<string, number>>();
  // Stryker disable next-line ArrayDeclaration: equivalent, slot 0 is always a branch's and its region is set before it is read
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
    // Stryker disable next-line ArrayDeclaration: equivalent, a string in place of a violation has no itemKey and is skipped
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

  /**
   * Failure rate uses the items of the version the visit was filled on; `na`, unscored answers and
   * answers to items hidden by their condition are not applicable.
   */
  private addAnswers(v: VisitInput): void {
    const items = this.opts.items(v.questionnaireId, v.questionnaireVersion);
    if (!items) return;
    // Stryker disable next-line ArrayDeclaration: equivalent, a string in place of an answer names no item and is skipped
    for (const { item, score } of answerScores(items, v.answers ?? [])) {
      let acc = this.items.get(item.key);
      if (!acc) this.items.set(item.key, (acc = { sectionKey: item.sectionKey, failed: 0, applicable: 0 }));
      acc.applicable += 1;
      if (score === 0) acc.failed += 1;
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
  const xs = totals.filter(isFiniteNumber);
  if (xs.length === 0) return null;
  const mean = xs.reduce((sum, x) => sum + x, 0) / xs.length;
  const sq = xs.reduce((sum, x) => sum + (x - mean) ** 2, 0);
  return {
    min: xs.reduce((a, b) => Math.min(a, b)),
    max: xs.reduce((a, b) => Math.max(a, b)),
    stdev: Math.sqrt(sq / xs.length),
  };
}
