import type { Locale } from '../platform/i18n';
import type { PageContext } from './render';

/**
 * The answer controls of a questionnaire form (yes / no / N/A, scale 1–5) as the page kit offers
 * them to any form that lets an auditor answer a questionnaire version: the same choices, labels and
 * tones as the visit form, rendered by views/partials/answer-item.hbs with the visit form's classes
 * (so they look and work the same on the phone). Values come back from the form as `a.<itemKey>`.
 */
export interface AnswerItem {
  key: string;
  text: { zh: string; en: string };
  type: string;
  required: boolean;
  critical: boolean;
  allowNA: boolean;
}

export interface AnswerSection {
  key: string;
  items: AnswerItem[];
}

export function answerOptions(item: AnswerItem, t: PageContext['t'], chosen: string | undefined) {
  const values: string[] = item.type === 'scale' ? ['1', '2', '3', '4', '5'] : ['yes', 'no'];
  if (item.allowNA) values.push('na');
  return values.map((v) => ({
    value: v,
    label: /^\d$/.test(v) ? v : t(`visits.answer.${v}`),
    checked: chosen === v,
    tone: v,
  }));
}

/** Sections ready for the partial; `chosen` holds the answers as the form sends them (strings). */
export function answerSections(
  sections: readonly AnswerSection[],
  ctx: { t: PageContext['t']; locale: Locale },
  chosen: ReadonlyMap<string, string>,
  errors: Readonly<Record<string, string>> = {},
) {
  return sections
    .map((s) => ({
      key: s.key,
      label: ctx.t(`visits.section.${s.key}`),
      items: s.items.map((item) => ({
        key: item.key,
        text: ctx.locale === 'en' ? item.text.en : item.text.zh,
        type: item.type,
        required: item.required,
        critical: item.critical,
        options: answerOptions(item, ctx.t, chosen.get(item.key)),
        error: errors[`a.${item.key}`],
      })),
    }))
    .filter((s) => s.items.length > 0);
}

/** The form's `a.<itemKey>` fields as answers: digits become scale numbers, blanks are left out. */
export function answersFromForm(body: Readonly<Record<string, string>>): { itemKey: string; value: string | number }[] {
  return Object.entries(body)
    .filter(([k, v]) => k.startsWith('a.') && v !== '')
    .map(([k, v]) => ({ itemKey: k.slice(2), value: /^\d$/.test(v) ? Number(v) : v }));
}
