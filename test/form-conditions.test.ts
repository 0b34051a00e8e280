import fc from 'fast-check';
import { propertyRuns } from './helpers/property-runs';
import { conditionMet, shownKeys, type ConditionalItem } from '../server/rules/conditions';

/**
 * The phone applies skip logic itself (public/form-conditions.js), so that items appear and
 * disappear as the auditor answers, offline too. That script and the rule the server scores and
 * validates with (server/rules/conditions.ts) must agree on every questionnaire and every answer.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const browser = require('../public/form-conditions.js') as {
  conditionMet: (c: { item: string; in: (string | number)[] }, answer: unknown) => boolean;
  shownKeys: (items: ConditionalItem[], answers: Record<string, unknown>) => Record<string, true>;
};

const VALUES = ['yes', 'no', 'na', 'a', 'b', 'c', 1, 2, 3, 4, 5];
const value = fc.oneof(fc.constantFrom<unknown>(...VALUES, undefined), fc.subarray(['a', 'b', 'c', 'd']));

/** Items k0..kn whose conditions refer to earlier, later, unknown or their own keys (bad data included). */
const questionnaire = fc
  .array(
    fc.record({
      hasCondition: fc.boolean(),
      ref: fc.integer({ min: -1, max: 12 }),
      in: fc.subarray(VALUES, { minLength: 1 }),
    }),
    { minLength: 1, maxLength: 12 },
  )
  .map((rows) =>
    rows.map((r, i): ConditionalItem => ({
      key: `k${i}`,
      ...(r.hasCondition ? { showIf: { item: r.ref < 0 ? 'nope' : `k${r.ref}`, in: r.in } } : {}),
    })),
  );

describe('the phone’s skip logic is the server’s', () => {
  test('conditionMet agrees on every condition and answer (scalars and multiple choices)', () => {
    fc.assert(
      fc.property(fc.subarray(VALUES, { minLength: 1 }), value, (values, answer) => {
        const c = { item: 'x', in: values };
        return browser.conditionMet(c, answer) === conditionMet(c, answer);
      }),
      propertyRuns(3000),
    );
  });

  test('shownKeys agrees on random questionnaires (chains, forward and unknown references) and answers', () => {
    fc.assert(
      fc.property(questionnaire, fc.array(value, { minLength: 12, maxLength: 12 }), (items, values) => {
        const answers = Object.fromEntries(items.map((item, i) => [item.key, values[i]]));
        const server = [...shownKeys(items, new Map(Object.entries(answers)))].sort();
        const phone = Object.keys(browser.shownKeys(items, answers)).sort();
        return JSON.stringify(server) === JSON.stringify(phone);
      }),
      propertyRuns(3000),
    );
  });

  test('a chain, worked by hand: hiding the first hides the rest', () => {
    const items: ConditionalItem[] = [
      { key: 'product' },
      { key: 'assessed', showIf: { item: 'product', in: ['wealth'] } },
      { key: 'match', showIf: { item: 'assessed', in: ['yes'] } },
    ];
    const both = (answers: Record<string, unknown>) => ({
      server: [...shownKeys(items, new Map(Object.entries(answers)))],
      phone: Object.keys(browser.shownKeys(items, answers)),
    });
    expect(both({ product: 'wealth', assessed: 'yes' })).toEqual({
      server: ['product', 'assessed', 'match'],
      phone: ['product', 'assessed', 'match'],
    });
    expect(both({ product: 'deposit', assessed: 'yes' })).toEqual({ server: ['product'], phone: ['product'] });
  });
});
