import { DateTime } from 'luxon';
import type {
  AnswerValue,
  BranchDetail,
  BranchFeedback,
  DisputeMark,
  DisputeState,
  PlanOutcomeRow,
  PlanRate,
  ReportSnapshot,
  SectionKey,
  SnapshotFeedback,
  Violation,
} from '../../reports/types';
import { compareOutcome, plansOfQuarter, type PlanForReport, type PlanScope } from '../actions/service';
import { disputesOfQuarter, type DisputeForReport, type DisputeStatus } from '../disputes/service';
import { shiftQuarter } from '../rules/quarters';
import { answerInBoth } from '../rules/answer-words';
import { areaItemCounts, type AreaRef } from '../stats/service';
import type { Catalogue } from './catalogue';

/**
 * The feedback loop in the quarter's reports: the dispute state of every disputed item and the
 * previous quarter's action plans with their outcome. Two queries per close (the bank's disputes of
 * the quarter, its plans of the previous quarter), never one per branch; the plans' outcomes come
 * from the kept statistics of their areas. What goes into the snapshot is plain data.
 */

type LeanDispute = DisputeForReport;
type LeanPlan = PlanForReport;

const SECTION_KEYS: readonly string[] = ['greeting', 'product_knowledge', 'sales_compliance', 'follow_up'];
const BANK_AREA = 'bank';
const areaKey = (scope: PlanScope, region: string, branchCode: string) =>
  scope === 'bank' ? BANK_AREA : scope === 'region' ? `region\u0001${region}` : `branch\u0001${branchCode}`;

/** A dispute still being decided at closing time had not changed the figures yet: it counts as open. */
const stateOf = (s: DisputeStatus): DisputeState => (s === 'upheld' || s === 'overturned' ? s : 'open');

function markOf(d: LeanDispute, catalogue: Catalogue): DisputeMark {
  const state = stateOf(d.status);
  const item = catalogue.item(String(d.questionnaireId), d.questionnaireVersion, d.itemKey);
  const before = (d.valueAtOpening ?? null) as AnswerValue | null;
  const after = state === 'overturned' ? ((d.resolution?.value ?? null) as AnswerValue | null) : null;
  return {
    id: String(d._id),
    visitId: String(d.visitId),
    branchCode: d.branchCode,
    region: d.region,
    itemKey: d.itemKey,
    state,
    before,
    after,
    beforeWords: before === null ? null : answerInBoth(item, before),
    afterWords: after === null ? null : answerInBoth(item, after),
    openedAt: new Date(d.openedAt).toISOString(),
  };
}

type Counts = { failed: number; applicable: number };

/**
 * Collects what the reports need of the feedback loop: loaded with the quarter's disputes, the
 * previous quarter's plans and their items' counts, finished into the snapshot's `feedback`.
 */
export class FeedbackCollector {
  private readonly counts = new Map<string, Counts>();
  private readonly plansQuarter: string;

  private constructor(
    private readonly quarter: string,
    private readonly timezone: string,
    private readonly catalogue: Catalogue,
    private readonly disputes: LeanDispute[],
    private readonly plans: LeanPlan[],
  ) {
    this.plansQuarter = shiftQuarter(quarter, -1);
  }

  static async load(
    bankId: string,
    quarter: string,
    timezone: string,
    catalogue: Catalogue,
  ): Promise<FeedbackCollector> {
    const [disputes, plans] = await Promise.all([
      disputesOfQuarter(bankId, quarter),
      plansOfQuarter(bankId, shiftQuarter(quarter, -1)),
    ]);
    const collector = new FeedbackCollector(quarter, timezone, catalogue, disputes, plans);
    await collector.countPlanItems(bankId);
    return collector;
  }

  /** The plans' items in their areas, the plans' quarter and this one, from the kept statistics. */
  private async countPlanItems(bankId: string): Promise<void> {
    const read = new Map<string, Promise<Record<string, Counts>>>();
    for (const p of this.plans) {
      const area: AreaRef =
        p.scopeType === 'bank'
          ? { type: 'bank' }
          : p.scopeType === 'region'
            ? { type: 'region', region: p.region ?? '' }
            : { type: 'branch', region: p.region ?? '', branchCode: p.branchCode ?? '' };
      const key = areaKey(p.scopeType, p.region ?? '', p.branchCode ?? '');
      for (const q of [this.plansQuarter, this.quarter]) {
        let counts = read.get(`${key}\u0002${q}`);
        if (!counts) read.set(`${key}\u0002${q}`, (counts = areaItemCounts(bankId, q, area)));
        const c = (await counts)[p.itemKey];
        if (c) this.counts.set(`${key}\u0002${q}\u0002${p.itemKey}`, { failed: c.failed, applicable: c.applicable });
      }
    }
  }

  private rate(area: string, quarter: string, itemKey: string): PlanRate {
    const c = this.counts.get(`${area}\u0002${quarter}\u0002${itemKey}`) ?? { failed: 0, applicable: 0 };
    return { quarter, ...c, failureRate: c.applicable ? c.failed / c.applicable : null };
  }

  /**
   * The snapshot's feedback, once the stream is done. Only disputes of visits the snapshot counts
   * are kept; the snapshot's violations get their item's dispute state.
   */
  finish(s: ReportSnapshot, generatedAt: Date): SnapshotFeedback {
    const counted = new Set(s.branches.flatMap((b) => b.visitIds ?? []));
    const disputes = this.disputes.map((d) => markOf(d, this.catalogue)).filter((d) => counted.has(d.visitId));
    markViolations(s.violations, disputes);
    const today =
      DateTime.fromJSDate(generatedAt).setZone(this.timezone).toISODate() ?? generatedAt.toISOString().slice(0, 10);
    const plans = this.plans.map((p): PlanOutcomeRow => {
      const area = areaKey(p.scopeType, p.region, p.branchCode);
      const before = this.rate(area, this.plansQuarter, p.itemKey);
      const after = this.rate(area, this.quarter, p.itemKey);
      return {
        id: String(p._id),
        kind: p.kind,
        itemKey: p.itemKey,
        sectionKey: SECTION_KEYS.includes(p.sectionKey) ? (p.sectionKey as SectionKey) : null,
        text: this.catalogue.text(p.itemKey),
        scope: { type: p.scopeType, region: p.region ?? '', branchCode: p.branchCode ?? '' },
        action: p.action,
        owner: p.owner,
        dueDate: p.dueDate,
        status: p.status,
        overdue: p.status === 'open' && p.dueDate < today,
        // The same comparison as the action-plans page (server/actions/outcome.ts).
        outcome: { status: compareOutcome(before, after), before, after },
      };
    });
    return { plansQuarter: this.plansQuarter, disputes, plans };
  }
}

/** Each violation gets the state of the latest dispute of its item (disputes come oldest first). */
function markViolations(violations: Violation[], disputes: DisputeMark[]): void {
  if (disputes.length === 0) return;
  const latest = new Map(disputes.map((d) => [`${d.visitId}\u0001${d.itemKey}`, d.state]));
  for (const v of violations) {
    const state = latest.get(`${v.visitId}\u0001${v.itemKey}`);
    if (state) v.dispute = state;
  }
}

// ---- a branch's share, for its report ----

interface Index {
  region: Map<string, string>;
  disputes: Map<string, DisputeMark[]>;
  /** Plans per area key, each with its position in the bank's list (to keep their order). */
  plans: Map<string, { at: number; plan: PlanOutcomeRow }[]>;
}

/** Built once per snapshot object: a close renders thousands of branches from the same one. */
const indexes = new WeakMap<SnapshotFeedback, Index>();

function indexOf(s: ReportSnapshot, f: SnapshotFeedback): Index {
  let ix = indexes.get(f);
  if (ix) return ix;
  ix = { region: new Map(s.branches.map((b) => [b.code, b.region])), disputes: new Map(), plans: new Map() };
  for (const d of f.disputes) {
    const list = ix.disputes.get(d.branchCode) ?? [];
    list.push(d);
    ix.disputes.set(d.branchCode, list);
  }
  f.plans.forEach((plan, at) => {
    const key = areaKey(plan.scope.type, plan.scope.region, plan.scope.branchCode);
    const list = ix?.plans.get(key) ?? [];
    list.push({ at, plan });
    ix?.plans.set(key, list);
  });
  indexes.set(f, ix);
  return ix;
}

/**
 * The branch's disputes and the plans that cover it (bank-wide, its region's, its own), attached
 * to its detail; its violations get their dispute state. A snapshot without feedback (taken before
 * reports had it) leaves the detail as it is.
 */
export function withBranchFeedback(s: ReportSnapshot, d: BranchDetail): BranchDetail {
  const f = s.feedback;
  if (!f) return d;
  const ix = indexOf(s, f);
  const region = ix.region.get(d.code) ?? '';
  const disputes = ix.disputes.get(d.code) ?? [];
  const plans = [BANK_AREA, areaKey('region', region, ''), areaKey('branch', '', d.code)]
    .flatMap((k) => ix.plans.get(k) ?? [])
    .sort((a, b) => a.at - b.at)
    .map((x) => x.plan);
  const feedback: BranchFeedback = { plansQuarter: f.plansQuarter, disputes, plans };
  const violations = d.violations.map((v) => ({ ...v }));
  markViolations(violations, disputes);
  return { ...d, violations, feedback };
}
