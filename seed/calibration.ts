import { createRound, setReference, submitAnswers } from '../server/calibration/service';
import type { Principal } from '../server/platform/access';
import { getVersion, toScoringSections, type QuestionnaireVersionView } from '../server/questionnaires/service';
import { applicableKeys, type AnswerValue } from '../server/rules/scoring';

/**
 * A demo calibration round (SPEC §12): one written case on JNCB's questionnaire, scored by the four
 * demo auditors — two fair ones, the harsh one and the lenient one (who also lean so in the field,
 * seed/demo.ts) — with the reviewer's reference answers, so the calibration page is not empty.
 */
type Lean = 'fair' | 'fair2' | 'harsh' | 'lenient';

type SeedItem = QuestionnaireVersionView['sections'][number]['items'][number];

/** A middle value of a number item: inside its first band, else between its bounds. */
const numberFor = (item: SeedItem) => item.bands?.[0]?.max ?? item.min ?? 1;

/** A value of each item type as an auditor of this lean gives it; undefined leaves a text unanswered. */
function answerAs(lean: Lean, item: SeedItem, i: number): AnswerValue | undefined {
  const best = (item.options ?? []).reduce<{ key: string; score: number } | null>(
    (a, o) =>
      o.score !== null && o.score !== undefined && (!a || o.score > a.score) ? { key: o.key, score: o.score } : a,
    null,
  );
  switch (item.type) {
    case 'scale':
      return lean === 'harsh' ? 2 : lean === 'lenient' ? 5 : lean === 'fair2' && i % 3 === 0 ? 3 : 4;
    case 'choice':
      return best?.key ?? item.options?.[0]?.key;
    case 'multi':
      return best ? [best.key] : [];
    case 'number':
      return numberFor(item);
    case 'text':
      return undefined;
    default:
      if (item.critical || lean === 'lenient') return 'yes';
      if (lean === 'harsh') return i % 2 === 0 ? 'no' : 'yes';
      return i % 5 === 4 ? 'no' : lean === 'fair2' && i % 7 === 3 ? 'no' : 'yes';
  }
}

/** A whole sheet: items whose condition the earlier answers leave unmet are not answered (SPEC §10). */
function sheetOf(lean: Lean, v: QuestionnaireVersionView): { itemKey: string; value: AnswerValue }[] {
  const sections = toScoringSections(v);
  const out: { itemKey: string; value: AnswerValue }[] = [];
  v.sections
    .flatMap((s) => s.items)
    .forEach((item, i) => {
      if (!applicableKeys(sections, out).has(item.key)) return;
      const value = answerAs(lean, item, i);
      if (value !== undefined) out.push({ itemKey: item.key, value });
    });
  return out;
}

export async function seedCalibration(
  admin: Principal,
  reviewer: Principal,
  questionnaireId: string,
  auditors: Record<Lean, Principal>,
): Promise<string> {
  const v = await getVersion(questionnaireId, 1);
  const { id } = await createRound(admin, {
    questionnaireId,
    version: 1,
    title: '2026 年度校准：R3 理财产品咨询',
    caseText:
      '顾客（45 岁，风险评估 C3）到网点咨询一款 R3 级净值型理财产品。大堂经理 40 秒后上前问候；理财经理介绍了产品期限与费率，但未主动说明业绩比较基准不代表收益承诺；风险揭示书已签署，双录完整；顾客留下了电话，三天后收到回访短信。请按问卷为本次服务独立评分。',
    auditorIds: Object.values(auditors).map((a) => a.id),
  });
  for (const [lean, auditor] of Object.entries(auditors) as [Lean, Principal][])
    await submitAnswers(auditor, id, { answers: sheetOf(lean, v) });
  await setReference(reviewer, id, { answers: sheetOf('fair', v) });
  return 'One calibration round (JNCB questionnaire) scored by the four demo auditors, with reference answers.';
}
