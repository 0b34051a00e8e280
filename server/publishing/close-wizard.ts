import { z } from 'zod';
import { allBranches, getBank } from '../banks/service';
import { listDisputes } from '../disputes/service';
import { fields, parseQuery } from '../platform/http/validation';
import { quarterOf } from '../rules/quarters';
import { quarterProgress } from '../visits/service';
import { page, render, type PageContext } from '../web/render';
import * as reports from './service';

/**
 * Closing a quarter as a short wizard (issue 20): the admin picks the bank and quarter, then sees
 * what still holds the quarter (visits in review, open disputes, branches without a counted visit,
 * a quarter not yet over), the exact recipients the report will be e-mailed to, and confirms.
 * Nothing is queued or sent before that confirmation.
 */
const checkQuery = z.object({ bankId: fields.objectId, quarter: fields.quarter });
const UNCOVERED_SHOWN = 30;

async function readiness(ctx: PageContext, bankId: string, quarter: string) {
  const bank = await getBank(ctx.user, bankId);
  const [progress, open, branches, existing] = await Promise.all([
    quarterProgress(ctx.user, bankId, quarter),
    listDisputes(ctx.user, { bankId, quarter }),
    allBranches(ctx.user, bankId),
    reports.reportSummaries(ctx.user, { bankId, quarter }),
  ]);
  const inReview = (progress.byStatus.submitted ?? 0) + (progress.byStatus.returned ?? 0);
  const drafts = progress.byStatus.draft ?? 0;
  const undecided = open.filter((d) => d.status === 'open' || d.status === 'resolving').length;
  const counted = new Set(progress.countedBranches);
  const uncovered = branches.filter((b) => !counted.has(b.code));
  const notOver = quarter >= quarterOf(new Date(), bank.timezone);
  const check = (ok: boolean, text: string) => ({ ok, text });
  return {
    bank,
    checks: [
      check(!notOver, notOver ? ctx.t('close.not_over', { quarter }) : ctx.t('close.over', { quarter })),
      check(inReview === 0, ctx.t('close.in_review', { n: inReview })),
      check(drafts === 0, ctx.t('close.drafts', { n: drafts })),
      check(undecided === 0, ctx.t('close.disputes', { n: undecided })),
      check(
        uncovered.length === 0,
        ctx.t('close.coverage', { visited: branches.length - uncovered.length, total: branches.length }),
      ),
    ],
    uncovered: uncovered.slice(0, UNCOVERED_SHOWN).map((b) => `${b.name} (${b.code})`),
    uncoveredMore: Math.max(0, uncovered.length - UNCOVERED_SHOWN),
    version: existing.reduce((max, r) => Math.max(max, r.version), 0) + 1,
    recipients: bank.reportRecipients,
  };
}

export const closeCheckPage = page(['admin'], async (ctx) => {
  const { bankId, quarter } = parseQuery(checkQuery, ctx.req.query);
  const r = await readiness(ctx, bankId, quarter);
  render(ctx.req, ctx.res, 'pages/reports/close-check', {
    title: ctx.t('close.title', { quarter }),
    quarter,
    ...r,
    allReady: r.checks.every((c) => c.ok),
  });
});
