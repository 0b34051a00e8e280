import type { Router } from 'express';
import { z } from 'zod';
import { requireFile } from '../platform/http/uploads';
import { fields, parseBody, parseQuery } from '../platform/http/validation';
import { answerInWords, inLang } from '../rules/answer-words';
import { formatScore, type AnswerValue } from '../rules/scoring';
import type { QuestionnaireItem } from '../questionnaires/service';
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
const text = (ctx: PageContext, t: { zh: string; en: string }) => inLang(t, ctx.locale);
type Item = QuestionnaireItem & { sectionKey: string };
/** An answer in words (option text, 是/否, number with unit), never a raw value; "–" where there is none. */
const shown = (ctx: PageContext, item: Item | undefined, v: unknown) =>
  v === null || v === undefined ? '–' : answerInWords(item, v, ctx.locale);

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
          answer: answerInWords(version.items.get(i.key), answers.get(i.key), ctx.locale),
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
      flash(ctx.req, 'ok', ctx.t('disputes.flash.opened', { item: text(ctx, d.itemText) }));
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
      title: ctx.t('disputes.show.title', { item: text(ctx, d.itemText) }),
      d: {
        ...d,
        itemLabel: text(ctx, d.itemText),
        statusLabel: ctx.t(`disputes.status.${d.status}`),
        valueAtOpening: shown(ctx, item, d.valueAtOpening),
        section: ctx.t(`results.section.${d.sectionKey}`),
      },
      resolution: d.resolution
        ? {
            ...d.resolution,
            decisionLabel: ctx.t(`disputes.status.${d.resolution.decision}`),
            value: shown(ctx, item, d.resolution.value),
            totalBefore: formatScore(totalOf(d.resolution.before)),
            totalAfter: formatScore(totalOf(d.resolution.after)),
          }
        : null,
      canResolve: open && disputes.RESOLVER.includes(ctx.user.role),
      canAttach: open && disputes.OPENER.includes(ctx.user.role),
      input: item ? valueInput(ctx, item, form.values) : null,
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

/**
 * The corrected answer's control for the item's type: a list of the answers it can have (yes/no,
 * 1–5, options), a number box, the options to tick (multiple choice) or a text box.
 */
function valueInput(ctx: PageContext, item: Item, posted: Record<string, unknown>) {
  const na = item.allowNA ? [{ value: 'na', label: answerInWords(item, 'na', ctx.locale) }] : [];
  const choices =
    item.type === 'yes_no'
      ? ['yes', 'no'].map((v) => ({ value: v, label: answerInWords(item, v, ctx.locale) }))
      : item.type === 'scale'
        ? [1, 2, 3, 4, 5].map((v) => ({ value: String(v), label: answerInWords(item, v, ctx.locale) }))
        : item.type === 'choice'
          ? (item.options ?? []).map((o) => ({ value: o.key, label: inLang(o.text, ctx.locale) }))
          : [];
  return {
    kind:
      item.type === 'multi' ? 'multi' : item.type === 'number' ? 'number' : item.type === 'text' ? 'text' : 'select',
    choices: [...choices, ...na].map((c) => ({ ...c, selected: posted.value === c.value })),
    options: (item.options ?? []).map((o) => ({
      key: o.key,
      label: inLang(o.text, ctx.locale),
      checked: posted[`value:${o.key}`] !== undefined,
    })),
    none: posted['value:_none'] !== undefined,
    value: typeof posted.value === 'string' ? posted.value : '',
    unit: inLang(item.unit, ctx.locale),
    min: item.min,
    max: item.max,
  };
}

/**
 * The posted corrected answer, read by the item's type: a number, the ticked options of a multiple
 * choice (`value:<option>`, `value:_none` for none of them), else the text or key as sent.
 */
function answerValue(item: Item | undefined, f: Record<string, string>): AnswerValue | undefined {
  const raw = (f.value ?? '').trim();
  if (raw === 'na') return 'na';
  if (item?.type === 'multi') {
    const chosen = (item.options ?? []).map((o) => o.key).filter((k) => f[`value:${k}`] !== undefined);
    return chosen.length || f['value:_none'] !== undefined ? chosen : undefined;
  }
  if (raw === '') return undefined;
  if (item?.type === 'scale' || item?.type === 'number') return Number.isFinite(Number(raw)) ? Number(raw) : raw;
  return raw;
}

const showPage = page(disputes.READERS, (ctx) => showDispute(ctx, emptyForm()));

const resolveAction = page(disputes.RESOLVER, async (ctx) => {
  const id = param(ctx.req, 'disputeId');
  const f = formBody(ctx.req);
  const d = await disputes.getDispute(ctx.user, id);
  const item = (await versionOf(d.questionnaireId, d.questionnaireVersion)).items.get(d.itemKey);
  const value = answerValue(item, f);
  const input = { decision: f.decision ?? '', note: f.note ?? '', ...(value === undefined ? {} : { value }) };
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
