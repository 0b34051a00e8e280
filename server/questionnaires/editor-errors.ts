import type { ErrorDetail } from '../platform/errors';
import type { Locale } from '../platform/i18n';
import { localizeMessage } from '../web/forms';
import type { Built, EditorState, ItemField, Row } from './editor-form';

/**
 * The schema's and the rules' messages about a questionnaire, in the page's language and placed at
 * the row (and the box) they are about: an item's field, one of its options or bands, its condition.
 */
type T = (key: string, vars?: Record<string, unknown>) => string;

/** The rules' (English) messages, with what they name, as dictionary keys of questionnaires.msg.*. */
const OUR_MESSAGES: [RegExp, string][] = [
  [/^must be greater than 0/, 'positive'],
  [/^Expected number/, 'number'],
  [/^letters, digits/, 'key_chars'],
  [/^item key ".*" is already used/, 'key_taken'],
  [/^a questionnaire needs at least one item/, 'no_items'],
  [/^no such bank/, 'pick_bank'],
  [/^a (?<type>\w+) item needs at least (?<n>\d+) options/, 'min_options'],
  [/^an item that is never scored .* cannot be critical/, 'unscored_critical'],
  [/^an item that is never scored .* never fails/, 'unscored_evidence'],
  [/^option key "(?<key>.*)" is repeated/, 'option_repeated'],
  [/^"na" is reserved/, 'option_na'],
  [/^a multiple-choice option scores from -1 to 1/, 'multi_score'],
  [/^a choice option scores from 0 to 1/, 'choice_score'],
  [/^max must be at least min \((?<min>.*)\)/, 'min_max'],
  [/^bands must ascend: max (?<max>\S+) is not above (?<before>\S+)/, 'bands_ascend'],
  [/^a band scores from 0 to 1/, 'band_score'],
  [/^no item "(?<item>.*)" in this questionnaire/, 'if_unknown'],
  [/^an item cannot depend on itself/, 'if_self'],
  [/^conditions go round in a circle: (?<cycle>.*)/, 'if_circle'],
  [/^a condition must refer to an earlier item; "(?<item>.*)" comes after "(?<own>.*)"/, 'if_forward'],
  [/^a condition cannot refer to a (?<type>\w+) item \("(?<item>.*)"\)/, 'if_type'],
  [/^list at least one answer that shows the item/, 'if_empty'],
  [/^"(?<value>.*)" is not an answer "(?<item>.*)" can have/, 'if_value'],
  [/^give the text in Chinese, English or both/, 'text_one'],
  [/^only .* items take (?<field>\w+)/, 'field_type'],
];

export function editorMessage(locale: Locale, t: T, d: ErrorDetail): string {
  for (const [re, key] of OUR_MESSAGES) {
    const m = re.exec(d.message);
    if (m) return t(`questionnaires.msg.${key}`, m.groups ?? {});
  }
  return localizeMessage(locale, d.message, typeof d.code === 'string' ? d.code : undefined);
}

/** An item path's first part → the row's field (and its column label). */
const FIELD_OF: Record<string, ItemField> = {
  key: 'key',
  text: 'zh',
  type: 'type',
  weight: 'weight',
  critical: 'critical',
  allowNA: 'na',
  required: 'required',
  evidenceOnFail: 'evidence',
  guidance: 'gzh',
  failureText: 'fzh',
  min: 'min',
  max: 'max',
  unit: 'uzh',
  showIf: 'ifItem',
};
const SUB_FIELD: Record<string, ItemField> = {
  'text.en': 'en',
  'guidance.en': 'gen',
  'failureText.en': 'fen',
  'unit.en': 'uen',
  'showIf.in': 'ifIn',
};

function placeOnRow(row: Row, rest: string, built: Built, at: string, text: string, t: T): void {
  const sub = /^(options|bands)\.(\d+)(?:\.(\w+))?/.exec(rest);
  if (sub) {
    const which =
      sub[1] === 'options' ? built.optionAt.get(`${at}.options.${sub[2]}`) : built.bandAt.get(`${at}.bands.${sub[2]}`);
    const field = sub[3] === 'text' ? 'zh' : (sub[3] ?? 'key');
    if (which) which.bad[field] = true;
    row.bad[sub[1] as 'options' | 'bands'] = true;
    const label = t(sub[1] === 'options' ? 'questionnaires.col.option_n' : 'questionnaires.col.band_n', {
      n: Number(sub[2]) + 1,
    });
    row.errors.push(`${label}: ${text}`);
    return;
  }
  if (rest === 'options' || rest === 'bands') {
    row.bad[rest] = true;
    row.errors.push(`${t(`questionnaires.col.${rest}`)}: ${text}`);
    return;
  }
  const field = SUB_FIELD[/^\w+\.\w+/.exec(rest)?.[0] ?? ''] ?? FIELD_OF[rest.split('.')[0]] ?? 'key';
  row.bad[field] = true;
  row.errors.push(`${t(`questionnaires.col.${field}`)}: ${text}`);
}

export function placeError(state: EditorState, built: Built, d: ErrorDetail, text: string, t: T): void {
  const path = d.field ?? '';
  const item = /^sections\.(\d+)\.items\.(\d+)(?:\.(.+))?$/.exec(path);
  const at = item ? `sections.${item[1]}.items.${item[2]}` : '';
  const row = item ? built.rowAt.get(at) : undefined;
  if (item && row) return placeOnRow(row, item[3] ?? 'key', built, at, text, t);
  const weight = /^sections\.(\d+)\.weight$/.exec(path);
  if (weight && state.sections[Number(weight[1])]) {
    state.sections[Number(weight[1])].weightError = text;
    return;
  }
  if (path === 'name') state.nameError = text;
  else if (path === 'bankId') state.bankError = text;
  else state.general.push(text);
}

/** Every problem as one line naming its item, for the editor's live check beside the preview. */
export function problemLines(built: Built, details: ErrorDetail[], locale: Locale, t: T): string[] {
  return details.map((d) => {
    const item = /^sections\.(\d+)\.items\.(\d+)/.exec(d.field ?? '');
    const row = item ? built.rowAt.get(`sections.${item[1]}.items.${item[2]}`) : undefined;
    const text = editorMessage(locale, t, d);
    return row ? `${row.key || `#${row.n + 1}`}: ${text}` : text;
  });
}
