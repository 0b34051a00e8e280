import type { Router } from 'express';
import { z } from 'zod';
import { requireFile } from '../platform/http/uploads';
import { fields, parseBody, parseQuery } from '../platform/http/validation';
import { formatScore } from '../rules/scoring';
import { getVisit } from '../visits/service';
import { attempt, emptyForm, formBody, param, runUpload, type FormState } from '../web/forms';
import { flash, page, render, type PageContext } from '../web/render';
import { addDisputeAttachment, disputeEvidenceUpload, type DisputeUpload } from './evidence';
import { DISPUTE_STATUSES } from './model';
import { openDisputeBody, resolveDisputeBody } from './schema';
import * as disputes from './service';
import { versionOf } from './versions';

/** Dispute pages: the list, opening a dispute on a visit (bank manager), one dispute with the reviewer's decision. */
export function registerDisputePages(r: Router): void {
  r.get('/disputes', listPage);
  r.get('/disputes/new', newPage);
  r.post('/disputes/new', createAction);
  r.get('/disputes/:disputeId', showPage);
  r.post('/disputes/:disputeId/resolve', resolveAction);
  r.post('/disputes/:disputeId/attachments', uploadAction);
}

const listQuery = z.object({
  quarter: fields.quarter.optional(),
  status: z.enum(DISPUTE_STATUSES).optional(),
  bankId: fields.objectId.optional(),
});
const text = (ctx: PageContext, t: { zh: string; en: string }) => (ctx.locale === 'en' ? t.en : t.zh) || t.en || t.zh;
const shown = (v: unknown) => (v === null || v === undefined ? '–' : String(v));

const listPage = page(disputes.READERS, async (ctx) => {
  const q = parseQuery(listQuery, ctx.req.query);
  const rows = await disputes.listDisputes(ctx.user, q);
  render(ctx.req, ctx.res, 'pages/disputes/list', {
    title: ctx.t('disputes.title'),
    q,
    statuses: DISPUTE_STATUSES.map((s) => ({
      value: s,
      label: ctx.t(`disputes.status.${s}`),
      selected: s === q.status,
    })),
    firm: ctx.user.role !== 'bank_manager',
    rows: rows.map((d) => ({
      ...d,
      itemLabel: text(ctx, d.itemText),
      statusLabel: ctx.t(`disputes.status.${d.status}`),
      open: d.status === 'open',
      decision: d.resolution ? ctx.t(`disputes.status.${d.resolution.decision}`) : '',
    })),
  });
});

// ---- opening a dispute ----

const newQuery = z.object({ visitId: fields.objectId });

async function showNew(ctx: PageContext, visitId: string, form: FormState, status = 200): Promise<void> {
  const visit = await getVisit(ctx.user, visitId);
  const version = await versionOf(visit.questionnaireId, visit.questionnaireVersion);
  const answers = new Map(visit.answers.map((a) => [a.itemKey, a.value]));
  const approvedAt = visit.approvedAt ? new Date(visit.approvedAt) : null;
  render(
    ctx.req,
    ctx.res,
    'pages/disputes/new',
    {
      title: ctx.t('disputes.new.title'),
      visit: { ...visit, total: formatScore(visit.scores.total) },
      closesAt: approvedAt ? disputes.windowClosesAt(approvedAt).toISOString() : null,
      items: version.sections.flatMap((s) =>
        s.items.map((i) => ({
          key: i.key,
          label: text(ctx, version.texts.get(i.key) ?? { zh: i.key, en: i.key }),
          section: ctx.t(`results.section.${s.key}`),
          answer: shown(answers.get(i.key)),
          selected: form.values.itemKey === i.key,
        })),
      ),
      form,
    },
    status,
  );
}

const newPage = page(disputes.OPENER, async (ctx) => {
  const { visitId } = parseQuery(newQuery, ctx.req.query);
  await showNew(ctx, visitId, emptyForm());
});

const createAction = page(disputes.OPENER, async (ctx) => {
  const { visitId } = parseQuery(newQuery, ctx.req.query);
  const f = formBody(ctx.req);
  const input = { itemKey: f.itemKey ?? '', reason: f.reason ?? '' };
  await attempt(
    ctx.locale,
    {
      fields: { itemKey: 'itemKey', reason: 'reason', visitId: 'itemKey' },
      input,
      values: f,
      messages: 'feedback.err',
    },
    async () => {
      const d = await disputes.openDispute(ctx.user, visitId, parseBody(openDisputeBody, input));
      flash(ctx.req, 'ok', ctx.t('disputes.flash.opened', { item: d.itemKey }));
      ctx.res.redirect(303, `/disputes/${d.id}`);
    },
    (state, status) => showNew(ctx, visitId, state, status),
  );
});

// ---- one dispute ----

async function showDispute(ctx: PageContext, form: FormState, status = 200): Promise<void> {
  const d = await disputes.getDispute(ctx.user, param(ctx.req, 'disputeId'));
  const item = (await versionOf(d.questionnaireId, d.questionnaireVersion)).items.get(d.itemKey);
  const open = d.status === 'open';
  render(
    ctx.req,
    ctx.res,
    'pages/disputes/show',
    {
      title: ctx.t('disputes.show.title', { item: d.itemKey }),
      d: {
        ...d,
        itemLabel: text(ctx, d.itemText),
        statusLabel: ctx.t(`disputes.status.${d.status}`),
        valueAtOpening: shown(d.valueAtOpening),
        section: ctx.t(`results.section.${d.sectionKey}`),
      },
      resolution: d.resolution
        ? {
            ...d.resolution,
            decisionLabel: ctx.t(`disputes.status.${d.resolution.decision}`),
            value: shown(d.resolution.value),
            totalBefore: formatScore(totalOf(d.resolution.before)),
            totalAfter: formatScore(totalOf(d.resolution.after)),
          }
        : null,
      canResolve: open && disputes.RESOLVER.includes(ctx.user.role),
      canAttach: open && disputes.OPENER.includes(ctx.user.role),
      values: item ? valueOptions(ctx, item, form.values.value) : [],
      decisions: ['upheld', 'overturned'].map((v) => ({
        value: v,
        label: ctx.t(`disputes.status.${v}`),
        selected: form.values.decision === v,
      })),
      form,
    },
    status,
  );
}

const totalOf = (figures: unknown): number | null => {
  const t = (figures as { scores?: { total?: unknown } } | null)?.scores?.total;
  return typeof t === 'number' ? t : null;
};

type ItemFacts = { type: 'yes_no' | 'scale'; allowNA: boolean };

function valueOptions(ctx: PageContext, item: ItemFacts, selected: unknown) {
  const values: (string | number)[] = item.type === 'scale' ? [1, 2, 3, 4, 5] : ['yes', 'no'];
  if (item.allowNA) values.push('na');
  return values.map((v) => ({
    value: v,
    label: typeof v === 'number' ? String(v) : ctx.t(`disputes.answer.${v}`),
    selected: String(selected) === String(v),
  }));
}

/** A posted answer value: digits are a scale value, anything else a yes/no/na word; empty is "not given". */
function answerValue(raw: string | undefined): string | number | undefined {
  const v = (raw ?? '').trim();
  if (v === '') return undefined;
  return /^\d+$/.test(v) ? Number(v) : v;
}

const showPage = page(disputes.READERS, (ctx) => showDispute(ctx, emptyForm()));

const resolveAction = page(disputes.RESOLVER, async (ctx) => {
  const id = param(ctx.req, 'disputeId');
  const f = formBody(ctx.req);
  const input = {
    decision: f.decision ?? '',
    note: f.note ?? '',
    ...(answerValue(f.value) === undefined ? {} : { value: answerValue(f.value) }),
  };
  await attempt(
    ctx.locale,
    { fields: { decision: 'decision', value: 'value', note: 'note' }, input, values: f, messages: 'feedback.err' },
    async () => {
      const d = await disputes.resolveDispute(ctx.user, id, parseBody(resolveDisputeBody, input));
      flash(ctx.req, 'ok', ctx.t('disputes.flash.resolved', { decision: ctx.t(`disputes.status.${d.status}`) }));
      ctx.res.redirect(303, `/disputes/${id}`);
    },
    (state, status) => showDispute(ctx, state, status),
  );
});

const uploadAction = page(disputes.OPENER, async (ctx) => {
  const id = param(ctx.req, 'disputeId');
  await attempt(
    ctx.locale,
    { fields: {}, input: {}, values: {}, messages: 'feedback.err' },
    async () => {
      await runUpload(disputeEvidenceUpload(), ctx.req, ctx.res);
      const file = await addDisputeAttachment(ctx.user, id, (requireFile(ctx.req) as DisputeUpload).evidence);
      flash(ctx.req, 'ok', ctx.t('disputes.flash.attached', { name: file.filename }));
      ctx.res.redirect(303, `/disputes/${id}`);
    },
    (state, status) => showDispute(ctx, state, status),
  );
});
