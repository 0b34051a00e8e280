import type { Router } from 'express';
import { listBanks } from '../banks/service';
import { toAppError } from '../platform/http/error-handler';
import { parseBody } from '../platform/http/validation';
import { answerInWords, failureInWords, inLang } from '../rules/answer-words';
import { SECTION_KEYS } from '../rules/scoring';
import { formBody, localizeMessage, param } from '../web/forms';
import { flash, page, render, type PageContext } from '../web/render';
import { editorMessage, placeError } from './editor-errors';
import { postedState, stateFrom, toSections, type Built, type EditorState } from './editor-form';
import { previewOf, renderPreview } from './editor-preview';
import { createQuestionnaireBody, updateQuestionnaireBody } from './schema';
import * as service from './service';

/**
 * Admin pages for questionnaires. The editor is a plain form of item cards (editor-form.ts), turned
 * into the API's body and checked by the same schema; a small script shows each item's type-specific
 * fields, adds items, options and bands, and keeps a live preview of the phone form beside it
 * (POST /admin/questionnaires/preview: the same schema's verdict and the phone form's own controls).
 */
const ADMIN = ['admin'] as const;
const EMPTY_ROWS = 1;
const NEW_ROWS = 2;

/** Saves the form; a fixable error shows the form again with each message at its row. */
async function save(
  ctx: PageContext,
  state: EditorState,
  action: (built: Built) => Promise<void>,
  reshow: (s: EditorState, status: number) => Promise<void>,
): Promise<void> {
  const built = toSections(state);
  try {
    await action(built);
  } catch (e) {
    const err = toAppError(e);
    if (err.status !== 422 && err.status !== 409 && err.status !== 400) throw e;
    state.general.push(localizeMessage(ctx.locale, err.message, err.code));
    for (const d of err.details) placeError(state, built, d, editorMessage(ctx.locale, ctx.t, d), ctx.t);
    await reshow(state, err.status);
  }
}

// ---- pages

const isObjectId = (v: unknown): v is string => typeof v === 'string' && /^[a-f0-9]{24}$/i.test(v);
const ITEM_TYPE_CHOICES = ['yes_no', 'scale', 'number', 'choice', 'multi', 'text'] as const;
const sectionLabels = (t: PageContext['t']) =>
  Object.fromEntries(SECTION_KEYS.map((k) => [k, t(`questionnaires.section.${k}`)]));

export const listPage = page(ADMIN, async (ctx) => {
  const bankId = isObjectId(ctx.req.query.bankId) ? ctx.req.query.bankId : undefined;
  const [banks, all] = await Promise.all([listBanks(ctx.user), service.listQuestionnaires(ctx.user, {})]);
  const groups = banks
    .filter((b) => !bankId || b.id === bankId)
    .map((bank) => ({ bank, questionnaires: all.filter((q) => q.bankId === bank.id) }));
  render(ctx.req, ctx.res, 'pages/questionnaires/list', {
    title: ctx.t('questionnaires.title'),
    banks,
    bankId,
    groups,
  });
});

async function showEditor(
  ctx: PageContext,
  state: EditorState,
  opts: { id?: string; latest?: number; status?: number },
): Promise<void> {
  const banks = await listBanks(ctx.user);
  const history = opts.id ? await service.listVersions(ctx.user, opts.id) : [];
  const bank = banks.find((b) => b.id === state.bankId);
  const title = opts.id ? ctx.t('questionnaires.edit_title', { name: state.name }) : ctx.t('questionnaires.new_title');
  render(
    ctx.req,
    ctx.res,
    'pages/questionnaires/edit',
    {
      title,
      state,
      banks,
      bank,
      id: opts.id,
      latest: opts.latest,
      next: (opts.latest ?? 0) + 1,
      history,
      labels: sectionLabels(ctx.t),
      types: ITEM_TYPE_CHOICES.map((v) => ({ value: v, label: ctx.t(`questionnaires.type.${v}`) })),
      allKeys: state.sections.flatMap((s) => s.rows.map((r) => r.key).filter(Boolean)),
      preview: previewOf(ctx, state),
      action: opts.id ? `/admin/questionnaires/${opts.id}` : '/admin/questionnaires',
    },
    opts.status ?? 200,
  );
}

export const newPage = page(ADMIN, async (ctx) => {
  const from = isObjectId(ctx.req.query.from)
    ? await service.getQuestionnaire(ctx.user, ctx.req.query.from)
    : undefined;
  const bankId = isObjectId(ctx.req.query.bankId) ? ctx.req.query.bankId : '';
  const state = stateFrom(from, bankId, from ? EMPTY_ROWS : NEW_ROWS);
  if (from) state.bankId = bankId;
  await showEditor(ctx, state, {});
});

export const createPage = page(ADMIN, async (ctx) => {
  const state = postedState(formBody(ctx.req));
  await save(
    ctx,
    state,
    async ({ sections }) => {
      const created = await service.createQuestionnaire(
        ctx.user,
        parseBody(createQuestionnaireBody, { bankId: state.bankId, name: state.name, sections }),
      );
      flash(ctx.req, 'ok', ctx.t('questionnaires.flash.created', { version: created.version }));
      ctx.res.redirect(303, `/admin/questionnaires/${created.id}`);
    },
    (s, status) => showEditor(ctx, s, { status }),
  );
});

export const editPage = page(ADMIN, async (ctx) => {
  const q = await service.getQuestionnaire(ctx.user, param(ctx.req, 'id'));
  await showEditor(ctx, stateFrom(q, q.bankId, EMPTY_ROWS), { id: q.id, latest: q.version });
});

export const updatePage = page(ADMIN, async (ctx) => {
  const current = await service.getQuestionnaire(ctx.user, param(ctx.req, 'id'));
  const state = { ...postedState(formBody(ctx.req)), bankId: current.bankId };
  await save(
    ctx,
    state,
    async ({ sections }) => {
      const saved = await service.updateQuestionnaire(
        ctx.user,
        current.id,
        parseBody(updateQuestionnaireBody, { name: state.name, sections }),
      );
      flash(
        ctx.req,
        'ok',
        ctx.t('questionnaires.flash.saved', { version: saved.version, previous: saved.version - 1 }),
      );
      ctx.res.redirect(303, `/admin/questionnaires/${current.id}`);
    },
    (s, status) => showEditor(ctx, s, { id: current.id, latest: current.version, status }),
  );
});

/** The editor's live check and preview: the posted form, checked by the schema, as the phone form's items. */
export const previewPage = page(ADMIN, async (ctx) => {
  const preview = previewOf(ctx, postedState(formBody(ctx.req)));
  ctx.res.json({ ok: preview.problems.length === 0, html: await renderPreview(ctx.res, ctx.locale, preview) });
});

/** One item of a stored version as the read-only page lists it: what an auditor sees and how it scores. */
function versionItem(ctx: PageContext, i: service.QuestionnaireItem, all: Map<string, service.QuestionnaireItem>) {
  const ref = i.showIf ? all.get(i.showIf.item) : undefined;
  return {
    ...i,
    typeLabel: ctx.t(`questionnaires.type.${i.type}`),
    textLabel: inLang(i.text, ctx.locale),
    guidanceLabel: inLang(i.guidance, ctx.locale),
    failure: failureInWords(i, ctx.locale),
    unitLabel: inLang(i.unit, ctx.locale),
    options: (i.options ?? []).map((o) => ({ ...o, label: inLang(o.text, ctx.locale), score: o.score ?? '–' })),
    condition:
      i.showIf && ref
        ? ctx.t('items.depends_on', {
            item: inLang(ref.text, ctx.locale),
            values: i.showIf.in
              .map((v) => answerInWords(ref, ref.type === 'multi' ? [v] : v, ctx.locale))
              .join(ctx.t('items.values_or')),
          })
        : '',
  };
}

export const versionPage = page(ADMIN, async (ctx) => {
  const v = await service.getQuestionnaireVersion(ctx.user, param(ctx.req, 'id'), param(ctx.req, 'version'));
  const labels = sectionLabels(ctx.t);
  const all = new Map(v.sections.flatMap((s) => s.items.map((i) => [i.key, i] as const)));
  render(ctx.req, ctx.res, 'pages/questionnaires/version', {
    title: `${v.name} · v${v.version}`,
    q: v,
    isLatest: v.version === v.latestVersion,
    sections: v.sections.map((s) => ({
      ...s,
      label: labels[s.key],
      items: s.items.map((i) => versionItem(ctx, i, all)),
    })),
  });
});

export function registerQuestionnairePages(r: Router): void {
  r.get('/admin/questionnaires', listPage);
  r.get('/admin/questionnaires/new', newPage);
  r.post('/admin/questionnaires', createPage);
  r.post('/admin/questionnaires/preview', previewPage);
  r.get('/admin/questionnaires/:id', editPage);
  r.post('/admin/questionnaires/:id', updatePage);
  r.get('/admin/questionnaires/:id/versions/:version', versionPage);
}
