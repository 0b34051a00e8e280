import type { SectionKey, SectionScores } from '../rules/scoring';
import type { Change } from '../rules/confidence';
import type { KeyProblem, Spread, ViolationRow } from './aggregate';

/** Who may read results: the audit firm's admin and, within their scope, bank managers and HR. */
export const RESULTS_ROLES = ['admin', 'bank_manager', 'hr'] as const;

export interface ScoresWithChange {
  sections: SectionScores;
  total: number | null;
}

/** SPEC §11 for one mean: n = the values averaged (visits, or branches for an area). */
export interface ScoreConfidence {
  n: number;
  sd: number | null;
  ci95: [number, number] | null;
  smallSample: boolean;
  /** Against the previous quarter, when the row shows one. */
  change?: Change;
}

/** What a row carries for SPEC §11: the total's figures at the top, every score's in `confidence`. */
export interface ConfidenceFields {
  sd: number | null;
  ci95: [number, number] | null;
  smallSample: boolean;
  change?: Change;
  /** Branch rows: the upper end of the total's interval is below the bank score. */
  belowBank?: boolean;
  confidence: { sections: Record<SectionKey, ScoreConfidence>; total: ScoreConfidence };
}

export interface ResultRow extends ScoresWithChange, Partial<ConfidenceFields> {
  key: string;
  name: string;
  n: number;
  branches?: number;
  previous?: ScoresWithChange;
  spread?: Spread;
  /** An area wider than the caller's scope, shown for comparison only. */
  benchmark?: true;
  region?: string;
  branchCode?: string;
}

export interface TrendPoint extends ScoresWithChange, Partial<Pick<ConfidenceFields, 'sd' | 'ci95' | 'smallSample'>> {
  quarter: string;
  n: number;
  branches: number;
}

export interface KeyProblemRow extends KeyProblem {
  text: { zh: string; en: string };
}

export interface ViolationView extends ViolationRow {
  text: { zh: string; en: string };
  /** The item's failure in words ("Guaranteed returns were promised", else "Not met: <item>"). */
  failure: { zh: string; en: string };
}

export type FocusType = 'bank' | 'region' | 'branches' | 'branch';

export interface ResultsReport {
  bankId: string;
  bankCode: string;
  bankName: string;
  quarter: string;
  previousQuarter: string;
  focus: { type: FocusType; key: string; name: string; region?: string };
  /** The focus itself: mean of its branch scores, with spread and the previous quarter. */
  summary: ResultRow;
  trend: TrendPoint[];
  /** The bank figure; `benchmark` when the caller's scope is narrower; null when withheld. */
  bank: ResultRow | null;
  regions: ResultRow[];
  branches: ResultRow[];
  staff: ResultRow[];
  keyProblems: KeyProblemRow[];
  violations: ViolationView[];
}

export interface ResultsInput {
  bankId: string;
  quarter: string;
  region?: string;
  branchCode?: string;
  /**
   * With the whole bank in focus: the branch and staff rows of this region only (a page of the
   * bank's branch table, for a bank of thousands of branches).
   */
  branchesOf?: string;
  /** Leave the violations out (empty): for a caller that reads them once elsewhere (the close, region by region). */
  withoutViolations?: boolean;
}

/** Whether a branch (by code and region) belongs to a set: the focus, or what the caller may see. */
export type Predicate = (code: string, region: string) => boolean;
