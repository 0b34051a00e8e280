import {
  answerErrors,
  canonicalAnswer,
  sameAnswer,
  splitHidden,
  TEXT_ANSWER_MAX,
  valueError,
} from '../server/rules/answers';
import type { ScoringItem } from '../server/rules/scoring';

/**
 * Whether an answer fits its item (SPEC §3, §10), worked out by hand on both sides of every bound,
 * with the exact words the auditor reads (they name the item and say what it takes). Pure.
 */

const item = (key: string, over: Partial<ScoringItem> = {}): ScoringItem => ({
  key,
  type: 'yes_no',
  weight: 1,
  critical: false,
  allowNA: false,
  required: true,
  ...over,
});

const options = [
  { key: 'a', score: 1 },
  { key: 'b', score: 0 },
];

describe('valueError', () => {
  test('yes/no: yes and no, nothing else', () => {
    const i = item('greet');
    expect(valueError(i, 'yes')).toBeUndefined();
    expect(valueError(i, 'no')).toBeUndefined();
    expect(valueError(i, 'maybe')).toBe('"greet" takes yes or no');
    expect(valueError(i, true)).toBe('"greet" takes yes or no');
  });

  test('scale: the whole numbers 1 to 5', () => {
    const i = item('tone', { type: 'scale' });
    for (const ok of [1, 2, 5]) expect(valueError(i, ok)).toBeUndefined();
    for (const bad of [0, 6, 2.5, '3']) expect(valueError(i, bad)).toBe('"tone" takes a whole number from 1 to 5');
  });

  test('number: a finite number within min and max, both bounds included', () => {
    const i = item('wait', { type: 'number', min: 0, max: 10 });
    expect(valueError(i, 0)).toBeUndefined();
    expect(valueError(i, 10)).toBeUndefined();
    expect(valueError(i, -0.5)).toBe('"wait" takes a number of at least 0');
    expect(valueError(i, 10.5)).toBe('"wait" takes a number of at most 10');
    for (const bad of [Number.NaN, Infinity, '3', null]) expect(valueError(i, bad)).toBe('"wait" takes a number');
  });

  test('number without bounds (or with null ones): any finite number', () => {
    expect(valueError(item('n', { type: 'number' }), -1e9)).toBeUndefined();
    expect(valueError(item('n', { type: 'number', min: null, max: null }), -5)).toBeUndefined();
    expect(valueError(item('n', { type: 'number', min: null, max: null }), 5)).toBeUndefined();
    expect(valueError(item('n', { type: 'number', min: 2 }), 1e9)).toBeUndefined();
    expect(valueError(item('n', { type: 'number', max: 2 }), -1e9)).toBeUndefined();
  });

  test('choice: one of the option keys', () => {
    const i = item('risk', { type: 'choice', options });
    expect(valueError(i, 'a')).toBeUndefined();
    expect(valueError(i, 'b')).toBeUndefined();
    expect(valueError(i, 'c')).toBe('"risk" takes one of the options a, b');
    expect(valueError(i, ['a'])).toBe('"risk" takes one of the options a, b');
    expect(valueError(item('risk', { type: 'choice' }), 'a')).toBe('"risk" takes one of the options ');
  });

  test('multi: a list of distinct option keys, the empty list included', () => {
    const i = item('pts', { type: 'multi', options });
    expect(valueError(i, [])).toBeUndefined();
    expect(valueError(i, ['b', 'a'])).toBeUndefined();
    const list = '"pts" takes a list of option keys (an empty list when none applies)';
    expect(valueError(i, 'a')).toBe(list);
    expect(valueError(i, ['a', 1])).toBe(list);
    expect(valueError(i, ['a', 'c', 'd'])).toBe('"pts" has no option "c"');
    expect(valueError(i, ['a', 'b', 'a'])).toBe('"pts" lists an option twice');
  });

  test('text: not blank, at most TEXT_ANSWER_MAX characters', () => {
    const i = item('note', { type: 'text' });
    expect(TEXT_ANSWER_MAX).toBe(2000);
    expect(valueError(i, 'x')).toBeUndefined();
    expect(valueError(i, 'x'.repeat(2000))).toBeUndefined();
    expect(valueError(i, 'x'.repeat(2001))).toBe('"note" takes at most 2000 characters');
    expect(valueError(i, '  \n')).toBe('"note" takes a text');
    expect(valueError(i, 7)).toBe('"note" takes a text');
  });

  test('an unknown type fits nothing', () => {
    expect(valueError(item('odd', { type: 'photo' as ScoringItem['type'] }), 'yes')).toBe('"odd" has an unknown type');
  });
});

describe('answerErrors', () => {
  const sections = [
    {
      items: [
        item('product', {
          type: 'choice',
          options: [
            { key: 'wealth', score: 1 },
            { key: 'deposit', score: 1 },
          ],
        }),
        item('assessed', { showIf: { item: 'product', in: ['wealth'] } }),
      ],
    },
    { items: [item('greet', { allowNA: true }), item('tone', { type: 'scale' })] },
  ];

  test('valid answers, na where allowed: no errors', () => {
    expect(
      answerErrors(sections, [
        { itemKey: 'product', value: 'wealth' },
        { itemKey: 'assessed', value: 'no' },
        { itemKey: 'greet', value: 'na' },
        { itemKey: 'tone', value: 1 },
      ]),
    ).toEqual([]);
    expect(answerErrors(sections, [])).toEqual([]);
  });

  test('every problem at once, each naming its answer’s field', () => {
    expect(
      answerErrors(sections, [
        { itemKey: 'product', value: 'deposit' },
        { itemKey: 'nope', value: 'yes' },
        { itemKey: 'assessed', value: 'yes' },
        { itemKey: 'tone', value: 'na' },
        { itemKey: 'greet', value: 'often' },
        { itemKey: 'greet', value: 'yes' },
      ]),
    ).toEqual([
      { field: 'answers.1.itemKey', message: 'unknown item "nope"' },
      {
        field: 'answers.2.itemKey',
        message: '"assessed" is not asked: its condition on "product" is not met; leave it out',
      },
      { field: 'answers.3.value', message: '"tone" does not allow N/A' },
      { field: 'answers.4.value', message: '"greet" takes yes or no' },
      { field: 'answers.5.itemKey', message: '"greet" is answered twice' },
    ]);
  });

  test('na where allowed is not checked further; a wrong value after a repeated key is not reported twice', () => {
    expect(answerErrors(sections, [{ itemKey: 'greet', value: 'na' }])).toEqual([]);
    expect(
      answerErrors(sections, [
        { itemKey: 'tone', value: 3 },
        { itemKey: 'tone', value: 9 },
      ]),
    ).toEqual([{ field: 'answers.1.itemKey', message: '"tone" is answered twice' }]);
  });
});

describe('splitHidden', () => {
  test('answers to items the answers leave hidden are set apart, down a chain; the rest kept in order', () => {
    const sections = [
      {
        items: [
          item('product', {
            type: 'choice',
            options: [
              { key: 'wealth', score: 1 },
              { key: 'deposit', score: 1 },
            ],
          }),
          item('assessed', { showIf: { item: 'product', in: ['wealth'] } }),
          item('match', { showIf: { item: 'assessed', in: ['yes'] } }),
          item('greet'),
        ],
      },
    ];
    const answers = [
      { itemKey: 'greet', value: 'yes' },
      { itemKey: 'match', value: 'no' },
      { itemKey: 'product', value: 'deposit' },
      { itemKey: 'assessed', value: 'yes' },
    ];
    expect(splitHidden(sections, answers)).toEqual({
      kept: [answers[0], answers[2]],
      hidden: [answers[1], answers[3]],
    });
    const met = [
      { itemKey: 'product', value: 'wealth' },
      { itemKey: 'assessed', value: 'no' },
      { itemKey: 'match', value: 'no' },
    ];
    expect(splitHidden(sections, met)).toEqual({ kept: [met[0], met[1]], hidden: [met[2]] });
    expect(splitHidden(sections, [])).toEqual({ kept: [], hidden: [] });
  });
});

describe('canonicalAnswer and sameAnswer', () => {
  const multi = item('pts', {
    type: 'multi',
    options: [
      { key: 'x', score: 1 },
      { key: 'y', score: 1 },
      { key: 'z', score: 1 },
    ],
  });

  test('a multiple choice is stored in the questionnaire’s option order; anything else as given', () => {
    expect(canonicalAnswer(multi, ['z', 'x'])).toEqual(['x', 'z']);
    expect(canonicalAnswer(multi, [])).toEqual([]);
    expect(canonicalAnswer(multi, 'na')).toBe('na');
    expect(canonicalAnswer(item('pts', { type: 'multi' }), ['x'])).toEqual([]);
    expect(canonicalAnswer(item('c', { type: 'choice', options: [{ key: 'x', score: 1 }] }), ['x', 'q'])).toEqual([
      'x',
      'q',
    ]);
    expect(canonicalAnswer(undefined, ['b', 'a'])).toEqual(['b', 'a']);
  });

  test('the same answer: equal values, or the same options in any order', () => {
    expect(sameAnswer('yes', 'yes')).toBe(true);
    expect(sameAnswer('yes', 'no')).toBe(false);
    expect(sameAnswer(['x', 'y'], ['y', 'x'])).toBe(true);
    expect(sameAnswer(['x'], ['x', 'y'])).toBe(false);
    expect(sameAnswer(['x', 'y'], ['x'])).toBe(false);
    expect(sameAnswer(['x', 'y'], ['x', 'z'])).toBe(false);
    expect(sameAnswer(['x'], 'x')).toBe(false);
    expect(sameAnswer([], [])).toBe(true);
  });
});
