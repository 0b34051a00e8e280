import type { Router } from 'express';
import { z } from 'zod';
import { isBankRole } from '../platform/access';
import { NotFoundError } from '../platform/errors';
import { fields, parseQuery } from '../platform/http/validation';
import { plusMinus } from '../results/service';
import { formatScore } from '../rules/scoring';
import { showTime } from '../web/local-time';
import { param } from '../web/forms';
import { page, render } from '../web/render';
import * as hr from './service';

/**
 * One staff member's quarter scorecard with the visits it rests on (issue 18): when (in the bank's
 * time zone, named), where, each visit's total, its dispute state, and the auditor by pseudonym only.
 */
export function registerStaffPage(r: Router): void {
  r.get('/hr/scorecards/:employeeId', staffPage);
}

const query = z.object({ bankId: fields.objectId.optional(), quarter: fields.quarter });

const staffPage = page(hr.HR_READERS, async (ctx) => {
  const q = parseQuery(query, ctx.req.query);
  const employeeId = param(ctx.req, 'employeeId');
  const bankId = isBankRole(ctx.user.role) ? ctx.user.bankId : q.bankId;
  if (!bankId) throw new NotFoundError('Staff member');
  const listed = await hr.staffScoreVisits(ctx.user, employeeId, { bankId, quarter: q.quarter });
  const card = (await hr.staffScorecards(ctx.user, { bankId, quarter: q.quarter })).rows.find(
    (r) => r.employeeId === employeeId,
  );
  const back = new URLSearchParams({ ...(isBankRole(ctx.user.role) ? {} : { bankId }), quarter: q.quarter });
  render(ctx.req, ctx.res, 'pages/hr/staff', {
    title: `${listed.name} · ${q.quarter}`,
    backHref: `/hr/scorecards?${back.toString()}`,
    listed,
    card: card && {
      n: card.n,
      totalText: formatScore(card.total),
      pm: plusMinus(card),
      smallSample: card.smallSample,
      disputed: card.disputed,
    },
    visits: listed.visits.map((v) => ({
      ...v,
      when: showTime(v.visitedAt, listed.timezone),
      totalText: formatScore(v.total),
    })),
  });
});
