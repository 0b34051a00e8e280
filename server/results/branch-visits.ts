import { findBranch } from '../banks/service';
import { assertBankVisible, canSeeBranch, requireRole, type Principal } from '../platform/access';
import { NotFoundError } from '../platform/errors';
import { countedBranchVisits } from '../visits/service';
import { RESULTS_ROLES, type ResultsInput } from './types';

export interface BranchVisitRow {
  id: string;
  visitedAt: Date;
  status: string;
  total: number | null;
  violations: number;
}

/** The counted visits behind one branch's figure (the last step of the drill-down). */
export async function branchVisits(
  p: Principal,
  input: ResultsInput & { branchCode: string },
): Promise<BranchVisitRow[]> {
  requireRole(p, RESULTS_ROLES);
  assertBankVisible(p, input.bankId);
  const b = await findBranch(input.bankId, input.branchCode);
  if (!b || !canSeeBranch(p, { bankId: input.bankId, code: b.code, region: b.region }))
    throw new NotFoundError('Branch');
  const visits = await countedBranchVisits(input.bankId, input.quarter, input.branchCode);
  return visits.map((v) => ({
    id: String(v._id),
    visitedAt: v.visitedAt,
    status: v.status,
    total: v.scores?.total ?? null,
    violations: v.violations?.length ?? 0,
  }));
}
