import fc from 'fast-check';
import { propertyRuns } from './helpers/property-runs';
import { mk, sec, onlyGreeting } from './helpers/scoring-fixtures';
import { answerErrors } from '../server/rules/answers';
import {
  formatScore,
  isCriticalFailure,
  isScaleValue,
  itemScore,
  scoreVisit,
  SECTION_KEYS,
  type Answer,
  type AnswerValue,
  type ItemType,
  type SectionKey,
} from '../server/rules/scoring';

/**
 * The edges of SPEC §3 that a wrong score would hide behind: the ends of the scale (1 and 5), `yes`
 * on a critical item, values that do not fit their item, and every message the edge check gives.
 * Mutation testing (npm run test:mutation) holds these files to the scoring rules.
 */

describe('itemScore and isScaleValue', () => {
  test.each([
    ['yes', 1],
    ['no', 0],
    ['na', null],
    [undefined, null],
    [1, null],
    ['YES', null],
  ])('yes/no answered %p scores %p', (value, expected) => {
    expect(itemScore({ type: 'yes_no' }, value)).toBe(expected);
  });

  test.each([
    [1, 0],
    [2, 0.25],
    [3, 0.5],
    [4, 0.75],
    [5, 1],
    ['na', null],
    [undefined, null],
    [0, null],
    [6, null],
    [2.5, null],
    [-1, null],
    ['3', null],
    ['yes', null],
    [Number.NaN, null],
    [Number.POSITIVE_INFINITY, null],
  ])('scale answered %p scores %p: never outside [0, 1]', (value, expected) => {
    expect(itemScore({ type: 'scale' }, value)).toBe(expected);
  });

  test.each([
    [1, true],
    [5, true],
    [3, true],
    [0, false],
    [6, false],
    [0.999, false],
    [5.001, false],
    ['1', false],
    [null, false],
  ])('isScaleValue(%p) is %p', (value, expected) => {
    expect(isScaleValue(value)).toBe(expected);
  });
});

describe('critical items', () => {
  test.each<[ItemType, unknown, boolean]>([
    ['yes_no', 'no', true],
    ['yes_no', 'yes', false],
    ['yes_no', 'na', false],
    ['scale', 1, true],
    ['scale', 2, false],
    ['scale', 5, false],
    ['scale', 'no', false],
    ['scale', 0, false],
  ])('a critical %s answered %p fails: %p', (type, value, fails) => {
    expect(isCriticalFailure({ type, critical: true }, value)).toBe(fails);
    expect(isCriticalFailure({ type, critical: false }, value)).toBe(false);
  });

  test('a critical yes/no answered `yes` keeps its section and records no violation', () => {
    const qs = onlyGreeting([mk('risk', 'yes_no', { critical: true }), mk('g2', 'yes_no', { weight: 3 })]);
    const s = scoreVisit(qs, [
      { itemKey: 'risk', value: 'yes' },
      { itemKey: 'g2', value: 'no' },
    ]);
    // 100 × (1×1 + 3×0) / 4 = 25, not 0
    expect(s.sections.greeting).toBe(25);
    expect(s.total).toBe(25);
    expect(s.violations).toEqual([]);
  });

  test('a critical scale answered 5 or 2 is not a violation; a non-critical `no` is not either', () => {
    const qs = onlyGreeting([
      mk('a', 'scale', { critical: true }),
      mk('b', 'scale', { critical: true }),
      mk('c', 'yes_no'),
    ]);
    const s = scoreVisit(qs, [
      { itemKey: 'a', value: 5 },
      { itemKey: 'b', value: 2 },
      { itemKey: 'c', value: 'no' },
    ]);
    // 100 × (1 + 0.25 + 0) / 3 = 41.666…
    expect(s.sections.greeting).toBeCloseTo(41.666666666667, 9);
    expect(s.violations).toEqual([]);
  });

  test('a critical item whose stored value does not fit is left out, not a violation', () => {
    const qs = onlyGreeting([mk('a', 'scale', { critical: true }), mk('b', 'yes_no')]);
    const s = scoreVisit(qs, [
      { itemKey: 'a', value: 0 },
      { itemKey: 'b', value: 'yes' },
    ] as unknown as Answer[]);
    expect(s.sections.greeting).toBe(100);
    expect(s.violations).toEqual([]);
  });
});

describe('scoreVisit at the ends of the scale', () => {
  test('scale 1 scores 0 and scale 5 scores 100, worked by hand', () => {
    const qs = onlyGreeting([mk('low', 'scale'), mk('high', 'scale', { weight: 3 })]);
    expect(scoreVisit(qs, [{ itemKey: 'low', value: 1 }]).sections.greeting).toBe(0);
    expect(scoreVisit(qs, [{ itemKey: 'high', value: 5 }]).sections.greeting).toBe(100);
    // 100 × (1×0 + 3×1) / 4 = 75
    expect(
      scoreVisit(qs, [
        { itemKey: 'low', value: 1 },
        { itemKey: 'high', value: 5 },
      ]).sections.greeting,
    ).toBe(75);
  });

  test.each([0, 6, 2.5, -3, 50])('a stored scale value of %p is left out, never scored outside [0, 100]', (bad) => {
    const qs = onlyGreeting([mk('s', 'scale'), mk('y', 'yes_no')]);
    const s = scoreVisit(qs, [
      { itemKey: 's', value: bad },
      { itemKey: 'y', value: 'no' },
    ] as unknown as Answer[]);
    // only y counts: 100 × 0 / 1 = 0
    expect(s.sections.greeting).toBe(0);
    expect(s.total).toBe(0);
  });

  test('a section whose only answers do not fit has no score', () => {
    const s = scoreVisit(onlyGreeting([mk('s', 'scale')]), [{ itemKey: 's', value: 9 }] as unknown as Answer[]);
    expect(s.sections.greeting).toBeNull();
    expect(s.total).toBeNull();
  });
});

describe('answerErrors: the ends of the scale and every message', () => {
  const qs = [
    sec('greeting', [mk('g1', 'yes_no'), mk('g2', 'scale')]),
    sec('product_knowledge', [mk('p1', 'scale', { allowNA: true })]),
    sec('sales_compliance', []),
    sec('follow_up', []),
  ];

  test.each([1, 5])('a scale answer of %p is accepted', (value) => {
    expect(answerErrors(qs, [{ itemKey: 'g2', value }])).toEqual([]);
  });

  test('messages name the item and what it takes', () => {
    expect(
      answerErrors(qs, [
        { itemKey: 'zz', value: 'yes' },
        { itemKey: 'g1', value: 'maybe' },
        { itemKey: 'g1', value: 'yes' },
        { itemKey: 'g2', value: 'na' },
        { itemKey: 'p1', value: 7 },
      ]),
    ).toEqual([
      { field: 'answers.0.itemKey', message: 'unknown item "zz"' },
      { field: 'answers.1.value', message: '"g1" takes yes or no' },
      { field: 'answers.2.itemKey', message: '"g1" is answered twice' },
      { field: 'answers.3.value', message: '"g2" does not allow N/A' },
      { field: 'answers.4.value', message: '"p1" takes a whole number from 1 to 5' },
    ]);
  });
});

describe('formatScore', () => {
  test.each([
    [Number.POSITIVE_INFINITY, '–'],
    [Number.NEGATIVE_INFINITY, '–'],
    [Number.NaN, '–'],
    [null, '–'],
    [undefined, '–'],
    [0, '0.0'],
    [99.95, '100.0'],
  ])('%p is shown as %p', (v, shown) => {
    expect(formatScore(v)).toBe(shown);
  });
});

describe('property: scoreVisit against the rules written out again', () => {
  const itemArb = (key: string) =>
    fc.record({
      key: fc.constant(key),
      type: fc.constantFrom<ItemType>('yes_no', 'scale'),
      weight: fc.integer({ min: 1, max: 5 }),
      critical: fc.boolean(),
      allowNA: fc.constant(true),
      required: fc.constant(false),
    });
  const valueArb = fc.constantFrom<AnswerValue | undefined>(undefined, 'na', 'yes', 'no', 1, 2, 3, 4, 5);
  const caseArb = fc.tuple(
    ...SECTION_KEYS.map((k) =>
      fc.tuple(
        fc.integer({ min: 1, max: 40 }),
        fc
          .array(fc.tuple(itemArb(''), valueArb), { maxLength: 4 })
          .map((xs) => xs.map(([item, value], i) => ({ item: { ...item, key: `${k}_${i}` }, value }))),
      ),
    ),
  );

  test('sections, total and violations are exactly what SPEC §3 says, in either direction', () => {
    fc.assert(
      fc.property(caseArb, (secs) => {
        const sections = secs.map(([w, xs], i) =>
          sec(
            SECTION_KEYS[i],
            xs.map((x) => x.item),
            w,
          ),
        );
        const answers = secs.flatMap(([, xs]) =>
          xs.filter((x) => x.value !== undefined).map((x) => ({ itemKey: x.item.key, value: x.value as AnswerValue })),
        );
        const got = scoreVisit(sections, answers);
        const expectedViolations: { itemKey: string; sectionKey: SectionKey }[] = [];
        let weighted = 0;
        let weights = 0;
        secs.forEach(([w, xs], i) => {
          const key = SECTION_KEYS[i];
          // an item's score by the table of SPEC §3: yes 1, no 0, scale (v − 1) / 4; na, no answer or
          // a value of the other type (a scale answered `yes`): left out
          const scored = xs.flatMap(({ item, value }) => {
            const score =
              item.type === 'yes_no'
                ? { yes: 1, no: 0 }[value as string]
                : typeof value === 'number'
                  ? (value - 1) / 4
                  : undefined;
            if (score === undefined) return [];
            if (item.critical && score === 0) expectedViolations.push({ itemKey: item.key, sectionKey: key });
            return [{ weight: item.weight, score, failed: item.critical && score === 0 }];
          });
          if (scored.length === 0) return expect(got.sections[key]).toBeNull();
          const den = scored.reduce((s, x) => s + x.weight, 0);
          const num = scored.reduce((s, x) => s + x.weight * x.score, 0);
          const section = scored.some((x) => x.failed) ? 0 : (100 * num) / den;
          expect(got.sections[key]).toBeCloseTo(section, 9);
          weighted += w * section;
          weights += w;
        });
        expect(got.violations).toEqual(expectedViolations);
        if (weights === 0) expect(got.total).toBeNull();
        else expect(got.total).toBeCloseTo(weighted / weights, 9);
      }),
      propertyRuns(100),
    );
  });
});
