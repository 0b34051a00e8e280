/**
 * Skip logic of SPEC.md section 10: `showIf: {item, in}` shows an item only when an earlier item's
 * answer is one of the listed values (for a multiple choice: when any listed option is chosen). An
 * item whose condition is not met is not applicable: never required, never scored, not to be
 * answered. Pure; public/visit-form.js applies the same rule on the phone and
 * test/form-conditions.test.ts holds the two to each other.
 */

/** A condition value: yes/no/na, a scale value, an option key. */
export type ConditionValue = string | number;

export interface Condition {
  item: string;
  in: readonly ConditionValue[];
}

export interface ConditionalItem {
  key: string;
  showIf?: Condition | null;
}

/** Whether an answer (of the item a condition refers to) meets it; no answer never does. */
export function conditionMet(condition: Condition, answer: unknown): boolean {
  if (answer === undefined || answer === null) return false;
  if (Array.isArray(answer)) return answer.some((chosen) => condition.in.includes(chosen as ConditionValue));
  return condition.in.includes(answer as ConditionValue);
}

/**
 * The keys of the items that are shown, for items in questionnaire order. One pass is enough because
 * a condition refers to an earlier item (the questionnaire schema refuses anything else); an item
 * whose condition names an unknown or later item is hidden, so stored bad data hides rather than shows.
 * An item shown by a condition on a hidden item is hidden too (chains).
 */
export function shownKeys(items: Iterable<ConditionalItem>, answers: ReadonlyMap<string, unknown>): Set<string> {
  const shown = new Set<string>();
  for (const item of items) {
    const c = item.showIf;
    if (!c || (shown.has(c.item) && conditionMet(c, answers.get(c.item)))) shown.add(item.key);
  }
  return shown;
}
