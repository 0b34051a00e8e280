import type { Locale } from '../platform/i18n';
import type { PageContext } from '../web/render';

/** Answers and items in words on the dispute pages, never as stored values or keys. */
export function answerWords(t: PageContext['t'], v: unknown): string {
  if (v === null || v === undefined || v === '') return t('disputes.answer.none');
  if (typeof v === 'number') return `${v} / 5`;
  const key = `disputes.answer.${String(v)}`;
  const text = t(key);
  return text === key ? String(v) : text;
}

export function itemLabel(locale: Locale, text: { zh: string; en: string } | undefined): string {
  if (!text) return '';
  return (locale === 'en' ? text.en || text.zh : text.zh || text.en) || '';
}
