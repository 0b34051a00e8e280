import fc from 'fast-check';
import { propertyRuns } from './helpers/property-runs';
import {
  MeanOfScores,
  ResultsAccumulator,
  rollUp,
  spreadOf,
  type BranchScore,
  type ItemInfo,
  type Scores,
  type VisitInput,
} from '../server/results/aggregate';
import { SECTION_KEYS, type SectionKey } from '../server/rules/scoring';

/**
 * The edges of the per-quarter rules (SPEC §3) that a wrong published number would hide behind:
 * null and non-finite scores, scale answers at 1 and 5, unordered inputs, rows without a section,
 * more than 1,024 branches and staff. Expected numbers are worked out by hand beside them; the last
 * part compares the accumulator with the rules written out again on plain arrays.
 */

const S = (g: number | null, p: number | null, s: number | null, f: number | null, total: number | null): Scores => ({
  sections: { greeting: g, product_knowledge: p, sales_compliance: s, follow_up: f },
  total,
});
/** An item as scoring reads it: weight 1, not critical, N/A allowed, required. */
const item = (key: string, type: 'yes_no' | 'scale', sectionKey: SectionKey): ItemInfo => ({
  key,
  type,
  weight: 1,
  critical: false,
  allowNA: true,
  required: true,
  sectionKey,
});
const NONE = S(null, null, null, null, null);
const ITEMS = new Map<string, ItemInfo>([
  ['yn', item('yn', 'yes_no', 'greeting')],
  ['sc', item('sc', 'scale', 'product_knowledge')],
]);
let seq = 0;
const visit = (over: Partial<VisitInput>): VisitInput => ({
  id: `v${++seq}`,
  branchCode: 'A',
  region: 'R1',
  quarter: '2026-Q2',
  questionnaireId: 'q',
  questionnaireVersion: 1,
  scores: NONE,
  ...over,
});
const accumulator = (inFocus: (code: string, region: string) => boolean = () => true) =>
  new ResultsAccumulator({
    quarter: '2026-Q2',
    previousQuarter: '2026-Q1',
    inFocus,
    items: (q, v) => (q === 'q' && v === 1 ? ITEMS : undefined),
  });
const branch = (code: string, n: number, scores: Scores): BranchScore => ({ code, region: 'R', n, ...scores });

describe('MeanOfScores: only finite numbers count', () => {
  test('null, NaN, ±Infinity and missing parts are left out of their own mean only', () => {
    const m = new MeanOfScores();
    m.add(S(80, null, Number.NaN, 10, 60));
    m.add(S(40, 70, 20, Number.POSITIVE_INFINITY, null));
    m.add({ total: Number.NEGATIVE_INFINITY });
    m.add({ sections: null, total: 90 });
    m.add({ sections: { greeting: 0 } });
    m.add({});
    // greeting (80 + 40 + 0) / 3 = 40; product 70; compliance 20; follow-up 10; total (60 + 90) / 2 = 75
    expect(m.result()).toEqual(S(40, 70, 20, 10, 75));
  });

  test('nothing added: every mean is null', () => {
    expect(new MeanOfScores().result()).toEqual(NONE);
  });
});

describe('rollUp: the spread and null totals', () => {
  test('a branch without a total counts as a branch and in n, not in the mean or the spread', () => {
    const r = rollUp([branch('A', 3, S(80, null, null, null, 80)), branch('B', 2, S(null, 50, null, null, null))]);
    expect(r).toEqual({
      n: 5,
      branches: 2,
      ...S(80, 50, null, null, 80),
      spread: { min: 80, max: 80, stdev: 0 },
    });
  });

  test.each([
    ['ascending', [30, 60, 90]],
    ['descending', [90, 60, 30]],
    ['unordered', [60, 90, 30]],
  ])('the spread of %s branch totals', (_, totals) => {
    const r = rollUp(totals.map((t, i) => branch(`B${i}`, 1, S(null, null, null, null, t))));
    // mean 60, deviations −30, 0, 30 → population stdev √(1800 / 3) = √600 = 24.4948…
    expect(r.total).toBe(60);
    expect(r.spread).toEqual({ min: 30, max: 90, stdev: Math.sqrt(600) });
  });

  test('spreadOf leaves out null and non-finite totals; the extremes may sit anywhere', () => {
    expect(spreadOf([50, null, Number.NaN, 10, Number.POSITIVE_INFINITY, 40])).toEqual({
      min: 10,
      max: 50,
      // mean 100 / 3; squared deviations (50/3)² + (70/3)² + (20/3)² = 7800 / 9 → /3 → √(7800 / 27)
      stdev: expect.closeTo(Math.sqrt(7800 / 27), 12),
    });
    // mean 62; squared deviations 64 + 1444 + 1764 + 1444 + 1764 = 6480 → /5 = 1296 → 36
    expect(spreadOf([70, 100, 20, 100, 20])).toEqual({ min: 20, max: 100, stdev: expect.closeTo(36, 12) });
    expect(spreadOf([null, Number.NaN])).toBeNull();
    expect(spreadOf([])).toBeNull();
  });
});

describe('ResultsAccumulator: edges', () => {
  test('a visit whose total is null counts in n but not in the branch or staff mean', () => {
    const acc = accumulator();
    acc.add(visit({ staffIds: ['s1'], scores: S(90, null, null, null, 90) }));
    acc.add(visit({ staffIds: ['s1'], scores: S(null, null, null, null, null) }));
    acc.add(visit({ staffIds: ['s1'], scores: { sections: null, total: Number.NaN } }));
    const out = acc.finish();
    // SPEC §11: the moments of the slots hold the one scored value (90) where there is one, nothing else.
    const Z = { n: 0, sum: 0, sumSq: 0 };
    const one = { n: 1, sum: 90, sumSq: 8100 };
    const moments = [one, Z, Z, Z, one];
    expect(out.branchesByQuarter.get('2026-Q2')).toEqual([
      { code: 'A', region: 'R1', n: 3, ...S(90, null, null, null, 90), moments },
    ]);
    expect(out.staff).toEqual([{ employeeId: 's1', n: 3, ...S(90, null, null, null, 90), moments }]);
  });

  test('visits without staff, violations or answers add no staff row, no violation and no problem', () => {
    const acc = accumulator();
    acc.add(visit({ staffIds: null, violations: null, answers: null }));
    acc.add(visit({ quarter: '2026-Q1', staffIds: undefined }));
    const out = acc.finish();
    expect(out.staff).toEqual([]);
    expect(out.previousStaff).toEqual([]);
    expect(out.violations).toEqual([]);
    expect(out.keyProblems).toEqual([]);
  });

  test('violation rows keep their section; a row without an item is dropped; without a section it says null', () => {
    const acc = accumulator();
    acc.add(
      visit({
        id: 'v1',
        violations: [
          { itemKey: 'risk', sectionKey: 'sales_compliance' },
          { itemKey: null, sectionKey: 'greeting' },
          { sectionKey: 'greeting' },
          { itemKey: 'old', sectionKey: null },
        ],
      }),
    );
    expect(acc.finish().violations).toEqual([
      { visitId: 'v1', branchCode: 'A', region: 'R1', itemKey: 'old', sectionKey: null, disputed: false },
      {
        visitId: 'v1',
        branchCode: 'A',
        region: 'R1',
        itemKey: 'risk',
        sectionKey: 'sales_compliance',
        disputed: false,
      },
    ]);
  });

  test('violations sort by branch, then visit, then item, whatever order they came in', () => {
    const acc = accumulator();
    const v = (id: string, branchCode: string, ...items: string[]) =>
      acc.add(visit({ id, branchCode, violations: items.map((itemKey) => ({ itemKey, sectionKey: 'greeting' })) }));
    v('v3', 'B', 'z', 'a');
    v('v2', 'A', 'm');
    v('v1', 'B', 'c');
    v('v0', 'C', 'a');
    v('v4', 'A', 'b', 'a');
    expect(acc.finish().violations.map((x) => `${x.branchCode}/${x.visitId}/${x.itemKey}`)).toEqual([
      'A/v2/m',
      'A/v4/a',
      'A/v4/b',
      'B/v1/c',
      'B/v3/a',
      'B/v3/z',
      'C/v0/a',
    ]);
  });

  test('key problems: scale 1 fails, 2 to 5 are applicable, a stored 0, 6 or 2.5 is not applicable', () => {
    const acc = accumulator();
    for (const value of [1, 2, 3, 4, 5, 5, 0, 6, 2.5, 'yes', null])
      acc.add(visit({ answers: [{ itemKey: 'sc', value }] }));
    // applicable: 1, 2, 3, 4, 5, 5 = 6; failed: the 1 → 1/6
    expect(acc.finish().keyProblems).toEqual([
      { itemKey: 'sc', sectionKey: 'product_knowledge', failureRate: 1 / 6, failed: 1, applicable: 6 },
    ]);
  });

  test('key problems: ties on rate and failures are ordered by key, whatever order they came in', () => {
    const items = new Map<string, ItemInfo>(['d', 'b', 'c', 'a'].map((k) => [k, item(k, 'yes_no', 'follow_up')]));
    const acc = new ResultsAccumulator({
      quarter: '2026-Q2',
      previousQuarter: '2026-Q1',
      inFocus: () => true,
      items: () => items,
    });
    // d: 1 of 1 (rate 1); b and c: 1 of 2 (0.5, one failure each → by key); a: 2 of 4 (0.5, two failures → before b and c)
    const answers = (pairs: [string, string][]) => pairs.map(([itemKey, value]) => ({ itemKey, value }));
    acc.add(
      visit({
        answers: answers([
          ['d', 'no'],
          ['c', 'no'],
          ['b', 'no'],
          ['a', 'no'],
        ]),
      }),
    );
    acc.add(
      visit({
        answers: answers([
          ['c', 'yes'],
          ['b', 'yes'],
          ['a', 'no'],
        ]),
      }),
    );
    acc.add(visit({ answers: answers([['a', 'yes']]) }));
    acc.add(visit({ answers: answers([['a', 'yes']]) }));
    expect(acc.finish().keyProblems.map((k) => [k.itemKey, k.failed, k.applicable])).toEqual([
      ['d', 1, 1],
      ['a', 2, 4],
      ['b', 1, 2],
      ['c', 1, 2],
    ]);
  });

  test('more than 1,024 branches and staff: every one keeps its own sums', () => {
    const acc = accumulator();
    const count = 1100;
    // branch i has visits scoring i % 101 and (i % 101) + 2 → mean (i % 101) + 1; staff member i the same
    for (const delta of [0, 2])
      for (let i = 0; i < count; i++) {
        const x = (i % 101) + delta;
        acc.add(visit({ branchCode: `B${i}`, staffIds: [`S${i}`], scores: S(x, null, null, x, x) }));
      }
    for (let i = 0; i < count; i++)
      acc.add(
        visit({ branchCode: `B${i}`, quarter: '2026-Q1', staffIds: [`S${i}`], scores: S(null, i, null, null, i) }),
      );
    const out = acc.finish();
    const current = out.branchesByQuarter.get('2026-Q2') ?? [];
    expect(current).toHaveLength(count);
    const wrong = current.filter((b) => {
      const i = Number(b.code.slice(1));
      const mean = (i % 101) + 1;
      return b.n !== 2 || b.total !== mean || b.sections.greeting !== mean || b.sections.follow_up !== mean;
    });
    expect(wrong).toEqual([]);
    const previous = out.branchesByQuarter.get('2026-Q1') ?? [];
    expect(previous.filter((b) => b.n !== 1 || b.total !== Number(b.code.slice(1)))).toEqual([]);
    expect(out.staff).toHaveLength(count);
    expect(out.staff.filter((s) => s.n !== 2 || s.total !== (Number(s.employeeId.slice(1)) % 101) + 1)).toEqual([]);
    expect(out.previousStaff).toHaveLength(count);
    expect(
      out.previousStaff.filter((s) => s.n !== 1 || s.sections.product_knowledge !== Number(s.employeeId.slice(1))),
    ).toEqual([]);
  });
});

describe('property: the accumulator against the rules written out again', () => {
  const score = fc.oneof(
    { weight: 6, arbitrary: fc.integer({ min: 0, max: 100 }) },
    { weight: 2, arbitrary: fc.constant(null) },
    { weight: 1, arbitrary: fc.constant(Number.NaN) },
  );
  const visitArb = fc.record({
    branchCode: fc.constantFrom('A', 'B', 'C', 'D'),
    quarter: fc.constantFrom('2026-Q2', '2026-Q1', '2025-Q4'),
    staffIds: fc.option(fc.array(fc.constantFrom('s1', 's2', 's3'), { maxLength: 3 }), { nil: null }),
    sections: fc.tuple(score, score, score, score),
    total: score,
    answer: fc.constantFrom<unknown>('yes', 'no', 'na', 1, 3, 5, 0, 6),
  });

  const finiteMean = (xs: (number | null)[]) => {
    const ok = xs.filter((x): x is number => Number.isFinite(x));
    return ok.length === 0 ? null : ok.reduce((s, x) => s + x, 0) / ok.length;
  };
  const meansOf = (vs: { sections: (number | null)[]; total: number | null }[]): Scores => ({
    sections: Object.fromEntries(
      SECTION_KEYS.map((k, i) => [k, finiteMean(vs.map((v) => v.sections[i]))]),
    ) as Scores['sections'],
    total: finiteMean(vs.map((v) => v.total)),
  });
  const close = (a: Scores, b: Scores) =>
    [...SECTION_KEYS.map((k) => [a.sections[k], b.sections[k]]), [a.total, b.total]].every(([x, y]) =>
      x === null || y === null ? x === y : Math.abs(x - y) < 1e-9,
    );

  test('branch means per quarter, staff means, failure rates', () => {
    fc.assert(
      fc.property(fc.array(visitArb, { maxLength: 25 }), (raw) => {
        const inFocus = (code: string) => code !== 'D';
        const acc = accumulator(inFocus);
        raw.forEach((r, i) =>
          acc.add(
            visit({
              id: `p${i}`,
              branchCode: r.branchCode,
              quarter: r.quarter,
              staffIds: r.staffIds,
              scores: { sections: Object.fromEntries(SECTION_KEYS.map((k, j) => [k, r.sections[j]])), total: r.total },
              answers: [{ itemKey: 'yn', value: r.answer }],
            }),
          ),
        );
        const out = acc.finish();
        for (const [quarter, rows] of out.branchesByQuarter)
          for (const b of rows) {
            const mine = raw.filter((r) => r.quarter === quarter && r.branchCode === b.code);
            if (b.n !== mine.length || !close(b, meansOf(mine))) return false;
          }
        const staffOf = (quarter: string, id: string) =>
          raw.filter((r) => r.quarter === quarter && inFocus(r.branchCode) && (r.staffIds ?? []).includes(id));
        for (const [rows, quarter] of [
          [out.staff, '2026-Q2'],
          [out.previousStaff, '2026-Q1'],
        ] as const) {
          const named = ['s1', 's2', 's3'].filter((id) => staffOf(quarter, id).length > 0);
          if (
            rows
              .map((s) => s.employeeId)
              .sort()
              .join() !== named.join()
          )
            return false;
          for (const s of rows)
            if (s.n !== staffOf(quarter, s.employeeId).length || !close(s, meansOf(staffOf(quarter, s.employeeId))))
              return false;
        }
        const answered = raw.filter(
          (r) => r.quarter === '2026-Q2' && inFocus(r.branchCode) && ['yes', 'no'].includes(r.answer as string),
        );
        const failed = answered.filter((r) => r.answer === 'no').length;
        const expected = failed
          ? [
              {
                itemKey: 'yn',
                sectionKey: 'greeting',
                failureRate: failed / answered.length,
                failed,
                applicable: answered.length,
              },
            ]
          : [];
        expect(out.keyProblems).toEqual(expected);
        return true;
      }),
      propertyRuns(100),
    );
  });
});
