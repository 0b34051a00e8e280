import fc from 'fast-check';
import { en, zh } from '../server/i18n';
import { translate } from '../server/platform/i18n';

/**
 * translate() splits each message once at its `{name}` placeholders and keeps the split: it must
 * fill them exactly as one regular-expression replacement of the message did (the rule before).
 */
const byReplace = (text: string, vars: Record<string, unknown>) =>
  text.replace(/\{(\w+)\}/g, (_, k: string) => (vars[k] === undefined ? `{${k}}` : String(vars[k])));

const VALUES = [0, 12.5, '', 'A&B $& $1 {x}', '王小明', null, undefined, true];

describe('translate', () => {
  test('every message of both dictionaries, asked twice, as the replacement fills it', () => {
    for (const [locale, dict] of [['en', en] as const, ['zh', zh] as const])
      for (const [key, text] of Object.entries(dict)) {
        const names = [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
        const vars = Object.fromEntries(names.map((n, i) => [n, VALUES[i % VALUES.length]]));
        expect(translate(locale, key, vars)).toBe(byReplace(text, vars));
        expect(translate(locale, key, vars)).toBe(byReplace(text, vars));
        expect(translate(locale, key)).toBe(text);
      }
  });

  test('any text with braces, names and values fills as the replacement does', () => {
    const piece = fc.constantFrom(
      '{',
      '}',
      'a',
      'b',
      'name',
      '_',
      '1',
      ' ',
      '-',
      '{a}',
      '{b}',
      '{name}',
      '{}',
      '{{a}}',
    );
    const value = fc.constantFrom(...VALUES);
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 12 }),
        fc.dictionary(fc.constantFrom('a', 'b', 'name', '_'), value),
        (parts, vars) => {
          const key = `test.unknown ${parts.join('')}`; // not a dictionary key: the key shows itself, filled
          expect(translate('en', key, vars)).toBe(byReplace(key, vars));
        },
      ),
      { numRuns: 500 },
    );
  });

  test('a missing key shows itself, filled', () => {
    expect(translate('zh', 'no.such.key {a} {b}', { a: 1 })).toBe('no.such.key 1 {b}');
  });
});
