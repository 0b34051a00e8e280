import { findBranch, hasBranchInRegion, regionsOfBranches } from '../banks/service';
import { canSeeBranch, type Principal } from '../platform/access';
import { NotFoundError } from '../platform/errors';
import { rollUp, type BranchScore } from './aggregate';
import { momentsOfMeans, withConfidence } from './confidence';
import { scoresOf } from './rows';
import type { Predicate, ResultRow, ResultsInput, ResultsReport } from './types';

/**
 * What a caller sees of a quarter: the focus (their scope, narrowed by the drill-down) and the
 * benchmark rule for areas wider than it.
 */

/** A benchmark (an area wider than the caller's scope) is shown only when at least this many of its
 * visited branches lie outside the scope, so no single hidden branch's score can be subtracted out. */
export const MIN_HIDDEN_BRANCHES = 2;

export interface FocusInfo {
  focus: ResultsReport['focus'];
  /** The regions whose branches make up the focus; null for the whole bank. */
  regions: readonly string[] | null;
  /** Branches whose visits feed the figures of the focus (caller's scope ∩ drill-down). */
  inFocus: Predicate;
  /** Branches the caller may see at all. */
  visible: Predicate;
}

export async function resolveFocus(
  p: Principal,
  bank: { id: string; code: string; name: string },
  input: ResultsInput,
): Promise<FocusInfo> {
  const visible: Predicate = (code, region) => canSeeBranch(p, { bankId: bank.id, code, region });
  if (input.branchCode) {
    const b = await findBranch(bank.id, input.branchCode);
    if (!b || !visible(b.code, b.region) || (input.region && input.region !== b.region))
      throw new NotFoundError('Branch');
    return {
      focus: { type: 'branch', key: b.code, name: b.name, region: b.region },
      regions: [b.region],
      inFocus: (code) => code === b.code,
      visible,
    };
  }
  if (input.region) {
    const region = input.region;
    if (!(await hasBranchInRegion(bank.id, region, p))) throw new NotFoundError('Region');
    return {
      focus: { type: 'region', key: region, name: region, region },
      regions: [region],
      inFocus: (code, r) => r === region && visible(code, r),
      visible,
    };
  }
  const scope = p.role === 'admin' ? undefined : p.scope;
  if (scope?.type === 'region')
    return {
      focus: { type: 'region', key: scope.region, name: scope.region, region: scope.region },
      regions: [scope.region],
      inFocus: visible,
      visible,
    };
  if (scope?.type === 'branches') {
    const key = scope.branchCodes.join(',');
    const regions = await regionsOfBranches(bank.id, scope.branchCodes);
    return { focus: { type: 'branches', key, name: key }, regions, inFocus: visible, visible };
  }
  return { focus: { type: 'bank', key: bank.code, name: bank.name }, regions: null, inFocus: visible, visible };
}

/** An area row: full when the caller sees all of it; a benchmark (no spread) or withheld otherwise. */
export function areaRow(
  key: string,
  name: string,
  current: BranchScore[],
  previous: BranchScore[],
  visible: Predicate,
): ResultRow | null {
  const hidden = (bs: BranchScore[]) => bs.filter((b) => !visible(b.code, b.region)).length;
  const hiddenNow = hidden(current);
  if (hiddenNow > 0 && hiddenNow < MIN_HIDDEN_BRANCHES) return null;
  const now = rollUp(current);
  const row: ResultRow = { key, name, n: now.n, branches: now.branches, ...scoresOf(now) };
  const hiddenBefore = hidden(previous);
  if (previous.length && !(hiddenBefore > 0 && hiddenBefore < MIN_HIDDEN_BRANCHES))
    row.previous = scoresOf(rollUp(previous));
  if (hiddenNow > 0) row.benchmark = true;
  else if (now.spread) row.spread = now.spread;
  return withConfidence(row, {
    now: momentsOfMeans(current),
    before: momentsOfMeans(previous),
    withheld: row.benchmark === true,
  });
}
