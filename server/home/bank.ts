import { showTime } from '../web/local-time';
import { listPlans } from '../actions/service';
import { bankTimezone } from '../banks/service';
import { listDisputes } from '../disputes/service';
import { quarterReviews, staffScorecards } from '../hr/service';
import { listReports } from '../publishing/service';
import { getResults } from '../results/service';
import { DEFAULT_TIMEZONE, quarterOf, shiftQuarter } from '../rules/quarters';
import type { PageContext } from '../web/render';
import { daysUntil } from '../rules/agenda';
import { card, type TodoCard, type TodoItem } from './cards';

/** The bank side's homes: the manager's results, violations, disputes and plans; HR's scorecards to link. */
const words = (ctx: PageContext, t: { zh: string; en: string }) => (ctx.locale === 'en' ? t.en || t.zh : t.zh || t.en);

async function bankContext(ctx: PageContext, now: Date) {
  const bankId = ctx.user.bankId as string;
  const zone = (await bankTimezone(bankId)) ?? DEFAULT_TIMEZONE;
  const current = quarterOf(now, zone);
  return { bankId, zone, current, previous: shiftQuarter(current, -1) };
}

export async function managerCards(ctx: PageContext, now = new Date()): Promise<TodoCard[]> {
  const { bankId, zone, current, previous } = await bankContext(ctx, now);
  const [reports, results, disputes, plans] = await Promise.all([
    listReports(ctx.user, { bankId }),
    getResults(ctx.user, { bankId, quarter: current, level: 'bank' }),
    listDisputes(ctx.user, { bankId }),
    listPlans(ctx.user, { bankId, status: 'open' }),
  ]);
  const latest: TodoItem[] = [
    {
      href: `/results?quarter=${current}`,
      text: ctx.t('home.manager.results_of', { quarter: current }),
      meta: ctx.t('home.manager.so_far'),
    },
    { href: `/results?quarter=${previous}`, text: ctx.t('home.manager.results_of', { quarter: previous }) },
    ...reports.slice(0, 3).map((r) => ({
      href: `/reports?quarter=${r.quarter}`,
      text: ctx.t('home.manager.report_of', { quarter: r.quarter, version: r.version }),
      meta: showTime(r.createdAt, zone),
    })),
  ];
  const violations = results.violations.map((v) => ({
    href: `/visits/${v.visitId}`,
    text: `${words(ctx, v.text)} · ${v.branchCode}`,
    meta: v.disputed ? ctx.t('home.manager.under_dispute') : ctx.t('home.manager.can_dispute'),
    urgent: !v.disputed,
  }));
  const undecided = disputes.filter((d) => d.status === 'open' || d.status === 'resolving');
  const decided = disputes.filter((d) => d.resolution && daysUntil(d.resolution.resolvedAt, now) >= -14);
  const disputeItems = [...undecided, ...decided].map((d) => ({
    href: `/disputes/${d.id}`,
    text: `${words(ctx, d.itemText)} · ${d.branchCode}`,
    meta: `${ctx.t(`disputes.status.${d.status}`)} · ${showTime(d.resolution?.resolvedAt ?? d.openedAt, zone)}`,
  }));
  const due = [...plans]
    .sort((a, b) => (a.dueDate < b.dueDate ? -1 : 1))
    .map((p) => ({
      href: `/actions?bankId=${bankId}&quarter=${p.quarter}`,
      text: `${words(ctx, p.itemText)} · ${p.action}`,
      meta: `${ctx.t('home.manager.due', { date: p.dueDate })}${p.overdue ? ` · ${ctx.t('actions.overdue')}` : ''}`,
      urgent: p.overdue,
    }));
  return [
    card('results', ctx.t('home.manager.results'), latest, ctx.t('home.manager.results_none')),
    card(
      'violations',
      ctx.t('home.manager.violations', { quarter: current }),
      violations,
      ctx.t('home.manager.violations_none'),
      { href: `/results?quarter=${current}#violations`, text: ctx.t('home.manager.all_violations') },
    ),
    card('disputes', ctx.t('home.manager.disputes'), disputeItems, ctx.t('home.manager.disputes_none'), {
      href: '/disputes',
      text: ctx.t('home.all_disputes'),
    }),
    card('plans', ctx.t('home.manager.plans'), due, ctx.t('home.manager.plans_none'), {
      href: '/actions',
      text: ctx.t('home.manager.all_plans'),
    }),
  ];
}

export async function hrCards(ctx: PageContext, now = new Date()): Promise<TodoCard[]> {
  const { bankId, previous, current } = await bankContext(ctx, now);
  const cards: TodoCard[] = [];
  for (const quarter of [previous, current]) {
    const [scorecards, reviews] = await Promise.all([
      staffScorecards(ctx.user, { bankId, quarter }),
      quarterReviews(ctx.user, bankId, quarter),
    ]);
    const linked = new Set(reviews.map((r) => r.employeeId));
    const unlinked = scorecards.rows
      .filter((r) => !linked.has(r.employeeId))
      .map((r) => ({
        href: `/hr/scorecards?quarter=${quarter}`,
        text: `${r.name} (${r.employeeId})`,
        meta: [r.branchCode, ctx.t('home.hr.visits', { n: r.n }), r.disputed ? ctx.t('home.hr.disputed') : '']
          .filter(Boolean)
          .join(' · '),
      }));
    cards.push(
      card(
        `unlinked-${quarter}`,
        ctx.t('home.hr.unlinked', { quarter, total: scorecards.rows.length }),
        unlinked,
        scorecards.rows.length ? ctx.t('home.hr.all_linked') : ctx.t('home.hr.no_scorecards'),
        { href: `/hr/scorecards?quarter=${quarter}`, text: ctx.t('home.hr.open_scorecards', { quarter }) },
      ),
    );
  }
  return cards;
}
