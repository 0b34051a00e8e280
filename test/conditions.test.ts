import { conditionMet, shownKeys, type ConditionalItem } from '../server/rules/conditions';

/** Skip logic (SPEC §10) worked out by hand: which answers meet a condition, which items are shown. Pure. */

describe('conditionMet', () => {
  const c = { item: 'product', in: ['wealth', 3] };

  test('an answer among the listed values meets it, whatever its kind; others do not', () => {
    expect(conditionMet(c, 'wealth')).toBe(true);
    expect(conditionMet(c, 3)).toBe(true);
    expect(conditionMet(c, '3')).toBe(false);
    expect(conditionMet(c, 'deposit')).toBe(false);
  });

  test('no answer never meets it', () => {
    expect(conditionMet(c, undefined)).toBe(false);
    expect(conditionMet(c, null)).toBe(false);
    expect(conditionMet({ item: 'x', in: [null as unknown as string] }, null)).toBe(false);
    expect(conditionMet({ item: 'x', in: [undefined as unknown as string] }, undefined)).toBe(false);
  });

  test('a multiple choice meets it when any chosen option is listed', () => {
    expect(conditionMet(c, ['deposit', 'wealth'])).toBe(true);
    expect(conditionMet(c, ['deposit'])).toBe(false);
    expect(conditionMet(c, [])).toBe(false);
  });
});

describe('shownKeys', () => {
  test('unconditional items are shown; a condition on an earlier shown item follows its answer', () => {
    const items: ConditionalItem[] = [
      { key: 'a' },
      { key: 'b', showIf: { item: 'a', in: ['yes'] } },
      { key: 'c', showIf: null },
      { key: 'd', showIf: { item: 'a', in: ['no'] } },
    ];
    expect([...shownKeys(items, new Map([['a', 'yes']]))]).toEqual(['a', 'b', 'c']);
    expect([...shownKeys(items, new Map([['a', 'no']]))]).toEqual(['a', 'c', 'd']);
    expect([...shownKeys(items, new Map())]).toEqual(['a', 'c']);
  });

  test('a condition on a later, unknown or hidden item hides, whatever that item’s answer', () => {
    const items: ConditionalItem[] = [
      { key: 'early', showIf: { item: 'late', in: ['yes'] } },
      { key: 'late' },
      { key: 'ghost', showIf: { item: 'nope', in: ['yes'] } },
      { key: 'chained', showIf: { item: 'early', in: ['yes'] } },
    ];
    const answers = new Map([
      ['late', 'yes'],
      ['nope', 'yes'],
      ['early', 'yes'],
    ]);
    expect([...shownKeys(items, answers)]).toEqual(['late']);
  });
});
