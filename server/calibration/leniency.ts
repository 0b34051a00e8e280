import { listBanks } from '../banks/service';
import { requireRole, type Principal } from '../platform/access';
import { leniencyFromSums, type BranchAuditorSums, type Leniency } from '../rules/calibration';
import { bankQuarters, regionQuarters, TOTAL, type RegionBranches } from '../stats/service';
import { auditorCodesOf } from '../users/service';

/**
 * Field leniency per auditor and quarter (SPEC §12) from the kept statistics (SPEC §15): each
 * branch's record keeps, per auditor, the moments of their approved visits' totals, which is all
 * the rule needs. One read per bank and one per region with visits; no visit is read. Branches of
 * all banks count (an auditor's leniency is the firm's concern, across its clients).
 */
export interface AuditorLeniency extends Leniency {
  auditorCode: string;
}

export async function branchAuditorSums(bankId: string, quarter: string): Promise<BranchAuditorSums[]> {
  const banks = await bankQuarters(bankId, [quarter]);
  const regions = Object.keys(banks.get(quarter) ?? {});
  if (regions.length === 0) return [];
  const byRegion =
    (await regionQuarters(bankId, [quarter], regions, banks)).get(quarter) ?? new Map<string, RegionBranches>();
  const out: BranchAuditorSums[] = [];
  for (const branches of byRegion.values())
    for (const b of Object.values(branches)) {
      if (b.visits === 0) continue;
      out.push(
        Object.fromEntries(
          Object.entries(b.auditors).map(([id, s]) => [id, { n: s.scores[TOTAL].n, sum: s.scores[TOTAL].sum }]),
        ),
      );
    }
  return out;
}

export async function auditorLeniency(p: Principal, quarter: string): Promise<AuditorLeniency[]> {
  requireRole(p, ['admin', 'reviewer']);
  const branches: BranchAuditorSums[] = [];
  for (const bank of await listBanks(p)) branches.push(...(await branchAuditorSums(bank.id, quarter)));
  const rows = leniencyFromSums(branches);
  const codes = await auditorCodesOf(rows.map((r) => r.auditorId));
  return rows.map((r) => ({ ...r, auditorCode: codes.get(r.auditorId) ?? '' }));
}
