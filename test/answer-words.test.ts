import {
  answerInBoth,
  answerInWords,
  failureInWords,
  failureWithAnswer,
  type WordedItem,
} from '../server/rules/answer-words';
import { ResultsAccumulator, type ItemInfo } from '../server/results/aggregate';
import { contributionOf } from '../server/stats/contribution';

/** Answers in words (the one rule every page, PDF and export uses), and failure rates that follow the conditions. */

const text = (zh: string, en: string) => ({ zh, en });
const yn: WordedItem = { key: 'y', type: 'yes_no', text: text('已问候', 'Greeted') };
const wait: WordedItem = {
  key: 'w',
  type: 'number',
  text: text('等待时间', 'Waiting time'),
  unit: text('分钟', 'min'),
};
const match: WordedItem = {
  key: 'm',
  type: 'choice',
  text: text('风险匹配', 'Risk match'),
  options: [
    { key: 'ok', text: text('匹配', 'Matches') },
    { key: 'above', text: text('高于评估结果', 'Above the assessment') },
  ],
  failureText: text('风险等级不匹配', 'Product above the assessed risk'),
};
const points: WordedItem = {
  key: 'p',
  type: 'multi',
  text: text('风险要点', 'Risk points'),
  options: [
    { key: 'principal', text: text('本金亏损', 'Principal can be lost') },
    { key: 'liquidity', text: text('流动性', 'Liquidity') },
  ],
};

describe('answers in words', () => {
  test.each<[WordedItem, unknown, string, string]>([
    [yn, 'yes', '是', 'Yes'],
    [yn, 'no', '否', 'No'],
    [yn, 'na', '不适用', 'N/A'],
    [{ ...yn, type: 'scale' }, 4, '4 / 5', '4 / 5'],
    [wait, 12, '12 分钟', '12 min'],
    [wait, 7.5, '7.5 分钟', '7.5 min'],
    [{ ...wait, unit: undefined }, 1234, '1234', '1234'],
    [match, 'above', '高于评估结果', 'Above the assessment'],
    // in the questionnaire's option order, whatever the order ticked
    [points, ['liquidity', 'principal'], '本金亏损；流动性', 'Principal can be lost; Liquidity'],
    [points, [], '以上皆无', 'none of these'],
    [{ key: 't', type: 'text', text: text('备注', 'Notes') }, '员工很忙', '员工很忙', '员工很忙'],
    [yn, undefined, '未作答', 'not answered'],
  ])('%#: %j → %s / %s', (item, value, zh, en) => {
    expect(answerInWords(item, value, 'zh')).toBe(zh);
    expect(answerInWords(item, value, 'en')).toBe(en);
    expect(answerInBoth(item, value)).toEqual({ zh, en });
  });

  test('never a key or a raw value: what does not fit the item reads as unreadable', () => {
    for (const [item, value] of [
      [yn, 'maybe'],
      [match, 'gold'],
      [points, ['principal', 'gold']],
      [wait, 'ten'],
      [undefined, 'yes'],
    ] as [WordedItem | undefined, unknown][]) {
      expect(answerInWords(item, value, 'en')).toBe('(answer not readable)');
      expect(answerInWords(item, value, 'zh')).toBe('（无法识别的答案）');
    }
  });

  test('a violation is worded as the failure: the item’s own wording, else “Not met: …”, with the answer where known', () => {
    expect(failureInWords(match, 'en')).toBe('Product above the assessed risk');
    expect(failureInWords(yn, 'zh')).toBe('未达标：已问候');
    expect(failureWithAnswer(wait, 45, 'zh')).toBe('等待时间：45 分钟');
    expect(failureWithAnswer(wait, 45, 'en')).toBe('Waiting time: 45 min');
    expect(failureWithAnswer(match, 'above', 'zh')).toBe('风险等级不匹配');
  });
});

describe('failure rates follow the conditions (results and the kept statistics alike)', () => {
  const base = { weight: 1, critical: false, allowNA: false, required: true, sectionKey: 'sales_compliance' as const };
  const items = new Map<string, ItemInfo>([
    ['gate', { ...base, key: 'gate', type: 'yes_no' }],
    ['dep', { ...base, key: 'dep', type: 'yes_no', showIf: { item: 'gate', in: ['yes'] } }],
    [
      'pts',
      {
        ...base,
        key: 'pts',
        type: 'multi',
        options: [
          { key: 'a', score: 0.5 },
          { key: 'g', score: -1 },
        ],
      },
    ],
  ]);
  // gate no hides dep: its stored "no" is not a failure; pts a+g = −0.5 → 0 is one.
  const answers = [
    { itemKey: 'gate', value: 'no' },
    { itemKey: 'dep', value: 'no' },
    { itemKey: 'pts', value: ['a', 'g'] },
  ];

  test('the results accumulator', () => {
    const acc = new ResultsAccumulator({
      quarter: '2026-Q3',
      previousQuarter: '2026-Q2',
      inFocus: () => true,
      items: () => items,
    });
    acc.add({
      id: 'v1',
      branchCode: 'A',
      region: 'R',
      quarter: '2026-Q3',
      questionnaireId: 'q',
      questionnaireVersion: 1,
      answers,
      scores: { sections: { greeting: null, product_knowledge: null, sales_compliance: 0, follow_up: null }, total: 0 },
    });
    const problems = acc.finish().keyProblems.map((k) => [k.itemKey, k.failed, k.applicable]);
    expect(problems).toEqual([
      ['gate', 1, 1],
      ['pts', 1, 1],
    ]);
  });

  test('a visit’s contribution to the kept statistics', () => {
    const c = contributionOf(
      {
        rev: 1,
        auditorId: 'a',
        status: 'approved',
        visitedAt: new Date(0),
        questionnaireId: 'q',
        questionnaireVersion: 1,
        answers,
      },
      items,
    );
    expect(c.items).toEqual([
      { key: 'gate', section: 'sales_compliance', failed: true },
      { key: 'pts', section: 'sales_compliance', failed: true },
    ]);
  });
});
