import { SECTION_KEYS, type SectionKey } from '../rules/scoring';
import { splitList, type FormBody } from '../web/forms';
import type { QuestionnaireItem, QuestionnaireVersionView } from './views';

/**
 * The questionnaire editor's form, both ways: a version (or the posted fields, shown again) as rows
 * of the form, and the rows as the API's `sections`, which the same schema then checks. Pure.
 *
 * Fields: `w.<section>` (weight); per item `i.<section>.<n>.<field>` with the fields of ItemField,
 * its options `i.<section>.<n>.o.<m>.key|zh|en|score` and bands `i.<section>.<n>.b.<m>.max|score`.
 * A row whose key and texts are all empty is dropped (that is how an item is removed), and so are
 * option and band rows left empty; fields the item's type does not use are not sent.
 */
export const ITEM_FIELDS = [
  'key',
  'zh',
  'en',
  'type',
  'weight',
  'critical',
  'na',
  'required',
  'evidence',
  'gzh',
  'gen',
  'fzh',
  'fen',
  'min',
  'max',
  'uzh',
  'uen',
  'ifItem',
  'ifIn',
] as const;
export type ItemField = (typeof ITEM_FIELDS)[number];
const CHECKBOXES: readonly ItemField[] = ['critical', 'na', 'required', 'evidence'];

export interface OptionRow {
  n: number;
  key: string;
  zh: string;
  en: string;
  score: string;
  bad: Record<string, boolean>;
}
export interface BandRow {
  n: number;
  max: string;
  score: string;
  bad: Record<string, boolean>;
}
export type Row = Record<Exclude<ItemField, 'critical' | 'na' | 'required' | 'evidence'>, string> &
  Record<'critical' | 'na' | 'required' | 'evidence', boolean> & {
    n: number;
    options: OptionRow[];
    bands: BandRow[];
    errors: string[];
    bad: Partial<Record<ItemField | 'options' | 'bands', boolean>>;
  };
export interface SectionForm {
  key: SectionKey;
  weight: string;
  weightError?: string;
  rows: Row[];
}
export interface EditorState {
  name: string;
  bankId: string;
  sections: SectionForm[];
  general: string[];
  nameError?: string;
  bankError?: string;
}

export const BLANK_OPTIONS = 2;
export const BLANK_BANDS = 2;

const blankOption = (n: number): OptionRow => ({ n, key: '', zh: '', en: '', score: '', bad: {} });
const blankBand = (n: number): BandRow => ({ n, max: '', score: '', bad: {} });
const padded = <T extends { n: number }>(rows: T[], blank: (n: number) => T, extra: number): T[] => {
  const next = rows.reduce((m, r) => Math.max(m, r.n + 1), 0);
  return [...rows, ...Array.from({ length: extra }, (_, i) => blank(next + i))];
};

export function blankRow(n: number): Row {
  const row = Object.fromEntries(ITEM_FIELDS.map((f) => [f, CHECKBOXES.includes(f) ? false : ''])) as unknown as Row;
  return {
    ...row,
    n,
    type: 'yes_no',
    required: true,
    options: padded([], blankOption, BLANK_OPTIONS + 1),
    bands: padded([], blankBand, BLANK_BANDS + 1),
    errors: [],
    bad: {},
  };
}

const str = (v: number | undefined) => (v === undefined ? '' : String(v));

function rowOf(i: QuestionnaireItem, n: number): Row {
  return {
    ...blankRow(n),
    key: i.key,
    zh: i.text.zh,
    en: i.text.en,
    type: i.type,
    weight: String(i.weight),
    critical: i.critical,
    na: i.allowNA,
    required: i.required,
    evidence: i.evidenceOnFail,
    gzh: i.guidance?.zh ?? '',
    gen: i.guidance?.en ?? '',
    fzh: i.failureText?.zh ?? '',
    fen: i.failureText?.en ?? '',
    min: str(i.min),
    max: str(i.max),
    uzh: i.unit?.zh ?? '',
    uen: i.unit?.en ?? '',
    ifItem: i.showIf?.item ?? '',
    ifIn: (i.showIf?.in ?? []).join(', '),
    options: padded(
      (i.options ?? []).map((o, m) => ({
        n: m,
        key: o.key,
        zh: o.text.zh,
        en: o.text.en,
        score: o.score === null ? '' : String(o.score),
        bad: {},
      })),
      blankOption,
      BLANK_OPTIONS,
    ),
    bands: padded(
      (i.bands ?? []).map((b, m) => ({ n: m, max: String(b.max), score: String(b.score), bad: {} })),
      blankBand,
      BLANK_BANDS,
    ),
  };
}

export function stateFrom(
  v: Pick<QuestionnaireVersionView, 'name' | 'bankId' | 'sections'> | undefined,
  bankId: string,
  extraRows: number,
): EditorState {
  return {
    name: v?.name ?? '',
    bankId: v?.bankId ?? bankId,
    general: [],
    sections: SECTION_KEYS.map((key) => {
      const s = v?.sections.find((x) => x.key === key);
      const rows = (s?.items ?? []).map(rowOf);
      return { key, weight: s ? String(s.weight) : '', rows: padded(rows, blankRow, extraRows) };
    }),
  };
}

// ---- posted fields → rows

const numbered = (keys: string[], re: RegExp): number[] =>
  [...new Set(keys.flatMap((k) => (re.exec(k) ? [Number(re.exec(k)?.[1])] : [])))]
    .filter((n) => Number.isInteger(n) && n >= 0 && n < 1000)
    .sort((a, b) => a - b);

function postedRow(f: FormBody, prefix: string, n: number): Row {
  const at = `${prefix}${n}.`;
  const keys = Object.keys(f).filter((k) => k.startsWith(at));
  const v = (field: string) => f[`${at}${field}`];
  const row = blankRow(n);
  for (const field of ITEM_FIELDS) {
    if (CHECKBOXES.includes(field)) (row as Record<string, unknown>)[field] = v(field) !== undefined;
    else (row as Record<string, unknown>)[field] = v(field) ?? '';
  }
  row.key = row.key.trim();
  row.type = row.type || 'yes_no';
  row.options = numbered(keys, new RegExp(`^${escape(at)}o\\.(\\d+)\\.`)).map((m) => ({
    n: m,
    key: (v(`o.${m}.key`) ?? '').trim(),
    zh: v(`o.${m}.zh`) ?? '',
    en: v(`o.${m}.en`) ?? '',
    score: v(`o.${m}.score`) ?? '',
    bad: {},
  }));
  row.bands = numbered(keys, new RegExp(`^${escape(at)}b\\.(\\d+)\\.`)).map((m) => ({
    n: m,
    max: v(`b.${m}.max`) ?? '',
    score: v(`b.${m}.score`) ?? '',
    bad: {},
  }));
  return row;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Rows as posted (every row, blank ones too, so a form shown again loses nothing). */
export function postedState(f: FormBody): EditorState {
  const keys = Object.keys(f);
  const sections = SECTION_KEYS.map((key): SectionForm => {
    const prefix = `i.${key}.`;
    const rows = numbered(keys, new RegExp(`^${escape(prefix)}(\\d+)\\.`)).map((n) => postedRow(f, prefix, n));
    return { key, weight: f[`w.${key}`] ?? '', rows };
  });
  return { name: f.name ?? '', bankId: f.bankId ?? '', sections, general: [] };
}

// ---- rows → the API's sections

const isBlank = (r: Row): boolean => !r.key && !r.zh.trim() && !r.en.trim();
/** An empty box means "not given"; anything else goes to the schema as typed, so "abc" is reported, not dropped. */
const numberOrRaw = (s: string): number | string | undefined =>
  s.trim() === '' ? undefined : Number.isFinite(Number(s)) ? Number(s) : s;
const both = (zh: string, en: string) => (zh.trim() || en.trim() ? { zh: zh.trim(), en: en.trim() } : undefined);

export interface Built {
  sections: { key: SectionKey; weight: unknown; items: Record<string, unknown>[] }[];
  /** "sections.S.items.I" → the row it came from; "…options.M" / "…bands.M" → the option or band row. */
  rowAt: Map<string, Row>;
  optionAt: Map<string, OptionRow>;
  bandAt: Map<string, BandRow>;
}

/** The values that show an item: numbers for a scale item, option keys or yes/no/na otherwise. */
function conditionValues(text: string, refType: string | undefined): (string | number)[] {
  return splitList(text).map((v) => (refType === 'scale' && /^\d+$/.test(v) ? Number(v) : v));
}

function typedFields(r: Row, at: string, built: Built, typeOf: Map<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (r.type === 'choice' || r.type === 'multi') {
    const options = r.options.filter((o) => o.key || o.zh.trim() || o.en.trim() || o.score.trim());
    options.forEach((o, m) => built.optionAt.set(`${at}.options.${m}`, o));
    out.options = options.map((o) => ({
      key: o.key,
      text: { zh: o.zh, en: o.en },
      score: o.score.trim() === '' ? null : numberOrRaw(o.score),
    }));
  }
  if (r.type === 'number') {
    const bands = r.bands.filter((b) => b.max.trim() || b.score.trim());
    bands.forEach((b, m) => built.bandAt.set(`${at}.bands.${m}`, b));
    if (bands.length)
      out.bands = bands.map((b) => ({ max: numberOrRaw(b.max) ?? '', score: numberOrRaw(b.score) ?? '' }));
    if (numberOrRaw(r.min) !== undefined) out.min = numberOrRaw(r.min);
    if (numberOrRaw(r.max) !== undefined) out.max = numberOrRaw(r.max);
    const unit = both(r.uzh, r.uen);
    if (unit) out.unit = { zh: unit.zh || unit.en, en: unit.en || unit.zh };
  }
  if (r.ifItem.trim()) out.showIf = { item: r.ifItem.trim(), in: conditionValues(r.ifIn, typeOf.get(r.ifItem.trim())) };
  const guidance = both(r.gzh, r.gen);
  if (guidance) out.guidance = guidance;
  const failure = both(r.fzh, r.fen);
  if (failure) out.failureText = failure;
  return out;
}

export function toSections(state: EditorState): Built {
  const built: Built = { sections: [], rowAt: new Map(), optionAt: new Map(), bandAt: new Map() };
  const typeOf = new Map(state.sections.flatMap((s) => s.rows.map((r) => [r.key, r.type] as const)));
  built.sections = state.sections.map((s, si) => ({
    key: s.key,
    weight: numberOrRaw(s.weight),
    items: s.rows
      .filter((r) => !isBlank(r))
      .map((r, ii) => {
        const at = `sections.${si}.items.${ii}`;
        built.rowAt.set(at, r);
        return {
          key: r.key,
          text: { zh: r.zh, en: r.en },
          type: r.type,
          weight: numberOrRaw(r.weight),
          critical: r.critical,
          allowNA: r.na,
          required: r.required,
          evidenceOnFail: r.evidence,
          ...typedFields(r, at, built, typeOf),
        };
      }),
  }));
  return built;
}
