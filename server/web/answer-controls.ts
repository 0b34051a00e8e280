import { translate, type Locale } from '../platform/i18n';
import { answerInWords, inLang } from '../rules/answer-words';
import type { AnswerValue, ItemType } from '../rules/scoring';

/**
 * The answer controls of a questionnaire item, both ways: the control a page shows for each item
 * type (views/partials/items/item.hbs) and the answer read back from the posted form. The phone
 * form and the questionnaire editor's live preview use the same controls.
 *
 * Form fields (item keys never contain ':'):
 * - `a.<key>`: yes | no | 1..5 | an option key | na (radios), a number, a text;
 * - `a.<key>:<option>`: a ticked option of a multiple choice; `a.<key>:_none`: none of them;
 * - `a.<key>:_na`: not applicable, for the types whose control is not a list of radios;
 * - `c.<key>`: the comment.
 */
type Text = { zh: string; en: string };
type T = (key: string, vars?: Record<string, unknown>) => string;

export interface ControlItem {
  key: string;
  type: ItemType;
  text: Text;
  required: boolean;
  critical: boolean;
  allowNA: boolean;
  min?: number;
  max?: number;
  unit?: Text;
  options?: readonly { key: string; text: Text }[];
  showIf?: { item: string; in: readonly (string | number)[] };
  evidenceOnFail?: boolean;
  guidance?: Text;
}

export const NONE = '_none';
export const NA = '_na';
export const answerField = (key: string) => `a.${key}`;
export const optionField = (key: string, option: string) => `a.${key}:${option}`;

const RADIO_TYPES: readonly ItemType[] = ['yes_no', 'scale', 'choice'];

/** The answer posted for an item; undefined when left empty. A number that is not one is sent as typed, so the rules report it. */
export function postedAnswer(item: ControlItem, f: Record<string, string | undefined>): AnswerValue | undefined {
  const raw = (f[answerField(item.key)] ?? '').trim();
  if (raw === 'na' || f[optionField(item.key, NA)] !== undefined) return 'na';
  if (item.type === 'multi') {
    const chosen = (item.options ?? []).map((o) => o.key).filter((k) => f[optionField(item.key, k)] !== undefined);
    return chosen.length || f[optionField(item.key, NONE)] !== undefined ? chosen : undefined;
  }
  if (raw === '') return undefined;
  if (item.type === 'scale' || item.type === 'number') return Number.isFinite(Number(raw)) ? Number(raw) : raw;
  if (item.type === 'text') return (f[answerField(item.key)] ?? '').trim();
  return raw;
}

interface Choice {
  value: string;
  label: string;
  checked: boolean;
  tone: string;
}

function radioChoices(item: ControlItem, value: AnswerValue | undefined, locale: Locale, t: T): Choice[] {
  const values: (string | number)[] =
    item.type === 'yes_no'
      ? ['yes', 'no']
      : item.type === 'scale'
        ? [1, 2, 3, 4, 5]
        : (item.options ?? []).map((o) => o.key);
  if (item.allowNA) values.push('na');
  const choices = values.map((v) => ({
    value: String(v),
    label: item.type === 'scale' && v !== 'na' ? String(v) : answerInWords(item, v, locale),
    checked: value !== undefined && String(value) === String(v),
    tone: item.type === 'choice' && v !== 'na' ? 'option' : String(v),
  }));
  // An optional item can be cleared again; a required one only changed.
  if (!item.required) choices.push({ value: '', label: t('items.clear'), checked: value === undefined, tone: 'clear' });
  return choices;
}

function rangeHint(item: ControlItem, t: T): string {
  const has = (n: number | undefined) => typeof n === 'number';
  if (has(item.min) && has(item.max)) return t('items.number_range', { min: item.min, max: item.max });
  if (has(item.min)) return t('items.number_min', { min: item.min });
  if (has(item.max)) return t('items.number_max', { max: item.max });
  return '';
}

/** "Asked when “Product recommended” is answered Yes or Wealth product" (the editor's preview says why an item may be hidden). */
function dependsOn(item: ControlItem, byKey: ReadonlyMap<string, ControlItem>, locale: Locale, t: T): string {
  const c = item.showIf;
  const ref = c ? byKey.get(c.item) : undefined;
  if (!c || !ref) return '';
  const values = c.in.map((v) => answerInWords(ref, ref.type === 'multi' ? [v] : v, locale));
  return t('items.depends_on', { item: inLang(ref.text, locale), values: values.join(t('items.values_or')) });
}

export interface ControlState {
  value?: AnswerValue;
  comment?: string;
  shown: boolean;
  missing?: boolean;
  error?: string;
  /** evidenceOnFail items: the answer fails, and whether an attachment names the item. */
  failing?: boolean;
  evidenced?: boolean;
}

/** The view model of one item's control for views/partials/items/item.hbs. */
export function controlView(
  item: ControlItem,
  state: ControlState,
  ctx: { locale: Locale; t: T; items: ReadonlyMap<string, ControlItem> },
) {
  const { locale, t } = ctx;
  const v = state.value;
  const kind = RADIO_TYPES.includes(item.type) ? 'radio' : item.type;
  const chosen = new Set(Array.isArray(v) ? v : []);
  return {
    key: item.key,
    type: item.type,
    kind,
    text: inLang(item.text, locale),
    guidance: inLang(item.guidance, locale),
    required: item.required,
    critical: item.critical,
    hidden: !state.shown,
    showIf: item.showIf ? JSON.stringify({ item: item.showIf.item, in: item.showIf.in }) : '',
    dependsOn: dependsOn(item, ctx.items, locale, t),
    choices: kind === 'radio' ? radioChoices(item, v, locale, t) : [],
    options: (item.options ?? []).map((o) => ({
      value: o.key,
      label: inLang(o.text, locale),
      checked: chosen.has(o.key),
    })),
    none: Array.isArray(v) && v.length === 0,
    na: kind !== 'radio' && item.allowNA ? { checked: v === 'na' } : null,
    value: (typeof v === 'number' || typeof v === 'string') && v !== 'na' ? String(v) : '',
    unit: inLang(item.unit, locale),
    // Strings, so that 0 is still written as a bound.
    min: typeof item.min === 'number' ? String(item.min) : '',
    max: typeof item.max === 'number' ? String(item.max) : '',
    range: item.type === 'number' ? rangeHint(item, t) : '',
    comment: state.comment ?? '',
    missing: Boolean(state.missing),
    error: state.error,
    evidence: item.evidenceOnFail
      ? {
          failing: Boolean(state.failing),
          attached: Boolean(state.evidenced),
          asked: state.failing && !state.evidenced,
        }
      : null,
  };
}

/** What a refused answer needs, in the page's language: a number its range, a text its length, a list a pick. */
export function answerMessage(locale: Locale, item: Pick<ControlItem, 'type' | 'min' | 'max'> | undefined): string {
  if (item?.type === 'number') {
    const range = [item.min, item.max].every((n) => typeof n === 'number')
      ? translate(locale, 'items.number_range', { min: item.min, max: item.max })
      : '';
    return translate(locale, 'items.bad_number', { range });
  }
  if (item?.type === 'text') return translate(locale, 'items.bad_text');
  return translate(locale, 'visits.edit.bad_answer');
}
