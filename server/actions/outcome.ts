import { shiftQuarter } from '../rules/quarters';
import { roundScore } from '../rules/scoring';
import { areaItemCounts, type AreaRef } from '../stats/service';
import type { PlanScope } from './model';

/**
 * "The next quarter's results show whether the item improved": an item's failure rate (share of
 * applicable answers that scored 0, as for key problems) in the plan's quarter and the next one,
 * within the plan's area, from the counted (approved, incl. disputed) visits as the statistics keep them.
 */
export type OutcomeStatus = 'improved' | 'worse' | 'unchanged' | 'no_data';
export interface QuarterRate {
  quarter: string;
  failed: number;
  applicable: number;
  failureRate: number | null;
}
export interface PlanOutcome {
  status: OutcomeStatus;
  before: QuarterRate;
  after: QuarterRate;
}

export interface PlanArea {
  bankId: string;
  scopeType: PlanScope;
  region: string;
  branchCode: string;
}
type Counts = Record<string, { failed: number; applicable: number }>;

const areaOf = (a: PlanArea): AreaRef =>
  a.scopeType === 'bank'
    ? { type: 'bank' }
    : a.scopeType === 'region'
      ? { type: 'region', region: a.region }
      : { type: 'branch', region: a.region, branchCode: a.branchCode };

/** Failed/applicable per item in one area and quarter, from the kept statistics (SPEC §15). */
export function itemCounts(area: PlanArea, quarter: string): Promise<Counts> {
  return areaItemCounts(area.bankId, quarter, areaOf(area));
}

/** Memoizes item counts per area and quarter for one page or report. */
export class OutcomeBook {
  private readonly memo = new Map<string, Promise<Counts>>();

  /** Kept for callers that announce what they will ask; the statistics need no preparing. */
  async prepare(plans: { area: PlanArea; quarter: string }[]): Promise<void> {
    await Promise.all(
      plans.flatMap(({ area, quarter }) => [quarter, shiftQuarter(quarter, 1)].map((q) => this.counts(area, q))),
    );
  }

  private counts(area: PlanArea, quarter: string): Promise<Counts> {
    const key = `${area.bankId}|${area.scopeType}|${area.region}|${area.branchCode}|${quarter}`;
    let hit = this.memo.get(key);
    if (!hit) this.memo.set(key, (hit = itemCounts(area, quarter)));
    return hit;
  }

  async outcome(area: PlanArea, itemKey: string, quarter: string): Promise<PlanOutcome> {
    const next = shiftQuarter(quarter, 1);
    const rate = async (q: string): Promise<QuarterRate> => {
      const c = (await this.counts(area, q))[itemKey] ?? { failed: 0, applicable: 0 };
      return {
        quarter: q,
        failed: c.failed,
        applicable: c.applicable,
        failureRate: c.applicable ? c.failed / c.applicable : null,
      };
    };
    const [before, after] = await Promise.all([rate(quarter), rate(next)]);
    return { status: compare(before, after), before, after };
  }
}

/** Rates are compared as they are shown (percent, one decimal), so "33.3% → 33.3%" never reads as a change. */
export function compare(before: QuarterRate, after: QuarterRate): OutcomeStatus {
  if (before.failureRate === null || after.failureRate === null) return 'no_data';
  const b = roundScore(before.failureRate * 100);
  const a = roundScore(after.failureRate * 100);
  return a < b ? 'improved' : a > b ? 'worse' : 'unchanged';
}
