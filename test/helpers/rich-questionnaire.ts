/**
 * A questionnaire with every item type of SPEC §10 and a condition chain, as an API body, with the
 * scores of RICH_ANSWERS worked out by hand (test/api-questionnaires-rich.test.ts and the browser test).
 */
const t = (key: string) => ({ zh: `问题 ${key}`, en: `Question ${key}` });
const o = (key: string, score: number | null) => ({ key, text: { zh: `选项 ${key}`, en: `Option ${key}` }, score });

export type Body = { bankId: string; name: string; sections: { key: string; weight?: number; items: Item[] }[] };
export type Item = Record<string, unknown> & { key: string };

export function richQuestionnaire(bankId: string, name = '丰富题型问卷'): Body {
  return {
    bankId,
    name,
    sections: [
      {
        key: 'greeting',
        items: [
          { key: 'g_hello', text: t('g_hello'), type: 'yes_no' },
          {
            key: 'g_wait',
            text: t('g_wait'),
            type: 'number',
            weight: 2,
            min: 0,
            max: 120,
            unit: { zh: '分钟', en: 'min' },
            bands: [
              { max: 5, score: 1 },
              { max: 15, score: 0.5 },
            ],
            guidance: { zh: '从取号到叫号', en: 'From ticket to call' },
          },
        ],
      },
      {
        key: 'product_knowledge',
        items: [
          {
            key: 'p_product',
            text: t('p_product'),
            type: 'choice',
            options: [o('wealth', null), o('deposit', null)],
          },
          { key: 'p_fees', text: t('p_fees'), type: 'yes_no', showIf: { item: 'p_product', in: ['wealth'] } },
        ],
      },
      {
        key: 'sales_compliance',
        items: [
          {
            key: 'c_assessed',
            text: t('c_assessed'),
            type: 'yes_no',
            critical: true,
            evidenceOnFail: true,
            failureText: { zh: '未做风险评估即推荐', en: 'Recommended without an assessment' },
            showIf: { item: 'p_product', in: ['wealth'] },
          },
          {
            key: 'c_match',
            text: t('c_match'),
            type: 'choice',
            critical: true,
            options: [o('match', 1), o('signed', 0.5), o('above', 0)],
            showIf: { item: 'c_assessed', in: ['yes'] },
          },
          {
            key: 'c_points',
            text: t('c_points'),
            type: 'multi',
            weight: 2,
            options: [o('principal', 0.5), o('liquidity', 0.5), o('guaranteed', -1)],
          },
        ],
      },
      {
        key: 'follow_up',
        items: [
          { key: 'f_overall', text: t('f_overall'), type: 'scale' },
          { key: 'f_notes', text: t('f_notes'), type: 'text', required: false },
        ],
      },
    ],
  };
}

/**
 * greeting: hello yes = 1 (w1), wait 12 min → band ≤ 15 → 0.5 (w2): 100 × 2/3 = 66.666…
 * product_knowledge: product scores null (n/a), fees yes = 1 → 100
 * sales_compliance: assessed yes = 1, match signed = 0.5, points principal = 0.5 (w2): 100 × 2.5/4 = 62.5
 * follow_up: overall 4 → 0.75 → 75 (the text is never scored)
 * total: (66.666… + 100 + 62.5 + 75) / 4 = 76.041666…
 */
export const RICH_ANSWERS = [
  { itemKey: 'g_hello', value: 'yes' },
  { itemKey: 'g_wait', value: 12 },
  { itemKey: 'p_product', value: 'wealth' },
  { itemKey: 'p_fees', value: 'yes' },
  { itemKey: 'c_assessed', value: 'yes' },
  { itemKey: 'c_match', value: 'signed' },
  { itemKey: 'c_points', value: ['principal'] },
  { itemKey: 'f_overall', value: 4 },
  { itemKey: 'f_notes', value: '员工很忙' },
];
export const RICH_EXPECTED = {
  greeting: 200 / 3,
  product_knowledge: 100,
  sales_compliance: 62.5,
  follow_up: 75,
  total: (200 / 3 + 100 + 62.5 + 75) / 4,
};
