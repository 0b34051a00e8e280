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
import { answerScores } from '../rules/scoring';
import type { Catalogue } from './catalogue';
import type { ReportVisit } from './report-visit';

/**
 * The feedback loop in the quarter's reports: the dispute state of every disputed item and the
 * previous quarter's action plans with their outcome. Two queries per close (the bank's disputes of
 * the quarter, its plans of the previous quarter), never one per branch; the plans' outcomes are
 * counted from the visits the snapshot streams anyway (see FeedbackCollector.visit). What goes into
 * the snapshot is plain data.
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
 * Collects what the reports need of the feedback loop while the snapshot streams the bank's
 * visits: created before the stream (with the disputes and plans loaded), fed every counted visit,
 * finished into the snapshot's `feedback`.
 */
export class FeedbackCollector {
  /** Items to count per plan area: the only answers looked at. */
  private readonly wanted = new Map<string, Set<string>>();
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
    for (const p of plans) {
      const key = areaKey(p.scopeType, p.region, p.branchCode);
      const items = this.wanted.get(key) ?? new Set<string>();
      items.add(p.itemKey);
      this.wanted.set(key, items);
    }
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
    return new FeedbackCollector(quarter, timezone, catalogue, disputes, plans);
  }

  /** One counted visit of any streamed quarter: tallies the plan items of the areas it lies in. */
  visit(v: ReportVisit): void {
    if (this.wanted.size === 0 || (v.quarter !== this.quarter && v.quarter !== this.plansQuarter)) return;
    const lookup = this.catalogue.lookup(String(v.questionnaireId), v.questionnaireVersion);
    // Applicable answers by the rules (conditions included), worked out once per visit for every area.
    const scored = lookup ? answerScores(lookup, v.answers ?? []) : undefined;
    for (const area of [BANK_AREA, areaKey('region', v.region, ''), areaKey('branch', '', v.branchCode)]) {
      const items = this.wanted.get(area);
      if (!items) continue;
      for (const { item, score } of scored ?? []) {
        if (!items.has(item.key)) continue;
        const key = `${area}\u0002${v.quarter}\u0002${item.key}`;
        const c = this.counts.get(key) ?? { failed: 0, applicable: 0 };
        c.applicable += 1;
        if (score === 0) c.failed += 1;
        this.counts.set(key, c);
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
