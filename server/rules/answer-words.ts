import { en, zh } from '../i18n/answers';
import type { ItemType } from './scoring';

/**
 * An answer in words, the one way every page, PDF and export shows it: the option's text rather
 * than its key, 是/否 rather than yes/no, a number with its unit; and a violation worded as the
 * failure. Pure (the words are the dictionary in server/i18n/answers.ts).
 */
export type Lang = 'zh' | 'en';
type Text = { zh: string; en: string };

export interface WordedItem {
  key: string;
  type: ItemType;
  text: Text;
  options?: readonly { key: string; text: Text }[] | null;
  unit?: Text | null;
  failureText?: Text | null;
}

const WORDS: Record<Lang, Record<string, string>> = { zh, en };

function word(lang: Lang, key: string, vars: Record<string, string> = {}): string {
  const s = WORDS[lang][`answer.${key}`] ?? WORDS.en[`answer.${key}`] ?? key;
  return s.replace(/\{(\w+)\}/g, (m, k: string) => vars[k] ?? m);
}

/** A text in the language asked for, else the other one. */
export const inLang = (t: Text | null | undefined, lang: Lang): string => (t ? t[lang] || t.zh || t.en : '');

const NUMBER_FORMATS: Record<Lang, Intl.NumberFormat> = {
  zh: new Intl.NumberFormat('zh-CN', { maximumFractionDigits: 2, useGrouping: false }),
  en: new Intl.NumberFormat('en', { maximumFractionDigits: 2, useGrouping: false }),
};

function optionText(item: WordedItem, key: unknown, lang: Lang): string | undefined {
  const o = item.options?.find((x) => x.key === key);
  return o ? inLang(o.text, lang) : undefined;
}

function multiWords(item: WordedItem, value: readonly unknown[], lang: Lang): string {
  if (value.length === 0) return word(lang, 'none_chosen');
  const chosen = new Set(value);
  // In the questionnaire's order, whatever the order they were ticked in.
  const texts = (item.options ?? []).filter((o) => chosen.has(o.key)).map((o) => inLang(o.text, lang));
  return texts.length === chosen.size ? texts.join(word(lang, 'list_separator')) : word(lang, 'unreadable');
}

/** The answer as a reader should see it; `undefined` is "not answered". Never a key or a raw code. */
export function answerInWords(item: WordedItem | undefined, value: unknown, lang: Lang): string {
  if (value === undefined || value === null) return word(lang, 'none');
  if (value === 'na') return word(lang, 'na');
  switch (item?.type) {
    case 'yes_no':
      return value === 'yes' || value === 'no' ? word(lang, value) : word(lang, 'unreadable');
    case 'scale':
      return typeof value === 'number' ? word(lang, 'scale', { value: String(value) }) : word(lang, 'unreadable');
    case 'number': {
      if (typeof value !== 'number' || !Number.isFinite(value)) return word(lang, 'unreadable');
      const unit = inLang(item.unit, lang);
      return unit ? `${NUMBER_FORMATS[lang].format(value)} ${unit}` : NUMBER_FORMATS[lang].format(value);
    }
    case 'choice':
      return optionText(item, value, lang) ?? word(lang, 'unreadable');
    case 'multi':
      return Array.isArray(value) ? multiWords(item, value, lang) : word(lang, 'unreadable');
    case 'text':
      return typeof value === 'string' ? value : word(lang, 'unreadable');
    default:
      return word(lang, 'unreadable');
  }
}

/** A violation as the failure it is: the item's own failure wording, else "Not met: <item>". */
export function failureInWords(item: Pick<WordedItem, 'text' | 'failureText'>, lang: Lang): string {
  const own = inLang(item.failureText, lang);
  return own || word(lang, 'failed', { item: inLang(item.text, lang) });
}

/** A failure with the answer that made it ("Waiting time: 25 min"), where the answer is known. */
export function failureWithAnswer(item: WordedItem, value: unknown, lang: Lang): string {
  if (inLang(item.failureText, lang)) return inLang(item.failureText, lang);
  return word(lang, 'failed_with', { item: inLang(item.text, lang), answer: answerInWords(item, value, lang) });
}

/** Both languages at once, for snapshots that are rendered later in either. */
export const answerInBoth = (item: WordedItem | undefined, value: unknown): Text => ({
  zh: answerInWords(item, value, 'zh'),
  en: answerInWords(item, value, 'en'),
});
