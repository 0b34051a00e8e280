import { renderBankReport, renderBranchReport } from '../reports';
import type { AnswerDetail } from '../reports/types';
import { fixtureSnapshot, pdfText, withBranchDetail } from './helpers/reports';

/**
 * SPEC §10 in the PDFs: answers read as the snapshot words them (option text, number with unit,
 * the options chosen), never as keys or raw values; violations read as the failure. Snapshots taken
 * before answers were worded still render as before.
 */
const flat = (s: string) => s.replace(/\s+/g, ' ');

const RICH: AnswerDetail[] = [
  {
    itemKey: 'g_wait_time',
    sectionKey: 'greeting',
    text: { zh: '从取号到被接待的等待时间', en: 'Waiting time from ticket to being served' },
    critical: false,
    value: 35,
    words: { zh: '35 分钟', en: '35 min' },
    score: 0,
    comment: null,
  },
  {
    itemKey: 'p_product',
    sectionKey: 'product_knowledge',
    text: { zh: '员工推荐的产品类型', en: 'What kind of product the staff recommended' },
    critical: false,
    value: 'wealth',
    words: { zh: '银行理财产品', en: 'A bank wealth-management product' },
    score: null,
    comment: null,
  },
  {
    itemKey: 'c_disclosures',
    sectionKey: 'sales_compliance',
    text: { zh: '讲解了哪些风险要点', en: 'Which risk points were explained' },
    critical: false,
    value: ['principal', 'liquidity'],
    words: {
      zh: '可能亏损本金；赎回限制与流动性风险',
      en: 'The principal can be lost; Redemption limits and liquidity risk',
    },
    score: 60,
    comment: null,
  },
  {
    itemKey: 'c_suitability',
    sectionKey: 'sales_compliance',
    text: { zh: '推荐产品前完成风险承受能力评估', en: 'Suitability assessment before recommending' },
    critical: true,
    value: 'no',
    words: { zh: '否', en: 'No' },
    failure: {
      zh: '未做风险承受能力评估即推荐投资产品',
      en: 'Investment product recommended without a suitability assessment',
    },
    score: 0,
    comment: null,
  },
];

function richSnapshot() {
  const s = withBranchDetail(fixtureSnapshot(), 'JN-002', 1);
  s.questionnaires = s.questionnaires.map((q) => ({ ...q, rich: true }));
  const visit = s.branchDetails[0].visits[0];
  visit.answers = RICH;
  visit.violations = ['c_suitability'];
  s.violations = s.violations.map((v, i) =>
    i === 0 ? { ...v, itemKey: 'c_suitability', failure: RICH[3].failure } : v,
  );
  return s;
}

describe('answers and violations in words', () => {
  test('the branch report: option texts, numbers with units, the options chosen, the failure worded', async () => {
    const text = flat(pdfText(await renderBranchReport(richSnapshot(), 'JN-002')));
    for (const words of [
      '35 分钟',
      '银行理财产品',
      '可能亏损本金', // a long answer wraps inside its cell: its first words show it is worded
      '未做风险承受能力评估即推荐投资产品',
    ])
      expect(text).toContain(words);
    expect(text).not.toMatch(/\bwealth\b|\bprincipal\b|\bliquidity\b/);
    // The method notes say how the richer items score.
    expect(text).toContain('数字题按分档计分');
  });

  test('in English too', async () => {
    const s = richSnapshot();
    s.bank.language = 'en';
    const text = flat(pdfText(await renderBranchReport(s, 'JN-002')));
    expect(text).toContain('35 min');
    expect(text).toContain('Investment product recommended without a suitability assessment');
  });

  test('the bank report lists a violation as its failure', async () => {
    const text = flat(pdfText(await renderBankReport(richSnapshot())));
    expect(text).toContain('未做风险承受能力评估即推荐投资产品');
  });

  test('a snapshot from before answers were worded renders yes/no and 1–5 as before', async () => {
    const text = flat(pdfText(await renderBranchReport(withBranchDetail(fixtureSnapshot(), 'JN-002'), 'JN-002')));
    expect(text).toMatch(/迎接顾客 等待时间 4 ?\/ ?5 75\.0/);
    expect(text).not.toContain('数字题按分档计分'); // only where a questionnaire has such items
    expect(text).toContain('不适用');
  });
});
