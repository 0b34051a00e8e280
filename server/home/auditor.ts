import { showSpan } from '../web/local-time';
import { MAX_LIMIT } from '../platform/http/paging';
import { listBanks } from '../banks/service';
import { DEFAULT_TIMEZONE } from '../rules/quarters';
import type { AssignmentView } from '../assignments/service';
import { listAssignmentsWithVisits } from '../visits/service';
import type { PageContext } from '../web/render';
import { auditorAgenda, daysUntil } from '../rules/agenda';
import { card, type TodoCard, type TodoItem } from './cards';

/** The auditor's home: what was sent back, drafts, windows open now, windows to come, missed ones. */
export async function auditorCards(ctx: PageContext, now = new Date()): Promise<TodoCard[]> {
  const [{ rows }, banks] = await Promise.all([
    listAssignmentsWithVisits(ctx.user, { limit: MAX_LIMIT }),
    listBanks(ctx.user),
  ]);
  const zones = new Map(banks.map((b) => [b.id, b.timezone]));
  const a = auditorAgenda(rows, now);
  const item = (r: AssignmentView, href: string, extra?: string, urgent?: boolean): TodoItem => ({
    href,
    text: `${r.branchName} (${r.branchCode})`,
    meta: [showSpan(r.windowStart, r.windowEnd, zones.get(r.bankId) ?? DEFAULT_TIMEZONE), extra]
      .filter(Boolean)
      .join(' · '),
    ...(urgent ? { urgent } : {}),
  });
  const edit = (r: AssignmentView) => `/visits/${r.visitId}/edit`;
  const start = (r: AssignmentView) => `/assignments?show=todo#assignment-${r.id}`;
  const closesIn = (r: AssignmentView) => {
    const d = daysUntil(r.windowEnd, now);
    return { text: ctx.t('home.closes_in', { days: d }), urgent: d <= 2 };
  };
  const list = { href: '/assignments', text: ctx.t('home.all_assignments') };
  return [
    card(
      'returned',
      ctx.t('home.auditor.returned'),
      a.returned.map((r) => item(r, edit(r), undefined, true)),
      ctx.t('home.auditor.returned_none'),
    ),
    card(
      'drafts',
      ctx.t('home.auditor.drafts'),
      a.drafts.map((r) => item(r, edit(r))),
      ctx.t('home.auditor.drafts_none'),
    ),
    card(
      'open-now',
      ctx.t('home.auditor.open_now'),
      a.openNow.map((r) => {
        const c = closesIn(r);
        return item(r, start(r), c.text, c.urgent);
      }),
      ctx.t('home.auditor.open_now_none'),
      list,
    ),
    card(
      'upcoming',
      ctx.t('home.auditor.upcoming'),
      a.upcoming.map((r) => item(r, start(r))),
      ctx.t('home.auditor.upcoming_none'),
      list,
    ),
    card(
      'missed',
      ctx.t('home.auditor.missed'),
      a.missed.map((r) => item(r, start(r))),
      ctx.t('home.auditor.missed_none'),
    ),
  ];
}
