import { byText, isFiniteNumber } from '../server/rules/values';

/** The two helpers the pure rules share (server/rules/values.ts). Pure. */

test('a finite number is a number that is neither NaN nor infinite; nothing else is one', () => {
  for (const x of [0, -1.5, 100, Number.MAX_VALUE]) expect(isFiniteNumber(x)).toBe(true);
  for (const x of [Number.NaN, Infinity, -Infinity, null, undefined, '1', [1], {}])
    expect(isFiniteNumber(x)).toBe(false);
});

test('ids and keys in code-unit order, equal ones equal', () => {
  expect(byText('a', 'b')).toBe(-1);
  expect(byText('b', 'a')).toBe(1);
  expect(byText('a', 'a')).toBe(0);
  // Code units, not a locale: upper case before lower case, '10' before '9'.
  expect(['b', 'a', 'B', '9', '10', 'a'].sort(byText)).toEqual(['10', '9', 'B', 'a', 'a', 'b']);
});
