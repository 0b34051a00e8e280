import { createRound, setReference, submitAnswers } from '../server/calibration/service';
import type { Principal } from '../server/platform/access';
import { getVersion } from '../server/questionnaires/service';
import type { AnswerValue } from '../server/rules/scoring';

/**
 * A demo calibration round (SPEC §12): one written case on JNCB's questionnaire, scored by the four
 * demo auditors — two fair ones, the harsh one and the lenient one (who also lean so in the field,
 * seed/demo.ts) — with the reviewer's reference answers, so the calibration page is not empty.
 */
type Lean = 'fair' | 'fair2' | 'harsh' | 'lenient';

function answerAs(lean: Lean, item: { key: string; type: string; critical: boolean; allowNA: boolean }, i: number) {
  let value: AnswerValue;
  if (item.type === 'scale') {
    const base = lean === 'harsh' ? 2 : lean === 'lenient' ? 5 : lean === 'fair2' && i % 3 === 0 ? 3 : 4;
    value = base as AnswerValue;
  } else if (item.critical) value = 'yes';
  else if (lean === 'lenient') value = 'yes';
  else if (lean === 'harsh') value = i % 2 === 0 ? 'no' : 'yes';
  else value = i % 5 === 4 ? 'no' : lean === 'fair2' && i % 7 === 3 ? 'no' : 'yes';
  return { itemKey: item.key, value };
}

export async function seedCalibration(
  admin: Principal,
  reviewer: Principal,
  questionnaireId: string,
  auditors: Record<Lean, Principal>,
): Promise<string> {
  const v = await getVersion(questionnaireId, 1);
  const items = v.sections.flatMap((s) => s.items);
  const { id } = await createRound(admin, {
    questionnaireId,
    version: 1,
    title: '2026 年度校准：R3 理财产品咨询',
    caseText:
      '顾客（45 岁，风险评估 C3）到网点咨询一款 R3 级净值型理财产品。大堂经理 40 秒后上前问候；理财经理介绍了产品期限与费率，但未主动说明业绩比较基准不代表收益承诺；风险揭示书已签署，双录完整；顾客留下了电话，三天后收到回访短信。请按问卷为本次服务独立评分。',
    auditorIds: Object.values(auditors).map((a) => a.id),
  });
  for (const [lean, auditor] of Object.entries(auditors) as [Lean, Principal][])
    await submitAnswers(auditor, id, { answers: items.map((item, i) => answerAs(lean, item, i)) });
  await setReference(reviewer, id, { answers: items.map((item, i) => answerAs('fair', item, i)) });
  return 'One calibration round (JNCB questionnaire) scored by the four demo auditors, with reference answers.';
}
