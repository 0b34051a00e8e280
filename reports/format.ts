import { DateTime } from 'luxon';
import { translate } from '../server/platform/i18n';
import { formatScore } from '../server/rules/scoring';
import type { AnswerValue, Lang, SectionKey, Text } from './types';

/** Number and label formatting shared by the report builders; every score goes through formatScore. */
export const SECTIONS: readonly SectionKey[] = ['greeting', 'product_knowledge', 'sales_compliance', 'follow_up'];

export type Translate = (key: string, vars?: Record<string, unknown>) => string;

export function translator(lang: Lang): Translate {
  return (key, vars) => translate(lang, `reports.pdf.${key}`, vars);
}

export const score = (v: number | null | undefined): string => formatScore(v);

/** A change in points with its sign, rounded like the scores it compares ("+1.2", "−0.4", "0.0"). */
export function change(now: number | null | undefined, before: number | null | undefined): string {
  if (typeof now !== 'number' || typeof before !== 'number') return '–';
  const text = formatScore(now - before);
  if (text === '0.0' || text === '-0.0') return '0.0';
  return text.startsWith('-') ? `−${text.slice(1)}` : `+${text}`;
}

export function percent(rate: number): string {
  return `${formatScore(rate * 100)}%`;
}

export function textOf(t: Text, lang: Lang): string {
  return t[lang] || t.zh || t.en;
}

export function sectionLabel(t: Translate, key: SectionKey | null): string {
  return key ? t(`section.${key}`) : '–';
}

/**
 * An answer as the report shows it: the words the snapshot carries (option text, 是/否, number with
 * unit); snapshots taken before answers were worded knew only yes/no/na and 1..5.
 */
export function answerLabel(t: Translate, v: AnswerValue, words?: Text | null, lang: Lang = 'zh'): string {
  if (words) return textOf(words, lang);
  if (v === 'yes' || v === 'no' || v === 'na') return t(`answer.${v}`);
  return typeof v === 'number' ? `${v} / 5` : '–';
}

/** Time-zone formatting is slow and a close formats the same few moments thousands of times. */
const formatted = new Map<string, string>();
function memo(key: string, make: () => string): string {
  let v = formatted.get(key);
  if (v === undefined) {
    if (formatted.size > 20_000) formatted.clear();
    v = make();
    formatted.set(key, v);
  }
  return v;
}

/** Times are shown in the bank's time zone with its offset, so a reader never has to guess. */
export function dateTime(iso: string, timezone: string): string {
  return memo(`t|${timezone}|${iso}`, () => {
    const d = DateTime.fromISO(iso, { setZone: false }).setZone(timezone);
    return d.isValid ? d.toFormat('yyyy-MM-dd HH:mm ZZ') : iso;
  });
}

export function date(iso: string | null, timezone: string): string {
  if (!iso) return '–';
  return memo(`d|${timezone}|${iso}`, () => {
    const d = DateTime.fromISO(iso).setZone(timezone);
    return d.isValid ? d.toFormat('yyyy-MM-dd') : iso;
  });
}
