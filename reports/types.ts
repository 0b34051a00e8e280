/**
 * The only input of the PDF builders: an immutable snapshot of a bank's quarter. It is plain JSON
 * (stored as the report's snapshot file), so a report can always be re-rendered or explained from it,
 * and the builders can be developed and tested on fixtures without a database.
 */
export type Lang = 'zh' | 'en';
export type SectionKey = 'greeting' | 'product_knowledge' | 'sales_compliance' | 'follow_up';
export type SectionScores = Record<SectionKey, number | null>;

export interface Scores {
  sections: SectionScores;
  total: number | null;
}

export interface Spread {
  min: number;
  max: number;
  stdev: number;
}

export interface TrendPoint extends Scores {
  quarter: string;
  n: number;
  branches: number;
}

/** Bank or region figures: the mean of its visited branches' scores. */
/** SPEC §11 as a report shows it, per slot (the four sections, then the total). */
export interface FigureConfidence {
  /** Half-width of the 95 % interval; null below two values. */
  halfWidth: (number | null)[];
  /** The change against the previous quarter: significant, not significant, too little data; null: no previous. */
  verdict: ('sig' | 'nsig' | 'few' | null)[];
  smallSample: boolean;
}

export interface AreaFigures extends Scores {
  /** Absent in snapshots taken before SPEC §11. */
  confidence?: FigureConfidence;
  key: string;
  name: string;
  /** Approved visits. */
  n: number;
  /** Branches with at least one visit. */
  branches: number;
  /** All branches of the area, visited or not (sample-size notes). */
  branchesTotal: number;
  previous: Scores | null;
  spread: Spread | null;
  /** Oldest first, the report's quarter last. */
  trend: TrendPoint[];
  /** Totals of the visited branches, for the spread histogram. */
  branchTotals: number[];
}

export interface BranchFigures extends Scores {
  confidence?: FigureConfidence;
  code: string;
  name: string;
  region: string;
  n: number;
  previous: Scores | null;
  /** The visits behind the figures; the branch report lists exactly these (optional in fixtures). */
  visitIds?: string[];
}

export interface Text {
  zh: string;
  en: string;
}

export interface KeyProblem {
  itemKey: string;
  sectionKey: SectionKey;
  text: Text;
  failureRate: number;
  failed: number;
  applicable: number;
}

export interface Violation {
  visitId: string;
  branchCode: string;
  branchName: string;
  region: string;
  itemKey: string;
  sectionKey: SectionKey | null;
  text: Text;
  /** The item's failure in words ("Guaranteed returns were promised"); absent in snapshots taken before it existed. */
  failure?: Text;
  visitedAt: string | null;
  /** The item's dispute state at closing time, when it was disputed (see feedback below). */
  dispute?: DisputeState;
}

export interface RegionFigures extends AreaFigures {
  keyProblems: KeyProblem[];
  violations: Violation[];
  /** The bank as a region's readers may see it: null when withheld (too few other branches to hide any one). */
  bankBenchmark: Scores | null;
}

/** yes/no/na, a number, an option key or a text, the option keys of a multiple choice (SPEC §3, §10). */
export type AnswerValue = string | number | string[];

export interface AnswerDetail {
  itemKey: string;
  sectionKey: SectionKey;
  text: Text;
  critical: boolean;
  value: AnswerValue;
  /** The answer in words (option text, 是/否, number with unit); absent in snapshots taken before it existed. */
  words?: Text;
  /** Where the answer failed (scored 0): the failure in words with the answer; used for violations. */
  failure?: Text;
  /** 0..100 for an applicable answer, null for not applicable. */
  score: number | null;
  comment: string | null;
}

export interface VisitDetail {
  id: string;
  visitedAt: string;
  durationMinutes: number;
  questionnaireName: string;
  questionnaireVersion: number;
  scores: Scores;
  staff: string[];
  summary: string | null;
  answers: AnswerDetail[];
  violations: string[];
}

/** What only a branch report needs; attached one branch at a time, never for the whole bank at once. */
export interface BranchDetail {
  code: string;
  /** Region and bank as the branch's readers may see them (null when withheld, as on the dashboards). */
  benchmarks: { region: Scores | null; bank: Scores | null };
  visits: VisitDetail[];
  keyProblems: KeyProblem[];
  violations: Violation[];
  /** This branch's disputes and the action plans covering it (absent in snapshots taken before format 1 had them). */
  feedback?: BranchFeedback;
}

export interface QuestionnaireNote {
  name: string;
  version: number;
  sectionWeights: { key: SectionKey; weight: number }[];
  /** The version has number, choice, multiple-choice or text items, or conditions (SPEC §10): the method notes say how they score. */
  rich?: boolean;
}

export interface ReportSnapshot {
  /** SPEC §12: the alpha of the audit firm's latest calibration round (all a bank sees of it); absent before. */
  calibrationAlpha?: number | null;
  format: 1;
  bank: { id: string; code: string; name: string; language: Lang; timezone: string };
  quarter: string;
  version: number;
  /** ISO-8601. */
  generatedAt: string;
  bankFigures: AreaFigures;
  regions: RegionFigures[];
  /** Every visited branch, ordered by code. */
  branches: BranchFigures[];
  keyProblems: KeyProblem[];
  violations: Violation[];
  questionnaires: QuestionnaireNote[];
  /** Filled only in the slice given to a branch report's builder. */
  branchDetails: BranchDetail[];
  /** Disputes of the quarter's visits and the previous quarter's action plans with their outcome. */
  feedback?: SnapshotFeedback;
}

// ---- the feedback loop: disputes and action plans, as they stood when the quarter was closed ----

/** `open` includes a decision being applied at closing time: it was not yet in the figures. */
export type DisputeState = 'open' | 'upheld' | 'overturned';

export interface DisputeMark {
  id: string;
  visitId: string;
  branchCode: string;
  region: string;
  itemKey: string;
  state: DisputeState;
  /** The answer when the dispute was opened, and the corrected one when overturned. */
  before: AnswerValue | null;
  after: AnswerValue | null;
  /** The same in words (absent in snapshots taken before they existed). */
  beforeWords?: Text | null;
  afterWords?: Text | null;
  openedAt: string;
}

export type PlanOutcomeStatus = 'improved' | 'worse' | 'unchanged' | 'no_data';

export interface PlanRate {
  quarter: string;
  failed: number;
  applicable: number;
  failureRate: number | null;
}

/** An action plan of the previous quarter and how its item fared in its own area since. */
export interface PlanOutcomeRow {
  id: string;
  kind: 'key_problem' | 'violation';
  itemKey: string;
  sectionKey: SectionKey | null;
  text: Text;
  scope: { type: 'bank' | 'region' | 'branch'; region: string; branchCode: string };
  action: string;
  owner: string;
  dueDate: string;
  status: 'open' | 'done';
  overdue: boolean;
  outcome: { status: PlanOutcomeStatus; before: PlanRate; after: PlanRate };
}

export interface SnapshotFeedback {
  /** The quarter the plans were made in (the one before the report's). */
  plansQuarter: string;
  disputes: DisputeMark[];
  plans: PlanOutcomeRow[];
}

export interface BranchFeedback {
  plansQuarter: string;
  disputes: DisputeMark[];
  plans: PlanOutcomeRow[];
}
