import { shownKeys, type Condition } from './conditions';
import { isFiniteNumber } from './values';

/**
 * The scoring rules of SPEC.md sections 3 and 10, as pure functions. Everything that shows a score
 * (visits, results, reports, HR) goes through here, so a published number can always be recomputed.
 */
export const SECTION_KEYS = ['greeting', 'product_knowledge', 'sales_compliance', 'follow_up'] as const;
export type SectionKey = (typeof SECTION_KEYS)[number];

export const ITEM_TYPES = ['yes_no', 'scale', 'number', 'choice', 'multi', 'text'] as const;
export type ItemType = (typeof ITEM_TYPES)[number];

/**
 * `yes`/`no`/`na`; a scale value 1..5 or a number; an option key (`choice`) or free text (`text`);
 * the option keys chosen (`multi`).
 */
export type AnswerValue = string | number | string[];

export interface Band {
  max: number;
  score: number;
}
export interface ScoringOption {
  key: string;
  /** `choice`: 0..1, or null for "not applicable"; `multi`: −1..1. */
  score: number | null;
}

export interface ScoringItem {
  key: string;
  type: ItemType;
  weight: number;
  critical: boolean;
  allowNA: boolean;
  required: boolean;
  /** `number`: the accepted range and the score bands, ascending `max`. */
  min?: number | null;
  max?: number | null;
  bands?: readonly Band[] | null;
  /** `choice` and `multi`. */
  options?: readonly ScoringOption[] | null;
  showIf?: Condition | null;
  /** A failing answer needs an attachment naming the item before the visit can be submitted. */
  evidenceOnFail?: boolean;
}

export interface ScoringSection {
  key: SectionKey;
  weight: number;
  items: ScoringItem[];
}

export interface Answer {
  itemKey: string;
  value: AnswerValue;
}

export type SectionScores = Record<SectionKey, number | null>;

export interface VisitScores {
  sections: SectionScores;
  total: number | null;
  violations: { itemKey: string; sectionKey: SectionKey }[];
}

/** A scale answer: a whole number from 1 to 5. The one place this range is written. */
export function isScaleValue(value: unknown): value is 1 | 2 | 3 | 4 | 5 {
  return Number.isInteger(value) && (value as number) >= 1 && (value as number) <= 5;
}

/** `number`: the score of the first band whose `max` is at least the value; above every band, 0. */
function bandScore(item: Pick<ScoringItem, 'bands' | 'min' | 'max'>, value: unknown): number | null {
  if (!isFiniteNumber(value) || !item.bands?.length) return null;
  if ((typeof item.min === 'number' && value < item.min) || (typeof item.max === 'number' && value > item.max))
    return null;
  return item.bands.find((b) => b.max >= value)?.score ?? 0;
}

function choiceScore(item: Pick<ScoringItem, 'options'>, value: unknown): number | null {
  // An option key is text: a value of any other kind matches none (no separate type check needed).
  return item.options?.find((o) => o.key === value)?.score ?? null;
}

/** `multi`: min(1, max(0, Σ scores of the chosen options)); each option counts once, in any order. */
function multiScore(item: Pick<ScoringItem, 'options'>, value: unknown): number | null {
  if (!Array.isArray(value)) return null;
  const scores = new Map((item.options ?? []).map((o) => [o.key, o.score ?? 0]));
  const chosen: number[] = [];
  for (const key of new Set(value)) {
    const s = scores.get(key as string);
    if (s === undefined) return null;
    chosen.push(s);
  }
  // Summed in one fixed order, so that neither the order of the options nor that of the ticks can
  // change the last bit of a floating-point sum.
  const sum = chosen.sort((a, b) => a - b).reduce((acc, s) => acc + s, 0);
  return Math.min(1, Math.max(0, sum));
}

/**
 * 0..1 for an applicable answer, null for `na`, for `text` (never scored), for a `number` item
 * without bands and for a `choice` option whose score is null. A value that does not fit the item
 * (answerErrors rejects those at the edge) is left out too rather than scored 0 or turned into NaN,
 * so a bad stored answer can never corrupt a published number.
 */
export function itemScore(
  item: Pick<ScoringItem, 'type'> & Partial<Pick<ScoringItem, 'bands' | 'options' | 'min' | 'max'>>,
  value: unknown,
): number | null {
  if (value === 'na') return null;
  switch (item.type) {
    case 'yes_no':
      return value === 'yes' ? 1 : value === 'no' ? 0 : null;
    case 'scale':
      return isScaleValue(value) ? (value - 1) / 4 : null;
    case 'number':
      return bandScore(item, value);
    case 'choice':
      return choiceScore(item, value);
    case 'multi':
      return multiScore(item, value);
    default:
      return null;
  }
}

/** A critical item that scores 0, whatever its type, is a compliance violation and zeroes its section. */
export function isCriticalFailure(item: Parameters<typeof itemScore>[0] & { critical: boolean }, value: unknown) {
  return item.critical && itemScore(item, value) === 0;
}

const answerMap = (answers: readonly { itemKey: string; value: unknown }[]) =>
  new Map(answers.map((a) => [a.itemKey, a.value]));

/** The keys of the items a visit's answers leave applicable (conditions met or none). */
export function applicableKeys(
  sections: readonly Pick<ScoringSection, 'items'>[],
  answers: readonly { itemKey: string; value: unknown }[],
): Set<string> {
  return shownKeys(
    sections.flatMap((s) => s.items),
    answerMap(answers),
  );
}

/**
 * Each applicable answer's score, in questionnaire order: answers to items hidden by their
 * condition, `na`, text and unscored answers are left out. The failure rates (key problems, action
 * plan outcomes) count these, so they follow the same rules as the scores. `items` in questionnaire order.
 */
export function answerScores<I extends ScoringItem>(
  items: ReadonlyMap<string, I>,
  answers: readonly { itemKey: string; value: unknown }[],
): { item: I; score: number }[] {
  const values = answerMap(answers);
  const shown = shownKeys(items.values(), values);
  const out: { item: I; score: number }[] = [];
  for (const item of items.values()) {
    if (!shown.has(item.key) || !values.has(item.key)) continue;
    const s = itemScore(item, values.get(item.key));
    if (s !== null) out.push({ item, score: s });
  }
  return out;
}

export function scoreVisit(sections: ScoringSection[], answers: readonly Answer[]): VisitScores {
  const byKey = answerMap(answers);
  const shown = applicableKeys(sections, answers);
  const result: SectionScores = { greeting: null, product_knowledge: null, sales_compliance: null, follow_up: null };
  const violations: VisitScores['violations'] = [];
  let weighted = 0;
  let weights = 0;
  for (const section of sections) {
    let num = 0;
    let den = 0;
    let failedCritical = false;
    for (const item of section.items) {
      // Not applicable (its condition is not met): left out like `na`.
      if (!shown.has(item.key)) continue;
      const s = byKey.has(item.key) ? itemScore(item, byKey.get(item.key)) : null;
      if (s === null) continue;
      num += item.weight * s;
      den += item.weight;
      if (item.critical && s === 0) {
        failedCritical = true;
        violations.push({ itemKey: item.key, sectionKey: section.key });
      }
    }
    if (den === 0) continue;
    const score = failedCritical ? 0 : (100 * num) / den;
    result[section.key] = score;
    weighted += section.weight * score;
    weights += section.weight;
  }
  return { sections: result, total: weights === 0 ? null : weighted / weights, violations };
}

/**
 * Required items without an answer, in questionnaire order; a visit cannot be submitted until this
 * is empty. An item hidden by its condition is never required.
 */
export function missingRequired(
  sections: ScoringSection[],
  answers: readonly Answer[],
): { itemKey: string; sectionKey: SectionKey }[] {
  const answered = new Set(answers.map((a) => a.itemKey));
  const shown = applicableKeys(sections, answers);
  return sections.flatMap((s) =>
    s.items
      .filter((i) => i.required && shown.has(i.key) && !answered.has(i.key))
      .map((i) => ({ itemKey: i.key, sectionKey: s.key })),
  );
}

/**
 * Items marked `evidenceOnFail` whose applicable answer scores 0 while no attachment names them
 * (`evidenced`: the item keys the visit's attachments name); a visit cannot be submitted until this is empty.
 */
export function evidenceMissing(
  sections: ScoringSection[],
  answers: readonly Answer[],
  evidenced: ReadonlySet<string>,
): { itemKey: string; sectionKey: SectionKey }[] {
  const values = answerMap(answers);
  const shown = applicableKeys(sections, answers);
  return sections.flatMap((s) =>
    s.items
      .filter(
        (i) =>
          i.evidenceOnFail &&
          shown.has(i.key) &&
          !evidenced.has(i.key) &&
          values.has(i.key) &&
          itemScore(i, values.get(i.key)) === 0,
      )
      .map((i) => ({ itemKey: i.key, sectionKey: s.key })),
  );
}

/** Scores are stored unrounded and shown with one decimal, half away from zero. */
export function roundScore(v: number): number {
  const scaled = Math.abs(v) * 10;
  // Guards against binary fractions such as 84.25 stored as 84.2499999...
  const rounded = Math.floor(scaled + 0.5 + 1e-9);
  return (Math.sign(v) * rounded) / 10;
}

export function formatScore(v: number | null | undefined): string {
  // Number.isFinite is false for null and undefined as well.
  return Number.isFinite(v) ? roundScore(v as number).toFixed(1) : '–';
}
