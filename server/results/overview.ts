import { Assignment } from '../assignments/model';
import { Bank, Branch } from '../banks/model';
import { requireRole, type Principal } from '../platform/access';
import { Visit } from '../visits/model';
import { VISIT_STATUSES, type VisitStatus } from '../visits/service';
import { COUNTED_STATUSES } from '../visits/service';
import { quarterOf } from '../rules/quarters';

/**
 * The audit firm's view across banks for one quarter: how far each bank's round has got (visits per
 * state) and its coverage (branches with a counted visit against branches planned by assignments).
 * Grouping is done by the database with `$sum: 1` (FerretDB's `$count` accumulator returns 0).
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

type Pair = { _id: { bankId: unknown; branchCode: string } };
const byBankAndBranch = { $group: { _id: { bankId: '$bankId', branchCode: '$branchCode' } } };

/** bankId → set of branch codes. */
function toSets(rows: Pair[]): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const r of rows) {
    const bank = String(r._id.bankId);
    const set = out.get(bank) ?? new Set<string>();
    set.add(r._id.branchCode);
    out.set(bank, set);
  }
  return out;
}

export async function overview(p: Principal, quarter = quarterOf(new Date())): Promise<Overview> {
  requireRole(p, ['admin']);
  const [banks, states, visited, planned, branchCounts] = await Promise.all([
    Bank.find({}, { code: 1, name: 1 }).sort({ code: 1 }).lean(),
    Visit.aggregate<{ _id: { bankId: unknown; status: VisitStatus }; n: number }>([
      { $match: { quarter } },
      { $group: { _id: { bankId: '$bankId', status: '$status' }, n: { $sum: 1 } } },
    ]),
    Visit.aggregate<Pair>([{ $match: { quarter, status: { $in: COUNTED_STATUSES } } }, byBankAndBranch]).then(toSets),
    Assignment.aggregate<Pair>([{ $match: { quarter } }, byBankAndBranch]).then(toSets),
    Branch.aggregate<{ _id: unknown; n: number }>([
      { $match: { active: true } },
      { $group: { _id: '$bankId', n: { $sum: 1 } } },
    ]),
  ]);
  const totals = new Map(branchCounts.map((b) => [String(b._id), b.n]));
  return {
    quarter,
    banks: banks.map((b) => {
      const id = String(b._id);
      const visits = Object.fromEntries(VISIT_STATUSES.map((s) => [s, 0])) as Record<VisitStatus, number>;
      for (const s of states) if (String(s._id.bankId) === id && s._id.status in visits) visits[s._id.status] += s.n;
      const v = visited.get(id) ?? new Set<string>();
      const pl = planned.get(id) ?? new Set<string>();
      const visitedPlanned = [...pl].filter((c) => v.has(c)).length;
      return {
        bankId: id,
        code: b.code,
        name: b.name,
        visits: { ...visits, total: Object.values(visits).reduce((a, n) => a + n, 0) },
        branches: { total: totals.get(id) ?? 0, planned: pl.size, visited: v.size, visitedPlanned },
        coverage: pl.size ? visitedPlanned / pl.size : null,
      };
    }),
  };
}
