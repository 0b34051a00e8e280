import fc from 'fast-check';
import { propertyRuns } from './helpers/property-runs';
import { mk, sec, ans } from './helpers/scoring-fixtures';
import { answerErrors, sameAnswer, splitHidden } from '../server/rules/answers';
import {
  evidenceMissing,
  isCriticalFailure,
  itemScore,
  missingRequired,
  scoreVisit,
  type Answer,
  type AnswerValue,
  type ItemType,
  type ScoringItem,
  type ScoringSection,
} from '../server/rules/scoring';

/**
 * Pure tests of SPEC.md section 10 (richer item types, conditions, evidence on failure). Every
 * expected number is worked out by hand beside it; the properties hold on random questionnaires.
 */

const WAIT = mk('wait', 'number', {
  min: 0,
  max: 300,
  bands: [
    { max: 5, score: 1 },
    { max: 10, score: 0.75 },
    { max: 20, score: 0.5 },
    { max: 30, score: 0.25 },
  ],
});
const MATCH = mk('match', 'choice', {
  options: [
    { key: 'ok', score: 1 },
    { key: 'signed', score: 0.5 },
    { key: 'above', score: 0 },
    { key: 'unknown', score: null },
  ],
});
const POINTS = mk('points', 'multi', {
  options: [
    { key: 'principal', score: 0.35 },
    { key: 'liquidity', score: 0.25 },
    { key: 'past', score: 0.25 },
    { key: 'level', score: 0.15 },
    { key: 'guaranteed', score: -1 },
  ],
});

describe('item scores of each type, worked by hand', () => {
  test.each([
    [0, 1],
    [3, 1],
    [5, 1], // the first band whose max ≥ value: 5 ≥ 5
    [5.5, 0.75],
    [10, 0.75],
    [20, 0.5],
    [29.9, 0.25],
    [30, 0.25],
    [31, 0], // above every band
    [300, 0],
  ])('number %p minutes scores %p', (value, score) => {
    expect(itemScore(WAIT, value)).toBe(score);
  });

  test('a number outside its range, not a number, or without bands is not scored', () => {
    expect(itemScore(WAIT, -1)).toBeNull();
    expect(itemScore(WAIT, 301)).toBeNull();
    expect(itemScore(WAIT, '5')).toBeNull();
    expect(itemScore(WAIT, Number.NaN)).toBeNull();
    expect(itemScore(mk('n', 'number'), 4)).toBeNull();
  });

  test('choice: the option score; a null score is not applicable; an unknown key is left out', () => {
    expect(itemScore(MATCH, 'ok')).toBe(1);
    expect(itemScore(MATCH, 'signed')).toBe(0.5);
    expect(itemScore(MATCH, 'above')).toBe(0);
    expect(itemScore(MATCH, 'unknown')).toBeNull();
    expect(itemScore(MATCH, 'nope')).toBeNull();
    expect(itemScore(MATCH, 1)).toBeNull();
  });

  test('multi: min(1, max(0, Σ chosen))', () => {
    // 0.35 + 0.25 = 0.6
    expect(itemScore(POINTS, ['principal', 'liquidity'])).toBeCloseTo(0.6, 12);
    // 0.35 + 0.25 + 0.25 + 0.15 = 1.0
    expect(itemScore(POINTS, ['principal', 'liquidity', 'past', 'level'])).toBeCloseTo(1, 12);
    // 1.0 − 1 = 0 (a guarantee promise wipes out the explanations)
    expect(itemScore(POINTS, ['principal', 'liquidity', 'past', 'level', 'guaranteed'])).toBeCloseTo(0, 12);
    // 0.35 − 1 = −0.65 → 0
    expect(itemScore(POINTS, ['principal', 'guaranteed'])).toBe(0);
    // none chosen: Σ = 0
    expect(itemScore(POINTS, [])).toBe(0);
    // 0.8 + 0.7 = 1.5 → 1
    const generous = mk('g', 'multi', {
      options: [
        { key: 'a', score: 0.8 },
        { key: 'b', score: 0.7 },
      ],
    });
    expect(itemScore(generous, ['a', 'b'])).toBe(1);
    // an unknown key makes the answer unreadable, not 0
    expect(itemScore(POINTS, ['principal', 'nope'])).toBeNull();
    expect(itemScore(POINTS, 'principal')).toBeNull();
  });

  test('text is never scored; na is not applicable for every type', () => {
    expect(itemScore(mk('t', 'text'), 'anything')).toBeNull();
    for (const item of [WAIT, MATCH, POINTS, mk('y', 'yes_no'), mk('s', 'scale'), mk('t', 'text')])
      expect(itemScore(item, 'na')).toBeNull();
  });

  test('a critical failure is a critical item that scores 0, whatever its type', () => {
    expect(isCriticalFailure({ ...WAIT, critical: true }, 45)).toBe(true);
    expect(isCriticalFailure({ ...WAIT, critical: true }, 25)).toBe(false);
    expect(isCriticalFailure({ ...MATCH, critical: true }, 'above')).toBe(true);
    expect(isCriticalFailure({ ...MATCH, critical: true }, 'unknown')).toBe(false); // not applicable
    expect(isCriticalFailure({ ...POINTS, critical: true }, ['principal', 'guaranteed'])).toBe(true);
    expect(isCriticalFailure({ ...POINTS, critical: false }, [])).toBe(false);
  });
});

describe('a visit with every type, worked by hand', () => {
  const sections = [
    sec('greeting', [mk('g1', 'yes_no'), { ...WAIT, weight: 2 }]),
    sec('product_knowledge', [MATCH, mk('note', 'text', { required: false })]),
    sec('sales_compliance', [{ ...POINTS, weight: 2 }, mk('c1', 'yes_no', { weight: 2 })]),
    sec('follow_up', [mk('f1', 'scale')]),
  ];

  test('section scores and total', () => {
    const s = scoreVisit(
      sections,
      ans({ g1: 'yes', wait: 12, match: 'unknown', note: 'busy', points: ['principal', 'past'], c1: 'no', f1: 4 }),
    );
    // greeting: g1 yes = 1 (w1), wait 12 min → band ≤20 → 0.5 (w2): 100 × (1 + 2×0.5)/3 = 66.666…
    expect(s.sections.greeting).toBeCloseTo(66.666666666667, 9);
    // product_knowledge: match "unknown" scores null (n/a), the text is never scored → no score
    expect(s.sections.product_knowledge).toBeNull();
    // sales_compliance: points 0.35 + 0.25 = 0.6 (w2), c1 no = 0 (w2): 100 × 1.2/4 = 30
    expect(s.sections.sales_compliance).toBeCloseTo(30, 12);
    // follow_up: scale 4 → 0.75 → 75
    expect(s.sections.follow_up).toBe(75);
    // total over the three scored sections, 25 each: (66.666… + 30 + 75)/3 = 57.222…
    expect(s.total).toBeCloseTo(57.222222222222, 9);
    expect(s.violations).toEqual([]);
  });

  test('a critical choice answered with a 0 option zeroes its section and is a violation', () => {
    const critical = [sec('product_knowledge', [{ ...MATCH, critical: true }, mk('p2', 'yes_no')])];
    const s = scoreVisit(critical, ans({ match: 'above', p2: 'yes' }));
    expect(s.sections.product_knowledge).toBe(0);
    expect(s.violations).toEqual([{ itemKey: 'match', sectionKey: 'product_knowledge' }]);
  });
});

describe('conditions (showIf)', () => {
  // product → assessed (when an investment product) → match (when assessed yes): a chain.
  const product = mk('product', 'choice', {
    options: [
      { key: 'wealth', score: null },
      { key: 'fund', score: null },
      { key: 'deposit', score: null },
    ],
  });
  const assessed = mk('assessed', 'yes_no', { critical: true, showIf: { item: 'product', in: ['wealth', 'fund'] } });
  const match = { ...MATCH, showIf: { item: 'assessed', in: ['yes'] } };
  const chain = [sec('sales_compliance', [product, assessed, match, mk('id', 'yes_no')])];

  test('met: the dependent items count', () => {
    const s = scoreVisit(chain, ans({ product: 'fund', assessed: 'yes', match: 'signed', id: 'yes' }));
    // assessed yes = 1, match signed = 0.5, id yes = 1 (product scores null): 100 × 2.5/3 = 83.333…
    expect(s.sections.sales_compliance).toBeCloseTo(83.333333333333, 9);
  });

  test('not met: the dependent item is left out like na, even if an answer is stored, and is not required', () => {
    const s = scoreVisit(chain, ans({ product: 'deposit', assessed: 'no', match: 'above', id: 'yes' }));
    // assessed and match are hidden: their (critical) failures do not count; only id = 1 → 100
    expect(s.sections.sales_compliance).toBe(100);
    expect(s.violations).toEqual([]);
    expect(missingRequired(chain, ans({ product: 'deposit', id: 'yes' }))).toEqual([]);
  });

  test('chained: an item that depends on a hidden item is hidden too, whatever that item’s stored answer', () => {
    // product deposit hides assessed; assessed's stored "yes" must not show match.
    const s = scoreVisit(chain, ans({ product: 'deposit', assessed: 'yes', match: 'above', id: 'no' }));
    expect(s.sections.sales_compliance).toBe(0); // id no = 0 alone; match (0) is not counted either way
    expect(s.violations).toEqual([]);
    expect(missingRequired(chain, ans({ product: 'wealth' }))).toEqual([
      { itemKey: 'assessed', sectionKey: 'sales_compliance' },
      { itemKey: 'id', sectionKey: 'sales_compliance' },
    ]);
    expect(missingRequired(chain, ans({ product: 'wealth', assessed: 'yes', id: 'yes' }))).toEqual([
      { itemKey: 'match', sectionKey: 'sales_compliance' },
    ]);
  });

  test('a condition on a multiple choice is met when any listed option is chosen', () => {
    const qs = [
      sec('sales_compliance', [POINTS, mk('why', 'yes_no', { showIf: { item: 'points', in: ['guaranteed', 'x'] } })]),
    ];
    expect(missingRequired(qs, ans({ points: ['principal'] }))).toEqual([]);
    expect(missingRequired(qs, ans({ points: ['principal', 'guaranteed'] }))).toEqual([
      { itemKey: 'why', sectionKey: 'sales_compliance' },
    ]);
  });

  test('answers to hidden items are refused, naming the item; splitHidden sets them apart down the chain', () => {
    const errors = answerErrors(chain, ans({ product: 'deposit', assessed: 'yes', match: 'ok' }));
    expect(errors.map((e) => e.field)).toEqual(['answers.1.itemKey', 'answers.2.itemKey']);
    expect(errors[0].message).toMatch(/"assessed" is not asked: its condition on "product" is not met/);
    const { kept, hidden } = splitHidden(chain, ans({ product: 'deposit', assessed: 'yes', match: 'ok', id: 'no' }));
    expect(kept.map((a) => a.itemKey)).toEqual(['product', 'id']);
    expect(hidden.map((a) => a.itemKey)).toEqual(['assessed', 'match']);
  });
});

describe('evidence on failure', () => {
  const qs = [
    sec('sales_compliance', [
      mk('assessed', 'yes_no', { evidenceOnFail: true }),
      { ...WAIT, evidenceOnFail: true, showIf: { item: 'assessed', in: ['yes'] } },
    ]),
  ];

  test('a failing answer needs an attachment naming the item; a passing, hidden or n/a one does not', () => {
    expect(evidenceMissing(qs, ans({ assessed: 'no' }), new Set())).toEqual([
      { itemKey: 'assessed', sectionKey: 'sales_compliance' },
    ]);
    expect(evidenceMissing(qs, ans({ assessed: 'no' }), new Set(['assessed']))).toEqual([]);
    expect(evidenceMissing(qs, ans({ assessed: 'yes', wait: 45 }), new Set())).toEqual([
      { itemKey: 'wait', sectionKey: 'sales_compliance' },
    ]);
    expect(evidenceMissing(qs, ans({ assessed: 'yes', wait: 4 }), new Set())).toEqual([]);
    expect(evidenceMissing(qs, ans({ assessed: 'no', wait: 45 }), new Set(['assessed']))).toEqual([]); // wait hidden
  });
});

describe('answerErrors for the new types', () => {
  const qs = [
    sec('greeting', [
      WAIT,
      MATCH,
      POINTS,
      mk('t', 'text'),
      mk('na_ok', 'multi', { ...POINTS, key: 'na_ok', allowNA: true }),
    ]),
  ];
  test.each<[string, AnswerValue, RegExp]>([
    ['wait', -1, /at least 0/],
    ['wait', 301, /at most 300/],
    ['wait', 'ten', /takes a number/],
    ['match', 'maybe', /one of the options ok, signed, above, unknown/],
    ['match', ['ok'], /one of the options/],
    ['points', ['principal', 'principal'], /lists an option twice/],
    ['points', ['nope'], /has no option "nope"/],
    ['points', 'principal', /list of option keys/],
    ['points', 'na', /does not allow N\/A/],
    ['t', '   ', /takes a text/],
  ])('%s = %j is refused', (itemKey, value, message) => {
    const errors = answerErrors(qs, [{ itemKey, value }]);
    expect(errors).toHaveLength(1);
    expect(errors[0].field).toBe('answers.0.value');
    expect(errors[0].message).toMatch(message);
  });

  test('a text of more than 2000 characters is refused', () => {
    expect(answerErrors(qs, [{ itemKey: 't', value: 'x'.repeat(2001) }])[0].message).toMatch(/at most 2000/);
    expect(answerErrors(qs, [{ itemKey: 't', value: 'x'.repeat(2000) }])).toEqual([]);
  });

  test.each<[string, AnswerValue]>([
    ['wait', 0],
    ['wait', 12.5],
    ['match', 'unknown'],
    ['points', []],
    ['points', ['guaranteed', 'principal']],
    ['na_ok', 'na'],
    ['t', '员工态度冷淡'],
  ])('%s = %p is accepted', (itemKey, value) => {
    expect(answerErrors(qs, [{ itemKey, value }])).toEqual([]);
  });

  test('the same multiple choice in another order is the same answer', () => {
    expect(sameAnswer(['a', 'b'], ['b', 'a'])).toBe(true);
    expect(sameAnswer(['a'], ['a', 'b'])).toBe(false);
    expect(sameAnswer('yes', 'yes')).toBe(true);
    expect(sameAnswer(1, '1')).toBe(false);
  });
});

// ---- properties

const keyOf = (i: number) => `o${i}`;
const score01 = fc.double({ min: 0, max: 1, noNaN: true });

/** A random item of any type with an answer it may get (valid or not). */
const itemWithValue: fc.Arbitrary<{ item: ScoringItem; value: AnswerValue }> = fc.oneof(
  fc.constantFrom<AnswerValue>('yes', 'no', 'na', 'maybe', 3).map((value) => ({ item: mk('i', 'yes_no'), value })),
  fc
    .oneof(fc.integer({ min: -2, max: 7 }), fc.constant<AnswerValue>('na'))
    .map((value) => ({ item: mk('i', 'scale'), value })),
  fc
    .tuple(
      fc.uniqueArray(fc.integer({ min: -50, max: 500 }), { minLength: 1, maxLength: 6 }),
      fc.array(score01, { minLength: 6, maxLength: 6 }),
      fc.double({ min: -100, max: 800, noNaN: true }),
    )
    .map(([maxes, scores, value]) => ({
      item: mk('i', 'number', { bands: [...maxes].sort((a, b) => a - b).map((max, j) => ({ max, score: scores[j] })) }),
      value,
    })),
  fc
    .tuple(fc.array(fc.option(score01, { nil: null }), { minLength: 2, maxLength: 6 }), fc.nat(8))
    .map(([scores, pick]) => ({
      item: mk('i', 'choice', { options: scores.map((score, j) => ({ key: keyOf(j), score })) }),
      value: keyOf(pick),
    })),
  fc
    .tuple(
      fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 2, maxLength: 7 }),
      fc.array(fc.boolean(), { minLength: 7, maxLength: 7 }),
    )
    .map(([scores, chosen]) => ({
      item: mk('i', 'multi', { options: scores.map((score, j) => ({ key: keyOf(j), score })) }),
      value: scores.map((_s, j) => keyOf(j)).filter((_k, j) => chosen[j]),
    })),
  fc.string().map((value) => ({ item: mk('i', 'text'), value })),
);

describe('properties', () => {
  test('every item score is in [0, 1] (or not applicable), whatever the type and the value', () => {
    fc.assert(
      fc.property(itemWithValue, ({ item, value }) => {
        const s = itemScore(item, value);
        return s === null || (s >= 0 && s <= 1);
      }),
      propertyRuns(2000),
    );
  });

  test('visit scores are in [0, 100] on questionnaires of every type', () => {
    fc.assert(
      fc.property(fc.array(itemWithValue, { minLength: 1, maxLength: 12 }), fc.boolean(), (pairs, critical) => {
        const items = pairs.map((p, j) => ({ ...p.item, key: `k${j}`, critical: critical && j === 0 }));
        const s = scoreVisit(
          [sec('greeting', items.slice(0, 6)), sec('follow_up', items.slice(6))],
          pairs.map((p, j) => ({ itemKey: `k${j}`, value: p.value })),
        );
        const inRange = (v: number | null) => v === null || (v >= 0 && v <= 100 + 1e-9);
        return Object.values(s.sections).every(inRange) && inRange(s.total);
      }),
      propertyRuns(500),
    );
  });

  test('hiding an item equals answering it na', () => {
    fc.assert(
      fc.property(
        fc.array(itemWithValue, { minLength: 2, maxLength: 8 }),
        fc.constantFrom<AnswerValue>('yes', 'no'),
        fc.nat(7),
        (pairs, gate, which) => {
          const target = 1 + (which % (pairs.length - 1));
          const items = pairs.map((p, j) => ({ ...p.item, key: `k${j}`, critical: j === target }));
          const gateItem = mk('gate', 'yes_no');
          const answers = [
            { itemKey: 'gate', value: gate },
            ...pairs.map((p, j) => ({ itemKey: `k${j}`, value: p.value })),
          ];
          // Hidden: shown only when the gate is the other answer.
          const hidden = items.map((i, j) =>
            j === target ? { ...i, showIf: { item: 'gate', in: [gate === 'yes' ? 'no' : 'yes'] } } : i,
          );
          const asNa = answers.map((a) => (a.itemKey === `k${target}` ? { ...a, value: 'na' as AnswerValue } : a));
          const a = scoreVisit([sec('greeting', [gateItem, ...hidden])], answers);
          const b = scoreVisit([sec('greeting', [gateItem, ...items])], asNa);
          return JSON.stringify(a) === JSON.stringify(b);
        },
      ),
      propertyRuns(500),
    );
  });

  test('the order of options (and of the options chosen) changes no score', () => {
    fc.assert(
      fc.property(itemWithValue, fc.array(fc.nat(), { minLength: 8, maxLength: 8 }), ({ item, value }, order) => {
        if (!item.options) return true;
        const rank = (k: string) => order[Number(k.slice(1)) % order.length];
        const shuffled = { ...item, options: [...item.options].sort((x, y) => rank(x.key) - rank(y.key)) };
        const reversed = Array.isArray(value) ? [...value].reverse() : value;
        return itemScore(item, value) === itemScore(shuffled, reversed);
      }),
      propertyRuns(2000),
    );
  });

  /** SPEC §3 as it was before §10 (yes_no and scale only): the oracle for visits stored on old versions. */
  function scoreBefore10(sections: ScoringSection[], answers: Answer[]) {
    const byKey = new Map(answers.map((a) => [a.itemKey, a.value]));
    let weighted = 0;
    let weights = 0;
    const out: Record<string, number | null> = {};
    for (const s of sections) {
      let num = 0;
      let den = 0;
      let failed = false;
      for (const i of s.items) {
        const v = byKey.get(i.key);
        const score = v === 'yes' ? 1 : v === 'no' ? 0 : typeof v === 'number' ? (v - 1) / 4 : null;
        if (score === null) continue;
        num += i.weight * score;
        den += i.weight;
        if (i.critical && (v === 'no' || v === 1)) failed = true;
      }
      out[s.key] = den === 0 ? null : failed ? 0 : (100 * num) / den;
      if (out[s.key] !== null) {
        weighted += s.weight * (out[s.key] as number);
        weights += s.weight;
      }
    }
    return { sections: out, total: weights ? weighted / weights : null };
  }

  test('questionnaires of yes/no and 1–5 items score exactly as before SPEC §10 (stored visits unchanged)', () => {
    const oldItem = fc.record({
      type: fc.constantFrom<ItemType>('yes_no', 'scale'),
      weight: fc.integer({ min: 1, max: 5 }),
      critical: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(fc.array(oldItem, { maxLength: 5 }), { minLength: 4, maxLength: 4 }),
        fc.array(fc.nat(6), { minLength: 20, maxLength: 20 }),
        (bySection, picks) => {
          const keys = ['greeting', 'product_knowledge', 'sales_compliance', 'follow_up'] as const;
          let n = 0;
          const sections = bySection.map((items, si) =>
            sec(
              keys[si],
              items.map((i) => mk(`k${n++}`, i.type, { weight: i.weight, critical: i.critical })),
              10 + si * 5,
            ),
          );
          const answers = sections.flatMap((s) =>
            s.items.map((i, j) => {
              const p = picks[(Number(i.key.slice(1)) + j) % picks.length];
              return {
                itemKey: i.key,
                value: (i.type === 'yes_no'
                  ? ['yes', 'no', 'na'][p % 3]
                  : p === 0
                    ? 'na'
                    : Math.min(5, p)) as AnswerValue,
              };
            }),
          );
          const now = scoreVisit(sections, answers);
          const before = scoreBefore10(sections, answers);
          return (
            JSON.stringify({ sections: now.sections, total: now.total }) ===
            JSON.stringify({ sections: { ...before.sections }, total: before.total })
          );
        },
      ),
      propertyRuns(500),
    );
  });
});
