import { rollUp, type BranchScore, type StaffScore } from './aggregate';
import type { ResultRow, ResultsReport, ScoresWithChange } from './types';

/** The report's rows, built from the accumulated branch and staff scores (no I/O). */

export const scoresOf = (s: ScoresWithChange): ScoresWithChange => ({ sections: { ...s.sections }, total: s.total });

const byKey = (a: ResultRow, b: ResultRow) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

export function groupByRegion(bs: BranchScore[]): Map<string, BranchScore[]> {
  const m = new Map<string, BranchScore[]>();
  for (const b of bs) {
    const list = m.get(b.region);
    if (list) list.push(b);
    else m.set(b.region, [b]);
  }
  return m;
}

export function summaryRow(focus: ResultsReport['focus'], current: BranchScore[], previous: BranchScore[]): ResultRow {
  const now = rollUp(current);
  return {
    key: focus.key,
    name: focus.name,
    n: now.n,
    branches: now.branches,
    ...scoresOf(now),
    ...(previous.length ? { previous: scoresOf(rollUp(previous)) } : {}),
    ...(now.spread ? { spread: now.spread } : {}),
  };
}

export function branchRows(current: BranchScore[], previous: BranchScore[], names: Map<string, string>): ResultRow[] {
  const before = new Map(previous.map((b) => [b.code, b]));
  return current
    .map((b): ResultRow => {
      const prev = before.get(b.code);
      return {
        key: b.code,
        name: names.get(b.code) ?? b.code,
        region: b.region,
        n: b.n,
        ...scoresOf(b),
        ...(prev ? { previous: scoresOf(prev) } : {}),
      };
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
      return {
        key: s.employeeId,
        name: who?.name ?? s.employeeId,
        ...(who?.branchCode ? { branchCode: who.branchCode } : {}),
        n: s.n,
        ...scoresOf(s),
        ...(prev ? { previous: scoresOf(prev) } : {}),
      };
    })
    .sort(byKey);
}
