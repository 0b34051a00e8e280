import type { Router } from 'express';
import { z } from 'zod';
import { bankTimezone, findBranch, listBanks } from '../banks/service';
import { isBankRole } from '../platform/access';
import { fields, parseBody, parseQuery } from '../platform/http/validation';
import { shiftQuarter, quarterOf } from '../rules/quarters';
import { quarterResults } from '../results/service';
import { formatScore } from '../rules/scoring';
import { attempt, emptyForm, formBody, param, type FormBody, type FormState } from '../web/forms';
import { flash, page, render, type PageContext } from '../web/render';
import { PLAN_STATUSES } from './model';
import type { QuarterRate } from './outcome';
import { bankToday, checkDueDate, planForm, planLinks } from './plan-form';
import { createPlanBody, updatePlanBody } from './schema';
import * as plans from './service';

/** The action plans page: the quarter's plans with their outcome, the key problems and violations to plan for. */
export function registerActionPlanPages(r: Router): void {
  r.get('/actions', listPage);
  r.post('/actions', createAction);
  r.post('/actions/:planId/status', statusAction);
}

const listQuery = z.object({
  bankId: fields.objectId.optional(),
  quarter: fields.quarter.optional(),
  status: z.enum(PLAN_STATUSES).optional(),
  // Pre-filled form fields (from a key problem or violation link).
  kind: z.enum(['key_problem', 'violation']).optional(),
  itemKey: z.string().max(80).optional(),
  visitId: fields.objectId.optional(),
});
type ListQuery = z.infer<typeof listQuery>;

const FORM_FIELDS = {
  kind: 'kind',
  itemKey: 'itemKey',
  visitId: 'visitId',
  'scope.region': 'region',
  'scope.branchCode': 'branchCode',
  scope: 'scopeType',
  action: 'action',
  owner: 'owner',
  dueDate: 'dueDate',
  bankId: 'itemKey',
  quarter: 'itemKey',
};
const rate = (r: QuarterRate) => (r.failureRate === null ? '–' : `${formatScore(r.failureRate * 100)}%`);
const pick = (t: { zh: string; en: string }, ctx: PageContext) => (ctx.locale === 'en' ? t.en : t.zh);

async function context(ctx: PageContext, q: ListQuery): Promise<{ bankId?: string; quarter: string }> {
  const bankId = isBankRole(ctx.user.role) ? ctx.user.bankId : q.bankId;
  const timezone = (bankId ? await bankTimezone(bankId) : null) ?? 'Asia/Shanghai';
  return { bankId, quarter: q.quarter ?? shiftQuarter(quarterOf(new Date(), timezone), -1) };
}

async function show(ctx: PageContext, q: ListQuery, form: FormState, status = 200): Promise<void> {
  const { bankId, quarter } = await context(ctx, q);
  const banks =
    ctx.user.role === 'admin' ? (await listBanks(ctx.user)).map((b) => ({ ...b, selected: b.id === bankId })) : [];
  const canWrite = plans.PLAN_WRITERS.includes(ctx.user.role);
  const rows = bankId ? await plans.listPlans(ctx.user, { bankId, quarter, status: q.status }) : [];
  const results = bankId && canWrite ? await quarterResults(ctx.user, { bankId, quarter }, new Set()) : null;
  const branchNames = new Map<string, string>();
  for (const code of new Set(rows.flatMap((p) => (p.scope.branchCode ? [p.scope.branchCode] : []))))
    branchNames.set(code, (await findBranch(bankId ?? '', code))?.name ?? code);
  render(
    ctx.req,
    ctx.res,
    'pages/actions/list',
    {
      title: ctx.t('actions.title'),
      banks,
      bankId,
      quarter,
      next: shiftQuarter(quarter, 1),
      canWrite,
      chooseBank: !bankId,
      statuses: PLAN_STATUSES.map((s) => ({ value: s, label: ctx.t(`actions.status.${s}`), selected: s === q.status })),
      plans: rows.map((p) => ({
        ...p,
        itemLabel: pick(p.itemText, ctx),
        statusLabel: ctx.t(`actions.status.${p.status}`),
        done: p.status === 'done',
        scopeLabel:
          p.scope.type === 'bank'
            ? ctx.t('actions.scope.bank')
            : p.scope.type === 'region'
              ? `${ctx.t('actions.scope.region')} ${p.scope.region}`
              : `${ctx.t('actions.scope.branch')} ${branchNames.get(p.scope.branchCode ?? '') ?? p.scope.branchCode}`,
        outcomeLabel: ctx.t(`actions.outcome.${p.outcome.status}`),
        before: rate(p.outcome.before),
        after: rate(p.outcome.after),
      })),
      ...(bankId && canWrite ? await planLinks(ctx, bankId, quarter, results) : {}),
      planForm: bankId && canWrite ? await planForm(ctx, bankId, results, form) : null,
      focus: results?.focus,
      form,
      kinds: ['key_problem', 'violation'].map((k) => ({
        value: k,
        label: ctx.t(`actions.kind.${k}`),
        selected: (form.values.kind ?? 'key_problem') === k,
      })),
      scopeTypes: ['bank', 'region', 'branch'].map((s) => ({
        value: s,
        label: ctx.t(`actions.scope.${s}`),
        selected: form.values.scopeType === s,
      })),
    },
    status,
  );
}

const listPage = page(plans.PLAN_READERS, async (ctx) => {
  const q = parseQuery(listQuery, ctx.req.query);
  await show(
    ctx,
    q,
    emptyForm({
      kind: q.kind ?? 'key_problem',
      itemKey: q.itemKey ?? '',
      visitId: q.visitId ?? '',
      scopeType: defaultScope(ctx),
    }),
  );
});

/** The widest area the manager may plan for. */
function defaultScope(ctx: PageContext): string {
  const s = ctx.user.scope;
  return s?.type === 'region' ? 'region' : s?.type === 'branches' ? 'branch' : 'bank';
}

function planInput(ctx: PageContext, quarter: string, f: FormBody): Record<string, unknown> {
  const content = { action: f.action ?? '', owner: f.owner ?? '', dueDate: f.dueDate ?? '' };
  if (f.kind === 'violation')
    return { kind: 'violation', visitId: f.visitId ?? '', itemKey: f.itemKey ?? '', ...content };
  const region = f.region || (ctx.user.scope?.type === 'region' ? ctx.user.scope.region : '');
  const scope =
    f.scopeType === 'region'
      ? { type: 'region', region }
      : f.scopeType === 'branch'
        ? { type: 'branch', branchCode: f.branchCode ?? '' }
        : { type: 'bank' };
  return { kind: 'key_problem', bankId: ctx.user.bankId ?? '', quarter, itemKey: f.itemKey ?? '', scope, ...content };
}

const createAction = page(plans.PLAN_WRITERS, async (ctx) => {
  const q = parseQuery(listQuery, ctx.req.query);
  const { quarter } = await context(ctx, q);
  const f = formBody(ctx.req);
  const input = planInput(ctx, quarter, f);
  await attempt(
    ctx.locale,
    { fields: FORM_FIELDS, input, values: f, messages: 'feedback.err', notFoundIsFixable: true },
    async () => {
      const body = parseBody(createPlanBody, input);
      checkDueDate(ctx, body.dueDate, await bankToday(ctx.user.bankId ?? ''));
      const p = await plans.createPlan(ctx.user, body);
      flash(ctx.req, 'ok', ctx.t('actions.flash.created', { item: pick(p.itemText, ctx) }));
      ctx.res.redirect(303, `/actions?quarter=${p.quarter}`);
    },
    (state, status) => show(ctx, { ...q, quarter }, state, status),
  );
});

const statusAction = page(plans.PLAN_WRITERS, async (ctx) => {
  const f = formBody(ctx.req);
  const p = await plans.updatePlan(
    ctx.user,
    param(ctx.req, 'planId'),
    parseBody(updatePlanBody, { status: f.status ?? '' }),
  );
  flash(
    ctx.req,
    'ok',
    ctx.t(p.status === 'done' ? 'actions.flash.done' : 'actions.flash.reopened', { item: pick(p.itemText, ctx) }),
  );
  ctx.res.redirect(303, `/actions?quarter=${p.quarter}`);
});
