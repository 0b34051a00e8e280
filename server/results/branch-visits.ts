import { findBranch } from '../banks/service';
import { assertBankVisible, canSeeBranch, requireRole, type Principal } from '../platform/access';
import { NotFoundError } from '../platform/errors';
import { branchVisitsOf, TOTAL } from '../stats/service';
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
  const visits = await branchVisitsOf(input.bankId, input.quarter, input.branchCode);
  return Object.entries(visits)
    .map(([id, c]) => ({
      id,
      visitedAt: new Date(c.visitedAt),
      status: c.disputed ? 'disputed' : 'approved',
      total: c.scores[TOTAL],
      violations: c.violations.length,
    }))
    .sort((a, b) => a.visitedAt.getTime() - b.visitedAt.getTime() || (a.id < b.id ? -1 : 1));
}
