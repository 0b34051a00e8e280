import { showTime } from '../web/local-time';
import { listBanks } from '../banks/service';
import { listDisputes, type DisputeView } from '../disputes/service';
import { recentCloses, reportDeliveries, reportSummaries } from '../publishing/service';
import { DEFAULT_TIMEZONE, quarterOf, shiftQuarter } from '../rules/quarters';
import { reviewQueue, type QueueRow } from '../visits/service';
import type { PageContext } from '../web/render';
import { daysUntil } from '../rules/agenda';
import { card, type TodoCard, type TodoItem } from './cards';

/** The audit firm's homes: the reviewer's queue, flags and disputes; the admin's closes and failures. */
const QUEUE_READ = 200;
/** Reports whose deliveries the admin's home checks (the latest ones; older failures are on the reports page). */
const RECENT_REPORTS = 20;

function zoneMap(banks: { id: string; timezone: string }[]) {
  const zones = new Map(banks.map((b) => [b.id, b.timezone]));
  return (bankId: string) => zones.get(bankId) ?? DEFAULT_TIMEZONE;
}

function waiting(ctx: PageContext, since: string | null, now: Date): string {
  return since ? ctx.t('home.waiting_days', { days: Math.max(0, -daysUntil(since, now)) }) : '';
}

function queueItem(ctx: PageContext, r: QueueRow, zone: string, now: Date): TodoItem {
  return {
    href: `/visits/${r.id}`,
    text: `${r.branchName} (${r.branchCode})`,
    meta: [
      showTime(r.submittedAt, zone),
      waiting(ctx, r.submittedAt, now),
      r.flags.length ? ctx.t('home.flags', { n: r.flags.length }) : '',
    ]
      .filter(Boolean)
      .join(' · '),
    ...(r.flags.length ? { urgent: true } : {}),
  };
}

function disputeItem(ctx: PageContext, d: DisputeView, zone: string, now: Date): TodoItem {
  const text = ctx.locale === 'en' ? d.itemText.en || d.itemText.zh : d.itemText.zh || d.itemText.en;
  return {
    href: `/disputes/${d.id}`,
    text: `${text} · ${d.branchCode}`,
    meta: [showTime(d.openedAt, zone), waiting(ctx, d.openedAt, now)].join(' · '),
  };
}

export async function reviewerCards(ctx: PageContext, now = new Date()): Promise<TodoCard[]> {
  const [queue, open, banks] = await Promise.all([
    reviewQueue(ctx.user, { limit: QUEUE_READ }),
    listDisputes(ctx.user, { status: 'open' }),
    listBanks(ctx.user),
  ]);
  const zone = zoneMap(banks);
  const rows = queue.rows.map((r) => queueItem(ctx, r, zone(r.bankId), now));
  const flagged = queue.rows.filter((r) => r.flags.length > 0).map((r) => queueItem(ctx, r, zone(r.bankId), now));
  const disputes = [...open].reverse().map((d) => disputeItem(ctx, d, zone(d.bankId), now));
  return [
    card('queue', ctx.t('home.reviewer.queue'), rows, ctx.t('home.reviewer.queue_none'), {
      href: '/review',
      text: ctx.t('home.open_queue'),
    }),
    card('disputes', ctx.t('home.reviewer.disputes'), disputes, ctx.t('home.reviewer.disputes_none'), {
      href: '/disputes?status=open',
      text: ctx.t('home.all_disputes'),
    }),
    card('flagged', ctx.t('home.reviewer.flagged'), flagged, ctx.t('home.reviewer.flagged_none')),
  ];
}

/** The admin's home: the quarter that just ended per bank (closed or not, what still holds it), failed closes, reviews and disputes waiting. */
export async function adminCards(ctx: PageContext, now = new Date()): Promise<TodoCard[]> {
  const [banks, closes, queue, open] = await Promise.all([
    listBanks(ctx.user),
    recentCloses(ctx.user, 50),
    reviewQueue(ctx.user, { limit: QUEUE_READ }),
    listDisputes(ctx.user, { status: 'open' }),
  ]);
  const zone = zoneMap(banks);
  const toClose: TodoItem[] = [];
  for (const b of banks) {
    const quarter = shiftQuarter(quarterOf(now, b.timezone), -1);
    const reports = await reportSummaries(ctx.user, { bankId: b.id, quarter });
    if (reports.some((r) => r.status === 'ready' || r.status === 'pending')) continue;
    const inReview = queue.rows.filter((r) => r.bankId === b.id && r.quarter === quarter).length;
    const disputed = open.filter((d) => d.bankId === b.id && d.quarter === quarter).length;
    toClose.push({
      href: `/admin/reports?bankId=${b.id}&quarter=${quarter}`,
      text: `${b.name} · ${quarter}`,
      meta: ctx.t('home.admin.holding', { review: inReview, disputes: disputed }),
      ...(inReview + disputed > 0 ? { urgent: true } : {}),
    });
  }
  const bankName = new Map(banks.map((b) => [b.id, b.name]));
  const failed: TodoItem[] = closes
    .filter((c) => c.status === 'failed')
    .map((c) => ({
      href: `/admin/reports/${c.reportId}`,
      text: `${bankName.get(c.bankId) ?? ''} · ${c.quarter}`,
      meta: `${ctx.t('home.admin.close_failed')} · ${showTime(c.createdAt, zone(c.bankId))}`,
      urgent: true,
    }));
  for (const r of (await reportSummaries(ctx.user, {})).filter((x) => x.status === 'ready').slice(0, RECENT_REPORTS)) {
    const bad = (await reportDeliveries(ctx.user, r.id)).filter((d) => d.status === 'failed');
    if (bad.length)
      failed.push({
        href: `/admin/reports/${r.id}`,
        text: `${bankName.get(r.bankId) ?? ''} · ${r.quarter}`,
        meta: ctx.t('home.admin.deliveries_failed', { n: bad.length, who: bad.map((d) => d.recipient).join(', ') }),
        urgent: true,
      });
  }
  return [
    card('to-close', ctx.t('home.admin.to_close'), toClose, ctx.t('home.admin.to_close_none'), {
      href: '/admin/reports',
      text: ctx.t('home.admin.reports'),
    }),
    card('failed', ctx.t('home.admin.failed'), failed, ctx.t('home.admin.failed_none'), {
      href: '/admin/reports',
      text: ctx.t('home.admin.reports'),
    }),
    card(
      'queue',
      ctx.t('home.reviewer.queue'),
      queue.rows.map((r) => queueItem(ctx, r, zone(r.bankId), now)),
      ctx.t('home.reviewer.queue_none'),
      { href: '/review', text: ctx.t('home.open_queue') },
    ),
    card(
      'disputes',
      ctx.t('home.reviewer.disputes'),
      [...open].reverse().map((d) => disputeItem(ctx, d, zone(d.bankId), now)),
      ctx.t('home.reviewer.disputes_none'),
      { href: '/disputes?status=open', text: ctx.t('home.all_disputes') },
    ),
  ];
}
