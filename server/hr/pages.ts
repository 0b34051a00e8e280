import type { Response, Router } from 'express';
import { z } from 'zod';
import { bankTimezone, listBanks } from '../banks/service';
import { isBankRole } from '../platform/access';
import { fields, parseBody, parseQuery } from '../platform/http/validation';
import { quarterOf } from '../rules/quarters';
import { formatScore, SECTION_KEYS } from '../rules/scoring';
import { attempt, blankToUndefined, emptyForm, formBody, type FormState } from '../web/forms';
import { flash, page, render, type PageContext } from '../web/render';
import { exportName, scorecardsCsv, scorecardsXlsx, type PeopleEdition } from './export';
import { plusMinus, verdict } from '../results/service';
import { branchesOf, branchLabel } from './branches';
import { linkReviewBody } from './schema';
import * as hr from './service';
import { registerStaffPage } from './staff-page';

/** The HR scorecards page: a quarter's staff scorecards, exports, and linking a scorecard to a review. */
export function registerHrPages(r: Router): void {
  r.get('/hr/scorecards', scorecardsPage);
  r.get('/hr/scorecards.csv', csvDownload);
  r.get('/hr/scorecards.xlsx', xlsxDownload);
  r.post('/hr/reviews', linkAction);
  registerStaffPage(r);
}

const pageQuery = z.object({ bankId: fields.objectId.optional(), quarter: fields.quarter.optional() });
type PageQuery = z.infer<typeof pageQuery>;

function signed(v: number | null): string {
  if (v === null) return '';
  const s = formatScore(v);
  return v > 0 && s !== '0.0' ? `+${s}` : s;
}

/** HR looks at its own bank; the admin picks one. The quarter defaults to the current one in the bank's time zone. */
async function where(ctx: PageContext, q: PageQuery): Promise<{ bankId?: string; quarter: string }> {
  const bankId = isBankRole(ctx.user.role) ? ctx.user.bankId : q.bankId;
  const timezone = (bankId ? await bankTimezone(bankId) : null) ?? 'Asia/Shanghai';
  return { bankId, quarter: q.quarter ?? quarterOf(new Date(), timezone) };
}

const link = (path: string, bankId: string | undefined, quarter: string, admin: boolean) =>
  `${path}?${new URLSearchParams({ ...(admin && bankId ? { bankId } : {}), quarter }).toString()}`;

async function show(ctx: PageContext, q: PageQuery, form: FormState, status = 200): Promise<void> {
  const { bankId, quarter } = await where(ctx, q);
  const admin = ctx.user.role === 'admin';
  const banks = admin ? (await listBanks(ctx.user)).map((b) => ({ ...b, selected: b.id === bankId })) : [];
  const cards = bankId ? await hr.staffScorecards(ctx.user, { bankId, quarter }) : null;
  const reviews = bankId ? await hr.quarterReviews(ctx.user, bankId, quarter) : [];
  const branches = bankId
    ? await branchesOf(
        bankId,
        (cards?.rows ?? []).map((r) => r.branchCode),
      )
    : new Map();
  render(
    ctx.req,
    ctx.res,
    'pages/hr/scorecards',
    {
      title: ctx.t('hr.title'),
      banks,
      bankId,
      quarter,
      chooseBank: !bankId,
      canLink: hr.HR_WRITERS.includes(ctx.user.role),
      previousQuarter: cards?.previousQuarter,
      csvHref: link('/hr/scorecards.csv', bankId, quarter, admin),
      xlsxHref: link('/hr/scorecards.xlsx', bankId, quarter, admin),
      sectionLabels: SECTION_KEYS.map((k) => ctx.t(`results.section.${k}`)),
      rows: (cards?.rows ?? []).map((r) => ({
        ...r,
        branch: branchLabel(r.branchCode, branches.get(r.branchCode)),
        cells: SECTION_KEYS.map((k) => formatScore(r.sections[k])),
        totalText: formatScore(r.total),
        pm: plusMinus(r),
        verdict: r.changeTest ? verdict(ctx, { delta: r.change ?? 0, ...r.changeTest }) : null,
        previousText: r.previous ? formatScore(r.previous.total) : '–',
        changeText: signed(r.change),
        changeClass: r.change === null ? '' : r.change > 0.05 ? 'up' : r.change < -0.05 ? 'down' : 'flat',
        selected: form.values.employeeId === r.employeeId,
        visitsHref: link(`/hr/scorecards/${encodeURIComponent(r.employeeId)}`, bankId, quarter, admin),
      })),
      reviews: reviews.map((r) => ({ ...r, totalText: formatScore(r.snapshot.total), pm: plusMinus(r.snapshot) })),
      smallSamples: (cards?.rows ?? []).filter((r) => r.smallSample).length,
      form,
    },
    status,
  );
}

const scorecardsPage = page(hr.HR_READERS, async (ctx) => {
  await show(ctx, parseQuery(pageQuery, ctx.req.query), emptyForm());
});

function download(kind: 'csv' | 'xlsx') {
  return page(hr.HR_READERS, async (ctx) => {
    const { bankId, quarter } = await where(ctx, parseQuery(pageQuery, ctx.req.query));
    const s = await hr.staffScorecards(ctx.user, { bankId, quarter });
    await hr.noteExport(ctx.user, s, kind);
    const people = await peopleEdition(ctx, s);
    const visits = await hr.scorecardVisits(ctx.user, s);
    send(
      ctx.res,
      kind === 'csv' ? 'text/csv; charset=utf-8' : 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
      exportName(s, kind),
      kind === 'csv' ? scorecardsCsv(s, visits, people) : await scorecardsXlsx(s, visits, people),
    );
  });
}

/** The download a person makes from the page: headers in their language, branch names and regions. */
async function peopleEdition(ctx: PageContext, s: hr.Scorecards): Promise<PeopleEdition> {
  const sections = new Set<string>(SECTION_KEYS);
  return {
    header: (c) => (sections.has(c) ? ctx.t(`results.section.${c}`) : ctx.t(`hr.col.${c}`)),
    yes: ctx.t('hr.col.yes'),
    no: ctx.t('hr.col.no'),
    branches: await branchesOf(
      s.bankId,
      s.rows.map((r) => r.branchCode),
    ),
  };
}

function send(res: Response, type: string, name: string, body: Buffer): void {
  res
    .status(200)
    .attachment(name)
    .set({ 'Content-Type': type, 'Cache-Control': 'private, no-store', 'X-Content-Type-Options': 'nosniff' })
    .send(body);
}

const csvDownload = download('csv');
const xlsxDownload = download('xlsx');

const linkAction = page(hr.HR_WRITERS, async (ctx) => {
  const f = formBody(ctx.req);
  const quarter = f.quarter ?? '';
  const input = {
    bankId: ctx.user.bankId ?? '',
    quarter,
    reviewRef: f.reviewRef ?? '',
    note: blankToUndefined(f.note),
  };
  await attempt(
    ctx.locale,
    {
      fields: { reviewRef: 'reviewRef', note: 'note', quarter: 'employeeId' },
      input,
      values: f,
      messages: 'feedback.err',
      notFoundIsFixable: true,
    },
    async () => {
      const r = await hr.linkReview(ctx.user, f.employeeId ?? '', parseBody(linkReviewBody, input));
      const linked = ctx.t('hr.flash.linked', { name: r.name, ref: r.reviewRef, total: formatScore(r.snapshot.total) });
      // A review resting on one or two visits is linked, but never silently.
      flash(
        ctx.req,
        'ok',
        r.snapshot.smallSample ? `${linked} ${ctx.t('hr.flash.small_sample', { n: r.snapshot.n })}` : linked,
      );
      ctx.res.redirect(303, `/hr/scorecards?quarter=${encodeURIComponent(r.quarter)}`);
    },
    (state, status) => show(ctx, { quarter: /^\d{4}-Q[1-4]$/.test(quarter) ? quarter : undefined }, state, status),
  );
});
