import { Types } from 'mongoose';
import { applicableKeys, type ScoringItem } from '../../server/rules/scoring';
import { demoQuestionnaireBody } from '../../seed/questionnaire';

/**
 * A complete answer set for the demo questionnaire, as an auditor's phone sends it: every item its
 * conditions ask (a wealth product recommended, so the suitability chain is asked), all met except
 * `violated` (a critical yes/no item answered "no": a compliance violation), when given.
 */
export type Answer = { itemKey: string; value: string | number | string[]; comment?: string };

export function demoAnswers(violated?: string): Answer[] {
  const sections = demoQuestionnaireBody(new Types.ObjectId().toHexString()).sections;
  const scoring = sections.map((s) => ({
    items: s.items.map(
      (i) =>
        ({
          weight: 1,
          critical: false,
          allowNA: false,
          required: true,
          ...i,
          options: i.options?.map((o) => ({ key: o.key, score: o.score })),
        }) as ScoringItem,
    ),
  }));
  const out: Answer[] = [];
  for (const item of sections.flatMap((s) => s.items)) {
    if (!applicableKeys(scoring, out).has(item.key)) continue;
    const value = valueOf(item, violated);
    if (value !== undefined)
      out.push({ itemKey: item.key, value, ...(value === 'no' ? { comment: '未核验证件。' } : {}) });
  }
  return out;
}

type Item = ReturnType<typeof demoQuestionnaireBody>['sections'][number]['items'][number];

function valueOf(item: Item, violated?: string): Answer['value'] | undefined {
  if (item.key === 'p_product') return 'wealth';
  if (item.key === 'c_risk_match') return 'match';
  switch (item.type) {
    case 'yes_no':
      return item.key === violated ? 'no' : 'yes';
    case 'scale':
      return 4;
    case 'number':
      return Math.max(item.min ?? 0, 5);
    case 'choice':
      return [...(item.options ?? [])].sort((a, b) => (b.score ?? -1) - (a.score ?? -1))[0]?.key;
    case 'multi':
      return (item.options ?? []).filter((o) => o.key !== 'guaranteed').map((o) => o.key);
    default:
      return undefined; // free text is optional
  }
}
