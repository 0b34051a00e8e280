import fc from 'fast-check';
import { propertyRuns } from './helpers/property-runs';
import { mk, sec, ans } from './helpers/scoring-fixtures';
import { answerErrors } from '../server/rules/answers';
import {
  formatScore,
  missingRequired,
  roundScore,
  scoreVisit,
  SECTION_KEYS,
  type Answer,
  type AnswerValue,
  type ItemType,
  type ScoringItem,
  type ScoringSection,
  type SectionKey,
} from '../server/rules/scoring';

/** Pure tests of SPEC.md section 3. Every expected number is worked out by hand in the comment beside it. */

const questionnaire = (
  weights: Record<SectionKey, number> = { greeting: 25, product_knowledge: 25, sales_compliance: 25, follow_up: 25 },
): ScoringSection[] => [
  sec('greeting', [mk('g1', 'yes_no'), mk('g2', 'yes_no', { weight: 2 }), mk('g3', 'scale')], weights.greeting),
  sec('product_knowledge', [mk('p1', 'scale', { weight: 3 }), mk('p2', 'yes_no')], weights.product_knowledge),
  sec(
    'sales_compliance',
    [mk('c1', 'yes_no', { allowNA: true }), mk('c2', 'yes_no', { weight: 2 })],
    weights.sales_compliance,
  ),
  sec('follow_up', [mk('f1', 'yes_no', { allowNA: true })], weights.follow_up),
];
const answers = ans({ g1: 'yes', g2: 'no', g3: 4, p1: 5, p2: 'no', c1: 'na', c2: 'yes', f1: 'na' });

describe('scoreVisit, worked by hand', () => {
  test('item weights, scale (value-1)/4, na left out with its weight, an all-na section is null', () => {
    const s = scoreVisit(questionnaire(), answers);
    // greeting: g1 yes=1 (w1), g2 no=0 (w2), g3 scale 4 → (4-1)/4 = 0.75 (w1)
    //   100 × (1×1 + 2×0 + 1×0.75) / (1+2+1) = 100 × 1.75/4 = 43.75
    expect(s.sections.greeting).toBeCloseTo(43.75, 12);
    // product_knowledge: p1 scale 5 → 1 (w3), p2 no=0 (w1) → 100 × 3/4 = 75
    expect(s.sections.product_knowledge).toBeCloseTo(75, 12);
    // sales_compliance: c1 na is left out, weight included; c2 yes (w2) → 100 × 2/2 = 100 (not 2/3 = 66.7)
    expect(s.sections.sales_compliance).toBe(100);
    // follow_up: its only item is na → no applicable item → null
    expect(s.sections.follow_up).toBeNull();
    // total over the three scored sections, 25 each: (43.75 + 75 + 100) / 3 = 218.75/3 = 72.91666…
    expect(s.total).toBeCloseTo(72.916666666667, 9);
    expect(formatScore(s.total)).toBe('72.9');
    expect(s.violations).toEqual([]);
  });

  test('section weights other than 25 (a null section drops out of the weights too)', () => {
    const s = scoreVisit(
      questionnaire({ greeting: 40, product_knowledge: 30, sales_compliance: 20, follow_up: 10 }),
      answers,
    );
    // (40×43.75 + 30×75 + 20×100) / (40+30+20) = (1750 + 2250 + 2000) / 90 = 6000/90 = 66.666…
    // follow_up (null) is left out: with its weight 10 counted it would be 6000/100 = 60.
    expect(s.total).toBeCloseTo(66.666666666667, 9);
    expect(formatScore(s.total)).toBe('66.7');
  });

  test('a critical `no` zeroes its section and is listed as a violation', () => {
    const qs = [
      sec('greeting', [mk('g1', 'yes_no')]),
      sec('product_knowledge', [mk('p1', 'yes_no')]),
      sec('sales_compliance', [mk('risk', 'yes_no', { critical: true }), mk('rec', 'yes_no', { weight: 3 })]),
      sec('follow_up', [mk('f1', 'yes_no')]),
    ];
    const s = scoreVisit(qs, ans({ g1: 'yes', p1: 'yes', risk: 'no', rec: 'yes', f1: 'yes' }));
    // sales_compliance would be 100 × 3/4 = 75 without the rule; the critical failure makes it 0.
    expect(s.sections.sales_compliance).toBe(0);
    // total: (100 + 100 + 0 + 100) / 4 = 75
    expect(s.total).toBe(75);
    expect(s.violations).toEqual([{ itemKey: 'risk', sectionKey: 'sales_compliance' }]);
  });

  test('a critical scale answered 1 zeroes its section; 2 does not; several violations are all listed', () => {
    const qs = [
      sec('greeting', [mk('g1', 'scale', { critical: true }), mk('g2', 'yes_no')]),
      sec('product_knowledge', [mk('p1', 'scale', { critical: true }), mk('p2', 'yes_no')]),
      sec('sales_compliance', [mk('c1', 'yes_no', { critical: true }), mk('c2', 'scale', { critical: true })]),
      sec('follow_up', [mk('f1', 'yes_no', { critical: true, allowNA: true }), mk('f2', 'yes_no')]),
    ];
    const s = scoreVisit(qs, ans({ g1: 1, g2: 'yes', p1: 2, p2: 'yes', c1: 'no', c2: 1, f1: 'na', f2: 'yes' }));
    // greeting: g1 = 1 on a critical scale → 0 (without the rule: 100 × (0 + 1)/2 = 50)
    expect(s.sections.greeting).toBe(0);
    // product_knowledge: p1 = 2 → (2-1)/4 = 0.25, not a failure → 100 × (0.25 + 1)/2 = 62.5
    expect(s.sections.product_knowledge).toBe(62.5);
    // sales_compliance: both critical items fail → 0, both listed
    expect(s.sections.sales_compliance).toBe(0);
    // follow_up: a critical item answered na is not a failure → 100 × 1/1 = 100
    expect(s.sections.follow_up).toBe(100);
    // total: (0 + 62.5 + 0 + 100) / 4 = 40.625
    expect(s.total).toBe(40.625);
    expect(s.violations).toEqual([
      { itemKey: 'g1', sectionKey: 'greeting' },
      { itemKey: 'c1', sectionKey: 'sales_compliance' },
      { itemKey: 'c2', sectionKey: 'sales_compliance' },
    ]);
  });

  test('unanswered items are left out (not scored 0); nothing answered → every score null', () => {
    const qs = questionnaire();
    const s = scoreVisit(qs, ans({ g1: 'yes', g3: 2 }));
    // greeting: g1 = 1 (w1), g3 = (2-1)/4 = 0.25 (w1); g2 unanswered → 100 × 1.25/2 = 62.5
    expect(s.sections.greeting).toBe(62.5);
    expect(s.sections.product_knowledge).toBeNull();
    expect(s.sections.sales_compliance).toBeNull();
    // the total is the one scored section's score
    expect(s.total).toBe(62.5);
    const none = scoreVisit(qs, []);
    expect(none.sections).toEqual({ greeting: null, product_knowledge: null, sales_compliance: null, follow_up: null });
    expect(none.total).toBeNull();
  });

  test('a stored value that does not fit its item is left out, never scored 0 or NaN', () => {
    const qs = [
      sec('greeting', [mk('g1', 'yes_no'), mk('g2', 'scale'), mk('g3', 'yes_no')]),
      sec('product_knowledge', []),
      sec('sales_compliance', []),
      sec('follow_up', []),
    ];
    const bad = [
      { itemKey: 'g1', value: 3 },
      { itemKey: 'g2', value: 'yes' },
      { itemKey: 'g3', value: 'yes' },
    ] as unknown as Answer[];
    // only g3 counts: 100 × 1/1 = 100 (scoring g1 as 0 would give 50; g2 would make it NaN)
    expect(scoreVisit(qs, bad).sections.greeting).toBe(100);
  });
});

describe('display rounding: one decimal, half away from zero', () => {
  test.each([
    [84.25, 84.3], // 842.5 → 843 (a naive toFixed(1) gives 84.2: 84.25 is stored as 84.2499…)
    [84.35, 84.4], // stored as 84.3499…, still shown 84.4
    [84.24, 84.2],
    [0.05, 0.1],
    [0.15, 0.2], // stored as 0.1499…
    [-0.05, -0.1], // away from zero, not towards +∞ (Math.round gives -0)
    [-84.25, -84.3],
    [100, 100],
    [66.66666666666667, 66.7],
    [0, 0],
  ])('%p → %p', (v, expected) => {
    expect(roundScore(v)).toBe(expected);
  });

  test('formatScore shows one decimal and a dash when there is no score', () => {
    expect(formatScore(84.25)).toBe('84.3');
    expect(formatScore(-0.05)).toBe('-0.1');
    expect(formatScore(100)).toBe('100.0');
    expect(formatScore(-0.04)).toBe('0.0');
    expect(formatScore(null)).toBe('–');
    expect(formatScore(undefined)).toBe('–');
    expect(formatScore(Number.NaN)).toBe('–');
  });
});

describe('answerErrors and missingRequired', () => {
  const qs = [
    sec('greeting', [mk('g1', 'yes_no'), mk('g2', 'scale'), mk('g3', 'yes_no', { allowNA: true, required: false })]),
    sec('product_knowledge', [mk('p1', 'scale', { allowNA: true })]),
    sec('sales_compliance', [mk('c1', 'yes_no', { critical: true })]),
    sec('follow_up', [mk('f1', 'yes_no', { required: false })]),
  ];

  test('valid answers have no errors', () => {
    expect(
      answerErrors(qs, [
        { itemKey: 'g1', value: 'no' },
        { itemKey: 'g2', value: 5 },
        { itemKey: 'g3', value: 'na' },
        { itemKey: 'p1', value: 'na' },
        { itemKey: 'c1', value: 'yes' },
      ]),
    ).toEqual([]);
  });

  test('each wrong answer is reported at its position', () => {
    const errors = answerErrors(qs, [
      { itemKey: 'nope', value: 'yes' }, // 0: unknown item
      { itemKey: 'g1', value: 3 }, // 1: yes_no given a number
      { itemKey: 'g2', value: 'yes' }, // 2: scale given yes
      { itemKey: 'c1', value: 'na' }, // 3: na where not allowed
      { itemKey: 'p1', value: 0 }, // 4: below 1
      { itemKey: 'g1', value: 'yes' }, // 5: g1 again
      { itemKey: 'f1', value: 'maybe' }, // 6
    ]);
    expect(errors.map((e) => e.field)).toEqual([
      'answers.0.itemKey',
      'answers.1.value',
      'answers.2.value',
      'answers.3.value',
      'answers.4.value',
      'answers.5.itemKey',
      'answers.6.value',
    ]);
  });

  test.each([0, 6, 2.5, '3', null, true])('a scale answer of %p is rejected', (value) => {
    expect(answerErrors(qs, [{ itemKey: 'g2', value }]).map((e) => e.field)).toEqual(['answers.0.value']);
  });

  test('missingRequired lists required items without an answer, in questionnaire order; na counts as an answer', () => {
    expect(missingRequired(qs, [])).toEqual([
      { itemKey: 'g1', sectionKey: 'greeting' },
      { itemKey: 'g2', sectionKey: 'greeting' },
      { itemKey: 'p1', sectionKey: 'product_knowledge' },
      { itemKey: 'c1', sectionKey: 'sales_compliance' },
    ]);
    expect(missingRequired(qs, ans({ g1: 'yes', p1: 'na', c1: 'no' }))).toEqual([
      { itemKey: 'g2', sectionKey: 'greeting' },
    ]);
    expect(missingRequired(qs, ans({ g1: 'yes', g2: 3, p1: 4, c1: 'yes' }))).toEqual([]);
  });
});

// ---- properties

interface Case {
  sections: ScoringSection[];
  answers: Answer[];
}

const itemArb = (key: string) =>
  fc.record({
    key: fc.constant(key),
    type: fc.constantFrom<ItemType>('yes_no', 'scale'),
    weight: fc.double({ min: 0.01, max: 100, noNaN: true }),
    critical: fc.boolean(),
    allowNA: fc.boolean(),
    required: fc.boolean(),
  });

/** An answer for an item: unanswered (undefined), na where allowed, or a value of the item's type. */
const answerFor = (item: ScoringItem): fc.Arbitrary<AnswerValue | undefined> =>
  fc.oneof(
    fc.constant(undefined),
    ...(item.allowNA ? [fc.constant<AnswerValue>('na')] : []),
    item.type === 'yes_no' ? fc.constantFrom<AnswerValue>('yes', 'no') : fc.constantFrom<AnswerValue>(1, 2, 3, 4, 5),
  );

const caseArb: fc.Arbitrary<Case> = fc
  .tuple(
    ...SECTION_KEYS.map((k) =>
      fc.tuple(
        fc.double({ min: 0.5, max: 100, noNaN: true }),
        fc
          .integer({ min: 0, max: 6 })
          .chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => itemArb(`${k}_${i}`)))),
      ),
    ),
  )
  .map((secs) => secs.map(([weight, items], i) => sec(SECTION_KEYS[i], items as ScoringItem[], weight)))
  .chain((sections) => {
    const items = sections.flatMap((s) => s.items);
    return fc.tuple(...items.map(answerFor)).map((values) => ({
      sections,
      answers: items.flatMap((item, i) =>
        values[i] === undefined ? [] : [{ itemKey: item.key, value: values[i] as AnswerValue }],
      ),
    }));
  });

const scoresOf = (v: ReturnType<typeof scoreVisit>): (number | null)[] => [
  ...SECTION_KEYS.map((k) => v.sections[k]),
  v.total,
];
const close = (a: (number | null)[], b: (number | null)[]) =>
  a.every((x, i) => (x === null ? b[i] === null : b[i] !== null && Math.abs(x - (b[i] as number)) < 1e-9));
const RUNS = propertyRuns(300);

describe('scoring properties', () => {
  test('every score lies within 0..100', () => {
    fc.assert(
      fc.property(caseArb, ({ sections, answers }) => {
        const scores = scoresOf(scoreVisit(sections, answers)).filter((s): s is number => s !== null);
        return scores.every((s) => s >= 0 && s <= 100 + 1e-9);
      }),
      RUNS,
    );
  });

  test('adding na answers to unanswered items changes no score', () => {
    fc.assert(
      fc.property(caseArb, ({ sections, answers }) => {
        const answered = new Set(answers.map((a) => a.itemKey));
        const withNa = [
          ...answers,
          ...sections
            .flatMap((s) => s.items)
            .filter((i) => !answered.has(i.key))
            .map((i) => ({ itemKey: i.key, value: 'na' as const })),
        ];
        const a = scoreVisit(sections, answers);
        const b = scoreVisit(sections, withNa);
        return (
          JSON.stringify(scoresOf(a)) === JSON.stringify(scoresOf(b)) &&
          JSON.stringify(a.violations) === JSON.stringify(b.violations)
        );
      }),
      RUNS,
    );
  });

  test('scaling all item weights and/or all section weights by one positive factor changes no score', () => {
    fc.assert(
      fc.property(
        caseArb,
        fc.double({ min: 0.001, max: 1000, noNaN: true }),
        fc.boolean(),
        fc.boolean(),
        ({ sections, answers }, k, items, secs) => {
          const scaled = sections.map((s) => ({
            ...s,
            weight: secs ? s.weight * k : s.weight,
            items: s.items.map((i) => ({ ...i, weight: items ? i.weight * k : i.weight })),
          }));
          return close(scoresOf(scoreVisit(sections, answers)), scoresOf(scoreVisit(scaled, answers)));
        },
      ),
      RUNS,
    );
  });

  test('a failed critical item makes its section exactly 0 and is listed', () => {
    fc.assert(
      fc.property(caseArb, ({ sections, answers }) => {
        const v = scoreVisit(sections, answers);
        const byKey = new Map(answers.map((a) => [a.itemKey, a.value]));
        return sections.every((s) =>
          s.items.every((i) => {
            const value = byKey.get(i.key);
            const failed = i.critical && (i.type === 'yes_no' ? value === 'no' : value === 1);
            if (!failed) return true;
            return v.sections[s.key] === 0 && v.violations.some((x) => x.itemKey === i.key && x.sectionKey === s.key);
          }),
        );
      }),
      RUNS,
    );
  });

  test('the total lies between the lowest and the highest section score, and is null only when every section is', () => {
    fc.assert(
      fc.property(caseArb, ({ sections, answers }) => {
        const v = scoreVisit(sections, answers);
        const scored = SECTION_KEYS.map((k) => v.sections[k]).filter((s): s is number => s !== null);
        if (scored.length === 0) return v.total === null;
        return v.total !== null && v.total >= Math.min(...scored) - 1e-9 && v.total <= Math.max(...scored) + 1e-9;
      }),
      RUNS,
    );
  });
});
