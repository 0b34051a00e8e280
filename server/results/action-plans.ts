import type { PageContext } from '../web/render';
import type { QuarterRate, ResultsPlanView } from '../actions/service';
import { formatScore } from '../rules/scoring';

/** The dashboard's rows for the previous quarter's action plans (figures from the plans' own outcome). */
export function planSection(ctx: PageContext, quarter: string, previous: string, plans: ResultsPlanView[]) {
  const rate = (r: QuarterRate | undefined) =>
    !r || r.failureRate === null ? '–' : `${formatScore(r.failureRate * 100)}% (${r.failed}/${r.applicable})`;
  return {
    title: ctx.t('resultsPlans.title', { quarter: previous }),
    none: ctx.t('resultsPlans.none', { quarter: previous }),
    note: ctx.t('resultsPlans.note', { previous, quarter }),
    rateBefore: ctx.t('resultsPlans.rate', { quarter: previous }),
    rateAfter: ctx.t('resultsPlans.rate', { quarter }),
    rows: plans.map((p) => ({
      id: p.id,
      itemKey: p.itemKey,
      text: ctx.locale === 'en' ? p.itemText.en : p.itemText.zh,
      scope:
        p.scope.type === 'bank'
          ? ctx.t('resultsPlans.scope.bank')
          : p.scope.type === 'region'
            ? ctx.t('resultsPlans.scope.region', { name: p.scope.region })
            : ctx.t('resultsPlans.scope.branch', { code: p.scope.branchCode }),
      action: p.action,
      owner: p.owner,
      dueDate: p.dueDate,
      state: p.overdue ? 'overdue' : p.status,
      stateLabel: ctx.t(`resultsPlans.status.${p.overdue ? 'overdue' : p.status}`),
      withheld: p.outcome === null,
      before: rate(p.outcome?.before),
      after: rate(p.outcome?.after),
      outcome: p.outcome?.status ?? '',
      outcomeLabel: p.outcome ? ctx.t(`resultsPlans.outcome.${p.outcome.status}`) : '',
    })),
  };
}
