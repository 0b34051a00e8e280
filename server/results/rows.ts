import { byText } from '../rules/values';
import { rollUp, type BranchScore, type StaffScore } from './aggregate';
import { confidenceFields, momentsOfMeans, withConfidence } from './confidence';
import type { ResultRow, ResultsReport, ScoresWithChange, TrendPoint } from './types';

/** The report's rows, built from the accumulated branch and staff scores (no I/O). */

export const scoresOf = (s: ScoresWithChange): ScoresWithChange => ({ sections: { ...s.sections }, total: s.total });

const byKey = (a: ResultRow, b: ResultRow) => byText(a.key, b.key);

export function groupByRegion(bs: BranchScore[]): Map<string, BranchScore[]> {
  const m = new Map<string, BranchScore[]>();
  for (const b of bs) {
    const list = m.get(b.region);
    if (list) list.push(b);
    else m.set(b.region, [b]);
  }
  return m;
}

/**
 * What the mean of a focus averages (SPEC §11): one branch in focus is its visits' mean, so its
 * interval rests on the visits; a set of branches (region, bank, a list) rests on branch scores.
 */
export function focusMoments(focus: Pick<ResultsReport['focus'], 'type'>, branches: BranchScore[]) {
  return focus.type === 'branch' && branches.length === 1 && branches[0].moments
    ? branches[0].moments
    : momentsOfMeans(branches);
}

export function summaryRow(focus: ResultsReport['focus'], current: BranchScore[], previous: BranchScore[]): ResultRow {
  const now = rollUp(current);
  const row: ResultRow = {
    key: focus.key,
    name: focus.name,
    n: now.n,
    branches: now.branches,
    ...scoresOf(now),
    ...(previous.length ? { previous: scoresOf(rollUp(previous)) } : {}),
    ...(now.spread ? { spread: now.spread } : {}),
  };
  return withConfidence(row, { now: focusMoments(focus, current), before: focusMoments(focus, previous) });
}

/** A point of the trend with the interval of its total. */
export function trendPoint(
  quarter: string,
  focus: Pick<ResultsReport['focus'], 'type'>,
  bs: BranchScore[],
): TrendPoint {
  const r = rollUp(bs);
  const { sd, ci95, smallSample } = confidenceFields({ now: focusMoments(focus, bs) });
  return { quarter, n: r.n, branches: r.branches, ...scoresOf(r), sd, ci95, smallSample };
}

/** `bankTotal`: the bank score a branch's interval is compared with (null when the caller may not see it). */
export function branchRows(
  current: BranchScore[],
  previous: BranchScore[],
  names: Map<string, string>,
  bankTotal: number | null,
): ResultRow[] {
  const before = new Map(previous.map((b) => [b.code, b]));
  return current
    .map((b): ResultRow => {
      const prev = before.get(b.code);
      const row: ResultRow = {
        key: b.code,
        name: names.get(b.code) ?? b.code,
        region: b.region,
        n: b.n,
        ...scoresOf(b),
        ...(prev ? { previous: scoresOf(prev) } : {}),
      };
      return withConfidence(row, { now: b.moments, before: prev?.moments, bankTotal });
    })
    .sort(byKey);
}

export function staffRows(
  current: StaffScore[],
  previous: StaffScore[],
  names: Map<string, { name: string; branchCode?: string }>,
): ResultRow[] {
  const before = new Map(previous.map((s) => [s.employeeId, s]));
  return current
    .map((s): ResultRow => {
      const prev = before.get(s.employeeId);
      const who = names.get(s.employeeId);
      const row: ResultRow = {
        key: s.employeeId,
        name: who?.name ?? s.employeeId,
        ...(who?.branchCode ? { branchCode: who.branchCode } : {}),
        n: s.n,
        ...scoresOf(s),
        ...(prev ? { previous: scoresOf(prev) } : {}),
      };
      return withConfidence(row, { now: s.moments, before: prev?.moments });
    })
    .sort(byKey);
}
