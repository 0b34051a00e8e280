import { getVersion, itemIndex, scoringItem } from '../questionnaires/service';
import { shiftQuarter } from '../rules/quarters';
import { answerScores, roundScore, type ScoringItem } from '../rules/scoring';
import { countedVisitsOf } from '../visits/service';
import type { PlanScope } from './model';

/**
 * "The next quarter's results show whether the item improved": an item's failure rate (share of
 * applicable answers that scored 0, as for key problems) in the plan's quarter and the next one,
 * within the plan's area, from the counted (approved, incl. disputed) visits.
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
type Counts = Map<string, { failed: number; applicable: number }>;

/** Failed/applicable per item in one area and quarter, each answer judged by its visit's own questionnaire version. */
export async function itemCounts(area: PlanArea, quarter: string): Promise<Counts> {
  return (
    (await areaCounts(area.bankId, [quarter], new Set([areaKey(area)]))).get(`${areaKey(area)}|${quarter}`) ?? new Map()
  );
}

const areaKey = (a: Pick<PlanArea, 'scopeType' | 'region' | 'branchCode'>) =>
  a.scopeType === 'bank' ? 'bank' : a.scopeType === 'region' ? `region:${a.region}` : `branch:${a.branchCode}`;

/** Items (as scoring reads them) per questionnaire version ("<id>@<version>"), null for a version that cannot be read. */
type ItemTypes = Map<string, Promise<Map<string, ScoringItem> | null>>;

function itemTypesOf(known: ItemTypes, questionnaireId: string, version: number) {
  const key = `${questionnaireId}@${version}`;
  let hit = known.get(key);
  if (!hit) {
    hit = getVersion(questionnaireId, version)
      .then((v) => new Map([...itemIndex(v)].map(([k, i]) => [k, scoringItem(i.item)])))
      .catch(() => null);
    known.set(key, hit);
  }
  return hit;
}

/**
 * Item counts for several areas and quarters of one bank in ONE read of its visits, rather than
 * one read per area and quarter (a page with bank, region and branch plans would make six).
 * Keys are "<area>|<quarter>".
 */
async function areaCounts(bankId: string, quarters: string[], wanted: Set<string>): Promise<Map<string, Counts>> {
  const out = new Map<string, Counts>();
  const add = (key: string, itemKey: string, failed: boolean) => {
    let counts = out.get(key);
    if (!counts) out.set(key, (counts = new Map()));
    const c = counts.get(itemKey) ?? { failed: 0, applicable: 0 };
    c.applicable += 1;
    if (failed) c.failed += 1;
    counts.set(itemKey, c);
  };
  const projection = {
    quarter: 1,
    region: 1,
    branchCode: 1,
    questionnaireId: 1,
    questionnaireVersion: 1,
    'answers.itemKey': 1,
    'answers.value': 1,
  } as const;
  const types: ItemTypes = new Map();
  for await (const v of countedVisitsOf(bankId, quarters, projection, 500)) {
    const keys = ['bank', `region:${v.region}`, `branch:${v.branchCode}`]
      .filter((k) => wanted.has(k))
      .map((k) => `${k}|${v.quarter}`);
    if (keys.length === 0) continue;
    const items = await itemTypesOf(types, String(v.questionnaireId), v.questionnaireVersion);
    if (!items) continue;
    for (const { item, score } of answerScores(items, (v.answers ?? []) as { itemKey: string; value: unknown }[]))
      for (const key of keys) add(key, item.key, score === 0);
  }
  return out;
}

/**
 * Memoizes item counts per area and quarter. `prepare` reads, per bank, every area and quarter a
 * list of plans needs in one pass; anything not prepared is read on demand.
 */
export class OutcomeBook {
  private readonly memo = new Map<string, Promise<Counts>>();

  private key(area: PlanArea, quarter: string): string {
    return `${area.bankId}|${areaKey(area)}|${quarter}`;
  }

  async prepare(plans: { area: PlanArea; quarter: string }[]): Promise<void> {
    const byBank = new Map<string, { quarters: Set<string>; areas: Set<string> }>();
    for (const { area, quarter } of plans) {
      const b = byBank.get(area.bankId) ?? { quarters: new Set<string>(), areas: new Set<string>() };
      b.quarters.add(quarter).add(shiftQuarter(quarter, 1));
      b.areas.add(areaKey(area));
      byBank.set(area.bankId, b);
    }
    for (const [bankId, b] of byBank) {
      const read = areaCounts(bankId, [...b.quarters], b.areas);
      for (const a of b.areas) {
        for (const q of b.quarters)
          this.memo.set(
            `${bankId}|${a}|${q}`,
            read.then((all) => all.get(`${a}|${q}`) ?? new Map()),
          );
      }
    }
    await Promise.all([...this.memo.values()]);
  }

  private counts(area: PlanArea, quarter: string): Promise<Counts> {
    const key = this.key(area, quarter);
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
