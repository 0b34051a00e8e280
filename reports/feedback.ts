import type { Ctx } from './context';
import { COLORS, type Column, type Row } from './doc';
import { answerLabel, percent, textOf, type Translate } from './format';
import type {
  BranchFeedback,
  DisputeMark,
  DisputeState,
  Lang,
  PlanOutcomeRow,
  PlanOutcomeStatus,
  SnapshotFeedback,
  Text,
} from './types';

/**
 * The feedback loop in the PDFs: dispute markers on items and violations, dispute counts in the
 * summaries and method notes, and the previous quarter's action plans with their outcome. Every
 * function takes the snapshot's (or the branch's) feedback as it is, absent in older snapshots.
 */

export interface DisputeCounts {
  items: number;
  visits: number;
  open: number;
  upheld: number;
  overturned: number;
}

/** Counted per item (its latest dispute decides its state), so a re-disputed item is not counted twice. */
export function disputeCounts(marks: readonly DisputeMark[]): DisputeCounts {
  const latest = new Map<string, DisputeMark>();
  for (const d of marks) latest.set(`${d.visitId}\u0001${d.itemKey}`, d);
  const out: DisputeCounts = {
    items: latest.size,
    visits: new Set(marks.map((d) => d.visitId)).size,
    open: 0,
    upheld: 0,
    overturned: 0,
  };
  for (const d of latest.values()) out[d.state] += 1;
  return out;
}

/** A short marker after an item's text: "〔申诉中〕", "〔申诉：已改判，原回答 否〕"… */
export function disputeTag(
  t: Translate,
  state: DisputeState,
  mark: Pick<DisputeMark, 'before' | 'beforeWords'> | null = null,
  lang: Lang = 'zh',
): string {
  if (state === 'overturned' && mark && mark.before !== null)
    return t('feedback.tag.overturned_was', { before: answerLabel(t, mark.before, mark.beforeWords, lang) });
  return t(`feedback.tag.${state}`);
}

/** The latest dispute per item of one visit. */
export function visitMarks(f: BranchFeedback | undefined, visitId: string): Map<string, DisputeMark> {
  const out = new Map<string, DisputeMark>();
  for (const d of f?.disputes ?? []) if (d.visitId === visitId) out.set(d.itemKey, d);
  return out;
}

function countsLine(t: Translate, key: string, c: DisputeCounts): string {
  return c.items === 0 ? t(`feedback.summary.${key}_none`) : t(`feedback.summary.${key}`, { ...c });
}

/** Summary sentence for a bank (region = null) or a region. */
export function areaDisputeLine(c: Ctx, region: string | null): string | null {
  const f = c.s.feedback;
  if (!f) return null;
  return countsLine(
    c.t,
    'disputes',
    disputeCounts(region === null ? f.disputes : f.disputes.filter((d) => d.region === region)),
  );
}

export function branchDisputeLine(c: Ctx, f: BranchFeedback | undefined): string | null {
  return f ? countsLine(c.t, 'branch_disputes', disputeCounts(f.disputes)) : null;
}

/** The plans of an area: all of the bank's, or those made for a region and its branches. */
export function areaPlans(f: SnapshotFeedback | undefined, region: string | null): PlanOutcomeRow[] {
  if (!f) return [];
  return region === null ? f.plans : f.plans.filter((p) => p.scope.type !== 'bank' && p.scope.region === region);
}

export function plansLine(c: Ctx, plans: readonly PlanOutcomeRow[], plansQuarter: string | undefined): string | null {
  if (!plansQuarter) return null;
  if (plans.length === 0) return c.t('feedback.summary.plans_none', { quarter: plansQuarter });
  const n = (s: PlanOutcomeStatus) => plans.filter((p) => p.outcome.status === s).length;
  return c.t('feedback.summary.plans', {
    quarter: plansQuarter,
    count: plans.length,
    improved: n('improved'),
    worse: n('worse'),
    unchanged: n('unchanged'),
    no_data: n('no_data'),
  });
}

/** The bank's (region = null) or a region's summary lines on disputes and on the previous quarter's plans. */
export function areaFeedbackLines(c: Ctx, region: string | null): string[] {
  const f = c.s.feedback;
  if (!f) return [];
  return [areaDisputeLine(c, region), plansLine(c, areaPlans(f, region), f.plansQuarter)].filter(
    (l): l is string => l !== null,
  );
}

/** Method-note lines on disputes (and on plan outcomes where the report shows plans). */
export function feedbackNotes(c: Ctx, withPlans: boolean): string[] {
  if (!c.s.feedback && !c.s.branchDetails.some((d) => d.feedback)) return [];
  const lines = [c.t('feedback.method.disputes')];
  if (withPlans) lines.push(c.t('feedback.method.plans'));
  return lines;
}

/** An item's text with its dispute marker, when the item was disputed. */
export function withDisputeTag(t: Translate, text: string, mark: DisputeMark | undefined, lang: Lang): string {
  return mark ? `${text} ${disputeTag(t, mark.state, mark, lang)}` : text;
}

/** Under a visit's heading: which of its items were disputed and how each dispute stood. */
export function visitDisputeLines(
  c: Ctx,
  marks: Map<string, DisputeMark>,
  answers: readonly { itemKey: string; text: Text }[],
): void {
  if (marks.size === 0) return;
  const textOfItem = (k: string) => {
    const a = answers.find((x) => x.itemKey === k);
    return a ? textOf(a.text, c.lang) : k;
  };
  const items = [...marks.values()].map((d) => withDisputeTag(c.t, textOfItem(d.itemKey), d, c.lang));
  c.r.para(c.t('feedback.visit.disputes', { items: items.join('; ') }), { size: 9, color: COLORS.muted, gap: 2 });
}

function scopeLabel(t: Translate, p: PlanOutcomeRow): string {
  if (p.scope.type === 'bank') return t('feedback.plan.scope_bank');
  if (p.scope.type === 'region') return t('feedback.plan.scope_region', { name: p.scope.region });
  return t('feedback.plan.scope_branch', { code: p.scope.branchCode });
}

const OUTCOME_COLOR: Record<PlanOutcomeStatus, string> = {
  improved: COLORS.series[1],
  worse: COLORS.bad,
  unchanged: COLORS.ink,
  no_data: COLORS.muted,
};
const rate = (r: PlanOutcomeRow['outcome']['before']) =>
  r.failureRate === null ? '–' : `${percent(r.failureRate)} (${r.failed}/${r.applicable})`;

/** The branch report's action plans of the previous quarter, each with its item's failure rate then and now. */
export function plansSection(c: Ctx, f: BranchFeedback | undefined): void {
  if (!f) return;
  const { r, t, lang } = c;
  r.h1(t('feedback.h.plans', { quarter: f.plansQuarter }));
  const cols: Column[] = [
    { header: t('col.item'), width: 2 },
    { header: t('feedback.col.scope'), width: 1.2 },
    { header: t('feedback.col.action'), width: 2.4 },
    { header: t('feedback.col.owner'), width: 1.1 },
    { header: t('feedback.col.due'), width: 1.4 },
    { header: t('feedback.col.status'), width: 1.1 },
    { header: t('feedback.col.rate', { quarter: f.plansQuarter }), width: 1.7, align: 'right' },
    { header: t('feedback.col.rate', { quarter: c.s.quarter }), width: 1.7, align: 'right' },
    { header: t('feedback.col.outcome'), width: 1.4 },
  ];
  r.table(
    cols,
    f.plans.map((p): Row => [
      textOf(p.text, lang),
      scopeLabel(t, p),
      p.action,
      p.owner,
      p.dueDate,
      {
        text: p.overdue ? t('feedback.plan.overdue') : t(`feedback.plan.${p.status}`),
        color: p.overdue ? COLORS.bad : COLORS.ink,
      },
      rate(p.outcome.before),
      rate(p.outcome.after),
      { text: t(`feedback.outcome.${p.outcome.status}`), color: OUTCOME_COLOR[p.outcome.status] },
    ]),
    { size: 7.5, emptyText: t('feedback.plan.none', { quarter: f.plansQuarter }) },
  );
}
