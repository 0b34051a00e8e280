import { toAppError } from '../../platform/http/error-handler';
import type { Principal } from '../../platform/access';
import { translate, type Locale } from '../../platform/i18n';
import { parseBody } from '../../platform/http/validation';
import type { QuestionnaireVersionView } from '../../questionnaires/service';
import { splitHidden } from '../../rules/answers';
import type { AnswerValue } from '../../rules/scoring';
import { answerMessage, postedAnswer } from '../../web/answer-controls';
import { isoToLocalInput, localInputToIso } from '../../web/local-time';
import { blankToUndefined, formFailure, type FormBody } from '../../web/forms';
import { updateVisitBody } from '../schema';
import { updateVisit } from '../service';
import type { VisitView } from '../view';
import type { Loaded } from './shared';

/**
 * The visit form's fields, both ways: a stored visit (or the posted fields, shown again) as the
 * form's values, and the posted fields as the API's PATCH body, checked by the same schema.
 *
 * Form fields: visitedAt (datetime-local, the bank's time zone), durationMinutes, summary, rev,
 * the answers and comments of server/web/answer-controls.ts, `staff.<n>.employeeId|description`.
 */

/** Whole minutes as a number; anything else goes to the schema as typed so that it is reported. */
export function minutesOrRaw(v: string | undefined): number | string | undefined {
  const s = blankToUndefined(v)?.trim();
  if (s === undefined) return undefined;
  return /^\d{1,5}$/.test(s) ? Number(s) : s;
}

export interface FormValues {
  visitedAt: string;
  durationMinutes: string;
  summary: string;
  rev: string;
  answers: Map<string, AnswerValue>;
  comments: Map<string, string>;
  staff: { employeeId: string; description: string }[];
}

export function valuesFromVisit(v: VisitView, timezone: string): FormValues {
  return {
    visitedAt: isoToLocalInput(v.visitedAt, timezone),
    durationMinutes: String(v.durationMinutes),
    summary: v.summary ?? '',
    rev: String(v.rev),
    answers: new Map(v.answers.map((a) => [a.itemKey, a.value])),
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

/** The posted answers by item, in questionnaire order (empty controls left out). */
function postedAnswers(f: FormBody, version: QuestionnaireVersionView): Map<string, AnswerValue> {
  const out = new Map<string, AnswerValue>();
  for (const item of version.sections.flatMap((s) => s.items)) {
    const value = postedAnswer(item, f);
    if (value !== undefined) out.set(item.key, value);
  }
  return out;
}

export function valuesFromPost(f: FormBody, version: QuestionnaireVersionView): FormValues {
  const keys = version.sections.flatMap((s) => s.items.map((i) => i.key));
  return {
    visitedAt: f.visitedAt ?? '',
    durationMinutes: f.durationMinutes ?? '',
    summary: f.summary ?? '',
    rev: f.rev ?? '',
    answers: postedAnswers(f, version),
    comments: new Map(keys.flatMap((k) => (f[`c.${k}`] ? [[k, f[`c.${k}`]] as const] : []))),
    staff: postedStaffRows(f).map(({ employeeId, description }) => ({ employeeId, description })),
  };
}

export interface PatchBody {
  input: Record<string, unknown>;
  fields: Record<string, string>;
  /** Items whose posted answers were dropped because their condition is not met (the auditor is told). */
  cleared: string[];
}

/**
 * The PATCH body of the API from the posted fields, and for each body path the form field that
 * shows its error. Answers and staff are sent whole (arrays replace); an empty box means "unchanged".
 */
export function patchFromForm(
  f: FormBody,
  version: QuestionnaireVersionView,
  stored: VisitView,
  timezone: string,
): PatchBody {
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
  // An answer to an item whose condition the other answers leave unmet is not sent: a form
  // without its script still shows such items until saved, and the rules refuse their answers.
  const posted = [...postedAnswers(f, version)].map(([itemKey, value]) => ({ itemKey, value }));
  const { kept, hidden } = splitHidden(version.sections, posted);
  const answers = kept.map(({ itemKey, value }, i) => {
    const comment = blankToUndefined(f[`c.${itemKey}`])?.trim();
    fields[`answers.${i}`] = `a.${itemKey}`;
    return { itemKey, value, ...(comment ? { comment } : {}) };
  });
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
  return { input, fields, cleared: hidden.map((a) => a.itemKey) };
}

/** Messages for the fields a person types, in the page's language (the schema's own are English). */
const FIELD_HINTS: [RegExp, string][] = [
  [/^visitedAt$/, 'visits.edit.bad_time'],
  [/^durationMinutes$/, 'visits.edit.bad_duration'],
];

export interface FormErrors {
  fields: Record<string, string>;
  general: string[];
}

export function localizedFailure(
  err: unknown,
  locale: Locale,
  patch: PatchBody,
  version?: QuestionnaireVersionView,
): { status: number; errors: FormErrors } | undefined {
  const failed = formFailure(err, locale, patch.fields, patch.input);
  if (!failed) return undefined;
  const e = toAppError(err);
  const items = new Map((version?.sections ?? []).flatMap((s) => s.items.map((i) => [i.key, i] as const)));
  const fields = Object.fromEntries(
    Object.entries(failed.errors).map(([name, msg]) => {
      if (name.startsWith('a.')) return [name, answerMessage(locale, items.get(name.slice(2)))];
      const hint = FIELD_HINTS.find(([re]) => re.test(name));
      return [name, hint ? translate(locale, hint[1]) : msg];
    }),
  );
  const general = e.code === 'conflict' ? [translate(locale, 'visits.edit.conflict')] : failed.general;
  return { status: failed.status, errors: { fields, general } };
}

/** The posted fields saved through the visits service, checked by the API's PATCH schema. */
export function saveFields(p: Principal, loaded: Loaded, patch: PatchBody): Promise<VisitView> {
  return updateVisit(p, loaded.visit.id, parseBody(updateVisitBody, patch.input));
}

export const patchOf = (f: FormBody, loaded: Loaded) =>
  patchFromForm(f, loaded.version, loaded.visit, loaded.bank.timezone);
