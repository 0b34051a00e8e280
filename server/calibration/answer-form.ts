import type { QuestionnaireVersionView } from '../questionnaires/service';
import { toScoringSections } from '../questionnaires/service';
import { splitHidden } from '../rules/answers';
import { inLang } from '../rules/answer-words';
import { applicableKeys, missingRequired, SECTION_KEYS, type AnswerValue } from '../rules/scoring';
import { answerMessage, controlView, postedAnswer } from '../web/answer-controls';
import type { FormBody } from '../web/forms';
import type { PageContext } from '../web/render';

/**
 * A calibration case's form on the phone: the visit form's own item controls (every item type of
 * SPEC §10, items appearing by their conditions — web/answer-controls.ts and items/item.hbs), read
 * back the same way. No comments and no evidence: a calibration answer is a score, never a visit.
 */
type Answer = { itemKey: string; value: AnswerValue };

export interface AnswerFormState {
  values: Map<string, AnswerValue>;
  /** `a.<itemKey>` → message. */
  errors: Record<string, string>;
  /** Required items left unanswered (after a refused send). */
  missing: Set<string>;
}

export const emptyAnswers = (values: Map<string, AnswerValue> = new Map()): AnswerFormState => ({
  values,
  errors: {},
  missing: new Set(),
});

const itemsOf = (version: QuestionnaireVersionView) =>
  new Map(version.sections.flatMap((s) => s.items.map((i) => [i.key, i] as const)));

/** The sections with each item's control, hidden where its condition on earlier answers is not met. */
export function answerSections(version: QuestionnaireVersionView, ctx: PageContext, state: AnswerFormState) {
  const answers = [...state.values].map(([itemKey, value]) => ({ itemKey, value }));
  const shown = applicableKeys(toScoringSections(version), answers);
  const items = itemsOf(version);
  return SECTION_KEYS.flatMap((key) => {
    const s = version.sections.find((x) => x.key === key);
    if (!s?.items.length) return [];
    const controls = s.items.map((item) =>
      controlView(
        item,
        {
          value: state.values.get(item.key),
          shown: shown.has(item.key),
          missing: state.missing.has(item.key),
          error: state.errors[`a.${item.key}`],
        },
        { locale: ctx.locale, t: ctx.t, items },
      ),
    );
    return [{ key, label: ctx.t(`visits.section.${key}`), items: controls }];
  });
}

/**
 * The posted controls as the API's answers, in questionnaire order. Answers to items whose condition
 * the other answers leave unmet are dropped (a form without its script still shows them), as the
 * visit form does; `fields` maps each answer's body path to the control that shows its error.
 */
export function postedAnswers(f: FormBody, version: QuestionnaireVersionView) {
  const posted: Answer[] = [];
  for (const item of version.sections.flatMap((s) => s.items)) {
    const value = postedAnswer(item, f);
    if (value !== undefined) posted.push({ itemKey: item.key, value });
  }
  const { kept } = splitHidden(version.sections, posted);
  const fields: Record<string, string> = { answers: 'answers' };
  kept.forEach((a, i) => (fields[`answers.${i}`] = `a.${a.itemKey}`));
  return { answers: kept, fields };
}

/** After a refusal: each refused answer's message by its item type, and the required items still open. */
export function refusedState(
  version: QuestionnaireVersionView,
  ctx: PageContext,
  answers: readonly Answer[],
  errors: Record<string, string>,
): AnswerFormState & { missingTexts: string[] } {
  const items = itemsOf(version);
  const own = Object.fromEntries(
    Object.keys(errors)
      .filter((k) => k.startsWith('a.'))
      .map((k) => [k, answerMessage(ctx.locale, items.get(k.slice(2)))] as const),
  );
  const missing = missingRequired(toScoringSections(version), answers).map((m) => m.itemKey);
  return {
    values: new Map(answers.map((a) => [a.itemKey, a.value])),
    errors: own,
    missing: new Set(missing),
    missingTexts: missing.map((k) => inLang(items.get(k)?.text, ctx.locale) || k),
  };
}
