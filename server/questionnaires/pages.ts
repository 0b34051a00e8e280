import type { Router } from 'express';
import { listBanks } from '../banks/service';
import { toAppError } from '../platform/http/error-handler';
import type { ErrorDetail } from '../platform/errors';
import type { Locale } from '../platform/i18n';
import { parseBody } from '../platform/http/validation';
import { SECTION_KEYS, type SectionKey } from '../rules/scoring';
import { formBody, localizeMessage, param, type FormBody } from '../web/forms';
import { flash, page, render, type PageContext } from '../web/render';
import { createQuestionnaireBody, updateQuestionnaireBody } from './schema';
import * as service from './service';

/**
 * Admin pages for questionnaires. The editor is a plain form: per section a weight and rows of
 * items named `i.<section>.<row>.<field>`, with a few empty rows to add items (a small script adds
 * more, but nothing needs it). A row whose key and texts are all empty is dropped, which is how an
 * item is removed. The form is turned into the API's body and checked by the same schema.
 */
const ADMIN = ['admin'] as const;
const EMPTY_ROWS = 3;
const NEW_ROWS = 4;
type ItemField = 'key' | 'zh' | 'en' | 'type' | 'weight' | 'critical' | 'na' | 'required';

interface Row {
  n: number;
  key: string;
  zh: string;
  en: string;
  type: string;
  weight: string;
  critical: boolean;
  na: boolean;
  required: boolean;
  errors: string[];
  bad: Partial<Record<ItemField, boolean>>;
}
interface SectionForm {
  key: SectionKey;
  weight: string;
  weightError?: string;
  rows: Row[];
}
interface EditorState {
  name: string;
  bankId: string;
  sections: SectionForm[];
  general: string[];
  nameError?: string;
  bankError?: string;
}

const blankRow = (n: number): Row => ({
  n,
  key: '',
  zh: '',
  en: '',
  type: 'yes_no',
  weight: '',
  critical: false,
  na: false,
  required: true,
  errors: [],
  bad: {},
});
const withBlankRows = (rows: Row[], count: number): Row[] => [
  ...rows,
  ...Array.from({ length: count }, (_, i) => blankRow(rows.length + i)),
];

function stateFrom(
  v: Pick<service.QuestionnaireVersionView, 'name' | 'bankId' | 'sections'> | undefined,
  bankId = '',
  extra = EMPTY_ROWS,
): EditorState {
  return {
    name: v?.name ?? '',
    bankId: v?.bankId ?? bankId,
    general: [],
    sections: SECTION_KEYS.map((key) => {
      const s = v?.sections.find((x) => x.key === key);
      const rows = (s?.items ?? []).map((i, n): Row => ({
        n,
        key: i.key,
        zh: i.text.zh,
        en: i.text.en,
        type: i.type,
        weight: String(i.weight),
        critical: i.critical,
        na: i.allowNA,
        required: i.required,
        errors: [],
        bad: {},
      }));
      return { key, weight: s ? String(s.weight) : '', rows: withBlankRows(rows, extra) };
    }),
  };
}

// ---- form → API body

/** Rows as posted (every row, blank ones too, so a form shown again loses nothing). */
function postedState(f: FormBody): EditorState {
  const sections = SECTION_KEYS.map((key): SectionForm => {
    const prefix = `i.${key}.`;
    const ns = [
      ...new Set(
        Object.keys(f)
          .filter((k) => k.startsWith(prefix))
          .map((k) => Number(k.slice(prefix.length).split('.')[0])),
      ),
    ]
      .filter((n) => Number.isInteger(n) && n >= 0)
      .sort((a, b) => a - b);
    const rows = ns.map((n): Row => {
      const v = (field: ItemField) => f[`${prefix}${n}.${field}`];
      return {
        n,
        key: (v('key') ?? '').trim(),
        zh: v('zh') ?? '',
        en: v('en') ?? '',
        type: v('type') ?? 'yes_no',
        weight: v('weight') ?? '',
        critical: v('critical') !== undefined,
        na: v('na') !== undefined,
        required: v('required') !== undefined,
        errors: [],
        bad: {},
      };
    });
    return { key, weight: f[`w.${key}`] ?? '', rows };
  });
  return { name: f.name ?? '', bankId: f.bankId ?? '', sections, general: [] };
}

const isBlank = (r: Row): boolean => !r.key && !r.zh.trim() && !r.en.trim();
/** An empty box means "use the default"; anything else goes to the schema as typed, so "abc" is reported, not dropped. */
const numberOrRaw = (s: string): number | string | undefined =>
  s.trim() === '' ? undefined : Number.isFinite(Number(s)) ? Number(s) : s;

interface Built {
  sections: unknown[];
  rowAt: Map<string, Row>;
}

function toSections(state: EditorState): Built {
  const rowAt = new Map<string, Row>();
  const sections = state.sections.map((s, si) => {
    const items = s.rows
      .filter((r) => !isBlank(r))
      .map((r, ii) => {
        rowAt.set(`sections.${si}.items.${ii}`, r);
        return {
          key: r.key,
          text: { zh: r.zh, en: r.en },
          type: r.type,
          weight: numberOrRaw(r.weight),
          critical: r.critical,
          allowNA: r.na,
          required: r.required,
        };
      });
    return { key: s.key, weight: numberOrRaw(s.weight), items };
  });
  return { sections, rowAt };
}

// ---- API errors → messages next to the rows

const FIELD_OF: Record<string, ItemField> = {
  key: 'key',
  text: 'zh',
  'text.zh': 'zh',
  'text.en': 'en',
  type: 'type',
  weight: 'weight',
  critical: 'critical',
  allowNA: 'na',
  required: 'required',
};

function placeError(state: EditorState, built: Built, d: ErrorDetail, text: string, t: PageContext['t']): void {
  const path = d.field ?? '';
  const item = /^sections\.(\d+)\.items\.(\d+)(?:\.(.+))?$/.exec(path);
  const row = item ? built.rowAt.get(`sections.${item[1]}.items.${item[2]}`) : undefined;
  if (item && row) {
    const field = FIELD_OF[item[3] ?? 'key'] ?? 'key';
    row.bad[field] = true;
    row.errors.push(`${t(`questionnaires.col.${field}`)}: ${text}`);
    return;
  }
  const weight = /^sections\.(\d+)\.weight$/.exec(path);
  if (weight && state.sections[Number(weight[1])]) {
    state.sections[Number(weight[1])].weightError = text;
    return;
  }
  if (path === 'name') state.nameError = text;
  else if (path === 'bankId') state.bankError = text;
  else state.general.push(text);
}

const OUR_MESSAGES: [RegExp, string][] = [
  [/^must be greater than 0/, 'questionnaires.msg.positive'],
  [/^Expected number/, 'questionnaires.msg.number'],
  [/^letters, digits/, 'questionnaires.msg.key_chars'],
  [/^item key ".*" is already used/, 'questionnaires.msg.key_taken'],
  [/^a questionnaire needs at least one item/, 'questionnaires.msg.no_items'],
  [/^no such bank/, 'questionnaires.msg.pick_bank'],
];

function message(locale: Locale, t: PageContext['t'], d: ErrorDetail): string {
  const ours = OUR_MESSAGES.find(([re]) => re.test(d.message));
  return ours ? t(ours[1]) : localizeMessage(locale, d.message, typeof d.code === 'string' ? d.code : undefined);
}

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
    for (const d of err.details) placeError(state, built, d, message(ctx.locale, ctx.t, d), ctx.t);
    await reshow(state, err.status);
  }
}

// ---- pages

const isObjectId = (v: unknown): v is string => typeof v === 'string' && /^[a-f0-9]{24}$/i.test(v);
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
  await showEditor(ctx, stateFrom(q), { id: q.id, latest: q.version });
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

export const versionPage = page(ADMIN, async (ctx) => {
  const v = await service.getQuestionnaireVersion(ctx.user, param(ctx.req, 'id'), param(ctx.req, 'version'));
  const labels = sectionLabels(ctx.t);
  render(ctx.req, ctx.res, 'pages/questionnaires/version', {
    title: `${v.name} · v${v.version}`,
    q: v,
    isLatest: v.version === v.latestVersion,
    sections: v.sections.map((s) => ({ ...s, label: labels[s.key] })),
  });
});

export function registerQuestionnairePages(r: Router): void {
  r.get('/admin/questionnaires', listPage);
  r.get('/admin/questionnaires/new', newPage);
  r.post('/admin/questionnaires', createPage);
  r.get('/admin/questionnaires/:id', editPage);
  r.post('/admin/questionnaires/:id', updatePage);
  r.get('/admin/questionnaires/:id/versions/:version', versionPage);
}
