import type { Router } from 'express';
import { page, render, type PageContext } from '../web/render';
import { auditorCards } from './auditor';
import { hrCards, managerCards } from './bank';
import type { TodoCard } from './cards';
import { adminCards, reviewerCards } from './firm';

/** The home page of each role is its to-do list (issue 20): what needs doing first, and where to go when nothing does. */
const BUILDERS: Record<string, (ctx: PageContext) => Promise<TodoCard[]>> = {
  auditor: auditorCards,
  reviewer: reviewerCards,
  admin: adminCards,
  bank_manager: managerCards,
  hr: hrCards,
};

export const homePage = page('authenticated', async (ctx) => {
  const build = BUILDERS[ctx.user.role];
  // What has something to do comes first; empty cards keep their order below it.
  const cards = (build ? await build(ctx) : []).sort((a, b) => Number(a.count === 0) - Number(b.count === 0));
  render(ctx.req, ctx.res, 'pages/home', {
    title: ctx.t('nav.home'),
    roleLabel: ctx.t(`role.${ctx.user.role}`),
    cards,
    nothing: cards.every((c) => c.count === 0),
  });
});

export function registerHomePages(r: Router): void {
  r.get('/', homePage);
}
