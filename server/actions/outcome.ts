import { shiftQuarter } from '../results/aggregate';
import { COUNTED_STATUSES } from '../results/service';
import { itemScore, roundScore, type AnswerValue } from '../scoring/score';
import { Visit } from '../visits/model';
import { versionOf } from '../disputes/versions';
import type { PlanScope } from './model';

/**
 * "The next quarter's results show whether the item improved": an item's failure rate (share of
 * applicable answers that scored 0, as for key problems) in the plan's quarter and the next one,
 * within the plan's area, from the counted (approved, incl. disputed) visits.
 */
export type OutcomeStatus = 'improved' | 'worse' | 'unchanged' | 'no_data';
export interface QuarterRate { quarter: string; failed: number; applicable: number; failureRate: number | null }
export interface PlanOutcome { status: OutcomeStatus; before: QuarterRate; after: QuarterRate }

export interface PlanArea { bankId: string; scopeType: PlanScope; region: string; branchCode: string }
type Counts = Map<string, { failed: number; applicable: number }>;

function areaFilter(a: PlanArea): Record<string, unknown> {
  if (a.scopeType === 'branch') return { bankId: a.bankId, branchCode: a.branchCode };
  if (a.scopeType === 'region') return { bankId: a.bankId, region: a.region };
  return { bankId: a.bankId };
}

/** Failed/applicable per item in one area and quarter, each answer judged by its visit's own questionnaire version. */
export async function itemCounts(area: PlanArea, quarter: string): Promise<Counts> {
  const out: Counts = new Map();
  const cursor = Visit.find({ ...areaFilter(area), quarter, status: { $in: COUNTED_STATUSES } }, { questionnaireId: 1, questionnaireVersion: 1, 'answers.itemKey': 1, 'answers.value': 1 })
    .lean()
    .cursor({ batchSize: 500 });
  for await (const v of cursor) {
    const version = await versionOf(String(v.questionnaireId), v.questionnaireVersion).catch(() => null);
    if (!version) continue;
    for (const a of (v.answers ?? []) as { itemKey: string; value: AnswerValue }[]) {
      const item = version.items.get(a.itemKey);
      const s = item ? itemScore(item, a.value) : null;
      if (s === null) continue;
      const c = out.get(a.itemKey) ?? { failed: 0, applicable: 0 };
      c.applicable += 1;
      if (s === 0) c.failed += 1;
      out.set(a.itemKey, c);
    }
  }
  return out;
}

/** Memoizes item counts per area and quarter, so a list of plans reads each area's visits once. */
export class OutcomeBook {
  private readonly memo = new Map<string, Promise<Counts>>();

  private counts(area: PlanArea, quarter: string): Promise<Counts> {
    const key = `${area.bankId}|${area.scopeType}|${area.region}|${area.branchCode}|${quarter}`;
    let hit = this.memo.get(key);
    if (!hit) this.memo.set(key, (hit = itemCounts(area, quarter)));
    return hit;
  }

  async outcome(area: PlanArea, itemKey: string, quarter: string): Promise<PlanOutcome> {
    const next = shiftQuarter(quarter, 1);
    const rate = async (q: string): Promise<QuarterRate> => {
      const c = (await this.counts(area, q)).get(itemKey) ?? { failed: 0, applicable: 0 };
      return { quarter: q, ...c, failureRate: c.applicable ? c.failed / c.applicable : null };
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
