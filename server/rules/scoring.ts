/**
 * The scoring rules of SPEC.md section 3, as pure functions. Everything that shows a score
 * (visits, results, reports, HR) goes through here, so a published number can always be recomputed.
 */
export const SECTION_KEYS = ['greeting', 'product_knowledge', 'sales_compliance', 'follow_up'] as const;
export type SectionKey = (typeof SECTION_KEYS)[number];

export type ItemType = 'yes_no' | 'scale';
export type AnswerValue = 'yes' | 'no' | 'na' | 1 | 2 | 3 | 4 | 5;

export interface ScoringItem {
  key: string;
  type: ItemType;
  weight: number;
  critical: boolean;
  allowNA: boolean;
  required: boolean;
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

/**
 * 0..1 for an applicable answer, null for `na` (left out of every sum, weights included) and for no
 * answer. A value that does not fit the item (answerErrors rejects those at the edge) is left out too
 * rather than scored 0 or turned into NaN, so a bad stored answer can never corrupt a published number.
 */
export function itemScore(item: Pick<ScoringItem, 'type'>, value: unknown): number | null {
  if (item.type === 'yes_no') return value === 'yes' ? 1 : value === 'no' ? 0 : null;
  return isScaleValue(value) ? (value - 1) / 4 : null;
}

/**
 * A critical item that scores 0 (`no`, scale 1) is a compliance violation and zeroes its section.
 * Written through itemScore so that "fails" means the same here as in every failure rate.
 */
export function isCriticalFailure(item: Pick<ScoringItem, 'type' | 'critical'>, value: unknown): boolean {
  return item.critical && itemScore(item, value) === 0;
}

export function scoreVisit(sections: ScoringSection[], answers: Answer[]): VisitScores {
  const byKey = new Map(answers.map((a) => [a.itemKey, a.value]));
  const result: SectionScores = { greeting: null, product_knowledge: null, sales_compliance: null, follow_up: null };
  const violations: VisitScores['violations'] = [];
  let weighted = 0;
  let weights = 0;
  for (const section of sections) {
    let num = 0;
    let den = 0;
    let failedCritical = false;
    for (const item of section.items) {
      const value = byKey.get(item.key);
      const s = itemScore(item, value);
      if (s === null) continue;
      num += item.weight * s;
      den += item.weight;
      if (isCriticalFailure(item, value)) {
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

/** Required items without an answer, in questionnaire order; a visit cannot be submitted until this is empty. */
export function missingRequired(
  sections: ScoringSection[],
  answers: Answer[],
): { itemKey: string; sectionKey: SectionKey }[] {
  const answered = new Set(answers.map((a) => a.itemKey));
  return sections.flatMap((s) =>
    s.items.filter((i) => i.required && !answered.has(i.key)).map((i) => ({ itemKey: i.key, sectionKey: s.key })),
  );
}

/** Checks each answer against its item: known key, right kind of value, `na` only where allowed. */
export function answerErrors(
  sections: ScoringSection[],
  answers: { itemKey: string; value: unknown }[],
): { field: string; message: string }[] {
  const items = new Map(sections.flatMap((s) => s.items.map((i) => [i.key, i] as const)));
  const errors: { field: string; message: string }[] = [];
  const seen = new Set<string>();
  answers.forEach((a, idx) => {
    const field = `answers.${idx}.value`;
    const item = items.get(a.itemKey);
    if (!item) return errors.push({ field: `answers.${idx}.itemKey`, message: `unknown item "${a.itemKey}"` });
    if (seen.has(a.itemKey))
      return errors.push({ field: `answers.${idx}.itemKey`, message: `"${a.itemKey}" is answered twice` });
    seen.add(a.itemKey);
    if (a.value === 'na') {
      if (!item.allowNA) errors.push({ field, message: `"${a.itemKey}" does not allow N/A` });
      return;
    }
    if (item.type === 'yes_no' && a.value !== 'yes' && a.value !== 'no')
      errors.push({ field, message: `"${a.itemKey}" takes yes or no` });
    if (item.type === 'scale' && !isScaleValue(a.value))
      errors.push({ field, message: `"${a.itemKey}" takes a whole number from 1 to 5` });
    return undefined;
  });
  return errors;
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
