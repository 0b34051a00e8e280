import { getBank } from '../banks/service';
import { assertBankVisible, isBankRole, requireRole, type Principal } from '../platform/access';
import { resultsFromStats } from './quarter';
import { LEVELS, type Level, type ResultsQuery } from './schema';
import { resolveFocus } from './scope';
import {
  RESULTS_ROLES,
  type KeyProblemRow,
  type ResultRow,
  type ResultsInput,
  type ResultsReport,
  type TrendPoint,
  type ViolationView,
} from './types';
import { itemCatalogue } from './visit-pass';

/**
 * Quarterly results (SPEC.md section 3, per quarter), read from the statistics kept per bank, quarter,
 * region and branch (server/stats, SPEC §15) and never from the visits at request time: ./quarter.ts
 * turns them into rows. See docs/results.md for the decisions taken here.
 *
 * `disputed` visits count: they were approved, and stay published until the reviewer resolves the
 * dispute (an overturn then recomputes the visit's stored scores, which the next read picks up).
 */

const ALL_LEVELS: ReadonlySet<Level> = new Set(LEVELS);

/**
 * The whole quarter for the caller's scope (narrowed by `region`/`branchCode`). `want` skips the
 * name look-ups of levels the caller does not need.
 */
export async function quarterResults(
  p: Principal,
  input: ResultsInput,
  want: ReadonlySet<Level> = ALL_LEVELS,
): Promise<ResultsReport> {
  requireRole(p, RESULTS_ROLES);
  assertBankVisible(p, input.bankId);
  const bank = await getBank(p, input.bankId);
  const focus = await resolveFocus(p, bank, input);
  const seesWholeBank = p.role === 'admin' || (isBankRole(p.role) && p.scope?.type === 'bank');
  const catalogue = await itemCatalogue(bank.id);
  const branchesOf = focus.regions === null ? input.branchesOf : undefined;
  const withoutViolations = input.withoutViolations === true;
  return resultsFromStats({
    p,
    bank,
    quarter: input.quarter,
    focus,
    want,
    catalogue,
    seesWholeBank,
    branchesOf,
    withoutViolations,
  });
}

export interface ResultsResponse {
  quarter: string;
  level: Level;
  bankId: string;
  focus: ResultsReport['focus'];
  rows: ResultRow[];
  summary: ResultRow;
  trend: TrendPoint[];
  keyProblems: KeyProblemRow[];
  violations: ViolationView[];
}

function rowsOf(r: ResultsReport, level: Level): ResultRow[] {
  if (level === 'bank') return r.bank ? [r.bank] : [];
  if (level === 'region') return r.regions;
  return level === 'branch' ? r.branches : r.staff;
}

/** GET /api/v1/results: the rows of one level, plus the scope's key problems and violations. */
export async function getResults(p: Principal, q: ResultsQuery): Promise<ResultsResponse> {
  const r = await quarterResults(p, q, new Set([q.level]));
  return {
    quarter: r.quarter,
    level: q.level,
    bankId: r.bankId,
    focus: r.focus,
    rows: rowsOf(r, q.level),
    summary: r.summary,
    trend: r.trend,
    keyProblems: r.keyProblems,
    violations: r.violations,
  };
}

// ---- the rest of the door: the branch visit list, the overview, and what the reports build on
export { branchVisits, type BranchVisitRow } from './branch-visits';
export { overview, type BankOverview, type Overview } from './overview';
export { MIN_HIDDEN_BRANCHES } from './scope';
export { countedVisitsCursor, type VisitTap } from './visit-pass';
export {
  ResultsAccumulator,
  rollUp,
  type Accumulated,
  type BranchScore,
  type ItemInfo,
  type ItemLookup,
  type KeyProblem,
  type Spread,
  type StaffScore,
  type ViolationRow,
  type VisitInput,
} from './aggregate';
export * from './types';
export { plusMinus, interval, verdict, isSmall, type Verdict } from './confidence-view';
