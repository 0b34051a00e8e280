import { z } from 'zod';
import type { AssignmentView } from '../../assignments/service';
import { agendaOrder } from '../../rules/agenda';
import type { PageContext } from '../../web/render';

/**
 * The auditor's list as a to-do list (issue 20): to do (sent back, drafts, open now closing soonest,
 * coming, missed) or done, a search over branch, scenario and quarter, and pages of PAGE_SIZE — so
 * the next due visit is the first card, not card 144 of 184.
 */
export const PAGE_SIZE = 20;

const listQuery = z.object({
  show: z.enum(['todo', 'done']).catch('todo'),
  q: z.string().trim().max(100).catch(''),
  page: z.coerce.number().int().min(1).max(10_000).catch(1),
});
export type AssignmentListQuery = z.infer<typeof listQuery>;

export function readListQuery(raw: unknown): AssignmentListQuery {
  const r = (raw ?? {}) as Record<string, unknown>;
  return listQuery.parse({ show: r.show ?? 'todo', q: r.q ?? '', page: r.page ?? 1 });
}

function matches(a: AssignmentView, q: string): boolean {
  if (!q) return true;
  const needle = q.toLowerCase();
  return [a.branchName, a.branchCode, a.scenario, a.quarter].some((s) => (s ?? '').toLowerCase().includes(needle));
}

export function assignmentList(ctx: PageContext, all: AssignmentView[], q: AssignmentListQuery, now = new Date()) {
  const found = all.filter((a) => matches(a, q.q));
  const todo = agendaOrder(found, now, 'todo');
  const done = agendaOrder(found, now, 'done');
  const list = q.show === 'done' ? done : todo;
  const pages = Math.max(1, Math.ceil(list.length / PAGE_SIZE));
  const page = Math.min(q.page, pages);
  const href = (over: Partial<AssignmentListQuery>) => {
    const p = { ...q, page, ...over };
    const params = new URLSearchParams({ show: p.show, ...(p.q ? { q: p.q } : {}), page: String(p.page) });
    return `/assignments?${params.toString()}`;
  };
  return {
    rows: list.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE),
    filters: {
      q: q.q,
      tabs: (['todo', 'done'] as const).map((show) => ({
        href: href({ show, page: 1 }),
        label: ctx.t(`visits.assign.show_${show}`, { n: show === 'todo' ? todo.length : done.length }),
        current: q.show === show,
      })),
      show: q.show,
    },
    paging:
      pages > 1
        ? {
            text: ctx.t('visits.assign.page_of', { page, pages }),
            prev: page > 1 ? href({ page: page - 1 }) : null,
            next: page < pages ? href({ page: page + 1 }) : null,
          }
        : null,
    empty: q.q ? ctx.t('visits.assign.none_found', { q: q.q }) : ctx.t(`visits.assign.none_${q.show}`),
  };
}
