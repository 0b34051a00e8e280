import { pipeline } from 'node:stream/promises';
import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import { DateTime } from 'luxon';
import { z } from 'zod';
import { getBank, listBanks, listStaff, type BankView, type StaffView } from '../banks/service';
import { MAX_LIMIT } from '../platform/http/paging';
import { getAssignment } from '../assignments/service';
import { requireRole, type Principal, type Role } from '../platform/access';
import { config } from '../platform/config';
import { toAppError } from '../platform/http/error-handler';
import { type AppError, UnauthorizedError, type ErrorDetail } from '../platform/errors';
import { pickLocale, translate, type Locale } from '../platform/i18n';
import { requireFile } from '../platform/http/uploads';
import { parseBody } from '../platform/http/validation';
import { addAttachment, openAttachment, removeAttachment } from './attachments';
import type { EvidenceUpload } from '../evidence/storage';
import { evidenceUpload } from '../evidence/upload';
import { getVersion, type QuestionnaireVersionView } from '../questionnaires/service';
import { formatScore, SECTION_KEYS } from '../rules/scoring';
import { getUser } from '../users/service';
import { blankToUndefined, formBody, formFailure, param, runUpload, type FormBody } from '../web/forms';
import { flash, page, render, type PageContext } from '../web/render';
import { reviewVisitBody, updateVisitBody } from './schema';
import { getVisit, reviewQueue, reviewVisit, submitVisit, updateVisit } from './service';
import type { VisitView } from './view';

/**
 * The visit pages: the auditor's form (a plain HTML form that public/visit-form.js enhances with
 * autosave and upload progress), the read view for everyone who may see a visit, and the reviewer's
 * queue. Every write goes through the visits and evidence services; the form fields are turned into
 * the API's PATCH body and checked by the same schema.
 *
 * Form fields: visitedAt (datetime-local, the bank's time zone), durationMinutes, summary, rev,
 * `a.<itemKey>` (yes | no | na | 1..5), `c.<itemKey>` (comment), `staff.<n>.employeeId|description`.
 */
const AUDITOR = ['auditor'] as const;
const REVIEWER = ['reviewer'] as const;
const QUEUE = ['reviewer', 'admin'] as const;
const EDITABLE = new Set(['draft', 'returned']);
const BLANK_STAFF_ROWS = 2;
/** Shown inline; other types (HEIC, PDF, audio) are links, since browsers cannot be relied on to show them. */
const INLINE_IMAGES = new Set(['image/jpeg', 'image/png', 'image/webp']);

export function registerVisitPages(r: Router): void {
  r.get('/review', queuePage);
  r.get('/visits/:visitId', visitPage);
  r.get('/visits/:visitId/edit', editPage);
  r.post('/visits/:visitId/edit', saveFormPage);
  r.post('/visits/:visitId/draft', express.json({ limit: config().JSON_BODY_LIMIT }), saveDraftJson);
  r.post('/visits/:visitId/attachments', uploadPage);
  r.get('/visits/:visitId/attachments/:attachmentId', attachmentFile);
  r.post('/visits/:visitId/attachments/:attachmentId/remove', removeAttachmentPage);
  r.post('/visits/:visitId/review', reviewPage);
}

// ---- time in the bank's time zone ----

const LOCAL_INPUT = "yyyy-MM-dd'T'HH:mm";

/** A `datetime-local` value read in the bank's zone, as the API's ISO time with offset; null when unreadable. */
export function localInputToIso(v: string, timezone: string): string | null {
  const dt = DateTime.fromISO(v.trim(), { zone: timezone });
  return dt.isValid ? (dt.toISO({ suppressMilliseconds: true }) as string) : null;
}

export function isoToLocalInput(iso: string | null | undefined, timezone: string): string {
  return iso ? DateTime.fromISO(iso).setZone(timezone).toFormat(LOCAL_INPUT) : '';
}

export function showTime(iso: string | null | undefined, timezone: string): string {
  return iso ? DateTime.fromISO(iso).setZone(timezone).toFormat('yyyy-MM-dd HH:mm') : '';
}

export function nowLocalInput(timezone: string): string {
  return DateTime.now().setZone(timezone).toFormat(LOCAL_INPUT);
}

/** Whole minutes as a number; anything else goes to the schema as typed so that it is reported. */
export function minutesOrRaw(v: string | undefined): number | string | undefined {
  const s = blankToUndefined(v)?.trim();
  if (s === undefined) return undefined;
  return /^\d{1,5}$/.test(s) ? Number(s) : s;
}

// ---- labels ----

const statusLabel = (t: PageContext['t'], status: string) => t(`visits.status.${status}`);
const sectionLabel = (t: PageContext['t'], key: string) => t(`visits.section.${key}`);
function answerLabel(t: PageContext['t'], v: string | number | undefined): string {
  if (v === undefined) return t('visits.answer.none');
  return typeof v === 'number' ? `${v} / 5` : t(`visits.answer.${v}`);
}
const flagLabel = (t: PageContext['t'], f: { code: string; message: string }) =>
  labelOr(t, `visits.flag.${f.code}`, f.message);
const itemText = (locale: Locale, text: { zh: string; en: string }) =>
  locale === 'en' ? text.en || text.zh : text.zh || text.en;

// ---- the form: stored visit or posted fields → what the template shows ----

interface FormValues {
  visitedAt: string;
  durationMinutes: string;
  summary: string;
  rev: string;
  answers: Map<string, string>;
  comments: Map<string, string>;
  staff: { employeeId: string; description: string }[];
}

function valuesFromVisit(v: VisitView, timezone: string): FormValues {
  return {
    visitedAt: isoToLocalInput(v.visitedAt, timezone),
    durationMinutes: String(v.durationMinutes),
    summary: v.summary ?? '',
    rev: String(v.rev),
    answers: new Map(v.answers.map((a) => [a.itemKey, String(a.value)])),
    comments: new Map(v.answers.flatMap((a) => (a.comment ? [[a.itemKey, a.comment] as const] : []))),
    staff: v.staff.map((s) => ({ employeeId: s.employeeId ?? '', description: s.description ?? '' })),
  };
}

/** Staff rows as posted, in row order; rows left empty are dropped. */
function postedStaffRows(f: FormBody): { n: number; employeeId: string; description: string }[] {
  const ns = [
    ...new Set(
      Object.keys(f).flatMap((k) => {
        const m = /^staff\.(\d{1,3})\.(employeeId|description)$/.exec(k);
        return m ? [Number(m[1])] : [];
      }),
    ),
  ].sort((a, b) => a - b);
  return ns
    .map((n) => ({
      n,
      employeeId: (f[`staff.${n}.employeeId`] ?? '').trim(),
      description: (f[`staff.${n}.description`] ?? '').trim(),
    }))
    .filter((r) => r.employeeId || r.description);
}

function valuesFromPost(f: FormBody, version: QuestionnaireVersionView): FormValues {
  const keys = version.sections.flatMap((s) => s.items.map((i) => i.key));
  return {
    visitedAt: f.visitedAt ?? '',
    durationMinutes: f.durationMinutes ?? '',
    summary: f.summary ?? '',
    rev: f.rev ?? '',
    answers: new Map(keys.flatMap((k) => (f[`a.${k}`] ? [[k, f[`a.${k}`]] as const] : []))),
    comments: new Map(keys.flatMap((k) => (f[`c.${k}`] ? [[k, f[`c.${k}`]] as const] : []))),
    staff: postedStaffRows(f).map(({ employeeId, description }) => ({ employeeId, description })),
  };
}

interface PatchBody {
  input: Record<string, unknown>;
  fields: Record<string, string>;
}

const answerValue = (v: string): string | number => (/^\d+$/.test(v) ? Number(v) : v);

/**
 * The PATCH body of the API from the posted fields, and for each body path the form field that
 * shows its error. Answers and staff are sent whole (arrays replace); an empty box means "unchanged".
 */
function patchFromForm(f: FormBody, version: QuestionnaireVersionView, stored: VisitView, timezone: string): PatchBody {
  const input: Record<string, unknown> = {};
  const fields: Record<string, string> = {
    visitedAt: 'visitedAt',
    durationMinutes: 'durationMinutes',
    summary: 'summary',
    rev: 'rev',
  };
  const at = blankToUndefined(f.visitedAt);
  if (at !== undefined) input.visitedAt = localInputToIso(at, timezone) ?? at;
  const minutes = minutesOrRaw(f.durationMinutes);
  if (minutes !== undefined) input.durationMinutes = minutes;
  if (f.rev !== undefined && /^\d+$/.test(f.rev)) input.rev = Number(f.rev);
  const answers: Record<string, unknown>[] = [];
  for (const item of version.sections.flatMap((s) => s.items)) {
    const value = blankToUndefined(f[`a.${item.key}`]);
    if (value === undefined) continue;
    const comment = blankToUndefined(f[`c.${item.key}`])?.trim();
    fields[`answers.${answers.length}`] = `a.${item.key}`;
    answers.push({ itemKey: item.key, value: answerValue(value), ...(comment ? { comment } : {}) });
  }
  input.answers = answers;
  const staff = postedStaffRows(f);
  // Rows are shown again in this order (empty ones dropped), so the i-th row sent is the i-th row shown.
  staff.forEach((_row, i) => {
    fields[`staff.${i}`] = `staff.${i}`;
  });
  input.staff = staff.map((r) => ({
    ...(r.employeeId ? { employeeId: r.employeeId } : {}),
    ...(r.description ? { description: r.description } : {}),
  }));
  const summary = (f.summary ?? '').trim();
  // Leaving an empty summary empty is no change; clearing a written one is.
  if (summary || stored.summary) input.summary = summary;
  return { input, fields };
}

/** Messages for the fields a person types, in the page's language (the schema's own are English). */
const FIELD_HINTS: [RegExp, string][] = [
  [/^visitedAt$/, 'visits.edit.bad_time'],
  [/^durationMinutes$/, 'visits.edit.bad_duration'],
  [/^a\./, 'visits.edit.bad_answer'],
];

interface FormErrors {
  fields: Record<string, string>;
  general: string[];
}

function localizedFailure(
  err: unknown,
  locale: Locale,
  patch: PatchBody,
): { status: number; errors: FormErrors } | undefined {
  const failed = formFailure(err, locale, patch.fields, patch.input);
  if (!failed) return undefined;
  const e = toAppError(err);
  const fields = Object.fromEntries(
    Object.entries(failed.errors).map(([name, msg]) => {
      const hint = FIELD_HINTS.find(([re]) => re.test(name));
      return [name, hint ? translate(locale, hint[1]) : msg];
    }),
  );
  const general = e.code === 'conflict' ? [translate(locale, 'visits.edit.conflict')] : failed.general;
  return { status: failed.status, errors: { fields, general } };
}

// ---- loading what the form and the read view need ----

interface Loaded {
  visit: VisitView;
  version: QuestionnaireVersionView;
  bank: BankView;
}

async function loadForPage(p: Principal, id: string): Promise<Loaded> {
  const visit = await getVisit(p, id);
  const [version, bank] = await Promise.all([
    getVersion(visit.questionnaireId, visit.questionnaireVersion),
    getBank(p, visit.bankId),
  ]);
  return { visit, version, bank };
}

/** The scenario is the assignment's; only its owner and admins may read assignments. */
async function scenarioOf(p: Principal, v: VisitView): Promise<string | undefined> {
  if (p.role !== 'auditor' && p.role !== 'admin') return undefined;
  try {
    return (await getAssignment(p, v.assignmentId)).scenario;
  } catch {
    return undefined;
  }
}

// ---- the edit page ----

interface EditState {
  values?: FormValues;
  errors?: FormErrors;
  missing?: { itemKey: string; sectionKey: string }[];
}

function staffRows(values: FormValues, staff: StaffView[], t: PageContext['t'], errors: Record<string, string>) {
  const rows = [
    ...values.staff,
    ...Array.from({ length: BLANK_STAFF_ROWS }, () => ({ employeeId: '', description: '' })),
  ];
  return rows.map((row, n) => ({
    n,
    label: t('visits.edit.staff_person', { n: n + 1 }),
    description: row.description,
    error: errors[`staff.${n}`],
    options: staff
      .filter((s) => s.active || s.employeeId === row.employeeId)
      .map((s) => ({
        employeeId: s.employeeId,
        name: s.name,
        position: s.position ?? '',
        selected: s.employeeId === row.employeeId,
      })),
  }));
}

function choiceOptions(
  item: QuestionnaireVersionView['sections'][number]['items'][number],
  t: PageContext['t'],
  chosen: string | undefined,
) {
  const values: string[] = item.type === 'scale' ? ['1', '2', '3', '4', '5'] : ['yes', 'no'];
  if (item.allowNA) values.push('na');
  const options = values.map((v) => ({
    value: v,
    label: /^\d$/.test(v) ? v : t(`visits.answer.${v}`),
    checked: chosen === v,
    tone: v,
  }));
  // An optional item can be cleared again; a required one only changed.
  if (!item.required) options.push({ value: '', label: '–', checked: chosen === undefined, tone: 'clear' });
  return options;
}

function editSections(version: QuestionnaireVersionView, values: FormValues, state: EditState, ctx: PageContext) {
  const missing = new Set((state.missing ?? []).map((m) => m.itemKey));
  return SECTION_KEYS.map((key) => {
    const s = version.sections.find((x) => x.key === key);
    const items = (s?.items ?? []).map((item) => ({
      key: item.key,
      text: itemText(ctx.locale, item.text),
      type: item.type,
      required: item.required,
      critical: item.critical,
      options: choiceOptions(item, ctx.t, values.answers.get(item.key)),
      comment: values.comments.get(item.key) ?? '',
      missing: missing.has(item.key),
      error: state.errors?.fields[`a.${item.key}`],
    }));
    return {
      key,
      label: sectionLabel(ctx.t, key),
      items,
      answered: items.filter((i) => values.answers.has(i.key)).length,
      total: items.length,
    };
  }).filter((s) => s.total > 0);
}

async function showEdit(ctx: PageContext, loaded: Loaded, state: EditState = {}, status = 200): Promise<void> {
  const { visit, version, bank } = loaded;
  const values = state.values ?? valuesFromVisit(visit, bank.timezone);
  const [staff, scenario] = await Promise.all([
    listStaff(ctx.user, visit.bankId, { branchCode: visit.branchCode, limit: MAX_LIMIT }).then((page) => page.rows),
    scenarioOf(ctx.user, visit),
  ]);
  const texts = new Map(
    version.sections.flatMap((s) => s.items.map((i) => [i.key, itemText(ctx.locale, i.text)] as const)),
  );
  render(
    ctx.req,
    ctx.res,
    'pages/visits/edit',
    {
      title: `${ctx.t('visits.edit.title')} · ${visit.branchName}`,
      visit,
      scenario,
      timezone: bank.timezone,
      statusLabel: statusLabel(ctx.t, visit.status),
      returned: visit.status === 'returned' && visit.reviewNote,
      values,
      errors: state.errors?.fields ?? {},
      general: state.errors?.general ?? [],
      missing: (state.missing ?? []).map((m) => ({
        key: m.itemKey,
        section: sectionLabel(ctx.t, m.sectionKey),
        text: texts.get(m.itemKey) ?? m.itemKey,
      })),
      sections: editSections(version, values, state, ctx),
      staffRows: staffRows(values, staff, ctx.t, state.errors?.fields ?? {}),
      attachments: attachmentsView(visit),
      maxMb: Math.floor(config().UPLOAD_MAX_BYTES / (1024 * 1024)),
      jsText: JSON.stringify(scriptTexts(ctx.t)),
    },
    status,
  );
}

/** What public/visit-form.js shows itself, in the page's language ({placeholders} are filled by the script). */
function scriptTexts(t: PageContext['t']): Record<string, string> {
  return {
    saving: t('visits.save.saving'),
    saved: t('visits.save.saved'),
    failed: t('visits.save.failed'),
    offline: t('visits.save.offline'),
    conflict: t('visits.save.conflict'),
    upload_uploading: t('visits.evidence.uploading'),
    upload_done: t('visits.evidence.done'),
    upload_failed: t('visits.evidence.failed'),
    remove: t('visits.evidence.remove'),
    answered: t('visits.edit.answered'),
  };
}

/** The owner's visit for editing; a visit that is no longer editable is shown read-only instead. */
async function editableOrRedirect(ctx: PageContext): Promise<Loaded | undefined> {
  const loaded = await loadForPage(ctx.user, param(ctx.req, 'visitId'));
  if (EDITABLE.has(loaded.visit.status)) return loaded;
  flash(ctx.req, 'error', ctx.t('visits.edit.not_editable', { status: statusLabel(ctx.t, loaded.visit.status) }));
  ctx.res.redirect(303, `/visits/${loaded.visit.id}`);
  return undefined;
}

const editPage = page(AUDITOR, async (ctx) => {
  const loaded = await editableOrRedirect(ctx);
  if (loaded) await showEdit(ctx, loaded);
});

/** The posted fields saved through the visits service, checked by the API's PATCH schema. */
function saveFields(p: Principal, loaded: Loaded, patch: PatchBody): Promise<VisitView> {
  return updateVisit(p, loaded.visit.id, parseBody(updateVisitBody, patch.input));
}

const patchOf = (f: FormBody, loaded: Loaded) => patchFromForm(f, loaded.version, loaded.visit, loaded.bank.timezone);

/** Save (and, with action=submit, submit). Missing required items are listed; the saved draft stays. */
const saveFormPage = page(AUDITOR, async (ctx) => {
  const loaded = await editableOrRedirect(ctx);
  if (!loaded) return;
  const f = formBody(ctx.req);
  const patch = patchOf(f, loaded);
  let visit: VisitView;
  try {
    visit = await saveFields(ctx.user, loaded, patch);
  } catch (e) {
    const code = toAppError(e).code;
    if (code === 'invalid_state') return redirectStale(ctx, loaded.visit.id);
    const failed = localizedFailure(e, ctx.locale, patch);
    if (!failed) throw e;
    // Shown with the current revision, so that saving again keeps what this person typed.
    const fresh = code === 'conflict' ? await loadForPage(ctx.user, loaded.visit.id) : loaded;
    return showEdit(
      ctx,
      fresh,
      { values: { ...valuesFromPost(f, loaded.version), rev: String(fresh.visit.rev) }, errors: failed.errors },
      failed.status,
    );
  }
  if (f.action !== 'submit') {
    flash(ctx.req, 'ok', ctx.t('visits.edit.saved'));
    return ctx.res.redirect(303, `/visits/${visit.id}/edit`);
  }
  await submitFromForm(ctx, { ...loaded, visit });
});

async function submitFromForm(ctx: PageContext, loaded: Loaded): Promise<void> {
  try {
    await submitVisit(ctx.user, loaded.visit.id);
  } catch (e) {
    const err = toAppError(e);
    if (err.code === 'required_items_missing') {
      const missing = err.details.map((d: ErrorDetail) => ({
        itemKey: String(d.itemKey),
        sectionKey: String(d.sectionKey),
      }));
      return showEdit(ctx, loaded, { missing, errors: { fields: {}, general: [] } }, 422);
    }
    if (err.status === 409) return redirectStale(ctx, loaded.visit.id);
    throw e;
  }
  flash(ctx.req, 'ok', ctx.t('visits.edit.submitted'));
  ctx.res.redirect(303, `/visits/${loaded.visit.id}`);
}

function redirectStale(ctx: PageContext, id: string): void {
  flash(ctx.req, 'error', ctx.t('visits.err.invalid_state'));
  ctx.res.redirect(303, `/visits/${id}`);
}

// ---- JSON routes for the script (same session, CSRF header) ----

interface JsonContext {
  req: Request;
  res: Response;
  user: Principal;
  locale: Locale;
}

/** Like page(), but errors are answered as the API's JSON error, since a script reads them. */
function jsonRoute(roles: readonly Role[], handler: (ctx: JsonContext) => Promise<void>): RequestHandler {
  return (req: Request, res: Response, _next: NextFunction) => {
    (async () => {
      if (!req.principal) throw new UnauthorizedError();
      requireRole(req.principal, roles);
      await handler({ req, res, user: req.principal, locale: pickLocale(req) });
    })().catch((e: unknown) => sendJsonError(res, toAppError(e), pickLocale(req)));
  };
}

function sendJsonError(res: Response, e: AppError, locale: Locale, fields: Record<string, string> = {}): void {
  const known = translate(locale, `visits.err.${e.code}`);
  const message = known === `visits.err.${e.code}` ? e.message : known;
  res.status(e.status).json({ error: { code: e.code, message, details: e.details, fields } });
}

/** Autosave: the form's fields as a JSON object of strings, saved exactly like the form's Save. */
const draftBody = z.record(z.string().max(200), z.string().max(6000));

const saveDraftJson = jsonRoute(AUDITOR, async ({ req, res, user, locale }) => {
  const f = parseBody(draftBody, req.body);
  const loaded = await loadForPage(user, param(req, 'visitId'));
  const patch = patchOf(f, loaded);
  try {
    const v = await saveFields(user, loaded, patch);
    res.json({ id: v.id, rev: v.rev, status: v.status, updatedAt: v.updatedAt, answered: v.answers.length });
  } catch (e) {
    const failed = localizedFailure(e, locale, patch);
    if (!failed) throw e;
    sendJsonError(res, toAppError(e), locale, failed.errors.fields);
  }
});

// ---- evidence ----

function attachmentsView(v: VisitView) {
  return v.attachments.map((a) => ({
    ...a,
    url: `/visits/${v.id}/attachments/${a.id}`,
    image: INLINE_IMAGES.has(a.contentType),
    kb: Math.max(1, Math.round(a.size / 1024)),
  }));
}

/** One file per request. The script asks for JSON (and shows progress); a plain form gets the page back. */
const uploadPage: RequestHandler = (req, res, next) => {
  if (req.accepts(['html', 'json']) === 'json') return uploadJson(req, res, next);
  return uploadForm(req, res, next);
};

async function attachUploaded(ctx: { req: Request; res: Response; user: Principal }) {
  const id = param(ctx.req, 'visitId');
  await runUpload(evidenceUpload(), ctx.req, ctx.res);
  const a = await addAttachment(ctx.user, id, (requireFile(ctx.req) as EvidenceUpload).evidence);
  return {
    ...a,
    url: `/visits/${id}/attachments/${a.id}`,
    image: INLINE_IMAGES.has(a.contentType),
    kb: Math.max(1, Math.round(a.size / 1024)),
  };
}

const uploadJson = jsonRoute(AUDITOR, async (ctx) => {
  const attached = await attachUploaded(ctx);
  // The form's next save must carry the revision the upload produced.
  const { rev } = await getVisit(ctx.user, param(ctx.req, 'visitId'));
  ctx.res.status(201).json({ ...attached, rev });
});

const uploadForm = page(AUDITOR, async (ctx) => {
  const id = param(ctx.req, 'visitId');
  try {
    await attachUploaded(ctx);
    flash(ctx.req, 'ok', ctx.t('visits.evidence.uploaded'));
  } catch (e) {
    const err = toAppError(e);
    if (err.status >= 500 || err.status === 404 || err.status === 403) throw e;
    flash(
      ctx.req,
      'error',
      ctx.t('visits.evidence.failed', { message: labelOr(ctx.t, `visits.err.${err.code}`, err.message) }),
    );
  }
  ctx.res.redirect(303, `/visits/${id}/edit#evidence`);
});

const removeAttachmentPage = page(AUDITOR, async (ctx) => {
  const id = param(ctx.req, 'visitId');
  await removeAttachment(ctx.user, id, param(ctx.req, 'attachmentId'));
  flash(ctx.req, 'ok', ctx.t('visits.evidence.removed_flash'));
  ctx.res.redirect(303, `/visits/${id}/edit#evidence`);
});

/** The file itself, for everyone who may see the visit; images inline (thumbnails), anything else as a download. */
const attachmentFile = page('authenticated', async (ctx) => {
  const file = await openAttachment(ctx.user, param(ctx.req, 'visitId'), param(ctx.req, 'attachmentId'));
  ctx.res.attachment(file.filename);
  if (INLINE_IMAGES.has(file.contentType))
    ctx.res.set('Content-Disposition', String(ctx.res.get('Content-Disposition')).replace(/^attachment/, 'inline'));
  ctx.res.set({
    'Content-Type': file.contentType,
    'Content-Length': String(file.size),
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'private, no-store',
  });
  await pipeline(file.stream, ctx.res);
});

// ---- the read view ----

function formatValue(v: unknown, timezone: string, field: string): string {
  if (v === null || v === undefined || v === '') return '–';
  if (field === 'visitedAt' && typeof v === 'string') return showTime(v, timezone);
  if (Array.isArray(v)) return v.map((x) => formatValue(x, timezone, '')).join(', ') || '–';
  if (typeof v === 'object') {
    const o = v as Record<string, unknown>;
    const label = o.name ?? o.filename ?? o.employeeId ?? o.description;
    return typeof label === 'string' ? label : JSON.stringify(v);
  }
  return String(v);
}

/** Names of the firm's people in the history, for the firm's own staff only (bank users see roles and the pseudonym). */
async function historyNames(p: Principal, v: VisitView): Promise<Map<string, string>> {
  if (p.role !== 'admin' && p.role !== 'reviewer') return new Map();
  const ids = [...new Set(v.history.flatMap((h) => (h.by ? [h.by] : [])))];
  const users = await Promise.all(
    ids.map((id) =>
      getUser(id).then(
        (u) => [id, u.name] as const,
        () => [id, id] as const,
      ),
    ),
  );
  return new Map(users);
}

/** A translation, or the fallback when the key is unknown (a new action or flag code still shows). */
function labelOr(t: PageContext['t'], key: string, fallback: string): string {
  const text = t(key);
  return text === key ? fallback : text;
}

/** The role, and the person's name for firm staff; bank users see the auditor's pseudonym at most. */
function historyWho(
  t: PageContext['t'],
  h: VisitView['history'][number],
  v: VisitView,
  names: Map<string, string>,
): string {
  if (h.role === 'system') return t('visits.view.history_system');
  const person = h.by ? (names.get(h.by) ?? (h.role === 'auditor' ? v.auditorCode : undefined)) : undefined;
  return [t(`role.${h.role}`), person].filter(Boolean).join(' · ');
}

function historyView(ctx: PageContext, v: VisitView, timezone: string, names: Map<string, string>) {
  return [...v.history].reverse().map((h) => ({
    at: showTime(h.at, timezone),
    who: historyWho(ctx.t, h, v, names),
    action: labelOr(ctx.t, `visits.action.${h.action}`, h.action),
    note: h.note,
    changes: h.changes.map((c) => ({
      field: c.field,
      before: formatValue(c.before, timezone, c.field),
      after: formatValue(c.after, timezone, c.field),
    })),
  }));
}

function answerSections(ctx: PageContext, version: QuestionnaireVersionView, v: VisitView) {
  const answers = new Map(v.answers.map((a) => [a.itemKey, a]));
  const violated = new Set(v.violations.map((x) => x.itemKey));
  return SECTION_KEYS.flatMap((key) => {
    const s = version.sections.find((x) => x.key === key);
    if (!s || s.items.length === 0) return [];
    return [
      {
        // Not `score`: that name is a template helper.
        key,
        label: sectionLabel(ctx.t, key),
        sectionScore: formatScore(v.scores.sections[key]),
        items: s.items.map((i) => ({
          key: i.key,
          text: itemText(ctx.locale, i.text),
          critical: i.critical,
          violated: violated.has(i.key),
          answer: answerLabel(ctx.t, answers.get(i.key)?.value),
          unanswered: !answers.has(i.key),
          comment: answers.get(i.key)?.comment,
        })),
      },
    ];
  });
}

interface ReviewState {
  errors: Record<string, string>;
  general: string[];
  note: string;
}

async function showVisit(ctx: PageContext, loaded: Loaded, review?: ReviewState, status = 200): Promise<void> {
  const { visit: v, version, bank } = loaded;
  const firm = ctx.user.role === 'admin' || ctx.user.role === 'reviewer';
  const [scenario, names] = await Promise.all([scenarioOf(ctx.user, v), historyNames(ctx.user, v)]);
  const texts = new Map(
    version.sections.flatMap((s) => s.items.map((i) => [i.key, itemText(ctx.locale, i.text)] as const)),
  );
  const auditorName =
    firm && v.auditorId
      ? (names.get(v.auditorId) ??
        (await getUser(v.auditorId).then(
          (u) => u.name,
          () => undefined,
        )))
      : undefined;
  render(
    ctx.req,
    ctx.res,
    'pages/visits/show',
    {
      title: `${ctx.t('visits.view.title')} · ${v.branchName}`,
      v,
      bank,
      scenario,
      auditor: [auditorName, v.auditorCode].filter(Boolean).join(' · '),
      statusLabel: statusLabel(ctx.t, v.status),
      visitedAt: showTime(v.visitedAt, bank.timezone),
      submittedAt: showTime(v.submittedAt, bank.timezone),
      approvedAt: showTime(v.approvedAt, bank.timezone),
      canEdit: ctx.user.role === 'auditor' && EDITABLE.has(v.status),
      canReview: ctx.user.role === 'reviewer' && v.status === 'submitted',
      showNote: Boolean(v.reviewNote) && (v.status === 'returned' || firm),
      scores: [
        ...SECTION_KEYS.map((k) => ({ label: sectionLabel(ctx.t, k), value: formatScore(v.scores.sections[k]) })),
        { label: ctx.t('visits.view.total'), value: formatScore(v.scores.total), total: true },
      ],
      violations: v.violations.map((x) => ({
        key: x.itemKey,
        section: sectionLabel(ctx.t, x.sectionKey),
        text: texts.get(x.itemKey) ?? x.itemKey,
      })),
      flags: v.flags.map((f) => ({ label: flagLabel(ctx.t, f), visitIds: f.visitIds ?? [] })),
      sections: answerSections(ctx, version, v),
      attachments: attachmentsView(v),
      history: historyView(ctx, v, bank.timezone, names),
      review: review ?? { errors: {}, general: [], note: '' },
    },
    status,
  );
}

const visitPage = page('authenticated', async (ctx) => {
  await showVisit(ctx, await loadForPage(ctx.user, param(ctx.req, 'visitId')));
});

const reviewPage = page(REVIEWER, async (ctx) => {
  const id = param(ctx.req, 'visitId');
  const f = formBody(ctx.req);
  const input = { decision: f.decision ?? '', note: blankToUndefined(f.note)?.trim() };
  try {
    const v = await reviewVisit(ctx.user, id, parseBody(reviewVisitBody, input));
    flash(ctx.req, 'ok', ctx.t(v.status === 'approved' ? 'visits.review.approved' : 'visits.review.returned'));
    ctx.res.redirect(303, '/review');
  } catch (e) {
    const err = toAppError(e);
    if (err.status === 409) return redirectStale(ctx, id);
    const failed = formFailure(e, ctx.locale, { note: 'note', decision: 'decision' }, input);
    if (!failed) throw e;
    if (failed.errors.note) failed.errors.note = ctx.t('visits.review.note_required');
    await showVisit(
      ctx,
      await loadForPage(ctx.user, id),
      { errors: failed.errors, general: failed.general, note: f.note ?? '' },
      failed.status,
    );
  }
});

// ---- the reviewer's queue ----

const queuePage = page(QUEUE, async (ctx) => {
  const [{ rows, next }, banks] = await Promise.all([reviewQueue(ctx.user), listBanks(ctx.user)]);
  const byId = new Map(banks.map((b) => [b.id, b]));
  render(ctx.req, ctx.res, 'pages/review/queue', {
    title: ctx.t('visits.queue.title'),
    more: next ? ctx.t('visits.queue.more', { n: rows.length }) : null,
    rows: rows.map((r) => {
      const bank = byId.get(r.bankId);
      const tz = bank?.timezone ?? 'Asia/Shanghai';
      return {
        ...r,
        bankCode: bank?.code ?? '',
        submitted: showTime(r.submittedAt, tz),
        visited: showTime(r.visitedAt, tz),
        total: formatScore(r.total),
        flags: r.flags.map((f) => flagLabel(ctx.t, f)),
      };
    }),
  });
});
