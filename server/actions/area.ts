import { Types } from 'mongoose';
import { findBranch, hasBranchInRegion } from '../banks/service';
import { assertBankVisible, canSeeBank, canSeeBranch, type Principal } from '../platform/access';
import { NotFoundError, ValidationError } from '../platform/errors';
import { loadVisibleVisit } from '../visits/service';
import type { PlanScope } from './model';
import type { CreatePlanInput, PlanScopeInput } from './schema';
import { bankItems } from './views';

/** The area a plan is about: a violation's branch, or the bank, a region or a branch the caller's scope covers. */
export interface Target {
  bankId: Types.ObjectId;
  quarter: string;
  sectionKey: string;
  visitId: string;
  scopeType: PlanScope;
  region: string;
  branchCode: string;
}

/** Whether the caller's scope covers a whole area (a region manager cannot plan for the bank). */
export function coversArea(
  p: Principal,
  a: { bankId: string; scopeType: PlanScope; region: string; branchCode: string },
): boolean {
  if (!canSeeBank(p, a.bankId)) return false;
  if (p.role === 'admin') return true;
  if (a.scopeType === 'branch') return canSeeBranch(p, { bankId: a.bankId, code: a.branchCode, region: a.region });
  if (p.scope?.type === 'bank') return true;
  return a.scopeType === 'region' && p.scope?.type === 'region' && p.scope.region === a.region;
}

async function areaOf(
  bankId: string,
  scope: PlanScopeInput,
): Promise<Pick<Target, 'scopeType' | 'region' | 'branchCode'>> {
  if (scope.type === 'branch') {
    const b = await findBranch(bankId, scope.branchCode);
    if (!b) throw new NotFoundError('Branch');
    return { scopeType: 'branch', region: b.region, branchCode: b.code };
  }
  if (scope.type === 'region') {
    if (!(await hasBranchInRegion(bankId, scope.region))) throw new NotFoundError('Region');
    return { scopeType: 'region', region: scope.region, branchCode: '' };
  }
  return { scopeType: 'bank', region: '', branchCode: '' };
}

export async function targetOf(p: Principal, input: CreatePlanInput): Promise<Target> {
  if (input.kind === 'violation') {
    const v = await loadVisibleVisit(p, input.visitId);
    const hit = v.violations.find((x) => x.itemKey === input.itemKey);
    if (!hit)
      throw new ValidationError([
        { field: 'itemKey', message: `"${input.itemKey}" is not a compliance violation of this visit` },
      ]);
    return {
      bankId: v.bankId,
      quarter: v.quarter,
      sectionKey: hit.sectionKey,
      visitId: String(v._id),
      scopeType: 'branch',
      region: v.region,
      branchCode: v.branchCode,
    };
  }
  assertBankVisible(p, input.bankId);
  const area = await areaOf(input.bankId, input.scope);
  if (!coversArea(p, { bankId: input.bankId, ...area }))
    throw new NotFoundError(input.scope.type === 'bank' ? 'Bank' : input.scope.type === 'region' ? 'Region' : 'Branch');
  const item = (await bankItems(input.bankId)).get(input.itemKey);
  if (!item)
    throw new ValidationError([
      { field: 'itemKey', message: `no questionnaire of this bank has an item "${input.itemKey}"` },
    ]);
  return {
    bankId: new Types.ObjectId(input.bankId),
    quarter: input.quarter,
    sectionKey: item.sectionKey,
    visitId: '',
    ...area,
  };
}
