import { listStaff, type StaffView } from '../../banks/service';
import { config } from '../../platform/config';
import { toAppError } from '../../platform/http/error-handler';
import type { ErrorDetail } from '../../platform/errors';
import { MAX_LIMIT } from '../../platform/http/paging';
import { toScoringSections } from '../../questionnaires/service';
import { applicableKeys, evidenceMissing } from '../../rules/scoring';
import { controlView } from '../../web/answer-controls';
import { SECTION_KEYS } from '../../rules/scoring';
import { formBody, param } from '../../web/forms';
import { isoToLocalInput, nowLocalInput, showTime } from '../../web/local-time';
import { flash, page, render, type PageContext } from '../../web/render';
import { submitVisit } from '../service';
import { placeView } from './place';
import { OFFLINE_WORDS } from '../../i18n/offline';
import type { VisitView } from '../view';
import {
  localizedFailure,
  patchOf,
  saveFields,
  valuesFromPost,
  valuesFromVisit,
  type FormErrors,
  type FormValues,
} from './form';
import {
  attachmentsView,
  AUDITOR,
  EDITABLE_STATUS,
  itemText,
  loadForPage,
  assignmentOf,
  redirectStale,
  sectionLabel,
  statusLabel,
  type Loaded,
} from './shared';

/**
 * The auditor's form: a plain HTML form that public/visit-form.js enhances with autosave and upload
 * progress. Save keeps the draft; Save with action=submit also submits it.
 */
const BLANK_STAFF_ROWS = 2;

interface EditState {
  values?: FormValues;
  errors?: FormErrors;
  missing?: { itemKey: string; sectionKey: string; missing?: string }[];
  /** The save was refused for a time outside the assignment window: the page offers to confirm it. */
  outsideWindow?: boolean;
  /** A form for a visit not yet started (the phone starts it offline, pages/start-offline.ts). */
  blank?: boolean;
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

/**
 * Each section's item controls: hidden where a condition on an earlier answer is not met, and for
 * evidence-on-failure items whether the answer fails and whether a file names the item (both by the rules).
 */
function editSections(loaded: Loaded, values: FormValues, state: EditState, ctx: PageContext) {
  const { version, visit } = loaded;
  const missing = new Set((state.missing ?? []).map((m) => m.itemKey));
  const answers = [...values.answers].map(([itemKey, value]) => ({ itemKey, value }));
  const scoring = toScoringSections(version);
  const shown = applicableKeys(scoring, answers);
  const failing = new Set(evidenceMissing(scoring, answers, new Set()).map((m) => m.itemKey));
  const evidenced = evidencedItems(visit);
  const items = new Map(version.sections.flatMap((s) => s.items.map((i) => [i.key, i] as const)));
  return SECTION_KEYS.map((key) => {
    const s = version.sections.find((x) => x.key === key);
    const controls = (s?.items ?? []).map((item) =>
      controlView(
        item,
        {
          value: values.answers.get(item.key),
          comment: values.comments.get(item.key),
          shown: shown.has(item.key),
          missing: missing.has(item.key),
          error: state.errors?.fields[`a.${item.key}`],
          failing: failing.has(item.key),
          evidenced: evidenced.has(item.key),
        },
        { locale: ctx.locale, t: ctx.t, items },
      ),
    );
    const asked = controls.filter((c) => !c.hidden);
    return {
      key,
      label: sectionLabel(ctx.t, key),
      items: controls,
      answered: asked.filter((c) => values.answers.has(c.key)).length,
      total: asked.length,
    };
  }).filter((s) => s.items.length > 0);
}

/** The items the visit's (not removed) attachments name. */
const evidencedItems = (v: VisitView) =>
  new Set(v.attachments.flatMap((a) => (!a.removedAt && a.itemKey ? [a.itemKey] : [])));

export async function showEdit(ctx: PageContext, loaded: Loaded, state: EditState = {}, status = 200): Promise<void> {
  const { visit, version, bank } = loaded;
  const values = state.values ?? valuesFromVisit(visit, bank.timezone);
  const [staff, assignment] = await Promise.all([
    listStaff(ctx.user, visit.bankId, { branchCode: visit.branchCode, limit: MAX_LIMIT }).then((page) => page.rows),
    assignmentOf(ctx.user, visit),
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
      scenario: assignment?.scenario,
      window: assignment && windowView(assignment, bank.timezone),
      nowLocal: nowLocalInput(bank.timezone),
      place: state.blank ? { warnings: [] } : await placeView(ctx.user, visit, ctx.locale, bank.timezone),
      newFor: state.blank ? visit.assignmentId : undefined,
      showConfirm: Boolean(state.errors?.fields.visitedAt && state.outsideWindow) || outsideFlagged(visit),
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
        why: ctx.t(m.missing === 'evidence' ? 'items.missing_evidence' : 'items.missing_answer'),
      })),
      sections: editSections(loaded, values, state, ctx),
      // Evidence on failure: one small upload form per such item (its file input sits in the item).
      evidenceItems: version.sections.flatMap((s) => s.items.filter((i) => i.evidenceOnFail).map((i) => i.key)),
      itemChoices: version.sections.flatMap((s) =>
        s.items.map((i) => ({ key: i.key, text: `${sectionLabel(ctx.t, s.key)} · ${itemText(ctx.locale, i.text)}` })),
      ),
      staffRows: staffRows(values, staff, ctx.t, state.errors?.fields ?? {}),
      attachments: attachmentsView(
        visit,
        new Map(version.sections.flatMap((s) => s.items.map((i) => [i.key, i] as const))),
        ctx.locale,
      ),
      maxMb: Math.floor(config().UPLOAD_MAX_BYTES / (1024 * 1024)),
      jsText: JSON.stringify(scriptTexts(ctx.t)),
      // The phone's queue sends only this user's writes (public/offline-queue.js).
      offlineUser: ctx.user.id,
    },
    status,
  );
}

/** The window as the form's script compares it (datetime-local strings in the bank's zone) and as it is read. */
function windowView(a: { windowStart: string; windowEnd: string }, timezone: string) {
  return {
    startLocal: isoToLocalInput(a.windowStart, timezone),
    endLocal: isoToLocalInput(a.windowEnd, timezone),
    start: showTime(a.windowStart, timezone),
    end: showTime(a.windowEnd, timezone),
  };
}

const outsideFlagged = (v: VisitView) => v.flags.some((f) => f.code === 'outside_window');

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
    warn_outside_window: t('visits.edit.warn_outside_window'),
    warn_future: t('visits.edit.warn_future'),
    place_locating: t('visits.place.locating'),
    place_refused: t('visits.place.refused'),
    place_unavailable: t('visits.place.unavailable'),
    place_sent: t('visits.place.sent'),
    place_failed: t('visits.place.failed'),
    cleared: t('items.cleared_notice'),
    evidence_for: t('items.evidence_for'),
    ...Object.fromEntries(OFFLINE_WORDS.map((key) => [key, t(key)])),
  };
}

/** The owner's visit for editing; a visit that is no longer editable is shown read-only instead. */
async function editableOrRedirect(ctx: PageContext): Promise<Loaded | undefined> {
  const loaded = await loadForPage(ctx.user, param(ctx.req, 'visitId'));
  if (EDITABLE_STATUS.has(loaded.visit.status)) return loaded;
  flash(ctx.req, 'error', ctx.t('visits.edit.not_editable', { status: statusLabel(ctx.t, loaded.visit.status) }));
  ctx.res.redirect(303, `/visits/${loaded.visit.id}`);
  return undefined;
}

export const editPage = page(AUDITOR, async (ctx) => {
  const loaded = await editableOrRedirect(ctx);
  if (loaded) await showEdit(ctx, loaded);
});

/** "No longer asked, answer cleared: …" for answers the form dropped because their condition is not met. */
function clearedNotice(ctx: PageContext, loaded: Loaded, keys: string[]): string {
  const texts = new Map(
    loaded.version.sections.flatMap((s) => s.items.map((i) => [i.key, itemText(ctx.locale, i.text)] as const)),
  );
  return ctx.t('items.hidden_cleared_on_save', { items: keys.map((k) => `“${texts.get(k) ?? k}”`).join('、') });
}

/** Save (and, with action=submit, submit). Missing required items are listed; the saved draft stays. */
export const saveFormPage = page(AUDITOR, async (ctx) => {
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
    const failed = localizedFailure(e, ctx.locale, patch, loaded.version, loaded.bank.timezone);
    if (!failed) throw e;
    // Shown with the current revision, so that saving again keeps what this person typed.
    const fresh = code === 'conflict' ? await loadForPage(ctx.user, loaded.visit.id) : loaded;
    return showEdit(
      ctx,
      fresh,
      {
        values: { ...valuesFromPost(f, loaded.version), rev: String(fresh.visit.rev) },
        errors: failed.errors,
        outsideWindow: code === 'outside_window',
      },
      failed.status,
    );
  }
  if (patch.cleared.length) flash(ctx.req, 'ok', clearedNotice(ctx, loaded, patch.cleared));
  if (f.action !== 'submit') {
    if (!patch.cleared.length) flash(ctx.req, 'ok', ctx.t('visits.edit.saved'));
    return ctx.res.redirect(303, `/visits/${visit.id}/edit`);
  }
  await submitFromForm(ctx, { ...loaded, visit });
});

async function submitFromForm(ctx: PageContext, loaded: Loaded): Promise<void> {
  try {
    await submitVisit(ctx.user, loaded.visit.id);
  } catch (e) {
    const err = toAppError(e);
    if (err.code === 'required_items_missing' || err.code === 'evidence_missing') {
      const missing = err.details.map((d: ErrorDetail) => ({
        itemKey: String(d.itemKey),
        sectionKey: String(d.sectionKey),
        missing: String(d.missing ?? 'answer'),
      }));
      return showEdit(ctx, loaded, { missing, errors: { fields: {}, general: [] } }, 422);
    }
    if (err.status === 409) return redirectStale(ctx, loaded.visit.id);
    throw e;
  }
  flash(ctx.req, 'ok', ctx.t('visits.edit.submitted'));
  ctx.res.redirect(303, `/visits/${loaded.visit.id}`);
}
