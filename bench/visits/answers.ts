import { createQuestionnaireBody, type QuestionnaireRequest } from '../../server/questionnaires/schema';
import { answerErrors } from '../../server/rules/answers';
import {
  applicableKeys,
  evidenceMissing,
  missingRequired,
  type AnswerValue,
  type ScoringItem,
  type ScoringSection,
} from '../../server/rules/scoring';

/**
 * A complete answer set for a questionnaire, built from the questionnaire's own items as an
 * auditor's phone sends it, so a benchmark keeps sending valid visits when the questionnaire
 * changes: every item its conditions ask and nothing else, each with the control of its type; a
 * shopper at a fairly good branch (every fifth yes/no item that may fail harmlessly fails: never a
 * critical one or one that would need a photo), a comment on every sixth item. Checked with the product's own rules before any
 * request is made: a questionnaire this cannot answer stops the benchmark with the reasons instead of
 * measuring refusals.
 */
export type BenchAnswer = { itemKey: string; value: AnswerValue; comment?: string };

const COMMENT = '等候约10分钟，员工讲解清楚，但未主动说明管理费。';
const NOTE = '柜员讲解清楚，但未主动说明管理费。';

export function answersFor(questionnaire: QuestionnaireRequest): BenchAnswer[] {
  // The schema fills in the defaults the app stores (weights, required, …): the items as scored.
  const sections: ScoringSection[] = createQuestionnaireBody.parse(questionnaire).sections;
  const answers: BenchAnswer[] = [];
  let failable = 0;
  sections
    .flatMap((s) => s.items)
    .forEach((item, n) => {
      // Asked only when the answers before it meet its condition (a recommended product, …).
      if (!applicableKeys(sections, answers).has(item.key)) return;
      // Every fifth yes/no item that can fail harmlessly (not critical, no photo needed) fails.
      const fails = item.type === 'yes_no' && !item.critical && !item.evidenceOnFail && failable++ % 5 === 1;
      const value = fails ? 'no' : valueFor(item);
      answers.push({ itemKey: item.key, value, ...(n % 6 === 0 ? { comment: COMMENT } : {}) });
    });
  const problems = [
    ...answerErrors(sections, answers).map((e) => `${e.field}: ${e.message}`),
    ...missingRequired(sections, answers).map((m) => `"${m.itemKey}" is required and unanswered`),
    ...evidenceMissing(sections, answers, new Set()).map((m) => `"${m.itemKey}" fails and needs a photo`),
  ];
  if (problems.length) throw new Error(`no valid answer set for this questionnaire: ${problems.join('; ')}`);
  return answers;
}

/** An item's best answer with the control of its type. */
function valueFor(item: ScoringItem): AnswerValue {
  switch (item.type) {
    case 'yes_no':
      return 'yes';
    case 'scale':
      return 4;
    case 'number':
      return numberFor(item);
    case 'choice':
      return bestOption(item);
    case 'multi':
      // Every point worth something; a deduction (a guaranteed-return hint) left unticked.
      return (item.options ?? []).filter((o) => (o.score ?? 0) >= 0).map((o) => o.key);
    default:
      return NOTE;
  }
}

/** The top of the best band (e.g. 5 waiting minutes), kept inside the item's range. */
function numberFor(item: ScoringItem): number {
  const wanted = item.bands?.[0]?.max ?? item.min ?? 0;
  return Math.min(item.max ?? wanted, Math.max(item.min ?? wanted, wanted));
}

/** The best-scoring option; where options are not scored (what was recommended), the first one. */
function bestOption(item: ScoringItem): string {
  const options = item.options ?? [];
  if (!options.length) throw new Error(`"${item.key}" is a choice without options`);
  const scored = options.filter((o) => typeof o.score === 'number');
  if (!scored.length) return options[0].key;
  return scored.reduce((best, o) => ((o.score as number) > (best.score as number) ? o : best)).key;
}
