import { answerInWords, inLang, type WordedItem } from '../rules/answer-words';
import type { Locale } from '../platform/i18n';

/**
 * Answers and items in words on the dispute pages, never as stored values or keys: the answer as
 * its item words it (是/否, the option's text, a number with its unit), the one rule every page uses.
 */
export function answerWords(locale: Locale, item: WordedItem | undefined, v: unknown): string {
  return answerInWords(item, v === '' ? undefined : v, locale);
}

export function itemLabel(locale: Locale, text: { zh: string; en: string } | undefined): string {
  return inLang(text, locale);
}
