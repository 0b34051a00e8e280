import type { QuestionnaireItem } from '../questionnaires/service';
import { answerInWords, inLang } from '../rules/answer-words';
import type { AnswerValue } from '../rules/scoring';
import type { PageContext } from '../web/render';

/** The reviewer's corrected answer on a dispute: its control by the item's type, and reading it back. */
export type Item = QuestionnaireItem & { sectionKey: string };

/**
 * The corrected answer's control for the item's type: a list of the answers it can have (yes/no,
 * 1–5, options), a number box, the options to tick (multiple choice) or a text box.
 */
export function valueInput(ctx: PageContext, item: Item, posted: Record<string, unknown>) {
  const na = item.allowNA ? [{ value: 'na', label: answerInWords(item, 'na', ctx.locale) }] : [];
  const choices =
    item.type === 'yes_no'
      ? ['yes', 'no'].map((v) => ({ value: v, label: answerInWords(item, v, ctx.locale) }))
      : item.type === 'scale'
        ? [1, 2, 3, 4, 5].map((v) => ({ value: String(v), label: answerInWords(item, v, ctx.locale) }))
        : item.type === 'choice'
          ? (item.options ?? []).map((o) => ({ value: o.key, label: inLang(o.text, ctx.locale) }))
          : [];
  return {
    kind:
      item.type === 'multi' ? 'multi' : item.type === 'number' ? 'number' : item.type === 'text' ? 'text' : 'select',
    choices: [...choices, ...na].map((c) => ({ ...c, selected: posted.value === c.value })),
    options: (item.options ?? []).map((o) => ({
      key: o.key,
      label: inLang(o.text, ctx.locale),
      checked: posted[`value:${o.key}`] !== undefined,
    })),
    none: posted['value:_none'] !== undefined,
    value: typeof posted.value === 'string' ? posted.value : '',
    unit: inLang(item.unit, ctx.locale),
    min: item.min,
    max: item.max,
  };
}

/**
 * The posted corrected answer, read by the item's type: a number, the ticked options of a multiple
 * choice (`value:<option>`, `value:_none` for none of them), else the text or key as sent.
 */
export function answerValue(item: Item | undefined, f: Record<string, string>): AnswerValue | undefined {
  const raw = (f.value ?? '').trim();
  if (raw === 'na') return 'na';
  if (item?.type === 'multi') {
    const chosen = (item.options ?? []).map((o) => o.key).filter((k) => f[`value:${k}`] !== undefined);
    return chosen.length || f['value:_none'] !== undefined ? chosen : undefined;
  }
  if (raw === '') return undefined;
  if (item?.type === 'scale' || item?.type === 'number') return Number.isFinite(Number(raw)) ? Number(raw) : raw;
  return raw;
}
