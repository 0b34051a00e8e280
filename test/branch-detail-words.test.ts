import { answerDetail } from '../server/publishing/branch-details';
import type { CatalogueItem } from '../server/publishing/catalogue';
import { answerInBoth, failureWithAnswer } from '../server/rules/answer-words';

/**
 * The branch reports word each answer once per item and value (branch-details.ts): the words must be
 * exactly what the rules give for that answer, whichever answers were worded before it.
 */
const scale: CatalogueItem = {
  key: 'wait',
  type: 'scale',
  weight: 1,
  critical: false,
  sectionKey: 'greeting',
  text: { zh: '等候', en: 'Waiting' },
} as unknown as CatalogueItem;
const choice: CatalogueItem = {
  key: 'greet',
  type: 'multi',
  weight: 1,
  critical: false,
  sectionKey: 'greeting',
  text: { zh: '问候', en: 'Greeting' },
  options: [
    { key: 'a', text: { zh: '甲', en: 'A' } },
    { key: 'b', text: { zh: '乙', en: 'B' } },
  ],
} as unknown as CatalogueItem;
const yesNo: CatalogueItem = {
  key: 'risk',
  type: 'yes_no',
  weight: 1,
  critical: true,
  sectionKey: 'sales_compliance',
  text: { zh: '风险揭示', en: 'Risk disclosure' },
} as unknown as CatalogueItem;

const detail = (item: CatalogueItem | undefined, value: unknown, score?: number) =>
  answerDetail({ itemKey: item?.key ?? 'gone', value, comment: null } as never, item, score);

describe('branch report answers: worded once per item and value', () => {
  test('the same words as the rules, for every value, asked in any order and again', () => {
    const values: [CatalogueItem, unknown][] = [
      [scale, 3],
      [scale, '3'], // a string is no scale answer ("unreadable"): not the number's words
      [scale, 3],
      [scale, 5],
      [scale, null],
      [scale, 'na'],
      [choice, ['a', 'b']],
      [choice, ['b']],
      [choice, ['a', 'b']],
      [choice, []],
      [yesNo, 'yes'],
      [yesNo, 'no'],
      [yesNo, 'yes'],
    ];
    for (const [item, value] of values) expect(detail(item, value).words).toEqual(answerInBoth(item, value));
    expect(detail(scale, '3').words).not.toEqual(detail(scale, 3).words);
  });

  test('the failure is worded (with its answer) only where the answer scored 0', () => {
    expect(detail(yesNo, 'yes', 1).failure).toBeUndefined();
    const failed = detail(yesNo, 'no', 0);
    expect(failed.failure).toEqual({
      zh: failureWithAnswer(yesNo, 'no', 'zh'),
      en: failureWithAnswer(yesNo, 'no', 'en'),
    });
    expect(detail(scale, 1, 0).failure).toEqual({
      zh: failureWithAnswer(scale, 1, 'zh'),
      en: failureWithAnswer(scale, 1, 'en'),
    });
    expect(detail(scale, 1, 0).failure).not.toEqual(detail(scale, 2, 0).failure);
  });

  test('shared words cannot be changed by one report for the others', () => {
    const a = detail(yesNo, 'no', 0);
    const b = detail(yesNo, 'no', 0);
    expect(b.words).toBe(a.words);
    expect(Object.isFrozen(a.words)).toBe(true);
    expect(Object.isFrozen(a.failure)).toBe(true);
  });

  test('free-text answers are worded as they are, and not remembered (each is its own words)', () => {
    const text = { ...yesNo, key: 'note', type: 'text' } as unknown as CatalogueItem;
    const a = detail(text, '柜员很热情');
    expect(a.words).toEqual(answerInBoth(text, '柜员很热情'));
    expect(detail(text, '柜员很热情').words).not.toBe(a.words);
  });

  test('an item no longer in the catalogue is still worded (as the rules word an unknown item)', () => {
    expect(detail(undefined, 'yes').words).toEqual(answerInBoth(undefined, 'yes'));
    expect(detail(undefined, 'yes', 0).failure).toBeUndefined();
  });
});
