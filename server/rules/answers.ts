import { shownKeys } from './conditions';
import { isScaleValue, type ScoringItem, type ScoringSection } from './scoring';
import { isFiniteNumber } from './values';

/**
 * Whether each answer fits its item (SPEC §3, §10): the right kind of value for the item's type,
 * `na` only where allowed, and no answer to an item whose condition the other answers leave unmet.
 * Pure; the visits and disputes services call it before anything is stored.
 */

export const TEXT_ANSWER_MAX = 2000;

type FieldError = { field: string; message: string };

function numberError(item: ScoringItem, value: unknown): string | undefined {
  if (!isFiniteNumber(value)) return `"${item.key}" takes a number`;
  if (typeof item.min === 'number' && value < item.min) return `"${item.key}" takes a number of at least ${item.min}`;
  if (typeof item.max === 'number' && value > item.max) return `"${item.key}" takes a number of at most ${item.max}`;
  return undefined;
}

function multiError(item: ScoringItem, value: unknown, keys: Set<string>): string | undefined {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string'))
    return `"${item.key}" takes a list of option keys (an empty list when none applies)`;
  const unknown = value.find((v: string) => !keys.has(v));
  if (unknown !== undefined) return `"${item.key}" has no option "${String(unknown)}"`;
  if (new Set(value).size !== value.length) return `"${item.key}" lists an option twice`;
  return undefined;
}

/** Why a value does not fit its item (not counting `na`), or undefined when it does. */
export function valueError(item: ScoringItem, value: unknown): string | undefined {
  // Stryker disable next-line ArrayDeclaration: equivalent, a string in place of the options adds only an undefined key, which no valid answer matches and which joins as nothing
  const keys = new Set((item.options ?? []).map((o) => o.key));
  switch (item.type) {
    case 'yes_no':
      return value === 'yes' || value === 'no' ? undefined : `"${item.key}" takes yes or no`;
    case 'scale':
      return isScaleValue(value) ? undefined : `"${item.key}" takes a whole number from 1 to 5`;
    case 'number':
      return numberError(item, value);
    case 'choice':
      return keys.has(value as string) ? undefined : `"${item.key}" takes one of the options ${[...keys].join(', ')}`;
    case 'multi':
      return multiError(item, value, keys);
    case 'text':
      if (typeof value !== 'string' || !value.trim()) return `"${item.key}" takes a text`;
      return value.length > TEXT_ANSWER_MAX ? `"${item.key}" takes at most ${TEXT_ANSWER_MAX} characters` : undefined;
    default:
      return `"${item.key}" has an unknown type`;
  }
}

/**
 * Checks each answer against its item: known key, answered once, shown by the others' answers, the
 * right kind of value, `na` only where allowed. Every problem at once, each naming its field.
 */
export function answerErrors(
  sections: readonly Pick<ScoringSection, 'items'>[],
  answers: readonly { itemKey: string; value: unknown }[],
): FieldError[] {
  const ordered = sections.flatMap((s) => s.items);
  const items = new Map(ordered.map((i) => [i.key, i] as const));
  const shown = shownKeys(ordered, new Map(answers.map((a) => [a.itemKey, a.value])));
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  answers.forEach((a, idx) => {
    const field = `answers.${idx}.value`;
    const item = items.get(a.itemKey);
    if (!item) return errors.push({ field: `answers.${idx}.itemKey`, message: `unknown item "${a.itemKey}"` });
    if (seen.has(a.itemKey))
      return errors.push({ field: `answers.${idx}.itemKey`, message: `"${a.itemKey}" is answered twice` });
    seen.add(a.itemKey);
    if (!shown.has(a.itemKey) && item.showIf)
      return errors.push({
        field: `answers.${idx}.itemKey`,
        message: `"${a.itemKey}" is not asked: its condition on "${item.showIf.item}" is not met; leave it out`,
      });
    if (a.value === 'na') {
      if (!item.allowNA) errors.push({ field, message: `"${a.itemKey}" does not allow N/A` });
      return undefined;
    }
    const problem = valueError(item, a.value);
    if (problem) errors.push({ field, message: problem });
    return undefined;
  });
  return errors;
}

/**
 * Answers apart from those to items that the answers themselves leave hidden: when a changed answer
 * no longer meets a condition, the dependent answers (and theirs, down a chain) no longer apply.
 */
export function splitHidden<A extends { itemKey: string; value: unknown }>(
  sections: readonly Pick<ScoringSection, 'items'>[],
  answers: readonly A[],
): { kept: A[]; hidden: A[] } {
  const shown = shownKeys(
    sections.flatMap((s) => s.items),
    new Map(answers.map((a) => [a.itemKey, a.value])),
  );
  return { kept: answers.filter((a) => shown.has(a.itemKey)), hidden: answers.filter((a) => !shown.has(a.itemKey)) };
}

/** The stored form of a valid answer: a multiple choice's keys in the questionnaire's option order. */
export function canonicalAnswer(item: ScoringItem | undefined, value: unknown): unknown {
  if (item?.type !== 'multi' || !Array.isArray(value)) return value;
  const chosen = new Set(value);
  // Stryker disable next-line ArrayDeclaration: equivalent, a string in place of the options gives one undefined key, which no chosen option (JSON) equals
  return (item.options ?? []).map((o) => o.key).filter((k) => chosen.has(k));
}

/** Two answers are the same answer (a multiple choice whatever the order of its options). */
export function sameAnswer(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    const left = new Set(a);
    const right = new Set(b);
    return left.size === right.size && [...left].every((x) => right.has(x));
  }
  return a === b;
}
