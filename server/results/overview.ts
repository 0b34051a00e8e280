import { plannedBranches } from '../assignments/service';
import { activeBranchCounts, listBanks } from '../banks/service';
import { requireRole, type Principal } from '../platform/access';
import { quarterOf } from '../rules/quarters';
import { countedVisitBranches, visitCountsByStatus, VISIT_STATUSES, type VisitStatus } from '../visits/service';

/**
 * The audit firm's view across banks for one quarter: how far each bank's round has got (visits per
 * state) and its coverage (branches with a counted visit against branches planned by assignments).
 */
export interface BankOverview {
  bankId: string;
  code: string;
  name: string;
  visits: Record<VisitStatus, number> & { total: number };
  branches: {
    total: number;
    /** Branches with an assignment in the quarter. */
    planned: number;
    /** Branches with at least one counted (approved or disputed) visit. */
    visited: number;
    /** Planned branches that have been visited. */
    visitedPlanned: number;
  };
  /** visitedPlanned / planned, null when nothing is planned. */
  coverage: number | null;
}

export interface Overview {
  quarter: string;
  banks: BankOverview[];
}

/** bankId → set of branch codes. */
function toSets(rows: { bankId: string; branchCode: string }[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const r of rows) {
    const set = out.get(r.bankId) ?? new Set<string>();
    set.add(r.branchCode);
    out.set(r.bankId, set);
  }
  return out;
}

export async function overview(p: Principal, quarter = quarterOf(new Date())): Promise<Overview> {
  requireRole(p, ['admin']);
  const [banks, states, visited, planned, totals] = await Promise.all([
    listBanks(p),
    visitCountsByStatus(quarter),
    countedVisitBranches(quarter).then(toSets),
    plannedBranches(quarter).then(toSets),
    activeBranchCounts(),
  ]);
  return {
    quarter,
    banks: banks.map((b) => {
      const visits = Object.fromEntries(VISIT_STATUSES.map((s) => [s, 0])) as Record<VisitStatus, number>;
      for (const s of states) if (s.bankId === b.id && s.status in visits) visits[s.status] += s.n;
      const v = visited.get(b.id) ?? new Set<string>();
      const pl = planned.get(b.id) ?? new Set<string>();
      const visitedPlanned = [...pl].filter((c) => v.has(c)).length;
      return {
        bankId: b.id,
        code: b.code,
        name: b.name,
        visits: { ...visits, total: Object.values(visits).reduce((a, n) => a + n, 0) },
        branches: { total: totals.get(b.id) ?? 0, planned: pl.size, visited: v.size, visitedPlanned },
        coverage: pl.size ? visitedPlanned / pl.size : null,
      };
    }),
  };
}
