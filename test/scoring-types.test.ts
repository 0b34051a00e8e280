import { answerScores, isCriticalFailure, itemScore, type ScoringItem } from '../server/rules/scoring';

/**
 * The item types of SPEC §10 scored by hand on both sides of every bound: a number's bands and
 * range, a choice's option score, a multiple choice's clamped sum. Pure.
 */

const bands = [
  { max: 5, score: 1 },
  { max: 10, score: 0.5 },
];
const num = (over: Partial<ScoringItem> = {}) => ({ type: 'number' as const, bands, min: 0, max: 20, ...over });

describe('number: the first band whose max is at least the value, 0 above every band, none outside the range', () => {
  test('band edges belong to the lower band', () => {
    expect(itemScore(num(), 0)).toBe(1);
    expect(itemScore(num(), 5)).toBe(1);
    expect(itemScore(num(), 5.5)).toBe(0.5);
    expect(itemScore(num(), 10)).toBe(0.5);
    expect(itemScore(num(), 10.5)).toBe(0);
    expect(itemScore(num(), 20)).toBe(0);
  });

  test('outside min..max, or not a finite number: not scored', () => {
    expect(itemScore(num(), -0.1)).toBeNull();
    expect(itemScore(num(), 20.1)).toBeNull();
    for (const bad of [Number.NaN, Infinity, -Infinity, '5', null, undefined]) expect(itemScore(num(), bad)).toBeNull();
  });

  test('no bounds (or null ones): every finite number is scored', () => {
    expect(itemScore(num({ min: null, max: null }), -100)).toBe(1);
    expect(itemScore(num({ min: null, max: null }), 1000)).toBe(0);
    expect(itemScore(num({ min: undefined, max: undefined }), -100)).toBe(1);
    expect(itemScore(num({ min: -1, max: null }), 1000)).toBe(0);
    expect(itemScore(num({ min: null, max: 1 }), -1000)).toBe(1);
  });

  test('without bands a number is not scored', () => {
    expect(itemScore(num({ bands: [] }), 3)).toBeNull();
    expect(itemScore(num({ bands: null }), 3)).toBeNull();
    expect(itemScore(num({ bands: undefined }), 3)).toBeNull();
  });
});

describe('choice: the chosen option’s score', () => {
  const choice = {
    type: 'choice' as const,
    options: [
      { key: 'ok', score: 1 },
      { key: 'part', score: 0.4 },
      { key: 'bad', score: 0 },
      { key: 'skip', score: null },
    ],
  };
  test('"na" means not applicable, even where an option is keyed na', () => {
    expect(itemScore({ type: 'choice', options: [{ key: 'na', score: 1 }] }, 'na')).toBeNull();
  });
  test('scores 1, 0.4, 0; an option without a score, an unknown key or a non-text is not scored', () => {
    expect(itemScore(choice, 'ok')).toBe(1);
    expect(itemScore(choice, 'part')).toBe(0.4);
    expect(itemScore(choice, 'bad')).toBe(0);
    expect(itemScore(choice, 'skip')).toBeNull();
    expect(itemScore(choice, 'other')).toBeNull();
    expect(itemScore(choice, ['ok'])).toBeNull();
    expect(itemScore({ type: 'choice' }, 'ok')).toBeNull();
  });
});

describe('multi: min(1, max(0, Σ chosen)), each option once', () => {
  const multi = {
    type: 'multi' as const,
    options: [
      { key: 'a', score: 0.7 },
      { key: 'b', score: 0.6 },
      { key: 'neg', score: -0.5 },
      { key: 'none', score: null },
    ],
  };
  test('sums, clamped to 0..1', () => {
    expect(itemScore(multi, [])).toBe(0);
    expect(itemScore(multi, ['a'])).toBe(0.7);
    expect(itemScore(multi, ['a', 'b'])).toBe(1);
    expect(itemScore(multi, ['neg'])).toBe(0);
    expect(itemScore(multi, ['a', 'neg'])).toBeCloseTo(0.2, 12);
    expect(itemScore(multi, ['none'])).toBe(0);
    expect(itemScore(multi, ['a', 'none'])).toBe(0.7);
  });
  test('an option ticked twice counts once; an unknown option or a non-list is not scored', () => {
    expect(itemScore(multi, ['a', 'a'])).toBe(0.7);
    expect(itemScore(multi, ['a', 'zzz'])).toBeNull();
    expect(itemScore(multi, 'a')).toBeNull();
    expect(itemScore({ type: 'multi' }, [])).toBe(0);
    expect(itemScore({ type: 'multi' }, ['a'])).toBeNull();
    expect(itemScore({ type: 'multi' }, [undefined])).toBeNull();
  });
  test('summed in one fixed order: the same bits whatever order the options were ticked in', () => {
    const tenths = {
      type: 'multi' as const,
      options: [
        { key: 'a', score: 0.1 },
        { key: 'b', score: 0.2 },
        { key: 'c', score: 0.3 },
      ],
    };
    // Ascending: (0.1 + 0.2) + 0.3 = 0.6000000000000001, while (0.3 + 0.2) + 0.1 = 0.6.
    for (const ticks of [
      ['a', 'b', 'c'],
      ['c', 'b', 'a'],
      ['b', 'c', 'a'],
    ])
      expect(itemScore(tenths, ticks)).toBe(0.1 + 0.2 + 0.3);
  });
});

describe('isCriticalFailure', () => {
  const yn = (critical: boolean) => ({ type: 'yes_no' as const, critical });
  test('a critical item that scores 0; not a critical pass, not n/a, not a non-critical failure', () => {
    expect(isCriticalFailure(yn(true), 'no')).toBe(true);
    expect(isCriticalFailure(yn(true), 'yes')).toBe(false);
    expect(isCriticalFailure(yn(true), 'na')).toBe(false);
    expect(isCriticalFailure(yn(false), 'no')).toBe(false);
    expect(isCriticalFailure({ ...num(), critical: true }, 10.5)).toBe(true);
    expect(isCriticalFailure({ ...num(), critical: true }, 10)).toBe(false);
  });
});

describe('answerScores', () => {
  test('only applicable answers: an answer stored for an item its condition hides is left out', () => {
    const items = new Map<string, ScoringItem>([
      ['gate', { key: 'gate', type: 'yes_no', weight: 1, critical: false, allowNA: false, required: true }],
      [
        'dep',
        {
          key: 'dep',
          type: 'yes_no',
          weight: 1,
          critical: false,
          allowNA: false,
          required: true,
          showIf: { item: 'gate', in: ['yes'] },
        },
      ],
    ]);
    const scored = (gate: string) =>
      answerScores(items, [
        { itemKey: 'dep', value: 'no' },
        { itemKey: 'gate', value: gate },
      ]).map(({ item, score }) => [item.key, score]);
    expect(scored('no')).toEqual([['gate', 0]]);
    expect(scored('yes')).toEqual([
      ['gate', 1],
      ['dep', 0],
    ]);
  });

  test('only answers that score: n/a, a value outside the item and no answer at all are left out, not counted as null', () => {
    const item = (key: string, type: ScoringItem['type']): [string, ScoringItem] => [
      key,
      { key, type, weight: 1, critical: false, allowNA: true, required: false },
    ];
    const items = new Map<string, ScoringItem>([
      item('na', 'yes_no'),
      item('scale_7', 'scale'),
      item('unanswered', 'yes_no'),
      item('scale_5', 'scale'),
    ]);
    const scored = answerScores(items, [
      { itemKey: 'na', value: 'na' },
      { itemKey: 'scale_7', value: 7 },
      { itemKey: 'scale_5', value: 5 },
    ]);
    expect(scored.map(({ item: i, score }) => [i.key, score])).toEqual([['scale_5', 1]]);
  });
});
