import { getBank, branchNamesIn, staffNamesIn } from '../banks/service';
import { assertBankVisible, requireRole, type Principal } from '../platform/access';
import { shiftQuarter, trendQuarters } from '../rules/quarters';
import { rollUp } from './aggregate';
import { branchRows, groupByRegion, scoresOf, staffRows, summaryRow } from './rows';
import { LEVELS, type Level, type ResultsQuery } from './schema';
import { areaRow, resolveFocus } from './scope';
import {
  RESULTS_ROLES,
  type KeyProblemRow,
  type ResultRow,
  type ResultsInput,
  type ResultsReport,
  type TrendPoint,
  type ViolationView,
} from './types';
import { accumulateBank, itemCatalogue, TREND_QUARTERS, type VisitTap } from './visit-pass';

/**
 * Quarterly results (SPEC.md section 3, per quarter). One streaming pass over the bank's counted
 * visits of the last four quarters feeds the pure accumulator in ./aggregate; everything else is
 * arithmetic on branch means. See docs/results.md for the decisions taken here.
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
  tap?: VisitTap,
): Promise<ResultsReport> {
  requireRole(p, RESULTS_ROLES);
  assertBankVisible(p, input.bankId);
  const bank = await getBank(p, input.bankId);
  const { focus, inFocus, visible } = await resolveFocus(p, bank, input);
  const catalogue = await itemCatalogue(bank.id);
  const acc = await accumulateBank(bank.id, input.quarter, inFocus, catalogue.lookup, tap);

  const previousQuarter = shiftQuarter(input.quarter, -1);
  const all = (q: string) => acc.branchesByQuarter.get(q) ?? [];
  const focused = (q: string) => all(q).filter((b) => inFocus(b.code, b.region));
  const current = focused(input.quarter);
  const previous = focused(previousQuarter);

  const regionsNow = groupByRegion(all(input.quarter));
  const regionsBefore = groupByRegion(all(previousQuarter));
  const focusRegions = [...new Set(current.map((b) => b.region))].sort();
  const regions = focusRegions
    .map((r) => areaRow(r, r, regionsNow.get(r) ?? [], regionsBefore.get(r) ?? [], visible))
    .filter((r): r is ResultRow => r !== null);

  const bNames = want.has('branch')
    ? await branchNamesIn(bank.id, new Set(current.map((b) => b.code)))
    : new Map<string, string>();
  const sNames = want.has('staff')
    ? await staffNamesIn(bank.id, new Set(acc.staff.map((s) => s.employeeId)))
    : new Map<string, { name: string }>();

  return {
    bankId: bank.id,
    bankCode: bank.code,
    bankName: bank.name,
    quarter: input.quarter,
    previousQuarter,
    focus,
    summary: summaryRow(focus, current, previous),
    trend: trendQuarters(input.quarter, TREND_QUARTERS).map((q) => {
      const r = rollUp(focused(q));
      return { quarter: q, n: r.n, branches: r.branches, ...scoresOf(r) };
    }),
    bank: areaRow(bank.code, bank.name, all(input.quarter), all(previousQuarter), visible),
    regions,
    branches: branchRows(current, previous, bNames),
    staff: staffRows(acc.staff, acc.previousStaff, sNames),
    keyProblems: acc.keyProblems.map((k) => ({ ...k, text: catalogue.text(k.itemKey) })),
    violations: acc.violations.map((x) => ({
      ...x,
      text: catalogue.text(x.itemKey),
      failure: catalogue.failure(x.itemKey),
    })),
  };
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
